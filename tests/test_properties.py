"""Property-based tests (hypothesis): random shapes and random compositions of primitives.

For every drawn example, forward mode and reverse mode must agree with each other (the
inner-product identity ⟨uᵀJ, v⟩ = ⟨u, J v⟩) and with HIPS autograd, to first and second
order. Inputs are random normals, and the operations are smooth (or, for maximum, use the
same tie convention as autograd), so no example hits a point where the derivative is a
matter of convention.
"""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import gradlab
import gradlab.numpy as gnp
from gradlab.testing import check_grads

pytestmark = pytest.mark.filterwarnings("ignore:Output seems independent of input")

SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

shape_pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)
seeds = st.integers(0, 2 ** 32 - 1)


def assert_close(got, expected, what):
    expected = np.asarray(expected, dtype=float)
    scale = 1.0 + (np.max(np.abs(expected)) if expected.size else 0.0)
    np.testing.assert_allclose(np.asarray(got, dtype=float), expected, rtol=1e-7,
                               atol=1e-9 * scale, err_msg=what)


def compare_modes_and_autograd(f, fa, args, rng, second_order=True):
    """f (gradlab.numpy) and fa (autograd.numpy) take the same arrays and return an array.

    Checks: values agree; reverse mode's uᵀJ equals autograd's; forward mode's J v equals
    autograd's and satisfies ⟨uᵀJ, v⟩ = ⟨u, J v⟩; the Hessian of ⟨u, f⟩ times v agrees
    (forward-over-reverse and reverse-over-forward against autograd's reverse-over-reverse).
    """
    n = len(args)
    argnums = tuple(range(n))
    out = f(*args)
    assert_close(out, fa(*args), "value")
    u = rng.standard_normal(np.shape(out))
    vs = tuple(rng.standard_normal(np.shape(a)) for a in args)

    def s(*a):
        return gnp.sum(f(*a) * u)

    def s_ag(*a):
        return anp.sum(fa(*a) * u)

    grads = gradlab.grad(s, argnums)(*args)
    grads_ag = autograd.grad(s_ag, argnums)(*args)
    for i in argnums:
        assert_close(grads[i], grads_ag[i], f"reverse mode, argument {i}")

    _, jv = gradlab.jvp(f, args, vs)
    jv_ag = sum(autograd.make_jvp(fa, i)(*args)(vs[i])[1] for i in argnums)
    assert_close(jv, jv_ag, "forward mode")
    assert_close(np.sum(u * jv), sum(np.sum(g * v) for g, v in zip(grads, vs)),
                 "forward and reverse mode: <u, Jv> = <uᵀJ, v>")

    if not second_order:
        return

    def grad_dot_v_ag(*a):
        return sum(anp.sum(g * v) for g, v in zip(autograd.grad(s_ag, argnums)(*a), vs))

    hv_ag = autograd.grad(grad_dot_v_ag, argnums)(*args)
    hv_fwd_rev = gradlab.jvp(gradlab.grad(s, argnums), args, vs)[1]
    hv_rev_fwd = gradlab.grad(lambda *a: gradlab.jvp(s, a, vs)[1], argnums)(*args)
    for i in argnums:
        assert_close(hv_fwd_rev[i], hv_ag[i], f"Hv forward-over-reverse, argument {i}")
        assert_close(hv_rev_fwd[i], hv_ag[i], f"Hv reverse-over-forward, argument {i}")


# ----------------------------------------------------------------------------------------
# Binary operations on random broadcast-compatible shapes.
# ----------------------------------------------------------------------------------------

BINARY = {
    "add": (lambda m: lambda x, y: x + y),
    "subtract": (lambda m: lambda x, y: x - y),
    "multiply": (lambda m: lambda x, y: x * y),
    "divide": (lambda m: lambda x, y: x / (1.5 + y * y)),
    "power": (lambda m: lambda x, y: (1.0 + x * x) ** y),
    "maximum": (lambda m: m.maximum),
    "minimum": (lambda m: m.minimum),
    "where": (lambda m: lambda x, y: m.where(x > y, x * y, x - y)),
    "hypot": (lambda m: lambda x, y: m.hypot(1.0 + x * x, y)),
    "arctan2": (lambda m: lambda x, y: m.arctan2(x, 1.0 + y * y)),
    "logaddexp": (lambda m: m.logaddexp),
}


