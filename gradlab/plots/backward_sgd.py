"""Figures for backward-SGD (iteration order): each `draw_*` fills a given matplotlib Figure.

Colours come from `gradlab.plots.style` and are the same in every figure: forward SGD orange (it
jitters), backward SGD blue (it freezes), the windowed variant green.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator, NullLocator

from .kept import keep
from .style import OTHERS, color

FORWARD = color("forward sgd")
BACKWARD = color("backward sgd")
WINDOWED = color("windowed sgd")
FLOOR = 1e-17  # steps below this (exact zeros included) are drawn at the floor


def _finite(a):
    a = np.asarray(a, dtype=float)
    return a[np.isfinite(a)]


def _positive(a, floor=1e-300):
    """Values for a log axis: zeros (exact convergence) are clipped to a floor."""
    return np.maximum(np.asarray(a, dtype=float), floor)


def _fixed_margins(fig, **margins):
    """Fixed margins for a widget's figure: constrained layout would cost more than the plot at
    every redraw that changes the axes."""
    fig.set_layout_engine("none")
    fig.subplots_adjust(**margins)


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
    ax1.plot(n, traj["forward"], color=FORWARD, lw=1, label=r"forward $\theta_n$ (wanders)")
    ax1.plot(n, traj["backward"], color=BACKWARD, lw=2,
             label=r"backward $\tilde\theta_n$ (freezes)")
    ax1.set(xlabel="step $n$", ylabel=r"$\theta$", title=rf"AR(1), $\eta$ = {traj['lr']:g}")
    ax1.legend(fontsize=8, loc="lower right")
    fwd_steps = np.abs(np.diff(traj["forward"]))
    bwd_steps = np.abs(np.diff(traj["backward"]))
    ax2.semilogy(n[:-1], _positive(fwd_steps), color=FORWARD, lw=1,
                 label=r"forward $|\theta_{n+1} - \theta_n|$")
    ax2.semilogy(n[:-1], _positive(bwd_steps), color=BACKWARD, lw=2,
                 label=r"backward $|\tilde\theta_{n+1} - \tilde\theta_n|$")
    ref = bwd_steps[0] * abs(1 - traj["lr"]) ** n[:-1]
    ax2.semilogy(n[:-1], _positive(ref), "k--", lw=1, label=r"$|1 - \eta|^n$")
    ax2.set_ylim(max(1e-17, np.min(_positive(bwd_steps, 1e-17)) / 10), None)
    ax2.set(xlabel="step $n$", ylabel="step size",
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
             label=r"forward $\theta_N$ over runs")
    ax1.hist(row["backward_limits"], bins=bins, density=True, histtype="step", lw=2,
             color=BACKWARD, label=r"backward limits $\tilde\theta_\infty$ over runs")
    x = np.linspace(bins[0], bins[-1], 200)
    v = row["theory"]
    ax1.plot(x, np.exp(-x**2 / (2 * v)) / np.sqrt(2 * np.pi * v), "k--", lw=1,
             label=r"$\mathcal{N}(0, \eta\sigma^2 / (2 - \eta))$")
    ax1.set(xlabel=r"$\theta$", ylabel="density",
            title=rf"$\eta$ = {row['lr']:g}: KS p = {np.mean(row['ks_p']):.2f}")
    ax1.legend(fontsize=8)
    lrs = np.array([r["lr"] for r in rows])
    for key, c, label in [("var_forward", FORWARD, "forward stationary variance"),
                          ("var_backward", BACKWARD, "variance of backward limits")]:
        ratio = np.array([np.array(r[key]) / r["theory"] for r in rows])
        ax2.errorbar(lrs, ratio.mean(axis=1), yerr=ratio.std(axis=1), fmt="o-", color=c,
                     capsize=3, label=label)
    ax2.axhline(1.0, color="k", ls="--", lw=1)
    ax2.set(xlabel=r"learning rate $\eta$", ylabel=r"measured / $(\eta\sigma^2 / (2 - \eta))$",
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
    for key, c, label in [("dist_forward", FORWARD, "forward"),
                          ("dist_backward", BACKWARD, "backward")]:
        ax1.plot(n, row[key], color=c, lw=0.5, alpha=0.4)
        ax1.plot(n, np.median(row[key], axis=1), color=c, lw=2, label=f"{label} (median)")
    ax1.set(yscale="log", xlabel="step $n$",
            ylabel=r"distance to the optimum $\|\theta - \theta^*\|$",
            title=f"batch {row['batch_size']}, $\\eta$ = {results['config']['lr']:g}: "
                  "forward jitters, backward freezes")
    ax1.legend(fontsize=8)
    ax2.plot(n, row["dist_forward"][:, 0], color=FORWARD, lw=1, label="forward")
    ax2.plot(n, row["dist_backward"][:, 0], color=BACKWARD, lw=2, label="backward")
    for i, w in enumerate(results.get("windowed", [])):
        ax2.plot(np.arange(len(w["dist"])), w["dist"], color=OTHERS[i % len(OTHERS)], lw=1,
                 label=f"{w['mode']} k={w['window']} ({w['evals']} evals)")
    ax2.set(xlabel="step $n$", title="windowed variants (run 0)")
    ax2.legend(fontsize=7)


def draw_ls_step_decay(fig, results):
    """Left: median backward step size vs n, per batch size, with the predicted slopes.
    Right: measured slope vs predicted (Lyapunov exponent, small-η formula, worst case)."""
    rows = results["rows"]
    ax1, ax2 = fig.subplots(1, 2)
    for i, row in enumerate(rows):
        c = f"C{i}"
        steps = np.median(row["steps_backward"], axis=1)
        n = np.arange(len(steps))
        ax1.semilogy(n, _positive(steps, 1e-17), color=c, lw=1.5,
                     label=f"batch {row['batch_size']}")
        ax1.semilogy(n, steps[0] * np.exp(row["lyapunov"] * n), color=c, ls="--", lw=1)
    ax1.set_ylim(1e-16, None)
    ax1.set(xlabel="step $n$",
            ylabel=r"$\|\tilde\theta_{n+1} - \tilde\theta_n\|$ (median over runs)",
            title="backward step decay (dashed: Lyapunov slope)")
    ax1.legend(fontsize=8)
    b = np.array([r["batch_size"] for r in rows])
    x = np.arange(len(b))
    meas = np.array([np.mean(r["slopes"]) for r in rows])
    sd = np.array([np.std(r["slopes"]) for r in rows])
    ax2.errorbar(x - 0.1, meas, yerr=sd, fmt="o", color=BACKWARD, capsize=3, label="measured")
    ax2.errorbar(x + 0.1, [r["lyapunov"] for r in rows], yerr=[r["lyapunov_sd"] for r in rows],
                 fmt="s", color="k", capsize=3, label="top Lyapunov exponent")
    ax2.plot(x, [r["small_lr"] for r in rows], "k_", ms=18,
             label=r"$\log(1 - \eta\,\lambda_{min}(E\,H_B))$")
    ax2.plot(x, [np.log(r["worst_case_c"]) for r in rows], "v", color="tab:red",
             label=r"worst case $\log c$ ($\geq 0$: no information)")
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
    ax.scatter(f[:, 0], f[:, 1], s=6, color=FORWARD, alpha=0.5,
               label=r"forward $\theta_N$ (one per run)")
    ax.scatter(b[:, 0], b[:, 1], s=6, color=BACKWARD, alpha=0.5,
               label=r"backward limits $\tilde\theta_\infty$ (one per run)")
    ax.plot(0, 0, "k*", ms=12, label=r"optimum $\theta^*$")
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


def _digits_color(i, name):
    if name == "forward":
        return FORWARD
    return BACKWARD if name.startswith("backward") else [WINDOWED, *OTHERS][i % 6]


def _digits_series(run, by_evals):
    """name → (x, loss, accuracy, steps) as drawn: against gradient evaluations, or against
    steps with forward SGD cut to the others' steps (its longer equal-compute run)."""
    out = {}
    for name, c in run["curves"].items():
        loss, acc, steps = c["loss"], c["acc"], c.get("steps")
        x = np.asarray(c["evals"] if by_evals else np.arange(len(loss)))
        if not by_evals and name == "forward":
            n = run["n_steps"] + 1
            x, loss, acc = x[:n], loss[:n], acc[:n]
            steps = None if steps is None else steps[:n - 1]
        if steps is not None:
            steps = _positive(np.where(np.isfinite(steps), steps, np.nan), FLOOR)
        out[name] = (x, np.where(np.isfinite(loss), loss, np.nan), acc, steps)
    return out


