"""Exercise 2 check: unbroadcast(g, shape) — sum a gradient back to an argument's shape.

The reference is `gradlab.numpy.unbroadcast`. When a wrong answer comes back we look for the
axes the student *did* sum over (by trying every subset of g's axes), which names the mistake
precisely: "you summed over axis 0 but the argument had shape (1, 4): keep that axis".
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from ..ad.numpy import unbroadcast as _reference
from .runner import (
    Failed,
    NotDone,
    as_array,
    call,
    close,
    describe,
    fmt,
    not_done_reason,
    outcome_or_raise,
    run_check,
)

# (name, g's shape, the argument's shape)
CASES = [
    ("same shape: nothing to sum", (3, 4), (3, 4)),
    ("a new leading axis", (3, 4), (4,)),
    ("a kept axis of length 1", (3, 4), (1, 4)),
    ("a length-1 axis at the end", (3, 4), (3, 1)),
    ("a square g, argument (1, 3)", (3, 3), (1, 3)),
    ("a square g, argument (3, 1)", (3, 3), (3, 1)),
    ("a scalar argument", (2, 3), ()),
    ("leading axis and a length-1 axis", (2, 3, 4), (3, 1)),
    ("three axes, argument (2, 1, 4)", (2, 3, 4), (2, 1, 4)),
    ("a vector to a length-1 vector", (5,), (1,)),
]


def _broadcast_axes(g_shape, shape):
    """(leading axes, kept length-1 axes) along which broadcasting copied the argument."""
    lead = len(g_shape) - len(shape)
    kept = tuple(lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1)
    return tuple(range(lead)), kept


def _axes_words(axes):
    if not axes:
        return "no axis"
    return ("axis " if len(axes) == 1 else "axes ") + ", ".join(map(str, axes))


def _summed_axes(g, got):
    """The subset of g's axes whose sum (any keepdims/reshape) gives `got`, if there is one."""
    for k in range(g.ndim + 1):
        for axes in combinations(range(g.ndim), k):
            s = np.sum(g, axis=axes) if axes else g
            if s.size == got.size and np.allclose(s.ravel(), got.ravel()):
                return axes
            m = np.mean(g, axis=axes) if axes else g
            if axes and m.size == got.size and np.allclose(m.ravel(), got.ravel()):
                return ("mean",) + axes
    return None


def _hint(g, got, shape):
    """(mistake, hint) for a wrong result of unbroadcast(g, shape)."""
    lead, kept = _broadcast_axes(g.shape, shape)
    need = lead + kept
    if got.shape == g.shape and close(got, g):
        return "returned-g", (f"you returned g unchanged; broadcasting copied the argument along "
                              f"{_axes_words(need)} of g, and those copies' gradients must be "
                              "added up")
    summed = _summed_axes(g, got)
    if summed and summed[0] == "mean":
        return "mean-not-sum", (f"you averaged over {_axes_words(summed[1:])}; use a sum: every "
                                "copy made by broadcasting adds its own contribution")
    if summed is not None and tuple(summed) == need and got.shape != shape:
        if got.ndim < len(shape):
            dropped = [i for i, n in enumerate(shape) if n == 1]
            return "dropped-kept-axis", (
                f"you summed over {_axes_words(need)} but the argument had shape {shape}: keep "
                f"its length-1 axis {', '.join(map(str, dropped))} (sum with keepdims=True, or "
                f"reshape the result to {shape})")
        return "wrong-final-shape", (f"you summed over the right axes ({_axes_words(need)}) but "
                                     f"returned shape {got.shape}: reshape the result to {shape}")
    if summed is not None and tuple(summed) != need:
        s = set(summed)
        if not need:
            return "summed-nothing-needed", (f"g already has the argument's shape {shape}: "
                                             "there is nothing to sum; return g as it is")
        if s - set(need):
            extra = tuple(sorted(s - set(need)))
            return "wrong-axes", (
                f"you summed over {_axes_words(summed)}, but the argument was not copied along "
                f"{_axes_words(extra)}; broadcasting copied it along {_axes_words(need)} "
                "(shapes are matched from the last axis)")
        if set(lead) <= s and not set(kept) <= s:
            return "missed-kept-axis", (
                f"you summed over {_axes_words(summed)} but not over "
                f"{_axes_words(tuple(a for a in kept if a not in s))}, where the argument had "
                f"length 1 and g does not: broadcasting copied it there too")
        if set(kept) <= s and not set(lead) <= s:
            return "missed-leading-axis", (
                f"you summed over {_axes_words(summed)} but not over the leading "
                f"{_axes_words(tuple(a for a in lead if a not in s))}, which the argument does "
                "not have (broadcasting prepends axes on the left)")
        return "wrong-axes", (f"you summed over {_axes_words(summed)}, but broadcasting copied "
                              f"the argument along {_axes_words(need)} (shapes are matched from "
                              "the last axis)")
    return None, ("sum g over the axes broadcasting added or stretched: the leading axes the "
                  "argument lacks, and the axes where it has length 1")


def _cases(seed):
    cases = list(CASES)
    if seed is not None:
        rng = np.random.default_rng(seed)
        for k in range(4):
            g_shape = tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(1, 4)))
            keep = int(rng.integers(0, len(g_shape) + 1))
            shape = tuple(n if rng.random() < 0.5 else 1 for n in g_shape[len(g_shape) - keep:])
            cases.append((f"random {k + 1}", g_shape, shape))
    return cases


def _check(fn, seed, timeout):
    reason = not_done_reason(fn, "unbroadcast")
    if reason:
        raise NotDone(reason)
    rng = np.random.default_rng(0 if seed is None else seed)
    cases = _cases(seed)
    for case, g_shape, shape in cases:
        g = np.round(rng.normal(size=g_shape), 2) + 0.0
        g_before = g.copy()
        expected = np.asarray(_reference(g, shape))
        got = outcome_or_raise(call(fn, g, shape, timeout=timeout), "unbroadcast", case)
        if got is None:
            raise NotDone("`unbroadcast` returned None. Is its body still `...`, or is a "
                          "`return` missing?")
        if not isinstance(got, np.ndarray | float | int | np.number):
            raise Failed(f"case '{case}': unbroadcast(g, {shape}) returned {describe(got)}; "
                         f"return a numpy array of shape {shape}.", mistake="wrong-type",
                         case=case)
        got = as_array(got, "unbroadcast", case, shape)
        where = f"case '{case}': g has shape {g_shape}, the argument had shape {shape}."
        if not np.array_equal(g, g_before):
            raise Failed(f"{where}\n  your function changed g in place (e.g. with +=, or "
                         "np.sum(..., out=g)); return a new array instead.",
                         mistake="modified-g", case=case)
        if got.shape != shape or not close(got, expected):
            mistake, hint = _hint(g, got, shape)
            shape_line = (f"\n  expected shape {shape}, got shape {got.shape}"
                          if got.shape != shape else "\n  right shape, wrong values")
            raise Failed(f"{where}{shape_line}\n  g = {fmt(g)}\n  expected: {fmt(expected)}\n"
                         f"  got: {fmt(got)}\n  hint: {hint}.", mistake=mistake, case=case)
    return f"passed all {len(cases)} cases (leading axes, length-1 axes, scalars)."


def unbroadcast(fn, *, seed=None, quiet=False, timeout=10.0):
    """Check unbroadcast(g, shape) on hidden cases (and random ones if a seed is given)."""
    return run_check("unbroadcast", _check, fn, seed, timeout, quiet=quiet)
