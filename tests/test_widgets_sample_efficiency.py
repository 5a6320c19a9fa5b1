"""sg_vs_bp_explorer and bandit_learning_explorer headless: every control, extremes included."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.widgets.sample_efficiency import (
    bandit_learning_explorer,
    compute,
    errors,
    sg_vs_bp_explorer,
)


@pytest.fixture(scope="module")
def w():
    return sg_vs_bp_explorer()


@pytest.fixture(scope="module")
def wl():
    return bandit_learning_explorer()


def test_builds_with_a_result(w, wl):
    for x in (w, wl):
        assert x.error is None
        assert x.png[:4] == b"\x89PNG"
        assert x.run_button is not None and x.progress.value == 1.0
    assert list(w.result["n"]) == [8, 16, 32, 64, 128, 256, 512, 1024]
    assert wl.result["reward"].shape[:2] == (3, 10)


@pytest.mark.parametrize("name,values", [
    ("lam", [0.0, 1.0, 0.25, 0.5]),
    ("log_y", [False, True]),
    ("relative", [False, True]),
])
def test_view_controls_redraw_without_recomputing(w, name, values):
    result = w.result
    for value in values:
        before = w.png
        w.controls[name].value = value
        assert w.error is None
        assert w.result is result
        assert w.png != before
        assert w.last_redraw_s is not None


def shown(fig):
    """The axes on screen: the ratio panel (built first), then the two left panels."""
    return [ax for ax in fig.axes if ax.get_visible()]


def test_lambda_moves_the_mixture_on_the_kept_figure(w):
    w.controls["log_y"].value, w.controls["relative"].value = True, True
    w.controls["lam"].value = 0.5
    axes = list(w.fig.axes)
    ratio, curves, bars = shown(w.fig)
    mixture = [ln for ln in curves.lines if ln.get_animated()]
    before = mixture[0].get_ydata().copy()
    w.controls["lam"].value = 0.25
    assert w.fig.axes == axes and not np.allclose(mixture[0].get_ydata(), before)
    e = errors(w.result, (0.25,))
    np.testing.assert_allclose(mixture[0].get_ydata(), e["rel_mse"][0])
    w.controls["lam"].value = 1.0  # λ = 1 is the SG curve: no separate mixture
    assert len(mixture[0].get_xdata()) == 0


def test_a_scale_is_built_once_then_shown_again(w):
    w.controls["log_y"].value, w.controls["relative"].value = True, True
    ratio, curves, bars = shown(w.fig)
    w.controls["log_y"].value = False  # the left panels of the linear scale
    assert shown(w.fig)[0] is ratio and not {curves, bars} & set(shown(w.fig))
    assert shown(w.fig)[1].get_yscale() == "linear" and not curves.get_visible()
    linear = list(w.fig.axes)
    w.controls["lam"].value = 0.35  # λ moves the mixture of the scale on screen
    np.testing.assert_allclose(
        [ln for ln in shown(w.fig)[1].lines if ln.get_animated()][0].get_ydata(),
        errors(w.result, (0.35,))["rel_mse"][0])
    w.controls["log_y"].value = True  # built already: the same axes again, nothing new
    assert shown(w.fig) == [ratio, curves, bars] and w.fig.axes == linear
    assert curves.get_yscale() == "log"
    np.testing.assert_allclose(  # ... with the mixture at the current λ
        [ln for ln in curves.lines if ln.get_animated()][0].get_ydata(),
        errors(w.result, (0.35,))["rel_mse"][0])
    result = w.result
    w.controls["sigma"].value = 1.0
    w.run()  # a new result: a new figure
    assert not set(map(id, w.fig.axes)) & set(map(id, linear))
    assert w.result is not result and len(shown(w.fig)) == 3


def test_learning_view_keeps_its_figure(wl):
    axes = list(wl.fig.axes)
    for value in ("reward", "regret"):
        wl.controls["show"].value = value
        assert wl.fig.axes == axes
        assert value in wl.fig.axes[0].get_ylabel()


def test_learning_view_redraws(wl):
    result = wl.result
    for value in ("reward", "regret"):
        before = wl.png
        wl.controls["show"].value = value
        assert wl.error is None and wl.result is result and wl.png != before


def test_settings_wait_for_run(w):
    result = w.result
    w.controls["sigma"].value = 30.0
    assert w.result is result and "Run" in w.message.value
    w.run()
    assert w.result is not result and w.result["sigma"] == 30.0


@pytest.mark.parametrize("settings", [
    {"sigma": 0.0, "n_max": 64, "sufficient": True, "m": 1, "contexts": "discrete",
     "protocol": "same"},
    {"sigma": 100.0, "n_max": 64, "sufficient": False, "m": 32, "contexts": "discrete",
     "protocol": "online"},
    {"sigma": 100.0, "n_max": 4096, "sufficient": False, "m": 1, "contexts": "continuous",
     "protocol": "online"},
    {"sigma": 0.0, "n_max": 256, "sufficient": True, "m": 2, "contexts": "continuous",
     "protocol": "same"},
])
def test_compute_controls_at_extremes(w, settings):
    before_png, before = w.png, w.result
    for name, value in settings.items():
        w.controls[name].value = value
    w.run()
    assert w.error is None
    assert w.result is not before and w.png != before_png
    assert w.result["n"][-1] == settings["n_max"]
    assert np.all(np.isfinite(w.result["bp"])) and np.all(np.isfinite(w.result["sg"]))
    for lam in (0.0, 1.0, 0.5):  # the view still draws at every λ
        w.controls["lam"].value = lam
        assert w.error is None


@pytest.mark.parametrize("settings", [
    {"sigma": 0.0, "m": 1, "sufficient": True, "lam": 0.0, "seeds": 2, "steps": 10},
    {"sigma": 100.0, "m": 16, "sufficient": False, "lam": 1.0, "seeds": 2, "steps": 30},
    {"sigma": 3.0, "m": 8, "sufficient": True, "lam": 0.3, "seeds": 30, "steps": 10},
])
def test_learning_controls_at_extremes(wl, settings):
    before_png, before = wl.png, wl.result
    for name, value in settings.items():
        wl.controls[name].value = value
    wl.run()
    assert wl.error is None
    assert wl.result is not before and wl.png != before_png
    assert wl.result["reward"].shape[1] == settings["seeds"]


def test_mixing_the_cache_matches_the_estimator():
    r = compute(sigma=1.0, n_max=64, runs=10, progress=None)
    e = errors(r, (0.0, 0.5, 1.0))
    np.testing.assert_allclose(e["mse"], e["bias2"] + e["variance"])
    mixed = 0.5 * (r["bp"] + r["sg"])
    direct = np.mean(np.sum((mixed - r["truth"]) ** 2, axis=-1), axis=0)
    np.testing.assert_allclose(e["mse"][1], direct)


def test_the_mixture_errors_are_quadratic_in_lambda():
    """The view gets the error at every λ of the slider from three values (λ = 0, ½, 1)."""
    from gradlab.plots.sample_efficiency import SLIDER_LAMS, _every_lambda
    r = compute(sigma=3.0, n_max=64, sufficient=False, runs=10, progress=None)
    fast, direct = _every_lambda(r), errors(r, SLIDER_LAMS)
    for key in ("mse", "bias2", "variance", "rel_mse", "rel_bias2_debiased"):
        np.testing.assert_allclose(fast[key], direct[key], rtol=1e-9, atol=1e-12)
