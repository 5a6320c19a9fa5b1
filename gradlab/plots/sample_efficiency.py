"""Drawing gradient MSE, bias/variance, the BP/SG ratio and learning curves (sample efficiency).

Every figure about SG says which samples the SG model saw (`protocol_note`): the answer
depends on it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator

BP_COLOR, SG_COLOR, MIX_COLOR = "tab:blue", "tab:red", "tab:purple"
_T975 = {2: 12.71, 3: 4.30, 4: 3.18, 5: 2.78, 6: 2.57, 7: 2.45, 8: 2.36, 9: 2.31, 10: 2.26,
         11: 2.23, 12: 2.20, 15: 2.14, 20: 2.09, 30: 2.05}


_PLAIN = FuncFormatter(lambda v, _pos: f"{v:g}")


def _plain_ticks(ax, x_values=None, log_y=True):
    """Plain-number tick labels (8, 16, 1e+02, ...): mathtext labels (2³, 10²) take most of the
    time of a redraw."""
    ax.xaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_locator(NullLocator())
    if x_values is not None:
        xs = list(x_values)
        ax.xaxis.set_major_locator(FixedLocator(xs if len(xs) <= 6 else xs[::2]))
    ax.xaxis.set_major_formatter(_PLAIN)
    if log_y:
        ax.yaxis.set_major_locator(LogLocator(numticks=6))
    ax.yaxis.set_major_formatter(_PLAIN)


def protocol_note(protocol, n=None):
    """One line saying which samples the SG model was fitted on."""
    if protocol == "same":
        return ("protocol: SG fitted on the same N samples BP uses" if n is None
                else f"protocol: SG fitted on the same N = {n} samples BP uses")
    if protocol == "online":
        return "protocol: SG for sample n fitted on samples 1..n−1 only (predict, then update)"
    return f"protocol: {protocol}"


def t_quantile(n):
    """Student's t 97.5 % quantile for n samples (n − 1 degrees of freedom), from a table."""
    if n < 2:
        return np.nan
    keys = sorted(_T975)
    k = max(key for key in keys if key <= n) if n < 30 else 30
    return _T975[k] if n < 30 else 1.96 + 2.4 / (n - 1)


def mean_band(values):
    """Mean over axis 0 and the half-width of a 95 % confidence interval for it."""
    values = np.asarray(values, float)
    n = values.shape[0]
    mean = np.nanmean(values, axis=0)
    half = t_quantile(n) * np.nanstd(values, axis=0, ddof=1) / np.sqrt(n) if n > 1 else 0 * mean
    return mean, half


def _label(lam):
    if lam == 0.0:
        return "BP (λ = 0)"
    if lam == 1.0:
        return "SG (λ = 1)"
    return f"mix λ = {lam:g}"


def _color(lam):
    if lam == 0.0:
        return BP_COLOR
    if lam == 1.0:
        return SG_COLOR
    return MIX_COLOR


def draw_mse_curves(fig, result, ax=None, relative=True, log_y=True, show_bias=True,
                    title=None):
    """Gradient MSE against the number of samples N for each λ, bias² dashed.

    `result` from `sample_efficiency.mse_vs_samples`."""
    ax = ax if ax is not None else fig.add_subplot()
    draw_mse_lines(ax, result, relative=relative, log_y=log_y, show_bias=show_bias)
    ax.set_xscale("log", base=2)
    _plain_ticks(ax, result["n"], log_y)
    ax.set_xlabel("samples N")
    ax.set_title(title or f"σ = {result['sigma']:g}: error vs samples (dashed: bias²)",
                 fontsize=10)
    ax.grid(True, axis="x", alpha=0.3)
    return ax


def draw_mse_lines(ax, result, relative=True, log_y=True, show_bias=True, floor=None,
                   legend=True):
    """The y side of `draw_mse_curves`: the curves, the y scale and ticks, the y label, the
    legend and horizontal grid lines (a widget keeps the x side in a static layer). On a log
    scale, values under `floor` (default: the lowest MSE / 30) are not drawn."""
    n = result["n"]
    key = "rel_" if relative else ""
    mse = np.asarray(result[f"{key}mse"], float)
    if floor is None:
        floor = np.nanmin(mse) / 30 if log_y else 0.0
    for i, lam in enumerate(result["lams"]):
        c = _color(lam)
        ax.plot(n, mse[i], "o-", color=c, label=_label(lam), markersize=4)
        if show_bias:
            # debiased bias²: the run average's own noise (variance / runs) taken out;
            # values under the floor are indistinguishable from 0 and are not drawn
            bias = np.asarray(result.get(f"{key}bias2_debiased", result[f"{key}bias2"])[i])
            ax.plot(n, np.where(bias > floor, bias, np.nan), "--", color=c, linewidth=1.2)
    if log_y:
        ax.set_yscale("log")
        ax.set_ylim(bottom=floor)
    ax.yaxis.set_minor_locator(NullLocator())
    if log_y:
        ax.yaxis.set_major_locator(LogLocator(numticks=6))
    ax.yaxis.set_major_formatter(_PLAIN)
    ax.set_ylabel("MSE / ‖G‖²" if relative else "MSE = E‖Ĝ − G‖²")
    if legend:
        ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    return ax


