"""Figures for synthetic gradients and the feedback-alignment family (notebook 05).

Every function fills a given matplotlib Figure from results computed by `gradlab.methods.feedback`,
`gradlab.methods.synthetic_gradients` or `gradlab.experiments.synthetic_gradients` (no pyplot
state, no widgets).
Divergence (NaN/inf losses) is drawn as divergence: the curve stops and the title says where.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import Bbox, BboxTransform

METHOD_COLORS = {"backprop": "#1f4e9c", "fa": "#2a9d55", "dfa": "#8bc34a", "kickback": "#7b3fa0",
                 "dni": "#d9541e", "cdni": "#e8a33d"}
METHOD_LABELS = {"backprop": "backprop", "fa": "FA", "dfa": "DFA", "kickback": "kickback",
                 "dni": "DNI", "cdni": "cDNI"}
METRIC_LABELS = {
    "cos_delta": "cos(δᵢ, δᵢᴮᴾ)",
    "relerr_delta": "‖δᵢ − δᵢᴮᴾ‖ / ‖δᵢᴮᴾ‖",
    "cos_update": "cos(ΔWᵢ, ΔWᵢᴮᴾ)",
    "relerr_update": "‖ΔWᵢ − ΔWᵢᴮᴾ‖ / ‖ΔWᵢᴮᴾ‖",
}


def _label(m):
    return METHOD_LABELS.get(m, m)


def _smooth(y, k):
    """Moving average over k steps (along axis 0), NaN-aware; k ≤ 1 returns y."""
    if k <= 1 or len(y) < 2:
        return y
    k = min(k, len(y))
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(y)
    num = np.cumsum(np.where(ok, y, 0.0), axis=0)
    den = np.cumsum(ok, axis=0).astype(float)
    num = np.concatenate([np.zeros((1,) + y.shape[1:]), num])
    den = np.concatenate([np.zeros((1,) + y.shape[1:]), den])
    out = (num[k:] - num[:-k]) / np.maximum(den[k:] - den[:-k], 1)
    head = num[1:k] / np.maximum(den[1:k], 1)
    return np.concatenate([head, out])


def _plain_log(ax):
    """Log scale with plain tick labels (no mathtext: widget redraws must stay fast)."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(
        lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else ""))


def _fixed_layout(fig, bottom=0.14, top=0.86, left=0.06, right=0.99, wspace=0.28, hspace=0.35):
    """Fixed margins instead of constrained layout, which costs most of a redraw (widgets).
    Returns the gridspec keywords to create the axes with."""
    fig.set_layout_engine("none")
    return dict(left=left, right=right, bottom=bottom, top=top, wspace=wspace, hspace=hspace)


def _layer_colors(n):
    cmap = colormaps["viridis"]
    return [cmap(0.1 + 0.8 * i / max(1, n - 1)) for i in range(n)]


# ----------------------------------------------------------------------------------------
# Experiment 1: the table, error vs depth, alignment curves
# ----------------------------------------------------------------------------------------

def _cell(values):
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return "diverged"
    if v.size == 1:
        return f"{100 * v[0]:.1f}"
    return f"{100 * v.mean():.1f} ± {100 * v.std(ddof=1):.1f}"


def draw_error_table(fig, results):
    """Test error (%) mean ± std over seeds: methods × depths, the paper's MNIST numbers beside."""
    PAPER_MNIST = results.get("paper", {})
    depths = results["depths"]
    header = ["method"] + [f"{d} layers" for d in depths] + ["Jaderberg et al., MNIST FCN"]
    rows = []
    for m in results["methods"]:
        rows.append([_label(m)] + [_cell(results["errors"][m][d]) for d in depths]
                    + [PAPER_MNIST.get(m, "—") + (" [unverified]" if m in PAPER_MNIST else "")])
    rows.append(["scalar task: is the digit odd?"] + [""] * len(depths) + [""])
    for m in results["scalar_methods"]:
        rows.append([_label(m) + " (odd?)"] + [_cell(results["scalar_errors"][m][d])
                                              for d in depths] + ["—"])
    ax = fig.add_subplot(1, 1, 1)
    ax.axis("off")
    widths = [0.2] + [0.5 / len(depths)] * len(depths) + [0.3]
    table = ax.table(cellText=rows, colLabels=header, loc="center", cellLoc="center",
                     colWidths=widths)
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    table.scale(1, 1.35)
    for (r, c), cell in table.get_celld().items():
        if r == 0:
            cell.set_text_props(weight="bold")
        if c == 0:
            cell.set_text_props(ha="left")
    n = len(results["seeds"])
    ax.set_title(f"Digits MLP test error (%), mean ± std over {n} seeds; every hidden layer "
                 "decoupled for DNI/cDNI.\nThe paper's numbers are for MNIST (not digits), quoted "
                 "from memory in our research notes: compare orderings, not values.", fontsize=9)


