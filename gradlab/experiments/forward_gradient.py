"""Experiments for "Gradients without Backpropagation" (Baydin et al. 2022), topic forward-gradient.

    gradlab run forward-gradient --quick        # every experiment below, quick settings

- forward-gradient/beale, forward-gradient/rosenbrock: gradient descent vs forward-gradient
  descent from the reproductions' starts and step sizes; trajectories, loss vs iterations/time.
- forward-gradient/common-lr: the paper's protocol on the digits MLP: backprop and forward
  gradient with ONE common η₀ (the paper's 2·10⁻⁴, and 10⁻³), η_i = η₀·e^(−10⁻⁴ i).
- forward-gradient/digits: logistic regression and an MLP on the 8×8 digits, backprop vs forward
  gradients (K = 1, 4) vs activity-perturbed forward gradients (Ren et al. 2023), each method at
  its own tuned η₀ (ours, not the paper's protocol).
- forward-gradient/runtime: the per-iteration cost ratios R_f, R_b and R_f/R_b with our two AD
  modes and with hand-written numpy passes, beside the paper's (quoted second-hand: unverified),
  with and without the cost of drawing the random directions.
- forward-gradient/dimension: the cosine to the true gradient and the steps needed against the
  dimension n, beside the closed forms; the estimator's bias and error against (n+1)‖∇f‖².

Each experiment's `claims` puts the paper's headline claims beside ours, with a verdict.

Paper numbers come from ../shared/research/forward_gradient.md; the ones tagged [unverified]
there carry paper_verified=False.
"""

from __future__ import annotations

import numpy as np

from ..estimators.gradient_error import expected_cosine
from ..methods import forward_gradient as fg
from ..plots import forward_gradient as P
from .claims import Claim
from .registry import Headline, mean_and_spread, new_figure, register

PAPER_R_F = 2.46  # MLP, quoted second-hand [unverified]
PAPER_R_B = 4.17  # MLP, quoted second-hand [unverified]
PAPER_RATIO = 0.59  # R_f / R_b [unverified]
PAPER_SPEEDUP = "up to 2× faster in wall-clock"  # the paper's headline, as quoted in the notes
PAPER = "Baydin et al. 2022"
PAPER_LR = 2e-4  # the paper's η₀ for every method (η_i = η₀·e^(−ik), k = 10⁻⁴), MNIST, batch 64
PAPER_DECAY = 1e-4
COMPARABLE = 1.5  # "comparable" final loss: within this factor of gradient descent / backprop


# ----------------------------------------------------------------------------------------
# Beale and Rosenbrock.
# ----------------------------------------------------------------------------------------

