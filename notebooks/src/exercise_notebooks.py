"""The six exercise notebooks, authored once with solutions in otter-grader's format.

`make_exercises.py` turns each entry of EXERCISES into notebooks/exercises/instructor/NAME.ipynb
(the instructor source: solutions, public and hidden tests) and runs `otter assign` on it.

A notebook is a list of cells: ("md", text), ("code", source), ("check", source) — a code cell
tagged `gradlab-check` that must print "not done yet" in the student version and pass in the
instructor version (tests/test_exercises.py reads the tag) — ("instructor", text), a Markdown
cell only the instructor source keeps, and ("question", Question(...)), expanded into otter's
raw-cell markers:

    # BEGIN QUESTION / prompt / # BEGIN SOLUTION / solution / # END SOLUTION /
    # BEGIN TESTS / public test / hidden test / # END TESTS / # END QUESTION

Tests use otter's exception-based format: a function whose parameters name the student's
globals, asserting through the same checks the student runs (`.assert_passed()` raises with the
check's message). Hidden tests add random cases drawn from HIDDEN_SEED: an instructor who
wants private tests changes it in their own copy and builds the autograder from that copy.
"""

from __future__ import annotations

from dataclasses import dataclass

HIDDEN_SEED = 2718  # change it in your private copy (see docs/instructor/exercises.md)


@dataclass
class Question:
    name: str
    points: int
    prompt: str
    solution: str
    tests: list  # [(function name, [check calls]), ...] -> one public test each
    hidden: list | None = None  # [(function name, [check calls with {seed}]), ...]


def _test_source(fn_name, params, calls, hidden):
    body = "\n".join(f"    {c}" for c in calls)
    config = '""" # BEGIN TEST CONFIG\nhidden: true\n""" # END TEST CONFIG\n' if hidden else ""
    return (f"{config}def {fn_name}({', '.join(params)}):\n"
            f"    from gradlab.exercises import check\n{body}\n\n\n"
            f"{fn_name}({', '.join(params)})")


def question_cells(q):
    """otter's markers around a question, as (kind, source) pairs ("raw", "md", "code")."""
    cells = [("raw", f"# BEGIN QUESTION\nname: {q.name}\npoints: {q.points}\ncheck_cell: false"),
             ("md", q.prompt), ("raw", "# BEGIN SOLUTION"), ("code", q.solution),
             ("raw", "# END SOLUTION"), ("raw", "# BEGIN TESTS")]
    for hidden, tests in ((False, q.tests), (True, q.hidden or [])):
        for fn_name, params, calls in tests:
            calls = [c.format(seed=HIDDEN_SEED) for c in calls]
            cells.append(("code", _test_source(fn_name, params, calls, hidden)))
    cells += [("raw", "# END TESTS"), ("raw", "# END QUESTION")]
    return cells


def assignment_config(name):
    return f"""\
# ASSIGNMENT CONFIG
name: {name}
init_cell: false
check_all_cell: false
export_cell: false
run_tests: true
tests:
  files: false
  ok_format: false
generate:
  pdf: false
  show_stdout: true"""


HOW_TO = """\
**How this works.** Write each function where it says `...`, run its cell, then run the check
below it: `check.<name>(your_function)` runs your function on hidden cases and tells you, in
plain words, what is right or what is wrong (which case, the shapes, expected vs got, and a hint
for common mistakes). Until you have written something it says *not done yet*. Your instructor
grades the same functions with the same checks plus a few extra cases."""

STUDENT_LINK = ("*Instructor version (solutions and the autograder's tests). Students open "
                "[the student version](../student/{name}.ipynb).*")


# =========================================================================================
# Exercise 1: JVP and VJP rules for a new primitive
# =========================================================================================

