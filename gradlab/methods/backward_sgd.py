"""Iteration order: the same SGD steps composed forwards, backwards, or backwards in windows.

Batch i defines an update map  Tᵢ(θ) = θ − η ∇L_{Bᵢ}(θ)  (constant learning rate η).

    forward SGD   θₙ = Tₙ ∘ Tₙ₋₁ ∘ … ∘ T₁(θ₀)     the usual loop: the newest batch is applied last
    backward SGD  θ̃ₙ = T₁ ∘ T₂ ∘ … ∘ Tₙ(θ₀)      the newest batch is applied first, to θ₀

Backward SGD keeps only θ₀ and the batch *indices*: step n recomputes the whole chain from θ₀,
newest batch first, which costs n gradient evaluations (N(N+1)/2 for N steps, O(N²)).

Why the order matters (the backward contraction principle, Diaconis & Freedman 1999). Near a
minimum each Tᵢ contracts on average. Then θ̃ₙ₊₁ − θ̃ₙ = T₁∘…∘Tₙ(Tₙ₊₁(θ₀)) − T₁∘…∘Tₙ(θ₀): the same
n maps applied to two points, so the difference shrinks geometrically and θ̃ₙ converges to a
*point* θ̃_∞ (one per batch sequence). Forward SGD applies the newest, fresh-noise map last, so it
never settles: it converges only in law, to a stationary *distribution*. For i.i.d. batches θ̃ₙ and
θₙ have the same law, so θ̃_∞ is a sample from forward SGD's stationary distribution.

Windowed backward SGD (O(k) per step) is the practical variant the paper mentions. **The paper's
exact windowed variant is not known to us** (only its abstract and introduction were readable);
this module implements two readings and the experiments compare them:
  (a) ``"sliding"``: θ̂ₙ = T_{n−k+1} ∘ … ∘ T_{n−1} ∘ Tₙ(θ̂ₙ₋₁) — the k newest batches applied to
      the previous iterate, newest first; k gradient evaluations per step; k = 1 is forward SGD.
  (b) ``"blocked"``: steps are cut into blocks of k; inside a block the iterate is the backward
      composition of the block's batches so far, from the block's starting point; the next block
      starts where this one ended. j evaluations at the j-th step of a block, (k+1)/2 per step on
      average; k = 1 is forward SGD and k ≥ N is full backward SGD.

Every function takes `grad_fn(theta, batch) -> gradient` (a batch is whatever `batches[i]` holds:
an index array, a seed, a noise draw...), an initial point, the sequence of batches and η, and
returns a `Trajectory`: the iterates and the gradient evaluations spent (counted, not assumed).
`theta` may carry a leading axis of independent runs (e.g. one row per seed) as long as
`grad_fn` treats rows independently: the compositions never mix them.

`compose_backward` — the heart of backward SGD, a few lines — is kept separate on purpose: it is
what a student writes in the exercise.

The end of the module holds two small problems where everything is known (scalar AR(1), noisy
least squares) and the whole comparisons the experiments, the notebook and its widgets share:
`digits_orders` (an MLP on the 8×8 digits) and `orders_2d` (a 2-D least-squares picture).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from math import comb

import numpy as np

__all__ = [
    "Trajectory", "sgd_step", "compose_forward", "compose_backward", "forward_sgd",
    "backward_sgd", "windowed_backward_sgd", "lie_bracket", "step_sizes", "fit_log_slope",
    "lyapunov_exponent", "ks_two_sample", "ar1_grad", "ar1_stationary_variance",
    "ar1_backward_closed_form", "ar1_compare", "LeastSquares", "make_least_squares",
    "contraction_predictions",
    "DigitsMLP", "digits_orders", "tail_stats", "orders_2d", "progress_slices",
    "tail_spread", "across_spread", "implicit_lyapunov_exponent", "lanczos_extreme_eigenvalues",
    "ContractiveMLP", "both_orders",
]

WINDOW_MODES = ("sliding", "blocked")
_HUGE = 1e100  # beyond this the run is called diverged (and we stop before overflow warnings)


@dataclass
class Trajectory:
    """The iterates of one method and what they cost.

    thetas[n] is the iterate after n steps (thetas[0] = θ₀); after a divergence the remaining
    rows are NaN and `diverged_at` is the first step whose iterate was not finite (or huge).
    grad_evals[n] is the number of gradient evaluations spent to produce thetas[0..n].
    records[n] is `observe(thetas[n])` when an observer was given (losses, accuracies...).
    step_norms[n] = ‖θₙ₊₁ − θₙ‖ (over all entries), kept even when the iterates are not.
    """

    method: str
    thetas: np.ndarray | None
    grad_evals: np.ndarray
    diverged_at: int | None = None
    records: list = field(default_factory=list)
    step_norms: np.ndarray | None = None

    @property
    def n_steps(self):
        return len(self.grad_evals) - 1

    @property
    def total_grad_evals(self):
        return int(self.grad_evals[-1])

    @property
    def final(self):
        return self.thetas[-1]


class _Counter:
    """Wraps grad_fn and counts its calls (one call = one gradient evaluation)."""

    def __init__(self, grad_fn):
        self.grad_fn = grad_fn
        self.calls = 0

    def __call__(self, theta, batch):
        self.calls += 1
        return self.grad_fn(theta, batch)


def sgd_step(grad_fn, theta, batch, lr):
    """The update map of one batch: T_B(θ) = θ − η ∇L_B(θ)."""
    return theta - lr * grad_fn(theta, batch)


def compose_forward(grad_fn, theta0, batches, lr):
    """Tₙ ∘ … ∘ T₁(θ₀): apply the batches oldest first (plain SGD), return the end point."""
    theta = theta0
    for batch in batches:
        theta = sgd_step(grad_fn, theta, batch, lr)
    return theta


def compose_backward(grad_fn, theta0, batches, lr):
    """T₁ ∘ T₂ ∘ … ∘ Tₙ(θ₀): apply the batches newest first, oldest last; return the end point.

    batches = [B₁, …, Bₙ] in the order they were drawn. This costs n gradient evaluations.
    """
    theta = theta0
    for batch in reversed(batches):
        theta = sgd_step(grad_fn, theta, batch, lr)
    return theta


def _bad(theta, limit=_HUGE):
    theta = np.asarray(theta)
    return not np.all(np.isfinite(theta)) or np.max(np.abs(theta), initial=0.0) > limit


class _Recorder:
    """Collects iterates, costs and observations; pads with NaN after a divergence."""

    def __init__(self, method, theta0, n_steps, keep_thetas, observe, limit=_HUGE):
        self.method = method
        self.limit = limit
        self.n_steps = n_steps
        self.keep = keep_thetas
        self.observe = observe
        theta0 = np.asarray(theta0, dtype=float)
        self.thetas = np.full((n_steps + 1,) + theta0.shape, np.nan) if keep_thetas else None
        self.evals = np.zeros(n_steps + 1, dtype=np.int64)
        self.step_norms = np.full(n_steps, np.nan)
        self.records = []
        self.diverged_at = None
        self.last = theta0
        self.put(0, theta0, 0)

    def put(self, n, theta, evals):
        """Store the iterate after step n; return False (stop) if it diverged."""
        self.evals[n] = evals
        if _bad(theta, self.limit):
            self.diverged_at = n
            self.evals[n:] = evals
            return False
        theta = np.asarray(theta, dtype=float)
        if n > 0:
            self.step_norms[n - 1] = np.sqrt(np.sum((theta - self.last) ** 2))
        self.last = theta
        if self.keep:
            self.thetas[n] = theta
        if self.observe is not None:
            self.records.append(self.observe(theta))
        return True

    def done(self):
        return Trajectory(self.method, self.thetas, self.evals, self.diverged_at, self.records,
                          self.step_norms)


def _errstate():
    return np.errstate(over="ignore", invalid="ignore", divide="ignore")


def _report(progress, done, total):
    if progress is not None:
        progress(done, total)


def forward_sgd(grad_fn, theta0, batches: Sequence, lr, *, keep_thetas=True, observe=None,
                progress=None, limit=_HUGE) -> Trajectory:
    """Plain SGD, θₙ = Tₙ(θₙ₋₁): one gradient evaluation per step.

    Common keywords (all three loops): keep_thetas (store every iterate), observe (a function
    of θ recorded at every step), progress(done, total), limit (an iterate with an entry larger
    than this in size counts as diverged; the run stops there).
    """
    count = _Counter(grad_fn)
    rec = _Recorder("forward", theta0, len(batches), keep_thetas, observe, limit)
    theta = rec.last
    with _errstate():
        for n, batch in enumerate(batches, start=1):
            theta = sgd_step(count, theta, batch, lr)
            if not rec.put(n, theta, count.calls):
                break
            _report(progress, n, len(batches))
    return rec.done()


def backward_sgd(grad_fn, theta0, batches: Sequence, lr, *, keep_thetas=True, observe=None,
                 progress=None, limit=_HUGE) -> Trajectory:
    """Backward SGD, θ̃ₙ = T₁ ∘ … ∘ Tₙ(θ₀), recomputed from θ₀ at every step.

    Only θ₀ and the batches (indices) are kept; step n costs n gradient evaluations, so N steps
    cost N(N+1)/2. Stops (NaN afterwards) at the first non-finite iterate.
    """
    count = _Counter(grad_fn)
    rec = _Recorder("backward", theta0, len(batches), keep_thetas, observe, limit)
    theta0 = rec.last
    total = len(batches) * (len(batches) + 1) // 2
    with _errstate():
        for n in range(1, len(batches) + 1):
            theta = compose_backward(count, theta0, batches[:n], lr)
            if not rec.put(n, theta, count.calls):
                break
            _report(progress, n * (n + 1) // 2, total)
    return rec.done()


def windowed_backward_sgd(grad_fn, theta0, batches: Sequence, lr, window, mode="sliding", *,
                          keep_thetas=True, observe=None, progress=None,
                          limit=_HUGE) -> Trajectory:
    """Windowed backward SGD with window k, in one of two readings (the paper's is unknown to us).

    mode="sliding": θ̂ₙ = T_{n−k+1} ∘ … ∘ Tₙ(θ̂ₙ₋₁), the k newest batches (fewer at the start)
        applied to the previous iterate, newest first; min(n, k) evaluations at step n.
    mode="blocked": with n = mk + j (1 ≤ j ≤ k), θ̂ₙ = T_{mk+1} ∘ … ∘ T_{mk+j}(θ̂_{mk}), the
        backward composition inside the current block from the block's starting point;
        j evaluations at step n.
    """
    k = int(window)
    if k < 1:
        raise ValueError(f"window must be at least 1, got {window!r}")
    if mode not in WINDOW_MODES:
        raise ValueError(f"mode must be one of {WINDOW_MODES}, got {mode!r}")
    count = _Counter(grad_fn)
    rec = _Recorder(f"{mode} k={k}", theta0, len(batches), keep_thetas, observe, limit)
    theta = rec.last
    start = theta  # blocked: the block's starting point
    n_total = len(batches)
    with _errstate():
        for n in range(1, n_total + 1):
            if mode == "sliding":
                theta = compose_backward(count, theta, batches[max(0, n - k):n], lr)
            else:
                block_first = ((n - 1) // k) * k  # index (0-based) of the block's first batch
                if n - 1 == block_first:
                    start = theta
                theta = compose_backward(count, start, batches[block_first:n], lr)
            if not rec.put(n, theta, count.calls):
                break
            _report(progress, n, n_total)
    return rec.done()


# ---------------------------------------------------------------------------------------------
# Second order: the two orders differ by a Lie bracket
# ---------------------------------------------------------------------------------------------

def lie_bracket(grad_fn, hvp_fn, theta, batch_a, batch_b, lr):
    """η² (H_a g_b − H_b g_a) at θ: the leading term of T_a∘T_b(θ) − T_b∘T_a(θ).

    T_a∘T_b(θ) = θ − η g_b − η g_a(θ − η g_b) = θ − η(g_a + g_b) + η² H_a g_b + O(η³), and
    swapping a and b gives the other order, so the two orders agree to first order in η and
    differ at second order by this bracket of the two gradient fields.
    hvp_fn(theta, batch, v) must return H_batch(θ) v (e.g. with gradlab.hvp).

    We do not offer a "bracket-corrected" optimiser: turning one forward pair T_b∘T_a into the
    backward pair T_a∘T_b this way costs two gradients and two Hessian-vector products, while
    composing the pair backwards directly costs two gradients and is exact.
    """
    g_a = grad_fn(theta, batch_a)
    g_b = grad_fn(theta, batch_b)
    return lr**2 * (hvp_fn(theta, batch_a, g_b) - hvp_fn(theta, batch_b, g_a))


# ---------------------------------------------------------------------------------------------
# Measuring contraction
# ---------------------------------------------------------------------------------------------

def step_sizes(thetas, run_axis=False):
    """‖θₙ₊₁ − θₙ‖ for n = 0..N−1 (per run along axis 1 if `run_axis`: thetas is (N+1, R, ...))."""
    diff = np.diff(np.asarray(thetas, dtype=float), axis=0)
    if run_axis:
        return np.sqrt(np.sum(diff.reshape(diff.shape[0], diff.shape[1], -1) ** 2, axis=-1))
    return np.sqrt(np.sum(diff.reshape(diff.shape[0], -1) ** 2, axis=-1))


def fit_log_slope(values, floor=1e-13, start=0):
    """Least-squares slope of log(values[n]) against n, using n ≥ start with values > floor.

    For a geometric decay values[n] ≈ C ρⁿ this is log ρ (per step). Returns NaN if fewer than
    three usable points.
    """
    values = np.asarray(values, dtype=float)
    n = np.arange(len(values))
    ok = (n >= start) & np.isfinite(values) & (values > floor)
    # stop at the first value that reached the floor: beyond it is rounding noise
    below = np.flatnonzero((n >= start) & ~(values > floor))
    if below.size:
        ok &= n < below[0]
    if ok.sum() < 3:
        return float("nan")
    return float(np.polyfit(n[ok], np.log(values[ok]), 1)[0])


def lyapunov_exponent(matrices, rng=None):
    """Top Lyapunov exponent lim (1/n) log‖Mₙ⋯M₁ v‖ of a product of random matrices.

    matrices: array (R, n, d, d) — R independent runs of n i.i.d. matrices each (e.g. I − ηH_B
    for random batches B). A random unit vector is pushed through each product and renormalised
    at every step (so nothing overflows), summing the log growth factors. Returns (mean over
    runs, std over runs) of the per-step exponent.
    """
    matrices = np.asarray(matrices, dtype=float)
    runs, n_steps, d, _ = matrices.shape
    rng = np.random.default_rng(0) if rng is None else rng
    v = rng.normal(size=(runs, d))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    total = np.zeros(runs)
    with np.errstate(divide="ignore"):
        for t in range(n_steps):
            v = np.einsum("rij,rj->ri", matrices[:, t], v)
            norm = np.linalg.norm(v, axis=1)
            total += np.log(norm)
            v /= np.where(norm > 0, norm, 1.0)[:, None]
    estimates = total / n_steps
    return float(np.mean(estimates)), float(np.std(estimates))


def ks_two_sample(a, b):
    """Two-sample Kolmogorov–Smirnov test: D = sup |F_a − F_b| and its asymptotic p-value.

    p = Q(√(nm/(n+m)) · D) with Q(λ) = 2 Σ_{j≥1} (−1)^{j−1} exp(−2j²λ²) (Kolmogorov's law),
    good for samples of a few dozen and more. Large p: no evidence that the laws differ.
    """
    a = np.sort(np.asarray(a, dtype=float).ravel())
    b = np.sort(np.asarray(b, dtype=float).ravel())
    both = np.concatenate([a, b])
    d = float(np.max(np.abs(np.searchsorted(a, both, side="right") / a.size
                            - np.searchsorted(b, both, side="right") / b.size)))
    n = a.size * b.size / (a.size + b.size)
    lam = (np.sqrt(n) + 0.12 + 0.11 / np.sqrt(n)) * d  # Stephens' small-sample correction
    if lam < 1e-3:
        return d, 1.0
    j = np.arange(1, 101)
    p = 2.0 * np.sum((-1.0) ** (j - 1) * np.exp(-2.0 * j**2 * lam**2))
    return d, float(min(1.0, max(0.0, p)))


# ---------------------------------------------------------------------------------------------
# Two problems where everything is known: scalar AR(1) and noisy least squares
# ---------------------------------------------------------------------------------------------

def ar1_grad(theta, xi):
    """Batch "loss" ½(θ − ξ)², gradient θ − ξ: the update is T_ξ(θ) = (1 − η)θ + ηξ (AR(1))."""
    return theta - xi


def ar1_stationary_variance(lr, sigma=1.0):
    """Variance of forward SGD's stationary law for AR(1): ησ²/(2 − η) (needs 0 < η < 2).

    From v = (1 − η)² v + η²σ².
    """
    return lr * sigma**2 / (2.0 - lr)


def ar1_backward_closed_form(theta0, xis, lr):
    """θ̃ₙ = (1 − η)ⁿ θ₀ + η Σᵢ (1 − η)^{i−1} ξᵢ, the backward iterate of AR(1) in closed form."""
    xis = np.asarray(xis, dtype=float)
    n = len(xis)
    weights = (1.0 - lr) ** np.arange(n)
    return (1.0 - lr) ** n * np.asarray(theta0, dtype=float) + lr * np.tensordot(weights, xis,
                                                                                   axes=1)


def ar1_compare(lr, sigma, n_runs, n_steps, rng):
    """Forward iterates and backward limits of AR(1) for n_runs independent runs (vectorised).

    Returns the forward stationary variance (across runs, averaged over the steps after the
    burn-in), the variance of the backward limits (independent noise), both samples (forward at
    the last step, backward limits) and the Kolmogorov–Smirnov two-sample statistic and p-value.
    """
    theta0 = np.zeros(n_runs)
    fwd_noise = sigma * rng.normal(size=(n_steps, n_runs))
    bwd_noise = sigma * rng.normal(size=(n_steps, n_runs))  # independent: a fair 2-sample test
    fwd = forward_sgd(ar1_grad, theta0, fwd_noise, lr)
    # steps until the start is forgotten: |1−η|^(2n) < 1e-8
    rate = abs(1.0 - lr)
    burn = n_steps // 2 if rate == 0 else min(n_steps // 2, int(np.ceil(np.log(1e-8) /
                                                                      (2 * np.log(rate)))))
    var_fwd = float(np.mean(np.var(fwd.thetas[burn:], axis=1)))
    limits = compose_backward(ar1_grad, theta0, bwd_noise, lr)
    ks_stat, ks_p = ks_two_sample(fwd.thetas[-1], limits)
    return {"lr": lr, "var_forward": var_fwd, "var_backward": float(np.var(limits)),
            "theory": ar1_stationary_variance(lr, sigma), "ks_stat": ks_stat, "ks_p": ks_p,
            "forward_sample": fwd.thetas[-1], "backward_limits": limits,
            "burn_in": burn}


@dataclass
class LeastSquares:
    """L(θ) = 1/(2m) Σᵢ (aᵢ·θ − yᵢ)² with noisy targets (no θ fits every row exactly).

    A batch is an array of row indices, shape (b,), or (R, b) for R independent runs whose
    iterates are the rows of θ (shape (R, d)). The batch Hessian H_B = (1/b) Σ_{i∈B} aᵢaᵢᵀ has
    rank ≤ b: singular whenever b < d.
    """

    A: np.ndarray
    y: np.ndarray

    @property
    def dim(self):
        return self.A.shape[1]

    @property
    def n_rows(self):
        return self.A.shape[0]

    def grad(self, theta, batch):
        """∇L_B(θ) = (1/b) Σ_{i∈B} aᵢ(aᵢ·θ − yᵢ); works row-wise for θ (R, d), batch (R, b)."""
        a = self.A[batch]                                    # (..., b, d)
        r = np.einsum("...bd,...d->...b", a, theta) - self.y[batch]
        return np.einsum("...b,...bd->...d", r, a) / np.shape(batch)[-1]

    def loss(self, theta):
        """Full-data loss (θ may have leading axes)."""
        r = np.einsum("md,...d->...m", self.A, theta) - self.y
        return 0.5 * np.mean(r**2, axis=-1)

    def batch_hessian(self, batch):
        a = self.A[np.asarray(batch)]
        return np.einsum("...bd,...be->...de", a, a) / np.shape(batch)[-1]

    @property
    def hessian(self):
        """E[H_B] = AᵀA/m, the full-data Hessian (the mean batch Hessian for uniform batches)."""
        return self.A.T @ self.A / self.n_rows

    @property
    def optimum(self):
        return np.linalg.lstsq(self.A, self.y, rcond=None)[0]

    def sample_batches(self, rng, n_steps, batch_size, n_runs=None):
        """i.i.d. batches: each one b distinct rows drawn uniformly; shape (N, b) or (N, R, b)."""
        b = int(batch_size)
        if not 1 <= b <= self.n_rows:
            raise ValueError(f"batch_size must be between 1 and {self.n_rows}, got {batch_size}")
        shape = (n_steps,) if n_runs is None else (n_steps, n_runs)
        keys = rng.random(shape + (self.n_rows,))
        return np.argsort(keys, axis=-1)[..., :b]


def make_least_squares(rng, n_rows=48, dim=2, scales=None, noise=0.5, angle=0.5):
    """A noisy least-squares problem: rows aᵢ ~ N(0, diag(scales²)) (rotated by `angle` in the
    first two coordinates), yᵢ = aᵢ·θ* + noise·εᵢ. Rows are normalised to mean ‖aᵢ‖² = trace of
    the design covariance so that the usable learning rates do not depend on the draw."""
    scales = np.linspace(1.0, 0.5, dim) if scales is None else np.asarray(scales, dtype=float)
    A = rng.normal(size=(n_rows, dim)) * scales
    if dim >= 2:
        c, s = np.cos(angle), np.sin(angle)
        rot = np.eye(dim)
        rot[:2, :2] = [[c, -s], [s, c]]
        A = A @ rot.T
    A *= np.sqrt(np.sum(scales**2) / np.mean(np.sum(A**2, axis=1)))
    theta_star = np.ones(dim)
    y = A @ theta_star + noise * rng.normal(size=n_rows)
    return LeastSquares(A, y)


def contraction_predictions(problem: LeastSquares, lr, batch_size, rng, n_steps=2000, n_runs=4):
    """What theory predicts for the backward step decay on a least-squares problem.

    Returns a dict with: "lyapunov" (top Lyapunov exponent of products of I − ηH_B, estimated
    numerically, and its spread), "small_lr" (log(1 − ηλ_min(E[H_B])), its small-η
    approximation), "worst_case_c" (max over *all* batches of ‖I − ηH_B‖₂ when that is cheap to
    enumerate, else over n_steps sampled batches; it is ≥ 1 whenever b < d) and "full_rank"
    (whether every batch Hessian is full rank, b ≥ d).
    """
    d = problem.dim
    sampled = problem.sample_batches(rng, n_steps, batch_size, n_runs)       # (n, R, b)
    matrices = np.eye(d) - lr * problem.batch_hessian(np.swapaxes(sampled, 0, 1))
    lyap, lyap_sd = lyapunov_exponent(matrices, rng)
    lam_min = float(np.linalg.eigvalsh(problem.hessian)[0])
    if comb(problem.n_rows, batch_size) <= 50_000:
        batches = np.array(list(combinations(range(problem.n_rows), batch_size)))
    else:
        batches = problem.sample_batches(rng, n_steps, batch_size)
    eig = np.linalg.eigvalsh(problem.batch_hessian(batches))
    c = float(np.max(np.abs(1.0 - lr * eig)))
    return {"lyapunov": lyap, "lyapunov_sd": lyap_sd,
            "small_lr": float(np.log1p(-lr * lam_min)) if lr * lam_min < 1 else float("nan"),
            "worst_case_c": c, "log_worst_case_c": float(np.log(c)),
            "full_rank": bool(batch_size >= d), "lambda_min": lam_min}


# ---------------------------------------------------------------------------------------------
# Whole comparisons, shared by the experiments (gradlab run backward-sgd), the notebook and its
# widgets: a small MLP on the digits, and a 2-D least-squares picture
# ---------------------------------------------------------------------------------------------

def progress_slices(progress, weights):
    """Split one progress(done, total) bar into consecutive parts with the given weights."""
    total = float(sum(weights))
    starts = np.concatenate([[0.0], np.cumsum(weights)])

    def part(i):
        def report(done, n):
            if progress is not None:
                frac = done / n if n else 1.0
                progress(starts[i] + frac * weights[i], total)
        return report

    return [part(i) for i in range(len(weights))]


def single_threaded_blas():
    """A context in which BLAS uses one thread. Our matrices are small (at most 1347 × 64): a
    multi-threaded BLAS only adds overhead, and on a busy machine it spins — we measured a
    (1347×64)·(64×32) product at 12 ms with threads vs 0.7 ms without. Uses threadpoolctl
    (installed with scikit-learn); a no-op without it."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        from contextlib import nullcontext
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


DIGITS_LIMIT = 1e6  # a weight this large means the run has diverged (trained weights are O(1))
PLANE_LIMIT = 1e6   # the same for the 2-D explorer (the optimum is near (1, 1))


class DigitsMLP:
    """An MLP on the digits as a function of one flat parameter vector, for the SGD loops.

    grad(θ, batch) is the gradient of the mean cross-entropy on the training rows `batch`,
    computed by gradlab's reverse mode (`gradlab.grad(mlp.loss)`); observe(θ) returns
    (training loss on the whole training set, test accuracy), by a plain numpy forward pass.
    """

    def __init__(self, sizes=(64, 32, 10), activation="relu", data_seed=0, backend="gradlab"):
        from ..ad.transforms import grad
        from ..models import datasets, mlp

        self.mlp = mlp
        self.data = datasets.load_digits_split(seed=data_seed)
        self.Y_train = self.data.Y_train
        self.sizes = list(sizes)
        self.activation = activation
        self._shapes = [p.shape for p in mlp.init_params(self.sizes, np.random.default_rng(0))]
        self._grad = grad(mlp.loss)
        self.backend = backend

    def init(self, rng):
        return self.flatten(self.mlp.init_params(self.sizes, rng))

    @staticmethod
    def flatten(params):
        return np.concatenate([np.ravel(p) for p in params])

    def unflatten(self, theta):
        out, i = [], 0
        for shape in self._shapes:
            k = int(np.prod(shape))
            out.append(theta[i:i + k].reshape(shape))
            i += k
        return out

    def grad(self, theta, batch):
        X, Y = self.data.X_train[batch], self.Y_train[batch]
        params = self.unflatten(theta)
        if self.backend == "numpy":  # hand-written backprop (mlp.np_value_and_grad)
            g = self.mlp.np_value_and_grad(params, X, Y, self.activation)[1]
        else:
            g = self._grad(params, X, Y, self.activation)
        return self.flatten(g)

    def observe(self, theta):
        params = self.unflatten(theta)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss = self.mlp.np_loss(params, self.data.X_train, self.Y_train, self.activation)
            acc = self.mlp.accuracy(params, self.data.X_test, self.data.y_test, self.activation)
        return (loss if np.isfinite(loss) else np.inf), acc

    def sample_batches(self, rng, n_steps, batch_size):
        """i.i.d. batches of distinct training rows: (n_steps, batch_size) indices."""
        keys = rng.random((n_steps, self.data.n_train))
        return np.argpartition(keys, batch_size, axis=-1)[:, :batch_size]


def _curves(traj):
    """(loss, accuracy, evals) arrays of a trajectory recorded with DigitsMLP.observe; steps
    after a divergence are inf loss / NaN accuracy."""
    n = traj.n_steps + 1
    loss = np.full(n, np.inf)
    acc = np.full(n, np.nan)
    if traj.records:
        rec = np.array(traj.records, dtype=float)
        loss[:len(rec)] = rec[:, 0]
        acc[:len(rec)] = rec[:, 1]
    return {"method": traj.method, "loss": loss, "acc": acc, "evals": traj.grad_evals.copy(),
            "steps": traj.step_norms, "diverged_at": traj.diverged_at}


def tail_stats(curve, frac=0.25, upto=None):
    """Mean and std (oscillation) of loss and accuracy over the last `frac` of the steps
    (of the first `upto` steps if given); mean |Δloss| between consecutive steps."""
    loss, acc = curve["loss"], curve["acc"]
    if upto is not None:
        loss, acc = loss[:upto + 1], acc[:upto + 1]
    start = int(len(loss) * (1 - frac))
    tl, ta = loss[start:], acc[start:]
    with np.errstate(invalid="ignore"):
        return {"loss_mean": float(np.mean(tl)), "loss_std": float(np.std(tl)),
                "loss_jump": float(np.mean(np.abs(np.diff(tl)))),
                "acc_mean": float(np.mean(ta)), "acc_std": float(np.std(ta)),
                "loss_final": float(loss[-1]), "acc_final": float(acc[-1])}


def digits_orders(lr=0.6, n_steps=150, batch_size=16, windows=(4,), modes=("sliding",),
                  backward_steps=0, seed=0, equal_compute=True, hidden=32, backend="gradlab",
                  warm_start=0, warm_steps=0, warm_lr=None, progress=None):
    """Forward SGD vs windowed (and optionally full) backward SGD on the digits MLP, one seed.

    All methods see the same batch sequence from the same initial parameters. Forward SGD is
    also run long enough to match the largest budget of gradient evaluations (equal compute).
    Returns a dict of curves (loss on the training set, test accuracy, gradient evaluations per
    step, parameter step sizes) keyed by method name, plus the settings.

    warm_start > 0 adds the contraction test near a minimum: forward SGD runs `warm_start` steps
    (on its own batches, at η = warm_lr, default lr) to θ_W; from θ_W, full backward SGD and
    forward SGD each run `warm_steps` steps on the same batches at η = warm_lr ("warm" curves,
    whose evaluations do not include the warm-up).
    """
    with single_threaded_blas():
        return _digits_orders(lr, n_steps, batch_size, windows, modes, backward_steps, seed,
                              equal_compute, hidden, backend, warm_start, warm_steps,
                              lr if warm_lr is None else warm_lr, progress)


def _digits_orders(lr, n_steps, batch_size, windows, modes, backward_steps, seed, equal_compute,
                   hidden, backend, warm_start, warm_steps, warm_lr, progress):
    model = DigitsMLP(sizes=(64, hidden, 10), backend=backend)
    rng = np.random.default_rng(seed)
    theta0 = model.init(rng)
    methods = [(m, k) for m in modes for k in windows]
    longest = n_steps
    if equal_compute:
        for m, k in methods:
            if m == "sliding":
                longest = max(longest, k * n_steps - k * (k - 1) // 2)
            else:
                full, rest = divmod(n_steps, k)
                longest = max(longest, full * k * (k + 1) // 2 + rest * (rest + 1) // 2)
        longest = max(longest, backward_steps * (backward_steps + 1) // 2)
    batches = model.sample_batches(rng, longest, batch_size)
    work = ([longest] + [k * n_steps for _, k in methods] + [backward_steps ** 2 // 2]
            + [warm_start + warm_steps ** 2 // 2])
    parts = progress_slices(progress, work)
    curves = {}
    lim = {"keep_thetas": False, "observe": model.observe, "limit": DIGITS_LIMIT}
    curves["forward"] = _curves(forward_sgd(model.grad, theta0, batches, lr,
                                               progress=parts[0], **lim))
    for i, (mode, k) in enumerate(methods, start=1):
        tr = windowed_backward_sgd(model.grad, theta0, batches[:n_steps], lr, k, mode,
                                      progress=parts[i], **lim)
        curves[f"{mode} k={k}"] = _curves(tr)
    if backward_steps:
        tr = backward_sgd(model.grad, theta0, batches[:backward_steps], lr,
                             progress=parts[-1], **lim)
        curves["backward (full)"] = _curves(tr)
    warm = {}
    if warm_start and warm_steps:
        warm_rng = np.random.default_rng([seed, 1])
        theta_w = compose_forward(model.grad, theta0,
                                  model.sample_batches(warm_rng, warm_start, batch_size), warm_lr)
        more = model.sample_batches(warm_rng, warm_steps, batch_size)
        warm["forward (warm)"] = _curves(forward_sgd(model.grad, theta_w, more, warm_lr, **lim))
        warm["backward (full, warm)"] = _curves(backward_sgd(model.grad, theta_w, more, warm_lr,
                                                             progress=parts[-1], **lim))
    parts[-1](1, 1)
    return {"curves": curves, "warm": warm, "lr": lr, "n_steps": n_steps,
            "batch_size": batch_size, "seed": seed, "backward_steps": backward_steps,
            "warm_start": warm_start, "warm_steps": warm_steps, "warm_lr": warm_lr}


def orders_2d(lr=0.2, batch_size=1, window=4, mode="sliding", seed=0, n_steps=150,
              n_cloud=200, problem_seed=0, progress=None):
    """Both orders (and a windowed variant) on a 2-D noisy least-squares problem, one seed.

    Returns the problem (for the contours), the three trajectories, their step sizes and
    gradient evaluations, the predicted backward slope, and a cloud of backward limits over
    `n_cloud` other seeds (the forward iterates' stationary law, sampled one point per seed).
    A too-large η does not raise: the trajectories stop and `diverged_at` says where.
    """
    problem = make_least_squares(np.random.default_rng(problem_seed), dim=2)
    batch_size = int(min(max(1, batch_size), problem.n_rows))
    rng = np.random.default_rng(seed)
    batches = problem.sample_batches(rng, n_steps, batch_size)
    theta0 = np.array([-1.5, 3.0])
    parts = progress_slices(progress, [1, 5, 1, 1])
    fwd = forward_sgd(problem.grad, theta0, batches, lr, progress=parts[0],
                         limit=PLANE_LIMIT)
    bwd = backward_sgd(problem.grad, theta0, batches, lr, progress=parts[1],
                          limit=PLANE_LIMIT)
    win = windowed_backward_sgd(problem.grad, theta0, batches, lr, window, mode,
                                   progress=parts[2], limit=PLANE_LIMIT)
    with np.errstate(all="ignore"):
        limits = compose_backward(problem.grad, np.tile(theta0, (n_cloud, 1)),
                                     problem.sample_batches(rng, n_steps, batch_size, n_cloud),
                                     lr)
    limits = limits[np.all(np.isfinite(limits), axis=1) & (np.abs(limits).max(axis=1) < 1e6)]
    pred = contraction_predictions(problem, lr, batch_size, np.random.default_rng(7),
                                      n_steps=400, n_runs=2)
    parts[3](1, 1)
    trajs = {"forward": fwd, "backward": bwd, "windowed": win}
    return {"A": problem.A, "y": problem.y, "optimum": problem.optimum, "lr": lr,
            "batch_size": batch_size, "window": window, "mode": mode, "seed": seed,
            "theta0": theta0,
            "thetas": {k: t.thetas for k, t in trajs.items()},
            "steps": {k: step_sizes(t.thetas) for k, t in trajs.items()},
            "evals": {k: t.total_grad_evals for k, t in trajs.items()},
            "diverged_at": {k: t.diverged_at for k, t in trajs.items()},
            "windowed_name": win.method, "limits": limits, "prediction": pred}


# ---------------------------------------------------------------------------------------------
# Where the claim lives: spreads within and across data streams, and a locally contractive net
# ---------------------------------------------------------------------------------------------

def tail_spread(thetas, frac=0.25):
    """Spread of one stream's iterates over its last `frac` of steps: √(mean ‖θₙ − θ̄‖²).

    thetas: (N+1, R, ...) — R streams. Returns (R,). A sequence that converges to a point has
    a tail spread → 0 as N grows; forward SGD's stays at the width of its stationary law.
    """
    thetas = np.asarray(thetas, dtype=float)
    tail = thetas[int(len(thetas) * (1 - frac)):]
    tail = tail.reshape(tail.shape[0], tail.shape[1], -1)
    return np.sqrt(np.mean(np.sum((tail - tail.mean(axis=0)) ** 2, axis=-1), axis=0))


def across_spread(points):
    """Spread of R points (one per stream), √(trace of their covariance); points (R, ...)."""
    points = np.asarray(points, dtype=float).reshape(len(points), -1)
    return float(np.sqrt(np.sum(np.var(points, axis=0, ddof=1))))


def implicit_lyapunov_exponent(hvp_fn, theta, batches, lr, rng):
    """Top Lyapunov exponent of the linearised maps I − ηH_B(θ) at a fixed θ, by HVPs.

    batches: (n, R, ...) — R independent products of n maps; hvp_fn(θ, batch, v) = H_batch(θ) v
    with θ (R, P), v (R, P). The same renormalised push as `lyapunov_exponent`, without ever
    forming a matrix. Returns (mean over the R products, std over them) per step.
    """
    n_steps, runs = len(batches), np.shape(batches)[1]
    theta = np.broadcast_to(np.asarray(theta, dtype=float), (runs, np.shape(theta)[-1]))
    v = rng.normal(size=theta.shape)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    total = np.zeros(runs)
    for batch in batches:
        v = v - lr * hvp_fn(theta, batch, v)
        norm = np.linalg.norm(v, axis=1)
        total += np.log(norm)
        v /= norm[:, None]
    estimates = total / n_steps
    return float(np.mean(estimates)), float(np.std(estimates))


def lanczos_extreme_eigenvalues(matvec, dim, rng, n_iter=80):
    """(smallest, largest) eigenvalue of a symmetric operator from `n_iter` Lanczos steps.

    Full re-orthogonalisation (n_iter is small); the extreme Ritz values converge first, and
    each is an inner bound: smallest ≥ λ_min, largest ≤ λ_max.
    """
    n_iter = min(n_iter, dim)
    Q = np.zeros((n_iter, dim))
    alpha, beta = np.zeros(n_iter), np.zeros(n_iter)
    q = rng.normal(size=dim)
    Q[0] = q / np.linalg.norm(q)
    for j in range(n_iter):
        w = matvec(Q[j])
        alpha[j] = Q[j] @ w
        w = w - Q[:j + 1].T @ (Q[:j + 1] @ w)
        w = w - Q[:j + 1].T @ (Q[:j + 1] @ w)   # twice is enough (Kahan–Parlett)
        if j + 1 == n_iter:
            break
        beta[j] = np.linalg.norm(w)
        if beta[j] < 1e-12:
            n_iter = j + 1
            break
        Q[j + 1] = w / beta[j]
    T = np.diag(alpha[:n_iter]) + np.diag(beta[:n_iter - 1], 1) + np.diag(beta[:n_iter - 1], -1)
    ritz = np.linalg.eigvalsh(T)
    return float(ritz[0]), float(ritz[-1])


class ContractiveMLP:
    """A 64–h–10 tanh MLP on the digits with L2 weight decay, vectorised over streams.

    Batch loss L_B(θ) = mean cross-entropy over the rows B + (wd/2)‖θ‖² (every parameter).
    The decay makes a minimum of the full loss locally contractive: at a minimum θ*,
    H(θ*) ⪰ λ_min I with λ_min > 0 (not ≥ wd: the data term's Hessian can be indefinite).
    θ may be (P,) with batch (b,), or (R, P) with batches (R, b): R independent streams.
    Gradients are a hand-written backward pass (tested against gradlab.grad); Hessian-vector
    products are central differences of gradients (tested against gradlab.hvp).
    """

    def __init__(self, hidden=16, weight_decay=0.1, data_seed=0):
        from ..models import datasets

        self.data = datasets.load_digits_split(seed=data_seed)
        self.X, self.Y = self.data.X_train, self.data.Y_train
        self.hidden = int(hidden)
        self.weight_decay = float(weight_decay)
        d, h, c = self.X.shape[1], self.hidden, self.Y.shape[1]
        self.shapes = [(d, h), (h,), (h, c), (c,)]
        self.n_params = sum(int(np.prod(s)) for s in self.shapes)

    def init(self, rng):
        """Glorot-scaled weights (std 1/√fan_in), zero biases."""
        (d, h), _, (_, c), _ = self.shapes
        return np.concatenate([rng.normal(size=d * h) / np.sqrt(d), np.zeros(h),
                               rng.normal(size=h * c) / np.sqrt(h), np.zeros(c)])

    def unflatten(self, theta):
        out, i = [], 0
        for shape in self.shapes:
            k = int(np.prod(shape))
            out.append(theta[..., i:i + k].reshape(theta.shape[:-1] + shape))
            i += k
        return out

    def _logits(self, theta, X):
        W1, b1, W2, b2 = self.unflatten(theta)
        h = np.tanh(np.einsum("...bd,...dh->...bh", X, W1) + b1[..., None, :])
        return h, np.einsum("...bh,...hc->...bc", h, W2) + b2[..., None, :]

    def grad(self, theta, batch):
        """∇L_B(θ): the backward pass of cross-entropy ∘ softmax ∘ linear ∘ tanh ∘ linear."""
        theta = np.asarray(theta, dtype=float)
        X, Y = self.X[batch], self.Y[batch]
        h, z = self._logits(theta, X)
        p = np.exp(z - z.max(axis=-1, keepdims=True))
        p /= p.sum(axis=-1, keepdims=True)
        dz = (p - Y) / np.shape(batch)[-1]
        _, _, W2, _ = self.unflatten(theta)
        dh = np.einsum("...bc,...hc->...bh", dz, W2) * (1.0 - h**2)
        parts = (np.einsum("...bd,...bh->...dh", X, dh), dh.sum(axis=-2),
                 np.einsum("...bh,...bc->...hc", h, dz), dz.sum(axis=-2))
        g = np.concatenate([p_.reshape(theta.shape[:-1] + (-1,)) for p_ in parts], axis=-1)
        return g + self.weight_decay * theta

    def hvp(self, theta, batch, v, eps=1e-5):
        """H_B(θ) v ≈ (∇L_B(θ + εv) − ∇L_B(θ − εv)) / 2ε (error O(ε²‖v‖²))."""
        return (self.grad(theta + eps * v, batch) - self.grad(theta - eps * v, batch)) / (2 * eps)

    def loss(self, theta, X=None, Y=None):
        """Full training loss (with the decay term); θ may carry leading axes."""
        X = self.X if X is None else X
        Y = self.Y if Y is None else Y
        theta = np.asarray(theta, dtype=float)
        _, z = self._logits(theta, np.broadcast_to(X, theta.shape[:-1] + X.shape))
        z = z - z.max(axis=-1, keepdims=True)
        logp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
        return (-np.mean(np.sum(Y * logp, axis=-1), axis=-1)
                + 0.5 * self.weight_decay * np.sum(theta**2, axis=-1))

    def accuracy(self, theta):
        """Test accuracy (θ may carry leading axes)."""
        theta = np.asarray(theta, dtype=float)
        X = self.data.X_test
        _, z = self._logits(theta, np.broadcast_to(X, theta.shape[:-1] + X.shape))
        return np.mean(np.argmax(z, axis=-1) == self.data.y_test, axis=-1)

    def all_rows(self):
        return np.arange(len(self.X))

    def pretrain(self, theta, steps=1500, lr=0.5, momentum=0.9):
        """Full-batch Nesterov gradient descent towards a minimum of the full loss.

        Returns (θ, ‖∇L(θ)‖): a small gradient norm says θ is near a stationary point; the
        Hessian's smallest eigenvalue (`hessian_extremes`) says whether it is a minimum.
        """
        rows = self.all_rows()
        velocity = np.zeros_like(theta)
        for _ in range(int(steps)):
            velocity = momentum * velocity - lr * self.grad(theta + momentum * velocity, rows)
            theta = theta + velocity
        return theta, float(np.linalg.norm(self.grad(theta, rows)))

    def hessian_extremes(self, theta, rng, n_iter=80):
        """(λ_min, λ_max) of the full loss's Hessian at θ, by Lanczos on HVPs."""
        rows = self.all_rows()
        return lanczos_extreme_eigenvalues(lambda v: self.hvp(theta, rows, v), self.n_params,
                                           rng, n_iter)

    def sample_batches(self, rng, n_steps, batch_size, n_runs=None):
        """i.i.d. batches of distinct training rows: (N, b) or (N, R, b) indices."""
        shape = (n_steps,) if n_runs is None else (n_steps, n_runs)
        keys = rng.random(shape + (len(self.X),))
        return np.argpartition(keys, batch_size, axis=-1)[..., :batch_size]


def both_orders(grad_fn, theta0, batches, lr, fit_from=0.25, n_checkpoints=8, progress=None):
    """Forward and backward SGD on the same R streams, and what the contraction claim is about.

    batches: (N, R, ...) — one batch sequence per stream; theta0 (R, P). Returns per stream:
    both orders' step sizes ‖θₙ₊₁ − θₙ‖ (N, R); the slope of log‖θ̃ₙ₊₁ − θ̃ₙ‖ fitted over
    n ≥ fit_from·N (the asymptotic rate: early steps also carry faster, transient modes);
    the tail spread (`tail_spread`) of both orders after N_k = N/8, 2N/8, …, N steps
    ("as N grows"); the final iterates; and the gradient evaluations each order spent.
    """
    n = len(batches)
    fwd = forward_sgd(grad_fn, theta0, batches, lr)
    bwd = backward_sgd(grad_fn, theta0, batches, lr, progress=progress)
    steps_b = step_sizes(bwd.thetas, run_axis=True)
    steps_f = step_sizes(fwd.thetas, run_axis=True)
    start = int(fit_from * n)
    checkpoints = [max(4, n * (k + 1) // n_checkpoints) for k in range(n_checkpoints)]
    return {
        "steps_backward": steps_b, "steps_forward": steps_f,
        "slopes": [fit_log_slope(steps_b[:, r], start=start) for r in range(steps_b.shape[1])],
        "fit_start": start, "checkpoints": checkpoints,
        "tail_spread_backward": np.array([tail_spread(bwd.thetas[:c + 1]) for c in checkpoints]),
        "tail_spread_forward": np.array([tail_spread(fwd.thetas[:c + 1]) for c in checkpoints]),
        "final_backward": bwd.thetas[-1], "final_forward": fwd.thetas[-1],
        "evals_forward": fwd.total_grad_evals, "evals_backward": bwd.total_grad_evals,
        "thetas_forward": fwd.thetas, "thetas_backward": bwd.thetas,
    }
