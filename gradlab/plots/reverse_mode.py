"""Computational graphs drawn with matplotlib (no graphviz), and the sweeps over them.

Inputs come from `gradlab.ad.graph`: a `Graph` (nodes in topological order with a layered layout)
and a `Sweep` (the reverse sweep of adjoints or the forward sweep of tangents, step by step).
Each node is a box: its op on top, then `name = value`, then a band with its adjoint v̄
(reverse) or tangent v̇ (forward), coloured once the sweep has filled it in. Each edge is
labelled with the local derivative ∂child/∂parent; the edges used at the current step are
highlighted, and the step is written out above the graph ("ā = b̄·1 + b̄·1 = 2 + 2 = 4").

`draw_graph` draws a graph (and a sweep's state after one step) on an axes; `draw_sweep`, the
stepper widget's figure, draws the graph once (`gradlab.plots.kept.keep`) and then only recolours
the bands, edges and borders a step changes (animated artists, blitted).
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from ..ad.graph import describe, fmt, symbol
from .kept import keep
from .style import COLORS as STYLE

COLORS = {"reverse": STYLE["reverse mode, filled"], "forward": STYLE["forward mode, filled"],
          "current_reverse": STYLE["reverse mode"],
          "current_forward": STYLE["forward mode"], "edge": "0.6", "box": "white",
          "unfilled": "0.93", "text": "0.13"}


def _box_size(graph):
    """Half-width and half-height of a node box, in data units of the layout."""
    per_layer = {}
    for n in graph.nodes:
        per_layer[n.depth] = per_layer.get(n.depth, 0) + 1
    m = max(per_layer.values())
    spacing = 2.0 / (m - 1) if m > 1 else 2.0
    return 0.36, min(0.3, 0.4 * spacing)


def _limits(graph, min_width=4.0, min_height=1.4):
    """Data limits around the graph; a small graph is centred rather than blown up."""
    half_w, half_h = _box_size(graph)
    xs = [p[0] for p in graph.positions.values()]
    ys = [p[1] for p in graph.positions.values()]
    x0, x1 = min(xs) - half_w - 0.1, max(xs) + half_w + 0.1
    y0, y1 = min(ys) - half_h - 0.08, max(ys) + half_h + 0.08
    grow_x = max(0.0, min_width - (x1 - x0)) / 2
    grow_y = max(0.0, min_height - (y1 - y0)) / 2
    return (x0 - grow_x, x1 + grow_x), (y0 - grow_y, y1 + grow_y)


def _exit_point(center, toward, half_w, half_h):
    """Where the segment from `center` toward `toward` leaves the box around `center`."""
    dx, dy = toward[0] - center[0], toward[1] - center[1]
    ts = [half_w / abs(dx) if dx else np.inf, half_h / abs(dy) if dy else np.inf]
    t = min(ts + [1.0])
    return center[0] + t * dx, center[1] + t * dy


def _edge_geometry(graph, half_w, half_h):
    """{(parent, child, k): (start, end, label position)}; parallel edges between the same
    two nodes (a value used twice by one operation) are offset from each other."""
    groups = {}
    for p, c, k in graph.edges():
        groups.setdefault((p, c), []).append(k)
    out = {}
    for (p, c), ks in groups.items():
        (x0, y0), (x1, y1) = graph.positions[p], graph.positions[c]
        for j, k in enumerate(ks):
            off = (j - (len(ks) - 1) / 2) * min(0.6 * half_h, 0.12)
            a, b = (x0, y0 + off), (x1, y1 + off)
            start = _exit_point(a, b, half_w, half_h)
            end = _exit_point(b, a, half_w, half_h)
            mid = (0.5 * (start[0] + end[0]), 0.5 * (start[1] + end[1]))
            out[(p, c, k)] = (start, end, mid)
    return out


def draw_graph_parts(ax, graph, fontsize=8, animated=False):
    """Edges with their local derivatives, node boxes with op and value, an empty band under each
    box (for its adjoint or tangent) and a hidden thick border. Returns the artists a sweep step
    changes: {"edges": {(parent, child, k): [hot arrow, hot label]} (hidden copies drawn over an
    edge while a step uses it), "bands": {i: (box, text)}, "borders": {i: patch}}; with
    animated=True they are left to blitting."""
    half_w, half_h = _box_size(graph)
    parts = {"edges": {}, "bands": {}, "borders": {}}
    for (p, c, k), (start, end, mid) in _edge_geometry(graph, half_w, half_h).items():
        local = graph.nodes[c].local[k]
        hot = []
        for color, lw, z, extra in ((COLORS["edge"], 1.0, 1, {}),
                                    ("k", 2.2, 1.5, dict(visible=False, animated=animated))):
            hot = [ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9,
                                                color=color, lw=lw, shrinkA=0, shrinkB=0,
                                                zorder=z, **extra))]
            if local is not None:
                hot.append(ax.text(*mid, fmt(local), fontsize=fontsize - 1, ha="center",
                                   va="center", color=color, zorder=z + 1, style="italic",
                                   bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none",
                                             alpha=0.9), **extra))
        parts["edges"][(p, c, k)] = hot
    for n in graph.nodes:
        x, y = graph.positions[n.id]
        corner, w, h = (x - half_w, y - half_h), 2 * half_w, 2 * half_h
        ax.add_patch(FancyBboxPatch(corner, w, h, boxstyle="round,pad=0,rounding_size=0.03",
                                    fc=COLORS["box"], ec=COLORS["text"], lw=0.8, zorder=3))
        name = graph.names.get(n.id, f"v{n.id}")
        ax.text(x, y + half_h * 0.6, n.label if n.op != "input" else "input", ha="center",
                va="center", fontsize=fontsize, weight="bold", zorder=5, color=COLORS["text"])
        ax.text(x, y + half_h * 0.02, f"{name} = {fmt(n.value)}", ha="center", va="center",
                fontsize=fontsize, zorder=5, color=COLORS["text"])
        band = ax.add_patch(Rectangle(corner, w, half_h * 0.7, fc=COLORS["unfilled"],
                                      ec=COLORS["text"], lw=0.8, zorder=4, animated=animated))
        text = ax.text(x, y - half_h * 0.65, "", ha="center", va="center", fontsize=fontsize,
                       zorder=5, animated=animated)
        parts["bands"][n.id] = (band, text)
        parts["borders"][n.id] = ax.add_patch(FancyBboxPatch(
            corner, w, h, boxstyle="round,pad=0,rounding_size=0.03", fc="none",
            ec=COLORS["text"], lw=2.4, zorder=6, visible=False, animated=animated))
    xlim, ylim = _limits(graph)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_axis_off()
    return parts


def show_step(parts, graph, sweep, step):
    """Colour `parts` (from `draw_graph_parts`) as the sweep stands after `step`: filled bands
    coloured, the nodes completed at this step dark with a thick border, the edges used hot."""
    current = sweep.steps[step]
    hot = COLORS[f"current_{sweep.kind}"]
    used = {(t.dst, t.src, t.k) if sweep.kind == "reverse" else (t.src, t.dst, t.k)
            for t in current.terms}
    for edge, artists in parts["edges"].items():
        for artist in artists:
            artist.set_color(hot)
            artist.set_visible(edge in used)
    for i, (band, text) in parts["bands"].items():
        value = current.values.get(i)
        is_current = i in current.filled
        band.set_facecolor(hot if is_current else COLORS[sweep.kind] if value is not None
                           else COLORS["unfilled"])
        text.set_text(f"{symbol(graph, i, sweep.kind, math=True)} = "
                      + (fmt(value) if value is not None else "?"))
        text.set_color("white" if is_current else COLORS["text"])
        text.set_fontweight("bold" if value is not None else "normal")
        parts["borders"][i].set_visible(is_current)


def sweep_title(graph, sweep, step):
    """Two lines above the graph: which sweep and which step, and the step's sum written out."""
    last = len(sweep.steps) - 1
    if sweep.kind == "reverse":
        what = r"reverse sweep: adjoints $\bar{v} = \partial\,\mathrm{out} / \partial v$"
    else:
        what = (r"forward sweep: tangents $\dot{v} = \partial v / \partial t$ along the input "
                "direction")
    return f"{what}   (step {step} of {last})", describe(graph, sweep, step, math=True)


