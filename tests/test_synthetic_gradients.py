"""Synthetic-gradient modules: zero init, predictions, regression gradients (against our AD),
bootstrapped targets (against a VJP through one layer), updates that learn, λ-mixing."""

import numpy as np
import pytest

import gradlab
import gradlab.numpy as gnp
from gradlab.methods.synthetic_gradients import (
    Optimizer,
    SyntheticGradient,
    bootstrap_target,
    init_sg_module,
    mix,
    sg_module_update,
    sg_predict,
    sg_regression_grads,
)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("kind", ["linear", "mlp"])
@pytest.mark.parametrize("context_dim", [0, 3])
def test_zero_initialised_module_predicts_zero(rng, kind, context_dim):
    params = init_sg_module(5, rng, kind, context_dim, hidden=7)
    h = rng.normal(size=(4, 5))
    c = np.eye(3)[[0, 1, 2, 0]] if context_dim else None
    g = sg_predict(params, h, c)
    assert g.shape == (4, 5)
    assert np.all(g == 0)


def test_unknown_kind_is_refused(rng):
    with pytest.raises(ValueError, match="kind"):
        init_sg_module(3, rng, "conv")


def _ad_loss(kind):
    """The module's regression loss written with gradlab.numpy, for gradlab.grad."""
    def loss(params, x, t):
        if kind == "linear":
            g = gnp.matmul(x, params["A"]) + params["b"]
        else:
            z = gnp.relu(gnp.matmul(x, params["W1"]) + params["b1"])
            g = gnp.matmul(z, params["W2"]) + params["b2"]
        r = g - t
        return 0.5 * gnp.mean(gnp.sum(r * r, axis=1))
    return loss


def _ad_mlp_loss(params, x, t):
    """Any depth of MLP module, W1, b1, ..., Wk, bk (ReLU between), with gradlab.numpy."""
    k = sum(1 for name in params if name.startswith("W"))
    z = x
    for j in range(1, k + 1):
        z = gnp.matmul(z, params[f"W{j}"]) + params[f"b{j}"]
        if j < k:
            z = gnp.relu(z)
    r = z - t
    return 0.5 * gnp.mean(gnp.sum(r * r, axis=1))


@pytest.mark.parametrize("hidden", [(9, 7), (5, 6, 4)])
@pytest.mark.parametrize("context_dim", [0, 3])
def test_deep_mlp_module_grads_match_our_reverse_mode(rng, hidden, context_dim):
    params = init_sg_module(4, rng, "mlp", context_dim, hidden=hidden)
    assert sorted(params) == sorted([f"{p}{j}" for j in range(1, len(hidden) + 2)
                                     for p in "Wb"])
    assert np.all(params[f"W{len(hidden) + 1}"] == 0)  # zero-initialised last layer
    for k in params:
        params[k] = params[k] + rng.normal(size=params[k].shape) * 0.3
    h, t = rng.normal(size=(8, 4)), rng.normal(size=(8, 4))
    c = np.eye(3)[rng.integers(0, 3, 8)] if context_dim else None
    loss, grads = sg_regression_grads(params, h, t, c)
    x = h if c is None else np.concatenate([h, c], axis=1)
    assert loss == pytest.approx(float(_ad_mlp_loss(params, x, t)))
    ad = gradlab.grad(_ad_mlp_loss)(params, x, t)
    for k in params:
        np.testing.assert_allclose(grads[k], ad[k], rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="hidden"):
        init_sg_module(4, rng, "mlp", hidden=())


@pytest.mark.parametrize("kind", ["linear", "mlp"])
@pytest.mark.parametrize("context_dim", [0, 2])
def test_regression_grads_match_our_reverse_mode(rng, kind, context_dim):
    params = init_sg_module(4, rng, kind, context_dim, hidden=6)
    for k in params:  # move off the zero init so every gradient is non-trivial
        params[k] = params[k] + rng.normal(size=params[k].shape) * 0.3
    h = rng.normal(size=(8, 4))
    c = rng.normal(size=(8, context_dim)) if context_dim else None
    t = rng.normal(size=(8, 4))
    loss, grads = sg_regression_grads(params, h, t, c)
    x = h if c is None else np.concatenate([h, c], axis=1)
    ad_loss = _ad_loss(kind)
    assert loss == pytest.approx(float(ad_loss(params, x, t)))
    ad = gradlab.grad(ad_loss)(params, x, t)
    for k in params:
        np.testing.assert_allclose(grads[k], ad[k], rtol=1e-10, atol=1e-12)