def build_digits(fig, run, show_steps=True, animated=False):
    """The digits figure without its view: panels, titles, the accuracy range, one line per
    method in each panel (no data yet). Returns the artists `update_digits` moves."""
    axes = fig.subplots(1, 3 if show_steps else 2)
    curves = run["curves"]
    lines = {}
    for i, name in enumerate(curves):
        style = dict(color=_digits_color(i, name), lw=2 if name.startswith("backward") else 1)
        lines[name] = [ax.plot([], [], label=name, **style)[0] for ax in axes]
    axes[0].set(ylabel="training loss (whole training set)")
    fig.suptitle(f"digits MLP, $\\eta$ = {run['lr']:g}, batch {run['batch_size']}"
                 + _diverged_note(curves), fontsize=11)
    finite = _finite(np.concatenate([c["acc"] for c in curves.values()]))
    if finite.size:  # the same range at equal steps and at equal compute
        axes[1].set_ylim(max(0.0, np.percentile(finite, 5) - 0.05), 1.0)
    axes[1].set_ylabel("test accuracy")
    if show_steps:
        axes[2].set(yscale="log", ylabel=r"$\|\theta_{n+1} - \theta_n\|$ (all parameters)")
        axes[2].yaxis.set_minor_locator(NullLocator())  # decades apart: major ticks suffice
        axes[2].set_title("parameter step: does anything freeze?", y=1.0)
    for ax in axes:
        ax.set_animated(animated)  # a widget redraws them over the cached figure
        ax.xaxis.set_major_locator(MaxNLocator(5))  # (every tick costs at every redraw)
    return {"axes": axes, "lines": lines}