def draw_graph(fig, graph, sweep=None, step=None, ax=None, fontsize=8):
    """Draw the computational graph; with a `sweep`, show it as it stands after `step`.

    `step` counts from 0 (the seed) to len(sweep.steps) - 1 (the end); None means the end.
    Returns the axes.
    """
    ax = ax if ax is not None else fig.add_subplot()
    parts = draw_graph_parts(ax, graph, fontsize)
    if sweep is None:
        for band, text in parts["bands"].values():
            band.set_visible(False)
            text.set_visible(False)
    else:
        step = len(sweep.steps) - 1 if step is None else int(np.clip(step, 0, len(sweep.steps) - 1))
        show_step(parts, graph, sweep, step)
        head, line = sweep_title(graph, sweep, step)
        ax.set_title(f"{head}\n{line}", fontsize=fontsize + 1.5, loc="left")
    return ax


def draw_sweep(fig, graph, sweep, step=0, fontsize=8, key=None):
    """The stepper's figure: the graph drawn once per `key` (default: the graph), then each
    step only recolours bands, edges and borders and rewrites the two title lines.

    Which sweep (reverse, or forward from one input) is a view choice too: the bands' symbols
    and colours are set at every call.
    """
    step = int(np.clip(step, 0, len(sweep.steps) - 1))

    def build(fig):
        fig.set_layout_engine("none")
        ax = fig.add_axes((0.01, 0.02, 0.98, 0.80))  # fixed place: titles sit above it
        parts = draw_graph_parts(ax, graph, fontsize, animated=True)
        parts["head"] = fig.text(0.01, 0.985, " ", ha="left", va="top", fontsize=fontsize + 1,
                                 color="0.35", animated=True)
        parts["line"] = fig.text(0.01, 0.905, " ", ha="left", va="top", fontsize=fontsize + 2.5,
                                 animated=True)
        fig.text(0.99, 0.005, "grey band: not yet filled in     coloured: filled in     "
                 "dark, thick border: this step", ha="right", va="bottom", fontsize=fontsize - 1,
                 color="0.4")
        return parts

    parts = keep(fig, ("sweep", graph if key is None else key, fontsize), build)
    show_step(parts, graph, sweep, step)
    head, line = sweep_title(graph, sweep, step)
    parts["head"].set_text(head)
    parts["line"].set_text(line)
    return parts
