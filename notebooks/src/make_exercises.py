"""Build the exercise notebooks: instructor sources, then otter's student and autograder versions.

    python notebooks/src/make_exercises.py                 # what `make exercises` runs
    python notebooks/src/make_exercises.py --no-run-tests  # skip grading the solutions
    python notebooks/src/make_exercises.py --check         # exit 1 if anything committed is stale

1. Writes notebooks/exercises/instructor/NN_name.ipynb from notebooks/src/exercise_notebooks.py
   (solutions and tests in otter-grader's format; edit the cells there, not in the .ipynb).
2. Runs `otter assign` on each source into build/exercises/NN_name/ (git-ignored):
   student/ (solutions replaced by `...`, hidden tests removed) and autograder/ (the solutions
   notebook and NN_name-autograder_<timestamp>.zip, with every test, hidden ones included).
   Unless --no-run-tests, otter grades the solutions notebook with that zip and stops on any
   failed test.
3. Copies each student version, without outputs, to notebooks/exercises/student/ (committed,
   so Binder users can open them).

--check rebuilds everything in a temporary folder (without running the tests) and compares with
the committed sources and student versions; tests/test_exercises.py calls the same functions.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbbuild
import nbformat

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from exercise_notebooks import (  # noqa: E402
    EXERCISES,
    STUDENT_LINK,
    assignment_config,
    question_cells,
)

EXERCISE_DIR = ROOT / "notebooks" / "exercises"
INSTRUCTOR_DIR = EXERCISE_DIR / "instructor"
STUDENT_DIR = EXERCISE_DIR / "student"
BUILD_DIR = ROOT / "build" / "exercises"
CHECK_TAG = "gradlab-check"
INSTRUCTOR_TAG = "instructor-only"


# ----------------------------------------------------------------------------------------
# 1. Instructor sources
# ----------------------------------------------------------------------------------------

def build_source(name: str) -> nbformat.NotebookNode:
    """The instructor source notebook for exercise `name`, in otter's format."""
    v4 = nbformat.v4
    spec = EXERCISES[name]
    flat = [("raw", assignment_config(f"gradlab_{name}"))]
    for k, (kind, content) in enumerate(spec):
        if kind == "question":
            flat += question_cells(content)
        else:
            flat.append((kind, content))
        if k == 0:  # after the title: where students go
            flat.append(("instructor", STUDENT_LINK.format(name=name)))
    cells = []
    for k, (kind, source) in enumerate(flat):
        if kind in ("md", "instructor"):
            cell = v4.new_markdown_cell(source)
        elif kind == "raw":
            cell = v4.new_raw_cell(source)
        else:
            cell = v4.new_code_cell(source)
        if kind == "check":
            cell.metadata["tags"] = [CHECK_TAG]
        if kind == "instructor":
            cell.metadata["tags"] = [INSTRUCTOR_TAG]
        cell.id = f"ex{name[:2]}-{k:03d}"  # stable ids: regenerating changes only what changed
        cells.append(cell)
    return nbbuild.new_notebook(cells)


def source_text(name: str) -> str:
    return nbformat.writes(build_source(name)) + "\n"


# ----------------------------------------------------------------------------------------
# 2. otter assign
# ----------------------------------------------------------------------------------------

@contextlib.contextmanager
def venv_kernel():
    """A python3 kernel spec running this interpreter, first on the kernel search path."""
    with tempfile.TemporaryDirectory(prefix="gradlab-kernel-") as tmp:
        spec = Path(tmp) / "kernels" / "python3"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (gradlab)", "language": "python"}))
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [tmp, old]))
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = old


def assign(source: Path, out: Path, run_tests: bool = True, quiet: bool = True) -> Path:
    """Run `otter assign` on one source notebook into `out` (replaced); return `out`.

    With run_tests, otter grades the solutions notebook with the autograder it built and raises
    RuntimeError if any test (public or hidden) fails.
    """
    from otter.assign import main as otter_assign

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    sink = io.StringIO()
    with venv_kernel(), contextlib.redirect_stdout(sink if quiet else sys.stdout), \
            contextlib.redirect_stderr(sink if quiet else sys.stderr):
        try:
            otter_assign(str(source), str(out), no_pdfs=True, no_run_tests=not run_tests)
        except Exception:
            sys.__stderr__.write(sink.getvalue()[-4000:])
            raise
    return out


def autograder_zip(out: Path) -> Path:
    """The autograder zip otter wrote into `out`/autograder."""
    zips = sorted((out / "autograder").glob("*-autograder_*.zip"))
    if not zips:
        raise FileNotFoundError(f"no autograder zip in {out / 'autograder'}")
    return zips[-1]


def student_notebook(out: Path, name: str) -> nbformat.NotebookNode:
    """otter's student version, without instructor-only cells and without outputs."""
    nb = nbformat.read(out / "student" / f"{name}.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if INSTRUCTOR_TAG not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def student_text(out: Path, name: str) -> str:
    return nbformat.writes(student_notebook(out, name)) + "\n"


# ----------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------

def write_sources(names) -> list[str]:
    changed = []
    INSTRUCTOR_DIR.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = INSTRUCTOR_DIR / f"{name}.ipynb"
        text = source_text(name)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            changed.append(name)
    return changed


def stale(names, build_dir: Path) -> list[str]:
    """What is out of date: sources vs the generator, student versions vs otter assign."""
    problems = []
    for name in names:
        path = INSTRUCTOR_DIR / f"{name}.ipynb"
        if not path.exists() or path.read_text() != source_text(name):
            problems.append(f"{path.relative_to(ROOT)} differs from notebooks/src/"
                            "exercise_notebooks.py")
            continue
        out = assign(path, build_dir / name, run_tests=False)
        student = STUDENT_DIR / f"{name}.ipynb"
        if not student.exists() or student.read_text() != student_text(out, name):
            problems.append(f"{student.relative_to(ROOT)} differs from otter assign's student "
                            "version")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a committed source or student version is out of date")
    parser.add_argument("--no-run-tests", action="store_true",
                        help="do not grade the solutions with the autograder")
    parser.add_argument("--out", type=Path, default=BUILD_DIR,
                        help="where otter's output goes (default build/exercises)")
    parser.add_argument("names", nargs="*", help="exercises to build (default: all)")
    args = parser.parse_args(argv)
    names = args.names or list(EXERCISES)
    unknown = [n for n in names if n not in EXERCISES]
    if unknown:
        parser.error(f"unknown exercise(s) {unknown}; choose from {list(EXERCISES)}")
    if args.check:
        with tempfile.TemporaryDirectory(prefix="gradlab-exercises-") as tmp:
            problems = stale(names, Path(tmp))
        for p in problems:
            print(f"out of date: {p}", file=sys.stderr)
        if problems:
            print("regenerate: make exercises", file=sys.stderr)
        return 1 if problems else 0
    for name in write_sources(names):
        print(f"wrote notebooks/exercises/instructor/{name}.ipynb")
    STUDENT_DIR.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = INSTRUCTOR_DIR / f"{name}.ipynb"
        what = "assign" if args.no_run_tests else "assign + grade the solutions"
        print(f"{name}: otter {what} ...", flush=True)
        out = assign(source, args.out / name, run_tests=not args.no_run_tests)
        student = STUDENT_DIR / f"{name}.ipynb"
        text = student_text(out, name)
        if not student.exists() or student.read_text() != text:
            student.write_text(text)
            print(f"  wrote {student.relative_to(ROOT)}")
        zip_path = autograder_zip(out)
        shown = zip_path.relative_to(ROOT) if zip_path.is_relative_to(ROOT) else zip_path
        print(f"  autograder: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
