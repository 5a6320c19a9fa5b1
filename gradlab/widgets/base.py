"""What every widget shares: controls wired to a compute function and a draw function.

A widget only connects: `compute(**settings)` (pure, tested, in the package) returns a result;
`draw(fig, result, **view)` (in `gradlab.plots`) draws it. Controls listed in `view` change only
what is shown, so moving them redraws the cached result without recomputing. The figure is
rendered to PNG and shown in an `ipywidgets.Image`, which works the same in JupyterLab, on
Binder and in headless tests (where `widget.png` can be compared before and after a change).

Fast redraws: a draw function may keep what a view control cannot change (frames, ticks, labels,
titles, images: the slow part of any matplotlib figure) in a `static_layer`, rendered once per
result and pasted in a fraction of a millisecond, and draw only what moves on top of it, in the
data coordinates of the layer's axes (`overlay`, `overlay_axes`).
"""

from __future__ import annotations

import struct
import time
import traceback
import zlib

import ipywidgets as W
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox


def _canvas(fig):
    """The figure's Agg canvas (made once, so its renderer is reused between redraws)."""
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    return fig.canvas


def encode_png(rgba):
    """An (h, w, 4) uint8 array as PNG bytes: no row filters and zlib level 1, several times
    faster than PIL's adaptive filtering and no larger for plots (flat colours, thin lines)."""
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    h, w = rgba.shape[:2]
    raw = np.zeros((h, 1 + 4 * w), np.uint8)  # each row: filter type 0, then the pixels
    raw[:, 1:] = rgba.reshape(h, 4 * w)

    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 1)) + chunk(b"IEND", b""))


def render_png(fig):
    """The figure as PNG bytes."""
    canvas = _canvas(fig)
    canvas.draw()
    return encode_png(np.asarray(canvas.buffer_rgba()))


def clear_figure(fig):
    """`fig.clear()` without clearing each axes first (the axes are thrown away: resetting their
    ticks and scales costs milliseconds each, and axes kept by a `static_layer` keep theirs)."""
    for ax in tuple(fig.axes):
        fig.delaxes(ax)
    fig.clear()


class _Paste(Artist):
    """Copies saved pixels into the renderer: the cheapest way to draw a static layer."""

    def __init__(self, region):
        super().__init__()
        self.region = region
        self.set_zorder(-1e6)  # under everything drawn on top of it

    def draw(self, renderer):
        renderer.restore_region(self.region)


def _store(fig, result):
    store = fig.__dict__.get("_gradlab_layers")
    if store is None or store[0] is not result:
        store = fig.__dict__["_gradlab_layers"] = (result, {}, {})
    return store


def result_memo(fig, result):
    """A dict kept on `fig` for `result` only (emptied when the result changes), for values
    derived from the result that several redraws or layers need."""
    return _store(fig, result)[2]


def static_layer(fig, result, key, draw_static, max_cached=8):
    """Paste the static layer `key` of `result` into `fig` (a cleared figure, fixed layout),
    drawing and rendering it first if this result has not drawn it yet; return its axes.

    `draw_static(fig)` draws, on a cleared figure without a layout engine, everything that stays
    put while the view controls move, and returns the axes to draw on later. Those axes are
    kept off the figure with their scales and limits, so `overlay(fig, ax, artist)` and
    `overlay_axes(fig, ax)` put moving parts exactly on top. A layer may paste another one
    (layers of layers). Layers are cached on the figure for the current result only (a new
    result drops them) and for the figure's size and dpi.
    """
    layers = _store(fig, result)[1]
    full_key = (key, tuple(np.round(fig.get_size_inches(), 3)), float(fig.dpi))
    if full_key not in layers:
        clear_figure(fig)
        fig.set_layout_engine("none")
        depth = fig.__dict__.get("_gradlab_drawing_layer", 0)
        fig.__dict__["_gradlab_drawing_layer"] = depth + 1  # its axes are kept: never reused
        try:
            axes = draw_static(fig)
        finally:
            fig.__dict__["_gradlab_drawing_layer"] = depth
        canvas = _canvas(fig)
        canvas.draw()
        region = canvas.copy_from_bbox(fig.bbox)
        clear_figure(fig)
        if len(layers) >= max_cached:
            layers.pop(next(iter(layers)))
        layers[full_key] = (region, axes)
    region, axes = layers[full_key]
    fig.set_layout_engine("none")
    fig.add_artist(_Paste(region))
    return axes


def overlay(fig, ax, artist, clip=True):
    """Add `artist` (a Line2D, a Patch, a collection, a Text...) to `fig` in the data
    coordinates of `ax`, an axes kept by `static_layer`; clipped to the axes box."""
    artist.set_transform(ax.transData)
    if clip:
        artist.set_clip_box(ax.bbox)
    fig.add_artist(artist)
    return artist


REUSE_LIVE_AXES = True  # False: a new live axes at every redraw (same pixels, slower)


