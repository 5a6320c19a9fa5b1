"""Forward mode drawn: the JVP as a tangent, and finite differences' V-shaped error curve.

Inputs come from `gradlab.estimators.finite_differences` (`tangent_study`, `error_curve`).

`draw_tangent_line`, `draw_direction`, `draw_directional_slice` and `draw_error_curve` are
ordinary matplotlib drawings (for notebooks). `draw_forward_explorer`, used by the widget, is
built for speed: drawing axes with ticks costs tens of milliseconds each, so the parts that
depend only on the chosen function (frames, ticks, labels, legends, contours) are rendered once
into a `Backdrop` image kept with the figure, and each redraw pastes that image and draws only
the lines that moved on top of it, in pixel coordinates computed from the saved panel boxes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.transforms import Bbox, BboxTransform, IdentityTransform

COLORS = {"forward": "#d95f02", "central": "#1b9e77", "jvp": "#7570b3", "f": "#333333"}


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
    ax.plot(xs, study["along"], color=COLORS["f"], lw=1.5, label="f")
    slope = study["jvp"] / v if v else 0.0
    ax.plot(xs, study["f"] + slope * (xs - x), color=COLORS["jvp"], lw=1.5,
            label=f"tangent, slope {slope:.3g}")
    if h is not None and 0 < h:
        i = _nearest(study, h)
        sec = study["curve"]["estimate"]["forward"][i] / v if v else 0.0
        if np.isfinite(sec):
            ax.plot(xs, study["f"] + sec * (xs - x), color=COLORS["forward"], lw=1, ls="--",
                    label=f"secant, h = {study['curve']['hs'][i]:.0e}")
    ax.plot([x], [study["f"]], "o", color=COLORS["jvp"], ms=5)
    lo, hi = np.nanmin(study["along"]), np.nanmax(study["along"])
    pad = 0.15 * (hi - lo) if hi > lo else 1.0
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("x")
    ax.set_title(f"f'(x)·v = {study['jvp']:.4g}", fontsize=9)
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
    ax.set_title("f, point x and direction v", fontsize=9)
    return ax


def draw_directional_slice(fig, study, ax=None):
    """2-D: the slice t ↦ f(x + t v) through x along v, and its tangent of slope J_f(x) v."""
    ax = _axes(fig, ax)
    ts = study["ts"]
    ax.plot(ts, study["along"], color=COLORS["f"], lw=1.5, label="f(x + t v)")
    ax.plot(ts, study["f"] + study["jvp"] * ts, color=COLORS["jvp"], lw=1.5,
            label=f"tangent, slope {study['jvp']:.3g}")
    ax.plot([0], [study["f"]], "o", color=COLORS["jvp"], ms=5)
    lo, hi = np.nanmin(study["along"]), np.nanmax(study["along"])
    pad = 0.15 * (hi - lo) if hi > lo else 1.0
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("t")
    ax.set_title(f"directional slice: J_f(x) v = {study['jvp']:.4g}", fontsize=9)
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
    title = "error vs step h (dashed: model)"
    if h is not None:
        ax.axvline(h, color="#555555", lw=1)
        i = _nearest(curve, h)
        ef, ec = curve["error"]["forward"][i], curve["error"]["central"][i]
        title = f"h = {hs[i]:.1e}: error fwd {ef:.1e}, central {ec:.1e}"
    ax.set_ylim(1e-17, 1e2)
    ax.set_xlim(hs.min(), hs.max())
    ax.set_xlabel("step h")
    ax.set_ylabel("|finite difference − JVP|")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper center")
    return ax


@dataclass
class Backdrop:
    """A pre-rendered static layer and, per panel, its pixel box and data limits."""

    rgba: np.ndarray
    boxes: list          # Bbox in pixels, one per panel
    limits: list         # ((x0, x1), (y0, y1)) per panel, in the panel's plotted units


def backdrop(fig, key, draw_static, max_cached=32):
    """Paste the cached static layer for `key` into `fig` (drawing and caching it first if
    needed) and return its `Backdrop`.

    `draw_static(fig)` draws the static parts on the (cleared) figure and returns
    [(axes, (xlim, ylim)), ...], the panels to draw on later with the data limits to map
    (for log axes, pass log10 limits and plot log10 data).
    """
    cache = fig.__dict__.setdefault("_gradlab_backdrops", {})
    engine = fig.__dict__.setdefault("_gradlab_static_engine", fig.get_layout_engine())
    full_key = (key, tuple(np.round(fig.get_size_inches(), 3)), float(fig.dpi))
    if full_key not in cache:
        fig.clear()
        fig.set_layout_engine(engine)  # e.g. constrained layout, for the static layer only
        panels = draw_static(fig)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba()).copy()
        boxes = [ax.bbox.frozen() for ax, _ in panels]
        limits = [lims for _, lims in panels]
        fig.clear()
        if len(cache) >= max_cached:
            cache.pop(next(iter(cache)))
        cache[full_key] = Backdrop(rgba, boxes, limits)
    bd = cache[full_key]
    fig.set_layout_engine("none")  # the overlay is placed in pixels: nothing to lay out
    fig.figimage(bd.rgba, origin="upper", resize=False)
    return bd


def panel_transform(bd, k, ylim=None):
    """Data → pixel transform of panel k (optionally with other y limits)."""
    (x0, x1), (y0, y1) = bd.limits[k]
    if ylim is not None:
        y0, y1 = ylim
    return BboxTransform(Bbox([[x0, y0], [x1, y1]]), bd.boxes[k])


def overlay_line(fig, bd, k, x, y, ylim=None, **kw):
    """A line in panel k's data coordinates, clipped to the panel, drawn on the figure."""
    line = Line2D(np.asarray(x, dtype=float), np.asarray(y, dtype=float),
                  transform=panel_transform(bd, k, ylim), **kw)
    line.set_clip_box(bd.boxes[k])
    fig.add_artist(line)
    return line