def update_digits(artists, run, x_axis="steps", log_loss=True):
    """Put the curves against steps or gradient evaluations; log or linear loss."""
    axes, by_evals = artists["axes"], x_axis != "steps"
    for name, (x, loss, acc, steps) in _digits_series(run, by_evals).items():
        loss_line, acc_line, *steps_line = artists["lines"][name]
        loss_line.set_data(x, loss)
        loss_line.set_label(name + ("" if by_evals else f" ({run['curves'][name]['evals'][-1]}"
                                                          " evals)"))
        acc_line.set_data(x, acc)
        for line in steps_line:
            line.set_data(x[1:], [] if steps is None else steps)
    if axes[0].get_yscale() != ("log" if log_loss else "linear"):  # (a new scale: new ticks)
        axes[0].set_yscale("log" if log_loss else "linear")
    axes[0].legend(fontsize=7)
    axes[1].set_title("at equal compute" if by_evals else "at equal steps", y=1.0)  # (y given:
    # matplotlib does not search the tick labels for room)
    for ax in axes:
        ax.set_xlabel("gradient evaluations" if by_evals else "step $n$")
        ax.relim()
        ax.autoscale_view()


def draw_digits(fig, run, x_axis="steps", log_loss=True, show_steps=True):
    """Training loss, test accuracy and (optionally) the parameter step ‖θₙ₊₁ − θₙ‖ vs steps or
    vs gradient evaluations, one line per method. With x_axis="steps", forward SGD is shown over
    the same steps as the others (its longer equal-compute run is cut)."""
    update_digits(build_digits(fig, run, show_steps), run, x_axis, log_loss)


def draw_digits_view(fig, run, x_axis="steps", log_loss=True):
    """The digits explorer's figure: drawn once per run, then the view controls move the
    curves and axes in place (the three panels are animated: redrawn over the cached figure)."""
    artists = keep(fig, (run,), lambda fig: build_digits(fig, run, animated=True))
    update_digits(artists, run, x_axis, log_loss)


def draw_digits_warm(fig, runs):
    """After a warm-up: the parameter step ‖θₙ₊₁ − θₙ‖ (log) and the training loss of full
    backward vs forward SGD, one thin line per seed."""
    ax1, ax2 = fig.subplots(1, 2)
    for run in runs:
        for name, c in run["warm"].items():
            col = BACKWARD if name.startswith("backward") else FORWARD
            label = name if run is runs[0] else None
            n = np.arange(len(c["loss"]))
            ax1.semilogy(n[1:], _positive(c["steps"], 1e-17), color=col, lw=1, label=label)
            ax2.semilogy(n, np.where(np.isfinite(c["loss"]), c["loss"], np.nan), color=col,
                         lw=1, label=label)
    r = runs[0]
    ax1.set(xlabel=f"step $n$ after {r['warm_start']} warm-up steps",
            ylabel=r"$\|\theta_{n+1} - \theta_n\|$",
            title=f"near a minimum, $\\eta$ = {r.get('warm_lr', r['lr']):g}: does backward SGD "
                  "freeze?")
    ax2.set(xlabel="step $n$", ylabel="training loss", title=f"{len(runs)} seed(s)")
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


