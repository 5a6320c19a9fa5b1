"""What every widget shares: controls wired to a compute function and a draw function.

A widget only connects: `compute(**settings)` (pure, tested, in the package) returns a result;
`draw(fig, result, **view)` (in `gradlab.plots`) draws it. Controls listed in `view` change only
what is shown, so moving them redraws the cached result without recomputing. The figure is
rendered to PNG and shown in an `ipywidgets.Image`, which works the same in JupyterLab, on
Binder and in headless tests (where `widget.png` can be compared before and after a change).

Fast redraws: the figure is kept between redraws. A draw function draws it once with
`gradlab.plots.kept.keep` and then moves artists in place (`set_data`, `set_offsets`,
`set_text`); `render_png` blits the artists marked `animated=True` onto the figure's cached
background, matplotlib's own recipe for fast redraws.
"""

from __future__ import annotations

import io
import time
import traceback

import ipywidgets as W
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from ..plots.kept import forget, is_kept


def render_png(fig):
    """The figure as PNG bytes.

    Blitting (https://matplotlib.org/stable/users/explain/animations/blitting.html): a full draw
    skips the artists marked `animated=True`; the picture without them is kept, and while
    nothing else in the figure changes (`fig.stale` stays False) a render pastes it back and
    draws only the animated artists on top.
    """
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    canvas = fig.canvas
    size = canvas.get_width_height()
    cached = fig.__dict__.get("_gradlab_background")
    if fig.stale or cached is None or cached[0] != size:
        # all animated artists, hidden ones too (showing one does not make the figure stale);
        # found before drawing: findobj may create tick objects, which makes the figure stale
        animated = sorted(fig.findobj(lambda a: a.get_animated()), key=lambda a: a.get_zorder())
        canvas.draw()  # everything but the animated artists
        cached = fig.__dict__["_gradlab_background"] = (size, canvas.copy_from_bbox(fig.bbox),
                                                         animated)
    else:
        canvas.restore_region(cached[1])
    for artist in cached[2]:
        if _shown(artist):
            fig.draw_artist(artist)
    buffer = io.BytesIO()
    Image.frombuffer("RGBA", size, canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
        buffer, format="png", compress_level=1)  # fast zlib: plots are flat colours
    return buffer.getvalue()


def _shown(artist):
    """Visible, and so are its axes and its (sub)figure."""
    return (artist.get_visible() and (artist.axes is None or artist.axes.get_visible())
            and artist.get_figure(root=False).get_visible())


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
        self.last_redraw_s = None  # wall-clock seconds of the last redraw
        self.last_redraw_cpu_s = None  # CPU seconds (this process) of the last redraw
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
        start, start_cpu = time.perf_counter(), time.process_time()
        if not is_kept(self.fig):
            self.fig.clear()  # a draw function that does not `keep` its figure draws it anew
        try:
            self.draw(self.fig, self.result, **self.view_settings())
        except Exception as exc:
            forget(self.fig)  # draw the whole figure again next time
            self.fig.clear()
            self.error = exc
            self.message.value = f"<b style='color:#b00'>Error while drawing:</b> {exc}"
            traceback.print_exc()
            return
        self.image.value = render_png(self.fig)
        self.last_redraw_s = time.perf_counter() - start
        self.last_redraw_cpu_s = time.process_time() - start_cpu

    @property
    def png(self):
        """The PNG currently shown (bytes)."""
        return self.image.value
