"""Build notebooks/01_forward_mode.ipynb (without outputs).

    python notebooks/src/make_01_forward_mode.py           # rewrite the notebook
    python notebooks/src/make_01_forward_mode.py --check   # exit 1 if it is out of date

Edit the cells here, not in the .ipynb. Answers to the closing questions live in
docs/instructor/01_forward_mode.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbbuild
import nbformat

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "notebooks" / "01_forward_mode.ipynb"
ID_PREFIX = "fwd"

CELLS = [
    ("md", """\
# 01 · Forward mode: derivatives as tangents

Forward-mode automatic differentiation computes a function and its derivative together, in one
pass, by carrying a tangent beside every value.

**What you will learn**

- a derivative is the slope of a tangent, and for a function of many variables the
  *Jacobian-vector product* (JVP) J v is the slope along a direction v;
- *dual numbers* a + a′ε with ε² = 0: computing with them gives f(x) and f′(x) at once, exactly,
  with no step size — read a 50-line class that does it;
- how gradlab does the same for whole arrays (`gradlab.jvp`), and that it agrees with autograd;
- why finite differences can never be trusted to all digits: truncation against round-off, the
  V-shaped error curve, and the best step h;
- an explorer to try all of this on functions of one and two variables."""),
    ("code", """\
import inspect

import autograd
import autograd.numpy as anp
import matplotlib.pyplot as plt
import numpy as np

import gradlab
import gradlab.numpy as gnp
import gradlab.widgets
from gradlab.ad.scalar_forward import Dual, derivative, sin
from gradlab.estimators import finite_differences as fd
from gradlab.plots import forward_mode as fplots

np.set_printoptions(precision=5, suppress=True)"""),
    ("md", """\
## 1 · A derivative is the slope of a tangent

Near a point x, a smooth function is almost a straight line:

  f(x + h) ≈ f(x) + f′(x)·h.

The line with slope f′(x) through (x, f(x)) is the **tangent**. A *secant* through (x, f(x))
and (x + h, f(x + h)) has slope (f(x + h) − f(x)) / h, the forward difference; as h shrinks the
secant turns into the tangent. Below: f = sin at x = 1, with the secant for h ≈ 0.3."""),
    ("code", """\
study = fd.tangent_study(gnp.sin, 1.0, 1.0)
print(f"f(1) = {study['f']:.6f},  f'(1) = {study['jvp']:.6f},  cos(1) = {np.cos(1.0):.6f}")

fig = plt.figure(figsize=(5, 3.2))
fplots.draw_tangent_line(fig, study, h=10 ** -0.5)
plt.show()"""),
    ("md", """\
For a function of several variables f: Rⁿ → Rᵐ the same picture holds along any direction v:

  f(x + h v) ≈ f(x) + h · J(x) v,

where J is the m × n Jacobian matrix. **J v**, the *Jacobian-vector product* (JVP), is the slope of
the slice t ↦ f(x + t v) at t = 0: the directional derivative. On the left, contours of
f(x, y) = sin x · cos y with a point and a direction; on the right, the slice along that
direction and its tangent, whose slope is J v."""),
    ("code", """\
