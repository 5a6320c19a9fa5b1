"""Explorers for SG vs BP: gradient error against the exact gradient, and bandit learning curves.

    gradlab.widgets.sg_vs_bp_explorer()
    gradlab.widgets.bandit_learning_explorer()

Computing sits behind the Run button (with progress). In the first explorer λ, the log scale
and relative errors only redraw: the BP and SG estimates of every run are cached, and mixing
them is linear (λ·SG + (1 − λ)·BP), so any λ is drawn from the cache.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..methods import sample_efficiency as se
from ..plots.sample_efficiency import draw_learning_view, draw_sg_vs_bp_view, errors  # noqa: F401
from .base import Explorer

SIGMAS = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
N_MAX = (64, 256, 1024, 4096)
RATIO_N_MAX = 256


def compute(sigma=3.0, n_max=1024, sufficient=True, m=8, contexts="discrete",
            protocol="same", runs=60, seed=0, progress=None):
    """Every run's BP and SG estimates at N = 8, 16, ..., n_max (cached for any λ), and the
    ratio MSE_BP / MSE_SG over a sweep of σ at N = min(n_max, 256)."""
    with se.single_threaded():
        bandit = se.make_bandit(contexts, m=m, sufficient=sufficient, seed=seed)
        truth = se.true_gradient(bandit)
        n_list = [2 ** k for k in range(3, int(np.log2(n_max)) + 1)]
        rng = np.random.default_rng(seed + 1)
        bp = np.empty((runs, len(n_list), truth.size))
        sg = np.empty_like(bp)
        total = runs + 1
        for r in range(runs):
            samples = se.draw(bandit, n_list[-1], rng)
            bp[r], sg[r] = se.estimates(samples, sigma, bandit.params["W2"], n_list, protocol,
                                        bias=bandit.lower_bias)
            if progress is not None:
                progress(r + 1, total)
        n_ratio = min(n_max, RATIO_N_MAX)
        ratio = se.mse_vs_sigma(bandit, SIGMAS, n_ratio, runs=max(20, runs // 2),
                                protocol=protocol, seed=seed + 2)
        if progress is not None:
            progress(total, total)
    return {"n": np.array(n_list), "bp": bp, "sg": sg, "truth": truth, "sigma": float(sigma),
            "protocol": protocol, "sufficient": sufficient, "m": m, "contexts": contexts,
            "runs": runs, "ratio": ratio}


def sg_vs_bp_explorer():
    """σ, λ, number of samples and the local-sufficiency switch → gradient MSE of BP and SG."""
    style = {"description_width": "initial"}
    controls = {
        "sigma": W.SelectionSlider(options=SIGMAS, value=3.0, description="reward noise σ",
                                   style=style, continuous_update=False),
        "n_max": W.SelectionSlider(options=N_MAX, value=1024, description="samples N up to",
                                   style=style, continuous_update=False),
        "sufficient": W.Checkbox(value=True, description="local sufficiency (h carries "
                                                         "what the reward depends on)",
                                 style=style),
        "m": W.Dropdown(options=(1, 2, 4, 8, 16, 32), value=8,
                        description="contexts per hidden state m", style=style),
        "contexts": W.ToggleButtons(options=("discrete", "continuous"), value="discrete",
                                    description="contexts", style=style),
        "protocol": W.ToggleButtons(options=[("SG saw the same samples", "same"),
                                             ("SG saw past samples only", "online")],
                                    value="same", description="protocol", style=style),
        "lam": W.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05,
                             description="λ (mixture)", style=style, continuous_update=False),
        "log_y": W.Checkbox(value=True, description="log y"),
        "relative": W.Checkbox(value=True, description="relative to ‖G‖²"),
    }
    return Explorer(controls, compute, draw_sg_vs_bp_view, view=("lam", "log_y", "relative"),
                    run_button=True, figsize=(13, 4.2),
                    title="Gradient error of BP, SG and λ·SG + (1 − λ)·BP against the exact "
                          "gradient")


def compute_learning(sigma=3.0, m=8, sufficient=True, lam=0.5, seeds=10, steps=200,
                     progress=None):
    """Bandit learning curves for BP, the λ-mixture and SG over seeds."""
    bandit = se.make_bandit("discrete", m=m, sufficient=sufficient)
    lams = (0.0, lam, 1.0) if 0.0 < lam < 1.0 else (0.0, 1.0)
    with se.single_threaded():
        out = se.learning_curves(bandit, lams, sigma, seeds, steps, progress=progress)
    out["sufficient"], out["m"] = sufficient, m
    return out


def bandit_learning_explorer():
    """Train the bandit policy with BP, SG or a mixture feeding the lower layer; bands over
    seeds."""
    style = {"description_width": "initial"}
    controls = {
        "sigma": W.SelectionSlider(options=SIGMAS, value=3.0, description="reward noise σ",
                                   style=style, continuous_update=False),
        "m": W.Dropdown(options=(1, 2, 4, 8, 16), value=8,
                        description="contexts per hidden state m", style=style),
        "sufficient": W.Checkbox(value=True, description="local sufficiency", style=style),
        "lam": W.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.1, description="λ (mixture)",
                             style=style, continuous_update=False),
        "seeds": W.IntSlider(value=10, min=2, max=30, description="seeds", style=style,
                             continuous_update=False),
        "steps": W.IntSlider(value=200, min=10, max=1000, step=10, description="batches of 16",
                             style=style, continuous_update=False),
        "show": W.ToggleButtons(options=("regret", "reward"), value="regret",
                                description="show", style=style),
    }
    return Explorer(controls, compute_learning, draw_learning_view, view=("show",),
                    run_button=True, figsize=(9, 4),
                    title="Bandit learning curves: BP vs SG feedback to the lower layer")
