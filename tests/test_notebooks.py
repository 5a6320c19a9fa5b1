"""Every notebook runs top to bottom, headless, in this venv's kernel; 00_start_here links them all.

- Each notebook under notebooks/ (recursively, exercises included, .ipynb_checkpoints excluded) is
  executed with nbclient in a python3 kernel that is this venv's python, with the notebook's own
  folder as working directory and MPLBACKEND=Agg, within NOTEBOOK_TIMEOUT_S for the whole
  notebook. An error in any cell fails the test, naming the notebook, the cell and its source;
  so does a traceback printed to stderr or an error message shown inside a widget.
  Cells tagged `raises-exception` may raise; cells tagged `skip-execution` are not run.
- Run times are printed and written to test-artifacts/notebook_times.json (git-ignored).
- The committed 00_start_here.ipynb links every notebook there is (its course map is written by
  hand in notebooks/src/00_start_here.md: add a line there when you add a notebook), and the
  instructor index, docs/instructor/README.md, lists every answer file and solution notebook.

That committed notebooks carry no outputs is checked in tests/test_repo_hygiene.py.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

ROOT = Path(__file__).resolve().parent.parent
# GRADLAB_NOTEBOOKS points the execution test at another folder (to test the test itself).
NOTEBOOKS = Path(os.environ.get("GRADLAB_NOTEBOOKS", ROOT / "notebooks")).resolve()
START_HERE = ROOT / "notebooks" / "00_start_here.ipynb"
INSTRUCTOR = ROOT / "docs" / "instructor"
ARTIFACTS = ROOT / "test-artifacts"
NOTEBOOK_TIMEOUT_S = 180  # a whole notebook; students' notebooks should need well under a minute

ANSI = re.compile(r"\x1b\[[0-9;]*m")
WIDGET_ERROR = re.compile(r">\s*Error( while drawing)?:\s*<")


def find_notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _rel(path: Path) -> str:
    return path.relative_to(NOTEBOOKS).as_posix()


@pytest.fixture(scope="module")
def venv_kernel():
    """A python3 kernel spec that runs *this* interpreter, found before any other on the path.

    A user-level or system kernel spec named python3 could point at a Python without gradlab;
    JUPYTER_PATH comes first in the kernel-spec search, so this one wins.
    """
    with tempfile.TemporaryDirectory(prefix="gradlab-kernel-") as tmp:
        spec = Path(tmp) / "kernels" / "python3"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (gradlab venv)",
            "language": "python",
        }))
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [tmp, old]))
        try:
            yield "python3"
        finally:
            if old is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = old


@pytest.fixture(scope="module")
def times():
    record: dict[str, float] = {}
    yield record
    if record:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / "notebook_times.json"
        path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")


def execute(nb, kernel_name: str, cwd: Path, timeout_s: float = NOTEBOOK_TIMEOUT_S):
    """Run all cells of `nb` in place; its cells together must finish within timeout_s
    (counted from the first cell, so a slow kernel start does not count)."""
    deadline: list[float] = []

    def remaining(cell) -> int:
        if not deadline:
            deadline.append(time.monotonic() + timeout_s)
        return max(1, round(deadline[0] - time.monotonic()))

    client = NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout_func=remaining,
        allow_errors=False,
        resources={"metadata": {"path": str(cwd)}},
    )
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("JPY_PARENT_PID", None)
    client.execute(env=env, cwd=str(cwd))
    return nb


def _cell_label(nb, index: int) -> str:
    cell = nb.cells[index]
    source = cell.source if len(cell.source) < 1200 else cell.source[:1200] + "\n..."
    return (f"cell {index + 1} of {len(nb.cells)} (counting Markdown cells, from 1)\n"
            f"--- source ---\n{source}\n--------------")


def _error_cell(nb) -> int | None:
    for k, cell in enumerate(nb.cells):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])) and (
            "raises-exception" not in cell.get("metadata", {}).get("tags", [])
        ):
            return k
    return None


def _problems_after_run(nb) -> list[str]:
    """Tracebacks printed to stderr, and error messages inside widgets (which do not raise)."""
    problems = []
    for k, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = ANSI.sub("", out.get("text", ""))
                if "Traceback (most recent call last)" in text:
                    problems.append(f"{_cell_label(nb, k)}\nprinted a traceback:\n{text[-1500:]}")
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    for model in state.get("state", {}).values():
        value = model.get("state", {}).get("value")
        if isinstance(value, str) and WIDGET_ERROR.search(value):
            problems.append(f"a widget shows an error message: {ANSI.sub('', value)[:500]}")
    return problems


@pytest.mark.parametrize("path", find_notebooks(NOTEBOOKS), ids=_rel)
def test_notebook_runs_top_to_bottom(path: Path, venv_kernel, times, capsys) -> None:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    failure = None
    try:
        execute(nb, venv_kernel, cwd=path.parent)
    except CellTimeoutError:
        failure = (f"{_rel(path)}: did not finish within {NOTEBOOK_TIMEOUT_S} s "
                   f"(stopped in {_running_cell(nb)})")
    except CellExecutionError as exc:
        k = _error_cell(nb)
        where = _cell_label(nb, k) if k is not None else "a cell"
        failure = f"{_rel(path)}: {where}\nraised:\n{ANSI.sub('', str(exc))[-3000:]}"
    if failure:
        pytest.fail(failure, pytrace=False)
    elapsed = time.perf_counter() - start
    times[_rel(path)] = round(elapsed, 2)
    with capsys.disabled():
        print(f"\n  notebook {_rel(path)}: {elapsed:.1f} s")
    problems = _problems_after_run(nb)
    assert not problems, f"{_rel(path)}:\n" + "\n\n".join(problems)


def _running_cell(nb) -> str:
    executed = [k for k, c in enumerate(nb.cells)
                if c.cell_type == "code" and c.get("execution_count") is not None]
    k = executed[-1] if executed else 0
    first = nb.cells[k].source.splitlines()[0][:80] if nb.cells[k].source else ""
    return f"cell {k + 1} of {len(nb.cells)}: {first}"


def test_kernel_is_this_venv(venv_kernel, tmp_path) -> None:
    """The notebooks' kernel is the Python running the tests (so it has this gradlab)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys, gradlab; print(sys.prefix); print(gradlab.__file__)")])
    execute(nb, venv_kernel, cwd=tmp_path, timeout_s=60)
    prefix, module = nb.cells[0].outputs[0]["text"].split()
    assert Path(prefix).resolve() == Path(sys.prefix).resolve()
    import gradlab

    assert Path(module).resolve() == Path(gradlab.__file__).resolve()