f2 = fd.EXAMPLES["sin(x)·cos(y)"][0]
point, direction = np.array([0.5, -0.4]), np.array([0.6, 0.8])
study2 = fd.tangent_study(f2, point, direction)
print(f"J v = {study2['jvp']:.6f}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.2))
fplots.draw_direction(fig, study2, ax=ax1)
fplots.draw_directional_slice(fig, study2, ax=ax2)
plt.show()"""),
    ("md", """\
## 2 · Dual numbers: the derivative rides along

Invent a number ε with ε² = 0 (but ε ≠ 0), and compute with pairs a + a′ε. Adding and
multiplying follow from ordinary algebra:

  (a + a′ε) + (b + b′ε) = (a + b) + (a′ + b′)ε
  (a + a′ε)(b + b′ε) = ab + (a′b + ab′)ε + a′b′ε² = ab + (a′b + ab′)ε.

The ε-part of a product is exactly the **product rule**. For a smooth function, Taylor's
theorem stops after one term because ε² = 0:

  f(a + a′ε) = f(a) + f′(a)·a′ε,

which is the **chain rule**. So if we feed x + 1·ε into any program built from these operations,
the ε-part of the result is f′(x) — exact up to floating-point rounding, with no step h.

`gradlab.ad.scalar_forward` implements this in about 50 lines. Here is its multiplication, and
its sine:"""),
    ("code", """\
print(inspect.getsource(Dual.__mul__))
print(inspect.getsource(sin))"""),
    ("code", """\
x = Dual(2.0, 1.0)          # the value 2, with tangent 1: "differentiate with respect to x"
y = x * sin(x)
print(y)
print("by hand: f(2) =", 2 * np.sin(2.0))
print("         f'(2) = sin 2 + 2 cos 2 =", np.sin(2.0) + 2 * np.cos(2.0))
print("derivative(f, 2.0) =", derivative(lambda t: t * sin(t), 2.0))"""),
    ("md", """\
The tangent we seed need not be 1. Seeding x + vε gives f′(x)·v: the tangent is *linear* in the
seed. With two inputs we choose a seed for each — a direction (v₁, v₂) — and get the
directional derivative ∂f/∂x·v₁ + ∂f/∂y·v₂. One pass gives one direction: to get both partial
derivatives we need two passes, seeded (1, 0) and (0, 1)."""),
    ("code", """\
def g(x, y):
    return x * y + sin(x)

a, b = 0.7, -1.5
d_dx = g(Dual(a, 1.0), Dual(b, 0.0)).tangent   # seed (1, 0)
d_dy = g(Dual(a, 0.0), Dual(b, 1.0)).tangent   # seed (0, 1)
along = g(Dual(a, 0.6), Dual(b, 0.8)).tangent  # seed (0.6, 0.8)
print(f"dg/dx = {d_dx:.6f}  (y + cos x = {b + np.cos(a):.6f})")
print(f"dg/dy = {d_dy:.6f}  (x = {a})")
print(f"along (0.6, 0.8): {along:.6f} = 0.6·dg/dx + 0.8·dg/dy = {0.6 * d_dx + 0.8 * d_dy:.6f}")"""),
    ("md", """\
## 3 · The same idea on arrays: `gradlab.jvp`

gradlab's forward mode (`gradlab/forward_mode.py`) is this dual-number idea for whole arrays. A
`DualTracer` holds a value array and a tangent array of the same shape. Every primitive in
`gradlab.numpy` carries a JVP rule next to its value — for sine the rule is
`t * cos(x)`, for multiplication `t_x * y + x * t_y` — and each operation pushes the tangent
through its rule. `gradlab.jvp(f, (x,), (v,))` returns f(x) and J(x) v in one pass:"""),
    ("code", """\
def f(x):
    return gnp.sin(x) * gnp.sum(x ** 2)   # R³ -> R³

x = np.array([0.5, -1.0, 2.0])
v = np.array([1.0, 0.0, 0.0])
value, tangent = gradlab.jvp(f, (x,), (v,))
print("f(x)   =", value)
print("J(x) v =", tangent, " (the first column of J)")

J = gradlab.jacfwd(f)(x)   # one JVP per input direction: the Jacobian column by column
print("J =\\n", J)"""),
    ("md", """\
gradlab is written from scratch, so let us check it once against an independent library,
HIPS autograd (`autograd.make_jvp`), along a random direction:"""),
    ("code", """\
def f_autograd(x):
    return anp.sin(x) * anp.sum(x ** 2)

v = np.random.default_rng(0).normal(size=3)
ours = gradlab.jvp(f, (x,), (v,))[1]
theirs = autograd.make_jvp(f_autograd)(x)(v)[1]
print("gradlab :", ours)
print("autograd:", theirs)
print("agree:", np.allclose(ours, theirs, rtol=1e-12))"""),
    ("md", """\
## 4 · Finite differences, and why they cannot be trusted to all digits

The secant slope is the obvious way to approximate a derivative numerically:

- forward difference (f(x + h v) − f(x)) / h, error ≈ |f″| h / 2 (from Taylor's theorem);
- central difference (f(x + h v) − f(x − h v)) / (2h), error ≈ |f‴| h² / 6.

So smaller h is better? Only until **round-off** takes over: f is computed with a relative
error of about ε_machine ≈ 2.2·10⁻¹⁶, and subtracting two nearly equal values of f leaves an
absolute error of about ε_machine·|f| in the numerator, which division by h *magnifies*:

  forward: E(h) ≈ |f″| h / 2 + 2 ε_machine |f| / h,  best at h* = 2 √(ε_machine |f| / |f″|)
  central: E(h) ≈ |f‴| h² / 6 + ε_machine |f| / h,   best at h* = (3 ε_machine |f| / |f‴|)^(1/3)

For f = sin at x = 1 that is h* ≈ 4·10⁻⁸ (forward) and h* ≈ 10⁻⁵ (central).

(gradlab's model also counts the rounding of x + hv; see
`gradlab.estimators.finite_differences`.) On a
log-log plot the error is a **V**: slope +1 (forward) or +2 (central) on the right, slope −1 on
the left. The exact derivative to compare against comes from `gradlab.jvp`, and the exact f″
and f‴ for the model from nesting it."""),
    ("code", """\
curve = fd.error_curve(gnp.sin, 1.0, 1.0)
for scheme in ("forward", "central"):
    h_opt = curve["h_opt"][scheme]
    k = np.argmin(np.abs(np.log(curve["hs"] / h_opt)))   # the grid step nearest h*
    print(f"{scheme:8s} model: h* = {h_opt:.1e}, error {curve['model_min'][scheme]:.1e};"
          f"  measured at h = {curve['hs'][k]:.1e}: error {curve['error'][scheme][k]:.1e}")

fig = plt.figure(figsize=(6, 3.6))
fplots.draw_error_curve(fig, curve)
plt.show()"""),
    ("md", """\
The measured curve is jagged on the left: round-off errors are erratic, and a few steps get
lucky and land below the dashed model. The model describes their typical size. Even at its best
h, the forward difference keeps only about 8 of 16 digits and the central difference about 11.
The dual-number tangent had all of them: it never subtracts nearly equal numbers, so it has no
round-off V at all.

## 5 · Explore

Pick a function (four of one variable, three of two), a point and — for two variables — a
direction. The left panels show the tangent; the right panel shows the V-curve for *that*
point and direction, with the model dashed and its optimal h marked ▼. The h slider moves the
vertical line (and, in 1-D, the secant): watch the secant approach the tangent as h shrinks,
then watch the error grow again below h*. Try a point where f″ = 0 (x = 0 for x³ − 2x): the
forward difference suddenly behaves like a central one — why?"""),
    ("code", """\
gradlab.widgets.forward_mode_explorer()"""),
    ("md", """\
## Questions to think about

1. To get the full gradient of f: R¹⁰⁰⁰ → R with dual numbers, how many forward passes do you
   need, and why can't one pass with the seed (1, 1, …, 1) do it? What does one pass with that
   seed compute?
2. From the error model, explain why the central difference's best step (≈ 10⁻⁵) is *larger* than
   the forward difference's (≈ 10⁻⁸), yet its best error is *smaller*. How do h* and the best
   error scale with ε_machine in each case?
3. A dual number computes f′(x) "exactly". Exactly in what sense? Can forward mode still give a
   wrong or useless derivative? Try `gradlab.jvp` on f(x) = √(x·x) at x = 0, and on the identity
   function written as `0.0 * x if x == 0 else x`."""),
]


def build_notebook() -> nbformat.NotebookNode:
    return nbbuild.build(CELLS, ID_PREFIX)


def main(argv=None) -> int:
    return nbbuild.write_or_check(TARGET, build_notebook(), argv, __doc__.splitlines()[0],
                                  Path(__file__).name)


if __name__ == "__main__":
    sys.exit(main())
