"""Figures for forward gradients: cosine histograms, 2-D trajectories, digits curves, scaling, cost.

Every function fills a given matplotlib Figure from results computed by
`gradlab.methods.forward_gradient`
(no pyplot state, no widgets). Divergence (inf/NaN losses) is drawn as divergence: the curve
stops and the title or legend says at which step.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.ticker import LogFormatter

from ..estimators.gradient_error import (
    closed_form,
    cosine_pdf,
    expected_cosine,
    expected_cosine_ratio_approx,
)
from ..models.test_functions import FUNCTIONS
from .style import color as _color

GD_COLOR = _color("backprop")
FGD_COLOR = _color("forward gradient")


# ----------------------------------------------------------------------------------------
# (a) One point, many samples: cosine / relative error histograms.
# ----------------------------------------------------------------------------------------

def draw_cosine_histogram(fig, result, quantity="cosine", bins=40, ax=None, title=True):
    """Histogram of cos(g, ∇f) or ‖g − ∇f‖/‖∇f‖ over samples, with the closed form overlaid.

    result: from `forward_gradient.cosine_samples`.
    """
    n, K, dist = result["n"], result["K"], result["distribution"]
    ax = ax if ax is not None else fig.add_subplot(1, 1, 1)
    if quantity == "cosine":
        c = result["cosines"]
        ax.hist(c, bins=bins, range=(0, max(1e-3, min(1.0, c.max() * 1.05))), density=True,
                color="#9bb7e0", edgecolor="white", label=f"{c.size} samples")
        ax.axvline(c.mean(), color="k", lw=1.5, label=f"sample mean {c.mean():.3f}")
        if dist == "gaussian" and K == 1 and n >= 2:
            xs = np.linspace(0, min(1.0, c.max() * 1.05), 400)[:-1]
            pdf = cosine_pdf(xs, n) if n > 2 else np.clip(cosine_pdf(xs, n), 0, 50)
            ax.plot(xs, pdf, color=FGD_COLOR, lw=2,
                    label=r"theory: $\cos^2 \sim \mathrm{Beta}(\frac{1}{2}, \frac{n-1}{2})$")
            ax.axvline(expected_cosine(n), color=FGD_COLOR, ls="--", lw=1.5,
                       label=f"theory mean {expected_cosine(n):.3f}")
        else:
            approx = expected_cosine_ratio_approx(n, K, dist)
            ax.axvline(approx, color=FGD_COLOR, ls="--", lw=1.5,
                       label=rf"$1/\sqrt{{1 + (n \pm 1)/K}}$ = {approx:.3f} (large-$K$ approx.)")
        ax.set_xlabel(r"$\cos(g, \nabla f)$: forward gradient $g$ against the true gradient")
        ax.set_xlim(left=0)
    else:
        r = result["relative_errors"]
        hi = np.quantile(r, 0.995) * 1.05 if r.size else 1.0
        ax.hist(r, bins=bins, range=(0, hi), density=True, color="#f2c29b", edgecolor="white",
                label=f"{r.size} samples")
        rms = np.sqrt(np.mean(r ** 2))
        theory = np.sqrt(closed_form(result["grad"], dist, K)["relative_mse"])
        ax.axvline(rms, color="k", lw=1.5, label=f"sample RMS {rms:.2f}")
        c = "n+1" if dist == "gaussian" else "n-1"
        ax.axvline(theory, color=FGD_COLOR, ls="--", lw=2,
                   label=rf"theory RMS $\sqrt{{({c})/K}}$ = {theory:.2f}")
        ax.set_xlabel(r"relative error $\|g - \nabla f\| \,/\, \|\nabla f\|$")
    ax.set_ylabel("density")
    if title:
        ax.set_title(cosine_title(result))
    ax.legend(fontsize=8, loc="upper right")
    return fig


def cosine_title(result):
    return (f"forward gradient, $n$ = {result['n']}, $K$ = {result['K']}, "
            f"{result['distribution']} directions")


# ----------------------------------------------------------------------------------------
# (b) Beale and Rosenbrock.
# ----------------------------------------------------------------------------------------

def _diverged_note(run):
    div = [int(d) for d in np.atleast_1d(run["diverged_at"]) if d >= 0]
    if not div:
        return ""
    if len(div) == 1 and np.size(run["diverged_at"]) == 1:
        return f" — diverged at step {div[0]}"
    return f" — {len(div)}/{np.size(run['diverged_at'])} diverged (first at step {min(div)})"


@lru_cache(maxsize=4)
def _contour_grid(name, resolution=160):
    tf = FUNCTIONS[name]
    XX, YY = np.meshgrid(np.linspace(*tf.xlim, resolution), np.linspace(*tf.ylim, resolution))
    Z = np.asarray(tf.f(np.stack([XX, YY], axis=-1))) - tf.min_value
    return XX, YY, Z + 1e-12


def draw_contour_paths(ax, result, max_paths=10):
    """Contours of the test function with the GD path and the FGD paths (one per seed)."""
    tf = FUNCTIONS[result["function"]]
    XX, YY, Z = _contour_grid(result["function"])
    levels = np.logspace(-3, np.log10(max(Z.max(), 1e-2)), 20)
    ax.contour(XX, YY, Z, levels=levels, norm="log", cmap="Greys", linewidths=0.6)
    fgd, gd = result["fgd"], result["gd"]
    for s in range(min(max_paths, fgd["path"].shape[0])):
        p = fgd["path"][s]
        ax.plot(p[:, 0], p[:, 1], color=FGD_COLOR, lw=0.8, alpha=0.6,
                label="forward gradient descent" if s == 0 else None)
    p = gd["path"][0]
    ax.plot(p[:, 0], p[:, 1], color=GD_COLOR, lw=2, label="gradient descent")
    ax.plot(*tf.x0, "o", color="k", ms=6, label="start")
    ax.plot(*tf.minimum, "*", color="gold", mec="k", ms=14, label="minimum")
    ax.set_xlim(*tf.xlim)
    ax.set_ylim(*tf.ylim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(fontsize=7, loc="lower right")


def _band(ax, x, Y, color, label, stat="median"):
    """Draw every run thinly and the median (or mean) boldly; curves stop at divergence.
    Returns the lines drawn."""
    Y = np.asarray(Y, dtype=float)
    Y = np.where(np.isfinite(Y), Y, np.nan)
    lines = [ax.plot(x, y, color=color, lw=0.5, alpha=0.35)[0] for y in Y]
    with np.errstate(all="ignore"), _quiet():
        centre = np.nanmedian(Y, axis=0) if stat == "median" else np.nanmean(Y, axis=0)
    lines += ax.plot(x, centre, color=color, lw=2, label=label)
    return lines


class _quiet:
    """Silence numpy's 'All-NaN slice' RuntimeWarnings inside a with-block."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def draw_loss_curves(ax, result, x_axis="iteration"):
    """f(x_t) − f* against iterations or wall-clock seconds (log scale), GD and every FGD seed."""
    loss_lines(ax, result, x_axis)
    loss_y_axis(ax)


