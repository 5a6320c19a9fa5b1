"""Synthetic-gradient modules (Jaderberg et al. 2016): predict a layer's gradient, regress it.

A decoupled layer i does not wait for the true gradient ∂L/∂hᵢ of the loss with respect to its
output hᵢ. A small module Mᵢ *predicts* it,

    ĝᵢ = Mᵢ(hᵢ)            (DNI)        or      ĝᵢ = Mᵢ(hᵢ, c)     (cDNI, c = one-hot label)

and the layer updates at once from ĝᵢ. Mᵢ itself learns by regression, loss ½‖ĝᵢ − tᵢ‖², onto

- the true gradient tᵢ = ∂L/∂hᵢ for the top module (the only one that sees the real loss);
- the **bootstrapped** target below: the next layer's synthetic gradient pushed back through
  that one layer, tᵢ = (∂hᵢ₊₁/∂hᵢ)ᵀ ĝᵢ₊₁ = Wᵢ₊₁ (φ′(aᵢ₊₁) ⊙ ĝᵢ₊₁)  (`bootstrap_target`).

Mᵢ's last layer starts at **zero**, so the first synthetic gradients are 0 (nothing is learnt
from a module that knows nothing yet). Two shapes of module:

- "linear":  ĝ = [h, c] A + b                        (A, b zero-initialised) — the weakest
  module, kept as an ablation (Czarnecki et al.'s analysis is about it);
- "mlp":     ĝ = relu(⋯relu([h, c] W₁ + b₁)⋯) Wₖ₊₁ + bₖ₊₁   (`hidden` = one width or a tuple of
  widths, e.g. (1024, 1024) as Jaderberg et al.'s feed-forward modules; the last layer
  Wₖ₊₁, bₖ₊₁ zero-initialised).

Conventions: rows are examples (h has shape (batch, n)); gradients are *per example*
(∂ℓₙ/∂hₙ, without the 1/batch of a mean loss), so their size does not depend on the batch.

The pieces are small functions on a dict of arrays, so each can be read (and, in exercise 5,
written) on its own: `init_sg_module`, `sg_predict`, `bootstrap_target`, `sg_regression_grads`
and `sg_module_update` (one plain gradient step). `SyntheticGradient` bundles a module with an
optimiser (Adam by default); `gradlab.methods.feedback` uses it for DNI and cDNI, and `mix` blends a
synthetic with a true gradient (λ = 1: all synthetic, λ = 0: backprop).
"""

from __future__ import annotations

import numpy as np

SG_KINDS = ("linear", "mlp")


# ----------------------------------------------------------------------------------------
# The module as plain functions on a dict of arrays
# ----------------------------------------------------------------------------------------

def init_sg_module(dim, rng, kind="linear", context_dim=0, hidden=64):
    """Parameters of a synthetic-gradient module predicting a gradient of size `dim`.

    Its input is hᵢ (size `dim`) followed by `context_dim` context entries (cDNI: the one-hot
    label). "mlp": `hidden` is the width of its one hidden layer, or a tuple of widths; the hidden
    layers are He-initialised ReLU layers W₁, b₁, W₂, b₂, .... The last layer is zero, so the
    module predicts 0 until it has learnt something.
    """
    if kind not in SG_KINDS:
        raise ValueError(f"unknown synthetic-gradient module kind {kind!r}; choose from {SG_KINDS}")
    n_in = dim + context_dim
    if kind == "linear":
        return {"A": np.zeros((n_in, dim)), "b": np.zeros(dim)}
    widths = (hidden,) if np.isscalar(hidden) else tuple(hidden)
    if not widths or min(widths) < 1:
        raise ValueError(f"an MLP module needs hidden widths >= 1, got {hidden!r}")
    sizes = (n_in, *widths, dim)
    params = {}
    for j, (m, k) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        last = j == len(sizes) - 1
        params[f"W{j}"] = np.zeros((m, k)) if last else rng.normal(0.0, np.sqrt(2.0 / m), (m, k))
        params[f"b{j}"] = np.zeros(k)
    return params


def sg_inputs(h, context=None):
    """The module's input: hᵢ, with the context (e.g. one-hot label) appended for cDNI."""
    return h if context is None else np.concatenate([h, context], axis=1)


def _n_layers(params):
    return sum(1 for k in params if k.startswith("W"))