def overlay_text(fig, bd, k, text, where="title", **kw):
    """Text placed relative to panel k's box: above it ("title") or inside a corner."""
    box = bd.boxes[k]
    kw.setdefault("fontsize", 9)
    if where == "title":
        pos, align = (box.x0 + box.width / 2, box.y1 + 4), dict(ha="center", va="bottom")
    elif where == "upper left":
        pos, align = (box.x0 + 5, box.y1 - 5), dict(ha="left", va="top")
    else:  # "lower right"
        pos, align = (box.x1 - 5, box.y0 + 5), dict(ha="right", va="bottom")
    return fig.text(*pos, text, transform=IdentityTransform(), **align, **kw)


def _pad(lo, hi):
    pad = 0.1 * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad


def _finite_range(a, clip=None):
    a = np.asarray(a, dtype=float)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return -1.0, 1.0
    if clip is not None:  # ignore the extreme tail (e.g. Rosenbrock's walls)
        return float(np.quantile(a, clip[0])), float(np.quantile(a, clip[1]))
    return float(a.min()), float(a.max())


H_LIMITS, E_LIMITS = (-16.0, 0.0), (-17.0, 2.0)  # log10 limits of the error panel


def _static_error_panel(ax):
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(10 ** H_LIMITS[0], 10 ** H_LIMITS[1])
    ax.set_ylim(10 ** E_LIMITS[0], 10 ** E_LIMITS[1])
    ax.set_xlabel("step h")
    ax.set_ylabel("|finite difference − JVP|")
    ax.set_title(" ", fontsize=9)
    handles = [Line2D([], [], color=COLORS["forward"], lw=1.5),
               Line2D([], [], color=COLORS["central"], lw=1.5),
               Line2D([], [], color="#555555", lw=1, ls="--"),
               Line2D([], [], color="#555555", marker="v", ls="")]
    ax.legend(handles, ["forward difference", "central difference", "model", "optimal h"],
              fontsize=7, loc="upper center")
    return ax, (H_LIMITS, E_LIMITS)


def _draw_explorer_static(study):
    def draw_static(fig):
        if study["dim"] == 1:
            ax_t, ax_e = fig.subplots(1, 2, gridspec_kw=dict(width_ratios=[1, 1.1]))
            xs, fs = study["domain"]
            ylim = _pad(*_finite_range(fs))
            ax_t.plot(xs, fs, color=COLORS["f"], lw=1.5)
            ax_t.set_xlim(xs[0], xs[-1])
            ax_t.set_ylim(*ylim)
            ax_t.set_xlabel("x")
            ax_t.set_title(" ", fontsize=9)
            handles = [Line2D([], [], color=COLORS["f"], lw=1.5),
                       Line2D([], [], color=COLORS["jvp"], lw=1.5),
                       Line2D([], [], color=COLORS["forward"], lw=1, ls="--")]
            ax_t.legend(handles, ["f", "tangent (slope = JVP)", "secant of step h"],
                        fontsize=7, loc="lower left")
            return [(ax_t, ((xs[0], xs[-1]), ylim)), _static_error_panel(ax_e)]
        ax_c, ax_s, ax_e = fig.subplots(1, 3, gridspec_kw=dict(width_ratios=[1, 1, 1.2]))
        X, Y, Z = study["grid"]
        lo, hi = _finite_range(Z, clip=(0.0, 0.9))
        levels = np.unique(np.linspace(lo, hi, 14))
        ax_c.contour(X, Y, Z, levels=levels if levels.size > 1 else 10, cmap="viridis",
                     linewidths=0.8)
        ax_c.set_xlim(X.min(), X.max())
        ax_c.set_ylim(Y.min(), Y.max())
        ax_c.set_aspect("equal")
        ax_c.set_title(" ", fontsize=9)
        span = study["span"]
        ax_s.set_xlim(-span, span)
        ax_s.set_xlabel("t   (f along x + t v)")
        ax_s.tick_params(axis="y", left=False, labelleft=False)
        ax_s.set_title(" ", fontsize=9)
        return [(ax_c, ((X.min(), X.max()), (Y.min(), Y.max()))),
                (ax_s, ((-span, span), (0.0, 1.0))), _static_error_panel(ax_e)]
    return draw_static


