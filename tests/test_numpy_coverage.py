"""The numpy functions added for issue 14, checked against numpy's documentation.

Three kinds of test:
- values: on the examples of numpy's documentation (plain arrays), gnp.f gives what numpy.f
  gives, and so does gnp.f on traced arrays (the value inside the tracer);
- derivatives: facts from calculus and from numpy's semantics (ties, zeros, dtypes), in both
  modes; every one of these functions is also checked against finite differences to second
  order in tests/test_primitives.py;
- what gradlab leaves out on purpose raises an error that names the function.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradlab
import gradlab.numpy as gnp
from gradlab.errors import ShapeError, UnsupportedOperationError

A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])   # numpy's docs use small arrays like these
V = np.array([1.0, 2.0, 4.0, 7.0, 0.0])
SQ = np.arange(9.0).reshape(3, 3)
T3 = np.arange(24.0).reshape(2, 3, 4)

# (name, call): call(m) is the documented example, written once for numpy and for gnp.
VALUES = [
    ("arcsin", lambda m: m.arcsin(np.array([-0.5, 0.0, 0.5]))),
    ("arccos", lambda m: m.arccos(np.array([-0.5, 0.0, 0.5]))),
    ("arctan", lambda m: m.arctan(np.array([-1.0, 0.0, 1.0]))),
    ("sinh", lambda m: m.sinh(V)), ("cosh", lambda m: m.cosh(V)),
    ("arcsinh", lambda m: m.arcsinh(V)), ("arccosh", lambda m: m.arccosh(V + 1.0)),
    ("arctanh", lambda m: m.arctanh(np.array([-0.5, 0.0, 0.5]))),
    ("exp2", lambda m: m.exp2(V)), ("expm1", lambda m: m.expm1(np.array([1e-10, 1.0]))),
    ("log2", lambda m: m.log2(np.array([1.0, 2.0, 2.0 ** 4]))),
    ("log10", lambda m: m.log10(np.array([1e-15, 1.0, 100.0]))),
    ("deg2rad", lambda m: m.deg2rad(180.0)), ("radians", lambda m: m.radians(90.0)),
    ("rad2deg", lambda m: m.rad2deg(np.pi / 2)), ("degrees", lambda m: m.degrees(np.pi)),
    ("sinc", lambda m: m.sinc(np.linspace(-4, 4, 9))), ("fabs", lambda m: m.fabs(-V)),
    ("cbrt", lambda m: m.cbrt(np.array([1.0, 8.0, 27.0]))),
    ("nan_to_num", lambda m: m.nan_to_num(np.array([np.inf, -np.inf, np.nan, -128.0, 128.0]))),
    ("hypot", lambda m: m.hypot(3.0 * np.ones((3, 3)), 4.0 * np.ones((3, 3)))),
    ("arctan2", lambda m: m.arctan2(np.array([-1.0, 1.0, 1.0, -1.0]),
                                    np.array([-1.0, -1.0, 1.0, 1.0]))),
    ("logaddexp", lambda m: m.logaddexp(np.log(1e-50), np.log(2.5e-50))),
    ("logaddexp2", lambda m: m.logaddexp2(-50.0, -49.0)),
    ("fmax", lambda m: m.fmax(np.array([2.0, 3.0, np.nan]), np.array([1.0, np.nan, np.nan]))),
    ("fmin", lambda m: m.fmin(np.array([2.0, 3.0, np.nan]), np.array([1.0, np.nan, np.nan]))),
    ("mod", lambda m: m.mod(np.array([4.0, 7.0, -7.0]), 2.5)),
    ("remainder", lambda m: m.remainder(np.arange(7.0), 5.0)),
    ("fmod", lambda m: m.fmod(np.array([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]), 2.0)),
    ("true_divide", lambda m: m.true_divide(V, 4.0)),
    ("prod", lambda m: m.prod(A, axis=1)), ("cumsum", lambda m: m.cumsum(A, axis=0)),
    ("cumsum_flat", lambda m: m.cumsum(A)),
    ("var", lambda m: m.var(A, axis=0)), ("std", lambda m: m.std(A, ddof=1)),
    ("average", lambda m: m.average(A, axis=1, weights=np.array([3.0, 2.0, 1.0]))),
    ("flip", lambda m: m.flip(T3, 1)), ("fliplr", lambda m: m.fliplr(SQ)),
    ("flipud", lambda m: m.flipud(SQ)), ("rot90", lambda m: m.rot90(A, 2)),
    ("roll", lambda m: m.roll(V, -2)), ("repeat", lambda m: m.repeat(A, 2, axis=1)),
    ("tile", lambda m: m.tile(V, (2, 2))), ("moveaxis", lambda m: m.moveaxis(T3, 0, -1)),
    ("rollaxis", lambda m: m.rollaxis(T3, 2)), ("swapaxes", lambda m: m.swapaxes(T3, 0, 2)),
    ("diagonal", lambda m: m.diagonal(T3, 1, 1, 2)), ("diag", lambda m: m.diag(V, 1)),
    ("diag_of_matrix", lambda m: m.diag(SQ, -1)), ("diagflat", lambda m: m.diagflat(A)),
    ("trace", lambda m: m.trace(T3, 0, 1, 2)), ("tril", lambda m: m.tril(SQ, -1)),
    ("triu", lambda m: m.triu(T3, 1)), ("sort", lambda m: m.sort(-A, axis=0)),
    ("partition", lambda m: m.partition(V, 2)), ("take", lambda m: m.take(A, [0, 4])),
    ("take_along_axis", lambda m: m.take_along_axis(A, np.array([[2], [0]]), 1)),
    ("atleast_1d", lambda m: m.atleast_1d(1.0)), ("atleast_2d", lambda m: m.atleast_2d(V)),
    ("atleast_3d", lambda m: m.atleast_3d(A)), ("vstack", lambda m: m.vstack([V, V])),
    ("hstack", lambda m: m.hstack([A, A])), ("dstack", lambda m: m.dstack([A, A])),
    ("row_stack", lambda m: m.vstack([A, V[:3]])),
    ("column_stack", lambda m: m.column_stack([V, V])),
    ("split", lambda m: m.split(np.arange(9.0), 3)[1]),
    ("array_split", lambda m: m.array_split(np.arange(8.0), 3)[2]),
    ("hsplit", lambda m: m.hsplit(T3, 3)[0]), ("vsplit", lambda m: m.vsplit(T3, [1])[1]),
    ("dsplit", lambda m: m.dsplit(T3, 2)[1]), ("append", lambda m: m.append(A, V)),
    ("append_axis", lambda m: m.append(A, A, axis=0)),
    ("concatenate_none", lambda m: m.concatenate([A, A], axis=None)),
    ("diff", lambda m: m.diff(V, n=2)), ("pad", lambda m: m.pad(A, (1, 2))),
    ("pad_value", lambda m: m.pad(V, (2, 3), "constant", constant_values=6.0)),
    ("select", lambda m: m.select([V < 3, V > 5], [V, V ** 2], 42.0)),
    ("gradient", lambda m: m.gradient(V)),
    ("gradient_axes", lambda m: m.gradient(T3 ** 2, axis=(0, 2))[1]),
    ("inner", lambda m: m.inner(np.ones((2, 3)), np.arange(12.0).reshape(4, 3))),
    ("dot_nd", lambda m: m.dot(T3, np.arange(8.0).reshape(4, 2))),
    ("tensordot", lambda m: m.tensordot(T3, np.ones((3, 4)), axes=([1, 2], [0, 1]))),
    ("vdot", lambda m: m.vdot(A, A)), ("kron", lambda m: m.kron(SQ, np.eye(2))),
    ("cross", lambda m: m.cross(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]))),
    ("einsum", lambda m: m.einsum("ij,jk->ik", A, A.T)),
    ("einsum_implicit", lambda m: m.einsum("ij,jk", A, A.T)),
    ("einsum_ellipsis", lambda m: m.einsum("...ij->...ji", T3)),
    ("einsum_interleaved", lambda m: m.einsum(A, [0, 1], A, [0, 2], [1, 2])),
    ("einsum_trace", lambda m: m.einsum("ii", SQ)),
    ("linspace", lambda m: m.linspace(2.0, 3.0, num=5, retstep=True)[0]),
    ("full", lambda m: m.full((2, 2), 10.0)), ("full_like", lambda m: m.full_like(A, 0.1)),
    ("array", lambda m: m.array([[1.0, 2.0], [3.0, 4.0]], ndmin=3)),
    ("asarray", lambda m: m.asarray([1.0, 2.0])),
    ("r_", lambda m: m.r_[np.array([1.0, 2.0, 3.0]), 0.0, 0.0, np.array([4.0, 5.0, 6.0])]),
    ("c_", lambda m: m.c_[np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])]),
    ("all", lambda m: m.all(A > 0, axis=0)), ("any", lambda m: m.any(A > 5)),
    ("allclose", lambda m: m.allclose(A, A + 1e-9)), ("isclose", lambda m: m.isclose(V, 1.0)),
    ("ceil", lambda m: m.ceil(V / 3)), ("trunc", lambda m: m.trunc(-V / 3)),
    ("isinf", lambda m: m.isinf(np.array([np.inf, 1.0]))),
    ("real", lambda m: m.real(V)), ("imag", lambda m: m.imag(V)),
    ("conj", lambda m: m.conj(V)), ("angle", lambda m: m.angle(np.array([-1.0, 2.0]))),
]


@pytest.mark.parametrize("name,call", VALUES, ids=[v[0] for v in VALUES])
def test_value_matches_numpy(name, call):
    expected = call(np)
    got = call(gnp)
    assert np.shape(got) == np.shape(expected)
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # tangents at arccosh(1), at ±inf
@pytest.mark.parametrize("name,call", [v for v in VALUES if v[0] not in (
    "all", "any", "allclose", "isclose", "isinf", "ceil", "trunc")], ids=lambda v: str(v)[:20])
def test_value_matches_numpy_on_traced_input(name, call):
    """The same example with its float arrays traced (multiplied by a traced 1.0)."""
    expected = call(np)
    got = gradlab.jvp(lambda s: call(_Scaled(gnp, s)), (1.0,), (0.0,))[0]
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float),
                               atol=1e-12)


class _Scaled:
    """gnp, with every float-array argument multiplied by a traced 1.0 before the call."""

    def __init__(self, m, s):
        self.m, self.s = m, s

    def _wrap(self, x):
        if isinstance(x, np.ndarray) and x.dtype.kind == "f":
            return x * self.s
        if isinstance(x, list) and x and all(isinstance(a, np.ndarray) and a.dtype.kind == "f"
                                             for a in x):
            return [a * self.s for a in x]
        return x

    def __getattr__(self, name):
        f = getattr(self.m, name)
        if name in ("r_", "c_"):
            return _ScaledIndex(f, self)
        return lambda *a, **k: f(*[self._wrap(x) for x in a], **k)


class _ScaledIndex:
    def __init__(self, f, scaled):
        self.f, self.scaled = f, scaled

    def __getitem__(self, items):
        return self.f[tuple(self.scaled._wrap(x) for x in items)]


# ----------------------------------------------------------------------------------------
# Derivatives: facts from calculus and numpy's semantics, in both modes.
# ----------------------------------------------------------------------------------------

def both_modes(f, x):
    """The gradient of a scalar f by reverse mode, checked against forward mode (jacfwd)."""
    g_rev = gradlab.grad(f)(x)
    g_fwd = gradlab.jacfwd(f)(x)
    np.testing.assert_allclose(g_rev, g_fwd, atol=1e-12)
    return g_rev


def test_array_of_traced_scalars():
    """np.array([x, y]) of traced values: the Jacobian of [x, x², x + 2.5] is [1, 2x, 1]."""
    jac = gradlab.jacrev(lambda x: gnp.array([x, x ** 2, x + 2.5]))(3.0)
    np.testing.assert_allclose(jac, [1.0, 6.0, 1.0])
    jac_fwd = gradlab.jacfwd(lambda x: gnp.array([[x, 1.0], [2.0 * x, x]]))(3.0)
    np.testing.assert_allclose(jac_fwd, [[1.0, 0.0], [2.0, 1.0]])


def test_stack_of_scalars_and_mean_of_a_list():
    assert both_modes(lambda x: gnp.sum(gnp.stack([x, 2.0 * x])), 1.0) == 3.0
    assert both_modes(lambda x: gnp.mean([x, x + 2.0]), 0.0) == 1.0


def test_prod_derivative_at_a_zero():
    """d/dx_i Π x = Π_{j≠i} x_j: finite with one zero, not 0/0."""
    x = np.array([2.0, 0.0, 3.0])
    np.testing.assert_allclose(both_modes(gnp.prod, x), [0.0, 6.0, 0.0])
    np.testing.assert_allclose(both_modes(gnp.prod, np.zeros(3)), [0.0, 0.0, 0.0])


def test_cumsum_derivative_counts_later_entries():
    """Σ_k cumsum(x)_k = Σ_i (n - i) x_i."""
    np.testing.assert_allclose(both_modes(lambda x: gnp.sum(gnp.cumsum(x)), np.ones(4)),
                               [4.0, 3.0, 2.0, 1.0])


@pytest.mark.parametrize("reduce", [gnp.max, gnp.min])
def test_max_at_ties_splits_the_derivative_evenly(reduce):
    """numpy's rule as autograd applies it: k tied extremes get 1/k each."""
    g = both_modes(lambda x: reduce(gnp.array([x[0], x[0], x[1]])), np.array([1.0, 1.0]))
    np.testing.assert_allclose(g, [2 / 3, 1 / 3])  # three tied entries, two of them x[0]
    g = both_modes(lambda x: reduce(x), np.array([2.0, 2.0, 2.0, -5.0 if reduce is gnp.max
                                                  else 5.0]))
    np.testing.assert_allclose(g, [1 / 3, 1 / 3, 1 / 3, 0.0])


