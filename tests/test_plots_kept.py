"""keep / keep_choice / render_png: a blitted redraw shows the same picture as a full draw.

render_png pastes the figure's cached background and draws the animated artists on top while
nothing else changed; any other change makes the figure stale and it is drawn in full.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from gradlab.plots.kept import forget, keep, keep_choice
from gradlab.widgets.base import render_png


def pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"), dtype=int)


def build(fig):
    """Two panels with ticks, a legend, a static curve and the artists a control moves."""
    ax1, ax2 = fig.subplots(1, 2)
    xs = np.linspace(0, 2 * np.pi, 200)
    ax1.plot(xs, np.sin(xs), color="0.2", label=r"$\sin x$")
    moving = ax1.plot([], [], color="tab:orange", lw=2, animated=True, label="moving")[0]
    marker = ax2.axvline(0.5, color="k", animated=True)
    hidden = ax2.plot([0, 1], [0, 1], color="tab:green", animated=True, visible=False)[0]
    ax2.set_xlim(0, 1)
    ax1.legend(loc="lower left")
    title = ax1.set_title(" ", animated=True)
    return {"moving": moving, "marker": marker, "hidden": hidden, "title": title, "ax": ax1}


def show(fig, artists, phase, x, show_hidden=False):
    xs = np.linspace(0, 2 * np.pi, 200)
    artists["moving"].set_data(xs, np.sin(xs + phase))
    artists["marker"].set_xdata([x, x])
    artists["hidden"].set_visible(show_hidden)
    artists["title"].set_text(f"phase {phase:.2f}")


def drawn(phase, x, show_hidden=False):
    """A new kept figure showing (phase, x), rendered once: (fig, artists, png)."""
    fig = Figure(figsize=(6, 3), dpi=60, layout="constrained")
    artists = keep(fig, ("k",), build)
    show(fig, artists, phase, x, show_hidden)
    return fig, artists, render_png(fig)


def fresh_png(phase, x, show_hidden=False, title=None):
    """The same state drawn on a new figure: a full draw, no cached background."""
    fig, artists, png = drawn(phase, x, show_hidden)
    if title is None:
        return png
    artists["ax"].set_xlabel(title)
    return render_png(fig)


def same_picture(png_a, png_b):
    """At most a few anti-aliased pixels differ, by little."""
    a, b = pixels(png_a), pixels(png_b)
    return a.shape == b.shape and (np.abs(a - b).max(axis=-1) > 8).mean() < 1e-3


def test_blitted_redraw_equals_a_full_draw():
    fig, artists, first = drawn(0.0, 0.2)
    background = fig.__dict__["_gradlab_background"]
    for phase, x, hidden in [(1.0, 0.7, False), (2.5, 0.1, True), (0.3, 0.9, False)]:
        show(fig, artists, phase, x, hidden)
        assert not fig.stale  # animated artists moved: nothing to draw again
        png = render_png(fig)
        assert fig.__dict__["_gradlab_background"] is background  # blitted, not redrawn
        assert png != first
        assert same_picture(png, fresh_png(phase, x, hidden))


def test_a_change_to_a_static_artist_draws_the_whole_figure():
    fig, artists, before = drawn(0.5, 0.5)
    background = fig.__dict__["_gradlab_background"]
    artists["ax"].set_xlabel("a new label")  # not animated
    assert fig.stale
    after = render_png(fig)
    assert fig.__dict__["_gradlab_background"] is not background
    assert after != before
    assert same_picture(after, fresh_png(0.5, 0.5, title="a new label"))


def test_keep_builds_once_per_key():
    fig = Figure()
    calls = []

    def counting(fig):
        calls.append(1)
        return {"ax": fig.add_subplot()}

    result = object()
    first = keep(fig, (result, "log", 3), counting)
    again = keep(fig, (result, "log", 3), counting)
    assert again is first and len(calls) == 1 and fig.axes == [first["ax"]]
    other = keep(fig, (object(), "log", 3), counting)  # another result: a new figure
    assert len(calls) == 2 and other["ax"] is not first["ax"] and fig.axes == [other["ax"]]
    keep(fig, (other, "linear", 3), counting)  # another plain value
    assert len(calls) == 3
    forget(fig)
    keep(fig, (other, "linear", 3), counting)
    assert len(calls) == 4


def test_keep_choice_builds_each_choice_once_and_shows_one():
    fig = Figure(figsize=(4, 3), dpi=50)
    fig.set_layout_engine("none")
    calls = []

    def build_for(choice):
        def b(sub):
            calls.append(choice)
            ax = sub.subplots()
            ax.plot([0, 1], [0, 1] if choice == "up" else [1, 0])
            return ax
        return b

    key = (object(),)
    up = keep_choice(fig, key, "up", build_for("up"))
    png_up = render_png(fig)
    down = keep_choice(fig, key, "down", build_for("down"))
    png_down = render_png(fig)
    assert keep_choice(fig, key, "up", build_for("up")) is up and calls == ["up", "down"]
    assert up.get_figure(root=False).get_visible() and not down.get_figure(root=False).get_visible()
    assert render_png(fig) == png_up != png_down