def overlay_axes(fig, ax, x=False, y=True):
    """A transparent live axes exactly over `ax` (kept by `static_layer`), without frame or
    background, drawing only the axis asked for (its ticks, tick labels and label): for a view
    control that changes one axis of a panel whose other parts are static. The other axis has
    the layer's scale and limits; the live one starts with the layer's scale and autoscales.

    Outside a static layer's drawing, the live axes of the previous redraw is emptied and used
    again: making an axes and its ticks costs more than drawing most curves."""
    reuse = REUSE_LIVE_AXES and not fig.__dict__.get("_gradlab_drawing_layer")
    kept = ax.__dict__.setdefault("_gradlab_live", {})
    live = kept.get((x, y)) if reuse else None
    if live is None:
        live = fig.add_axes(ax.get_position(), xscale=ax.get_xscale(), yscale=ax.get_yscale())
        live.patch.set_visible(False)
        for spine in live.spines.values():
            spine.set_visible(False)
        live.xaxis.set_visible(x)
        live.yaxis.set_visible(y)
        if reuse:
            kept[(x, y)] = live
    else:
        _empty_axes(live)
        live.set_xscale(ax.get_xscale())
        live.set_yscale(ax.get_yscale())
        fig.add_axes(live)
    if not x:  # the static side keeps the layer's limits; the live side autoscales as usual
        live.set_xlim(ax.get_xlim())
    if not y:
        live.set_ylim(ax.get_ylim())
    return live


def _empty_axes(ax):
    """Remove what a redraw drew on a live axes (artists, legend, titles, labels, data limits)
    and autoscale again, keeping its axis objects and their ticks."""
    for artist in list(ax._children):
        artist.remove()
    if ax.legend_ is not None:
        ax.legend_.remove()
    for title in (ax.title, ax._left_title, ax._right_title):
        title.set_text("")
    ax.xaxis.label.set_text("")
    ax.yaxis.label.set_text("")
    ax.dataLim.set_points(Bbox.null().get_points())
    ax.ignore_existing_data_limits = True
    ax.set_autoscalex_on(True)
    ax.set_autoscaley_on(True)


class Explorer(W.VBox):
    """Controls → compute(**settings) → draw(fig, result, **view) → PNG shown below the controls.

    controls: name → ipywidget; view: the names that only change the view (no recompute);
    run_button: if True, computing waits for a click on "Run" and shows a progress bar;
    compute then receives `progress=callback(done, total)`.
    """

    def __init__(self, controls, compute, draw, view=(), run_button=False, figsize=(9, 4),
                 dpi=80, title=None):
        self.controls = dict(controls)
        self.compute = compute
        self.draw = draw
        self.view = tuple(view)
        self.fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.message = W.HTML()
        self.result = None
        self.error = None
        self.last_redraw_s = None
        self._computed_for = None
        children = [W.HTML(f"<b>{title}</b>")] if title else []
        self.run_button = None
        self.progress = None
        controls_box = W.HBox(list(self.controls.values()), layout=W.Layout(flex_flow="row wrap"))
        children.append(controls_box)
        if run_button:
            self.run_button = W.Button(description="Run", button_style="primary", icon="play")
            self.progress = W.FloatProgress(value=0.0, min=0.0, max=1.0, description="progress")
            self.run_button.on_click(lambda _: self.run())
            children.append(W.HBox([self.run_button, self.progress]))
        children += [self.message, self.image]
        super().__init__(children)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.run()  # the default settings are quick: show a result at once

    def settings(self):
        """The values of the controls that need a recomputation."""
        return {k: c.value for k, c in self.controls.items() if k not in self.view}

    def view_settings(self):
        """The values of the controls that only change the view."""
        return {k: c.value for k, c in self.controls.items() if k in self.view}

    def _on_change(self, change):
        name = next(k for k, c in self.controls.items() if c is change["owner"])
        if name in self.view or self.run_button is None:
            self.update()
        elif self.settings() != self._computed_for:
            self.message.value = "<i>Settings changed: press Run.</i>"
        else:  # moved back to the settings already computed
            self.message.value = ""

    def _report(self, done, total):
        if self.progress is not None:
            self.progress.value = done / total if total else 1.0

    def run(self):
        """Compute for the current settings (with progress if there is a Run button), then draw."""
        settings = self.settings()
        try:
            if self.run_button is not None:
                self.progress.value = 0.0
                self.result = self.compute(**settings, progress=self._report)
                self.progress.value = 1.0
            else:
                self.result = self.compute(**settings)
            self._computed_for = settings
            self.error = None
            self.message.value = ""
        except Exception as exc:  # shown, not raised: a widget must never die on a slider
            self.error = exc
            self.message.value = f"<b style='color:#b00'>Error:</b> {exc}"
            traceback.print_exc()
            return
        self.redraw()

    def update(self):
        """Recompute if a setting changed since the last computation, then redraw."""
        if self._computed_for != self.settings():
            self.run()
        else:
            self.redraw()

    def redraw(self):
        """Draw the cached result with the current view settings."""
        start = time.perf_counter()
        clear_figure(self.fig)
        try:
            self.draw(self.fig, self.result, **self.view_settings())
        except Exception as exc:
            self.error = exc
            self.message.value = f"<b style='color:#b00'>Error while drawing:</b> {exc}"
            traceback.print_exc()
            return
        self.image.value = render_png(self.fig)
        self.last_redraw_s = time.perf_counter() - start

    @property
    def png(self):
        """The PNG currently shown (bytes)."""
        return self.image.value
