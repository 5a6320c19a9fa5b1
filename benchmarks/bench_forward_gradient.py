"""Benchmark: a forward-gradient step against a backprop step, with three engines, in one run.

    python benchmarks/bench_forward_gradient.py [--quick]

For logistic regression (64→10) and the MLP (64–128–128–10, ReLU) on a batch of 64 digits:
- f: one evaluation of the loss;
- FG step: draw v (one Gaussian number per parameter) + one JVP + the update
  (forward-gradient descent, Baydin et al. 2022, Algorithm 1);
- BP step: one reverse-mode gradient + the update;
with our engines (gradlab forward / reverse mode), with HIPS autograd as the engine
(autograd.make_jvp and autograd.grad on the same loss written with autograd.numpy), and with
hand-written numpy passes (gradlab.models.mlp: the floor). Printed: R_f = FG step / f and
R_b = BP step / f (the paper's measure), R_f/R_b (< 1: forward gradients are cheaper per step),
the pure passes JVP/grad, and the cost of drawing v in units of f; beside the paper's MLP numbers
as quoted second-hand (R_f = 2.46, R_b = 4.17, ratio ≈ 0.59: unverified).

Timings: one BLAS thread, thread CPU time, median of interleaved rounds. Every engine's gradient
and JVP are checked against gradlab's before anything is timed. Nothing fails because something
was slow.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import autograd  # noqa: E402
import autograd.numpy as anp  # noqa: E402
import numpy as np  # noqa: E402
from autograd.scipy.special import logsumexp as ag_logsumexp  # noqa: E402

import gradlab  # noqa: E402
from gradlab.models import mlp  # noqa: E402
from gradlab.models.datasets import load_digits_split  # noqa: E402

MODELS = {"logreg": (64, 10), "mlp": (64, 128, 128, 10)}
BATCH = 64
PAPER = {"R_f": 2.46, "R_b": 4.17, "ratio": 0.59}
clock = time.thread_time


def median_times(fns, number, repeat):
    """Seconds per call of each fn: median over `repeat` interleaved rounds of `number` calls."""
    for fn in fns.values():
        fn()
    samples = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            start = clock()
            for _ in range(number):
                fn()
            samples[k].append((clock() - start) / number)
    return {k: statistics.median(v) for k, v in samples.items()}


def autograd_loss(params, X, Y):
    h = X
    n_layers = len(params) // 2
    for l in range(n_layers):
        z = anp.dot(h, params[2 * l]) + params[2 * l + 1]
        h = z if l == n_layers - 1 else anp.maximum(z, 0.0)
    logp = h - ag_logsumexp(h, axis=1, keepdims=True)
    return -anp.mean(anp.sum(Y * logp, axis=1))


def engines(params, X, Y):
    """name → (f, jvp(v) -> directional derivative, grad() -> gradient list)."""
    f_ours = mlp.Objective(X, Y)
    vg_ours = gradlab.value_and_grad(f_ours)
    ag_grad = autograd.grad(autograd_loss)

    def ag_jvp(v):
        return autograd.make_jvp(lambda p: autograd_loss(p, X, Y))(params)(v)[1]

    return {
        "gradlab": (lambda: f_ours(params),
                    lambda v: gradlab.jvp(f_ours, (params,), (v,))[1],
                    lambda: vg_ours(params)[1]),
        "autograd": (lambda: autograd_loss(params, X, Y),
                     ag_jvp,
                     lambda: ag_grad(params, X, Y)),
        "numpy": (lambda: mlp.np_loss(params, X, Y),
                  lambda v: mlp.np_jvp(params, v, X, Y)[1],
                  lambda: mlp.np_value_and_grad(params, X, Y)[1]),
    }


def check(eng, params, rng):
    v = [rng.standard_normal(p.shape) for p in params]
    ref_f, ref_jvp, ref_grad = eng["gradlab"]
    g0 = ref_grad()
    d0 = float(ref_jvp(v))
    for name, (f, jvp, grad) in eng.items():
        assert np.isclose(float(f()), float(ref_f())), name
        assert np.isclose(float(jvp(v)), d0, rtol=1e-9, atol=1e-12), name
        for a, b in zip(grad(), g0):
            assert np.allclose(a, b, atol=1e-12), name


def measure(model, rng, number, repeat):
    data = load_digits_split(0)
    params = mlp.init_params(list(MODELS[model]), rng)
    idx = rng.choice(data.n_train, BATCH, replace=False)
    X, Y = data.X_train[idx], data.Y_train[idx]
    eng = engines(params, X, Y)
    check(eng, params, rng)
    v_fixed = [rng.standard_normal(p.shape) for p in params]
    fns = {("sample", "-"): lambda: [rng.standard_normal(p.shape) for p in params]}
    for name, (f, jvp, grad) in eng.items():
        def fg_step(jvp=jvp):
            v = [rng.standard_normal(p.shape) for p in params]
            d = float(jvp(v))
            return [p - 1e-3 * d * vi for p, vi in zip(params, v)]

        def bp_step(grad=grad):
            return [p - 1e-3 * g for p, g in zip(params, grad())]

        fns[(name, "f")] = f
        fns[(name, "jvp")] = lambda jvp=jvp: jvp(v_fixed)
        fns[(name, "grad")] = grad
        fns[(name, "fg")] = fg_step
        fns[(name, "bp")] = bp_step
    return median_times(fns, number, repeat)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    number, repeat = (10, 5) if args.quick else (30, 15)
    rng = np.random.default_rng(0)
    print(f"batch {BATCH}; thread CPU time, median of {repeat} interleaved rounds of {number}; "
          f"BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}")
    header = (f"{'model':<8}{'engine':<10}{'f (µs)':>9}{'R_f':>8}{'R_b':>8}{'R_f/R_b':>9}"
              f"{'JVP/grad':>10}{'draw v/f':>10}")
    print(header)
    print("-" * len(header))
    for model in MODELS:
        t = measure(model, rng, number, repeat)
        sample = t[("sample", "-")]
        for name in ("gradlab", "autograd", "numpy"):
            tf, tfg, tbp = t[(name, "f")], t[(name, "fg")], t[(name, "bp")]
            r_f, r_b = tfg / tf, tbp / tf
            print(f"{model:<8}{name:<10}{tf * 1e6:>9.0f}{r_f:>8.2f}{r_b:>8.2f}{r_f / r_b:>9.2f}"
                  f"{t[(name, 'jvp')] / t[(name, 'grad')]:>10.2f}{sample / tf:>10.2f}")
        ours, ag = t[("gradlab", "fg")], t[("autograd", "fg")]
        print(f"{'':<8}FG step: gradlab / autograd = {ours / ag:.2f}; BP step: gradlab / autograd"
              f" = {t[('gradlab', 'bp')] / t[('autograd', 'bp')]:.2f}")
    print(f"{'mlp':<8}{'paper':<10}{'':>9}{PAPER['R_f']:>8.2f}{PAPER['R_b']:>8.2f}"
          f"{PAPER['ratio']:>9.2f}   (quoted second-hand: unverified; PyTorch, MNIST MLP)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
