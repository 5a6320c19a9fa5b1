"""Figures that stay on screen: draw a figure once, then move its artists in place.

A widget's draw function is called on every change of a view control. Drawing a matplotlib figure
from scratch (axes, ticks, labels, legends) costs far more than moving a line, so it draws the
figure once with `keep` and afterwards only updates the artists a control moves:

    def draw_error_curve_view(fig, curve, log10_h):
        def build(fig):                        # plain matplotlib: edit labels and colours here
            ax = fig.subplots()
            ax.loglog(curve["hs"], curve["error"], color=COLORS["forward"])
            ax.set_xlabel(r"step $h$")
            marker = ax.axvline(1e-4, color="k", animated=True)
            return {"marker": marker}
        artists = keep(fig, (curve,), build)    # drawn again only when `curve` changes
        artists["marker"].set_xdata([10 ** log10_h] * 2)

The key lists what decides the drawing (the result, a choice of panels, log or linear axes):
`build` runs again, on a cleared figure, whenever the key differs from the last call's (results
are compared by identity, plain values by equality).

Artists created with `animated=True` are left out of the figure's cached background and drawn
alone on top of it at every render (matplotlib's blitting, done by `gradlab.widgets.base.
render_png`): mark the artists a view control moves that way, and a redraw costs a few
milliseconds. An artist that is not animated may be changed too; the whole figure is then drawn
again (correct, only slower).
"""

from __future__ import annotations

_PLAIN = (str, int, float, bool, type(None))


def _same(a, b):
    """Same object, or equal plain values (tuples compared element by element)."""
    if a is b:
        return True
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return isinstance(a, _PLAIN) and isinstance(b, _PLAIN) and type(a) is type(b) and a == b


def keep(fig, key, build):
    """The artists `build(fig)` returned for `key`; clear `fig` and call `build` first if the
    figure currently shows another key (or nothing)."""
    kept = fig.__dict__.get("_gradlab_kept")
    if kept is None or not _same(kept[0], key):
        fig.clear()
        kept = fig.__dict__["_gradlab_kept"] = (key, build(fig))
    return kept[1]


def is_kept(fig):
    """Whether `fig` shows a drawing made by `keep` (a draw function that keeps its figure)."""
    return "_gradlab_kept" in fig.__dict__


def forget(fig):
    """Drop what `keep` remembers, so the next call draws the figure again."""
    fig.__dict__.pop("_gradlab_kept", None)


def keep_choice(fig, key, choice, build):
    """One drawing per value of a view choice that changes the axes themselves (log or linear,
    which quantity): `build(subfig)` draws it, on first use, in a subfigure of its own, which is
    then hidden while another choice is shown. Switching draws the figure again but builds
    nothing. Returns what `build` returned for `choice`."""
    views = keep(fig, key, lambda fig: {})
    if choice not in views:
        sub = fig.add_subfigure(fig.add_gridspec(1, 1)[0])
        views[choice] = (sub, build(sub))
    for c, (sub, _) in views.items():
        sub.set_visible(c == choice)
    return views[choice][1]
