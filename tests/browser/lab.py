"""A JupyterLab server on 127.0.0.1 and the Playwright steps that drive it in headless Chromium.

Used by tests/test_browser.py. Nothing here asserts: the helpers start, wait, click and report;
the test decides what is a failure.

- `LabServer`: JupyterLab from this Python (the repo's venv) on a free port with a random token,
  its own temporary config/runtime/data/settings/workspace folders, serving a *copy* of the
  notebooks (so autosave can never write outputs into the committed files).
- `launch_chromium`, `chromium_browser`: Debian's /usr/bin/chromium through Playwright's
  `executable_path` (Playwright never downloads a browser here), with the flags this machine's
  closed network needs; `unavailable`: skip, or fail under CI=true, when it is missing.
- `open_notebook`, `run_all_cells`, `notebook_report`, `widget_controls`, `move_control`: the
  steps of the browser test.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# Debian's chromium; GRADLAB_CHROMIUM overrides the path (e.g. to check the missing-browser rule).
CHROMIUM = Path(os.environ.get("GRADLAB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# JupyterLab user settings: no news/update pop-up over the notebook, every cell attached to the
# DOM (the default windowing detaches off-screen cells, which would hide their outputs from the
# checks), and no autosave.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabServer:
    """JupyterLab serving a copy of `notebooks_dir` (as `<root>/notebooks/`)."""

    notebooks_dir: Path
    startup_timeout: float = 90.0
    port: int = 0
    token: str = field(default_factory=lambda: secrets.token_hex(24))
    root: Path | None = None
    proc: subprocess.Popen | None = None
    log_path: Path | None = None
    _tmp: tempfile.TemporaryDirectory | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{sep}token={self.token}"

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(
            f"{self.base_url}/api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def start(self) -> LabServer:
        self._tmp = tempfile.TemporaryDirectory(prefix="gradlab-lab-")
        tmp = Path(self._tmp.name)
        self.root = tmp / "root"
        shutil.copytree(
            self.notebooks_dir,
            self.root / "notebooks",
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
        dirs = {name: tmp / name for name in ("config", "runtime", "data", "settings", "ws")}
        for d in dirs.values():
            d.mkdir()
        for rel, values in LAB_SETTINGS.items():
            path = dirs["settings"] / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(dirs["config"]),
            JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
            JUPYTER_DATA_DIR=str(dirs["data"]),
            JUPYTER_PLATFORM_DIRS="0",
            # The kernel is this venv's python: jupyter_client swaps a kernel spec's bare
            # "python" for the server's sys.executable; putting the venv first on PATH makes
            # any other spelling resolve to it as well.
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        )
        env.pop("JUPYTER_PATH", None)
        self.port = free_port()
        self.log_path = tmp / "jupyterlab.log"
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser",
            "--ServerApp.open_browser=False",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            "--allow-root",
            f"--ServerApp.root_dir={self.root}",
            f"--LabApp.user_settings_dir={dirs['settings']}",
            f"--LabApp.workspaces_dir={dirs['ws']}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            # window.jupyterapp: lets the test read the notebook model (outputs, kernel status).
            "--LabApp.expose_app_in_browser=True",
        ]
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            cmd, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with code {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                self.api("status")
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"JupyterLab did not answer within {self.startup_timeout:.0f} s:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.3)

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except (OSError, AttributeError):
            return "(no log)"

    def shutdown_kernels(self) -> None:
        """Stop every running kernel (one notebook's kernel must not eat the next one's memory)."""
        try:
            for kernel in self.api("kernels"):
                self.api(f"kernels/{kernel['id']}", method="DELETE")
        except (urllib.error.URLError, OSError):
            pass

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.shutdown_kernels()
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def launch_chromium(playwright, extra_args=()):
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + list(extra_args), headless=True
    )


def unavailable(reason: str, what: str = "the browser test") -> None:
    """Skip the test, or fail it under CI=true (where .ci/run installs everything it needs)."""
    import pytest

    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, so {what} must run, not skip "
                    "(.ci/run installs Debian's chromium)", pytrace=False)
    pytest.skip(f"{reason} (install with: apt-get install -y chromium)")


@contextmanager
def chromium_browser(extra_args=()):
    """Debian's Chromium driven by Playwright for one test module; `unavailable` if missing."""
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable(f"the playwright package is not importable ({exc})")
    with sync_playwright() as p:
        browser = launch_chromium(p, extra_args)
        try:
            yield browser
        finally:
            browser.close()


# --- the notebook page -----------------------------------------------------------------------