def test_maximum_at_a_tie_gives_each_argument_half():
    g = both_modes(lambda x: gnp.sum(gnp.maximum(x, np.array([1.0, 0.0]))), np.array([1.0, 1.0]))
    np.testing.assert_allclose(g, [0.5, 1.0])


def test_std_and_var():
    x = np.array([1.0, 2.0, 4.0])
    n = 3
    np.testing.assert_allclose(both_modes(gnp.var, x), 2 * (x - x.mean()) / n)
    np.testing.assert_allclose(both_modes(gnp.std, x), (x - x.mean()) / (n * x.std()))
    np.testing.assert_allclose(both_modes(gnp.std, np.ones(3)), 0.0)  # 0 at std = 0, as norm


def test_mod_hypot_arctan2():
    assert both_modes(lambda x: gnp.mod(x, 2.0), 5.5) == 1.0
    assert both_modes(lambda y: gnp.mod(5.5, y), 2.0) == -2.0   # -floor(5.5 / 2)
    assert both_modes(lambda x: x % 2.0, 5.5) == 1.0
    np.testing.assert_allclose(both_modes(lambda x: gnp.hypot(x, 4.0), 3.0), 3.0 / 5.0)
    np.testing.assert_allclose(both_modes(lambda y: gnp.arctan2(y, 1.0), 1.0), 0.5)