def loss_lines(ax, result, x_axis="iteration", legend=True):
    """The part of `draw_loss_curves` that x_axis changes: the curves (returned), the x label
    and the legend."""
    tf = FUNCTIONS[result["function"]]
    lines = []
    for key, color, label in (("gd", GD_COLOR, "gradient descent"),
                              ("fgd", FGD_COLOR, "forward gradient (median of seeds)")):
        run = result[key]
        x = run["iterations"].astype(float)
        if x_axis == "time":
            x = x * result["time_per_step"][key]
        gap = np.maximum(run["loss"] - tf.min_value, 1e-16)
        lines += _band(ax, x, gap, color, label + _diverged_note(run))
    ax.set_xlabel("iteration" if x_axis == "iteration" else
                  "seconds (iterations × CPU time per step of one run)")
    if legend:
        ax.legend(fontsize=7, loc="upper right")
    return lines


def loss_y_axis(ax):
    """The part of `draw_loss_curves` that x_axis does not change: the log y axis."""
    ax.set_yscale("log")
    ax.set_ylabel(r"$f(x) - f^*$")


def draw_test_function(fig, result, x_axis="iteration"):
    """Left: trajectories on the contour plot; right: loss against iterations or time."""
    ax1, ax2 = fig.subplots(1, 2)
    draw_contour_paths(ax1, result)
    draw_loss_curves(ax2, result, x_axis)
    fig.suptitle(test_function_title(result), fontsize=10)
    return fig


def test_function_title(result):
    """The settings of a `compare_on_test_function` result, and a note if a run diverged."""
    fgd = result["fgd"]
    tps = result["time_per_step"]
    title = (rf"{result['function'].capitalize()}: $\eta$ = {fgd['lr']:g}, {fgd['steps']} steps, "
             f"{len(fgd['seeds'])} FGD seeds, $K$ = {fgd['K']}; time/step "
             rf"GD {tps['gd'] * 1e6:.0f} $\mu$s, FGD {tps['fgd'] * 1e6:.0f} $\mu$s")
    note = _diverged_note(result["gd"]) or _diverged_note(fgd)
    return title + (r" (divergence: lower $\eta$)" if note else "")


