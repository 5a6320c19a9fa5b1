"""Benchmark the AD engine against references timed in the same run.

    python benchmarks/bench_ad.py [--quick]

(a) reverse-mode gradient of an MLP loss (64–128–128–10, tanh, softmax cross-entropy, batch 256,
    gradient w.r.t. all weights and biases) vs a hand-written NumPy backward pass and vs autograd;
(b) JVP of the same loss (tangents on all weights and biases) vs a hand-written NumPy JVP, vs
    autograd's forward mode (autograd.make_jvp) and vs one evaluation of the loss;
(c) per-operation overhead: 1000 gradients of the 2-D Rosenbrock function vs autograd;
(d) what `import gradlab` adds to `import numpy` in a fresh interpreter.

Every timing is the median of repeated runs, with the compared implementations interleaved so
that load on the machine affects them alike. The hand-written passes are checked against
gradlab's results before anything is timed. Ratios are printed with their targets; nothing
fails because something was slow (exit code 0 unless a result is wrong or something crashes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

# One BLAS thread unless told otherwise: these matrices are small, and on a shared machine
# threads that wait for each other turn medians into noise. Set before numpy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

# glibc can give large temporaries (> 128 KiB: the 256 × 128 activations here) back to the
# kernel as soon as they are freed, so the next one page-faults all over again; on some virtual
# machines that costs more than the arithmetic. --malloc-table repeats the measurements in a
# child process with that turned off, to separate allocator cost from engine cost.
MALLOC_TUNED = "glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=1073741824"

import autograd  # noqa: E402
import autograd.numpy as anp  # noqa: E402
import numpy as np  # noqa: E402
from autograd.scipy.special import logsumexp as ag_logsumexp  # noqa: E402

import gradlab  # noqa: E402
import gradlab.numpy as gnp  # noqa: E402

SIZES = (64, 128, 128, 10)
BATCH = 256


# ----------------------------------------------------------------------------------------
# Timing: medians of interleaved repeats.
# ----------------------------------------------------------------------------------------

# With one BLAS thread every computation runs on this thread, so its CPU time (user + system,
# page faults included) is the cost we want, and it does not count the time other processes
# on a busy machine hold the CPU. With several BLAS threads, only wall-clock time is honest.
SINGLE_THREAD = os.environ["OPENBLAS_NUM_THREADS"] == "1" and os.environ["OMP_NUM_THREADS"] == "1"
clock = time.thread_time if SINGLE_THREAD else time.perf_counter
CLOCK_NAME = "thread CPU time" if SINGLE_THREAD else "wall-clock time"


def median_times(fns, number, repeat):
    """Seconds per call of each fn: the median over `repeat` rounds of `number` calls each,
    taking the functions in turn within every round."""
    samples = [[] for _ in fns]
    for fn in fns:  # warm up (caches, first-call costs)
        fn()
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            start = clock()
            for _ in range(number):
                fn()
            samples[k].append((clock() - start) / number)
    return [statistics.median(s) for s in samples]


# ----------------------------------------------------------------------------------------
# The MLP loss, written once for gradlab.numpy and autograd.numpy, and by hand.
# ----------------------------------------------------------------------------------------

def make_problem(seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        params.append(rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in))
        params.append(0.1 * rng.standard_normal(fan_out))
    X = rng.standard_normal((BATCH, SIZES[0]))
    Y = np.eye(SIZES[-1])[rng.integers(0, SIZES[-1], BATCH)]
    tangents = [rng.standard_normal(p.shape) for p in params]
    return params, X, Y, tangents


def loss_gradlab(params, X, Y):
    W1, b1, W2, b2, W3, b3 = params
    h1 = gnp.tanh(X @ W1 + b1)
    h2 = gnp.tanh(h1 @ W2 + b2)
    z = h2 @ W3 + b3
    return -gnp.sum(Y * (z - gnp.logsumexp(z, axis=1, keepdims=True))) / X.shape[0]


def loss_autograd(params, X, Y):
    W1, b1, W2, b2, W3, b3 = params
    h1 = anp.tanh(X @ W1 + b1)
    h2 = anp.tanh(h1 @ W2 + b2)
    z = h2 @ W3 + b3
    return -anp.sum(Y * (z - ag_logsumexp(z, axis=1, keepdims=True))) / X.shape[0]


def _forward(params, X):
    W1, b1, W2, b2, W3, b3 = params
    h1 = np.tanh(X @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    z = h2 @ W3 + b3
    m = z.max(axis=1, keepdims=True)
    logp = z - (np.log(np.exp(z - m).sum(axis=1, keepdims=True)) + m)
    return h1, h2, logp


def loss_numpy(params, X, Y):
    """One evaluation of the loss in plain NumPy."""
    logp = _forward(params, X)[2]
    return -np.sum(Y * logp) / X.shape[0]


def grad_by_hand(params, X, Y):
    """Loss and gradient w.r.t. all weights and biases: forward pass, then backward by hand."""
    W1, b1, W2, b2, W3, b3 = params
    h1, h2, logp = _forward(params, X)
    B = X.shape[0]
    loss = -np.sum(Y * logp) / B
    dz = (np.exp(logp) * Y.sum(axis=1, keepdims=True) - Y) / B
    dW3, db3 = h2.T @ dz, dz.sum(axis=0)
    da2 = (dz @ W3.T) * (1.0 - h2 * h2)
    dW2, db2 = h1.T @ da2, da2.sum(axis=0)
    da1 = (da2 @ W2.T) * (1.0 - h1 * h1)
    dW1, db1 = X.T @ da1, da1.sum(axis=0)
    return loss, [dW1, db1, dW2, db2, dW3, db3]


def jvp_by_hand(params, tangents, X, Y):
    """Loss and its directional derivative along `tangents`: tangents pushed forward by hand."""
    W1, b1, W2, b2, W3, b3 = params
    dW1, db1, dW2, db2, dW3, db3 = tangents
    h1 = np.tanh(X @ W1 + b1)
    dh1 = (1.0 - h1 * h1) * (X @ dW1 + db1)
    h2 = np.tanh(h1 @ W2 + b2)
    dh2 = (1.0 - h2 * h2) * (dh1 @ W2 + h1 @ dW2 + db2)
    z = h2 @ W3 + b3
    dz = dh2 @ W3 + h2 @ dW3 + db3
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(axis=1, keepdims=True)
    logp = z - (np.log(s) + m)
    dlogp = dz - (e * dz).sum(axis=1, keepdims=True) / s
    B = X.shape[0]
    return -np.sum(Y * logp) / B, -np.sum(Y * dlogp) / B


# ----------------------------------------------------------------------------------------
# The four measurements.
# ----------------------------------------------------------------------------------------

def bench_mlp_grad(number, repeat):
    params, X, Y, _ = make_problem()
    g_gradlab = gradlab.grad(loss_gradlab)
    g_autograd = autograd.grad(loss_autograd)
    loss_ref, ref = grad_by_hand(params, X, Y)
    ours = g_gradlab(params, X, Y)
    theirs = g_autograd(params, X, Y)
    assert np.allclose(loss_ref, loss_gradlab(params, X, Y), rtol=1e-12)
    for a, b, c in zip(ref, ours, theirs):
        np.testing.assert_allclose(np.asarray(b), a, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(c, a, rtol=1e-9, atol=1e-12)
    t_hand, t_gradlab, t_autograd = median_times(
        [lambda: grad_by_hand(params, X, Y), lambda: g_gradlab(params, X, Y),
         lambda: g_autograd(params, X, Y)], number, repeat)
    return {"hand": t_hand, "gradlab": t_gradlab, "autograd": t_autograd}


def bench_mlp_jvp(number, repeat):
    params, X, Y, tangents = make_problem()
    loss_ref, dloss_ref = jvp_by_hand(params, tangents, X, Y)
    value, dloss = gradlab.jvp(lambda p: loss_gradlab(p, X, Y), (params,), (tangents,))
    jvp_autograd = autograd.make_jvp(lambda p: loss_autograd(p, X, Y))
    ag_value, ag_dloss = jvp_autograd(params)(tangents)
    _, grads = grad_by_hand(params, X, Y)
    via_grad = sum(np.sum(g * t) for g, t in zip(grads, tangents))  # <∇L, v> = J v
    for d in (dloss, ag_dloss, via_grad):
        np.testing.assert_allclose(d, dloss_ref, rtol=1e-9, atol=1e-12)
    for v in (value, ag_value, loss_numpy(params, X, Y)):
        np.testing.assert_allclose(v, loss_ref, rtol=1e-12)

    def ours():
        return gradlab.jvp(lambda p: loss_gradlab(p, X, Y), (params,), (tangents,))

    def theirs():
        return autograd.make_jvp(lambda p: loss_autograd(p, X, Y))(params)(tangents)

    t_hand, t_gradlab, t_autograd, t_loss = median_times(
        [lambda: jvp_by_hand(params, tangents, X, Y), ours, theirs,
         lambda: loss_numpy(params, X, Y)], number, repeat)
    return {"hand": t_hand, "gradlab": t_gradlab, "autograd": t_autograd, "loss": t_loss}


def rosenbrock_gradlab(x):
    return (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2


def rosenbrock_autograd(x):
    return (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2


def bench_rosenbrock(evals, repeat):
    x = np.array([-1.2, 1.0])
    g_gradlab, g_autograd = gradlab.grad(rosenbrock_gradlab), autograd.grad(rosenbrock_autograd)
    exact = np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2),
                      200 * (x[1] - x[0] ** 2)])
    np.testing.assert_allclose(g_gradlab(x), exact, rtol=1e-12)
    np.testing.assert_allclose(g_autograd(x), exact, rtol=1e-12)

    def loop(g):
        def run():
            for _ in range(evals):
                g(x)
        return run

    t_gradlab, t_autograd = median_times([loop(g_gradlab), loop(g_autograd)], 1, repeat)
    return {"gradlab": t_gradlab, "autograd": t_autograd}


IMPORT_SNIPPET = """\
import sys, time
import numpy
w, c = time.perf_counter(), time.process_time()
import gradlab
import gradlab.numpy
w, c = time.perf_counter() - w, time.process_time() - c
heavy = [m for m in ("matplotlib", "ipywidgets", "autograd", "scipy") if m in sys.modules]
print(w, c, ",".join(heavy) or "none")
"""


def bench_import(repeat):
    """Seconds `import gradlab` adds once numpy is imported, in fresh interpreters (medians of
    wall-clock and of CPU time; the CPU time ignores other processes on a busy machine)."""
    wall, cpu, heavy = [], [], ""
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", IMPORT_SNIPPET], capture_output=True,
                              text=True, check=True)
        w, c, heavy = done.stdout.split()
        wall.append(float(w))
        cpu.append(float(c))
    return {"wall": statistics.median(wall), "cpu": statistics.median(cpu), "heavy": heavy}


# ----------------------------------------------------------------------------------------

def _row(what, ratio, target, detail):
    status = "" if target is None else ("PASS" if ratio <= target else "MISS")
    tgt = "" if target is None else f"≤ {target:g}"
    return f"{what:<52} {ratio:>7.2f}  {tgt:>6}  {status:<4}  {detail}"


def measure(quick):
    """Run (a)-(c) and return the table rows."""
    number, repeat = (3, 7) if quick else (10, 21)
    g = bench_mlp_grad(number, repeat)
    j = bench_mlp_jvp(number, repeat)
    r = bench_rosenbrock(1000, 5 if quick else 11)
    ms = 1e3
    return [
        _row("(a) MLP grad: gradlab / hand-written", g["gradlab"] / g["hand"], 1.3,
             f"gradlab {g['gradlab'] * ms:.3f} ms, hand {g['hand'] * ms:.3f} ms"),
        _row("(a) MLP grad: gradlab / autograd", g["gradlab"] / g["autograd"], None,
             f"autograd {g['autograd'] * ms:.3f} ms"),
        _row("(b) MLP JVP: gradlab / hand-written", j["gradlab"] / j["hand"], 1.3,
             f"gradlab {j['gradlab'] * ms:.3f} ms, hand {j['hand'] * ms:.3f} ms"),
        _row("(b) MLP JVP: gradlab / autograd (make_jvp)", j["gradlab"] / j["autograd"], None,
             f"autograd {j['autograd'] * ms:.3f} ms"),
        _row("(b) MLP JVP: gradlab / one loss evaluation", j["gradlab"] / j["loss"], None,
             f"loss {j['loss'] * ms:.3f} ms (hand JVP / loss = {j['hand'] / j['loss']:.2f})"),
        _row("(c) Rosenbrock 2-D, 1000 grads: gradlab / autograd",
             r["gradlab"] / r["autograd"], 1.0,
             f"gradlab {r['gradlab'] * ms:.1f} ms, autograd {r['autograd'] * ms:.1f} ms"),
    ]


HEADER = f"{'measurement':<52} {'ratio':>7}  {'target':>6}  {'':<4}  medians"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--rows-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--malloc-table", action="store_true",
                        help="also measure (a)-(c) in a child process with glibc's heap "
                             "trimming off (GLIBC_TUNABLES), to separate allocator cost")
    args = parser.parse_args(argv)
    if args.rows_only:  # the child process of the second table
        print("\n".join(measure(args.quick)))
        return 0

    print("bench_ad: gradlab vs hand-written NumPy and HIPS autograd (ratio < 1: gradlab faster)")
    env = os.environ
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, cpus {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"timings: medians of {CLOCK_NAME}")
    print(f"OPENBLAS_CORETYPE={env.get('OPENBLAS_CORETYPE', '(unset)')}  "
          f"OPENBLAS_NUM_THREADS={env.get('OPENBLAS_NUM_THREADS')}  "
          f"GLIBC_TUNABLES={env.get('GLIBC_TUNABLES', '(unset)')}")
    rows = measure(args.quick)
    imp = bench_import(3 if args.quick else 9)
    rows.append(_row(f"(d) import gradlab after numpy (s, {'CPU' if SINGLE_THREAD else 'wall'})",
                     imp["cpu"] if SINGLE_THREAD else imp["wall"], 0.1,
                     f"wall {imp['wall']:.3f} s, CPU {imp['cpu']:.3f} s; "
                     f"heavy modules loaded: {imp['heavy']}"))
    print()
    print(HEADER)
    print("-" * 118)
    print("\n".join(rows))

    if args.malloc_table and "GLIBC_TUNABLES" not in env:
        child_env = dict(env, GLIBC_TUNABLES=MALLOC_TUNED)
        cmd = [sys.executable, __file__, "--rows-only"] + (["--quick"] if args.quick else [])
        done = subprocess.run(cmd, env=child_env, capture_output=True, text=True)
        print()
        print(f"Same, in a child process with GLIBC_TUNABLES={MALLOC_TUNED}")
        print("(freed temporaries stay mapped: no page faults on reuse; the engine's own cost)")
        print(HEADER)
        print("-" * 118)
        print(done.stdout.rstrip() if done.returncode == 0 else done.stderr)
        if done.returncode != 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