def test_linspace_on_traced_endpoints():
    """linspace(a, b, n)_i = a + (b - a) i / (n - 1): ∂/∂a = 1 - i/(n-1)."""
    jac = gradlab.jacrev(lambda a: gnp.linspace(a, 3.0, 5))(1.0)
    np.testing.assert_allclose(jac, [1.0, 0.75, 0.5, 0.25, 0.0])
    jac = gradlab.jacfwd(lambda b: gnp.linspace(1.0, b, 4, endpoint=False))(3.0)
    np.testing.assert_allclose(jac, [0.0, 0.25, 0.5, 0.75])


def test_astype_keeps_the_derivative_and_the_input_dtype():
    x = np.arange(3, dtype="float32")
    g = gradlab.grad(lambda x: gnp.sum(gnp.sin(x.astype("float64"))))(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, np.cos(x), rtol=1e-6)


def test_ndarray_methods_on_tracers():
    x = np.arange(6.0).reshape(2, 3)
    assert gradlab.grad(lambda x: gnp.sum(x.flatten() * np.arange(6.0)))(x).shape == (2, 3)
    np.testing.assert_allclose(gradlab.grad(lambda x: x.T.sum(0).prod())(x),
                               gradlab.grad(lambda x: gnp.prod(gnp.sum(x, axis=1)))(x))
    assert gradlab.grad(lambda x: x.var() + x.std(ddof=1) + x.cumsum()[-1])(x).shape == (2, 3)


