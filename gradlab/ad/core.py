"""What forward and reverse mode share: primitives and the tracers that flow through them.

A *primitive* is a numpy function together with its derivative rules: one JVP rule per
argument (forward mode) and one VJP rule per argument (reverse mode). `gradlab.numpy` defines
every primitive, each with its value and both rules side by side.

A *tracer* wraps a value while a function is being differentiated. Calling a primitive on a
tracer computes the value with numpy, then hands the call to the tracer's mode: forward mode
pushes a tangent through the JVP rules; reverse mode records a node on the tape for the VJP
rules to use later.

Each differentiation gets a fresh *level* (a trace id). When tracers of several levels meet,
as in `grad(grad(f))`, the primitive serves the newest level and passes the older tracers
through unchanged, so they see an ordinary call one level down. This is what keeps nested
derivatives apart (no "perturbation confusion").
"""

from __future__ import annotations

import itertools

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError

_next_level = itertools.count(1)


def new_level():
    """A fresh trace id, larger than every id handed out before."""
    return next(_next_level)


def shape(a):
    """The shape of an array, a Python number or a tracer, without converting tracers."""
    return a.shape if hasattr(a, "shape") else np.shape(a)


def strip(x):
    """The plain numpy value inside any number of tracer layers."""
    while isinstance(x, Tracer):
        x = x.value
    return x


class Primitive:
    """A numpy function with one JVP rule and one VJP rule per argument.

    A JVP rule maps (tangent of argument i, ans, *args) to the tangent of the output;
    a VJP rule maps (cotangent of the output, ans, *args) to the cotangent of argument i.
    A rule of None means "not differentiable with respect to this argument".
    `saves` lists what the VJP rules read ("ans", "args"): reverse mode keeps only that on
    the tape until the backward sweep, so e.g. `add` keeps nothing and `tanh` only its output.
    `rules` may also be a function of the argument number (for primitives with any number
    of arguments, like concatenate).
    """

    def __init__(self, name, fun, jvp=(), vjp=(), differentiable=True, saves=("ans", "args")):
        self.name = name
        self.saves = saves
        self.fun = fun
        self.jvp_rules = jvp
        self.vjp_rules = vjp
        self.differentiable = differentiable

    def __repr__(self):
        return f"<gradlab primitive {self.name}>"

    @property
    def __signature__(self):
        """The value function's signature (numpy's own, for a wrapped numpy function)."""
        import inspect

        return inspect.signature(self.fun)

    def rule(self, mode, argnum):
        """The rule for `mode` ("forward" or "reverse") and argument `argnum`, or an error."""
        rules = self.jvp_rules if mode == "forward" else self.vjp_rules
        rule = rules(argnum) if callable(rules) else (
            rules[argnum] if argnum < len(rules) else None)
        if rule is None:
            raise UnsupportedOperationError(
                f"gnp.{self.name} is not differentiable with respect to its argument "
                f"{argnum} ({mode} mode).")
        return rule

    def __call__(self, *args, **kwargs):
        top = None
        for a in args:
            if isinstance(a, Tracer) and (top is None or a.level > top.level):
                top = a
        if top is None:
            return self.fun(*args, **kwargs)
        if not self.differentiable:
            return self.fun(*[strip(a) for a in args], **kwargs)
        level = top.level
        argnums = [i for i, a in enumerate(args) if isinstance(a, Tracer) and a.level == level]
        tracers = [args[i] for i in argnums]
        inner = list(args)
        for i in argnums:
            inner[i] = args[i].value
        try:
            ans = self(*inner, **kwargs)  # older levels (if any) see an ordinary call
        except ShapeError:
            raise
        except ValueError as exc:  # numpy's shape complaint, in the student's terms
            raise self.shape_error(args, exc) from None
        return type(top).record(self, ans, inner, kwargs, argnums, tracers)

    def shape_error(self, args, exc):
        """A ShapeError naming this primitive and its arguments' shapes, from numpy's ValueError."""
        shapes = " and ".join(str(shape(a)) for a in args
                              if isinstance(a, (Tracer, np.ndarray, float, int)))
        if "broadcast" in str(exc):
            return ShapeError(f"gnp.{self.name}: shapes {shapes} do not broadcast together "
                              "(numpy broadcasting matches shapes from the last axis; each pair "
                              "of lengths must be equal or 1).")
        return ShapeError(f"gnp.{self.name} on shapes {shapes}: {exc}")


