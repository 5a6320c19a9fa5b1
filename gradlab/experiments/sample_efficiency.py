"""sg-sample-efficiency: when a synthetic gradient estimates the true gradient better than backprop.

Our reconstruction of Zhang, Tang & Koyejo (2026), *Is Backpropagation Optimal? When Synthetic
Gradients Improve Sample Efficiency* (arXiv:2605.27946). Only its abstract and introduction
could be read and no code is public: the paper states the framing (vectorized feedback; BP is
Monte-Carlo-like, SG is TD-like; SG wins under gradient uncertainty and local sufficiency; the
advantage can be arbitrarily large; contextual bandits and RL) but we know none of its numbers,
so every paper value below is qualitative and marked paper_verified=False. The constructions
(pooling factor m, the local-sufficiency switch, the protocols) are ours.

- sg-sample-efficiency/bandit: gradient MSE against the exact gradient
  (`gradlab.methods.sample_efficiency`).
- sg-sample-efficiency/cartpole: REINFORCE on Gymnasium's CartPole-v1 with BP or SG feeding the
  lower layer, without and with reward noise (`gradlab.methods.policy_gradient`).
"""

from __future__ import annotations

import numpy as np

from ..methods import policy_gradient as pg
from ..methods import sample_efficiency as se
from .registry import Headline, new_figure, register

PAPER = "Zhang, Tang & Koyejo 2026 (arXiv:2605.27946), abstract only"
NOT_READ = {"paper_verified": False}


def _bandit_settings(quick):
    s = {"K": 3, "groups": 4, "hidden": 8, "m": 8, "seed": 0,
         "sigmas_curves": [0.3, 3.0, 30.0], "n_list": [8, 16, 32, 64, 128, 256, 512, 1024],
         "ratio_ms": [1, 2, 4, 8, 16, 32], "ratio_sigmas": [0.0, 0.3, 1.0, 3.0, 10.0, 30.0],
         "ratio_n": 256, "protocol_sigma": 3.0, "sufficiency_sigma": 1.0, "lambda_sigma": 1.0,
         "lambda_n": 1024,
         "lc_sigma": 3.0, "lc_steps": 300, "lc_batch": 16, "lc_lr": 1.0, "lc_lams": [0.0, 0.5, 1.0]}
    if quick:
        s.update(runs=60, ratio_runs=40, lc_seeds=10)
    else:
        s.update(runs=300, ratio_runs=200, lc_seeds=20, lc_steps=600)
    return s


def _steps(progress, total):
    state = {"done": 0}

    def tick(k=1):
        state["done"] += k
        if progress is not None:
            progress(min(state["done"], total), total)
    return tick


def run_bandit(quick=False, progress=None):
    """Gradient MSE of BP, SG and mixtures vs samples, σ and m; local sufficiency; learning."""
    with se.single_threaded():
        return _run_bandit(quick, progress)


