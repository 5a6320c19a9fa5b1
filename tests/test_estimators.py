"""gradlab.estimators: one interface, correct estimates, honest costs, reproducible randomness."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab
import gradlab.numpy as gnp
from gradlab.estimators import gradient_estimators as E
from gradlab.models import mlp
from gradlab.models.datasets import load_digits_split


def quad(x):
    """f(x) = Σ c_i x_i² / 2 + sin(x_0): gradient c ⊙ x + cos(x_0) e_0."""
    c = np.arange(1.0, x.shape[0] + 1.0)
    return gnp.sum(0.5 * c * x * x) + gnp.sin(x[0])


def quad_grad(x):
    g = np.arange(1.0, x.shape[0] + 1.0) * x
    g[0] += np.cos(x[0])
    return g


X0 = np.array([0.3, -1.2, 0.7, 2.0, -0.4])


@pytest.fixture(scope="module")
def net():
    d = load_digits_split(0)
    p = mlp.init_params([64, 16, 12, 10], np.random.default_rng(0))
    return mlp.Objective(d.X_train[:32], d.Y_train[:32], "relu"), p


def test_exact_gradient_by_reverse_mode():
    est = E.exact_gradient(quad, X0)
    assert np.allclose(est.grad, quad_grad(X0))
    assert np.isclose(est.value, float(quad(X0)))
    assert est.cost == E.Cost(vjps=1) and est.method == "exact"


@pytest.mark.parametrize("distribution", ["gaussian", "rademacher"])
@pytest.mark.parametrize("K", [1, 3])
def test_forward_gradient_is_the_average_of_K_directional_steps(distribution, K):
    est = E.forward_gradient(quad, X0, np.random.default_rng(5), K=K, distribution=distribution)
    V = E.sample_directions(np.random.default_rng(5), (K, X0.size), distribution)
    a = quad_grad(X0)
    assert np.allclose(est.info["directional_derivatives"], V @ a)
    assert np.allclose(est.grad, (V @ a) @ V / K)
    assert est.cost == E.Cost(jvps=K)
    assert np.isclose(est.value, float(quad(X0)))


def test_forward_gradient_never_uses_reverse_mode(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("reverse mode was called")

    monkeypatch.setattr(gradlab.ad.reverse_mode, "vjp", boom)
    monkeypatch.setattr(E, "value_and_grad", boom)
    est = E.forward_gradient(quad, X0, np.random.default_rng(0), K=2)
    assert est.grad.shape == X0.shape
    with pytest.raises(AssertionError, match="reverse mode"):
        E.exact_gradient(quad, X0)  # the patch is live: the forward path just never touched it


def test_rademacher_directions_are_plus_minus_one():
    V = E.sample_directions(np.random.default_rng(0), (1000,), "rademacher")
    assert set(np.unique(V)) == {-1.0, 1.0}
    assert abs(V.mean()) < 0.1
    with pytest.raises(ValueError, match="distribution"):
        E.sample_directions(np.random.default_rng(0), (3,), "uniform")


def test_block_draw_equals_successive_draws():
    for dist in ("gaussian", "rademacher"):
        a = E.sample_directions(np.random.default_rng(7), (4, 6), dist)
        rng = np.random.default_rng(7)
        b = np.stack([E.sample_directions(rng, (6,), dist) for _ in range(4)])
        assert np.array_equal(a, b)


def test_same_seed_same_estimate_and_seed_matters():
    a = E.forward_gradient(quad, X0, np.random.default_rng(1)).grad
    b = E.forward_gradient(quad, X0, np.random.default_rng(1)).grad
    c = E.forward_gradient(quad, X0, np.random.default_rng(2)).grad
    assert np.array_equal(a, b) and not np.allclose(a, c)


def test_central_difference_costs_2n_and_is_accurate():
    est = E.central_difference(quad, X0)
    assert est.cost == E.Cost(f_evals=2 * X0.size)
    assert np.allclose(est.grad, quad_grad(X0), atol=1e-8)
    assert est.value is None


def test_random_direction_fd_matches_forward_gradient_with_same_directions():
    fd = E.random_direction_fd(quad, X0, np.random.default_rng(3), K=4, h=1e-5)
    fg = E.forward_gradient(quad, X0, np.random.default_rng(3), K=4)
    assert fd.cost == E.Cost(f_evals=8)
    assert np.allclose(fd.grad, fg.grad, atol=1e-6)
    # A large step h shows the finite-difference bias that the JVP does not have.
    far = E.random_direction_fd(quad, X0, np.random.default_rng(3), K=4, h=0.5)
    assert not np.allclose(far.grad, fg.grad, atol=1e-3)


def test_estimators_accept_nested_parameters():
    params = {"w": np.array([1.0, -2.0]), "b": [np.array(0.5)]}

    def f(p):
        return gnp.sum(p["w"] ** 2) + 3.0 * p["b"][0]

    for method in ("exact", "forward", "central-fd", "random-fd"):
        est = E.estimate(method, f, params, np.random.default_rng(0))
        assert set(est.grad) == {"w", "b"} and np.shape(est.grad["b"][0]) == ()
    exact = E.estimate("exact", f, params).grad
    assert np.allclose(exact["w"], [2.0, -4.0]) and np.isclose(exact["b"][0], 3.0)
    fd = E.estimate("central-fd", f, params).grad
    assert np.allclose(fd["w"], [2.0, -4.0], atol=1e-6)


def test_ravel_round_trip():
    tree = [np.arange(6.0).reshape(2, 3), {"a": np.array([7.0]), "b": np.array(8.0)}]
    vec, unravel = E.ravel(tree)
    assert np.array_equal(vec, [0, 1, 2, 3, 4, 5, 7, 8])
    back = unravel(vec)
    assert np.array_equal(back[0], tree[0]) and back[1]["b"].shape == ()


def test_random_estimators_need_a_generator():
    with pytest.raises(TypeError, match="rng"):
        E.forward_gradient(quad, X0, None)
    with pytest.raises(TypeError, match="rng"):
        E.random_direction_fd(quad, X0, 0)
    with pytest.raises(ValueError, match="K"):
        E.forward_gradient(quad, X0, np.random.default_rng(0), K=0)
    with pytest.raises(ValueError, match="unknown estimator"):
        E.estimate("magic", quad, X0)


def test_cost_arithmetic():
    c = E.Cost(f_evals=2, jvps=1) + E.Cost(vjps=3)
    assert c == E.Cost(2, 1, 3) and 2 * E.Cost(jvps=1) == E.Cost(jvps=2)
    assert c.in_f_evals(r_f=2.0, r_b=4.0) == 2 + 2 + 12
    assert str(E.Cost(jvps=2)) == "2 JVPs" and str(E.Cost()) == "free"
    assert str(E.Cost(f_evals=1, vjps=1)) == "1 f-eval, 1 VJP"


def test_numpy_engine_gives_the_same_numbers(net):
    f, p = net
    for method, opts in (("exact", {}), ("forward", {"K": 2}), ("activity", {"K": 2}),
                         ("activity", {"layerwise": True})):
        a = E.estimate(method, f, p, np.random.default_rng(4), engine="gradlab", **opts)
        b = E.estimate(method, f, p, np.random.default_rng(4), engine="numpy", **opts)
        assert a.cost == b.cost and np.isclose(a.value, b.value)
        for x, y in zip(a.grad, b.grad):
            assert np.allclose(x, y, atol=1e-12)
    with pytest.raises(TypeError, match="Objective"):
        E.forward_gradient(quad, X0, np.random.default_rng(0), engine="numpy")
    with pytest.raises(ValueError, match="engine"):
        E.exact_gradient(f, p, engine="torch")


def test_activity_needs_a_layered_objective():
    with pytest.raises(TypeError, match="Objective"):
        E.activity_perturbed_gradient(quad, X0, np.random.default_rng(0))


def test_activity_costs(net):
    f, p = net
    assert E.estimate("activity", f, p, np.random.default_rng(0)).cost == E.Cost(jvps=1)
    assert E.estimate("activity", f, p, np.random.default_rng(0), K=2,
                      layerwise=True).cost == E.Cost(jvps=6)


@pytest.mark.parametrize("layerwise", [False, True])
def test_activity_perturbed_gradient_is_unbiased(net, layerwise):
    """The mean of many estimates approaches the true gradient within a few standard errors."""
    f, p = net
    true = E.ravel(E.exact_gradient(f, p, engine="numpy").grad)[0]
    rng = np.random.default_rng(11)
    S = 600
    samples = np.stack([E.ravel(E.activity_perturbed_gradient(
        f, p, rng, layerwise=layerwise, engine="numpy").grad)[0] for _ in range(S)])
    se = samples.std(axis=0, ddof=1) / np.sqrt(S)
    z = (samples.mean(axis=0) - true) / np.where(se > 0, se, 1.0)
    moving = se > 0
    assert np.mean(np.abs(z[moving]) < 3.0) > 0.98  # ~99.7 % expected
    assert abs(np.mean(z[moving])) < 0.2
    # ...and its error is far smaller than the weight-perturbed forward gradient's.
    fg = np.stack([E.ravel(E.forward_gradient(f, p, rng, engine="numpy").grad)[0]
                   for _ in range(200)])
    mse_activity = np.mean(np.sum((samples - true) ** 2, axis=1))
    mse_forward = np.mean(np.sum((fg - true) ** 2, axis=1))
    assert mse_activity < mse_forward / 10


def test_activity_layerwise_has_lower_variance(net):
    f, p = net
    true = E.ravel(E.exact_gradient(f, p, engine="numpy").grad)[0]
    rng = np.random.default_rng(12)

    def mse(layerwise):
        s = np.stack([E.ravel(E.activity_perturbed_gradient(
            f, p, rng, layerwise=layerwise, engine="numpy").grad)[0] for _ in range(300)])
        return np.mean(np.sum((s - true) ** 2, axis=1))

    assert mse(True) < mse(False)
