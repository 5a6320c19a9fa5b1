"""gradlab.numpy (import as `gnp`): numpy functions that can be differentiated in both modes.

Each primitive is written once: its value (a numpy function), then its JVP rule per argument
(forward mode: tangent in, tangent out) and its VJP rule per argument (reverse mode:
cotangent in, cotangent out). The rules are written with gnp functions themselves, so
derivatives of derivatives work. Functions built from primitives (softmax, mean, outer, ...)
need no rules at all: their derivatives follow from the primitives'.

Rule signatures:  jvp_rule(t, ans, *args, **kwargs)   vjp_rule(g, ans, *args, **kwargs)
where `ans` is the primitive's output, `t` a tangent of one argument, `g` the output's cotangent.
`saves=` says which of `ans` and `args` the VJP rules read: reverse mode keeps only those on the
tape (the memory a backward pass costs), and passes None for the rest.
Broadcasting is handled once, by the engines: forward mode broadcasts a tangent to the output's
shape and reverse mode sums a cotangent back to its argument's shape (`unbroadcast`).

Conventions at points where the derivative does not exist (tested in tests/test_conventions.py):
- abs'(0) = 0 and sign' = 0 everywhere; relu'(0) = 0;
- maximum/minimum: on a tie (x == y) each argument gets half the derivative;
- max/min over an axis: tied maxima share the derivative equally;
- clip: derivative 1 on the closed interval [a_min, a_max], 0 outside;
- norm at 0: gradient 0 (not NaN); sqrt'(0) = +inf, as in calculus.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from .core import Tracer, primitive, shape

pi = np.pi
e = np.e
inf = np.inf
nan = np.nan
newaxis = None
float64 = np.float64
float32 = np.float32

# ----------------------------------------------------------------------------------------
# Helpers that are not differentiated: constants, shapes, masks.
# ----------------------------------------------------------------------------------------

# Constants built from plain numbers (array, linspace, full, ... on traced values are
# defined with the constructors at the end of this file).
zeros = np.zeros
ones = np.ones
empty = np.empty
eye = np.eye
identity = np.identity
arange = np.arange
int64 = np.int64
int32 = np.int32
bool_ = np.bool_
ndarray = np.ndarray
dtype = np.dtype
isfinite = primitive(np.isfinite, differentiable=False)
isnan = primitive(np.isnan, differentiable=False)
zeros_like = primitive(np.zeros_like, differentiable=False)
ones_like = primitive(np.ones_like, differentiable=False)
empty_like = primitive(np.empty_like, differentiable=False)
ndim = np.ndim
size = np.size
argsort = primitive(np.argsort, differentiable=False)
nonzero = primitive(np.nonzero, differentiable=False)
count_nonzero = primitive(np.count_nonzero, differentiable=False)
ceil = primitive(np.ceil, differentiable=False)
trunc = primitive(np.trunc, differentiable=False)
rint = primitive(np.rint, differentiable=False)
fix = primitive(np.fix, differentiable=False)
isinf = primitive(np.isinf, differentiable=False)
isposinf = primitive(np.isposinf, differentiable=False)
isneginf = primitive(np.isneginf, differentiable=False)
signbit = primitive(np.signbit, differentiable=False)
all = primitive(np.all, differentiable=False)
any = primitive(np.any, differentiable=False)
allclose = primitive(np.allclose, differentiable=False)
isclose = primitive(np.isclose, differentiable=False)
array_equal = primitive(np.array_equal, differentiable=False)
searchsorted = primitive(np.searchsorted, differentiable=False)
floor_divide = primitive(np.floor_divide, differentiable=False)
argmax = primitive(np.argmax, differentiable=False)
argmin = primitive(np.argmin, differentiable=False)
sign = primitive(np.sign, differentiable=False)  # derivative 0 everywhere (0 at 0, by choice)
floor = primitive(np.floor, differentiable=False)
round = primitive(np.round, name="round", differentiable=False)
around = round

# Comparisons return plain boolean arrays: they are not differentiable.
less = primitive(np.less, differentiable=False)
less_equal = primitive(np.less_equal, differentiable=False)
greater = primitive(np.greater, differentiable=False)
greater_equal = primitive(np.greater_equal, differentiable=False)
equal = primitive(np.equal, differentiable=False)
not_equal = primitive(np.not_equal, differentiable=False)
logical_and = primitive(np.logical_and, differentiable=False)
logical_or = primitive(np.logical_or, differentiable=False)
logical_not = primitive(np.logical_not, differentiable=False)
logical_xor = primitive(np.logical_xor, differentiable=False)


def _axes(axis, ndim):
    """`axis` (None, an int or a tuple, possibly negative) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if isinstance(axis, (int, np.integer)) else axis
    return tuple(sorted(a % ndim if ndim else a for a in axis))


def _keepdims_shape(x_shape, axis):
    """The shape a reduction over `axis` has when keepdims=True."""
    axes = _axes(axis, len(x_shape))
    return tuple(1 if i in axes else n for i, n in enumerate(x_shape))


def _tie_weight(x, y):
    """1 where x > y, 1/2 where x == y, 0 where x < y: how much of maximum's derivative x gets."""
    x, y = np.asarray(_plain(x)), np.asarray(_plain(y))
    return (x > y) + 0.5 * (x == y)


def _plain(x):
    while isinstance(x, Tracer):
        x = x.value
    return x


# ----------------------------------------------------------------------------------------
# Arithmetic.
# ----------------------------------------------------------------------------------------

add = primitive(np.add, saves=(),
    jvp=(lambda t, ans, x, y: t,
         lambda t, ans, x, y: t),
    vjp=(lambda g, ans, x, y: g,
         lambda g, ans, x, y: g))

subtract = primitive(np.subtract, saves=(),
    jvp=(lambda t, ans, x, y: t,
         lambda t, ans, x, y: negative(t)),
    vjp=(lambda g, ans, x, y: g,
         lambda g, ans, x, y: negative(g)))

multiply = primitive(np.multiply, saves=("args",),
    jvp=(lambda t, ans, x, y: t * y,
         lambda t, ans, x, y: x * t),
    vjp=(lambda g, ans, x, y: g * y,
         lambda g, ans, x, y: x * g))

divide = primitive(np.divide,
    jvp=(lambda t, ans, x, y: t / y,
         lambda t, ans, x, y: negative(t) * ans / y),
    vjp=(lambda g, ans, x, y: g / y,
         lambda g, ans, x, y: negative(g) * ans / y))

negative = primitive(np.negative, saves=(),
    jvp=(lambda t, ans, x: negative(t),),
    vjp=(lambda g, ans, x: negative(g),))

true_divide = divide


def positive(x):
    """+x, elementwise."""
    return x


mod = primitive(np.mod,  # x mod y = x - floor(x / y) y; the jumps are not differentiated
    jvp=(lambda t, ans, x, y: t,
         lambda t, ans, x, y: negative(t) * floor(divide(x, y))),
    vjp=(lambda g, ans, x, y: g,
         lambda g, ans, x, y: negative(g) * floor(divide(x, y))))
remainder = mod

fmod = primitive(np.fmod,  # x fmod y = x - trunc(x / y) y (the sign of x, as in C)
    jvp=(lambda t, ans, x, y: t,
         lambda t, ans, x, y: negative(t) * trunc(divide(x, y))),
    vjp=(lambda g, ans, x, y: g,
         lambda g, ans, x, y: negative(g) * trunc(divide(x, y))))


def _log_base(x):
    """log x with log 0 replaced by 0: the d/dy of x**y at x = 0 is then 0, not NaN."""
    return log(where(equal(x, 0.0), 1.0, x))


def _dpower(x, y):
    """d(x**y)/dx = y x**(y-1), with the exponent 0 case written as 0 · x¹ (no 0**-1 at x = 0)."""
    return y * x ** where(not_equal(y, 0.0), y - 1.0, 1.0)


power = primitive(np.power,
    jvp=(lambda t, ans, x, y: t * _dpower(x, y),
         lambda t, ans, x, y: t * ans * _log_base(x)),
    vjp=(lambda g, ans, x, y: g * _dpower(x, y),
         lambda g, ans, x, y: g * ans * _log_base(x)))


