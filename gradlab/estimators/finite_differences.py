"""Finite differences, and why their error first falls and then rises as the step h shrinks.

For a function f and a direction v, the directional derivative D_v f(x) = J_f(x) v (the JVP) is
approximated by

    forward difference   (f(x + hv) - f(x)) / h           truncation error ≈ |D²_v f| h / 2
    central difference   (f(x + hv) - f(x - hv)) / (2h)    truncation error ≈ |D³_v f| h² / 6

(Taylor's theorem). Both also suffer *round-off*: f is only computed to about machine
precision ε ≈ 2.2e-16, so the difference in the numerator carries an absolute error of about
ε·s, where s = |f(x)| + ‖x‖·|D_v f(x)| (rounding f, and rounding x + hv), and dividing by h
magnifies it. (The quotient itself is also rounded, a floor of ε·|D_v f| that does not
depend on h.) In all:

    forward:  E(h) ≈ |D²_v f| h / 2  + ε (2s / h + |D_v f|),   h* = 2 √(ε s / |D²_v f|)
    central:  E(h) ≈ |D³_v f| h² / 6 + ε (s / h + |D_v f|),    h* = (3 ε s / |D³_v f|)^(1/3)

where h* is the step that minimises E.

On a log-log plot the measured error against h is the classic V: slope +1 (forward) or +2
(central) on the right, where truncation dominates, and slope -1 on the left, where round-off
does. The exact D_v f, D²_v f and D³_v f come from gradlab's forward mode (jvp of jvp).
"""

from __future__ import annotations

import numpy as np

from ..ad import numpy as gnp
from ..ad.forward_mode import jvp

EPS = np.finfo(float).eps


def forward_difference(f, x, v, h):
    """(f(x + h v) - f(x)) / h: the forward-difference estimate of the JVP J_f(x) v."""
    x, v = np.asarray(x, dtype=float), np.asarray(v, dtype=float)
    return (np.asarray(f(x + h * v)) - np.asarray(f(x))) / h


def central_difference(f, x, v, h):
    """(f(x + h v) - f(x - h v)) / (2h): the central-difference estimate of J_f(x) v."""
    x, v = np.asarray(x, dtype=float), np.asarray(v, dtype=float)
    return (np.asarray(f(x + h * v)) - np.asarray(f(x - h * v))) / (2.0 * h)


def directional_derivatives(f, x, v, order=3):
    """[f(x), D_v f(x), D²_v f(x), ...] up to `order`, exactly, by nesting gradlab.jvp."""
    x, v = np.asarray(x, dtype=float), np.asarray(v, dtype=float)
    derivs = [f]
    for _ in range(order):
        g = derivs[-1]
        derivs.append(lambda y, g=g: jvp(g, (y,), (v,))[1])
    with np.errstate(all="ignore"):
        return [np.asarray(d(x), dtype=float) for d in derivs]


