"""When does a synthetic gradient beat backprop? Gradient MSE against the exact gradient.

A two-stage policy network on a contextual bandit,

    x  →  h = tanh(W₁ x + b₁)  →  y = W₂ h + b₂  →  π = softmax(y)  →  a ~ π,  r = μ(x, a) + σ ε,

ends in a random **feedback vector** v = r · ∇_y log π(a | y) = r (e_a − π). Pushed back one
layer it is the signal at the hidden layer, t = (∂y/∂h)ᵀ v = W₂ᵀ v, and the lower module's
gradient is (∂h/∂θ₁)ᵀ t, with θ₁ = (W₁, b₁). Four ways to get the gradient of the expected
reward J(θ) = E[r] with respect to θ₁ (we *ascend* J):

- **true**: G = E_x[(∂h/∂θ₁)ᵀ W₂ᵀ E[v | x]], E[v | x] = Σ_a π_a μ(x, a)(e_a − π) by enumerating
  the K actions (the noise has mean 0), and E_x exactly: a sum over the finite set of discrete
  contexts, or Gauss–Legendre quadrature for continuous contexts, uniform on a cube (a product
  rule that converges fast for these smooth integrands; tests check it) (`true_gradient`);
- **BP** (Monte Carlo): average the *sampled* (∂h/∂θ₁)ᵀ tₙ over N samples — unbiased, and it
  carries all the noise of v (reward noise σ, the action drawn);
- **BP + baseline** (what a practitioner runs): the same with r − bₙ in place of r, bₙ the
  mean reward of the *other* N − 1 samples (leave-one-out, so still unbiased). It removes the
  mean reward's share of the action-sampling noise; the reward noise σ stays;
- **SG**: a regressor s(h) ≈ E[t | h] fitted on samples (plain regression onto sampled
  feedback: Monte-Carlo targets, no bootstrapping, so it is *not* TD learning), used in place
  of tₙ;
- **mixture**: λ·SG + (1 − λ)·BP (`gradlab.methods.synthetic_gradients.mix`).

**Which samples the SG model saw** (the protocol) changes the answer, so it is an argument:
"same" — the SG model is fitted on exactly the N samples BP uses (then both errors grow like
a + bσ², and the ratio BP/SG tends to a ceiling b_BP/b_SG as σ grows); "online" — each sample's
synthetic gradient comes from the model fitted on the samples *before* it (predict, then
update, as a synthetic-gradient module in training does; early samples meet an empty model,
which predicts 0).

**Pooling.** Discrete contexts come in G groups of m; the lower module maps the m contexts of a
group to *one* hidden state (their columns of W₁ are equal at the point where we measure).
∂h/∂W₁ differs per context (each touches its own column), but s(h) is shared, so SG averages
the noise of m contexts' feedback: its noise term is about m times smaller, and the ceiling of
MSE_BP / MSE_SG grows with m without bound. With m = 1 and protocol "same", SG *is* BP.

**Local sufficiency.** SG can only be right if h carries what the expected feedback depends on.
`sufficient=False` makes the mean reward depend also on a bit of the context that h does not
carry (discrete: which half of its group a context is in; continuous: a context coordinate u
whose column of W₁ is zero). Then s(h) averages over it: a bias that more samples do not remove.

**Why our own regression, not `SyntheticGradient.update`.** The feedback module trains its SG
modules with Adam steps, which adds optimisation error and step-size choices to what we want to
measure: the error of the *estimator*. Here the SG model is the same linear module
(ĝ = φ(h) A + b, the "linear" kind of `gradlab.methods.synthetic_gradients`, predicted with its
`sg_predict`) but fitted by ridge regression in closed form from running sums (recursive least
squares: exactly "fitted online on all past samples"). Learning curves (`train_bandit`) do use
`SyntheticGradient` with its optimiser, as a network in training would.

Contexts, actions and noise come from a passed `numpy.random.Generator`. Everything is numpy.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np
from numpy.polynomial.legendre import leggauss

from .synthetic_gradients import SyntheticGradient, mix, sg_predict

PROTOCOLS = ("same", "online")
CONTEXTS = ("discrete", "continuous")
SQRT3 = np.sqrt(3.0)
LAMBDAS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def single_threaded():
    """A context in which BLAS uses one thread. Our matrices are small: threads only add
    overhead, and on a busy machine spinning BLAS threads make small products ~50× slower."""
    try:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


# ----------------------------------------------------------------------------------------
# The bandit and its policy
# ----------------------------------------------------------------------------------------

@dataclass
class Bandit:
    """A contextual bandit with a two-stage softmax policy, evaluated exactly.

    nodes (P, d) and weights (P,): the context distribution's support with probabilities
    (discrete) or Gauss–Legendre nodes and weights (continuous); `mean_reward(X)` → (n, K).
    params: the policy W1 (H, d), b1 (H,), W2 (K, H), b2 (K,) at which gradients are measured.
    """

    contexts: str
    K: int
    H: int
    d: int
    m: int
    groups: int
    sufficient: bool
    nodes: np.ndarray
    weights: np.ndarray
    params: dict
    info: dict = field(default_factory=dict)
    lower_bias: bool = True  # discrete: False (with one-hot x, W₁'s columns are the biases)

    def mean_reward(self, X):
        if self.contexts == "discrete":
            return self.info["mu"][np.argmax(X, axis=1)]
        return _continuous_means(self.info, X, self.sufficient)

    def sample_contexts(self, n, rng):
        """n contexts from the context distribution, as network inputs (n, d)."""
        if self.contexts == "discrete":
            return self.nodes[rng.integers(0, self.nodes.shape[0], n)]
        return rng.uniform(-SQRT3, SQRT3, (n, self.d))

    def group_of(self, X):
        """Discrete: the group index of each context row (the hidden state it maps to)."""
        return np.argmax(X, axis=1) // self.m


def _continuous_means(info, X, sufficient):
    z = X[:, :2]
    mu = info["amp"] * np.cos(z @ info["omega"].T + info["phase"]) + info["base"]
    if not sufficient:
        mu = mu + np.outer(X[:, 2], info["u_effect"])
    return mu


def make_bandit(contexts="discrete", K=3, groups=4, m=8, hidden=8, sufficient=True,
                hidden_effect=0.5, quad_nodes=64, upper_scale=3.0, seed=0):
    """A bandit and the policy at which gradients are measured (fixed by `seed`).

    discrete: P = groups·m one-hot contexts, uniform; mean rewards μ[g, a] ~ U(0, 1) per group,
    plus (sufficient=False) ±hidden_effect·Δ[g, a] by the half of the group a context is in.
    W₁'s columns are tied within a group, so h takes `groups` values.
    continuous: x = (z₁, z₂, u), each uniform on [−√3, √3] (mean 0, variance 1);
    μ_a = 0.5 + 0.4 cos(ω_aᵀ z + φ_a) (+ hidden_effect·c_a·u when sufficient=False); W₁'s
    u-column is 0, so h never carries u. E_x by a Gauss–Legendre product rule with
    `quad_nodes` points per z-axis (64: converged to ~1e-12) and 2 for u (exact).
    W₂ ~ N(0, upper_scale²/H): large enough that the hidden layer alone can move the policy far.
    """
    if contexts not in CONTEXTS:
        raise ValueError(f"unknown contexts {contexts!r}; choose from {CONTEXTS}")
    rng = np.random.default_rng(seed)
    m = int(m)
    if contexts == "discrete":
        P = groups * m
        nodes = np.eye(P)
        weights = np.full(P, 1.0 / P)
        mu_group = rng.uniform(0.0, 1.0, (groups, K))
        delta = rng.choice([-1.0, 1.0], (groups, K)) * rng.uniform(0.5, 1.0, (groups, K))
        half = np.where(np.arange(m) < m / 2, 1.0, -1.0) if m > 1 else np.zeros(1)
        if m % 2 == 1 and m > 1:
            half[m // 2] = 0.0  # the middle context of an odd group sits on neither side
        mu = np.repeat(mu_group, m, axis=0)
        if not sufficient:
            mu = mu + hidden_effect * np.tile(half, groups)[:, None] * np.repeat(delta, m, axis=0)
        U = rng.normal(0.0, 1.0, (hidden, groups))
        W1 = np.repeat(U, m, axis=1)
        params = {"W1": W1, "b1": np.zeros(hidden), "b2": np.zeros(K),
                  "W2": rng.normal(0.0, upper_scale / np.sqrt(hidden), (K, hidden))}
        info = {"mu": mu, "mu_group": mu_group, "delta": delta}
        return Bandit("discrete", K, hidden, P, m, groups, sufficient, nodes, weights, params,
                      info, lower_bias=False)
    d = 3
    t, w = leggauss(quad_nodes)
    t, w = SQRT3 * t, w / 2.0  # uniform on [−√3, √3] (mean 0, variance 1)
    tu, wu = leggauss(2)  # everything is a polynomial of degree ≤ 2 in u: 2 nodes are exact
    tu, wu = SQRT3 * tu, wu / 2.0
    grid = np.stack(np.meshgrid(t, t, tu, indexing="ij"), -1).reshape(-1, 3)
    weights = (w[:, None, None] * w[None, :, None] * wu[None, None, :]).ravel()
    info = {"omega": rng.normal(0.0, 1.0, (K, 2)), "phase": rng.uniform(0, 2 * np.pi, K),
            "amp": 0.4, "base": 0.5, "u_effect": hidden_effect * rng.choice([-1.0, 1.0], K)}
    W1 = rng.normal(0.0, 1.0, (hidden, d))
    W1[:, 2] = 0.0
    params = {"W1": W1, "b1": rng.normal(0.0, 0.5, hidden),
              "W2": rng.normal(0.0, upper_scale / np.sqrt(hidden), (K, hidden)), "b2": np.zeros(K)}
    return Bandit("continuous", K, hidden, d, 1, 0, sufficient, grid, weights, params, info)


def softmax(y):
    z = y - y.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def forward(params, X):
    """(h, π) for contexts X (n, d)."""
    h = np.tanh(X @ params["W1"].T + params["b1"])
    return h, softmax(h @ params["W2"].T + params["b2"])


def expected_reward(bandit, params=None):
    """J(θ) = E_x Σ_a π(a | x) μ(x, a), exactly (enumeration / quadrature)."""
    params = bandit.params if params is None else params
    _, pi = forward(params, bandit.nodes)
    return float(bandit.weights @ np.sum(pi * bandit.mean_reward(bandit.nodes), axis=1))


def best_expected_reward(bandit):
    """E_x max_a μ(x, a): what a policy that always picks the best arm would earn."""
    return float(bandit.weights @ bandit.mean_reward(bandit.nodes).max(axis=1))


def lower_gradient(X, h, signal, weights=None, bias=True):
    """Gradient for θ₁ = (W₁, b₁) given the signal at h: the (weighted) mean of
    (∂h/∂θ₁)ᵀ signal = [δ xᵀ, δ] with δ = (1 − h²) ⊙ signal. Returned flat: W₁ then b₁
    (b₁ left out when bias=False: a lower module without a trainable bias)."""
    delta = (1.0 - h * h) * signal
    if weights is None:
        weights = np.full(X.shape[0], 1.0 / X.shape[0])
    dW1 = (delta * weights[:, None]).T @ X
    if not bias:
        return dW1.ravel()
    return np.concatenate([dW1.ravel(), weights @ delta])


def true_gradient(bandit, params=None, which="lower"):
    """The exact gradient of J: "lower" (θ₁ flat), "upper" (W₂, b₂ flat) or "all" (both)."""
    params = bandit.params if params is None else params
    X, w = bandit.nodes, bandit.weights
    h, pi = forward(params, X)
    mu = bandit.mean_reward(X)
    Ev = pi * (mu - np.sum(pi * mu, axis=1, keepdims=True))  # Σ_a π_a μ_a (e_a − π)
    lower = lower_gradient(X, h, Ev @ params["W2"], w, bandit.lower_bias)
    upper = np.concatenate([((Ev * w[:, None]).T @ h).ravel(), w @ Ev])
    return {"lower": lower, "upper": upper, "all": np.concatenate([lower, upper])}[which]


def unflatten(bandit, flat, which="all"):
    """A flat gradient back as a dict of arrays shaped like the parameters."""
    H, d, K = bandit.H, bandit.d, bandit.K
    shapes = {"W1": (H, d), "b1": (H,), "W2": (K, H), "b2": (K,)}
    low = ["W1", "b1"] if bandit.lower_bias else ["W1"]
    keys = {"lower": low, "upper": ["W2", "b2"], "all": low + ["W2", "b2"]}[which]
    out, k = {}, 0
    for key in keys:
        n = int(np.prod(shapes[key]))
        out[key] = flat[k:k + n].reshape(shapes[key])
        k += n
    return out


# ----------------------------------------------------------------------------------------
# Samples and the estimators
# ----------------------------------------------------------------------------------------

def draw(bandit, n, rng, params=None):
    """n interactions with the noise left out: contexts X, hidden h, π, actions a, mean rewards
    μ(x, a) and standard normal ε. Rewards for any σ are then r = μ + σ ε (common random
    numbers across σ: curves against σ are smooth, and errors are exactly a + bσ²)."""
    params = bandit.params if params is None else params
    X = bandit.sample_contexts(n, rng)
    h, pi = forward(params, X)
    u = rng.random((n, 1))
    a = np.minimum((np.cumsum(pi, axis=1) < u).sum(axis=1), bandit.K - 1)
    mu = bandit.mean_reward(X)[np.arange(n), a]
    return {"X": X, "h": h, "pi": pi, "a": a, "mu": mu, "eps": rng.standard_normal(n)}


def feedback_signal(samples, sigma, W2, baseline=0.0):
    """t = W₂ᵀ v with v = (r − baseline)(e_a − π): the sampled feedback pushed back to h, one
    row each (baseline: a number or one per sample)."""
    r = samples["mu"] + sigma * samples["eps"] - baseline
    v = -samples["pi"] * r[:, None]
    v[np.arange(len(r)), samples["a"]] += r
    return v @ W2


def _with_bias(h):
    return np.concatenate([h, np.ones((h.shape[0], 1))], axis=1)


def fit_sg(h, targets, ridge=1e-6):
    """Ridge regression of the targets on [h, 1]: a linear SG module {"A", "b"} in the format
    of `gradlab.methods.synthetic_gradients` (predict with its `sg_predict`). The ridge term pulls
    toward the zero module (what a zero-initialised module predicts before any data)."""
    Phi = _with_bias(h)
    S = Phi.T @ Phi + ridge * np.eye(Phi.shape[1])
    coef = np.linalg.solve(S, Phi.T @ targets)
    return {"A": coef[:-1], "b": coef[-1]}


def online_sg_predictions(h, targets, ridge=1.0):
    """Predict-then-update: row n is s_{n−1}(hₙ), the model fitted on samples 0..n−1 only
    (recursive least squares via running sums; row 0 meets an empty model and gets 0).
    The ridge (default 1) keeps the first few fits, on fewer samples than coefficients, from
    extrapolating wildly: a prior pulling toward the zero-initialised module."""
    Phi = _with_bias(h)
    n, p = Phi.shape
    outer = np.einsum("ni,nj->nij", Phi, Phi)
    S = np.cumsum(outer, axis=0) - outer + ridge * np.eye(p)  # sums over samples before n
    B = np.cumsum(np.einsum("ni,nj->nij", Phi, targets), axis=0)
    B = np.concatenate([np.zeros_like(B[:1]), B[:-1]], axis=0)
    coef = np.linalg.solve(S, B)
    return np.einsum("ni,nij->nj", Phi, coef)


def estimates(samples, sigma, W2, n_list, protocol="same", ridge=None, bias=True):
    """BP and SG estimates of the lower gradient from the first N samples, for each N in
    n_list: arrays (len(n_list), dim). The SG model saw: "same" the same N samples; "online"
    only the samples before each one. ridge: None for the defaults (1e-6 "same", 1 "online")."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose from {PROTOCOLS}")
    X, h = samples["X"], samples["h"]
    t = feedback_signal(samples, sigma, W2)
    if protocol == "online":
        s_all = online_sg_predictions(h, t, 1.0 if ridge is None else ridge)
    bp, sg = [], []
    for n in n_list:
        bp.append(lower_gradient(X[:n], h[:n], t[:n], bias=bias))
        if protocol == "same":
            s = sg_predict(fit_sg(h[:n], t[:n], 1e-6 if ridge is None else ridge), h[:n])
        else:
            s = s_all[:n]
        sg.append(lower_gradient(X[:n], h[:n], s, bias=bias))
    return np.array(bp), np.array(sg)


