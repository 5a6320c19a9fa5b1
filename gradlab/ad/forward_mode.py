"""Forward mode: carry a tangent beside every value (dual numbers), pushed through JVP rules.

    jvp(f, primals, tangents) = (f(x), J_f(x) v): one pass, no tape.

A `DualTracer` holds a value x and its tangent ẋ. Each primitive y = p(x1, x2, ...) gets
ẏ = Σ_i jvp_rule_i(ẋ_i, y, x1, x2, ...), summed over the arguments being traced.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from . import numpy as gnp
from .core import Tracer, new_level, shape
from .inputs import check_same_structure, prepare_leaf
from .tree import tree_flatten, tree_unflatten


class DualTracer(Tracer):
    """A value and its tangent: the dual number x + ẋ·ε with ε² = 0, for whole arrays."""

    __slots__ = ("tangent",)
    mode = "forward"

    def __init__(self, value, level, tangent):
        super().__init__(value, level)
        self.tangent = tangent

    @classmethod
    def record(cls, prim, ans, args, kwargs, argnums, tracers):
        tangent = None
        for i, tracer in zip(argnums, tracers):
            t = prim.rule("forward", i)(tracer.tangent, ans, *args, **kwargs)
            tangent = t if tangent is None else gnp.add(tangent, t)
        if shape(tangent) != shape(ans):  # an argument was broadcast: so is its tangent
            tangent = gnp.broadcast_to(tangent, shape(ans))
        return cls(ans, tracers[0].level, tangent)


def jvp(f, primals, tangents):
    """Jacobian-vector product: returns (f(*primals), J_f(primals) · tangents).

    `primals` and `tangents` are tuples with one entry per argument of `f`; each entry may be
    an array, a float, or a nested list/tuple/dict of arrays, and tangents match primals.
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp(f, primals, tangents) takes tuples: jvp(f, (x,), (v,)).")
    primal_leaves, treedef = tree_flatten(tuple(primals))
    tangent_leaves, tangent_def = tree_flatten(tuple(tangents))
    check_same_structure(treedef, tangent_def, "primals", "tangents")
    level = new_level()
    boxed = []
    for k, (p, t) in enumerate(zip(primal_leaves, tangent_leaves)):
        p = prepare_leaf(p, f"primal {k}")
        t = prepare_leaf(t, f"tangent {k}")
        if shape(p) != shape(t):
            raise ShapeError(f"jvp: primal {k} has shape {shape(p)} but its tangent has shape "
                             f"{shape(t)}; a tangent must have its primal's shape.")
        boxed.append(DualTracer(p, level, t))
    out = f(*tree_unflatten(treedef, boxed))
    out_leaves, out_def = tree_flatten(out)
    values, out_tangents = [], []
    for o in out_leaves:
        if isinstance(o, DualTracer) and o.level == level:
            values.append(o.value)
            out_tangents.append(o.tangent)
        else:  # this output does not depend on the inputs
            values.append(o)
            out_tangents.append(np.zeros(shape(o)))
    return tree_unflatten(out_def, values), tree_unflatten(out_def, out_tangents)
