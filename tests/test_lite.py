"""The JupyterLite site (`make lite`, lite/build.py): its contents, and the site in Chromium.

The site is built once per session into a temporary folder (about 40 s: the gradlab wheel, the
pure-Python wheels from PyPI, `jupyter lite build`). Then:
- its contents: every course notebook (with the install cell and the Pyodide kernel), the piplite
  index with the gradlab wheel and the wheels it needs, only the two lab extensions it needs, the
  Pyodide kernel left on Pyodide's standard distribution;
- in the browser (served from 127.0.0.1, Debian's chromium through Playwright as in
  test_browser.py): the site loads, the file browser lists the notebooks, 00_start_here opens
  with the Pyodide kernel, and the kernel asks for Pyodide from its standard distribution and for
  nothing else outside the site.

Running the cells needs Pyodide and its packages (numpy, matplotlib, ...), which the browser
loads from the network. By default the browser resolves no host but 127.0.0.1 (this machine has
no network beyond the package registries), and that part is skipped with the reason; with
GRADLAB_LITE_NETWORK=1 the browser may reach the network and 00_start_here runs: every cell runs,
no error, the setup check prints, the slider renders as a widget.
Without chromium or playwright the browser test skips, except under CI=true where it fails.

Pyodide itself is also run here, outside the browser: the `pyodide` npm package of the kernel's
version under node (skipped without node/npm). Its lock file checks that every dependency
resolves from Pyodide's packages or the site's wheels, and every gradlab module is imported under
Pyodide (those needing numpy stop at that import: numpy's wasm wheel is on the CDN only).
test_exercise_checks_work_without_threads_or_timers reproduces, on CPython, the two
restrictions measured there (no signal.setitimer, Thread.start raises RuntimeError).
"""

from __future__ import annotations

import functools
import http.server
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tarfile
import threading
import time
import tomllib
import zipfile
from pathlib import Path

import pytest
from browser import lab

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NETWORK = os.environ.get("GRADLAB_LITE_NETWORK") == "1"
# Offline (default): every host name but 127.0.0.1 fails to resolve, so no request leaves here.
BLOCK_OUTSIDE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"