def _mlp_forward(params, x):
    """The MLP module's pre-activations u and activations z per layer (z[0] = x), and ĝ."""
    n = _n_layers(params)
    us, zs = [], [x]
    for j in range(1, n):
        us.append(zs[-1] @ params[f"W{j}"] + params[f"b{j}"])
        zs.append(np.maximum(us[-1], 0.0))
    return us, zs, zs[-1] @ params[f"W{n}"] + params[f"b{n}"]


def sg_predict(params, h, context=None):
    """The synthetic gradient ĝ ≈ ∂ℓ/∂h, one row per example."""
    x = sg_inputs(h, context)
    if "A" in params:
        return x @ params["A"] + params["b"]
    return _mlp_forward(params, x)[2]


def bootstrap_target(g_next, a_next, W_next, act_deriv):
    """The regression target for Mᵢ from the layer above: tᵢ = (φ′(aᵢ₊₁) ⊙ ĝᵢ₊₁) Wᵢ₊₁ᵀ.

    g_next: the gradient layer i+1 uses for its output (synthetic, or true at the top);
    a_next: layer i+1's pre-activation; W_next: its weights, shape (nᵢ, nᵢ₊₁) (rows are inputs);
    act_deriv: φ′ of layer i+1. This is backprop through *one* layer only.
    """
    return (act_deriv(a_next) * g_next) @ W_next.T


def sg_regression_grads(params, h, target, context=None):
    """Regression loss ½·mean‖ĝ − t‖² of the module on a batch, and its gradient (a dict).

    MLP: backprop through the module, r = ĝ − t, ∂/∂Wⱼ = zⱼ₋₁ᵀ dⱼ / n with d = r at the top
    and dⱼ = (dⱼ₊₁ Wⱼ₊₁ᵀ) ⊙ 1[uⱼ > 0] below."""
    x = sg_inputs(h, context)
    n = x.shape[0]
    if "A" in params:
        r = x @ params["A"] + params["b"] - target
        grads = {"A": x.T @ r / n, "b": r.mean(axis=0)}
    else:
        us, zs, g = _mlp_forward(params, x)
        r = g - target
        grads, d = {}, r
        for j in range(_n_layers(params), 0, -1):
            grads[f"W{j}"] = zs[j - 1].T @ d / n
            grads[f"b{j}"] = d.mean(axis=0)
            if j > 1:
                d = (d @ params[f"W{j}"].T) * (us[j - 2] > 0)
    loss = 0.5 * float(np.mean(np.sum(r * r, axis=1)))
    return loss, grads


def sg_module_update(params, h, target, lr, context=None):
    """One plain gradient step of the module towards `target`. Returns (new params, loss)."""
    loss, grads = sg_regression_grads(params, h, target, context)
    return {k: params[k] - lr * grads[k] for k in params}, loss


def mix(synthetic, true, lam):
    """λ·synthetic + (1 − λ)·true: λ = 1 is pure DNI, λ = 0 is backprop."""
    if lam == 1.0:
        return synthetic
    if lam == 0.0:
        return true
    return lam * synthetic + (1.0 - lam) * true


# ----------------------------------------------------------------------------------------
# Optimisers on dicts of arrays (used by the modules and by gradlab.methods.feedback's networks)
# ----------------------------------------------------------------------------------------

class Optimizer:
    """SGD (with optional momentum) or Adam on a dict of arrays; `step` updates it in place."""

    def __init__(self, params, lr, kind="adam", momentum=0.0, betas=(0.9, 0.999), eps=1e-8):
        if kind not in ("sgd", "adam"):
            raise ValueError(f"unknown optimizer {kind!r}; choose 'sgd' or 'adam'")
        self.lr, self.kind, self.momentum, self.betas, self.eps = lr, kind, momentum, betas, eps
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()} if kind == "adam" else None
        self.t = 0

    def step(self, params, grads):
        self.t += 1
        for k, g in grads.items():
            if self.kind == "sgd":
                if self.momentum:
                    self.m[k] = self.momentum * self.m[k] + g
                    g = self.m[k]
                params[k] -= self.lr * g
            else:
                b1, b2 = self.betas
                self.m[k] = b1 * self.m[k] + (1 - b1) * g
                self.v[k] = b2 * self.v[k] + (1 - b2) * g * g
                m_hat = self.m[k] / (1 - b1 ** self.t)
                v_hat = self.v[k] / (1 - b2 ** self.t)
                params[k] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class SyntheticGradient:
    """A synthetic-gradient module with its own optimiser: predict, then update toward a target.

        sg = SyntheticGradient(dim=64, rng=rng, kind="linear", context_dim=10)
        g_hat = sg.predict(h, y_onehot)          # zeros at first (zero-initialised)
        loss = sg.update(h, target, y_onehot)    # one optimiser step on ½‖ĝ − t‖²
    """

    def __init__(self, dim, rng, kind="linear", context_dim=0, hidden=64, lr=1e-3,
                 optimizer="adam"):
        self.kind, self.context_dim = kind, context_dim
        self.params = init_sg_module(dim, rng, kind, context_dim, hidden)
        self.opt = Optimizer(self.params, lr, optimizer)

    def predict(self, h, context=None):
        return sg_predict(self.params, h, context if self.context_dim else None)

    def update(self, h, target, context=None):
        loss, grads = sg_regression_grads(self.params, h, target,
                                          context if self.context_dim else None)
        if np.isfinite(loss):
            self.opt.step(self.params, grads)
        return loss


