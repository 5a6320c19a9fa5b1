"""Exercise 6 checks: backward SGD's composition, and its contraction.

The student writes
  compose_backward(grad_fn, theta0, batches, lr)  -> T₁ ∘ T₂ ∘ … ∘ Tₙ(θ₀), Tᵢ(θ) = θ − η∇L_{Bᵢ}(θ)
                                                    (the newest batch applied first, to θ₀)
  backward_iterates(compose, grad_fn, theta0, batches, lr) -> [θ̃₀, θ̃₁, …, θ̃ₙ], θ̃ₖ the
                                                    backward composition of the first k batches
  contraction_factor(step_sizes)                  -> ρ with ‖θ̃ₖ₊₁ − θ̃ₖ‖ ≈ C ρᵏ
The references are `gradlab.methods.backward_sgd` (`compose_backward`, `compose_forward`,
`backward_sgd`, `fit_log_slope`). Known wrong compositions are recognised by running them too.
"""

from __future__ import annotations

import numpy as np

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


def _io():
    from ..methods import backward_sgd  # imported late: the check module loads without it

    return backward_sgd


class _CountingGrad:
    """grad_fn that counts its calls and remembers the batches in the order it saw them."""

    def __init__(self, grad_fn):
        self.grad_fn = grad_fn
        self.batches = []

    def __call__(self, theta, batch):
        self.batches.append(batch)
        return self.grad_fn(theta, batch)


def _ar1_grad(theta, xi):
    return theta - xi


def _problems(seed):
    """(name, grad_fn, theta0, batches, lr, batch labels) for the hidden cases."""
    io = _io()
    rng = np.random.default_rng(5 if seed is None else seed)
    cases = [
        ("scalar AR(1), 3 batches", _ar1_grad, np.array(2.0), [0.5, -1.0, 3.0], 0.3),
        ("scalar AR(1), 1 batch", _ar1_grad, np.array(-1.0), [4.0], 0.5),
    ]
    problem = io.make_least_squares(rng, n_rows=12, dim=2)
    batches = [rng.choice(12, size=3, replace=False) for _ in range(4)]
    cases.append(("least squares in 2-D, 4 batches of 3 rows", problem.grad, np.array([3.0, -2.0]),
                  batches, 0.2))
    cases.append(("scalar AR(1), 6 batches", _ar1_grad, np.array(0.0),
                  list(rng.normal(size=6)), 0.25))
    return cases


def _wrong_compositions(io):
    def all_at_theta0(grad_fn, theta0, batches, lr):
        return theta0 - lr * sum(grad_fn(theta0, b) for b in batches)

    def only_newest(grad_fn, theta0, batches, lr):
        return io.sgd_step(grad_fn, theta0, batches[-1], lr)

    def only_oldest(grad_fn, theta0, batches, lr):
        return io.sgd_step(grad_fn, theta0, batches[0], lr)

    def ascent(grad_fn, theta0, batches, lr):
        return io.compose_backward(grad_fn, theta0, batches, -lr)

    return [
        ("forward-order", io.compose_forward,
         "you applied the batches oldest first: that is ordinary (forward) SGD, "
         "Tₙ ∘ … ∘ T₁(θ₀). Backward SGD applies the *newest* batch first, to θ₀, and the oldest "
         "last: loop over reversed(batches)"),
        ("gradients-at-theta0", all_at_theta0,
         "you evaluated every gradient at θ₀; each map Tᵢ(θ) = θ − η∇L_{Bᵢ}(θ) takes the gradient "
         "at the point it is applied to, so update θ step by step"),
        ("only-newest", only_newest, "you applied only the newest batch; compose all of them"),
        ("only-oldest", only_oldest, "you applied only the oldest batch; compose all of them"),
        ("ascent", ascent, "you stepped *up* the gradient: Tᵢ(θ) = θ − η∇L_{Bᵢ}(θ)"),
    ]


