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
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ..methods import sample_efficiency as se
from ..methods.synthetic_gradients import mix
from ..plots import sample_efficiency as P
from .base import Explorer, overlay, overlay_axes, result_memo, static_layer

SIGMAS = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
N_MAX = (64, 256, 1024, 4096)
RATIO_N_MAX = 256
LAMBDA_GRID = tuple(np.round(np.linspace(0.0, 1.0, 11), 2))


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


def errors(result, lams):
    """mse / bias² / variance (relative to ‖G‖²) of λ·SG + (1 − λ)·BP, indexed [λ, N]."""
    est = np.stack([mix(result["sg"], result["bp"], float(lam)) for lam in lams], axis=1)
    dec = se.error_decomposition(est, result["truth"])
    norm2 = float(result["truth"] @ result["truth"])
    out = {"n": result["n"], "lams": np.array(lams, float), "sigma": result["sigma"],
           "runs": result["runs"]}
    for k, v in dec.items():
        out[k] = v
        out[f"rel_{k}"] = v / norm2
    return out


GRID = dict(left=0.06, right=0.99, bottom=0.15, top=0.82, wspace=0.3)  # fixed margins
BAR_WIDTH = 0.06  # bars stand at their λ; one between two grid values is narrower
SLIDER_LAMS = tuple(np.round(np.arange(1, 20) * 0.05, 2))  # the λ slider's values in (0, 1)


def _draw_frame(result):
    """Layer 1, what no view control changes: the ratio panel, the titles, the x sides of the
    other two panels (N on log₂, λ from 0 to 1) and the suptitle."""
    def draw_static(fig):
        a1, a2, a3 = fig.subplots(1, 3, gridspec_kw=GRID)
        n = result["n"]
        a1.set_xscale("log", base=2)
        lo, hi = np.log2(n[0]), np.log2(n[-1])
        pad = 0.05 * (hi - lo) if hi > lo else 0.5  # matplotlib's 5 % margins, on log₂ N
        a1.set_xlim(2 ** (lo - pad), 2 ** (hi + pad))
        P._plain_ticks(a1, n, log_y=False)
        a1.yaxis.set_visible(False)
        a1.set_xlabel("samples N")
        a1.set_title(f"σ = {result['sigma']:g}: error vs N (dashed: bias²)", fontsize=10)
        a1.grid(True, axis="x", alpha=0.3)
        a2.set_xlim(-0.07, 1.07)
        a2.set_xticks(LAMBDA_GRID, [f"{v:g}" for v in LAMBDA_GRID], fontsize=8)
        a2.yaxis.set_visible(False)
        a2.set_xlabel("λ  (0 = BP, 1 = SG)")
        a2.set_title(f"N = {result['n'][-1]}: bias² + variance", fontsize=10)
        ratio = result["ratio"]
        if np.all(np.isfinite(ratio["ratio"])):
            P.draw_ratio(fig, ratio, ax=a3, mark_sigma=result["sigma"],
                         title=f"MSE_BP / MSE_SG at N = {ratio['n']}")
        else:  # m = 1 with σ = 0 etc. cannot be infinite, but never let a redraw fail
            a3.text(0.5, 0.5, "ratio undefined", ha="center", transform=a3.transAxes)
        what = "sufficient" if result["sufficient"] else "local sufficiency BROKEN"
        fig.suptitle(f"{result['contexts']} contexts, m = {result['m']}, {what}, "
                     f"{result['runs']} runs — {P.protocol_note(result['protocol'])}",
                     fontsize=10)
        return a1, a2
    return draw_static


def _bars_at(result, lams):
    """mse and (debiased) bias² of the mixture at the largest N for each λ (both scales)."""
    return errors({**result, "bp": result["bp"][:, -1:], "sg": result["sg"][:, -1:]}, lams)


def _curves(fig, result, log_y, relative):
    """BP and SG, the mixture at every λ of the slider (computed once per result), and the
    floor under which a log scale draws nothing: the lowest MSE at any λ / 30."""
    memo = result_memo(fig, result)
    if "ends" not in memo:
        memo["ends"] = errors(result, (0.0, 1.0))
        memo["every_lam"] = errors(result, SLIDER_LAMS)
    ends, every_lam = memo["ends"], memo["every_lam"]
    key = "rel_" if relative else ""
    floor = (min(np.nanmin(ends[f"{key}mse"]), np.nanmin(every_lam[f"{key}mse"])) / 30
             if log_y else 0.0)
    return ends, every_lam, floor


def _draw_axes(result, log_y, relative, curves):
    """Layer 2, for one choice of log y and relative: the y axes of the two left panels, BP and
    SG, the bars of the λ grid and their legend. The y range covers the mixture at every λ
    of the slider (so it stays put while λ moves); the mixtures are there, invisible, for
    the legends to avoid."""
    key = "rel_" if relative else ""
    ends, every_lam, floor = curves

    def draw_static(fig):
        a1, a2 = static_layer(fig, result, "frame", _draw_frame(result))
        b1 = overlay_axes(fig, a1)
        for i in range(len(SLIDER_LAMS)):  # invisible: for the y range and the legend
            b1.plot(result["n"], every_lam[f"{key}mse"][i], visible=False)
            bias = every_lam.get(f"{key}bias2_debiased", every_lam[f"{key}bias2"])[i]
            b1.plot(result["n"], np.where(bias > floor, bias, np.nan), visible=False)
        P.draw_mse_lines(b1, ends, relative=relative, log_y=log_y, floor=floor, legend=False)

        b2 = overlay_axes(fig, a2)
        grid = _bars_at(result, LAMBDA_GRID)
        mse = grid[f"{key}mse"][:, 0]
        bias = grid.get(f"{key}bias2_debiased", grid[f"{key}bias2"])[:, 0]
        b2.bar(LAMBDA_GRID, bias, BAR_WIDTH, color="0.35")
        b2.bar(LAMBDA_GRID, mse - bias, BAR_WIDTH, bottom=bias, color="tab:orange", alpha=0.8)
        best = int(np.argmin(mse))  # (the marker itself moves with λ: room for it)
        b2.plot([LAMBDA_GRID[best]], [mse[best] * 1.04], visible=False)
        handles = [Line2D([], [], ls="", marker="v", color="k", markersize=6),
                   Patch(color="0.35"), Patch(color="tab:orange", alpha=0.8),
                   Patch(fill=False, edgecolor="k", linewidth=1.5)]
        b2.legend(handles, ["lowest MSE", "bias²", "variance", "λ of the slider"], fontsize=8)
        b2.set_ylabel("MSE / ‖G‖²" if relative else "MSE")
        b2.grid(True, axis="y", alpha=0.3)
        return b1, b2
    return draw_static