def test_a_failing_cell_is_reported_with_its_source(venv_kernel, tmp_path) -> None:
    """The check itself: an error in a cell raises, and the cell can be named."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("raise ValueError('deliberate')"),
        nbformat.v4.new_code_cell("print('never')"),
    ])
    with pytest.raises(CellExecutionError, match="deliberate"):
        execute(nb, venv_kernel, cwd=tmp_path, timeout_s=60)
    assert _error_cell(nb) == 1
    nb2 = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import traceback\ntry:\n    1/0\nexcept Exception:\n    traceback.print_exc()")])
    execute(nb2, venv_kernel, cwd=tmp_path, timeout_s=60)
    assert _problems_after_run(nb2), "a traceback printed to stderr must count as a failure"



def test_the_timeout_is_for_the_whole_notebook(venv_kernel, tmp_path) -> None:
    """Two cells of 3 s each exceed a 5 s notebook budget though each cell fits in it."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import time; time.sleep(3)"),
                                         nbformat.v4.new_code_cell("time.sleep(3)")])
    with pytest.raises(CellTimeoutError):
        execute(nb, venv_kernel, cwd=tmp_path, timeout_s=5)
    assert nb.cells[0].outputs == [] and nb.cells[0].execution_count == 1  # the first cell ran

# --- the course map and the instructor guide ---------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+\.ipynb)\)")


SOLUTION_DIRS = {"instructor", "solutions"}  # notebooks/exercises/<these>/: instructor versions


def course_notebooks() -> list[Path]:
    folder = ROOT / "notebooks"
    return [p for p in find_notebooks(folder) if p != START_HERE]


def is_solution(path: Path) -> bool:
    parts = path.relative_to(ROOT / "notebooks").parts
    return len(parts) > 2 and parts[0] == "exercises" and parts[1] in SOLUTION_DIRS


def test_start_here_links_every_notebook() -> None:
    """Every notebook but the instructor versions of exercises (those are in the guide)."""
    assert START_HERE.exists(), "notebooks/00_start_here.ipynb is missing"
    nb = nbformat.read(START_HERE, as_version=4)
    links = {m for c in nb.cells if c.cell_type == "markdown" for m in LINK.findall(c.source)}
    folder = START_HERE.parent
    expected = {p.relative_to(folder).as_posix() for p in course_notebooks()
                if not is_solution(p)}
    regenerate = ("edit the course map in notebooks/src/00_start_here.md (one line per notebook), "
                  "then make sync")
    missing = sorted(expected - links)
    assert not missing, f"00_start_here.ipynb does not link {missing}; {regenerate}"
    dead = sorted(link for link in links if not (folder / link).exists())
    assert not dead, f"00_start_here.ipynb links notebooks that do not exist: {dead}; {regenerate}"
    solutions = sorted(link for link in links if is_solution(folder / link))
    assert not solutions, f"00_start_here.ipynb (for students) links solutions: {solutions}"


