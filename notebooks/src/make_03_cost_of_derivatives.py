"""Build notebooks/03_cost_of_derivatives.ipynb (without outputs).

    python notebooks/src/make_03_cost_of_derivatives.py           # rewrite the notebook
    python notebooks/src/make_03_cost_of_derivatives.py --check   # exit 1 if it is out of date

Edit the cells here, not in the .ipynb. Answers to the closing questions live in
docs/instructor/03_cost_of_derivatives.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbbuild
import nbformat

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "notebooks" / "03_cost_of_derivatives.ipynb"

CELLS = [
    ("md", """\
# 03 · The cost of derivatives: forward vs reverse mode, measured

Forward and reverse mode compute the same derivatives; what differs is what they *cost*, in time
and in memory — and which one to use follows from that. In this notebook you will:

- measure the cost of a full Jacobian of f: Rⁿ → Rᵐ by forward mode (n JVPs) and by reverse
  mode (m VJPs) as n and m vary, and find where the two cross;
- count the bytes the reverse-mode tape keeps alive as a computation gets deeper, and see that
  forward mode keeps none;
- check the *cheap-gradient principle*: a gradient costs a few evaluations of f however many
  inputs there are, while finite differences cost n + 1;
- compute Hessian-vector products by forward-over-reverse without ever forming the Hessian;
- confirm that gradlab and HIPS autograd give the same numbers.

