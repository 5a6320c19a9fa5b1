"""backward-sgd: the same SGD steps composed forwards or backwards (Dherin et al., TMLR 2025).

Three experiments (background: ../shared/research/backward_sgd.md):
- backward-sgd/ar1: θ ↦ (1−η)θ + ηξ. Forward iterates wander with stationary variance
  ησ²/(2−η); the backward iterate freezes to a point; backward limits over many seeds have the
  forward stationary law (two-sample Kolmogorov–Smirnov test).
- backward-sgd/least-squares: noisy least squares, batch 1–4 (and 8), constant η: distance to
  the optimum, the backward step ‖θ̃ₙ₊₁ − θ̃ₙ‖ decaying geometrically against the slope predicted
  by the top Lyapunov exponent of products of (I − ηH_B), the worst-case bound where it applies
  (every batch Hessian full rank), forward cloud vs backward limits, windowed costs.
- backward-sgd/digits-mlp: a small MLP on the 8×8 digits (stand-in for the paper's
  Fashion-MNIST MLP) at a large constant η: forward SGD vs windowed backward SGD (both of our
  readings, several k) and a short full backward run, at equal steps and at equal gradient
  evaluations.

The paper's claims beside ours: only its abstract and introduction were readable, so the claims
are qualitative ("converges to a point", "more stable, converges faster"); the windowed variant
the paper uses is not known to us, so claims about it are marked unverified.

The whole comparisons (`digits_orders`, `orders_2d`) live in `gradlab.methods.backward_sgd`, so
the command line, the notebook and the widgets compute the same way.
"""

from __future__ import annotations

import numpy as np

from ..methods import backward_sgd as io
from .registry import Headline, new_figure, register

TOPIC = "backward-sgd"
PAPER = "Dherin et al. 2025 (arXiv:2502.01557), abstract"


def _mean_sd(values):
    values = np.asarray(values, dtype=float)
    return float(np.mean(values)), float(np.std(values)) if values.size > 1 else None


# =============================================================================================
# 1. AR(1)
# =============================================================================================

def _ar1_settings(quick):
    if quick:
        return {"lrs": [0.1, 0.5, 1.0, 1.5], "sigma": 1.0, "runs_per_seed": 1000, "n_steps": 300,
                "traj_lr": 0.1, "traj_steps": 150, "seeds": [0, 1, 2]}
    return {"lrs": [0.05, 0.1, 0.2, 0.5, 1.0, 1.5], "sigma": 1.0, "runs_per_seed": 4000,
            "n_steps": 600, "traj_lr": 0.1, "traj_steps": 300, "seeds": [0, 1, 2, 3, 4]}


def _run_ar1(quick=False, progress=None):
    """AR(1): forward stationary variance vs ησ²/(2−η); backward limits vs the forward law."""
    s = _ar1_settings(quick)
    parts = io.progress_slices(progress, [len(s["lrs"]) * len(s["seeds"]), 1])
    rows = []
    done = 0
    for lr in s["lrs"]:
        per_seed = []
        for seed in s["seeds"]:
            rng = np.random.default_rng([seed, int(round(lr * 1000))])
            per_seed.append(io.ar1_compare(lr, s["sigma"], s["runs_per_seed"], s["n_steps"], rng))
            done += 1
            parts[0](done, len(s["lrs"]) * len(s["seeds"]))
        rows.append({
            "lr": lr, "theory": per_seed[0]["theory"],
            "var_forward": [r["var_forward"] for r in per_seed],
            "var_backward": [r["var_backward"] for r in per_seed],
            "ks_p": [r["ks_p"] for r in per_seed], "ks_stat": [r["ks_stat"] for r in per_seed],
            "forward_sample": np.concatenate([r["forward_sample"] for r in per_seed]),
            "backward_limits": np.concatenate([r["backward_limits"] for r in per_seed]),
        })
    # one run of each order, for the picture (the backward one recomputed from θ₀: O(N²))
    lr, n = s["traj_lr"], s["traj_steps"]
    noise = s["sigma"] * np.random.default_rng(s["seeds"][0]).normal(size=n)
    fwd = io.forward_sgd(io.ar1_grad, 0.0, noise, lr)
    bwd = io.backward_sgd(io.ar1_grad, 0.0, noise, lr,
                          progress=lambda d, t: parts[1](d, t))
    closed = np.array([io.ar1_backward_closed_form(0.0, noise[:k], lr) for k in range(n + 1)])
    return {"config": {k: v for k, v in s.items() if k != "seeds"}, "seeds": s["seeds"],
            "rows": rows,
            "trajectory": {"lr": lr, "forward": fwd.thetas, "backward": bwd.thetas,
                           "closed_form": closed, "backward_evals": bwd.total_grad_evals,
                           "forward_evals": fwd.total_grad_evals,
                           "theory": io.ar1_stationary_variance(lr, s["sigma"])}}


