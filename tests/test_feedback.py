"""The feedback module: backprop's hand-written rules against our reverse-mode engine, the
documented form of every other rule, the alignment metrics, DNI's modules learning, and every
method training the digits MLP from the same code path."""

import numpy as np
import pytest

import gradlab
import gradlab.numpy as gnp
from gradlab.methods.feedback import (
    METHODS,
    FeedbackNetwork,
    backprop_deltas,
    cosine,
    dfa_deltas,
    fa_deltas,
    forward,
    init_layers,
    kickback_deltas,
    output_error,
    relative_error,
    train,
    weight_grads,
)

GACT = {"relu": gnp.relu, "tanh": gnp.tanh, "sigmoid": gnp.sigmoid, "linear": lambda a: a}


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _targets(rng, loss, n, k):
    if loss == "softmax_ce":
        return np.eye(k)[rng.integers(0, k, n)]
    if loss == "binary_ce":
        return rng.integers(0, 2, (n, 1)).astype(float)
    return rng.normal(size=(n, k))


def _ad_loss(act, loss):
    """The same network and loss in gradlab.numpy; z[i] is added to aᵢ so ∂L/∂z[i] = ∂L/∂aᵢ."""
    phi = GACT[act]

    def f(params, z, x, y):
        h = x
        for i, (W, b) in enumerate(params):
            a = gnp.matmul(h, W) + b + z[i]
            h = a if i == len(params) - 1 else phi(a)
        if loss == "softmax_ce":
            return -gnp.mean(gnp.sum(y * gnp.log_softmax(h, axis=1), axis=1))
        if loss == "binary_ce":
            return gnp.mean(gnp.log(1.0 + gnp.exp(h)) - y * h)
        r = h - y
        return 0.5 * gnp.mean(gnp.sum(r * r, axis=1))
    return f