def _check_compose(fn, seed, timeout):
    label = "compose_backward"
    reason = not_done_reason(fn, label)
    if reason:
        raise NotDone(reason)
    io = _io()
    cases = _problems(seed)
    for case, grad_fn, theta0, batches, lr in cases:
        expected = np.asarray(io.compose_backward(grad_fn, theta0.copy(), list(batches), lr))
        counter = _CountingGrad(grad_fn)
        start = theta0.copy()
        got = outcome_or_raise(call(fn, counter, start, list(batches), lr, timeout=timeout),
                               label, case)
        if got is None:
            raise NotDone(f"`{label}` returned None. Is its body still `...`, or is a `return` "
                          "missing?")
        got = as_array(got, label, case, expected.shape)
        where = f"case '{case}': θ₀ = {fmt(theta0)}, η = {lr}, n = {len(batches)} batches."
        if not np.array_equal(start, theta0):
            raise Failed(f"{where}\n  your function changed theta0 in place (theta -= ... on the "
                         "array you were given); write theta = theta - lr * g, which makes a new "
                         "array.", mistake="modified-theta0", case=case)
        if got.shape != expected.shape:
            raise Failed(f"{where}\n  expected the end point, shaped like θ₀ {expected.shape}; got "
                         f"{describe(got)}.", mistake="wrong-shape", case=case)
        if close(got, expected, rtol=1e-9, atol=1e-12) and len(counter.batches) == len(batches):
            continue
        if close(got, expected, rtol=1e-9, atol=1e-12):
            raise Failed(f"{where}\n  the end point is right, but you evaluated "
                         f"{len(counter.batches)} gradients for {len(batches)} batches; backward "
                         "SGD's composition costs exactly one gradient per batch.",
                         mistake="gradient-count", case=case)
        mistake, hint = None, ("θ = θ₀; for each batch from the newest to the oldest: "
                               "θ = θ − η·grad_fn(θ, batch)")
        for name, wrong, wrong_hint in _wrong_compositions(io):
            if close(got, np.asarray(wrong(grad_fn, theta0.copy(), list(batches), lr)),
                     rtol=1e-9, atol=1e-12):
                mistake, hint = name, wrong_hint
                break
        raise Failed(f"{where}\n  expected T₁∘…∘Tₙ(θ₀) = {fmt(expected)}\n  got: {fmt(got)}\n"
                     f"  hint: {hint}.", mistake=mistake, case=case)
    return (f"passed all {len(cases)} cases: newest batch first, one gradient per batch, "
            "θ₀ untouched.")


def compose_backward(fn, *, seed=None, quiet=False, timeout=10.0):
    """Check compose_backward(grad_fn, theta0, batches, lr) -> T₁ ∘ … ∘ Tₙ(θ₀)."""
    return run_check("compose_backward", _check_compose, fn, seed, timeout, quiet=quiet)


# ----------------------------------------------------------------------------------------
# backward_iterates
# ----------------------------------------------------------------------------------------

