"""Every primitive of gradlab.numpy, in both modes and to second order.

Each case is one primitive (or operator) on one shape combination, and is checked twice:
- `test_check_grads`: gradlab.testing.check_grads (JVP against central differences, VJP by the
  inner-product identity, order 2: the derivative maps themselves are checked the same way);
- `test_matches_autograd`: value, VJP, JVP and Hessian-vector products (forward-over-reverse,
  reverse-over-reverse, forward-over-forward) agree with HIPS autograd.

Inputs are drawn away from poles and from the points where a derivative does not exist
(positive values for log/sqrt/divide, no ties for max/maximum, no zeros for abs/relu, nothing
near the clip bounds): what happens at those points is a convention, tested in
tests/test_conventions.py.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from types import SimpleNamespace

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import gradlab
import gradlab.numpy as gnp
from gradlab.testing import check_grads

# autograd warns when a derivative map is constant (e.g. the Hessian of a linear function).
pytestmark = pytest.mark.filterwarnings("ignore:Output seems independent of input")

# ----------------------------------------------------------------------------------------
# The reference side: autograd.numpy, plus the functions numpy itself does not have, written
# with their textbook formulas (so they are independent of gradlab's implementation).
# ----------------------------------------------------------------------------------------


def _ag_norm(x, axis=None, keepdims=False):
    return anp.sqrt(anp.sum(x * x, axis=axis, keepdims=keepdims))


def _ag_log_softmax(x, axis=-1):
    return x - anp.log(anp.sum(anp.exp(x), axis=axis, keepdims=True))


def _ag_where(c, x, y):
    """autograd's where does not unbroadcast its cotangents: broadcast x and y first."""
    full = anp.zeros(np.broadcast_shapes(np.shape(c), np.shape(x), np.shape(y)))
    return anp.where(c, x + full, y + full)


AG = SimpleNamespace(**{name: getattr(anp, name) for name in dir(anp) if not name.startswith("_")})
AG.sigmoid = lambda x: 1.0 / (1.0 + anp.exp(-x))
AG.relu = lambda x: x * (x > 0)
# The inputs are small, so the naive formula does not overflow (autograd's own logsumexp
# fails on keepdims=True for 0-d input).
AG.logsumexp = lambda x, axis=None, keepdims=False: anp.log(
    anp.sum(anp.exp(x), axis=axis, keepdims=keepdims))
AG.log_softmax = _ag_log_softmax
AG.softmax = lambda x, axis=-1: anp.exp(x) / anp.sum(anp.exp(x), axis=axis, keepdims=True)
AG.norm = _ag_norm
AG.broadcast_to = lambda x, shape: x + anp.zeros(shape)  # autograd's own misses leading axes
AG.where = _ag_where
AG.outer = lambda a, b: anp.outer(anp.ravel(a), anp.ravel(b))  # autograd's: 1-D only
AG.transpose = lambda x, axes=None: anp.transpose(  # autograd's VJP: no negative axes
    x, None if axes is None else tuple(a % len(axes) for a in axes))
AG.is_reference = True


def _is_reference(m):
    return getattr(m, "is_reference", False)


def _method(m, x, name, *args):
    """x.name(*args) for gradlab's tracers; the function form for autograd (whose boxes lack
    some methods)."""
    if _is_reference(m):
        return getattr(anp, name)(x, *args)
    return getattr(x, name)(*args)


# ----------------------------------------------------------------------------------------
# Inputs, drawn from a domain where the function is smooth.
# ----------------------------------------------------------------------------------------

def _draw(shape, domain, rng):
    if domain == "any":
        return rng.standard_normal(shape)
    if domain == "pos":  # log, sqrt, divisors, bases of powers
        return rng.uniform(0.5, 2.0, shape)
    if domain == "away0":  # abs, sign, relu, norm: no zeros
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2.0, shape)
    if domain == "small":  # tan: far from its poles at ±π/2
        return rng.uniform(-1.0, 1.0, shape)
    if domain == "unit":  # arcsin, arccos, arctanh: well inside (-1, 1)
        return rng.uniform(-0.8, 0.8, shape)
    if domain == "gt1":  # arccosh: well above 1
        return rng.uniform(1.3, 3.0, shape)
    if domain in ("even", "odd"):  # maximum/minimum: x - y is always at least 0.16 from 0
        offset = 0.0 if domain == "even" else 0.2
        return 0.4 * rng.integers(-4, 5, shape) + offset + rng.uniform(-0.02, 0.02, shape)
    if domain == "distinct":  # max/min over axes: entries at least 0.2 apart, so no ties
        size = int(np.prod(shape))
        values = 0.3 * (rng.permutation(size) - size / 2) + rng.uniform(-0.05, 0.05, size)
        return values.reshape(shape)
    if domain == "clipsafe":  # clip to [-0.5, 0.5]: nothing within 0.05 of the bounds
        inside = rng.uniform(0.0, 0.45, shape)
        outside = rng.uniform(0.55, 1.5, shape)
        return rng.choice([-1.0, 1.0], shape) * np.where(rng.random(shape) < 0.5, inside, outside)
    raise ValueError(domain)


