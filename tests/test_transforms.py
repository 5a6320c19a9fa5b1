"""The transformations: grad, value_and_grad, jvp, vjp, jacfwd, jacrev, hessian, hvp.

Argument selection (argnums), nested structures (a network's parameters), Jacobians and
Hessians against HIPS autograd, nesting to second and third order, and the classic
perturbation-confusion case in every combination of modes.
"""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import gradlab
import gradlab.numpy as gnp
from gradlab.ad.tree import tree_flatten, tree_unflatten
from gradlab.testing import check_grads

RNG = np.random.default_rng(0)


def assert_tree_close(got, expected, rtol=1e-9, atol=1e-12):
    """Same nested structure, leaves close."""
    got_leaves, got_def = tree_flatten(got)
    exp_leaves, exp_def = tree_flatten(expected)
    assert got_def == exp_def, f"structure {got_def} != {exp_def}"
    for g, e in zip(got_leaves, exp_leaves):
        assert np.shape(g) == np.shape(e)
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------------------
# grad and value_and_grad: choosing arguments.
# ----------------------------------------------------------------------------------------

def f3(x, y, z):
    return gnp.sum(gnp.sin(x) * y) + z ** 2 * gnp.sum(x)


def f3_ag(x, y, z):
    return anp.sum(anp.sin(x) * y) + z ** 2 * anp.sum(x)


X3 = (RNG.standard_normal(4), RNG.standard_normal(4), 1.5)


def test_grad_default_argnum_is_the_first():
    assert_tree_close(gradlab.grad(f3)(*X3), autograd.grad(f3_ag)(*X3))


@pytest.mark.parametrize("argnum", [0, 1, 2, -1])
def test_grad_with_an_int_argnum(argnum):
    got = gradlab.grad(f3, argnums=argnum)(*X3)
    expected = autograd.grad(f3_ag, argnum % 3)(*X3)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert np.shape(got) == np.shape(X3[argnum])


@pytest.mark.parametrize("argnums", [(0,), (0, 2), (2, 0), (0, 1, 2)])
def test_grad_with_a_tuple_of_argnums_returns_a_tuple(argnums):
    got = gradlab.grad(f3, argnums=argnums)(*X3)
    assert isinstance(got, tuple) and len(got) == len(argnums)
    for g, n in zip(got, argnums):
        np.testing.assert_allclose(g, autograd.grad(f3_ag, n)(*X3), rtol=1e-12)


def test_grad_of_a_python_float_is_a_number():
    g = gradlab.grad(lambda x: x ** 3)(2.0)
    assert np.ndim(g) == 0 and float(g) == 12.0


def test_value_and_grad():
    value, g = gradlab.value_and_grad(f3, argnums=(0, 2))(*X3)
    np.testing.assert_allclose(value, f3_ag(*X3), rtol=1e-14)
    np.testing.assert_allclose(g[0], autograd.grad(f3_ag, 0)(*X3), rtol=1e-12)
    np.testing.assert_allclose(g[1], autograd.grad(f3_ag, 2)(*X3), rtol=1e-12)
    value, g0 = gradlab.value_and_grad(f3)(*X3)
    np.testing.assert_allclose(g0, autograd.grad(f3_ag)(*X3), rtol=1e-12)


def test_grad_passes_keyword_arguments_through():
    def f(x, scale=1.0):
        return scale * gnp.sum(x ** 2)

    np.testing.assert_allclose(gradlab.grad(f)(np.ones(3), scale=3.0), 6.0 * np.ones(3))


# ----------------------------------------------------------------------------------------
# Nested structures: a network's parameters.
# ----------------------------------------------------------------------------------------

def make_params(rng, sizes=(3, 5, 2)):
    return [{"W": rng.standard_normal((m, n)) * 0.5, "b": rng.standard_normal(n) * 0.1}
            for m, n in zip(sizes[:-1], sizes[1:])]


