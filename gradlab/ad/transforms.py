"""Derivatives built from the two modes: grad, value_and_grad, jacfwd, jacrev, hessian, hvp.

    grad f = vjp with cotangent 1          (one reverse sweep, any number of inputs)
    jacfwd f = one jvp per input direction  (cheap when inputs are few)
    jacrev f = one vjp per output direction (cheap when outputs are few)
    hessian f = jacfwd(jacrev f)           (forward-over-reverse)
    hvp(f, x, v) = jvp of grad f along v   (∇²f(x) v at the cost of a few gradients)
"""

from __future__ import annotations

import numpy as np

from ..errors import GradlabError, NonScalarOutputError
from . import numpy as gnp
from .core import shape
from .forward_mode import jvp
from .reverse_mode import vjp
from .tree import tree_map


def _plain_scalar(x):
    """0-d arrays come back as numpy floats, so `grad(f)(1.0)` reads like a number."""
    return x[()] if isinstance(x, np.ndarray) and x.ndim == 0 else x


def _select(args, argnums, fname):
    single = isinstance(argnums, (int, np.integer))
    nums = (argnums,) if single else tuple(argnums)
    for n in nums:
        if not -len(args) <= n < len(args):
            raise GradlabError(f"{fname}: argnums={argnums!r} but the function was called "
                               f"with {len(args)} positional argument(s).")
    return single, nums


def value_and_grad(f, argnums=0):
    """Return a function computing (f(*args), ∇f(*args)) with respect to args[argnums]."""

    def value_and_grad_f(*args, **kwargs):
        single, nums = _select(args, argnums, "grad")

        def f_of_chosen(*chosen):
            full = list(args)
            for n, c in zip(nums, chosen):
                full[n] = c
            return f(*full, **kwargs)

        out, vjp_fn = vjp(f_of_chosen, *[args[n] for n in nums])
        if isinstance(out, (tuple, list, dict)) or shape(out) != ():
            what = type(out).__name__ if isinstance(out, (tuple, list, dict)) else (
                f"an array of shape {shape(out)}")
            raise NonScalarOutputError(
                f"grad needs a function with a scalar output, but it returned {what}. "
                "For vector outputs use gradlab.jacrev (the whole Jacobian) or gradlab.vjp "
                "(a vector-Jacobian product); for a loss, reduce it first (e.g. gnp.sum).")
        grads = vjp_fn(np.ones(()))
        grads = tuple(tree_map(_plain_scalar, g) for g in grads)
        return out, (grads[0] if single else grads)

    value_and_grad_f.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    return value_and_grad_f


def grad(f, argnums=0):
    """Return a function computing ∇f with respect to args[argnums] (f must return a scalar)."""
    vg = value_and_grad(f, argnums)

    def grad_f(*args, **kwargs):
        return vg(*args, **kwargs)[1]

    grad_f.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    return grad_f


def _basis(x_shape):
    """The standard basis vectors e_0, e_1, ... of an array of shape x_shape."""
    n = int(np.prod(x_shape))
    return [row.reshape(x_shape) for row in np.eye(n)]


def _of_one_argument(f, args, argnums):
    """x ↦ f(*args) with x in place of args[argnums]: the function whose Jacobian we take."""
    return lambda x: f(*args[:argnums], x, *args[argnums + 1:])


def jacfwd(f, argnums=0):
    """The Jacobian ∂f/∂x by forward mode: one jvp per input coordinate (column by column).

    The result has shape f(x).shape + x.shape.
    """

    def jac(*args):
        x, f_x = args[argnums], _of_one_argument(f, args, argnums)
        columns = [jvp(f_x, (x,), (e,))[1] for e in _basis(shape(x))]
        out_shape = shape(columns[0]) if columns else shape(f_x(x))
        if not columns:
            return np.zeros(out_shape + shape(x))
        stacked = gnp.stack(columns, axis=-1)  # out_shape + (n,)
        return gnp.reshape(stacked, out_shape + shape(x))

    return jac


def jacrev(f, argnums=0):
    """The Jacobian ∂f/∂x by reverse mode: one vjp per output coordinate (row by row).

    The result has shape f(x).shape + x.shape.
    """

    def jac(*args):
        x, f_x = args[argnums], _of_one_argument(f, args, argnums)
        out, vjp_fn = vjp(f_x, x)
        rows = [vjp_fn(u)[0] for u in _basis(shape(out))]
        if not rows:
            return np.zeros(shape(out) + shape(x))
        return gnp.reshape(gnp.stack(rows, axis=0), shape(out) + shape(x))

    return jac


def hessian(f, argnums=0):
    """The Hessian ∇²f by forward-over-reverse: jacfwd(jacrev(f))."""
    return jacfwd(jacrev(f, argnums), argnums)


def hvp(f, x, v):
    """The Hessian-vector product ∇²f(x) v, as the JVP of ∇f along v (forward-over-reverse)."""
    return jvp(grad(f), (x,), (v,))[1]