def test_comparisons_inside_traced_code():
    def f(x):
        return gnp.sum(gnp.where(x > 1.0, x * x, -x)) if gnp.all(x >= 0) else gnp.sum(x)
    np.testing.assert_allclose(both_modes(f, np.array([0.5, 2.0])), [-1.0, 4.0])


def test_r_and_c_with_traced_values():
    c = np.ones(3)
    jac = gradlab.jacrev(lambda x: gnp.r_[x, c, 1:3])(np.ones(2))
    assert jac.shape == (7, 2) and np.allclose(jac[:2], np.eye(2)) and not jac[2:].any()
    assert gradlab.jacrev(lambda x: gnp.c_[x, c])(np.ones(3)).shape == (3, 2, 3)


def test_inner_contracts_the_last_axes():
    a, b = np.ones((2, 3)), np.arange(12.0).reshape(4, 3)
    assert gnp.inner(a, b).shape == (2, 4)
    g = gradlab.grad(lambda a: gnp.sum(gnp.inner(a, b)))(a)
    np.testing.assert_allclose(g, np.broadcast_to(b.sum(0), (2, 3)))


def test_einsum_diagonal_derivative():
    """d/dA trace(A) = I, through einsum('ii')."""
    np.testing.assert_allclose(both_modes(lambda a: gnp.einsum("ii", a), SQ), np.eye(3))