def draw_error_vs_depth(fig, results):
    """Test error against depth per method, error bars = std over seeds; scalar task beside."""
    depths = results["depths"]
    axes = fig.subplots(1, 2)
    for ax, key, ms, title in ((axes[0], "errors", results["methods"], "10 classes"),
                               (axes[1], "scalar_errors", results["scalar_methods"],
                                "scalar task: is the digit odd?")):
        for j, m in enumerate(ms):
            vals = [np.asarray(results[key][m][d], dtype=float) for d in depths]
            mean = [100 * np.nanmean(v) if np.isfinite(v).any() else np.nan for v in vals]
            std = [100 * np.nanstd(v, ddof=1) if np.isfinite(v).sum() > 1 else 0 for v in vals]
            x = np.array(depths) + 0.06 * (j - len(ms) / 2)
            ax.errorbar(x, mean, yerr=std, marker="o", capsize=3, label=_label(m),
                        color=METHOD_COLORS.get(m))
        ax.set_xticks(depths)
        ax.set_xlabel("hidden layers")
        ax.set_ylabel("test error (%)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)


def draw_alignment(fig, align, metric="cos_delta", smooth=10, title="", methods=None):
    """One panel per method: `metric` per layer over training (x in epochs)."""
    methods = [m for m in (methods or align) if m in align]
    axes = np.atleast_1d(fig.subplots(1, len(methods), sharey=True))
    for ax, m in zip(axes, methods):
        y = np.asarray(align[m][metric])
        spe = align[m]["steps_per_epoch"]
        x = np.arange(1, len(y) + 1) / spe
        colors = _layer_colors(y.shape[1])
        for i in range(y.shape[1]):
            name = "output" if i == y.shape[1] - 1 else f"layer {i + 1}"
            ax.plot(x, _smooth(y[:, i], smooth), color=colors[i], lw=1.3, label=name)
        ax.set_title(_label(m))
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        if metric.startswith("cos"):
            ax.set_ylim(-0.3, 1.05)
        else:
            ax.set_yscale("log")
    axes[0].set_ylabel(METRIC_LABELS.get(metric, metric))
    axes[-1].legend(fontsize=7, loc="lower right" if metric.startswith("cos") else "upper right")
    fig.suptitle(f"{title}: each method's error signal against backprop's at the same parameters "
                 "(δ = ∂L/∂a, pre-activation; seed mean)", fontsize=10)


# ----------------------------------------------------------------------------------------
# Experiment 2: linear models
# ----------------------------------------------------------------------------------------

def draw_linear_convergence(fig, results):
    """Rows: distance of W₁⋯W_L to the least-squares map, and L − L_ls; columns: data × model."""
    combos = [(d, m) for d in results["data"] for m in results["models"]
              if any((d, m, meth) in results["runs"] for meth in results["methods"])]
    axes = fig.subplots(2, len(combos), squeeze=False)
    for j, (dname, mname) in enumerate(combos):
        for meth in results["methods"]:
            r = results["runs"].get((dname, mname, meth))
            if r is None:
                continue
            for row, key in enumerate(("distance", "loss_gap")):
                y = np.median(np.abs(r[key]), axis=0)
                y = np.where(y > 0, y, np.nan)
                axes[row, j].plot(r["step"][:len(y)], y, color=METHOD_COLORS[meth],
                                  label=_label(meth), lw=1.5)
        axes[0, j].set_title(f"{dname}, {mname}\nSG {results['placement'][mname]}", fontsize=9)
        axes[1, j].set_xlabel("full-batch step")
        for row in range(2):
            axes[row, j].set_yscale("log")
            axes[row, j].grid(alpha=0.3)
    axes[0, 0].set_ylabel("‖W₁⋯W_L − A_ls‖ / ‖A_ls‖")
    axes[1, 0].set_ylabel("L − L_ls")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("Linear models trained with linear synthetic gradients: the end-to-end map "
                 "against the least-squares solution (median over seeds)", fontsize=10)


# ----------------------------------------------------------------------------------------
# Experiment 3: representations
# ----------------------------------------------------------------------------------------

def draw_representations(fig, results):
    """CKA per layer (with the BP-vs-BP baseline), effective rank, linear-probe error."""
    axes = fig.subplots(1, 3)
    depth = results["depth"]
    layers = np.arange(1, depth + 1)
    styles = {"BP vs backprop, other batch order": ("#6f93d0", "o"),
              "BP vs backprop, other init": ("#1f4e9c", "^"),
              "BP vs untrained (the shared init)": ("#999999", "v")}
    for pair, v in results["cka"].items():
        color, marker = styles.get(pair, (METHOD_COLORS.get(results.get("sg_method"), "#e8a33d"),
                                          "s"))
        axes[0].errorbar(layers, v.mean(0), yerr=v.std(0), marker=marker, capsize=3,
                         color=color, label=pair)
    axes[0].set_ylim(min(0.5, float(np.nanmin([v.min() for v in results["cka"].values()]))
                         - 0.05), 1.02)
    axes[0].set_ylabel("linear CKA with the backprop net (test set)")
    axes[0].set_title("similarity of the layers")
    colors = {"backprop": "#1f4e9c", "backprop, other batch order": "#6f93d0",
              "backprop, other init": "#9fb6e0", "untrained (the shared init)": "#999999"}
    for name in results["names"]:
        c = colors.get(name, METHOD_COLORS.get(name, "#e8a33d"))
        te = 100 * np.mean(results["test_error"][name])
        for ax, key in ((axes[1], "rank"), (axes[2], "probe")):
            v = np.asarray(results[key][name], dtype=float) * (100 if key == "probe" else 1)
            ax.errorbar(layers, v.mean(0), yerr=v.std(0), marker="o", capsize=3, color=c,
                        label=f"{name} (test error {te:.1f} %)")
    axes[1].set_ylabel("effective rank (exp entropy of σ)")
    axes[1].set_title("how many directions each layer uses")
    axes[2].set_ylabel("linear-probe test error (%)")
    axes[2].set_title("how linearly separable each layer is")
    for ax in axes:
        ax.set_xlabel("hidden layer")
        ax.set_xticks(layers)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)