def _test_function_run(name, steps, n_seeds, progress):
    result = fg.compare_on_test_function(name, steps=steps, n_seeds=n_seeds, progress=progress)
    fgd = result["fgd"]
    result["config"] = {"function": name, "x0": list(fgd["x0"]), "lr": fgd["lr"],
                        "lr_gd": result["gd"]["lr"], "lr_fgd": fgd["lr"],
                        "lr_note": "one common η for GD and FGD (the reproductions' values; the "
                                   "paper's η₀ = 2e-4 is for its MNIST nets)",
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


def _test_function_claims(results):
    name = results["function"]
    gd, fgd = results["gd"], results["fgd"]
    ratio = fgd["loss"][:, -1] / float(gd["loss"][0, -1])
    m, s = mean_and_spread(ratio)
    ok = bool(np.isfinite(m) and m <= COMPARABLE)
    return [Claim(
        PAPER, f"{name.capitalize()}: at one common η, forward-gradient descent converges like "
               "gradient descent per iteration",
        "FGD's loss curve follows GD's (figure; values not read)", ours=m, spread=s,
        n_seeds=len(fgd["seeds"]),
        protocol=f"final f of FGD / final f of GD after {gd['steps']} steps from "
                 f"{tuple(float(v) for v in gd['x0'])}, common η = {gd['lr']:g}, one Gaussian "
                 f"direction per step; 'comparable' = ratio ≤ {COMPARABLE:g}",
        verdict="reproduced" if ok else "not reproduced",
        why="" if ok else f"FGD ends {m:.3g}× above GD", paper_verified=False)]


@register("forward-gradient/beale", plot=_test_function_plot, headlines=_test_function_headlines,
          claims=_test_function_claims,
          description="Beale from (0, 0.5), η = 0.01, 1000 steps: GD vs forward-gradient "
                      "descent over seeds; trajectories and loss vs iterations and time.")
def run_beale(quick=False, progress=None):
    return _test_function_run("beale", 1000, 5 if quick else 10, progress)


@register("forward-gradient/rosenbrock", plot=_test_function_plot,
          headlines=_test_function_headlines, claims=_test_function_claims,
          description="Rosenbrock from (−1, 0), η = 5e-4, 25,000 steps (quick: 10,000): GD vs "
                      "forward-gradient descent over seeds.")
def run_rosenbrock(quick=False, progress=None):
    return _test_function_run("rosenbrock", 10_000 if quick else 25_000, 3 if quick else 10,
                              progress)


# ----------------------------------------------------------------------------------------
# The paper's protocol: one common η₀ for backprop and forward gradient (digits MLP).
# ----------------------------------------------------------------------------------------

def common_lr_settings(quick):
    """η₀ = 2e-4 is the paper's (MNIST, batch 64) and it applies here unchanged: with it both
    methods train stably on the digits. 1e-3 is ours: the largest η₀ at which forward gradients
    (K = 1) stayed stable in our sweep, i.e. the common η₀ most favourable to backprop."""
    return {"model": "mlp", "lrs": [PAPER_LR, 1e-3], "decay": PAPER_DECAY, "K": 1,
            "batch_size": 64, "steps": 1000 if quick else 3000,
            "seeds": [0, 1, 2] if quick else [0, 1, 2, 3, 4]}


def run_common_lr_with(settings, progress=None):
    """Backprop and forward gradient at each common η₀ of `settings` (see common_lr_settings)."""
    out = {"settings": []}
    lrs = settings["lrs"]
    for i, lr in enumerate(lrs):
        res = fg.compare_digits_methods(
            settings["model"], specs=fg.common_lr_specs(lr, settings["K"]),
            steps=settings["steps"], seeds=settings["seeds"], decay=settings["decay"],
            batch_size=settings["batch_size"], eval_every=max(1, settings["steps"] // 50),
            progress=fg._sub_progress(progress, i / len(lrs), (i + 1) / len(lrs)))
        res["lr"] = lr
        out["settings"].append(res)
    out["config"] = {
        **settings, "sizes": list(fg.model_sizes(settings["model"])),
        "lr_backprop": [r["specs"][0]["lr"] for r in out["settings"]],
        "lr_forward": [r["specs"][1]["lr"] for r in out["settings"]],
        "schedule": "lr_i = lr0 * exp(-decay * i), the same for both methods",
        "engine": "gradlab", "timing": "thread CPU time of the training steps"}
    out["seeds"] = list(settings["seeds"])
    return out


@register("forward-gradient/common-lr", plot=lambda r: _common_lr_plot(r),
          headlines=lambda r: _common_lr_headlines(r), claims=lambda r: _common_lr_claims(r),
          description="The paper's protocol on the digits MLP (64-128-128-10): backprop and "
                      "forward gradient (K = 1) with one common η₀ (2e-4, the paper's; and "
                      "1e-3), η_i = η₀·e^(−10⁻⁴ i), batch 64; loss vs iterations and time.")
def run_common_lr(quick=False, progress=None):
    return run_common_lr_with(common_lr_settings(quick), progress)


def _common_lr_plot(results):
    figs = {}
    for res in results["settings"]:
        for x_axis in ("iteration", "time"):
            fig = new_figure()
            P.draw_digits_curves(fig, res, "both", x_axis)
            fig.suptitle(f"Digits MLP, mean ± std over {len(res['seeds'])} seeds — one common "
                         f"η₀ = {res['lr']:g} for backprop and forward gradient", fontsize=10)
            figs[f"lr{res['lr']:g}_vs_{x_axis}"] = fig
    return figs


def common_lr_summary(res):
    """Per seed: final training loss forward / backprop, and the training time each needs to reach
    the larger of the two final losses (forward / backprop)."""
    bp, fw = res["runs"]["backprop"], res["runs"][res["specs"][1]["label"]]
    loss_bp, acc_bp = fg.final_metrics(bp)
    loss_fw, acc_fw = fg.final_metrics(fw)
    times = []
    for rb, rf in zip(bp, fw):
        target = max(rb["train_loss"][-1], rf["train_loss"][-1])
        times.append(fg.time_to_loss(rf, target)[0] / fg.time_to_loss(rb, target)[0])
    return {"loss_ratio": loss_fw / loss_bp, "time_ratio": np.array(times),
            "loss_bp": loss_bp, "loss_fw": loss_fw, "acc_bp": acc_bp, "acc_fw": acc_fw}


def _common_lr_headlines(results):
    heads = []
    for res in results["settings"]:
        sm = common_lr_summary(res)
        n = len(res["seeds"])
        for key, label in (("loss_bp", "backprop"), ("loss_fw", "forward K=1")):
            m, s = mean_and_spread(sm[key])
            heads.append(Headline(f"common η₀ = {res['lr']:g}: final training loss, {label}", m,
                                  "nats", spread=s, n_seeds=n,
                                  note=f"{res['steps']} steps"))
        for key, label in (("acc_bp", "backprop"), ("acc_fw", "forward K=1")):
            m, s = mean_and_spread(sm[key])
            heads.append(Headline(f"common η₀ = {res['lr']:g}: test accuracy, {label}", m,
                                  "fraction", spread=s, n_seeds=n))
    return heads


def _common_lr_claims(results):
    out = []
    for res in results["settings"]:
        sm = common_lr_summary(res)
        n, lr = len(res["seeds"]), res["lr"]
        who = "the paper's η₀" if lr == PAPER_LR else "ours: a larger common η₀"
        proto = (f"digits MLP 64-128-128-10, {res['steps']} SGD steps, batch 64, one common "
                 f"η₀ = {lr:g} ({who}), η_i = η₀·e^(−10⁻⁴ i), K = 1 Gaussian direction")
        m, s = mean_and_spread(sm["loss_ratio"])
        ok = bool(np.isfinite(m) and m <= COMPARABLE)
        out.append(Claim(
            PAPER, f"At one common η₀ = {lr:g}, forward gradient trains the MLP like backprop "
                   "per iteration",
            "comparable loss per iteration (MNIST MLP, figures; values not read)", ours=m,
            spread=s, n_seeds=n,
            protocol=proto + f"; ours = final training loss forward / backprop, "
                             f"'comparable' = ≤ {COMPARABLE:g}",
            verdict="reproduced" if ok else "not reproduced",
            why="" if ok else (f"forward gradient's loss ends {m:.3g}× backprop's: at this η₀ its "
                               "direction noise (n+1)‖∇f‖² dominates"),
            paper_verified=False))
        m, s = mean_and_spread(sm["time_ratio"])
        faster = bool(np.isfinite(m) and m < 1)
        out.append(Claim(
            PAPER, f"At one common η₀ = {lr:g}, forward gradient reaches the loss sooner in "
                   "wall-clock",
            PAPER_SPEEDUP, ours=m, spread=s, n_seeds=n,
            protocol=proto + "; ours = training time (thread CPU) to the larger of the two final "
                             "losses, forward / backprop (< 1: forward faster)",
            verdict="reproduced" if faster else "not reproduced",
            why="" if faster else ("a forward-gradient step costs more than a backprop step with "
                                   "our engine, drawing v included (forward-gradient/runtime)"),
            paper_verified=False))
    return out


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
          headlines=lambda r: _runtime_headlines(r), claims=lambda r: _runtime_claims(r),
          description="Per-iteration cost relative to f: R_f (forward-gradient step) and R_b "
                      "(backprop step) for logistic regression and the MLP, with our AD engines "
                      "and with hand-written numpy passes (the floor).")
def run_runtime(quick=False, progress=None):
    rows = []
    combos = [(m, e) for m in ("logreg", "mlp") for e in ("gradlab", "numpy")]
    seeds = [0, 1, 2] if quick else [0, 1, 2, 3, 4]
    repeats, rounds = (20, 10) if quick else (50, 30)
    total = len(combos) + len(seeds) - 1
    for i, (model, engine) in enumerate(combos):
        r = fg.runtime_ratios(fg.model_sizes(model), engine=engine, repeats=repeats,
                              rounds=rounds)
        r["model"] = model
        rows.append(r)
        if progress is not None:
            progress(i + 1, total)
    # The MLP with our engine again at other seeds (other weights, batch, directions): the
    # spread of the ratios the claims quote.
    mlp_rows = [next(r for r in rows if r["model"] == "mlp" and r["engine"] == "gradlab")]
    for k, seed in enumerate(seeds[1:]):
        r = fg.runtime_ratios(fg.model_sizes("mlp"), engine="gradlab", repeats=repeats,
                              rounds=rounds, seed=seed)
        r["model"] = "mlp"
        mlp_rows.append(r)
        if progress is not None:
            progress(len(combos) + k + 1, total)
    return {"rows": rows, "mlp_seeds": mlp_rows, "paper": {"R_f": PAPER_R_F, "R_b": PAPER_R_B},
            "config": {"batch_size": 64, "sizes": {m: list(fg.model_sizes(m))
                                                   for m in ("logreg", "mlp")},
                       "timing": "fastest of interleaved rounds, thread CPU time, one BLAS "
                                 "thread", "repeats": repeats, "rounds": rounds},
            "seeds": seeds}


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
                                   f"{r['t_sample'] / r['t_f']:.2f} f; R_f/R_b without drawing "
                                   f"v = {r['ratio_given_v']:.2f}"))
        if is_mlp:
            heads.append(Headline(f"R_f ({tag})", r["R_f"], "× f", paper_value=PAPER_R_F,
                                  paper_verified=False))
            heads.append(Headline(f"R_b ({tag})", r["R_b"], "× f", paper_value=PAPER_R_B,
                                  paper_verified=False))
    return heads