# ----------------------------------------------------------------------------------------
# What decoupling buys: update unlocking. A schedule model and a real concurrent pipeline.
# ----------------------------------------------------------------------------------------

def _per_layer(x, n):
    x = np.broadcast_to(np.asarray(x, dtype=float), (n,))
    return np.array(x)


def pipeline_schedule(n_layers, forward=1.0, backward=2.0, sg=0.5, n_batches=6, mode="dni",
                      update_prob=1.0, rng=None, n_micro=4):
    """A schedule of `n_batches` batches through `n_layers` layers, one layer per device.

    Costs (time units, scalars or one per layer): forward fᵢ, backward bᵢ (δ and the weight
    update), sg sᵢ (the module's prediction and regression step; DNI only).
    - mode "backprop" (update-locked): a batch goes forward through every device, then backward;
      device 1 cannot start the next batch until the backward pass has reached it, so a batch
      takes Σ(fᵢ + bᵢ) and only one device is busy at a time.
    - mode "pipelined": backprop with each batch cut into `n_micro` micro-batches (GPipe): a
      device passes micro-batch m on and starts m+1 (each costs fᵢ/M, bᵢ/M); after the last
      forward the backward passes flow down the same way; every device updates once the batch
      is through (a flush), so the updates are locked backprop's. Equal layers:
      (M + L − 1)(f + b)/M per batch.
    - mode "dni": device i does fᵢ, hands its output on, then at once its backward from the
      synthetic gradient (bᵢ + sᵢ), then takes the next batch as soon as its input is there
      (still forward-locked). With update_prob p < 1 a layer below the top does its backward
      for a batch only with probability p: more batches per unit of time, but fewer updates —
      p trades updates for throughput, it does not make an update cheaper.
    Returns dict(tasks=[(device, start, end, kind, batch)], makespan, per_batch (steady-state
    time per batch: the slowest device's load), kinds).
    """
    L = int(n_layers)
    f, b, s = _per_layer(forward, L), _per_layer(backward, L), _per_layer(sg, L)
    rng = np.random.default_rng(0) if rng is None else rng
    tasks = []
    if mode == "backprop":
        t = 0.0
        for k in range(n_batches):
            for i in range(L):
                tasks.append((i, t, t + f[i], "forward", k))
                t += f[i]
            for i in range(L - 1, -1, -1):
                tasks.append((i, t, t + b[i], "backward", k))
                t += b[i]
        return dict(tasks=tasks, makespan=t, per_batch=float(np.sum(f + b)))
    if mode == "pipelined":
        return _gpipe_schedule(f, b, n_batches, int(n_micro))
    if mode != "dni":
        raise ValueError(f"mode must be 'backprop', 'pipelined' or 'dni', got {mode!r}")
    free = np.zeros(L)  # when each device is next free
    for k in range(n_batches):
        ready = 0.0  # when this batch's input to device i is available
        for i in range(L):
            start = max(free[i], ready)
            tasks.append((i, start, start + f[i], "forward", k))
            ready = start + f[i]
            t = ready
            if i == L - 1 or update_prob >= 1.0 or rng.random() < update_prob:
                if i < L - 1:
                    tasks.append((i, t, t + s[i], "sg", k))
                    t += s[i]
                tasks.append((i, t, t + b[i], "backward", k))
                t += b[i]
            free[i] = t
    p = np.where(np.arange(L) == L - 1, 1.0, update_prob)
    s_eff = np.where(np.arange(L) == L - 1, 0.0, s)
    per_batch = float(np.max(f + p * (b + s_eff)))
    return dict(tasks=tasks, makespan=float(free.max()), per_batch=per_batch)


