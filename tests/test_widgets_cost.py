"""jacobian_cost_explorer headless: every control, extremes included, never raises."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.widgets.cost import jacobian_cost_explorer, measure


@pytest.fixture(scope="module")
def w():
    return jacobian_cost_explorer()


def test_builds_with_a_result(w):
    assert w.error is None
    assert w.png[:4] == b"\x89PNG"
    assert w.run_button is not None and w.progress.value == 1.0
    assert list(w.result["n"]["sizes"]) == [1, 2, 4, 8, 16, 32, 64]


@pytest.mark.parametrize("name,values", [
    ("show", ["ratio", "time", "ratio"]),
    ("log_x", [False, True, False]),
    ("log_y", [False, True, False]),
    ("crossover", [False, True, False]),
])
def test_view_controls_redraw_without_recomputing(w, name, values):
    result = w.result
    for value in values:
        before = w.png
        w.controls[name].value = value
        assert w.error is None
        assert w.result is result  # drawn from the cache
        assert w.png != before
        assert w.last_redraw_s is not None


def test_settings_wait_for_run(w):
    result = w.result
    w.controls["fixed"].value = 3
    assert w.result is result
    assert "Run" in w.message.value
    w.run()
    assert w.result is not result
    assert w.result["n"]["fixed"] == 3 and list(w.result["m"]["n"])[0] == 3


@pytest.mark.parametrize("settings", [
    {"fixed": 1, "largest": 8, "hidden": 4, "repeat": 1, "clock": "cpu"},
    {"fixed": 64, "largest": 8, "hidden": 512, "repeat": 9, "clock": "wall"},
    {"fixed": 1, "largest": 256, "hidden": 4, "repeat": 1, "clock": "wall"},
    {"fixed": 64, "largest": 256, "hidden": 512, "repeat": 1, "clock": "cpu"},
    {"fixed": 16, "largest": 16, "hidden": 32, "repeat": 2, "clock": "wall"},
])
def test_compute_controls_at_extremes(w, settings):
    before_png, before = w.png, w.result
    for name, value in settings.items():
        w.controls[name].value = value
    w.run()
    assert w.error is None
    assert w.result is not before
    assert w.png != before_png
    assert w.progress.value == 1.0
    sweep_n, sweep_m = w.result["n"], w.result["m"]
    assert sweep_n["sizes"][-1] == settings["largest"]
    assert np.all(sweep_n["m"] == settings["fixed"]) and np.all(sweep_m["n"] == settings["fixed"])
    assert sweep_n["hidden"] == settings["hidden"]
    assert sweep_n["clock"] == settings["clock"] == w.result["settings"]["clock"]
    np.testing.assert_array_equal(sweep_n["jvps"], sweep_n["n"])
    np.testing.assert_array_equal(sweep_m["vjps"], sweep_m["m"])
    for name in ("show", "log_x", "log_y", "crossover"):  # every view still draws
        w.controls[name].value = not w.controls[name].value if name != "show" else "ratio"
        assert w.error is None
    w.controls["show"].value = "time"


def test_measure_reports_progress():
    seen = []
    measure(fixed=2, largest=4, hidden=4, repeat=1, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (6, 6)
    assert [d for d, _ in seen] == list(range(1, 7))


def test_views_reuse_the_kept_figure():
    from widget_checks import check_new_result_rebuilds, check_view_reuses_figure

    w = jacobian_cost_explorer()
    w.controls["show"].value = "time"
    check_view_reuses_figure(w, "crossover", not w.controls["crossover"].value)  # blitted
    w.controls["show"].value = "ratio"  # built once, on first use
    w.controls["show"].value = "time"
    check_view_reuses_figure(w, "show", "ratio", blitted=False)  # shown again, not rebuilt
    check_view_reuses_figure(w, "show", "time", blitted=False)
    w.controls["largest"].value = 8
    check_new_result_rebuilds(w, repeat=1)
