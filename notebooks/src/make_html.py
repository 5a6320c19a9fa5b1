"""Static HTML copies of the notebooks, executed, for reading without a kernel: `make html`.

    python notebooks/src/make_html.py                    # every page -> build/html/
    python notebooks/src/make_html.py 01_forward_mode    # some of them (names or paths)
    python notebooks/src/make_html.py --out DIR ...

One page per course notebook (notebooks/NN_topic.ipynb -> build/html/NN_topic.html) and per
student exercise (-> build/html/exercises/student/NN_name.html). Each notebook is executed in a
copy (the committed one keeps no outputs) with this Python as its kernel, from its own folder,
then converted by nbconvert's `lab` HTML template: figures are embedded PNGs, Markdown maths
($…$, $$…$$) is typeset by MathJax in the reader's browser (loaded from nbconvert's default
CDN, so maths needs the network; the rest of a page does not), widgets are shown as saved in
the notebook's widget state. Links between notebooks point to the pages instead.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_exercises import venv_kernel  # noqa: E402
from notebook_pairs import ROOT  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "build" / "html"
TIMEOUT_S = 300  # per cell
LOCAL_LINK = re.compile(r'href="(?![a-z]+:|#|/)([^"#?]+)\.ipynb(#[^"]*)?"')


def pages() -> list[Path]:
    """The notebooks that get a page: the course notebooks and the students' exercises."""
    found = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    return found + sorted((NOTEBOOKS / "exercises" / "student").glob("*.ipynb"))


def execute(path: Path) -> nbformat.NotebookNode:
    """Run a copy of the notebook top to bottom (figures inline, as in JupyterLab)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=TIMEOUT_S, allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "JPY_PARENT_PID")}
    client.execute(env=env, cwd=str(path.parent))
    return nb


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return LOCAL_LINK.sub(lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', body)


def build(paths: list[Path], out: Path = OUT) -> list[Path]:
    written = []
    with venv_kernel():
        for path in paths:
            start = time.perf_counter()
            target = out / path.relative_to(NOTEBOOKS).with_suffix(".html")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(to_html(execute(path), path.stem), encoding="utf-8")
            shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
            print(f"wrote {shown} ({time.perf_counter() - start:.1f} s)", flush=True)
            written.append(target)
    return written


def _resolve(name: str) -> Path:
    known = {p.stem: p for p in pages()}
    path = Path(name)
    if path.suffix == ".ipynb" and path.exists():
        return path.resolve()
    if name in known:
        return known[name]
    raise SystemExit(f"make_html.py: unknown notebook {name!r}; choose from {sorted(known)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="default build/html")
    parser.add_argument("names", nargs="*", help="notebooks (stems or .ipynb paths; default all)")
    args = parser.parse_args(argv)
    paths = [_resolve(n) for n in args.names] or pages()
    build(paths, args.out.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
