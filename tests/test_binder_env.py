"""binder/requirements.txt alone gives an environment that runs the notebooks, as on Binder.

The test copies the repository as it would be committed (tracked and untracked-but-not-ignored
files) to a temporary folder, creates a fresh virtual environment with the Python named in
binder/runtime.txt, runs `pip install -r binder/requirements.txt` from the copy's root (its last
line installs the package from the repository, `.`), checks the environment with `pip check`,
then executes 00_start_here and the first other numbered notebook with that environment's own
Python and kernel. Nothing is cached in the repository; the times are printed and written to
test-artifacts/binder_times.json.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
PIP_TIMEOUT_S = 900
NOTEBOOK_TIMEOUT_S = 180

# Run by the Binder environment's python: execute notebooks with nbclient in a kernel that is
# that same python (a kernel spec found first on JUPYTER_PATH), report JSON on stdout.
RUNNER = textwrap.dedent("""\
    import json, os, sys, tempfile, time
    from pathlib import Path
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    spec = Path(tempfile.mkdtemp()) / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "binder env", "language": "python"}))
    os.environ["JUPYTER_PATH"] = str(spec.parent.parent)
    report = {"python": sys.executable, "prefix": sys.prefix, "notebooks": {}}
    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys, gradlab; print(sys.prefix); print(gradlab.__file__)")])
    NotebookClient(probe, kernel_name="python3", timeout=120).execute()
    report["kernel_prefix"], report["gradlab_file"] = probe.cells[0].outputs[0]["text"].split()
    env = dict(os.environ, MPLBACKEND="Agg")
    for name in sys.argv[2:]:
        path = Path(name).resolve()
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        entry = {"error": None}
        try:
            NotebookClient(nb, kernel_name="python3", timeout=int(sys.argv[1]),
                           resources={"metadata": {"path": str(path.parent)}}
                           ).execute(env=env, cwd=str(path.parent))
        except CellExecutionError as exc:
            entry["error"] = str(exc)[-3000:]
        except Exception as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
        entry["seconds"] = round(time.perf_counter() - start, 2)
        report["notebooks"][path.name] = entry
    print(json.dumps(report))
""")


def _runtime_python() -> str:
    """A Python of the version binder/runtime.txt names (Binder's runtime), or skip/fail."""
    wanted = (ROOT / "binder" / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+)\.(\d+)(\.\d+)?", wanted)
    assert match, f"binder/runtime.txt should read like python-3.11, not {wanted!r}"
    version = f"{match.group(1)}.{match.group(2)}"
    base = getattr(sys, "_base_executable", sys.executable)
    candidates = [shutil.which(f"python{version}"), base, shutil.which("python3")]
    for candidate in filter(None, candidates):
        out = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip() == version:
            return candidate
    message = f"no Python {version} (binder/runtime.txt) found on this machine"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _copy_repository(dest: Path) -> None:
    """The files git would commit (tracked, and untracked but not ignored) — a fresh clone."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if src.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def _clean_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "JUPYTER_PATH",
                        "PIP_REQUIRE_VIRTUALENV", "JPY_PARENT_PID"}}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1",
               JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
               JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
               JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"))
    return env


def _run(cmd, *, cwd, env, timeout, what):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (
        f"{what} failed (exit {proc.returncode}): {' '.join(map(str, cmd))}\n"
        f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
    )
    return proc


@pytest.mark.timeout(PIP_TIMEOUT_S + NOTEBOOK_TIMEOUT_S * 2 + 600)
def test_binder_environment_runs_the_notebooks(tmp_path, capsys) -> None:
    python = _runtime_python()
    repo = tmp_path / "repo"
    _copy_repository(repo)
    notebooks = repo / "notebooks"
    start_here = notebooks / "00_start_here.ipynb"
    assert start_here.exists(), "notebooks/00_start_here.ipynb is missing"
    others = sorted(p for p in notebooks.glob("[0-9][0-9]_*.ipynb") if p != start_here)
    chosen = [start_here] + others[:1]
    env = _clean_env(tmp_path)
    venv = tmp_path / "binder-env"
    bin_python = venv / "bin" / "python"
    times: dict[str, float] = {}

    t = time.perf_counter()
    _run([python, "-m", "venv", str(venv)], cwd=tmp_path, env=env, timeout=300,
         what="python -m venv")
    times["venv_s"] = time.perf_counter() - t

    t = time.perf_counter()
    _run([bin_python, "-m", "pip", "install", "-r", "binder/requirements.txt"],
         cwd=repo, env=env, timeout=PIP_TIMEOUT_S,
         what="pip install -r binder/requirements.txt")
    times["pip_install_s"] = time.perf_counter() - t
    _run([bin_python, "-m", "pip", "check"], cwd=repo, env=env, timeout=120,
         what="pip check (the pinned versions conflict)")

    t = time.perf_counter()
    runner = tmp_path / "run_notebooks.py"
    runner.write_text(RUNNER)
    proc = _run([bin_python, str(runner), str(NOTEBOOK_TIMEOUT_S), *map(str, chosen)],
                cwd=notebooks, env=env, timeout=NOTEBOOK_TIMEOUT_S * len(chosen) + 300,
                what="running the notebooks in the Binder environment")
    times["notebooks_s"] = time.perf_counter() - t
    report = json.loads(proc.stdout.strip().splitlines()[-1])

    record = {k: round(v, 1) for k, v in times.items()}
    record["notebooks"] = {k: v["seconds"] for k, v in report["notebooks"].items()}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "binder_times.json").write_text(json.dumps(record, indent=2) + "\n")
    with capsys.disabled():
        print(f"\n  binder env: venv {times['venv_s']:.1f} s, pip install "
              f"{times['pip_install_s']:.1f} s, notebooks {times['notebooks_s']:.1f} s "
              f"{record['notebooks']}")

    assert Path(report["kernel_prefix"]).resolve() == venv.resolve(), (
        f"the kernel ran in {report['kernel_prefix']}, not in the Binder environment {venv}"
    )
    assert Path(report["gradlab_file"]).resolve().is_relative_to(venv.resolve()), (
        f"gradlab was imported from {report['gradlab_file']}, not installed into {venv}"
    )
    failed = {k: v["error"] for k, v in report["notebooks"].items() if v["error"]}
    assert not failed, "in the Binder environment:\n" + "\n\n".join(
        f"{name}:\n{err}" for name, err in failed.items())
    assert set(report["notebooks"]) == {p.name for p in chosen}