def square(x):
    """x², elementwise."""
    return x * x


def reciprocal(x):
    """1 / x, elementwise."""
    return 1.0 / x


# ----------------------------------------------------------------------------------------
# Elementwise functions.
# ----------------------------------------------------------------------------------------

exp = primitive(np.exp, saves=("ans",),
    jvp=(lambda t, ans, x: t * ans,),
    vjp=(lambda g, ans, x: g * ans,))

log = primitive(np.log, saves=("args",),
    jvp=(lambda t, ans, x: t / x,),
    vjp=(lambda g, ans, x: g / x,))

log1p = primitive(np.log1p,
    jvp=(lambda t, ans, x: t / (1.0 + x),),
    vjp=(lambda g, ans, x: g / (1.0 + x),))

sin = primitive(np.sin, saves=("args",),
    jvp=(lambda t, ans, x: t * cos(x),),
    vjp=(lambda g, ans, x: g * cos(x),))

cos = primitive(np.cos, saves=("args",),
    jvp=(lambda t, ans, x: negative(t * sin(x)),),
    vjp=(lambda g, ans, x: negative(g * sin(x)),))

tan = primitive(np.tan, saves=("ans",),
    jvp=(lambda t, ans, x: t * (1.0 + ans * ans),),
    vjp=(lambda g, ans, x: g * (1.0 + ans * ans),))

tanh = primitive(np.tanh, saves=("ans",),
    jvp=(lambda t, ans, x: t * (1.0 - ans * ans),),
    vjp=(lambda g, ans, x: g * (1.0 - ans * ans),))

sqrt = primitive(np.sqrt, saves=("ans",),
    jvp=(lambda t, ans, x: t * 0.5 / ans,),
    vjp=(lambda g, ans, x: g * 0.5 / ans,))

absolute = primitive(np.absolute,
    jvp=(lambda t, ans, x: t * sign(x),),
    vjp=(lambda g, ans, x: g * sign(x),))
abs = absolute

sigmoid = primitive(lambda x: 0.5 * (np.tanh(0.5 * x) + 1.0), name="sigmoid",  # no overflow
    saves=("ans",),
    jvp=(lambda t, ans, x: t * ans * (1.0 - ans),),
    vjp=(lambda g, ans, x: g * ans * (1.0 - ans),))

relu = primitive(lambda x: np.maximum(x, 0.0), name="relu", saves=("args",),
    jvp=(lambda t, ans, x: t * greater(x, 0.0),),
    vjp=(lambda g, ans, x: g * greater(x, 0.0),))

maximum = primitive(np.maximum,
    jvp=(lambda t, ans, x, y: t * _tie_weight(x, y),
         lambda t, ans, x, y: t * _tie_weight(y, x)),
    vjp=(lambda g, ans, x, y: g * _tie_weight(x, y),
         lambda g, ans, x, y: g * _tie_weight(y, x)))

minimum = primitive(np.minimum,
    jvp=(lambda t, ans, x, y: t * _tie_weight(y, x),
         lambda t, ans, x, y: t * _tie_weight(x, y)),
    vjp=(lambda g, ans, x, y: g * _tie_weight(y, x),
         lambda g, ans, x, y: g * _tie_weight(x, y)))


def _inside(x, a_min, a_max):
    """1.0 where a_min <= x <= a_max (None means unbounded), else 0.0."""
    x = np.asarray(_plain(x))
    mask = np.ones(x.shape, dtype=bool)
    if a_min is not None:
        mask &= x >= _plain(a_min)
    if a_max is not None:
        mask &= x <= _plain(a_max)
    return mask.astype(float)


clip = primitive(np.clip,
    jvp=(lambda t, ans, x, a_min, a_max: t * _inside(x, a_min, a_max),),
    vjp=(lambda g, ans, x, a_min, a_max: g * _inside(x, a_min, a_max),))


def _where_value(cond, x, y):
    return np.where(cond, x, y)


where = primitive(_where_value, name="where",
    jvp=(None,
         lambda t, ans, c, x, y: where(c, t, 0.0),
         lambda t, ans, c, x, y: where(c, 0.0, t)),
    vjp=(None,
         lambda g, ans, c, x, y: where(c, g, 0.0),
         lambda g, ans, c, x, y: where(c, 0.0, g)))


# More elementwise functions of one argument: d/dx f(x) in one line each.
arcsin = primitive(np.arcsin,
    jvp=(lambda t, ans, x: t / sqrt(1.0 - x * x),),
    vjp=(lambda g, ans, x: g / sqrt(1.0 - x * x),))

arccos = primitive(np.arccos,
    jvp=(lambda t, ans, x: negative(t) / sqrt(1.0 - x * x),),
    vjp=(lambda g, ans, x: negative(g) / sqrt(1.0 - x * x),))

arctan = primitive(np.arctan,
    jvp=(lambda t, ans, x: t / (1.0 + x * x),),
    vjp=(lambda g, ans, x: g / (1.0 + x * x),))

sinh = primitive(np.sinh,
    jvp=(lambda t, ans, x: t * cosh(x),),
    vjp=(lambda g, ans, x: g * cosh(x),))

cosh = primitive(np.cosh,
    jvp=(lambda t, ans, x: t * sinh(x),),
    vjp=(lambda g, ans, x: g * sinh(x),))

arcsinh = primitive(np.arcsinh,
    jvp=(lambda t, ans, x: t / sqrt(x * x + 1.0),),
    vjp=(lambda g, ans, x: g / sqrt(x * x + 1.0),))

arccosh = primitive(np.arccosh,
    jvp=(lambda t, ans, x: t / sqrt(x * x - 1.0),),
    vjp=(lambda g, ans, x: g / sqrt(x * x - 1.0),))

arctanh = primitive(np.arctanh,
    jvp=(lambda t, ans, x: t / (1.0 - x * x),),
    vjp=(lambda g, ans, x: g / (1.0 - x * x),))

exp2 = primitive(np.exp2, saves=("ans",),
    jvp=(lambda t, ans, x: t * ans * np.log(2.0),),
    vjp=(lambda g, ans, x: g * ans * np.log(2.0),))

expm1 = primitive(np.expm1, saves=("ans",),
    jvp=(lambda t, ans, x: t * (ans + 1.0),),
    vjp=(lambda g, ans, x: g * (ans + 1.0),))

log2 = primitive(np.log2, saves=("args",),
    jvp=(lambda t, ans, x: t / (x * np.log(2.0)),),
    vjp=(lambda g, ans, x: g / (x * np.log(2.0)),))

log10 = primitive(np.log10, saves=("args",),
    jvp=(lambda t, ans, x: t / (x * np.log(10.0)),),
    vjp=(lambda g, ans, x: g / (x * np.log(10.0)),))

deg2rad = primitive(np.deg2rad, saves=(),
    jvp=(lambda t, ans, x: t * (np.pi / 180.0),),
    vjp=(lambda g, ans, x: g * (np.pi / 180.0),))
radians = primitive(np.radians, jvp=deg2rad.jvp_rules, vjp=deg2rad.vjp_rules, saves=())

rad2deg = primitive(np.rad2deg, saves=(),
    jvp=(lambda t, ans, x: t * (180.0 / np.pi),),
    vjp=(lambda g, ans, x: g * (180.0 / np.pi),))
degrees = primitive(np.degrees, jvp=rad2deg.jvp_rules, vjp=rad2deg.vjp_rules, saves=())


def _dsinc(x):
    """d/dx sin(πx)/(πx) = (cos(πx) - sinc(x)) / x, and 0 at x = 0."""
    x_safe = where(equal(x, 0.0), 1.0, x)
    return where(equal(x, 0.0), 0.0, (cos(np.pi * x) - sinc(x)) / x_safe)


sinc = primitive(np.sinc,
    jvp=(lambda t, ans, x: t * _dsinc(x),),
    vjp=(lambda g, ans, x: g * _dsinc(x),))

fabs = primitive(np.fabs,
    jvp=(lambda t, ans, x: t * sign(x),),
    vjp=(lambda g, ans, x: g * sign(x),))

cbrt = primitive(np.cbrt, saves=("ans",),
    jvp=(lambda t, ans, x: t / (3.0 * ans * ans),),
    vjp=(lambda g, ans, x: g / (3.0 * ans * ans),))

