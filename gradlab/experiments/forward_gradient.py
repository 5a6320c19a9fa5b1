"""Experiments for "Gradients without Backpropagation" (Baydin et al. 2022), topic forward-gradient.

    gradlab run forward-gradient --quick        # every experiment below, quick settings

- forward-gradient/beale, forward-gradient/rosenbrock: gradient descent vs forward-gradient
  descent from the reproductions' starts and step sizes; trajectories, loss vs iterations/time.
- forward-gradient/digits: logistic regression and an MLP on the 8×8 digits, backprop vs forward
  gradients (K = 1, 4) vs activity-perturbed forward gradients (Ren et al. 2023).
- forward-gradient/runtime: the per-iteration cost ratios R_f, R_b and R_f/R_b with our two AD
  modes and with hand-written numpy passes, beside the paper's (quoted second-hand: unverified).
- forward-gradient/dimension: the cosine to the true gradient and the steps needed against the
  dimension n, beside the closed forms.

Paper numbers come from ../shared/research/forward_gradient.md; the ones tagged [unverified]
there carry paper_verified=False.
"""

from __future__ import annotations

import numpy as np

from ..estimators.gradient_error import expected_cosine
from ..methods import forward_gradient as fg
from ..plots import forward_gradient as P
from .registry import Headline, mean_and_spread, new_figure, register

PAPER_R_F = 2.46  # MLP, quoted second-hand [unverified]
PAPER_R_B = 4.17  # MLP, quoted second-hand [unverified]
PAPER_RATIO = 0.59  # R_f / R_b [unverified]
PAPER_SPEEDUP = "up to 2× faster in wall-clock"  # the paper's headline, as quoted in the notes


# ----------------------------------------------------------------------------------------
# Beale and Rosenbrock.
# ----------------------------------------------------------------------------------------

def _test_function_run(name, steps, n_seeds, progress):
    result = fg.compare_on_test_function(name, steps=steps, n_seeds=n_seeds, progress=progress)
    fgd = result["fgd"]
    result["config"] = {"function": name, "x0": list(fgd["x0"]), "lr": fgd["lr"],
                        "steps": steps, "K": 1, "distribution": "gaussian",
                        "time_axis": "iterations × measured time per step of one run (thread CPU)"}
    result["seeds"] = list(fgd["seeds"])
    return result


def _test_function_plot(results):
    figs = {}
    for x_axis in ("iteration", "time"):
        fig = new_figure()
        P.draw_test_function(fig, results, x_axis=x_axis)
        figs[f"paths_loss_vs_{x_axis}"] = fig
    return figs


def _test_function_headlines(results):
    name = results["function"]
    gd, fgd = results["gd"], results["fgd"]
    gd_final = float(gd["loss"][0, -1])
    m, s = mean_and_spread(fgd["loss"][:, -1])
    tps = results["time_per_step"]
    n = len(fgd["seeds"])
    ratio = tps["fgd"] / tps["gd"]
    return [
        Headline(f"{name}: final f, gradient descent", gd_final, "f", n_seeds=1,
                 note=f"after {gd['steps']} steps from {tuple(float(v) for v in gd['x0'])}, "
                      f"η = {gd['lr']:g}"),
        Headline(f"{name}: final f, forward-gradient descent", m, "f", spread=s, n_seeds=n,
                 note="mean ± std over seeds, one Gaussian direction per step"),
        Headline(f"{name}: time per step, FGD / GD (one run, our engines)", ratio, "ratio",
                 paper_value=PAPER_SPEEDUP, paper_verified=False,
                 note=f"GD {tps['gd'] * 1e6:.0f} µs, FGD {tps['fgd'] * 1e6:.0f} µs per step; "
                      "< 1 means forward-gradient steps are cheaper"),
    ]


@register("forward-gradient/beale", plot=_test_function_plot, headlines=_test_function_headlines,
          description="Beale from (0, 0.5), η = 0.01, 1000 steps: GD vs forward-gradient "
                      "descent over seeds; trajectories and loss vs iterations and time.")
def run_beale(quick=False, progress=None):
    return _test_function_run("beale", 1000, 5 if quick else 10, progress)


@register("forward-gradient/rosenbrock", plot=_test_function_plot,
          headlines=_test_function_headlines,
          description="Rosenbrock from (−1, 0), η = 5e-4, 25,000 steps (quick: 10,000): GD vs "
                      "forward-gradient descent over seeds.")