def _runtime_claims(results):
    rows = results["mlp_seeds"]
    n = len(rows)
    proto = ("digits MLP 64-128-128-10, batch 64, our AD engines, one BLAS thread, fastest of "
             f"{results['config']['rounds']} interleaved rounds of thread CPU time; one row per "
             "seed (weights, batch, direction)")
    ratio, s_ratio = mean_and_spread([r["ratio"] for r in rows])
    given, s_given = mean_and_spread([r["ratio_given_v"] for r in rows])
    draw, s_draw = mean_and_spread([r["sample_over_f"] for r in rows])
    pass_ratio, _ = mean_and_spread([r["jvp_over_grad"] for r in rows])
    out = [
        Claim(PAPER, "A forward-gradient step costs less than a backprop step: R_f/R_b < 1 "
                     "(drawing the random direction included)",
              f"R_f/R_b = {PAPER_R_F}/{PAPER_R_B} ≈ {PAPER_RATIO} (MNIST MLP)", ours=ratio,
              spread=s_ratio, n_seeds=n, protocol=proto + "; R = step time / time of f",
              verdict="reproduced" if ratio < 1 else "not reproduced",
              why="" if ratio < 1 else (f"drawing one Gaussian number per parameter costs "
                                        f"{draw:.2g} f, more than the pass saves"),
              paper_verified=False),
        Claim(PAPER, "The same ratio without the cost of drawing the direction (v given)",
              f"{PAPER_RATIO} (the paper's ratio; it does not split out drawing v)", ours=given,
              spread=s_given, n_seeds=n,
              protocol=proto + f"; forward step with v drawn beforehand (JVP/grad pass alone "
                               f"{pass_ratio:.2f})",
              verdict="partly" if given < 1 else "not reproduced",
              why=(f"below 1 only once drawing v is left out; above the paper's {PAPER_RATIO}"
                   if given < 1 else "a JVP costs at least what a backprop pass costs here"),
              paper_verified=False),
        Claim(PAPER, "Cost of drawing the random directions, alone (in units of f)",
              "not reported separately", ours=draw, spread=s_draw, n_seeds=n,
              protocol=proto + "; numpy's standard_normal, one number per parameter (26,122)",
              verdict="not tested", why="the paper gives no number to compare; shown because "
                                        "it decides the ratio above", paper_verified=None),
    ]
    return out