def _where_ag(c, x, y):
    full = anp.zeros(np.broadcast_shapes(np.shape(c), np.shape(x), np.shape(y)))
    return anp.where(c, x + full, y + full)  # autograd's where does not unbroadcast


def _nonnegative_axes(reduce):
    """autograd's max/min JVP fails on negative axes in a tuple: normalise them first."""
    def wrapped(x, axis=None, keepdims=False):
        if isinstance(axis, tuple):
            axis = tuple(a % len(x.shape) for a in axis)
        return reduce(x, axis=axis, keepdims=keepdims)
    return wrapped


class AG:
    """autograd.numpy, with the few functions gradlab has and numpy lacks."""
    maximum = staticmethod(anp.maximum)
    minimum = staticmethod(anp.minimum)
    where = staticmethod(_where_ag)
    sum = staticmethod(anp.sum)
    mean = staticmethod(anp.mean)
    max = staticmethod(_nonnegative_axes(anp.max))
    min = staticmethod(_nonnegative_axes(anp.min))
    sin, cos, tanh, exp, log1p, sqrt = anp.sin, anp.cos, anp.tanh, anp.exp, anp.log1p, anp.sqrt
    arctan2, logaddexp = anp.arctan2, anp.logaddexp
    prod = staticmethod(_nonnegative_axes(anp.prod))

    @staticmethod
    def hypot(x, y):  # autograd has no JVP for hypot
        return anp.sqrt(x * x + y * y)

    @staticmethod
    def var(x, axis=None, keepdims=False):  # autograd's var fails on tuple axes
        centred = x - anp.mean(x, axis=axis, keepdims=True)
        return anp.mean(centred * centred, axis=axis, keepdims=keepdims)

    @staticmethod
    def std(x, axis=None, keepdims=False):
        return anp.sqrt(AG.var(x, axis=axis, keepdims=keepdims))

    @staticmethod
    def sigmoid(x):
        return 1.0 / (1.0 + anp.exp(-x))

    @staticmethod
    def logsumexp(x, axis=None, keepdims=False):
        return anp.log(anp.sum(anp.exp(x), axis=axis, keepdims=keepdims))

    @staticmethod
    def softmax(x, axis=-1):
        return anp.exp(x) / anp.sum(anp.exp(x), axis=axis, keepdims=True)

    @staticmethod
    def norm(x, axis=None, keepdims=False):
        return anp.sqrt(anp.sum(x * x, axis=axis, keepdims=keepdims))


@SETTINGS
@given(name=st.sampled_from(sorted(BINARY)), shapes=shape_pairs, seed=seeds)
def test_binary_ops_on_random_broadcast_shapes(name, shapes, seed):
    rng = np.random.default_rng(seed)
    x, y = (rng.standard_normal(s) for s in shapes.input_shapes)
    f, fa = BINARY[name](gnp), BINARY[name](AG)
    compare_modes_and_autograd(f, fa, (x, y), rng)
    if name not in ("maximum", "minimum", "where"):  # smooth: finite differences apply
        check_grads(f, (x, y), order=1, rng=rng)


# ----------------------------------------------------------------------------------------
# Reductions over random axes.
# ----------------------------------------------------------------------------------------

@st.composite
def shape_and_axis(draw):
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    ndim = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw(st.integers(-ndim, ndim - 1))
    else:
        axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        axis = tuple(a - ndim if draw(st.booleans()) else a for a in axes)  # some negative
    return shape, axis


@SETTINGS
@given(name=st.sampled_from(["sum", "mean", "max", "min", "logsumexp", "norm", "prod", "var",
                             "std"]),
       shape_axis=shape_and_axis(), keepdims=st.booleans(), seed=seeds)
def test_reductions_over_random_axes(name, shape_axis, keepdims, seed):
    shape, axis = shape_axis
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    if name == "std":  # over one entry std is 0: our derivative there is 0 by convention
        axes = range(len(shape)) if axis is None else np.atleast_1d(axis)
        assume(np.prod([shape[a] for a in axes]) > 1)
    # Distinct values at least 0.3 apart (no ties for max/min), none near 0 (norm).
    x = (0.3 * (rng.permutation(size) + 1) * rng.choice([-1.0, 1.0], size)).reshape(shape)

    def f(x):
        return getattr(gnp, name)(x, axis=axis, keepdims=keepdims)

    def fa(x):
        return getattr(AG, name)(x, axis=axis, keepdims=keepdims)

    compare_modes_and_autograd(f, fa, (x,), rng)


