"""Nested structures ("pytrees"): a network's parameters as lists, tuples and dicts of arrays.

`tree_flatten` turns a structure into a flat list of leaves plus a description of its shape;
`tree_unflatten` puts leaves back. Every transformation flattens its inputs, works on the
leaves, and unflattens the result, so gradients come back in the structure they went in.
"""

from __future__ import annotations


def tree_flatten(tree):
    """Return (leaves, treedef): leaves are the non-container values, in a fixed order."""
    leaves = []
    treedef = _flatten(tree, leaves)
    return leaves, treedef


def _flatten(tree, leaves):
    if isinstance(tree, (list, tuple)):
        return (type(tree), [_flatten(t, leaves) for t in tree])
    if isinstance(tree, dict):
        keys = sorted(tree)
        return (dict, keys, [_flatten(tree[k], leaves) for k in keys])
    leaves.append(tree)
    return None


def tree_unflatten(treedef, leaves):
    """Inverse of `tree_flatten`: rebuild the structure from a flat list of leaves."""
    it = iter(leaves)
    out = _unflatten(treedef, it)
    return out


def _unflatten(treedef, it):
    if treedef is None:
        return next(it)
    if treedef[0] is dict:
        _, keys, children = treedef
        return {k: _unflatten(c, it) for k, c in zip(keys, children)}
    kind, children = treedef
    return kind(_unflatten(c, it) for c in children)


def tree_map(fn, tree, *rest):
    """Apply `fn` leaf by leaf to one or more structures of the same shape."""
    leaves, treedef = tree_flatten(tree)
    others = [tree_flatten(r)[0] for r in rest]
    return tree_unflatten(treedef, [fn(*xs) for xs in zip(leaves, *others)])


def tree_leaves(tree):
    """The leaves of a structure, in the order `tree_flatten` uses."""
    return tree_flatten(tree)[0]
