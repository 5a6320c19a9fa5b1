"""Forward-gradient descent (Baydin et al. 2022) against gradient descent on three problems.

Algorithm 1 of *Gradients without Backpropagation*: each step, draw a random tangent v_t, compute
f(θ_t) and the directional derivative d_t = ∇f(θ_t)·v_t in one forward-mode pass, and step
θ_{t+1} = θ_t − η d_t v_t. No backward pass, no tape. The step is an unbiased but noisy estimate
of the gradient step; this module measures what that noise costs.

- `forward_gradient_descent(f, x0, ...)` / `gradient_descent(...)`: the algorithms as written,
  for any scalar f of an array or of nested parameters (any estimator of `gradlab.estimators`).
- `run_test_function(...)`: Beale and Rosenbrock, several seeds run side by side (one batched
  forward-mode pass serves every seed, so 25,000 iterations take seconds); `step_times(...)`
  measures one run's time per iteration, for the loss-vs-time axis.
- `train_digits(...)`: logistic regression or an MLP on the 8×8 digits trained by backprop, by
  forward gradients with K directions, or by activity-perturbed forward gradients.
- `runtime_ratios(...)`: the per-iteration costs R_f (forward-gradient step / f) and R_b (backprop
  step / f) — the paper's measure — with our engines or with hand-written numpy passes, with and
  without the cost of drawing the random directions.
- `common_lr_specs(η₀)`: backprop and forward gradient at one common η₀ (the paper's protocol);
  `estimator_moments(...)`: the estimator's bias and error against the closed form.
- `quadratic_fgd(...)` and the closed forms `quadratic_rate`, `steps_to_reach`: how the number
  of steps grows with the dimension n, on f(x) = ½‖x‖² where everything is exact.

Divergence (a learning rate too large) is never an exception here: losses become inf/NaN, the
run stops updating, and `diverged_at` records the step.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache

import numpy as np

from ..ad import numpy as gnp
from ..ad.forward_mode import jvp
from ..ad.transforms import value_and_grad
from ..ad.tree import tree_leaves, tree_map
from ..estimators.gradient_estimators import estimate, one_blas_thread, sample_directions
from ..models import mlp
from ..models.datasets import batch_stream, load_digits_split
from ..models.test_functions import FUNCTIONS

METHODS = ("backprop", "forward", "activity")


def _clock():
    """CPU seconds of this thread: the cost of the computation itself.

    Every timed computation here runs on one thread (one BLAS thread, see
    `estimators.one_blas_thread`), so this is what the wall-clock time would be on an idle
    machine, without the time other processes hold the CPU on a shared one.
    """
    return time.thread_time()


def _finite(tree):
    return all(np.all(np.isfinite(leaf)) for leaf in tree_leaves(tree))


# ----------------------------------------------------------------------------------------
# The algorithms, for any f.
# ----------------------------------------------------------------------------------------

def forward_gradient_descent(f, x0, lr, steps, rng, K=1, distribution="gaussian",
                             estimator="forward", **options):
    """Forward-gradient descent: θ ← θ − η·ĝ with ĝ from `estimator` (default: forward gradient).

    Returns (θ_final, losses) with losses[t] = f(θ_t) for t < steps (computed in the same pass as
    the estimate) and NaN after a divergence.
    """
    x = x0
    losses = np.full(steps, np.nan)
    with np.errstate(all="ignore"):
        for t in range(steps):
            est = estimate(estimator, f, x, rng, K=K, distribution=distribution, **options)
            losses[t] = est.value
            if not np.isfinite(est.value) or not _finite(est.grad):
                break
            x = tree_map(lambda p, g: p - lr * g, x, est.grad)
    return x, losses


def gradient_descent(f, x0, lr, steps):
    """Plain gradient descent with reverse-mode gradients. Returns (θ_final, losses)."""
    x = x0
    losses = np.full(steps, np.nan)
    with np.errstate(all="ignore"):
        for t in range(steps):
            est = estimate("exact", f, x)
            losses[t] = est.value
            if not np.isfinite(est.value) or not _finite(est.grad):
                break
            x = tree_map(lambda p, g: p - lr * g, x, est.grad)
    return x, losses


# ----------------------------------------------------------------------------------------
# Beale and Rosenbrock: many seeds at once.
# ----------------------------------------------------------------------------------------

def _batched_step_fns(f):
    """(FGD direction pass, GD gradient pass) for a row-wise f on X of shape (S, 2)."""

    def fgd_pass(X, V):
        values, d = jvp(f, (X,), (V,))  # d[s] = ∇f(X[s])·V[s]: one pass for every run
        return values, d

    vg = value_and_grad(lambda X: gnp.sum(f(X)))

    def gd_pass(X):
        _, G = vg(X)  # f is a sum of independent rows, so row s of G is ∇f(X[s])
        return f(X), G

    return fgd_pass, gd_pass


def run_test_function(name, method="fgd", lr=None, steps=None, seeds=(0,), K=1,
                      distribution="gaussian", x0=None, record_every=1, progress=None):
    """Run gradient descent ("gd") or forward-gradient descent ("fgd") on a 2-D test function.

    All seeds run together (one batched JVP per step serves them all; seed s has its own
    Generator, so its run does not depend on the others). GD is deterministic and runs once.
    Returns a dict: "path" (runs, T, 2) positions, "loss" (runs, T), "iterations" (T,),
    "diverged_at" (runs,) with −1 for runs that did not diverge, and the settings.
    """
    tf = FUNCTIONS[name]
    lr = tf.lr if lr is None else float(lr)
    steps = tf.steps if steps is None else int(steps)
    x0 = np.asarray(tf.x0 if x0 is None else x0, dtype=float)
    if method not in ("gd", "fgd"):
        raise ValueError(f"method must be 'gd' or 'fgd', got {method!r}")
    seeds = [int(s) for s in seeds] if method == "fgd" else [0]
    S = len(seeds)
    rngs = [np.random.default_rng(s) for s in seeds]
    fgd_pass, gd_pass = _batched_step_fns(tf.f)
    X = np.tile(x0, (S, 1))
    rec = list(range(0, steps + 1, record_every))
    if rec[-1] != steps:
        rec.append(steps)
    path = np.full((S, len(rec), 2), np.nan)
    loss = np.full((S, len(rec)), np.nan)
    diverged_at = np.full(S, -1)
    alive = np.ones(S, dtype=bool)
    r = 0
    chunk = max(1, steps // 50)
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            if method == "fgd":
                V = np.stack([sample_directions(g, (K, 2), distribution) for g in rngs])
                values, d = fgd_pass(X, V[:, 0])
                step = d[:, None] * V[:, 0]
                for k in range(1, K):
                    step = step + fgd_pass(X, V[:, k])[1][:, None] * V[:, k]
                step = step / K
            else:
                values, step = gd_pass(X)
            values = np.asarray(values, dtype=float)
            bad = alive & ~(np.isfinite(values) & np.all(np.isfinite(X), axis=1)
                            & (np.abs(values) < 1e150))
            if bad.any():
                diverged_at[bad] = t
                alive &= ~bad
                values = np.where(bad, np.inf, values)
            if t == rec[r]:
                path[:, r] = np.where(alive[:, None] | bad[:, None], X, np.nan)
                loss[:, r] = np.where(alive | bad, values, np.nan)
                r += 1
            if t == steps or not alive.any():
                break
            X = np.where(alive[:, None], X - lr * step, np.nan)
            if progress is not None and t % chunk == 0:
                progress(t, steps)
    if progress is not None:
        progress(steps, steps)
    return {"function": name, "method": method, "lr": lr, "steps": steps, "seeds": seeds,
            "K": K, "distribution": distribution, "x0": x0, "iterations": np.array(rec),
            "path": path, "loss": loss, "diverged_at": diverged_at}


def step_times(name, K=1, n_steps=100, rounds=10):
    """Seconds per iteration of ONE run of GD and of FGD (K JVPs per step), thread CPU time.

    GD and FGD are timed in alternating rounds of `n_steps` iterations and the fastest round of
    each is kept, so both see the same conditions. Used for the loss-vs-time axis (the seeds of
    `run_test_function` share their passes, so its own time is not one run's).
    Returns {"gd": seconds, "fgd": seconds}.
    """
    tf = FUNCTIONS[name]
    rng = np.random.default_rng(0)
    vg = value_and_grad(tf.f)

    def gd():
        x = np.asarray(tf.x0, dtype=float)
        for _ in range(n_steps):
            _, g = vg(x)
            x = x - 1e-6 * g

    def fgd():
        x = np.asarray(tf.x0, dtype=float)
        for _ in range(n_steps):
            step = 0.0
            for _ in range(K):
                v = rng.standard_normal(2)
                _, d = jvp(tf.f, (x,), (v,))
                step = step + d * v
            x = x - 1e-6 * step / K

    with np.errstate(all="ignore"):
        best = time_calls({"gd": gd, "fgd": fgd}, repeats=1, rounds=rounds)
    return {k: v / n_steps for k, v in best.items()}


@lru_cache(maxsize=32)
def _cached_step_times(name, K):
    return step_times(name, K)


def _sub_progress(progress, lo, hi):
    """A progress callback reporting into the fraction [lo, hi] of `progress`."""
    if progress is None:
        return None
    return lambda done, total: progress(lo + (hi - lo) * (done / total if total else 1.0), 1.0)


def compare_on_test_function(name="beale", lr=None, steps=None, n_seeds=5, K=1,
                             distribution="gaussian", first_seed=0, record_every=None,
                             progress=None):
    """Gradient descent and forward-gradient descent (n_seeds runs) from the same start.

    Returns {"function", "gd", "fgd", "time_per_step"}: the two `run_test_function` results
    and the measured seconds per iteration of one run of each (for the wall-clock axis).
    """
    tf = FUNCTIONS[name]
    steps = tf.steps if steps is None else int(steps)
    record_every = max(1, steps // 1000) if record_every is None else int(record_every)
    gd = run_test_function(name, "gd", lr, steps, record_every=record_every,
                           progress=_sub_progress(progress, 0.0, 0.5))
    seeds = range(first_seed, first_seed + n_seeds)
    fgd = run_test_function(name, "fgd", lr, steps, seeds, K, distribution,
                            record_every=record_every, progress=_sub_progress(progress, 0.5, 1.0))
    tps = dict(_cached_step_times(name, int(K)))
    return {"function": name, "gd": gd, "fgd": fgd, "time_per_step": tps}


# ----------------------------------------------------------------------------------------
# Digits: logistic regression and an MLP.
# ----------------------------------------------------------------------------------------

MODELS = {"logreg": (64, 10), "mlp": (64, 128, 128, 10)}


def model_sizes(model, hidden=None):
    """Layer sizes for "logreg" (64→10) or "mlp" (64→128→128→10, or 64→hidden→10)."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {list(MODELS)}, got {model!r}")
    if model == "mlp" and hidden is not None:
        return (64, *hidden, 10)
    return MODELS[model]