@dataclass
class Case:
    id: str
    make: object  # make(m) -> a function of the differentiable arguments; m is gnp or AG
    args: tuple

    def __repr__(self):
        return self.id


def _case(name, make, shapes, domains, cases):
    label = ",".join("x".join(map(str, s)) or "s" for s in shapes)
    case_id = f"{name}[{label}]"
    rng = np.random.default_rng(zlib.crc32(case_id.encode()))
    args = tuple(_draw(s, d, rng) for s, d in zip(shapes, domains))
    cases.append(Case(case_id, make, args))


CASES: list[Case] = []

# --- Elementwise functions of one argument ----------------------------------------------
UNARY_SHAPES = [(), (4,), (3, 4), (1, 4), (3, 1)]
UNARY = [
    ("negative", lambda m: lambda x: -x, "any"),
    ("exp", lambda m: m.exp, "any"),
    ("log", lambda m: m.log, "pos"),
    ("log1p", lambda m: m.log1p, "pos"),
    ("sin", lambda m: m.sin, "any"),
    ("cos", lambda m: m.cos, "any"),
    ("tan", lambda m: m.tan, "small"),
    ("tanh", lambda m: m.tanh, "any"),
    ("sqrt", lambda m: m.sqrt, "pos"),
    ("abs", lambda m: m.abs, "away0"),
    ("abs_builtin", lambda m: lambda x: abs(x), "away0"),
    ("sign_times_sin", lambda m: lambda x: m.sign(x) * m.sin(x), "away0"),
    ("sigmoid", lambda m: m.sigmoid, "any"),
    ("relu", lambda m: m.relu, "away0"),
    ("clip", lambda m: lambda x: m.clip(x, -0.5, 0.5), "clipsafe"),
    ("square_pow", lambda m: lambda x: x ** 2, "any"),
    ("cube_pow", lambda m: lambda x: x ** 3.0, "any"),
    ("sqrt_pow", lambda m: lambda x: x ** 0.5, "pos"),
    ("rpow", lambda m: lambda x: 2.0 ** x, "any"),
    ("reciprocal", lambda m: lambda x: 1.0 / x, "pos"),
    ("const_array_ops", lambda m: lambda x: np.linspace(1, 2, 4) * x - np.ones(4) / (x + 3.0),
     "pos"),
]
for _name, _make, _domain in UNARY:
    for _shape in UNARY_SHAPES:
        _case(_name, _make, [_shape], [_domain], CASES)

# --- Elementwise functions of two arguments, with broadcasting ---------------------------
BINARY_SHAPES = [((), ()), ((), (4,)), ((4,), ()), ((4,), (4,)), ((3, 4), (4,)),
                 ((4,), (3, 4)), ((3, 4), (3, 4)), ((1, 4), (3, 1)), ((3, 1), (1, 4)),
                 ((3, 4), (1, 4)), ((3, 1), (3, 4)), ((2, 3, 4), (3, 1)), ((3, 4), ())]


def _checkerboard(shape):
    """A fixed boolean mask of the given shape (True, False, True, ...)."""
    return (np.arange(int(np.prod(shape))) % 2 == 0).reshape(shape)


