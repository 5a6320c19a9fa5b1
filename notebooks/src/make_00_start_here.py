"""Build notebooks/00_start_here.ipynb and docs/instructor/README.md from the notebooks present.

    python notebooks/src/make_00_start_here.py           # rewrite both files
    python notebooks/src/make_00_start_here.py --check   # exit 1 if either is out of date
    python notebooks/src/make_00_start_here.py --tracked-only  # ignore notebooks not in git yet

Re-run it whenever a notebook is added, renamed or retitled: the course map lists every notebook in
notebooks/ and notebooks/exercises/, each with its first heading as the link text and the first
sentence after that heading as its one line. Instructor versions of exercises
(notebooks/exercises/instructor/) are listed in the instructor guide instead of the course map.
tests/test_notebooks.py checks that the committed 00 notebook links every other notebook.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import nbbuild
import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
TARGET = NOTEBOOKS / "00_start_here.ipynb"
INSTRUCTOR = ROOT / "docs" / "instructor"
INSTRUCTOR_INDEX = INSTRUCTOR / "README.md"
EXERCISES = "exercises"
SOLUTION_DIRS = {"instructor", "solutions"}
ABBREVIATIONS = {"al", "e.g", "i.e", "cf", "vs", "eq", "fig", "resp", "approx"}


def is_solution(path: Path) -> bool:
    """Instructor versions of exercises (notebooks/exercises/instructor/...): listed in the
    instructor guide, not in the students' course map."""
    parts = path.relative_to(NOTEBOOKS).parts
    return len(parts) > 2 and parts[0] == EXERCISES and parts[1] in SOLUTION_DIRS


