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

from ..errors import UnsupportedOperationError
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

array = np.array
asarray = np.asarray
zeros = np.zeros
ones = np.ones
eye = np.eye
arange = np.arange
linspace = np.linspace
full = np.full
isfinite = primitive(np.isfinite, differentiable=False)
isnan = primitive(np.isnan, differentiable=False)
zeros_like = primitive(lambda x: np.zeros(np.shape(x)), name="zeros_like", differentiable=False)
ones_like = primitive(lambda x: np.ones(np.shape(x)), name="ones_like", differentiable=False)
argmax = primitive(np.argmax, differentiable=False)
argmin = primitive(np.argmin, differentiable=False)
sign = primitive(np.sign, differentiable=False)  # derivative 0 everywhere (0 at 0, by choice)
floor = primitive(np.floor, differentiable=False)
round = primitive(np.round, name="round", differentiable=False)

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
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(target_shape) if n == 1 and g_shape[lead + i] != 1)
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


def swapaxes(x, a, b):
    """Exchange two axes of x."""
    axes = list(range(len(shape(x))))
    axes[a], axes[b] = axes[b], axes[a]
    return transpose(x, tuple(axes))


def expand_dims(x, axis):
    """Insert an axis of length 1 at position `axis`."""
    return reshape(x, np.expand_dims(np.empty(shape(x), dtype=bool), axis).shape)


def squeeze(x, axis=None):
    """Remove axes of length 1 (all of them, or those in `axis`)."""
    return reshape(x, np.squeeze(np.empty(shape(x), dtype=bool), axis).shape)


def ravel(x):
    """x flattened to one dimension."""
    return reshape(x, (-1,))


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
    """Join arrays along an existing axis."""
    return _concatenate(*arrays, axis=axis)


def stack(arrays, axis=0):
    """Join arrays along a new axis."""
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis)


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


def mean(x, axis=None, keepdims=False):
    """The mean over `axis`: a sum divided by the number of entries summed."""
    count = np.prod([shape(x)[a] for a in _axes(axis, len(shape(x)))])
    return sum(x, axis=axis, keepdims=keepdims) / count


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


def dot(a, b):
    """numpy.dot for scalars, vectors and matrices (use matmul for stacks of matrices)."""
    if len(shape(a)) == 0 or len(shape(b)) == 0:
        return a * b
    if len(shape(a)) > 2 or len(shape(b)) > 2:
        raise UnsupportedOperationError(
            f"gnp.dot supports arrays of up to 2 dimensions, got shapes {shape(a)} and "
            f"{shape(b)}; use gnp.matmul for stacks of matrices.")
    return matmul(a, b)


def outer(a, b):
    """The outer product a bᵀ of two vectors (flattened first, as numpy does)."""
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def inner(a, b):
    """Σ_i a_i b_i over the last axis."""
    return sum(a * b, axis=-1)


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
Tracer.__hash__ = object.__hash__
