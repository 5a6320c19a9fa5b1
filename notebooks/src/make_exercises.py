"""Build the exercises' student and autograder versions from the instructor notebooks.

    python notebooks/src/make_exercises.py                 # what `make exercises` runs
    python notebooks/src/make_exercises.py --no-run-tests  # skip grading the solutions
    python notebooks/src/make_exercises.py --check         # exit 1 if anything committed is stale

1. Syncs every text notebook with its .ipynb (notebook_pairs.py, `make sync`): the instructor
   notebooks are authored in notebooks/src/exercises/instructor/NN_name.md (MyST Markdown,
   paired by jupytext with notebooks/exercises/instructor/NN_name.ipynb), with solutions and
   tests in otter-grader's format (raw cells `# BEGIN QUESTION` ... `# END QUESTION`).
2. Runs `otter assign` on each instructor .ipynb into build/exercises/NN_name/ (git-ignored):
   student/ (solutions replaced by `...`, hidden tests removed) and autograder/ (the solutions
   notebook and NN_name-autograder_<timestamp>.zip, with every test, hidden ones included).
   Unless --no-run-tests, otter grades the solutions notebook with that zip and stops on any
   failed test.
3. Copies each student version, without outputs and without the cells tagged `instructor-only`,
   to notebooks/exercises/student/ (committed, so Binder users can open them).

--check rebuilds the student versions in a temporary folder (without running the tests) and
compares them with the committed ones, after checking the instructor pairs are in sync;
tests/test_exercises.py calls the same functions.
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

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))

import notebook_pairs  # noqa: E402

ROOT = notebook_pairs.ROOT

EXERCISE_DIR = ROOT / "notebooks" / "exercises"
INSTRUCTOR_DIR = EXERCISE_DIR / "instructor"
STUDENT_DIR = EXERCISE_DIR / "student"
BUILD_DIR = ROOT / "build" / "exercises"
CHECK_TAG = "gradlab-check"
INSTRUCTOR_TAG = "instructor-only"
EXERCISES = sorted(p.stem for p in (ROOT / "notebooks" / "src" / "exercises" / "instructor")
                   .glob("*.md"))  # the exercises' names, NN_name


# ----------------------------------------------------------------------------------------
# otter assign
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

def stale(names, build_dir: Path) -> list[str]:
    """What is out of date: instructor pairs vs their text notebooks, student versions vs
    otter assign."""
    problems = []
    for name in names:
        path = INSTRUCTOR_DIR / f"{name}.ipynb"
        differences = notebook_pairs.differences(notebook_pairs.text_path(path), path)
        if differences:
            problems += [f"{path.relative_to(ROOT)}: {d} (make sync)" for d in differences]
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
    notebook_pairs.sync()
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