def mlp_loss(m, params, x, y):
    """Softmax cross-entropy of a tanh MLP; m is gnp or autograd.numpy."""
    h = x
    for layer in params[:-1]:
        h = m.tanh(h @ layer["W"] + layer["b"])
    logits = h @ params[-1]["W"] + params[-1]["b"]
    shifted = logits - m.log(m.sum(m.exp(logits), axis=1, keepdims=True))
    return -m.mean(m.sum(shifted * y, axis=1))


X_BATCH = RNG.standard_normal((6, 3))
Y_BATCH = np.eye(2)[RNG.integers(0, 2, 6)]


def test_grad_of_network_parameters_keeps_their_structure():
    params = make_params(np.random.default_rng(1))
    got = gradlab.grad(lambda p: mlp_loss(gnp, p, X_BATCH, Y_BATCH))(params)
    expected = autograd.grad(lambda p: mlp_loss(anp, p, X_BATCH, Y_BATCH))(params)
    assert isinstance(got, list) and all(isinstance(layer, dict) for layer in got)
    assert_tree_close(got, expected)


def test_grad_with_tuples_and_nested_dicts():
    params = {"enc": (RNG.standard_normal(3), RNG.standard_normal((3, 3))),
              "dec": {"scale": 0.7, "shift": RNG.standard_normal(3)}}

    def f(m, p):
        a, W = p["enc"]
        return m.sum(m.tanh(W @ a) * p["dec"]["scale"] + p["dec"]["shift"] ** 2)

    got = gradlab.grad(lambda p: f(gnp, p))(params)
    expected = autograd.grad(lambda p: f(anp, p))(params)
    assert isinstance(got["enc"], tuple)
    assert_tree_close(got, expected)


def test_grad_with_respect_to_several_structured_arguments():
    params = make_params(np.random.default_rng(2))

    def loss(params, x):
        return mlp_loss(gnp, params, x, Y_BATCH)

    g_params, g_x = gradlab.grad(loss, argnums=(0, 1))(params, X_BATCH)
    expected = autograd.grad(lambda p, x: mlp_loss(anp, p, x, Y_BATCH), (0, 1))(params, X_BATCH)
    assert_tree_close((g_params, g_x), expected)


def test_check_grads_on_network_parameters():
    params = make_params(np.random.default_rng(3), sizes=(3, 4, 2))
    check_grads(lambda p: mlp_loss(gnp, p, X_BATCH, Y_BATCH), (params,), order=2)


def structured_fn(m, p):
    """Structured input -> structured output."""
    a, b = p["a"], p["b"]
    return {"sum": m.sum(a * b[0]), "pair": (m.sin(a), b[1] * b[0])}


def _output_leaf(k):
    """p ↦ the k-th leaf of structured_fn's output, in autograd."""
    return lambda p: tree_flatten(structured_fn(anp, p))[0][k]


P_STRUCT = {"a": RNG.standard_normal(3), "b": [RNG.standard_normal(3), RNG.standard_normal(3)]}


def test_jvp_on_structured_inputs_and_outputs():
    tangent = {"a": RNG.standard_normal(3),
               "b": [RNG.standard_normal(3), RNG.standard_normal(3)]}
    out, t_out = gradlab.jvp(lambda p: structured_fn(gnp, p), (P_STRUCT,), (tangent,))
    assert_tree_close(out, structured_fn(np, P_STRUCT))
    # autograd only traces a single array output, so ask it about one output leaf at a time.
    out_leaves, out_def = tree_flatten(out)
    expected = [autograd.make_jvp(_output_leaf(k))(P_STRUCT)(tangent)[1]
                for k in range(len(out_leaves))]
    assert_tree_close(t_out, tree_unflatten(out_def, expected))


