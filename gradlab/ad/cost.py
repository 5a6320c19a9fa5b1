"""The cost of derivatives: what a full Jacobian, a gradient and a Hessian-vector product cost.

For f: R^n → R^m the Jacobian J (m × n) can be built two ways:

    forward mode (jacfwd): one JVP  J e_j  per input  j = 1..n   → n passes, column by column
    reverse mode (jacrev): one VJP  e_iᵀ J per output i = 1..m   → m passes, row by row

so forward mode wins for "tall" Jacobians (few inputs), reverse mode for "wide" ones (few
outputs), and the two cross over near n ≈ m. Reverse mode pays in memory instead: the tape keeps
every intermediate value of the forward pass until the backward sweep, so its memory grows with
the depth of the computation, while forward mode keeps only the current value and tangent.

A gradient (m = 1) costs a small constant times one evaluation of f, however large n is (the
*cheap-gradient principle*); finite differences need n + 1 evaluations. A Hessian-vector product
∇²f(x) v by forward-over-reverse costs a few gradients; the full Hessian costs n of them.

Everything here is a pure function: arrays and settings in, numbers out. Randomness comes from
a `numpy.random.Generator` passed in; times are the best of several repeats (`best_of`), by
the wall clock (clock="wall") or by the CPU time of this thread (clock="cpu"), which does not
count the time other programs on a busy machine hold the processor.
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

from . import numpy as gnp
from .core import primitive
from .forward_mode import jvp
from .reverse_mode import TapeTracer, toposort, vjp
from .transforms import grad, hessian, hvp, jacfwd, jacrev

# ----------------------------------------------------------------------------------------
# Test functions: fixed, seeded, and written once for gradlab.numpy and autograd.numpy alike.
# ----------------------------------------------------------------------------------------


class TwoLayer:
    """y = tanh(W2 tanh(W1 x)) with W1: hidden × n and W2: m × hidden, a map R^n → R^m.

    Call it as `f(x)` (gradlab.numpy) or `f(x, xp=autograd.numpy)`: the same numbers either way.
    """

    def __init__(self, n, m, rng, hidden=32):
        self.n, self.m, self.hidden = n, m, hidden
        self.W1 = rng.standard_normal((hidden, n)) / np.sqrt(n)
        self.W2 = rng.standard_normal((m, hidden)) / np.sqrt(hidden)
        self.x = rng.standard_normal(n)

    def __call__(self, x, xp=gnp):
        return xp.tanh(self.W2 @ xp.tanh(self.W1 @ x))


class DeepTanh:
    """A scalar function of a (width × batch) array through `depth` layers h ← tanh(W h).

    One weight matrix is shared by every layer, so only the intermediate values grow with the
    depth: what the tape must keep, and forward mode need not.
    """

    def __init__(self, depth, rng, width=64, batch=16):
        self.depth = depth
        self.W = rng.standard_normal((width, width)) / np.sqrt(width)
        self.x = rng.standard_normal((width, batch))

    def __call__(self, x, xp=gnp):
        h = x
        for _ in range(self.depth):
            h = xp.tanh(self.W @ h)
        return xp.sum(h * h)


def rosenbrock(x, xp=gnp):
    """The chained Rosenbrock function Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)²: cost ∝ n."""
    return xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


# ----------------------------------------------------------------------------------------
# Timing and counting.
# ----------------------------------------------------------------------------------------


CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}


def _calibrate(fn, min_time, max_number, now):
    """How many calls of fn() last at least min_time (at most max_number), and their time."""
    number = 1
    while True:
        start = now()
        for _ in range(number):
            fn()
        elapsed = now() - start
        if elapsed >= min_time or number >= max_number:
            return number, elapsed
        number = min(max_number, number * max(2, int(1.5 * min_time / max(elapsed, 1e-9))))


def best_of_each(fns, repeat=5, min_time=1e-3, max_number=10_000, clock="wall"):
    """Seconds per call of each fn() in `fns`: the best of `repeat` timings, each of enough calls
    to last at least `min_time`. The repeats are interleaved (f, g, f, g, ...), so a burst of
    load on the machine slows every function alike and their ratio stays honest; the minimum
    is the timing least disturbed by everything else running.

    clock="wall" measures elapsed time; clock="cpu" the CPU time of this thread (right for
    single-threaded work such as these small arrays, and immune to other programs' load).
    """
    now = CLOCKS[clock]
    numbers, best = [], []
    for fn in fns:
        number, elapsed = _calibrate(fn, min_time, max_number, now)
        numbers.append(number)
        best.append(elapsed / number)
    for _ in range(repeat - 1):
        for k, (fn, number) in enumerate(zip(fns, numbers)):
            start = now()
            for _ in range(number):
                fn()
            best[k] = min(best[k], (now() - start) / number)
    return best


def best_of(fn, repeat=5, min_time=1e-3, max_number=10_000, clock="wall"):
    """Seconds per call of fn(): the best of `repeat` timings (see `best_of_each`)."""
    return best_of_each([fn], repeat, min_time, max_number, clock)[0]


def count_passes(f, x):
    """How many JVPs jacfwd and how many VJPs jacrev run for f at x, counted, not assumed.

    A *probe* is appended to f: an identity primitive whose JVP rule and VJP rule count their
    calls. Every forward pass (JVP) goes through its JVP rule once, every backward sweep (VJP)
    through its VJP rule once. Returns {"jvp": ..., "vjp": ...}; expect n and m.
    """
    counts = {"jvp": 0, "vjp": 0}

    def probe_jvp(t, ans, y):
        counts["jvp"] += 1
        return t

    def probe_vjp(g, ans, y):
        counts["vjp"] += 1
        return g

    probe = primitive(lambda y: y, name="probe", jvp=(probe_jvp,), vjp=(probe_vjp,))

    def probed(x_):
        return probe(f(x_))

    jacfwd(probed)(x)
    jvps = counts["jvp"]
    jacrev(probed)(x)
    return {"jvp": jvps, "vjp": counts["vjp"]}


def _crossover(sizes, ratio):
    """Where log(ratio) first changes sign, interpolated in log(size); NaN if it never does."""
    sizes = np.asarray(sizes, dtype=float)
    lr = np.log(np.asarray(ratio, dtype=float))
    for i in range(len(sizes) - 1):
        a, b = lr[i], lr[i + 1]
        if a == 0:
            return float(sizes[i])
        if a * b < 0:
            s = a / (a - b)
            return float(np.exp(np.log(sizes[i]) + s * (np.log(sizes[i + 1]) - np.log(sizes[i]))))
    return float("nan")


# ----------------------------------------------------------------------------------------
# Forward vs reverse mode for a full Jacobian.
# ----------------------------------------------------------------------------------------


def jacobian_sweep(sizes, fixed, vary, rng, hidden=32, repeat=3, progress=None, clock="wall"):
    """Time jacfwd and jacrev of `TwoLayer` functions as one dimension grows.

    vary="n": inputs n run over `sizes` with m = `fixed` outputs; vary="m": the other way round.
    Returns sizes, n, m, t_f (one evaluation), t_fwd, t_rev (seconds per Jacobian), the counted
    JVPs and VJPs, ratio = t_fwd / t_rev, and the crossover size where the ratio crosses 1.
    """
    if vary not in ("n", "m"):
        raise ValueError(f"vary must be 'n' or 'm', got {vary!r}")
    out = {k: [] for k in ("n", "m", "t_f", "t_fwd", "t_rev", "jvps", "vjps")}
    for k, size in enumerate(sizes):
        n, m = (size, fixed) if vary == "n" else (fixed, size)
        f = TwoLayer(n, m, rng, hidden)
        x = f.x
        fwd, rev = jacfwd(f), jacrev(f)
        out["n"].append(n)
        out["m"].append(m)
        t_f, t_fwd, t_rev = best_of_each(
            [lambda f=f, x=x: f(x), lambda fwd=fwd, x=x: fwd(x), lambda rev=rev, x=x: rev(x)],
            repeat, clock=clock)
        out["t_f"].append(t_f)
        out["t_fwd"].append(t_fwd)
        out["t_rev"].append(t_rev)
        counted = count_passes(f, x)
        out["jvps"].append(counted["jvp"])
        out["vjps"].append(counted["vjp"])
        if progress is not None:
            progress(k + 1, len(sizes))
    result = {k: np.array(v) for k, v in out.items()}
    result.update(sizes=np.array(sizes), vary=vary, fixed=fixed, hidden=hidden, clock=clock)
    result["ratio"] = result["t_fwd"] / result["t_rev"]
    result["crossover"] = _crossover(sizes, result["ratio"])
    return result


def jacobian_cost(sizes=(1, 2, 4, 8, 16, 32, 64), fixed=16, hidden=32, repeat=3, seed=0,
                  progress=None, clock="wall"):
    """Both sweeps: n grows with m = fixed, then m grows with n = fixed. {"n": ..., "m": ...}."""
    rng = np.random.default_rng(seed)
    total = 2 * len(sizes)

    def part(offset):
        if progress is None:
            return None
        return lambda done, _total: progress(offset + done, total)

    return {
        "n": jacobian_sweep(sizes, fixed, "n", rng, hidden, repeat, part(0), clock),
        "m": jacobian_sweep(sizes, fixed, "m", rng, hidden, repeat, part(len(sizes)), clock),
        "settings": {"sizes": list(sizes), "fixed": fixed, "hidden": hidden, "repeat": repeat,
                     "seed": seed, "clock": clock},
    }


# ----------------------------------------------------------------------------------------
# Memory: what the tape keeps, and what each mode needs at its peak.
# ----------------------------------------------------------------------------------------


def _owner(a):
    """The array that owns a view's memory (so a view and its base are counted once)."""
    while isinstance(getattr(a, "base", None), np.ndarray):
        a = a.base
    return a


def record_tape(f, x):
    """Run f on x under reverse mode and return the tape: every node, parents first."""

    outputs = []

    def f_seen(x_):
        y = f(x_)
        outputs.append(y)
        return y

    vjp(f_seen, x)
    y = outputs[0]
    if not isinstance(y, TapeTracer):  # f does not depend on x: nothing recorded
        return []
    return toposort([y.node])


def tape_bytes(f, x):
    """Bytes of the arrays the tape of f at x keeps alive: each node's output (`ans`) and the
    arguments its VJP rules will need (`args`), each array counted once.

    Returns {"nodes", "values", "total"}: `values` counts the nodes' outputs only (the
    intermediates the forward pass made), `total` adds constants the tape refers to.
    """
    nodes = record_tape(f, x)
    seen_values, seen_all = {}, {}
    for node in nodes:
        for k, a in enumerate((node.ans, *node.args)):
            if isinstance(a, (np.ndarray, np.generic)):
                owner = _owner(a)
                seen_all[id(owner)] = owner
                if k == 0:
                    seen_values[id(owner)] = owner
    return {"nodes": len(nodes),
            "values": int(sum(a.nbytes for a in seen_values.values())),
            "total": int(sum(a.nbytes for a in seen_all.values()))}


def peak_bytes(fn):
    """Peak memory (bytes) numpy and Python allocate while fn() runs, from tracemalloc."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        if not was_tracing:
            tracemalloc.stop()


def tape_memory(depths=(1, 2, 4, 8, 16, 32), width=64, batch=16, seed=0, progress=None):
    """Memory against depth for `DeepTanh`: the tape's bytes, and the peak memory of a gradient
    by reverse mode (tape + sweep) and of a JVP by forward mode (no tape).

    Also the bytes one layer adds to the tape (a least-squares slope) and the bytes of one
    width × batch activation, for comparison.
    """
    rng = np.random.default_rng(seed)
    rows = {k: [] for k in ("tape_values", "tape_total", "nodes", "peak_rev", "peak_fwd")}
    for k, depth in enumerate(depths):
        f = DeepTanh(depth, rng, width, batch)
        x, v = f.x, rng.standard_normal(f.x.shape)
        counted = tape_bytes(f, x)
        rows["tape_values"].append(counted["values"])
        rows["tape_total"].append(counted["total"])
        rows["nodes"].append(counted["nodes"])
        rows["peak_rev"].append(peak_bytes(lambda f=f, x=x: grad(f)(x)))
        rows["peak_fwd"].append(peak_bytes(lambda f=f, x=x, v=v: jvp(f, (x,), (v,))))
        if progress is not None:
            progress(k + 1, len(depths))
    result = {k: np.array(v) for k, v in rows.items()}
    d = np.array(depths, dtype=float)
    result.update(depths=np.array(depths), width=width, batch=batch,
                  activation_bytes=width * batch * 8,
                  bytes_per_layer=float(np.polyfit(d, result["tape_values"], 1)[0]),
                  peak_rev_per_layer=float(np.polyfit(d, result["peak_rev"], 1)[0]),
                  peak_fwd_per_layer=float(np.polyfit(d, result["peak_fwd"], 1)[0]))
    return result


# ----------------------------------------------------------------------------------------
# The cheap-gradient principle, and Hessian-vector products.
# ----------------------------------------------------------------------------------------


def finite_difference_gradient(f, x, h=1e-6):
    """The gradient of f at x by forward differences: n + 1 evaluations of f."""
    x = np.asarray(x, dtype=float)
    f0 = f(x)
    g = np.empty_like(x)
    for i in range(x.size):
        xi = x.copy()
        xi.flat[i] += h
        g.flat[i] = (f(xi) - f0) / h
    return g


def cheap_gradient(sizes=(10, 100, 1_000, 10_000, 100_000), fd_max=1_000, repeat=3, seed=0,
                   f=rosenbrock, progress=None, clock="wall"):
    """time(grad f) / time(f) as n grows, beside finite differences' n + 1 evaluations.

    Finite differences are timed only up to n = fd_max (beyond that they are just slow);
    `fd_evals` is their count of evaluations, n + 1, at every size.
    """
    rng = np.random.default_rng(seed)
    rows = {k: [] for k in ("t_f", "t_grad", "t_fd")}
    g = grad(f)
    for k, n in enumerate(sizes):
        x = rng.standard_normal(n)
        t_f, t_grad = best_of_each([lambda x=x: f(x), lambda x=x: g(x)], repeat, clock=clock)
        rows["t_f"].append(t_f)
        rows["t_grad"].append(t_grad)
        rows["t_fd"].append(best_of(lambda x=x: finite_difference_gradient(f, x), 1, 0.0, 1, clock)
                            if n <= fd_max else np.nan)
        if progress is not None:
            progress(k + 1, len(sizes))
    result = {k: np.array(v, dtype=float) for k, v in rows.items()}
    result["sizes"] = np.array(sizes)
    result["grad_ratio"] = result["t_grad"] / result["t_f"]
    result["fd_ratio"] = result["t_fd"] / result["t_f"]
    result["fd_evals"] = result["sizes"] + 1
    return result


def hvp_cost(sizes=(4, 8, 16, 32, 64), repeat=3, seed=0, f=rosenbrock, progress=None,
             clock="wall"):
    """Time ∇²f(x) v by forward-over-reverse against the full Hessian, and check they agree.

    Returns t_grad, t_hvp, t_hessian (seconds) and max |hvp − H v| per size.
    """
    rng = np.random.default_rng(seed)
    rows = {k: [] for k in ("t_grad", "t_hvp", "t_hessian", "max_abs_diff")}
    hess, g = hessian(f), grad(f)
    for k, n in enumerate(sizes):
        x, v = rng.standard_normal(n), rng.standard_normal(n)
        t_grad, t_hvp, t_hessian = best_of_each(
            [lambda x=x: g(x), lambda x=x, v=v: hvp(f, x, v), lambda x=x: hess(x)],
            repeat, clock=clock)
        rows["t_grad"].append(t_grad)
        rows["t_hvp"].append(t_hvp)
        rows["t_hessian"].append(t_hessian)
        rows["max_abs_diff"].append(float(np.max(np.abs(hvp(f, x, v) - hess(x) @ v))))
        if progress is not None:
            progress(k + 1, len(sizes))
    result = {k: np.array(v, dtype=float) for k, v in rows.items()}
    result["sizes"] = np.array(sizes)
    result["hessian_over_hvp"] = result["t_hessian"] / result["t_hvp"]
    return result


# ----------------------------------------------------------------------------------------
# The same numbers as HIPS autograd.
# ----------------------------------------------------------------------------------------


def autograd_agreement(n=12, m=5, seed=0):
    """gradlab's Jacobians, gradient and HVP beside autograd's for the same functions.

    Returns the arrays from both libraries and the largest absolute difference of each pair.
    """
    import autograd
    import autograd.numpy as anp

    rng = np.random.default_rng(seed)
    f = TwoLayer(n, m, rng)
    x, v = f.x, rng.standard_normal(n)

    def f_ag(x_):
        return f(x_, anp)

    def ros_ag(x_):
        return rosenbrock(x_, anp)

    pairs = {
        "jacfwd": (jacfwd(f)(x), autograd.jacobian(f_ag)(x)),
        "jacrev": (jacrev(f)(x), autograd.jacobian(f_ag)(x)),
        "grad": (grad(rosenbrock)(x), autograd.grad(ros_ag)(x)),
        "hvp": (hvp(rosenbrock, x, v),
                autograd.hessian_vector_product(ros_ag)(x, v)),
        "hessian": (hessian(rosenbrock)(x), autograd.hessian(ros_ag)(x)),
    }
    return {
        "n": n, "m": m,
        "gradlab": {k: np.asarray(a) for k, (a, _) in pairs.items()},
        "autograd": {k: np.asarray(b) for k, (_, b) in pairs.items()},
        "max_abs_diff": {k: float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
                         for k, (a, b) in pairs.items()},
    }