def draw_bias_variance(fig, result, ax=None, relative=True, log_y=False, title=None):
    """Stacked bars of bias² and variance of λ·SG + (1 − λ)·BP at one N (`mse_vs_lambda`,
    or any result whose arrays are indexed by λ only)."""
    ax = ax if ax is not None else fig.add_subplot()
    key = "rel_" if relative else ""
    lams = np.asarray(result["lams"])
    bias = np.asarray(result.get(f"{key}bias2_debiased", result[f"{key}bias2"]))
    var = np.asarray(result[f"{key}mse"]) - bias
    x = np.arange(len(lams))
    ax.bar(x, bias, color="0.35", label="bias²")
    ax.bar(x, var, bottom=bias, color="tab:orange", alpha=0.8, label="variance")
    best = int(np.argmin(result[f"{key}mse"]))
    ax.plot([x[best]], [result[f"{key}mse"][best] * 1.04], "v", color="k", markersize=6,
            label="lowest MSE")
    ax.set_xticks(x, [f"{v:g}" for v in lams], fontsize=8)
    ax.set_xlabel("λ  (0 = BP, 1 = SG)")
    ax.set_ylabel("MSE / ‖G‖²" if relative else "MSE")
    if log_y:
        ax.set_yscale("log")
    ax.set_title(title or "bias² + variance of the mixture", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    return ax


def draw_ratio(fig, result, ax=None, mark_sigma=None, log_y=True, title=None):
    """MSE_BP / MSE_SG against σ, one curve per pooling factor m, ceilings b_BP/b_SG dotted.

    `result` from `sample_efficiency.ratio_vs_sigma`, or a single `mse_vs_sigma` result."""
    ax = ax if ax is not None else fig.add_subplot()
    sig = np.asarray(result["sigmas"])
    ratios = np.atleast_2d(result["ratio"])
    ms = result.get("ms", [None] * len(ratios))
    ceilings = np.atleast_1d(result["ceiling"])
    x = np.where(sig > 0, sig, np.nan)
    colors = [f"C{k}" for k in range(len(ratios))]
    for k, (m, r) in enumerate(zip(ms, ratios)):
        label = f"m = {m}" if m is not None else "BP / SG"
        ax.plot(x, r, "o-", color=colors[k], label=label, markersize=4)
        if sig[0] == 0:
            ax.plot([x[1] / 3], [r[0]], "<", color=colors[k], markersize=5)
        if np.isfinite(ceilings[k]):
            ax.axhline(ceilings[k], color=colors[k], linestyle=":", linewidth=1)
    ax.axhline(1.0, color="0.3", linewidth=1)
    if mark_sigma is not None and mark_sigma > 0:
        ax.axvline(mark_sigma, color="0.5", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    _plain_ticks(ax, [v for v in sig if v > 0], log_y)
    ax.set_xlabel("reward noise σ  (◁ at far left: σ = 0)")
    ax.set_ylabel("MSE_BP / MSE_SG")
    ax.set_title(title or f"ratio vs σ at N = {result['n']} (dotted: ceiling b_BP / b_SG)",
                 fontsize=10)
    ax.legend(fontsize=8, ncols=2)
    ax.grid(True, alpha=0.3, which="both")
    return ax


def draw_learning_curves(fig, result, ax=None, show="regret", title=None):
    """Bandit learning curves: mean over seeds with a 95 % band, one per λ (`learning_curves`)."""
    ax = ax if ax is not None else fig.add_subplot()
    draw_learning_lines(ax, result, show=show)
    ax.set_xlabel("samples (contexts seen)")
    ax.set_title(title or f"learning curves, σ = {result['sigma']:g}, "
                 f"{result['seeds']} seeds (95 % bands)", fontsize=10)
    ax.grid(True, axis="x", alpha=0.3)
    return ax


def draw_learning_lines(ax, result, show="regret"):
    """The y side of `draw_learning_curves`: curves, bands (one collection for all of them),
    the y label, the legend and horizontal grid lines."""
    x = result["samples"]
    bands = []
    for i, lam in enumerate(result["lams"]):
        mean, half = mean_band(result[show][i])
        finite = np.isfinite(mean)
        c = _color(lam)
        ax.plot(x[finite], mean[finite], color=c, label=_label(lam))
        xs, lo, hi = x[finite], (mean - half)[finite], (mean + half)[finite]
        bands.append(np.column_stack([np.concatenate([xs, xs[::-1]]),
                                      np.concatenate([lo, hi[::-1]])]))
    colors = [_color(lam) for lam in result["lams"]]
    ax.add_collection(PolyCollection(bands, facecolors=colors, alpha=0.2, linewidths=0))
    if show == "reward":
        ax.axhline(result["best"], color="0.3", linestyle=":", label="best arm per context")
    ax.set_ylabel("regret (best − expected reward)" if show == "regret" else "expected reward")
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    return ax


def draw_returns(fig, result, ax=None, random_return=None, title=None):
    """Policy-gradient learning curves (`policy_gradient.learning_curves`): mean true episode
    return against environment steps, 95 % band over seeds, the random policy dotted."""
    ax = ax if ax is not None else fig.add_subplot()
    colors = {"bp": BP_COLOR, "sg": SG_COLOR, "mix": MIX_COLOR}
    names = {"bp": "BP to the lower layer", "sg": "SG to the lower layer",
             "mix": "mix λ = 0.5"}
    for i, method in enumerate(result["methods"]):
        mean, half = mean_band(result["returns"][i])
        c = colors.get(method, f"C{i}")
        ax.plot(result["grid"], mean, color=c, label=names.get(method, method))
        ax.fill_between(result["grid"], mean - half, mean + half, color=c, alpha=0.2,
                        linewidth=0)
    if random_return is not None:
        ax.axhline(random_return, color="0.3", linestyle=":", label="random policy")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("episode return")
    noise = result["reward_noise"]
    ax.set_title(title or f"{result['env_id']}, reward noise σ = {noise:g}, "
                 f"{result['seeds']} seeds (95 % bands)", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, alpha=0.3)
    return ax
