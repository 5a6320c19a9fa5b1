"""Explorers for forward gradients (notebook 04).

    gradlab.widgets.forward_gradient_cosine_explorer()   # n, K, distribution → histogram
    gradlab.widgets.beale_rosenbrock_explorer()             # Beale / Rosenbrock, η, seed → paths
    gradlab.widgets.digits_training_explorer()           # MLP / log-reg training curves

Each builder returns a `gradlab.widgets.base.Explorer`; the computing is done by
`gradlab.methods.forward_gradient` and the drawing by `gradlab.plots.forward_gradient`.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..methods import forward_gradient as fg
from ..models.test_functions import FUNCTIONS
from ..plots import forward_gradient as P
from ..plots.kept import keep, keep_choice
from .base import Explorer

DIMENSIONS = (2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
DIRECTIONS = (1, 2, 4, 8, 16, 32, 64)
_STYLE = {"description_width": "initial"}


# Fixed margins (fractions of the figure) instead of constrained layout: measuring every tick
# label to place the axes took about half of each full redraw.
PANELS_MARGINS = dict(left=0.075, right=0.975, bottom=0.12, top=0.88, wspace=0.22)
HISTOGRAM_MARGINS = dict(left=0.1, right=0.98, bottom=0.13, top=0.91)


# ----------------------------------------------------------------------------------------
# (a) The distribution of the forward gradient at one point.
# ----------------------------------------------------------------------------------------

def cosine_compute(n=100, K=1, distribution="gaussian", seed=0):
    """Forward gradients of a smooth f at a random point (all JVPs by our forward mode).

    The number of samples shrinks for large n·K (2000 down to 100) so that every setting
    answers in a second or two.
    """
    n_samples = int(min(2000, max(100, 1e7 / (n * K))))
    return fg.cosine_samples(int(n), int(K), distribution, n_samples, int(seed))


def forward_gradient_cosine_explorer():
    """Dimension n, number of directions K and their distribution → histogram of the cosine (or
    the relative error) to the true gradient, with the closed form overlaid."""
    controls = {
        "n": W.SelectionSlider(options=DIMENSIONS, value=100, description="dimension n",
                               style=_STYLE, continuous_update=False),
        "K": W.SelectionSlider(options=DIRECTIONS, value=1, description="directions K",
                               style=_STYLE, continuous_update=False),
        "distribution": W.ToggleButtons(options=["gaussian", "rademacher"], value="gaussian",
                                        description="v ~", style=_STYLE),
        "seed": W.IntSlider(value=0, min=0, max=20, description="seed",
                            continuous_update=False),
        "quantity": W.ToggleButtons(options=[("cosine", "cosine"),
                                             ("relative error", "relative error")],
                                    value="cosine", description="show", style=_STYLE),
    }
    return Explorer(controls, cosine_compute, _draw_histogram, view=("quantity",),
                    figsize=(8, 3.8), title="How good is one forward gradient?")


# ----------------------------------------------------------------------------------------
# (b) Beale and Rosenbrock.
# ----------------------------------------------------------------------------------------

def paths_compute(function="beale", lr=0.01, steps=1000, K=1, n_seeds=5, seed=0,
                          progress=None):
    """GD and n_seeds forward-gradient runs on a 2-D test function (see
    `forward_gradient.compare_on_test_function`)."""
    return fg.compare_on_test_function(function, lr=lr, steps=steps, n_seeds=n_seeds, K=K,
                                       first_seed=seed, progress=progress)


def _draw_test_function(fig, result, x_axis="iteration"):
    """`P.draw_test_function` with fixed margins, kept: the contour panel and the title are
    drawn once per result; the loss panel is drawn once per x axis, both in the same place, and
    marked animated, so a switch redraws that panel only (blitted)."""
    def build(fig):
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw=PANELS_MARGINS)
        P.draw_contour_paths(ax1, result)
        fig.suptitle(P.test_function_title(result), fontsize=10)
        loss = {"iteration": ax2, "time": fig.add_subplot(ax2.get_subplotspec())}
        for choice, ax in loss.items():
            P.draw_loss_curves(ax, result, choice)
            ax.set_animated(True)
        return loss

    fig.set_layout_engine("none")
    for choice, ax in keep(fig, (result,), build).items():
        ax.set_visible(choice == x_axis)


def _draw_histogram(fig, result, quantity="cosine"):
    """`P.draw_cosine_histogram` with fixed margins, one kept drawing per quantity."""
    def build(sub):
        ax = sub.subplots(gridspec_kw=HISTOGRAM_MARGINS)
        P.draw_cosine_histogram(sub, result, quantity=quantity, ax=ax)

    fig.set_layout_engine("none")
    keep_choice(fig, (result,), quantity, build)


def beale_rosenbrock_explorer():
    """Beale or Rosenbrock: gradient descent and forward-gradient descent from the standard
    start; learning rate, steps, K, number of seeds. Press Run (Rosenbrock's 25,000 steps take
    a few seconds); choosing a function resets η and steps to the reproductions' values."""
    controls = {
        "function": W.Dropdown(options=list(FUNCTIONS), value="beale", description="function"),
        "lr": W.FloatLogSlider(value=0.01, base=10, min=-5, max=0, step=0.1,
                               description="learning rate η", style=_STYLE, readout_format=".1e",
                               continuous_update=False),
        "steps": W.SelectionSlider(options=(100, 300, 1000, 3000, 10_000, 25_000), value=1000,
                                   description="steps", continuous_update=False),
        "K": W.SelectionSlider(options=(1, 2, 4, 8), value=1, description="directions K",
                               style=_STYLE, continuous_update=False),
        "n_seeds": W.IntSlider(value=5, min=1, max=10, description="FGD seeds", style=_STYLE,
                               continuous_update=False),
        "seed": W.IntSlider(value=0, min=0, max=100, description="first seed", style=_STYLE,
                            continuous_update=False),
        "x_axis": W.ToggleButtons(options=[("iterations", "iteration"), ("time", "time")],
                                  value="iteration", description="x axis", style=_STYLE),
    }

    def reset_defaults(change):
        tf = FUNCTIONS[change["new"]]
        controls["lr"].value = tf.lr
        controls["steps"].value = tf.steps

    controls["function"].observe(reset_defaults, names="value")
    return Explorer(controls, paths_compute, _draw_test_function, view=("x_axis",),
                    run_button=True, figsize=(11, 4.2),
                    title="Gradient descent vs forward-gradient descent")