# ----------------------------------------------------------------------------------------
# (c) Digits: logistic regression and MLP.
# ----------------------------------------------------------------------------------------

def _interp_runs(runs, key, x_axis):
    """Align several seeds' curves on a common x grid (iterations, or time by interpolation).

    Seeds finish at different CPU times: on the time axis the grid ends at the first time at
    which a seed that trained to the end stopped, so that every such seed has a point all along
    (a mean over fewer seeds near the end would jump). A diverged seed is NaN after it stopped,
    as on the iteration axis; if every seed diverged, the grid ends with the last one."""
    if x_axis == "iteration":
        longest = max(runs, key=lambda r: len(r["iterations"]))
        x = longest["iterations"].astype(float)
        Y = np.full((len(runs), x.size), np.nan)
        for i, r in enumerate(runs):
            y = r[key].astype(float)
            Y[i, :y.size] = y
        return x, Y
    finished = [r["time"][-1] for r in runs if r["diverged_at"] < 0]
    x = np.linspace(0, min(finished) if finished else max(r["time"][-1] for r in runs), 100)
    Y = np.full((len(runs), x.size), np.nan)
    for i, r in enumerate(runs):
        t, y = r["time"], r[key].astype(float)
        inside = x <= t[-1]
        Y[i, inside] = np.interp(x[inside], t, y)
    return x, Y


def draw_digits_curves(fig, result, metric="both", x_axis="iteration"):
    """Training loss and/or test accuracy (mean ± std over seeds) for every method.

    result: from `forward_gradient.compare_digits_methods`. metric: "train_loss",
    "test_accuracy" or "both"; x_axis: "iteration" or "time" (training seconds, ours).
    """
    keys = digits_keys(metric)
    axes = np.atleast_1d(fig.subplots(1, len(keys)))
    digits_lines(axes, result, keys, x_axis)
    digits_y_axes(axes, keys)
    fig.suptitle(digits_suptitle(result), fontsize=10)
    return fig


def digits_keys(metric):
    """The panels of `draw_digits_curves` for a metric choice."""
    return ["train_loss", "test_accuracy"] if metric == "both" else [metric]


def digits_suptitle(result):
    model = {"mlp": "MLP", "logreg": "logistic regression"}.get(result["model"], result["model"])
    n = len(result["seeds"])
    n_div = sum(r["diverged_at"] >= 0 for runs in result["runs"].values() for r in runs)
    note = (rf" — {n_div} run(s) diverged ($\times$: where the curve stops; lower $\eta$)"
            if n_div else "")
    return f"Digits, {model}: mean ± std over {n} seed{'s' if n != 1 else ''}{note}"


def digits_lines(axes, result, keys, x_axis="iteration", legend=True):
    """What x_axis changes in `draw_digits_curves`: the curves and bands (returned), the x
    labels and the legends.

    On the time axis each method's mean ± std ends at the CPU time all its seeds reached (the
    slower seeds' last points are not drawn): a mean over fewer seeds near the end would jump.
    A diverged seed leaves the mean where it stops, on both axes (its step is in the legend)."""
    artists = []
    for ax, key in zip(axes, keys):
        for i, (label, runs) in enumerate(result["runs"].items()):
            color = _color(label, i)
            x, Y = _interp_runs(runs, key, x_axis)
            Y = np.where(np.isfinite(Y), Y, np.nan)
            with _quiet():
                m, s = np.nanmean(Y, axis=0), np.nanstd(Y, axis=0)
            div = [r["diverged_at"] for r in runs if r["diverged_at"] >= 0]
            lab = label + (f" ({len(div)}/{len(runs)} diverged, step {min(div)})" if div else "")
            artists += ax.plot(x, m, color=color, lw=2, label=lab)
            artists.append(ax.fill_between(x, m - s, m + s, color=color, alpha=0.2, lw=0))
            finite = np.flatnonzero(np.isfinite(m))
            if div and finite.size:  # mark where the (mean) curve stops
                artists += ax.plot(x[finite[-1]], m[finite[-1]], "X", color=color, ms=9,
                                   mec="k")
        ax.set_xlabel("iteration" if x_axis == "iteration" else
                      "training seconds (CPU time of one thread, our engines)")
        if legend:
            ax.legend(fontsize=7, loc="upper right" if key == "train_loss" else "lower right")
    return artists


class PlainLogFormatter(LogFormatter):
    """Log-axis tick labels as plain numbers (2, 3, 0.5 rather than 3×10⁰), on the ticks
    matplotlib labels: the minor ones too when the axis spans a decade or two."""

    def __call__(self, x, pos=None):
        return f"{x:g}" if super().__call__(x, pos) else ""