def _plot_ar1(results):

    from ..plots import backward_sgd as plots

    figs = {"trajectories": new_figure((10, 3.8)),
            "variance": new_figure((10, 3.8))}
    plots.draw_ar1_trajectories(figs["trajectories"], results["trajectory"])
    plots.draw_ar1_laws(figs["variance"], results)
    return figs


def _headlines_ar1(results):
    out = []
    n = len(results["seeds"])
    for row in results["rows"]:
        ratio, ratio_sd = _mean_sd(np.array(row["var_forward"]) / row["theory"])
        out.append(Headline(
            f"η={row['lr']:g}: forward stationary variance / (ησ²/(2−η))", ratio, "×",
            ratio_sd, n, note=f"theory ησ²/(2−η) = {row['theory']:.4g} (derived, not from the "
            f"paper); measured {np.mean(row['var_forward']):.4g}"))
        bratio, bratio_sd = _mean_sd(np.array(row["var_backward"]) / row["theory"])
        out.append(Headline(
            f"η={row['lr']:g}: variance of backward limits / (ησ²/(2−η))", bratio, "×",
            bratio_sd, n, paper_value="backward limit has forward SGD's stationary law",
            paper_verified=True, note=PAPER + "; same law per Diaconis & Freedman"))
        p, p_sd = _mean_sd(row["ks_p"])
        out.append(Headline(
            f"η={row['lr']:g}: KS two-sample p-value, backward limits vs forward iterates", p,
            "", p_sd, n, note="large p: no evidence the two laws differ "
            f"({len(row['backward_limits']) // n} runs per seed)"))
    tr = results["trajectory"]
    n = len(tr["backward"]) - 1
    last_step = float(abs(tr["backward"][-1] - tr["backward"][-2]))
    scale = (1 - tr["lr"]) ** (n - 1)
    out.append(Headline(
        f"η={tr['lr']:g}: last backward step |θ̃_N − θ̃_(N−1)|, N={n}", last_step, "", None, 1,
        paper_value="backward SGD converges to a point", paper_verified=True,
        note=f"{PAPER}; it shrinks like (1−η)^n: (1−η)^(N−1) = {scale:.1e}"))
    return out


register(f"{TOPIC}/ar1", plot=_plot_ar1, headlines=_headlines_ar1,
         description="AR(1) θ ↦ (1−η)θ + ηξ: forward stationary variance ησ²/(2−η), backward "
                     "iterate freezes, backward limits have the forward law.")(_run_ar1)


# =============================================================================================
# 2. Noisy least squares
# =============================================================================================

def _ls_settings(quick):
    if quick:
        return {"dim": 4, "n_rows": 48, "noise": 0.5, "lr": 0.2, "batch_sizes": [1, 2, 3, 4, 8],
                "n_steps": 200, "cloud_runs": 300, "windows": [4, 16], "lyap_steps": 1500,
                "lyap_runs": 4, "problem_seed": 0, "seeds": list(range(8))}
    return {"dim": 4, "n_rows": 48, "noise": 0.5, "lr": 0.2, "batch_sizes": [1, 2, 3, 4, 8],
            "n_steps": 300, "cloud_runs": 1000, "windows": [2, 4, 8, 16], "lyap_steps": 5000,
            "lyap_runs": 8, "problem_seed": 0, "seeds": list(range(16))}


