"""Bad input gets a clear gradlab error in the student's terms, never a deep numpy traceback.

Each error names what went wrong (the function, the mode, the shapes) and, where there is
one, what to write instead.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradlab
import gradlab.numpy as gnp
from gradlab.errors import (
    GradientCheckError,
    GradlabError,
    IntegerInputError,
    NonScalarOutputError,
    ShapeError,
    UnsupportedOperationError,
)
from gradlab.testing import check_grads


def run_in(mode, f, x):
    """Differentiate f at x in the given mode ("forward" or "reverse")."""
    if mode == "forward":
        return gradlab.jvp(f, (x,), (np.ones_like(x),))
    return gradlab.vjp(f, x)


MODES = ["forward", "reverse"]


def test_every_error_is_a_gradlab_error():
    for cls in (UnsupportedOperationError, ShapeError, NonScalarOutputError, IntegerInputError,
                GradientCheckError):
        assert issubclass(cls, GradlabError)
    assert issubclass(GradientCheckError, AssertionError)
    assert issubclass(ShapeError, ValueError)  # still caught by `except ValueError`


# ----------------------------------------------------------------------------------------
# numpy functions on traced values.
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, f", [
    ("exp", lambda x: np.exp(x)),          # a ufunc
    ("maximum", lambda x: np.maximum(x, 0.0)),
    ("sum", lambda x: np.sum(x)),          # an array function
    ("concatenate", lambda x: np.concatenate([x, x])),
])
def test_unsupported_numpy_function_names_the_function_and_the_mode(mode, name, f):
    with pytest.raises(UnsupportedOperationError) as info:
        run_in(mode, f, np.ones(3))
    message = str(info.value)
    assert f"numpy.{name}" in message
    assert f"{mode} mode" in message
    assert f"gradlab.numpy.{name}" in message  # ... and what to use instead


@pytest.mark.parametrize("mode", MODES)
def test_math_module_and_float_on_a_traced_value_are_errors(mode):
    for f in (lambda x: math.exp(x), lambda x: float(x) * x):
        with pytest.raises(UnsupportedOperationError, match=f"{mode} mode"):
            run_in(mode, f, 2.0)


@pytest.mark.parametrize("mode", MODES)
def test_ndarray_on_the_left_of_an_operator_is_routed_to_gradlab(mode):
    a = np.array([1.0, 2.0, 3.0])

    def f(x):
        return (a + x) * x - a / x + a ** x + a @ x + x - a * (a > x)

    x = np.array([0.5, 1.5, 2.5])
    if mode == "forward":
        got = gradlab.jvp(f, (x,), (np.ones(3),))[1]  # f is elementwise apart from a @ x
        expected = 2 * x + a + a / x ** 2 + a ** x * np.log(a) + 1 + np.sum(a)
    else:
        got = gradlab.grad(lambda x: gnp.sum(f(x)))(x)
        expected = 2 * x + a + a / x ** 2 + a ** x * np.log(a) + 1 + 3 * a
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_numpy_scalars_on_the_left_work():
    g = gradlab.grad(lambda x: gnp.sum(np.float64(2.0) * x - np.float32(1.0) / x))(np.ones(2))
    np.testing.assert_allclose(g, [3.0, 3.0])


# ----------------------------------------------------------------------------------------
# grad of a non-scalar.
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("f, what", [(lambda x: x * 2.0, "shape (3,)"),
                                     (lambda x: gnp.reshape(gnp.sum(x), (1,)), "shape (1,)"),
                                     (lambda x: (gnp.sum(x), gnp.sum(x)), "tuple")])
def test_grad_of_a_non_scalar_output_suggests_jacrev_and_vjp(f, what):
    with pytest.raises(NonScalarOutputError) as info:
        gradlab.grad(f)(np.ones(3))
    message = str(info.value)
    assert "scalar" in message and what in message
    assert "jacrev" in message and "vjp" in message


def test_value_and_grad_of_a_non_scalar_output():
    with pytest.raises(NonScalarOutputError):
        gradlab.value_and_grad(lambda x: x)(np.ones(2))


# ----------------------------------------------------------------------------------------
# In-place assignment.
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_in_place_assignment_into_a_traced_array_says_what_to_write_instead(mode):
    def f(x):
        x[0] = 0.0
        return x

    with pytest.raises(UnsupportedOperationError) as info:
        run_in(mode, f, np.ones(3))
    message = str(info.value)
    assert "In-place assignment" in message and f"{mode} mode" in message
    assert "gnp.where" in message and "gnp.concatenate" in message


@pytest.mark.parametrize("mode", MODES)
def test_writing_a_traced_value_into_a_numpy_array_is_an_error(mode):
    # This used to drop the derivative silently (numpy converted the tracer with float()).
    def scalar_into_array(x):
        a = np.zeros(3)
        a[0] = x[1]
        return a * x

    def slice_into_array(x):
        a = np.zeros(3)
        a[:] = x
        return a * x

    with pytest.raises(ValueError) as info:  # numpy wraps our error in its own ValueError,
        run_in(mode, scalar_into_array, np.ones(3))
    ours = info.value.__cause__  # ... "the direct cause": the traceback shows ours first
    assert isinstance(ours, UnsupportedOperationError)
    assert "A[i] = x" in str(ours) and "gnp.stack" in str(ours)
    with pytest.raises(UnsupportedOperationError, match="gnp.stack"):
        run_in(mode, slice_into_array, np.ones(3))
    with pytest.raises(UnsupportedOperationError, match="gnp.stack"):
        run_in(mode, lambda x: np.array([x[0], x[1]]), np.ones(3))


@pytest.mark.parametrize("mode", MODES)
def test_in_place_numpy_operator_on_a_plain_array_says_what_to_write_instead(mode):
    def f(x):
        a = np.zeros(3)
        a += x
        return a

    with pytest.raises(UnsupportedOperationError) as info:
        run_in(mode, f, np.ones(3))
    assert "A += x" in str(info.value) and "A = A + x" in str(info.value)
    assert f"{mode} mode" in str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_numpy_shape_functions_work_on_traced_values(mode):
    def f(x):
        return x * (np.shape(x)[0] + np.ndim(x) + np.size(x))  # 3 + 1 + 3

    x = np.ones(3)
    if mode == "forward":
        np.testing.assert_array_equal(gradlab.jvp(f, (x,), (x,))[1], 7 * x)
    else:
        np.testing.assert_array_equal(gradlab.grad(lambda x: gnp.sum(f(x)))(x), 7 * x)


@pytest.mark.parametrize("mode", MODES)
def test_a_traced_index_is_an_error(mode):
    with pytest.raises(UnsupportedOperationError, match="index"):
        run_in(mode, lambda x: x[x > 0.0][x[0]], np.ones(3))


# ----------------------------------------------------------------------------------------
# Integer inputs, and Python ints.
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda x: gradlab.grad(lambda x: gnp.sum(x * 1.0))(x),
    lambda x: gradlab.vjp(lambda x: x * 1.0, x),
    lambda x: gradlab.jvp(lambda x: x * 1.0, (x,), (np.ones(x.shape),)),
    lambda x: gradlab.jacfwd(lambda x: x * 1.0)(x),
    lambda x: gradlab.jacrev(lambda x: x * 1.0)(x),
    lambda x: gradlab.hessian(lambda x: gnp.sum(x * x))(x),
])
def test_integer_array_inputs_name_the_shape(call):
    with pytest.raises(IntegerInputError) as info:
        call(np.arange(6).reshape(2, 3))
    message = str(info.value)
    assert "(2, 3)" in message and "integer" in message and "float" in message


def test_integer_tangent_and_boolean_input_are_errors():
    with pytest.raises(IntegerInputError, match=r"\(3,\)"):
        gradlab.jvp(lambda x: x, (np.ones(3),), (np.ones(3, dtype=int),))
    with pytest.raises(IntegerInputError, match="boolean"):
        gradlab.grad(lambda x: x * 1.0)(True)
    with pytest.raises(IntegerInputError, match=r"\(2,\)"):
        gradlab.grad(lambda x: gnp.sum(x * 1.0))(np.array([True, False]))


def test_non_numeric_input_is_a_gradlab_error():
    with pytest.raises(GradlabError, match="dtype"):
        gradlab.grad(lambda x: x)("a")


def test_python_ints_are_accepted():
    assert gradlab.grad(lambda x: x * x)(3) == 6.0
    assert gradlab.jvp(lambda x: x ** 3, (2,), (1,)) == (8.0, 12.0)
    out, vjp_fn = gradlab.vjp(lambda x, y: x * y, 2, 5)
    assert out == 10.0 and vjp_fn(1.0) == (5.0, 2.0)
    np.testing.assert_allclose(gradlab.grad(lambda x, y: x * y, argnums=(0, 1))(2, 3), (3, 2))


def test_integer_constants_inside_the_function_are_fine():
    g = gradlab.grad(lambda x: gnp.sum(x * np.arange(3) + np.arange(3) ** 2))(np.ones(3))
    np.testing.assert_array_equal(g, [0.0, 1.0, 2.0])


# ----------------------------------------------------------------------------------------
# Shapes.
# ----------------------------------------------------------------------------------------

def test_mismatched_primal_and_tangent_shapes_name_both_shapes():
    with pytest.raises(ShapeError) as info:
        gradlab.jvp(gnp.sin, (np.ones((2, 3)),), (np.ones(3),))
    assert "(2, 3)" in str(info.value) and "(3,)" in str(info.value)


def test_mismatched_primal_and_tangent_structures():
    with pytest.raises(GradlabError, match="structure"):
        gradlab.jvp(lambda p: p[0], ([np.ones(2)],), ((np.ones(2), np.ones(2)),))


def test_jvp_needs_tuples():
    with pytest.raises(TypeError, match=r"jvp\(f, \(x,\), \(v,\)\)"):
        gradlab.jvp(gnp.sin, np.ones(2), np.ones(2))


def test_wrong_cotangent_shape_names_the_shapes():
    _, vjp_fn = gradlab.vjp(lambda x: gnp.outer(x, x), np.ones(3))
    with pytest.raises(ShapeError) as info:
        vjp_fn(np.ones(3))
    assert "(3, 3)" in str(info.value) and "(3,)" in str(info.value)


def test_wrong_cotangent_structure():
    _, vjp_fn = gradlab.vjp(lambda x: (x, x), np.ones(3))
    with pytest.raises(GradlabError, match="structure"):
        vjp_fn(np.ones(3))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, f, shapes", [
    ("add", lambda x: x + np.ones(4), ["(3,)", "(4,)"]),
    ("multiply", lambda x: np.ones((2, 4)) * x, ["(2, 4)", "(3,)"]),
    ("subtract", lambda x: gnp.subtract(x, np.ones((3, 2))), ["(3,)", "(3, 2)"]),
    ("maximum", lambda x: gnp.maximum(x, np.ones(2)), ["(3,)", "(2,)"]),
    ("where", lambda x: gnp.where(np.ones(5) > 0, x, 0.0), ["(5,)", "(3,)"]),
])
def test_binary_shape_mismatch_is_a_shape_error_naming_shapes_and_operation(mode, name, f,
                                                                           shapes):
    with pytest.raises(ShapeError) as info:
        run_in(mode, f, np.ones(3))
    message = str(info.value)
    assert f"gnp.{name}" in message and "broadcast" in message
    for s in shapes:
        assert s in message


@pytest.mark.parametrize("mode", MODES)
def test_other_shape_errors_name_the_operation_and_shapes(mode):
    with pytest.raises(ShapeError, match=r"gnp\.matmul.*\(3,\).*\(4, 2\)"):
        run_in(mode, lambda x: x @ np.ones((4, 2)), np.ones(3))
    with pytest.raises(ShapeError, match=r"gnp\.reshape.*\(3,\)"):
        run_in(mode, lambda x: gnp.reshape(x, (2, 2)), np.ones(3))


def test_shape_error_under_nested_differentiation_is_reported_once():
    def f(x):
        return gnp.sum(x + np.ones(4))

    with pytest.raises(ShapeError) as info:
        gradlab.grad(gradlab.grad(lambda x: f(x) * gnp.sum(x)))(np.ones(3))
    assert str(info.value).count("gnp.add") == 1
    assert info.value.__cause__ is None  # no chained numpy traceback


def test_plain_arrays_keep_numpys_own_error():
    with pytest.raises(ValueError) as info:
        gnp.add(np.ones(3), np.ones(4))
    assert not isinstance(info.value, ShapeError)


def test_argnums_out_of_range():
    with pytest.raises(GradlabError, match="argnums"):
        gradlab.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(GradlabError, match="argnums"):
        gradlab.grad(lambda x, y: x * y, argnums=(0, 5))(1.0, 2.0)


def test_non_differentiable_argument_of_a_primitive():
    with pytest.raises(UnsupportedOperationError, match="not differentiable"):
        gradlab.grad(lambda c: gnp.sum(gnp.where(c, 1.0, 2.0)))(np.ones(3))


# ----------------------------------------------------------------------------------------
# check_grads reports wrong derivatives clearly.
# ----------------------------------------------------------------------------------------

def _sin_with(jvp_scale=1.0, vjp_scale=1.0, second_order=True):
    """sin as a primitive whose rules can be made wrong on purpose."""
    def cos(x):
        return gnp.cos(x) if second_order else np.cos(gnp._plain(x))
    return gradlab.primitive(
        np.sin, name="my_sin",
        jvp=(lambda t, ans, x: t * cos(x) * jvp_scale,),
        vjp=(lambda g, ans, x: g * cos(x) * vjp_scale,))


def test_check_grads_passes_on_correct_rules():
    my_sin = _sin_with()
    check_grads(lambda a, b: a * my_sin(b), (np.ones((2, 1)), np.linspace(0, 1, 3)), order=3)


def test_check_grads_names_the_mode_order_argument_and_gap_of_a_wrong_vjp():
    my_sin = _sin_with(vjp_scale=1.01)
    with pytest.raises(GradientCheckError) as info:
        check_grads(lambda a, b: a * my_sin(b), (np.ones((2, 1)), np.linspace(0, 1, 3)))
    message = str(info.value)
    assert "reverse mode" in message and "order 1" in message
    assert "args[1]" in message and "(3,)" in message
    assert "expected" in message and "got" in message and "difference" in message


def test_check_grads_catches_a_wrong_jvp_and_forward_only_mode():
    my_sin = _sin_with(jvp_scale=0.99)
    check_grads(lambda x: my_sin(x), (np.ones(3),), modes=("rev",))  # reverse is right
    with pytest.raises(AssertionError, match="forward mode.*order 1.*args\\[0\\]"):
        check_grads(lambda x: my_sin(x), (np.ones(3),), modes=("fwd",))


@pytest.mark.parametrize("mode, name", [("fwd", "forward"), ("rev", "reverse")])
def test_check_grads_catches_rules_that_are_wrong_only_at_second_order(mode, name):
    my_sin = _sin_with(second_order=False)  # right values, but not differentiable themselves
    check_grads(lambda x: gnp.sum(my_sin(x)), (np.ones(3),), modes=(mode,), order=1)
    with pytest.raises(GradientCheckError, match=f"{name} mode.*order 2"):
        check_grads(lambda x: gnp.sum(my_sin(x)), (np.ones(3),), modes=(mode,), order=2)


def test_check_grads_needs_a_tuple_of_arguments():
    with pytest.raises(TypeError, match="tuple"):
        check_grads(gnp.sin, np.ones(3))
