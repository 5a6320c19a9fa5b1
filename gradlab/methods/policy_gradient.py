"""Policy gradient on a real environment; the lower layer gets backprop or a synthetic gradient.

Gymnasium's `CartPole-v1` (classic control; nothing is rendered): keep a pole upright by pushing
a cart left or right, reward 1 per step, at most 500 steps. The policy is the same two-stage
network as in `gradlab.methods.sample_efficiency`,

    s (4 numbers, scaled)  →  h = tanh(W₁ s + b₁)  →  y = W₂ h + b₂  →  π = softmax(y),

trained by REINFORCE: after each batch of whole episodes, every step t gives a feedback vector
vₜ = Âₜ (e_{aₜ} − πₜ), with Âₜ the discounted return from t on, standardised over the batch
(a baseline: it keeps the gradient unbiased up to the scale). The upper layer (W₂, b₂) always
gets its sampled gradient. The lower layer gets, at its output h,

- **BP**: the sampled signal tₜ = W₂ᵀ vₜ;
- **SG**: ŝ(hₜ, aₜ), a synthetic-gradient module
(`gradlab.methods.synthetic_gradients.SyntheticGradient`,
  one hidden layer, with the action as context as in cDNI) regressed on the tₜ of all past
  batches and used in their place: an average of past feedback rather than this episode's;
- or the mixture λ·SG + (1 − λ)·BP (`mix`).

`reward_noise` σ adds N(0, σ²) to every reward the *learner* sees (the returns we report are the
environment's own): the noisier second task, where the feedback is more random.

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


def train(method="bp", lam=None, steps=20_000, n_envs=8, hidden=32, lr=0.01, gamma=0.99,
          reward_noise=0.0, sg_hidden=64, sg_lr=3e-3, sg_epochs=2, seed=0, env_id=ENV_ID,
          progress=None):
    """Train for about `steps` environment steps. method: "bp", "sg" or "mix" (λ = lam, 0.5 by
    default). Returns env steps and mean true return after each batch of `n_envs` episodes,
    and the per-batch relative difference between the lower layer's SG and BP updates."""
    if method not in ("bp", "sg", "mix"):
        raise ValueError(f"unknown method {method!r}; choose 'bp', 'sg' or 'mix'")
    with single_threaded():
        return _train(method, lam, steps, n_envs, hidden, lr, gamma, reward_noise, sg_hidden,
                      sg_lr, sg_epochs, seed, env_id, progress)


def _train(method, lam, steps, n_envs, hidden, lr, gamma, reward_noise, sg_hidden, sg_lr,
           sg_epochs, seed, env_id, progress):
    lam = {"bp": 0.0, "sg": 1.0, "mix": 0.5 if lam is None else float(lam)}[method]
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
        adv = (G - G.mean()) / (G.std() + 1e-8)
        s, h, pi = (np.concatenate([ep[k] for ep in episodes]) for k in ("s", "h", "pi"))
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
            "sg_relative_error": np.array(sg_err)}


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
