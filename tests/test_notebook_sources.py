"""Every notebook is authored as a jupytext text notebook (MyST Markdown, notebooks/src/**/*.md)
paired with its .ipynb by jupytext.toml; the two files of each pair must say the same thing.

- every course notebook and instructor exercise has a text notebook, and every text notebook a
  .ipynb (the students' exercise versions, written by otter assign, are not paired);
- each pair is in sync: the .md is exactly what jupytext writes from the .ipynb, and reading the
  .md gives the .ipynb's cells (`make sync` fixes a stale pair: the file saved last wins);
- on a copy of the repository's layout and config: editing the .ipynb (as JupyterLab does) then
  syncing changes the .md, editing the .md then syncing changes the .ipynb (cell ids kept,
  outputs cleared), and a pair edited on one side only is reported.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "notebooks" / "src"))

import notebook_pairs as pairs  # noqa: E402

TEXTS = pairs.text_notebooks()


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_every_notebook_has_a_text_notebook_and_back():
    notebooks = pairs.paired_notebooks()
    assert len(notebooks) >= 8, "the course notebooks were not found"
    missing = [_rel(p) for p in notebooks if not pairs.text_path(p).exists()]
    assert not missing, f"notebooks without a text notebook in notebooks/src/: {missing}; make sync"
    orphans = [_rel(md) for md in TEXTS if not pairs.notebook_path(md).exists()]
    assert not orphans, f"text notebooks without their .ipynb: {orphans}; make sync"
    students = list((ROOT / "notebooks" / "exercises" / "student").glob("*.ipynb"))
    assert students and not any(pairs.text_path(p).exists() for p in students)


@pytest.mark.parametrize("md", TEXTS, ids=_rel)
def test_pair_is_in_sync(md: Path):
    problems = pairs.differences(md, pairs.notebook_path(md))
    assert not problems, (f"{_rel(md)} and its .ipynb differ: {problems}; run `make sync` "
                          "(the file saved last wins), then commit both")


# --- the sync itself, on a copy ---------------------------------------------------------------

@pytest.fixture
def repo(tmp_path):
    """A copy of the config, one course notebook pair, one instructor exercise pair and one
    student exercise, at the repository's paths."""
    course = ROOT / "notebooks" / "01_forward_mode.ipynb"
    exercise = ROOT / "notebooks" / "exercises" / "instructor" / "02_unbroadcast.ipynb"
    student = ROOT / "notebooks" / "exercises" / "student" / "02_unbroadcast.ipynb"
    files = [ROOT / "jupytext.toml", student.parent / "jupytext.toml", student]
    for ipynb in (course, exercise):
        files += [ipynb, pairs.text_path(ipynb)]
    for path in files:
        target = tmp_path / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return tmp_path


def _touch_later(path: Path, seconds: float = 10.0) -> None:
    """Make `path` the file saved last (jupytext --sync takes the newer file of a pair)."""
    stamp = max(p.stat().st_mtime for p in path.parent.parent.rglob("*")) + seconds
    os.utime(path, (stamp, stamp))


def test_editing_the_ipynb_then_syncing_updates_the_text(repo):
    ipynb = repo / "notebooks" / "01_forward_mode.ipynb"
    md = pairs.text_path(ipynb, repo)
    nb = nbformat.read(ipynb, as_version=4)
    k = next(k for k, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells[k].source += "\nprint('edited in JupyterLab')"
    nb.cells[k].outputs = [nbformat.v4.new_output("stream", text="edited in JupyterLab\n")]
    nb.cells[k].execution_count = 3
    nbformat.write(nb, ipynb)
    _touch_later(ipynb)
    assert "edited in JupyterLab" not in md.read_text()
    assert pairs.stale_pairs(repo), "an edit on one side only must be reported"

    pairs.sync(repo)

    assert "print('edited in JupyterLab')" in md.read_text()
    assert pairs.stale_pairs(repo) == []
    synced = nbformat.read(ipynb, as_version=4)
    assert synced.cells[k].outputs == [] and synced.cells[k].execution_count is None
    assert [c.id for c in synced.cells] == [c.id for c in nb.cells]
    students = repo / "notebooks" / "exercises" / "student"
    assert not list((repo / "notebooks" / "src").rglob("student")), (
        f"the student versions must stay unpaired: {list(students.iterdir())}")


def test_editing_the_text_then_syncing_updates_the_ipynb(repo):
    ipynb = repo / "notebooks" / "exercises" / "instructor" / "02_unbroadcast.ipynb"
    md = pairs.text_path(ipynb, repo)
    before = nbformat.read(ipynb, as_version=4)
    text = md.read_text()
    assert "# Exercise 2 · " in text
    md.write_text(text.replace("# Exercise 2 · ", "# Exercise 2 (edited as text) · ", 1))
    _touch_later(md)
    assert any("differ" in p or "not the text" in p for p in pairs.stale_pairs(repo))

    pairs.sync(repo)

    after = nbformat.read(ipynb, as_version=4)
    assert any("# Exercise 2 (edited as text) · " in c.source for c in after.cells)
    assert [c.id for c in after.cells] == [c.id for c in before.cells], "cell ids must be kept"
    assert [c.cell_type for c in after.cells] == [c.cell_type for c in before.cells]
    assert [c.metadata for c in after.cells] == [c.metadata for c in before.cells]
    assert pairs.stale_pairs(repo) == []


def test_a_new_notebook_gets_its_text_notebook(repo):
    new = repo / "notebooks" / "08_new_topic.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 08 · A new topic"),
                                         nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(nb, new)
    assert any("08_new_topic" in p for p in pairs.stale_pairs(repo))
    pairs.sync(repo)
    md = repo / "notebooks" / "src" / "08_new_topic.md"
    assert md.exists() and "# 08 · A new topic" in md.read_text()
    assert pairs.stale_pairs(repo) == []
