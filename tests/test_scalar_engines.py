"""The scalar engines students read (Dual, Value) against gradlab's array engine and autograd."""

from __future__ import annotations

import math

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import gradlab
import gradlab.numpy as gnp
from gradlab.ad import scalar_forward as sf
from gradlab.ad.scalar_reverse import Value, backward, topological_order, zero_grad

# The same expressions written three times: for Dual (sf), for Value (methods) and for a
# numpy-like module (gnp or autograd.numpy).


def dual_exprs():
    return {
        "poly": lambda x: 3.0 * x ** 3 - 2.0 * x + 1.0 / x,
        "trig": lambda x: sf.sin(x) * sf.cos(2.0 * x) - x / (1.0 + x * x),
        "explog": lambda x: sf.exp(-x * x) + sf.log(2.0 + x) - sf.tanh(x) ** 2,
        "rsub_rdiv": lambda x: (5.0 - x) / (2.0 - x) + 3.0 / x,
    }


def np_exprs(np_):
    return {
        "poly": lambda x: 3.0 * x ** 3 - 2.0 * x + 1.0 / x,
        "trig": lambda x: np_.sin(x) * np_.cos(2.0 * x) - x / (1.0 + x * x),
        "explog": lambda x: np_.exp(-x * x) + np_.log(2.0 + x) - np_.tanh(x) ** 2,
        "rsub_rdiv": lambda x: (5.0 - x) / (2.0 - x) + 3.0 / x,
    }


POINTS = [0.3, 0.9, -0.7, 1.4]


@pytest.mark.parametrize("name", list(dual_exprs()))
@pytest.mark.parametrize("x", POINTS)
def test_dual_matches_gradlab_jvp_and_autograd(name, x):
    value = dual_exprs()[name](sf.Dual(x, 1.0))
    g_value, g_tangent = gradlab.jvp(np_exprs(gnp)[name], (x,), (1.0,))
    a_deriv = autograd.grad(np_exprs(anp)[name])(x)
    assert value.value == pytest.approx(float(g_value), rel=1e-12)
    assert value.tangent == pytest.approx(float(g_tangent), rel=1e-10)
    assert value.tangent == pytest.approx(a_deriv, rel=1e-10)


def test_dual_product_rule_and_tangent_scaling():
    a, b = sf.Dual(2.0, 3.0), sf.Dual(5.0, -1.0)
    c = a * b  # (2 + 3ε)(5 - ε) = 10 + (15 - 2)ε
    assert (c.value, c.tangent) == (10.0, 13.0)
    # the tangent is linear in the seed: seeding 2.5 gives 2.5 × the derivative
    f = dual_exprs()["trig"]
    assert f(sf.Dual(0.4, 2.5)).tangent == pytest.approx(2.5 * f(sf.Dual(0.4, 1.0)).tangent)
    assert sf.derivative(lambda x: x * x, 3.0) == 6.0
    assert sf.derivative(lambda x: 7.0, 3.0) == 0.0  # a constant function


def value_exprs():
    return {
        "poly": lambda x: 3.0 * x ** 3 - 2.0 * x + 1.0 / x,
        "neuron": lambda x: (0.5 * x - 0.2).tanh() * x.exp() + (x * x + 1.0).log(),
        "rsub_rdiv": lambda x: (5.0 - x) / (2.0 - x) + 3.0 / x - (-x),
        "relu": lambda x: (x * 2.0 - 0.5).relu() * x + (0.1 - x).relu(),
    }


def gnp_value_exprs(np_, relu):
    return {
        "poly": lambda x: 3.0 * x ** 3 - 2.0 * x + 1.0 / x,
        "neuron": lambda x: np_.tanh(0.5 * x - 0.2) * np_.exp(x) + np_.log(x * x + 1.0),
        "rsub_rdiv": lambda x: (5.0 - x) / (2.0 - x) + 3.0 / x - (-x),
        "relu": lambda x: relu(x * 2.0 - 0.5) * x + relu(0.1 - x),
    }