def _run_bandit(quick, progress):
    s = _bandit_settings(quick)
    tick = _steps(progress, 9)
    kw = {"K": s["K"], "groups": s["groups"], "hidden": s["hidden"], "seed": s["seed"]}
    ok = se.make_bandit("discrete", m=s["m"], **kw)
    broken = se.make_bandit("discrete", m=s["m"], sufficient=False, **kw)
    lams = (0.0, 0.5, 1.0)
    res = {"curves": [se.mse_vs_samples(ok, sig, s["n_list"], s["runs"], lams, seed=1)
                      for sig in s["sigmas_curves"]]}
    tick()
    res["ratio"] = se.ratio_vs_sigma(s["ratio_ms"], s["ratio_sigmas"], s["ratio_n"],
                                     s["ratio_runs"], seed=s["seed"], K=s["K"],
                                     groups=s["groups"], hidden=s["hidden"])
    tick()
    cont_kw = {"K": s["K"], "hidden": s["hidden"], "seed": s["seed"]}
    res["ratio_continuous"] = se.mse_vs_sigma(se.make_bandit("continuous", **cont_kw),
                                              s["ratio_sigmas"], s["ratio_n"], s["ratio_runs"],
                                              seed=3)
    tick()
    sig = s["sufficiency_sigma"]
    res["sufficiency"] = {
        "ok": se.mse_vs_samples(ok, sig, s["n_list"], s["runs"], lams, seed=4),
        "broken": se.mse_vs_samples(broken, sig, s["n_list"], s["runs"], lams, seed=4),
        "ok_continuous": se.mse_vs_samples(se.make_bandit("continuous", **cont_kw), sig,
                                           s["n_list"], s["runs"], lams, seed=5),
        "broken_continuous": se.mse_vs_samples(
            se.make_bandit("continuous", sufficient=False, **cont_kw), sig, s["n_list"],
            s["runs"], lams, seed=5)}
    tick()
    res["lambda"] = {name: se.mse_vs_lambda(b, s["lambda_sigma"], s["lambda_n"], runs=s["runs"],
                                            seed=6)
                     for name, b in (("ok", ok), ("broken", broken))}
    tick()
    res["online"] = se.mse_vs_samples(ok, s["protocol_sigma"], s["n_list"], s["runs"], lams,
                                      protocol="online", seed=7)
    res["same"] = se.mse_vs_samples(ok, s["protocol_sigma"], s["n_list"], s["runs"], lams,
                                    protocol="same", seed=7)
    tick()
    lc_kw = {"lams": tuple(s["lc_lams"]), "sigma": s["lc_sigma"], "seeds": s["lc_seeds"],
             "steps": s["lc_steps"], "batch": s["lc_batch"], "lr": s["lc_lr"]}
    res["learning"] = {"ok": se.learning_curves(ok, **lc_kw)}
    tick()
    res["learning"]["broken"] = se.learning_curves(broken, **lc_kw)
    tick(2)
    res["config"] = s
    res["seeds"] = list(range(1000, 1000 + s["lc_seeds"]))
    res["protocols"] = {
        "mse_vs_samples": "same: SG fitted on the same N samples BP uses",
        "ratio_vs_sigma": "same: SG fitted on the same N samples BP uses",
        "local_sufficiency": "same: SG fitted on the same N samples BP uses",
        "protocols": "same vs online (SG for sample n fitted on samples before n only)",
        "bandit_learning": "online: SG module (Adam) updated after each batch on all past "
                           "batches' feedback; it predicts before it sees the batch"}
    return res


def _plot_bandit(results):
    from ..plots import sample_efficiency as P

    figs = {}
    cfg = results["config"]
    note = P.protocol_note("same")
    fig = new_figure((13, 4))
    axes = fig.subplots(1, len(results["curves"]), sharey=True)
    for ax, r in zip(axes, results["curves"]):
        P.draw_mse_curves(fig, r, ax=ax)
    fig.suptitle(f"Discrete contexts, m = {cfg['m']} per hidden state, {cfg['runs']} runs — "
                 f"{note}", fontsize=11)
    figs["mse_vs_samples"] = fig

    fig = new_figure((12, 4.2))
    a1, a2 = fig.subplots(1, 2)
    P.draw_ratio(fig, results["ratio"], ax=a1,
                 title=f"discrete contexts: ratio at N = {cfg['ratio_n']} (dotted: ceiling)")
    P.draw_ratio(fig, results["ratio_continuous"], ax=a2,
                 title="continuous contexts (no pooling by design)")
    fig.suptitle(f"MSE_BP / MSE_SG vs σ — {P.protocol_note('same', cfg['ratio_n'])}; "
                 f"{results['ratio']['runs']} runs (antithetic pairs)", fontsize=11)
    figs["ratio_vs_sigma"] = fig

    fig = new_figure((13, 7.5))
    axes = fig.subplots(2, 3)
    suff = results["sufficiency"]
    for row, (ok_key, br_key, label) in enumerate((("ok", "broken", "discrete"),
                                                   ("ok_continuous", "broken_continuous",
                                                    "continuous"))):
        P.draw_mse_curves(fig, suff[ok_key], ax=axes[row, 0],
                          title=f"{label}: h carries what matters (sufficient)")
        P.draw_mse_curves(fig, suff[br_key], ax=axes[row, 1],
                          title=f"{label}: sufficiency broken (h misses a context bit)")
    P.draw_bias_variance(fig, results["lambda"]["ok"], ax=axes[0, 2],
                         title=f"sufficient, σ = {cfg['lambda_sigma']:g}, "
                               f"N = {cfg['lambda_n']}")
    P.draw_bias_variance(fig, results["lambda"]["broken"], ax=axes[1, 2],
                         title=f"broken, σ = {cfg['lambda_sigma']:g}, N = {cfg['lambda_n']}")
    fig.suptitle(f"Local sufficiency (σ = {cfg['sufficiency_sigma']:g} in the curves) — "
                 f"{note}", fontsize=11)
    figs["local_sufficiency"] = fig

    fig = new_figure((11, 4))
    a1, a2 = fig.subplots(1, 2, sharey=True)
    P.draw_mse_curves(fig, results["same"], ax=a1, title=P.protocol_note("same"))
    P.draw_mse_curves(fig, results["online"], ax=a2, title=P.protocol_note("online"))
    a1.title.set_fontsize(9)
    a2.title.set_fontsize(9)
    fig.suptitle(f"Which samples the SG model saw (σ = {cfg['protocol_sigma']:g}, m = "
                 f"{cfg['m']})", fontsize=11)
    figs["protocols"] = fig

    fig = new_figure((12, 4))
    a1, a2 = fig.subplots(1, 2, sharey=True)
    P.draw_learning_curves(fig, results["learning"]["ok"], ax=a1,
                           title=f"sufficient: σ = {cfg['lc_sigma']:g}, "
                                 f"{cfg['lc_seeds']} seeds, 95 % bands")
    P.draw_learning_curves(fig, results["learning"]["broken"], ax=a2,
                           title="sufficiency broken")
    fig.suptitle("Bandit training: the lower layer gets λ·SG + (1 − λ)·BP (upper layer fixed) — "
                 "protocol: SG module updated online on past batches", fontsize=11)
    figs["bandit_learning"] = fig
    return figs