def _gpipe_schedule(f, b, n_batches, M):
    """Micro-batched pipeline-parallel backprop with a flush per batch (see pipeline_schedule)."""
    L = len(f)
    tasks, t0 = [], 0.0
    for k in range(n_batches):
        free = np.full(L, t0)
        done = np.full((L, M), t0)
        for m in range(M):
            for i in range(L):
                start = max(free[i], done[i - 1, m] if i else t0)
                tasks.append((i, start, start + f[i] / M, "forward", k))
                free[i] = done[i, m] = start + f[i] / M
        for m in range(M - 1, -1, -1):
            for i in range(L - 1, -1, -1):
                start = max(free[i], done[i + 1, m] if i < L - 1 else free[i])
                tasks.append((i, start, start + b[i] / M, "backward", k))
                free[i] = done[i, m] = start + b[i] / M
        t0 = float(free.max())
    return dict(tasks=tasks, makespan=t0, per_batch=t0 / n_batches)


def speedup_model(n_layers, forward=1.0, backward=2.0, sg=0.5, update_prob=1.0):
    """Steady-state speed-up of DNI over locked backprop on L devices, and its two factors.

    total = Σ(f+b) / maxᵢ(fᵢ + p(bᵢ+sᵢ)) = work × parallel, where
    work = Σ(f+b) / Σ(f + p(b+s))  — more work per batch (the SG modules, < 1) or fewer
           updates per batch (p < 1, > 1): p does not make an update cheaper, it trades updates
           for batches per second;
    parallel = Σ(f + p(b+s)) / maxᵢ(fᵢ + p(bᵢ+sᵢ)) ≤ L — layers working at the same time.
    """
    L = int(n_layers)
    f, b, s = _per_layer(forward, L), _per_layer(backward, L), _per_layer(sg, L)
    last = np.arange(L) == L - 1
    p = np.where(last, 1.0, update_prob)
    load = f + p * (b + np.where(last, 0.0, s))
    work = float(np.sum(f + b) / np.sum(load))
    parallel = float(np.sum(load) / np.max(load))
    return dict(total=work * parallel, work=work, parallel=parallel)


def _relu_stage_forward(layers, x, last):
    a, h = [], [x]
    for j, (W, b) in enumerate(layers):
        z = h[-1] @ W + b
        a.append(z)
        h.append(z if (last and j == len(layers) - 1) else np.maximum(z, 0.0))
    return a, h


def _relu_stage_backward(layers, a, h, g_out, last, lr, need_input_grad=True, accumulate=None,
                         weight=1.0):
    """Backprop g_out = ∂ℓ/∂(stage output) through the stage, SGD-update it, return ∂ℓ/∂input.
    With `accumulate` (a list of [∂W, ∂b] per layer) the gradient, times `weight`, is added
    there instead of being applied (micro-batches of one batch)."""
    n = h[0].shape[0]
    g = g_out
    for j in range(len(layers) - 1, -1, -1):
        W, b = layers[j]
        delta = g if (last and j == len(layers) - 1) else g * (a[j] > 0)
        g = delta @ W.T if (j > 0 or need_input_grad) else None
        if accumulate is None:
            W -= lr * (h[j].T @ delta) / n
            b -= lr * delta.mean(axis=0)
        else:
            accumulate[j][0] += weight * (h[j].T @ delta) / n
            accumulate[j][1] += weight * delta.mean(axis=0)
    return g


def make_pipeline_problem(width=1024, n_layers=4, n_in=256, n_classes=10, batch_size=256,
                          n_batches=20, seed=0):
    """Layers (W, b) of a ReLU MLP and a stream of batches (x, one-hot y) from a random teacher."""
    rng = np.random.default_rng(seed)
    sizes = [n_in] + [width] * n_layers + [n_classes]
    layers = [(rng.normal(0, np.sqrt(2.0 / m), (m, k)), np.zeros(k))
              for m, k in zip(sizes[:-1], sizes[1:])]
    teacher = rng.normal(size=(n_in, n_classes))
    batches = []
    for _ in range(n_batches):
        x = rng.normal(size=(batch_size, n_in))
        batches.append((x, np.eye(n_classes)[(x @ teacher).argmax(axis=1)]))
    return layers, batches


