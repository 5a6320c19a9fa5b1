"""Checking what the user passes to a transformation, with errors in the user's terms."""

from __future__ import annotations

import numpy as np

from ..errors import GradlabError, IntegerInputError
from .core import Tracer


def prepare_leaf(x, what):
    """A float array (or an existing tracer) from a user's input leaf, or a clear error."""
    if isinstance(x, Tracer):
        return x
    if isinstance(x, (bool, np.bool_)):
        raise IntegerInputError(f"{what} is a boolean ({x!r}); derivatives need float inputs.")
    if isinstance(x, int):
        return float(x)
    if isinstance(x, float):
        return x
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - exotic objects
        raise GradlabError(f"{what} is a {type(x).__name__}, not an array or a number.") from exc
    if arr.dtype.kind in "iub":
        raise IntegerInputError(
            f"{what} is an integer array of shape {arr.shape} (dtype {arr.dtype}); derivatives "
            "need floats. Pass x.astype(float) or write 1.0 instead of 1.")
    if arr.dtype.kind not in "fc":
        raise GradlabError(f"{what} has dtype {arr.dtype} (shape {arr.shape}); gradlab "
                           "differentiates float arrays and numbers.")
    return arr


def check_same_structure(def_a, def_b, name_a, name_b):
    """Raise a clear error if two nested structures do not match."""
    if def_a != def_b:
        raise GradlabError(f"{name_b} must have the same structure as {name_a} "
                           f"(same nesting of lists/tuples/dicts); got {def_b} vs {def_a}.")