nan_to_num = primitive(np.nan_to_num,  # derivative 1 where x is finite, 0 at nan and ±inf
    jvp=(lambda t, ans, x, copy=True, nan=0.0, posinf=None, neginf=None:
         where(isfinite(x), t, 0.0),),
    vjp=(lambda g, ans, x, copy=True, nan=0.0, posinf=None, neginf=None:
         where(isfinite(x), g, 0.0),))


# Elementwise functions of two arguments.
hypot = primitive(np.hypot,  # √(x² + y²)
    jvp=(lambda t, ans, x, y: t * x / ans,
         lambda t, ans, x, y: t * y / ans),
    vjp=(lambda g, ans, x, y: g * x / ans,
         lambda g, ans, x, y: g * y / ans))

arctan2 = primitive(np.arctan2,  # the angle of the point (x, y): ∂/∂y = x/r², ∂/∂x = -y/r²
    jvp=(lambda t, ans, y, x: t * x / (x * x + y * y),
         lambda t, ans, y, x: negative(t) * y / (x * x + y * y)),
    vjp=(lambda g, ans, y, x: g * x / (x * x + y * y),
         lambda g, ans, y, x: negative(g) * y / (x * x + y * y)))

logaddexp = primitive(np.logaddexp,  # log(eˣ + eʸ): ∂/∂x = eˣ / (eˣ + eʸ)
    jvp=(lambda t, ans, x, y: t * exp(x - ans),
         lambda t, ans, x, y: t * exp(y - ans)),
    vjp=(lambda g, ans, x, y: g * exp(x - ans),
         lambda g, ans, x, y: g * exp(y - ans)))

logaddexp2 = primitive(np.logaddexp2,  # log₂(2ˣ + 2ʸ): ∂/∂x = 2ˣ / (2ˣ + 2ʸ)
    jvp=(lambda t, ans, x, y: t * exp2(x - ans),
         lambda t, ans, x, y: t * exp2(y - ans)),
    vjp=(lambda g, ans, x, y: g * exp2(x - ans),
         lambda g, ans, x, y: g * exp2(y - ans)))


def _fmax_weight(x, y):
    """maximum's tie weight, except that a NaN loses: fmax(x, nan) = x takes all of it."""
    x, y = np.asarray(_plain(x)), np.asarray(_plain(y))
    return np.where(np.isnan(y), 1.0, np.where(np.isnan(x), 0.0, _tie_weight(x, y)))


fmax = primitive(np.fmax,
    jvp=(lambda t, ans, x, y: t * _fmax_weight(x, y),
         lambda t, ans, x, y: t * _fmax_weight(y, x)),
    vjp=(lambda g, ans, x, y: g * _fmax_weight(x, y),
         lambda g, ans, x, y: g * _fmax_weight(y, x)))

fmin = primitive(np.fmin,
    jvp=(lambda t, ans, x, y: t * _fmax_weight(-np.asarray(_plain(x)), -np.asarray(_plain(y))),
         lambda t, ans, x, y: t * _fmax_weight(-np.asarray(_plain(y)), -np.asarray(_plain(x)))),
    vjp=(lambda g, ans, x, y: g * _fmax_weight(-np.asarray(_plain(x)), -np.asarray(_plain(y))),
         lambda g, ans, x, y: g * _fmax_weight(-np.asarray(_plain(y)), -np.asarray(_plain(x)))))


# Complex numbers are not supported: on real arrays these are what numpy gives.
def _real_only(name, val):
    if np.iscomplexobj(_plain(val)):
        raise UnsupportedOperationError(
            f"gnp.{name}: complex numbers are not supported by gradlab (real arrays only).")


def real(val):
    """The real part: x itself for a real x (gradlab does not support complex numbers)."""
    _real_only("real", val)
    return val


def imag(val):
    """The imaginary part: 0 for a real x (gradlab does not support complex numbers)."""
    _real_only("imag", val)
    return zeros_like(val, dtype=float)


def conjugate(x):
    """The complex conjugate: x itself for a real x (gradlab does not support complex numbers)."""
    _real_only("conjugate", x)
    return x


conj = conjugate


def angle(z, deg=False):
    """The argument of z: 0 for x ≥ 0 and π for x < 0 on real input (derivative 0)."""
    _real_only("angle", z)
    return where(less(z, 0.0), 180.0 if deg else np.pi, 0.0) + zeros_like(z, dtype=float)


def real_if_close(a, tol=100):
    """a itself, for a real a (gradlab does not support complex numbers)."""
    _real_only("real_if_close", a)
    return a


# ----------------------------------------------------------------------------------------
# Shapes: broadcasting, reshaping, transposing, indexing, joining.
# ----------------------------------------------------------------------------------------

def unbroadcast(g, target_shape):
    """Sum a cotangent `g` back to `target_shape`: the adjoint of numpy broadcasting.

    Broadcasting copies an argument along new leading axes and along axes of length 1; the
    chain rule adds up the copies, so we sum over exactly those axes.
    """
    g_shape = shape(g)
    if g_shape == tuple(target_shape):
        return g
    lead = len(g_shape) - len(target_shape)
    ones_ = tuple(lead + i for i, n in enumerate(target_shape) if n == 1 and g_shape[lead + i] != 1)
    if lead and not ones_:  # only new leading axes (a bias added to a batch): one sum
        return sum(g, axis=tuple(range(lead)))
    axes = tuple(range(lead)) + ones_
    if axes:
        g = sum(g, axis=axes, keepdims=True)
    return reshape(g, target_shape)


broadcast_to = primitive(np.broadcast_to,
    jvp=(lambda t, ans, x, shape_: broadcast_to(t, shape_),),
    vjp=(lambda g, ans, x, shape_: unbroadcast(g, shape(x)),))

reshape = primitive(np.reshape,
    jvp=(lambda t, ans, x, shape_: reshape(t, shape_),),
    vjp=(lambda g, ans, x, shape_: reshape(g, shape(x)),))


def _inverse_axes(axes):
    return None if axes is None else tuple(np.argsort([a % len(axes) for a in axes]))


transpose = primitive(np.transpose,
    jvp=(lambda t, ans, x, axes=None: transpose(t, axes),),
    vjp=(lambda g, ans, x, axes=None: transpose(g, _inverse_axes(axes)),))


def swapaxes(a, axis1, axis2):
    """Exchange two axes of a."""
    axes = list(range(len(shape(a))))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(a, tuple(axes))


def _permutation(ndim, move):
    """The axis permutation that numpy's `move` applies, read off a dummy array whose axis i
    has length i + 1 (a broadcast view: no memory)."""
    dummy = np.broadcast_to(np.empty((), dtype=bool), tuple(range(1, ndim + 1)))
    return tuple(n - 1 for n in move(dummy).shape)


def moveaxis(a, source, destination):
    """Move axes `source` of a to positions `destination`; the others keep their order."""
    return transpose(a, _permutation(len(shape(a)),
                                     lambda d: np.moveaxis(d, source, destination)))


def rollaxis(a, axis, start=0):
    """Roll axis `axis` of a backwards until it lies at position `start`."""
    return transpose(a, _permutation(len(shape(a)), lambda d: np.rollaxis(d, axis, start)))


def expand_dims(a, axis):
    """Insert an axis of length 1 at position `axis`."""
    return reshape(a, np.expand_dims(np.empty(shape(a), dtype=bool), axis).shape)


def squeeze(a, axis=None):
    """Remove axes of length 1 (all of them, or those in `axis`)."""
    return reshape(a, np.squeeze(np.empty(shape(a), dtype=bool), axis).shape)


def ravel(a, order="C"):
    """a flattened to one dimension (row-major order only)."""
    if order != "C":
        raise UnsupportedOperationError(f"gnp.ravel: only order='C' is supported, got {order!r}.")
    return reshape(a, (-1,))


