"""Exercise 4 checks: the forward-gradient estimator and E‖g‖² = (n + 2)‖∇f‖².

`forward_gradient(f, x, rng)` must return g = (∇f(x)·v) v for one Gaussian direction
v ~ N(0, I) drawn from `rng`, with ∇f(x)·v computed by forward mode (`gradlab.jvp`). The reference
is `gradlab.estimators.forward_gradient` (K = 1).

The check first replays the student's random draw: with the same seed, `rng.standard_normal`
gives the same v, so a correct answer matches (a·v) v exactly. Answers that draw differently
(another Generator method, a fresh generator) are judged by their statistics over many calls:
unbiased (mean ≈ ∇f) with E‖g‖² ≈ (n + 2)‖∇f‖². Known wrong answers are recognised from the
replayed v (v alone, the directional derivative alone, a unit v, uniform v, the exact gradient).
"""

from __future__ import annotations

import numpy as np

from ..ad import numpy as gnp
from ..estimators.gradient_estimators import forward_gradient as _ref_forward_gradient
from .runner import (
    Failed,
    NotDone,
    as_array,
    call,
    close,
    describe,
    fmt,
    not_done_reason,
    outcome_or_raise,
    run_check,
)


class Quadratic:
    """f(x) = ½ xᵀAx + b·x + Σ sin(x) with a known gradient; written with gnp (jvp works)."""

    def __init__(self, n_shape, seed):
        rng = np.random.default_rng(seed)
        n = int(np.prod(n_shape))
        M = rng.normal(size=(n, n)) / np.sqrt(n)
        self.A = M @ M.T + np.eye(n)
        self.b = rng.normal(size=n)
        self.shape = tuple(n_shape)
        self.x = rng.normal(size=self.shape)

    def __call__(self, x):
        flat = gnp.reshape(x, (-1,))
        return 0.5 * gnp.sum(flat * gnp.matmul(self.A, flat)) + gnp.sum(self.b * flat) \
            + gnp.sum(gnp.sin(flat))

    def grad(self, x):
        flat = np.reshape(x, -1)
        return np.reshape(self.A @ flat + self.b + np.cos(flat), self.shape)


PROBLEMS = [("n = 3", (3,), 11), ("n = 8", (8,), 12), ("x of shape (2, 3)", (2, 3), 13)]


def _candidates(a, v):
    """What known wrong answers give for gradient a and replayed direction v."""
    d = float(np.sum(a * v))
    u = v / np.linalg.norm(v)
    return [
        ("direction-only", v, "you returned the random direction v itself; the forward gradient "
         "is v multiplied by the directional derivative ∇f(x)·v (from gradlab.jvp)"),
        ("unit-direction", float(np.sum(a * u)) * u, "you normalised v to length 1; then "
         "E[v vᵀ] = I/n and the estimate is n times too small on average. Use v ~ N(0, I) as "
         "drawn"),
        ("exact-gradient", a, "you returned the exact gradient; the exercise is to estimate it "
         "from one JVP (forward mode) along a random direction v"),
        ("squared-derivative", d * d * v, "you multiplied v by (∇f·v)²; multiply by ∇f·v once"),
        ("negated", -d * v, "the sign is flipped: g = (∇f·v) v, not −(∇f·v) v"),
    ]


def _replay_check(fn, f, x, seed, label, case, timeout):
    """Call fn with a seeded rng; return (g, matched_exactly, v)."""
    out = call(fn, f, x, np.random.default_rng(seed), timeout=timeout)
    g = outcome_or_raise(out, label, case)
    if g is None:
        raise NotDone(f"`{label}` returned None. Is its body still `...`, or is a `return` "
                      "missing?")
    if isinstance(g, float | int | np.number) or (isinstance(g, np.ndarray) and g.shape == ()):
        raise Failed(f"case '{case}': `{label}` returned {describe(g)}. That looks like the "
                     "directional derivative ∇f·v; the forward gradient is that number times "
                     f"the direction v, an array shaped like x {np.shape(x)}.",
                     mistake="derivative-only", case=case)
    g = as_array(g, label, case, np.shape(x))
    if g.shape != np.shape(x):
        extra = (" (flattened: reshape it to x's shape)" if g.size == np.size(x) else "")
        raise Failed(f"case '{case}': g has shape {g.shape}, but x has shape {np.shape(x)}{extra}."
                     " The estimate must be shaped like x.", mistake="wrong-shape", case=case)
    v = np.random.default_rng(seed).standard_normal(np.shape(x))
    return g, v