BINARY = [
    ("add", lambda m, s: lambda x, y: x + y, ("any", "any")),
    ("subtract", lambda m, s: lambda x, y: x - y, ("any", "any")),
    ("multiply", lambda m, s: lambda x, y: x * y, ("any", "any")),
    ("divide", lambda m, s: lambda x, y: x / y, ("any", "pos")),
    ("power", lambda m, s: lambda x, y: x ** y, ("pos", "any")),
    ("add_fn", lambda m, s: m.add, ("any", "any")),
    ("maximum", lambda m, s: m.maximum, ("even", "odd")),
    ("minimum", lambda m, s: m.minimum, ("even", "odd")),
    ("where", lambda m, s: lambda x, y: m.where(_checkerboard(np.broadcast_shapes(*s)), x, y),
     ("any", "any")),
]
for _name, _make, _domains in BINARY:
    for _shapes in BINARY_SHAPES:
        _case(_name, lambda m, mk=_make, s=_shapes: mk(m, s), list(_shapes), _domains, CASES)

# --- Reductions over axes ----------------------------------------------------------------
AXES = [((), None), ((4,), None), ((4,), 0), ((4,), -1), ((3, 4), None), ((3, 4), 0),
        ((3, 4), 1), ((3, 4), -1), ((3, 4), (0, 1)), ((3, 4), (-2,)), ((2, 3, 4), (0, 2)),
        ((2, 3, 4), (-1, 0)), ((2, 3, 4), -2)]
REDUCTIONS = [("sum", "any"), ("mean", "any"), ("max", "distinct"), ("min", "distinct"),
              ("logsumexp", "any"), ("norm", "away0")]
for _name, _domain in REDUCTIONS:
    for _shape, _axis in AXES:
        for _keep in (False, True):
            if _shape == () and _name == "norm":
                continue  # the norm of a scalar is |x|, tested as abs
            _case(f"{_name}-axis{_axis}-keep{_keep}".replace(" ", ""),
                  lambda m, n=_name, a=_axis, k=_keep: lambda x: getattr(m, n)(
                      x, axis=a, keepdims=k),
                  [_shape], [_domain], CASES)

METHODS = [  # the same reductions called as methods of a traced array
    ("method_sum", lambda m: lambda x: x.sum(axis=0), (3, 4), "any"),
    ("method_mean", lambda m: lambda x: x.mean(), (3, 4), "any"),
    ("method_max", lambda m: lambda x: x.max(axis=-1, keepdims=True), (3, 4), "distinct"),
    ("method_min", lambda m: lambda x: x.min(1), (3, 4), "distinct"),
    ("method_dot", lambda m: lambda x: _method(m, x, "dot", np.arange(4.0)), (3, 4), "any"),
]
for _name, _make, _shape, _domain in METHODS:
    _case(_name, _make, [_shape], [_domain], CASES)

