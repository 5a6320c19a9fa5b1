"""Explorers for synthetic gradients and the feedback-alignment family (notebook 05).

    gradlab.widgets.feedback_explorer()     # method, depth, η → training curves, alignment
    gradlab.widgets.sg_module_explorer()    # SG module kind, label, η, bootstrap → how it learns
    gradlab.widgets.pipeline_explorer()     # L, per-layer costs, update probability → speed-up

Each builder returns a `gradlab.widgets.base.Explorer`; the computing is done by
`gradlab.methods.feedback` / `gradlab.methods.synthetic_gradients`, the drawing by
`gradlab.plots.synthetic_gradients`.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..methods import feedback as fb
from ..methods import synthetic_gradients as sg
from ..plots import synthetic_gradients as P
from .base import Explorer

_STYLE = {"description_width": "initial"}
METRICS = {"cos_delta": "cos(δ, δ of backprop)", "relerr_delta": "relative error of δ",
           "cos_update": "cos(ΔW, ΔW of backprop)", "relerr_update": "relative error of ΔW"}
WIDTH = 64  # hidden units per layer in the widgets: small, so the defaults take seconds


def _setting(method):
    """(task, loss, activation): kickback in its own setting (ReLU, one output, regression of
    the digit's value); every other rule on the 10 classes with tanh."""
    return ("value", "mse", "relu") if method == "kickback" else ("classes", "softmax_ce", "tanh")


def _train(method, depth, lr, epochs, seed, progress=None, setting=None, **options):
    """Train `method` in the setting of `setting` (default: its own) on the digits."""
    from threadpoolctl import threadpool_limits

    task, loss, act = _setting(setting or method)
    data = fb.digits_task(seed=seed, task=task)
    with threadpool_limits(limits=1):  # small matrices: one BLAS thread is fastest
        return fb.train(method, data, hidden=(WIDTH,) * depth, epochs=epochs,
                        rng=np.random.default_rng(1000 + seed), progress=progress, lr=lr,
                        loss=loss, act=act, **options)


def _slim(r):
    return {k: v for k, v in r.items() if k != "network"}


# ----------------------------------------------------------------------------------------
# (a) Method and depth → training curves and per-layer alignment
# ----------------------------------------------------------------------------------------

def training_compute(method="cdni", depth=3, lr=1e-3, epochs=4, seed=0, progress=None):
    """Train `method` and backprop from the same initial weights on the digits (kickback, and
    its backprop, in kickback's setting: ReLU, regression of the digit's value); every step
    records the alignment with backprop."""
    depth, epochs = int(depth), int(epochs)
    steps = {"done": 0}
    total = 2 * epochs if method != "backprop" else epochs

    def tick(done, _total):
        if progress is not None:
            progress(steps["done"] + done, total)

    runs = {}
    if method != "backprop":
        runs[method] = _slim(_train(method, depth, lr, epochs, seed, tick, sg_lr=3e-3))
        steps["done"] = epochs
    runs["backprop"] = _slim(_train("backprop", depth, lr, epochs, seed, tick, setting=method))
    return dict(runs=runs, method=method, depth=depth, lr=lr, epochs=epochs,
                task=_setting(method)[0])


def feedback_explorer():
    """Method (backprop, FA, DFA, kickback, DNI, cDNI, or the control that trains only the output
    layer), depth, learning rate, epochs → training curves beside backprop's and each layer's
    cosine / relative error against backprop's δ. Press Run (a few seconds)."""
    controls = {
        "method": W.Dropdown(options=[(P.METHOD_LABELS[m], m) for m in fb.METHODS + fb.CONTROLS],
                             value="cdni", description="method"),
        "depth": W.IntSlider(value=3, min=1, max=6, description="hidden layers", style=_STYLE,
                             continuous_update=False),
        "lr": W.FloatLogSlider(value=1e-3, base=10, min=-4, max=1, step=0.25,
                               description="learning rate η", style=_STYLE,
                               readout_format=".1e", continuous_update=False),
        "epochs": W.IntSlider(value=4, min=1, max=20, description="epochs",
                              continuous_update=False),
        "seed": W.IntSlider(value=0, min=0, max=9, description="seed",
                            continuous_update=False),
        "metric": W.Dropdown(options=[(v, k) for k, v in METRICS.items()],
                             value="cos_delta", description="show", style=_STYLE),
        "smooth": W.IntSlider(value=10, min=1, max=50, description="smoothing (steps)",
                              style=_STYLE, continuous_update=False),
    }
    return Explorer(controls, training_compute, P.draw_training, view=("metric", "smooth"),
                    run_button=True, figsize=(11, 3.5),
                    title="Where does each layer's error signal come from?")


# ----------------------------------------------------------------------------------------
# (b) The synthetic-gradient module
# ----------------------------------------------------------------------------------------

def sg_module_compute(kind="linear", conditioned=True, sg_lr=3e-3, bootstrap=True, depth=3,
                      epochs=4, lam=1.0, seed=0, progress=None):
    """Train a DNI/cDNI digits MLP (every layer decoupled) and backprop from the same start;
    record each module's regression loss and the cosine of its prediction with ∂L/∂hᵢ."""
    depth, epochs = int(depth), int(epochs)

    def first(done, total):
        if progress is not None:
            progress(done, 2 * total)

    def second(done, total):
        if progress is not None:
            progress(total + done, 2 * total)

    method = "cdni" if conditioned else "dni"
    run = _slim(_train(method, depth, 1e-3, epochs, seed, first, sg_kind=kind, sg_lr=sg_lr,
                       bootstrap=bootstrap, lam=lam))
    base = _train("backprop", depth, 1e-3, epochs, seed, second)
    return dict(run=run, baseline=base["test_error"],
                settings=dict(kind=kind, conditioned=conditioned, sg_lr=sg_lr,
                              bootstrap=bootstrap, depth=depth, lam=lam))


def _draw_sg(fig, result, layer="all", smooth=10):
    n = result["settings"]["depth"]
    chosen = {"all": "all", "top": n, "bottom": 1}[layer]
    return P.draw_sg_modules(fig, result, layer=chosen, smooth=smooth)


def sg_module_explorer():
    """The synthetic-gradient modules: linear or one hidden layer, conditioned on the label or
    not, their learning rate, bootstrapped or true targets, and λ (the share of synthetic
    gradient in what the layers use) → each module's regression loss and how well its
    prediction points along the true gradient, over training. Press Run."""
    controls = {
        "kind": W.ToggleButtons(options=[("linear", "linear"), ("MLP", "mlp")], value="linear",
                                description="module", style=_STYLE),
        "conditioned": W.Checkbox(value=True, description="sees the label (cDNI)"),
        "bootstrap": W.Checkbox(value=True, description="bootstrapped targets"),
        "sg_lr": W.FloatLogSlider(value=3e-3, base=10, min=-5, max=0, step=0.25,
                                  description="module η", style=_STYLE, readout_format=".1e",
                                  continuous_update=False),
        "lam": W.FloatSlider(value=1.0, min=0.0, max=1.0, step=0.05, description="λ (SG share)",
                             style=_STYLE, continuous_update=False),
        "depth": W.IntSlider(value=3, min=1, max=6, description="hidden layers", style=_STYLE,
                             continuous_update=False),
        "epochs": W.IntSlider(value=4, min=1, max=20, description="epochs",
                              continuous_update=False),
        "layer": W.ToggleButtons(options=["all", "top", "bottom"], value="all",
                                 description="modules", style=_STYLE),
        "smooth": W.IntSlider(value=10, min=1, max=50, description="smoothing (steps)",
                              style=_STYLE, continuous_update=False),
    }
    return Explorer(controls, sg_module_compute, _draw_sg, view=("layer", "smooth"),
                    run_button=True, figsize=(11, 3.5),
                    title="How does a synthetic-gradient module learn?")


# ----------------------------------------------------------------------------------------
# (c) The pipeline schedule
# ----------------------------------------------------------------------------------------

def pipeline_compute(n_layers=4, forward=1.0, backward=2.0, sg_cost=0.5, update_prob=1.0,
                     n_batches=5, seed=0):
    """Schedules of locked backprop and DNI on one device per layer, and speed-up curves."""
    L = int(n_layers)
    rng = np.random.default_rng(seed)
    schedules = {
        "locked backprop": sg.pipeline_schedule(L, forward, backward, sg_cost, int(n_batches),
                                                "backprop"),
        f"DNI (p = {update_prob:g})": sg.pipeline_schedule(L, forward, backward, sg_cost,
                                                           int(n_batches), "dni", update_prob,
                                                           rng),
    }
    Ls = list(range(1, max(16, L) + 1))
    probs = sorted({1.0, float(update_prob)}, reverse=True)
    curve = {"L": Ls, "update_probs": probs, "forward": forward, "backward": backward,
             "sg": sg_cost}
    for key in ("total", "work", "parallel"):
        curve[key] = [[sg.speedup_model(n, forward, backward, sg_cost, p)[key] for n in Ls]
                      for p in probs]
    return dict(schedules=schedules, curve=curve,
                model=sg.speedup_model(L, forward, backward, sg_cost, update_prob))


def pipeline_explorer():
    """L layers on L devices: per-layer forward, backward and SG costs and the update
    probability p → the Gantt charts of locked backprop and DNI, or the speed-up against L
    split into parallelism × work per batch."""
    controls = {
        "n_layers": W.IntSlider(value=4, min=1, max=16, description="layers = devices L",
                                style=_STYLE, continuous_update=False),
        "forward": W.FloatSlider(value=1.0, min=0.1, max=5.0, step=0.1, description="forward f",
                                 style=_STYLE, continuous_update=False),
        "backward": W.FloatSlider(value=2.0, min=0.1, max=10.0, step=0.1,
                                  description="backward b", style=_STYLE,
                                  continuous_update=False),
        "sg_cost": W.FloatSlider(value=0.5, min=0.0, max=5.0, step=0.1, description="SG cost s",
                                 style=_STYLE, continuous_update=False),
        "update_prob": W.FloatSlider(value=1.0, min=0.05, max=1.0, step=0.05,
                                     description="update probability p", style=_STYLE,
                                     continuous_update=False),
        "n_batches": W.IntSlider(value=5, min=1, max=12, description="batches", style=_STYLE,
                                 continuous_update=False),
        "show": W.ToggleButtons(options=[("schedule", "schedule"), ("speed-up vs L", "speedup")],
                                value="schedule", description="show", style=_STYLE),
    }
    return Explorer(controls, pipeline_compute, P.draw_pipeline, view=("show",),
                    figsize=(11, 4.2), title="What does update unlocking buy?")