EX1 = [
    ("md", """\
# Exercise 1 · Derivative rules for a new primitive: softplus and arctan

**Goal (about 30 minutes):** teach gradlab two functions it does not know, softplus and arctan,
by writing their forward-mode (JVP) and reverse-mode (VJP) rules and registering them through
gradlab's public API, `gradlab.primitive`; then watch `check_grads` confirm both modes.

You will:
- write a JVP rule (tangent in, tangent out) and a VJP rule (cotangent in, cotangent out);
- register a primitive with `gradlab.primitive(value_fn, jvp=(...,), vjp=(...,))`;
- see why rules must be written with `gnp` functions, not `np`, for second derivatives.
""" + "\n" + HOW_TO),
    ("code", """\
import numpy as np

import gradlab
import gradlab.numpy as gnp
from gradlab.exercises import check
from gradlab.testing import check_grads"""),
    ("md", """\
## How gradlab defines a primitive

Every operation in `gradlab.numpy` is a numpy function plus one rule per argument for each mode.
Here is how `gnp.exp` is defined (`ans` is the primitive's output, `x` its input):

```python
exp = gradlab.primitive(np.exp,
    jvp=(lambda t, ans, x: t * ans,),    # forward:  ẏ = exp(x) · ẋ
    vjp=(lambda g, ans, x: g * ans,))    # reverse:  x̄ = ȳ · exp(x)
```

- A **JVP rule** `rule(t, ans, x)` receives the tangent `t` of the input (same shape as x) and
  returns the tangent of the output: f′(x) · t for an elementwise f.
- A **VJP rule** `rule(g, ans, x)` receives the cotangent `g` of the output and returns the
  cotangent of the input: g · f′(x) for an elementwise f.
- The rules are **tuples**, one rule per argument: `(rule,)` — mind the comma.
- Write rules with `gnp` functions (`gnp.exp`, `gnp.sigmoid`, ...): second derivatives run the
  rule itself through gradlab, and numpy's `np.exp` cannot carry a derivative.

**softplus**(x) = log(1 + eˣ), a smooth relu. Its value is given below, written so that it does
not overflow for large x."""),
    ("code", """\
def softplus_value(x):
    \"\"\"log(1 + e^x), computed without overflow.\"\"\"
    return np.logaddexp(0.0, x)"""),
    ("question", Question(
        name="q1_softplus_jvp", points=2,
        prompt="""\
### 1.1 · The JVP rule of softplus

Write `softplus_jvp(t, ans, x)`: the tangent of softplus(x) when x moves along `t`.
Hint: differentiate log(1 + eˣ). Watch out for large x (x = 800): eˣ overflows to `inf`.""",
        solution="""\
def softplus_jvp(t, ans, x):
    \"\"\"Tangent of softplus(x) for the input tangent t.\"\"\"
    return t * gnp.sigmoid(x)  # SOLUTION""",
        tests=[("test_softplus_jvp", ["softplus_jvp"],
                ['check.jvp_rule(softplus_jvp, "softplus", quiet=True).assert_passed()'])],
        hidden=[("test_softplus_jvp_hidden", ["softplus_jvp"],
                 ['check.jvp_rule(softplus_jvp, "softplus", seed={seed}, quiet=True)'
                  '.assert_passed()'])])),
    ("check", "check.jvp_rule(softplus_jvp, \"softplus\")"),
    ("question", Question(
        name="q1_softplus_vjp", points=2,
        prompt="""\
### 1.2 · The VJP rule of softplus

Write `softplus_vjp(g, ans, x)`: the cotangent of x, given the cotangent `g` of the output.
For an elementwise function it looks very much like the JVP rule — why?""",
        solution="""\
def softplus_vjp(g, ans, x):
    \"\"\"Cotangent of x for the output cotangent g.\"\"\"
    return g * gnp.sigmoid(x)  # SOLUTION""",
        tests=[("test_softplus_vjp", ["softplus_vjp"],
                ['check.vjp_rule(softplus_vjp, "softplus", quiet=True).assert_passed()'])],
        hidden=[("test_softplus_vjp_hidden", ["softplus_vjp"],
                 ['check.vjp_rule(softplus_vjp, "softplus", seed={seed}, quiet=True)'
                  '.assert_passed()'])])),
    ("check", "check.vjp_rule(softplus_vjp, \"softplus\")"),
    ("question", Question(
        name="q1_softplus_primitive", points=2,
        prompt="""\
### 1.3 · Register softplus

Make `softplus` a gradlab primitive from `softplus_value` and your two rules, with
`gradlab.primitive(...)`.""",
        solution="""\
softplus = gradlab.primitive(softplus_value, jvp=(softplus_jvp,), vjp=(softplus_vjp,))  # SOLUTION""",  # noqa: E501
        tests=[("test_softplus_primitive", ["softplus"],
                ['check.primitive(softplus, "softplus", quiet=True).assert_passed()'])],
        hidden=[("test_softplus_primitive_hidden", ["softplus"],
                 ['check.primitive(softplus, "softplus", seed={seed}, quiet=True)'
                  '.assert_passed()'])])),
    ("check", "check.primitive(softplus, \"softplus\")"),
    ("md", """\
Now gradlab can differentiate any function built with softplus, in both modes, to any order.
`check_grads` compares forward mode with central differences, reverse mode with the identity
⟨Jᵀu, v⟩ = ⟨u, Jv⟩, and repeats both on the derivatives themselves (`order=2`):"""),
    ("code", """\
x = np.linspace(-3.0, 3.0, 7)
try:
    check_grads(lambda x: gnp.sum(softplus(gnp.sin(x)) ** 2), (x,), order=2)
    print("check_grads passed: forward and reverse mode agree with finite differences, "
          "to second order.")
    print("d/dx softplus(x) at x =", x, ":", gradlab.grad(lambda x: gnp.sum(softplus(x)))(x))
except Exception as exc:  # softplus not registered yet, or a rule is wrong
    print("check_grads does not pass yet:", type(exc).__name__, exc)"""),
    ("question", Question(
        name="q1_arctan", points=4,
        prompt="""\
### 1.4 · Your turn, from scratch: arctan

Write `arctan_jvp` and `arctan_vjp` (same signatures as above) and register
`arctan = gradlab.primitive(np.arctan, name="arctan", jvp=(...,), vjp=(...,))`.
(arctan′(x) = 1/(1 + x²).)""",
        solution="""\
# BEGIN SOLUTION NO PROMPT
def arctan_jvp(t, ans, x):
    return t / (1.0 + x * x)


def arctan_vjp(g, ans, x):
    return g / (1.0 + x * x)


arctan = gradlab.primitive(np.arctan, name="arctan", jvp=(arctan_jvp,), vjp=(arctan_vjp,))
# END SOLUTION
\"\"\" # BEGIN PROMPT
def arctan_jvp(t, ans, x):
    ...


def arctan_vjp(g, ans, x):
    ...


arctan = ...
\"\"\" # END PROMPT""",
        tests=[("test_arctan", ["arctan_jvp", "arctan_vjp", "arctan"],
                ['check.jvp_rule(arctan_jvp, "arctan", quiet=True).assert_passed()',
                 'check.vjp_rule(arctan_vjp, "arctan", quiet=True).assert_passed()',
                 'check.primitive(arctan, "arctan", quiet=True).assert_passed()'])],
        hidden=[("test_arctan_hidden", ["arctan_jvp", "arctan_vjp", "arctan"],
                 ['check.jvp_rule(arctan_jvp, "arctan", seed={seed}, quiet=True)'
                  '.assert_passed()',
                  'check.primitive(arctan, "arctan", seed={seed}, quiet=True).assert_passed()'])])),
    ("check", """\
check.jvp_rule(arctan_jvp, "arctan")
check.vjp_rule(arctan_vjp, "arctan")
check.primitive(arctan, "arctan")"""),
    ("md", """\
## Questions to think about

1. For an elementwise function the JVP and VJP rules look the same. For which primitive in
   `gradlab.numpy` do they differ, and why (think of `matmul` or `sum`)?
2. Your softplus rule can use `x` or `ans`. Write softplus′ in terms of `ans` only. When would a
   rule written with `ans` be cheaper or more accurate?
3. Why does a rule written with `np.exp` pass the first-order checks but fail `check_grads` with
   `order=2`?"""),
]