def _check_iterates(fn, seed, timeout):
    label = "backward_iterates"
    reason = not_done_reason(fn, label)
    if reason:
        raise NotDone(reason)
    io = _io()
    for case, grad_fn, theta0, batches, lr in _problems(seed)[2:]:
        expected = io.backward_sgd(grad_fn, theta0.copy(), list(batches), lr).thetas
        got = outcome_or_raise(call(fn, io.compose_backward, grad_fn, theta0.copy(),
                                    list(batches), lr, timeout=timeout), label, case)
        if got is None:
            raise NotDone(f"`{label}` returned None. Is its body still `...`, or is a `return` "
                          "missing?")
        try:
            got = np.array([np.asarray(t, dtype=float) for t in got])
        except (TypeError, ValueError):
            raise Failed(f"case '{case}': {label} returned {describe(got)}; return a list of the "
                         "iterates θ̃₀, θ̃₁, …, θ̃ₙ (each shaped like θ₀).", mistake="wrong-type",
                         case=case) from None
        n = len(batches)
        where = f"case '{case}': θ₀ = {fmt(theta0)}, η = {lr}, n = {n} batches."
        if got.shape[0] == n and close(got, expected[1:]):
            raise Failed(f"{where}\n  you returned θ̃₁ … θ̃ₙ: put θ̃₀ = θ₀ first (n + 1 iterates "
                         "in all).", mistake="missing-theta0", case=case)
        if got.shape != expected.shape:
            raise Failed(f"{where}\n  expected {n + 1} iterates of shape {theta0.shape} (an array "
                         f"{expected.shape}), got {got.shape}.", mistake="wrong-shape", case=case)
        if close(got, expected):
            continue
        fwd = io.forward_sgd(grad_fn, theta0.copy(), list(batches), lr).thetas
        chained = [theta0.copy()]
        for k in range(1, n + 1):
            chained.append(io.compose_backward(grad_fn, chained[-1], list(batches[:k]), lr))
        suffix = [io.compose_backward(grad_fn, theta0.copy(), list(batches[n - k:]), lr)
                  for k in range(n + 1)]
        mistake, hint = None, ("θ̃ₖ = compose(grad_fn, θ₀, batches[:k], lr) for k = 0, 1, …, n: "
                               "every iterate starts again from θ₀")
        if close(got, fwd):
            mistake, hint = "forward-sgd", ("these are forward SGD's iterates; θ̃ₖ is the "
                                            "*backward* composition of the first k batches, "
                                            "recomputed from θ₀")
        elif close(got, np.array(chained)):
            mistake, hint = "from-previous", ("you started each composition from the previous "
                                              "iterate; backward SGD restarts from θ₀ every time "
                                              "(θ̃ₖ = T₁∘…∘Tₖ(θ₀))")
        elif close(got, np.array(suffix)):
            mistake, hint = "suffixes", ("you composed the *last* k batches; θ̃ₖ uses the first "
                                         "k batches, batches[:k]")
        bad = int(np.argmax(np.any(~np.isclose(got.reshape(n + 1, -1),
                                               expected.reshape(n + 1, -1)), axis=1)))
        raise Failed(f"{where}\n  iterate {bad}: expected {fmt(expected[bad])}, got "
                     f"{fmt(got[bad])}\n  hint: {hint}.", mistake=mistake, case=case)
    return "passed: θ̃ₖ = T₁∘…∘Tₖ(θ₀) for k = 0 … n, each recomputed from θ₀."


def backward_iterates(fn, *, seed=None, quiet=False, timeout=10.0):
    """Check backward_iterates(compose, grad_fn, theta0, batches, lr) -> [θ̃₀, …, θ̃ₙ]."""
    return run_check("backward_iterates", _check_iterates, fn, seed, timeout, quiet=quiet)


# ----------------------------------------------------------------------------------------
# contraction_factor
# ----------------------------------------------------------------------------------------

def _check_factor(fn, seed, timeout):
    label = "contraction_factor"
    reason = not_done_reason(fn, label)
    if reason:
        raise NotDone(reason)
    rng = np.random.default_rng(3 if seed is None else seed)
    cases = []
    for rho in (0.8, 0.5, 0.95):
        k = np.arange(25)
        steps = 2.0 * rho ** k * np.exp(rng.normal(0.0, 0.05, k.size))
        cases.append((f"ρ = {rho}", steps, rho))
    steps = 0.7 ** np.arange(120)  # reaches the underflow floor
    steps[steps < 1e-16] = 0.0
    cases.append(("ρ = 0.7, steps reaching 0", steps, 0.7))
    for case, steps, rho in cases:
        got = outcome_or_raise(call(fn, steps.copy(), timeout=timeout), label, case)
        if got is None:
            raise NotDone(f"`{label}` returned None. Is its body still `...`, or is a `return` "
                          "missing?")
        try:
            got = float(np.asarray(got, dtype=float).reshape(()))
        except (TypeError, ValueError):
            raise Failed(f"case '{case}': {label} returned {describe(got)}; return one number ρ.",
                         mistake="wrong-type", case=case) from None
        if not np.isfinite(got):
            hint = ("log(0) = −inf: leave out the steps that are exactly 0 (they reached the "
                    "floating-point floor)" if np.any(steps == 0) else "")
            raise Failed(f"case '{case}': you returned {got}." + (f"\n  hint: {hint}."
                                                                  if hint else ""),
                         mistake="log-of-zero" if hint else "nan", case=case)
        if abs(got - rho) <= 0.03:
            continue
        slope = np.log(rho)
        mistake, hint = None, ("fit a straight line to log(step sizes) against k (np.polyfit); "
                               "ρ = exp(slope)")
        if abs(got - slope) <= 0.03:
            mistake, hint = "log-not-exp", ("you returned the slope of log‖step‖, which is "
                                            "log ρ; return ρ = exp(slope)")
        elif abs(got - 1.0 / rho) <= 0.05:
            mistake, hint = "inverted", ("you returned 1/ρ: divide a step by the one *before* "
                                         "it, not after")
        elif abs(got - rho ** (len(steps) - 1)) <= 1e-3:
            mistake, hint = "no-root", ("last/first is ρⁿ for n steps; take its n-th root (or "
                                        "better, fit a line to the logs)")
        raise Failed(f"case '{case}': steps shrink by a factor {rho} per step, you returned "
                     f"{got:.4g}.\n  hint: {hint}.", mistake=mistake, case=case)
    return "passed: ρ recovered from noisy geometric steps, including steps that reach 0."


