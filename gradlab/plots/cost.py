"""Drawing the cost of derivatives (results from `gradlab.ad.cost`) on a given matplotlib Figure."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MaxNLocator
from matplotlib.transforms import IdentityTransform

FWD_COLOR, REV_COLOR, F_COLOR, FD_COLOR = "tab:blue", "tab:orange", "0.45", "tab:red"
_PLAIN = FuncFormatter(lambda v, _pos: f"{v:g}")


def _plain_ticks(ax, sizes, log_y):
    """Few ticks, labelled as plain numbers (1, 2, 4, ...; 0.1, 1, 10): easier to read than
    2^k, and far faster to draw (every tick is several artists; mathtext is slow to lay out)."""
    ax.minorticks_off()
    ax.xaxis.set_major_locator(FixedLocator(sizes if len(sizes) <= 9 else sizes[::2]))
    ax.yaxis.set_major_locator(LogLocator(numticks=5) if log_y else MaxNLocator(5))
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(_PLAIN)


def _mark_crossover(ax, x, label):
    if np.isfinite(x):
        ax.axvline(x, color="0.3", linestyle=":", linewidth=1.2)
        ax.annotate(f"{label} ≈ {x:.1f}", xy=(x, 0.97), xycoords=("data", "axes fraction"),
                    xytext=(4, 0), textcoords="offset points", va="top", fontsize=9)


def _draw_sweep(ax, sweep, show, log_x, log_y, crossover):
    vary = sweep["vary"]
    other = "m" if vary == "n" else "n"
    sizes = sweep["sizes"]
    if show == "ratio":
        ax.plot(sizes, sweep["ratio"], "o-", color="tab:purple", label="jacfwd / jacrev")
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
        _mark_crossover(ax, sweep["crossover"], f"{vary}*")
    if log_x:
        ax.set_xscale("log", base=2)
    if log_y:
        ax.set_yscale("log")
    _plain_ticks(ax, sizes, log_y)
    what = "inputs" if vary == "n" else "outputs"
    ax.set_xlabel(f"{vary} ({what})")
    ax.set_title(f"{vary} grows, {other} = {sweep['fixed']}", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)


def draw_jacobian_cost(fig, result, show="time", log_x=True, log_y=True, crossover=True,
                       compact=False):
    """Two panels: time of jacfwd and jacrev as n grows (m fixed) and as m grows (n fixed).

    `result` is `gradlab.ad.cost.jacobian_cost(...)`. show="time" draws milliseconds per Jacobian,
    show="ratio" draws time(jacfwd)/time(jacrev) (above 1: reverse mode is cheaper).
    compact=True (for widget redraws) uses fixed margins instead of the figure's layout engine
    and leaves out the overall title: it renders in about half the time.
    """
    if compact:
        fig.set_layout_engine("none")
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


def _clear(fig):
    """Remove the axes without resetting them (cheap), then clear the figure."""
    for ax in tuple(fig.axes):
        fig.delaxes(ax)
    fig.clear()


def draw_jacobian_cost_widget(fig, result, show="time", log_x=True, log_y=True, crossover=True):
    """`draw_jacobian_cost(..., compact=True)` for widget redraws: everything but the crossover
    markers is rendered once per (result, show, log_x, log_y) into an image kept with the
    figure; a redraw pastes it and draws the markers on top (in pixels from the saved panels)."""
    store = fig.__dict__.get("_gradlab_cost_layers")
    if store is None or store[0] is not result:
        store = fig.__dict__["_gradlab_cost_layers"] = (result, {})
    layers = store[1]
    key = (show, bool(log_x), bool(log_y), tuple(np.round(fig.get_size_inches(), 3)),
           float(fig.dpi))
    if key not in layers:
        _clear(fig)
        axes = draw_jacobian_cost(fig, result, show, log_x, log_y, crossover=False,
                                  compact=True)
        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba()).copy()
        # per panel: its box in pixels and its data → pixel map along x
        panels = [(ax.bbox.frozen(), ax.transData.frozen()) for ax in axes]
        _clear(fig)
        layers[key] = (rgba, panels)
    rgba, panels = layers[key]
    fig.set_layout_engine("none")
    fig.figimage(rgba, origin="upper", resize=False)
    if crossover:
        for (box, to_px), k in zip(panels, ("n", "m")):
            x = result[k]["crossover"]
            if not np.isfinite(x):
                continue
            px = to_px.transform([[x, 1.0]])[0, 0]  # x only: y is any value on the axes' scale
            if not box.x0 <= px <= box.x1:
                continue
            fig.add_artist(Line2D([px, px], [box.y0, box.y1], transform=IdentityTransform(),
                                  color="0.3", linestyle=":", linewidth=1.2))
            fig.text(px + 4 * fig.dpi / 72, box.y0 + 0.97 * box.height,
                     f"{result[k]['vary']}* ≈ {x:.1f}", transform=IdentityTransform(),
                     va="top", fontsize=9)


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
    ax.plot(n, result["t_hvp"] * 1e3, "s-", color="tab:green", label="HVP (forward-over-reverse)")
    ax.plot(n, result["t_hessian"] * 1e3, "^-", color="tab:purple",
            label="full Hessian (n HVPs)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("n (inputs)")
    ax.set_ylabel("ms")
    ax.set_title("Hessian-vector product vs full Hessian (chained Rosenbrock)", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    return ax
