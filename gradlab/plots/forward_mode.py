"""Forward mode drawn: the JVP as a tangent, and finite differences' V-shaped error curve.

Inputs come from `gradlab.estimators.finite_differences` (`tangent_study`, `error_curve`).

`draw_tangent_line`, `draw_direction`, `draw_directional_slice` and `draw_error_curve` are
ordinary matplotlib drawings (for notebooks). `draw_forward_explorer` is the widget's figure:
drawn once per function by `build` (`gradlab.plots.kept.keep`), then the lines that depend on
the point, the direction and h are moved in place.
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import FancyArrowPatch

from .kept import keep
from .style import COLORS as STYLE

COLORS = {"forward": STYLE["forward difference"], "central": STYLE["central difference"],
          "jvp": STYLE["jvp"], "f": STYLE["f"]}


ERROR_LABEL = r"$|\mathrm{finite\ difference} - \mathrm{JVP}|$"


def _axes(fig, ax, n=1):
    return ax if ax is not None else fig.subplots(1, n)


def draw_tangent_line(fig, study, h=None, ax=None):
    """1-D: the graph of f near x, the tangent line of slope f'(x)·v, and the secant of step h.

    The secant through (x, f(x)) and (x + h v, f(x + h v)) is the forward difference: as h
    shrinks it turns into the tangent.
    """
    ax = _axes(fig, ax)
    x, v, ts = float(study["x"]), float(study["v"]), study["ts"]
    xs = x + v * ts
    ax.plot(xs, study["along"], color=COLORS["f"], lw=1.5, label="$f$")
    slope = study["jvp"] / v if v else 0.0
    ax.plot(xs, study["f"] + slope * (xs - x), color=COLORS["jvp"], lw=1.5,
            label=f"tangent, slope {slope:.3g}")
    if h is not None and 0 < h:
        i = _nearest(study, h)
        sec = study["curve"]["estimate"]["forward"][i] / v if v else 0.0
        if np.isfinite(sec):
            ax.plot(xs, study["f"] + sec * (xs - x), color=COLORS["forward"], lw=1, ls="--",
                    label=f"secant, $h$ = {study['curve']['hs'][i]:.0e}")
    ax.plot([x], [study["f"]], "o", color=COLORS["jvp"], ms=5)
    lo, hi = np.nanmin(study["along"]), np.nanmax(study["along"])
    pad = 0.15 * (hi - lo) if hi > lo else 1.0
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("$x$")
    ax.set_title(f"$f\\,'(x)\\,v$ = {study['jvp']:.4g}", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return ax


def draw_direction(fig, study, ax=None):
    """2-D: contours of f, the point x and the direction v as an arrow, and the gradient line."""
    ax = _axes(fig, ax)
    X, Y, Z = study["grid"]
    finite = Z[np.isfinite(Z)]
    levels = np.quantile(finite, np.linspace(0.02, 0.98, 14)) if finite.size else 10
    levels = np.unique(levels) if not np.isscalar(levels) else levels
    ax.contour(X, Y, Z, levels=levels, cmap="viridis", linewidths=0.8)
    x, v = study["x"], study["v"]
    ax.plot(*(x[:, None] + v[:, None] * study["ts"]), color="#999999", lw=0.8, ls=":")
    ax.annotate("", xy=tuple(x + v), xytext=tuple(x),
                arrowprops=dict(arrowstyle="-|>", color=COLORS["jvp"], lw=2))
    ax.plot(*x, "o", color=COLORS["jvp"], ms=5)
    ax.set_xlim(X.min(), X.max())
    ax.set_ylim(Y.min(), Y.max())
    ax.set_aspect("equal")
    ax.set_title("$f$, point $x$ and direction $v$", fontsize=9)
    return ax


def draw_directional_slice(fig, study, ax=None):
    """2-D: the slice t ↦ f(x + t v) through x along v, and its tangent of slope J_f(x) v."""
    ax = _axes(fig, ax)
    ts = study["ts"]
    ax.plot(ts, study["along"], color=COLORS["f"], lw=1.5, label="$f(x + t v)$")
    ax.plot(ts, study["f"] + study["jvp"] * ts, color=COLORS["jvp"], lw=1.5,
            label=f"tangent, slope {study['jvp']:.3g}")
    ax.plot([0], [study["f"]], "o", color=COLORS["jvp"], ms=5)
    lo, hi = np.nanmin(study["along"]), np.nanmax(study["along"])
    pad = 0.15 * (hi - lo) if hi > lo else 1.0
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("$t$")
    ax.set_title(f"directional slice: $J_f(x)\\,v$ = {study['jvp']:.4g}", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return ax


def _nearest(study, h):
    hs = study["curve"]["hs"] if "curve" in study else study["hs"]
    return int(np.argmin(np.abs(np.log(hs) - np.log(h))))


def draw_error_curve(fig, curve, h=None, ax=None, model=True):
    """The error |finite difference − JVP| against h (log-log): the V-shaped curve.

    Measured errors are solid, the model truncation + round-off dashed, the model's optimal h
    marked with a triangle; `h` (if given) is a vertical line with the errors there.
    """
    ax = _axes(fig, ax)
    hs = curve["hs"]
    floor = 1e-20
    for name in ("forward", "central"):
        err = np.where(curve["error"][name] > 0, curve["error"][name], np.nan)
        ax.loglog(hs, err, color=COLORS[name], lw=1.5, label=f"{name} difference")
        if model:
            ax.loglog(hs, np.maximum(curve["model"][name], floor), color=COLORS[name], lw=1,
                      ls="--", alpha=0.8)
            h_opt = curve["h_opt"][name]
            if np.isfinite(h_opt) and hs.min() <= h_opt <= hs.max() and h_opt > 0:
                ax.plot([h_opt], [curve["model_min"][name]], "v", color=COLORS[name], ms=6)
    title = "error vs step $h$ (dashed: model)"
    if h is not None:
        ax.axvline(h, color="#555555", lw=1)
        i = _nearest(curve, h)
        ef, ec = curve["error"]["forward"][i], curve["error"]["central"][i]
        title = f"$h$ = {hs[i]:.1e}: error fwd {ef:.1e}, central {ec:.1e}"
    ax.set_ylim(1e-17, 1e2)
    ax.set_xlim(hs.min(), hs.max())
    ax.set_xlabel("step $h$")
    ax.set_ylabel(ERROR_LABEL)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper center")
    return ax




H_LIMITS, E_LIMITS = (1e-16, 1.0), (1e-17, 1e2)  # the error panel's fixed axes


def _finite_range(a, clip=None):
    """(min, max) of the finite values of a (or quantiles `clip`), padded by 10%."""
    a = np.asarray(a, dtype=float)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return -1.0, 1.0
    lo, hi = (np.quantile(a, clip) if clip is not None else (a.min(), a.max()))
    pad = 0.1 * (hi - lo) if hi > lo else 1.0
    return float(lo - pad), float(hi + pad)


def _build_explorer(fig, study):
    """The explorer's figure for one function: what stays (f, contours, axes, legends) is drawn
    here; the artists that follow the point, the direction and h are created `animated` and
    empty, and `draw_forward_explorer` fills them in."""
    def line(ax, color, **kw):
        return ax.plot([], [], color=color, animated=True, **kw)[0]

    out = {}
    if study["dim"] == 1:
        ax_f, ax_e = fig.subplots(1, 2, width_ratios=[1, 1.1])
        xs, fs = study["domain"]
        ax_f.plot(xs, fs, color=COLORS["f"], lw=1.5, label="$f$")
        ax_f.set_xlim(xs[0], xs[-1])
        ax_f.set_ylim(*_finite_range(fs))
        ax_f.set_xlabel("$x$")
        out["tangent"] = line(ax_f, COLORS["jvp"], lw=1.8, label=r"tangent (slope = JVP)")
        out["secant"] = line(ax_f, COLORS["forward"], lw=1, ls="--", label="secant of step $h$")
        out["point"] = line(ax_f, COLORS["jvp"], marker="o", ms=5)
        ax_f.legend(fontsize=7, loc="lower left")
    else:
        ax_f, ax_s, ax_e = fig.subplots(1, 3, width_ratios=[1, 1, 1.2])
        X, Y, Z = study["grid"]
        lo, hi = _finite_range(Z, clip=(0.0, 0.9))
        ax_f.contour(X, Y, Z, levels=np.linspace(lo, hi, 14), cmap="viridis", linewidths=0.8)
        ax_f.set_aspect("equal")
        ax_f.set_xlabel("$x_1$")
        ax_f.set_ylabel("$x_2$")
        out["through"] = line(ax_f, "0.6", lw=0.8, ls=":")
        out["point"] = line(ax_f, COLORS["jvp"], marker="o", ms=5)
        out["arrow"] = ax_f.add_patch(FancyArrowPatch((0, 0), (0, 0), arrowstyle="-|>",
                                                      mutation_scale=12, color=COLORS["jvp"],
                                                      lw=2, animated=True))
        span = study["span"]
        ax_s.set_xlim(-span, span)
        ax_s.set_xlabel("$t$")
        ax_s.axvline(0.0, color="0.8", lw=0.8)
        out["slice"] = line(ax_s, COLORS["f"], lw=1.5, label="$f(x + t v)$")
        out["slice_tangent"] = line(ax_s, COLORS["jvp"], lw=1.8, label=r"slope $J_f(x)\,v$")
        out["slice_point"] = line(ax_s, COLORS["jvp"], marker="o", ms=5)
        out["slice_title"] = ax_s.set_title(" ", fontsize=9, animated=True)
        ax_s.legend(fontsize=7, loc="lower left")
    out["title"] = ax_f.set_title(" ", fontsize=9, animated=True)
    ax_e.set_xscale("log")
    ax_e.set_yscale("log")
    ax_e.set_xlim(*H_LIMITS)
    ax_e.set_ylim(*E_LIMITS)
    ax_e.set_xlabel("step $h$")
    ax_e.set_ylabel(ERROR_LABEL)
    for name in ("forward", "central"):
        out[f"error_{name}"] = line(ax_e, COLORS[name], lw=1.5, label=f"{name} difference")
        out[f"model_{name}"] = line(ax_e, COLORS[name], lw=1, ls="--", alpha=0.8)
        out[f"best_{name}"] = line(ax_e, COLORS[name], marker="v", ms=6, ls="")
    ax_e.plot([], [], color="0.35", lw=1, ls="--", label="model: truncation + round-off")
    ax_e.plot([], [], color="0.35", marker="v", ls="", label="model's best $h$")
    out["h"] = ax_e.axvline(1e-4, color="0.35", lw=1, animated=True)
    out["error_title"] = ax_e.set_title(" ", fontsize=9, animated=True)
    ax_e.legend(fontsize=7, loc="upper center")
    out["slice_axes"] = ax_s if study["dim"] == 2 else None
    return out


def draw_forward_explorer(fig, study, log10_h=-4.0):
    """The forward-mode explorer: the tangent (1-D) or contours + directional slice (2-D), and
    the V-shaped error curve with the step h marked.

    The figure is drawn once per function (`study["name"]`, or the study itself); moving the
    point, the direction or h only moves lines (blitted: see `gradlab.plots.kept`).
    """
    key = ("forward explorer", study.get("name") or study, study["dim"], study["box"],
           study["span"])
    a = keep(fig, key, lambda f: _build_explorer(f, study))
    x, v, jv, fx, ts = study["x"], study["v"], study["jvp"], study["f"], study["ts"]
    curve = study["curve"]
    i = _nearest(study, 10.0 ** log10_h)
    if study["dim"] == 1:
        x0, v0 = float(x), float(v)
        xs = x0 + v0 * ts
        slope = jv / v0 if v0 else 0.0
        a["tangent"].set_data(xs, fx + slope * (xs - x0))
        sec = curve["estimate"]["forward"][i] / v0 if v0 else np.nan
        a["secant"].set_data(xs, fx + sec * (xs - x0) if np.isfinite(sec) else np.nan * xs)
        a["point"].set_data([x0], [fx])
        a["title"].set_text(f"$f({x0:.2f})$ = {fx:.3g},  $f\\,'(x)\\,v$ = {jv:.4g}")
    else:
        a["through"].set_data(*(x[:, None] + v[:, None] * ts[[0, -1]]))
        a["point"].set_data([x[0]], [x[1]])
        a["arrow"].set_positions(tuple(x), tuple(x + v))
        a["title"].set_text(f"$x$ = ({x[0]:.2f}, {x[1]:.2f}), $v$ = ({v[0]:.2f}, {v[1]:.2f})")
        along = study["along"]
        a["slice"].set_data(ts, along)
        a["slice_tangent"].set_data(ts, fx + jv * ts)
        a["slice_point"].set_data([0.0], [fx])
        a["slice_title"].set_text(f"slope at $t = 0$: $J_f(x)\\,v$ = {jv:.4g}")
        ylim = _finite_range(np.concatenate([along, [fx]]))
        if not np.allclose(a["slice_axes"].get_ylim(), ylim):
            a["slice_axes"].set_ylim(*ylim)  # new ticks: a full draw, only when the slice moves
    hs = curve["hs"]
    for name in ("forward", "central"):
        err = curve["error"][name]
        a[f"error_{name}"].set_data(hs, np.where(err > 0, err, np.nan))
        a[f"model_{name}"].set_data(hs, np.maximum(curve["model"][name], 1e-300))
        h_opt, e_opt = curve["h_opt"][name], curve["model_min"][name]
        shown = np.isfinite(h_opt) and h_opt > 0 and e_opt > 0
        a[f"best_{name}"].set_data([h_opt] if shown else [], [e_opt] if shown else [])
    a["h"].set_xdata([hs[i], hs[i]])
    ef, ec = curve["error"]["forward"][i], curve["error"]["central"][i]
    a["error_title"].set_text(f"$h$ = {hs[i]:.0e}: error fwd {ef:.1e}, central {ec:.1e}")
    return a