def test_vjp_on_structured_inputs_and_outputs():
    out, vjp_fn = gradlab.vjp(lambda p: structured_fn(gnp, p), P_STRUCT)
    cotangent = {"sum": 0.7, "pair": (RNG.standard_normal(3), RNG.standard_normal(3))}
    (got,) = vjp_fn(cotangent)
    assert isinstance(got["b"], list)
    # uᵀJ = Σ_k u_kᵀ J_k over the output leaves k, each one asked of autograd on its own.
    per_leaf = [tree_flatten(autograd.make_vjp(_output_leaf(k))(P_STRUCT)[0](u_k))[0]
                for k, u_k in enumerate(tree_flatten(cotangent)[0])]
    expected = tree_unflatten(tree_flatten(P_STRUCT)[1], [sum(ls) for ls in zip(*per_leaf)])
    assert_tree_close(got, expected)


def test_vjp_with_several_primals_returns_one_cotangent_each():
    x, y = RNG.standard_normal(3), RNG.standard_normal((2, 3))
    out, vjp_fn = gradlab.vjp(lambda x, y: y @ gnp.exp(x), x, y)
    u = RNG.standard_normal(2)
    gx, gy = vjp_fn(u)
    np.testing.assert_allclose(gx, (u @ y) * np.exp(x), rtol=1e-12)
    np.testing.assert_allclose(gy, np.outer(u, np.exp(x)), rtol=1e-12)


def test_check_grads_on_structured_inputs_and_outputs():
    check_grads(lambda p: structured_fn(gnp, p), (P_STRUCT,), order=2)


# ----------------------------------------------------------------------------------------
# Jacobians and Hessians.
# ----------------------------------------------------------------------------------------

def vec_fn(m, x):
    """R^4 -> R^3, nonlinear and mixing every coordinate."""
    return m.concatenate([m.tanh(x[:2] * x[1:3]), m.reshape(m.sum(m.exp(x) * x[::-1]), (1,))])


X4 = RNG.standard_normal(4)


def test_jacfwd_equals_jacrev_equals_autograd():
    jf = gradlab.jacfwd(lambda x: vec_fn(gnp, x))(X4)
    jr = gradlab.jacrev(lambda x: vec_fn(gnp, x))(X4)
    ja = autograd.jacobian(lambda x: vec_fn(anp, x))(X4)
    assert jf.shape == jr.shape == (3, 4)
    np.testing.assert_allclose(jf, ja, rtol=1e-12)
    np.testing.assert_allclose(jr, ja, rtol=1e-12)


def test_jacobian_of_a_matrix_function_has_shape_out_plus_in():
    A = RNG.standard_normal((2, 3))

    def f(m, X):
        return m.tanh(X @ A)  # (4, 2) -> (4, 3)

    X = RNG.standard_normal((4, 2))
    jf = gradlab.jacfwd(lambda X: f(gnp, X))(X)
    jr = gradlab.jacrev(lambda X: f(gnp, X))(X)
    ja = autograd.jacobian(lambda X: f(anp, X))(X)
    assert jf.shape == jr.shape == (4, 3, 4, 2)
    np.testing.assert_allclose(jf, ja, rtol=1e-12)
    np.testing.assert_allclose(jr, ja, rtol=1e-12)


def test_jacobian_with_argnums():
    def f(a, x):
        return a * gnp.sin(x)

    j = gradlab.jacrev(f, argnums=1)(2.0, X4)
    np.testing.assert_allclose(j, np.diag(2.0 * np.cos(X4)), rtol=1e-12)
    j = gradlab.jacfwd(f, argnums=1)(2.0, X4)
    np.testing.assert_allclose(j, np.diag(2.0 * np.cos(X4)), rtol=1e-12)


def scalar_fn(m, x):
    return m.sum(m.sin(x) * x[::-1]) * m.exp(0.1 * m.sum(x ** 2)) + m.log(1.0 + x[0] ** 2)


def test_hessian_equals_autograd():
    h = gradlab.hessian(lambda x: scalar_fn(gnp, x))(X4)
    ha = autograd.hessian(lambda x: scalar_fn(anp, x))(X4)
    assert h.shape == (4, 4)
    np.testing.assert_allclose(h, ha, rtol=1e-10)
    np.testing.assert_allclose(h, h.T, rtol=1e-10)