def run_rosenbrock(quick=False, progress=None):
    return _test_function_run("rosenbrock", 10_000 if quick else 25_000, 3 if quick else 10,
                              progress)


# ----------------------------------------------------------------------------------------
# Digits.
# ----------------------------------------------------------------------------------------

@register("forward-gradient/digits",
          plot=lambda r: _digits_plot(r), headlines=lambda r: _digits_headlines(r),
          description="Logistic regression and an MLP (64-128-128-10) on the 8x8 digits: "
                      "backprop vs forward gradient (K = 1, 4) vs activity-perturbed forward "
                      "gradient; loss and test accuracy vs iterations and time, over seeds.")
def run_digits(quick=False, progress=None):
    steps = 200 if quick else 2000
    seeds = [0, 1] if quick else [0, 1, 2, 3, 4]
    out = {}
    for i, model in enumerate(("logreg", "mlp")):
        lo, hi = (0.0, 0.2) if i == 0 else (0.2, 1.0)
        out[model] = fg.compare_digits_methods(
            model, steps=steps, seeds=seeds, progress=fg._sub_progress(progress, lo, hi))
    out["config"] = {"steps": steps, "batch_size": 64, "decay": 1e-4,
                     "schedule": "lr_i = lr * exp(-decay * i)", "engine": "gradlab",
                     "sizes": {m: list(fg.model_sizes(m)) for m in ("logreg", "mlp")},
                     "methods": {m: [dict(s) for s in fg.DIGITS_METHODS[m]]
                                 for m in ("logreg", "mlp")},
                     "data": "sklearn load_digits, stratified 75/25 split per seed, standardised"}
    out["seeds"] = seeds
    return out


def _digits_plot(results):
    figs = {}
    for model in ("logreg", "mlp"):
        for x_axis in ("iteration", "time"):
            fig = new_figure()
            P.draw_digits_curves(fig, results[model], "both", x_axis)
            figs[f"{model}_vs_{x_axis}"] = fig
    return figs


def _digits_headlines(results):
    heads = []
    for model in ("logreg", "mlp"):
        runs = results[model]["runs"]
        for label, rs in runs.items():
            loss, acc = fg.final_metrics(rs)
            div = sum(r["diverged_at"] >= 0 for r in rs)
            note = f"{div} of {len(rs)} runs diverged" if div else ""
            m, s = mean_and_spread(loss)
            heads.append(Headline(f"digits {model}, {label}: final training loss", m, "nats",
                                  spread=s, n_seeds=len(rs), note=note))
            m, s = mean_and_spread(acc)
            heads.append(Headline(f"digits {model}, {label}: final test accuracy", m, "fraction",
                                  spread=s, n_seeds=len(rs), note=note))
        # Wall-clock speed-up to the loss the plain forward gradient reaches.
        target = float(np.nanmax(fg.final_metrics(runs["forward K=1"])[0]))
        t_bp = [fg.time_to_loss(r, target)[0] for r in runs["backprop"]]
        t_fg = [fg.time_to_loss(r, target)[0] for r in runs["forward K=1"]]
        speed = np.array(t_fg) / np.array(t_bp)
        m, s = mean_and_spread(speed)
        heads.append(Headline(
            f"digits {model}: training time to reach loss {target:.3g}, FGD (K=1) / backprop", m,
            "ratio", spread=s, n_seeds=len(rs), paper_value=PAPER_SPEEDUP, paper_verified=False,
            note="> 1 means backprop got there first; target = worst final loss of FGD K=1; "
                 "our engines, thread CPU time, evaluation points only"))
    return heads


# ----------------------------------------------------------------------------------------
# Runtime ratios.
# ----------------------------------------------------------------------------------------

@register("forward-gradient/runtime", plot=lambda r: _runtime_plot(r),
          headlines=lambda r: _runtime_headlines(r),
          description="Per-iteration cost relative to f: R_f (forward-gradient step) and R_b "
                      "(backprop step) for logistic regression and the MLP, with our AD engines "
                      "and with hand-written numpy passes (the floor).")