# ----------------------------------------------------------------------------------------
# Experiment 4: schedules and speed-ups
# ----------------------------------------------------------------------------------------

KIND_COLORS = {"forward": "#6f93d0", "backward": "#d9541e", "sg": "#e8a33d"}


def draw_schedule(fig, schedules, horizon=None, gridspec_kw=None):
    """Gantt charts, one panel per schedule: devices (layers) on y, time on x."""
    names = list(schedules)
    axes = np.atleast_1d(fig.subplots(len(names), 1, sharex=True, gridspec_kw=gridspec_kw))
    horizon = horizon or max(s["makespan"] for s in schedules.values())
    for ax, name in zip(axes, names):
        s = schedules[name]
        L = 1 + max(t[0] for t in s["tasks"])
        bars = {}
        for dev, start, end, kind, _batch in s["tasks"]:
            if start <= horizon:
                bars.setdefault((dev, kind), []).append((start, end - start))
        for (dev, kind), spans in bars.items():  # one call per row and kind: fast redraws
            ax.broken_barh(spans, (dev - 0.4, 0.8), facecolors=KIND_COLORS[kind],
                           edgecolor="white", lw=0.5)
        if len(s["tasks"]) <= 40:
            for dev, start, end, kind, batch in s["tasks"]:
                if end - start >= 0.8 and kind != "sg" and start <= horizon:
                    ax.text((start + end) / 2, dev, str(batch), ha="center", va="center",
                            fontsize=7, color="white")
        ax.set_yticks(range(L))
        ax.set_yticklabels([f"layer {i + 1}" for i in range(L)], fontsize=7)
        ax.invert_yaxis()
        n_batches = 1 + max(t[4] for t in s["tasks"])
        ax.set_title(f"{name}: {n_batches} batches in {s['makespan']:.1f} time units "
                     f"(steady state {s['per_batch']:.1f} per batch)", fontsize=9)
        ax.set_xlim(0, horizon * 1.01)
    axes[-1].set_xlabel("time (units of one layer's forward pass)")
    from matplotlib.patches import Patch
    axes[-1].legend(handles=[Patch(color=c, label=k) for k, c in KIND_COLORS.items()],
                    fontsize=7, loc="lower right", ncol=3)


