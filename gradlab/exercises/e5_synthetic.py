"""Exercise 5 checks: one synthetic-gradient module (DNI), and training a network with it.

The student writes, for a *linear* module ĝ = h A + b (rows are examples):
  init_sg_module(dim)                                -> {"A": zeros (dim, dim), "b": zeros (dim,)}
  bootstrap_target(g_next, a_next, W_next, act_deriv) -> (φ′(a_next) ⊙ g_next) W_nextᵀ
  sg_update(params, h, target, lr)                   -> (new params, loss), one gradient step on
                                                        ½·mean over the batch of ‖ĝ − t‖²
The references are `gradlab.methods.synthetic_gradients` (`init_sg_module(kind="linear")`,
`bootstrap_target`, `sg_module_update`). `train_dni` then trains a small network on the digits
with the student's three functions, next to backprop and to a network whose hidden layers never
learn, so the student sees the decoupled layers learn from predicted gradients.
"""

from __future__ import annotations

import numpy as np

from ..methods import synthetic_gradients as _sg
from .runner import (
    Failed,
    NotDone,
    as_array,
    call,
    close,
    describe,
    fmt,
    not_done_reason,
    outcome_or_raise,
    run_check,
)


def _tanh_deriv(a):
    return 1.0 - np.tanh(a) ** 2


def _relu_deriv(a):
    return (a > 0).astype(float)


# ----------------------------------------------------------------------------------------
# init_sg_module
# ----------------------------------------------------------------------------------------

def _check_init(fn, timeout):
    label = "init_sg_module"
    reason = not_done_reason(fn, label)
    if reason:
        raise NotDone(reason)
    for dim in (3, 16):
        case = f"dim = {dim}"
        got = outcome_or_raise(call(fn, dim, timeout=timeout), label, case)
        if got is None:
            raise NotDone(f"`{label}` returned None. Is its body still `...`, or is a `return` "
                          "missing?")
        if not isinstance(got, dict):
            raise Failed(f"case '{case}': {label} returned {describe(got)}; return a dict "
                         '{"A": ..., "b": ...}.', mistake="wrong-type", case=case)
        if set(got) != {"A", "b"}:
            raise Failed(f"case '{case}': the dict has keys {sorted(map(str, got))}; use exactly "
                         '"A" (the weights) and "b" (the bias).', mistake="wrong-keys", case=case)
        for key, shape in (("A", (dim, dim)), ("b", (dim,))):
            value = got[key]
            if not isinstance(value, np.ndarray) or value.shape != shape:
                raise Failed(f"case '{case}': {key} is {describe(value)}; it must be an array of "
                             f"shape {shape} (the module maps a gradient of size {dim} to one of "
                             f"size {dim}).", mistake="wrong-shape", case=case)
            if np.any(value != 0):
                raise Failed(f"case '{case}': {key} is not all zeros.\n  hint: start the module "
                             "at zero, so its first synthetic gradients are 0: a module that has "
                             "learnt nothing yet should not push the layer in a random direction.",
                             mistake="not-zero", case=case)
    return "passed: A and b start at zero, so the first synthetic gradients are 0."


def init_sg_module(fn, *, quiet=False, timeout=10.0):
    """Check init_sg_module(dim) -> {"A": zeros (dim, dim), "b": zeros (dim,)}."""
    return run_check("init_sg_module", _check_init, fn, timeout, quiet=quiet)


# ----------------------------------------------------------------------------------------
# bootstrap_target
# ----------------------------------------------------------------------------------------

def _bootstrap_cases(seed):
    rng = np.random.default_rng(7 if seed is None else seed)
    out = []
    for case, B, n_i, n_next, deriv in (("tanh layer, W of shape (3, 5)", 4, 3, 5, _tanh_deriv),
                                        ("relu layer, square W (4, 4)", 6, 4, 4, _relu_deriv),
                                        ("tanh layer, one example", 1, 5, 2, _tanh_deriv)):
        out.append((case, rng.normal(size=(B, n_next)), rng.normal(size=(B, n_next)),
                    rng.normal(size=(n_i, n_next)), deriv))
    return out


