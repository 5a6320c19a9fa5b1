"""Computational graphs drawn with matplotlib (no graphviz), and the sweeps over them.

Inputs come from `gradlab.ad.graph`: a `Graph` (nodes in topological order with a layered layout)
and a `Sweep` (the reverse sweep of adjoints or the forward sweep of tangents, step by step).
Each node is a box: its op on top, then `name = value`, then a band with its adjoint v̄
(reverse) or tangent v̇ (forward), coloured once the sweep has filled it in. Each edge is
labelled with the local derivative ∂child/∂parent; the edges used at the current step are
highlighted, and the step is written out above the graph ("ā = b̄·1 + b̄·1 = 2 + 2 = 4").

`draw_graph` is an ordinary drawing (for notebooks). `draw_sweep`, used by the stepper widget,
draws the parts that never change during a sweep (edges, labels, boxes, values) once into a
cached `Backdrop` image and redraws only the coloured bands, highlights and the step's text.
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from ..ad.graph import describe, fmt, symbol
from .forward_mode import backdrop, panel_transform

COLORS = {"reverse": "#f4a259", "forward": "#8fb8de", "current_reverse": "#d9480f",
          "current_forward": "#1c5d99", "edge": "#9a9a9a", "box": "#ffffff",
          "unfilled": "#eeeeee", "text": "#222222"}
GRAPH_RECT = (0.01, 0.02, 0.98, 0.82)  # where the graph sits in the figure (widget layout)


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


class _AxesPainter:
    """Adds artists to an axes (data coordinates)."""

    def __init__(self, ax):
        self.ax = ax

    def patch(self, p):
        self.ax.add_patch(p)

    def text(self, x, y, s, **kw):
        self.ax.text(x, y, s, **kw)


class _OverlayPainter:
    """Adds artists to a figure on top of a backdrop, in the saved panel's data coordinates."""

    def __init__(self, fig, bd, k=0):
        self.fig, self.transform, self.clip = fig, panel_transform(bd, k), bd.boxes[k]

    def patch(self, p):
        p.set_transform(self.transform)
        p.set_clip_box(self.clip)
        self.fig.add_artist(p)

    def text(self, x, y, s, **kw):
        self.fig.text(x, y, s, transform=self.transform, **kw)


def _draw_static(paint, graph, kind, fontsize, edges=True):
    """Edges with their local derivatives, node boxes, ops and values (and empty bands)."""
    half_w, half_h = _box_size(graph)
    if edges:
        for (p, c, k), (start, end, mid) in _edge_geometry(graph, half_w, half_h).items():
            _edge(paint, graph, p, c, k, start, end, mid, COLORS["edge"], 1.0, fontsize)
    for n in graph.nodes:
        x, y = graph.positions[n.id]
        paint.patch(FancyBboxPatch((x - half_w, y - half_h), 2 * half_w, 2 * half_h,
                                   boxstyle="round,pad=0,rounding_size=0.03", fc=COLORS["box"],
                                   ec=COLORS["text"], lw=0.8, zorder=3))
        name = graph.names.get(n.id, f"v{n.id}")
        top = n.label if n.op != "input" else "input"
        paint.text(x, y + half_h * 0.6, top, ha="center", va="center", fontsize=fontsize,
                   weight="bold", zorder=5, color=COLORS["text"])
        paint.text(x, y + half_h * 0.02, f"{name} = {fmt(n.value)}", ha="center", va="center",
                   fontsize=fontsize, zorder=5, color=COLORS["text"])
        if kind is not None:
            _band(paint, graph, n.id, kind, None, False, fontsize)


def _edge(paint, graph, p, c, k, start, end, mid, color, lw, fontsize):
    paint.patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9, color=color,
                                lw=lw, shrinkA=0, shrinkB=0, zorder=1))
    local = graph.nodes[c].local[k]
    if local is not None:
        paint.text(mid[0], mid[1], fmt(local), fontsize=fontsize - 1, ha="center", va="center",
                   color=color, zorder=2, style="italic",
                   bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9))


