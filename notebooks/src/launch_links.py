"""Write the Binder and JupyterLite launch links of README.md and 00_start_here from one setting.

    python notebooks/src/launch_links.py          # `make links`: rewrite both
    python notebooks/src/launch_links.py --check  # exit 1 if either is out of date

The setting is `[tool.gradlab] repository = "owner/name"` in pyproject.toml: the course's public
GitHub repository, set by whoever publishes the course (this repository does not know its public
path). From it:
- Binder:      https://mybinder.org/v2/gh/<owner>/<name>/HEAD?urlpath=lab/tree/notebooks/00_start_here.ipynb
- JupyterLite: https://<owner>.github.io/<name>/lab/index.html?path=00_start_here.ipynb (the
  site `make lite` builds, published on the repository's GitHub Pages), unless
  `[tool.gradlab] lite-url` names where the site is published instead.
While `repository` is empty, both places say so and how to set it, instead of a broken link.
The links sit between the markers `<!-- launch-links -->` and `<!-- /launch-links -->`.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))

import notebook_pairs  # noqa: E402

ROOT = notebook_pairs.ROOT
START = "<!-- launch-links -->"
END = "<!-- /launch-links -->"
BLOCK = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
LITE_BADGE = "https://jupyterlite.rtfd.io/en/latest/_static/badge.svg"


def settings(root: Path = ROOT) -> dict:
    """[tool.gradlab] of pyproject.toml, checked: {"repository": str, "lite-url": str}."""
    table = tomllib.loads((root / "pyproject.toml").read_text())["tool"].get("gradlab", {})
    repository = table.get("repository", "").strip()
    lite_url = table.get("lite-url", "").strip()
    if repository and not REPOSITORY.fullmatch(repository):
        raise ValueError(f"[tool.gradlab] repository = {repository!r} in pyproject.toml: expected "
                         "the GitHub path of the public repository, 'owner/name'")
    if lite_url and not lite_url.startswith("https://"):
        raise ValueError(f"[tool.gradlab] lite-url = {lite_url!r}: expected an https:// URL")
    return {"repository": repository, "lite-url": lite_url}


def urls(setting: dict) -> dict | None:
    """The Binder and JupyterLite URLs that open 00_start_here, or None when not published."""
    repository = setting["repository"]
    if not repository:
        return None
    owner, name = repository.split("/")
    lite = setting["lite-url"] or f"https://{owner.lower()}.github.io/{name}/"
    return {
        "binder": (f"https://mybinder.org/v2/gh/{repository}/HEAD"
                   "?urlpath=lab/tree/notebooks/00_start_here.ipynb"),
        "lite": lite.rstrip("/") + "/lab/index.html?path=00_start_here.ipynb",
    }


def block(setting: dict) -> str:
    """The Markdown between the markers (the same in README.md and in 00_start_here)."""
    links = urls(setting)
    if links is None:
        body = ("*Run online:* no Binder or JupyterLite link yet — the course's public repository "
                "is not set. Whoever publishes the course sets `repository = \"owner/name\"` under "
                "`[tool.gradlab]` in `pyproject.toml` and runs `make links`; until then, run the "
                "notebooks on your computer (`make lab`).")
    else:
        body = (f"*Run online, nothing to install:* "
                f"[![Binder]({BINDER_BADGE})]({links['binder']}) a full JupyterLab on Binder "
                f"(a minute or two to start) · "
                f"[![JupyterLite]({LITE_BADGE})]({links['lite']}) JupyterLite, in your browser "
                f"(starts in seconds; Python runs in the page). Changes are not saved online: "
                f"use File → Download to keep a notebook.")
    return f"{START}\n{body}\n{END}"


def replace_block(text: str, new: str, where: str) -> str:
    found = BLOCK.findall(text)
    if len(found) != 1:
        raise ValueError(f"{where}: expected one {START} ... {END} block, found {len(found)}")
    return BLOCK.sub(lambda _: new, text)


def start_here(root: Path) -> Path:
    return root / "notebooks" / "00_start_here.ipynb"


def stale(root: Path = ROOT) -> list[str]:
    """Which of README.md and 00_start_here (both files of the pair) are out of date."""
    new = block(settings(root))
    readme = (root / "README.md").read_text()
    problems = [] if replace_block(readme, new, "README.md") == readme else ["README.md"]
    ipynb = start_here(root)
    nb = nbformat.read(ipynb, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "markdown" and START in c.source]
    if len(cells) != 1:
        raise ValueError(f"{ipynb.name}: expected one Markdown cell with {START}, "
                         f"found {len(cells)}")
    if replace_block(cells[0].source, new, ipynb.name) != cells[0].source:
        problems.append(str(ipynb.relative_to(root)))
    md = notebook_pairs.text_path(ipynb, root)
    if replace_block(md.read_text(), new, md.name) != md.read_text():
        problems.append(str(md.relative_to(root)))
    return problems


def write(root: Path = ROOT) -> list[str]:
    """Rewrite the blocks; return what changed."""
    changed = stale(root)
    if not changed:
        return []
    new = block(settings(root))
    readme = root / "README.md"
    readme.write_text(replace_block(readme.read_text(), new, "README.md"))
    ipynb = start_here(root)
    nb = nbformat.read(ipynb, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and START in cell.source:
            cell.source = replace_block(cell.source, new, ipynb.name)
    notebook_pairs.write_pair(nb, ipynb, root)
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = stale()
            for p in problems:
                print(f"out of date: {p}; run make links", file=sys.stderr)
            return 1 if problems else 0
        for path in write():
            print(f"wrote {path}")
    except ValueError as exc:
        print(f"launch_links.py: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
