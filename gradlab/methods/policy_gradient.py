"""Policy gradient on a real environment; the lower layer gets backprop or a synthetic gradient.

Gymnasium's `CartPole-v1` (classic control; nothing is rendered): keep a pole upright by pushing
a cart left or right, reward 1 per step, at most 500 steps. The policy is the same two-stage
network as in `gradlab.methods.sample_efficiency`,

    s (4 numbers, scaled)  →  h = tanh(W₁ s + b₁)  →  y = W₂ h + b₂  →  π = softmax(y),

trained by REINFORCE: after each batch of whole episodes, every step t gives a feedback vector
vₜ = Âₜ (e_{aₜ} − πₜ), with Âₜ the discounted return from t on, standardised over the batch.
Subtracting the batch mean is a constant baseline computed from the same batch, so the gradient
is unbiased only up to an O(1/batch) term and a positive scale. The upper layer (W₂, b₂) always
gets its sampled gradient. The lower layer gets, at its output h,

- **BP**: the sampled signal tₜ = W₂ᵀ vₜ;
- **BP + baseline** ("bp_baseline", what a practitioner runs): REINFORCE with a learned
  state-value baseline, Âₜ = Gₜ − V(sₜ, t) (then standardised), V a ridge regression on
  quadratic features of the state and the time step, fitted on the *previous* batch;
- **SG**: ŝ(hₜ, aₜ), a synthetic-gradient module
  (`gradlab.methods.synthetic_gradients.SyntheticGradient`, one hidden layer, with the action
  as context as in cDNI) regressed on the tₜ of all past batches and used in their place: an
  average of past feedback rather than this episode's;
- or the mixture λ·SG + (1 − λ)·BP (`mix`).

**This design is not fair to SG, and says so.** (1) The upper layer is trained by REINFORCE
whatever the lower layer gets, so half the policy always carries the full noise; (2) the SG
module regresses the whole 32-number vector tₜ = Âₜ W₂ᵀ(e_a − π), although its only random
factor is the scalar Âₜ — it must learn the known factor W₂ᵀ(e_a − π), which moves as W₂ trains;
(3) its targets are Monte-Carlo returns of past batches (no bootstrapping, and stale once the
policy moves); (4) it takes two Adam steps per batch, so it is never fitted to convergence.
What the learning curves therefore show: whether *this* SG module, fed what BP is fed, helps a
policy-gradient learner — not the paper's claim, whose design we do not know. The claim itself
(the gradient's MSE) is measured at a fixed policy by `gradient_mse_vs_noise`, where the SG is
a least-squares fit (no optimiser) and may regress the scalar return instead of the vector.

`reward_noise` σ adds N(0, σ²) to every reward the *learner* sees (the returns we report are the
environment's own): the noisier second task, where the feedback is more random.

`gradient_mse_vs_noise`: at a fixed policy, the squared error of the lower layer's gradient
estimated from N episodes by BP, BP + value baseline and SG (fitted on the same N episodes),
against the true gradient (a large independent average), as the reward noise σ grows.

Both layers step with Adam (`synthetic_gradients.Optimizer`). Randomness: the environments are
seeded from `seed`, the actions and the reward noise come from a `numpy.random.Generator`.
"""

from __future__ import annotations

import numpy as np

from .sample_efficiency import single_threaded
from .synthetic_gradients import Optimizer, SyntheticGradient, mix

ENV_ID = "CartPole-v1"
OBS_SCALE = np.array([2.4, 3.0, 0.21, 3.0])  # cart position, velocity, pole angle, ang. velocity


def make_envs(n, seed, env_id=ENV_ID):
    """n Gymnasium environments (no rendering), reset with seeds seed, seed+1, ..."""
    import gymnasium as gym

    envs = [gym.make(env_id) for _ in range(n)]
    for k, env in enumerate(envs):
        env.reset(seed=int(seed) + k)
        env.action_space.seed(int(seed) + k)
    return envs


def init_policy(rng, obs_dim=4, hidden=32, n_actions=2):
    """W₁ ~ N(0, 1/obs_dim), W₂ small, so the first policy is nearly uniform."""
    return {"W1": rng.normal(0.0, 1.0 / np.sqrt(obs_dim), (hidden, obs_dim)),
            "b1": np.zeros(hidden),
            "W2": rng.normal(0.0, 0.1 / np.sqrt(hidden), (n_actions, hidden)),
            "b2": np.zeros(n_actions)}