# ----------------------------------------------------------------------------------------
# (c) Digits: MLP and logistic regression.
# ----------------------------------------------------------------------------------------

METHOD_LABELS = ("backprop", "forward K=1", "forward K=4", "activity")


def digits_compute(model="mlp", methods=("backprop", "forward K=1", "activity"),
                   lr_scale=1.0, steps=200, n_seeds=2, progress=None):
    """Train `model` by the chosen methods for n_seeds seeds, each at its own tuned learning
    rate (`fg.DIGITS_METHODS`) times lr_scale.

    This is not the paper's protocol: Baydin et al. train backprop and forward gradient with
    one common η₀; here every method keeps its own tuned rate and lr_scale multiplies them all.
    """
    specs = []
    for spec in fg.DIGITS_METHODS[model]:
        if spec["label"] in methods:
            spec = dict(spec)
            spec["lr"] = spec["lr"] * float(lr_scale)
            specs.append(spec)
    return fg.compare_digits_methods(model, specs=specs, steps=int(steps),
                                     seeds=range(int(n_seeds)), progress=progress)


def _draw_digits(fig, result, metric="both", x_axis="iteration"):
    """`P.draw_digits_curves` with fixed margins, one kept drawing per (metric, x axis)."""
    def build(sub):
        if not result["runs"]:
            sub.text(0.5, 0.5, "choose at least one method", ha="center", va="center")
            return
        keys = P.digits_keys(metric)
        axes = np.atleast_1d(sub.subplots(1, len(keys), gridspec_kw=PANELS_MARGINS))
        P.digits_lines(axes, result, keys, x_axis)
        P.digits_y_axes(axes, keys)
        sub.suptitle(P.digits_suptitle(result), fontsize=10)

    fig.set_layout_engine("none")
    keep_choice(fig, (result,), (metric, x_axis), build)


def digits_training_explorer():
    """Training curves on the 8×8 digits: backprop vs forward gradients vs activity-perturbed
    forward gradients, against iterations or (our engines') CPU time. Press Run.

    The learning-rate slider multiplies each method's own tuned rate (the rates differ by up to
    100×); it does not give the paper's setting of one common η₀ for all methods."""
    controls = {
        "model": W.ToggleButtons(options=[("MLP 64-128-128-10", "mlp"),
                                          ("logistic regression", "logreg")],
                                 value="mlp", description="model", style=_STYLE),
        "methods": W.SelectMultiple(options=METHOD_LABELS,
                                    value=("backprop", "forward K=1", "activity"),
                                    description="methods", rows=4),
        "lr_scale": W.FloatLogSlider(value=1.0, base=10, min=-2, max=2, step=0.25,
                                     description="× each method's tuned η", style=_STYLE,
                                     continuous_update=False,
                                     tooltip="multiplies every method's own tuned learning "
                                     "rate (not one common η as in Baydin et al.)"),
        "steps": W.SelectionSlider(options=(50, 100, 200, 500, 1000, 2000), value=200,
                                   description="steps", continuous_update=False),
        "n_seeds": W.IntSlider(value=2, min=1, max=5, description="seeds",
                               continuous_update=False),
        "metric": W.ToggleButtons(options=[("loss + accuracy", "both"), ("loss", "train_loss"),
                                           ("accuracy", "test_accuracy")],
                                  value="both", description="show", style=_STYLE),
        "x_axis": W.ToggleButtons(options=[("iterations", "iteration"), ("time", "time")],
                                  value="iteration", description="x axis", style=_STYLE),
    }
    return Explorer(controls, digits_compute, _draw_digits, view=("metric", "x_axis"),
                    run_button=True, figsize=(11, 4.2),
                    title="Training on the digits: backprop vs forward gradients")
