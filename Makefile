# gradlab: set up, open the notebooks, run the tests.
#   make lab    create .venv if missing, install -e .[lab], open JupyterLab (at the repository
#               root, so jupytext.toml pairs each notebook with its text notebook on save)
#   make sync   jupytext --sync every notebook with its text notebook in notebooks/src/ (the file
#               saved last wins) and clear the notebooks' outputs (docs/developing.md)
#   make test   create/update .venv, install -e .[lab,test], ruff, then the whole pytest suite
#               (browser test included: skipped without /usr/bin/chromium, failing under CI=true)
#   make test-browser  only the JupyterLab + Chromium test (tests/test_browser.py)
#   make bench  run benchmarks/run_all.py (ratios against references, never timed assertions)
#   make exercises  otter assign the exercise notebooks: student versions (committed) and
#               autograder zips in build/exercises/ (docs/instructor/exercises.md)
#   make clean  remove .venv, build outputs and caches

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check

# Stamp files: reinstall only when pyproject.toml changes (or the venv is new).
STAMP_LAB  := $(VENV)/.stamp-lab
STAMP_TEST := $(VENV)/.stamp-test

.PHONY: lab sync test test-browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP_LAB): pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[lab]'
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[lab,test]'
	touch $@

lab: $(STAMP_LAB)
	$(BIN)/jupyter lab --ServerApp.root_dir=. notebooks/00_start_here.ipynb

sync: $(STAMP_LAB)
	$(BIN)/python notebooks/src/notebook_pairs.py

# pytest exits 5 when it collects no tests: that is a failure here, never a silent green.
test: $(STAMP_TEST)
	$(BIN)/ruff check .
	@$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then \
		echo "make test: FAILED - pytest collected no tests (exit 5)" >&2; exit 1; \
	fi; \
	exit $$status

test-browser: $(STAMP_TEST)
	@$(BIN)/python -m pytest -m browser tests/test_browser.py; status=$$?; \
	if [ $$status -eq 5 ]; then \
		echo "make test-browser: FAILED - pytest collected no tests (exit 5)" >&2; exit 1; \
	fi; \
	exit $$status

bench: $(STAMP_LAB)
	@if [ -f benchmarks/run_all.py ]; then \
		$(BIN)/python benchmarks/run_all.py; \
	else \
		echo "make bench: benchmarks/run_all.py does not exist yet; nothing to run."; \
	fi

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis test-artifacts
	find . -path ./.git -prune -o -type d \( -name __pycache__ -o -name .ipynb_checkpoints \) \
		-prune -exec rm -rf {} +

# Instructor notebooks (notebooks/exercises/instructor/, paired with notebooks/src/exercises/) -> otter
# assign -> student versions in notebooks/exercises/student/ and autograder zips in
# build/exercises/NAME/autograder/; otter grades the solutions with each zip (stops on failure).
.PHONY: exercises
exercises: $(STAMP_TEST)
	$(BIN)/python notebooks/src/make_exercises.py