_STATE_JS = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return null;
  const session = panel.sessionContext.session;
  const kernel = session && session.kernel;
  const cells = [];
  panel.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    cells.push({index: i, count: cell.model.executionCount,
                running: cell.node.querySelector('.jp-InputPrompt')?.innerText.includes('*')});
  });
  return {path: panel.context.path, ready: panel.context.isReady,
          kernel: kernel ? kernel.status : null, cells};
}"""

# One record per code cell: its outputs as the kernel sent them (model) and as the page shows them
# (DOM). Each output node is tagged data-gl-out="<cell>-<output>" so the test can locate it.
_REPORT_JS = r"""() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const WIDGET = 'application/vnd.jupyter.widget-view+json';
  const cells = [];
  panel.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    const tags = cell.model.getMetadata('tags') || [];
    const outs = [];
    const model = cell.model.outputs;
    for (let j = 0; j < model.length; j++) {
      const o = model.get(j).toJSON();
      const child = cell.outputArea.widgets[j];
      const node = child ? child.node : null;
      if (node) node.setAttribute('data-gl-out', `${i}-${j}`);
      let text = '';
      if (o.output_type === 'stream') text = Array.isArray(o.text) ? o.text.join('') : o.text;
      if (o.output_type === 'error')
        text = `${o.ename}: ${o.evalue}\n` + (o.traceback || []).join('\n');
      const data = o.data || {};
      outs.push({
        index: j, output_type: o.output_type, name: o.name || null,
        mimes: Object.keys(data), widget: WIDGET in data,
        text: text,
        dom_text: node ? node.innerText : null,
        dom_widgets: node
            ? node.querySelectorAll('.jupyter-widgets, [class*="widget-"]').length : 0,
        dom_stderr: node ? Array.from(node.querySelectorAll(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
            .map(e => e.innerText) : [],
        dom_rendered_text: node ? Array.from(node.querySelectorAll('.jp-RenderedText'))
            .map(e => e.innerText) : [],
      });
    }
    const src = cell.model.sharedModel.getSource();
    cells.push({index: i, tags, source: src.split('\n').slice(0, 3).join('\n'),
                count: cell.model.executionCount, outputs: outs});
  });
  return cells;
}"""


def open_notebook(page, server: LabServer, relpath: str, timeout_s: float = 90.0) -> None:
    """Open a notebook in a fresh JupyterLab workspace and wait for its kernel to be idle."""
    page.goto(server.url(f"lab/tree/{relpath}?reset"))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout_s * 1000)
    wait_until(page, lambda s: s and s["path"].endswith(relpath) and s["kernel"] == "idle",
               timeout_s, f"kernel of {relpath} to be idle")
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # wider screenshots


def notebook_state(page):
    return page.evaluate(_STATE_JS)


def wait_until(page, predicate, timeout_s: float, what: str, poll_s: float = 0.25):
    deadline = time.monotonic() + timeout_s
    state = None
    while time.monotonic() < deadline:
        state = notebook_state(page)
        if predicate(state):
            return state
        time.sleep(poll_s)
    raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}; last state {state}")


def run_all_cells(page, timeout_s: float = 180.0) -> float:
    """Run → Run All Cells from the menu bar; wait until the kernel is idle and no cell is queued.

    JupyterLab stops a Run All at the first error, so "done" means idle with nothing queued
    (cells after an error stay unexecuted; the test reports those).
    Returns the seconds taken.
    """
    start = time.monotonic()
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")

    def done(s):
        return (s and s["kernel"] == "idle"
                and not any(c["running"] for c in s["cells"])
                and any(c["count"] is not None for c in s["cells"]))

    # Idle must hold for a moment: between two cells the kernel can look idle.
    wait_until(page, done, timeout_s, "Run All Cells to finish")
    time.sleep(0.7)
    wait_until(page, done, timeout_s - (time.monotonic() - start), "Run All Cells to finish")
    return time.monotonic() - start


# Test instrumentation, run in the notebook's kernel after Run All: give every control that an
# Explorer lists in `view` (redraw only, no recompute) the CSS class gl-view, so the test can
# move exactly those in the page. Nothing else in the kernel changes.
_MARK_VIEW_CONTROLS = """
def _gl_mark_view_controls():
    import gc
    try:
        from gradlab.widgets.base import Explorer
    except ImportError:
        return
    for obj in gc.get_objects():
        if isinstance(obj, Explorer):
            for name in obj.view:
                obj.controls[name].add_class("gl-view")
_gl_mark_view_controls()
del _gl_mark_view_controls
"""

_EXECUTE_JS = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, silent: true, store_history: false});
  const reply = await future.done;
  return reply.content.status;
}"""