def _mm(a, b):
    """a @ b, or None when the shapes do not fit (then that mistake is not the one made)."""
    return a @ b if a.shape[-1] == b.shape[0] else None


def _check_bootstrap(fn, seed, timeout):
    label = "bootstrap_target"
    reason = not_done_reason(fn, label)
    if reason:
        raise NotDone(reason)
    for case, g_next, a_next, W_next, deriv in _bootstrap_cases(seed):
        expected = _sg.bootstrap_target(g_next, a_next, W_next, deriv)
        got = outcome_or_raise(call(fn, g_next.copy(), a_next.copy(), W_next.copy(), deriv,
                                    timeout=timeout), label, case)
        got = as_array(got, label, case, expected.shape)
        shapes = (f"g_next {g_next.shape}, a_next {a_next.shape}, W_next {W_next.shape} "
                  f"(rows are layer i's units)")
        if got.shape != expected.shape:
            hint = ("the target is a gradient for layer i's output hᵢ, one row per example: "
                    f"shape (batch, nᵢ) = {expected.shape}. Multiply by W_nextᵀ "
                    "(W_next.T), which maps layer i+1's units back to layer i's")
            raise Failed(f"case '{case}': {shapes}.\n  expected shape {expected.shape}, got "
                         f"shape {got.shape}\n  hint: {hint}.", mistake="wrong-shape", case=case)
        if close(got, expected):
            continue
        wrong = [("no-act-deriv", _mm(g_next, W_next.T),
                  "you left out φ′(a_next): the gradient passes through layer i+1's activation "
                  "before its weights, so multiply g_next by act_deriv(a_next) elementwise first"),
                 ("act-instead-of-deriv", _mm(np.tanh(a_next) * g_next, W_next.T),
                  "you multiplied by φ(a_next), the activation itself; use its derivative "
                  "act_deriv(a_next)"),
                 ("no-transpose", _mm(deriv(a_next) * g_next, W_next),
                  "you multiplied by W_next instead of its transpose W_next.T")]
        for mistake, value, hint in wrong:
            if value is not None and value.shape == got.shape and close(got, value):
                raise Failed(f"case '{case}': {shapes}.\n  expected: {fmt(expected)}\n  got: "
                             f"{fmt(got)}\n  hint: {hint}.", mistake=mistake, case=case)
        raise Failed(f"case '{case}': {shapes}.\n  expected: {fmt(expected)}\n  got: {fmt(got)}\n"
                     "  hint: tᵢ = (act_deriv(a_next) * g_next) @ W_next.T — backprop through "
                     "one layer only.", mistake=None, case=case)
    return "passed: tᵢ = (φ′(aᵢ₊₁) ⊙ ĝᵢ₊₁) Wᵢ₊₁ᵀ, backprop through one layer."


def bootstrap_target(fn, *, seed=None, quiet=False, timeout=10.0):
    """Check bootstrap_target(g_next, a_next, W_next, act_deriv)."""
    return run_check("bootstrap_target", _check_bootstrap, fn, seed, timeout, quiet=quiet)


# ----------------------------------------------------------------------------------------
# sg_update
# ----------------------------------------------------------------------------------------

def _update_cases(seed):
    rng = np.random.default_rng(17 if seed is None else seed)
    cases = []
    for case, B, dim, zero in (("a zero module (the first step)", 5, 3, True),
                               ("a trained module", 8, 4, False),
                               ("one example", 1, 2, False)):
        params = {"A": np.zeros((dim, dim)) if zero else rng.normal(size=(dim, dim)),
                  "b": np.zeros(dim) if zero else rng.normal(size=dim)}
        cases.append((case, params, rng.normal(size=(B, dim)), rng.normal(size=(B, dim)), 0.1))
    return cases


def _copy(params):
    return {k: np.array(v, dtype=float) for k, v in params.items()}