def _check_estimator(fn, seed, timeout):
    label = "forward_gradient"
    reason = not_done_reason(fn, label)
    if reason:
        raise NotDone(reason)
    base = 100 if seed is None else seed
    for case, shape, pseed in PROBLEMS:
        f = Quadratic(shape, pseed)
        x = f.x
        a = f.grad(x)
        x_before = x.copy()
        g, v = _replay_check(fn, f, x, base, label, case, timeout)
        if not np.array_equal(x, x_before):
            raise Failed(f"case '{case}': your function changed x in place.",
                         mistake="modified-x", case=case)
        expected = float(np.sum(a * v)) * v
        if close(g, expected, rtol=1e-6, atol=1e-9):
            continue  # the same draw, the right formula
        for mistake, wrong, hint in _candidates(a, v):
            if close(g, wrong, rtol=1e-6, atol=1e-9):
                raise Failed(f"case '{case}': with the same random draw v = {fmt(v)}\n"
                             f"  expected (∇f·v) v: {fmt(expected)}\n  got: {fmt(g)}\n"
                             f"  hint: {hint}.", mistake=mistake, case=case)
        w = np.random.default_rng(base).random(np.shape(x))
        if close(g, float(np.sum(a * w)) * w, rtol=1e-6, atol=1e-9):
            raise Failed(f"case '{case}': your directions come from rng.random (uniform on "
                         "[0, 1)): their mean is not 0 and E[v vᵀ] ≠ I, so the estimate is "
                         "biased.\n  hint: draw v = rng.standard_normal(x.shape).",
                         mistake="uniform-direction", case=case)
        _statistical_check(fn, f, x, a, label, case, base, timeout)
    return ("passed: g = (∇f·v) v with v ~ N(0, I) from the rng you were given, shaped like x "
            f"({len(PROBLEMS)} functions).")


def _statistical_check(fn, f, x, a, label, case, seed, timeout, n_samples=3000):
    """For answers that draw v differently: unbiased, random, and E‖g‖² ≈ (n+2)‖a‖²."""
    rng = np.random.default_rng(seed + 1)

    def many():
        return np.array([np.asarray(fn(f, x, rng), dtype=float).reshape(-1)
                         for _ in range(n_samples)])

    out = call(many, timeout=timeout * 3)
    samples = outcome_or_raise(out, label, case)
    n = a.size
    sq = float(a.ravel() @ a.ravel())
    if np.allclose(samples, samples[0]):
        raise Failed(f"case '{case}': every call returned the same g: the estimate is not random."
                     "\n  hint: draw a fresh direction v from the rng you are given at every "
                     "call (do not make a new default_rng(seed) inside).", mistake="not-random",
                     case=case)
    mean = samples.mean(axis=0)
    err = float(np.sum((mean - a.ravel()) ** 2))
    allowed = 6.0 * (n + 1) * sq / n_samples
    if err > allowed:
        raise Failed(f"case '{case}': the average of {n_samples} estimates is not ∇f(x): the "
                     f"estimator is biased.\n  expected mean (∇f): {fmt(a.ravel())}\n  got mean: "
                     f"{fmt(mean)}\n  hint: g = (∇f·v) v is unbiased only when E[v vᵀ] = I: "
                     "draw v = rng.standard_normal(x.shape) and compute ∇f·v with gradlab.jvp.",
                     mistake="biased", case=case)
    ratio = float(np.mean(np.sum(samples ** 2, axis=1))) / sq
    if not abs(ratio - (n + 2)) <= 0.15 * (n + 2):
        raise Failed(f"case '{case}': E‖g‖²/‖∇f‖² is {ratio:.3g}, but a Gaussian direction gives "
                     f"n + 2 = {n + 2}.\n  hint: use Gaussian directions, "
                     "v = rng.standard_normal(x.shape).", mistake="wrong-variance", case=case)


def forward_gradient(fn, *, seed=None, quiet=False, timeout=10.0):
    """Check forward_gradient(f, x, rng) -> (∇f(x)·v) v with v ~ N(0, I) from rng."""
    return run_check("forward_gradient", _check_estimator, fn, seed, timeout, quiet=quiet)


# ----------------------------------------------------------------------------------------
# mean_sq_norm(estimator, f, x, rng, n_samples) ≈ E‖g‖²
# ----------------------------------------------------------------------------------------

def reference_estimator(f, x, rng):
    """gradlab's own forward gradient (K = 1), with the exercise's signature."""
    return _ref_forward_gradient(f, x, rng).grad


