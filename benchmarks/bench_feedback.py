"""Benchmark: what each error-signal rule costs per step, and the decoupled pipeline's throughput.

    python benchmarks/bench_feedback.py [--quick]

1. Per-step cost of each method of `gradlab.methods.feedback` (backprop, FA, DFA, DNI, cDNI;
   kickback on the scalar task) on a batch of 64 digits, 3 and 6 hidden layers of 128 tanh
   units, with the alignment metrics off (`track=False`, so backprop's reference pass is not
   computed when a method does not need it) — printed as a ratio to backprop's step, same run.
   One BLAS thread, thread CPU time, median of interleaved rounds.
2. The real pipeline of `gradlab.methods.synthetic_gradients`: a 4-hidden-layer ReLU net (width
   1024, batch 256) split into 2 stages with a linear cDNI module between them, each stage a thread
   with 1 BLAS thread, against locked backprop with 2 BLAS threads (the same 2 cores) and with
   1; and the same 2 stages run one after the other in 1 thread (same work, no parallelism).
   Wall-clock examples/s (parallelism can only show in wall-clock), median of interleaved runs,
   with the 1-minute load average before and after — a busy machine hurts threaded runs most.

Nothing fails because something was slow.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from gradlab.experiments.synthetic_gradients import (
    PIPELINE_RUNS,
    measure_pipeline,
    pipeline_factors,
)
from gradlab.methods import feedback as fb

clock = time.thread_time


def step_costs(depth, repeat, number):
    data = {"classes": fb.digits_task(0), "odd": fb.digits_task(0, task="odd")}
    nets = {}
    for m in fb.METHODS:
        task, loss = ("odd", "binary_ce") if m == "kickback" else ("classes", "softmax_ce")
        x, y = data[task][0][:64], data[task][1][:64]
        net = fb.FeedbackNetwork([64] + [128] * depth + [y.shape[1]], m,
                                 np.random.default_rng(0), act="tanh", loss=loss)
        nets[m] = (net, x, y)
    x, y = data["odd"][0][:64], data["odd"][1][:64]  # the reference for kickback
    nets["backprop (odd?)"] = (fb.FeedbackNetwork([64] + [128] * depth + [1], "backprop",
                                                  np.random.default_rng(0), act="tanh",
                                                  loss="binary_ce"), x, y)
    times = {k: [] for k in nets}
    for _ in range(repeat):
        for k, (net, x, y) in nets.items():
            start = clock()
            for _ in range(number):
                net.step(x, y, track=False)
            times[k].append((clock() - start) / number)
    return {k: statistics.median(v) for k, v in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller pipeline")
    args = parser.parse_args(argv)
    repeat, number = (3, 20) if args.quick else (7, 50)

    print("1. Per-step cost (thread CPU time, 1 BLAS thread, batch 64, width 128, tanh)")
    with threadpool_limits(limits=1):
        for depth in (3, 6):
            t = step_costs(depth, repeat, number)
            print(f"   {depth} hidden layers:")
            for k, v in t.items():
                refname = "backprop (odd?)" if k in ("kickback", "backprop (odd?)") else \
                    "backprop"
                ref = t[refname]
                print(f"     {k:<18}{1e3 * v:8.3f} ms/step   {v / ref:5.2f} × {refname}")

    cfg = dict(width=512, n_layers=4, batch_size=256, n_batches=10, repeats=3) if args.quick \
        else dict(width=1024, n_layers=4, batch_size=256, n_batches=30, repeats=5)
    print(f"\n2. Decoupled pipeline vs locked backprop ({cfg}; {os.cpu_count()} cores)")
    m = measure_pipeline(**cfg)
    for name in PIPELINE_RUNS:
        r = m["rates"][name]
        print(f"   {name:<44}{np.median(r):9.0f} examples/s  (runs: "
              + ", ".join(f"{v:.0f}" for v in r) + ")")
    for tag, f in pipeline_factors(m["rates"]).items():
        print(f"   {tag}: DNI 2 workers / best backprop (locked or pipelined) = "
              f"{f['total']:.2f}×  (vs 2 BLAS threads {f['total_vs_bp2']:.2f}×, vs pipelined "
              f"backprop {f['total_vs_pipelined']:.2f}×); parallelism {f['parallel']:.2f} × "
              f"work per batch {f['work']:.2f}")
    fl = m["flops"]
    print(f"   FLOPs per batch: decoupled / backprop = {fl['decoupled'] / fl['backprop']:.2f} "
          f"(the SG module); ceiling on 2 cores ≈ {2 * fl['backprop'] / fl['decoupled']:.2f}×")
    print(f"   meanwhile, 2 threads of plain matrix products ran "
          f"{np.median(m['thread_efficiency']):.2f}× as fast as 1 (2 = two free cores)")
    print(f"   1-min load average: {m['load_average'][0]:.1f} before, "
          f"{m['load_average'][1]:.1f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