for _name in ("softmax", "log_softmax"):
    for _shape, _axis in [((4,), -1), ((4,), 0), ((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1),
                          ((2, 3, 4), -3)]:
        _case(f"{_name}-axis{_axis}",
              lambda m, n=_name, a=_axis: lambda x: getattr(m, n)(x, axis=a),
              [_shape], ["any"], CASES)

# --- Shapes: reshape, transpose, broadcasting, indexing, joining -------------------------
SHAPE_OPS = [
    ("reshape", lambda m: lambda x: m.reshape(x, (2, 6)), (3, 4)),
    ("reshape_minus1", lambda m: lambda x: m.reshape(x, (-1,)), (3, 4)),
    ("reshape_method", lambda m: lambda x: x.reshape(4, 3), (3, 4)),
    ("reshape_method_tuple", lambda m: lambda x: x.reshape((2, 2, 3)), (3, 4)),
    ("reshape_scalar", lambda m: lambda x: m.reshape(x, (1, 1)), ()),
    ("transpose", lambda m: m.transpose, (3, 4)),
    ("transpose_axes", lambda m: lambda x: m.transpose(x, (2, 0, 1)), (2, 3, 4)),
    ("transpose_negative_axes", lambda m: lambda x: m.transpose(x, (0, -1, -2)), (2, 3, 4)),
    ("transpose_method", lambda m: lambda x: anp.transpose(x, (1, 2, 0))
     if _is_reference(m) else x.transpose(1, 2, 0), (2, 3, 4)),
    ("transpose_method_tuple", lambda m: lambda x: x.transpose((1, 0)), (3, 4)),
    ("T", lambda m: lambda x: x.T, (3, 4)),
    ("T_3d", lambda m: lambda x: x.T, (2, 3, 4)),
    ("swapaxes", lambda m: lambda x: m.swapaxes(x, 0, -1), (2, 3, 4)),
    ("expand_dims0", lambda m: lambda x: m.expand_dims(x, 0), (3, 4)),
    ("expand_dims_last", lambda m: lambda x: m.expand_dims(x, -1), (3, 4)),
    ("expand_dims1", lambda m: lambda x: m.expand_dims(x, 1), (4,)),
    ("squeeze_all", lambda m: m.squeeze, (1, 4, 1)),
    ("squeeze_axis", lambda m: lambda x: m.squeeze(x, axis=1), (3, 1, 4)),
    ("squeeze_method", lambda m: lambda x: x.squeeze(), (1, 4)),
    ("ravel", lambda m: m.ravel, (3, 4)),
    ("broadcast_to_rows", lambda m: lambda x: m.broadcast_to(x, (3, 4)), (4,)),
    ("broadcast_to_cols", lambda m: lambda x: m.broadcast_to(x, (3, 4)), (3, 1)),
    ("broadcast_to_lead", lambda m: lambda x: m.broadcast_to(x, (2, 3, 4)), (1, 4)),
    ("broadcast_to_scalar", lambda m: lambda x: m.broadcast_to(x, (3,)), ()),
]
for _name, _make, _shape in SHAPE_OPS:
    _case(_name, _make, [_shape], ["any"], CASES)

_MASK5 = np.array([True, False, True, True, False])
_MASK34 = np.arange(12).reshape(3, 4) % 3 == 0
INDEXING = [
    ("int", lambda x: x[2], (5,)),
    ("negative_int", lambda x: x[-1], (5,)),
    ("slice", lambda x: x[1:4], (5,)),
    ("step_slice", lambda x: x[::2], (5,)),
    ("reversed", lambda x: x[::-1], (5,)),
    ("list_with_repeats", lambda x: x[[0, 0, 2]], (5,)),
    ("array_with_repeats", lambda x: x[np.array([4, 0, 4, 1, 4])], (5,)),
    ("bool_mask", lambda x: x[_MASK5], (5,)),
    ("row", lambda x: x[1], (3, 4)),
    ("column", lambda x: x[:, 2], (3, 4)),
    ("element", lambda x: x[2, -1], (3, 4)),
    ("slices_2d", lambda x: x[1:, ::2], (3, 4)),
    ("rows_with_repeats", lambda x: x[np.array([0, 2, 0])], (3, 4)),
    ("pairs_with_repeats", lambda x: x[np.array([0, 2, 0]), np.array([1, 1, 1])], (3, 4)),
    ("bool_mask_2d", lambda x: x[_MASK34], (3, 4)),
    ("bool_rows", lambda x: x[np.array([True, False, True])], (3, 4)),
    ("ellipsis", lambda x: x[..., 1], (2, 3, 4)),
    ("newaxis", lambda x: x[None, 1], (3, 4)),
    ("mixed", lambda x: x[1, np.array([0, 3, 3])], (3, 4)),
]
for _name, _fn, _shape in INDEXING:
    _case(f"getitem_{_name}", lambda m, fn=_fn: fn, [_shape], ["any"], CASES)

JOINING = [
    ("concatenate0", lambda m: lambda x, y: m.concatenate([x, y]), [(3, 4), (2, 4)]),
    ("concatenate_last", lambda m: lambda x, y: m.concatenate([x, y], axis=-1),
     [(3, 2), (3, 4)]),
    ("concatenate_three", lambda m: lambda x, y, z: m.concatenate([x, y, z], axis=0),
     [(2,), (3,), (1,)]),
    ("concatenate_with_const", lambda m: lambda x: m.concatenate([x, np.ones((1, 4)), x], 0),
     [(2, 4)]),
    ("stack0", lambda m: lambda x, y: m.stack([x, y]), [(3, 4), (3, 4)]),
    ("stack1", lambda m: lambda x, y: m.stack([x, y], axis=1), [(3, 4), (3, 4)]),
    ("stack_last", lambda m: lambda x, y, z: m.stack([x, y, z], axis=-1), [(4,), (4,), (4,)]),
    ("stack_scalars", lambda m: lambda x, y: m.stack([x, y]), [(), ()]),
]
for _name, _make, _shapes in JOINING:
    _case(_name, _make, _shapes, ["any"] * len(_shapes), CASES)

# --- Linear algebra ------------------------------------------------------------------------
MATMUL_SHAPES = [((3, 4), (4,)), ((4,), (4, 3)), ((3, 4), (4, 2)), ((4,), (4,)),
                 ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((4,), (2, 4, 3)),
                 ((2, 3, 4), (4,)), ((1, 3, 4), (2, 4, 2))]
for _shapes in MATMUL_SHAPES:
    _case("matmul", lambda m: m.matmul, list(_shapes), ["any", "any"], CASES)
    _case("matmul_operator", lambda m: lambda a, b: a @ b, list(_shapes), ["any", "any"], CASES)
    if len(_shapes[0]) <= 2 and len(_shapes[1]) <= 2:
        _case("dot", lambda m: m.dot, list(_shapes), ["any", "any"], CASES)
for _shapes in [((), (3,)), ((3, 4), ())]:
    _case("dot", lambda m: m.dot, list(_shapes), ["any", "any"], CASES)
_case("matmul_const_left", lambda m: lambda b: np.arange(12.0).reshape(3, 4) @ b, [(4, 2)],
      ["any"], CASES)
for _shapes in [((3,), (4,)), ((2, 2), (3,)), ((), (3,))]:
    _case("outer", lambda m: m.outer, list(_shapes), ["any", "any"], CASES)

# --- Added with the rest of the numpy students write (issue 14) -------------------------
def _ag_var(x, axis):
    centred = x - anp.mean(x, axis=axis, keepdims=True)
    return anp.mean(centred * centred, axis=axis)


def _ag_product(x):
    out = x[0]
    for i in range(1, len(x)):
        out = out * x[i]
    return out


def _ag_cross(a, b):
    """a × b by its formula (autograd's cross does not broadcast)."""
    return anp.stack([a[..., 1] * b[2] - a[..., 2] * b[1], a[..., 2] * b[0] - a[..., 0] * b[2],
                      a[..., 0] * b[1] - a[..., 1] * b[0]], axis=-1)


MORE_UNARY = [
    ("arcsin", "unit"), ("arccos", "unit"), ("arctan", "any"), ("sinh", "any"), ("cosh", "any"),
    ("arcsinh", "any"), ("arccosh", "gt1"), ("arctanh", "unit"), ("exp2", "any"),
    ("expm1", "any"), ("log2", "pos"), ("log10", "pos"), ("deg2rad", "any"),
    ("rad2deg", "any"), ("radians", "any"), ("degrees", "any"), ("sinc", "away0"),
    ("fabs", "away0"), ("nan_to_num", "any"),
]
for _name, _domain in MORE_UNARY:
    for _shape in [(), (3, 4)]:
        _case(_name, lambda m, n=_name: getattr(m, n), [_shape], [_domain], CASES)
for _shape in [(), (3, 4)]:
    _case("cbrt", lambda m: (lambda x: x ** (1.0 / 3.0)) if _is_reference(m) else m.cbrt,
          [_shape], ["pos"], CASES)

MORE_BINARY = [  # autograd has no JVP for hypot: its reference is the formula
    ("hypot", lambda m: (lambda x, y: anp.sqrt(x * x + y * y)) if _is_reference(m)
     else m.hypot, ("away0", "away0")),
    ("arctan2", lambda m: m.arctan2, ("away0", "away0")),
    ("logaddexp", lambda m: m.logaddexp, ("any", "any")),
    ("logaddexp2", lambda m: m.logaddexp2, ("any", "any")),
    ("fmax", lambda m: m.fmax, ("even", "odd")),
    ("fmin", lambda m: m.fmin, ("even", "odd")),
    ("mod", lambda m: m.mod, ("any", "pos")),
    ("mod_operator", lambda m: lambda x, y: x % y, ("any", "pos")),
    ("true_divide", lambda m: m.true_divide, ("any", "pos")),
]
for _name, _make, _domains in MORE_BINARY:
    for _shapes in [((), ()), ((3, 4), (4,)), ((3, 1), (1, 4))]:
        _case(_name, _make, list(_shapes), _domains, CASES)

for _shape, _axis in [((4,), None), ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), (0, 2))]:
    for _name, _domain in [("prod", "away0"), ("var", "any"), ("std", "distinct")]:
        _case(f"{_name}-axis{_axis}".replace(" ", ""),
              lambda m, n=_name, a=_axis: lambda x: (  # autograd's var fails on tuple axes
                  _ag_var(x, a) if n == "var" and _is_reference(m) else getattr(m, n)(x, axis=a)),
              [_shape], [_domain], CASES)