def _check_sq_norm(fn, seed, timeout):
    label = "mean_sq_norm"
    reason = not_done_reason(fn, label)
    if reason:
        raise NotDone(reason)
    base = 200 if seed is None else seed
    for case, shape, pseed in PROBLEMS[:2]:
        f = Quadratic(shape, pseed)
        x, n_samples = f.x, 400
        out = call(fn, reference_estimator, f, x, np.random.default_rng(base), n_samples,
                   timeout=timeout * 2)
        got = outcome_or_raise(out, label, case)
        if got is None:
            raise NotDone(f"`{label}` returned None. Is its body still `...`, or is a `return` "
                          "missing?")
        if isinstance(got, np.ndarray) and got.size == 1:
            got = float(got.reshape(()))
        if not isinstance(got, float | int | np.number):
            raise Failed(f"case '{case}': `{label}` returned {describe(got)}; return one number,"
                         " the average of ‖g‖² over the samples.", mistake="wrong-type",
                         case=case)
        rng = np.random.default_rng(base)
        gs = np.array([reference_estimator(f, x, rng).ravel() for _ in range(n_samples)])
        norms2 = np.sum(gs ** 2, axis=1)
        expected = float(norms2.mean())
        got = float(got)
        if np.isclose(got, expected, rtol=1e-6):
            continue
        wrong = [("mean-of-norms", float(np.sqrt(norms2).mean()),
                  "you averaged ‖g‖; average the *squared* norm ‖g‖²"),
                 ("norm-of-mean", float(np.sum(gs.mean(axis=0) ** 2)),
                  "you computed ‖mean of g‖², which tends to ‖∇f‖² (the estimator is unbiased); "
                  "the question is about the mean of ‖g‖², the second moment"),
                 ("sum-not-mean", float(norms2.sum()),
                  f"you summed over the {n_samples} samples; divide by n_samples"),
                 ("squared-mean-norm", float(np.sqrt(norms2).mean() ** 2),
                  "you squared the average norm; average the squared norms instead")]
        for mistake, value, hint in wrong:
            if np.isclose(got, value, rtol=1e-6):
                raise Failed(f"case '{case}': expected E‖g‖² ≈ {expected:.5g} (from the same "
                             f"{n_samples} draws), got {got:.5g}.\n  hint: {hint}.",
                             mistake=mistake, case=case)
        a = f.grad(x)
        theory = (a.size + 2) * float(np.sum(a * a))
        if abs(got - theory) <= 0.2 * theory:
            continue  # drawn differently (e.g. a fresh generator), but statistically right
        raise Failed(f"case '{case}': expected E‖g‖² ≈ {expected:.5g} (theory: (n + 2)‖∇f‖² = "
                     f"{theory:.5g}), got {got:.5g}.\n  hint: call estimator(f, x, rng) "
                     "n_samples times with the rng you are given, and average ‖g‖² = "
                     "np.sum(g**2).", mistake=None, case=case)
    return "passed: the average of ‖g‖² over the samples, as the estimator draws them."


def mean_sq_norm(fn, *, seed=None, quiet=False, timeout=10.0):
    """Check mean_sq_norm(estimator, f, x, rng, n_samples) -> the average of ‖g‖²."""
    return run_check("mean_sq_norm", _check_sq_norm, fn, seed, timeout, quiet=quiet)


# ----------------------------------------------------------------------------------------
# The experiment: E‖g‖² / ‖∇f‖² against n + 2, with the student's two functions
# ----------------------------------------------------------------------------------------

def norm_ratio_table(estimator, mean_sq_norm, dims=(2, 5, 10, 20), n_samples=400, seed=0):
    """E‖g‖²/‖∇f‖² measured with the student's functions for each n, next to n + 2.

    Prints a table (or a message saying what is not done yet); returns a list of
    (n, measured ratio or None, n + 2). Never raises.
    """
    rows = []
    for n in dims:
        f = Quadratic((n,), 1000 + n)
        a = f.grad(f.x)
        out = call(mean_sq_norm, estimator, f, f.x, np.random.default_rng(seed + n), n_samples,
                   timeout=30.0)
        value = out.value if out.ok else None
        try:
            ratio = float(value) / float(np.sum(a * a))
        except (TypeError, ValueError):
            ratio = None
        rows.append((n, ratio, n + 2))
    if all(r is None for _, r, _ in rows):
        print("… not done yet: finish forward_gradient and mean_sq_norm (their checks above say "
              "what is missing), then run this cell again.")
        return rows
    print(f"{'n':>4}  {'measured E‖g‖²/‖∇f‖²':>22}  {'theory n + 2':>13}")
    for n, r, t in rows:
        shown = "—" if r is None else f"{r:.2f}"
        print(f"{n:>4}  {shown:>22}  {t:>13}")
    return rows
