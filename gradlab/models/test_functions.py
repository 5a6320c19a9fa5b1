"""Two classic 2-D test functions for optimisers, with their minima.

Both use only arithmetic operators, so our forward and reverse modes differentiate them, and
both act on the last axis: x of shape (2,) gives a number, x of shape (S, 2) gives S values
(one per row). The batched form lets S independent optimisation runs share one pass.

    beale(x)       = (1.5 − x₁ + x₁x₂)² + (2.25 − x₁ + x₁x₂²)² + (2.625 − x₁ + x₁x₂³)²
                     minimum 0 at (3, 0.5); a flat valley and steep walls.
    rosenbrock(x)  = (1 − x₁)² + 100 (x₂ − x₁²)²
                     minimum 0 at (1, 1), at the end of a long curved, nearly flat valley.

`FUNCTIONS` holds both with their minimum, the starting point and step size used by
reproductions of Baydin et al. 2022, and a window for contour plots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def beale(x):
    """Beale's function on the last axis of x (minimum 0 at (3, 0.5))."""
    x1, x2 = x[..., 0], x[..., 1]
    return ((1.5 - x1 + x1 * x2) ** 2 + (2.25 - x1 + x1 * x2 ** 2) ** 2
            + (2.625 - x1 + x1 * x2 ** 3) ** 2)


def rosenbrock(x):
    """Rosenbrock's function on the last axis of x (minimum 0 at (1, 1))."""
    x1, x2 = x[..., 0], x[..., 1]
    return (1.0 - x1) ** 2 + 100.0 * (x2 - x1 * x1) ** 2


def beale_grad(x):
    """The gradient of Beale's function, by hand (plain numpy; for tests and fast loops)."""
    x = np.asarray(x, dtype=float)
    x1, x2 = x[..., 0], x[..., 1]
    t1 = 1.5 - x1 + x1 * x2
    t2 = 2.25 - x1 + x1 * x2 ** 2
    t3 = 2.625 - x1 + x1 * x2 ** 3
    g1 = 2 * t1 * (x2 - 1) + 2 * t2 * (x2 ** 2 - 1) + 2 * t3 * (x2 ** 3 - 1)
    g2 = 2 * t1 * x1 + 2 * t2 * 2 * x1 * x2 + 2 * t3 * 3 * x1 * x2 ** 2
    return np.stack([g1, g2], axis=-1)


def rosenbrock_grad(x):
    """The gradient of Rosenbrock's function, by hand (plain numpy)."""
    x = np.asarray(x, dtype=float)
    x1, x2 = x[..., 0], x[..., 1]
    g1 = -2 * (1 - x1) - 400 * x1 * (x2 - x1 * x1)
    g2 = 200 * (x2 - x1 * x1)
    return np.stack([g1, g2], axis=-1)


@dataclass(frozen=True)
class TestFunction:
    """A 2-D test function with its minimum, a standard start, step size and plot window."""

    __test__ = False  # not a pytest test class

    name: str
    f: object
    grad: object
    minimum: tuple
    min_value: float
    x0: tuple
    lr: float
    steps: int
    xlim: tuple
    ylim: tuple


FUNCTIONS = {
    "beale": TestFunction("beale", beale, beale_grad, (3.0, 0.5), 0.0,
                          x0=(0.0, 0.5), lr=0.01, steps=1000, xlim=(-0.5, 3.6), ylim=(-1.0, 1.5)),
    "rosenbrock": TestFunction("rosenbrock", rosenbrock, rosenbrock_grad, (1.0, 1.0), 0.0,
                               x0=(-1.0, 0.0), lr=5e-4, steps=25_000, xlim=(-1.6, 1.6),
                               ylim=(-0.6, 1.6)),
}
