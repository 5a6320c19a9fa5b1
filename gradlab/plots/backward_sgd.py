"""Figures for backward-SGD (iteration order): each `draw_*` fills a given matplotlib Figure.

Colours are fixed per order so every figure reads the same way: forward SGD orange (it jitters),
backward SGD blue (it freezes), windowed variants green/purple.
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

FORWARD = "#e07b00"
BACKWARD = "#1f5fbf"
WINDOWED = "#2a9d3f"
FLOOR = 1e-17  # steps below this (exact zeros included) are drawn at the floor
OTHER = ["#2a9d3f", "#8e44ad", "#b03a2e", "#16a085", "#7f8c8d", "#d35400", "#2c3e50"]


def _finite(a):
    a = np.asarray(a, dtype=float)
    return a[np.isfinite(a)]


def _positive(a, floor=1e-300):
    """Values for a log axis: zeros (exact convergence) are clipped to a floor."""
    return np.maximum(np.asarray(a, dtype=float), floor)


# ---------------------------------------------------------------------------------------------
# AR(1)
# ---------------------------------------------------------------------------------------------

def draw_ar1_trajectories(fig, traj):
    """Left: forward and backward iterates of AR(1) vs n. Right: their step sizes (log)."""
    ax1, ax2 = fig.subplots(1, 2)
    n = np.arange(len(traj["forward"]))
    sd = np.sqrt(traj["theory"])
    ax1.axhspan(-2 * sd, 2 * sd, color=FORWARD, alpha=0.1,
                label="±2 sd of the stationary law")
    ax1.plot(n, traj["forward"], color=FORWARD, lw=1, label="forward θₙ (wanders)")
    ax1.plot(n, traj["backward"], color=BACKWARD, lw=2, label="backward θ̃ₙ (freezes)")
    ax1.set(xlabel="step n", ylabel="θ", title=f"AR(1), η = {traj['lr']:g}")
    ax1.legend(fontsize=8, loc="lower right")
    fwd_steps = np.abs(np.diff(traj["forward"]))
    bwd_steps = np.abs(np.diff(traj["backward"]))
    ax2.semilogy(n[:-1], _positive(fwd_steps), color=FORWARD, lw=1, label="forward |θₙ₊₁ − θₙ|")
    ax2.semilogy(n[:-1], _positive(bwd_steps), color=BACKWARD, lw=2,
                 label="backward |θ̃ₙ₊₁ − θ̃ₙ|")
    ref = bwd_steps[0] * (1 - traj["lr"]) ** n[:-1]
    ax2.semilogy(n[:-1], _positive(ref), "k--", lw=1, label="(1−η)ⁿ")
    ax2.set_ylim(max(1e-17, np.min(_positive(bwd_steps, 1e-17)) / 10), None)
    ax2.set(xlabel="step n", ylabel="step size",
            title=f"gradient evaluations: forward {traj['forward_evals']}, "
                  f"backward {traj['backward_evals']}")
    ax2.legend(fontsize=8)


def draw_ar1_laws(fig, results, lr_index=None):
    """Left: histogram of forward iterates vs backward limits at one η. Right: variance / theory
    for both, over η."""
    rows = results["rows"]
    ax1, ax2 = fig.subplots(1, 2)
    if lr_index is None:  # the η closest to 0.5 (at η = 1 the AR(1) map forgets θ in one step)
        lr_index = int(np.argmin([abs(r["lr"] - 0.5) for r in rows]))
    row = rows[lr_index]
    both = np.concatenate([row["forward_sample"], row["backward_limits"]])
    bins = np.linspace(np.percentile(both, 0.5), np.percentile(both, 99.5), 40)
    ax1.hist(row["forward_sample"], bins=bins, density=True, alpha=0.5, color=FORWARD,
             label="forward θ_N over runs")
    ax1.hist(row["backward_limits"], bins=bins, density=True, histtype="step", lw=2,
             color=BACKWARD, label="backward limits θ̃_∞ over runs")
    x = np.linspace(bins[0], bins[-1], 200)
    v = row["theory"]
    ax1.plot(x, np.exp(-x**2 / (2 * v)) / np.sqrt(2 * np.pi * v), "k--", lw=1,
             label="N(0, ησ²/(2−η))")
    ax1.set(xlabel="θ", ylabel="density",
            title=f"η = {row['lr']:g}: KS p = {np.mean(row['ks_p']):.2f}")
    ax1.legend(fontsize=8)
    lrs = np.array([r["lr"] for r in rows])
    for key, color, label in [("var_forward", FORWARD, "forward stationary variance"),
                              ("var_backward", BACKWARD, "variance of backward limits")]:
        ratio = np.array([np.array(r[key]) / r["theory"] for r in rows])
        ax2.errorbar(lrs, ratio.mean(axis=1), yerr=ratio.std(axis=1), fmt="o-", color=color,
                     capsize=3, label=label)
    ax2.axhline(1.0, color="k", ls="--", lw=1)
    ax2.set(xlabel="learning rate η", ylabel="measured / (ησ²/(2−η))",
            title="both equal the stationary variance")
    ax2.legend(fontsize=8)


# ---------------------------------------------------------------------------------------------
# Noisy least squares
# ---------------------------------------------------------------------------------------------

def draw_ls_distance(fig, results, batch_index=0):
    """Left: ‖θₙ − θ*‖ for forward and backward SGD (each run thin, median thick).
    Right: the same for windowed variants on the first run."""
    row = results["rows"][batch_index]
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
    n = np.arange(row["dist_forward"].shape[0])
    for key, color, label in [("dist_forward", FORWARD, "forward"),
                              ("dist_backward", BACKWARD, "backward")]:
        ax1.plot(n, row[key], color=color, lw=0.5, alpha=0.4)
        ax1.plot(n, np.median(row[key], axis=1), color=color, lw=2, label=f"{label} (median)")
    ax1.set(yscale="log", xlabel="step n", ylabel="distance to the optimum ‖θ − θ*‖",
            title=f"batch {row['batch_size']}, η = {results['config']['lr']:g}: "
                  "forward jitters, backward freezes")
    ax1.legend(fontsize=8)
    ax2.plot(n, row["dist_forward"][:, 0], color=FORWARD, lw=1, label="forward")
    ax2.plot(n, row["dist_backward"][:, 0], color=BACKWARD, lw=2, label="backward")
    for color, w in zip(OTHER, results.get("windowed", [])):
        ax2.plot(np.arange(len(w["dist"])), w["dist"], color=color, lw=1,
                 label=f"{w['mode']} k={w['window']} ({w['evals']} evals)")
    ax2.set(xlabel="step n", title="windowed variants (run 0)")
    ax2.legend(fontsize=7)


def draw_ls_step_decay(fig, results):
    """Left: median backward step size vs n, per batch size, with the predicted slopes.
    Right: measured slope vs predicted (Lyapunov exponent, small-η formula, worst case)."""
    rows = results["rows"]
    ax1, ax2 = fig.subplots(1, 2)
    for color, row in zip(OTHER, rows):
        steps = np.median(row["steps_backward"], axis=1)
        n = np.arange(len(steps))
        ax1.semilogy(n, _positive(steps, 1e-17), color=color, lw=1.5,
                     label=f"batch {row['batch_size']}")
        ax1.semilogy(n, steps[0] * np.exp(row["lyapunov"] * n), color=color, ls="--", lw=1)
    ax1.set_ylim(1e-16, None)
    ax1.set(xlabel="step n", ylabel="‖θ̃ₙ₊₁ − θ̃ₙ‖ (median over runs)",
            title="backward step decay (dashed: Lyapunov slope)")
    ax1.legend(fontsize=8)
    b = np.array([r["batch_size"] for r in rows])
    x = np.arange(len(b))
    meas = np.array([np.mean(r["slopes"]) for r in rows])
    sd = np.array([np.std(r["slopes"]) for r in rows])
    ax2.errorbar(x - 0.1, meas, yerr=sd, fmt="o", color=BACKWARD, capsize=3, label="measured")
    ax2.errorbar(x + 0.1, [r["lyapunov"] for r in rows], yerr=[r["lyapunov_sd"] for r in rows],
                 fmt="s", color="k", capsize=3, label="top Lyapunov exponent")
    ax2.plot(x, [r["small_lr"] for r in rows], "k_", ms=18, label="log(1 − ηλ_min(E H_B))")
    ax2.plot(x, [np.log(r["worst_case_c"]) for r in rows], "v", color="#b03a2e",
             label="worst case log c (≥ 0: no information)")
    ax2.axhline(0, color="grey", lw=0.5)
    ax2.set_xticks(x, [f"{v}{'' if r['full_rank'] else '*'}" for v, r in zip(b, rows)])
    ax2.set(xlabel="batch size (* singular batch Hessians)", ylabel="log-rate per step",
            title="slope of log step size")
    ax2.legend(fontsize=7)


def draw_ls_cloud(fig, cloud):
    """Forward iterates at step N (many runs) vs backward limits (as many other runs)."""
    ax = fig.subplots()
    axes = cloud["axes"]
    opt = cloud["optimum"]
    # show the two directions the Hessian is least curved in: the widest spread
    P = axes[:, :2]
    f = (cloud["forward"] - opt) @ P
    b = (cloud["backward"] - opt) @ P
    ax.scatter(f[:, 0], f[:, 1], s=6, color=FORWARD, alpha=0.5, label="forward θ_N (one per run)")
    ax.scatter(b[:, 0], b[:, 1], s=6, color=BACKWARD, alpha=0.5,
               label="backward limits θ̃_∞ (one per run)")
    ax.plot(0, 0, "k*", ms=12, label="optimum θ*")
    ax.set(xlabel="along the flattest Hessian axis", ylabel="along the next axis",
           title=f"same law? KS p-values per axis: "
                 f"{', '.join(f'{p:.2f}' for p in cloud['ks_p'])}")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(fontsize=8)


# ---------------------------------------------------------------------------------------------
# Digits MLP
# ---------------------------------------------------------------------------------------------

def _diverged_note(curves):
    bad = [f"{k} at step {c['diverged_at']}" for k, c in curves.items()
           if c["diverged_at"] is not None]
    return ("  — diverged: " + "; ".join(bad)) if bad else ""


def draw_digits(fig, run, x_axis="steps", log_loss=True, show_steps=True, light=False):
    """Training loss, test accuracy and (optionally) the parameter step ‖θₙ₊₁ − θₙ‖ vs steps or
    vs gradient evaluations, one line per method. With x_axis="steps", forward SGD is shown over
    the same steps as the others (its longer equal-compute run is cut).

    light=True (for widgets) draws log₁₀ of the values on linear axes with few ticks: the same
    picture for a fraction of the drawing time of matplotlib's log axes. A widget keeps
    `digits_frame` in a static layer and redraws `digits_curves` on top of it."""
    axes = fig.subplots(1, 3 if show_steps else 2)
    digits_frame(axes, run, light=light)
    digits_curves(axes, run, x_axis=x_axis, log_loss=log_loss, light=light)


def _digits_color(i, name):
    return FORWARD if name == "forward" else (BACKWARD if name.startswith("backward")
                                              else OTHER[i % len(OTHER)])


def digits_frame(axes, run, light=False):
    """What neither x axis nor log loss changes: the titles of the loss and step panels, the
    accuracy panel's y axis (its range covers every curve in full)."""
    curves = run["curves"]
    axes[0].set_title(f"digits MLP, η = {run['lr']:g}, batch {run['batch_size']}"
                      + _diverged_note(curves))
    axes[1].set_ylabel("test accuracy")
    finite = _finite(np.concatenate([c["acc"] for c in curves.values()]))
    if finite.size:
        axes[1].set_ylim(max(0.0, np.percentile(finite, 5) - 0.05), 1.0)
    if light:
        axes[1].locator_params(axis="y", nbins=5)
    if len(axes) > 2:
        axes[2].set_title("parameter step: does anything freeze?")


