"""jacobian-cost: what a full Jacobian costs by forward vs reverse mode as n and m vary.

Also the companions a lecturer shows beside it: the memory the tape holds as depth grows, the
cheap-gradient principle, Hessian-vector products against the full Hessian, and agreement with
HIPS autograd. No paper number to compare against: these are measurements of this machine.
"""

from __future__ import annotations

import numpy as np

from ..ad import cost
from .registry import Headline, new_figure, register

SEED = 0
# Timings by the CPU time of this thread: the work itself, not the time other programs hold the
# processor (figures for slides should not depend on what else the machine was doing). Every
# computation here is single-threaded (small arrays). Set "wall" for elapsed time.
CLOCK = "cpu"


def _settings(quick):
    if quick:
        return {
            "sizes": [1, 2, 4, 8, 16, 32, 64], "fixed": 16, "hidden": 32, "repeat": 5,
            "depths": [1, 2, 4, 8, 16, 32], "width": 64, "batch": 16,
            "grad_sizes": [10, 100, 1_000, 10_000, 100_000], "fd_max": 300,
            "hvp_sizes": [4, 8, 16, 32],
        }
    return {
        "sizes": [1, 2, 4, 8, 16, 32, 64, 128, 256], "fixed": 16, "hidden": 32, "repeat": 9,
        "depths": [1, 2, 4, 8, 16, 32, 64, 128], "width": 64, "batch": 16,
        "grad_sizes": [10, 100, 1_000, 10_000, 100_000, 1_000_000], "fd_max": 3_000,
        "hvp_sizes": [4, 8, 16, 32, 64, 128],
    }


def _plot(results):

    from ..plots import cost as plots

    figs = {}
    figs["jacobian_sweep"] = new_figure((10, 4))
    plots.draw_jacobian_cost(figs["jacobian_sweep"], results["jacobian"])
    figs["jacobian_ratio"] = new_figure((10, 4))
    plots.draw_jacobian_cost(figs["jacobian_ratio"], results["jacobian"], show="ratio")
    figs["tape_memory"] = new_figure((6, 4))
    plots.draw_tape_memory(figs["tape_memory"], results["memory"])
    figs["cheap_gradient"] = new_figure((6, 4))
    plots.draw_cheap_gradient(figs["cheap_gradient"], results["cheap_gradient"])
    figs["hvp"] = new_figure((6, 4))
    plots.draw_hvp_cost(figs["hvp"], results["hvp"])
    return figs


def _at(sweep, size):
    """The ratio time(jacfwd)/time(jacrev) at the given size of the varied dimension."""
    k = int(np.flatnonzero(sweep["sizes"] == size)[0])
    return float(sweep["ratio"][k])


def _headlines(results):
    jac, mem = results["jacobian"], results["memory"]
    cheap, hvp = results["cheap_gradient"], results["hvp"]
    fixed = jac["settings"]["fixed"]
    big = 4 * fixed
    n_big = int(cheap["sizes"][-1])
    t_f, t_grad = float(cheap["t_f"][-1]), float(cheap["t_grad"][-1])
    n_h = int(hvp["sizes"][-1])
    one = {"n_seeds": 1, "paper_value": None, "paper_verified": None}
    exact_jvp = all(np.array_equal(jac[k]["jvps"], jac[k]["n"]) for k in ("n", "m"))
    exact_vjp = all(np.array_equal(jac[k]["vjps"], jac[k]["m"]) for k in ("n", "m"))
    return [
        Headline(f"time(jacfwd) / time(jacrev) at n = {big}, m = {fixed}", _at(jac["n"], big),
                 "×", note="above 1: reverse mode is cheaper for wide Jacobians", **one),
        Headline(f"time(jacrev) / time(jacfwd) at m = {big}, n = {fixed}",
                 1.0 / _at(jac["m"], big), "×",
                 note="above 1: forward mode is cheaper for tall Jacobians", **one),
        Headline(f"crossover n* (m = {fixed})", jac["n"]["crossover"], "inputs",
                 note="where jacfwd and jacrev cost the same; expect n* near m", **one),
        Headline(f"crossover m* (n = {fixed})", jac["m"]["crossover"], "outputs",
                 note="expect m* near n", **one),
        Headline("JVPs counted = n and VJPs counted = m at every size (1 = yes, 0 = no)",
                 float(exact_jvp and exact_vjp), "", **one),
        Headline(f"time(grad f) / time(f), chained Rosenbrock, n = {n_big}", t_grad / t_f, "×",
                 note=f"finite differences would need n + 1 = {n_big + 1} evaluations", **one),
        Headline(f"finite-difference gradient / reverse-mode gradient, n = {n_big}",
                 (n_big + 1) * t_f / t_grad, "×", note="(n + 1) · time(f) / time(grad f)",
                 **one),
        Headline(f"tape growth per layer ({mem['width']}×{mem['batch']} activations)",
                 mem["bytes_per_layer"], "bytes",
                 note=f"one activation is {mem['activation_bytes']} bytes", **one),
        Headline("forward-mode peak memory growth per layer", mem["peak_fwd_per_layer"], "bytes",
                 note="forward mode keeps no tape: about 0", **one),
        Headline(f"time(full Hessian) / time(HVP) at n = {n_h}",
                 float(hvp["hessian_over_hvp"][-1]), "×", note="a Hessian is n HVPs", **one),
        Headline("max |gradlab − autograd| (Jacobians, gradient, HVP, Hessian)",
                 max(results["autograd"]["max_abs_diff"].values()), "", **one),
    ]


@register("jacobian-cost/jacobian-cost", plot=_plot, headlines=_headlines,
          description="Cost of a full Jacobian by forward vs reverse mode as n and m vary "
                      "(crossover), tape memory vs depth, cheap gradients, HVPs.")
def run(quick=False, progress=None):
    """Measure jacfwd vs jacrev as n and m vary, tape memory, gradient and HVP costs."""
    s = dict(_settings(quick), clock=CLOCK)
    steps = [2 * len(s["sizes"]), len(s["depths"]), len(s["grad_sizes"]), len(s["hvp_sizes"]), 1]
    total = sum(steps)
    offsets = np.concatenate([[0], np.cumsum(steps)])

    def part(i):
        if progress is None:
            return None
        return lambda done, _total: progress(int(offsets[i]) + done, total)

    results = {
        "jacobian": cost.jacobian_cost(s["sizes"], s["fixed"], s["hidden"], s["repeat"], SEED,
                                       progress=part(0), clock=CLOCK),
        "memory": cost.tape_memory(s["depths"], s["width"], s["batch"], SEED, progress=part(1)),
        "cheap_gradient": cost.cheap_gradient(s["grad_sizes"], s["fd_max"], s["repeat"], SEED,
                                              progress=part(2), clock=CLOCK),
        "hvp": cost.hvp_cost(s["hvp_sizes"], s["repeat"], SEED, progress=part(3), clock=CLOCK),
        "autograd": cost.autograd_agreement(seed=SEED),
    }
    if progress is not None:
        progress(total, total)
    results["config"] = s
    results["seeds"] = [SEED]
    return results