def test_bootstrap_target_is_a_vjp_through_one_layer(rng):
    # t = (∂h_{i+1}/∂h_i)ᵀ g_{i+1} with h_{i+1} = tanh(h_i W + b): compare with gradlab.vjp
    W, b = rng.normal(size=(5, 3)), rng.normal(size=3)
    h = rng.normal(size=(4, 5))
    g_next = rng.normal(size=(4, 3))
    a_next = h @ W + b
    target = bootstrap_target(g_next, a_next, W, lambda a: 1 - np.tanh(a) ** 2)
    _, vjp_fn = gradlab.vjp(lambda hh: gnp.tanh(gnp.matmul(hh, W) + b), h)
    np.testing.assert_allclose(target, vjp_fn(g_next)[0], rtol=1e-12)


def test_linear_module_update_reaches_least_squares(rng):
    # targets exactly linear in (h, c): plain gradient steps recover the map
    h = rng.normal(size=(200, 3))
    c = np.eye(2)[rng.integers(0, 2, 200)]
    A_true = rng.normal(size=(5, 3))
    t = np.concatenate([h, c], axis=1) @ A_true + 0.5
    params = init_sg_module(3, rng, "linear", context_dim=2)
    losses = []
    for _ in range(2000):
        params, loss = sg_module_update(params, h, t, lr=0.1, context=c)
        losses.append(loss)
    assert losses[0] > 1.0
    assert losses[-1] < 1e-8
    pred = sg_predict(params, h, c)
    np.testing.assert_allclose(pred, t, atol=1e-4)


def test_mlp_module_learns_a_nonlinear_target(rng):
    h = rng.normal(size=(256, 2))
    t = np.stack([np.abs(h[:, 0]), h[:, 0] * h[:, 1]], axis=1)
    sg = SyntheticGradient(2, rng, "mlp", hidden=64, lr=1e-2)
    first = sg.update(h, t)
    for _ in range(1500):
        last = sg.update(h, t)
    lin = SyntheticGradient(2, rng, "linear", lr=1e-2)
    for _ in range(1500):
        lin_last = lin.update(h, t)
    assert last < 0.2 * first
    assert last < 0.5 * lin_last  # a linear module cannot fit |x| or x·y


def test_context_is_ignored_without_context_dim(rng):
    sg = SyntheticGradient(3, rng, "linear")
    h = rng.normal(size=(4, 3))
    sg.update(h, np.ones((4, 3)), context=np.eye(4))
    np.testing.assert_array_equal(sg.predict(h, np.eye(4)), sg.predict(h))


def test_update_skips_non_finite_targets(rng):
    sg = SyntheticGradient(2, rng, "linear")
    loss = sg.update(np.ones((3, 2)), np.full((3, 2), np.nan))
    assert np.isnan(loss)
    assert np.all(sg.params["A"] == 0)


def test_mix():
    s, t = np.array([1.0, 2.0]), np.array([3.0, 6.0])
    np.testing.assert_array_equal(mix(s, t, 1.0), s)
    np.testing.assert_array_equal(mix(s, t, 0.0), t)
    np.testing.assert_allclose(mix(s, t, 0.25), [2.5, 5.0])


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_optimizers_minimise_a_quadratic(kind):
    params = {"x": np.array([3.0, -2.0])}
    opt = Optimizer(params, lr=0.1, kind=kind, momentum=0.5 if kind == "sgd" else 0.0)
    for _ in range(500):
        opt.step(params, {"x": 2 * params["x"]})
    assert np.linalg.norm(params["x"]) < 1e-3
    with pytest.raises(ValueError):
        Optimizer(params, 0.1, kind="rmsprop")


# ----------------------------------------------------------------------------------------
# Update unlocking: the schedule model and the real pipeline
# ----------------------------------------------------------------------------------------

from gradlab.methods.synthetic_gradients import (  # noqa: E402
    make_pipeline_problem,
    pipeline_schedule,
    run_decoupled,
    run_locked,
    speedup_model,
)


def test_locked_backprop_schedule_is_serial():
    s = pipeline_schedule(3, forward=1.0, backward=2.0, n_batches=4, mode="backprop")
    assert s["makespan"] == pytest.approx(4 * 3 * 3.0)
    tasks = sorted(s["tasks"], key=lambda t: t[1])
    for a, b in zip(tasks, tasks[1:]):
        assert b[1] >= a[2] - 1e-12  # never two devices busy at once