Every timing here is measured live on your machine, as the best of a few repeats, so your
numbers will differ a little from your neighbour's; the *shapes* of the curves will not."""),
    ("code", """\
import matplotlib.pyplot as plt
import numpy as np

import gradlab
import gradlab.widgets
from gradlab.ad import cost
from gradlab.plots import cost as cost_plots

np.set_printoptions(precision=4, suppress=True)"""),
    ("md", """\
## 1 · One Jacobian, two ways

Our test function is a small two-layer network, y = tanh(W₂ tanh(W₁ x)), with W₁ of shape
h × n and W₂ of shape m × h, drawn once from a seeded random generator. Its Jacobian
J = ∂y/∂x has m rows and n columns.

- **Forward mode** pushes one tangent through f per pass and gets one *column*:
  `jvp(f, (x,), (e_j,))` returns J e_j. The full Jacobian takes **n** passes.
- **Reverse mode** records f once on a tape, then each backward sweep pulls one cotangent back
  and gets one *row*: `vjp_fn(e_i)` returns e_iᵀ J. The full Jacobian takes **m** sweeps."""),
    ("code", """\
rng = np.random.default_rng(0)
f = cost.TwoLayer(n=5, m=3, rng=rng, hidden=16)
x = f.x

_, column_2 = gradlab.jvp(f, (x,), (np.eye(5)[2],))   # forward mode: J e_2, one column
y, vjp_fn = gradlab.vjp(f, x)
(row_1,) = vjp_fn(np.eye(3)[1])                       # reverse mode: e_1ᵀ J, one row

J = gradlab.jacfwd(f)(x)
print("J has shape", J.shape, "(m outputs × n inputs)")
print("column 2 from one JVP matches J[:, 2]:", np.allclose(column_2, J[:, 2]))
print("row 1 from one VJP matches J[1, :]:  ", np.allclose(row_1, J[1, :]))
print("jacfwd and jacrev agree:              ", np.allclose(J, gradlab.jacrev(f)(x)))"""),
    ("md", """\
How many passes did `jacfwd` and `jacrev` really make? We don't have to trust the docstring: we
can *count*. `cost.count_passes` appends a **probe** to f — an identity primitive whose JVP rule
and VJP rule each add one to a counter when called. Every forward pass goes through the probe's
JVP rule once; every backward sweep goes through its VJP rule once. (This is the public way to
add any primitive to gradlab: a value plus one rule per mode.)"""),
    ("code", """\
for n, m in [(5, 3), (40, 3), (3, 40)]:
    g = cost.TwoLayer(n, m, rng)
    print(f"n = {n:2d}, m = {m:2d}:", cost.count_passes(g, g.x))"""),
    ("md", """\
## 2 · Measured live: time against n and against m

Now we time both as one dimension grows with the other held at 16: first n = 1, 2, 4, …, 64
inputs with m = 16 outputs, then the other way round. The dotted line marks the measured
**crossover**, where the two cost the same (interpolated between the sizes we timed).
This takes a couple of seconds."""),
    ("code", """\
jac = cost.jacobian_cost(sizes=(1, 2, 4, 8, 16, 32, 64), fixed=16, repeat=5)

fig = plt.figure(figsize=(10, 4), layout="constrained")
cost_plots.draw_jacobian_cost(fig, jac)
plt.show()
print(f"crossover: n* ≈ {jac['n']['crossover']:.1f} inputs when m = 16; "
      f"m* ≈ {jac['m']['crossover']:.1f} outputs when n = 16")
for key, name in (("n", "jacfwd/jacrev"), ("m", "jacrev/jacfwd")):
    sweep = jac[key]
    ratio = sweep["ratio"][-1] if key == "n" else 1 / sweep["ratio"][-1]
    print(f"at {key} = {sweep['sizes'][-1]}: time({name}) = {ratio:.1f}")"""),
    ("md", """\
Read the left panel from left to right: forward mode's cost grows in proportion to n (one pass
per input), while reverse mode's barely moves (16 sweeps whatever n is). The right panel is the
mirror image. The crossover sits near n ≈ m, though rarely exactly there: a forward pass
recomputes f together with its tangent every time, while reverse mode evaluates f once but
pays to record the tape and to run every VJP rule.

A rule of thumb follows: **tall Jacobians (n < m) → forward mode; wide ones (n > m) → reverse
mode.** A loss function has m = 1: that is why training uses reverse mode (backpropagation).

Try it yourself. Change the fixed size and the largest size, press **Run** (this measures),
then flip between time and the ratio, or the log axes: those only redraw what was measured.
Does the crossover follow the fixed size? What does a wider hidden layer change? If the curves
are jagged, your machine is busy with something else: the *wall clock* counts the time other
programs hold the processor, while the *CPU time* of this thread counts only our own work —
switch the clock and run again."""),
    ("code", """\
gradlab.widgets.jacobian_cost_explorer()"""),
    ("md", """\
## 3 · The price of reverse mode: memory

A backward sweep needs values the forward pass computed (tanh′ needs tanh's output, the rule
for W h needs W and h…), so the **tape keeps them alive** until the sweep is done. Each
primitive in `gradlab.numpy` declares what its VJP rules read (`saves=`): `tanh` saves its
output, `matmul` its arguments, `add` nothing, and the tape keeps only that. Forward
mode needs no such record: each tangent is computed beside its value and the old ones can be
thrown away at once.

We can count what the tape holds. `cost.tape_bytes` runs f under reverse mode, walks every node
of the tape from the output in topological order (`gradlab.ad.reverse_mode.toposort`, the same
order the backward sweep uses), and adds up the bytes of each node's output and arguments,
counting each array once. Our deep function applies h ← tanh(W h) `depth` times to a 64 × 16
array, with one W shared by every layer, so only the intermediate values grow."""),
    ("code", """\
for depth in (1, 2, 4, 8):
    deep = cost.DeepTanh(depth, rng, width=64, batch=16)
    counted = cost.tape_bytes(deep, deep.x)
    print(f"depth {depth}: {counted['nodes']:3d} nodes, {counted['values']:7d} bytes of values")
print("one 64 × 16 activation is", 64 * 16 * 8, "bytes")"""),
    ("md", """\
Each layer adds two nodes (the product W h and the tanh) but only one activation's worth of
bytes: the product's output is read by no rule (tanh′ uses tanh's output), so it is freed at
once. The tanh output is kept, both for tanh′ and as the argument h of the next product.
The same story from the other side: `tracemalloc` records the **peak** memory Python and NumPy
allocate while each mode runs. Reverse mode's peak grows with depth like the tape; forward
mode's stays flat."""),
    ("code", """\
memory = cost.tape_memory(depths=(1, 2, 4, 8, 16, 32), width=64, batch=16)

fig = plt.figure(figsize=(7, 4), layout="constrained")
cost_plots.draw_tape_memory(fig, memory)
plt.show()
print(f"tape: +{memory['bytes_per_layer']:.0f} bytes per layer; "
      f"forward-mode peak: {memory['peak_fwd_per_layer']:+.0f} bytes per layer")"""),
    ("md", """\
This is why training very deep networks is often limited by memory, not time, and why tricks
such as *checkpointing* (keep only some activations and recompute the rest during the sweep)
exist: they trade a little extra time for a lot less tape.

## 4 · The cheap-gradient principle

With one output (m = 1), reverse mode gives the whole gradient in a single sweep. Its cost is a
small constant times the cost of evaluating f — *independent of n*. Finite differences need
n + 1 evaluations of f, and so does forward mode (n JVPs). We time the gradient of the chained
Rosenbrock function Σᵢ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², whose cost grows in proportion to n, for
n from ten to a hundred thousand."""),
    ("code", """\
cheap = cost.cheap_gradient(sizes=(10, 100, 1_000, 10_000, 100_000), fd_max=300, repeat=5)

fig = plt.figure(figsize=(7, 4), layout="constrained")
cost_plots.draw_cheap_gradient(fig, cheap)
plt.show()
for n, r in zip(cheap["sizes"], cheap["grad_ratio"]):
    print(f"n = {n:>6d}: time(grad f) / time(f) = {r:5.1f}   "
          f"finite differences: {n + 1} evaluations")"""),
    ("md", """\
The gradient's ratio stays within a band — between about 5 and 40 on the machines we tried,
depending on the machine, the array sizes (large temporaries are expensive to allocate) and
what else the machine is doing — while finite differences' grows like n. Where f takes only
microseconds (small n), what we measure is mostly Python's bookkeeping: building the tape and
calling each rule. Theory (counting arithmetic operations, not Python calls) bounds the ratio
by a small constant, about 4 to 5 for the usual primitives; gradlab is written to be read, not
to be fast, so its constant is larger, but it does not grow with n.

## 5 · Hessian-vector products by forward-over-reverse

Second derivatives follow the same logic. The gradient ∇f is a function Rⁿ → Rⁿ; its JVP along
a direction v is ∇²f(x) v, the Hessian times v. So `gradlab.hvp(f, x, v)` is simply `jvp` of
`grad f` — forward mode over reverse mode — and costs a few gradients, never forming the n × n
Hessian. The full Hessian (`gradlab.hessian`, which is `jacfwd(jacrev(f))`) needs one such pass
per input, so n of them. Newton-type optimisers and curvature estimates need only products
with the Hessian, which is why this matters."""),
    ("code", """\
x = rng.standard_normal(6)
v = rng.standard_normal(6)
H = gradlab.hessian(cost.rosenbrock)(x)
print("hvp(f, x, v) equals H @ v:", np.allclose(gradlab.hvp(cost.rosenbrock, x, v), H @ v))

hvp = cost.hvp_cost(sizes=(4, 8, 16, 32, 64), repeat=5)
fig = plt.figure(figsize=(7, 4), layout="constrained")
cost_plots.draw_hvp_cost(fig, hvp)
plt.show()
print("time(full Hessian) / time(HVP):", np.round(hvp["hessian_over_hvp"], 1),
      "for n =", hvp["sizes"])"""),
    ("md", """\
## 6 · The same numbers as autograd

[HIPS autograd](https://github.com/HIPS/autograd) is an independent, widely used AD library.
We write our test functions once and run them through both libraries: `f(x)` uses
`gradlab.numpy`, `f(x, xp=autograd.numpy)` the very same code on autograd's NumPy. The
derivatives agree to the last few bits of double precision — differences of order 10⁻¹⁶
relative to the values, from the order in which sums happen to be accumulated."""),
    ("code", """\
agree = cost.autograd_agreement(n=12, m=5)
for name, diff in agree["max_abs_diff"].items():
    shape = agree["gradlab"][name].shape
    print(f"{name:8s} shape {str(shape):9s} max |gradlab − autograd| = {diff:.1e}")
print()
print("the first row of the Jacobian, from each library:")
print("gradlab ", agree["gradlab"]["jacrev"][0, :6])
print("autograd", agree["autograd"]["jacrev"][0, :6])"""),
    ("md", """\
## Questions to think about

1. A simulation has 3 input parameters and produces a 10,000-point time series. You want the
   full Jacobian of the series with respect to the parameters. Forward or reverse mode? About
   how many passes, and how would the answer change if you only wanted the gradient of a
   scalar misfit between the series and data?
2. The tape grew by one activation per layer. To keep less than that you can checkpoint:
   store every k-th activation only and recompute the rest during the sweep. What would that
   cost in time and save in memory?
3. For tiny n, time(grad f) / time(f) was much larger than for large n, yet the cheap-gradient
   principle says it is bounded by a small constant. Is that a contradiction? What is being
   counted in each case?"""),
]


def build_notebook() -> nbformat.NotebookNode:
    return nbbuild.build(CELLS, "cost")


def main(argv=None) -> int:
    return nbbuild.write_or_check(TARGET, build_notebook(), argv, __doc__.splitlines()[0],
                                  Path(__file__).name)


if __name__ == "__main__":
    sys.exit(main())