def build_orders_2d(fig, result, animated=False):
    """The 2-D figure without its view: the shaded landscape (darker = lower), the optimum ★ and
    θ₀ ■, every path and step-size curve (the optional ones empty). Returns the artists
    `update_orders_2d` moves. animated=True (widgets): what is drawn over the optional paths,
    these paths and the whole right panel (with the legend) are animated, redrawn over the
    cached figure."""
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[1.1, 1])
    A, y = result["A"], result["y"]
    lo, hi = _view_box(result)
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 60), np.linspace(lo[1], hi[1], 60))
    loss = 0.5 * np.mean((np.stack([g0, g1], axis=-1) @ A.T - y) ** 2, axis=-1)
    ax1.imshow(np.log(loss - loss.min() + 1e-2), origin="lower", cmap="Greys_r", alpha=0.35,
               extent=(lo[0], hi[0], lo[1], hi[1]), aspect="auto", interpolation="bilinear")
    th, div, ev = result["thetas"], result["diverged_at"], result["evals"]

    def name(key, text):
        text = f"{text}: {ev[key]} evals"
        return text if div[key] is None else f"{text}, diverged at step {div[key]}"

    cloud = ax1.plot([], [], ls="", marker=".", color=BACKWARD, alpha=0.3, ms=3,
                     label="backward limits, other seeds", animated=animated)[0]
    paths, steps = {}, {}
    for key, col, text, style in [
            ("forward", FORWARD, "forward", dict(marker=".", lw=0.4, ms=4)),
            ("windowed", WINDOWED, result["windowed_name"], dict(marker=".", lw=0.8, ms=3)),
            ("backward", BACKWARD, "backward", dict(marker="o", lw=1.5, ms=3))]:
        paths[key] = ax1.plot(th[key][:, 0], th[key][:, 1], color=col, label=name(key, text),
                              animated=animated and key != "forward", **style)[0]
        steps[key] = ax2.plot([], [], color=col, lw=2 if key == "backward" else 1)[0]
    ax1.plot(*result["optimum"], "k*", ms=13, animated=animated)  # (drawn over the paths)
    ax1.plot(*result["theta0"], "ks", ms=6, animated=animated)
    ax1.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
    ax1.set_title(f"$\\eta$ = {result['lr']:g}, batch {result['batch_size']}, "
                  f"seed {result['seed']}   (★ optimum, ■ $\\theta_0$)", y=1.0)
    predicted = ax2.plot([], [], "k--", lw=1)[0]
    ax2.set_xlabel("step $n$")
    ax2.set_animated(animated)
    return {"axes": (ax1, ax2), "cloud": cloud, "paths": paths, "steps": steps,
            "predicted": predicted}


def update_orders_2d(artists, result, show_cloud=True, show_windowed=True, log_steps=True):
    """Show or hide the other seeds' limits and the windowed variant; log or linear steps."""
    ax1, ax2 = artists["axes"]
    lo, hi = _view_box(result)
    L = np.reshape(result["limits"], (-1, 2)) if show_cloud else np.empty((0, 2))
    L = L[np.all((L > lo) & (L < hi), axis=1)]
    artists["cloud"].set_data(L[:, 0], L[:, 1])
    th = result["thetas"]["windowed"] if show_windowed else np.empty((0, 2))
    artists["paths"]["windowed"].set_data(th[:, 0], th[:, 1])
    shown = [ln for ln in (artists["cloud"], *artists["paths"].values()) if len(ln.get_xdata())]
    ax2.legend(handles=shown, fontsize=7, loc="best")  # (the colours of both panels)

    steps = {k: np.where(np.isfinite(v), v, np.nan) for k, v in result["steps"].items()}
    for key, line in artists["steps"].items():
        s = steps[key] if key != "windowed" or show_windowed else []
        line.set_data(np.arange(len(s)), _positive(s, FLOOR) if log_steps else s)
    pred, s = result["prediction"], steps["backward"]
    title = r"step size $\|\theta_{n+1} - \theta_n\|$"
    if np.isfinite(pred["lyapunov"]) and len(s) and np.isfinite(s[0]) and s[0] > 0:
        n = np.arange(len(s))
        artists["predicted"].set_data(n, s[0] * np.exp(np.minimum(pred["lyapunov"] * n, 700)))
        title += f"\ndashed: predicted slope {pred['lyapunov']:.3f} per step"
    if ax2.get_yscale() != ("log" if log_steps else "linear"):  # (a new scale: new ticks)
        ax2.set_yscale("log" if log_steps else "linear")
    ax2.relim()
    ax2.autoscale_view()
    finite = _finite(np.concatenate(list(steps.values())))
    finite = finite[finite > 0]
    if finite.size:  # the steps taken, not the predicted line beyond them
        ax2.set_ylim(*((max(FLOOR, finite.min() / 10) / 3, min(finite.max() * 10, 1e100))
                       if log_steps else (0, 1.05 * finite.max())))
    bad = [v for v in result["diverged_at"].values() if v is not None]
    ax2.set_title(f"diverged at step {min(bad)} (see the legend)" if bad else title, y=1.0)


