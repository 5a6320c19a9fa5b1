"""Synthetic-gradient modules (Jaderberg et al. 2016): predict a layer's gradient, regress it.

A decoupled layer i does not wait for the true gradient ∂L/∂hᵢ of the loss with respect to its
output hᵢ. A small module Mᵢ *predicts* it,

    ĝᵢ = Mᵢ(hᵢ)            (DNI)        or      ĝᵢ = Mᵢ(hᵢ, c)     (cDNI, c = one-hot label)

and the layer updates at once from ĝᵢ. Mᵢ itself learns by regression, loss ½‖ĝᵢ − tᵢ‖², onto

- the true gradient tᵢ = ∂L/∂hᵢ for the top module (the only one that sees the real loss);
- the **bootstrapped** target below: the next layer's synthetic gradient pushed back through
  that one layer, tᵢ = (∂hᵢ₊₁/∂hᵢ)ᵀ ĝᵢ₊₁ = Wᵢ₊₁ (φ′(aᵢ₊₁) ⊙ ĝᵢ₊₁)  (`bootstrap_target`).

Mᵢ's last layer starts at **zero**, so the first synthetic gradients are 0 (nothing is learnt
from a module that knows nothing yet). Two shapes of module:

- "linear":  ĝ = [h, c] A + b                        (A, b zero-initialised);
- "mlp":     ĝ = relu([h, c] W₁ + b₁) W₂ + b₂         (one hidden layer; W₂, b₂ zero-initialised).

Conventions: rows are examples (h has shape (batch, n)); gradients are *per example*
(∂ℓₙ/∂hₙ, without the 1/batch of a mean loss), so their size does not depend on the batch.

The pieces are small functions on a dict of arrays, so each can be read (and, in exercise 5,
written) on its own: `init_sg_module`, `sg_predict`, `bootstrap_target`, `sg_regression_grads`
and `sg_module_update` (one plain gradient step). `SyntheticGradient` bundles a module with an
optimiser (Adam by default); `gradlab.feedback` uses it for DNI and cDNI, and `mix` blends a
synthetic with a true gradient (λ = 1: all synthetic, λ = 0: backprop).
"""

from __future__ import annotations

import numpy as np

SG_KINDS = ("linear", "mlp")


# ----------------------------------------------------------------------------------------
# The module as plain functions on a dict of arrays
# ----------------------------------------------------------------------------------------

def init_sg_module(dim, rng, kind="linear", context_dim=0, hidden=64):
    """Parameters of a synthetic-gradient module predicting a gradient of size `dim`.

    Its input is hᵢ (size `dim`) followed by `context_dim` context entries (cDNI: the one-hot
    label). The last layer is zero, so the module predicts 0 until it has learnt something.
    """
    if kind not in SG_KINDS:
        raise ValueError(f"unknown synthetic-gradient module kind {kind!r}; choose from {SG_KINDS}")
    n_in = dim + context_dim
    if kind == "linear":
        return {"A": np.zeros((n_in, dim)), "b": np.zeros(dim)}
    return {"W1": rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, hidden)), "b1": np.zeros(hidden),
            "W2": np.zeros((hidden, dim)), "b2": np.zeros(dim)}


def sg_inputs(h, context=None):
    """The module's input: hᵢ, with the context (e.g. one-hot label) appended for cDNI."""
    return h if context is None else np.concatenate([h, context], axis=1)


def sg_predict(params, h, context=None):
    """The synthetic gradient ĝ ≈ ∂ℓ/∂h, one row per example."""
    x = sg_inputs(h, context)
    if "A" in params:
        return x @ params["A"] + params["b"]
    z = np.maximum(x @ params["W1"] + params["b1"], 0.0)
    return z @ params["W2"] + params["b2"]


def bootstrap_target(g_next, a_next, W_next, act_deriv):
    """The regression target for Mᵢ from the layer above: tᵢ = (φ′(aᵢ₊₁) ⊙ ĝᵢ₊₁) Wᵢ₊₁ᵀ.

    g_next: the gradient layer i+1 uses for its output (synthetic, or true at the top);
    a_next: layer i+1's pre-activation; W_next: its weights, shape (nᵢ, nᵢ₊₁) (rows are inputs);
    act_deriv: φ′ of layer i+1. This is backprop through *one* layer only.
    """
    return (act_deriv(a_next) * g_next) @ W_next.T


