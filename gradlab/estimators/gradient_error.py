"""How wrong is a gradient estimate? Measured by repeated sampling, and in closed form.

    from gradlab.estimators.gradient_error import sample_estimates, error_stats, closed_form
    samples, true = sample_estimates("forward", f, x, rng, n_samples=2000, K=1)
    stats = error_stats(samples, true)       # bias, variance, MSE, relative error, cosine
    closed_form(true, "gaussian", K=1)       # what the maths says they should be

The closed forms for the forward gradient g = (1/K) Σ_k (a·v_k) v_k, a = ∇f(x), n = dim:

| quantity                 | Gaussian v                  | Rademacher v (±1)           |
|--------------------------|-----------------------------|-----------------------------|
| E g                      | a (unbiased)                | a (unbiased)                |
| Var g_i                  | (‖a‖² + a_i²) / K           | (‖a‖² − a_i²) / K           |
| total MSE  E‖g − a‖²     | (n + 1) ‖a‖² / K            | (n − 1) ‖a‖² / K            |
| E‖g‖²                    | ‖a‖² + (n + 1)‖a‖²/K        | ‖a‖² + (n − 1)‖a‖²/K        |

(K = 1 gives E‖g‖² = (n+2)‖a‖² and n‖a‖².) For one Gaussian direction, g is ±v, so
cos(g, a) = |a·v| / (‖a‖‖v‖) and cos² ~ Beta(½, (n−1)/2) whatever a is (v is rotation
invariant): E cos = Γ(n/2) / (√π Γ((n+1)/2)) ≈ √(2/(πn)), E cos² = 1/n. The standard deviation of
the cosine is of the same order as its mean: the cosine shrinks like 1/√n and does not
concentrate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .gradient_estimators import ESTIMATORS, estimate, one_blas_thread, ravel, sample_directions

# ----------------------------------------------------------------------------------------
# Sampling.
# ----------------------------------------------------------------------------------------


def sample_estimates(method, f, x, rng, n_samples, **options):
    """Run estimator `method` n_samples times at x: returns (samples (S, n), true gradient (n,)).

    Both are flattened to vectors (see `estimators.ravel`); the true gradient is by reverse mode
    (or by the hand-written passes when options has engine="numpy").
    """
    if method not in ESTIMATORS:
        raise ValueError(f"unknown estimator {method!r}; choose from {list(ESTIMATORS)}")
    engine = {"engine": options["engine"]} if "engine" in options else {}
    with one_blas_thread():
        true = ravel(estimate("exact", f, x, **engine).grad)[0]
        samples = np.empty((n_samples, true.size))
        for s in range(n_samples):
            samples[s] = ravel(estimate(method, f, x, rng, **options).grad)[0]
    return samples, true


def forward_gradient_samples(a, rng, n_samples, K=1, distribution="gaussian",
                             max_floats=4_000_000):
    """n_samples forward gradients (1/K) Σ_k (a·v_k) v_k for a known gradient a, vectorised.

    The same numbers as calling `estimators.forward_gradient` n_samples times with this rng on
    any f whose gradient is a (tested), but computed in blocks with numpy: fast enough for a
    widget. Returns an array (n_samples, n).
    """
    a = np.asarray(a, dtype=float).ravel()
    n = a.size
    out = np.empty((n_samples, n))
    block = max(1, int(max_floats // max(1, K * n)))
    with one_blas_thread():
        for start in range(0, n_samples, block):
            stop = min(n_samples, start + block)
            V = sample_directions(rng, (stop - start, K, n), distribution)  # (S, K, n)
            d = V @ a  # (S, K): the directional derivatives
            out[start:stop] = np.einsum("sk,skn->sn", d, V) / K
    return out


# ----------------------------------------------------------------------------------------
# Measuring.
# ----------------------------------------------------------------------------------------

@dataclass
class ErrorStats:
    """What repeated sampling says about an estimator at one point (all per sample of g)."""

    n_samples: int
    mean: np.ndarray  # E g (estimated)
    bias: np.ndarray  # E g − a
    variance: np.ndarray  # Var g_i, per coordinate (unbiased sample variance)
    total_variance: float  # Σ_i Var g_i
    mse: float  # E‖g − a‖² (bias² + variance)
    sq_norm: float  # E‖g‖²
    relative_errors: np.ndarray  # ‖g − a‖ / ‖a‖ for every sample
    cosines: np.ndarray  # cos(g, a) for every sample

    @property
    def bias_norm(self):
        return float(np.linalg.norm(self.bias))

    @property
    def relative_mse(self):
        """E‖g − a‖² / ‖a‖²."""
        return float(np.mean(self.relative_errors ** 2))

    @property
    def mean_relative_error(self):
        return float(np.mean(self.relative_errors))

    @property
    def mean_cosine(self):
        return float(np.mean(self.cosines))

    @property
    def std_cosine(self):
        return float(np.std(self.cosines, ddof=1)) if self.cosines.size > 1 else 0.0

    def summary(self):
        """The scalar measures as a dict (for tables and results.json)."""
        return {"n_samples": self.n_samples, "bias_norm": self.bias_norm,
                "total_variance": self.total_variance, "mse": self.mse,
                "sq_norm": self.sq_norm, "relative_mse": self.relative_mse,
                "mean_relative_error": self.mean_relative_error,
                "mean_cosine": self.mean_cosine, "std_cosine": self.std_cosine}


def cosine(g, a):
    """cos of the angle between g and a, row by row if g is (S, n); 0 where g or a is 0."""
    g = np.atleast_2d(g)
    a = np.asarray(a, dtype=float).ravel()
    denom = np.linalg.norm(g, axis=1) * np.linalg.norm(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(denom > 0, (g @ a) / np.where(denom > 0, denom, 1.0), 0.0)
    return c


def error_stats(samples, true):
    """Bias, per-coordinate variance, MSE, relative errors and cosines of samples (S, n) vs true."""
    samples = np.atleast_2d(np.asarray(samples, dtype=float))
    a = np.asarray(true, dtype=float).ravel()
    S = samples.shape[0]
    mean = samples.mean(axis=0)
    variance = samples.var(axis=0, ddof=1) if S > 1 else np.zeros_like(mean)
    err = samples - a
    sq_err = np.sum(err ** 2, axis=1)
    norm_a = np.linalg.norm(a)
    rel = np.sqrt(sq_err) / norm_a if norm_a > 0 else np.full(S, np.nan)
    return ErrorStats(
        n_samples=S, mean=mean, bias=mean - a, variance=variance,
        total_variance=float(variance.sum()), mse=float(sq_err.mean()),
        sq_norm=float(np.mean(np.sum(samples ** 2, axis=1))),
        relative_errors=rel, cosines=cosine(samples, a))


# ----------------------------------------------------------------------------------------
# Closed forms.
# ----------------------------------------------------------------------------------------

def closed_form(a, distribution="gaussian", K=1):
    """The exact moments of the K-direction forward gradient at gradient a (see module doc)."""
    a = np.asarray(a, dtype=float).ravel()
    n = a.size
    s = float(a @ a)
    if distribution == "gaussian":
        var = (s + a ** 2) / K
        extra = (n + 1) * s / K
    elif distribution == "rademacher":
        var = (s - a ** 2) / K
        extra = (n - 1) * s / K
    else:
        raise ValueError(f"distribution must be 'gaussian' or 'rademacher', got {distribution!r}")
    return {"mean": a.copy(), "variance": var, "total_variance": float(var.sum()),
            "mse": extra, "relative_mse": extra / s if s > 0 else math.nan,
            "sq_norm": s + extra}


def cosine_squared_beta(n):
    """(α, β) with cos² ~ Beta(α, β) for one Gaussian direction in dimension n: (½, (n−1)/2)."""
    return 0.5, (n - 1) / 2.0


def expected_cosine(n):
    """E cos(g, ∇f) for one Gaussian direction, exactly: Γ(n/2) / (√π Γ((n+1)/2))."""
    return math.exp(math.lgamma(n / 2) - math.lgamma((n + 1) / 2)) / math.sqrt(math.pi)


def expected_cosine_asymptotic(n):
    """The large-n approximation √(2/(πn)) of E cos for one Gaussian direction."""
    return math.sqrt(2.0 / (math.pi * n))


def cosine_std(n):
    """Standard deviation of cos for one Gaussian direction: √(1/n − (E cos)²)."""
    return math.sqrt(max(0.0, 1.0 / n - expected_cosine(n) ** 2))


def cosine_pdf(c, n):
    """Density of cos(g, ∇f) ∈ [0, 1] for one Gaussian direction in dimension n ≥ 2.

    From cos² ~ Beta(½, (n−1)/2): p(c) = 2c · Beta(c²; ½, (n−1)/2)
    = 2 (1−c²)^((n−3)/2) / B(½, (n−1)/2).
    """
    c = np.asarray(c, dtype=float)
    alpha, beta = cosine_squared_beta(n)
    log_b = math.lgamma(alpha) + math.lgamma(beta) - math.lgamma(alpha + beta)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2.0 * np.exp((beta - 1.0) * np.log1p(-c * c) - log_b)
    return np.where((c >= 0) & (c < 1), p, 0.0)


def expected_cosine_ratio_approx(n, K=1, distribution="gaussian"):
    """A rough E cos for K directions: E[g·a] / √(E‖g‖²‖a‖²) = 1/√(1 + c/K), c = n±1.

    Good when K is large (the cosine concentrates); for K = 1 Gaussian use `expected_cosine`:
    the exact value is √(2/π)·√((n+2)/n) ≈ 0.8 times this one.
    """
    c = n + 1 if distribution == "gaussian" else n - 1
    return 1.0 / math.sqrt(1.0 + c / K)