def course_notebooks(tracked_only: bool = False) -> list[Path]:
    """Every notebook of the course except this one: numbered ones first, then exercises
    (solutions included; `is_solution` tells them apart).

    tracked_only: only those git already tracks (to commit a map while others are still
    writing theirs)."""
    top = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if p != TARGET)
    exercises = sorted(
        p for p in (NOTEBOOKS / EXERCISES).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
    )
    found = top + exercises
    if tracked_only:
        listed = subprocess.run(["git", "ls-files", "-z", "--", "notebooks"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
        tracked = {ROOT / p for p in listed.split("\0") if p}
        found = [p for p in found if p in tracked]
    return found


def _plain(text: str) -> str:
    """Markdown inline text without links, emphasis and code marks, on one line."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*`$]+", "", text)
    text = re.sub(r"(?<!\w)_(.+?)_(?!\w)", r"\1", text)  # _emphasis_, not T_B
    return " ".join(text.split())


def _first_sentence(text: str, limit: int = 240) -> str:
    sentence = text
    for match in re.finditer(r"[.!?](?=\s|$)", text):
        before = text[: match.start()].rsplit(None, 1)[-1].lstrip("(").lower()
        if before in ABBREVIATIONS or re.fullmatch(r"[a-z]", before):
            continue  # "et al.", "e.g.", an initial
        sentence = text[: match.end()]
        break
    if len(sentence) > limit:
        sentence = sentence[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return sentence


def title_and_line(path: Path) -> tuple[str, str]:
    """The notebook's first Markdown heading and the first sentence that follows it."""
    nb = nbformat.read(path, as_version=4)
    title, paragraphs = None, []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        if title is None:
            for k, line in enumerate(lines):
                if line.lstrip().startswith("#"):
                    title = _plain(line.lstrip().lstrip("#"))
                    lines = lines[k + 1:]
                    break
            else:
                continue
        block: list[str] = []
        for line in lines + [""]:
            stripped = line.strip()
            if stripped.startswith("#") or not stripped:
                if block:
                    paragraphs.append(block)
                    block = []
                continue
            block.append(stripped)
        if paragraphs:
            break
    if title is None:
        title = path.stem
    line = ""
    if paragraphs:
        first = paragraphs[0]
        bullets = [b for b in first[1:] if re.match(r"[-*+] |\d+[.)] ", b)]
        line = _plain(first[0] if bullets or len(first) == 1 else " ".join(first))
        if line.endswith(":") and bullets:  # "You will learn:" followed by a list
            items = [_plain(re.sub(r"^([-*+]|\d+[.)]) ", "", b)).rstrip(".;,") for b in bullets]
            line = f"{line} {'; '.join(items[:3])}."
        line = _first_sentence(line)
    return title, line


def _link_lines(paths: list[Path]) -> list[str]:
    lines = []
    for path in paths:
        title, line = title_and_line(path)
        rel = path.relative_to(NOTEBOOKS).as_posix()
        lines.append(f"- [{title}]({rel})" + (f" — {line}" if line else ""))
    return lines


INTRO = """\
# Start here: how gradients are computed, from scratch

**gradlab** is a small Python package, written on NumPy for teaching, that computes derivatives the
way real automatic-differentiation (AD) libraries do — and these notebooks open it up.
In this notebook you will:

- see what gradlab is and what the course covers;
- learn how to run the notebooks and use their interactive widgets;
- check that your setup works (one derivative, three ways);
- find the notebook you need in the course map below."""

WHAT = """\
## What gradlab is

- **Forward-mode AD** (`gradlab.jvp`): push a *tangent* through a function alongside its value,
  like dual numbers. One pass gives one directional derivative (a Jacobian-vector product).
- **Reverse-mode AD** (`gradlab.vjp`, `gradlab.grad`): record the computation on a *tape*, then
  sweep it backwards accumulating *adjoints*. One pass gives a whole gradient — this is
  backpropagation.
- **Primitives** (`gradlab.numpy`, imported as `gnp`): NumPy functions whose value, forward rule
  and reverse rule sit side by side, so you can read exactly how each derivative is formed.
- **Gradient estimators**: what to do when you cannot (or do not want to) backpropagate — finite
  differences, forward gradients and friends — built on the same core.

Every number the course shows is checked against an independent library
([HIPS autograd](https://github.com/HIPS/autograd)) and against finite differences in the
test suite."""

HOW = """\
## How to use these notebooks

- Run a cell with **Shift+Enter**; run a whole notebook with **Run → Run All Cells**. Run the
  cells in order: later cells use what earlier ones defined.
- **Widgets** are the sliders, dropdowns and plots that appear under some cells. Moving a control
  that only changes the view redraws at once; a widget that must recompute something slow has a
  **Run** button and a progress bar. An extreme setting shows what happens (for example a
  diverging run), never a crash.
- If something looks stuck, use **Kernel → Restart Kernel and Run All Cells**.
- On **Binder** your changes are not saved when the session ends: use **File → Download** to keep
  a notebook.
- The notebooks are numbered in the order we suggest; each starts with what you will learn and
  ends with a few questions to think about. Instructors find short answers in
  `docs/instructor/` in the repository."""

CHECK_MD = """\
## Check your setup

The cell below computes one derivative three ways: reverse mode, forward mode and a central
finite difference. All three should print the same digits as cos(1) (the finite difference
agrees to about ten digits — notebook 01 explains why not all of them)."""

CHECK_CODE = """\
import sys

import numpy as np

import gradlab
import gradlab.numpy as gnp

print("Python", sys.version.split()[0], "| NumPy", np.__version__, "| gradlab", gradlab.__version__)

x = 1.0
reverse = gradlab.grad(gnp.sin)(x)                   # sweep a tape backwards
_, forward = gradlab.jvp(gnp.sin, (x,), (1.0,))      # push a tangent forwards
h = 1e-6
central = (np.sin(x + h) - np.sin(x - h)) / (2 * h)  # no AD at all

print(f"reverse mode      {reverse:.15f}")
print(f"forward mode      {forward:.15f}")
print(f"central diff.     {central:.15f}")
print(f"cos(1), exactly   {np.cos(x):.15f}")"""

WIDGET_MD = """\
If you see a slider below (and not a line of text such as `FloatSlider(value=1.0, ...)`),
interactive widgets work in your browser. Drag it: nothing else happens, it is only a check."""

WIDGET_CODE = """\
import ipywidgets as widgets

widgets.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.1, description="drag me")"""

QUESTIONS = """\
## Questions to think about

1. A neural network maps a million parameters to one number, the loss. Would you rather push
   tangents forward (one input direction per pass) or pull adjoints backwards (one output per
   pass)? How many passes would each need for the full gradient?
2. A central finite difference needs nothing but the function. Why don't libraries compute
   every gradient that way?
3. In the setup check, forward and reverse mode printed exactly the same digits but the finite
   difference did not. What does that suggest about what AD computes?"""


def course_map(paths: list[Path]) -> str:
    top = [p for p in paths if p.parent == NOTEBOOKS]
    exercises = [p for p in paths if p.parent != NOTEBOOKS and not is_solution(p)]
    parts = ["## The course map",
             "The notebooks, in the suggested order. Click a title to open it."]
    parts.append("\n".join(_link_lines(top)) if top else "*(no notebooks yet)*")
    if exercises:
        parts.append("### Exercises")
        parts.append("Practice notebooks with checks that tell you what is wrong.")
        parts.append("\n".join(_link_lines(exercises)))
    return "\n\n".join(parts)


def build_notebook(paths: list[Path]) -> nbformat.NotebookNode:
    v4 = nbformat.v4
    cells = [
        v4.new_markdown_cell(INTRO),
        v4.new_markdown_cell(WHAT),
        v4.new_markdown_cell(HOW),
        v4.new_markdown_cell(CHECK_MD),
        v4.new_code_cell(CHECK_CODE),
        v4.new_markdown_cell(WIDGET_MD),
        v4.new_code_cell(WIDGET_CODE),
        v4.new_markdown_cell(course_map(paths)),
        v4.new_markdown_cell(QUESTIONS),
    ]
    for k, cell in enumerate(cells):  # stable ids: regenerating changes only what changed
        cell.id = f"start-here-{k:02d}"
    return nbbuild.new_notebook(cells)


def instructor_index(paths: list[Path]) -> str:
    lines = [
        "# Instructor guide",
        "",
        "Short answers to the questions that close each notebook, one file per notebook, written",
        "by the notebook's author. This index is generated by",
        "`notebooks/src/make_00_start_here.py` from the notebooks and answer files present; re-run",
        "it after adding either.",
        "",
        "| notebook | answers |",
        "| --- | --- |",
    ]
    for path in [TARGET] + [p for p in paths if p.parent == NOTEBOOKS]:
        rel = path.relative_to(NOTEBOOKS).as_posix()
        guide = INSTRUCTOR / f"{path.stem}.md"
        answers = f"[{guide.name}]({guide.name})" if guide.exists() else "*(not written yet)*"
        lines.append(f"| [{rel}](../../notebooks/{rel}) | {answers} |")
    solutions = [p for p in paths if is_solution(p)]
    if solutions:
        lines += ["", "## Exercise solutions", "",
                  "The instructor versions of the exercises (kept out of the students' course "
                  "map):",
                  ""]
        for path in solutions:
            title, _ = title_and_line(path)
            rel = path.relative_to(NOTEBOOKS).as_posix()
            lines.append(f"- [{title}](../../notebooks/{rel}) `{rel}`")
    notebook_stems = {p.stem for p in [TARGET] + paths if p.parent == NOTEBOOKS}
    extra = sorted(p for p in INSTRUCTOR.glob("*.md")
                   if p != INSTRUCTOR_INDEX and p.stem not in notebook_stems)
    if extra:
        lines += ["", "Other notes:", ""] + [f"- [{p.name}]({p.name})" for p in extra]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is out of date")
    parser.add_argument("--tracked-only", action="store_true",
                        help="list only the notebooks git tracks")
    args = parser.parse_args(argv)
    paths = course_notebooks(args.tracked_only)
    outputs = {
        TARGET: nbformat.writes(build_notebook(paths)) + "\n",
        INSTRUCTOR_INDEX: instructor_index(paths),
    }
    stale = []
    for path, text in outputs.items():
        old = path.read_text() if path.exists() else None
        if old == text:
            continue
        stale.append(path.relative_to(ROOT))
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if args.check and stale:
        print(f"out of date: {', '.join(map(str, stale))}; run {Path(__file__).name}",
              file=sys.stderr)
        return 1
    for path in stale:
        print(f"wrote {path}")
    print(f"{len(paths)} notebooks listed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