def contraction_factor(fn, *, seed=None, quiet=False, timeout=10.0):
    """Check contraction_factor(step_sizes) -> ρ with step_sizes[k] ≈ C ρᵏ."""
    return run_check("contraction_factor", _check_factor, fn, seed, timeout, quiet=quiet)


# ----------------------------------------------------------------------------------------
# The experiment
# ----------------------------------------------------------------------------------------

def contraction_run(compose, iterates, n_steps=40, lr=0.2, n_runs=3, seed=0):
    """Backward SGD (the student's functions) and forward SGD on AR(1), T(θ) = (1 − η)θ + ηξ.

    Returns {"backward": (n_runs, n_steps) step sizes or None, "forward": ..., "lr": lr,
    "theory": 1 − η}; never raises (prints what is not done yet).
    """
    io = _io()
    rng = np.random.default_rng(seed)
    xis = rng.normal(size=(n_runs, n_steps))
    out = {"lr": lr, "theory": 1.0 - lr, "backward": None, "forward": None}
    fwd = [np.abs(np.diff(io.forward_sgd(_ar1_grad, np.array(3.0), list(x), lr).thetas))
           for x in xis]
    out["forward"] = np.array(fwd)
    runs = []
    for x in xis:
        res = call(iterates, compose, _ar1_grad, np.array(3.0), list(x), lr, timeout=30.0)
        try:
            thetas = np.array([float(t) for t in res.value]) if res.ok else None
        except (TypeError, ValueError):
            thetas = None
        if thetas is None or thetas.shape != (n_steps + 1,):
            print("… backward SGD: not done yet — finish compose_backward and backward_iterates "
                  "(their checks above say what is missing); forward SGD is shown alone.")
            return out
        runs.append(np.abs(np.diff(thetas)))
    out["backward"] = np.array(runs)
    return out


def draw_contraction(fig, run):
    """Step sizes |θₖ₊₁ − θₖ| of backward and forward SGD, log scale, with (1 − η)ᵏ."""
    ax = fig.add_subplot()
    k = np.arange(run["forward"].shape[1])
    for i, steps in enumerate(run["forward"]):
        ax.semilogy(k, np.maximum(steps, 1e-17), color="C0", alpha=0.7,
                    label="forward SGD" if i == 0 else None)
    if run["backward"] is not None:
        for i, steps in enumerate(run["backward"]):
            ax.semilogy(k, np.maximum(steps, 1e-17), color="C1", alpha=0.8,
                        label="backward SGD (yours)" if i == 0 else None)
    ax.semilogy(k, run["lr"] * 3.0 * run["theory"] ** k, "k--", lw=1, label="(1 − η)ᵏ")
    ax.set_xlabel("step k")
    ax.set_ylabel("|θₖ₊₁ − θₖ|")
    ax.set_title(f"AR(1), η = {run['lr']}: backward SGD's steps shrink geometrically")
    ax.legend()
    return fig