def _final(lc, i, k=10):
    per_seed = lc["regret"][i][:, -k:].mean(axis=1)
    return float(per_seed.mean()), float(per_seed.std(ddof=1)), len(per_seed)


def _headlines_bandit(results):
    cfg = results["config"]
    r, out = results["ratio"], []
    k8 = list(r["ms"]).index(cfg["m"]) if cfg["m"] in list(r["ms"]) else len(r["ms"]) - 1
    runs = r["runs"]
    for j, sig in enumerate(r["sigmas"]):
        out.append(Headline(f"MSE_BP / MSE_SG, m = {r['ms'][k8]}, N = {r['n']}, σ = {sig:g}",
                            float(r["ratio"][k8, j]), "×", n_seeds=runs,
                            paper_value="SG better under gradient uncertainty (qualitative)",
                            note="protocol: SG fitted on the same N samples", **NOT_READ))
    for k, m in enumerate(r["ms"]):
        out.append(Headline(f"ceiling b_BP / b_SG of the ratio (σ → ∞), m = {m}",
                            float(r["ceiling"][k]), "×", n_seeds=runs,
                            paper_value="advantage can be arbitrarily large (qualitative)",
                            note=f"same-sample protocol, N = {r['n']}; expect ≈ m",
                            **NOT_READ))
    rc = results["ratio_continuous"]
    out.append(Headline(f"MSE_BP / MSE_SG, continuous contexts, σ = {rc['sigmas'][-1]:g}",
                        float(rc["ratio"][-1]), "×", n_seeds=rc["runs"],
                        note="no hidden state is shared: only the linear regressor pools"))
    suff = results["sufficiency"]
    n_last = int(suff["ok"]["n"][-1])
    for key, label in (("ok", "sufficient"), ("broken", "sufficiency broken"),
                       ("ok_continuous", "continuous, sufficient"),
                       ("broken_continuous", "continuous, broken")):
        d = suff[key]
        out.append(Headline(f"MSE_BP / MSE_SG at N = {n_last}, σ = {d['sigma']:g}, {label}",
                            float(d["mse"][0, -1] / d["mse"][-1, -1]), "×",
                            n_seeds=d["runs"],
                            paper_value="SG needs local sufficiency (qualitative)",
                            note="below 1: backprop is better", **NOT_READ))
    lam = results["lambda"]["broken"]
    out.append(Headline(f"best λ when sufficiency is broken (σ = {cfg['lambda_sigma']:g}, "
                        f"N = {cfg['lambda_n']})",
                        float(lam["lams"][int(np.argmin(lam["mse"]))]), "",
                        n_seeds=lam["runs"], paper_value="a mixture trades bias for variance",
                        **NOT_READ))
    on, same = results["online"], results["same"]
    out.append(Headline(f"MSE_BP / MSE_SG, online protocol, N = {n_last}, σ = {on['sigma']:g}",
                        float(on["mse"][0, -1] / on["mse"][-1, -1]), "×", n_seeds=on["runs"],
                        note=f"same-sample protocol: "
                             f"{same['mse'][0, -1] / same['mse'][-1, -1]:.2f}×"))
    for key, label in (("ok", "sufficient"), ("broken", "broken")):
        lc = results["learning"][key]
        for i, lam_ in enumerate(lc["lams"]):
            mean, std, n = _final(lc, i)
            out.append(Headline(f"final regret, bandit ({label}), λ = {lam_:g}", mean, "",
                                spread=std, n_seeds=n,
                                note=f"initial regret {lc['best'] - lc['initial']:.3f}; "
                                     f"σ = {lc['sigma']:g}"))
    return out