def digits_curves(axes, run, x_axis="steps", log_loss=True, light=False):
    """The rest of `draw_digits`: the curves, the x axes, the loss and step panels' y axes,
    the accuracy panel's title and the legend."""
    ax1, ax2 = axes[0], axes[1]
    show_steps = len(axes) > 2
    by_evals = x_axis != "steps"
    curves = run["curves"]

    def logged(v):
        v = np.where(np.isfinite(v), v, np.nan)
        return np.log10(np.maximum(v, FLOOR)) if light else v

    for i, (name, c) in enumerate(curves.items()):
        color = _digits_color(i, name)
        loss, acc, steps = c["loss"], c["acc"], c.get("steps")
        x = c["evals"] if by_evals else np.arange(len(loss))
        if not by_evals and name == "forward":
            keep = run["n_steps"] + 1
            x, loss, acc = x[:keep], loss[:keep], acc[:keep]
            steps = None if steps is None else steps[:keep - 1]
        loss = np.where(np.isfinite(loss), loss, np.nan)
        lw = 2 if name.startswith("backward") else 1
        label = name + (f" ({c['evals'][-1]} evals)" if not by_evals else "")
        ax1.plot(x, logged(loss) if log_loss else loss, color=color, lw=lw, label=label)
        ax2.plot(x, acc, color=color, lw=lw, label=name)
        if show_steps and steps is not None:
            axes[2].plot(x[1:], logged(steps) if light else _positive(steps, FLOOR),
                         color=color, lw=lw, label=name)
    xlabel = "gradient evaluations" if by_evals else "step n"
    loss_label = "training loss (whole training set)"
    if log_loss and light:
        loss_label = "log₁₀ " + loss_label
    elif log_loss:
        ax1.set_yscale("log")
    ax1.set(xlabel=xlabel, ylabel=loss_label)
    ax2.set_xlabel(xlabel)
    ax2.set_title("at equal compute" if by_evals else "at equal steps", y=1.0)
    ax1.legend(fontsize=7)
    if show_steps:
        if light:
            axes[2].set(ylabel="log₁₀ ‖θₙ₊₁ − θₙ‖ (all parameters)")
        else:
            axes[2].set(yscale="log", ylabel="‖θₙ₊₁ − θₙ‖ (all parameters)")
        axes[2].set(xlabel=xlabel)
    if light:
        for ax in axes:
            ax.locator_params(nbins=5)