def _band(paint, graph, i, kind, value, is_current, fontsize):
    """The bottom band of node i: its adjoint (or tangent), coloured once filled in."""
    half_w, half_h = _box_size(graph)
    x, y = graph.positions[i]
    filled = value is not None
    color = COLORS[f"current_{kind}"] if is_current else (
        COLORS[kind] if filled else COLORS["unfilled"])
    paint.patch(Rectangle((x - half_w, y - half_h), 2 * half_w, half_h * 0.7, fc=color,
                          ec=COLORS["text"], lw=0.8, zorder=4))
    text = f"{symbol(graph, i, kind)} = {fmt(value) if filled else '?'}"
    paint.text(x, y - half_h * 0.65, text, ha="center", va="center", fontsize=fontsize,
               zorder=5, weight="bold" if filled else "normal",
               color="white" if is_current else COLORS["text"])


def _draw_dynamic(paint, graph, sweep, step, fontsize):
    """What a sweep step changes: the filled bands, the current node, the edges used."""
    half_w, half_h = _box_size(graph)
    current = sweep.steps[step]
    geometry = _edge_geometry(graph, half_w, half_h)
    hot = COLORS[f"current_{sweep.kind}"]
    for t in current.terms:
        parent, child = (t.dst, t.src) if sweep.kind == "reverse" else (t.src, t.dst)
        start, end, mid = geometry[(parent, child, t.k)]
        _edge(paint, graph, parent, child, t.k, start, end, mid, hot, 2.2, fontsize)
    for i, value in current.values.items():
        _band(paint, graph, i, sweep.kind, value, i in current.filled, fontsize)
    for i in current.filled:
        x, y = graph.positions[i]
        paint.patch(FancyBboxPatch((x - half_w, y - half_h), 2 * half_w, 2 * half_h,
                                   boxstyle="round,pad=0,rounding_size=0.03", fc="none",
                                   ec=COLORS["text"], lw=2.4, zorder=6))


def _title(graph, sweep, step):
    last = len(sweep.steps) - 1
    if sweep.kind == "reverse":
        what = "reverse sweep: adjoints  v̄ = ∂out/∂v"
    else:
        what = "forward sweep: tangents  v̇ = ∂v/∂t  along the input direction"
    return f"{what}   (step {step} of {last})", describe(graph, sweep, step)


def draw_graph(fig, graph, sweep=None, step=None, ax=None, fontsize=8):
    """Draw the computational graph; with a `sweep`, show it as it stands after `step`.

    `step` counts from 0 (the seed) to len(sweep.steps) - 1 (the end); None means the end.
    Returns the axes.
    """
    ax = ax if ax is not None else fig.add_subplot()
    ax.set_axis_off()
    paint = _AxesPainter(ax)
    kind = sweep.kind if sweep is not None else None
    _draw_static(paint, graph, kind, fontsize)
    if sweep is not None:
        step = len(sweep.steps) - 1 if step is None else int(np.clip(step, 0, len(sweep.steps) - 1))
        _draw_dynamic(paint, graph, sweep, step, fontsize)
        head, line = _title(graph, sweep, step)
        ax.set_title(f"{head}\n{line}", fontsize=fontsize + 1.5, loc="left")
    xlim, ylim = _limits(graph)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    return ax


def draw_sweep(fig, graph, sweep, step=0, fontsize=8, key=None):
    """The stepper's picture, fast: the static graph comes from a cached backdrop (one per
    graph and sweep kind, kept on the figure); only the step's changes are drawn on top.

    `key` identifies the graph for the cache (default: the graph's nodes and layout).
    """
    step = int(np.clip(step, 0, len(sweep.steps) - 1))
    xlim, ylim = _limits(graph)

    def draw_static(f):
        f.set_layout_engine("none")  # fixed position: no layout engine needed
        ax = f.add_axes(GRAPH_RECT)
        ax.set_axis_off()
        _draw_static(_AxesPainter(ax), graph, sweep.kind, fontsize)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        f.text(0.99, 0.005, "grey band: not yet filled in     coloured: filled in     "
               "dark, thick border: this step", ha="right", va="bottom", fontsize=fontsize - 1,
               color="#666666")
        return [(ax, (xlim, ylim))]

    if key is None:
        key = tuple((n.label, fmt(n.value), tuple(n.parents), graph.positions[n.id],
                     graph.names.get(n.id)) for n in graph.nodes)
    bd = backdrop(fig, ("sweep", key, sweep.kind, fontsize), draw_static)
    _draw_dynamic(_OverlayPainter(fig, bd), graph, sweep, step, fontsize)
    head, line = _title(graph, sweep, step)
    fig.text(0.01, 0.985, head, ha="left", va="top", fontsize=fontsize + 1, color="#555555")
    fig.text(0.01, 0.915, line, ha="left", va="top", fontsize=fontsize + 2.5)
    return bd
