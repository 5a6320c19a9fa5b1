"""Checking derivatives numerically: `check_grads`, as used by our tests and the exercises.

    forward mode:  jvp(f, x, v)  ≈  (f(x + εv) − f(x − εv)) / 2ε          (central difference)
    reverse mode:  ⟨vjp_fn(u), v⟩ = ⟨u, J v⟩  for random u and v           (inner-product identity)
    higher order:  the same checks applied to the derivative maps (x, v) ↦ J(x)v and (x, u) ↦ uᵀJ(x)

    >>> import numpy as np
    >>> import gradlab.numpy as gnp
    >>> from gradlab.testing import check_grads
    >>> check_grads(lambda x: gnp.sum(gnp.sin(x) ** 2), (np.ones(3),))   # silent when correct

A failed check raises `GradientCheckError` (an AssertionError) saying which mode, which order,
which argument, what was expected, what we got, and by how much they differ.
"""

from __future__ import annotations

import numpy as np

from ..errors import GradientCheckError
from .forward_mode import jvp
from .reverse_mode import vjp
from .tree import tree_flatten, tree_unflatten

__all__ = ["check_grads", "central_difference", "GradientCheckError"]


# ----------------------------------------------------------------------------------------
# Small helpers on nested structures (leaves are arrays or Python numbers).
# ----------------------------------------------------------------------------------------

def _tree_combine(fn, *trees):
    """Apply fn leaf by leaf to trees of the same structure."""
    leaves, treedef = tree_flatten(trees[0])
    others = [tree_flatten(t)[0] for t in trees[1:]]
    return tree_unflatten(treedef, [fn(*xs) for xs in zip(leaves, *others)])


def _inner(a, b):
    """⟨a, b⟩ = Σ a_i b_i over every leaf of two structures of the same shape."""
    return float(sum(np.sum(np.asarray(x) * np.asarray(y))
                     for x, y in zip(tree_flatten(a)[0], tree_flatten(b)[0])))


def _abs_inner(a, b):
    """⟨|a|, |b|⟩: the size of the terms in ⟨a, b⟩, used to scale the tolerance."""
    return float(sum(np.sum(np.abs(np.asarray(x)) * np.abs(np.asarray(y)))
                     for x, y in zip(tree_flatten(a)[0], tree_flatten(b)[0])))


def _random_like(tree, rng):
    """A standard normal random structure shaped like `tree` (Python floats stay floats)."""
    def draw(x):
        if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
            return float(rng.standard_normal())
        return rng.standard_normal(np.shape(x))
    return _tree_combine(draw, tree)


def _only_leaf(tree, k):
    """`tree` with every leaf except number k replaced by zeros."""
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [x if i == k else 0.0 * np.asarray(x)
                                    for i, x in enumerate(leaves)])


def _leaf_names(tree, prefix):
    """Readable names of the leaves, in `tree_flatten` order: args[0], args[1]['W'], ..."""
    if isinstance(tree, (list, tuple)):
        return [n for i, t in enumerate(tree) for n in _leaf_names(t, f"{prefix}[{i}]")]
    if isinstance(tree, dict):
        return [n for k in sorted(tree) for n in _leaf_names(tree[k], f"{prefix}[{k!r}]")]
    return [prefix]


def _to_float64(x):
    """Low-precision float arrays as float64: central differences need double precision."""
    if isinstance(x, np.ndarray | np.floating) and np.asarray(x).dtype.kind == "f":
        return np.asarray(x, dtype=np.float64)
    return x


def _fmt(x):
    text = np.array2string(np.asarray(x), precision=6, threshold=12, max_line_width=60)
    return text.replace("\n", "\n" + " " * 33)  # continuation lines under the first


# ----------------------------------------------------------------------------------------
# The two checks.
# ----------------------------------------------------------------------------------------

def central_difference(f, x, v, eps=1e-6):
    """(f(x + εv) − f(x − εv)) / 2ε ≈ J_f(x) v, the directional derivative, with error O(ε²).

    `x` and `v` may be arrays, numbers or nested structures of the same shape; so may f(x).
    """
    f_plus = f(_tree_combine(lambda a, b: a + eps * b, x, v))
    f_minus = f(_tree_combine(lambda a, b: a - eps * b, x, v))
    return _tree_combine(lambda p, m: (np.asarray(p) - np.asarray(m)) / (2 * eps),
                         f_plus, f_minus)


def _jvp_mismatch(f, args, v, eps, rtol, atol):
    """None if jvp(f, args, v) ≈ the central difference, else a description of the gap."""
    _, got = jvp(f, args, v)
    expected = central_difference(lambda a: f(*a), args, v, eps)
    got_leaves, expected_leaves = tree_flatten(got)[0], tree_flatten(expected)[0]
    for k, (g, e) in enumerate(zip(got_leaves, expected_leaves)):
        g, e = np.asarray(g, dtype=float), np.asarray(e, dtype=float)
        if g.shape != e.shape:
            return f"output {k}: J·v has shape {g.shape} but the output has shape {e.shape}"
        gap = np.abs(g - e)
        bad = ~(gap <= atol + rtol * np.abs(e))  # NaN counts as bad
        if bad.any():
            worst = np.argmax(np.where(bad, np.nan_to_num(gap, nan=np.inf), -1.0))
            where = tuple(int(i) for i in np.unravel_index(worst, g.shape))
            return (f"output {k}: J·v by jvp differs from the central difference.\n"
                    f"  expected (central difference): {_fmt(e)}\n"
                    f"  got (jvp):                     {_fmt(g)}\n"
                    f"  largest |difference| = {gap[where]:.3g} at index {where}, "
                    f"allowed {atol:g} + {rtol:g}·|expected|")
    return None