def draw_orders_2d(fig, result, show_cloud=True, show_windowed=True, log_steps=True):
    """Left: the loss landscape (shaded, darker = lower) with forward SGD's jittering path,
    backward SGD's converging path, the windowed variant and (optionally) backward limits of
    other seeds; the legend counts each method's gradient evaluations.
    Right: step sizes ‖θₙ₊₁ − θₙ‖ with the predicted backward slope (dashed)."""
    update_orders_2d(build_orders_2d(fig, result), result, show_cloud, show_windowed,
                     log_steps)


def draw_orders_view(fig, result, show_cloud=True, show_windowed=True, log_steps=True):
    """The 2-D explorer's figure: drawn once per result, then the view controls change the
    two panels in place (both animated: redrawn over the cached figure)."""
    artists = keep(fig, (result,), lambda fig: build_orders_2d(fig, result, animated=True))
    update_orders_2d(artists, result, show_cloud, show_windowed, log_steps)


# ---------------------------------------------------------------------------------------------
# Where the claim lives: strongly convex least squares, a locally contractive network
# ---------------------------------------------------------------------------------------------

ROW_STYLES = ("-", "-.", ":")  # one line style per batch size (colours stay forward / backward)


def draw_orders(fig, rows, title):
    """Left: ‖θₙ₊₁ − θₙ‖ of both orders (median over streams) against the predicted rate.
    Right: the spread of a stream's last quarter of iterates after N steps, as N grows.

    rows: the `rows` of `backward-sgd/strongly-convex` or `backward-sgd/contractive-net`
    (`gradlab.methods.backward_sgd.both_orders` plus "batch_size" and "prediction")."""
    ax1, ax2 = fig.subplots(1, 2)
    for ls, row in zip(ROW_STYLES, rows):
        b = row["batch_size"]
        sb = np.median(row["steps_backward"], axis=1)
        sf = np.median(row["steps_forward"], axis=1)
        n = np.arange(len(sb))
        ax1.semilogy(n, _positive(sf, FLOOR), color=FORWARD, ls=ls, lw=1, alpha=0.6,
                     label=f"forward, batch {b}")
        ax1.semilogy(n, _positive(sb, FLOOR), color=BACKWARD, ls=ls, lw=1.6,
                     label=f"backward, batch {b}")
        k = row["fit_start"]
        ax1.semilogy(n[k:], sb[k] * np.exp(row["prediction"]["lyapunov"] * (n[k:] - k)),
                     color="k", ls="--", lw=1)
        cps = row["checkpoints"]
        ax2.semilogy(cps, np.mean(row["tail_spread_forward"], axis=1), "s", color=FORWARD,
                     ls=ls, alpha=0.7, label=f"forward, batch {b}")
        ax2.semilogy(cps, np.mean(row["tail_spread_backward"], axis=1), "o", color=BACKWARD,
                     ls=ls, label=f"backward, batch {b}")
    ax1.set(xlabel="step $n$", ylabel=r"$\|\theta_{n+1} - \theta_n\|$ (median over streams)",
            title=f"{title}: step sizes (dashed: predicted rate)")
    ax1.legend(fontsize=7)
    ax2.set(xlabel="steps $N$", ylabel="spread of a stream's last $N/4$ iterates",
            title="within one stream: a point vs a distribution")
    ax2.legend(fontsize=7)
