"""Checks shared by the headless widget tests: set controls, run, and toggle view-only controls."""

from __future__ import annotations


def set_controls(w, **values):
    """Set several controls of an Explorer at once."""
    for name, value in values.items():
        w.controls[name].value = value


def run_and_check(w, **values):
    """Set `values`, press Run if the widget has one, and check a new result and picture came."""
    before_png, before = w.png, w.result
    set_controls(w, **values)
    if w.run_button is not None:
        assert w.result is before  # waits for Run
        w.run()
    assert w.error is None, w.error
    assert w.result is not before
    assert w.png != before_png and w.png[:4] == b"\x89PNG"
    return w.result


def toggle_view(w, name):
    """Step a view-only control through its values: each redraws from the cache, picture changes."""
    result = w.result
    control = w.controls[name]
    if hasattr(control, "options"):
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        values = values[1:] + values[:1]
    else:
        values = [not control.value, control.value]
    for value in values:
        before = w.png
        control.value = value
        assert w.error is None and w.result is result  # redrawn from the cache
        assert w.png != before and w.last_redraw_s is not None


def kept_state(w):
    """What a redraw that reuses the kept figure leaves alone: the axes and the cached
    background (replaced only by a full draw)."""
    return list(w.fig.axes), w.fig.__dict__.get("_gradlab_background")


def check_view_reuses_figure(w, name, value, blitted=True):
    """Setting view control `name` redraws the kept figure: same axes objects (nothing rebuilt),
    and with blitted=True not even a full draw (the cached background is reused)."""
    axes, background = kept_state(w)
    before = w.png
    w.controls[name].value = value
    assert w.error is None and w.png != before
    new_axes, new_background = kept_state(w)
    assert len(new_axes) == len(axes) and all(a is b for a, b in zip(new_axes, axes))
    if blitted:
        assert new_background is background


def check_new_result_rebuilds(w, **values):
    """A new result draws a new figure: none of the old axes are left."""
    axes, _ = kept_state(w)
    set_controls(w, **values)
    if w.run_button is not None:
        w.run()
    assert w.error is None
    assert not any(a is b for a in w.fig.axes for b in axes)