def draw(fig, result, lam=0.5, log_y=True, relative=True):
    """MSE vs N (BP, the λ-mixture, SG), bias²/variance bars over λ at the largest N, and the
    ratio vs σ. What λ cannot change is a static layer (one per log y / relative choice,
    drawn once per result); a redraw adds the mixture's curves, its bar and the legend."""
    curves = _curves(fig, result, log_y, relative)
    floor = curves[2]
    b1, b2 = static_layer(fig, result, ("axes", bool(log_y), bool(relative)),
                          _draw_axes(result, log_y, relative, curves))
    key = "rel_" if relative else ""
    handles = [Line2D([], [], marker="o", color=P.BP_COLOR, markersize=4)]
    labels = [P._label(0.0)]
    if 0.0 < lam < 1.0:
        mix = errors(result, (lam,))
        mse = mix[f"{key}mse"][0]
        bias = mix.get(f"{key}bias2_debiased", mix[f"{key}bias2"])[0]
        overlay(fig, b1, Line2D(result["n"], mse, marker="o", color=P.MIX_COLOR, markersize=4))
        overlay(fig, b1, Line2D(result["n"], np.where(bias > floor, bias, np.nan), ls="--",
                                color=P.MIX_COLOR, linewidth=1.2))
        handles.append(Line2D([], [], marker="o", color=P.MIX_COLOR, markersize=4))
        labels.append(P._label(lam))
    handles.append(Line2D([], [], marker="o", color=P.SG_COLOR, markersize=4))
    labels.append(P._label(1.0))
    fig.add_artist(Legend(b1, handles, labels, fontsize=8))  # "best" place among b1's lines

    lam = round(float(lam), 2)
    grid = sorted(set(LAMBDA_GRID) | {lam})
    at_n = _bars_at(result, grid)
    mse = at_n[f"{key}mse"][:, 0]
    k = grid.index(lam)
    width = BAR_WIDTH if lam in LAMBDA_GRID else 0.6 * BAR_WIDTH
    if lam not in LAMBDA_GRID:
        bias = at_n.get(f"{key}bias2_debiased", at_n[f"{key}bias2"])[k, 0]
        overlay(fig, b2, Rectangle((lam - width / 2, 0), width, bias, color="0.35"))
        overlay(fig, b2, Rectangle((lam - width / 2, bias), width, mse[k] - bias,
                                   color="tab:orange", alpha=0.8))
    overlay(fig, b2, Rectangle((lam - width / 2, 0), width, mse[k], fill=False, edgecolor="k",
                               linewidth=1.5))
    best = int(np.argmin(mse))
    overlay(fig, b2, Line2D([grid[best]], [mse[best] * 1.04], ls="", marker="v", color="k",
                            markersize=6))


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
    return Explorer(controls, compute, draw, view=("lam", "log_y", "relative"),
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


def _draw_learning_frame(result):
    """What "show" does not change: the suptitle, the title, the samples axis."""
    def draw_static(fig):
        ax = fig.add_axes(LEARNING_RECT)
        ax.set_xlim(*_learning_xlim(result))
        ax.yaxis.set_visible(False)
        ax.set_xlabel("samples (contexts seen)")
        ax.set_title(f"learning curves, σ = {result['sigma']:g}, {result['seeds']} seeds "
                     "(95 % bands)", fontsize=10)
        ax.grid(True, axis="x", alpha=0.3)
        what = "sufficient" if result["sufficient"] else "local sufficiency BROKEN"
        fig.suptitle(f"m = {result['m']}, {what}; lower layer gets λ·SG + (1 − λ)·BP, upper "
                     f"layer fixed — SG module updated online on past batches", fontsize=10)
        return (ax,)
    return draw_static


def _learning_xlim(result):
    """The x range matplotlib would pick for the curves (5 % margins)."""
    x = np.asarray(result["samples"], float)
    pad = 0.05 * (x[-1] - x[0]) if x[-1] > x[0] else 0.5
    return x[0] - pad, x[-1] + pad


LEARNING_RECT = [0.08, 0.14, 0.9, 0.72]


def draw_learning(fig, result, show="regret"):
    """Learning curves; the frame is a static layer, the curves and the y axis are redrawn."""
    (ax,) = static_layer(fig, result, "frame", _draw_learning_frame(result))
    P.draw_learning_lines(overlay_axes(fig, ax), result, show=show)


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
    return Explorer(controls, compute_learning, draw_learning, view=("show",),
                    run_button=True, figsize=(9, 4),
                    title="Bandit learning curves: BP vs SG feedback to the lower layer")