def atleast_1d(*arys):
    """Each argument viewed with at least one dimension."""
    out = [reshape(a, (1,)) if len(shape(a)) == 0 else a for a in map(_as_array, arys)]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    """Each argument viewed with at least two dimensions (a vector becomes a row)."""
    out = [reshape(a, np.atleast_2d(np.empty(shape(a), dtype=bool)).shape)
           for a in map(_as_array, arys)]
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys):
    """Each argument viewed with at least three dimensions (shape (n,) becomes (1, n, 1))."""
    out = [reshape(a, np.atleast_3d(np.empty(shape(a), dtype=bool)).shape)
           for a in map(_as_array, arys)]
    return out[0] if len(out) == 1 else out


def _scatter_add(g, index, x_shape):
    """A zero array of x_shape with g added at x[index]: the adjoint of indexing."""
    out = np.zeros(x_shape, dtype=np.result_type(g, float))
    np.add.at(out, index, g)
    return out


getitem = primitive(lambda x, index: x[index], name="getitem",
    jvp=(lambda t, ans, x, index: getitem(t, index),),
    vjp=(lambda g, ans, x, index: scatter_add(g, index, shape(x)),))

scatter_add = primitive(_scatter_add, name="scatter_add",
    jvp=(lambda t, ans, g, index, x_shape: scatter_add(t, index, x_shape),),
    vjp=(lambda g, ans, g_in, index, x_shape: getitem(g, index),))


def _concatenate_value(*xs, axis=0):
    return np.concatenate(xs, axis=axis)


def _concatenate_jvp(i):
    def rule(t, ans, *xs, axis=0):
        return concatenate([t if j == i else zeros_like(x) for j, x in enumerate(xs)], axis)
    return rule


def _concatenate_vjp(i):
    def rule(g, ans, *xs, axis=0):
        ax = axis % len(shape(ans))
        start = builtins.sum(shape(x)[ax] for x in xs[:i])
        index = (slice(None),) * ax + (slice(start, start + shape(xs[i])[ax]),)
        return getitem(g, index)
    return rule


_concatenate = primitive(_concatenate_value, name="concatenate",
                         jvp=_concatenate_jvp, vjp=_concatenate_vjp)


def concatenate(arrays, axis=0):
    """Join arrays along an existing axis (axis=None: flatten them first)."""
    arrays = [_as_array(a) for a in arrays]
    if axis is None:
        return _concatenate(*[ravel(a) for a in arrays], axis=0)
    return _concatenate(*arrays, axis=axis)


def stack(arrays, axis=0):
    """Join arrays along a new axis."""
    arrays = [_as_array(a) for a in arrays]
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis)


def vstack(tup):
    """Stack arrays row-wise: vectors become rows, then join along axis 0."""
    return concatenate([atleast_2d(a) for a in tup], axis=0)


row_stack = vstack


def hstack(tup):
    """Stack arrays column-wise: join along axis 1 (along axis 0 for vectors)."""
    arrays = [atleast_1d(a) for a in tup]
    return concatenate(arrays, axis=0 if len(shape(arrays[0])) == 1 else 1)


def dstack(tup):
    """Stack arrays along the third axis."""
    return concatenate([atleast_3d(a) for a in tup], axis=2)


def column_stack(tup):
    """Stack vectors as the columns of a matrix (2-D arrays are joined along axis 1)."""
    arrays = [_as_array(a) for a in tup]
    return concatenate([reshape(a, (-1, 1)) if len(shape(a)) < 2 else a for a in arrays], axis=1)


def append(arr, values, axis=None):
    """arr with values added at the end (both flattened when axis is None)."""
    return concatenate([arr, values], axis=axis)


def split(ary, indices_or_sections, axis=0):
    """Split into equal sections (an int) or at the given indices, along `axis`."""
    if isinstance(indices_or_sections, (int, np.integer)) and \
            shape(ary)[axis] % indices_or_sections:
        raise ShapeError(f"gnp.split: an axis of length {shape(ary)[axis]} does not split into "
                         f"{indices_or_sections} equal sections (use gnp.array_split).")
    return array_split(ary, indices_or_sections, axis)


def array_split(ary, indices_or_sections, axis=0):
    """Split along `axis` into sections that may differ in length by one, or at indices."""
    ary = _as_array(ary)
    n = shape(ary)[axis]
    pieces = np.array_split(np.arange(n), indices_or_sections)
    ax = axis % len(shape(ary))
    return [getitem(ary, (slice(None),) * ax + (slice(int(p[0]), int(p[-1]) + 1),))
            if len(p) else getitem(ary, (slice(None),) * ax + (slice(0, 0),)) for p in pieces]


def hsplit(ary, indices_or_sections):
    """Split along axis 1 (axis 0 for vectors)."""
    return split(ary, indices_or_sections, axis=1 if len(shape(ary)) > 1 else 0)


def vsplit(ary, indices_or_sections):
    """Split along axis 0."""
    return split(ary, indices_or_sections, axis=0)


def dsplit(ary, indices_or_sections):
    """Split along axis 2."""
    return split(ary, indices_or_sections, axis=2)


# Functions that only move entries around are one indexing operation, x.ravel()[indices],
# where `indices` is the same numpy function applied to the array of entry numbers. Their
# derivatives are those of indexing (getitem and scatter_add) in both modes, at every order.

def _gather(a, rearrange):
    """rearrange(a) for any numpy function `rearrange` that only moves (or copies) entries."""
    a = _as_array(a)
    if not isinstance(a, Tracer):
        return rearrange(np.asarray(a))
    positions = rearrange(np.arange(int(np.prod(shape(a)))).reshape(shape(a)))
    return getitem(reshape(a, (-1,)), positions)


def flip(m, axis=None):
    """m with the order of entries reversed along `axis` (all axes when None)."""
    return _gather(m, lambda a: np.flip(a, axis))


def fliplr(m):
    """m with its columns in reverse order."""
    return _gather(m, np.fliplr)


def flipud(m):
    """m with its rows in reverse order."""
    return _gather(m, np.flipud)


def rot90(m, k=1, axes=(0, 1)):
    """m rotated by 90° k times, in the plane of `axes`."""
    return _gather(m, lambda a: np.rot90(a, k, axes))


def roll(a, shift, axis=None):
    """a with entries shifted cyclically by `shift` along `axis` (flattened when None)."""
    return _gather(a, lambda b: np.roll(b, shift, axis))


def repeat(a, repeats, axis=None):
    """Each entry of a repeated `repeats` times along `axis` (flattened when None)."""
    return _gather(a, lambda b: np.repeat(b, repeats, axis))


