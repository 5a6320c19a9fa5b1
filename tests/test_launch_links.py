"""The Binder and JupyterLite launch links of README.md and 00_start_here come from one setting,
`[tool.gradlab] repository` in pyproject.toml (notebooks/src/launch_links.py, `make links`):
- the committed README and 00_start_here (both files of its pair) are what the script writes for
  the committed setting;
- on a copy, setting the repository writes working Binder and JupyterLite URLs into all three
  files, `lite-url` overrides the JupyterLite site, and a malformed value is refused clearly;
- unset, no file carries a placeholder link (OWNER/REPO) and each says who sets the value.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "notebooks" / "src"))

import launch_links  # noqa: E402
import notebook_pairs  # noqa: E402

FILES = ["README.md", "pyproject.toml", "jupytext.toml", "notebooks/00_start_here.ipynb",
         "notebooks/src/00_start_here.md"]


def test_committed_links_match_the_setting():
    assert launch_links.stale() == [], "run `make links` (python notebooks/src/launch_links.py)"


def test_no_placeholder_a_reader_must_edit():
    for name in ("README.md", "notebooks/src/00_start_here.md"):
        text = (ROOT / name).read_text()
        assert "OWNER/REPO" not in text and "OWNER" not in text, name
        inside = launch_links.BLOCK.search(text).group(0)
        if not launch_links.settings()["repository"]:
            assert "mybinder.org/v2" not in inside
            assert "[tool.gradlab]" in inside and "make links" in inside


@pytest.fixture
def repo(tmp_path):
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tmp_path / name)
    return tmp_path


def _set(repo: Path, **values) -> None:
    path = repo / "pyproject.toml"
    text = path.read_text()
    for key, value in values.items():
        text, n = re.subn(rf'(?m)^{key} = ".*"$', f'{key} = "{value}"', text)
        assert n == 1, f"{key} not found once in [tool.gradlab]"
    path.write_text(text)


def test_setting_the_repository_writes_both_badges_everywhere(repo):
    _set(repo, repository="example-course/gradients")
    assert set(launch_links.stale(repo)) == {
        "README.md", "notebooks/00_start_here.ipynb", "notebooks/src/00_start_here.md"}
    launch_links.write(repo)
    binder = ("https://mybinder.org/v2/gh/example-course/gradients/HEAD"
              "?urlpath=lab/tree/notebooks/00_start_here.ipynb")
    lite = "https://example-course.github.io/gradients/lab/index.html?path=00_start_here.ipynb"
    for name in ("README.md", "notebooks/00_start_here.ipynb", "notebooks/src/00_start_here.md"):
        text = (repo / name).read_text()
        assert binder in text and lite in text, name
        assert launch_links.BINDER_BADGE in text and launch_links.LITE_BADGE in text, name
    assert launch_links.stale(repo) == []
    md = notebook_pairs.text_path(repo / "notebooks" / "00_start_here.ipynb", repo)
    assert notebook_pairs.differences(md, notebook_pairs.notebook_path(md, repo)) == []
    # the notebook's path in Binder's URL exists, and the lite path is the site's copy of it
    assert (ROOT / "notebooks" / "00_start_here.ipynb").exists()

    _set(repo, **{"lite-url": "https://course.example.org/lite/"})
    launch_links.write(repo)
    text = (repo / "README.md").read_text()
    assert "https://course.example.org/lite/lab/index.html?path=00_start_here.ipynb" in text
    assert "github.io" not in text


@pytest.mark.parametrize("value", ["OWNER REPO", "https://github.com/a/b", "just-a-name"])
def test_a_malformed_repository_is_refused(repo, value):
    _set(repo, repository=value)
    with pytest.raises(ValueError, match="owner/name"):
        launch_links.stale(repo)