def _load_build_module():
    spec = importlib.util.spec_from_file_location("lite_build", ROOT / "lite" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build_module()


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, so the lite test must run, not skip", pytrace=False)
    pytest.skip(reason)


# --- the notebook copies (no build needed) ---------------------------------------------------

def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_lite_notebook_adds_the_install_cell_before_the_first_code_cell() -> None:
    original = _read(NOTEBOOKS / "00_start_here.ipynb")
    before = json.dumps(original)
    lite_nb = build.lite_notebook(original)
    assert json.dumps(original) == before, "lite_notebook changed its input"
    first_code = next(i for i, c in enumerate(original["cells"]) if c["cell_type"] == "code")
    cell = lite_nb["cells"][first_code]
    assert cell["metadata"]["tags"] == [build.INSTALL_TAG]
    assert "".join(cell["source"]) == build.INSTALL_SOURCE
    rest = lite_nb["cells"][:first_code] + lite_nb["cells"][first_code + 1:]
    assert rest == original["cells"]
    assert lite_nb["metadata"]["kernelspec"]["name"] == "python"  # the Pyodide kernel's name


def test_the_install_cell_installs_every_dependency_of_gradlab() -> None:
    """A dependency added to pyproject.toml must be installed in the browser too."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.match(r"[A-Za-z0-9_.-]+", d).group(0).lower() for d in deps}
    lines = build.INSTALL_SOURCE.splitlines()
    installed = set()
    for line in lines:
        if line.startswith("%pip install"):
            installed |= {w.lower() for w in line.split()[2:] if not w.startswith("-")}
    assert names <= installed, f"not installed in the lite cell: {sorted(names - installed)}"
    assert lines[-1] == "%pip install -q --no-deps gradlab-teaching"


def test_course_notebooks_are_the_numbered_ones_and_the_student_exercises() -> None:
    rels = [p.as_posix() for p in build.course_notebooks()]
    assert "00_start_here.ipynb" in rels
    assert any(r.startswith("exercises/student/") for r in rels)
    assert not any("instructor" in r or ".ipynb_checkpoints" in r for r in rels)


# --- gradlab under Pyodide's restrictions (measured there: see test_pyodide_runtime) ----------

def test_exercise_checks_work_without_threads_or_timers(monkeypatch) -> None:
    """Pyodide 314 has no signal.setitimer, and Thread.start raises "can't start new thread":
    the checks then call the student's function directly (no time limit), and still never raise.
    """
    import signal
    import threading
    import types

    import numpy as np

    from gradlab.exercises import check, runner
    from gradlab.exercises.runner import FAILED, PASSED

    def no_threads(self):
        raise RuntimeError("can't start new thread")

    # runner's view of the signal module as in Pyodide (pytest-timeout keeps the real one)
    pyodide_signal = types.ModuleType("signal")
    vars(pyodide_signal).update({k: v for k, v in vars(signal).items() if k != "setitimer"})
    monkeypatch.setattr(runner, "signal", pyodide_signal)
    monkeypatch.setattr(threading.Thread, "start", no_threads)

    def unbroadcast(g, shape):
        while g.ndim > len(shape):
            g = g.sum(axis=0)
        return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)

    def broken(g, shape):
        raise ValueError("not yet")

    assert check.unbroadcast(unbroadcast, quiet=True).status == PASSED
    result = check.unbroadcast(broken, quiet=True)
    assert result.status == FAILED and "ValueError" in result.text(), result.text()
    assert check.unbroadcast(lambda g, s: np.full(s, np.nan), quiet=True).mistake == "nan"


# --- the built site ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    if importlib.util.find_spec("jupyterlite_core") is None or \
            importlib.util.find_spec("jupyterlite_pyodide_kernel") is None:
        _unavailable("jupyterlite-core / jupyterlite-pyodide-kernel are not installed "
                     "(pip install -e '.[lite]')")
    tmp = tmp_path_factory.mktemp("lite")
    start = time.monotonic()
    out = build.build(tmp / "site", tmp / "work")
    print(f"\n  lite site built in {time.monotonic() - start:.0f} s")
    return out


def _site_config(site: Path) -> dict:
    return _read(site / "jupyter-lite.json")["jupyter-config-data"]


@pytest.mark.slow
def test_site_has_every_course_notebook_with_the_install_cell(site: Path) -> None:
    rels = build.course_notebooks()
    assert len(rels) >= 10
    for rel in rels:
        copy = site / "files" / rel
        assert copy.exists(), f"{rel} is missing from the site"
        assert _read(copy) == build.lite_notebook(_read(NOTEBOOKS / rel)), rel
    listed = {p.relative_to(site / "files") for p in (site / "files").rglob("*.ipynb")}
    assert listed == set(rels)


@pytest.mark.slow
def test_site_serves_gradlab_and_its_pure_python_wheels_to_piplite(site: Path) -> None:
    index = _read(site / "pypi" / "all.json")
    expected = {"gradlab-teaching", *build.PIPLITE_WHEELS}
    assert set(index) == expected
    for entry in index.values():
        for release in entry["releases"].values():
            for f in release:
                assert f["filename"].endswith("-none-any.whl"), f["filename"]
                assert (site / "pypi" / f["filename"]).exists(), f["filename"]
    piplite = _site_config(site)["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"]["pipliteUrls"]
    assert any(u.startswith("./pypi/all.json") for u in piplite)

    (wheel,) = (site / "pypi").glob("gradlab_teaching-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "gradlab").rglob("*.py")}
    assert sources <= names, f"not in the wheel: {sorted(sources - names)[:5]}"
    results = {p.relative_to(ROOT).as_posix()
               for p in (ROOT / "gradlab/experiments/results").glob("*.json")}
    assert results <= names


@pytest.mark.slow
def test_site_loads_pyodide_from_its_standard_distribution(site: Path) -> None:
    config = _site_config(site)
    assert sorted(e["name"] for e in config["federated_extensions"]) == sorted(
        build.LAB_EXTENSIONS)
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert "pyodideUrl" not in kernel, "the site overrides the kernel's Pyodide"
    assert _pyodide_url(site).endswith(f"/v{_pyodide_version()}/full/pyodide.mjs")


def _pyodide_version() -> str:
    from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION
    return PYODIDE_VERSION


def _pyodide_url(site: Path) -> str:
    schema = site / "extensions/@jupyterlite/pyodide-kernel-extension/static/schema"
    return _read(schema / "kernel.v0.schema.json")["properties"]["pyodideUrl"]["default"]


# --- gradlab under a real Pyodide runtime (node, the `pyodide` npm package) --------------------

# Loads Pyodide from the npm package (no network), mounts a copy of gradlab/, runs a probe.
_PYODIDE_JS = """
import { loadPyodide } from "%(pyodide)s/pyodide.mjs";
import fs from "node:fs";
const py = await loadPyodide({ indexURL: "%(pyodide)s/" });
py.FS.mkdirTree("/src");
py.FS.mount(py.FS.filesystems.NODEFS, { root: "%(src)s" }, "/src");
console.log("PROBE" + py.runPython(fs.readFileSync("%(probe)s", "utf8")));
"""

# Imports every gradlab module with gradlab/__init__.py skipped (it needs numpy, which only
# Pyodide's CDN has): a module either imports or names the missing third-party module.
_PYODIDE_PROBE = """
import ast, importlib, json, pathlib, signal, sys, threading, types
sys.dont_write_bytecode = True
root = pathlib.Path("/src/gradlab")
imported = set()
for p in root.rglob("*.py"):
    for node in ast.walk(ast.parse(p.read_text())):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
top = {}
for name in sorted(imported - {"gradlab"}):
    try:
        importlib.import_module(name)
        top[name] = "ok"
    except ModuleNotFoundError as e:
        top[name] = "missing " + str(e.name)
sys.path.insert(0, "/src")
package = types.ModuleType("gradlab")
package.__path__ = [str(root)]
sys.modules["gradlab"] = package
modules = {}
for p in sorted(root.rglob("*.py")):
    name = ".".join(p.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__")
    if name in ("gradlab", "gradlab.__main__"):
        continue
    try:
        importlib.import_module(name)
        modules[name] = "ok"
    except ModuleNotFoundError as e:
        modules[name] = "missing " + str(e.name).split(".")[0]
    except BaseException as e:
        modules[name] = "error " + type(e).__name__ + ": " + str(e)
try:
    threading.Thread(target=lambda: None).start()
    threads = "start"
except RuntimeError as e:
    threads = str(e)
json.dumps({"python": sys.version.split()[0], "setitimer": hasattr(signal, "setitimer"),
            "threads": threads, "imports": top, "modules": modules})
"""


@pytest.fixture(scope="session")
def pyodide_package(tmp_path_factory) -> Path:
    """The `pyodide` npm package of the kernel's Pyodide version, from the npm registry."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are needed to run Pyodide outside the browser")
    tmp = tmp_path_factory.mktemp("pyodide")
    spec = f"pyodide@{_pyodide_version()}"
    done = subprocess.run([npm, "pack", spec, "--silent"], cwd=tmp, capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0:
        pytest.skip(f"npm pack {spec} failed (registry unreachable?): {done.stderr[-500:]}")
    with tarfile.open(tmp / done.stdout.strip().splitlines()[-1]) as tar:
        tar.extractall(tmp, filter="data")
    return tmp / "package"


def _pyodide_lock(pyodide_package: Path) -> dict[str, dict]:
    return _read(pyodide_package / "pyodide-lock.json")["packages"]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(requirements) -> set[str]:
    """Distribution names of requirements that apply without extras."""
    return {_normal(re.match(r"[A-Za-z0-9_.-]+", r).group(0))
            for r in requirements or [] if "extra ==" not in r.replace("extra==", "extra ==")}


@pytest.mark.slow
def test_every_dependency_comes_from_pyodide_or_the_site(pyodide_package: Path) -> None:
    """What `%pip install` asks for resolves from Pyodide's packages or the site's wheels."""
    lock = _pyodide_lock(pyodide_package)
    site_wheels = {_normal(n) for n in build.PIPLITE_WHEELS}
    kernel_wheels = {"widgetsnbextension", "ipykernel", "pyodide-kernel", "piplite"}
    wanted = _requirement_names(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    for name in build.PIPLITE_WHEELS:
        wanted |= _requirement_names(importlib.metadata.requires(name))
    missing = sorted(n for n in wanted if n not in lock and n not in site_wheels
                     and n not in kernel_wheels)
    assert not missing, f"neither in Pyodide {_pyodide_version()} nor in the site: {missing}"


@pytest.mark.slow
def test_gradlab_imports_under_pyodide(pyodide_package: Path, tmp_path: Path) -> None:
    """Every gradlab module imports under Pyodide or lacks only a package the site provides.

    No network: numpy and the other compiled packages come from Pyodide's CDN, so the modules
    that import them stop at that import; the numpy-free ones (scalar engines, errors, claims,
    the CLI) really run their imports under Pyodide.
    """
    src = tmp_path / "src"
    shutil.copytree(ROOT / "gradlab", src / "gradlab",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    probe = tmp_path / "probe.py"
    probe.write_text(_PYODIDE_PROBE)
    script = tmp_path / "probe.mjs"
    script.write_text(_PYODIDE_JS % {"pyodide": pyodide_package, "src": src, "probe": probe})
    done = subprocess.run([shutil.which("node"), str(script)], capture_output=True, text=True,
                          timeout=300)
    line = next((x for x in done.stdout.splitlines() if x.startswith("PROBE")), None)
    assert line, f"the Pyodide probe failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    report = json.loads(line.removeprefix("PROBE"))
    print(f"\n  Pyodide {_pyodide_version()} (Python {report['python']}): "
          f"setitimer {report['setitimer']}, Thread.start: {report['threads']}")

    lock = _pyodide_lock(pyodide_package)
    provided = {m for d, spec in lock.items() for m in spec.get("imports", [])}
    provided |= {_normal(n).replace("-", "_") for n in build.PIPLITE_WHEELS}
    stdlib_missing = {name: why for name, why in report["imports"].items()
                      if why != "ok" and name not in provided}
    assert not stdlib_missing, f"modules gradlab imports that Pyodide lacks: {stdlib_missing}"
    broken = {m: why for m, why in report["modules"].items()
              if why != "ok" and not (why.startswith("missing ")
                                      and why.removeprefix("missing ") in provided)}
    assert not broken, f"gradlab modules that fail under Pyodide: {broken}"
    ran = {m for m, why in report["modules"].items() if why == "ok"}
    assert {"gradlab.ad.scalar_forward", "gradlab.ad.scalar_reverse", "gradlab.errors",
            "gradlab.experiments.claims"} <= ran, ran


# --- the site in the browser ------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(site: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def chromium():
    with lab.chromium_browser([] if NETWORK else [BLOCK_OUTSIDE]) as browser:
        yield browser


def _listing(page) -> list[str]:
    items = page.locator(".jp-DirListing-content .jp-DirListing-itemText")
    items.first.wait_for(timeout=60_000)
    return items.all_inner_texts()


def _wait_for_listing(page, names: set[str], timeout_s: float = 30.0) -> list[str]:
    deadline = time.monotonic() + timeout_s
    shown = _listing(page)
    while not names <= set(shown) and time.monotonic() < deadline:
        time.sleep(0.25)
        shown = _listing(page)
    return shown


@pytest.mark.browser
@pytest.mark.slow
def test_lite_site_lists_and_opens_the_notebooks(site: Path, served: str, chromium) -> None:
    shots = ROOT / "test-artifacts" / "screenshots" / "lite"
    shots.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    outside: list[str] = []
    failed: dict[str, str] = {}
    not_found: list[str] = []
    context.on("request", lambda r: None if r.url.startswith(served)
               or r.url.startswith(("data:", "blob:")) else outside.append(r.url))
    context.on("requestfailed", lambda r: failed.setdefault(r.url, r.failure or "?"))
    page = context.new_page()
    page.on("response", lambda r: not_found.append(r.url) if r.status == 404 else None)
    try:
        start = time.monotonic()
        page.goto(f"{served}/lab/index.html")
        root = {p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")} | {"exercises"}
        shown = _wait_for_listing(page, root)
        assert set(shown) == root, f"the file browser lists {shown}"
        loaded_s = time.monotonic() - start

        page.locator(".jp-DirListing-itemText", has_text="exercises").dblclick()
        page.locator(".jp-DirListing-itemText", has_text="student").first.wait_for()
        page.locator(".jp-DirListing-itemText", has_text="student").dblclick()
        students = {p.name for p in (NOTEBOOKS / "exercises" / "student").glob("*.ipynb")}
        shown = _wait_for_listing(page, students)
        assert set(shown) == students, f"exercises/student lists {shown}"
        page.locator(".jp-BreadCrumbs-home").click()
        _wait_for_listing(page, root)

        page.locator(".jp-DirListing-itemText", has_text="00_start_here.ipynb").dblclick()
        title = page.locator(".jp-NotebookPanel .jp-RenderedMarkdown h1").first
        title.wait_for(timeout=60_000)
        assert title.inner_text().startswith("Start here")
        state = lab.wait_until(page, lambda s: s and s["path"] == "00_start_here.ipynb",
                               30, "00_start_here to be the current notebook")
        assert page.locator(".jp-Dialog").count() == 0, "a dialog (kernel choice?) is open"
        kernel_name = _kernel_display_name(page, "Python (Pyodide)", timeout_s=30)
        assert kernel_name == "Python (Pyodide)", "00_start_here did not get the Pyodide kernel"
        first = lab.notebook_report(page)[0]
        assert first["tags"] == [build.INSTALL_TAG]
        page.screenshot(path=str(shots / "00_start_here_opened.png"))
        opened_s = time.monotonic() - start
        print(f"\n  lite: file browser after {loaded_s:.1f} s, 00_start_here open after "
              f"{opened_s:.1f} s, kernel {state['kernel']}")

        pyodide = _pyodide_url(site)
        if not NETWORK:
            deadline = time.monotonic() + 60
            while pyodide not in failed and time.monotonic() < deadline:
                page.wait_for_timeout(250)
            assert pyodide in failed, (
                f"the kernel never asked for Pyodide at {pyodide}; outside requests: {outside}")
            others = sorted({u for u in outside if u != pyodide})
            assert not others, f"the site asks for more than Pyodide outside itself: {others}"
            assert not not_found, f"the site lacks files it asks for: {not_found}"
            page.screenshot(path=str(shots / "00_start_here_offline.png"))
            pytest.skip(f"running cells needs Pyodide and its packages from {pyodide} "
                        f"(requested, blocked here: {failed[pyodide]}); the site loaded and "
                        "opened 00_start_here offline. Set GRADLAB_LITE_NETWORK=1 where the "
                        "network is reachable to run the notebook in the browser.")

        _run_start_here(page, shots)
    finally:
        context.close()


def _kernel_display_name(page, expected: str, timeout_s: float) -> str:
    js = "() => window.jupyterapp.shell.currentWidget.sessionContext.kernelDisplayName"
    deadline = time.monotonic() + timeout_s
    name = page.evaluate(js)
    while name != expected and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        name = page.evaluate(js)
    return name


def _run_start_here(page, shots: Path) -> None:
    """With the network: run 00_start_here in the browser and check what it shows."""
    lab.wait_until(page, lambda s: s and s["kernel"] == "idle", 300, "the Pyodide kernel")
    run_s = lab.run_all_cells(page, timeout_s=600)
    lab.wait_for_widgets(page)
    page.screenshot(path=str(shots / "00_start_here_run.png"))
    cells = lab.notebook_report(page)
    problems = []
    for cell in cells:
        if cell["count"] is None:
            problems.append(f"cell {cell['index']} did not run")
        for out in cell["outputs"]:
            if out["output_type"] == "error" or "Traceback" in (out["text"] or ""):
                problems.append(f"cell {cell['index']}: {out['text'][-800:]}")
    texts = "\n".join(o["text"] or "" for c in cells for o in c["outputs"])
    if "reverse mode" not in texts:
        problems.append("the setup check printed nothing")
    widgets = [o for c in cells for o in c["outputs"] if o["widget"]]
    if not widgets or any(o["dom_widgets"] == 0 for o in widgets):
        problems.append("the slider did not render as a widget")
    print(f"\n  lite: 00_start_here ran in {run_s:.0f} s")
    assert not problems, "\n".join(problems)