# ----------------------------------------------------------------------------------------
# Random compositions: expression trees of depth ≤ 4 over two inputs, then a sum.
# ----------------------------------------------------------------------------------------

def _last_axis(reduce):
    """A keepdims reduction over the last axis (identity on 0-d values): shapes stay
    broadcast-compatible with the other input."""
    def op(m, x):
        return reduce(m, x) if len(x.shape) else x
    return op


UNARY_OPS = {
    "sin": lambda m, x: m.sin(x),
    "cos": lambda m, x: m.cos(x),
    "tanh": lambda m, x: m.tanh(x),
    "sigmoid": lambda m, x: m.sigmoid(x),
    "negative": lambda m, x: -x,
    "exp_tanh": lambda m, x: m.exp(m.tanh(x)),
    "log1p_square": lambda m, x: m.log1p(x * x),
    "sqrt_1p_square": lambda m, x: m.sqrt(1.0 + x * x),
    "scale": lambda m, x: 0.5 * x + np.float64(0.25),
    "sum_last": _last_axis(lambda m, x: m.sum(x, axis=-1, keepdims=True)),
    "max_last": _last_axis(lambda m, x: m.max(x, axis=-1, keepdims=True)),
    "logsumexp_last": _last_axis(lambda m, x: m.logsumexp(x, axis=-1, keepdims=True)),
    "softmax_last": _last_axis(lambda m, x: m.softmax(x, axis=-1)),
}

BINARY_OPS = {
    "add": lambda m, a, b: a + b,
    "subtract": lambda m, a, b: a - b,
    "multiply": lambda m, a, b: a * b,
    "divide": lambda m, a, b: a / (1.0 + b * b),
    "maximum": lambda m, a, b: m.maximum(a, b),
    "hypot": lambda m, a, b: m.sqrt(1.0 + a * a + b * b),
}


PIECEWISE = {"max_last", "maximum"}  # smooth except where values tie


def expressions(depth, smooth_only=False):
    """Expression trees: ("x",), ("y",), ("const",), ("unary", op, e), ("binary", op, e, e)."""
    leaves = st.sampled_from([("x",), ("y",), ("const",)])
    if depth == 0:
        return leaves
    sub = expressions(depth - 1, smooth_only)
    unary = sorted(set(UNARY_OPS) - (PIECEWISE if smooth_only else set()))
    binary = sorted(set(BINARY_OPS) - (PIECEWISE if smooth_only else set()))
    return st.one_of(
        leaves,
        st.tuples(st.just("unary"), st.sampled_from(unary), sub),
        st.tuples(st.just("binary"), st.sampled_from(binary), sub, sub))


def evaluate(tree, m, x, y):
    kind = tree[0]
    if kind == "x":
        return x
    if kind == "y":
        return y
    if kind == "const":
        return np.array(0.7)
    if kind == "unary":
        return UNARY_OPS[tree[1]](m, evaluate(tree[2], m, x, y))
    return BINARY_OPS[tree[1]](m, evaluate(tree[2], m, x, y), evaluate(tree[3], m, x, y))


class GNP:
    """gradlab.numpy, under the names the trees use."""
    sin, cos, tanh, sigmoid, exp = gnp.sin, gnp.cos, gnp.tanh, gnp.sigmoid, gnp.exp
    log1p, sqrt, sum, max, maximum = gnp.log1p, gnp.sqrt, gnp.sum, gnp.max, gnp.maximum
    logsumexp, softmax = gnp.logsumexp, gnp.softmax


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=expressions(4), shapes=shape_pairs, seed=seeds)
def test_random_compositions_agree_in_both_modes_and_with_autograd(tree, shapes, seed):
    rng = np.random.default_rng(seed)
    x, y = (rng.standard_normal(s) for s in shapes.input_shapes)

    def f(x, y):
        return gnp.sum(evaluate(tree, GNP, x, y))

    def fa(x, y):
        return anp.sum(evaluate(tree, AG, x, y))

    compare_modes_and_autograd(f, fa, (x, y), rng)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=expressions(3, smooth_only=True), shapes=shape_pairs, seed=seeds)
def test_random_compositions_pass_check_grads(tree, shapes, seed):
    # Smooth operations only: central differences across a kink of max would be wrong.
    rng = np.random.default_rng(seed)
    x, y = (rng.standard_normal(s) for s in shapes.input_shapes)
    check_grads(lambda x, y: gnp.sum(evaluate(tree, GNP, x, y)), (x, y), order=2, rng=rng)
