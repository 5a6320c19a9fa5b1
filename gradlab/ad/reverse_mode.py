"""Reverse mode: record a tape of primitive calls, then sweep it backwards with VJP rules.

    vjp(f, x) = (f(x), u ↦ uᵀ J_f(x))   one backward sweep gives the gradient of a scalar.

Running f on `TapeTracer`s records a `Node` per primitive call (the tape). The backward sweep
visits the nodes in reverse topological order, so each node's cotangent (adjoint) is complete
before it is passed on, and *adds* the contributions of every path: a value used twice gets
two contributions. Broadcasting in the forward pass is undone by `unbroadcast`.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from . import numpy as gnp
from .core import Tracer, new_level, shape
from .inputs import check_same_structure, prepare_leaf
from .numpy import unbroadcast
from .tree import tree_flatten, tree_unflatten


class Node:
    """One entry of the tape: which primitive ran, on what, what it returned, and its parents.

    Only what the primitive's VJP rules read is kept (`prim.saves`); the rest is None, so the
    intermediates no rule needs are freed during the forward pass. `shapes` holds the traced
    arguments' shapes, for `unbroadcast`.
    """

    __slots__ = ("prim", "args", "kwargs", "ans", "argnums", "parents", "shapes")

    def __init__(self, prim, args, kwargs, ans, argnums, parents, shapes=()):
        self.prim = prim
        self.args = args
        self.kwargs = kwargs
        self.ans = ans
        self.argnums = argnums
        self.parents = parents
        self.shapes = shapes


class TapeTracer(Tracer):
    """A value recorded on the tape: `node` says how it was computed."""

    __slots__ = ("node",)
    mode = "reverse"

    def __init__(self, value, level, node):
        super().__init__(value, level)
        self.node = node

    @classmethod
    def record(cls, prim, ans, args, kwargs, argnums, tracers):
        saves = prim.saves
        node = Node(prim,
                    tuple(args) if "args" in saves else (None,) * len(args),
                    kwargs,
                    ans if "ans" in saves else None,
                    argnums,
                    [t.node for t in tracers],
                    [shape(args[i]) for i in argnums])
        return cls(ans, tracers[0].level, node)


def toposort(roots):
    """Every node reachable from `roots`, each after all of its parents (no recursion)."""
    order, visited = [], set()
    stack = [(root, False) for root in roots]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents if p not in visited)
    return order


def backward(roots, cotangents):
    """Sweep the tape from `roots` (seeded with `cotangents`); return every node's cotangent."""
    adjoint = {}
    for root, ct in zip(roots, cotangents):
        adjoint[root] = gnp.add(adjoint[root], ct) if root in adjoint else ct
    for node in reversed(toposort(roots)):
        g = adjoint.get(node)
        if g is None or node.prim is None:  # unreached, or an input (a leaf): nothing to pass on
            continue
        for argnum, parent, arg_shape in zip(node.argnums, node.parents, node.shapes):
            rule = node.prim.rule("reverse", argnum)
            contribution = rule(g, node.ans, *node.args, **node.kwargs)
            contribution = unbroadcast(contribution, arg_shape)
            if parent in adjoint:
                adjoint[parent] = gnp.add(adjoint[parent], contribution)  # accumulate
            else:
                adjoint[parent] = contribution
        del adjoint[node]  # done with it: free memory as the sweep goes
    return adjoint


def vjp(f, *primals):
    """Vector-Jacobian product: returns (f(*primals), vjp_fn) with vjp_fn(u) = uᵀ J_f.

    `vjp_fn(cotangent)` returns a tuple with one entry per primal, in the primal's structure.
    """
    leaves, treedef = tree_flatten(primals)
    level = new_level()
    inputs = [TapeTracer(prepare_leaf(x, f"argument {k}"), level, None)
              for k, x in enumerate(leaves)]
    for tracer in inputs:
        tracer.node = Node(None, (), {}, tracer.value, (), [])  # a leaf of the tape
    out = f(*tree_unflatten(treedef, inputs))
    out_leaves, out_def = tree_flatten(out)
    values = [o.value if isinstance(o, TapeTracer) and o.level == level else o
              for o in out_leaves]

    def vjp_fn(cotangent):
        ct_leaves, ct_def = tree_flatten(cotangent)
        check_same_structure(out_def, ct_def, "the output", "the cotangent")
        roots, seeds = [], []
        for k, (o, ct) in enumerate(zip(out_leaves, ct_leaves)):
            if shape(ct) != shape(o):
                raise ShapeError(f"vjp_fn: output {k} has shape {shape(o)} but the cotangent "
                                 f"has shape {shape(ct)}; they must match.")
            if isinstance(o, TapeTracer) and o.level == level:
                roots.append(o.node)
                seeds.append(ct)
        adjoint = backward(roots, seeds)
        grads = [adjoint.get(t.node) for t in inputs]
        grads = [np.zeros(shape(t.value)) if g is None else g for g, t in zip(grads, inputs)]
        return tuple(tree_unflatten(treedef, grads))

    return tree_unflatten(out_def, values), vjp_fn