_case("var_ddof1_keepdims", lambda m: lambda x: m.var(x, axis=1, ddof=1, keepdims=True),
      [(3, 4)], ["any"], CASES)
_case("prod_with_a_zero",  # autograd's prod divides by the zero: the reference multiplies
      lambda m: lambda x: _ag_product(x * np.array([1.0, 0.0, 1.0, 1.0])) if _is_reference(m)
      else m.prod(x * np.array([1.0, 0.0, 1.0, 1.0])), [(4,)], ["any"], CASES)
for _axis in (None, 0, 1, -1):
    _case(f"cumsum-axis{_axis}", lambda m, a=_axis: lambda x: m.cumsum(x, axis=a),
          [(3, 4)], ["any"], CASES)

MORE_SHAPE_OPS = [  # (name, gradlab op, the same op written with indexing for autograd)
    ("flip", lambda m: lambda x: m.flip(x, 0), lambda x: x[::-1]),
    ("flip_all", lambda m: m.flip, lambda x: x[::-1, ::-1]),
    ("fliplr", lambda m: m.fliplr, None),
    ("flipud", lambda m: m.flipud, None),
    ("rot90", lambda m: m.rot90, None),
    ("roll", lambda m: lambda x: m.roll(x, 2, axis=1), None),
    ("roll_flat", lambda m: lambda x: m.roll(x, -3), None),
    ("repeat", lambda m: lambda x: m.repeat(x, 2, axis=0), None),
    ("tile", lambda m: lambda x: m.tile(x, (2, 1)), None),
    ("moveaxis", lambda m: lambda x: m.moveaxis(x, 0, -1), None),
    ("rollaxis", lambda m: lambda x: m.rollaxis(x, 1), None),
    ("swapaxes_keywords", lambda m: lambda x: m.swapaxes(x, axis1=0, axis2=1), None),
    ("diagonal", lambda m: lambda x: m.diagonal(x, 1), lambda x: x[np.arange(3), np.arange(1, 4)]),
    ("diag_of_matrix", lambda m: m.diag, lambda x: x[np.arange(3), np.arange(3)]),
    ("trace", lambda m: lambda x: m.trace(x, offset=-1), None),
    ("tril", lambda m: m.tril, None),
    ("triu", lambda m: lambda x: m.triu(x, 1), None),
    ("sort", lambda m: m.sort, lambda x: x[np.arange(3)[:, None], anp.argsort(x, axis=-1)]),
    ("take", lambda m: lambda x: m.take(x, [0, 5, 5]), lambda x: anp.ravel(x)[[0, 5, 5]]),
    ("flatten", lambda m: lambda x: _method(m, x, "ravel") if _is_reference(m)
     else x.flatten(), None),
    ("atleast_3d", lambda m: m.atleast_3d, None),
    ("vstack", lambda m: lambda x: m.vstack([x, x]), None),
    ("hstack", lambda m: lambda x: m.hstack([x, 2.0 * x]), None),
    ("column_stack", lambda m: lambda x: m.column_stack([x[0], x[1]]), None),
    ("split", lambda m: lambda x: m.split(x, 2, axis=1)[1], None),
    ("array_split", lambda m: lambda x: m.array_split(x, 3, axis=1)[0], None),
    ("append", lambda m: lambda x: m.append(x, x[0]), None),
    ("diff", lambda m: m.diff, None),
    ("pad", lambda m: lambda x: m.pad(x, ((1, 0), (2, 1))), lambda x: anp.concatenate(
        [np.zeros((4, 2)), anp.concatenate([np.zeros((1, 4)), x]), np.zeros((4, 1))], axis=1)),
    ("array_of_traced", lambda m: lambda x: m.array([[x[0, 0], 2.0], [x[1, 1], x[0, 0]]]), None),
    ("r_", lambda m: lambda x: m.r_[x[0], np.ones(2), x[1]], None),
    ("c_", lambda m: lambda x: m.c_[x, np.ones(3), x], None),
    ("tensordot", lambda m: lambda x: m.tensordot(x, np.arange(12.0).reshape(4, 3), 1), None),
    ("inner", lambda m: lambda x: m.inner(x, np.arange(8.0).reshape(2, 4)), None),
    ("einsum_matmul", lambda m: lambda x: m.einsum("ij,jk->ik", x, x.T), None),
    ("einsum_diag", lambda m: lambda x: m.einsum("ii->i", x[:, :3]),
     lambda x: x[np.arange(3), np.arange(3)]),
    ("kron", lambda m: lambda x: m.kron(x, np.array([[1.0, 2.0]])), None),
]
for _name, _make, _reference in MORE_SHAPE_OPS:
    _case(_name, (lambda m, mk=_make, ref=_reference:
                  ref if ref is not None and _is_reference(m) else mk(m)),
          [(3, 4)], ["distinct" if _name == "sort" else "any"], CASES)
