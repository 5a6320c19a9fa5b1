"""Explorer for the cost of a full Jacobian: forward vs reverse mode, measured live.

    gradlab.widgets.jacobian_cost_explorer()

Measuring sits behind the Run button (with a progress bar); the display controls (time or
ratio, log axes, the crossover marker) only redraw the measured result.
"""

from __future__ import annotations

import ipywidgets as W

from ..ad import cost
from ..plots.cost import draw_jacobian_cost_widget
from .base import Explorer

SIZE_LIMITS = (8, 16, 32, 64, 128, 256)


def measure(fixed=16, largest=64, hidden=32, repeat=5, clock="wall", progress=None):
    """Both sweeps (n grows with m = fixed, m grows with n = fixed) over 1, 2, 4, ..., largest."""
    sizes = [2 ** k for k in range(int(largest).bit_length()) if 2 ** k <= largest]
    return cost.jacobian_cost(sizes, fixed, hidden, repeat, seed=0, progress=progress,
                              clock=clock)


def jacobian_cost_explorer():
    """Time jacfwd and jacrev as n and m vary; see where they cross."""
    style = {"description_width": "initial"}
    controls = {
        "fixed": W.IntSlider(value=16, min=1, max=64, description="fixed size (m, then n)",
                             style=style, continuous_update=False),
        "largest": W.Dropdown(options=SIZE_LIMITS, value=64, description="largest size",
                              style=style),
        "hidden": W.Dropdown(options=(4, 8, 32, 128, 512), value=32, description="hidden width",
                             style=style),
        "repeat": W.IntSlider(value=5, min=1, max=9, description="repeats (best of)",
                              style=style, continuous_update=False),
        "clock": W.Dropdown(options=[("wall clock", "wall"), ("CPU time (this thread)", "cpu")],
                            value="wall", description="clock", style=style),
        "show": W.ToggleButtons(options=[("time", "time"), ("jacfwd / jacrev", "ratio")],
                                value="time", description="show", style=style),
        "log_x": W.Checkbox(value=True, description="log x"),
        "log_y": W.Checkbox(value=True, description="log y"),
        "crossover": W.Checkbox(value=True, description="mark crossover"),
    }
    return Explorer(controls, measure, draw_jacobian_cost_widget,
                    view=("show", "log_x", "log_y", "crossover"), run_button=True,
                    figsize=(10, 4),
                    title="Full Jacobian: n JVPs (forward) vs m VJPs (reverse)")
