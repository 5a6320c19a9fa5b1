"""Drawing gradient MSE, bias/variance, the BP/SG ratio and learning curves (sample efficiency).

Every figure about SG says which samples the SG model saw (`protocol_note`): the answer
depends on it. Colours: `gradlab.plots.style` (BP blue, SG red, their mixture purple).
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from ..methods import sample_efficiency as se
from ..methods.synthetic_gradients import mix
from .kept import keep
from .style import color

BP_COLOR, SG_COLOR, MIX_COLOR = color("bp"), color("sg"), color("mix")
_T975 = {2: 12.71, 3: 4.30, 4: 3.18, 5: 2.78, 6: 2.57, 7: 2.45, 8: 2.36, 9: 2.31, 10: 2.26,
         11: 2.23, 12: 2.20, 15: 2.14, 20: 2.09, 30: 2.05}
REL_MSE = r"MSE / $\|G\|^2$"


def _plain_ticks(ax, x_values):
    """Ticks at the values of N (or σ) with plain-number labels (8, 16, 1024 read better than
    2³, 2⁴, 2¹⁰)."""
    xs = list(x_values)
    ax.xaxis.set_major_locator(FixedLocator(xs if len(xs) <= 6 else xs[::2]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())


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
        return r"BP ($\lambda$ = 0)"
    if lam == 1.0:
        return r"SG ($\lambda$ = 1)"
    return rf"mix $\lambda$ = {lam:g}"


def _color(lam):
    if lam == 0.0:
        return BP_COLOR
    if lam == 1.0:
        return SG_COLOR
    return MIX_COLOR


def draw_mse_curves(fig, result, ax=None, relative=True, log_y=True, show_bias=True,
                    title=None, floor=None):
    """Gradient MSE against the number of samples N for each λ, bias² dashed.

    `result` from `sample_efficiency.mse_vs_samples`. On a log scale, values under `floor`
    (default: the lowest MSE / 30) are indistinguishable from 0 and are not drawn."""
    ax = ax if ax is not None else fig.add_subplot()
    n = result["n"]
    key = "rel_" if relative else ""
    mse = np.asarray(result[f"{key}mse"], float)
    if floor is None:
        floor = np.nanmin(mse) / 30 if log_y else 0.0
    for i, lam in enumerate(result["lams"]):
        c = _color(lam)
        ax.plot(n, mse[i], "o-", color=c, label=_label(lam), markersize=4)
        if show_bias:
            # debiased bias²: the run average's own noise (variance / runs) taken out
            bias = np.asarray(result.get(f"{key}bias2_debiased", result[f"{key}bias2"])[i])
            ax.plot(n, np.where(bias > floor, bias, np.nan), "--", color=c, linewidth=1.2)
    if log_y:
        ax.set_yscale("log")
        ax.set_ylim(bottom=floor)
    ax.set_xscale("log", base=2)
    _plain_ticks(ax, n)
    ax.set_xlabel("samples $N$")
    ax.set_ylabel(REL_MSE if relative else r"MSE = $E\|\hat G - G\|^2$")
    ax.set_title(title or rf"$\sigma$ = {result['sigma']:g}: error vs samples "
                 r"(dashed: bias$^2$)", fontsize=10, y=1.0)
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
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
    ax.bar(x, bias, color="0.35", label="bias$^2$")
    ax.bar(x, var, bottom=bias, color="tab:orange", alpha=0.8, label="variance")
    best = int(np.argmin(result[f"{key}mse"]))
    ax.plot([x[best]], [result[f"{key}mse"][best] * 1.04], "v", color="k", markersize=6,
            label="lowest MSE")
    ax.set_xticks(x, [f"{v:g}" for v in lams], fontsize=8)
    ax.set_xlabel(r"$\lambda$  (0 = BP, 1 = SG)")
    ax.set_ylabel(REL_MSE if relative else "MSE")
    if log_y:
        ax.set_yscale("log")
    ax.set_title(title or "bias$^2$ + variance of the mixture", fontsize=10, y=1.0)
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
    _plain_ticks(ax, [v for v in sig if v > 0])
    ax.set_xlabel(r"reward noise $\sigma$  (◁ at far left: $\sigma$ = 0)")
    ax.set_ylabel(r"$\mathrm{MSE}_{BP} / \mathrm{MSE}_{SG}$")
    ax.set_title(title or rf"ratio vs $\sigma$ at $N$ = {result['n']} "
                 r"(dotted: ceiling $b_{BP} / b_{SG}$)", fontsize=10, y=1.0)
    ax.legend(fontsize=8, ncols=2)
    ax.grid(True, alpha=0.3, which="both")
    return ax


def draw_learning_curves(fig, result, ax=None, show="regret", title=None):
    """Bandit learning curves: mean over seeds with a 95 % band, one per λ (`learning_curves`)."""
    ax = ax if ax is not None else fig.add_subplot()
    x = result["samples"]
    for i, lam in enumerate(result["lams"]):
        mean, half = mean_band(result[show][i])
        ok = np.isfinite(mean)
        ax.plot(x[ok], mean[ok], color=_color(lam), label=_label(lam))
        ax.fill_between(x[ok], (mean - half)[ok], (mean + half)[ok], color=_color(lam),
                        alpha=0.2, linewidth=0)
    if show == "reward":
        ax.axhline(result["best"], color="0.3", linestyle=":", label="best arm per context")
    ax.set_xlabel("samples (contexts seen)")
    ax.set_ylabel("regret (best − expected reward)" if show == "regret" else "expected reward")
    ax.set_title(title or rf"learning curves, $\sigma$ = {result['sigma']:g}, "
                 f"{result['seeds']} seeds (95 % bands)", fontsize=10, y=1.0)
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    return ax


def draw_returns(fig, result, ax=None, random_return=None, title=None):
    """Policy-gradient learning curves (`policy_gradient.learning_curves`): mean true episode
    return against environment steps, 95 % band over seeds, the random policy dotted."""
    ax = ax if ax is not None else fig.add_subplot()
    names = {"bp": "BP to the lower layer", "sg": "SG to the lower layer",
             "mix": r"mix $\lambda$ = 0.5"}
    for i, method in enumerate(result["methods"]):
        mean, half = mean_band(result["returns"][i])
        c = color(method, i)
        ax.plot(result["grid"], mean, color=c, label=names.get(method, method))
        ax.fill_between(result["grid"], mean - half, mean + half, color=c, alpha=0.2,
                        linewidth=0)
    if random_return is not None:
        ax.axhline(random_return, color="0.3", linestyle=":", label="random policy")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("episode return")
    noise = result["reward_noise"]
    ax.set_title(title or f"{result['env_id']}, reward noise $\\sigma$ = {noise:g}, "
                 f"{result['seeds']} seeds (95 % bands)", fontsize=10, y=1.0)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, alpha=0.3)
    return ax


# ---------------------------------------------------------------------------------------------
# The explorers' figures
# ---------------------------------------------------------------------------------------------

LAMBDA_GRID = tuple(np.round(np.linspace(0.0, 1.0, 11), 2))  # the bars of the middle panel
SLIDER_LAMS = tuple(np.round(np.arange(1, 20) * 0.05, 2))  # the λ slider's values in (0, 1)
BAR_WIDTH = 0.06  # bars stand at their λ; one between two grid values is narrower
GRID = dict(left=0.06, right=0.99, bottom=0.15, top=0.82, wspace=0.3)  # fixed margins


def errors(result, lams):
    """mse / bias² / variance (also relative to ‖G‖²) of λ·SG + (1 − λ)·BP from every run's
    cached BP and SG estimates (mixing is linear: any λ comes from the cache), indexed [λ, N]."""
    est = np.stack([mix(result["sg"], result["bp"], float(lam)) for lam in lams], axis=1)
    dec = se.error_decomposition(est, result["truth"])
    norm2 = float(result["truth"] @ result["truth"])
    out = {"n": result["n"], "lams": np.array(lams, float), "sigma": result["sigma"],
           "runs": result["runs"]}
    for k, v in dec.items():
        out[k] = v
        out[f"rel_{k}"] = v / norm2
    return out


def _every_lambda(result, lams=SLIDER_LAMS):
    """`errors` at each of `lams`, from `errors` at λ = 0, ½, 1 only: the mse, the bias² and the
    variance of λ·SG + (1 − λ)·BP are quadratic in λ, so three values give them all."""
    three = errors(result, (0.0, 0.5, 1.0))
    lam = np.asarray(lams, float)[:, None]
    weights = ((1 - lam) * (1 - 2 * lam), 4 * lam * (1 - lam), lam * (2 * lam - 1))  # Lagrange
    out = {"n": result["n"], "lams": lam[:, 0]}
    for k in ("mse", "bias2", "variance", "rel_mse", "rel_bias2", "rel_variance"):
        out[k] = sum(w * v for w, v in zip(weights, three[k]))
    for k in ("", "rel_"):  # as in `error_decomposition`
        out[f"{k}bias2_debiased"] = np.maximum(
            out[f"{k}bias2"] - out[f"{k}variance"] / max(result["runs"] - 1, 1), 0.0)
    return out


def _at_largest_n(result, lams):
    """`errors` of the mixtures at the largest N only."""
    return errors({**result, "bp": result["bp"][:, -1:], "sg": result["sg"][:, -1:]}, lams)


def build_sg_vs_bp(fig, result):
    """The SG-vs-BP explorer's figure without its two left panels: the ratio vs σ (right) and
    the title. `build_scale` adds the left panels for each scale. Fixed margins: constrained
    layout would cost more than the plot."""
    fig.set_layout_engine("none")
    grid = fig.add_gridspec(1, 3, **GRID)
    a3 = fig.add_subplot(grid[2])
    ratio = result["ratio"]
    if np.all(np.isfinite(ratio["ratio"])):
        draw_ratio(fig, ratio, ax=a3, mark_sigma=result["sigma"],
                   title=rf"$\mathrm{{MSE}}_{{BP}} / \mathrm{{MSE}}_{{SG}}$ at $N$ = {ratio['n']}")
        a3.get_legend().remove()  # one curve, named by the y label (every text costs a redraw)
    else:  # never let a redraw fail on an undefined ratio
        a3.text(0.5, 0.5, "ratio undefined", ha="center", transform=a3.transAxes)
    what = "sufficient" if result["sufficient"] else "local sufficiency BROKEN"
    fig.suptitle(f"{result['contexts']} contexts, m = {result['m']}, {what}, "
                 f"{result['runs']} runs — {protocol_note(result['protocol'])}", fontsize=10)
    return {"grid": grid, "scales": {}}


def build_scale(fig, grid, result, log_y, relative):
    """The two left panels for one scale (log or linear y, relative or absolute errors): MSE vs
    N of BP and SG (the y range covers the mixture at every λ of the slider, so it stays put
    while λ moves), the bias² and variance bars over the λ grid at the largest N; the mixture's
    artists, empty and animated (moved by `update_sg_vs_bp`, blitted over the cached figure).
    The panels are hidden while another scale is shown: switching draws the figure again but
    builds nothing (so the figure keeps few texts and ticks: each costs a full draw)."""
    a1, a2 = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
    key = "rel_" if relative else ""
    ends, every = errors(result, (0.0, 1.0)), _every_lambda(result)
    floor = (min(np.nanmin(ends[f"{key}mse"]), np.nanmin(every[f"{key}mse"])) / 30
             if log_y else 0.0)
    draw_mse_curves(None, ends, ax=a1, relative=relative, log_y=log_y, floor=floor,
                    title=rf"$\sigma$ = {result['sigma']:g}: error vs $N$ (dashed: bias$^2$)")
    n = result["n"]
    for values in (every[f"{key}mse"], every[f"{key}bias2_debiased"]):
        ok = values > floor
        a1.update_datalim(np.column_stack([np.broadcast_to(n, values.shape)[ok], values[ok]]))
    a1.autoscale_view()
    if log_y:  # major ticks only: a scale switch draws the whole figure, tick by tick
        a1.yaxis.set_minor_locator(NullLocator())
    mix_mse = a1.plot([], [], "o-", color=MIX_COLOR, markersize=4, animated=True,
                      label=r"$\lambda$ SG + (1 − $\lambda$) BP")[0]
    mix_bias = a1.plot([], [], "--", color=MIX_COLOR, linewidth=1.2, animated=True)[0]
    a1.legend(fontsize=8, loc="lower left" if log_y else "center right")
    lam_text = a1.text(0.98, 0.97, "", transform=a1.transAxes, ha="right", va="top",
                       color=MIX_COLOR, animated=True)

    at_n = _at_largest_n(result, LAMBDA_GRID)
    mse, bias = at_n[f"{key}mse"][:, 0], at_n[f"{key}bias2_debiased"][:, 0]
    a2.bar(LAMBDA_GRID, bias, BAR_WIDTH, color="0.35", label="bias$^2$")
    a2.bar(LAMBDA_GRID, mse - bias, BAR_WIDTH, bottom=bias, color="tab:orange", alpha=0.8,
           label="variance")
    a2.set_ylim(0, 1.1 * np.nanmax(mse))
    chosen = {"bias": Rectangle((0, 0), 0, 0, color="0.35"),
              "variance": Rectangle((0, 0), 0, 0, color="tab:orange", alpha=0.8),
              "outline": Rectangle((0, 0), 0, 0, fill=False, edgecolor="k", linewidth=1.5)}
    for patch in chosen.values():
        patch.set_animated(True)
        a2.add_patch(patch)
    best = a2.plot([], [], ls="", marker="v", color="k", markersize=6, animated=True)[0]
    handles, labels = a2.get_legend_handles_labels()
    a2.legend([Line2D([], [], ls="", marker="v", color="k", markersize=6), *handles,
               Patch(fill=False, edgecolor="k", linewidth=1.5)],
              ["lowest MSE", *labels, r"$\lambda$ of the slider"], fontsize=8)
    a2.set_xlim(-0.07, 1.07)
    a2.set_xticks(LAMBDA_GRID[::2], [f"{v:g}" for v in LAMBDA_GRID[::2]], fontsize=8)
    a2.set_xticks(LAMBDA_GRID, minor=True)  # a tick under every bar, a label under every other
    a2.yaxis.set_major_locator(MaxNLocator(4))
    a2.set_xlabel(r"$\lambda$  (0 = BP, 1 = SG)")
    a2.set_ylabel(REL_MSE if relative else "MSE")
    a2.set_title(rf"$N$ = {n[-1]}: bias$^2$ + variance", fontsize=10, y=1.0)
    a2.grid(True, axis="y", alpha=0.3)
    return dict(axes=(a1, a2), key=key, floor=floor, mix_mse=mix_mse, mix_bias=mix_bias,
                lam_text=lam_text, chosen=chosen, best=best)


def update_sg_vs_bp(artists, result, lam=0.5):
    """Move the mixture λ·SG + (1 − λ)·BP in one scale's panels: its curves, its bar
    (outlined), the lowest MSE among the grid and λ."""
    key, floor = artists["key"], artists["floor"]
    lam = round(float(lam), 2)
    if 0.0 < lam < 1.0:
        e = errors(result, (lam,))
        bias = e[f"{key}bias2_debiased"][0]
        artists["mix_mse"].set_data(result["n"], e[f"{key}mse"][0])
        artists["mix_bias"].set_data(result["n"], np.where(bias > floor, bias, np.nan))
    else:  # λ = 0 and λ = 1 are the BP and SG curves
        artists["mix_mse"].set_data([], [])
        artists["mix_bias"].set_data([], [])
    artists["lam_text"].set_text(rf"$\lambda$ = {lam:g}")
    grid = sorted(set(LAMBDA_GRID) | {lam})
    at_n = _at_largest_n(result, grid)
    mse, k = at_n[f"{key}mse"][:, 0], grid.index(lam)
    bias = at_n[f"{key}bias2_debiased"][k, 0]
    on_grid = lam in LAMBDA_GRID
    width = BAR_WIDTH if on_grid else 0.6 * BAR_WIDTH
    x0 = lam - width / 2
    fill = 0.0 if on_grid else width  # a bar of the grid is drawn already
    artists["chosen"]["bias"].set_bounds(x0, 0, fill, bias)
    artists["chosen"]["variance"].set_bounds(x0, bias, fill, mse[k] - bias)
    artists["chosen"]["outline"].set_bounds(x0, 0, width, mse[k])
    i = int(np.argmin(mse))
    artists["best"].set_data([grid[i]], [mse[i] * 1.04])


def draw_sg_vs_bp_view(fig, result, lam=0.5, log_y=True, relative=True):
    """The SG-vs-BP explorer's figure: drawn once per result; the two left panels once per
    scale (then hidden while another scale is shown); λ moves the mixture in them."""
    kept = keep(fig, (result,), lambda fig: build_sg_vs_bp(fig, result))
    scale = (bool(log_y), bool(relative))
    if scale not in kept["scales"]:
        kept["scales"][scale] = build_scale(fig, kept["grid"], result, *scale)
    for s, artists in kept["scales"].items():
        for ax in artists["axes"]:
            ax.set_visible(s == scale)
    update_sg_vs_bp(kept["scales"][scale], result, lam)


def draw_learning_view(fig, result, show="regret"):
    """The bandit explorer's figure: the title once per result; the panel is animated (drawn
    over the cached figure) and drawn again for regret or reward."""
    def build(fig):
        ax = fig.subplots()
        ax.set_animated(True)
        what = "sufficient" if result["sufficient"] else "local sufficiency BROKEN"
        fig.suptitle(f"m = {result['m']}, {what}; lower layer gets $\\lambda$ SG + "
                     r"(1 − $\lambda$) BP, upper layer fixed — SG module updated online on past "
                     "batches", fontsize=10)
        return {"ax": ax}

    ax = keep(fig, (result,), build)["ax"]
    ax.clear()
    draw_learning_curves(fig, result, ax=ax, show=show)