# =========================================================================================
# Exercise 2: unbroadcast
# =========================================================================================

EX2 = [
    ("md", """\
# Exercise 2 · Unbroadcast: summing a gradient back to an argument's shape

**Goal (about 25 minutes):** write `unbroadcast(g, shape)`, the function reverse mode calls
after every broadcasting operation, and understand why it must *sum*.

You will:
- see that broadcasting copies an argument, and that the chain rule adds up the copies;
- find which axes to sum: new leading axes, and axes where the argument had length 1;
- avoid the classic trap of losing a length-1 axis (shape `(4,)` instead of `(1, 4)`).
""" + "\n" + HOW_TO),
    ("code", """\
import numpy as np

import gradlab
import gradlab.numpy as gnp
from gradlab.exercises import check"""),
    ("md", """\
## Broadcasting copies; the gradient adds the copies up

In `y = x + b` with `x` of shape `(3, 4)` and `b` of shape `(1, 4)`, numpy uses the single row
of `b` three times. Each use contributes to the derivative, so the cotangent of `b` is the
cotangent `g` of `y` (shape `(3, 4)`) **summed over axis 0** — and it must come back with `b`'s
shape `(1, 4)`, not `(4,)`.

numpy matches shapes from the **last** axis. An argument of shape `(3, 1)` broadcast to
`(2, 3, 4)` was copied along axis 0 (a new leading axis: it had none) and along axis 2 (where it
had length 1). gradlab's reverse mode does exactly this after every broadcasting primitive:"""),
    ("code", """\
x = np.arange(12.0).reshape(3, 4)
b = np.zeros((1, 4))
grad_b = gradlab.grad(lambda b: gnp.sum((x + b) ** 2))(b)
print("b has shape", b.shape, "and so does its gradient:", grad_b.shape)
print(grad_b)"""),
    ("question", Question(
        name="q2_unbroadcast", points=4,
        prompt="""\
### 2.1 · Write `unbroadcast(g, shape)`

Return `g` summed over the axes along which an argument of shape `shape` was broadcast to
`g.shape`, with the result of shape exactly `shape`. Use numpy only (`np.sum` with `axis=` and
`keepdims=`, or `reshape`).""",
        solution="""\
def unbroadcast(g, shape):
    \"\"\"Sum g (shape g.shape) back to `shape`, the shape of the broadcast argument.\"\"\"
    # BEGIN SOLUTION
    lead = g.ndim - len(shape)
    g = np.sum(g, axis=tuple(range(lead)))  # new leading axes
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return np.sum(g, axis=stretched, keepdims=True)  # length-1 axes, kept
    # END SOLUTION""",
        tests=[("test_unbroadcast", ["unbroadcast"],
                ["check.unbroadcast(unbroadcast, quiet=True).assert_passed()"])],
        hidden=[("test_unbroadcast_hidden", ["unbroadcast"],
                 ["check.unbroadcast(unbroadcast, seed={seed}, quiet=True).assert_passed()"])])),
    ("check", "check.unbroadcast(unbroadcast)"),
    ("md", """\
## Your unbroadcast inside a hand-written backward pass

For `y = x * w + b` with `x` (5, 3), `w` (3,) and `b` (1, 3), and loss L = Σ y², the cotangent
of y is `g = 2y`. The chain rule gives `g * x` for w and `g` for b — both of shape (5, 3), to be
brought back to (3,) and (1, 3) by your `unbroadcast`. We compare with gradlab:"""),
    ("code", """\
rng = np.random.default_rng(0)
x, w, b = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=(1, 3))
g = 2 * (x * w + b)
mine = (unbroadcast(g * x, w.shape), unbroadcast(g, b.shape))
ref = gradlab.grad(lambda w, b: gnp.sum((x * w + b) ** 2), argnums=(0, 1))(w, b)
for name, m, r in zip(("w", "b"), mine, ref):
    same = m is not None and np.shape(m) == r.shape and np.allclose(m, r)
    print(f"gradient of {name}: yours {np.shape(m) if m is not None else None}, "
          f"gradlab {r.shape}, equal: {same}")"""),
    ("md", """\
## Questions to think about

1. Forward mode needs the opposite of unbroadcast. What does it do to a tangent of `b` (shape
   `(1, 4)`) in `x + b`, and which numpy function does it?
2. Why is `mean` instead of `sum` wrong, even though it gives the right shape?
3. If `g` has shape `(3, 3)` and the argument has shape `(3, 1)`, summing over axis 0 and
   reshaping also gives shape `(3, 1)`. Why is that wrong, and which test case would catch it?"""),
]