def error_model(h, d2, d3, scale, scheme="forward", d1=0.0):
    """The model error E(h) = truncation + round-off, and the two parts, for one scheme."""
    h = np.asarray(h, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if scheme == "forward":
            truncation = abs(d2) * h / 2.0
            roundoff = EPS * (2.0 * scale / h + abs(d1))
        elif scheme == "central":
            truncation = abs(d3) * h ** 2 / 6.0
            roundoff = EPS * (scale / h + abs(d1))
        else:
            raise ValueError(f"scheme must be 'forward' or 'central', got {scheme!r}")
        if scale == 0:  # no h-dependent round-off at all (e.g. f(0) = 0 at x = 0)
            roundoff = np.full_like(h, EPS * abs(d1))
    return truncation + roundoff, truncation, roundoff


def optimal_step(d2, d3, scale, scheme="forward"):
    """The h minimising the model error (inf if the truncation error is zero, e.g. f linear;
    0 if there is no h-dependent round-off; NaN if the needed derivative is not finite)."""
    if not np.isfinite(d2 if scheme == "forward" else d3):
        return np.nan
    if scheme == "forward":
        return 2.0 * np.sqrt(EPS * scale / abs(d2)) if d2 != 0 else np.inf
    if scheme == "central":
        return (3.0 * EPS * scale / abs(d3)) ** (1.0 / 3.0) if d3 != 0 else np.inf
    raise ValueError(f"scheme must be 'forward' or 'central', got {scheme!r}")


def error_curve(f, x, v, hs=None):
    """Finite-difference error against the exact JVP over a log grid of steps h.

    f maps an array (or a number) to a number. Returns a dict with the grid `hs`, the exact
    value `jvp` and, for scheme in ("forward", "central"): `estimate[scheme]` (the finite
    differences), `error[scheme]` (|estimate - jvp|), `model[scheme]`, `truncation[scheme]`,
    `roundoff[scheme]` (the model and its parts on the grid), `h_opt[scheme]` and
    `model_min[scheme]` (the model's minimum, at h_opt). Also f(x), D²_v f, D³_v f, `scale`.
    """
    hs = np.logspace(-16, 0, 65) if hs is None else np.asarray(hs, dtype=float)
    x, v = np.asarray(x, dtype=float), np.asarray(v, dtype=float)
    fx, d1, d2, d3 = (float(np.sum(d)) for d in directional_derivatives(f, x, v, order=3))
    scale = abs(fx) + float(np.linalg.norm(x)) * abs(d1)
    out = {"hs": hs, "x": x, "v": v, "f": fx, "jvp": d1, "d2": d2, "d3": d3, "scale": scale,
           "estimate": {}, "error": {}, "model": {}, "truncation": {}, "roundoff": {},
           "h_opt": {}, "model_min": {}}
    schemes = {"forward": forward_difference, "central": central_difference}
    for name, fd in schemes.items():
        with np.errstate(all="ignore"):
            est = np.array([float(np.sum(fd(f, x, v, h))) for h in hs])
        model, trunc, rnd = error_model(hs, d2, d3, scale, name, d1)
        h_opt = optimal_step(d2, d3, scale, name)
        out["estimate"][name] = est
        out["error"][name] = np.abs(est - d1)
        out["model"][name], out["truncation"][name], out["roundoff"][name] = model, trunc, rnd
        out["h_opt"][name] = h_opt
        if h_opt == 0:
            out["model_min"][name] = EPS * abs(d1)
        elif np.isfinite(h_opt):
            out["model_min"][name] = float(error_model(h_opt, d2, d3, scale, name, d1)[0])
        else:
            out["model_min"][name] = np.nan
    return out


def _sq(u):
    """u² as a product (the third derivative of gnp.power(u, 2) at u = 0 is NaN in gradlab)."""
    return u * u


# Functions to explore: name -> (f, dimension). 2-D functions take p = (x, y) and index it,
# so they also accept a stack of points (p of shape (2, ...)) for drawing contours.
EXAMPLES = {
    "sin(x)": (lambda x: gnp.sin(x), 1),
    "x³ − 2x": (lambda x: x ** 3 - 2.0 * x, 1),
    "exp(−x²)": (lambda x: gnp.exp(-x * x), 1),
    "x·sin(3x) + 1": (lambda x: x * gnp.sin(3.0 * x) + 1.0, 1),
    "bowl: x² + 3y²": (lambda p: p[0] * p[0] + 3.0 * p[1] * p[1], 2),
    "sin(x)·cos(y)": (lambda p: gnp.sin(p[0]) * gnp.cos(p[1]), 2),
    "Rosenbrock / 20": (lambda p: (_sq(1.0 - p[0]) + 100.0 * _sq(p[1] - p[0] * p[0])) / 20.0, 2),
}


def tangent_study(f, x, v, span=1.5, n=121, box=2.5, grid=80, hs=None):
    """Everything needed to show a JVP as a tangent and to compare it with finite differences.

    f maps a number (1-D) or a pair (2-D) to a number; x is the point, v the direction.
    Returns the error curve of `error_curve` under "curve", plus: "f" = f(x),
    "jvp" = J_f(x) v, "ts" and "along" = f(x + t v) for t in [-span, span] (the directional
    slice; in 1-D the graph of f around x), and for 2-D "grid" = (X, Y, Z), f on a
    grid×grid grid over [-box, box]² for a contour plot, or for 1-D "domain" = (xs, f(xs))
    over [-box, box]. "box" and "span" are returned too.
    """
    x, v = np.asarray(x, dtype=float), np.asarray(v, dtype=float)
    fx, slope = jvp(f, (x,), (v,))
    ts = np.linspace(-span, span, n)
    points = x[..., None] + v[..., None] * ts  # shape x.shape + (n,)
    with np.errstate(all="ignore"):
        along = np.asarray(f(points), dtype=float)
    out = {"dim": x.size, "x": x, "v": v, "f": float(fx), "jvp": float(slope), "ts": ts,
           "along": along, "curve": error_curve(f, x, v, hs), "grid": None, "domain": None,
           "box": box, "span": span}
    if x.size == 1:
        xs = np.linspace(-box, box, 4 * grid)
        with np.errstate(all="ignore"):
            out["domain"] = (xs, np.asarray(f(xs), dtype=float))
    elif x.size == 2:
        g = np.linspace(-box, box, grid)
        X, Y = np.meshgrid(g, g)
        with np.errstate(all="ignore"):
            out["grid"] = (X, Y, np.asarray(f(np.stack([X, Y])), dtype=float))
    return out
