"""The exercise notebooks: sources, otter's student versions and autograders, run headless.

For every exercise:
- the instructor notebook is authored as a text notebook, notebooks/src/exercises/instructor/
  NAME.md (its pair with the .ipynb is checked in tests/test_notebook_sources.py), and the
  committed student version is what `otter assign` makes of it (`make exercises` regenerates);
- the student version has no solutions, no hidden tests and no instructor-only cells;
- the student version runs top to bottom headless and every check cell says "not done yet";
- the instructor version runs and every check cell passes;
- the autograder built by `otter assign` gives the solutions full marks and the untouched student
  version zero, its failed tests carrying the checks' "not done yet" feedback.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks" / "src"))

import make_exercises as mx  # noqa: E402

NAMES = list(mx.EXERCISES)
MARK = re.compile(r"^([✓✗…]) (.*)$", re.M)


@pytest.fixture(scope="module")
def kernel():
    with mx.venv_kernel():
        yield "python3"


def execute(path: Path, kernel_name: str) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel_name, timeout=180, allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("JPY_PARENT_PID", None)
    client.execute(env=env, cwd=str(path.parent))
    return nb


def check_cells(nb):
    """[(source, printed text)] for every cell tagged as a check."""
    out = []
    for cell in nb.cells:
        if mx.CHECK_TAG in cell.metadata.get("tags", []):
            text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                           if o.get("output_type") == "stream" and o.get("name") == "stdout")
            out.append((cell.source, text))
    return out


def stderr_tracebacks(nb):
    return [o["text"] for c in nb.cells for o in c.get("outputs", [])
            if o.get("output_type") == "stream" and o.get("name") == "stderr"
            and "Traceback" in o.get("text", "")]


# ----------------------------------------------------------------------------------------
# Up to date, and nothing leaks into the student versions
# ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def assigned(tmp_path_factory):
    """otter assign (without grading) of every committed source: {name: output folder}."""
    base = tmp_path_factory.mktemp("otter")
    return {name: mx.assign(mx.INSTRUCTOR_DIR / f"{name}.ipynb", base / name, run_tests=False)
            for name in NAMES}


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_committed_student_version_is_what_otter_assign_makes(name, assigned):
    student = mx.STUDENT_DIR / f"{name}.ipynb"
    assert student.exists(), f"{student} is missing: run make exercises"
    assert student.read_text() == mx.student_text(assigned[name], name), (
        f"{student.relative_to(ROOT)} is not otter assign's current student version of "
        f"notebooks/exercises/instructor/{name}.ipynb: run make exercises")


@pytest.mark.parametrize("name", NAMES)
def test_student_version_has_no_solutions_or_hidden_tests(name):
    source = nbformat.read(mx.INSTRUCTOR_DIR / f"{name}.ipynb", as_version=4)
    student = nbformat.read(mx.STUDENT_DIR / f"{name}.ipynb", as_version=4)
    text = (mx.STUDENT_DIR / f"{name}.ipynb").read_text()
    for marker in ("# SOLUTION", "BEGIN SOLUTION", "BEGIN PROMPT", "BEGIN TESTS", "hidden=True",
                   "hidden: true", "seed=", "Instructor version"):
        assert marker not in text, f"{name}: the student version contains {marker!r}"
    hidden = [c.source for c in source.cells
              if c.cell_type == "code" and "hidden: true" in c.source]
    for test in hidden:  # no line of a hidden test (its name, its seed) reaches the students
        leaked = [ln for ln in test.splitlines() if ln.strip().startswith(("def ", "check."))
                  and ln.strip() in text]
        assert not leaked, f"{name}: the student version contains hidden-test lines {leaked}"
    assert not [c for c in student.cells if c.cell_type == "raw"]
    answers = [c for c in student.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    solutions = [c for c in source.cells
                 if c.cell_type == "code" and ("SOLUTION" in c.source)]
    assert answers and len(answers) == len(solutions)
    assert all("..." in c.source for c in answers), "every answer cell keeps a placeholder"
    assert len(check_cells(student)) == len(check_cells(source)) >= 1


# ----------------------------------------------------------------------------------------
# Running them headless
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_student_version_runs_and_every_check_says_not_done_yet(name, kernel):
    nb = execute(mx.STUDENT_DIR / f"{name}.ipynb", kernel)
    assert not stderr_tracebacks(nb)
    cells = check_cells(nb)
    for source, text in cells:
        lines = MARK.findall(text)
        assert len(lines) == source.count("check."), f"{source!r} printed {text!r}"
        for mark, line in lines:
            assert mark == "…" and "not done yet" in line, f"{source!r} printed {text!r}"


@pytest.mark.parametrize("name", NAMES)
def test_instructor_version_runs_and_every_check_passes(name, kernel):
    nb = execute(mx.INSTRUCTOR_DIR / f"{name}.ipynb", kernel)
    assert not stderr_tracebacks(nb)
    for source, text in check_cells(nb):
        lines = MARK.findall(text)
        assert len(lines) == source.count("check."), f"{source!r} printed {text!r}"
        assert all(mark == "✓" for mark, _ in lines), f"{source!r} printed {text!r}"


# ----------------------------------------------------------------------------------------
# The autograder
# ----------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The inplace keyword")  # otter's own use of pandas
@pytest.mark.parametrize("name", NAMES)
def test_autograder_gives_solutions_full_marks_and_the_student_version_zero(name, assigned,
                                                                            kernel):
    from otter.api import grade_submission

    out = assigned[name]
    zip_path = mx.autograder_zip(out)
    solutions = grade_submission(str(out / "autograder" / f"{name}.ipynb"), str(zip_path),
                                 quiet=True)
    assert solutions.possible > 0
    assert solutions.total == solutions.possible, solutions.summary()
    student = grade_submission(str(mx.STUDENT_DIR / f"{name}.ipynb"), str(zip_path), quiet=True)
    summary = student.summary()
    assert student.total == 0, summary
    assert "not done yet" in summary
    assert "ran into a problem it did not expect" not in summary


# ----------------------------------------------------------------------------------------
# Wiring
# ----------------------------------------------------------------------------------------

def test_make_exercises_target_runs_the_build_script():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^exercises:", makefile, re.M)
    assert "notebooks/src/make_exercises.py" in makefile


def test_otter_grader_is_in_the_test_extra():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert any(r.startswith("otter-grader") for r in extras["test"])