def _softmax_error(logits, y):
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return float(-np.mean(np.sum(y * np.log(p + 1e-12), axis=1))), p - y


def run_locked(layers, batches, lr=0.01, threads=None):
    """Locked backprop, one Python thread (BLAS may use `threads`). Returns examples/s, losses."""
    import time

    from threadpoolctl import threadpool_limits

    layers = [(W.copy(), b.copy()) for W, b in layers]
    losses = []
    with threadpool_limits(limits=threads):
        start = time.perf_counter()
        for x, y in batches:
            a, h = _relu_stage_forward(layers, x, last=True)
            loss, e = _softmax_error(h[-1], y)
            losses.append(loss)
            _relu_stage_backward(layers, a, h, e, True, lr, need_input_grad=False)
        elapsed = time.perf_counter() - start
    n = sum(len(x) for x, _ in batches)
    return dict(examples_per_s=n / elapsed, seconds=elapsed, losses=np.array(losses),
                layers=layers)


def _stages(layers, n_workers):
    bounds = np.linspace(0, len(layers), n_workers + 1).round().astype(int)
    stages = [layers[bounds[k]:bounds[k + 1]] for k in range(n_workers)]
    if any(len(st) == 0 for st in stages):
        raise ValueError(f"{len(layers)} layers cannot be split over {n_workers} workers")
    return bounds, stages