def train_digits(model="mlp", method="backprop", lr=0.05, steps=500, seed=0, K=1,
                 distribution="gaussian", batch_size=64, decay=0.0, hidden=None,
                 activation="relu", engine="gradlab", eval_every=None, clip=None,
                 layerwise=False, diverge_factor=100.0, progress=None):
    """Train on the digits by `method` ("backprop", "forward" or "activity"); record curves.

    Learning rate η_i = lr · exp(−i · decay) (the paper's schedule). `clip`: if set, rescale each
    update to have global norm at most `clip` (one reproduction needed this). A run counts as
    diverged, and stops, when a batch loss is not finite or exceeds diverge_factor × max(1, the
    first batch loss) (cross-entropy that large means the weights have blown up). The seed fixes the
    data split, the initial weights, the minibatch order and the random directions.
    Returns a dict with "iterations", "time" (cumulative training seconds, evaluation excluded;
    CPU time of the one computing thread, see `_clock`),
    "train_loss" (full training set), "test_accuracy", "batch_loss" (every step) and
    "diverged_at" (−1 if never).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    sizes = model_sizes(model, hidden)
    data = load_digits_split(seed)
    rng = np.random.default_rng(seed)
    params = mlp.init_params(list(sizes), rng, "he" if activation == "relu" else "glorot")
    batches = batch_stream(rng, data.n_train, batch_size)
    Ytr = data.Y_train
    eval_every = max(1, steps // 25) if eval_every is None else int(eval_every)
    its, times, tr_loss, te_acc = [], [], [], []
    batch_loss = np.full(steps, np.nan)
    diverged_at = -1
    elapsed = 0.0
    options = {"engine": engine}
    if method != "backprop":
        options.update(K=K, distribution=distribution)
    if method == "activity":
        options["layerwise"] = layerwise
    est_name = {"backprop": "exact", "forward": "forward", "activity": "activity"}[method]
    report_every = max(1, steps // 50)

    def evaluate(t):
        with np.errstate(all="ignore"):
            value = mlp.np_loss(params, data.X_train, Ytr, activation)
            acc = mlp.accuracy(params, data.X_test, data.y_test, activation)
        its.append(t)
        times.append(elapsed)
        tr_loss.append(value if np.isfinite(value) else np.inf)
        te_acc.append(acc if np.isfinite(value) else np.nan)

    with np.errstate(all="ignore"), one_blas_thread():
        for t in range(steps):
            if t % eval_every == 0:
                evaluate(t)
            idx = next(batches)
            f = mlp.Objective(data.X_train[idx], Ytr[idx], activation)
            start = _clock()
            est = estimate(est_name, f, params, rng, **options)
            g = est.grad
            if clip is not None:
                norm = math.sqrt(sum(float(np.sum(gi * gi)) for gi in g))
                if norm > clip:
                    g = [gi * (clip / norm) for gi in g]
            eta = lr * math.exp(-t * decay)
            params = [p - eta * gi for p, gi in zip(params, g)]
            elapsed += _clock() - start
            batch_loss[t] = est.value
            if t == 0:
                limit = diverge_factor * max(1.0, float(est.value))
            if not (np.isfinite(est.value) and est.value < limit and _finite(params)):
                diverged_at = t
                break
            if progress is not None and ((t + 1) % report_every == 0 or t + 1 == steps):
                progress(t + 1, steps)
        if diverged_at < 0:
            evaluate(steps)
        else:
            its.append(diverged_at)
            times.append(elapsed)
            tr_loss.append(np.inf)
            te_acc.append(np.nan)
    return {"model": model, "method": method, "lr": lr, "steps": steps, "seed": seed, "K": K,
            "distribution": distribution, "batch_size": batch_size, "decay": decay,
            "sizes": list(sizes), "engine": engine, "n_params": mlp.n_params(params),
            "iterations": np.array(its), "time": np.array(times),
            "train_loss": np.array(tr_loss), "test_accuracy": np.array(te_acc),
            "batch_loss": batch_loss, "diverged_at": diverged_at}


def time_calls(fns, repeats=100, rounds=5):
    """Seconds per call of each function in `fns` (name → fn), timed in interleaved rounds.

    Each round times `repeats` calls of each function in turn (thread CPU time, see `_clock`);
    the fastest round is kept (the usual timeit rule: slower rounds measure disturbances).
    """
    for fn in fns.values():  # warm up
        fn()
    best = {k: math.inf for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            start = _clock()
            for _ in range(repeats):
                fn()
            best[k] = min(best[k], (_clock() - start) / repeats)
    return best


# Learning rates: roughly the largest stable value of a small sweep (2000 steps, 2 seeds,
# η_i = η₀·exp(−10⁻⁴ i)); the forward-gradient variants need far smaller steps than backprop
# because their variance is (n+1)/K times the squared gradient (n = number of parameters).
DIGITS_METHODS = {
    "logreg": (
        {"label": "backprop", "method": "backprop", "lr": 0.3},
        {"label": "forward K=1", "method": "forward", "lr": 0.005, "K": 1},
        {"label": "forward K=4", "method": "forward", "lr": 0.02, "K": 4},
        {"label": "activity", "method": "activity", "lr": 0.05},
    ),
    "mlp": (
        {"label": "backprop", "method": "backprop", "lr": 0.1},
        {"label": "forward K=1", "method": "forward", "lr": 0.001, "K": 1},
        {"label": "forward K=4", "method": "forward", "lr": 0.003, "K": 4},
        {"label": "activity", "method": "activity", "lr": 0.01},
    ),
}


def common_lr_specs(lr, K=1):
    """Backprop and forward gradient (K directions) at one and the same η₀: the paper's
    protocol (it trains both with η₀ = 2·10⁻⁴)."""
    return ({"label": "backprop", "method": "backprop", "lr": float(lr)},
            {"label": f"forward K={K}", "method": "forward", "lr": float(lr), "K": int(K)})


def compare_digits_methods(model="mlp", specs=None, steps=300, seeds=(0, 1), decay=1e-4,
                           engine="gradlab", batch_size=64, progress=None, **train_options):
    """Train `model` by each method of `specs` (default DIGITS_METHODS[model]) for every seed.

    Returns {"model", "specs", "seeds", "runs": {label: [train_digits result per seed]}}.
    """
    specs = DIGITS_METHODS[model] if specs is None else specs
    seeds = [int(s) for s in seeds]
    runs = {}
    total = len(specs) * len(seeds)
    done = 0
    for spec in specs:
        options = {k: v for k, v in spec.items() if k != "label"}
        runs[spec["label"]] = []
        for seed in seeds:
            sub = _sub_progress(progress, done / total, (done + 1) / total)
            runs[spec["label"]].append(train_digits(
                model, steps=steps, seed=seed, decay=decay, engine=engine,
                batch_size=batch_size, progress=sub, **options, **train_options))
            done += 1
    return {"model": model, "specs": [dict(s) for s in specs], "seeds": seeds, "runs": runs,
            "steps": steps, "engine": engine}


def final_metrics(runs):
    """Per seed final (train loss, test accuracy) of a list of runs: two arrays."""
    loss = np.array([r["train_loss"][-1] for r in runs], dtype=float)
    acc = np.array([r["test_accuracy"][-1] for r in runs], dtype=float)
    return loss, acc


def time_to_loss(run, target):
    """Training seconds (and iterations) until the full training loss first reaches `target`.

    Returns (seconds, iteration), or (nan, nan) if the run never gets there (evaluation points
    only: the answer is as coarse as eval_every).
    """
    hit = np.flatnonzero(np.asarray(run["train_loss"]) <= target)
    if not hit.size:
        return math.nan, math.nan
    return float(run["time"][hit[0]]), float(run["iterations"][hit[0]])


def runtime_ratios(sizes=(64, 128, 128, 10), batch_size=64, engine="gradlab", repeats=100,
                   rounds=5, seed=0, activation="relu"):
    """Per-iteration cost of a forward-gradient step and a backprop step, relative to f.

    The paper's measure: R_f = time(forward-gradient step) / time(f) and R_b = time(backprop
    step) / time(f), where f is the batch loss run by the same engine (gradlab.numpy on plain
    arrays for "gradlab", plain numpy for "numpy"). A forward-gradient step = draw v (one number
    per parameter) + one JVP + the update; a backprop step = one VJP + the update. The parts are
    timed too: "sample", "jvp" and "grad" (one pass each), and the forward-gradient step with v
    already drawn ("t_fg_given_v"). One BLAS thread; fastest of `rounds`. Returns the times (s)
    and "R_f", "R_b", "ratio" = R_f / R_b; "R_f_given_v", "ratio_given_v" (the same without the
    cost of drawing v); "sample_over_f" (drawing v alone, in units of f); "jvp_over_grad".
    """
    rng = np.random.default_rng(seed)
    data = load_digits_split(0)
    params = mlp.init_params(list(sizes), rng)
    idx = rng.choice(data.n_train, batch_size, replace=False)
    f = mlp.Objective(data.X_train[idx], data.Y_train[idx], activation)
    V = [rng.standard_normal(p.shape) for p in params]
    if engine == "numpy":
        def f_eval():
            return mlp.np_loss(params, f.X, f.Y, activation)

        def jvp_pass():
            return mlp.np_jvp(params, V, f.X, f.Y, activation)

        def grad_pass():
            return mlp.np_value_and_grad(params, f.X, f.Y, activation)
    elif engine == "gradlab":
        def f_eval():
            return f(params)

        def jvp_pass():
            return jvp(f, (params,), (V,))

        def grad_pass():
            return value_and_grad(f)(params)
    else:
        raise ValueError(f"engine must be 'gradlab' or 'numpy', got {engine!r}")

    def sample():
        return [rng.standard_normal(p.shape) for p in params]

    def fg_step():
        est = estimate("forward", f, params, rng, engine=engine)
        return [p - 1e-3 * g for p, g in zip(params, est.grad)]

    def fg_step_given_v():  # the same step with the direction already drawn
        _, d = jvp_pass()
        return [p - 1e-3 * float(d) * v for p, v in zip(params, V)]

    def bp_step():
        est = estimate("exact", f, params, engine=engine)
        return [p - 1e-3 * g for p, g in zip(params, est.grad)]

    fns = {"t_f": f_eval, "t_jvp": jvp_pass, "t_grad": grad_pass, "t_sample": sample,
           "t_fg": fg_step, "t_fg_given_v": fg_step_given_v, "t_bp": bp_step}
    with one_blas_thread():
        out = time_calls(fns, repeats, rounds)
    out["R_f"] = out["t_fg"] / out["t_f"]
    out["R_b"] = out["t_bp"] / out["t_f"]
    out["ratio"] = out["R_f"] / out["R_b"]
    out["R_f_given_v"] = out["t_fg_given_v"] / out["t_f"]
    out["ratio_given_v"] = out["R_f_given_v"] / out["R_b"]
    out["sample_over_f"] = out["t_sample"] / out["t_f"]
    out["jvp_over_grad"] = out["t_jvp"] / out["t_grad"]
    out.update(engine=engine, sizes=list(sizes), batch_size=batch_size)
    return out


# ----------------------------------------------------------------------------------------
# The price of dimension: f(x) = ½‖x‖², where everything is exact.
# ----------------------------------------------------------------------------------------

def quadratic_rate(n, lr, distribution="gaussian"):
    """E[f(x_{t+1})] / f(x_t) for forward-gradient descent on f = ½‖x‖² in dimension n.

    x_{t+1} = x − η (x·v) v, so E‖x_{t+1}‖² = ‖x‖² (1 − 2η + η² m) with m = E v⁴-ish term:
    m = n + 2 for Gaussian v, m = n for Rademacher v.
    """
    m = n + 2 if distribution == "gaussian" else n
    return 1.0 - 2.0 * lr + lr * lr * m


def optimal_lr(n, distribution="gaussian"):
    """The η minimising `quadratic_rate`: 1/(n+2) (Gaussian) or 1/n (Rademacher)."""
    return 1.0 / (n + 2) if distribution == "gaussian" else 1.0 / n


def steps_to_reach(n, factor=1e-3, lr=None, distribution="gaussian"):
    """Iterations until E f falls by `factor`: ln(factor) / ln(rate) — ≈ (n+2)·ln(1/factor)."""
    lr = optimal_lr(n, distribution) if lr is None else lr
    rate = quadratic_rate(n, lr, distribution)
    if rate >= 1.0:
        return math.inf
    if rate <= 0.0:
        return 1.0
    return math.log(factor) / math.log(rate)


def quadratic_fgd(n, steps, rng, n_runs=20, lr=None, distribution="gaussian"):
    """Forward-gradient descent on f(x) = ½‖x‖² from random unit-norm starts, n_runs at once.

    Every JVP is by our forward mode (one batched pass for all runs). Returns the (n_runs,
    steps+1) array of f(x_t)/f(x_0).
    """
    lr = optimal_lr(n, distribution) if lr is None else lr

    def f(X):
        return 0.5 * gnp.sum(X * X, axis=-1)

    X = rng.standard_normal((n_runs, n))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    out = np.empty((n_runs, steps + 1))
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            V = sample_directions(rng, (n_runs, n), distribution)
            values, d = jvp(f, (X,), (V,))
            out[:, t] = values
            if t < steps:
                X = X - lr * d[:, None] * V
    return out / out[:, :1]


def quadratic_steps_vs_dimension(ns, factor=1e-3, n_runs=20, distribution="gaussian", seed=0,
                                 progress=None):
    """Forward-gradient descent on ½‖x‖² at the optimal η for each n: steps until the mean loss
    falls by `factor`, measured and in closed form (≈ (n+2)·ln(1/factor) for Gaussian v)."""
    rng = np.random.default_rng(seed)
    measured, theory, curves = [], [], []
    for i, n in enumerate(ns):
        th = steps_to_reach(n, factor, distribution=distribution)
        steps = int(math.ceil(1.5 * th)) + 5
        curve = quadratic_fgd(n, steps, rng, n_runs, distribution=distribution).mean(axis=0)
        measured.append(first_crossing(curve, factor))
        theory.append(th)
        curves.append(curve)
        if progress is not None:
            progress(i + 1, len(ns))
    return {"n": np.array(ns), "factor": factor, "distribution": distribution,
            "measured_steps": np.array(measured), "theory_steps": np.array(theory),
            "curves": curves, "n_runs": n_runs}


def _rowwise_test_function(X, c):
    """f(x) = Σ_i c_i x_i² / 2 + x_i, row by row: a quadratic whose gradient c ⊙ x + 1 is known."""
    return gnp.sum((0.5 * c) * X * X + X, axis=-1)


def cosine_samples(n, K=1, distribution="gaussian", n_samples=2000, seed=0, chunk_floats=2e6):
    """n_samples forward gradients of a smooth f at a random point in dimension n.

    Every directional derivative is a JVP by our forward mode, batched: the rows of X are copies
    of the point, f acts row by row, so one JVP along V gives a whole block of ∇f·v_k.
    Returns {"cosines", "relative_errors", "grad", ...} (cosines to the true gradient).
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    c = rng.uniform(0.5, 2.0, n)  # curvatures: the gradient's coordinates differ in size
    a = c * x + 1.0  # ∇f(x), also checked against reverse mode in the tests

    def f(X):
        return _rowwise_test_function(X, c)

    block = int(max(1, chunk_floats // n))
    cos, rel = [], []
    with one_blas_thread():
        total = _cosine_blocks(f, x, a, K, distribution, n_samples, block, rng, cos, rel)
    return {"n": n, "K": K, "distribution": distribution, "n_samples": n_samples, "seed": seed,
            "cosines": np.concatenate(cos), "relative_errors": np.concatenate(rel), "grad": a,
            "mean_estimate": total / n_samples}


def _cosine_blocks(f, x, a, K, distribution, n_samples, block, rng, cos, rel):
    from ..estimators.gradient_error import cosine

    n = x.size
    total = np.zeros(n)
    for start in range(0, n_samples, block):
        S = min(block, n_samples - start)
        X = np.broadcast_to(x, (S, n))
        G = np.zeros((S, n))
        for _ in range(K):
            V = sample_directions(rng, (S, n), distribution)
            _, d = jvp(f, (X,), (V,))
            G += d[:, None] * V
        G /= K
        total += G.sum(axis=0)
        cos.append(cosine(G, a))
        rel.append(np.linalg.norm(G - a, axis=1) / np.linalg.norm(a))
    return total


def estimator_moments(n, seeds, n_samples=4000, K=1, distribution="gaussian"):
    """Is the forward gradient unbiased, and is its error (n+1)‖∇f‖²/K? One row per seed.

    Per seed (a new point and new curvatures): S = n_samples forward gradients g_s of a smooth f
    in dimension n. "bias_stat" = ‖ḡ − ∇f‖² / ((n+1)‖∇f‖²/(K·S)): the squared error of their
    mean over what the variance alone predicts for it (E = 1 exactly when E g = ∇f; a bias b
    adds K·S‖b‖²/((n+1)‖∇f‖²)). "mse_ratio" = mean ‖g − ∇f‖² / ((n+1)‖∇f‖²/K): the measured
    error over the closed form (Rademacher: n−1 in place of n+1).
    """
    c = n + 1 if distribution == "gaussian" else n - 1
    bias, mse = [], []
    for seed in seeds:
        r = cosine_samples(n, K, distribution, n_samples, int(seed))
        a = r["grad"]
        a2 = float(a @ a)
        err = r["mean_estimate"] - a
        bias.append(float(err @ err) / (c * a2 / (K * n_samples)))
        mse.append(float(np.mean(r["relative_errors"] ** 2)) / (c / K))
    return {"n": n, "K": K, "distribution": distribution, "n_samples": n_samples,
            "seeds": [int(s) for s in seeds], "bias_stat": np.array(bias),
            "mse_ratio": np.array(mse)}


def cosine_vs_dimension(ns, K=1, distribution="gaussian", n_samples=1000, seed=0, progress=None):
    """Mean and spread of cos(g, ∇f) for each dimension n, beside the closed forms."""
    from ..estimators.gradient_error import cosine_std, expected_cosine, expected_cosine_asymptotic

    mean, std = [], []
    for i, n in enumerate(ns):
        c = cosine_samples(n, K, distribution, n_samples, seed + i)["cosines"]
        mean.append(c.mean())
        std.append(c.std(ddof=1))
        if progress is not None:
            progress(i + 1, len(ns))
    return {"n": np.array(ns), "K": K, "distribution": distribution, "n_samples": n_samples,
            "mean_cos": np.array(mean), "std_cos": np.array(std),
            "theory_mean": np.array([expected_cosine(n) for n in ns]),
            "theory_std": np.array([cosine_std(n) for n in ns]),
            "asymptotic": np.array([expected_cosine_asymptotic(n) for n in ns])}


def first_crossing(curve, factor):
    """The first index where `curve` ≤ factor (or NaN if it never gets there)."""
    hit = np.flatnonzero(np.asarray(curve) <= factor)
    return float(hit[0]) if hit.size else math.nan