# =========================================================================================
# Exercise 3: the reverse sweep of the scalar engine
# =========================================================================================

EX3 = [
    ("md", """\
# Exercise 3 · The reverse sweep: topological order and accumulation

**Goal (about 35 minutes):** write the two functions that make a micrograd-sized reverse-mode
engine work — an ordering of the graph and the sweep that runs the local derivative rules in
reverse — and one operation's rule, and get the **reused node** right: with b = a + a and
c = b + b, dc/da = 4.

You will:
- order the graph so that every value comes after the values it was computed from;
- run the `_backward` closures in reverse order, after seeding d(root)/d(root) = 1;
- write the closure of a multiplication, and see why contributions are *added* (`+=`).
""" + "\n" + HOW_TO),
    ("code", """\
from gradlab.ad.scalar_reverse import Value
from gradlab.exercises import check"""),
    ("md", """\
## The engine

`gradlab.ad.scalar_reverse.Value` holds a number `.value`, its gradient `.grad` (0 to start with),
the values it was computed from, `.parents`, and a closure `._backward()` that adds
(its own grad) × (local derivative) to each parent's `.grad`. All the operations (`+`, `*`,
`tanh`, `exp`, ...) already have their closures; what is missing is the sweep that calls them in
the right order. (gradlab has its own `topological_order` and `backward`; do not import them.)"""),
    ("code", """\
a = Value(3.0)
b = a + a
c = b + b
print(c, "  parents of c:", c.parents)"""),
    ("question", Question(
        name="q3_topological_order", points=3,
        prompt="""\
### 3.1 · `topological_order(root)`

Return a list of every Value that `root` depends on (inputs included) and `root` itself, each
exactly once, each **after** all of its parents; `root` comes last. A depth-first search that
appends a value after visiting its parents, with a `visited` set, does it.""",
        solution="""\
def topological_order(root):
    \"\"\"Every Value root depends on, each after its parents, root last.\"\"\"
    # BEGIN SOLUTION
    order, visited = [], set()

    def visit(v):
        if v in visited:
            return
        visited.add(v)
        for p in v.parents:
            visit(p)
        order.append(v)

    visit(root)
    return order
    # END SOLUTION""",
        tests=[("test_topological_order", ["topological_order"],
                ["check.topological_order(topological_order, quiet=True).assert_passed()"])])),
    ("check", "check.topological_order(topological_order)"),
    ("question", Question(
        name="q3_backward", points=3,
        prompt="""\
### 3.2 · `backward(root)`

Fill in `v.grad = d root / d v` for every value: set `root.grad = 1`, then call each value's
`_backward()` in **reverse** topological order (root first), using your `topological_order`.
Why reverse? A value may pass its grad on only once every use of it has reported.""",
        solution="""\
def backward(root):
    \"\"\"The reverse sweep: afterwards v.grad = d root / d v for every v.\"\"\"
    # BEGIN SOLUTION
    root.grad = 1.0
    for v in reversed(topological_order(root)):
        v._backward()
    # END SOLUTION""",
        tests=[("test_backward", ["backward"],
                ["check.backward(backward, quiet=True).assert_passed()"])])),
    ("check", "check.backward(backward)"),
    ("code", """\
a = Value(3.0)
b = a + a
c = b + b
backward(c)
print(f"dc/db = {b.grad} (expected 2), dc/da = {a.grad} (expected 4)")"""),
    ("question", Question(
        name="q3_mul", points=3,
        prompt="""\
### 3.3 · An operation of your own: `mul(a, b)`

Return a new `Value(a.value * b.value, (a, b), "*")` whose `_backward` closure adds
∂(a·b)/∂a × out.grad to `a.grad` and ∂(a·b)/∂b × out.grad to `b.grad`. Attach the closure with
`out._backward = _backward`. Think about `mul(x, x)`: a and b are then the same Value.""",
        solution="""\
def mul(a, b):
    \"\"\"a · b as a new Value, with the closure that passes a grad back to a and b.\"\"\"
    # BEGIN SOLUTION
    out = Value(a.value * b.value, (a, b), "*")

    def _backward():
        a.grad += b.value * out.grad
        b.grad += a.value * out.grad

    out._backward = _backward
    return out
    # END SOLUTION""",
        tests=[("test_mul", ["mul"], ["check.mul(mul, quiet=True).assert_passed()"])])),
    ("check", "check.mul(mul)"),
    ("md", """\
## Questions to think about

1. A recursive `visit` hits Python's recursion limit (about 1000) on a chain of 5000 values.
   How would you write `topological_order` with an explicit stack instead?
2. Call `backward(c)` twice on the same graph. What happens to `a.grad`, and what does PyTorch do
   in the same situation? (`gradlab.ad.scalar_reverse` documents its choice.)
3. In `mul(x, x)`, writing `a.grad = ...` instead of `a.grad += ...` gives dx = x instead of 2x.
   Which other graphs in this notebook would the same mistake break?"""),
]


