"""The sweep stepper: walk the reverse sweep (adjoints) or the forward sweep (tangents) over a
drawn computational graph, one node per step.

    import gradlab.widgets
    gradlab.widgets.reverse_sweep_stepper()
"""

from __future__ import annotations

import ipywidgets as W

from ..ad.graph import EXAMPLES, forward_sweep, reverse_sweep, trace_example
from ..plots.reverse_mode import draw_sweep
from .base import Explorer


def sweep_record(expression):
    """The stepper's computation: the expression's graph, its reverse sweep, and one forward
    sweep per input (tangent 1 on that input, 0 on the others)."""
    graph = trace_example(expression)
    n = len(graph.inputs)
    forward = [forward_sweep(graph, [1.0 if j == i else 0.0 for j in range(n)])
               for i in range(n)]
    return {"name": expression, "graph": graph, "reverse": reverse_sweep(graph),
            "forward": forward}


def _draw(fig, record, mode, seed, step):
    sweeps = record["forward"]
    sweep = record["reverse"] if mode == "reverse" else sweeps[min(max(seed, 0), len(sweeps) - 1)]
    draw_sweep(fig, record["graph"], sweep, step)  # drawn once per graph, then recoloured


def _n_steps(record, mode):
    sweep = record["reverse"] if mode == "reverse" else record["forward"][0]
    return len(sweep.steps) - 1


def reverse_sweep_stepper(expression="reused node: b = a + a; c = b + b", mode="reverse"):
    """Step through a sweep over a small graph: each step fills in one node's adjoint (reverse)
    or tangent (forward). Mode, seed and step only redraw."""
    style = {"description_width": "initial"}
    first = sweep_record(expression)
    controls = {
        "expression": W.Dropdown(options=list(EXAMPLES), value=expression,
                                 description="expression", style=style,
                                 layout=W.Layout(width="380px")),
        "mode": W.ToggleButtons(options=[("reverse: adjoints", "reverse"),
                                         ("forward: tangents", "forward")], value=mode,
                                style={"button_width": "130px"}),
        "seed": W.Dropdown(options=_seed_options(first), value=0,
                           description="forward: tangent 1 on", style=style,
                           layout=W.Layout(width="220px")),
        "step": W.IntSlider(value=0, min=0, max=_n_steps(first, mode), description="step",
                            style=style),
    }
    explorer = Explorer(controls, sweep_record, _draw, view=("mode", "seed", "step"),
                        figsize=(10, 4.0), title="Reverse and forward sweeps, step by step")

    def sync(change=None):
        record = explorer.result
        if record is None or record["name"] != controls["expression"].value:
            return
        options = _seed_options(record)
        if list(controls["seed"].options) != options:
            controls["seed"].options = options
            controls["seed"].value = 0
        controls["step"].max = _n_steps(record, controls["mode"].value)
        controls["seed"].disabled = controls["mode"].value != "forward"

    controls["expression"].observe(sync, names="value")
    controls["mode"].observe(sync, names="value")
    sync()
    return explorer


def _seed_options(record):
    graph = record["graph"]
    return [(graph.names[i], k) for k, i in enumerate(graph.inputs)]