def mark_view_controls(page) -> str:
    """Tag view-only controls of every Explorer with the class gl-view (see above)."""
    status = page.evaluate(_EXECUTE_JS, _MARK_VIEW_CONTROLS)
    time.sleep(0.5)  # let the class changes reach the page
    return status


def notebook_report(page):
    return page.evaluate(_REPORT_JS)


def wait_for_widgets(page, timeout_s: float = 30.0) -> None:
    """Wait until no widget output still says "Loading widget..."."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        loading = page.locator(".jp-OutputArea-output:has-text('Loading widget')").count()
        if loading == 0:
            return
        time.sleep(0.25)


# --- controls ---------------------------------------------------------------------------------

# What counts as a control a student moves, in the order the test tries them: sliders first
# (points, directions and steps are sliders), then dropdowns, toggle buttons, checkboxes.
CONTROL_SELECTORS = [
    ("slider", ".noUi-handle"),
    ("dropdown", ".widget-dropdown select"),
    ("toggle", ".widget-toggle-buttons button:not(.mod-active)"),
    ("radio", ".widget-radio-box input[type=radio]:not(:checked)"),
    ("checkbox", ".widget-checkbox input[type=checkbox]"),
]


_DISABLED_JS = "el => !!(el.disabled || el.closest('[disabled], .mod-disabled'))"


def widget_controls(widget, within: str = ""):
    """[(kind, locator)] of the enabled controls inside one widget output, in the order to try;
    `within` limits them to controls inside elements matching that selector (e.g. ".gl-view")."""
    found = []
    for kind, selector in CONTROL_SELECTORS:
        if within:
            selector = ", ".join(f"{within}{sel}, {within} {sel}" for sel in selector.split(", "))
        loc = widget.locator(selector)
        for k in range(loc.count()):
            if not loc.nth(k).evaluate(_DISABLED_JS):
                found.append((kind, loc.nth(k)))
    return found


def run_button(widget):
    loc = widget.locator("button:has-text('Run')")
    return loc.first if loc.count() else None


def figure_state(widget):
    """What the widget shows: the src of every <img> in it (ipywidgets.Image sets a new blob URL
    for each new value), or, for a widget without images, a screenshot of it."""
    imgs = widget.locator("img")
    if imgs.count():
        return [imgs.nth(k).get_attribute("src") for k in range(imgs.count())]
    return widget.screenshot()


def slider_readouts(widget):
    return widget.locator(".widget-readout").all_inner_texts()


def move_control(page, widget, kind: str, control):
    """Move one control by one step. Returns (description, undo) where undo() moves it back."""
    control.scroll_into_view_if_needed()
    if kind == "slider":
        before = slider_readouts(widget)
        control.focus()
        page.keyboard.press("ArrowRight")
        time.sleep(0.2)
        if slider_readouts(widget) == before:  # already at its maximum
            page.keyboard.press("ArrowLeft")
            return ("slider: ArrowLeft (ArrowRight had no effect: at max)",
                    lambda: (control.focus(), page.keyboard.press("ArrowRight")))
        return "slider: ArrowRight", lambda: (control.focus(), page.keyboard.press("ArrowLeft"))
    if kind == "dropdown":
        options = control.locator("option")
        current = control.input_value()
        values = [options.nth(k).get_attribute("value") for k in range(options.count())]
        others = [v for v in values if v != current]
        if not others:
            return "dropdown: only one option", lambda: None
        control.select_option(others[0])
        return (f"dropdown: {current!r} -> {others[0]!r}",
                lambda: control.select_option(current))
    if kind == "checkbox":
        control.click()
        return "checkbox: click", control.click
    active = widget.locator(".widget-toggle-buttons button.mod-active, "
                            ".widget-radio-box input[type=radio]:checked")
    previous = active.first if active.count() else None
    control.click()
    return f"{kind}: click", (previous.click if previous is not None else (lambda: None))


def says_press_run(widget) -> bool:
    """The Explorer's message after a change that needs a new computation."""
    return "press Run" in widget.inner_text()


def wait_for_change(page, widget, before, timeout_s: float, stop=None,
                    stop_after_s: float = 3.0) -> bool:
    """Wait until the widget's figure differs from `before` and the kernel is idle (True), or
    until time runs out or, after `stop_after_s`, `stop()` is true (False)."""
    start = time.monotonic()
    deadline = start + timeout_s
    while time.monotonic() < deadline:
        state = notebook_state(page)
        if state and state["kernel"] == "idle":
            if figure_state(widget) != before:
                return True
            if stop is not None and time.monotonic() - start > stop_after_s and stop():
                return False
        time.sleep(0.2)
    return figure_state(widget) != before