def tile(A, reps):
    """A repeated `reps` times along each axis."""
    return _gather(A, lambda b: np.tile(b, reps))


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal a[i, i + offset] of the (axis1, axis2) planes, as the last axis."""
    return _gather(a, lambda b: np.diagonal(b, offset, axis1, axis2))


def sort(a, axis=-1, kind=None, order=None):
    """a sorted along `axis` (each entry keeps its own derivative as it moves)."""
    if axis is None:
        return sort(ravel(a), axis=-1, kind=kind)
    order_ = np.argsort(_plain(a), axis=axis, kind=kind)
    return _gather(a, lambda b: np.take_along_axis(b, order_, axis))


def partition(a, kth, axis=-1):
    """a rearranged so that entry kth is where sorting would put it (numpy.partition)."""
    order_ = np.argpartition(_plain(a), kth, axis=axis)
    return _gather(a, lambda b: np.take_along_axis(b, order_, axis))


def take(a, indices, axis=None):
    """Entries of a at `indices` along `axis` (of the flattened a when None)."""
    return _gather(a, lambda b: np.take(b, indices, axis))


def take_along_axis(arr, indices, axis):
    """Entries of arr picked along `axis` by an index array of the same number of dimensions."""
    return _gather(arr, lambda b: np.take_along_axis(b, indices, axis))


def tril(m, k=0):
    """m with the entries above the k-th diagonal set to 0."""
    mask = np.tril(np.ones(shape(m)[-2:], dtype=bool), k)
    return where(mask, m, 0.0)


def triu(m, k=0):
    """m with the entries below the k-th diagonal set to 0."""
    mask = np.triu(np.ones(shape(m)[-2:], dtype=bool), k)
    return where(mask, m, 0.0)


def diag(v, k=0):
    """The k-th diagonal of a matrix, or a matrix with the vector v on its k-th diagonal."""
    v = _as_array(v)
    if len(shape(v)) == 2:
        return diagonal(v, k)
    if len(shape(v)) != 1:
        raise ShapeError(f"gnp.diag takes a vector or a matrix, got shape {shape(v)}.")
    n = shape(v)[0] + builtins.abs(k)
    rows = np.arange(shape(v)[0]) + builtins.max(-k, 0)
    cols = np.arange(shape(v)[0]) + builtins.max(k, 0)
    return scatter_add(v, (rows, cols), (n, n))


def diagflat(v, k=0):
    """A matrix with the flattened v on its k-th diagonal."""
    return diag(ravel(_as_array(v)), k)


def trace(a, offset=0, axis1=0, axis2=1):
    """Σ_i a[i, i + offset]: the sum of a diagonal (over axis1 and axis2)."""
    return sum(diagonal(a, offset, axis1, axis2), axis=-1)


def pad(array, pad_width, mode="constant", **kwargs):
    """array padded with a constant (mode='constant', the only mode gradlab differentiates)."""
    if mode != "constant":
        raise UnsupportedOperationError(
            f"gnp.pad: mode={mode!r} is not supported; only mode='constant' is.")
    x = _as_array(array)
    value = kwargs.get("constant_values", 0)
    inside = np.pad(np.ones(shape(x), dtype=bool), pad_width, mode="constant")
    size_ = int(np.prod(shape(x)))
    positions = np.pad(np.arange(size_).reshape(shape(x)), pad_width, mode="constant",
                       constant_values=size_)
    padded = getitem(concatenate([reshape(x, (-1,)), np.zeros(1)]), positions)
    return padded + np.where(inside, 0.0, value)


def diff(a, n=1, axis=-1):
    """The n-th discrete difference a[i + 1] - a[i] along `axis`."""
    a = _as_array(a)
    for _ in range(n):
        ax = axis % len(shape(a))
        lead = (slice(None),) * ax
        a = getitem(a, lead + (slice(1, None),)) - getitem(a, lead + (slice(None, -1),))
    return a


def select(condlist, choicelist, default=0):
    """The entry of the first choice whose condition holds, else `default`."""
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = where(cond, choice, out)
    return out


def gradient(f, *varargs, axis=None, edge_order=1):
    """Central differences (f[i+1] - f[i-1]) / 2 inside, one-sided ones at the edges."""
    if varargs or edge_order != 1:
        raise UnsupportedOperationError(
            "gnp.gradient supports unit spacing and edge_order=1 only.")
    f = _as_array(f)
    nd = len(shape(f))
    axes = _axes(axis, nd) if not isinstance(axis, tuple) else tuple(a % nd for a in axis)
    out = []
    for ax in axes:
        lead = (slice(None),) * ax
        inner_ = (getitem(f, lead + (slice(2, None),)) - getitem(f, lead + (slice(None, -2),))) / 2
        first = getitem(f, lead + (slice(1, 2),)) - getitem(f, lead + (slice(0, 1),))
        last = getitem(f, lead + (slice(-1, None),)) - getitem(f, lead + (slice(-2, -1),))
        out.append(concatenate([first, inner_, last], axis=ax))
    return out[0] if len(out) == 1 else out


# ----------------------------------------------------------------------------------------
# Reductions.
# ----------------------------------------------------------------------------------------

def _restore(g, x, axis, keepdims):
    """A reduction's cotangent g, reshaped so that it broadcasts against x again."""
    return g if keepdims else reshape(g, _keepdims_shape(shape(x), axis))


sum = primitive(np.sum,
    jvp=(lambda t, ans, x, axis=None, keepdims=False: sum(t, axis=axis, keepdims=keepdims),),
    vjp=(lambda g, ans, x, axis=None, keepdims=False:
         broadcast_to(_restore(g, x, axis, keepdims), shape(x)),))


def _no_out(name, out):
    if out is not None:
        raise UnsupportedOperationError(
            f"gnp.{name}(..., out=...) is not supported: derivatives need a new array, not one "
            "written in place.")


def mean(a, axis=None, dtype=None, out=None, keepdims=False):
    """The mean over `axis`: a sum divided by the number of entries summed."""
    _no_out("mean", out)
    a = _as_array(a)
    count = np.prod([shape(a)[ax] for ax in _axes(axis, len(shape(a)))])
    return sum(a, axis=axis, keepdims=keepdims) / count


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """The variance Σ (a - mean)² / (N - ddof) over `axis`."""
    _no_out("var", out)
    a = _as_array(a)
    count = np.prod([shape(a)[ax] for ax in _axes(axis, len(shape(a)))])
    centred = a - mean(a, axis=axis, keepdims=True)
    return sum(centred * centred, axis=axis, keepdims=keepdims) / (count - ddof)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """The standard deviation √var over `axis` (derivative 0 where it is 0, as for norm)."""
    _no_out("std", out)
    a = _as_array(a)
    count = np.prod([shape(a)[ax] for ax in _axes(axis, len(shape(a)))])
    centred = a - mean(a, axis=axis, keepdims=True)
    return norm(centred, axis=axis, keepdims=keepdims) / np.sqrt(count - ddof)


def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """The mean over `axis`, weighted by `weights` when given: Σ w a / Σ w."""
    a = _as_array(a)
    nd = len(shape(a))
    w = ones(shape(a)) if weights is None else _as_array(weights)
    if len(shape(w)) != nd:  # 1-D weights along `axis`, as numpy allows
        w = reshape(w, tuple(-1 if i == axis % nd else 1 for i in range(nd)))
    w = w * ones(shape(a))
    total = sum(w, axis=axis, keepdims=keepdims)
    avg = sum(a * w, axis=axis, keepdims=keepdims) / total
    return (avg, total) if returned else avg


def _others_product(x, axis):
    """Π_{j ≠ i} x_j along `axis`, for each i: ∂ prod(x) / ∂x_i, correct when x has zeros."""
    x_plain = np.asarray(_plain(x))
    if not np.any(x_plain == 0):
        return prod(x, axis=axis, keepdims=True) / x
    nd = len(shape(x))
    axes = _axes(axis, nd)
    rest = tuple(i for i in range(nd) if i not in axes)
    moved = transpose(x, rest + axes)  # reduced axes last, flattened to one of length k
    k = int(np.prod([shape(x)[i] for i in axes]))
    flat = reshape(moved, tuple(shape(x)[i] for i in rest) + (1, k))
    # Row i of a k × k matrix is x with x_i replaced by 1: its product is Π_{j ≠ i} x_j.
    others = prod(where(np.eye(k, dtype=bool), 1.0, flat), axis=-1)
    others = reshape(others, tuple(shape(x)[i] for i in rest) + tuple(shape(x)[i] for i in axes))
    return transpose(others, _inverse_axes(rest + axes))


def _prod_value(a, axis=None, dtype=None, out=None, keepdims=False):
    return np.prod(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims)


prod = primitive(_prod_value, name="prod",
    jvp=(lambda t, ans, x, axis=None, dtype=None, out=None, keepdims=False:
         sum(t * _others_product(x, axis), axis=axis, keepdims=keepdims),),
    vjp=(lambda g, ans, x, axis=None, dtype=None, out=None, keepdims=False:
         _restore(g, x, axis, keepdims) * _others_product(x, axis),))


def _reverse_cumsum(g, axis):
    """Σ_{j ≥ i} g_j along `axis`: the adjoint of a cumulative sum."""
    return flip(cumsum(flip(g, axis), axis), axis)


def _cumsum_value(a, axis=None, dtype=None, out=None):
    return np.cumsum(a, axis=axis, dtype=dtype, out=out)


cumsum = primitive(_cumsum_value, name="cumsum",
    jvp=(lambda t, ans, x, axis=None, dtype=None, out=None: cumsum(t, axis),),
    vjp=(lambda g, ans, x, axis=None, dtype=None, out=None:
         reshape(_reverse_cumsum(g, 0 if axis is None else axis), shape(x)),))


def _share_of_extreme(x, ans, axis, keepdims):
    """1/k at each of the k entries equal to the max (or min) along `axis`, 0 elsewhere."""
    x = np.asarray(_plain(x))
    hit = x == np.asarray(_plain(ans)).reshape(_keepdims_shape(x.shape, axis))
    return hit / np.sum(hit, axis=axis, keepdims=True)


