"""Forward-mode explorer: a function, a point and a direction; the JVP as a tangent line (1-D)
or a directional slope (2-D), against finite differences as the step h shrinks (the V-curve).

    import gradlab.widgets
    gradlab.widgets.forward_mode_explorer()
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..estimators.finite_differences import EXAMPLES, tangent_study
from ..plots.forward_mode import draw_forward_explorer
from .base import Explorer


def forward_mode_study(function, x, y, angle):
    """The explorer's computation: `tangent_study` of EXAMPLES[function] at the chosen point,
    along direction v = 1 (1-D) or v = (cos angle, sin angle) (2-D, angle in degrees)."""
    f, dim = EXAMPLES[function]
    if dim == 1:
        point, direction = np.array(float(x)), np.array(1.0)
    else:
        a = np.deg2rad(angle)
        point, direction = np.array([x, y], dtype=float), np.array([np.cos(a), np.sin(a)])
    study = tangent_study(f, point, direction)
    study["name"] = function
    return study


def forward_mode_explorer(function="x·sin(3x) + 1", x=0.7, y=-0.4, angle=60.0, log10_h=-4.0):
    """Pick a function, a point and a direction: see the tangent (the JVP) and how far forward
    and central differences are from it as h shrinks. Moving h only redraws; moving the
    point or the direction recomputes and moves lines on the kept figure."""
    style = {"description_width": "initial"}
    controls = {
        "function": W.Dropdown(options=list(EXAMPLES), value=function, description="f",
                               style=style),
        "x": W.FloatSlider(value=x, min=-2.0, max=2.0, step=0.05, description="point x",
                           style=style, continuous_update=True),
        "y": W.FloatSlider(value=y, min=-2.0, max=2.0, step=0.05, description="point y (2-D)",
                           style=style),
        "angle": W.FloatSlider(value=angle, min=0.0, max=360.0, step=5.0,
                               description="direction ° (2-D)", style=style),
        "log10_h": W.FloatSlider(value=log10_h, min=-16.0, max=0.0, step=0.25,
                                 description="log₁₀ h", style=style),
    }
    explorer = Explorer(controls, forward_mode_study, draw_forward_explorer, view=("log10_h",),
                        figsize=(10, 3.6), title="Forward mode: the JVP as a tangent, and "
                        "finite differences against it")

    def two_d_only(change=None):
        two_d = EXAMPLES[controls["function"].value][1] == 2
        controls["y"].disabled = controls["angle"].disabled = not two_d

    controls["function"].observe(two_d_only, names="value")
    two_d_only()
    return explorer