def draw_speedup_model(fig, model, measured=None, paper_speedup=3.0, gridspec_kw=None):
    """Speed-up of DNI over locked backprop vs L (one device per layer), split into its two
    factors, with Bisong's "over 3×" marked and (optionally) our measured 2-core ratio."""
    PAPER_SPEEDUP = paper_speedup
    axes = fig.subplots(1, 2, gridspec_kw=gridspec_kw)
    Ls = model["L"]
    styles = ["-", "--", ":"]
    for p, tot, work, par, ls in zip(model["update_probs"], model["total"], model["work"],
                                     model["parallel"], styles):
        axes[0].plot(Ls, tot, ls=ls, color="k", label=f"total, p = {p:g}")
        axes[1].plot(Ls, par, ls=ls, color="#1f4e9c", label=f"parallelism, p = {p:g}")
        axes[1].plot(Ls, work, ls=ls, color="#d9541e", label=f"work per batch, p = {p:g}")
    axes[0].plot(Ls, Ls, color="#bbbbbb", lw=1, label="L (perfect)")
    axes[0].axhline(PAPER_SPEEDUP, color="#7b3fa0", lw=1.2)
    axes[0].text(Ls[0] + 0.2, PAPER_SPEEDUP * 1.04, "Bisong 2017: “over 3× faster”",
                 color="#7b3fa0", fontsize=8)
    if measured is not None:
        r = measured["rates"]
        best_bp = max(np.median(r["backprop, 2 BLAS threads"]),
                      np.median(r["backprop, 1 thread"]))
        for name, marker in (("DNI, 2 workers × 1 thread", "*"),
                             ("DNI p=0.2, 2 workers × 1 thread", "P")):
            ratio = np.median(r[name]) / best_bp
            axes[0].plot([2], [ratio], marker, ms=11, color="#e8a33d", ls="none",
                         label=f"measured, 2 cores, {name.split(',')[0]}: {ratio:.2f}×")
    axes[0].set_xlabel("layers = devices L")
    axes[0].set_ylabel("speed-up over locked backprop")
    axes[0].set_title(f"schedule model: f = {model['forward']:g}, b = {model['backward']:g}, "
                      f"SG = {model['sg']:g} per layer", fontsize=9)
    axes[1].set_xlabel("layers = devices L")
    axes[1].set_ylabel("factor")
    _plain_log(axes[1])
    axes[1].set_title("total = parallelism × work (p < 1: fewer updates, not parallelism)",
                      fontsize=9)
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)


# ----------------------------------------------------------------------------------------
# Widgets' views
# ----------------------------------------------------------------------------------------
#
# Built for fast redraws: what a view control cannot change (frames, ticks, labels, legends,
# titles, the test-error panel) is rendered once per result into a static layer kept with the
# figure; a redraw pastes that image and draws only the curves that move, in pixels computed
# from each panel's saved box and limits (log axes: limits and data in log10).