def _check_update(fn, seed, timeout):
    label = "sg_update"
    reason = not_done_reason(fn, label)
    if reason:
        raise NotDone(reason)
    for case, params, h, target, lr in _update_cases(seed):
        exp_params, exp_loss = _sg.sg_module_update(_copy(params), h, target, lr)
        got = outcome_or_raise(call(fn, _copy(params), h.copy(), target.copy(), lr,
                                    timeout=timeout), label, case)
        if got is None:
            raise NotDone(f"`{label}` returned None. Is its body still `...`, or is a `return` "
                          "missing?")
        if not (isinstance(got, tuple | list) and len(got) == 2 and isinstance(got[0], dict)):
            raise Failed(f"case '{case}': {label} returned {describe(got)}; return a pair "
                         "(new_params, loss) with new_params a dict like params.",
                         mistake="wrong-type", case=case)
        new, loss = got
        if set(new) != {"A", "b"}:
            raise Failed(f"case '{case}': the new params have keys {sorted(map(str, new))}; keep "
                         '"A" and "b".', mistake="wrong-keys", case=case)
        where = (f"case '{case}': h and target of shape {h.shape}, A {params['A'].shape}, "
                 f"lr = {lr}.")
        try:
            loss = float(loss)
        except (TypeError, ValueError):
            raise Failed(f"{where}\n  the loss is {describe(loss)}; return it as one number.",
                         mistake="wrong-type", case=case) from None
        grads = {k: (params[k] - exp_params[k]) / lr for k in params}
        for key in ("A", "b"):
            value = as_array(new[key], f"{label}'s {key}", case, params[key].shape)
            if value.shape != params[key].shape:
                raise Failed(f"{where}\n  the new {key} has shape {value.shape}; it must keep the "
                             f"shape {params[key].shape}.", mistake="wrong-shape", case=case)
            if close(value, exp_params[key], atol=1e-10):
                continue
            step = params[key] - value
            g = grads[key]
            B = h.shape[0]
            if np.allclose(step, -lr * g):
                mistake, hint = "ascent", ("you moved *up* the gradient: the step is "
                                           "params − lr·gradient, with gradient hᵀ(ĝ − t)/batch")
            elif np.allclose(value, params[key]):
                mistake, hint = f"{key}-not-updated", f"{key} did not change; update it too"
            elif B > 1 and np.allclose(step, lr * g * B):
                mistake, hint = "sum-not-mean", ("your step is batch-size times too large: the "
                                                 "loss averages over the batch, so divide the "
                                                 "summed gradient by the batch size")
            elif key == "A" and np.allclose(step, lr * g.T):
                mistake, hint = "transposed", ("A's gradient is hᵀ(ĝ − t)/batch, of shape "
                                               "(n_in, n_out); you computed its transpose")
            else:
                mistake, hint = None, ("with r = h A + b − t: grad_A = hᵀ r / batch, "
                                       "grad_b = mean of r over the batch; then params − lr·grad")
            raise Failed(f"{where}\n  new {key} expected: {fmt(exp_params[key])}\n  got: "
                         f"{fmt(value)}\n  hint: {hint}.", mistake=mistake, case=case)
        if not np.isclose(loss, exp_loss, rtol=1e-6, atol=1e-12):
            r = h @ params["A"] + params["b"] - target
            wrong = [("loss-no-half", float(np.mean(np.sum(r * r, axis=1))),
                      "you left out the ½ of ½‖ĝ − t‖²"),
                     ("loss-mean-over-all", 0.5 * float(np.mean(r * r)),
                      "you averaged over every entry; average ‖ĝ − t‖² over the examples "
                      "(sum over the units of each row first)"),
                     ("loss-after-step", _sg.sg_regression_grads(exp_params, h, target)[0],
                      "you returned the loss after the step; return it at the params you were "
                      "given (before the update)")]
            mistake, hint = None, "loss = ½ · mean over the examples of ‖h A + b − t‖²"
            for name, value, wrong_hint in wrong:
                if np.isclose(loss, value, rtol=1e-6):
                    mistake, hint = name, wrong_hint
                    break
            raise Failed(f"{where}\n  loss expected {exp_loss:.6g}, got {loss:.6g}\n  hint: "
                         f"{hint}.", mistake=mistake, case=case)
    return "passed: one gradient step on ½·mean‖ĝ − t‖², and its loss."


def sg_update(fn, *, seed=None, quiet=False, timeout=10.0):
    """Check sg_update(params, h, target, lr) -> (new params, loss)."""
    return run_check("sg_update", _check_update, fn, seed, timeout, quiet=quiet)