# =========================================================================================
# Exercise 4: the forward gradient
# =========================================================================================

EX4 = [
    ("md", """\
# Exercise 4 · The forward gradient, and its second moment (n + 2)‖∇f‖²

**Goal (about 30 minutes):** estimate a gradient without any backward pass, from one
forward-mode directional derivative along a random direction (Baydin et al. 2022), and measure
how noisy that estimate is: E‖g‖² = (n + 2)‖∇f‖² for Gaussian directions in n dimensions.

You will:
- compute ∇f(x)·v with one `gradlab.jvp` and build g = (∇f(x)·v) v;
- use the random generator you are given (reproducible randomness);
- measure E‖g‖² by sampling and compare it with (n + 2)‖∇f‖².
""" + "\n" + HOW_TO),
    ("code", """\
import numpy as np

import gradlab
import gradlab.numpy as gnp
from gradlab.exercises import check, demo"""),
    ("md", """\
## One JVP gives one directional derivative

`gradlab.jvp(f, (x,), (v,))` returns `(f(x), ∇f(x)·v)` in one forward pass. For v ~ N(0, I),
E[v vᵀ] = I, so g = (∇f·v) v has mean E[v vᵀ]∇f = ∇f: an **unbiased** estimate of the
gradient, from forward mode alone."""),
    ("code", """\
def f(x):
    return gnp.sum(gnp.sin(x) * x) + 0.5 * gnp.sum(x ** 2)


x = np.array([0.5, -1.0, 2.0])
v = np.array([1.0, 0.0, 0.0])
value, directional = gradlab.jvp(f, (x,), (v,))
print("f(x) =", value, "  ∇f(x)·e₁ =", directional, "  ∇f(x) =", gradlab.grad(f)(x))"""),
    ("question", Question(
        name="q4_forward_gradient", points=4,
        prompt="""\
### 4.1 · `forward_gradient(f, x, rng)`

Draw one direction `v = rng.standard_normal(x.shape)` from the generator `rng` you are given,
compute ∇f(x)·v with `gradlab.jvp`, and return g = (∇f(x)·v) v, shaped like x.""",
        solution="""\
def forward_gradient(f, x, rng):
    \"\"\"One forward gradient (∇f(x)·v) v, v ~ N(0, I) drawn from rng.\"\"\"
    # BEGIN SOLUTION
    v = rng.standard_normal(np.shape(x))
    _, directional = gradlab.jvp(f, (x,), (v,))
    return directional * v
    # END SOLUTION""",
        tests=[("test_forward_gradient", ["forward_gradient"],
                ["check.forward_gradient(forward_gradient, quiet=True).assert_passed()"])],
        hidden=[("test_forward_gradient_hidden", ["forward_gradient"],
                 ["check.forward_gradient(forward_gradient, seed={seed}, quiet=True)"
                  ".assert_passed()"])])),
    ("check", "check.forward_gradient(forward_gradient)"),
    ("question", Question(
        name="q4_mean_sq_norm", points=3,
        prompt="""\
### 4.2 · `mean_sq_norm(estimator, f, x, rng, n_samples)`

Call `estimator(f, x, rng)` `n_samples` times and return the average of ‖g‖² (one number): a
Monte Carlo estimate of E‖g‖².""",
        solution="""\
def mean_sq_norm(estimator, f, x, rng, n_samples):
    \"\"\"The average of ‖g‖² over n_samples estimates g = estimator(f, x, rng).\"\"\"
    # BEGIN SOLUTION
    total = 0.0
    for _ in range(n_samples):
        g = estimator(f, x, rng)
        total += float(np.sum(g * g))
    return total / n_samples
    # END SOLUTION""",
        tests=[("test_mean_sq_norm", ["mean_sq_norm"],
                ["check.mean_sq_norm(mean_sq_norm, quiet=True).assert_passed()"])],
        hidden=[("test_mean_sq_norm_hidden", ["mean_sq_norm"],
                 ["check.mean_sq_norm(mean_sq_norm, seed={seed}, quiet=True).assert_passed()"])])),
    ("check", "check.mean_sq_norm(mean_sq_norm)"),
    ("md", """\
## E‖g‖² = (n + 2)‖∇f‖², measured

With your two functions, for quadratic-plus-sine test functions in n = 2, 5, 10, 20 dimensions
(2000 samples each):"""),
    ("code", """\
rows = demo.norm_ratio_table(forward_gradient, mean_sq_norm, n_samples=2000)"""),
    ("md", """\
Why n + 2? Write a = ∇f. Then ‖g‖² = (a·v)²‖v‖², and for Gaussian v,
E[(a·v)²‖v‖²] = Σᵢⱼ aᵢaⱼ E[vᵢvⱼ‖v‖²] = (n + 2)‖a‖² (the fourth moment E v⁴ = 3 gives the
extra 2). Since E g = a, the error is E‖g − a‖² = (n + 1)‖a‖²: the relative error grows like √n.

## Questions to think about

1. Averaging K independent forward gradients divides the error E‖g − ∇f‖² by K. How many JVPs
   do you need for a relative error of 10% in n = 1000 dimensions, and how does that compare
   with the cost of one reverse-mode gradient?
2. With Rademacher directions (vᵢ = ±1) the second moment is n‖∇f‖² instead. Where does the
   derivation above change?
3. Your `mean_sq_norm` is itself random. Roughly how many samples do you need for the measured
   ratio to be within 5% of n + 2?"""),
]


