"""Drawing the cost of derivatives (results from `gradlab.ad.cost`) on a given matplotlib Figure.

`draw_jacobian_cost_widget` is the explorer's figure: drawn once per display choice
(`gradlab.plots.kept.keep`), the crossover markers shown or hidden in place.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MaxNLocator

from .kept import keep_choice
from .style import COLORS

FWD_COLOR, REV_COLOR = COLORS["forward mode"], COLORS["reverse mode"]
F_COLOR, FD_COLOR = COLORS["theory"], COLORS["finite differences"]
_PLAIN = FuncFormatter(lambda v, _pos: f"{v:g}")


def _plain_ticks(ax, sizes, log_y):
    """Few ticks, labelled as plain numbers (1, 2, 4, ...; 0.1, 1, 10): easier to read than
    2^k, and far faster to draw (every tick is several artists; mathtext is slow to lay out)."""
    ax.minorticks_off()
    ax.xaxis.set_major_locator(FixedLocator(sizes if len(sizes) <= 9 else sizes[::2]))
    ax.yaxis.set_major_locator(LogLocator(numticks=5) if log_y else MaxNLocator(5))
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(_PLAIN)


def _mark_crossover(ax, x, label, animated=False):
    """A dotted vertical line at the crossover x, labelled "label ≈ x" (nothing if x is not
    finite). Returns the artists."""
    if not np.isfinite(x):
        return []
    return [ax.axvline(x, color="0.3", linestyle=":", linewidth=1.2, animated=animated),
            ax.annotate(f"{label} ≈ {x:.1f}", xy=(x, 0.97), xycoords=("data", "axes fraction"),
                        xytext=(4, 0), textcoords="offset points", va="top", fontsize=9,
                        animated=animated)]


def _draw_sweep(ax, sweep, show, log_x, log_y, crossover):
    vary = sweep["vary"]
    other = "m" if vary == "n" else "n"
    sizes = sweep["sizes"]
    if show == "ratio":
        ax.plot(sizes, sweep["ratio"], "o-", color=COLORS["ratio"], label="jacfwd / jacrev")
        ax.axhline(1.0, color="0.5", linewidth=1)
        ax.set_ylabel("time(jacfwd) / time(jacrev)")
    else:
        ax.plot(sizes, sweep["t_fwd"] * 1e3, "o-", color=FWD_COLOR,
                label="jacfwd: one JVP per input")
        ax.plot(sizes, sweep["t_rev"] * 1e3, "s-", color=REV_COLOR,
                label="jacrev: one VJP per output")
        ax.plot(sizes, sweep["t_f"] * 1e3, "--", color=F_COLOR, linewidth=1, label="f(x), once")
        ax.set_ylabel("CPU time per Jacobian (ms)" if sweep.get("clock") == "cpu"
                      else "time per Jacobian (ms)")
    if crossover:
        _mark_crossover(ax, sweep["crossover"], f"${vary}^*$")
    if log_x:
        ax.set_xscale("log", base=2)
    if log_y:
        ax.set_yscale("log")
    _plain_ticks(ax, sizes, log_y)
    what = "inputs" if vary == "n" else "outputs"
    ax.set_xlabel(f"${vary}$ ({what})")
    ax.set_title(f"${vary}$ grows, ${other}$ = {sweep['fixed']}", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)


def draw_jacobian_cost(fig, result, show="time", log_x=True, log_y=True, crossover=True,
                       compact=False):
    """Two panels: time of jacfwd and jacrev as n grows (m fixed) and as m grows (n fixed).

    `result` is `gradlab.ad.cost.jacobian_cost(...)`. show="time" draws milliseconds per Jacobian,
    show="ratio" draws time(jacfwd)/time(jacrev) (above 1: reverse mode is cheaper).
    compact=True (for the widget) places the panels with fixed margins and leaves out the overall
    title (use it on a figure without layout engine: `fig.set_layout_engine("none")`).
    """
    if compact:
        axes = fig.subplots(1, 2, gridspec_kw=dict(left=0.07, right=0.985, bottom=0.13,
                                                   top=0.84, wspace=0.2))
    else:
        axes = fig.subplots(1, 2)
        fig.suptitle("Full Jacobian of tanh(W2 tanh(W1 x)): forward vs reverse mode",
                     fontsize=11)
    for ax, key in zip(axes, ("n", "m")):
        _draw_sweep(ax, result[key], show, log_x, log_y, crossover)
    if show != "ratio":  # one legend for both panels, above them
        fig.legend(*axes[0].get_legend_handles_labels(), ncols=3, fontsize=9, frameon=False,
                   loc="upper center" if compact else "outside lower center")
    return axes


def draw_jacobian_cost_widget(fig, result, show="time", log_x=True, log_y=True, crossover=True):
    """`draw_jacobian_cost(..., compact=True)` for the explorer: each display choice (show,
    log_x, log_y) drawn once and kept (`keep_choice`); the crossover markers are animated, so
    showing or hiding them only blits."""
    def build(sub):
        axes = draw_jacobian_cost(sub, result, show, log_x, log_y, crossover=False, compact=True)
        return [a for ax, k in zip(axes, ("n", "m")) for a in _mark_crossover(
            ax, result[k]["crossover"], f"${result[k]['vary']}^*$", animated=True)]

    fig.set_layout_engine("none")
    markers = keep_choice(fig, (result,), (show, bool(log_x), bool(log_y)), build)
    for artist in markers:
        artist.set_visible(bool(crossover))
    return markers


def draw_tape_memory(fig, result, log_y=False):
    """Bytes held by the tape, and each mode's peak memory, against depth."""
    ax = fig.add_subplot()
    d = result["depths"]
    kib = 1 / 1024
    ax.plot(d, result["tape_values"] * kib, "o-", color=REV_COLOR,
            label="tape: intermediate values (counted)")
    ax.plot(d, result["peak_rev"] * kib, "s--", color=REV_COLOR, alpha=0.6,
            label="reverse mode, peak (tracemalloc)")
    ax.plot(d, result["peak_fwd"] * kib, "^-", color=FWD_COLOR,
            label="forward mode, peak (tracemalloc)")
    ax.set_xlabel("depth (layers)")
    ax.set_ylabel("KiB")
    if log_y:
        ax.set_yscale("log")
    ax.set_title(f"Memory vs depth ({result['width']}×{result['batch']} activations): "
                 f"tape +{result['bytes_per_layer'] / 1024:.0f} KiB per layer", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    return ax


def draw_cheap_gradient(fig, result):
    """time(grad f)/time(f) against n, beside the n + 1 evaluations of finite differences."""
    ax = fig.add_subplot()
    n = result["sizes"]
    ax.plot(n, result["grad_ratio"], "o-", color=REV_COLOR, label="reverse-mode gradient")
    ax.plot(n, result["fd_evals"], "--", color=FD_COLOR, label="finite differences: n + 1 evals")
    measured = np.isfinite(result["fd_ratio"])
    ax.plot(n[measured], result["fd_ratio"][measured], "x", color=FD_COLOR, markersize=8,
            label="finite differences (measured)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n (inputs)")
    ax.set_ylabel("cost of the gradient / cost of f")
    ax.set_title("The cheap-gradient principle (chained Rosenbrock)", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    return ax


def draw_hvp_cost(fig, result):
    """Time of a gradient, a Hessian-vector product and a full Hessian against n."""
    ax = fig.add_subplot()
    n = result["sizes"]
    ax.plot(n, result["t_grad"] * 1e3, "o-", color=REV_COLOR, label="gradient")
    ax.plot(n, result["t_hvp"] * 1e3, "s-", color=COLORS["hvp"], label="HVP (forward-over-reverse)")
    ax.plot(n, result["t_hessian"] * 1e3, "^-", color=COLORS["hessian"],
            label="full Hessian (n HVPs)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("n (inputs)")
    ax.set_ylabel("ms")
    ax.set_title("Hessian-vector product vs full Hessian (chained Rosenbrock)", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    return ax
