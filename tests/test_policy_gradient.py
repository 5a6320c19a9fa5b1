"""REINFORCE on Gymnasium's CartPole-v1 with BP or SG feedback to the lower layer."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.methods import policy_gradient as pg


def test_returns_to_go():
    np.testing.assert_allclose(pg.returns_to_go(np.array([1.0, 2.0, 3.0]), 0.5),
                               [1 + 0.5 * 2 + 0.25 * 3, 2 + 0.5 * 3, 3.0])
    np.testing.assert_allclose(pg.returns_to_go(np.ones(4), 1.0), [4, 3, 2, 1])


def test_policy_and_episodes():
    rng = np.random.default_rng(0)
    params = pg.init_policy(rng, hidden=16)
    s, h, pi = pg.policy(params, rng.normal(size=(5, 4)))
    assert h.shape == (5, 16) and pi.shape == (5, 2)
    np.testing.assert_allclose(pi.sum(axis=1), 1.0)
    envs = pg.make_envs(3, seed=0)
    episodes = pg.run_episodes(envs, params, rng)
    assert len(episodes) == 3
    for ep in episodes:
        n = len(ep["r"])
        assert 1 <= n <= 500
        assert ep["h"].shape == (n, 16) and ep["a"].shape == (n,)
        assert set(np.unique(ep["a"])) <= {0, 1}


def test_random_policy_return_is_about_22():
    mean, std = pg.random_policy_return(episodes=100)
    assert 15 < mean < 35 and std > 0


def test_unknown_method_is_refused():
    with pytest.raises(ValueError):
        pg.train("td")


@pytest.mark.parametrize("method", ["bp", "sg"])
def test_training_beats_the_random_policy(method):
    random_return, _ = pg.random_policy_return()
    out = pg.train(method, steps=15_000, seed=0)
    assert out["env_steps"][-1] >= 15_000
    assert np.mean(out["returns"][-3:]) > 3 * random_return
    if method == "sg":
        assert len(out["sg_relative_error"]) == len(out["returns"])
        assert np.all(np.isfinite(out["sg_relative_error"]))
    else:
        assert len(out["sg_relative_error"]) == 0


@pytest.mark.slow
def test_learning_curves_over_seeds_with_reward_noise():
    lc = pg.learning_curves(("bp", "sg"), seeds=3, steps=12_000, reward_noise=10.0,
                            grid_points=10)
    assert lc["returns"].shape == (2, 3, 10)
    random_return, _ = pg.random_policy_return()
    assert np.all(lc["returns"][:, :, -1].mean(axis=1) > 2 * random_return)


def test_value_and_action_features():
    s = np.arange(12.0).reshape(3, 4)
    phi = pg.value_features(s, [0, 1, 2])
    assert phi.shape == (3, 1 + 4 + 10 + 2)
    h = np.ones((3, 5))
    psi = pg.action_features(h, np.array([0, 1, 0]))
    assert psi.shape == (3, 12)
    assert np.all(psi[1, :6] == 0) and np.all(psi[0, 6:] == 0)


def test_bp_with_value_baseline_trains():
    random_return, _ = pg.random_policy_return()
    out = pg.train("bp_baseline", steps=15_000, seed=0)
    assert np.mean(out["returns"][-3:]) > 3 * random_return
    assert set(out["params"]) == {"W1", "b1", "W2", "b2"}


def test_gradient_mse_is_exactly_quadratic_in_noise():
    r = pg.gradient_mse_vs_noise(sigmas=(0.0, 1.0, 2.0), n_episodes=4, runs=3,
                                 truth_episodes=60, policy_steps=500, ridges=(1.0,), seed=1)
    mse = r["mse"][0]
    assert set(mse) == set(pg.ESTIMATORS) and r["ridges"] == [1.0]
    for est in pg.ESTIMATORS:  # antithetic pairs: exactly a + bσ²
        a, m1, m2 = mse[est]
        assert np.isclose(m2 - a, 4 * (m1 - a), rtol=1e-6, atol=1e-9)
        assert m2 >= m1 >= a > 0


def test_true_lower_gradient_is_the_mean_of_per_episode_gradients():
    rng = np.random.default_rng(0)
    params = pg.init_policy(rng)
    eps = pg.collect_episodes(params, 200, 5, rng)
    truth, se2 = pg.true_lower_gradient(eps, params["W2"], 0.99)
    plain = pg.lower_layer_gradient(pg._stack(eps, 0.99), pg._stack(eps, 0.99)["G0"],
                                    params["W2"])
    # Same target, different (baseline) noise: they agree within a few standard errors.
    assert np.sum((truth - plain) ** 2) < 10 * se2 + 1e-12
