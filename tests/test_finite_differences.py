"""Finite differences: the V-shaped error curve, its model and the optimal step."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab.numpy as gnp
from gradlab.estimators.finite_differences import (
    EPS,
    EXAMPLES,
    central_difference,
    directional_derivatives,
    error_curve,
    error_model,
    forward_difference,
    optimal_step,
    tangent_study,
)

CASES = [
    (gnp.sin, 1.0, 1.0),
    (lambda x: gnp.exp(x) * x, 0.7, 1.0),
    (lambda p: gnp.sin(p[0]) * p[1] * p[1] + gnp.exp(p[1]), np.array([0.3, -0.5]),
     np.array([0.6, 0.8])),
]


def _at(curve, h):
    return int(np.argmin(np.abs(np.log(curve["hs"] / h))))


def test_differences_on_polynomials():
    f = lambda x: 3.0 * x ** 2 + x  # noqa: E731
    # forward difference of a quadratic: f'(x) + 3h exactly (up to rounding)
    assert forward_difference(f, 2.0, 1.0, 0.5) == pytest.approx(13.0 + 1.5)
    # central difference is exact for quadratics
    assert central_difference(f, 2.0, 1.0, 0.5) == pytest.approx(13.0)
    # the direction scales the result
    assert central_difference(f, 2.0, -2.0, 0.5) == pytest.approx(-26.0)


def test_directional_derivatives_are_exact():
    d = directional_derivatives(gnp.sin, 0.8, 1.0, order=3)
    np.testing.assert_allclose(d, [np.sin(0.8), np.cos(0.8), -np.sin(0.8), -np.cos(0.8)],
                               rtol=1e-14)
    d = directional_derivatives(lambda p: p[0] * p[1], np.array([2.0, 3.0]),
                                np.array([1.0, 2.0]), order=2)
    np.testing.assert_allclose(d, [6.0, 3.0 + 4.0, 4.0])  # D²_v (xy) = 2 v_x v_y


def _window_median(curve, scheme, h, factor=10.0):
    """The median measured error for steps within a factor of h (robust to lucky dips)."""
    hs = curve["hs"]
    keep = (hs >= h / factor) & (hs <= h * factor)
    return float(np.median(curve["error"][scheme][keep]))


@pytest.mark.parametrize("f, x, v", CASES)
def test_error_at_optimal_h_is_near_the_model_minimum(f, x, v):
    curve = error_curve(f, x, v, hs=np.logspace(-16, 0, 129))
    for scheme in ("forward", "central"):
        h_opt, floor = curve["h_opt"][scheme], curve["model_min"][scheme]
        near = _window_median(curve, scheme, h_opt)
        # the model estimates the size of the error (it is not a bound): within a factor 30
        assert floor / 30 < near < 30 * floor, (scheme, near, floor)
        # the bottom of the V is there: 1000 times smaller or larger steps do worse
        assert near < _window_median(curve, scheme, h_opt * 1e3)
        assert near < _window_median(curve, scheme, h_opt * 1e-3)


@pytest.mark.parametrize("f, x, v", CASES)
def test_central_beats_forward(f, x, v):
    curve = error_curve(f, x, v)
    assert curve["error"]["central"].min() < curve["error"]["forward"].min() / 10
    assert curve["h_opt"]["central"] > curve["h_opt"]["forward"]
    assert curve["model_min"]["central"] < curve["model_min"]["forward"]


def _slope(curve, scheme, lo, hi):
    hs, err = curve["hs"], curve["error"][scheme]
    keep = (hs >= lo) & (hs <= hi) & (err > 0)
    return np.polyfit(np.log10(hs[keep]), np.log10(err[keep]), 1)[0]


def test_the_v_shape_slopes():
    curve = error_curve(gnp.sin, 1.0, 1.0)
    # truncation side: error ∝ h (forward) and h² (central)
    assert _slope(curve, "forward", 1e-5, 1e-2) == pytest.approx(1.0, abs=0.1)
    assert _slope(curve, "central", 1e-3, 1e-1) == pytest.approx(2.0, abs=0.1)
    # round-off side: error ∝ 1/h (noisy, so a loose band)
    assert -1.5 < _slope(curve, "forward", 1e-15, 1e-10) < -0.5
    assert -1.5 < _slope(curve, "central", 1e-15, 1e-8) < -0.5


def test_optimal_step_minimises_the_model():
    d2, d3, scale = 0.7, -1.3, 2.0
    for scheme in ("forward", "central"):
        h = optimal_step(d2, d3, scale, scheme)
        m = error_model(h, d2, d3, scale, scheme)[0]
        assert m < error_model(h * 1.05, d2, d3, scale, scheme)[0]
        assert m < error_model(h / 1.05, d2, d3, scale, scheme)[0]
    assert optimal_step(0.7, 0.0, 1.0, "forward") == pytest.approx(2 * np.sqrt(EPS / 0.7))
    assert optimal_step(0.0, 1.0, 1.0, "forward") == np.inf  # linear: no truncation error
    assert optimal_step(1.0, 1.0, 0.0, "central") == 0.0  # no round-off growing as h shrinks
    assert np.isnan(optimal_step(np.nan, 1.0, 1.0, "forward"))
    with pytest.raises(ValueError):
        optimal_step(1.0, 1.0, 1.0, "backward")


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_tangent_study_for_every_example(name):
    f, dim = EXAMPLES[name]
    x = np.array(0.6) if dim == 1 else np.array([0.6, -0.3])
    v = np.array(1.0) if dim == 1 else np.array([0.8, 0.6])
    s = tangent_study(f, x, v)
    assert s["dim"] == dim
    assert s["along"].shape == s["ts"].shape
    # the slope of the slice at t = 0 is the JVP
    k = len(s["ts"]) // 2
    assert s["ts"][k] == 0.0
    fd = (s["along"][k + 1] - s["along"][k - 1]) / (s["ts"][k + 1] - s["ts"][k - 1])
    assert fd == pytest.approx(s["jvp"], rel=0.05, abs=0.05)
    assert s["curve"]["error"]["central"].min() < 1e-6
    if dim == 2:
        X, Y, Z = s["grid"]
        assert X.shape == Z.shape
    else:
        assert s["domain"][0].shape == s["domain"][1].shape


def test_error_curve_survives_zero_derivatives_and_points_on_poles():
    # x³ − 2x at 0: D² = 0, so the forward model has no truncation and no optimal h
    f = EXAMPLES["x³ − 2x"][0]
    with np.errstate(all="raise"):
        curve = error_curve(f, 0.0, 1.0)
    assert curve["h_opt"]["forward"] == np.inf
    assert curve["h_opt"]["central"] == 0.0  # f(0) = 0 and x = 0: no growing round-off
    assert curve["model_min"]["central"] == pytest.approx(EPS * 2.0)
    assert np.all(np.isfinite(curve["error"]["forward"]))
    assert np.all(np.isfinite(curve["model"]["central"]))
