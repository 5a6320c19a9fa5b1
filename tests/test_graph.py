"""gradlab.ad.graph: traced graphs, the recorded sweeps (against gradlab.grad / jvp and
autograd)."""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import gradlab
import gradlab.numpy as gnp
from gradlab.ad.graph import (
    EXAMPLES,
    forward_sweep,
    input_adjoints,
    output_tangent,
    reverse_sweep,
    trace,
    trace_example,
)


def _grad_all(f, inputs):
    g = gradlab.grad(f, argnums=tuple(range(len(inputs))))(*inputs)
    return [np.asarray(x) for x in g]


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_final_adjoints_equal_gradlab_grad(name):
    f, inputs, _ = EXAMPLES[name]
    graph = trace_example(name)
    sweep = reverse_sweep(graph)
    for got, expected in zip(input_adjoints(graph, sweep), _grad_all(f, inputs)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_final_tangents_equal_gradlab_jvp(name):
    f, inputs, _ = EXAMPLES[name]
    graph = trace_example(name)
    rng = np.random.default_rng(1)
    directions = [tuple(np.eye(len(inputs))[k]) for k in range(len(inputs))]
    directions.append(tuple(rng.normal(size=len(inputs))))
    for v in directions:
        sweep = forward_sweep(graph, v)
        _, expected = gradlab.jvp(f, tuple(inputs), tuple(float(t) for t in v))
        np.testing.assert_allclose(output_tangent(graph, sweep), expected, rtol=1e-12,
                                   atol=1e-15)
        # every intermediate tangent too: node i's tangent is the JVP of the sub-expression
        # that computes node i from the inputs
        assert set(sweep.final) == {n.id for n in graph.nodes}
        for n in graph.nodes:
            _, sub = gradlab.jvp(_replay(graph, n.id), tuple(inputs),
                                 tuple(float(t) for t in v))
            np.testing.assert_allclose(sweep.final[n.id], sub, rtol=1e-12, atol=1e-15)


def _replay(graph, target):
    """The function inputs -> value of node `target`, re-running the recorded primitives."""
    def sub_expression(*xs):
        vals = dict(zip(graph.inputs, xs))
        for n in graph.nodes:
            if n.id in vals:
                continue
            tape = graph._tape[n.id]
            args = list(tape.args)
            for k, p in enumerate(n.parents):
                args[n.argnums[k]] = vals[p]
            vals[n.id] = tape.prim(*args, **tape.kwargs)
        return vals[target]
    return sub_expression


def test_against_autograd_on_the_neuron():
    def neuron(w1, x1, w2, x2, b, np_=anp):
        return np_.tanh(w1 * x1 + w2 * x2 + b)

    args = (0.5, 1.0, -0.3, 2.0, 0.4)
    graph = trace(lambda *a: neuron(*a, np_=gnp), *args, names=["w1", "x1", "w2", "x2", "b"])
    got = input_adjoints(graph, reverse_sweep(graph))
    expected = [autograd.grad(neuron, k)(*args) for k in range(5)]
    np.testing.assert_allclose(np.array(got, dtype=float), expected, rtol=1e-12)


def test_reused_node_shows_accumulation_step_by_step():
    graph = trace_example("reused node: b = a + a; c = b + b")
    names = [graph.names[n.id] for n in graph.nodes]
    assert names == ["a", "b", "c"]
    assert graph.nodes[1].parents == [0, 0] and graph.nodes[2].parents == [1, 1]
    sweep = reverse_sweep(graph)
    assert [s.filled for s in sweep.steps] == [[2], [1], [0]]
    seed, step_b, step_a = sweep.steps
    assert float(seed.values[2]) == 1.0
    # b receives two contributions of 1 (c = b + b uses b twice) and sums them
    assert [float(t.value) for t in step_b.terms] == [1.0, 1.0]
    assert float(step_b.values[1]) == 2.0
    # a receives two contributions of 2: dc/da = 4, not 1 or 2
    assert [float(t.value) for t in step_a.terms] == [2.0, 2.0]
    assert float(step_a.values[0]) == 4.0
    assert "= 2 + 2 = 4" in step_a.text
    # a step only knows the adjoints filled in so far
    assert set(step_b.values) == {2, 1}
    fwd = forward_sweep(graph, (1.0,))
    assert [float(fwd.steps[k].values[k]) for k in range(3)] == [1.0, 2.0, 4.0]


def test_nodes_in_topological_order_with_values_and_labels():
    graph = trace(lambda x, y: gnp.sin(x * y) + 2.0 * x - y / 3.0, 0.4, -1.1)
    assert graph.inputs == [0, 1]
    assert graph.output == len(graph.nodes) - 1
    for n in graph.nodes:
        assert all(p < n.id for p in n.parents)
        assert n.depth == (0 if n.op == "input" else 1 + max(graph.nodes[p].depth
                                                             for p in n.parents))
    assert float(graph.nodes[graph.output].value) == pytest.approx(
        np.sin(0.4 * -1.1) + 0.8 + 1.1 / 3.0)
    labels = [n.label for n in graph.nodes]
    assert "× 2" in labels and "÷ 3" in labels and "sin" in labels
    # local derivative on the edge x·y -> sin is cos(x·y)
    sin_node = next(n for n in graph.nodes if n.op == "sin")
    assert sin_node.local[0] == pytest.approx(np.cos(0.4 * -1.1))


def test_layout_layers_by_depth_and_keeps_nodes_apart():
    graph = trace_example("neuron: tanh(w1·x1 + w2·x2 + b)")
    pos = graph.positions
    assert set(pos) == {n.id for n in graph.nodes}
    for n in graph.nodes:
        assert pos[n.id][0] == n.depth
        assert -1.0 <= pos[n.id][1] <= 1.0
    assert len(set(pos.values())) == len(pos)  # no two nodes on the same spot
    # barycentre ordering: p1 (from w1, x1, at the top) sits above p2 (from w2, x2)
    p1 = next(i for i, s in graph.names.items() if s == "p1")
    p2 = next(i for i, s in graph.names.items() if s == "p2")
    assert pos[p1][1] > pos[p2][1]


def test_arrays_and_broadcasting_unbroadcast_in_the_sweep():
    def f(w, x, b):
        return gnp.sum(gnp.tanh(w * x + b) ** 2)

    w = np.array([0.3, -0.7, 1.1])
    x = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 0.2]])
    b = np.array(0.1)
    graph = trace(f, w, x, b)
    got = input_adjoints(graph, reverse_sweep(graph))
    for g, e in zip(got, _grad_all(f, (w, x, b))):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-12)
    v = (np.ones(3), np.zeros((2, 3)), np.array(1.0))
    sweep = forward_sweep(graph, v)
    np.testing.assert_allclose(output_tangent(graph, sweep), gradlab.jvp(f, (w, x, b), v)[1],
                               rtol=1e-12)
    assert all(n.local == [None] * len(n.parents) for n in graph.nodes if n.op == "multiply")


def test_dead_branch_is_not_in_the_graph_and_unused_input_gets_zero():
    def f(a, b):
        _ = gnp.exp(a) * 3.0  # computed, but the output does not depend on it
        return a * a

    graph = trace(f, 1.5, 2.0)
    assert [n.op for n in graph.nodes] == ["input", "input", "multiply"]
    adj = input_adjoints(graph, reverse_sweep(graph))
    assert float(adj[0]) == 3.0 and float(adj[1]) == 0.0


def test_output_must_depend_on_inputs():
    with pytest.raises(ValueError, match="does not depend"):
        trace(lambda a: 3.0, 1.0)


def test_forward_sweep_checks_direction_length():
    graph = trace_example("a·b + a  (a used twice)")
    with pytest.raises(ValueError, match="2 inputs"):
        forward_sweep(graph, (1.0,))