# ----------------------------------------------------------------------------------------
# Training a network with the student's module
# ----------------------------------------------------------------------------------------

def _reference_fns():
    return (lambda dim: _sg.init_sg_module(dim, None, kind="linear"), _sg.bootstrap_target,
            lambda params, h, t, lr: _sg.sg_module_update(params, h, t, lr))


def train_dni(init_sg_module=None, bootstrap_target=None, sg_update=None, method="dni",
              steps=600, batch_size=32, lr=0.05, lr_sg=0.05, hidden=64, seed=0):
    """Train 64 → hidden → hidden → 10 (tanh, softmax) on the digits; return a dict of curves.

    method "dni": both hidden layers update from synthetic gradients ĝᵢ = Mᵢ(hᵢ) made by the
    student's functions; M₂ regresses onto the true gradient of h₂ (the output layer's error
    pushed back through the output weights, `bootstrap_target(e, z, W₃, 1)`), M₁ onto the
    bootstrapped target `bootstrap_target(ĝ₂, a₂, W₂, tanh′)`. "backprop": true gradients.
    "frozen": the hidden layers never learn (only the output layer does).
    Returns {"loss": per-step training loss, "cosine": per-step cos(ĝ₁, ∂ℓ/∂h₁),
    "test_accuracy": float, "method": ...}. Raises whatever the student's functions raise.
    """
    from ..models.datasets import load_digits_split, one_hot

    ref = _reference_fns()
    init_sg_module = init_sg_module or ref[0]
    bootstrap_target = bootstrap_target or ref[1]
    sg_update = sg_update or ref[2]
    ds = load_digits_split(0)
    X, y, Y = ds.X_train, ds.y_train, one_hot(ds.y_train)
    rng = np.random.default_rng(seed)
    sizes = [X.shape[1], hidden, hidden, 10]
    W = [rng.normal(0.0, 1.0 / np.sqrt(sizes[i]), (sizes[i], sizes[i + 1])) for i in range(3)]
    b = [np.zeros(sizes[i + 1]) for i in range(3)]
    M = [init_sg_module(hidden), init_sg_module(hidden)] if method == "dni" else None
    losses, cosines = np.empty(steps), np.empty(steps)
    for step in range(steps):
        idx = rng.integers(0, len(y), batch_size)
        x, Yb = X[idx], Y[idx]
        a1 = x @ W[0] + b[0]
        h1 = np.tanh(a1)
        a2 = h1 @ W[1] + b[1]
        h2 = np.tanh(a2)
        z = h2 @ W[2] + b[2]
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        losses[step] = -np.mean(np.sum(Yb * np.log(p + 1e-12), axis=1))
        e = p - Yb  # per-example ∂ℓ/∂z
        g2_true = e @ W[2].T
        g1_true = (_tanh_deriv(a2) * g2_true) @ W[1].T
        if method == "backprop":
            g1, g2 = g1_true, g2_true
        elif method == "frozen":
            g1, g2 = np.zeros_like(g1_true), np.zeros_like(g2_true)
        else:
            g2 = h2 @ M[1]["A"] + M[1]["b"]
            g1 = h1 @ M[0]["A"] + M[0]["b"]
            t2 = bootstrap_target(e, z, W[2], np.ones_like)
            t1 = bootstrap_target(g2, a2, W[1], _tanh_deriv)
            M[1], _ = sg_update(M[1], h2, t2, lr_sg)
            M[0], _ = sg_update(M[0], h1, t1, lr_sg)
        norm = np.linalg.norm(g1) * np.linalg.norm(g1_true)
        cosines[step] = float(np.sum(g1 * g1_true) / norm) if norm > 0 else 0.0
        deltas = [g1 * _tanh_deriv(a1), g2 * _tanh_deriv(a2), e]
        for i, (inp, d) in enumerate(zip([x, h1, h2], deltas)):
            W[i] -= lr * inp.T @ d / batch_size
            b[i] -= lr * d.mean(axis=0)
    out = np.tanh(np.tanh(ds.X_test @ W[0] + b[0]) @ W[1] + b[1]) @ W[2] + b[2]
    return {"method": method, "loss": losses, "cosine": cosines,
            "test_accuracy": float(np.mean(out.argmax(axis=1) == ds.y_test))}