# =========================================================================================
# Exercise 5: a synthetic-gradient module
# =========================================================================================

EX5 = [
    ("md", """\
# Exercise 5 · A synthetic-gradient module, and a network trained with it

**Goal (about 40 minutes):** build the pieces of a *decoupled neural interface* (DNI, Jaderberg
et al. 2016) — a small linear module that predicts a layer's gradient, started at zero and
trained by regression onto a **bootstrapped** target — then train a network whose hidden layers
learn only from these predicted gradients.

You will:
- initialise a linear module ĝ = h A + b at zero;
- compute the bootstrapped target tᵢ = (φ′(aᵢ₊₁) ⊙ ĝᵢ₊₁) Wᵢ₊₁ᵀ (backprop through one layer);
- take one gradient step of the module on ½·mean‖ĝ − t‖²;
- train a digits classifier with them and compare with backprop.
""" + "\n" + HOW_TO),
    ("code", """\
import matplotlib.pyplot as plt
import numpy as np

from gradlab.exercises import check, demo"""),
    ("md", """\
## The idea

Layer i computes aᵢ = hᵢ₋₁Wᵢ + bᵢ and hᵢ = φ(aᵢ) (rows are examples). Backprop makes it wait for
∂L/∂hᵢ from every layer above. With DNI a module Mᵢ predicts it at once, ĝᵢ = Mᵢ(hᵢ), and the
layer updates immediately. Mᵢ learns by regression onto a target tᵢ:

- the top module sees the true gradient;
- below, tᵢ is the next module's *prediction* pushed back through one layer,
  tᵢ = (φ′(aᵢ₊₁) ⊙ ĝᵢ₊₁) Wᵢ₊₁ᵀ — a **bootstrapped** target, like temporal-difference learning.

Our modules are linear, ĝ = h A + b, with A of shape (n, n) and b of shape (n,). The network
below uses tanh, whose derivative is what `act_deriv` will be:"""),
    ("code", """\
def tanh_deriv(a):
    return 1.0 - np.tanh(a) ** 2


print("tanh′ at 0, 1, 3:", tanh_deriv(np.array([0.0, 1.0, 3.0])))"""),
    ("question", Question(
        name="q5_init", points=1,
        prompt="""\
### 5.1 · `init_sg_module(dim)`

Return `{"A": ..., "b": ...}` for a module predicting a gradient of size `dim` from an
activation of size `dim`. Start at **zero**: a module that knows nothing predicts 0, so it does
not push the layer in a random direction.""",
        solution="""\
def init_sg_module(dim):
    \"\"\"A linear synthetic-gradient module ĝ = h A + b, all zeros.\"\"\"
    return {"A": np.zeros((dim, dim)), "b": np.zeros(dim)}  # SOLUTION""",
        tests=[("test_init", ["init_sg_module"],
                ["check.init_sg_module(init_sg_module, quiet=True).assert_passed()"])])),
    ("check", "check.init_sg_module(init_sg_module)"),
    ("question", Question(
        name="q5_bootstrap", points=3,
        prompt="""\
### 5.2 · `bootstrap_target(g_next, a_next, W_next, act_deriv)`

`g_next` (batch, nᵢ₊₁) is the gradient layer i+1 uses for its output, `a_next` its
pre-activation, `W_next` (nᵢ, nᵢ₊₁) its weights, `act_deriv` the function φ′. Return
tᵢ = (φ′(a_next) ⊙ g_next) W_nextᵀ, of shape (batch, nᵢ).""",
        solution="""\
def bootstrap_target(g_next, a_next, W_next, act_deriv):
    \"\"\"The regression target for module i: g_next pushed back through layer i+1.\"\"\"
    return (act_deriv(a_next) * g_next) @ W_next.T  # SOLUTION""",
        tests=[("test_bootstrap", ["bootstrap_target"],
                ["check.bootstrap_target(bootstrap_target, quiet=True).assert_passed()"])],
        hidden=[("test_bootstrap_hidden", ["bootstrap_target"],
                 ["check.bootstrap_target(bootstrap_target, seed={seed}, quiet=True)"
                  ".assert_passed()"])])),
    ("check", "check.bootstrap_target(bootstrap_target)"),
    ("question", Question(
        name="q5_update", points=4,
        prompt="""\
### 5.3 · `sg_update(params, h, target, lr)`

One plain gradient step of the module on the regression loss
½ · mean over the batch of ‖h A + b − t‖². With r = h A + b − t (batch, n):
∂/∂A = hᵀ r / batch and ∂/∂b = mean of r over the batch. Return `(new_params, loss)`, the loss
computed at the params you were given.""",
        solution="""\
def sg_update(params, h, target, lr):
    \"\"\"One gradient step of the module towards target; returns (new params, loss).\"\"\"
    # BEGIN SOLUTION
    r = h @ params["A"] + params["b"] - target
    batch = h.shape[0]
    loss = 0.5 * float(np.mean(np.sum(r * r, axis=1)))
    new = {"A": params["A"] - lr * h.T @ r / batch, "b": params["b"] - lr * r.mean(axis=0)}
    return new, loss
    # END SOLUTION""",
        tests=[("test_update", ["sg_update"],
                ["check.sg_update(sg_update, quiet=True).assert_passed()"])],
        hidden=[("test_update_hidden", ["sg_update"],
                 ["check.sg_update(sg_update, seed={seed}, quiet=True).assert_passed()"])])),
    ("check", "check.sg_update(sg_update)"),
    ("md", """\
## Train a network with your module

A 64 → 64 → 64 → 10 tanh network on the digits. With DNI both hidden layers update from your
modules' predictions ĝ₁, ĝ₂ (M₂ regresses onto the true gradient of h₂, M₁ onto your
bootstrapped target); only the output layer sees the loss. Two references: backprop, and a
network whose hidden layers never learn ("frozen")."""),
    ("check", "check.dni_training(init_sg_module, bootstrap_target, sg_update)"),
    ("code", """\
results = demo.compare_training(init_sg_module, bootstrap_target, sg_update)
fig = plt.figure(figsize=(10, 3.8), layout="constrained")
demo.draw_training(fig, results)
plt.show()"""),
    ("md", """\
## Questions to think about

1. The cosine between ĝ₁ and the true gradient stays well below 1, yet the hidden layers learn.
   Why can a gradient that is only roughly aligned still reduce the loss?
2. What would go wrong if the modules started from random weights instead of zero?
3. M₁'s target uses M₂'s prediction, not the true gradient. What does layer 1 gain from this
   (think of when each layer may update), and what does it lose?"""),
]