def _run_threads(body, n_workers, threads_per_worker):
    """Run body(k) for k < n_workers in threads (BLAS limited per thread); re-raise errors."""
    import threading
    import time

    from threadpoolctl import threadpool_limits

    errors = []

    def run(k):
        try:
            body(k)
        except Exception as exc:  # reported to the caller
            errors.append(exc)

    with threadpool_limits(limits=threads_per_worker):
        start = time.perf_counter()
        threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(n_workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


def run_pipelined(layers, batches, n_workers=2, n_micro=4, lr=0.01, threads_per_worker=1):
    """Pipeline-parallel backprop (GPipe-style): the fair parallel baseline for DNI's pipeline.

    The layers are split into `n_workers` consecutive stages, one Python thread each (matrix
    products release the GIL). Each batch is cut into `n_micro` micro-batches: stage k runs the
    forward pass of micro-batch m while stage k+1 works on m−1; the backward passes flow back the
    same way; each stage accumulates its gradient over the micro-batches and applies it once the
    whole batch is through (a flush). The updates are exactly locked backprop's (same batches,
    same SGD step), only scheduled in parallel. Returns examples/s and the losses.
    """
    import queue

    layers = [(W.copy(), b.copy()) for W, b in layers]
    _, stages = _stages(layers, n_workers)
    fwd = [queue.Queue() for _ in range(n_workers)]
    back = [queue.Queue() for _ in range(n_workers)]
    losses = np.zeros(len(batches))

    def stage(k):
        last = k == n_workers - 1
        for j, (x_full, y_full) in enumerate(batches):
            parts = np.array_split(np.arange(len(x_full)), n_micro)
            acc = [[np.zeros_like(W), np.zeros_like(b)] for W, b in stages[k]]
            saved = []
            for idx in parts:
                x = x_full[idx] if k == 0 else fwd[k].get()
                a, h = _relu_stage_forward(stages[k], x, last)
                weight = len(idx) / len(x_full)
                if last:  # forward then backward at once (1F1B at the last stage)
                    loss, e = _softmax_error(h[-1], y_full[idx])
                    losses[j] += weight * loss
                    g_in = _relu_stage_backward(stages[k], a, h, e, True, lr, k > 0, acc, weight)
                    if k > 0:
                        back[k - 1].put(g_in)
                else:
                    fwd[k + 1].put(h[-1])
                    saved.append((a, h, weight))
            for a, h, weight in ([] if last else saved):  # backward in arrival order
                g_in = _relu_stage_backward(stages[k], a, h, back[k].get(), False, lr, k > 0,
                                            acc, weight)
                if k > 0:
                    back[k - 1].put(g_in)
            for (W, b), (dW, db) in zip(stages[k], acc):  # the flush: one update per batch
                W -= lr * dW
                b -= lr * db

    elapsed = _run_threads(stage, n_workers, threads_per_worker)
    n = sum(len(x) for x, _ in batches)
    return dict(examples_per_s=n / elapsed, seconds=elapsed, losses=losses, layers=layers)


def run_decoupled(layers, batches, n_workers=2, lr=0.01, sg_lr=1e-3, threads_per_worker=1,
                  concurrent=True, update_prob=1.0, seed=0):
    """Layers split into `n_workers` consecutive stages; between stages a linear cDNI module.

    A stage takes a batch, runs forward, hands its output on, and at once updates from its
    module's synthetic gradient (no backward lock); it sends the gradient w.r.t. its input down
    as the target (true from the last stage, bootstrapped otherwise) for the module below,
    which regresses on targets as they arrive.
    concurrent=True: each stage is a Python thread (matrix products release the GIL, so the
    stages really run at the same time); False: the same stages, round-robin in one thread —
    the same work without parallelism. update_prob p: a stage below the top does its backward,
    update and module regression for a batch with probability p (the top stage always learns).
    Returns examples/s, the top stage's losses and the modules' regression losses.
    """
    import queue
    import time

    from threadpoolctl import threadpool_limits

    layers = [(W.copy(), b.copy()) for W, b in layers]
    bounds, stages = _stages(layers, n_workers)
    n_classes = batches[0][1].shape[1]
    rng = np.random.default_rng(seed)
    modules = [SyntheticGradient(stages[k][-1][0].shape[1], rng, "linear", n_classes, lr=sg_lr)
               for k in range(n_workers - 1)]
    learns = rng.random((n_workers, len(batches))) < update_prob
    learns[-1] = True
    fwd = [queue.Queue() for _ in range(n_workers)]
    back = [queue.Queue() for _ in range(n_workers)]
    losses, sg_losses = [], [[] for _ in modules]

    def stage(k):
        """Stage k as a generator: one batch per `next`."""
        last = k == n_workers - 1
        pending = {}

        def learn_from_targets(block):
            while pending:
                try:
                    j, target = back[k].get(block=block)
                except queue.Empty:
                    return
                h_out, y = pending.pop(j)
                if target is not None:
                    sg_losses[k].append(modules[k].update(h_out, target, y))

        for j in range(len(batches)):
            x, y = batches[j] if k == 0 else fwd[k].get()
            a, h = _relu_stage_forward(stages[k], x, last)
            if not last:
                fwd[k + 1].put((h[-1], y))
            if learns[k, j]:
                if last:
                    loss, g_out = _softmax_error(h[-1], y)
                    losses.append(loss)
                else:
                    g_out = modules[k].predict(h[-1], y)
                    pending[j] = (h[-1], y)
                g_in = _relu_stage_backward(stages[k], a, h, g_out, last, lr,
                                            need_input_grad=k > 0)
            else:
                g_in = None
            if k > 0 and learns[k - 1, j]:
                back[k - 1].put((j, g_in))
            if not last:
                learn_from_targets(block=False)
            yield j
        if not last:
            learn_from_targets(block=True)

    if concurrent:
        elapsed = _run_threads(lambda k: [None for _ in stage(k)], n_workers, threads_per_worker)
    else:
        with threadpool_limits(limits=threads_per_worker):
            start = time.perf_counter()
            gens = [stage(k) for k in range(n_workers)]
            for _ in range(len(batches)):
                for g in gens:
                    next(g)
            for g in gens:
                for _ in g:
                    pass
            elapsed = time.perf_counter() - start
    n = sum(len(x) for x, _ in batches)
    return dict(examples_per_s=n / elapsed, seconds=elapsed, losses=np.array(losses),
                sg_losses=[np.array(v) for v in sg_losses], stage_bounds=bounds.tolist(),
                updates_done=int(learns.sum()))


def thread_parallel_efficiency(n=1024, batch=256, repeats=8):
    """What this machine offers two threads right now: (time of 2·r products in one thread) /
    (time of r products in each of two threads), products of a (batch × n)·(n × n) shape with one
    BLAS thread. 2 = two free cores; 1 = no parallelism available (e.g. a busy shared machine)."""
    import threading
    import time

    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    A, B = rng.random((batch, n)), rng.random((n, n))

    def work():
        for _ in range(repeats):
            A @ B

    with threadpool_limits(limits=1):
        start = time.perf_counter()
        work()
        work()
        serial = time.perf_counter() - start
        threads = [threading.Thread(target=work) for _ in range(2)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        parallel = time.perf_counter() - start
    return serial / parallel