def primitive(fun=None, *, name=None, jvp=(), vjp=(), differentiable=True, saves=("ans", "args")):
    """Make a primitive from a numpy function: ``primitive(np.sin, jvp=(...), vjp=(...))``.

    This is the public way to add an operation to gradlab; see `gradlab.numpy` for examples.
    Used as a decorator without rules, the rules can be attached afterwards with `defjvp` and
    `defvjp`.
    """
    if fun is None:
        return lambda f: primitive(f, name=name, jvp=jvp, vjp=vjp,
                                   differentiable=differentiable, saves=saves)
    return Primitive(name or fun.__name__, fun, jvp, vjp, differentiable, saves)


def defjvp(prim, *rules):
    """Attach forward-mode rules to `prim`, one per argument: rule(t, ans, *args, **kw)."""
    prim.jvp_rules = rules


def defvjp(prim, *rules):
    """Attach reverse-mode rules to `prim`, one per argument: rule(g, ans, *args, **kw)."""
    prim.vjp_rules = rules


# numpy functions that only read a traced value's metadata: they pass straight through.
_METADATA_FUNCTIONS = {"shape", "ndim", "size"}


class Tracer:
    """A value being differentiated, at one level, in one mode. Subclasses add the mode's data.

    Arithmetic operators (`+`, `*`, `@`, indexing, `.T`, ...) and numpy's `__array_ufunc__` hook
    are attached in `gradlab.numpy`, where the primitives they call are defined.
    """

    __slots__ = ("value", "level")
    mode = "?"
    __array_priority__ = 100.0

    def __init__(self, value, level):
        self.value = value
        self.level = level

    @classmethod
    def record(cls, prim, ans, args, kwargs, argnums, tracers):
        """Build the output tracer of `prim` applied to `args` (implemented by each mode)."""
        raise NotImplementedError

    shape = property(lambda self: shape(self.value))
    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape)))
    dtype = property(lambda self: np.result_type(strip(self)))

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d (scalar) traced value")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self):
        return f"{type(self).__name__}({strip(self)!r}, level={self.level})"

    def __float__(self):
        raise UnsupportedOperationError(
            f"float() of a traced value ({self.mode} mode) would silently drop its derivative. "
            "Typical causes: float(x) or math.exp(x) (use gnp.exp), or writing a traced value "
            "into a numpy array with A[i] = x (build the array with gnp.stack, "
            "gnp.concatenate or gnp.where instead).")

    def __bool__(self):
        return bool(strip(self))

    __hash__ = object.__hash__

    def __setitem__(self, index, value):
        raise UnsupportedOperationError(
            f"In-place assignment x[{index!r}] = ... into a traced array is not supported "
            f"({self.mode} mode): derivatives need every intermediate value kept. Build a new "
            "array instead, e.g. gnp.where(mask, new_values, x) or gnp.concatenate([...]).")

    def __array__(self, dtype=None, copy=None):
        raise UnsupportedOperationError(
            f"numpy tried to turn a traced value into a plain array ({self.mode} mode); the "
            "derivative would be lost. Typical causes: np.array([...]) of traced values (use "
            "gnp.stack), or assigning a traced value into a numpy array with A[i] = x.")

    def __array_function__(self, func, types, args, kwargs):
        if func.__name__ in _METADATA_FUNCTIONS:  # np.shape(x) etc. need no derivative
            return func(*[strip(a) for a in args], **kwargs)
        raise UnsupportedOperationError(
            f"numpy.{func.__name__} was called on a traced value ({self.mode} mode); numpy "
            f"cannot carry derivatives. Use gradlab.numpy.{func.__name__} "
            "(import gradlab.numpy as gnp) instead, if gradlab provides it.")