def draw_digits_warm(fig, runs):
    """After a warm-up: the parameter step ‖θₙ₊₁ − θₙ‖ (log) and the training loss of full
    backward vs forward SGD, one thin line per seed."""
    ax1, ax2 = fig.subplots(1, 2)
    for run in runs:
        for name, c in run["warm"].items():
            color = BACKWARD if name.startswith("backward") else FORWARD
            label = name if run is runs[0] else None
            n = np.arange(len(c["loss"]))
            ax1.semilogy(n[1:], _positive(c["steps"], 1e-17), color=color, lw=1, label=label)
            ax2.semilogy(n, np.where(np.isfinite(c["loss"]), c["loss"], np.nan), color=color,
                         lw=1, label=label)
    r = runs[0]
    ax1.set(xlabel=f"step n after {r['warm_start']} warm-up steps", ylabel="‖θₙ₊₁ − θₙ‖",
            title=f"near a minimum, η = {r.get('warm_lr', r['lr']):g}: does backward SGD "
                  "freeze?")
    ax2.set(xlabel="step n", ylabel="training loss", title=f"{len(runs)} seed(s)")
    ax1.legend(fontsize=8)


# ---------------------------------------------------------------------------------------------
# The 2-D explorer
# ---------------------------------------------------------------------------------------------