def worst_case_bound_ratio(problem, batches, lr, backward_thetas, theta0):
    """max over n of ‖θ̃ₙ₊₁ − θ̃ₙ‖ / (cⁿ ‖Tₙ₊₁(θ₀) − θ₀‖) for one run, with c the largest
    ‖I − ηH_B‖₂ over the run's batches. The contraction bound says this is ≤ 1 (when c < 1 it is
    a geometric bound; with a singular batch Hessian c ≥ 1 and it says nothing)."""
    eye = np.eye(problem.dim)
    norms = np.linalg.norm(eye - lr * problem.batch_hessian(batches), ord=2, axis=(-2, -1))
    c = float(np.max(norms))
    steps = io.step_sizes(backward_thetas)
    first = np.array([np.linalg.norm(io.sgd_step(problem.grad, theta0, b, lr) - theta0)
                      for b in batches])
    n = np.arange(len(steps))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = steps / (c ** n * first)
    # n = 0 is an equality (ratio 1); beyond ~1e-13 both sides are rounding noise
    ok = (first > 0) & (steps > 1e-13) & (n >= 1)
    return float(np.max(ratio[ok])) if ok.any() else float("nan"), c


def _ls_batch(problem, s, b, progress):
    """Every measurement for one batch size (runs vectorised along axis 1)."""
    lr, n, d = s["lr"], s["n_steps"], problem.dim
    runs = len(s["seeds"])
    batches = np.stack([problem.sample_batches(np.random.default_rng([seed, b]), n, b)
                        for seed in s["seeds"]], axis=1)               # (N, R, b)
    theta0 = np.zeros((runs, d))
    fwd = io.forward_sgd(problem.grad, theta0, batches, lr)
    bwd = io.backward_sgd(problem.grad, theta0, batches, lr, progress=progress)
    opt = problem.optimum
    steps = io.step_sizes(bwd.thetas, run_axis=True)                     # (N, R)
    slopes = [io.fit_log_slope(steps[:, r], start=5) for r in range(runs)]
    pred = io.contraction_predictions(problem, lr, b, np.random.default_rng([99, b]),
                                      n_steps=s["lyap_steps"], n_runs=s["lyap_runs"])
    row = {"batch_size": b, "full_rank": pred["full_rank"], "slopes": slopes,
           "lyapunov": pred["lyapunov"], "lyapunov_sd": pred["lyapunov_sd"],
           "small_lr": pred["small_lr"], "worst_case_c": pred["worst_case_c"],
           "dist_forward": np.linalg.norm(fwd.thetas - opt, axis=-1),     # (N+1, R)
           "dist_backward": np.linalg.norm(bwd.thetas - opt, axis=-1),
           "steps_backward": steps, "steps_forward": io.step_sizes(fwd.thetas, run_axis=True),
           "evals_forward": fwd.total_grad_evals, "evals_backward": bwd.total_grad_evals}
    if pred["full_rank"]:
        ratios, cs = zip(*[worst_case_bound_ratio(problem, batches[:, r], lr, bwd.thetas[:, r],
                                                  theta0[r]) for r in range(runs)])
        row["bound_ratio_max"] = float(np.nanmax(ratios))
        row["bound_c"] = list(cs)
    return row, batches


def _ls_cloud(problem, s, b, rng):
    """Forward iterates at step N for many runs, and backward limits for as many other runs."""
    lr, n, d, runs = s["lr"], s["n_steps"], problem.dim, s["cloud_runs"]
    theta0 = np.zeros((runs, d))
    fwd_last = io.compose_forward(problem.grad, theta0, problem.sample_batches(rng, n, b, runs),
                                  lr)
    bwd_lim = io.compose_backward(problem.grad, theta0, problem.sample_batches(rng, n, b, runs),
                                  lr)
    # compare the laws along the principal axes of the Hessian (per-axis KS tests)
    _, vecs = np.linalg.eigh(problem.hessian)
    pvals = [io.ks_two_sample(fwd_last @ v, bwd_lim @ v)[1] for v in vecs.T]
    return {"forward": fwd_last, "backward": bwd_lim, "ks_p": pvals,
            "cov_forward": np.cov(fwd_last.T), "cov_backward": np.cov(bwd_lim.T),
            "optimum": problem.optimum, "axes": vecs}