def _clear(fig):
    """Remove the axes without resetting them (cheap), then clear the figure."""
    for ax in tuple(fig.axes):
        fig.delaxes(ax)
    fig.clear()


def _static_layer(fig, result, key, draw_static, max_cached=16):
    """Paste the static layer `key` of `result` into `fig`, drawing it first if this result
    has not drawn it yet. `draw_static(fig)` draws on a cleared figure (fixed layout) and returns
    the axes that curves are drawn on later, or panels of a layer it pasted first (layers of
    layers: a view that changes one panel re-renders only that panel); returns, per such axes,
    its panel (box in pixels, x and y limits, whether x and y are log)."""
    store = fig.__dict__.get("_gradlab_feedback_layers")
    if store is None or store[0] is not result:
        store = fig.__dict__["_gradlab_feedback_layers"] = (result, {})
    layers = store[1]
    full_key = (key, tuple(np.round(fig.get_size_inches(), 3)), float(fig.dpi))
    if full_key not in layers:
        _clear(fig)
        fig.set_layout_engine("none")
        axes = draw_static(fig)
        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba()).copy()
        panels = [ax if isinstance(ax, tuple) else
                  (ax.bbox.frozen(), ax.get_xlim(), ax.get_ylim(), ax.get_xscale() == "log",
                   ax.get_yscale() == "log") for ax in axes]
        _clear(fig)
        if len(layers) >= max_cached:
            layers.pop(next(iter(layers)))
        layers[full_key] = (rgba, panels)
    rgba, panels = layers[full_key]
    fig.set_layout_engine("none")
    fig.figimage(rgba, origin="upper", resize=False, zorder=-1)  # under all drawn on it
    return panels


def _overlay_line(fig, panel, x, y, **kw):
    """A curve in `panel`'s data coordinates, clipped to the panel, drawn on the figure."""
    box, (x0, x1), (y0, y1), xlog, ylog = panel
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if xlog:
            x, (x0, x1) = np.where(x > 0, np.log10(x), np.nan), np.log10([x0, x1])
        if ylog:
            y, (y0, y1) = np.where(y > 0, np.log10(y), np.nan), np.log10([y0, y1])
    line = Line2D(x, y, transform=BboxTransform(Bbox([[x0, y0], [x1, y1]]), box), **kw)
    line.set_clip_box(box)
    fig.add_artist(line)
    return line


def _frame(ax, x, ys):
    """Give `ax` the limits autoscaling would give these curves unsmoothed (smoothing only
    narrows a curve's range), without drawing them (a legend at loc="best" still avoids them)."""
    for y in ys:
        ax.plot(x[:len(y)], y, visible=False, label="_nolegend_")


def _proxies(colors, labels, **kw):
    return [Line2D([], [], color=c, label=lab, **kw) for c, lab in zip(colors, labels)]


def _training_base(result):
    """What no view control changes: the loss frame, the test-error panel, the title."""
    runs, m = result["runs"], result["method"]

    def draw_static(fig):
        gs = fig.add_gridspec(1, 3, **_fixed_layout(fig))
        axes = [fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[0, 1])]
        title_bits = []
        for name, r in runs.items():
            color = METHOD_COLORS.get(name, "k")
            loss = np.asarray(r["loss"], dtype=float)
            ok = np.isfinite(loss)
            steps = np.arange(1, len(loss) + 1) / r["steps_per_epoch"]
            _frame(axes[0], steps[ok], [loss[ok]])
            axes[1].plot(np.arange(len(r["test_error"])), 100 * r["test_error"], "o-", ms=3,
                         color=color, label=_label(name))
            if r["diverged_at"] is not None:
                title_bits.append(f"{_label(name)} diverged at step {r['diverged_at']}")
        _plain_log(axes[0])
        axes[0].set_xlabel("epoch")
        axes[0].set_ylabel("training loss (batch, smoothed)")
        axes[1].set_xlabel("epoch")
        axes[1].set_ylabel("test error (%)")
        axes[1].set_ylim(0, 100)
        for ax in axes[:2]:
            ax.grid(alpha=0.3)
            ax.locator_params(axis="x", nbins=5)
        axes[1].legend(fontsize=8)
        err = 100 * runs[m]["test_error"][-1]
        head = f"{_label(m)}, {result['depth']} hidden layers, η = {result['lr']:.2g}: " \
               f"final test error {err:.1f} %" if np.isfinite(err) else f"{_label(m)}: diverged"
        fig.suptitle(head + ("  —  " + "; ".join(title_bits) if title_bits else ""),
                     fontsize=10)
        return [axes[0]]

    return draw_static