_case("diag_of_vector", lambda m: lambda x: m.diag(x, -1), [(4,)], ["any"], CASES)
_case("cross", lambda m: _ag_cross if _is_reference(m) else m.cross, [(2, 3), (3,)],
      ["any", "any"], CASES)
_case("dot_3d", lambda m: m.dot, [(2, 3, 4), (4, 2)], ["any", "any"], CASES)
_case("einsum_broadcast", lambda m: lambda x, y: m.einsum("...ij,...jk->...ik", x, y),
      [(2, 2, 3), (3, 4)], ["any", "any"], CASES)
_case("linspace_traced", lambda m: lambda x, y: m.linspace(x, y, 5), [(), ()],
      ["any", "any"], CASES)
_case("stack_of_scalars_array", lambda m: lambda x, y: m.array([x, y, x * y]), [(), ()],
      ["any", "any"], CASES)

_ids = [c.id for c in CASES]
assert len(_ids) == len(set(_ids)), "duplicate case ids"


# ----------------------------------------------------------------------------------------
# The tests.
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_check_grads(case):
    """Both modes, to second order, against central differences."""
    check_grads(case.make(gnp), case.args, modes=("fwd", "rev"), order=2)


def _close(got, expected, what):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float),
                               rtol=1e-7, atol=1e-10, err_msg=what)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_matches_autograd(case):
    """Values, VJPs, JVPs and Hessian-vector products agree with HIPS autograd."""
    f, fa, args = case.make(gnp), case.make(AG), case.args
    argnums = tuple(range(len(args)))
    rng = np.random.default_rng(1)

    out = f(*args)
    _close(out, fa(*args), "value")
    u = rng.standard_normal(np.shape(out))
    vs = tuple(rng.standard_normal(np.shape(a)) for a in args)

    # Reverse mode: uᵀJ for each argument.
    got = gradlab.vjp(f, *args)[1](u)
    expected = autograd.make_vjp(fa, argnums)(*args)[0](u)
    for i in argnums:
        _close(got[i], expected[i], f"vjp, argument {i}")

    # Forward mode: J v, with every argument moving at once.
    got = gradlab.jvp(f, args, vs)[1]
    expected = sum(autograd.make_jvp(fa, i)(*args)(vs[i])[1] for i in argnums)
    _close(got, expected, "jvp")

    # Second order: the Hessian of s(x) = <u, f(x)> times v, three ways.
    def s(*a):
        return gnp.sum(f(*a) * u)

    def s_ag(*a):
        return anp.sum(fa(*a) * u)

    def grad_dot_v_ag(*a):
        return sum(anp.sum(g * v) for g, v in zip(autograd.grad(s_ag, argnums)(*a), vs))

    hv_expected = autograd.grad(grad_dot_v_ag, argnums)(*args)

    hv_fwd_rev = gradlab.jvp(gradlab.grad(s, argnums), args, vs)[1]

    def grad_dot_v(*a):
        return sum(gnp.sum(g * v) for g, v in zip(gradlab.grad(s, argnums)(*a), vs))

    hv_rev_rev = gradlab.grad(grad_dot_v, argnums)(*args)
    for i in argnums:
        _close(hv_fwd_rev[i], hv_expected[i], f"hvp forward-over-reverse, argument {i}")
        _close(hv_rev_rev[i], hv_expected[i], f"hvp reverse-over-reverse, argument {i}")

    # Forward-over-forward: d²/dt² s(x + t v) = vᵀ H v.
    vhv = gradlab.jvp(lambda *a: gradlab.jvp(s, a, vs)[1], args, vs)[1]
    _close(vhv, sum(np.sum(h * v) for h, v in zip(hv_expected, vs)), "vᵀHv forward-over-forward")