def _smooth(values, width=25):
    kernel = np.ones(width) / width
    return np.convolve(values, kernel, mode="valid")


def _check_training(init_fn, bootstrap_fn, update_fn, timeout):
    for fn, name in ((init_fn, "init_sg_module"), (bootstrap_fn, "bootstrap_target"),
                     (update_fn, "sg_update")):
        reason = not_done_reason(fn, name)
        if reason:
            raise NotDone(reason)
    out = call(train_dni, init_fn, bootstrap_fn, update_fn, timeout=timeout)
    if out.ok and out.value is None:
        raise NotDone("training returned nothing.")
    if not out.ok and isinstance(out.error, TypeError | KeyError) and "NoneType" in str(out.error):
        raise NotDone("training needs init_sg_module, bootstrap_target and sg_update: one of them "
                      "still returns None (run their checks above).")
    result = outcome_or_raise(out, "training with your module", "training")
    frozen = train_dni(method="frozen")
    final, frozen_final = float(np.mean(result["loss"][-50:])), float(np.mean(frozen["loss"][-50:]))
    if not np.isfinite(final):
        raise Failed("case 'training': the training loss became NaN or inf: a synthetic gradient "
                     "blew up. Check sg_update's sign and its division by the batch size.",
                     mistake="diverged", case="training")
    if final > 0.8 * frozen_final:
        raise Failed(f"case 'training': the hidden layers did not learn from your synthetic "
                     f"gradients: final training loss {final:.3f}, versus {frozen_final:.3f} when "
                     "the hidden layers never update.\n  hint: make sure each check above passes.",
                     mistake="no-learning", case="training")
    return (f"passed: with your module the network reaches training loss {final:.3f} (hidden "
            f"layers frozen: {frozen_final:.3f}), test accuracy "
            f"{result['test_accuracy']:.1%}.")


def dni_training(init_fn, bootstrap_fn, update_fn, *, quiet=False, timeout=60.0):
    """Check that a network trained with the student's module learns in its hidden layers."""
    return run_check("training with synthetic gradients", _check_training, init_fn,
                     bootstrap_fn, update_fn, timeout, quiet=quiet)


def compare_training(init_fn, bootstrap_fn, update_fn, steps=600):
    """Run frozen / DNI (the student's module) / backprop; return {method: result}, never raise.

    A method whose run fails (functions not written yet) is left out, with a printed note.
    """
    results = {}
    for method in ("frozen", "dni", "backprop"):
        if method == "dni":
            out = call(train_dni, init_fn, bootstrap_fn, update_fn, "dni", steps, timeout=60.0)
        else:
            out = call(train_dni, None, None, None, method, steps, timeout=60.0)
        if out.ok and out.value is not None:
            results[method] = out.value
        else:
            print(f"… {method}: not run yet — finish init_sg_module, bootstrap_target and "
                  "sg_update first (their checks above say what is missing).")
    for method, r in results.items():
        print(f"{method:>9}: final training loss {np.mean(r['loss'][-50:]):.3f}, "
              f"test accuracy {r['test_accuracy']:.1%}")
    return results


def draw_training(fig, results):
    """Training loss (smoothed) per method, and cos(ĝ₁, true gradient) for DNI."""
    ax_loss, ax_cos = fig.subplots(1, 2)
    for method, r in results.items():
        ax_loss.plot(_smooth(r["loss"]), label=method)
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("training loss (smoothed)")
    ax_loss.set_yscale("log")
    ax_loss.legend()
    ax_loss.set_title("Loss: DNI trains the hidden layers")
    if "dni" in results:
        ax_cos.plot(_smooth(results["dni"]["cosine"]), color="C1")
    ax_cos.axhline(0.0, color="0.6", lw=0.8)
    ax_cos.set_xlabel("step")
    ax_cos.set_ylabel("cos(ĝ₁, ∂ℓ/∂h₁)")
    ax_cos.set_title("Synthetic vs true gradient, layer 1")
    return fig
