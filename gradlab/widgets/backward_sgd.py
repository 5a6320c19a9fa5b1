"""Explorers for backward-SGD: the same SGD steps composed forwards or backwards.

    gradlab.widgets.backward_sgd_explorer()     # 2-D least squares: cloud vs converging path
    gradlab.widgets.digits_order_explorer()     # digits MLP, forward vs windowed backward SGD

The 2-D explorer recomputes at once (its defaults take well under a second; backward SGD there
costs N(N+1)/2 gradient evaluations of a 2-parameter problem). The digits explorer trains a
network, so it waits for its Run button and shows progress. A learning rate too large for
either problem is drawn as a divergence ("diverged at step k"), never raised.
"""

from __future__ import annotations

import ipywidgets as W

from ..methods.backward_sgd import WINDOW_MODES, digits_orders, orders_2d
from ..plots.backward_sgd import draw_digits_view, draw_orders_view
from .base import Explorer

STYLE = {"description_width": "initial"}


def orders_2d_compute(lr, batch_size, window, mode, seed, n_steps):
    """The 2-D explorer's computation (see `gradlab.methods.backward_sgd.orders_2d`)."""
    return orders_2d(lr=lr, batch_size=batch_size, window=window, mode=mode, seed=seed,
                     n_steps=n_steps)


def backward_sgd_explorer(lr=0.5, batch_size=1, window=4, mode="sliding", seed=0, n_steps=120):
    """Forward vs backward SGD on a 2-D noisy least-squares problem.

    Forward SGD (orange) is a cloud that never settles; backward SGD (blue), recomputed from θ₀
    with the newest batch applied first, converges to a point whose step sizes shrink at the
    predicted geometric rate; the windowed variant (green) sits in between, at k evaluations per
    step. The legend counts the gradient evaluations each one spent.
    """
    controls = {
        "lr": W.FloatSlider(value=lr, min=0.01, max=3.0, step=0.01, description="η",
                            style=STYLE, continuous_update=False),
        "batch_size": W.IntSlider(value=batch_size, min=1, max=16, description="batch size",
                                  style=STYLE, continuous_update=False),
        "window": W.IntSlider(value=window, min=1, max=32, description="window k",
                              style=STYLE, continuous_update=False),
        "mode": W.Dropdown(options=list(WINDOW_MODES), value=mode, description="windowed",
                           style=STYLE),
        "seed": W.IntSlider(value=seed, min=0, max=20, description="seed", style=STYLE,
                            continuous_update=False),
        "n_steps": W.IntSlider(value=n_steps, min=10, max=200, step=10, description="steps N",
                               style=STYLE, continuous_update=False),
        "show_cloud": W.Checkbox(value=True, description="backward limits of other seeds"),
        "show_windowed": W.Checkbox(value=True, description="windowed variant"),
        "log_steps": W.Checkbox(value=True, description="log steps"),
    }
    return Explorer(controls, orders_2d_compute, draw_orders_view,
                    view=("show_cloud", "show_windowed", "log_steps"), figsize=(11, 4.6),
                    title="Backward SGD: the same steps, composed newest-first from θ₀")


def digits_compute(lr, window, mode, n_steps, seed, backward_steps, progress=None):
    """The digits explorer's computation: forward SGD (long enough for equal compute), one
    windowed variant and optionally a short full backward run, on the same batches."""
    return digits_orders(lr=lr, n_steps=n_steps, batch_size=16, windows=(window,),
                         modes=(mode,), backward_steps=backward_steps, seed=seed,
                         progress=progress)


def digits_order_explorer(lr=0.6, window=4, mode="blocked", n_steps=100, seed=0,
                          backward_steps=0):
    """Forward vs windowed backward SGD on a small MLP for the 8×8 digits, at a large η.

    Press Run after changing a setting. "x axis" switches between equal steps and equal
    gradient evaluations (forward SGD is run long enough to match the windowed variant's
    budget) without recomputing.
    """
    controls = {
        "lr": W.FloatSlider(value=lr, min=0.05, max=5.0, step=0.05, description="η",
                            style=STYLE, continuous_update=False),
        "window": W.IntSlider(value=window, min=1, max=16, description="window k", style=STYLE,
                              continuous_update=False),
        "mode": W.Dropdown(options=list(WINDOW_MODES), value=mode, description="windowed",
                           style=STYLE),
        "n_steps": W.IntSlider(value=n_steps, min=20, max=400, step=20, description="steps",
                               style=STYLE, continuous_update=False),
        "seed": W.IntSlider(value=seed, min=0, max=10, description="seed", style=STYLE,
                            continuous_update=False),
        "backward_steps": W.IntSlider(value=backward_steps, min=0, max=60, step=10,
                                      description="full backward steps", style=STYLE,
                                      continuous_update=False),
        "x_axis": W.ToggleButtons(options=["steps", "gradient evaluations"], value="steps",
                                  description="x axis", style=STYLE),
        "log_loss": W.Checkbox(value=True, description="log loss"),
    }
    return Explorer(controls, digits_compute, draw_digits_view, view=("x_axis", "log_loss"),
                    run_button=True, figsize=(13, 4),
                    title="Digits MLP: forward vs windowed backward SGD")
