"""Derivatives at points where the derivative does not exist: gradlab's chosen conventions.

The conventions are stated in the docstring of gradlab/ad/numpy.py; each is tested here in both
modes (forward: jvp; reverse: grad / vjp), since the two modes have separate rules.

- abs'(0) = 0 and sign' = 0 everywhere; relu'(0) = 0;
- maximum/minimum: on a tie (x == y) each argument gets half the derivative;
- max/min over an axis: tied maxima share the derivative equally;
- clip: derivative 1 on the closed interval [a_min, a_max], 0 outside;
- norm at 0: gradient 0 (not NaN); sqrt'(0) = +inf, as in calculus.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradlab
import gradlab.numpy as gnp


def forward_derivative(f, x):
    """d/dx of an elementwise f, by forward mode (tangent of ones)."""
    return np.asarray(gradlab.jvp(f, (x,), (np.ones_like(x),))[1])


def reverse_derivative(f, x):
    """d/dx of an elementwise f, by reverse mode (gradient of the sum)."""
    return np.asarray(gradlab.grad(lambda x: gnp.sum(f(x)))(x))


def both_modes(f, x):
    return {"forward": forward_derivative(f, x), "reverse": reverse_derivative(f, x)}


MODES = ["forward", "reverse"]


def test_the_conventions_are_documented_in_gradlab_numpy():
    doc = gnp.__doc__
    for phrase in ["abs'(0) = 0", "sign' = 0", "relu'(0) = 0", "each argument gets half",
                   "tied maxima share the derivative equally", "closed interval",
                   "norm at 0: gradient 0"]:
        assert phrase in doc, phrase


@pytest.mark.parametrize("mode", MODES)
def test_abs_derivative_at_zero_is_zero(mode):
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(both_modes(gnp.abs, x)[mode], [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(both_modes(lambda x: abs(x), x)[mode], [-1.0, 0.0, 1.0])


@pytest.mark.parametrize("mode", MODES)
def test_sign_derivative_is_zero_everywhere(mode):
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(both_modes(gnp.sign, x)[mode], [0.0, 0.0, 0.0])
    # ... so sign(x) * x has derivative sign(x) (the x factor's), and 0 at 0.
    np.testing.assert_array_equal(both_modes(lambda x: gnp.sign(x) * x, x)[mode],
                                  [-1.0, 0.0, 1.0])


@pytest.mark.parametrize("mode", MODES)
def test_relu_derivative_at_zero_is_zero(mode):
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(both_modes(gnp.relu, x)[mode], [0.0, 0.0, 1.0])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, dx, dy", [("maximum", [0.0, 0.5, 1.0], [1.0, 0.5, 0.0]),
                                          ("minimum", [1.0, 0.5, 0.0], [0.0, 0.5, 1.0])])
def test_maximum_and_minimum_ties_split_the_derivative(mode, name, dx, dy):
    f = getattr(gnp, name)
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([2.0, 2.0, 2.0])  # x < y, x == y, x > y
    if mode == "forward":
        gx = gradlab.jvp(lambda x: f(x, y), (x,), (np.ones(3),))[1]
        gy = gradlab.jvp(lambda y: f(x, y), (y,), (np.ones(3),))[1]
    else:
        gx, gy = gradlab.grad(lambda x, y: gnp.sum(f(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, dx)
    np.testing.assert_array_equal(gy, dy)


@pytest.mark.parametrize("mode", MODES)
def test_maximum_of_a_value_with_itself_has_derivative_one(mode):
    # The two halves of the tie add up: d/dx max(x, x) = d/dx x = 1.
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(both_modes(lambda x: gnp.maximum(x, x), x)[mode], np.ones(3))
    np.testing.assert_array_equal(both_modes(lambda x: gnp.minimum(x, x), x)[mode], np.ones(3))


@pytest.mark.parametrize("mode", MODES)
def test_maximum_with_a_broadcast_tie(mode):
    # relu written as maximum(x, 0): a tie at x = 0 gives x half the derivative.
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(both_modes(lambda x: gnp.maximum(x, 0.0), x)[mode],
                                  [0.0, 0.5, 1.0])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reduction", ["max", "min"])
def test_tied_extremes_share_the_derivative_equally(mode, reduction):
    big = 5.0 if reduction == "max" else -5.0
    x = np.array([[big, 1.0, big, big],    # three-way tie
                  [0.0, big, 1.0, 2.0],    # unique extreme
                  [big, big, 0.0, 0.0]])   # two-way tie
    expected = np.array([[1 / 3, 0, 1 / 3, 1 / 3],
                         [0, 1, 0, 0],
                         [0.5, 0.5, 0, 0]])
    f = getattr(gnp, reduction)
    for axis, keepdims in [(1, False), (-1, True)]:
        def g(x, axis=axis, keepdims=keepdims):
            return f(x, axis=axis, keepdims=keepdims)
        if mode == "forward":  # row i of the Jacobian, one basis tangent at a time
            jac = gradlab.jacfwd(g)(x).reshape(3, 3, 4)
        else:
            jac = gradlab.jacrev(g)(x).reshape(3, 3, 4)
        np.testing.assert_allclose(jac[np.arange(3), np.arange(3)], expected, atol=1e-15)
    # Over the whole array: every tied global extreme gets an equal share.
    whole = gradlab.jacfwd(f)(x) if mode == "forward" else gradlab.grad(f)(x)
    n_ties = np.sum(x == big)
    np.testing.assert_allclose(whole, (x == big) / n_ties, atol=1e-15)


@pytest.mark.parametrize("mode", MODES)
def test_clip_derivative_is_one_on_the_closed_interval(mode):
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])  # below, at a_min, inside, at a_max, above
    got = both_modes(lambda x: gnp.clip(x, -1.0, 1.0), x)[mode]
    np.testing.assert_array_equal(got, [0.0, 1.0, 1.0, 1.0, 0.0])


@pytest.mark.parametrize("mode", MODES)
def test_norm_gradient_at_zero_is_zero_not_nan(mode):
    x = np.zeros(3)
    if mode == "forward":
        got = gradlab.jacfwd(gnp.norm)(x)
    else:
        got = gradlab.grad(gnp.norm)(x)
    np.testing.assert_array_equal(got, np.zeros(3))


@pytest.mark.parametrize("mode", MODES)
def test_norm_over_an_axis_with_a_zero_row(mode):
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    expected = np.array([[0.0, 0.0], [0.6, 0.8]])
    for keepdims in (False, True):
        def f(x, keepdims=keepdims):
            return gnp.sum(gnp.norm(x, axis=1, keepdims=keepdims))
        if mode == "forward":
            got = gradlab.jacfwd(f)(x)
        else:
            got = gradlab.grad(f)(x)
        np.testing.assert_allclose(got, expected, atol=1e-15)
        assert np.all(np.isfinite(got))


@pytest.mark.parametrize("mode", MODES)
def test_sqrt_derivative_at_zero_is_infinite(mode):
    with np.errstate(divide="ignore"):
        got = both_modes(gnp.sqrt, np.array([0.0, 4.0]))[mode]
    assert got[0] == np.inf
    assert got[1] == 0.25


@pytest.mark.parametrize("mode", MODES)
def test_comparisons_are_plain_and_not_differentiated(mode):
    seen = {}

    def f(x):
        mask = x > 0.0
        seen["type"] = type(mask)
        return gnp.where(mask, x, 0.0) * (x >= 1.0)

    x = np.array([-1.0, 0.5, 2.0])
    got = both_modes(f, x)[mode]
    assert seen["type"] is np.ndarray
    np.testing.assert_array_equal(got, [0.0, 0.0, 1.0])
