"""Keep every text notebook (notebooks/src/**/*.md, MyST Markdown) and its .ipynb in sync.

    python notebooks/src/notebook_pairs.py          # `make sync`: jupytext --sync every pair,
                                                     # then clear the .ipynb files' outputs
    python notebooks/src/notebook_pairs.py --check  # exit 1 if a pair differs (no writes)

The pairing is jupytext's, from jupytext.toml at the repository root:
notebooks/NN_topic.ipynb <-> notebooks/src/NN_topic.md and
notebooks/exercises/instructor/NAME.ipynb <-> notebooks/src/exercises/instructor/NAME.md.
`jupytext --sync` copies the inputs of whichever file of a pair was saved last into the other;
JupyterLab's jupytext extension does the same on every save. The student versions of the
exercises are written by otter assign (notebooks/src/make_exercises.py) and are not paired.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat
from jupytext.cli import jupytext as jupytext_cli
from jupytext.config import load_jupytext_config

ROOT = Path(__file__).resolve().parents[2]
TEXT_FORMAT = "md:myst"
UNPAIRED = ("exercises/student",)  # under notebooks/: otter's output, no text notebook


def text_path(ipynb: Path, root: Path = ROOT) -> Path:
    """notebooks/X.ipynb -> notebooks/src/X.md"""
    rel = ipynb.relative_to(root / "notebooks")
    return root / "notebooks" / "src" / rel.with_suffix(".md")


def notebook_path(md: Path, root: Path = ROOT) -> Path:
    """notebooks/src/X.md -> notebooks/X.ipynb"""
    rel = md.relative_to(root / "notebooks" / "src")
    return root / "notebooks" / rel.with_suffix(".ipynb")


def paired_notebooks(root: Path = ROOT) -> list[Path]:
    """Every .ipynb under notebooks/ that must have a text notebook (not the students' ones)."""
    folder = root / "notebooks"
    return sorted(p for p in folder.rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts
                  and not p.relative_to(folder).as_posix().startswith(UNPAIRED))


def text_notebooks(root: Path = ROOT) -> list[Path]:
    return sorted((root / "notebooks" / "src").rglob("*.md"))


def _cells(nb) -> list[tuple]:
    return [(c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]


def differences(md: Path, ipynb: Path) -> list[str]:
    """Why the pair (md, ipynb) is out of sync; [] when jupytext would write exactly `md` from
    `ipynb` and reading `md` gives the cells of `ipynb` (types, sources, tags and metadata)."""
    for path in (md, ipynb):
        if not path.exists():
            return [f"{path} is missing"]
    config = load_jupytext_config(str(md.parent))
    notebook = nbformat.read(ipynb, as_version=4)
    text = md.read_text(encoding="utf-8")
    problems = []
    if jupytext.writes(notebook, fmt=TEXT_FORMAT, config=config) != text:
        problems.append(f"{md.name} is not the text of {ipynb.name}")
    ours, theirs = _cells(jupytext.read(md, fmt=TEXT_FORMAT, config=config)), _cells(notebook)
    if ours != theirs:
        first = next((k for k, (a, b) in enumerate(zip(ours, theirs)) if a != b),
                     min(len(ours), len(theirs)))
        problems.append(f"their cells differ from cell {first + 1} on "
                        f"({len(ours)} cells in the .md, {len(theirs)} in the .ipynb)")
    return problems


def stale_pairs(root: Path = ROOT) -> list[str]:
    """Every problem with the pairs under `root`: unpaired files and pairs that differ."""
    mds = set(text_notebooks(root))
    problems = [f"{p.relative_to(root)} has no text notebook {text_path(p, root).relative_to(root)}"
                for p in paired_notebooks(root) if text_path(p, root) not in mds]
    for md in sorted(mds):
        ipynb = notebook_path(md, root)
        problems += [f"{md.relative_to(root)} <-> {ipynb.relative_to(root)}: {d}"
                     for d in differences(md, ipynb)]
    return problems


def clear_outputs(ipynb: Path) -> bool:
    """Remove outputs and execution counts (notebooks are committed without them)."""
    nb = nbformat.read(ipynb, as_version=4)
    dirty = [c for c in nb.cells if c.cell_type == "code" and (c.outputs or c.execution_count)]
    for cell in dirty:
        cell.outputs, cell.execution_count = [], None
    if dirty:
        jupytext.write(nb, ipynb, fmt="ipynb")
    return bool(dirty)


def sync(root: Path = ROOT) -> None:
    """jupytext --sync every pair (the newer file of each pair wins), creating missing text
    notebooks, then clear the notebooks' outputs."""
    paths = sorted(set(text_notebooks(root)) | {text_path(p, root) for p in paired_notebooks(root)
                                                 if not text_path(p, root).exists()})
    sources = [str(p if p.exists() else notebook_path(p, root)) for p in paths]
    if sources:
        jupytext_cli(["--sync", "--quiet", *sources])
    for md in text_notebooks(root):
        if clear_outputs(notebook_path(md, root)):
            print(f"cleared the outputs of {notebook_path(md, root).relative_to(root)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a pair differs")
    args = parser.parse_args(argv)
    if not args.check:
        sync()
    problems = stale_pairs()
    for p in problems:
        print(f"out of sync: {p}", file=sys.stderr)
    if problems and args.check:
        print("sync them: make sync (the file saved last wins)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