def leave_one_out_baseline(r):
    """bₙ = mean of the other rewards: independent of sample n, so r − b keeps BP unbiased."""
    n = len(r)
    if n < 2:
        return np.zeros_like(r)
    return (r.sum() - r) / (n - 1)


def bp_baseline_estimates(samples, sigma, W2, n_list, bias=True):
    """BP + baseline: BP with rₙ − bₙ (leave-one-out mean reward of the first N samples), for
    each N in n_list: an array (len(n_list), dim)."""
    out = []
    for n in n_list:
        first = {k: v[:n] for k, v in samples.items()}
        r = first["mu"] + sigma * first["eps"]
        t = feedback_signal(first, sigma, W2, leave_one_out_baseline(r))
        out.append(lower_gradient(first["X"], first["h"], t, bias=bias))
    return np.array(out)


def error_decomposition(est, truth):
    """Over R repeated runs (axis 0): MSE = E‖Ĝ − G‖², bias² = ‖E Ĝ − G‖², variance =
    E‖Ĝ − EĜ‖² (population formulas over the runs, so MSE = bias² + variance exactly). The
    run average itself is noisy, so bias² overstates the bias by about variance/R;
    "bias2_debiased" = max(bias² − variance/(R − 1), 0) corrects that (for plots of bias).
    Other axes are kept."""
    runs = est.shape[0]
    mean = est.mean(axis=0)
    bias2 = np.sum((mean - truth) ** 2, axis=-1)
    var = np.mean(np.sum((est - mean) ** 2, axis=-1), axis=0)
    mse = np.mean(np.sum((est - truth) ** 2, axis=-1), axis=0)
    debiased = np.maximum(bias2 - var / max(runs - 1, 1), 0.0)
    return {"mse": mse, "bias2": bias2, "variance": var, "bias2_debiased": debiased}


