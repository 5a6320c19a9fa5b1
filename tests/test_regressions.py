"""Regression tests for the classic bugs of AD implementations, and for bugs we fixed.

- a reused intermediate must collect a contribution from every use (b = a + a; c = b + b);
- calling a derivative function again gives the same answer (no state left on the tape);
- deep chains must not hit Python's recursion limit (the sweeps are loops, not recursion);
- an output that does not depend on the input has zero derivatives, of the right shape;
- float32 inputs keep working.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import gradlab
import gradlab.numpy as gnp
from gradlab.testing import check_grads

MODES = ["forward", "reverse"]


def derivative(mode, f, x):
    """df/dx for scalar-valued f, by the given mode (forward: jacfwd; reverse: grad)."""
    if mode == "forward":
        return gradlab.jacfwd(f)(x)
    return gradlab.grad(f)(x)


# ----------------------------------------------------------------------------------------
# Reused intermediates.
# ----------------------------------------------------------------------------------------

def reuse_sum(a):
    b = a + a
    c = b + b
    return c


@pytest.mark.parametrize("mode", MODES)
def test_reused_intermediate_collects_every_use(mode):
    assert float(derivative(mode, reuse_sum, 1.5)) == 4.0
    got = derivative(mode, lambda a: gnp.sum(reuse_sum(a)), np.array([1.0, -2.0, 3.0]))
    np.testing.assert_array_equal(got, [4.0, 4.0, 4.0])


@pytest.mark.parametrize("mode", MODES)
def test_reused_nonlinear_intermediate(mode):
    def f(a):
        b = a * a
        return b * b + b  # a⁴ + a²

    for a in [0.5, -1.3]:
        np.testing.assert_allclose(derivative(mode, f, a), 4 * a ** 3 + 2 * a, rtol=1e-14)


@pytest.mark.parametrize("mode", MODES)
def test_diamond_and_the_same_value_used_by_two_arguments(mode):
    def f(x):
        y = gnp.sin(x)
        return y * y + y / gnp.exp(y) + x * y  # y used by several ops, x by two paths

    x = 0.7
    y, dy = np.sin(x), np.cos(x)
    expected = 2 * y * dy + dy * np.exp(-y) * (1 - y) + y + x * dy
    np.testing.assert_allclose(derivative(mode, f, x), expected, rtol=1e-13)


def test_reused_intermediate_second_order():
    def f(a):
        b = a * a
        return b * b  # a⁴

    np.testing.assert_allclose(gradlab.grad(gradlab.grad(f))(1.5), 12 * 1.5 ** 2)
    np.testing.assert_allclose(gradlab.hvp(lambda a: gnp.sum(f(a)), np.array([1.5]),
                                           np.array([1.0])), [12 * 1.5 ** 2])


# ----------------------------------------------------------------------------------------
# Calling derivative functions again.
# ----------------------------------------------------------------------------------------

def loss(x):
    return gnp.sum(gnp.tanh(x) ** 2 * gnp.exp(-x))


X = np.array([0.3, -1.2, 2.0])


def test_calling_a_gradient_function_twice_gives_the_same_answer():
    g = gradlab.grad(loss)
    first = g(X)
    second = g(X)
    np.testing.assert_array_equal(first, second)
    assert first is not second
    np.testing.assert_array_equal(g(X + 1.0), gradlab.grad(loss)(X + 1.0))


def test_calling_vjp_fn_twice_gives_the_same_answer():
    out, vjp_fn = gradlab.vjp(lambda x: gnp.tanh(x) * x, X)
    u = np.array([1.0, 2.0, 3.0])
    (first,) = vjp_fn(u)
    (second,) = vjp_fn(u)
    np.testing.assert_array_equal(first, second)
    (other,) = vjp_fn(2 * u)  # and it is linear in the cotangent
    np.testing.assert_allclose(other, 2 * first, rtol=1e-15)


def test_the_cotangent_passed_in_is_not_modified():
    out, vjp_fn = gradlab.vjp(lambda x: x + x * 2.0, X)
    u = np.ones(3)
    vjp_fn(u)
    vjp_fn(u)
    np.testing.assert_array_equal(u, np.ones(3))


def test_calling_jvp_twice_and_reusing_inputs():
    x, v = X.copy(), np.ones(3)
    first = gradlab.jvp(loss, (x,), (v,))
    second = gradlab.jvp(loss, (x,), (v,))
    assert first == second
    np.testing.assert_array_equal(x, X)  # inputs untouched
    np.testing.assert_array_equal(v, np.ones(3))


def test_hessian_function_called_twice():
    h = gradlab.hessian(loss)
    np.testing.assert_array_equal(h(X), h(X))


# ----------------------------------------------------------------------------------------
# Deep chains.
# ----------------------------------------------------------------------------------------

N_DEEP = 10_000


def deep_chain(x):
    for _ in range(N_DEEP):
        x = x * 1.0001 + 0.0
    return x


def test_deep_chain_reverse_mode_does_not_recurse():
    assert N_DEEP * 2 > sys.getrecursionlimit()  # the chain is longer than the limit
    np.testing.assert_allclose(gradlab.grad(deep_chain)(1.0), 1.0001 ** N_DEEP, rtol=1e-10)
    g = gradlab.grad(lambda x: gnp.sum(deep_chain(x)))(np.ones(3))
    np.testing.assert_allclose(g, np.full(3, 1.0001 ** N_DEEP), rtol=1e-10)


def test_deep_chain_forward_mode_does_not_recurse():
    out, t = gradlab.jvp(deep_chain, (1.0,), (1.0,))
    np.testing.assert_allclose(t, 1.0001 ** N_DEEP, rtol=1e-10)
    np.testing.assert_allclose(out, 1.0001 ** N_DEEP, rtol=1e-10)


def test_deep_chain_of_unary_functions():
    def f(x):
        for _ in range(N_DEEP):
            x = gnp.sin(x)
        return x

    x0, d = 0.5, 1.0
    for _ in range(N_DEEP):  # the chain rule by hand
        d *= np.cos(x0)
        x0 = np.sin(x0)
    np.testing.assert_allclose(gradlab.grad(f)(0.5), d, rtol=1e-9)
    np.testing.assert_allclose(gradlab.jvp(f, (0.5,), (1.0,))[1], d, rtol=1e-9)


# ----------------------------------------------------------------------------------------
# Outputs that do not depend on the input.
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("f", [
    lambda x: 3.0,
    lambda x: np.float64(2.0),
    lambda x: gnp.sum(np.ones(4)),
    lambda x: gnp.sum(gnp.sign(x)),            # depends only through a flat function
    lambda x: gnp.sum((x > 0.0) * 1.0),        # ... or a comparison
    lambda x: gnp.sum(x) * 0.0 + 1.0,          # depends, with derivative 0
], ids=["float", "numpy_scalar", "constant_array", "sign", "comparison", "times_zero"])
def test_constant_output_has_zero_gradient_of_the_right_shape(f):
    x = np.array([[1.0, -2.0], [3.0, 0.5]])
    for g in (gradlab.grad(f)(x), gradlab.jacfwd(f)(x), gradlab.jacrev(f)(x)):
        assert np.shape(g) == (2, 2)
        np.testing.assert_array_equal(g, np.zeros((2, 2)))
    _, t = gradlab.jvp(f, (x,), (np.ones((2, 2)),))
    assert np.shape(t) == () and t == 0.0
    np.testing.assert_array_equal(gradlab.hessian(f)(x), np.zeros((2, 2, 2, 2)))


def test_constant_vector_output_in_both_modes():
    x = np.ones(2)
    out, t = gradlab.jvp(lambda x: np.arange(3.0), (x,), (x,))
    np.testing.assert_array_equal(t, np.zeros(3))
    _, vjp_fn = gradlab.vjp(lambda x: np.arange(3.0), x)
    np.testing.assert_array_equal(vjp_fn(np.ones(3))[0], np.zeros(2))
    np.testing.assert_array_equal(gradlab.jacrev(lambda x: np.arange(3.0))(x), np.zeros((3, 2)))


def test_unused_argument_and_unused_parameter_get_zeros():
    params = {"used": np.ones(2), "unused": np.ones((3, 2))}
    g = gradlab.grad(lambda p, z: gnp.sum(p["used"] ** 2), argnums=(0, 1))(params, np.ones(4))
    np.testing.assert_array_equal(g[0]["used"], [2.0, 2.0])
    np.testing.assert_array_equal(g[0]["unused"], np.zeros((3, 2)))
    np.testing.assert_array_equal(g[1], np.zeros(4))
    _, t = gradlab.jvp(lambda p: p["used"] * 2.0, (params,),
                       ({"used": np.ones(2), "unused": np.ones((3, 2))},))
    np.testing.assert_array_equal(t, [2.0, 2.0])


def test_output_structure_with_a_constant_leaf():
    out, t = gradlab.jvp(lambda x: (x * 2.0, 7.0), (np.ones(2),), (np.ones(2),))
    np.testing.assert_array_equal(t[0], [2.0, 2.0])
    assert t[1] == 0.0
    _, vjp_fn = gradlab.vjp(lambda x: (x * 2.0, 7.0), np.ones(2))
    np.testing.assert_array_equal(vjp_fn((np.ones(2), 1.0))[0], [2.0, 2.0])


# ----------------------------------------------------------------------------------------
# float32.
# ----------------------------------------------------------------------------------------

def test_float32_inputs_keep_working():
    x32 = np.array([0.3, -1.2, 2.0], dtype=np.float32)
    x64 = x32.astype(np.float64)
    np.testing.assert_allclose(gradlab.grad(loss)(x32), gradlab.grad(loss)(x64), rtol=1e-5)
    _, t32 = gradlab.jvp(loss, (x32,), (np.ones(3, dtype=np.float32),))
    _, t64 = gradlab.jvp(loss, (x64,), (np.ones(3),))
    np.testing.assert_allclose(t32, t64, rtol=1e-5)
    np.testing.assert_allclose(gradlab.hessian(loss)(x32), gradlab.hessian(loss)(x64),
                               rtol=1e-4, atol=1e-6)
    out, vjp_fn = gradlab.vjp(lambda x: gnp.tanh(x) @ np.ones((3, 2), np.float32), x32)
    assert vjp_fn(np.ones(2, np.float32))[0].shape == (3,)


def test_check_grads_on_float32_inputs():
    # check_grads computes in float64 (central differences need it), so float32 inputs pass.
    check_grads(loss, (np.array([0.3, -1.2, 2.0], dtype=np.float32),))


# ----------------------------------------------------------------------------------------
# Bugs found while writing these tests (each failed before its fix).
# ----------------------------------------------------------------------------------------

def test_matmul_of_two_vectors_in_reverse_mode():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    ga, gb = gradlab.grad(lambda a, b: a @ b, argnums=(0, 1))(a, b)
    np.testing.assert_array_equal(ga, b)
    np.testing.assert_array_equal(gb, a)


def test_transpose_with_negative_axes_in_reverse_mode():
    x = np.arange(24.0).reshape(2, 3, 4)
    w = np.arange(24.0).reshape(2, 4, 3)
    g = gradlab.grad(lambda x: gnp.sum(gnp.transpose(x, (0, -1, -2)) * w))(x)
    np.testing.assert_array_equal(g, np.transpose(w, (0, 2, 1)))


def test_transpose_method_with_a_tuple():
    g = gradlab.grad(lambda x: gnp.sum(x.transpose((1, 0)) * np.arange(6.0).reshape(3, 2)))(
        np.ones((2, 3)))
    np.testing.assert_array_equal(g, np.arange(6.0).reshape(3, 2).T)


@pytest.mark.parametrize("mode", MODES)
def test_float_of_a_traced_value_no_longer_drops_the_derivative(mode):
    # float(x) used to return the bare value, so a[0] = x silently gave a wrong gradient.
    def f(x):
        a = np.zeros(2)
        a[0] = x
        return gnp.sum(a * x)

    with pytest.raises(ValueError):
        derivative(mode, f, 2.0)


def test_power_rule_at_zero_base():
    # y·x**(y-1) used to evaluate 0.0**-1 (ZeroDivisionError) for x**0 and in third derivatives.
    assert gradlab.grad(lambda x: x**0)(0.0) == 0.0
    assert gradlab.grad(gradlab.grad(gradlab.grad(lambda x: x**2)))(0.0) == 0.0
    assert gradlab.grad(gradlab.grad(lambda x: x**2))(np.array(0.0)) == 2.0
    np.testing.assert_allclose(
        gradlab.grad(lambda x: gnp.sum(x**3))(np.array([0.0, 1.0, 2.0])), [0.0, 3.0, 12.0])
