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