def test_hessian_of_a_matrix_argument():
    X = RNG.standard_normal((2, 3))
    h = gradlab.hessian(lambda X: gnp.sum(gnp.tanh(X) ** 3))(X)
    ha = autograd.hessian(lambda X: anp.sum(anp.tanh(X) ** 3))(X)
    assert h.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(h, ha, rtol=1e-10, atol=1e-14)


def test_hvp_equals_hessian_times_v():
    v = RNG.standard_normal(4)
    h = autograd.hessian(lambda x: scalar_fn(anp, x))(X4)
    np.testing.assert_allclose(gradlab.hvp(lambda x: scalar_fn(gnp, x), X4, v), h @ v,
                               rtol=1e-10)


# ----------------------------------------------------------------------------------------
# Nesting: every combination of modes, to second and third order.
# ----------------------------------------------------------------------------------------

def test_grad_of_grad():
    d2 = gradlab.grad(gradlab.grad(lambda x: x ** 3 * gnp.sin(x)))
    for x in [0.3, -1.2, 2.0]:
        expected = 6 * x * np.sin(x) + 6 * x ** 2 * np.cos(x) - x ** 3 * np.sin(x)
        np.testing.assert_allclose(d2(x), expected, rtol=1e-12)


def test_jvp_of_grad_is_forward_over_reverse_hvp():
    v = RNG.standard_normal(4)
    g = gradlab.grad(lambda x: scalar_fn(gnp, x))
    _, hv = gradlab.jvp(g, (X4,), (v,))
    h = autograd.hessian(lambda x: scalar_fn(anp, x))(X4)
    np.testing.assert_allclose(hv, h @ v, rtol=1e-10)


def test_grad_of_jvp_is_reverse_over_forward():
    v = RNG.standard_normal(4)

    def directional(x):
        return gradlab.jvp(lambda x: scalar_fn(gnp, x), (x,), (v,))[1]

    h = autograd.hessian(lambda x: scalar_fn(anp, x))(X4)
    np.testing.assert_allclose(gradlab.grad(directional)(X4), h @ v, rtol=1e-10)


def test_grad_with_respect_to_the_tangent_of_a_jvp():
    # jvp is linear in the tangent: its gradient with respect to v is the gradient of f.
    def directional(v):
        return gradlab.jvp(lambda x: scalar_fn(gnp, x), (X4,), (v,))[1]

    np.testing.assert_allclose(gradlab.grad(directional)(np.ones(4)),
                               autograd.grad(lambda x: scalar_fn(anp, x))(X4), rtol=1e-12)


@pytest.mark.parametrize("outer, inner", [("jacfwd", "jacrev"), ("jacrev", "jacfwd"),
                                          ("jacfwd", "jacfwd"), ("jacrev", "jacrev")])
def test_jacobian_of_jacobian(outer, inner):
    outer_t, inner_t = getattr(gradlab, outer), getattr(gradlab, inner)
    h = outer_t(inner_t(lambda x: scalar_fn(gnp, x)))(X4)
    ha = autograd.hessian(lambda x: scalar_fn(anp, x))(X4)
    np.testing.assert_allclose(h, ha, rtol=1e-10)
    # ... and the second derivative of a vector function: shape (3, 4, 4).
    t = outer_t(inner_t(lambda x: vec_fn(gnp, x)))(X4)
    ta = autograd.jacobian(autograd.jacobian(lambda x: vec_fn(anp, x)))(X4)
    assert t.shape == (3, 4, 4)
    np.testing.assert_allclose(t, ta, rtol=1e-10, atol=1e-13)


def third_derivative(x):
    """d³/dx³ of f(x) = x⁴ e^{-x}, by hand."""
    e = np.exp(-x)
    return e * (24 * x - 36 * x ** 2 + 12 * x ** 3 - x ** 4)


def _d_fwd(f):
    return lambda x: gradlab.jvp(f, (x,), (1.0,))[1]


