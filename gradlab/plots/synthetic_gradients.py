"""Figures for synthetic gradients and the feedback-alignment family (notebook 05).

Every function fills a given matplotlib Figure from results computed by `gradlab.methods.feedback`,
`gradlab.methods.synthetic_gradients` or `gradlab.experiments.synthetic_gradients` (no pyplot
state, no widgets). Colours: `gradlab.plots.style`; layers are coloured from dark (bottom) to
light (top) with viridis.
Divergence (NaN/inf losses) is drawn as divergence: the curve stops and the title says where.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.patches import Patch

from .kept import keep, keep_choice
from .style import color

METHOD_LABELS = {"backprop": "backprop", "fa": "FA", "dfa": "DFA", "kickback": "kickback",
                 "dni": "DNI", "cdni": "cDNI", "frozen": "frozen (control)"}
METRIC_LABELS = {
    "cos_delta": r"$\cos(\delta_i, \delta_i^{BP})$",
    "relerr_delta": r"$\|\delta_i - \delta_i^{BP}\| / \|\delta_i^{BP}\|$",
    "cos_update": r"$\cos(\Delta W_i, \Delta W_i^{BP})$",
    "relerr_update": r"$\|\Delta W_i - \Delta W_i^{BP}\| / \|\Delta W_i^{BP}\|$",
}
KIND_COLORS = {"forward": color("forward pass"), "backward": color("backward pass"),
               "sg": color("sg")}


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


def _fixed_layout(fig, bottom=0.14, top=0.86, left=0.06, right=0.99, wspace=0.28, hspace=0.35):
    """Fixed margins instead of constrained layout, for a widget's figure drawn again whenever
    its view changes (the layout pass costs more than the plot). Returns gridspec keywords."""
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
                        color=color(m, j))
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
        for i, (c, name) in enumerate(zip(_layer_colors(y.shape[1]),
                                          _layer_names(y.shape[1]))):
            ax.plot(x, _smooth(y[:, i], smooth), color=c, lw=1.3, label=name)
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
                 r"($\delta = \partial L / \partial a$, pre-activation; seed mean)", fontsize=10)


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
                axes[row, j].plot(r["step"][:len(y)], y, color=color(meth),
                                  label=_label(meth), lw=1.5)
        axes[0, j].set_title(f"{dname}, {mname}\nSG {results['placement'][mname]}", fontsize=9)
        axes[1, j].set_xlabel("full-batch step")
        for row in range(2):
            axes[row, j].set_yscale("log")
            axes[row, j].grid(alpha=0.3)
    axes[0, 0].set_ylabel(r"$\|W_1 \cdots W_L - A_{ls}\| / \|A_{ls}\|$")
    axes[1, 0].set_ylabel(r"$L - L_{ls}$")
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
    bp, sg = color("backprop"), color(results.get("sg_method", "cdni"))
    styles = {"BP vs backprop, other batch order": (bp, "o", "-"),
              "BP vs backprop, other init": (bp, "^", "--"),
              "BP vs untrained (the shared init)": (color("frozen"), "v", "-")}
    for pair, v in results["cka"].items():
        c, marker, ls = styles.get(pair, (sg, "s", "-"))
        axes[0].errorbar(layers, v.mean(0), yerr=v.std(0), marker=marker, ls=ls, capsize=3,
                         color=c, label=pair)
    axes[0].set_ylim(min(0.5, float(np.nanmin([v.min() for v in results["cka"].values()]))
                         - 0.05), 1.02)
    axes[0].set_ylabel("linear CKA with the backprop net (test set)")
    axes[0].set_title("similarity of the layers")
    styles = {"backprop": (bp, "-"), "backprop, other batch order": (bp, ":"),
              "backprop, other init": (bp, "--"), "untrained (the shared init)": (color("frozen"),
                                                                                 "-")}
    for name in results["names"]:
        c, ls = styles.get(name, (color(name), "-"))
        te = 100 * np.mean(results["test_error"][name])
        for ax, key in ((axes[1], "rank"), (axes[2], "probe")):
            v = np.asarray(results[key][name], dtype=float) * (100 if key == "probe" else 1)
            ax.errorbar(layers, v.mean(0), yerr=v.std(0), marker="o", ls=ls, capsize=3, color=c,
                        label=f"{name} (test error {te:.1f} %)")
    axes[1].set_ylabel(r"effective rank ($\exp$ entropy of $\sigma$)")
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
                     f"(steady state {s['per_batch']:.1f} per batch)", fontsize=9, y=1.0)
        ax.set_xlim(0, horizon * 1.01)
    axes[-1].set_xlabel("time (units of one layer's forward pass)")
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
        axes[1].plot(Ls, par, ls=ls, color="tab:blue", label=f"parallelism, p = {p:g}")
        axes[1].plot(Ls, work, ls=ls, color="tab:orange", label=f"work per batch, p = {p:g}")
    axes[0].plot(Ls, Ls, color="0.75", lw=1, label="$L$ (perfect)")
    axes[0].axhline(PAPER_SPEEDUP, color="tab:purple", lw=1.2)
    axes[0].text(Ls[0] + 0.2, PAPER_SPEEDUP * 1.04, "Bisong 2017: “over 3× faster”",
                 color="tab:purple", fontsize=8)
    if measured is not None:
        r = measured["rates"]
        best_bp = max(np.median(r["backprop, 2 BLAS threads"]),
                      np.median(r["backprop, 1 thread"]))
        for name, marker in (("DNI, 2 workers × 1 thread", "*"),
                             ("DNI p=0.2, 2 workers × 1 thread", "P")):
            ratio = np.median(r[name]) / best_bp
            axes[0].plot([2], [ratio], marker, ms=11, color=color("dni"), ls="none",
                         label=f"measured, 2 cores, {name.split(',')[0]}: {ratio:.2f}×")
    axes[0].set_xlabel("layers = devices $L$")
    axes[0].set_ylabel("speed-up over locked backprop")
    axes[0].set_title(f"schedule model: f = {model['forward']:g}, b = {model['backward']:g}, "
                      f"SG = {model['sg']:g} per layer", fontsize=9, y=1.0)
    axes[1].set_xlabel("layers = devices $L$")
    axes[1].set_ylabel("factor")
    axes[1].set_yscale("log")
    axes[1].set_title("total = parallelism × work (p < 1: fewer updates, not parallelism)",
                      fontsize=9, y=1.0)
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)


# ----------------------------------------------------------------------------------------
# The explorers' figures: drawn once per result (`keep`), the view controls move artists
# ----------------------------------------------------------------------------------------

def _epochs(r, n):
    """x in epochs for n per-step records."""
    return np.arange(1, n + 1) / r["steps_per_epoch"]


def _layer_names(n, top="output"):
    return [top if i == n - 1 else f"layer {i + 1}" for i in range(n)]


def build_training(fig, result):
    """The feedback explorer's figure without its view: the training loss of the method and of
    backprop (lines animated: smoothing moves them), the test errors, the title; the third
    panel (alignment per layer) is animated and filled by `update_training`."""
    runs, m = result["runs"], result["method"]
    regression = result.get("task") == "value"  # kickback's setting: no error rate, test MSE
    key, scale = ("test_loss", 1) if regression else ("test_error", 100)
    # fixed margins with room for the widest metric's labels: the layout is not redone when
    # the metric changes
    a_loss, a_err, a_metric = fig.subplots(1, 3, gridspec_kw=_fixed_layout(
        fig, left=0.085, right=0.99, bottom=0.14, top=0.88, wspace=0.42))
    loss_lines, diverged = [], []
    for name, r in runs.items():
        loss = np.asarray(r["loss"], dtype=float)
        ok = np.isfinite(loss)
        x = _epochs(r, len(loss))[ok]
        line = a_loss.plot(x, loss[ok], color=color(name), animated=True)[0]  # raw: the limits
        loss_lines.append((line, loss[ok]))
        a_err.plot(np.arange(len(r[key])), scale * np.asarray(r[key]), "o-", ms=3,
                   color=color(name), label=_label(name))
        if r["diverged_at"] is not None:
            diverged.append(f"{_label(name)} diverged at step {r['diverged_at']}")
    a_loss.set(yscale="log", xlabel="epoch", ylabel="training loss (batch, smoothed)")
    a_err.set(xlabel="epoch", ylabel="test MSE" if regression else "test error (%)",
              ylim=(0, None) if regression else (0, 100))
    a_err.legend(fontsize=8)
    for ax in (a_loss, a_err):
        ax.grid(alpha=0.3)
    err = scale * runs[m][key][-1]
    final = f"final test MSE {err:.3g}" if regression else f"final test error {err:.1f} %"
    head = (f"{_label(m)}, {result['depth']} hidden layers, $\\eta$ = {result['lr']:.2g}: "
            + final if np.isfinite(err) else f"{_label(m)}: diverged")
    fig.suptitle(head + ("  —  " + "; ".join(diverged) if diverged else ""), fontsize=10)
    a_metric.set_animated(True)
    return {"loss": loss_lines, "metric_ax": a_metric, "metric": None, "metric_lines": []}


def _draw_metric(ax, result, metric):
    """The third panel for one metric: each layer's signal against backprop's (raw values,
    which set the limits; `update_training` smooths them)."""
    m = result["method"]
    r = result["runs"][m]
    y = np.asarray(r.get(metric, np.empty((0, 1))), dtype=float)
    lines = []
    if y.size:
        x = _epochs(r, len(y))
        for i, (c, name) in enumerate(zip(_layer_colors(y.shape[1]),
                                          _layer_names(y.shape[1]))):
            lines.append((ax.plot(x, y[:, i], color=c, lw=1.3, label=name)[0], y[:, i]))
        ax.legend(fontsize=7)
    ax.set(xlabel="epoch", ylabel=METRIC_LABELS.get(metric, metric))
    ax.set_title(f"{_label(m)} vs backprop, per layer", fontsize=9, y=1.0)
    if metric.startswith("cos"):
        ax.set_ylim(-0.3, 1.05)
    elif y.size and np.nanmax(np.where(np.isfinite(y), y, 0)) > 0:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    return lines


def update_training(artists, result, metric="cos_delta", smooth=10):
    """Show `metric` in the third panel; smooth every curve over `smooth` steps."""
    if artists["metric"] != metric:
        artists["metric_ax"].clear()
        artists["metric_lines"] = _draw_metric(artists["metric_ax"], result, metric)
        artists["metric"] = metric
    for line, y in artists["loss"] + artists["metric_lines"]:
        line.set_ydata(_smooth(y, smooth))


def draw_training(fig, result, metric="cos_delta", smooth=10):
    """Widget view: loss / test error curves of the method and of backprop (same init), and the
    per-layer alignment of the method's signal with backprop's."""
    artists = keep(fig, (result,), lambda fig: build_training(fig, result))
    update_training(artists, result, metric, smooth)


def _sg_data(r, layer):
    sg_loss = np.asarray(r.get("sg_loss", np.empty((0, 0))), dtype=float)
    sg_cos = np.asarray(r.get("sg_cos", np.empty((0, 0))), dtype=float)
    n = sg_loss.shape[1] if sg_loss.ndim == 2 else 0
    chosen = range(n) if layer == "all" else [min(int(layer), n) - 1]
    return sg_loss, sg_cos, _epochs(r, sg_loss.shape[0]), n, list(chosen)


def build_sg_modules(fig, result):
    """The SG-module explorer's figure without its view: every module's regression loss and
    cosine with the true gradient (animated lines: smoothing and the choice of modules move
    them; the limits and legends cover every module), the test errors, the title."""
    r = result["run"]
    a_loss, a_cos, a_err = fig.subplots(1, 3)
    sg_loss, sg_cos, x, n, _ = _sg_data(r, "all")
    curves = []
    for i, c in enumerate(_layer_colors(max(n, 1))[:n]):
        name = f"M{i + 1}" + (" (true target)" if i == n - 1 else "")
        ok = np.isfinite(sg_loss[:, i]) & (sg_loss[:, i] > 0)
        loss_line = a_loss.plot(x[ok], sg_loss[ok, i], color=c, label=name, animated=True)[0]
        cos_line = a_cos.plot(x, sg_cos[:, i], color=c, label=f"M{i + 1}", animated=True)[0]
        curves.append(((loss_line, x[ok], sg_loss[ok, i]), (cos_line, x, sg_cos[:, i])))
    if n and np.any(sg_loss > 0):
        a_loss.set_yscale("log")
    a_loss.set_ylabel(r"regression loss $\frac{1}{2}\|\hat g - \mathrm{target}\|^2$")
    a_cos.set(ylabel=r"$\cos(\hat g_i, \partial L / \partial h_i)$", ylim=(-0.3, 1.05))
    te = 100 * np.asarray(r["test_error"])
    a_err.plot(np.arange(len(te)), te, "o-", ms=3, color=color("cdni"),
               label="with these modules")
    if result.get("baseline") is not None:
        a_err.plot(np.arange(len(result["baseline"])), 100 * result["baseline"], "o-", ms=3,
                   color=color("backprop"), label="backprop")
    a_err.set(ylabel="test error (%)", ylim=(0, 100))
    for ax in (a_loss, a_cos, a_err):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    s = result["settings"]
    title = (f"{'cDNI' if s['conditioned'] else 'DNI'}: {s['kind']} modules, SG $\\eta$ = "
             f"{s['sg_lr']:.2g}, {'bootstrapped' if s['bootstrap'] else 'true'} targets")
    if r["diverged_at"] is not None:
        title += f"  —  diverged at step {r['diverged_at']}"
    fig.suptitle(title, fontsize=10)
    return {"curves": curves}


def update_sg_modules(artists, result, layer="all", smooth=10):
    """Show every module or one (`layer` = "all" or its number, 1 = bottom), smoothed."""
    _, _, _, n, chosen = _sg_data(result["run"], layer)
    for i, pair in enumerate(artists["curves"]):
        for line, x, y in pair:
            line.set_data((x, _smooth(y, smooth)) if i in chosen else ([], []))


def draw_sg_modules(fig, result, layer="all", smooth=10):
    """Widget view: each SG module's regression loss and the cosine of its prediction with the
    true gradient ∂L/∂hᵢ over training, and the test error."""
    artists = keep(fig, (result,), lambda fig: build_sg_modules(fig, result))
    update_sg_modules(artists, result, layer, smooth)


def build_pipeline(fig, result, show="schedule"):
    """The pipeline explorer's figure for one choice: the two Gantt charts ("schedule"), or the
    speed-up against the number of layers ("speedup"). Fixed margins: no layout pass."""
    if show == "schedule":
        draw_schedule(fig, result["schedules"],
                      gridspec_kw=dict(left=0.07, right=0.99, bottom=0.1, top=0.86, hspace=0.45))
        m = result["model"]
        fig.suptitle(f"speed-up {m['total']:.2f}× = parallelism {m['parallel']:.2f} × "
                     f"work {m['work']:.2f}", fontsize=10)
    else:
        draw_speedup_model(fig, result["curve"],
                           gridspec_kw=dict(left=0.06, right=0.99, bottom=0.12, top=0.9,
                                            wspace=0.22))


def draw_pipeline(fig, result, show="schedule"):
    """Widget view: the two Gantt charts, or the speed-up against the number of layers. Each is
    drawn once per result in a subfigure of its own (`keep_choice`); switching only shows the
    other one."""
    fig.set_layout_engine("none")
    keep_choice(fig, (result,), show, lambda sub: build_pipeline(sub, result, show))