def sg_regression_grads(params, h, target, context=None):
    """Regression loss ½·mean‖ĝ − t‖² of the module on a batch, and its gradient (a dict)."""
    x = sg_inputs(h, context)
    n = x.shape[0]
    if "A" in params:
        r = x @ params["A"] + params["b"] - target
        grads = {"A": x.T @ r / n, "b": r.mean(axis=0)}
    else:
        u = x @ params["W1"] + params["b1"]
        z = np.maximum(u, 0.0)
        r = z @ params["W2"] + params["b2"] - target
        dz = (r @ params["W2"].T) * (u > 0)
        grads = {"W1": x.T @ dz / n, "b1": dz.mean(axis=0),
                 "W2": z.T @ r / n, "b2": r.mean(axis=0)}
    loss = 0.5 * float(np.mean(np.sum(r * r, axis=1)))
    return loss, grads


def sg_module_update(params, h, target, lr, context=None):
    """One plain gradient step of the module towards `target`. Returns (new params, loss)."""
    loss, grads = sg_regression_grads(params, h, target, context)
    return {k: params[k] - lr * grads[k] for k in params}, loss


def mix(synthetic, true, lam):
    """λ·synthetic + (1 − λ)·true: λ = 1 is pure DNI, λ = 0 is backprop."""
    if lam == 1.0:
        return synthetic
    if lam == 0.0:
        return true
    return lam * synthetic + (1.0 - lam) * true


# ----------------------------------------------------------------------------------------
# Optimisers on dicts of arrays (used by the modules and by gradlab.feedback's networks)
# ----------------------------------------------------------------------------------------

class Optimizer:
    """SGD (with optional momentum) or Adam on a dict of arrays; `step` updates it in place."""

    def __init__(self, params, lr, kind="adam", momentum=0.0, betas=(0.9, 0.999), eps=1e-8):
        if kind not in ("sgd", "adam"):
            raise ValueError(f"unknown optimizer {kind!r}; choose 'sgd' or 'adam'")
        self.lr, self.kind, self.momentum, self.betas, self.eps = lr, kind, momentum, betas, eps
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()} if kind == "adam" else None
        self.t = 0

    def step(self, params, grads):
        self.t += 1
        for k, g in grads.items():
            if self.kind == "sgd":
                if self.momentum:
                    self.m[k] = self.momentum * self.m[k] + g
                    g = self.m[k]
                params[k] -= self.lr * g
            else:
                b1, b2 = self.betas
                self.m[k] = b1 * self.m[k] + (1 - b1) * g
                self.v[k] = b2 * self.v[k] + (1 - b2) * g * g
                m_hat = self.m[k] / (1 - b1 ** self.t)
                v_hat = self.v[k] / (1 - b2 ** self.t)
                params[k] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class SyntheticGradient:
    """A synthetic-gradient module with its own optimiser: predict, then update toward a target.

        sg = SyntheticGradient(dim=64, rng=rng, kind="linear", context_dim=10)
        g_hat = sg.predict(h, y_onehot)          # zeros at first (zero-initialised)
        loss = sg.update(h, target, y_onehot)    # one optimiser step on ½‖ĝ − t‖²
    """

    def __init__(self, dim, rng, kind="linear", context_dim=0, hidden=64, lr=1e-3,
                 optimizer="adam"):
        self.kind, self.context_dim = kind, context_dim
        self.params = init_sg_module(dim, rng, kind, context_dim, hidden)
        self.opt = Optimizer(self.params, lr, optimizer)

    def predict(self, h, context=None):
        return sg_predict(self.params, h, context if self.context_dim else None)

    def update(self, h, target, context=None):
        loss, grads = sg_regression_grads(self.params, h, target,
                                          context if self.context_dim else None)
        if np.isfinite(loss):
            self.opt.step(self.params, grads)
        return loss