def _extreme_jvp(t, ans, x, axis=None, keepdims=False):
    return sum(t * _share_of_extreme(x, ans, axis, keepdims), axis=axis, keepdims=keepdims)


def _extreme_vjp(g, ans, x, axis=None, keepdims=False):
    return _restore(g, x, axis, keepdims) * _share_of_extreme(x, ans, axis, keepdims)


max = primitive(np.max, jvp=(_extreme_jvp,), vjp=(_extreme_vjp,))
min = primitive(np.min, jvp=(_extreme_jvp,), vjp=(_extreme_vjp,))
amax, amin = max, min


def _logsumexp_value(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else out.reshape(np.sum(x, axis=axis).shape)


logsumexp = primitive(_logsumexp_value, name="logsumexp",
    jvp=(lambda t, ans, x, axis=None, keepdims=False: sum(
        t * exp(x - _restore(ans, x, axis, keepdims)), axis=axis, keepdims=keepdims),),
    vjp=(lambda g, ans, x, axis=None, keepdims=False:
         _restore(g, x, axis, keepdims) * exp(x - _restore(ans, x, axis, keepdims)),))


def log_softmax(x, axis=-1):
    """log softmax(x) = x - logsumexp(x), computed stably."""
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x, axis=-1):
    """exp(x_i) / Σ_j exp(x_j) along `axis`."""
    return exp(log_softmax(x, axis=axis))


def _safe(d):
    """d with zeros replaced by ones, so that 0/0 becomes 0/1 = 0 (the norm at 0)."""
    return where(equal(d, 0.0), 1.0, d)


norm = primitive(lambda x, axis=None, keepdims=False: np.sqrt(
    np.sum(np.square(x), axis=axis, keepdims=keepdims)), name="norm",
    jvp=(lambda t, ans, x, axis=None, keepdims=False: sum(
        x * t, axis=axis, keepdims=keepdims) / _safe(ans),),
    vjp=(lambda g, ans, x, axis=None, keepdims=False:
         _restore(g / _safe(ans), x, axis, keepdims) * x,))


# ----------------------------------------------------------------------------------------
# Linear algebra.
# ----------------------------------------------------------------------------------------

def _matmul_vjp_a(g, ans, a, b):
    """∂/∂a of a @ b: g @ bᵀ, with 1-D arguments treated as a row (a) or a column (b)."""
    a_nd, b_nd = len(shape(a)), len(shape(b))
    if a_nd == 2 and b_nd == 2:  # two matrices (the usual case): nothing to reshape
        return matmul(g, transpose(b))
    if b_nd == 1:
        g = expand_dims(g, -1)
        b = expand_dims(b, -1)
    if a_nd == 1:
        g = expand_dims(g, -2)
    ga = matmul(g, swapaxes(b, -1, -2))
    return reshape(unbroadcast(ga, (1,) + shape(a) if a_nd == 1 else shape(a)), shape(a))


def _matmul_vjp_b(g, ans, a, b):
    """∂/∂b of a @ b: aᵀ @ g, with the same 1-D conventions."""
    a_nd, b_nd = len(shape(a)), len(shape(b))
    if a_nd == 2 and b_nd == 2:
        return matmul(transpose(a), g)
    if b_nd == 1:
        g = expand_dims(g, -1)
    if a_nd == 1:
        g = expand_dims(g, -2)
        a = expand_dims(a, -2)
    gb = matmul(swapaxes(a, -1, -2), g)
    return reshape(unbroadcast(gb, shape(b) + (1,) if b_nd == 1 else shape(b)), shape(b))


matmul = primitive(np.matmul, saves=("args",),
    jvp=(lambda t, ans, a, b: matmul(t, b),
         lambda t, ans, a, b: matmul(a, t)),
    vjp=(_matmul_vjp_a, _matmul_vjp_b))


def dot(a, b, out=None):
    """numpy.dot: a product of scalars, matmul for up to 2-D, else Σ over a's last axis and
    b's second-to-last."""
    _no_out("dot", out)
    a, b = _as_array(a), _as_array(b)
    if len(shape(a)) == 0 or len(shape(b)) == 0:
        return a * b
    if len(shape(a)) <= 2 and len(shape(b)) <= 2:
        return matmul(a, b)
    return tensordot(a, b, ([-1], [-2 if len(shape(b)) > 1 else -1]))


def outer(a, b, out=None):
    """The outer product a bᵀ of two vectors (flattened first, as numpy does)."""
    _no_out("outer", out)
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def inner(a, b, /):
    """Σ_i a[..., i] b[..., i]: contracts the last axes; shape a.shape[:-1] + b.shape[:-1]."""
    a, b = _as_array(a), _as_array(b)
    if len(shape(a)) == 0 or len(shape(b)) == 0:
        return a * b
    return tensordot(a, b, ([-1], [-1]))


def tensordot(a, b, axes=2):
    """Σ over a's axes[0] and b's axes[1] (or a's last `axes` and b's first `axes` axes)."""
    a, b = _as_array(a), _as_array(b)
    na, nb = len(shape(a)), len(shape(b))
    if isinstance(axes, (int, np.integer)):
        axes_a, axes_b = list(range(na - axes, na)), list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    axes_a = [ax % na for ax in axes_a]
    axes_b = [ax % nb for ax in axes_b]
    if [shape(a)[i] for i in axes_a] != [shape(b)[i] for i in axes_b]:
        raise ShapeError(f"gnp.tensordot: axes {axes_a} of shape {shape(a)} and axes {axes_b} "
                         f"of shape {shape(b)} have different lengths.")
    free_a = [i for i in range(na) if i not in axes_a]
    free_b = [i for i in range(nb) if i not in axes_b]
    k = int(np.prod([shape(a)[i] for i in axes_a]))
    a2 = reshape(transpose(a, tuple(free_a + axes_a)), (-1, k))
    b2 = reshape(transpose(b, tuple(axes_b + free_b)), (k, -1))
    out_shape = tuple(shape(a)[i] for i in free_a) + tuple(shape(b)[i] for i in free_b)
    return reshape(matmul(a2, b2), out_shape)


def vdot(a, b, /):
    """Σ_i a_i b_i over the flattened arrays."""
    return sum(ravel(_as_array(a)) * ravel(_as_array(b)))


def kron(a, b):
    """The Kronecker product: blocks a[i, j] · b."""
    a, b = _as_array(a), _as_array(b)
    nd = builtins.max(len(shape(a)), len(shape(b)))
    a = reshape(a, (1,) * (nd - len(shape(a))) + shape(a))
    b = reshape(b, (1,) * (nd - len(shape(b))) + shape(b))
    outer_ = reshape(a, tuple(n for m in shape(a) for n in (m, 1))) * \
        reshape(b, tuple(n for m in shape(b) for n in (1, m)))
    return reshape(outer_, tuple(m * n for m, n in zip(shape(a), shape(b))))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product a × b of 3-vectors along the given axes."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(_as_array(a), axisa, -1)
    b = moveaxis(_as_array(b), axisb, -1)
    if shape(a)[-1] != 3 or shape(b)[-1] != 3:
        raise ShapeError(f"gnp.cross supports 3-vectors, got shapes {shape(a)} and {shape(b)}.")
    a0, a1, a2 = (getitem(a, (Ellipsis, i)) for i in range(3))
    b0, b1, b2 = (getitem(b, (Ellipsis, i)) for i in range(3))
    c = stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return moveaxis(c, -1, axisc)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_explicit(subscripts, shapes):
    """The input and output subscripts with '...' written out as letters, and the output
    made explicit: ('...ij,jk', [(2, 3, 4), (4, 5)]) -> (['aij', 'jk'], 'aik')."""
    ins, arrow, out = subscripts.replace(" ", "").partition("->")
    ins = ins.split(",")
    if len(ins) != len(shapes):
        raise ShapeError(f"gnp.einsum: {len(ins)} subscripts for {len(shapes)} operands.")
    free = [c for c in _LETTERS if c not in subscripts]
    lengths = [len(sh) - (len(s) - 3) for s, sh in zip(ins, shapes) if "..." in s]
    ell = "".join(free[:builtins.max(lengths, default=0)])
    explicit = []
    for s, sh in zip(ins, shapes):
        k = len(sh) - (len(s) - 3)
        explicit.append(s.replace("...", ell[len(ell) - k:] if k > 0 else ""))
    if arrow:
        return explicit, out.replace("...", ell)
    named = "".join(ins).replace("...", "")
    return explicit, ell + "".join(sorted(c for c in set(named) if named.count(c) == 1))