def test_dni_schedule_overlaps_and_respects_forward_locking():
    L, n = 4, 6
    s = pipeline_schedule(L, 1.0, 2.0, 0.5, n_batches=n, mode="dni")
    fwd = {(t[0], t[4]): t for t in s["tasks"] if t[3] == "forward"}
    for k in range(n):
        for i in range(1, L):
            assert fwd[(i, k)][1] >= fwd[(i - 1, k)][2] - 1e-12  # needs its input first
    busy = {}
    for dev, start, end, _, _ in s["tasks"]:
        busy.setdefault(dev, []).append((start, end))
    for spans in busy.values():  # one task at a time per device
        spans.sort()
        assert all(b[0] >= a[1] - 1e-12 for a, b in zip(spans, spans[1:]))
    assert s["per_batch"] == pytest.approx(3.5)
    locked = pipeline_schedule(L, 1.0, 2.0, 0.5, n_batches=n, mode="backprop")
    assert s["makespan"] < locked["makespan"] / 2


def test_speedup_model_factors():
    m = speedup_model(4, 1.0, 2.0, 0.5, 1.0)
    assert m["total"] == pytest.approx(12 / 3.5)
    assert m["parallel"] == pytest.approx((3 * 3.5 + 3) / 3.5)
    assert m["work"] * m["parallel"] == pytest.approx(m["total"])
    assert speedup_model(1, 1.0, 2.0, 0.5)["total"] == pytest.approx(1.0)
    # fewer updates make each batch cheaper: a speed-up even on one device's worth of work
    assert speedup_model(4, 1.0, 2.0, 0.5, 0.2)["work"] > 1.0 > m["work"]
    with pytest.raises(ValueError):
        pipeline_schedule(2, mode="async")


@pytest.mark.parametrize("concurrent", [False, True])
def test_decoupled_pipeline_learns_and_matches_its_update_count(concurrent):
    layers, batches = make_pipeline_problem(width=64, n_layers=3, n_in=32, batch_size=64,
                                            n_batches=60, seed=1)
    bp = run_locked(layers, batches, lr=0.05, threads=1)
    dni = run_decoupled(layers, batches, n_workers=2, lr=0.05, sg_lr=1e-3,
                        concurrent=concurrent)
    assert dni["losses"].size == 60
    assert dni["losses"][-10:].mean() < dni["losses"][:5].mean() - 0.1  # it learns
    assert bp["losses"][-10:].mean() < bp["losses"][:5].mean() - 0.1
    assert len(dni["sg_losses"][0]) == 60  # the module regressed on every target
    assert dni["updates_done"] == 2 * 60
    sparse = run_decoupled(layers, batches, n_workers=2, update_prob=0.2, concurrent=concurrent)
    assert sparse["updates_done"] < 60 + 30
    assert len(sparse["sg_losses"][0]) == sparse["updates_done"] - 60
    with pytest.raises(ValueError):
        run_decoupled(layers[:1], batches, n_workers=2)


def test_thread_parallel_efficiency_is_a_positive_ratio():
    from gradlab.methods.synthetic_gradients import thread_parallel_efficiency

    eff = thread_parallel_efficiency(n=256, batch=128, repeats=4)
    assert np.isfinite(eff) and 0.05 < eff < 4.0  # ≈ 1–2; not timed: only a sane ratio


@pytest.mark.parametrize("n_micro", [1, 3])
def test_pipelined_backprop_makes_exactly_locked_backprops_updates(n_micro):
    from gradlab.methods.synthetic_gradients import run_pipelined

    layers, batches = make_pipeline_problem(width=32, n_layers=3, n_in=16, batch_size=48,
                                            n_batches=5, seed=2)
    locked = run_locked(layers, batches, lr=0.05, threads=1)
    piped = run_pipelined(layers, batches, n_workers=2, n_micro=n_micro, lr=0.05)
    np.testing.assert_allclose(piped["losses"], locked["losses"], rtol=1e-10)
    for (W, b), (W2, b2) in zip(piped["layers"], locked["layers"]):
        np.testing.assert_allclose(W, W2, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b, b2, rtol=1e-9, atol=1e-12)
    assert not np.allclose(piped["layers"][0][0], layers[0][0])  # it did learn


def test_pipelined_schedule_has_the_gpipe_bubble():
    L, M = 4, 4
    s = pipeline_schedule(L, 1.0, 2.0, n_batches=3, mode="pipelined", n_micro=M)
    assert s["per_batch"] == pytest.approx((M + L - 1) * 3.0 / M)  # (M + L − 1)(f + b)/M
    one = pipeline_schedule(L, 1.0, 2.0, n_batches=3, mode="pipelined", n_micro=1)
    locked = pipeline_schedule(L, 1.0, 2.0, n_batches=3, mode="backprop")
    assert one["per_batch"] == pytest.approx(locked["per_batch"])  # M = 1: no overlap at all
    busy = {}
    for dev, start, end, _, _ in s["tasks"]:
        busy.setdefault(dev, []).append((start, end))
    for spans in busy.values():
        spans.sort()
        assert all(b[0] >= a[1] - 1e-12 for a, b in zip(spans, spans[1:]))
