"""Batch normalisation (Ioffe & Szegedy 2015) on numpy, with its hand-written backward pass.

Training mode, over a batch z of shape (n, k) (rows are examples):

    μ = mean z,   σ² = var z,   ẑ = (z − μ)/√(σ² + ε),   a = γ ⊙ ẑ + β

and the backward pass, given g = ∂L/∂a (rows = examples, L a sum over them):

    ∂L/∂β = Σₙ g,   ∂L/∂γ = Σₙ g ⊙ ẑ,
    ∂L/∂z = (γ/√(σ² + ε)) ⊙ (g − mean g − ẑ ⊙ mean(g ⊙ ẑ))

(every example's output depends on the whole batch through μ and σ², hence the two means).
At test time the running averages of μ and σ² replace the batch's (`batchnorm_eval`).
tests/test_batchnorm.py checks the backward rules against gradlab's reverse mode.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-5


def init_batchnorm(k):
    """γ = 1, β = 0 and running statistics (mean 0, variance 1) for k units."""
    return {"gamma": np.ones(k), "beta": np.zeros(k), "mean": np.zeros(k), "var": np.ones(k)}


def batchnorm_forward(z, gamma, beta, eps=EPS):
    """a = γ ⊙ (z − μ)/√(σ² + ε) + β with the batch's μ, σ². Returns (a, cache for backward)."""
    mu = z.mean(axis=0)
    var = z.var(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    z_hat = (z - mu) * inv_std
    return gamma * z_hat + beta, {"z_hat": z_hat, "inv_std": inv_std, "gamma": gamma,
                                  "mean": mu, "var": var}


def batchnorm_backward(g, cache):
    """(∂L/∂z, ∂L/∂γ, ∂L/∂β) from g = ∂L/∂a, for the batch the cache came from."""
    z_hat, inv_std, gamma = cache["z_hat"], cache["inv_std"], cache["gamma"]
    dbeta = g.sum(axis=0)
    dgamma = (g * z_hat).sum(axis=0)
    dz = gamma * inv_std * (g - g.mean(axis=0) - z_hat * (g * z_hat).mean(axis=0))
    return dz, dgamma, dbeta


def batchnorm_eval(z, params, eps=EPS):
    """Test-time batch norm: the running μ and σ² instead of the batch's."""
    return params["gamma"] * (z - params["mean"]) / np.sqrt(params["var"] + eps) + params["beta"]


def update_running_stats(params, cache, momentum=0.9):
    """Running averages of the batch statistics: s ← m·s + (1 − m)·s_batch."""
    params["mean"] = momentum * params["mean"] + (1 - momentum) * cache["mean"]
    params["var"] = momentum * params["var"] + (1 - momentum) * cache["var"]
