"""Checks on the repository itself: notebooks, README, CI script, pinned Binder environment.

Only the standard library and pytest: these run before anything else is known to import.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _normalize(name: str) -> str:
    """PEP 503 normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, f"cannot read a package name from {requirement!r}"
    return _normalize(match.group(1))


def _notebooks() -> list[Path]:
    """Notebooks under notebooks/ that git tracks (all of them when git is unavailable)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--", "notebooks/*.ipynb", "notebooks/**/*.ipynb"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        paths = {ROOT / p for p in listed.split("\0") if p}
    except (OSError, subprocess.CalledProcessError):
        paths = set((ROOT / "notebooks").rglob("*.ipynb"))
    return sorted(p for p in paths if ".ipynb_checkpoints" not in p.parts and p.exists())


def _binder_lines() -> list[str]:
    text = (ROOT / "binder" / "requirements.txt").read_text()
    lines = (ln.strip() for ln in text.splitlines())
    return [ln for ln in lines if ln and not ln.startswith("#")]


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_committed_without_outputs(path: Path) -> None:
    nb = json.loads(path.read_text())
    dirty = [
        i
        for i, cell in enumerate(nb.get("cells", []))
        if cell.get("cell_type") == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.relative_to(ROOT)}: code cells {dirty} have outputs or execution counts; "
        "clear them (jupyter nbconvert --clear-output --inplace) before committing"
    )


def test_readme_starts_with_the_two_commands() -> None:
    head = "\n".join((ROOT / "README.md").read_text().splitlines()[:8])
    assert "make lab" in head
    assert "make test" in head


def test_ci_runs_make_test() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    commands = [ln.split("#", 1)[0].strip() for ln in script.splitlines()]
    assert "make test" in commands, ".ci/run must call `make test` (the README's test command)"


def test_binder_requirements_are_pinned() -> None:
    lines = _binder_lines()
    assert lines, "binder/requirements.txt is empty"
    assert lines[-1] in {".", "-e ."}, "binder/requirements.txt must end with the package itself"
    unpinned = [ln for ln in lines[:-1] if not re.fullmatch(r"[A-Za-z0-9._\-\[\],]+==[^=\s]+", ln)]
    assert not unpinned, f"lines not pinned with ==: {unpinned}"


def test_binder_names_every_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_requirement_name(r) for r in project["dependencies"]}
    pinned = {_requirement_name(ln) for ln in _binder_lines()[:-1]}
    missing = declared - pinned
    assert not missing, f"in pyproject dependencies but not pinned in binder: {sorted(missing)}"