def _ls_windowed(problem, s, batches, b):
    """Windowed variants on the first run: their cost and the jitter of their iterates."""
    lr = s["lr"]
    theta0 = np.zeros(problem.dim)
    out = []
    for mode in io.WINDOW_MODES:
        for k in s["windows"]:
            tr = io.windowed_backward_sgd(problem.grad, theta0, batches[:, 0], lr, k, mode)
            tail = io.step_sizes(tr.thetas)[len(tr.thetas) // 2:]
            out.append({"mode": mode, "window": k, "evals": tr.total_grad_evals,
                        "median_step_tail": float(np.median(tail)),
                        "dist": np.linalg.norm(tr.thetas - problem.optimum, axis=-1)})
    return out


def _run_least_squares(quick=False, progress=None):
    """Noisy least squares: distance to optimum, backward step decay vs the predicted slope."""
    s = _ls_settings(quick)
    problem = io.make_least_squares(np.random.default_rng(s["problem_seed"]), s["n_rows"],
                                    s["dim"], noise=s["noise"])
    parts = io.progress_slices(progress, [1] * len(s["batch_sizes"]) + [1])
    rows, main_batches = [], None
    for i, b in enumerate(s["batch_sizes"]):
        row, batches = _ls_batch(problem, s, b, parts[i])
        rows.append(row)
        if b == 1:
            main_batches = batches
    cloud = _ls_cloud(problem, s, 1, np.random.default_rng(12345))
    windowed = _ls_windowed(problem, s, main_batches, 1)
    parts[-1](1, 1)
    return {"config": {k: v for k, v in s.items() if k != "seeds"}, "seeds": s["seeds"],
            "rows": rows, "cloud": cloud, "windowed": windowed,
            "problem": {"A": problem.A, "y": problem.y, "optimum": problem.optimum,
                        "hessian_eigs": np.linalg.eigvalsh(problem.hessian)}}


def _plot_least_squares(results):

    from ..plots import backward_sgd as plots

    figs = {"distance": new_figure((10, 3.8)),
            "step_decay": new_figure((10, 3.8)),
            "cloud": new_figure((6, 5))}
    plots.draw_ls_distance(figs["distance"], results)
    plots.draw_ls_step_decay(figs["step_decay"], results)
    plots.draw_ls_cloud(figs["cloud"], results["cloud"])
    return figs


def _headlines_least_squares(results):
    s = results["config"]
    n = len(results["seeds"])
    out = []
    for row in results["rows"]:
        b = row["batch_size"]
        m, sd = _mean_sd(row["slopes"])
        out.append(Headline(
            f"batch {b}: measured slope of log‖θ̃ₙ₊₁ − θ̃ₙ‖ per step", m, "per step", sd, n,
            note=(f"predicted: top Lyapunov exponent {row['lyapunov']:.4f} ± "
                  f"{row['lyapunov_sd']:.4f}, small-η log(1−ηλ_min) {row['small_lr']:.4f}, "
                  f"worst case log c = {np.log(row['worst_case_c']):.4f}"
                  + ("" if row["full_rank"] else " (c ≥ 1: singular batch Hessians, says "
                                                   "nothing)"))))
        out.append(Headline(f"batch {b}: measured / predicted (Lyapunov) slope",
                            m / row["lyapunov"], "×", None if sd is None else
                            sd / abs(row["lyapunov"]), n,
                            paper_value="backward SGD converges geometrically (contractive "
                                        "region)", paper_verified=True, note=PAPER))
        if row["full_rank"]:
            out.append(Headline(
                f"batch {b} (full-rank batch Hessians): max step / worst-case bound cⁿ·‖T(θ₀)−θ₀‖",
                row["bound_ratio_max"], "≤ 1 holds", None, n,
                note=f"c over each run's batches: {min(row['bound_c']):.4f}–"
                     f"{max(row['bound_c']):.4f}"))
    first = results["rows"][0]
    dist_f = first["dist_forward"][len(first["dist_forward"]) // 2:]
    dist_b = first["dist_backward"][-1]
    out.append(Headline(f"batch {first['batch_size']}: forward distance to optimum, 2nd half "
                        "(mean over steps, runs)", float(np.mean(dist_f)), "", None, n,
                        note="forward jitters on a plateau"))
    out.append(Headline(f"batch {first['batch_size']}: backward distance to optimum at N",
                        float(np.mean(dist_b)), "", float(np.std(dist_b)), n,
                        note="a random point: the limit is a sample, not the minimiser"))
    cloud = results["cloud"]
    out.append(Headline("smallest KS p-value, forward iterates vs backward limits "
                        "(per Hessian axis)", float(min(cloud["ks_p"])), "", None,
                        len(cloud["forward"]), paper_value="same law", paper_verified=True,
                        note=PAPER + f"; {len(cloud['ks_p'])} axes, Bonferroni threshold "
                                     f"{0.01 / len(cloud['ks_p']):.3g}"))
    N = s["n_steps"]
    full = N * (N + 1) // 2
    for w in results["windowed"]:
        out.append(Headline(f"{w['mode']} k={w['window']}: gradient evaluations / full "
                            f"backward's (N={N})", w["evals"] / full, "×", None, 1,
                            note=f"{w['evals']} vs {full}; median step over the 2nd half "
                                 f"{w['median_step_tail']:.2e}"))
    return out


register(f"{TOPIC}/least-squares", plot=_plot_least_squares, headlines=_headlines_least_squares,
         description="Noisy least squares, batch 1–8: distance to the optimum for both orders, "
                     "backward step decay against the Lyapunov-exponent slope, forward cloud vs "
                     "backward limits, cost of windowed variants.")(_run_least_squares)


# =============================================================================================
# 3. Small MLP on digits
# =============================================================================================

def _digits_settings(quick):
    if quick:
        return {"lr": 0.6, "n_steps": 150, "batch_size": 16, "hidden": 32, "windows": [2, 8],
                "modes": ["sliding", "blocked"], "backward_steps": 40, "warm_start": 300,
                "warm_steps": 40, "warm_lr": 0.2, "seeds": [0]}
    return {"lr": 0.6, "n_steps": 300, "batch_size": 16, "hidden": 32, "windows": [2, 4, 8],
            "modes": ["sliding", "blocked"], "backward_steps": 120, "warm_start": 600,
            "warm_steps": 100, "warm_lr": 0.2, "seeds": [0, 1, 2, 3, 4]}


def _run_digits(quick=False, progress=None):
    """Digits MLP at a large η: forward vs windowed backward SGD at equal steps and compute."""
    s = _digits_settings(quick)
    parts = io.progress_slices(progress, [1] * len(s["seeds"]))
    runs = []
    for i, seed in enumerate(s["seeds"]):
        runs.append(io.digits_orders(lr=s["lr"], n_steps=s["n_steps"], batch_size=s["batch_size"],
                                  windows=tuple(s["windows"]), modes=tuple(s["modes"]),
                                  backward_steps=s["backward_steps"], seed=seed,
                                  warm_start=s["warm_start"], warm_steps=s["warm_steps"],
                                  warm_lr=s["warm_lr"],
                                  hidden=s["hidden"], progress=parts[i]))
    summary = summarise_digits(runs)
    return {"config": {k: v for k, v in s.items() if k != "seeds"}, "seeds": s["seeds"],
            "runs": runs, "summary": summary, "warm": summarise_warm(runs)}


def summarise_warm(runs):
    """Near a minimum (after the warm-up): slope of log‖θₙ₊₁ − θₙ‖ and the last/first step ratio
    for backward and forward SGD, per run."""
    out = {}
    for name in runs[0].get("warm", {}):
        rows = []
        for run in runs:
            st = run["warm"][name]["steps"]
            rows.append({"slope": io.fit_log_slope(st), "ratio": float(st[-1] / st[0]),
                         "median_step_last_quarter": float(np.median(st[-len(st) // 4:])),
                         "loss_tail": io.tail_stats(run["warm"][name])["loss_mean"]})
        out[name] = rows
    return out


def summarise_digits(runs):
    """Per method: tail statistics at equal steps, and forward SGD's at the same compute."""
    summary = {}
    for name in runs[0]["curves"]:
        rows = []
        for run in runs:
            c = run["curves"][name]
            fwd = run["curves"]["forward"]
            n = run["backward_steps"] if name == "backward (full)" else run["n_steps"]
            steps = io.tail_stats(c, upto=n)
            fwd_steps = io.tail_stats(fwd, upto=n)
            evals = int(c["evals"][n])
            fwd_compute = io.tail_stats(fwd, upto=min(evals, len(fwd["loss"]) - 1))
            rows.append({"steps": steps, "forward_equal_steps": fwd_steps,
                         "forward_equal_compute": fwd_compute, "evals": evals,
                         "diverged_at": c["diverged_at"], "n": n})
        summary[name] = rows
    return summary


def _plot_digits(results):

    from ..plots import backward_sgd as plots

    figs = {"equal_steps": new_figure((13, 4)),
            "equal_compute": new_figure((13, 4))}
    plots.draw_digits(figs["equal_steps"], results["runs"][0], x_axis="steps")
    plots.draw_digits(figs["equal_compute"], results["runs"][0], x_axis="gradient evaluations")
    if results["runs"][0].get("warm"):
        figs["warm_start"] = new_figure((10, 4))
        plots.draw_digits_warm(figs["warm_start"], results["runs"])
    return figs


def _headlines_digits(results):
    out = []
    summary = results["summary"]
    n_seeds = len(results["seeds"])
    lr = results["config"]["lr"]
    claim = "more stable, converges faster than forward SGD (Fashion-MNIST MLP; no numbers read)"
    for name, rows in summary.items():
        def get(key, field, rows=rows):
            return _mean_sd([r[key][field] for r in rows])

        n = rows[0]["n"]
        evals = rows[0]["evals"]
        windowed = name not in ("forward", "backward (full)")
        lm, ls = get("steps", "loss_mean")
        out.append(Headline(f"{name}: train loss, mean over last quarter of {n} steps (η={lr})",
                            lm, "nats", ls, n_seeds, note=f"{evals} gradient evaluations"))
        om, osd = get("steps", "loss_std")
        out.append(Headline(f"{name}: train-loss oscillation (std, last quarter of {n} steps)",
                            om, "nats", osd, n_seeds,
                            paper_value=None if name == "forward" else claim,
                            paper_verified=None if name == "forward" else not windowed,
                            note="" if not windowed else "the paper's windowed variant is not "
                                                         "known to us: our reading"))
        am, asd = get("steps", "acc_mean")
        out.append(Headline(f"{name}: test accuracy, mean over last quarter of {n} steps", am,
                            "", asd, n_seeds))
        sam, sas = get("steps", "acc_std")
        out.append(Headline(f"{name}: test-accuracy oscillation (std, last quarter)", sam, "",
                            sas, n_seeds))
        if name != "forward":
            fm, fs = get("forward_equal_compute", "loss_mean")
            fo, fos = get("forward_equal_compute", "loss_std")
            fa, fas = get("forward_equal_compute", "acc_mean")
            out.append(Headline(
                f"forward SGD at {name}'s compute ({evals} evaluations): train loss, "
                "mean last quarter", fm, "nats", fs, n_seeds,
                note=f"oscillation std {fo:.4g}; test accuracy {fa:.4f}"))
    for name, rows in results.get("warm", {}).items():
        m, sd = _mean_sd([r["slope"] for r in rows])
        backward = name.startswith("backward")
        cfg = results["config"]
        out.append(Headline(
            f"{name}: slope of log‖θₙ₊₁ − θₙ‖ over {cfg['warm_steps']} steps after "
            f"{cfg['warm_start']} warm-up steps, η={cfg['warm_lr']}", m, "per step", sd,
            n_seeds, paper_value="backward SGD converges to a point near minima"
            if backward else None, paper_verified=True if backward else None,
            note=(PAPER + "; a negative slope means the backward iterate freezes; "
                  "0 means it does not") if backward else "forward SGD: expected ≈ 0"))
    return out


register(f"{TOPIC}/digits-mlp", plot=_plot_digits, headlines=_headlines_digits,
         description="MLP on the 8×8 digits at a large constant η: forward vs windowed backward "
                     "SGD (sliding and blocked, several k) and a short full backward run, at "
                     "equal steps and equal gradient evaluations.")(_run_digits)