# =========================================================================================
# Exercise 6: backward SGD
# =========================================================================================

EX6 = [
    ("md", """\
# Exercise 6 · Backward SGD: composing the same steps in the other order

**Goal (about 30 minutes):** write the composition at the heart of *backward SGD* — the newest
batch applied first, to the starting point θ₀ — and see its iterates converge to a point while
ordinary SGD keeps jittering.

You will:
- compose the update maps Tᵢ(θ) = θ − η∇L_{Bᵢ}(θ) as T₁ ∘ T₂ ∘ … ∘ Tₙ(θ₀);
- compute backward SGD's iterates θ̃ₖ for k = 0 … n, each recomputed from θ₀;
- measure the contraction factor ρ of their steps and compare it with 1 − η.
""" + "\n" + HOW_TO),
    ("code", """\
import matplotlib.pyplot as plt
import numpy as np

from gradlab.exercises import check, demo"""),
    ("md", """\
## Two orders for the same maps

Batch Bᵢ defines the map Tᵢ(θ) = θ − η∇L_{Bᵢ}(θ). Ordinary (forward) SGD applies them as they
arrive, θₙ = Tₙ ∘ … ∘ T₁(θ₀): the newest batch is applied last. **Backward SGD** applies the
same maps in the other order, θ̃ₙ = T₁ ∘ … ∘ Tₙ(θ₀): the newest batch first, to θ₀.

A `grad_fn(theta, batch)` returns ∇L_batch(θ). Our running example is the simplest one there
is: a batch is one number ξ, the loss ½(θ − ξ)², so grad_fn(θ, ξ) = θ − ξ and
T_ξ(θ) = (1 − η)θ + ηξ."""),
    ("code", """\
def grad_fn(theta, xi):
    return theta - xi


theta0, lr = np.array(3.0), 0.2
batches = [0.5, -1.0, 2.0]"""),
    ("question", Question(
        name="q6_compose", points=4,
        prompt="""\
### 6.1 · `compose_backward(grad_fn, theta0, batches, lr)`

`batches = [B₁, …, Bₙ]` in the order they were drawn. Return T₁ ∘ T₂ ∘ … ∘ Tₙ(θ₀): start at
θ₀, apply Tₙ first and T₁ last — one gradient evaluation per batch. Do not modify `theta0`.""",
        solution="""\
def compose_backward(grad_fn, theta0, batches, lr):
    \"\"\"T₁ ∘ … ∘ Tₙ(θ₀): the newest batch first, the oldest last.\"\"\"
    # BEGIN SOLUTION
    theta = theta0
    for batch in reversed(batches):
        theta = theta - lr * grad_fn(theta, batch)
    return theta
    # END SOLUTION""",
        tests=[("test_compose", ["compose_backward"],
                ["check.compose_backward(compose_backward, quiet=True).assert_passed()"])],
        hidden=[("test_compose_hidden", ["compose_backward"],
                 ["check.compose_backward(compose_backward, seed={seed}, quiet=True)"
                  ".assert_passed()"])])),
    ("check", "check.compose_backward(compose_backward)"),
    ("question", Question(
        name="q6_iterates", points=3,
        prompt="""\
### 6.2 · `backward_iterates(compose, grad_fn, theta0, batches, lr)`

Return the list [θ̃₀, θ̃₁, …, θ̃ₙ] with θ̃ₖ = `compose(grad_fn, theta0, batches[:k], lr)`. Each
iterate starts again from θ₀ (this costs 1 + 2 + … + n gradient evaluations).""",
        solution="""\
def backward_iterates(compose, grad_fn, theta0, batches, lr):
    \"\"\"Backward SGD's iterates θ̃₀ … θ̃ₙ, each the composition of the first k batches.\"\"\"
    # BEGIN SOLUTION
    return [compose(grad_fn, theta0, batches[:k], lr) for k in range(len(batches) + 1)]
    # END SOLUTION""",
        tests=[("test_iterates", ["backward_iterates"],
                ["check.backward_iterates(backward_iterates, quiet=True).assert_passed()"])],
        hidden=[("test_iterates_hidden", ["backward_iterates"],
                 ["check.backward_iterates(backward_iterates, seed={seed}, quiet=True)"
                  ".assert_passed()"])])),
    ("check", "check.backward_iterates(backward_iterates)"),
    ("md", """\
## Observe the contraction

Forty batches ξ ~ N(0, 1), η = 0.2, three runs. For each method we plot the step sizes
|θₖ₊₁ − θₖ| on a log scale. Backward SGD's steps shrink geometrically — its iterates converge to
a point — while forward SGD's stay as large as the noise."""),
    ("code", """\
run = demo.contraction_run(compose_backward, backward_iterates, n_steps=40, lr=0.2)
fig = plt.figure(figsize=(7, 4), layout="constrained")
demo.draw_contraction(fig, run)
plt.show()"""),
    ("question", Question(
        name="q6_factor", points=3,
        prompt="""\
### 6.3 · `contraction_factor(step_sizes)`

Given step sizes sₖ ≈ C ρᵏ (an array), return ρ: fit a straight line to log sₖ against k
(`np.polyfit(k, np.log(s), 1)`) and return exp(slope). Leave out steps that are exactly 0
(they reached the floating-point floor, and log 0 = −∞).""",
        solution="""\
def contraction_factor(step_sizes):
    \"\"\"ρ such that step_sizes[k] ≈ C ρᵏ, from a straight-line fit to the logs.\"\"\"
    # BEGIN SOLUTION
    s = np.asarray(step_sizes, dtype=float)
    k = np.arange(s.size)
    keep = s > 0
    slope = np.polyfit(k[keep], np.log(s[keep]), 1)[0]
    return float(np.exp(slope))
    # END SOLUTION""",
        tests=[("test_factor", ["contraction_factor"],
                ["check.contraction_factor(contraction_factor, quiet=True).assert_passed()"])],
        hidden=[("test_factor_hidden", ["contraction_factor"],
                 ["check.contraction_factor(contraction_factor, seed={seed}, quiet=True)"
                  ".assert_passed()"])])),
    ("check", "check.contraction_factor(contraction_factor)"),
    ("code", """\
print(f"theory for AR(1): ρ = 1 − η = {1 - run['lr']:.2f}")
for method in ("backward", "forward"):
    if run[method] is None:
        continue
    rhos = [contraction_factor(steps) for steps in run[method]]
    print(f"{method:>8} SGD: measured ρ per run = {rhos}")"""),
    ("md", """\
## Questions to think about

1. For AR(1), show that θ̃ₖ₊₁ − θ̃ₖ = η(1 − η)ᵏ(ξₖ₊₁ − θ₀). Which factor makes the steps shrink,
   and why does the same argument fail for forward SGD?
2. Backward SGD costs 1 + 2 + … + n gradient evaluations for n steps. What does it buy in return,
   and when is that worth it?
3. Backward SGD's limit θ̃_∞ depends on the batch sequence. How are the limits of many runs
   distributed, compared with forward SGD's iterates after many steps?"""),
]


EXERCISES = {
    "01_primitive_rules": EX1,
    "02_unbroadcast": EX2,
    "03_reverse_sweep": EX3,
    "04_forward_gradient": EX4,
    "05_synthetic_gradients": EX5,
    "06_backward_sgd": EX6,
}
