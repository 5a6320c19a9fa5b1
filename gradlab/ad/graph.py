"""A function's computational graph, and step-by-step records of both sweeps over it.

`trace(f, *inputs)` runs f once on gradlab's reverse-mode tracers (the tape of
`gradlab.ad.reverse_mode`) and returns a `Graph`: one node per input and per primitive call, in
topological order, each with its value, its parents and the local derivative along each edge,
plus a layered layout for drawing (x = depth, y = position within the layer; pure Python).

`reverse_sweep(graph)` records the reverse sweep one node at a time, in reverse topological
order: at each step one node's adjoint  v̄ = ∂output/∂v  is filled in, as the *sum* over the
edges leaving v of  (child's adjoint) × ∂child/∂v.  A node used twice (b = a + a) receives two
contributions, so the accumulation is visible step by step.

`forward_sweep(graph, direction)` records the forward (tangent) sweep: inputs are seeded with
the direction v, then each node's tangent  v̇ = Σ over its parents of ∂v/∂parent × parent's
tangent  is filled in, in topological order. The output's tangent is the JVP J_f(x) v.

Both sweeps apply the primitives' own JVP and VJP rules from `gradlab.numpy`, exactly as the
engines do, so the final adjoints equal `gradlab.grad` and the final tangents `gradlab.jvp`.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from .core import new_level, shape
from .inputs import prepare_leaf
from .numpy import exp, log, sin, tanh, unbroadcast
from .reverse_mode import Node, TapeTracer, toposort

SYMBOLS = {"add": "+", "subtract": "−", "multiply": "×", "divide": "÷", "power": "^",
           "negative": "neg", "matmul": "@"}


@dataclass
class GraphNode:
    """One value of the computation: an input or the output of one primitive call."""

    id: int
    op: str                 # "input" or the primitive's name ("add", "tanh", ...)
    label: str              # what to print in the node: "a", "+", "× 2", "tanh"
    value: np.ndarray
    parents: list[int]      # one entry per traced argument (a parent used twice appears twice)
    argnums: list[int]      # which argument of the primitive each parent is
    local: list             # ∂self/∂parent per entry (a float for scalars, else None)
    depth: int = 0


@dataclass
class Graph:
    """The nodes in topological order (node i has id i), the inputs, the output and a layout."""

    nodes: list[GraphNode]
    inputs: list[int]
    output: int
    input_names: list[str]
    positions: dict[int, tuple[float, float]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)  # node id -> "a", "v1", ...
    _tape: dict = field(default_factory=dict, repr=False)  # node id -> the whole primitive call

    def children(self, i):
        """(child id, position in the child's parent list) for each edge leaving node i."""
        return [(c.id, k) for c in self.nodes for k, p in enumerate(c.parents) if p == i]

    def edges(self):
        """(parent, child, k) for every edge: `k` indexes the child's parent list."""
        return [(p, c.id, k) for c in self.nodes for k, p in enumerate(c.parents)]


@dataclass
class Term:
    """One contribution summed at a step: `value` = `local` × (adjoint or tangent of `src`).

    In the reverse sweep `src` is a child of `dst` (adjoints flow backwards along the edge);
    in the forward sweep `src` is a parent of `dst`. `local` is ∂child/∂parent on that edge
    (None for arrays), `k` the edge's index in the child's parent list.
    """

    src: int
    dst: int
    k: int
    local: float | None
    value: np.ndarray


@dataclass
class SweepStep:
    """One step of a sweep: which nodes got their final adjoint (or tangent), and how."""

    filled: list[int]                # nodes completed at this step
    terms: list[Term]                # the contributions summed at this step
    values: dict[int, np.ndarray]    # every completed node's adjoint (or tangent) so far
    text: str = ""                   # the step in words and numbers (see `describe`)


@dataclass
class Sweep:
    """A recorded sweep: `kind` is "reverse" (adjoints) or "forward" (tangents)."""

    kind: str
    steps: list[SweepStep]
    direction: tuple | None = None      # the input direction of a forward sweep

    @property
    def final(self):
        """Every node's adjoint (or tangent) at the end of the sweep."""
        return self.steps[-1].values


def fmt(x, digits=3):
    """A short string for a value: a number to `digits` significant figures, or a shape."""
    a = np.asarray(x)
    if a.size == 1:
        v = float(a.reshape(())) + 0.0  # + 0.0 turns -0.0 into 0.0
        return f"{v:.{digits}g}" if np.isfinite(v) else str(v)
    return f"array{a.shape}"


def _label(node_prim, args, argnums):
    """The node's label: the op's symbol, with any constant argument shown ("× 2")."""
    name = node_prim.name
    sym = SYMBOLS.get(name, name)
    consts = [fmt(a) for i, a in enumerate(args) if i not in argnums and np.ndim(a) == 0
              and isinstance(a, (int, float, np.number, np.ndarray))]
    if consts and name in SYMBOLS:
        if argnums == [1] and name in ("subtract", "divide", "power"):
            return f"{consts[0]} {sym} ·"
        return f"{sym} {consts[0]}"
    return sym


def _local_derivative(prim, argnum, ans, args, kwargs):
    """∂ans/∂args[argnum] when both are scalars (via the primitive's JVP rule), else None."""
    if np.size(ans) != 1 or np.size(args[argnum]) != 1:
        return None
    t = prim.rule("forward", argnum)(np.ones_like(np.asarray(args[argnum], dtype=float)),
                                     ans, *args, **kwargs)
    return float(np.asarray(t).reshape(()))


@dataclass
class Call:
    """One primitive call as the sweeps replay it: its output and *all* its arguments."""

    prim: object
    ans: object
    args: tuple
    kwargs: dict


def trace(f, *inputs, names=None, node_names=None):
    """Run f(*inputs) on reverse-mode tracers and return its computational `Graph`.

    Inputs are numbers or arrays; f must return one (scalar or array) value computed with
    gradlab.numpy. `names` labels the inputs (default: the parameter names of f);
    `node_names` optionally names the other nodes, in topological order (default v1, v2, ...).
    """
    if names is None:
        try:
            params = list(inspect.signature(f).parameters)
        except (TypeError, ValueError):
            params = []
        names = params[:len(inputs)] if len(params) >= len(inputs) else [
            f"x{i}" for i in range(len(inputs))]
    created = []  # every primitive call's tape node, in the order f made them
    full = {}  # node -> (ans, args): the whole call, kept for drawing (the tape saves less)

    class _RecordingTracer(TapeTracer):
        __slots__ = ()

        @classmethod
        def record(cls, prim, ans, args, kwargs, argnums, tracers):
            out = super().record(prim, ans, args, kwargs, argnums, tracers)
            created.append(out.node)
            full[out.node] = (ans, tuple(args))
            return out

    level = new_level()
    tracers = []
    for k, x in enumerate(inputs):
        t = _RecordingTracer(prepare_leaf(x, f"input {k}"), level, None)
        t.node = Node(None, (), {}, t.value, (), [])
        tracers.append(t)
    out = f(*tracers)
    if not (isinstance(out, TapeTracer) and out.level == level):
        raise ValueError("trace: the output does not depend on the inputs (or f returned a "
                         "structure); return one value computed from the inputs.")
    input_nodes = [t.node for t in tracers]
    needed = set(toposort([out.node]))  # what the output depends on (dead ends are dropped)
    interior = [n for n in created if n in needed]
    order = input_nodes + interior  # inputs, then evaluation order: a topological order
    index = {id(n): i for i, n in enumerate(order)}
    nodes = []
    for i, n in enumerate(order):
        if n.prim is None:
            k = input_nodes.index(n)
            nodes.append(GraphNode(i, "input", names[k], np.asarray(n.ans, dtype=float),
                                   [], [], []))
            continue
        parents = [index[id(p)] for p in n.parents]
        ans, args = full[n]
        local = [_local_derivative(n.prim, a, ans, args, n.kwargs) for a in n.argnums]
        depth = 1 + max(nodes[p].depth for p in parents)
        nodes.append(GraphNode(i, n.prim.name, _label(n.prim, args, list(n.argnums)),
                               np.asarray(ans, dtype=float), parents, list(n.argnums),
                               local, depth))
    graph = Graph(nodes, list(range(len(inputs))), index[id(out.node)], list(names))
    interior_ids = [n.id for n in nodes if n.op != "input"]
    given = list(node_names or [])
    graph.names = {i: n.label for i, n in enumerate(nodes) if n.op == "input"}
    for k, i in enumerate(interior_ids):
        graph.names[i] = given[k] if k < len(given) else f"v{k + 1}"
    graph._tape = {i: Call(n.prim, *full[n], n.kwargs) for i, n in enumerate(order)
                   if n.prim is not None}
    graph.positions = layout(graph)
    return graph


def layout(graph):
    """Layered positions {id: (x, y)}: x = depth, nodes of a layer spread over y in [-1, 1].

    Within a layer nodes are ordered by the mean height of their parents (the barycentre
    heuristic), which keeps edges from crossing in small graphs.
    """
    layers = {}
    for n in graph.nodes:
        layers.setdefault(n.depth, []).append(n.id)
    pos = {}
    for d in sorted(layers):
        ids = layers[d]
        if d > 0:
            ids.sort(key=lambda i: -np.mean([pos[p][1] for p in graph.nodes[i].parents]))
        m = len(ids)
        for k, i in enumerate(ids):
            pos[i] = (float(d), 0.0 if m == 1 else 1.0 - 2.0 * k / (m - 1))
    return pos


def reverse_sweep(graph):
    """Record the reverse sweep: seed the output's adjoint with 1, then fill in one node per
    step in reverse topological order, each adjoint the sum of its children's contributions."""
    out = graph.nodes[graph.output]
    adjoint = {out.id: np.ones(shape(out.value))}
    steps = [SweepStep([out.id], [], dict(adjoint))]
    for i in reversed(range(len(graph.nodes))):
        if i == out.id:
            continue
        total, terms = np.zeros(shape(graph.nodes[i].value)), []
        for c, k in graph.children(i):
            if c not in adjoint:  # a child not on any path to the output
                continue
            child, tape = graph.nodes[c], graph._tape[c]
            rule = tape.prim.rule("reverse", child.argnums[k])
            contrib = rule(adjoint[c], tape.ans, *tape.args, **tape.kwargs)
            contrib = np.asarray(unbroadcast(contrib, shape(tape.args[child.argnums[k]])))
            total = total + contrib  # accumulate: one term per edge leaving node i
            terms.append(Term(c, i, k, child.local[k], contrib))
        if not terms:
            continue  # does not influence the output (adjoint 0): skipped by the sweep
        adjoint[i] = total
        steps.append(SweepStep([i], terms, dict(adjoint)))
    sweep = Sweep("reverse", steps)
    for k, step in enumerate(steps):
        step.text = describe(graph, sweep, k)
    return sweep


def forward_sweep(graph, direction):
    """Record the forward sweep along `direction` (one tangent per input): seed the inputs,
    then fill in one node's tangent per step, in topological order."""
    direction = tuple(float(d) if np.ndim(d) == 0 else np.asarray(d) for d in direction)
    if len(direction) != len(graph.inputs):
        raise ValueError(f"forward_sweep: {len(graph.inputs)} inputs but a direction with "
                         f"{len(direction)} entries.")
    tangent = {i: np.broadcast_to(np.asarray(d, dtype=float), shape(graph.nodes[i].value))
               for i, d in zip(graph.inputs, direction)}
    steps = [SweepStep(list(graph.inputs), [], dict(tangent))]
    for n in graph.nodes:
        if n.op == "input":
            continue
        tape = graph._tape[n.id]
        total, terms = np.zeros(shape(n.value)), []
        for k, p in enumerate(n.parents):
            rule = tape.prim.rule("forward", n.argnums[k])
            contrib = np.asarray(rule(tangent[p], tape.ans, *tape.args, **tape.kwargs))
            total = total + np.broadcast_to(contrib, shape(n.value))
            terms.append(Term(p, n.id, k, n.local[k], contrib))
        tangent[n.id] = total
        steps.append(SweepStep([n.id], terms, dict(tangent)))
    sweep = Sweep("forward", steps, direction)
    for k, step in enumerate(steps):
        step.text = describe(graph, sweep, k)
    return sweep


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def symbol(graph, i, kind, math=False):
    """The adjoint (kind "reverse": v̄) or tangent ("forward": v̇) of node i, as text.

    A trailing number becomes a subscript: node "p1" gives "p̄₁". With math=True, matplotlib
    mathtext instead (r"$\bar{p}_{1}$").
    """
    name = graph.names.get(i, f"v{i}")
    stem = name.rstrip("0123456789") or name
    sub = name[len(stem):]
    if not math:
        accent = "\u0304" if kind == "reverse" else "\u0307"
        return stem + accent + sub.translate(_SUBSCRIPTS)
    accent = "bar" if kind == "reverse" else "dot"
    return f"$\\{accent}{{{stem}}}" + (f"_{{{sub}}}$" if sub else "$")


def _sum_text(numbers):
    """"1 + 2 - 3" from ["1", "2", "-3"]."""
    out = numbers[0]
    for n in numbers[1:]:
        out += f" - {n[1:]}" if n.startswith("-") else f" + {n}"
    return out


def describe(graph, sweep, k, math=False):
    """Step k of a sweep in symbols and numbers, e.g. "ā = b̄·1 + b̄·1 = 2 + 2 = 4"."""
    step = sweep.steps[k]

    def sym(i):
        return symbol(graph, i, sweep.kind, math)

    if k == 0 and sweep.kind == "reverse":
        (i,) = step.filled
        return f"seed: {sym(i)} = ∂out/∂out = 1"
    if k == 0:
        seeds = ", ".join(f"{sym(i)} = {fmt(step.values[i])}" for i in step.filled)
        return f"seed the inputs with the direction: {seeds}"
    (i,) = step.filled
    parts = []
    for t in step.terms:
        loc = fmt(t.local) if t.local is not None else "∂"
        loc = f"({loc})" if loc.startswith("-") else loc
        parts.append(f"{sym(t.src)}·{loc}" if sweep.kind == "reverse" else f"{loc}·{sym(t.src)}")
    text = f"{sym(i)} = " + " + ".join(parts)
    if len(step.terms) > 1:
        text += " = " + _sum_text([fmt(t.value) for t in step.terms])
    return f"{text} = {fmt(step.values[i])}"


def input_adjoints(graph, sweep):
    """The adjoints of the inputs after a reverse sweep (0 for inputs the output ignores)."""
    return [sweep.final.get(i, np.zeros(shape(graph.nodes[i].value))) for i in graph.inputs]


def output_tangent(graph, sweep):
    """The output's tangent after a forward sweep: the JVP along the sweep's direction."""
    return sweep.final[graph.output]


def _reused(a):
    b = a + a
    c = b + b
    return c


def _neuron(w1, x1, w2, x2, b):
    return tanh(w1 * x1 + w2 * x2 + b)


def _x_sin_x(x):
    return x * sin(x) + 1.0 / x


def _a_b_plus_a(a, b):
    return a * b + a


def _softplus_of_product(a, b):
    return log(1.0 + exp(a * b))


# Small expressions to step through: name -> (function, input values, names of the other nodes).
EXAMPLES = {
    "reused node: b = a + a; c = b + b": (_reused, (1.0,), ["b", "c"]),
    "neuron: tanh(w1·x1 + w2·x2 + b)": (_neuron, (0.5, 1.0, -0.3, 2.0, 0.4),
                                        ["p1", "p2", "s", "z", "y"]),
    "a·b + a  (a used twice)": (_a_b_plus_a, (2.0, -3.0), ["p", "y"]),
    "x·sin(x) + 1/x": (_x_sin_x, (1.3,), None),
    "log(1 + exp(a·b))": (_softplus_of_product, (0.8, -1.5), None),
}


def trace_example(name):
    """The `Graph` of one of the `EXAMPLES`, by name."""
    f, inputs, node_names = EXAMPLES[name]
    return trace(f, *inputs, node_names=node_names)