def _training_static(result, metric):
    """The base layer with the metric's frame and legend on the third panel."""
    m = result["method"]

    def draw_static(fig):
        (loss_panel,) = _static_layer(fig, result, ("training",), _training_base(result))
        ax = fig.add_subplot(fig.add_gridspec(1, 3, **_fixed_layout(fig))[0, 2])
        r = result["runs"][m]
        y = np.asarray(r.get(metric, np.empty((0, 1))), dtype=float)
        if y.size:
            x = np.arange(1, len(y) + 1) / r["steps_per_epoch"]
            _frame(ax, x, y.T)
            names = ["output" if i == y.shape[1] - 1 else f"layer {i + 1}"
                     for i in range(y.shape[1])]
            ax.legend(handles=_proxies(_layer_colors(y.shape[1]), names, lw=1.3), fontsize=7)
        ax.set_xlabel("epoch")
        ax.set_ylabel(METRIC_LABELS.get(metric, metric))
        ax.set_title(f"{_label(m)} vs backprop, per layer", fontsize=9)
        if metric.startswith("cos"):
            ax.set_ylim(-0.3, 1.05)
        elif y.size and np.isfinite(y).any() and np.nanmax(y) > 0:
            _plain_log(ax)
        ax.grid(alpha=0.3)
        return [loss_panel, ax]

    return draw_static


def draw_training(fig, result, metric="cos_delta", smooth=10):
    """Widget view: loss / test error curves of the method and of backprop (same init), and the
    per-layer alignment of the method's signal with backprop's."""
    runs, m = result["runs"], result["method"]
    loss_panel, metric_panel = _static_layer(fig, result, ("training", metric),
                                             _training_static(result, metric))
    for name, r in runs.items():
        loss = np.asarray(r["loss"], dtype=float)
        ok = np.isfinite(loss)
        steps = np.arange(1, len(loss) + 1) / r["steps_per_epoch"]
        _overlay_line(fig, loss_panel, steps[ok], _smooth(loss[ok], smooth),
                      color=METHOD_COLORS.get(name, "k"))
    r = runs[m]
    y = np.asarray(r.get(metric, np.empty((0, 1))), dtype=float)
    if y.size:
        x = np.arange(1, len(y) + 1) / r["steps_per_epoch"]
        ys = _smooth(y, smooth)
        for i, color in enumerate(_layer_colors(y.shape[1])):
            _overlay_line(fig, metric_panel, x, ys[:, i], color=color, lw=1.3)


def _sg_base(result):
    """What no view control changes: the test-error panel and the title."""
    r = result["run"]

    def draw_static(fig):
        ax = fig.add_subplot(fig.add_gridspec(1, 3, **_fixed_layout(fig))[0, 2])
        te = 100 * np.asarray(r["test_error"])
        ax.plot(np.arange(len(te)), te, "o-", ms=3, color=METHOD_COLORS["cdni"],
                label="with these modules")
        if result.get("baseline") is not None:
            ax.plot(np.arange(len(result["baseline"])), 100 * result["baseline"], "o-",
                    ms=3, color=METHOD_COLORS["backprop"], label="backprop")
        ax.set_ylabel("test error (%)")
        ax.set_ylim(0, 100)
        ax.legend(fontsize=7)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        s = result["settings"]
        title = (f"{'cDNI' if s['conditioned'] else 'DNI'}: {s['kind']} modules, SG η = "
                 f"{s['sg_lr']:.2g}, {'bootstrapped' if s['bootstrap'] else 'true'} targets")
        if r["diverged_at"] is not None:
            title += f"  —  diverged at step {r['diverged_at']}"
        fig.suptitle(title, fontsize=10)
        return []

    return draw_static