register("sg-sample-efficiency/bandit", plot=_plot_bandit, headlines=_headlines_bandit,
         description="Gradient MSE of BP, SG and λ-mixtures against the exact gradient on a "
                     "contextual bandit: vs samples, σ and pooling m; local sufficiency; "
                     "learning curves.")(run_bandit)


# ----------------------------------------------------------------------------------------
# CartPole
# ----------------------------------------------------------------------------------------

def _cartpole_settings(quick):
    if quick:
        return {"seeds": 5, "steps": 20_000, "methods": ["bp", "sg"], "noises": [0.0, 10.0],
                "n_envs": 8, "hidden": 32, "lr": 0.01, "random_episodes": 100}
    return {"seeds": 10, "steps": 60_000, "methods": ["bp", "sg", "mix"],
            "noises": [0.0, 10.0], "n_envs": 8, "hidden": 32, "lr": 0.01,
            "random_episodes": 200}


def run_cartpole(quick=False, progress=None):
    """REINFORCE on CartPole-v1 with BP / SG feedback to the lower layer, ± reward noise."""
    s = _cartpole_settings(quick)
    runs_per = len(s["methods"]) * s["seeds"]
    total = runs_per * len(s["noises"])
    res = {"random": pg.random_policy_return(s["random_episodes"]), "tasks": []}
    for k, noise in enumerate(s["noises"]):
        def part(done, _t, k=k):
            if progress is not None:
                progress(k * runs_per + done, total)
        res["tasks"].append(pg.learning_curves(tuple(s["methods"]), s["seeds"], s["steps"],
                                               noise, progress=part, n_envs=s["n_envs"],
                                               hidden=s["hidden"], lr=s["lr"]))
    res["config"] = s
    res["seeds"] = list(range(s["seeds"]))
    res["protocols"] = {"cartpole": "online: SG module (one hidden layer, action as context, "
                                    "Adam) regressed after each batch on all past batches' "
                                    "BP signals; it predicts before it sees the batch"}
    return res


def _plot_cartpole(results):
    from ..plots import sample_efficiency as P

    fig = new_figure((12, 4.2))
    axes = fig.subplots(1, len(results["tasks"]), sharey=True)
    for ax, task in zip(np.atleast_1d(axes), results["tasks"]):
        P.draw_returns(fig, task, ax=ax, random_return=results["random"][0])
    fig.suptitle("REINFORCE on CartPole-v1: the upper layer gets BP; the lower layer BP or SG "
                 "— protocol: SG fitted online on past batches", fontsize=11)
    return {"cartpole": fig}


def _headlines_cartpole(results):
    out = [Headline("random policy return", results["random"][0], "steps",
                    spread=results["random"][1], n_seeds=results["config"]["random_episodes"],
                    note="std over episodes")]
    for task in results["tasks"]:
        last = task["returns"][:, :, -4:].mean(axis=2)  # last 10 % of training, per seed
        for i, method in enumerate(task["methods"]):
            out.append(Headline(
                f"CartPole return at the end ({task['steps']} steps), reward noise σ = "
                f"{task['reward_noise']:g}, lower layer: {method.upper()}",
                float(last[i].mean()), "steps", spread=float(last[i].std(ddof=1)),
                n_seeds=task["seeds"], paper_value="SG improves sample efficiency on RL tasks "
                                                   "(qualitative)", **NOT_READ))
    return out


register("sg-sample-efficiency/cartpole", plot=_plot_cartpole, headlines=_headlines_cartpole,
         description="REINFORCE on Gymnasium CartPole-v1 with BP or SG feedback to the lower "
                     "layer, without and with reward noise, over seeds.")(run_cartpole)
