"""Build notebooks/02_reverse_mode.ipynb (without outputs).

    python notebooks/src/make_02_reverse_mode.py           # rewrite the notebook
    python notebooks/src/make_02_reverse_mode.py --check   # exit 1 if it is out of date

Edit the cells here, not in the .ipynb. Answers to the closing questions live in
docs/instructor/02_reverse_mode.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbbuild
import nbformat

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "notebooks" / "02_reverse_mode.ipynb"
ID_PREFIX = "rev"

CELLS = [
    ("md", """\
# 02 · Reverse mode: the tape, the backward sweep, and why contributions add up

Reverse-mode automatic differentiation records the computation on a *tape* and then sweeps it
backwards, so that one sweep gives the derivative of one output with respect to every input.

**What you will learn**

- *adjoints* v̄ = ∂out/∂v, and the rule that fills them in: each value's adjoint is the **sum**,
  over every use of that value, of (the user's adjoint) × (the local derivative);
- a micrograd-sized scalar engine (`gradlab.ad.scalar_reverse.Value`): closures, a topological
  order, and the sweep — small enough to read in one sitting;
- gradlab's array engine (`gradlab.grad`, `gradlab.vjp`), its tape, and a check against autograd;
- to step through both sweeps on a drawn computational graph, node by node;
- the *reused-node* trap (b = a + a; c = b + b gives dc/da = 4, not 2) and calling backward twice;
- *unbroadcasting*: why the gradient of a broadcast bias is a sum."""),
    ("code", """\
import inspect

import autograd
import autograd.numpy as anp
import matplotlib.pyplot as plt
import numpy as np

import gradlab
import gradlab.numpy as gnp
import gradlab.widgets
from gradlab.ad import graph as G
from gradlab.ad.scalar_reverse import Value, backward, topological_order, zero_grad
from gradlab.plots import reverse_mode as rplots

np.set_printoptions(precision=5, suppress=True)"""),
    ("md", """\
## 1 · The chain rule, read backwards

Take y = f(g(h(x))). The chain rule multiplies local derivatives:

  dy/dx = f′(g(h(x))) · g′(h(x)) · h′(x).

Forward mode (notebook 01) multiplies from the right, from the input towards the output, and
carries one tangent *per input direction*. Reverse mode multiplies from the left: it starts from
the output with ∂y/∂y = 1 and works back to the inputs, carrying for every intermediate value v
its **adjoint**

  v̄ = ∂y/∂v,   "how much the output moves if v moves".

When v is used by several operations c₁, c₂, … (its *children*), a nudge to v moves the output
through every one of them, so the contributions add:

  v̄ = Σ over the uses of v of  c̄ · ∂c/∂v.

To apply this rule, every child's adjoint must be complete before v's is computed: we visit the
values in **reverse topological order** (the output first, every value after all its users).
And we must have the values of the forward computation at hand, because the local derivatives
(cos x, tanh′, …) depend on them: that is what the **tape** is for."""),
    ("md", """\
## 2 · A scalar engine you can read: `Value`

`gradlab.ad.scalar_reverse` (about 150 lines with comments, in the style of Karpathy's micrograd)
has one class. Every `Value` keeps its number, its `grad` (the adjoint), its `parents` and a
small closure `_backward` that knows the local derivatives. Here is multiplication: the output
is built, and the closure *adds* out.grad × ∂out/∂parent to each parent."""),
    ("code", """\
print(inspect.getsource(Value.__mul__))"""),
    ("md", """\
A small neuron, y = tanh(w₁x₁ + w₂x₂ + b). Building y records the graph (each value remembers its
parents); `y.backward()` then fills in every `grad`:"""),
    ("code", """\
w1, x1, w2, x2, b = Value(0.5), Value(1.0), Value(-0.3), Value(2.0), Value(0.4)
y = (w1 * x1 + w2 * x2 + b).tanh()
y.backward()
for name, v in [("w1", w1), ("x1", x1), ("w2", w2), ("x2", x2), ("b", b)]:
    print(f"{name}: value {v.value:+.2f}   dy/d{name} = {v.grad:+.5f}")"""),
    ("md", """\
The sweep itself is two steps, and both are plain functions you can call (in exercise 3 you will
write them yourself and compare):"""),
    ("code", """\
print(inspect.getsource(backward))
order = topological_order(y)
print("topological order:", [v.op or f"input {v.value:g}" for v in order])"""),
    ("md", """\
## 3 · The reused node: contributions must be *added*

The classic trap. With a = 1, b = a + a and c = b + b we have c = 4a, so dc/da = 4. The value b
is used *twice* by c, and a twice by b. A sweep that *assigns* (`p.grad = …`) instead of
accumulating (`p.grad += …`) keeps only the last contribution and answers dc/db = 1 and
dc/da = 1; a sweep that visits a before b has received all of its contributions passes on an
incomplete adjoint. Our engine accumulates, in topological order:"""),
    ("code", """\
a = Value(1.0)
b = a + a
c = b + b
c.backward()
print("dc/db =", b.grad, "  dc/da =", a.grad)"""),
    ("md", """\
What about calling `backward` twice? Our engine, like PyTorch, **accumulates into the inputs**
across calls (that is what lets gradients of several losses add up), while intermediate grads
are recomputed on every sweep. So a second call doubles `a.grad`; `zero_grad` resets. A
functional API such as `gradlab.grad(f)(x)` avoids the question altogether: it returns a fresh
gradient every time and keeps no state."""),
    ("code", """\
c.backward()
print("after a second backward: dc/da =", a.grad)
zero_grad(c)
c.backward()
print("after zero_grad and one backward: dc/da =", a.grad)
print("gradlab.grad, twice:", gradlab.grad(lambda a: (a + a) + (a + a))(1.0),
      gradlab.grad(lambda a: (a + a) + (a + a))(1.0))"""),
    ("md", """\
`gradlab.ad.graph` records the same sweep step by step — which adjoint is filled in, from which
contributions — and draws it. Each box shows the operation, the value and the adjoint (the
bottom band, coloured once filled in); each edge is labelled with its local derivative."""),
    ("code", """\
graph = G.trace_example("reused node: b = a + a; c = b + b")
sweep = G.reverse_sweep(graph)
for k, step in enumerate(sweep.steps):
    print(f"step {k}: {step.text}")

fig = plt.figure(figsize=(8, 2.6))
rplots.draw_graph(fig, graph, sweep)
plt.show()"""),
    ("md", """\
## 4 · The array engine: `gradlab.grad` and `gradlab.vjp`

gradlab's reverse mode (`gradlab/reverse_mode.py`) does the same for arrays. Calling f on
`TapeTracer`s records one `Node` per primitive call — which primitive, its arguments, its output,
its parents: the tape. `vjp(f, x)` returns f(x) and a function u ↦ uᵀJ that sweeps the tape
backwards with each primitive's VJP rule (written next to its value in `gradlab.numpy`, e.g.
`g * cos(x)` for sine), adding contributions exactly as above. For a scalar output, u = 1 gives
the gradient: that is `gradlab.grad`."""),
    ("code", """\
def neuron(w, x, b):
    return gnp.tanh(gnp.dot(w, x) + b)

w, x, bias = np.array([0.5, -0.3]), np.array([1.0, 2.0]), 0.4
out, vjp_fn = gradlab.vjp(neuron, w, x, bias)
print("y =", out)
print("vjp with u = 1: (dy/dw, dy/dx, dy/db) =", vjp_fn(1.0))
print("gradlab.grad w.r.t. w:", gradlab.grad(neuron)(w, x, bias))"""),
    ("md", """\
The same numbers as the scalar engine gave. And, once, against an independent implementation,
HIPS autograd:"""),
    ("code", """\
def neuron_autograd(w, x, b):
    return anp.tanh(anp.dot(w, x) + b)

ours = gradlab.grad(neuron, argnums=(0, 1, 2))(w, x, bias)
theirs = [autograd.grad(neuron_autograd, k)(w, x, bias) for k in range(3)]
for name, o, t in zip(["w", "x", "b"], ours, theirs):
    print(f"d/d{name}: gradlab {np.round(o, 6)}  autograd {np.round(t, 6)}  "
          f"agree {np.allclose(o, t)}")"""),
    ("md", """\
The tape of this computation, as `gradlab.ad.graph.trace` reads it from gradlab's reverse mode:
inputs first, then the primitive calls in the order they ran."""),
    ("code", """\
tape = G.trace(neuron, w, x, bias, names=["w", "x", "b"])
for n in tape.nodes:
    parents = ", ".join(tape.names[p] for p in n.parents)
    print(f"{tape.names[n.id]:>3} = {n.op:7s}({parents:6s})  value {G.fmt(n.value)}")"""),
    ("md", """\
## 5 · Step through the sweeps

Pick an expression — the reused node, the scalar neuron, a·b + a, … — and move the step
slider. In **reverse** mode each step fills in one adjoint, in reverse topological order, as the
sum written above the graph; the edges that contribute light up. Switch to **forward** mode to
see the tangent sweep instead: it runs from the inputs to the output, and one sweep gives the
derivative with respect to one input only (choose which with the dropdown) — while one reverse
sweep gave all of them."""),
    ("code", """\
gradlab.widgets.reverse_sweep_stepper()"""),
    ("md", """\
## 6 · Unbroadcasting

NumPy *broadcasts*: adding a bias of shape (4,) to a batch X of shape (3, 4) silently copies the
bias into each of the 3 rows. Each entry bⱼ is therefore *used three times*, and — exactly as for
the reused node — the adjoint of bⱼ is the **sum** of the three contributions:

  y = X + b,  yᵢⱼ = Xᵢⱼ + bⱼ   ⇒   b̄ⱼ = Σᵢ ȳᵢⱼ · ∂yᵢⱼ/∂bⱼ = Σᵢ ȳᵢⱼ.

So the cotangent ȳ, of shape (3, 4), must be summed over the axis that broadcasting created, to
get back to b's shape (4,). That is `gnp.unbroadcast(g, shape)`, which the reverse sweep applies
to every contribution. A worked example with the loss L = Σ (X + b)², where ȳ = 2(X + b):"""),
    ("code", """\
X = np.arange(12.0).reshape(3, 4) / 10
b_row = np.array([0.1, -0.2, 0.3, 0.0])          # shape (4,)
y_bar = 2 * (X + b_row)                           # dL/dy, shape (3, 4)

print("dL/dy has shape", y_bar.shape)
print("unbroadcast to (4,):  ", gnp.unbroadcast(y_bar, (4,)), " = y_bar.sum(axis=0)")
print("gradlab.grad:         ", gradlab.grad(lambda b: gnp.sum((X + b) ** 2))(b_row))"""),
    ("md", """\
The axes to sum are exactly the ones broadcasting stretched: new leading axes, and axes where
the argument had length 1. A bias of shape (1, 4) keeps its axis (summed, length 1); a column
bias of shape (3, 1) is summed along the rows instead; a scalar bias is used by all 12 entries
and gets the total:"""),
    ("code", """\
for shape in [(1, 4), (3, 1), ()]:
    b0 = np.full(shape, 0.1)
    g = gradlab.grad(lambda b: gnp.sum((X + b) ** 2))(b0)
    print(f"bias of shape {str(shape):7s} -> gradient of shape {np.shape(g)}:",
          np.round(gnp.unbroadcast(2 * (X + b0), shape), 3).tolist(),
          " matches grad:", np.allclose(g, gnp.unbroadcast(2 * (X + b0), shape)))"""),
    ("md", """\
## Questions to think about

1. For a loss f: R¹⁰⁰⁰⁰⁰⁰ → R, how many sweeps does forward mode need for the full gradient, and
   how many does reverse mode need? What does reverse mode pay for this, that forward mode does
   not?
2. Suppose a sweep runs the `_backward` closures of b = a + a; c = b + b in the order b, c
   instead of c, b. What does a.grad come out as, and why? Why does running them in reverse
   `topological_order` guarantee this cannot happen, for any graph?
3. In y = X + b with X of shape (3, 4), what goes wrong — and does anything *raise*? — if the
   backward sweep forgets to unbroadcast b's cotangent? What if b had shape (3, 1) and we summed
   over axis 0 instead of axis 1?"""),
]


def build_notebook() -> nbformat.NotebookNode:
    return nbbuild.build(CELLS, ID_PREFIX)


def main(argv=None) -> int:
    return nbbuild.write_or_check(TARGET, build_notebook(), argv, __doc__.splitlines()[0],
                                  Path(__file__).name)


if __name__ == "__main__":
    sys.exit(main())