def test_nan_to_num_derivative():
    y = np.array([0.0, np.nan, np.inf])
    g = both_modes(lambda x: gnp.sum(gnp.nan_to_num(x + y)), np.ones(3))
    np.testing.assert_allclose(g, [1.0, 0.0, 0.0])


# ----------------------------------------------------------------------------------------
# Left out on purpose: clear errors.
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(gnp.NOT_SUPPORTED))
def test_left_out_functions_say_so(name):
    with pytest.raises(gnp.NotSupportedError, match=f"gnp.{name} is not supported"):
        getattr(gnp, name)
    assert not hasattr(gnp, name)  # still an AttributeError for hasattr and getattr(.., None)


@pytest.mark.parametrize("name", ["inv", "det", "solve", "eigh", "svd", "cholesky"])
def test_linalg_beyond_norm_says_so(name):
    with pytest.raises(UnsupportedOperationError, match=f"gnp.linalg.{name} is not supported"):
        getattr(gnp.linalg, name)


def test_linalg_norm():
    x = np.array([3.0, 4.0])
    assert gnp.linalg.norm(x) == 5.0
    np.testing.assert_allclose(gradlab.grad(gnp.linalg.norm)(x), [0.6, 0.8])
    with pytest.raises(UnsupportedOperationError, match="ord=1"):
        gnp.linalg.norm(x, ord=1)


def test_complex_input_is_refused_by_name():
    with pytest.raises(UnsupportedOperationError, match="gnp.real: complex numbers"):
        gnp.real(np.array([1.0 + 2.0j]))


def test_unknown_names_are_plain_attribute_errors():
    with pytest.raises(AttributeError, match="no attribute 'not_a_numpy_function'"):
        gnp.not_a_numpy_function  # noqa: B018


def test_split_into_unequal_sections_names_the_shapes():
    with pytest.raises(ShapeError, match="length 5 does not split into 2"):
        gnp.split(np.ones(5), 2)


def test_pad_modes_other_than_constant_are_refused():
    with pytest.raises(UnsupportedOperationError, match="mode='reflect'"):
        gnp.pad(np.ones(3), 1, mode="reflect")
