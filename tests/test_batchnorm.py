"""BatchNorm on numpy: the hand-written backward pass against our reverse mode, test-time mode,
and a BatchNorm network's backprop δ (gradlab.methods.feedback) against gradlab.grad."""

import numpy as np
import pytest

import gradlab
import gradlab.numpy as gnp
from gradlab.methods.feedback import FeedbackNetwork, backprop_deltas, forward, output_error
from gradlab.models.batchnorm import (
    EPS,
    batchnorm_backward,
    batchnorm_eval,
    batchnorm_forward,
    init_batchnorm,
    update_running_stats,
)


def _gnp_batchnorm(z, gamma, beta):
    mu = gnp.mean(z, axis=0)
    var = gnp.mean((z - mu) ** 2, axis=0)
    return gamma * (z - mu) / gnp.sqrt(var + EPS) + beta


def test_batchnorm_forward_normalises():
    rng = np.random.default_rng(0)
    z = rng.normal(3.0, 2.0, size=(50, 4))
    a, _ = batchnorm_forward(z, np.ones(4), np.zeros(4))
    np.testing.assert_allclose(a.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(a.std(axis=0), 1, atol=1e-5)


def test_batchnorm_backward_matches_our_reverse_mode():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(7, 5)) * 2 + 1
    gamma, beta = rng.normal(size=5), rng.normal(size=5)
    g = rng.normal(size=(7, 5))  # an arbitrary upstream gradient: L = Σ g ⊙ a

    def loss(z, gamma, beta):
        return gnp.sum(g * _gnp_batchnorm(z, gamma, beta))

    a, cache = batchnorm_forward(z, gamma, beta)
    assert float(loss(z, gamma, beta)) == pytest.approx(float(np.sum(g * a)), rel=1e-12)
    dz, dgamma, dbeta = batchnorm_backward(g, cache)
    ad = gradlab.grad(loss, argnums=(0, 1, 2))(z, gamma, beta)
    for ours, theirs in zip((dz, dgamma, dbeta), ad):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_batchnorm_eval_uses_running_statistics():
    rng = np.random.default_rng(2)
    params = init_batchnorm(3)
    for _ in range(200):
        z = rng.normal(5.0, 3.0, size=(64, 3))
        _, cache = batchnorm_forward(z, params["gamma"], params["beta"])
        update_running_stats(params, cache)
    np.testing.assert_allclose(params["mean"], 5.0, atol=0.5)
    np.testing.assert_allclose(params["var"], 9.0, atol=1.5)
    one = batchnorm_eval(np.full((1, 3), 5.0), params)  # a single example is fine at test time
    np.testing.assert_allclose(one, 0.0, atol=0.2)


@pytest.mark.parametrize("act", ["relu", "tanh"])
def test_batchnorm_network_backprop_matches_our_reverse_mode(act):
    rng = np.random.default_rng(3)
    net = FeedbackNetwork([5, 6, 7, 3], "backprop", rng, act=act, batchnorm=True)
    for layer in net.layers:
        if "bn" in layer:
            layer["bn"]["gamma"] = rng.normal(1.0, 0.3, size=layer["bn"]["gamma"].shape)
            layer["bn"]["beta"] = rng.normal(0.0, 0.3, size=layer["bn"]["beta"].shape)
    x, y = rng.normal(size=(9, 5)), np.eye(3)[rng.integers(0, 3, 9)]
    caches = []
    a, h = forward(net.layers, x, act, caches)
    e = output_error(h[-1], y)[1]
    deltas = backprop_deltas(net.layers, a, e, act, caches)
    phi = {"relu": gnp.relu, "tanh": gnp.tanh}[act]

    def loss(Ws, gammas, betas, b_out):
        hh = x
        for i, W in enumerate(Ws):
            z = gnp.matmul(hh, W)
            if i < len(Ws) - 1:
                hh = phi(_gnp_batchnorm(z, gammas[i], betas[i]))
            else:
                hh = z + b_out
        return -gnp.mean(gnp.sum(y * gnp.log_softmax(hh, axis=1), axis=1))

    Ws = [layer["W"] for layer in net.layers]
    gammas = [layer["bn"]["gamma"] for layer in net.layers[:-1]]
    betas = [layer["bn"]["beta"] for layer in net.layers[:-1]]
    dW, dg, db, _ = gradlab.grad(loss, argnums=(0, 1, 2, 3))(Ws, gammas, betas,
                                                            net.layers[-1]["b"])
    n = x.shape[0]
    for i in range(3):
        np.testing.assert_allclose(h[i].T @ deltas[i] / n, dW[i], rtol=1e-8, atol=1e-12)
    for i in range(2):
        np.testing.assert_allclose(caches[i]["dgamma"], dg[i], rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(caches[i]["dbeta"], db[i], rtol=1e-8, atol=1e-12)


def test_batchnorm_networks_train_for_every_rule():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(256, 5))
    y = np.eye(3)[(x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)]
    for method in ("backprop", "fa", "dfa", "dni", "cdni"):
        net = FeedbackNetwork([5, 16, 16, 3], method, np.random.default_rng(5), batchnorm=True,
                              lr=3e-3, sg_kind="mlp", sg_hidden=(32, 32))
        first = net.evaluate(x, y)[0]
        for _ in range(150):
            net.step(x, y, track=False)
        assert net.evaluate(x, y)[0] < 0.7 * first, method
    with pytest.raises(ValueError, match="batchnorm"):
        FeedbackNetwork([5, 4, 1], "kickback", rng, batchnorm=True)