def mse_vs_samples(bandit, sigma=3.0, n_list=(8, 16, 32, 64, 128, 256, 512), runs=100,
                   lams=(0.0, 0.5, 1.0), protocol="same", seed=0, progress=None):
    """Squared error of BP (λ = 0), SG (λ = 1) and mixtures against the exact lower gradient,
    as the number of samples grows, over `runs` independent runs. Returns arrays indexed
    [λ, N] for mse / bias2 / variance (and their relative versions, divided by ‖G‖²)."""
    rng = np.random.default_rng(seed)
    n_list = [int(n) for n in n_list]
    truth = true_gradient(bandit)
    W2 = bandit.params["W2"]
    est = np.empty((runs, len(lams), len(n_list), truth.size))
    est_bpb = np.empty((runs, len(n_list), truth.size))
    for r in range(runs):
        samples = draw(bandit, max(n_list), rng)
        bp, sg = estimates(samples, sigma, W2, n_list, protocol, bias=bandit.lower_bias)
        est_bpb[r] = bp_baseline_estimates(samples, sigma, W2, n_list, bandit.lower_bias)
        for i, lam in enumerate(lams):
            est[r, i] = mix(sg, bp, float(lam))
        if progress is not None:
            progress(r + 1, runs)
    dec = error_decomposition(est, truth)
    norm2 = float(truth @ truth)
    out = {"n": np.array(n_list), "lams": np.array(lams, dtype=float), "sigma": float(sigma),
           "runs": runs, "protocol": protocol, "truth_norm2": norm2, **dec,
           "mse_bp_baseline": error_decomposition(est_bpb, truth)["mse"]}
    for k in ("mse", "bias2", "variance", "bias2_debiased"):
        out[f"rel_{k}"] = dec[k] / norm2
    out["rel_mse_bp_baseline"] = out["mse_bp_baseline"] / norm2
    return out