def _view_box(result):
    pts = [result["theta0"], result["optimum"]]
    for th in result["thetas"].values():
        ok = th[np.all(np.isfinite(th), axis=1)]
        pts.append(ok[np.abs(ok - result["optimum"]).max(axis=1) < 20])
    pts = np.vstack([np.atleast_2d(p) for p in pts if np.size(p)])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = 0.15 * (hi - lo).max() + 0.2
    return lo - pad, hi + pad


def draw_orders_2d(fig, result, show_cloud=True, show_windowed=True, log_steps=True):
    """Left: the loss landscape (shaded, darker = lower) with forward SGD's jittering path,
    backward SGD's converging path, the windowed variant and (optionally) backward limits of
    other seeds; the legend counts each method's gradient evaluations.
    Right: step sizes ‖θₙ₊₁ − θₙ‖ (log₁₀) with the predicted backward slope (dashed).
    Kept light (one legend, a shaded image instead of contour lines, no log-axis machinery) so
    that a widget redraws it quickly; the widget keeps `orders_2d_frame` in a static layer and
    redraws `orders_2d_paths` and `orders_2d_steps` on top of it."""
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[1.1, 1])
    orders_2d_frame(ax1, ax2, result)
    lines = orders_2d_paths(result, show_cloud=show_cloud, show_windowed=show_windowed)
    for line in lines:
        ax1.add_line(line)
    ax1.legend(handles=[ln for ln in lines if not ln.get_label().startswith("_")], fontsize=7,
               loc="upper right")
    orders_2d_steps(ax2, result, show_windowed=show_windowed, log_steps=log_steps)


