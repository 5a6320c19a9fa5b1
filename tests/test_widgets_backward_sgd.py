"""The backward-SGD explorers, headless: every control, extremes included, never raises.

Each test moves controls (pressing Run where there is a Run button) and checks that the result
and the PNG changed and that `w.error is None`; view-only controls redraw from the cache; a
learning rate too large is drawn as a divergence, not raised.
"""

from __future__ import annotations

import numpy as np
import pytest
from widget_checks import run_and_check, toggle_view

import gradlab.widgets
from gradlab.widgets.backward_sgd import backward_sgd_explorer, digits_order_explorer


def test_builders_are_exported():
    assert gradlab.widgets.backward_sgd_explorer is backward_sgd_explorer
    assert gradlab.widgets.digits_order_explorer is digits_order_explorer


# --------------------------------------------------------------------------------------------
# 2-D least squares
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def plane():
    return backward_sgd_explorer()


def test_plane_explorer_builds_with_a_converging_backward_path(plane):
    assert plane.error is None and plane.png[:4] == b"\x89PNG"
    assert plane.run_button is None
    r = plane.result
    assert all(v is None for v in r["diverged_at"].values())
    steps = r["steps"]["backward"]
    assert steps[-1] < 1e-4 * steps[0]                       # backward freezes
    assert np.median(r["steps"]["forward"][-20:]) > 1e-2      # forward keeps jittering
    n = len(steps)
    assert r["evals"] == {"forward": n, "backward": n * (n + 1) // 2,
                          "windowed": sum(min(i, 4) for i in range(1, n + 1))}


@pytest.mark.parametrize("name", ["show_cloud", "show_windowed", "log_steps"])
def test_plane_explorer_view_controls_only_redraw(plane, name):
    toggle_view(plane, name)


def test_plane_explorer_keeps_its_figure_for_views_and_rebuilds_for_a_result(plane):
    axes = list(plane.fig.axes)
    left, right = axes
    plane.controls["show_windowed"].value = False
    assert "sliding" not in " ".join(t.get_text() for t in right.get_legend().get_texts())
    assert len(left.lines[2].get_xdata()) == 0  # the windowed path, hidden
    plane.controls["log_steps"].value = False
    assert right.get_yscale() == "linear" and plane.fig.axes == axes
    plane.controls["show_windowed"].value = True
    plane.controls["log_steps"].value = True
    assert right.get_yscale() == "log" and plane.fig.axes == axes
    run_and_check(plane, seed=3)
    assert not set(map(id, plane.fig.axes)) & set(map(id, axes))
    run_and_check(plane, seed=0)


@pytest.mark.parametrize("values", [
    {"lr": 0.01}, {"lr": 1.0}, {"batch_size": 16}, {"batch_size": 1}, {"window": 32},
    {"window": 1}, {"mode": "blocked"}, {"mode": "sliding"}, {"seed": 20}, {"seed": 0},
    {"n_steps": 10}, {"n_steps": 200}, {"n_steps": 120, "lr": 0.5, "window": 4},
])
def test_plane_explorer_controls(plane, values):
    r = run_and_check(plane, **values)
    for k, v in values.items():
        if k in ("lr", "batch_size", "window", "mode", "seed"):
            assert r[k] == v
    if "n_steps" in values:
        assert len(r["thetas"]["forward"]) == values["n_steps"] + 1


def test_plane_explorer_draws_divergence_at_the_largest_learning_rate(plane):
    r = run_and_check(plane, lr=3.0)
    assert r["diverged_at"]["forward"] is not None
    assert r["diverged_at"]["backward"] is not None
    for name in ("log_steps", "show_windowed"):  # (no backward limits left to show or hide)
        toggle_view(plane, name)
    run_and_check(plane, lr=0.5)


# --------------------------------------------------------------------------------------------
# Digits MLP (Run button)
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    return digits_order_explorer(n_steps=40)


def test_digits_explorer_builds(digits):
    assert digits.error is None and digits.png[:4] == b"\x89PNG"
    assert digits.run_button is not None and digits.progress.value == 1.0
    curves = digits.result["curves"]
    assert set(curves) == {"forward", "blocked k=4"}
    assert np.all(np.isfinite(curves["forward"]["loss"]))


@pytest.mark.parametrize("name", ["x_axis", "log_loss"])
def test_digits_explorer_view_controls_only_redraw(digits, name):
    toggle_view(digits, name)


def test_digits_explorer_keeps_its_figure_for_views(digits):
    axes = list(digits.fig.axes)
    forward = axes[0].lines[0]
    digits.controls["x_axis"].value = "gradient evaluations"
    evals = digits.result["curves"]["forward"]["evals"]
    np.testing.assert_array_equal(forward.get_xdata(), evals)  # the whole equal-compute run
    digits.controls["x_axis"].value = "steps"
    assert len(forward.get_xdata()) == digits.result["n_steps"] + 1  # cut to the others' steps
    digits.controls["log_loss"].value = False
    assert axes[0].get_yscale() == "linear"
    digits.controls["log_loss"].value = True
    assert digits.fig.axes == axes and axes[0].get_yscale() == "log"


@pytest.mark.parametrize("values", [
    {"window": 1}, {"window": 16}, {"mode": "sliding"}, {"n_steps": 20}, {"seed": 10},
    {"backward_steps": 10}, {"lr": 0.05}, {"n_steps": 40, "window": 4, "backward_steps": 0},
])
def test_digits_explorer_controls(digits, values):
    r = run_and_check(digits, **values)
    assert r["n_steps"] == digits.controls["n_steps"].value
    names = set(r["curves"])
    k, mode = digits.controls["window"].value, digits.controls["mode"].value
    assert f"{mode} k={k}" in names
    assert ("backward (full)" in names) == (digits.controls["backward_steps"].value > 0)


@pytest.mark.slow
def test_digits_explorer_extremes_and_divergence(digits):
    r = run_and_check(digits, lr=5.0, n_steps=400, window=16, backward_steps=60)
    assert r["curves"]["forward"]["diverged_at"] is not None
    for name in ("x_axis", "log_loss"):
        toggle_view(digits, name)
    run_and_check(digits, lr=0.6, n_steps=40, window=4, backward_steps=0)