@pytest.mark.parametrize("name", list(value_exprs()))
@pytest.mark.parametrize("x", POINTS)
def test_value_matches_gradlab_grad_and_autograd(name, x):
    xv = Value(x)
    out = value_exprs()[name](xv)
    out.backward()
    expected = gradlab.grad(gnp_value_exprs(gnp, gnp.relu)[name])(x)
    a_expected = autograd.grad(gnp_value_exprs(anp, lambda u: anp.maximum(u, 0.0))[name])(x)
    assert out.value == pytest.approx(float(gnp_value_exprs(np, lambda u: max(u, 0.0))[name](x)))
    assert xv.grad == pytest.approx(float(expected), rel=1e-10)
    assert xv.grad == pytest.approx(a_expected, rel=1e-10)


def test_value_several_inputs_match_gradlab():
    def f_value(a, b, c):
        return (a * b + c).tanh() * a - b / c + (a * c).exp()

    def f_gnp(a, b, c):
        return gnp.tanh(a * b + c) * a - b / c + gnp.exp(a * c)

    args = (0.7, -1.2, 0.4)
    vs = [Value(x) for x in args]
    f_value(*vs).backward()
    expected = gradlab.grad(f_gnp, argnums=(0, 1, 2))(*args)
    np.testing.assert_allclose([v.grad for v in vs], expected, rtol=1e-12)


def test_reused_node_accumulates():
    """a = 1; b = a + a; c = b + b: dc/db = 2, dc/da = 4 (a naive sweep gets 1 or 2)."""
    a = Value(1.0)
    b = a + a
    c = b + b
    c.backward()
    assert c.grad == 1.0
    assert b.grad == 2.0
    assert a.grad == 4.0
    assert gradlab.grad(lambda a: (a + a) + (a + a))(1.0) == 4.0


def test_reused_node_through_different_paths():
    """x used by two different operations (a diamond): both contributions are added."""
    x = Value(0.5)
    y = x.exp() * x.tanh() + x * x
    y.backward()
    expected = gradlab.grad(lambda x: gnp.exp(x) * gnp.tanh(x) + x * x)(0.5)
    assert x.grad == pytest.approx(float(expected), rel=1e-12)


def test_backward_twice_accumulates_into_inputs_only():
    """Documented semantics: inputs accumulate across calls (like PyTorch); intermediate
    grads are recomputed; zero_grad resets everything."""
    a = Value(1.0)
    b = a + a
    c = b + b
    c.backward()
    c.backward()
    assert a.grad == 8.0  # 4 + 4: the second call added to the first
    assert b.grad == 2.0  # intermediate: reset at the start of each sweep
    zero_grad(c)
    assert (a.grad, b.grad, c.grad) == (0.0, 0.0, 0.0)
    backward(c)
    assert a.grad == 4.0


def test_topological_order_parents_first_each_once():
    a, b = Value(2.0), Value(3.0)
    p = a * b
    q = p + a
    r = q * p + b.tanh()
    order = topological_order(r)
    assert order[-1] is r
    assert len(order) == len({id(v) for v in order})
    position = {id(v): i for i, v in enumerate(order)}
    for v in order:
        for parent in v.parents:
            assert position[id(parent)] < position[id(v)]
    assert {id(a), id(b), id(p), id(q)} <= set(position)


def test_backward_function_equals_method_and_long_chain_has_no_recursion_limit():
    x = Value(0.1)
    y = x
    for _ in range(5000):  # deeper than Python's default recursion limit
        y = y + x * 0.001
    backward(y)
    assert x.grad == pytest.approx(1.0 + 5000 * 0.001)


def test_scalar_modules_importable_from_package():
    import gradlab.ad.scalar_forward
    import gradlab.ad.scalar_reverse

    assert callable(gradlab.ad.scalar_reverse.topological_order)
    assert callable(gradlab.ad.scalar_reverse.backward)
    assert "(a + a'ε)(b + b'ε)" in gradlab.ad.scalar_forward.__doc__


def test_dual_elementary_functions_values():
    x = sf.Dual(0.8, 1.0)
    for fn, df in [(sf.sin, math.cos), (sf.cos, lambda t: -math.sin(t)), (sf.exp, math.exp),
                   (sf.log, lambda t: 1.0 / t), (sf.tanh, lambda t: 1.0 - math.tanh(t) ** 2)]:
        assert fn(x).tangent == pytest.approx(df(0.8), rel=1e-14)
    assert sf.sin(2.0).tangent == 0.0  # a plain number is a constant


def test_relu_derivative_at_zero_is_zero():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0
    assert gradlab.grad(gnp.relu)(0.0) == 0.0