def test_instructor_index_links_every_solution_notebook() -> None:
    index = (INSTRUCTOR / "README.md").read_text()
    linked = set(re.findall(r"\]\(\.\./\.\./notebooks/([^)\s]+\.ipynb)\)", index))
    solutions = {p.relative_to(ROOT / "notebooks").as_posix() for p in course_notebooks()
                 if is_solution(p)}
    missing = sorted(solutions - linked)
    assert not missing, f"docs/instructor/README.md does not link {missing}: add them there"


def test_every_numbered_notebook_has_instructor_answers() -> None:
    missing = [p.name for p in [START_HERE, *course_notebooks()]
               if p.parent == START_HERE.parent and re.match(r"\d\d_", p.name)
               and not (INSTRUCTOR / f"{p.stem}.md").exists()]
    assert not missing, (
        f"no instructor answers for {missing}: write docs/instructor/<notebook name>.md "
        "(short answers to the notebook's closing questions)"
    )


def test_instructor_index_lists_every_answer_file() -> None:
    index = (INSTRUCTOR / "README.md").read_text()
    linked = set(re.findall(r"\]\(([^)\s/]+\.md)\)", index))
    files = {p.name for p in INSTRUCTOR.glob("*.md") if p.name != "README.md"}
    assert files <= linked, (
        f"docs/instructor/README.md does not link {sorted(files - linked)}: add them there")


@pytest.mark.parametrize(
    "path", [p for p in find_notebooks(ROOT / "notebooks") if re.match(r"\d\d_", p.name)
             and p.parent == ROOT / "notebooks"], ids=lambda p: p.name)
def test_notebook_opens_with_a_heading_and_ends_with_markdown(path: Path) -> None:
    """First cell: what the student will learn (Markdown with a heading); last cell: questions."""
    cells = nbformat.read(path, as_version=4).cells
    assert cells, f"{path.name} is empty"
    assert cells[0].cell_type == "markdown" and re.search(r"^\s*#", cells[0].source, re.M), (
        f"{path.name}: the first cell must be Markdown with a heading (what the student learns)"
    )
    assert cells[-1].cell_type == "markdown", (
        f"{path.name}: the last cell must be Markdown (questions to think about)"
    )


# --- maths is written in LaTeX ($…$, $$…$$), typeset by MathJax ----------------------------------

# Unicode stand-ins for maths (Greek letters, sub/superscripts, primes, operators, accents). In
# these notebooks every formula must be LaTeX instead; the other notebooks still have some.
UNICODE_MATHS = re.compile(
    r"[α-ωΓ-Ω∂∇∑∏∫√∞≈≠≤≥∈∘⊙×⟨⟩‖′″⁰¹²³⁴⁵⁶⁷⁸⁹⁻ⁿᵀᵏ₀-₉₊₋ᵢⱼₖₙ½]|\w[\u0302\u0303\u0304\u0307]")
LATEX_NOTEBOOKS = ["[0-9][0-9]_*.ipynb", "exercises/instructor/*.ipynb",
                   "exercises/student/*.ipynb"]


def _prose(markdown: str) -> str:
    """Markdown without code (fenced blocks and `spans`) and without its LaTeX maths."""
    text = re.sub(r"```.*?```", "", markdown, flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
    return re.sub(r"\$[^$\n]+\$", "", text)


def unicode_maths(nb) -> list[str]:
    """Lines of Markdown cells with Unicode maths outside LaTeX, and lines with a lone `$`."""
    found = []
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for line in _prose(cell.source).splitlines():
            if UNICODE_MATHS.search(line) or "$" in line:
                found.append(f"cell {k + 1}: {line.strip()}")
    return found


def test_unicode_maths_is_found():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "LaTeX $\\nabla f \\cdot v$ and `x² in code` pass;\n"
        "this ∇f·v does not;\na lone $ neither")])
    assert [line.split(": ", 1)[1] for line in unicode_maths(nb)] == [
        "this ∇f·v does not;", "a lone $ neither"]


@pytest.mark.parametrize(
    "path", sorted({p for pattern in LATEX_NOTEBOOKS for p in (ROOT / "notebooks").glob(pattern)}),
    ids=lambda p: p.relative_to(ROOT / "notebooks").as_posix())
def test_markdown_maths_is_latex(path: Path) -> None:
    found = unicode_maths(nbformat.read(path, as_version=4))
    assert not found, (f"{path.name}: write maths as LaTeX ($…$ inline, $$…$$ displayed; MathJax "
                       "typesets it), not Unicode, and keep each inline $…$ on one line:\n"
                       + "\n".join(found))
