"""What every notebook generator shares: cells → an nbformat v4 notebook without outputs, and
writing it (or, with --check, failing if the committed notebook is out of date)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]


def build(cells, id_prefix):
    """A notebook from [("md" | "code", source), ...], with stable cell ids `id_prefix-NN`."""
    v4 = nbformat.v4
    nb_cells = []
    for k, (kind, source) in enumerate(cells):
        cell = v4.new_markdown_cell(source) if kind == "md" else v4.new_code_cell(source)
        cell.id = f"{id_prefix}-{k:02d}"  # stable ids: regenerating changes only what changed
        nb_cells.append(cell)
    return new_notebook(nb_cells)


def new_notebook(cells):
    """An nbformat v4 notebook of `cells` for the Python 3 kernel (the metadata every
    generated notebook shares)."""
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                       "language": "python"},
        "language_info": {"name": "python"},
    }
    return nb


def write_or_check(target, nb, argv=None, description=None, script=None):
    """Write `nb` to `target`; with --check in argv, return 1 (and write nothing) if stale."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="exit 1 if the notebook is stale")
    args = parser.parse_args(argv)
    text = nbformat.writes(nb) + "\n"
    old = target.read_text() if target.exists() else None
    if old == text:
        return 0
    if args.check:
        print(f"out of date: {target.relative_to(ROOT)}; run {script or 'its generator'}",
              file=sys.stderr)
        return 1
    target.write_text(text)
    print(f"wrote {target.relative_to(ROOT)}")
    return 0