def orders_2d_frame(ax1, ax2, result):
    """What the view controls of the 2-D explorer do not change: the shaded landscape, the
    limits and title of the left panel, the step axis of the right panel."""
    A, y = result["A"], result["y"]
    lo, hi = _view_box(result)
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 60), np.linspace(lo[1], hi[1], 60))
    grid = np.stack([g0, g1], axis=-1)
    loss = 0.5 * np.mean((grid @ A.T - y) ** 2, axis=-1)
    ax1.imshow(np.log(loss - loss.min() + 1e-2), origin="lower", cmap="Greys_r", alpha=0.35,
               extent=(lo[0], hi[0], lo[1], hi[1]), aspect="auto", interpolation="bilinear")
    ax1.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]),
            title=f"η = {result['lr']:g}, batch {result['batch_size']}, seed {result['seed']}"
                  "   (★ optimum, ■ θ₀)")
    n = max(len(s) for s in result["steps"].values())
    last = max(n - 1, 1)
    ax2.set_xlim(-0.05 * last, 1.05 * last)  # matplotlib's margins for x = 0 .. n - 1
    ax2.set_xlabel("step n")
    ax2.locator_params(axis="x", nbins=6)


def orders_2d_paths(result, show_cloud=True, show_windowed=True):
    """The left panel's moving parts as Line2D artists, bottom first, labelled for a legend
    (the optimum and θ₀ unlabelled): backward limits of other seeds, forward, windowed and
    backward paths."""
    th, div, ev = result["thetas"], result["diverged_at"], result["evals"]
    lo, hi = _view_box(result)

    def name(key, text):
        text = f"{text}: {ev[key]} evals"
        return text if div[key] is None else f"{text}, diverged at step {div[key]}"

    lines = []
    if show_cloud and len(result["limits"]):
        L = result["limits"]
        inside = np.all((L > lo) & (L < hi), axis=1)
        lines.append(Line2D(L[inside, 0], L[inside, 1], ls="", marker=".", color=BACKWARD,
                            alpha=0.3, ms=3, label="backward limits, other seeds"))
    f = th["forward"]
    lines.append(Line2D(f[:, 0], f[:, 1], marker=".", color=FORWARD, lw=0.4, ms=4,
                        label=name("forward", "forward")))
    if show_windowed:
        w = th["windowed"]
        lines.append(Line2D(w[:, 0], w[:, 1], marker=".", color=WINDOWED, lw=0.8, ms=3,
                            label=name("windowed", result["windowed_name"])))
    b = th["backward"]
    lines.append(Line2D(b[:, 0], b[:, 1], marker="o", color=BACKWARD, lw=1.5, ms=3,
                        label=name("backward", "backward")))
    opt, theta0 = result["optimum"], result["theta0"]
    lines.append(Line2D([opt[0]], [opt[1]], ls="", marker="*", color="k", ms=13,
                        label="_optimum"))
    lines.append(Line2D([theta0[0]], [theta0[1]], ls="", marker="s", color="k", ms=6,
                        label="_theta0"))
    return lines


def orders_2d_steps(ax, result, show_windowed=True, log_steps=True):
    """The right panel's y side: step sizes (log₁₀ or plain) per method, the predicted
    backward slope dashed, the y range, and the title (which says the slope, or where the
    first divergence happened)."""
    steps, div = result["steps"], result["diverged_at"]
    names = [("forward", FORWARD, 1), ("backward", BACKWARD, 2)]
    if show_windowed:
        names.append(("windowed", WINDOWED, 1))

    def tr(v):
        v = np.asarray(v, dtype=float)
        return np.log10(np.maximum(v, FLOOR)) if log_steps else v

    for key, color, lw in names:
        s = steps[key]
        ax.plot(np.arange(len(s)), tr(s), color=color, lw=lw)
    pred = result["prediction"]
    s = steps["backward"]
    title = ("log₁₀ " if log_steps else "") + "‖θₙ₊₁ − θₙ‖ (colours as on the left)"
    if np.isfinite(pred["lyapunov"]) and len(s) and np.isfinite(s[0]) and s[0] > 0:
        n = np.arange(len(s))
        ax.plot(n, tr(s[0] * np.exp(np.minimum(pred["lyapunov"] * n, 700))), "k--", lw=1)
        title += f"\ndashed: predicted slope {pred['lyapunov']:.3f} per step"
    if log_steps:
        finite = _finite(tr(np.concatenate(list(steps.values()))))
        bottom = max(np.log10(FLOOR), finite.min() - 1) if finite.size else np.log10(FLOOR)
        ax.set_ylim(bottom - 0.5, min(finite.max() + 1 if finite.size else 1, 100))
    bad = {k: v for k, v in div.items() if v is not None}
    if bad:
        title = f"diverged at step {min(bad.values())} (see the legend)"
    ax.set_title(title, fontsize=10, y=1.0)  # (placed: no search for top tick labels)
    ax.locator_params(axis="y", nbins=6)