def run_runtime(quick=False, progress=None):
    rows = []
    combos = [(m, e) for m in ("logreg", "mlp") for e in ("gradlab", "numpy")]
    for i, (model, engine) in enumerate(combos):
        r = fg.runtime_ratios(fg.model_sizes(model), engine=engine,
                              repeats=20 if quick else 50, rounds=10 if quick else 30)
        r["model"] = model
        rows.append(r)
        if progress is not None:
            progress(i + 1, len(combos))
    return {"rows": rows, "paper": {"R_f": PAPER_R_F, "R_b": PAPER_R_B},
            "config": {"batch_size": 64, "sizes": {m: list(fg.model_sizes(m))
                                                   for m in ("logreg", "mlp")},
                       "timing": "fastest of interleaved rounds, thread CPU time, one BLAS "
                                 "thread"},
            "seeds": []}


def _runtime_plot(results):
    fig = new_figure((9, 4.2))
    P.draw_runtime(fig, results)
    return {"ratios": fig}


def _runtime_headlines(results):
    heads = []
    for r in results["rows"]:
        is_mlp = r["model"] == "mlp"
        tag = f"{r['model']}, {r['engine']}"
        heads.append(Headline(f"R_f/R_b ({tag})", r["ratio"], "ratio",
                              paper_value=PAPER_RATIO if is_mlp else None,
                              paper_verified=False if is_mlp else None,
                              note=f"R_f = {r['R_f']:.2f}, R_b = {r['R_b']:.2f}; JVP/grad pass "
                                   f"alone = {r['jvp_over_grad']:.2f}; drawing v costs "
                                   f"{r['t_sample'] / r['t_f']:.2f} f"))
        if is_mlp:
            heads.append(Headline(f"R_f ({tag})", r["R_f"], "× f", paper_value=PAPER_R_F,
                                  paper_verified=False))
            heads.append(Headline(f"R_b ({tag})", r["R_b"], "× f", paper_value=PAPER_R_B,
                                  paper_verified=False))
    return heads


# ----------------------------------------------------------------------------------------
# Dimension.
# ----------------------------------------------------------------------------------------

@register("forward-gradient/dimension", plot=lambda r: _dimension_plot(r),
          headlines=lambda r: _dimension_headlines(r),
          description="Cosine between forward gradient and gradient, and steps needed on "
                      "½‖x‖², against the dimension n, beside the closed forms.")
def run_dimension(quick=False, progress=None):
    if quick:
        ns_cos, ns_steps, n_samples = [2, 5, 10, 30, 100, 300, 1000, 3000], [2, 5, 10, 30, 100], 500
    else:
        ns_cos = [2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]
        ns_steps, n_samples = [2, 5, 10, 20, 50, 100, 200, 500], 2000
    cos = fg.cosine_vs_dimension(ns_cos, n_samples=n_samples, seed=0,
                                 progress=fg._sub_progress(progress, 0.0, 0.4))
    steps = fg.quadratic_steps_vs_dimension(ns_steps, factor=1e-3, n_runs=20, seed=1,
                                            progress=fg._sub_progress(progress, 0.4, 1.0))
    return {"cosine": cos, "steps": steps,
            "config": {"cos_ns": ns_cos, "cos_samples": n_samples, "K": 1,
                       "distribution": "gaussian", "steps_ns": ns_steps, "factor": 1e-3,
                       "steps_runs": 20, "steps_lr": "1/(n+2) (optimal)"},
            "seeds": [0, 1]}


def _dimension_plot(results):
    fig = new_figure()
    P.draw_dimension(fig, results["cosine"], results["steps"])
    return {"cosine_and_steps": fig}


def _dimension_headlines(results):
    cos, steps = results["cosine"], results["steps"]
    heads = []
    for n, m, sd in zip(cos["n"], cos["mean_cos"], cos["std_cos"]):
        if n in (10, 100, 1000, 10000):
            heads.append(Headline(
                f"mean cos(g, ∇f) at n = {n}", float(m), "cos",
                note=f"std over {cos['n_samples']} samples {sd:.3g}; closed form "
                     f"{expected_cosine(int(n)):.4g} (≈ √(2/(πn)) = "
                     f"{np.sqrt(2 / (np.pi * n)):.4g}) [derived]"))
    for n, m, t in zip(steps["n"], steps["measured_steps"], steps["theory_steps"]):
        if n == steps["n"][-1]:
            heads.append(Headline(
                f"steps for E f to fall 1000× on ½‖x‖², n = {n}", float(m), "steps",
                note=f"closed form {t:.0f} ≈ (n+2)·ln 1000 [derived]; gradient descent needs 5 "
                     "at η = ½ for any n"))
    return heads