@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("loss,k", [("softmax_ce", 4), ("binary_ce", 1), ("mse", 3)])
def test_backprop_rules_match_our_reverse_mode(rng, act, loss, k):
    sizes = [5, 7, 6, 8, k]
    layers = init_layers(sizes, rng, act)
    for layer in layers:
        layer["b"] = rng.normal(size=layer["b"].shape) * 0.1
    x = rng.normal(size=(9, 5))
    y = _targets(rng, loss, 9, k)
    a, h = forward(layers, x, act)
    value, e = output_error(h[-1], y, loss)
    deltas = backprop_deltas(layers, a, e, act)
    grads = weight_grads(h, deltas)

    f = _ad_loss(act, loss)
    params = [(layer["W"], layer["b"]) for layer in layers]
    zeros = [np.zeros_like(ai) for ai in a]
    ad_value, (g_params, g_z) = gradlab.value_and_grad(f, argnums=(0, 1))(params, zeros, x, y)
    assert value == pytest.approx(float(ad_value), rel=1e-12)
    n = x.shape[0]
    for i in range(len(layers)):
        # our δ are per example (no 1/batch); AD differentiates the mean loss
        np.testing.assert_allclose(deltas[i] / n, g_z[i], rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(grads[i][0], g_params[i][0], rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(grads[i][1], g_params[i][1], rtol=1e-9, atol=1e-13)


def test_fa_with_transposed_weights_is_backprop_and_otherwise_not(rng):
    sizes = [4, 6, 5, 3]
    layers = init_layers(sizes, rng, "tanh")
    x, y = rng.normal(size=(7, 4)), np.eye(3)[rng.integers(0, 3, 7)]
    a, h = forward(layers, x, "tanh")
    e = output_error(h[-1], y)[1]
    bp = backprop_deltas(layers, a, e, "tanh")
    exact = [None] + [layer["W"].T for layer in layers[1:]]
    for d, r in zip(fa_deltas(exact, a, e, "tanh"), bp):
        np.testing.assert_allclose(d, r)
    B = [None] + [rng.normal(size=layer["W"].T.shape) for layer in layers[1:]]
    fa = fa_deltas(B, a, e, "tanh")
    dphi = 1 - np.tanh(a[0]) ** 2
    np.testing.assert_allclose(fa[0], (fa[1] @ B[1]) * dphi)  # the recursion uses FA's own δ
    assert not np.allclose(fa[0], bp[0])


def test_dfa_form(rng):
    sizes = [4, 6, 5, 3]
    layers = init_layers(sizes, rng, "relu")
    x, y = rng.normal(size=(7, 4)), np.eye(3)[rng.integers(0, 3, 7)]
    a, h = forward(layers, x, "relu")
    e = output_error(h[-1], y)[1]
    D = [rng.normal(size=(3, 6)), rng.normal(size=(3, 5))]
    d = dfa_deltas(D, a, e, "relu")
    np.testing.assert_allclose(d[0], (e @ D[0]) * (a[0] > 0))
    np.testing.assert_allclose(d[1], (e @ D[1]) * (a[1] > 0))
    np.testing.assert_array_equal(d[2], e)
    # the last hidden layer with D = W_Lᵀ is backprop
    d_exact = dfa_deltas([D[0], layers[2]["W"].T], a, e, "relu")
    np.testing.assert_allclose(d_exact[1], backprop_deltas(layers, a, e, "relu")[1])


def test_kickback_form(rng):
    sizes = [3, 5, 4, 1]
    layers = init_layers(sizes, rng, "relu")
    x = rng.normal(size=(6, 3))
    y = rng.normal(size=(6, 1))
    a, h = forward(layers, x, "relu")
    e = output_error(h[-1], y, "mse")[1]
    kb = kickback_deltas(layers, a, e, "relu")
    bp = backprop_deltas(layers, a, e, "relu")
    np.testing.assert_allclose(kb[1], bp[1])  # last hidden layer: kickback = backprop
    # first hidden layer, unit by unit: e · Σ_k W2[j,k]·1[a2_k > 0] · 1[a1_j > 0]
    expected = np.zeros_like(a[0])
    for n in range(6):
        for j in range(5):
            influence = sum(layers[1]["W"][j, k] * (a[1][n, k] > 0) for k in range(4))
            expected[n, j] = e[n, 0] * influence * (a[0][n, j] > 0)
    np.testing.assert_allclose(kb[0], expected)
    with pytest.raises(ValueError, match="single"):
        kickback_deltas(layers, a, np.ones((6, 2)), "relu")
    with pytest.raises(ValueError, match="single output"):
        FeedbackNetwork([3, 5, 10], "kickback", rng)


def test_cosine_and_relative_error():
    assert cosine(np.array([1.0, 0.0]), np.array([2.0, 0.0])) == pytest.approx(1.0)
    assert cosine(np.array([1.0, 0.0]), np.array([0.0, 3.0])) == pytest.approx(0.0)
    assert cosine(np.zeros(2), np.ones(2)) == 0.0
    assert relative_error(np.array([1.0, 1.0]), np.array([1.0, 0.0])) == pytest.approx(1.0)


def _toy(rng, n=64, k=3):
    x = rng.normal(size=(n, 5))
    y = np.eye(k)[(x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)]
    return x, y


def test_backprop_is_perfectly_aligned_and_fa_is_not(rng):
    x, y = _toy(rng)
    bp = FeedbackNetwork([5, 8, 8, 3], "backprop", rng).step(x, y)
    np.testing.assert_allclose(bp["cos_delta"], 1.0)
    np.testing.assert_allclose(bp["relerr_update"], 0.0, atol=1e-12)
    fa = FeedbackNetwork([5, 8, 8, 3], "fa", rng).step(x, y)
    assert fa["cos_delta"][-1] == pytest.approx(1.0)  # the output layer is exact for all
    assert fa["cos_delta"][0] < 0.99


def test_dni_starts_at_zero_and_lambda_zero_is_backprop(rng):
    x, y = _toy(rng)
    net = FeedbackNetwork([5, 8, 8, 3], "dni", np.random.default_rng(1))
    s = net.signals(x, y)
    assert np.all(s["deltas"][0] == 0) and np.all(s["deltas"][1] == 0)  # zero-initialised M
    info = net.step(x, y)
    np.testing.assert_array_equal(info["cos_delta"][:2], 0.0)
    mixed = FeedbackNetwork([5, 8, 8, 3], "cdni", np.random.default_rng(1), lam=0.0)
    for _ in range(3):
        info = mixed.step(x, y)
    np.testing.assert_allclose(info["cos_delta"], 1.0)


def test_sg_targets_true_at_top_bootstrapped_below(rng):
    x, y = _toy(rng)
    net = FeedbackNetwork([5, 8, 7, 6, 3], "cdni", rng, act="tanh")
    for _ in range(5):
        net.step(x, y)  # make the modules non-zero
    s = net.signals(x, y)
    W = [layer["W"] for layer in net.layers]
    dphi = [1 - np.tanh(ai) ** 2 for ai in s["a"]]
    # top hidden module: the true gradient ∂ℓ/∂h₃
    np.testing.assert_allclose(s["sg_targets"][2], s["e"] @ W[3].T)
    np.testing.assert_allclose(s["sg_targets"][2], s["true_g"][2])
    # below: the synthetic gradient of the layer above pushed back through that one layer
    for i in (0, 1):
        expected = (s["g_hat"][i + 1] * dphi[i + 1]) @ W[i + 1].T
        np.testing.assert_allclose(s["sg_targets"][i], expected)
        assert not np.allclose(s["sg_targets"][i], s["true_g"][i])
    unboot = FeedbackNetwork([5, 8, 7, 6, 3], "cdni", rng, act="tanh", bootstrap=False)
    s2 = unboot.signals(x, y)
    for i in range(3):
        np.testing.assert_allclose(s2["sg_targets"][i], s2["true_g"][i])


def test_one_module_in_the_middle_backprops_within_blocks(rng):
    x, y = _toy(rng)
    net = FeedbackNetwork([5, 6, 6, 6, 6, 3], "dni", rng, decoupled=[2])
    assert sorted(net.modules) == [1]
    for _ in range(3):
        net.step(x, y)
    s = net.signals(x, y)
    W = [layer["W"] for layer in net.layers]
    # above the module: exact backprop
    for i in (2, 3):
        np.testing.assert_allclose(s["deltas"][i], s["ref_deltas"][i])
    # below it: backprop of the synthetic signal
    np.testing.assert_allclose(s["deltas"][0], (s["deltas"][1] @ W[1].T) * (s["a"][0] > 0))
    with pytest.raises(ValueError, match="numbered"):
        FeedbackNetwork([5, 6, 3], "dni", rng, decoupled=[2])


def test_dni_modules_learn_when_the_network_is_frozen(rng):
    x, y = _toy(rng, n=256)
    for kind in ("linear", "mlp"):
        net = FeedbackNetwork([5, 16, 16, 3], "cdni", np.random.default_rng(2), act="tanh",
                              lr=0.0, sg_kind=kind, sg_lr=3e-3)
        infos = [net.step(x, y) for _ in range(400)]
        sg_loss = np.array([i["sg_loss"] for i in infos])
        sg_cos = np.array([i["sg_cos"] for i in infos])
        assert sg_loss[-1, -1] < 0.2 * sg_loss[0, -1]   # the top module: true targets
        # the lower module chases a moving (bootstrapped) target, which starts at 0: judge it
        # by how well its prediction points along the true gradient
        np.testing.assert_array_equal(sg_cos[0], 0.0)
        assert sg_cos[-1].min() > 0.9


@pytest.fixture(scope="module")
def digits():
    from gradlab.models.datasets import load_digits_split
    d = load_digits_split(seed=0)
    return d


@pytest.mark.parametrize("method", [m for m in METHODS if m != "kickback"])
def test_every_method_trains_the_digits_mlp(digits, method):
    data = (digits.X_train, digits.Y_train, digits.X_test, digits.Y_test)
    r = train(method, data, hidden=(48, 48, 48), epochs=4, rng=np.random.default_rng(0),
              act="tanh", lr=3e-3, sg_lr=3e-3)
    assert r["diverged_at"] is None
    assert r["test_error"][0] > 0.7  # about chance (0.9) before training
    assert r["test_error"][-1] < 0.3
    assert r["cos_delta"].shape == (r["loss"].size, 4)


def test_kickback_trains_the_scalar_digits_task(digits):
    yb = (digits.y_train % 2).astype(float)[:, None]
    ybt = (digits.y_test % 2).astype(float)[:, None]
    data = (digits.X_train, yb, digits.X_test, ybt)
    r = train("kickback", data, hidden=(48, 48, 48), epochs=4, rng=np.random.default_rng(0),
              act="tanh", loss="binary_ce")
    assert r["test_error"][-1] < 0.15  # chance is about 0.5
    np.testing.assert_allclose(r["cos_delta"][:, -2], 1.0)  # last hidden layer is exact


def test_too_large_a_learning_rate_diverges_without_raising(rng):
    x, y = _toy(rng, n=128)
    data = (x, y, x, y)
    r = train("backprop", data, hidden=(16, 16), epochs=30, batch_size=32, rng=rng,
              optimizer="sgd", lr=1e4, act="linear")
    assert r["diverged_at"] is not None
    assert not np.isfinite(r["loss"][-1])


def test_stochastic_updates_skip_layers(rng):
    x, y = _toy(rng)
    net = FeedbackNetwork([5, 8, 8, 3], "dni", np.random.default_rng(3), update_prob=0.0,
                          lr=0.1)
    before = [layer["W"].copy() for layer in net.layers]
    for _ in range(3):
        net.step(x, y)
    np.testing.assert_array_equal(net.layers[0]["W"], before[0])
    np.testing.assert_array_equal(net.layers[1]["W"], before[1])
    assert not np.array_equal(net.layers[2]["W"], before[2])  # the output layer always updates


# ----------------------------------------------------------------------------------------
# Czarnecki et al.: linear models trained with synthetic gradients reach the backprop solution
# ----------------------------------------------------------------------------------------

def test_deep_linear_with_a_synthetic_gradient_converges_to_least_squares():
    from gradlab.experiments.synthetic_gradients import linear_convergence, linear_problem

    X, Y, A_ls, loss_ls = linear_problem(2, 1, seed=0)
    for method in ("cdni", "dni", "backprop"):
        r = linear_convergence(X, Y, A_ls, loss_ls, method, depth=10, decoupled=(5,), lr=0.01,
                               steps=1000, width=8, seed=100)
        assert r["distance"][0] > 0.3  # starts far away
        assert r["distance"][-1] < 1e-2, method  # the end-to-end map W₁⋯W₁₁ reaches A_ls
        assert r["loss_gap"][-1] < 1e-4


def test_the_label_matters_when_the_layer_cannot_see_the_target():
    # 100-D inputs squeezed through 32 hidden units: hᵢ does not determine y, so a module that
    # sees only hᵢ (DNI) cannot predict the gradient and training stalls; cDNI converges
    from gradlab.experiments.synthetic_gradients import linear_convergence, linear_problem

    X, Y, A_ls, loss_ls = linear_problem(100, 10, seed=0)
    runs = {m: linear_convergence(X, Y, A_ls, loss_ls, m, depth=1, decoupled=(1,), lr=0.03,
                                  steps=600, width=32, seed=100) for m in ("dni", "cdni")}
    assert runs["cdni"]["distance"][-1] < 0.05
    assert runs["dni"]["distance"][-1] > 0.5


# ----------------------------------------------------------------------------------------
# The experiments' plumbing on tiny settings (the real runs: gradlab run synthetic-gradients)
# ----------------------------------------------------------------------------------------

def test_experiments_are_registered():
    from gradlab import experiments

    names = [e.name for e in experiments.select("synthetic-gradients")]
    assert names == ["synthetic-gradients/digits-table", "synthetic-gradients/kickback",
                     "synthetic-gradients/linear-convergence", "synthetic-gradients/pipeline",
                     "synthetic-gradients/representations"]


def test_digits_table_plumbing():
    from gradlab.experiments import synthetic_gradients as E

    r = E.digits_comparison(depths=(1, 2), seeds=(0, 1), width=16, epochs=1, batch_size=128,
                            lr=3e-3, sg_lr=3e-3, act="tanh", sg_kind="linear")
    r.update(config={}, seeds=[0, 1], paper=E.PAPER_MNIST)
    assert len(r["errors"]["cdni"][2]) == 2 and len(r["scalar_errors"]["kickback"][1]) == 2
    heads = E._digits_table_headlines(r)
    cdni = [h for h in heads if h.name == "digits MLP, 2 hidden layers, cdni: test error"][0]
    assert cdni.n_seeds == 2 and cdni.paper_verified is False and cdni.spread is not None
    figs = E._digits_table_plot(r)
    assert {"table", "error_vs_depth", "alignment_depth1", "alignment_depth2"} <= set(figs)


def _valid_claims(claims, n=None):
    from dataclasses import asdict

    from gradlab.experiments.claims import claims_table, validate_claim

    assert claims
    for c in claims:
        validate_claim(asdict(c))
        if n is not None and c.n_seeds:
            assert c.n_seeds == n
    assert len(claims_table(claims)) == len(claims)


def test_jaderberg_protocol_plumbing_and_claims():
    from gradlab.experiments import synthetic_gradients as E

    cfg = dict(E.DIGITS_QUICK, depths=(1, 2), seeds=(0, 1), width=12, epochs=1,
               sg_hidden=(8, 8), batch_size=256)
    r = E.digits_comparison(**cfg, scalar_methods=(), variants=E.VARIANTS)
    assert set(r["errors"]) == set(E.VARIANTS)
    r.update(config=cfg, seeds=[0, 1], paper=E.PAPER_MNIST)
    _valid_claims(E._digits_table_claims(r), n=2)
    assert {"test_error_depth1", "alignment_depth2"} <= set(E._digits_table_plot(r))


def test_representation_verdict_rule():
    from gradlab.experiments.synthetic_gradients import representation_verdict

    base = np.array([[0.9, 0.9], [0.92, 0.88], [0.91, 0.9]])
    assert representation_verdict(base - 0.3, base)[0] == "reproduced"
    assert representation_verdict(base - 0.05, base)[0] == "partly"
    verdict, layer, gap, _ = representation_verdict(base + 0.01, base)
    assert verdict == "not reproduced" and gap < 0


def test_czarnecki_representations_plumbing_and_claims():
    from gradlab.experiments import synthetic_gradients as E

    cfg = dict(E.REPR_QUICK, depth=2, width=12, epochs=2, seeds=(0, 1), decoupled=(1,),
               target_error=0.5)
    r = E.compare_representations(**cfg, runs=E.REPR_RUNS)
    assert r["cka"]["BP vs dni"].shape == (2, 2) and max(r["epochs"]["dni"]) <= 2
    r.update(config=cfg, seeds=[0, 1], decoupled=[1])
    _valid_claims(E._repr_claims(r), n=2)
    E._repr_headlines(r)
    E._repr_plot(r)


def test_kickback_experiment_plumbing_and_claims():
    from gradlab.experiments import synthetic_gradients as E

    cfg = dict(depth=2, width=8, epochs=2, seeds=(0, 1), lr=1e-3, batch_size=256)
    r = E.kickback_regression(**cfg)
    assert r["runs"]["kickback"]["coherence"].shape[2] == 2
    r.update(config=cfg, seeds=[0, 1], special_cases=E.special_case_check((0, 1)))
    assert max(r["special_cases"].values()) < 1e-10
    _valid_claims(E._kickback_claims(r), n=2)
    E._kickback_headlines(r)
    E._kickback_plot(r)


def test_linear_depth_sweep_plumbing_and_claims():
    from gradlab.experiments import synthetic_gradients as E

    sweep = E.linear_depth_sweep(depths=(1, 3), data=("2-D",), steps=100, seeds=(0, 1))
    assert ("2-D", 1, "every layer", "cdni") not in sweep["final"]
    lin = E.run_linear(steps=50, seeds=(0, 1), models=("linear",))
    lin.update(depth_sweep=sweep, depth_seeds=[0, 1], seeds=[0, 1])
    _valid_claims(E._linear_claims(lin), n=2)
    E._linear_headlines(lin)
    assert "depth_sweep" in E._linear_plot(lin)


def test_representations_plumbing():
    from gradlab.experiments import synthetic_gradients as E

    r = E.compare_representations(depth=2, width=16, epochs=1, seeds=(0,), act="tanh")
    r.update(config={}, seeds=[0])
    assert r["cka"]["BP vs cdni"].shape == (1, 2)
    assert np.all((r["cka"]["BP vs cdni"] > 0) & (r["cka"]["BP vs cdni"] <= 1 + 1e-9))
    E._repr_headlines(r)
    E._repr_plot(r)


def test_pipeline_plumbing():
    from gradlab.experiments import synthetic_gradients as E

    m = E.measure_pipeline(width=64, n_layers=2, batch_size=32, n_batches=3, repeats=2)
    assert set(m["rates"]) == set(E.PIPELINE_RUNS)
    f = E.pipeline_factors(m["rates"])
    assert f["p=1"]["total"] > 0 and m["flops"]["decoupled"] > m["flops"]["backprop"]
    assert f["p=1"]["total_vs_pipelined"] > 0
    results = dict(measured=m, config=dict(width=64, n_layers=2, batch_size=32, n_batches=3))
    results["model"] = {"L": [1, 2, 3, 4], "update_probs": [1.0], "forward": 1.0,
                        "backward": 2.0, "sg": 0.5, "micro_batches": [4]}
    from gradlab.methods import synthetic_gradients as sg
    for key in ("total", "work", "parallel"):
        results["model"][key] = [[sg.speedup_model(L)[key] for L in results["model"]["L"]]]
    results["model"]["pipelined"] = [[1.0, 1.6, 2.0, 2.3]]
    _valid_claims(E._pipeline_claims(results))
    E._pipeline_headlines(results)


def test_linear_cka_and_probe():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    Q = np.linalg.qr(rng.normal(size=(5, 5)))[0]
    assert fb_linear_cka(X, 3 * X @ Q) == pytest.approx(1.0)  # rotation and scale invariant
    assert fb_linear_cka(X, rng.normal(size=(200, 5))) < 0.2
    y = np.eye(2)[(X[:, 0] > 0).astype(int)]
    from gradlab.methods.feedback import linear_probe_error
    assert linear_probe_error(X[:100], y[:100], X[100:], y[100:]) < 0.1


def fb_linear_cka(a, b):
    from gradlab.methods.feedback import linear_cka
    return linear_cka(a, b)


# ----------------------------------------------------------------------------------------
# The frozen-lower-layers control, FA/DFA/kickback as fixed SG maps, coherence, CKA
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("batchnorm", [False, True])
def test_frozen_control_really_freezes_the_hidden_layers(rng, batchnorm):
    x, y = _toy(rng, n=128)
    net = FeedbackNetwork([5, 8, 8, 3], "frozen", np.random.default_rng(7), lr=1e-2,
                          batchnorm=batchnorm)
    before = [{k: (v.copy() if k != "bn" else {n: w.copy() for n, w in v.items()})
               for k, v in layer.items()} for layer in net.layers]
    first = net.evaluate(x, y)[0]
    for _ in range(200):
        net.step(x, y)
    for layer, old in zip(net.layers[:-1], before[:-1]):
        np.testing.assert_array_equal(layer["W"], old["W"])  # bit-identical
        if batchnorm:
            np.testing.assert_array_equal(layer["bn"]["gamma"], old["bn"]["gamma"])
            np.testing.assert_array_equal(layer["bn"]["beta"], old["bn"]["beta"])
        else:
            np.testing.assert_array_equal(layer["b"], old["b"])
    assert not np.array_equal(net.layers[-1]["W"], before[-1]["W"])
    assert net.evaluate(x, y)[0] < first  # the top layer alone still learns


def test_fa_dfa_kickback_are_synthetic_gradients_from_fixed_maps(rng):
    from gradlab.methods.feedback import fixed_map_sg

    for method, k in (("fa", 3), ("dfa", 3), ("kickback", 1)):
        net = FeedbackNetwork([5, 7, 6, 4, k], method, rng)
        x = rng.normal(size=(9, 5))
        y = rng.normal(size=(9, 1)) if k == 1 else np.eye(k)[rng.integers(0, k, 9)]
        net.loss = "mse" if k == 1 else "softmax_ce"
        s = net.signals(x, y)
        sg = fixed_map_sg(method, net.layers, s["a"], s["e"], net.feedback)
        for d_sg, d_rule in zip(sg, s["deltas"]):
            np.testing.assert_allclose(d_sg, d_rule, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError):
        fixed_map_sg("backprop", net.layers, s["a"], s["e"])


def test_kickback_coherence_is_the_share_of_active_units_with_positive_influence(rng):
    from gradlab.methods.feedback import kickback_coherence

    layers = init_layers([3, 5, 4, 1], rng, "relu")
    x = rng.normal(size=(20, 3))
    a, _ = forward(layers, x, "relu")
    c = kickback_coherence(layers, a, "relu")
    assert c.shape == (2,) and np.all((c >= 0) & (c <= 1))
    for layer in layers[1:]:
        layer["W"] = np.abs(layer["W"])  # every influence positive: coherent
    a, _ = forward(layers, x, "relu")
    np.testing.assert_array_equal(kickback_coherence(layers, a, "relu"), 1.0)


def test_train_stops_at_the_target_error(rng):
    x, y = _toy(rng, n=256)
    r = train("backprop", (x, y, x, y), hidden=(16,), epochs=50, batch_size=32, rng=rng,
              lr=1e-2, target_error=0.2)
    assert r["reached_at"] is not None and r["reached_at"] < 50
    assert r["test_error"][-1] <= 0.2 and len(r["test_error"]) == r["reached_at"] + 1


def test_cka_of_a_representation_with_itself_is_one():
    from gradlab.methods.feedback import linear_cka

    X = np.random.default_rng(1).normal(size=(100, 7))
    assert linear_cka(X, X) == pytest.approx(1.0, abs=1e-12)


def test_cka_is_invariant_to_orthogonal_maps_and_isotropic_scaling_only():
    from gradlab.methods.feedback import linear_cka

    rng = np.random.default_rng(2)
    X = rng.normal(size=(150, 6)) @ rng.normal(size=(6, 6))
    Y = np.tanh(X @ rng.normal(size=(6, 4)))
    Q = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    base = linear_cka(X, Y)
    assert linear_cka(X @ Q, Y) == pytest.approx(base, rel=1e-10)
    assert linear_cka(0.01 * X, 50 * Y) == pytest.approx(base, rel=1e-10)
    assert linear_cka(X + 3.0, Y) == pytest.approx(base, rel=1e-10)  # centred
    S = np.diag([1, 1, 1, 1, 1, 30.0])  # an anisotropic stretch is *not* an invariance
    assert abs(linear_cka(X @ S, Y) - base) > 1e-3