def _einsum_value(subscripts, *operands):
    return np.einsum(subscripts, *operands)


def _einsum_jvp(argnum):
    def rule(t, ans, subscripts, *operands):
        ops = list(operands)
        ops[argnum - 1] = t
        return _einsum(subscripts, *ops)
    return rule


def _einsum_vjp(argnum):
    """The cotangent of one operand: einsum of g with the other operands, back to its letters.

    Letters that only this operand has were summed away: they come back through an array of
    ones. A letter repeated in this operand (a diagonal, as in 'ii') puts the result on that
    diagonal. A length-1 axis that einsum broadcast is summed back to length 1.
    """
    def rule(g, ans, subscripts, *operands):
        k = argnum - 1
        ins, out = _einsum_explicit(subscripts, [shape(o) for o in operands])
        target = ins[k]
        sizes = dict(zip(target, shape(operands[k])))
        unique = "".join(dict.fromkeys(target))
        terms, ops = [out], [g]
        for j, (s, o) in enumerate(zip(ins, operands)):
            if j != k:
                terms.append(s)
                ops.append(o)
        lonely = "".join(c for c in unique if c not in "".join(terms))
        if lonely:
            terms.append(lonely)
            ops.append(np.ones([sizes[c] for c in lonely]))
        r = _einsum(",".join(terms) + "->" + unique, *ops)
        broadcast = tuple(p for p, c in enumerate(unique) if sizes[c] == 1 and shape(r)[p] != 1)
        if broadcast:
            r = sum(r, axis=broadcast, keepdims=True)
        if len(unique) == len(target):
            return r
        index = tuple(np.arange(sizes[c]).reshape(
            [-1 if q == unique.index(c) else 1 for q in range(len(unique))]) for c in target)
        return scatter_add(r, index, shape(operands[k]))
    return rule


_einsum = primitive(_einsum_value, name="einsum", jvp=_einsum_jvp, vjp=_einsum_vjp)


def einsum(*operands, out=None, optimize=False, **kwargs):
    """Einstein summation: einsum('ij,jk->ik', a, b) = a @ b; also einsum(a, [0, 1], b, [1, 2])."""
    _no_out("einsum", out)
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], operands[1:]
    else:  # the interleaved form: operand, sublist, operand, sublist, ..., [output sublist]
        n = len(operands) // 2
        ops = operands[0:2 * n:2]

        def letters(sublist):
            return "".join("..." if i is Ellipsis else _LETTERS[i] for i in sublist)

        subscripts = ",".join(letters(s) for s in operands[1:2 * n:2])
        if len(operands) % 2:
            subscripts += "->" + letters(operands[-1])
    return _einsum(subscripts, *[_as_array(o) for o in ops])


# ----------------------------------------------------------------------------------------
# Constructors: arrays built from traced values.
# ----------------------------------------------------------------------------------------

def _has_tracer(obj):
    """True if obj is a tracer or a (nested) list or tuple holding one."""
    if isinstance(obj, Tracer):
        return True
    if isinstance(obj, (list, tuple)):
        return builtins.any(_has_tracer(o) for o in obj)
    return False


def _as_array(a):
    """A list or tuple (possibly holding traced values) as one array; anything else as is."""
    return array(a) if isinstance(a, (list, tuple)) else a


def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0):
    """An array from nested lists: np.array([x, y]) of traced values stacks them."""
    if not _has_tracer(object):
        return np.array(object, dtype=dtype, copy=copy, order=order, subok=subok, ndmin=ndmin)
    out = stack([array(o) for o in object]) if isinstance(object, (list, tuple)) else object
    if dtype is not None:
        out = _astype(out, dtype)
    if ndmin > len(shape(out)):
        out = reshape(out, (1,) * (ndmin - len(shape(out))) + shape(out))
    return out


def asarray(a, dtype=None, order=None):
    """a as an array: traced values (and lists of them) stay traced."""
    if isinstance(a, Tracer) and dtype is None:
        return a
    if _has_tracer(a):
        return array(a, dtype=dtype)
    return np.asarray(a, dtype=dtype, order=order)


def _astype_value(x, dtype):
    return np.asarray(x).astype(dtype)


_astype = primitive(_astype_value, name="astype",  # derivative 1, cast back to x's dtype
    jvp=(lambda t, ans, x, dtype: _astype(t, dtype),),
    vjp=(lambda g, ans, x, dtype: _astype(g, np.result_type(_plain(x))),))