# ----------------------------------------------------------------------------------------
# Dimension.
# ----------------------------------------------------------------------------------------

@register("forward-gradient/dimension", plot=lambda r: _dimension_plot(r),
          headlines=lambda r: _dimension_headlines(r), claims=lambda r: _dimension_claims(r),
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
                                            progress=fg._sub_progress(progress, 0.4, 0.9))
    moment_seeds = list(range(100, 103 if quick else 105))
    moment_samples = 4000 if quick else 20000
    moments = fg.estimator_moments(MOMENTS_N, moment_seeds, moment_samples)
    if progress is not None:
        progress(1.0, 1.0)
    return {"cosine": cos, "steps": steps, "moments": moments,
            "config": {"cos_ns": ns_cos, "cos_samples": n_samples, "K": 1,
                       "distribution": "gaussian", "steps_ns": ns_steps, "factor": 1e-3,
                       "steps_runs": 20, "steps_lr": "1/(n+2) (optimal)",
                       "moments_n": MOMENTS_N, "moments_samples": moment_samples,
                       "moments_seeds": moment_seeds},
            "seeds": [0, 1, *moment_seeds]}


MOMENTS_N = 100


def _dimension_claims(results):
    mo = results["moments"]
    n, S = mo["n"], mo["n_samples"]
    proto = (f"f = Σ cᵢxᵢ²/2 + xᵢ in n = {n} at a random point (one per seed), {S} forward "
             "gradients with Gaussian v, JVPs by our forward mode")
    b, sb = mean_and_spread(mo["bias_stat"])
    v, sv = mean_and_spread(mo["mse_ratio"])
    detect = float(np.sqrt(0.5 * (n + 1) / S))
    unbiased = abs(b - 1) < 0.5
    right_var = abs(v - 1) < 0.1
    return [
        Claim(PAPER, "The forward gradient (∇f·v)v is an unbiased estimate of ∇f",
              "E[g] = ∇f (proof)", ours=b, spread=sb, n_seeds=len(mo["seeds"]),
              protocol=proto + "; ours = ‖mean g − ∇f‖² / ((n+1)‖∇f‖²/S), = 1 without bias "
                               f"(a relative bias ≥ {detect:.2g} would push it past 1.5)",
              verdict="reproduced" if unbiased else "not reproduced",
              why="" if unbiased else "the mean of the samples is further from ∇f than its "
                                      "variance allows", paper_verified=True),
        Claim(PAPER, "Its error is E‖g − ∇f‖² = (n+1)‖∇f‖² (Gaussian v)",
              "closed form (n+1)‖∇f‖², derived in our notes (the paper states no variance)",
              ours=v, spread=sv, n_seeds=len(mo["seeds"]),
              protocol=proto + "; ours = mean ‖g − ∇f‖² / ((n+1)‖∇f‖²), = 1 if the closed form "
                               "holds (tolerance ± 0.1)",
              verdict="reproduced" if right_var else "not reproduced",
              why="" if right_var else "the measured error departs from the closed form",
              paper_verified=False),
    ]


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