def mse_vs_sigma(bandit, sigmas=(0.0, 0.3, 1.0, 3.0, 10.0, 30.0), n=256, runs=100,
                 protocol="same", seed=0):
    """MSE of BP and SG at fixed N over a sweep of σ, with common random numbers across σ.

    Each estimate is A + σB (the noise enters linearly, also through the SG fit), so
    E‖Ĝ − G‖² = a + bσ² (the cross term has mean 0). Runs come in antithetic pairs (ε, −ε),
    which makes the cross term vanish from the run average too: the measured curves are
    exactly a + bσ². Also returned: a, b and the ceiling b_BP / b_SG of the ratio.
    """
    rng = np.random.default_rng(seed)
    truth = true_gradient(bandit)
    W2 = bandit.params["W2"]
    sig = np.asarray(sigmas, dtype=float)
    runs = 2 * max(1, runs // 2)
    bp = np.empty((runs, len(sig), truth.size))
    sg = np.empty_like(bp)
    bpb = np.empty_like(bp)
    for r in range(runs):
        if r % 2 == 0:
            samples = draw(bandit, n, rng)
        else:
            samples = dict(samples, eps=-samples["eps"])
        for i, s in enumerate(sig):
            b_, s_ = estimates(samples, s, W2, [n], protocol, bias=bandit.lower_bias)
            bp[r, i], sg[r, i] = b_[0], s_[0]
            bpb[r, i] = bp_baseline_estimates(samples, s, W2, [n], bandit.lower_bias)[0]
    d_bp, d_sg = error_decomposition(bp, truth), error_decomposition(sg, truth)
    mse_bpb = error_decomposition(bpb, truth)["mse"]
    out = {"sigmas": sig, "n": n, "runs": runs, "protocol": protocol,
           "mse_bp": d_bp["mse"], "mse_sg": d_sg["mse"], "bias2_sg": d_sg["bias2"],
           "bias2_bp": d_bp["bias2"], "ratio": d_bp["mse"] / d_sg["mse"],
           "mse_bp_baseline": mse_bpb, "ratio_baseline": mse_bpb / d_sg["mse"]}
    out.update(_quadratic_fit(sig, d_bp["mse"], d_sg["mse"]))
    out["ceiling_baseline"] = _quadratic_fit(sig, mse_bpb, d_sg["mse"])["ceiling"]
    return out


def _quadratic_fit(sig, mse_bp, mse_sg):
    """Least-squares a + bσ² for each method; the ceiling b_BP / b_SG."""
    if len(np.unique(sig)) < 2:
        return {"a_bp": np.nan, "b_bp": np.nan, "a_sg": np.nan, "b_sg": np.nan,
                "ceiling": np.nan}
    M = np.stack([np.ones_like(sig), sig ** 2], axis=1)
    (a_bp, b_bp), *_ = np.linalg.lstsq(M, mse_bp, rcond=None)
    (a_sg, b_sg), *_ = np.linalg.lstsq(M, mse_sg, rcond=None)
    return {"a_bp": a_bp, "b_bp": b_bp, "a_sg": a_sg, "b_sg": b_sg,
            "ceiling": b_bp / b_sg if b_sg > 0 else np.inf}


def ratio_vs_sigma(ms=(1, 2, 4, 8, 16), sigmas=(0.0, 0.3, 1.0, 3.0, 10.0, 30.0), n=256,
                   runs=100, protocol="same", seed=0, progress=None, **bandit_kw):
    """MSE_BP / MSE_SG against σ for several pooling factors m (discrete contexts)."""
    rows = []
    for k, m in enumerate(ms):
        b = make_bandit("discrete", m=m, seed=seed, **bandit_kw)
        rows.append(mse_vs_sigma(b, sigmas, n, runs, protocol, seed=seed + 1 + k))
        if progress is not None:
            progress(k + 1, len(ms))
    return {"ms": np.array(ms), "sigmas": np.asarray(sigmas, float), "n": n, "runs": runs,
            "protocol": protocol, "ratio": np.array([r["ratio"] for r in rows]),
            "ceiling": np.array([r["ceiling"] for r in rows]),
            "ratio_baseline": np.array([r["ratio_baseline"] for r in rows]),
            "ceiling_baseline": np.array([r["ceiling_baseline"] for r in rows]),
            "mse_bp": np.array([r["mse_bp"] for r in rows]),
            "mse_sg": np.array([r["mse_sg"] for r in rows])}


def mse_vs_lambda(bandit, sigma=3.0, n=256, lams=LAMBDAS, runs=100,
                  protocol="same", seed=0):
    """bias², variance and MSE of λ·SG + (1 − λ)·BP at fixed N, over λ."""
    r = mse_vs_samples(bandit, sigma, [n], runs, tuple(lams), protocol, seed)
    return {k: (v[:, 0] if isinstance(v, np.ndarray) and v.ndim == 2 else v)
            for k, v in r.items()}


# ----------------------------------------------------------------------------------------
# Learning curves: train the policy with BP, SG or a mixture feeding the lower module
# ----------------------------------------------------------------------------------------

def train_bandit(bandit, lam=0.0, sigma=3.0, steps=300, batch=16, lr=1.0, sg_lr=0.05,
                 train_upper=False, seed=0, eval_every=5):
    """Policy-gradient training on the bandit; the lower module gets λ·SG + (1 − λ)·BP.

    The upper module (W₂, b₂) is held fixed by default, so the curves isolate what the lower
    module's feedback does; with train_upper=True it gets its own sampled gradient (it sees
    the feedback directly, whatever λ is). The SG model (`SyntheticGradient`, linear, Adam)
    is updated after every batch on (h, W₂ᵀv). Plain gradient ascent with step `lr` on the
    batch-mean gradients; rewards are centred by a running mean of past batches' rewards (a
    reward baseline, for every λ: λ = 0 is BP + baseline, what a practitioner runs; the
    baseline does not depend on this batch, so BP stays unbiased). Returns the exact expected
    reward and regret (best − expected) every `eval_every` steps.
    """
    rng = np.random.default_rng(seed)
    params = {k: v.copy() for k, v in bandit.params.items()}
    sg = SyntheticGradient(bandit.H, rng, kind="linear", lr=sg_lr)
    best = best_expected_reward(bandit)
    baseline = 0.0
    evals, rewards = [], []
    for step in range(steps + 1):
        if step % eval_every == 0 or step == steps:
            J = expected_reward(bandit, params)
            evals.append(step * batch)
            rewards.append(J)
            if not np.isfinite(J):
                break
        if step == steps:
            break
        s = draw(bandit, batch, rng, params)
        r = s["mu"] + sigma * s["eps"]
        centred = dict(s, mu=r - baseline, eps=np.zeros(batch))
        baseline += 0.05 * (r.mean() - baseline)
        t = feedback_signal(centred, 0.0, params["W2"])
        g_hat = sg.predict(s["h"])
        signal = mix(g_hat, t, float(lam))
        low = unflatten(bandit, lower_gradient(s["X"], s["h"], signal, bias=bandit.lower_bias),
                        "lower")
        for key, g in low.items():
            params[key] += lr * g
        if train_upper:
            vv = -s["pi"] * centred["mu"][:, None]
            vv[np.arange(batch), s["a"]] += centred["mu"]
            params["W2"] += lr * vv.T @ s["h"] / batch
            params["b2"] += lr * vv.mean(axis=0)
        sg.update(s["h"], t)
    rewards = np.array(rewards)
    return {"samples": np.array(evals), "reward": rewards, "regret": best - rewards,
            "best": best, "lam": float(lam), "sigma": float(sigma)}


def learning_curves(bandit, lams=(0.0, 0.5, 1.0), sigma=3.0, seeds=10, steps=300, batch=16,
                    lr=1.0, train_upper=False, progress=None):
    """`train_bandit` for each λ over `seeds` seeds: reward and regret arrays [λ, seed, eval]."""
    rew = []
    total, done = len(lams) * seeds, 0
    for lam in lams:
        row = []
        for s in range(seeds):
            out = train_bandit(bandit, lam, sigma, steps, batch, lr, train_upper=train_upper,
                               seed=1000 + s)
            row.append(out["reward"])
            done += 1
            if progress is not None:
                progress(done, total)
        rew.append(row)
    rew = np.array(rew)
    best = best_expected_reward(bandit)
    return {"lams": np.array(lams, float), "samples": out["samples"], "reward": rew,
            "regret": best - rew, "best": best, "sigma": float(sigma), "seeds": seeds,
            "batch": batch, "lr": lr, "initial": expected_reward(bandit)}
