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
