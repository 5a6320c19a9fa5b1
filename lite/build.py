"""Build the JupyterLite site of the course: `make lite` -> build/lite/ (static files, no server).

    python lite/build.py [--out build/lite]

1. the gradlab wheel, built from this repository (`pip wheel --no-deps .`);
2. the pure-Python wheels gradlab needs that Pyodide's own distribution does not have
   (`PIPLITE_WHEELS`), downloaded from PyPI at the versions installed here;
3. a copy of every course notebook (notebooks/*.ipynb, notebooks/exercises/student/*.ipynb) with
   one cell added in front of its first code cell, `%pip install ...` (piplite: installs from the
   wheels above, in the browser), and the Pyodide kernel as its kernel;
4. `jupyter lite build` (jupyterlite-core, config in lite/jupyter_lite_config.json and
   lite/jupyter-lite.json) with the Pyodide kernel and the ipywidgets manager extensions only.

Pyodide itself and its compiled packages (numpy, matplotlib, scikit-learn, ...) are not copied:
the kernel loads them in the browser from Pyodide's standard distribution (its default
`pyodideUrl`), so running a cell needs the network; opening the site and the notebooks does not.
The committed notebooks are never modified.
"""

from __future__ import annotations

import argparse
import copy
import importlib.metadata
import json
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LITE_DIR = ROOT / "lite"
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "build" / "lite"
WORK = ROOT / "build" / "lite-work"     # staging: wheels and notebook copies

# Pure-Python wheels for piplite, at the versions installed here. Not listed: what Pyodide's
# distribution ships (numpy, matplotlib, scikit-learn, threadpoolctl, tqdm, ipython, traitlets,
# cloudpickle, typing-extensions, ...), loaded by the kernel from there.
PIPLITE_WHEELS = [
    "autograd",
    "gymnasium", "farama-notifications",
    "ipywidgets", "comm", "jupyterlab-widgets",
]

# The cell `make lite` puts before each notebook's first code cell. gradlab-teaching goes in with
# --no-deps: its lower bounds are the versions tested here (matplotlib>=3.11, scikit-learn>=1.9),
# newer than Pyodide 314's (3.10.8, 1.8.0), which micropip would otherwise refuse.
INSTALL_TAG = "lite-install"
INSTALL_SOURCE = """\
# JupyterLite only (added by `make lite`): install gradlab and what it needs in the browser.
%pip install -q numpy matplotlib scikit-learn threadpoolctl tqdm autograd gymnasium ipywidgets
%pip install -q --no-deps gradlab-teaching"""

PYODIDE_KERNELSPEC = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}

# Federated extensions in the site: the Pyodide kernel and the ipywidgets manager, nothing else
# from this environment (jupyter_lite_config.json: ignore_sys_prefix).
LAB_EXTENSIONS = ["@jupyterlite/pyodide-kernel-extension", "@jupyter-widgets/jupyterlab-manager"]


def course_notebooks() -> list[Path]:
    """The notebooks of the site, relative to notebooks/."""
    found = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    found += sorted((NOTEBOOKS / "exercises" / "student").glob("*.ipynb"))
    return [p.relative_to(NOTEBOOKS) for p in found]


def lite_notebook(nb: dict) -> dict:
    """A copy of a notebook for the site: the install cell first, the Pyodide kernel."""
    nb = copy.deepcopy(nb)
    first_code = next((i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"),
                      len(nb["cells"]))
    cell = {"cell_type": "code", "execution_count": None, "id": "lite-install",
            "metadata": {"tags": [INSTALL_TAG]}, "outputs": [],
            "source": INSTALL_SOURCE.splitlines(keepends=True)}
    if nb.get("nbformat_minor", 0) < 5 or nb.get("nbformat", 4) < 4:
        del cell["id"]
    nb["cells"].insert(first_code, cell)
    nb["metadata"]["kernelspec"] = dict(PYODIDE_KERNELSPEC)
    return nb


def _run(cmd: list[str], **kw) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def build_wheels(wheels: Path) -> list[Path]:
    """The gradlab wheel from this repository, and PIPLITE_WHEELS from PyPI."""
    shutil.rmtree(wheels, ignore_errors=True)
    wheels.mkdir(parents=True)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _run([*pip, "wheel", "--no-deps", "--quiet", "-w", wheels, ROOT])
    pins = [f"{name}=={importlib.metadata.version(name)}" for name in PIPLITE_WHEELS]
    _run([*pip, "download", "--no-deps", "--quiet", "--only-binary=:all:",
          "--platform", "any", "--python-version", "3.14", "--implementation", "py",
          "-d", wheels, *pins])
    found = sorted(wheels.glob("*.whl"))
    impure = [w.name for w in found if not w.name.endswith("-none-any.whl")]
    if impure:
        raise SystemExit(f"lite/build.py: piplite needs pure-Python wheels, got {impure}")
    return found


def stage_notebooks(files: Path) -> list[Path]:
    shutil.rmtree(files, ignore_errors=True)
    staged = []
    for rel in course_notebooks():
        nb = json.loads((NOTEBOOKS / rel).read_text(encoding="utf-8"))
        target = files / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(lite_notebook(nb), indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
        staged.append(target)
    return staged


def lab_extension_dirs() -> list[Path]:
    share = Path(sysconfig.get_path("data")) / "share" / "jupyter" / "labextensions"
    dirs = [share / name for name in LAB_EXTENSIONS]
    missing = [str(d) for d in dirs if not (d / "package.json").exists()]
    if missing:
        raise SystemExit(f"lite/build.py: lab extensions not installed: {missing} "
                         "(pip install -e '.[lite]')")
    return dirs


def build(out: Path = OUT, work: Path = WORK) -> Path:
    start = time.monotonic()
    wheels = build_wheels(work / "pypi")
    stage_notebooks(work / "files")
    shutil.rmtree(out, ignore_errors=True)
    jupyter = Path(sys.executable).parent / "jupyter"
    cmd = [jupyter, "lite", "build", "--lite-dir", LITE_DIR, "--output-dir", out,
           "--contents", work / "files", f"--LiteBuildConfig.cache_dir={work / 'cache'}"]
    for ext in lab_extension_dirs():
        cmd += ["--LiteBuildConfig.federated_extensions", ext]
    for wheel in wheels:
        cmd += ["--piplite-wheels", wheel]
    _run(cmd, cwd=work)  # cwd: doit writes its state file (.jupyterlite.doit.db) there
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"lite/build.py: {out} built in {time.monotonic() - start:.0f} s, "
          f"{size / 2**20:.1f} MiB")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (build/lite)")
    parser.add_argument("--work", type=Path, default=WORK, help="staging folder")
    args = parser.parse_args(argv)
    build(args.out.resolve(), args.work.resolve())


if __name__ == "__main__":
    main()