def _tracer_astype(x, dtype):
    """x.astype(dtype): a float cast keeps the derivative; an integer cast has none."""
    if np.dtype(dtype).kind not in "fc":
        return np.asarray(_plain(x)).astype(dtype)
    return _astype(x, dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """num evenly spaced samples start + (stop - start) · i / (num - 1), i = 0 .. num - 1."""
    if not (isinstance(start, Tracer) or isinstance(stop, Tracer)):
        return np.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    nd = len(np.broadcast_shapes(shape(start), shape(stop)))
    fractions = np.linspace(0.0, 1.0, num, endpoint=endpoint).reshape((num,) + (1,) * nd)
    samples = start + fractions * (stop - start)
    if axis != 0:
        samples = moveaxis(samples, 0, axis)
    if retstep:
        div = (num - 1) if endpoint else num
        return samples, (stop - start) / div if div > 0 else (stop - start) * np.nan
    return samples


def full(shape, fill_value, dtype=None, order="C"):
    """An array of the given shape filled with fill_value (which may be traced)."""
    if not isinstance(fill_value, Tracer):
        return np.full(shape, fill_value, dtype=dtype, order=order)
    return broadcast_to(fill_value, (shape,) if isinstance(shape, int) else tuple(shape))


def full_like(a, fill_value, dtype=None):
    """An array of a's shape filled with fill_value (which may be traced)."""
    if not isinstance(fill_value, Tracer):
        return np.full_like(_plain(a), fill_value, dtype=dtype)
    return broadcast_to(fill_value, shape(a))


class _Concatenator:
    """np.r_ and np.c_ for traced values: r_[x, c, 1:4] joins along the first axis, c_[x, c]
    along the last axis, with vectors as columns."""

    def __init__(self, name):
        self.name = name

    def __getitem__(self, items):
        items = items if isinstance(items, tuple) else (items,)
        numpy_version = getattr(np, self.name)
        if not _has_tracer(items):
            return numpy_version[items]
        pieces = []
        for item in items:
            if isinstance(item, str):
                raise UnsupportedOperationError(
                    f"gnp.{self.name}[...] with a directive string ({item!r}) is not supported; "
                    "use gnp.concatenate with an axis.")
            pieces.append(np.r_[item] if isinstance(item, slice) else _as_array(item))
        if self.name == "r_":
            return concatenate([atleast_1d(p) for p in pieces], axis=0)
        return concatenate([reshape(p, (-1, 1)) if len(shape(p)) < 2 else p for p in pieces],
                           axis=-1)


r_ = _Concatenator("r_")
c_ = _Concatenator("c_")
random = np.random  # random constants (never traced)


# ----------------------------------------------------------------------------------------
# What gradlab leaves out on purpose: a clear error, not an AttributeError from deep inside.
# ----------------------------------------------------------------------------------------

class NotSupportedError(UnsupportedOperationError, AttributeError):
    """A numpy function gradlab.numpy deliberately does not provide."""


NOT_SUPPORTED = {
    "fft": "Fourier transforms work on complex numbers, which gradlab does not support",
    "iscomplexobj": "gradlab does not support complex numbers",
    "complex64": "gradlab does not support complex numbers",
    "complex128": "gradlab does not support complex numbers",
    "cumprod": "not provided (write it with gnp.prod over a loop, or use gnp.cumsum of gnp.log)",
    "median": "the median is not differentiable in general; not provided",
    "percentile": "not provided", "quantile": "not provided",
    "unique": "not differentiable; call numpy.unique on plain arrays",
    "interp": "not provided", "convolve": "not provided", "correlate": "not provided",
    "polyval": "not provided", "frexp": "not provided", "ldexp": "not provided",
    "modf": "not provided", "piecewise": "not provided", "vectorize": "not provided",
    "apply_along_axis": "not provided", "histogram": "not differentiable; not provided",
    "ptp": "not provided (write max(x) - min(x))",
}


def __getattr__(name):
    if name in NOT_SUPPORTED:
        raise NotSupportedError(f"gnp.{name} is not supported by gradlab: {NOT_SUPPORTED[name]}.")
    raise AttributeError(f"module 'gradlab.numpy' has no attribute {name!r}")


class _Linalg:
    """gnp.linalg: the norm; the rest of numpy.linalg is not supported."""

    @staticmethod
    def norm(x, ord=None, axis=None, keepdims=False):
        """The 2-norm of a vector, or the Frobenius norm of a matrix (ord=None, 2 or 'fro')."""
        if ord not in (None, "fro") and not (ord == 2 and len(shape(x)) <= 1 or
                                            ord == 2 and isinstance(axis, int)):
            raise NotSupportedError(f"gnp.linalg.norm: ord={ord!r} is not supported by gradlab "
                                    "(only the 2-norm and the Frobenius norm).")
        return norm(x, axis=axis, keepdims=keepdims)

    def __getattr__(self, name):
        raise NotSupportedError(
            f"gnp.linalg.{name} is not supported by gradlab: gradlab.numpy's linear algebra is "
            "matmul, dot, tensordot, einsum and linalg.norm.")


linalg = _Linalg()


# ----------------------------------------------------------------------------------------
# Operators on tracers: `x + y` calls add(x, y), `x[i]` calls getitem(x, i), and so on.
# ----------------------------------------------------------------------------------------

def _check_index(index):
    items = index if isinstance(index, tuple) else (index,)
    if builtins.any(isinstance(i, Tracer) for i in items):
        raise UnsupportedOperationError(
            "An index is itself a traced value; indices must be plain integers or arrays "
            "(they are not differentiable).")
    return index


# numpy's operator ufuncs: `ndarray * tracer` reaches the tracer through these, so they are
# routed to gradlab.numpy. Any other numpy function on a tracer is an error that says so.
_OPERATOR_UFUNCS = {
    "add": add, "subtract": subtract, "multiply": multiply, "divide": divide,
    "true_divide": divide, "power": power, "matmul": matmul, "negative": negative,
    "less": less, "less_equal": less_equal, "greater": greater,
    "greater_equal": greater_equal, "equal": equal, "not_equal": not_equal,
    "remainder": mod, "absolute": absolute,
}


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """numpy's hook for `ndarray <op> tracer`: operators go to their primitive, the rest errs."""
    prim = _OPERATOR_UFUNCS.get(ufunc.__name__)
    if method == "__call__" and prim is not None and not kwargs:
        return prim(*inputs)
    if "out" in kwargs:  # A += x with a numpy array A and a traced x
        raise UnsupportedOperationError(
            f"In-place numpy operation numpy.{ufunc.__name__}(..., out=...) on a traced "
            f"value ({self.mode} mode), as in `A += x` for a numpy array A: the result "
            "cannot be written into a plain array. Write A = A + x instead.")
    raise UnsupportedOperationError(
        f"numpy.{ufunc.__name__} was called on a traced value ({self.mode} mode); numpy "
        f"cannot carry derivatives. Use gradlab.numpy.{ufunc.__name__} "
        "(import gradlab.numpy as gnp) instead.")


Tracer.__array_ufunc__ = _array_ufunc
Tracer.__add__ = lambda self, other: add(self, other)
Tracer.__radd__ = lambda self, other: add(other, self)
Tracer.__sub__ = lambda self, other: subtract(self, other)
Tracer.__rsub__ = lambda self, other: subtract(other, self)
Tracer.__mul__ = lambda self, other: multiply(self, other)
Tracer.__rmul__ = lambda self, other: multiply(other, self)
Tracer.__truediv__ = lambda self, other: divide(self, other)
Tracer.__rtruediv__ = lambda self, other: divide(other, self)
Tracer.__pow__ = lambda self, other: power(self, other)
Tracer.__rpow__ = lambda self, other: power(other, self)
Tracer.__matmul__ = lambda self, other: matmul(self, other)
Tracer.__rmatmul__ = lambda self, other: matmul(other, self)
Tracer.__neg__ = lambda self: negative(self)
Tracer.__pos__ = lambda self: self
Tracer.__abs__ = lambda self: absolute(self)
Tracer.__lt__ = lambda self, other: less(self, other)
Tracer.__le__ = lambda self, other: less_equal(self, other)
Tracer.__gt__ = lambda self, other: greater(self, other)
Tracer.__ge__ = lambda self, other: greater_equal(self, other)
Tracer.__eq__ = lambda self, other: equal(self, other)
Tracer.__ne__ = lambda self, other: not_equal(self, other)
Tracer.__getitem__ = lambda self, index: getitem(self, _check_index(index))
Tracer.T = property(lambda self: transpose(self))
Tracer.reshape = lambda self, *shape_: reshape(
    self, shape_[0] if len(shape_) == 1 and isinstance(shape_[0], (tuple, list)) else shape_)
Tracer.transpose = lambda self, *axes: transpose(
    self, (axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes) or None)
Tracer.sum = lambda self, axis=None, keepdims=False: sum(self, axis=axis, keepdims=keepdims)
Tracer.mean = lambda self, axis=None, keepdims=False: mean(self, axis=axis, keepdims=keepdims)
Tracer.max = lambda self, axis=None, keepdims=False: max(self, axis=axis, keepdims=keepdims)
Tracer.min = lambda self, axis=None, keepdims=False: min(self, axis=axis, keepdims=keepdims)
Tracer.dot = lambda self, other: dot(self, other)
Tracer.ravel = lambda self: ravel(self)
Tracer.squeeze = lambda self, axis=None: squeeze(self, axis)
Tracer.__mod__ = lambda self, other: mod(self, other)
Tracer.__rmod__ = lambda self, other: mod(other, self)
Tracer.__floordiv__ = lambda self, other: floor_divide(self, other)
Tracer.__rfloordiv__ = lambda self, other: floor_divide(other, self)
Tracer.flatten = lambda self, order="C": ravel(self, order)
Tracer.astype = lambda self, dtype: _tracer_astype(self, dtype)
Tracer.copy = lambda self: self
Tracer.swapaxes = lambda self, axis1, axis2: swapaxes(self, axis1, axis2)
Tracer.prod = lambda self, axis=None, keepdims=False: prod(self, axis=axis, keepdims=keepdims)
Tracer.cumsum = lambda self, axis=None: cumsum(self, axis)
Tracer.var = lambda self, axis=None, ddof=0, keepdims=False: var(
    self, axis=axis, ddof=ddof, keepdims=keepdims)
Tracer.std = lambda self, axis=None, ddof=0, keepdims=False: std(
    self, axis=axis, ddof=ddof, keepdims=keepdims)
Tracer.clip = lambda self, a_min=None, a_max=None: clip(self, a_min, a_max)
Tracer.trace = lambda self, offset=0, axis1=0, axis2=1: trace(self, offset, axis1, axis2)
Tracer.diagonal = lambda self, offset=0, axis1=0, axis2=1: diagonal(self, offset, axis1, axis2)
Tracer.repeat = lambda self, repeats, axis=None: repeat(self, repeats, axis)
Tracer.take = lambda self, indices, axis=None: take(self, indices, axis)
Tracer.all = lambda self, axis=None, keepdims=False: all(self, axis=axis, keepdims=keepdims)
Tracer.any = lambda self, axis=None, keepdims=False: any(self, axis=axis, keepdims=keepdims)
Tracer.argmax = lambda self, axis=None: argmax(self, axis)
Tracer.argmin = lambda self, axis=None: argmin(self, axis)
Tracer.argsort = lambda self, axis=-1: argsort(self, axis)
Tracer.nonzero = lambda self: nonzero(self)
Tracer.round = lambda self, decimals=0: round(self, decimals)
Tracer.__hash__ = object.__hash__
