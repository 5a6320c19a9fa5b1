"""The notebooks in a real browser: JupyterLab + headless Chromium (Debian's) driven by Playwright.

For each numbered notebook in notebooks/ (and those in notebooks/exercises/ when
GRADLAB_BROWSER_EXERCISES=1): open it in JupyterLab, Run → Run All Cells, wait for the kernel,
then check that
- no cell shows an error (error outputs, stderr tracebacks, "Traceback" in rendered text) and
  every code cell ran (Run All stops at the first error);
- every widget the kernel displayed rendered as a widget (no "Loading widget...", no "Error
  displaying widget", widget elements present, no "Error:" message inside the widget);
- moving one control of every widget that has controls changes the displayed figure (the
  <img> src; a widget without images is compared by screenshot). For a gradlab Explorer that is
  its first view-only control (found by tagging `Explorer.view` controls with a CSS class from
  the kernel), which must redraw without Run; a widget with no view-only control gets a control
  moved and, if it asks for it, Run pressed.
Screenshots go to test-artifacts/screenshots/<notebook>/ (git-ignored) and the run times to
test-artifacts/browser_times.json.

Without /usr/bin/chromium (or the playwright package) the test is skipped, except under CI=true,
where it fails: CI installs Chromium (.ci/run) and must never pass by skipping this.
Cells tagged `raises-exception` may show an error; cells tagged `skip-execution` may stay unrun.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from browser import lab

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
# GRADLAB_NOTEBOOKS points the test at another folder (to test the test on broken notebooks).
NOTEBOOKS = Path(os.environ.get("GRADLAB_NOTEBOOKS", ROOT / "notebooks")).resolve()
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
RUN_ALL_TIMEOUT_S = 180
CHANGE_TIMEOUT_S = 15
RUN_BUTTON_TIMEOUT_S = 90
MAX_CONTROLS_TRIED = 6

ANSI = re.compile(r"\x1b\[[0-9;]*m")
ERROR_LINE = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception): ", re.M)


def _browser_notebooks() -> list[Path]:
    found = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if os.environ.get("GRADLAB_BROWSER_EXERCISES") == "1":
        found += sorted(
            p for p in (NOTEBOOKS / "exercises").rglob("*.ipynb")
            if ".ipynb_checkpoints" not in p.parts
        )
    return found


_unavailable = lab.unavailable


def test_a_missing_browser_skips_only_outside_ci(monkeypatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        _unavailable("no chromium")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        _unavailable("no chromium")


@pytest.fixture(scope="module")
def browser():
    with lab.chromium_browser() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def server(browser):
    with lab.LabServer(NOTEBOOKS) as s:
        yield s


@pytest.fixture(scope="module")
def times():
    record: dict[str, dict] = {}
    yield record
    if record:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / "browser_times.json"
        path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")


def _problems_in_outputs(cells) -> list[str]:
    problems = []
    for cell in cells:
        first_line = cell["source"].splitlines()[0][:60] if cell["source"] else ""
        where = f"cell {cell['index']} ({first_line!r})"
        may_raise = "raises-exception" in cell["tags"]
        if cell["count"] is None and "skip-execution" not in cell["tags"]:
            problems.append(f"{where} did not run (Run All stopped early?)")
        for out in cell["outputs"]:
            texts = []
            if out["output_type"] == "error":
                texts.append(out["text"])
            if out["output_type"] == "stream" and out["name"] == "stderr":
                texts.append(out["text"])
            texts += out["dom_stderr"]
            bad = [t for t in texts if ERROR_LINE.search(t or "")]
            bad += [t for t in out["dom_rendered_text"] if "Traceback" in t]
            if out["output_type"] == "error" and not bad:
                bad.append(out["text"])
            if bad and not may_raise:
                problems.append(f"{where} shows an error:\n{ANSI.sub('', bad[0])[-1500:]}")
            if out["widget"]:
                text = out["dom_text"] or ""
                if "Loading widget" in text:
                    problems.append(f"{where}: widget still says 'Loading widget...'")
                if "Error displaying widget" in text:
                    problems.append(f"{where}: 'Error displaying widget'")
                if out["dom_widgets"] == 0:
                    problems.append(f"{where}: the kernel displayed a widget but the page shows "
                                    f"no widget element (text shown: {text[:200]!r})")
                if re.search(r"^Error( while drawing)?:", text, re.M):
                    problems.append(f"{where}: the widget shows an error message: {text[:300]!r}")
    return problems


def _widget_error(widget) -> str | None:
    text = widget.inner_text()
    match = re.search(r"^Error( while drawing)?:.*$", text, re.M)
    return match.group(0) if match else None


def _exercise_widget(page, widget, shots: Path, name: str) -> tuple[str | None, str]:
    """Move controls until the figure changes. Returns (problem or None, what was done).

    Controls are tried in turn; one whose change asks for a new computation ("press Run") is
    moved back and the next one tried, so that view-only controls are preferred. If only such
    controls exist, the last one is moved again and Run is pressed.
    """
    view_controls = lab.widget_controls(widget, within=".gl-view")
    for kind, control in view_controls[:1]:
        # An Explorer's view-only control: it must redraw, without Run.
        before = lab.figure_state(widget)
        widget.screenshot(path=str(shots / f"{name}_before.png"))
        action, _ = lab.move_control(page, widget, kind, control)
        action = f"view-only {action}"
        if lab.wait_for_change(page, widget, before, CHANGE_TIMEOUT_S):
            return _after_change(widget, shots, name, action)
        widget.screenshot(path=str(shots / f"{name}_after.png"))
        error = _widget_error(widget)
        if error:
            return f"after {action}: the widget shows {error!r}", action
        return (f"the figure did not change after {action} "
                f"(screenshots {shots}/{name}_before.png / _after.png)"), action
    controls = lab.widget_controls(widget)
    if not controls:
        return None, "no controls (display-only widget)"
    tried, needs_run = [], None
    for kind, control in controls[:MAX_CONTROLS_TRIED]:
        before = lab.figure_state(widget)
        widget.screenshot(path=str(shots / f"{name}_before.png"))
        action, undo = lab.move_control(page, widget, kind, control)
        changed = lab.wait_for_change(page, widget, before, CHANGE_TIMEOUT_S,
                                      stop=lambda: lab.says_press_run(widget))
        if changed:
            return _after_change(widget, shots, name, "; ".join([*tried, action]))
        error = _widget_error(widget)
        if error:
            widget.screenshot(path=str(shots / f"{name}_after.png"))
            return f"after {action}: the widget shows {error!r}", action
        if lab.says_press_run(widget) and lab.run_button(widget) is not None:
            needs_run = (kind, control)
            undo()
            tried.append(f"{action} (needs Run; moved back)")
            continue
        tried.append(action)
    if needs_run is not None:
        kind, control = needs_run
        before = lab.figure_state(widget)
        widget.screenshot(path=str(shots / f"{name}_before.png"))
        action, _ = lab.move_control(page, widget, kind, control)
        lab.run_button(widget).click()
        action += " + Run"
        if lab.wait_for_change(page, widget, before, RUN_BUTTON_TIMEOUT_S):
            return _after_change(widget, shots, name, action)
        tried.append(action)
    widget.screenshot(path=str(shots / f"{name}_after.png"))
    return (f"the figure did not change after any of: {tried} "
            f"(screenshots {shots}/{name}_before.png / _after.png)"), "; ".join(tried)


def _after_change(widget, shots: Path, name: str, action: str) -> tuple[str | None, str]:
    widget.screenshot(path=str(shots / f"{name}_after.png"))
    error = _widget_error(widget)
    if error:
        return f"after {action}: the widget shows {error!r}", action
    return None, action


@pytest.mark.parametrize(
    "notebook", _browser_notebooks(), ids=lambda p: str(p.relative_to(NOTEBOOKS))
)
def test_notebook_runs_in_jupyterlab(notebook: Path, browser, server, times, capsys) -> None:
    rel = notebook.relative_to(NOTEBOOKS).as_posix()
    shots = SCREENSHOTS / rel.replace("/", "__").removesuffix(".ipynb")
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    start = time.monotonic()
    try:
        lab.open_notebook(page, server, f"notebooks/{rel}")
        run_s = lab.run_all_cells(page, timeout_s=RUN_ALL_TIMEOUT_S)
        lab.wait_for_widgets(page)
        page.screenshot(path=str(shots / "after_run_all.png"))
        lab.mark_view_controls(page)
        cells = lab.notebook_report(page)
        problems = _problems_in_outputs(cells)

        widget_outputs = [(c, o) for c in cells for o in c["outputs"] if o["widget"]]
        actions = []
        if not problems:
            for cell, out in widget_outputs:
                name = f"cell{cell['index']:02d}_out{out['index']}"
                widget = page.locator(f"[data-gl-out='{cell['index']}-{out['index']}']")
                widget.scroll_into_view_if_needed()
                widget.screenshot(path=str(shots / f"{name}.png"))
                problem, action = _exercise_widget(page, widget, shots, name)
                actions.append(f"{name}: {action}")
                if problem:
                    problems.append(f"cell {cell['index']}: {problem}")

        links = page.locator(".jp-RenderedMarkdown a[href$='.ipynb']")
        if not problems and links.count():
            # A link to another notebook opens it in JupyterLab (00_start_here is all links).
            target = links.first.get_attribute("href")
            links.first.click()
            tab = page.locator(f".lm-TabBar-tabLabel:text-is('{Path(target).name}')")
            try:
                tab.wait_for(timeout=20_000)
            except Exception:
                problems.append(f"clicking the link to {target!r} did not open it in a tab")
        page.screenshot(path=str(shots / "end.png"))
    except Exception:
        page.screenshot(path=str(shots / "failure.png"))
        raise
    finally:
        total_s = time.monotonic() - start
        context.close()
        server.shutdown_kernels()

    times[rel] = {"run_all_s": round(run_s, 2), "total_s": round(total_s, 2),
                  "widgets": len(widget_outputs)}
    with capsys.disabled():
        print(f"\n  browser {rel}: Run All {run_s:.1f} s, test {total_s:.1f} s, "
              f"{len(widget_outputs)} widget(s): {'; '.join(actions) or '-'}")
    if page_errors:
        problems_hint = f"\n(page errors: {page_errors[:3]})"
    else:
        problems_hint = ""
    assert not problems, (
        f"{rel} in JupyterLab:\n- " + "\n- ".join(problems)
        + f"\nscreenshots: {shots}{problems_hint}"
    )