def policy(params, obs):
    """(scaled input s, hidden h, action probabilities π) for observations (n, 4)."""
    s = obs / OBS_SCALE
    h = np.tanh(s @ params["W1"].T + params["b1"])
    y = h @ params["W2"].T + params["b2"]
    y = y - y.max(axis=1, keepdims=True)
    p = np.exp(y)
    return s, h, p / p.sum(axis=1, keepdims=True)


def run_episodes(envs, params, rng, random_policy=False):
    """One whole episode in each environment (stepped side by side, one batched forward pass
    per step). Returns a list of episodes, each a dict of arrays s, h, pi, a, r (rewards)."""
    n = len(envs)
    obs = [env.reset()[0] for env in envs]
    active = list(range(n))
    eps = [{"s": [], "h": [], "pi": [], "a": [], "r": []} for _ in range(n)]
    while active:
        s, h, pi = policy(params, np.array([obs[i] for i in active]))
        if random_policy:
            pi = np.full_like(pi, 1.0 / pi.shape[1])
        a = (rng.random(len(active)) > pi[:, 0]).astype(int)  # two actions
        still = []
        for j, i in enumerate(active):
            ob, r, term, trunc, _ = envs[i].step(int(a[j]))
            for key, val in (("s", s[j]), ("h", h[j]), ("pi", pi[j]), ("a", a[j]), ("r", r)):
                eps[i][key].append(val)
            obs[i] = ob
            if not (term or trunc):
                still.append(i)
        active = still
    return [{k: np.array(v) for k, v in ep.items()} for ep in eps]


def returns_to_go(rewards, gamma):
    """Gₜ = Σ_{k ≥ t} γ^{k−t} r_k."""
    out = np.empty(len(rewards))
    acc = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        acc = rewards[t] + gamma * acc
        out[t] = acc
    return out


METHODS = ("bp", "bp_baseline", "sg", "mix")


def value_features(s, t):
    """Features of (scaled state s, time step t) for the value baseline: 1, s, s_i s_j (i ≤ j),
    t/200, (t/200)²."""
    i, j = np.triu_indices(s.shape[1])
    tt = np.asarray(t, dtype=float)[:, None] / 200.0
    return np.concatenate([np.ones((len(s), 1)), s, s[:, i] * s[:, j], tt, tt * tt], axis=1)


def ridge_fit(Phi, y, ridge=1e-3):
    """Least squares of y on the columns of Phi, with a small ridge: the coefficients."""
    return np.linalg.solve(Phi.T @ Phi + ridge * np.eye(Phi.shape[1]), Phi.T @ y)


def action_features(h, a, n_actions=2):
    """[h, 1] once per action (zeros for the other actions): a linear model of (h, a)."""
    hb = np.concatenate([h, np.ones((len(h), 1))], axis=1)
    out = np.zeros((len(h), n_actions * hb.shape[1]))
    for k in range(n_actions):
        out[a == k, k * hb.shape[1]:(k + 1) * hb.shape[1]] = hb[a == k]
    return out