def _d_rev(f):
    return gradlab.grad(f)


@pytest.mark.parametrize("modes", ["rrr", "fff", "frr", "rfr", "rrf", "ffr", "frf", "rff"])
def test_third_order_in_every_combination_of_modes(modes):
    f = lambda x: x ** 4 * gnp.exp(-x)  # noqa: E731
    d = f
    for mode in modes:
        d = _d_fwd(d) if mode == "f" else _d_rev(d)
    for x in [0.5, 1.7, -0.4]:
        np.testing.assert_allclose(d(x), third_derivative(x), rtol=1e-10)


def test_third_order_of_a_vector_argument_matches_autograd():
    f = lambda x: gnp.sum(gnp.sin(x) * x[::-1]) ** 2  # noqa: E731
    fa = lambda x: anp.sum(anp.sin(x) * x[::-1]) ** 2  # noqa: E731
    t = gradlab.jacfwd(gradlab.jacfwd(gradlab.grad(f)))(X4)
    ta = autograd.jacobian(autograd.hessian(fa))(X4)
    np.testing.assert_allclose(t, ta, rtol=1e-9, atol=1e-12)


# ----------------------------------------------------------------------------------------
# Perturbation confusion: d/dx [ x · d/dy (x + y) ] = d/dx [x · 1] = 1.
# A confused implementation mixes the two perturbations and returns 2.
# ----------------------------------------------------------------------------------------

def _derivative(mode):
    if mode == "grad":
        return lambda f, x: gradlab.grad(f)(x)
    if mode == "jvp":
        return lambda f, x: gradlab.jvp(f, (x,), (1.0,))[1]
    if mode == "vjp":
        return lambda f, x: gradlab.vjp(f, x)[1](1.0)[0]
    raise ValueError(mode)


COMBOS = [(o, i) for o in ("grad", "jvp", "vjp") for i in ("grad", "jvp", "vjp")]


@pytest.mark.parametrize("outer, inner", COMBOS)
@pytest.mark.parametrize("y0", [0.0, 3.0])
def test_perturbation_confusion(outer, inner, y0):
    d_outer, d_inner = _derivative(outer), _derivative(inner)

    def g(x):
        return x * d_inner(lambda y: x + y, y0)

    for x0 in [1.0, -2.5]:
        assert float(d_outer(g, x0)) == 1.0


@pytest.mark.parametrize("outer, inner", COMBOS)
def test_perturbation_confusion_with_a_product(outer, inner):
    # d/dx [ x · d/dy (x · y) ] = d/dx x² = 2x
    d_outer, d_inner = _derivative(outer), _derivative(inner)

    def g(x):
        return x * d_inner(lambda y: x * y, 2.0)

    for x0 in [1.0, -2.5]:
        np.testing.assert_allclose(d_outer(g, x0), 2 * x0, rtol=1e-14)


def test_inner_derivative_of_a_closed_over_outer_variable():
    # d/dx [ d/dy (sin(x·y)) at y=1 ] = d/dx [x cos x] = cos x - x sin x
    def g(x):
        return gradlab.grad(lambda y: gnp.sin(x * y))(1.0)

    for x0 in [0.3, 1.1]:
        np.testing.assert_allclose(gradlab.grad(g)(x0), np.cos(x0) - x0 * np.sin(x0),
                                   rtol=1e-12)
        np.testing.assert_allclose(gradlab.jvp(g, (x0,), (1.0,))[1],
                                   np.cos(x0) - x0 * np.sin(x0), rtol=1e-12)


def test_a_derivative_function_built_outside_and_used_inside():
    # The inner transform's level is created first but used under a newer one.
    out, vjp_fn = gradlab.vjp(lambda x: gnp.sin(x) * 2.0, X4)
    got = gradlab.grad(lambda u: gnp.sum(vjp_fn(u)[0] ** 2))(np.ones(4))
    np.testing.assert_allclose(got, 2 * (2 * np.cos(X4)) ** 2, rtol=1e-12)