def _vjp_mismatch(f, args, v, u, eps, rtol, atol):
    """None if ⟨vjp_fn(u), v⟩ ≈ ⟨u, J v⟩ (J v by central difference), else the gap."""
    _, vjp_fn = vjp(f, *args)
    got = _inner(vjp_fn(u), v)
    jv = central_difference(lambda a: f(*a), args, v, eps)
    expected = _inner(u, jv)
    allowed = atol + rtol * _abs_inner(u, jv)
    if not abs(got - expected) <= allowed:
        return ("the inner-product identity ⟨Jᵀu, v⟩ = ⟨u, J v⟩ fails for random u, v.\n"
                f"  expected ⟨u, J v⟩ (central difference): {expected:.10g}\n"
                f"  got ⟨vjp_fn(u), v⟩:                      {got:.10g}\n"
                f"  |difference| = {abs(got - expected):.3g}, allowed {allowed:.3g}")
    return None


def _check_one(mismatch, args, names, v, what):
    """Run a check along v; on failure, find which argument is wrong and raise."""
    problem = mismatch(v)
    if problem is None:
        return
    culprit = "several arguments together"
    for k, name in enumerate(names):  # check one argument at a time to name the culprit
        one = mismatch(_only_leaf(v, k))
        if one is not None:
            culprit, problem = f"argument {name} (shape {np.shape(tree_flatten(args)[0][k])})", one
            break
    raise GradientCheckError(f"check_grads: {what}, with respect to {culprit}:\n{problem}")


# ----------------------------------------------------------------------------------------
# check_grads: both checks, recursively to higher order.
# ----------------------------------------------------------------------------------------

def check_grads(f, args, modes=("fwd", "rev"), order=2, eps=1e-6, rtol=1e-5, atol=1e-6,
                rng=None):
    """Check the derivatives of f at args against central differences, to `order`.

    fwd: jvp(f, args, v) ≈ (f(args + εv) − f(args − εv)) / 2ε for a random direction v.
    rev: ⟨vjp_fn(u), v⟩ ≈ ⟨u, J v⟩ for random u (shaped like the output) and v.
    order k > 1: repeat with order k − 1 on the derivative maps themselves,
    (args, v) ↦ jvp(f, args, v)[1] and (args, u) ↦ vjp(f, *args)[1](u).

    `args` is a tuple of the arguments of f (arrays, floats, or nested lists/tuples/dicts of
    them); float32 arrays are checked in float64. `rng` (a numpy Generator) draws the random
    directions; by default a fixed seed, so a check gives the same answer every time.
    Raises GradientCheckError (an AssertionError) naming the mode, the order, the argument
    and the size of the discrepancy. Returns None when every check passes.
    """
    if not isinstance(args, tuple):
        raise TypeError("check_grads(f, args): args must be a tuple of f's arguments, "
                        "e.g. check_grads(f, (x,)).")
    rng = np.random.default_rng(0) if rng is None else rng
    args = _tree_combine(_to_float64, args)
    names = _leaf_names(args, "args")
    fname = getattr(f, "__name__", "f")
    _check(f, args, names, tuple(modes), order, 1, fname, eps, rtol, atol, rng)


_MODE_NAMES = {"fwd": "forward mode (JVP)", "rev": "reverse mode (VJP)"}


def _check(f, args, names, modes, order, level, fname, eps, rtol, atol, rng):
    """check_grads at derivative order `level` of the original function (named `fname`).

    Every mode is checked at this order before any is checked at the next, so the error
    reported is the lowest-order one.
    """
    directions = {}
    for mode in modes:
        if mode not in _MODE_NAMES:
            raise ValueError(f"check_grads: unknown mode {mode!r}; use 'fwd' and/or 'rev'.")
        what = f"{_MODE_NAMES[mode]}, order {level}, checking {fname}"
        v = _random_like(args, rng)
        if mode == "fwd":
            _check_one(lambda d: _jvp_mismatch(f, args, d, eps, rtol, atol),
                       args, names, v, what)
            directions[mode] = v
        else:
            u = _random_like(f(*args), rng)
            _check_one(lambda d, u=u: _vjp_mismatch(f, args, d, u, eps, rtol, atol),
                       args, names, v, what)
            directions[mode] = u
    if order <= 1:
        return
    # Each derivative map is itself a function of (args, direction): check its derivatives.
    for mode in modes:
        if mode == "fwd":
            def derivative(primals, tangents):
                return jvp(f, primals, tangents)[1]
            d_names = names + [f"tangent for {n}" for n in names]
            d_fname = f"(x, v) ↦ jvp({fname})"
        else:
            def derivative(primals, cotangent):
                return vjp(f, *primals)[1](cotangent)
            d_names = names + [f"cotangent {n}" for n in _leaf_names(directions[mode], "u")]
            d_fname = f"(x, u) ↦ vjp({fname})"
        _check(derivative, (args, directions[mode]), d_names, modes, order - 1, level + 1,
               d_fname, eps, rtol, atol, rng)