def _content_key(study):
    """A key for the static layer from the data it shows (when the study has no name)."""
    data = study["domain"] if study["dim"] == 1 else study["grid"]
    return hashlib.sha1(b"".join(np.ascontiguousarray(a).tobytes() for a in data)).hexdigest()


def draw_forward_explorer(fig, study, log10_h=-4.0):
    """The forward-mode explorer, fast: the tangent (1-D) or contour + directional slice
    (2-D), then the V-shaped error curve with the current step h marked.

    The static layer is cached per function (`study["name"]`) on the figure: moving the
    point, the direction or h only redraws a few lines.
    """
    h = 10.0 ** log10_h
    key = ("forward_explorer", study["dim"], study["box"], study["span"], study.get("name")
           or _content_key(study))
    bd = backdrop(fig, key, _draw_explorer_static(study))
    x, v, jv, fx = study["x"], study["v"], study["jvp"], study["f"]
    curve = study["curve"]
    i = _nearest(study, h)
    if study["dim"] == 1:
        x0, v0 = float(x), float(v)
        xs = x0 + v0 * study["ts"]
        slope = jv / v0 if v0 else 0.0
        overlay_line(fig, bd, 0, xs, fx + slope * (xs - x0), color=COLORS["jvp"], lw=1.8)
        sec = curve["estimate"]["forward"][i] / v0 if v0 else np.nan
        if np.isfinite(sec):
            overlay_line(fig, bd, 0, xs, fx + sec * (xs - x0), color=COLORS["forward"], lw=1,
                         ls="--")
        overlay_line(fig, bd, 0, [x0], [fx], color=COLORS["jvp"], marker="o", ms=5)
        overlay_text(fig, bd, 0, f"f({x0:.2f}) = {fx:.3g},  f'(x)·v = {jv:.4g}")
        e_panel = 1
    else:
        ends = x[:, None] + v[:, None] * study["ts"][[0, -1]]
        overlay_line(fig, bd, 0, ends[0], ends[1], color="#999999", lw=0.8, ls=":")
        overlay_line(fig, bd, 0, [x[0]], [x[1]], color=COLORS["jvp"], marker="o", ms=5)
        arrow = FancyArrowPatch(tuple(x), tuple(x + v), transform=panel_transform(bd, 0),
                                arrowstyle="-|>", mutation_scale=12, color=COLORS["jvp"], lw=2)
        arrow.set_clip_box(bd.boxes[0])
        fig.add_artist(arrow)
        overlay_text(fig, bd, 0, f"x = ({x[0]:.2f}, {x[1]:.2f}), v = ({v[0]:.2f}, {v[1]:.2f})")
        ts, along = study["ts"], study["along"]
        ylim = _pad(*_finite_range(np.concatenate([along, [fx]])))
        overlay_line(fig, bd, 1, [0, 0], ylim, ylim=ylim, color="#cccccc", lw=0.8)
        overlay_line(fig, bd, 1, ts, along, ylim=ylim, color=COLORS["f"], lw=1.5)
        overlay_line(fig, bd, 1, ts, fx + jv * ts, ylim=ylim, color=COLORS["jvp"], lw=1.8)
        overlay_line(fig, bd, 1, [0], [fx], ylim=ylim, color=COLORS["jvp"], marker="o", ms=5)
        overlay_text(fig, bd, 1, f"slope at t = 0: J_f(x) v = {jv:.4g}")
        overlay_text(fig, bd, 1, f"f: {ylim[0]:.3g} … {ylim[1]:.3g}", where="upper left",
                     fontsize=7, color="#777777")
        e_panel = 2
    lh = np.log10(curve["hs"])
    with np.errstate(divide="ignore"):
        for name in ("forward", "central"):
            err = curve["error"][name]
            overlay_line(fig, bd, e_panel, lh, np.where(err > 0, np.log10(err), np.nan),
                         color=COLORS[name], lw=1.5)
            overlay_line(fig, bd, e_panel, lh, np.log10(np.maximum(curve["model"][name], 1e-300)),
                         color=COLORS[name], lw=1, ls="--", alpha=0.8)
            h_opt = curve["h_opt"][name]
            if np.isfinite(h_opt) and h_opt > 0 and curve["model_min"][name] > 0:
                overlay_line(fig, bd, e_panel, [np.log10(h_opt)],
                             [np.log10(curve["model_min"][name])], color=COLORS[name],
                             marker="v", ms=6, ls="")
    overlay_line(fig, bd, e_panel, [lh[i], lh[i]], E_LIMITS, color="#555555", lw=1)
    ef, ec = curve["error"]["forward"][i], curve["error"]["central"][i]
    overlay_text(fig, bd, e_panel,
                 f"h = {curve['hs'][i]:.0e}: error fwd {ef:.1e}, central {ec:.1e}")
    return bd