def digits_y_axes(axes, keys):
    """What x_axis does not change in `draw_digits_curves`: the y axes (the loss on a log axis
    with plain-number labels: it often spans less than a decade)."""
    for ax, key in zip(axes, keys):
        if key == "train_loss":
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(PlainLogFormatter())
            ax.yaxis.set_minor_formatter(PlainLogFormatter())
            ax.set_ylabel("training loss (cross-entropy)")
        else:
            ax.set_ylabel("test accuracy")
            ax.set_ylim(0, 1)


def draw_runtime(fig, result):
    """Bars of R_f and R_b (per-iteration cost relative to f) per model and engine, + the paper's.

    result: {"rows": [runtime_ratios dict with "model"], "paper": {"R_f", "R_b"}}.
    """
    ax = fig.add_subplot(1, 1, 1)
    rows = result["rows"]
    labels = [f"{r['model']}\n{r['engine']}" for r in rows]
    rf = [r["R_f"] for r in rows]
    rb = [r["R_b"] for r in rows]
    paper = result.get("paper")
    if paper:
        labels.append("paper MLP\n(unverified)")
        rf.append(paper["R_f"])
        rb.append(paper["R_b"])
    x = np.arange(len(labels))
    ax.bar(x - 0.2, rf, 0.4, color=FGD_COLOR, label="$R_f$: forward-gradient step / f")
    ax.bar(x + 0.2, rb, 0.4, color=GD_COLOR, label="$R_b$: backprop step / f")
    for xi, a, b in zip(x, rf, rb):
        ax.text(xi, max(a, b) * 1.03, f"{a / b:.2f}", ha="center", fontsize=8)
    ax.set_ylim(0, 1.15 * max(max(rf), max(rb)))
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("time per iteration / time of f")
    ax.set_title("Cost per iteration (numbers above bars: $R_f/R_b$; < 1 means FGD is cheaper)",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    return fig


# ----------------------------------------------------------------------------------------
# The price of dimension.
# ----------------------------------------------------------------------------------------

def draw_dimension(fig, cos_result, steps_result=None):
    """Left: E cos(g, ∇f) ± std against n, with the closed forms. Right: steps against n."""
    axes = fig.subplots(1, 2 if steps_result is not None else 1)
    axes = np.atleast_1d(axes)
    ax = axes[0]
    n = cos_result["n"]
    ax.fill_between(n, cos_result["mean_cos"] - cos_result["std_cos"],
                    cos_result["mean_cos"] + cos_result["std_cos"], color=FGD_COLOR, alpha=0.2,
                    lw=0, label="measured ± 1 std (spread over samples)")
    ax.plot(n, cos_result["mean_cos"], "o", color=FGD_COLOR, label="measured mean")
    if cos_result["K"] == 1 and cos_result["distribution"] == "gaussian":
        ax.plot(n, cos_result["theory_mean"], "-", color="k", lw=1.5,
                label=r"exact $\Gamma(\frac{n}{2})/(\sqrt{\pi}\,\Gamma(\frac{n+1}{2}))$")
        ax.plot(n, cos_result["asymptotic"], "--", color="grey", lw=1.2,
                label=r"$\sqrt{2/(\pi n)}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("dimension $n$")
    ax.set_ylabel(r"$\cos(g, \nabla f)$")
    ax.set_title(rf"The cosine shrinks like $1/\sqrt{{n}}$ ($K$ = {cos_result['K']}, "
                 f"{cos_result['distribution']})", fontsize=10)
    ax.legend(fontsize=7, loc="upper right")
    if steps_result is not None:
        ax = axes[1]
        n = steps_result["n"]
        ax.plot(n, steps_result["measured_steps"], "o", color=FGD_COLOR,
                label=f"FGD, measured (mean of {steps_result['n_runs']} runs)")
        ax.plot(n, steps_result["theory_steps"], "-", color="k",
                label=r"theory $\ln\varepsilon/\ln(1-\frac{1}{n+2})$")
        ax.axhline(np.log(steps_result["factor"]) / np.log(0.25), color=GD_COLOR, ls="--",
                   label=r"gradient descent ($\eta = \frac{1}{2}$), any $n$")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("dimension $n$")
        ax.set_ylabel(f"steps until E f falls by {1 / steps_result['factor']:g}×")
        ax.set_title(r"Steps grow like $n$ on $f=\frac{1}{2}\|x\|^2$ (best $\eta$ for each $n$)",
                     fontsize=10)
        ax.legend(fontsize=7, loc="upper left")
    return fig
