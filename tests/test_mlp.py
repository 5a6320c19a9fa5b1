"""gradlab.models.mlp: the gnp-written MLP and the hand-written numpy passes agree with our AD
engines."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab
from gradlab.estimators.gradient_estimators import central_difference
from gradlab.models import mlp
from gradlab.models.datasets import load_digits_split


@pytest.fixture(scope="module")
def batch():
    d = load_digits_split(0)
    return d.X_train[:16], d.Y_train[:16]


def _net(sizes=(64, 12, 7, 10), seed=0):
    return mlp.init_params(list(sizes), np.random.default_rng(seed))


def test_init_shapes_and_counts():
    p = _net()
    assert [q.shape for q in p] == [(64, 12), (12,), (12, 7), (7,), (7, 10), (10,)]
    assert mlp.layer_sizes(p) == [64, 12, 7, 10]
    assert mlp.n_params(p) == 64 * 12 + 12 + 12 * 7 + 7 + 7 * 10 + 10
    assert np.allclose(p[0].std(), np.sqrt(2 / 64), rtol=0.2)
    assert np.allclose(mlp.init_params([100, 400], np.random.default_rng(0), "glorot")[0].std(),
                       0.1, rtol=0.1)
    assert np.all(mlp.init_params([3, 2], np.random.default_rng(0), 0.0)[0] == 0)
    with pytest.raises(ValueError):
        mlp.init_params([5], np.random.default_rng(0))


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_gnp_and_numpy_forward_agree(batch, activation):
    X, Y = batch
    p = _net()
    assert np.isclose(float(mlp.loss(p, X, Y, activation)), mlp.np_loss(p, X, Y, activation))
    assert np.allclose(mlp.logits(p, X, activation), mlp.np_logits(p, X, activation))
    value, _ = mlp.np_forward(p, X, Y, activation)
    assert np.isclose(value, mlp.np_loss(p, X, Y, activation))


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_hand_written_gradient_matches_reverse_mode(batch, activation):
    X, Y = batch
    p = _net()
    value, g = mlp.np_value_and_grad(p, X, Y, activation)
    v2, g2 = gradlab.value_and_grad(mlp.Objective(X, Y, activation))(p)
    assert np.isclose(value, float(v2))
    for a, b in zip(g, g2):
        assert a.shape == b.shape
        assert np.allclose(a, b, atol=1e-12)


def test_hand_written_gradient_matches_finite_differences(batch):
    X, Y = batch
    p = _net((64, 5, 10))
    f = mlp.Objective(X[:4], Y[:4], "tanh")
    fd = central_difference(f, p, h=1e-6).grad
    _, g = mlp.np_value_and_grad(p, X[:4], Y[:4], "tanh")
    for a, b in zip(g, fd):
        assert np.allclose(a, b, atol=1e-7)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_hand_written_jvp_matches_forward_mode(batch, activation):
    X, Y = batch
    p = _net()
    rng = np.random.default_rng(1)
    T = [rng.standard_normal(q.shape) for q in p]
    value, d = mlp.np_jvp(p, T, X, Y, activation)
    v2, d2 = gradlab.jvp(mlp.Objective(X, Y, activation), (p,), (T,))
    assert np.isclose(value, float(v2)) and np.isclose(d, float(d2))
    _, g = mlp.np_value_and_grad(p, X, Y, activation)
    assert np.isclose(d, sum(np.sum(a * t) for a, t in zip(g, T)))


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_activity_jvp_matches_forward_mode_on_preactivations(batch, activation):
    X, Y = batch
    p = _net()
    rng = np.random.default_rng(2)
    U = [rng.standard_normal((X.shape[0], n)) for n in (12, 7, 10)]
    value, d, inputs = mlp.np_activity_jvp(p, X, Y, U, activation)
    zeros = [np.zeros_like(u) for u in U]
    recorded = []

    def per_example(shifts):
        del recorded[:]
        return mlp.per_example_loss(p, X, Y, activation, shifts, recorded)

    losses, d2 = gradlab.jvp(per_example, (zeros,), (U,))
    assert np.isclose(value, np.mean(losses))
    assert np.allclose(d, d2)
    assert len(inputs) == len(recorded) == 3
    for a, b in zip(inputs, recorded):
        assert np.allclose(a, b)
    assert np.array_equal(inputs[0], X)
    # Leaving a layer unperturbed = a zero perturbation there.
    _, d_mid, _ = mlp.np_activity_jvp(p, X, Y, [None, U[1], None], activation)
    _, d_mid0, _ = mlp.np_activity_jvp(p, X, Y, [zeros[0], U[1], zeros[2]], activation)
    assert np.allclose(d_mid, d_mid0)


def test_logistic_regression_is_the_one_layer_case(batch):
    X, Y = batch
    p = _net((64, 10))
    z = X @ p[0] + p[1]
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    assert np.isclose(mlp.np_loss(p, X, Y), -np.mean(np.sum(Y * logp, axis=1)))
    _, g = mlp.np_value_and_grad(p, X, Y)
    assert np.allclose(g[0], X.T @ (np.exp(logp) - Y) / X.shape[0])


def test_accuracy_and_predict(batch):
    X, Y = batch
    y = Y.argmax(axis=1)
    p = _net((64, 10))
    acc = mlp.accuracy(p, X, y)
    assert 0.0 <= acc <= 1.0
    assert np.array_equal(mlp.predict(p, X), mlp.np_logits(p, X).argmax(axis=1))


def test_bad_activation_is_refused(batch):
    X, Y = batch
    with pytest.raises(ValueError, match="activation"):
        mlp.loss(_net(), X, Y, "sigmoid")
    with pytest.raises(ValueError, match="activation"):
        mlp.Objective(X, Y, "softplus")


def test_objective_is_a_function_of_the_parameters(batch):
    X, Y = batch
    f = mlp.Objective(X, Y)
    p = _net()
    assert np.isclose(float(f(p)), mlp.np_loss(p, X, Y))
    assert "batch=16" in repr(f)