def train(method="bp", lam=None, steps=20_000, n_envs=8, hidden=32, lr=0.01, gamma=0.99,
          reward_noise=0.0, sg_hidden=64, sg_lr=3e-3, sg_epochs=2, seed=0, env_id=ENV_ID,
          progress=None):
    """Train for about `steps` environment steps. method: "bp", "bp_baseline" (BP with a value
    baseline), "sg" or "mix" (λ = lam, 0.5 by default). Returns env steps and mean true return
    after each batch of `n_envs` episodes, the per-batch relative difference between the lower
    layer's SG and BP updates, and the final parameters."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {METHODS}")
    with single_threaded():
        return _train(method, lam, steps, n_envs, hidden, lr, gamma, reward_noise, sg_hidden,
                      sg_lr, sg_epochs, seed, env_id, progress)


def _train(method, lam, steps, n_envs, hidden, lr, gamma, reward_noise, sg_hidden, sg_lr,
           sg_epochs, seed, env_id, progress):
    lam = {"bp": 0.0, "bp_baseline": 0.0, "sg": 1.0,
           "mix": 0.5 if lam is None else float(lam)}[method]
    value_coef = None  # the value baseline, fitted on the previous batch
    rng = np.random.default_rng(seed)
    envs = make_envs(n_envs, 10_000 * seed + 1, env_id)
    n_actions = envs[0].action_space.n
    params = init_policy(rng, envs[0].observation_space.shape[0], hidden, n_actions)
    opt = Optimizer(params, lr, "adam")
    sg = SyntheticGradient(hidden, rng, kind="mlp", context_dim=n_actions, hidden=sg_hidden,
                           lr=sg_lr) if lam > 0 else None
    done, env_steps, returns, sg_err = 0, [], [], []
    while done < steps:
        episodes = run_episodes(envs, params, rng)
        ret = np.array([ep["r"].sum() for ep in episodes])
        seen = [ep["r"] + reward_noise * rng.standard_normal(len(ep["r"])) for ep in episodes]
        G = np.concatenate([returns_to_go(r, gamma) for r in seen])
        s, h, pi = (np.concatenate([ep[k] for ep in episodes]) for k in ("s", "h", "pi"))
        if method == "bp_baseline":
            phi = value_features(s, np.concatenate([np.arange(len(r)) for r in seen]))
            A = G - (phi @ value_coef if value_coef is not None else 0.0)
            value_coef = ridge_fit(phi, G)  # for the next batch
        else:
            A = G
        adv = (A - A.mean()) / (A.std() + 1e-8)
        a = np.concatenate([ep["a"] for ep in episodes])
        onehot = np.eye(n_actions)[a]
        v = adv[:, None] * (onehot - pi)
        t = v @ params["W2"]
        if sg is not None:
            s_hat = sg.predict(h, onehot)
            signal = mix(s_hat, t, lam)
            num = np.linalg.norm(s_hat - t)
            sg_err.append(num / (np.linalg.norm(t) + 1e-12))
        else:
            signal = t
        delta = (1.0 - h * h) * signal
        n = len(a)
        grads = {"W1": -delta.T @ s / n, "b1": -delta.mean(axis=0),  # ascent via a minimiser
                 "W2": -v.T @ h / n, "b2": -v.mean(axis=0)}
        opt.step(params, grads)
        if sg is not None:
            for _ in range(sg_epochs):
                sg.update(h, t, onehot)
        done += n
        env_steps.append(done)
        returns.append(ret.mean())
        if progress is not None:
            progress(min(done, steps), steps)
    for env in envs:
        env.close()
    return {"env_steps": np.array(env_steps), "returns": np.array(returns), "method": method,
            "lam": lam, "reward_noise": float(reward_noise),
            "sg_relative_error": np.array(sg_err), "params": params}


def random_policy_return(episodes=100, seed=0, env_id=ENV_ID):
    """Mean and std of the return of the uniformly random policy."""
    rng = np.random.default_rng(seed)
    envs = make_envs(episodes, 777 + seed, env_id)
    dummy = init_policy(rng, envs[0].observation_space.shape[0], 4, envs[0].action_space.n)
    ret = np.array([ep["r"].sum() for ep in run_episodes(envs, dummy, rng, random_policy=True)])
    for env in envs:
        env.close()
    return float(ret.mean()), float(ret.std())


def on_grid(env_steps, values, grid):
    """A learning curve resampled on a common grid of env steps (last value carried forward)."""
    idx = np.searchsorted(env_steps, grid, side="right") - 1
    out = np.where(idx >= 0, values[np.clip(idx, 0, None)], np.nan)
    return out


def learning_curves(methods=("bp", "sg"), seeds=5, steps=20_000, reward_noise=0.0,
                    grid_points=40, progress=None, **kw):
    """`train` for each method over seeds; returns on a common grid, [method, seed, point]."""
    grid = np.linspace(steps / grid_points, steps, grid_points)
    curves = np.empty((len(methods), seeds, grid_points))
    total, k = len(methods) * seeds, 0
    final_sg_err = {}
    for i, method in enumerate(methods):
        errs = []
        for s in range(seeds):
            out = train(method, steps=steps, reward_noise=reward_noise, seed=s, **kw)
            curves[i, s] = on_grid(out["env_steps"], out["returns"], grid)
            if len(out["sg_relative_error"]):
                errs.append(out["sg_relative_error"][-5:].mean())
            k += 1
            if progress is not None:
                progress(k, total)
        final_sg_err[method] = float(np.mean(errs)) if errs else float("nan")
    return {"methods": list(methods), "grid": grid, "returns": curves, "seeds": seeds,
            "steps": steps, "reward_noise": float(reward_noise), "env_id": kw.get("env_id",
                                                                                  ENV_ID),
            "sg_relative_error": final_sg_err}


# ----------------------------------------------------------------------------------------
# The claim itself: the gradient's squared error at a fixed policy, as reward noise grows.
# ----------------------------------------------------------------------------------------

ESTIMATORS = ("bp", "bp_baseline", "sg_vector", "sg_return", "sg_past")


def collect_episodes(params, n, seed, rng, env_id=ENV_ID, chunk=64):
    """n whole episodes of the policy `params`, each with a standard normal ε per step (the
    reward noise for any σ is σε: common random numbers across σ)."""
    out = []
    k = 0
    while len(out) < n:
        envs = make_envs(min(chunk, n - len(out)), seed + k * chunk, env_id)
        for ep in run_episodes(envs, params, rng):
            ep["eps"] = rng.standard_normal(len(ep["r"]))
            out.append(ep)
        for env in envs:
            env.close()
        k += 1
    return out


def _stack(episodes, gamma):
    """Concatenate a batch of episodes: s, h, pi, a, time step t, G⁰ (returns of the true
    rewards) and E (returns of ε), so that the returns at noise σ are G⁰ + σE."""
    cat = {k: np.concatenate([ep[k] for ep in episodes]) for k in ("s", "h", "pi", "a")}
    cat["t"] = np.concatenate([np.arange(len(ep["r"])) for ep in episodes])
    cat["G0"] = np.concatenate([returns_to_go(ep["r"], gamma) for ep in episodes])
    cat["E"] = np.concatenate([returns_to_go(ep["eps"], gamma) for ep in episodes])
    cat["n_episodes"] = len(episodes)
    return cat


def lower_layer_gradient(batch, A, W2, signal=None):
    """REINFORCE gradient of the lower layer (W₁, b₁) from a batch: the sum over its steps of
    (∂h/∂θ₁)ᵀ tₜ with tₜ = Aₜ W₂ᵀ(e_a − πₜ) (or the given signal), divided by the number of
    episodes. Flat: W₁ then b₁."""
    if signal is None:
        onehot = np.eye(batch["pi"].shape[1])[batch["a"]]
        signal = (A[:, None] * (onehot - batch["pi"])) @ W2
    delta = (1.0 - batch["h"] ** 2) * signal
    n = batch["n_episodes"]
    return np.concatenate([(delta.T @ batch["s"]).ravel(), delta.sum(axis=0)]) / n


def lower_gradient_estimates(batch, other, sigma, W2, ridge=1e-3):
    """The four estimates of the lower layer's gradient from one batch of episodes at noise σ:
    BP (returns as they come), BP + baseline (Gₜ − V(sₜ, t), V fitted on `other`, an
    independent batch: the previous one), SG fitted on this batch by least squares on
    (h, a) features — regressing the whole vector tₜ ("sg_vector", what the learning curves'
    module does) or only the scalar return, the feedback's one random factor ("sg_return") —
    and SG fitted on `other` only ("sg_past": the returns of the previous batch, as a module in
    training has seen them; none of this batch's reward noise reaches it)."""
    G = batch["G0"] + sigma * batch["E"]
    onehot = np.eye(batch["pi"].shape[1])[batch["a"]]
    known = (onehot - batch["pi"]) @ W2  # tₜ = Gₜ × this
    phi_v = value_features(other["s"], other["t"])
    coef_v = ridge_fit(phi_v, other["G0"] + sigma * other["E"], ridge)
    V = value_features(batch["s"], batch["t"]) @ coef_v
    psi = action_features(batch["h"], batch["a"], batch["pi"].shape[1])
    t_vec = G[:, None] * known
    return {"bp": lower_layer_gradient(batch, G, W2),
            "bp_baseline": lower_layer_gradient(batch, G - V, W2),
            "sg_vector": lower_layer_gradient(batch, None, W2,
                                              psi @ ridge_fit(psi, t_vec, ridge)),
            "sg_return": lower_layer_gradient(batch, psi @ ridge_fit(psi, G, ridge), W2),
            "sg_past": lower_layer_gradient(batch, psi @ ridge_fit(
                action_features(other["h"], other["a"], batch["pi"].shape[1]),
                other["G0"] + sigma * other["E"], ridge), W2)}


def true_lower_gradient(episodes, W2, gamma, ridge=1e-3):
    """The gradient the estimators aim at, E[Σₜ Gₜ (∂log π(aₜ|sₜ)/∂θ₁)] (reward noise has mean
    0 and does not change it): the average over many episodes, with a value baseline cross-fitted
    on the other half (unbiased, lower variance). Returns (gradient, its squared standard error
    summed over coordinates)."""
    half = len(episodes) // 2
    parts = [_stack(episodes[:half], gamma), _stack(episodes[half:], gamma)]
    per_episode = []
    for k in (0, 1):
        batch, other = parts[k], parts[1 - k]
        V = value_features(batch["s"], batch["t"]) @ ridge_fit(
            value_features(other["s"], other["t"]), other["G0"], ridge)
        ends = np.cumsum([0] + [len(ep["r"]) for ep in (episodes[:half], episodes[half:])[k]])
        onehot = np.eye(batch["pi"].shape[1])[batch["a"]]
        signal = ((batch["G0"] - V)[:, None] * (onehot - batch["pi"])) @ W2
        delta = (1.0 - batch["h"] ** 2) * signal
        for a, b in zip(ends[:-1], ends[1:]):
            per_episode.append(np.concatenate([(delta[a:b].T @ batch["s"][a:b]).ravel(),
                                               delta[a:b].sum(axis=0)]))
    per_episode = np.array(per_episode)
    return per_episode.mean(axis=0), float(per_episode.var(axis=0).sum() / len(per_episode))


def gradient_mse_vs_noise(sigmas=(0.0, 3.0, 10.0, 30.0, 100.0), n_episodes=8, runs=30,
                          truth_episodes=1000, policy_steps=4000, hidden=32, gamma=0.99,
                          ridges=(1.0, 300.0), seed=0, progress=None):
    """Squared error of the lower layer's gradient from `n_episodes` episodes, for each
    estimator of ESTIMATORS, against the true gradient, over a sweep of the reward noise σ.

    The policy is fixed: REINFORCE (BP) trained for `policy_steps` env steps from `seed`. Every
    run draws its own batch and an independent "previous" batch (for the value baseline and
    "sg_past"); the same episodes and ε serve every σ, in antithetic pairs (ε, −ε), so each MSE
    is exactly a + bσ² over the runs. `ridges`: the ridge of every least-squares fit (value
    baseline and SG alike); a large ridge shrinks the fitted model toward 0 (bias for variance).
    Returns, per ridge, mse[estimator] (len(sigmas),) averaged over `runs`; and the truth's own
    squared standard error (it inflates every MSE alike).
    """
    with single_threaded():
        rng = np.random.default_rng(seed)
        params = train("bp", steps=policy_steps, hidden=hidden, seed=seed)["params"]
        W2 = params["W2"]
        base = 10_000_000 + 100_000 * seed
        truth_eps = collect_episodes(params, truth_episodes, base, rng)
        truth, truth_se2 = true_lower_gradient(truth_eps, W2, gamma)
        sig = np.asarray(sigmas, dtype=float)
        mse = [{k: np.zeros(len(sig)) for k in ESTIMATORS} for _ in ridges]
        pool = collect_episodes(params, 2 * n_episodes * runs, base + 50_000, rng)
        for r in range(runs):
            eps = pool[2 * n_episodes * r: 2 * n_episodes * (r + 1)]
            batch, other = _stack(eps[:n_episodes], gamma), _stack(eps[n_episodes:], gamma)
            for sign in (1.0, -1.0):  # antithetic pairs ε, −ε: the cross term cancels exactly
                for i, sigma in enumerate(sig):
                    for j, ridge in enumerate(ridges):
                        est = lower_gradient_estimates(batch, other, sign * sigma, W2, ridge)
                        for k, g in est.items():
                            mse[j][k][i] += float(np.sum((g - truth) ** 2)) / (2 * runs)
            if progress is not None:
                progress(r + 1, runs)
    lengths = [len(ep["r"]) for ep in truth_eps]
    return {"sigmas": sig, "n_episodes": n_episodes, "runs": runs, "ridges": list(ridges),
            "mse": mse, "truth_norm2": float(truth @ truth), "truth_se2": truth_se2,
            "episode_length": float(np.mean(lengths)), "policy_steps": policy_steps,
            "truth_episodes": truth_episodes, "seed": seed, "gamma": gamma}