def _sg_static(result, layer):
    """The base layer with the chosen modules' frames and legends on the first two panels."""
    r = result["run"]

    def draw_static(fig):
        _static_layer(fig, result, ("sg",), _sg_base(result))
        gs = fig.add_gridspec(1, 3, **_fixed_layout(fig))
        axes = [fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[0, 1])]
        sg_loss, sg_cos, x, n, chosen = _sg_data(r, layer)
        colors = _layer_colors(max(n, 1))
        for i in chosen:
            ok = np.isfinite(sg_loss[:, i]) & (sg_loss[:, i] > 0)
            _frame(axes[0], x[ok], [sg_loss[ok, i]])
            _frame(axes[1], x, [sg_cos[:, i]])
        _plain_log(axes[0])
        axes[0].set_ylabel("regression loss ½‖ĝ − target‖²")
        axes[1].set_ylabel("cos(ĝᵢ, true ∂L/∂hᵢ)")
        axes[1].set_ylim(-0.3, 1.05)
        if len(chosen):
            cs = [colors[i] for i in chosen]
            axes[0].legend(handles=_proxies(cs, [f"M{i + 1}" + (" (true target)"
                                                                if i == n - 1 else "")
                                                 for i in chosen]),
                           fontsize=7)
            axes[1].legend(handles=_proxies(cs, [f"M{i + 1}" for i in chosen]), fontsize=7)
        for ax in axes:
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
        return axes

    return draw_static


def _sg_data(r, layer):
    sg_loss = np.asarray(r.get("sg_loss", np.empty((0, 0))), dtype=float)
    sg_cos = np.asarray(r.get("sg_cos", np.empty((0, 0))), dtype=float)
    n = sg_loss.shape[1] if sg_loss.ndim == 2 else 0
    chosen = range(n) if layer == "all" else [min(int(layer), n) - 1]
    x = np.arange(1, sg_loss.shape[0] + 1) / r["steps_per_epoch"]
    return sg_loss, sg_cos, x, n, list(chosen)


def draw_sg_modules(fig, result, layer="all", smooth=10):
    """Widget view: each SG module's regression loss and the cosine of its prediction with the
    true gradient ∂L/∂hᵢ over training, and the test error."""
    r = result["run"]
    loss_panel, cos_panel = _static_layer(fig, result, ("sg", layer), _sg_static(result, layer))
    sg_loss, sg_cos, x, n, chosen = _sg_data(r, layer)
    colors = _layer_colors(max(n, 1))
    for i in chosen:
        ok = np.isfinite(sg_loss[:, i]) & (sg_loss[:, i] > 0)
        _overlay_line(fig, loss_panel, x[ok], _smooth(sg_loss[ok, i], smooth), color=colors[i])
        _overlay_line(fig, cos_panel, x, _smooth(sg_cos[:, i], smooth), color=colors[i])


def _pipeline_static(result, show):
    def draw_static(fig):
        if show == "schedule":
            draw_schedule(fig, result["schedules"],
                          gridspec_kw=_fixed_layout(fig, bottom=0.1, top=0.86, left=0.07,
                                                    hspace=0.45))
            m = result["model"]
            fig.suptitle(f"speed-up {m['total']:.2f}× = parallelism {m['parallel']:.2f} × "
                         f"work {m['work']:.2f}", fontsize=10)
        else:
            draw_speedup_model(fig, result["curve"],
                               gridspec_kw=_fixed_layout(fig, bottom=0.12, top=0.9,
                                                         wspace=0.22))
        return []

    return draw_static


def draw_pipeline(fig, result, show="schedule"):
    """Widget view: the two Gantt charts, or the speed-up against the number of layers (nothing
    moves within a view: each is rendered once per result and pasted)."""
    _static_layer(fig, result, ("pipeline", show), _pipeline_static(result, show))
