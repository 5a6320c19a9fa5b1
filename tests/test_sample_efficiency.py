"""Gradient estimators on the contextual bandit: the exact gradient, BP, SG, mixtures, errors."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.methods import sample_efficiency as se
from gradlab.methods.synthetic_gradients import sg_predict

KINDS = [("discrete", True), ("discrete", False), ("continuous", True), ("continuous", False)]


def _fd_gradient(bandit, eps=1e-6):
    keys = (["W1", "b1"] if bandit.lower_bias else ["W1"]) + ["W2", "b2"]
    out = []
    for key in keys:
        for idx in np.ndindex(bandit.params[key].shape):
            q = {k: v.copy() for k, v in bandit.params.items()}
            q[key][idx] += eps
            plus = se.expected_reward(bandit, q)
            q[key][idx] -= 2 * eps
            out.append((plus - se.expected_reward(bandit, q)) / (2 * eps))
    return np.array(out)


@pytest.mark.parametrize("contexts,sufficient", KINDS)
def test_true_gradient_matches_finite_differences(contexts, sufficient):
    b = se.make_bandit(contexts, m=4, sufficient=sufficient, quad_nodes=48)
    G = se.true_gradient(b, which="all")
    fd = _fd_gradient(b)
    assert np.abs(G).max() > 1e-3
    np.testing.assert_allclose(G, fd, atol=1e-8)
    parts = se.unflatten(b, G)
    assert parts["W1"].shape == b.params["W1"].shape and parts["b2"].shape == (b.K,)


@pytest.mark.parametrize("contexts,sufficient", KINDS)
def test_true_gradient_matches_a_large_sample_average(contexts, sufficient):
    """The mean of 200 000 per-sample REINFORCE gradients lands within its standard error."""
    b = se.make_bandit(contexts, m=4, sufficient=sufficient)
    G = se.true_gradient(b)
    rng = np.random.default_rng(1)
    n = 200_000
    s = se.draw(b, n, rng)
    t = se.feedback_signal(s, 0.5, b.params["W2"])
    delta = (1 - s["h"] ** 2) * t
    per = np.einsum("ni,nj->nij", delta, s["X"]).reshape(n, -1)
    if b.lower_bias:
        per = np.concatenate([per, delta], axis=1)
    avg = per.mean(axis=0)
    expected_sq = per.var(axis=0).sum() / n  # E‖avg − G‖² if avg is unbiased
    err = float(np.sum((avg - G) ** 2))
    assert err < 2.0 * expected_sq
    assert err > 0.3 * expected_sq  # the check can fail: it is noise, not zero
    np.testing.assert_allclose(avg, se.lower_gradient(s["X"], s["h"], t, bias=b.lower_bias))


def test_quadrature_has_converged():
    coarse = se.true_gradient(se.make_bandit("continuous", quad_nodes=48, sufficient=False))
    fine = se.true_gradient(se.make_bandit("continuous", quad_nodes=96, sufficient=False))
    np.testing.assert_allclose(coarse, fine, atol=1e-9)


def test_actions_are_drawn_from_the_policy():
    b = se.make_bandit("discrete", m=1, groups=1, K=3)
    s = se.draw(b, 60_000, np.random.default_rng(0))
    freq = np.bincount(s["a"], minlength=3) / 60_000
    np.testing.assert_allclose(freq, s["pi"][0], atol=0.01)


def test_bp_is_unbiased_and_errors_decompose():
    b = se.make_bandit("discrete", m=4, sufficient=False)
    r = se.mse_vs_samples(b, sigma=2.0, n_list=(8, 32), runs=400, lams=(0.0, 1.0), seed=3)
    np.testing.assert_allclose(r["mse"], r["bias2"] + r["variance"], rtol=1e-10)
    # BP: the squared error of the mean of 400 runs is what its variance alone predicts
    assert np.all(r["bias2"][0] < 3.0 * r["variance"][0] / 400)
    # SG without local sufficiency is biased: far more than noise in the mean explains
    assert r["bias2_debiased"][1, -1] > 10 * r["variance"][1, -1] / 400


def test_sg_beats_bp_at_high_noise():
    b = se.make_bandit("discrete", m=8)
    r = se.mse_vs_samples(b, sigma=10.0, n_list=(64, 256), runs=100, lams=(0.0, 0.5, 1.0))
    bp, mixed, sg = r["mse"]
    assert np.all(sg < bp / 3)
    assert np.all(mixed < bp)


def test_sg_loses_when_local_sufficiency_is_broken():
    kw = dict(sigma=1.0, n_list=(2048,), runs=40, lams=(0.0, 1.0))
    ok = se.mse_vs_samples(se.make_bandit("discrete", m=8), **kw)
    broken = se.mse_vs_samples(se.make_bandit("discrete", m=8, sufficient=False), **kw)
    assert ok["mse"][1, 0] < ok["mse"][0, 0]
    assert broken["mse"][1, 0] > 2 * broken["mse"][0, 0]
    assert broken["bias2_debiased"][1, 0] > 0.5 * broken["mse"][1, 0]  # SG's error is bias


def test_continuous_contexts_follow_the_same_pattern():
    kw = dict(n_list=(512,), runs=60, lams=(0.0, 1.0))
    ok = se.mse_vs_samples(se.make_bandit("continuous"), sigma=10.0, **kw)
    broken = se.mse_vs_samples(se.make_bandit("continuous", sufficient=False), sigma=0.3, **kw)
    assert ok["mse"][1, 0] < ok["mse"][0, 0]
    assert broken["mse"][1, 0] > 2 * broken["mse"][0, 0]


def test_without_pooling_in_sample_sg_is_backprop():
    """m = 1: one context per hidden state, so the fitted SG is each context's own average."""
    b = se.make_bandit("discrete", m=1)
    s = se.draw(b, 200, np.random.default_rng(0))
    bp, sg = se.estimates(s, 3.0, b.params["W2"], [50, 200], "same", bias=b.lower_bias)
    np.testing.assert_allclose(sg, bp, rtol=1e-5, atol=1e-9)


def test_ratio_rises_with_sigma_and_its_ceiling_with_m():
    r = se.ratio_vs_sigma(ms=(1, 4, 16), sigmas=(0.0, 1.0, 3.0, 10.0, 30.0), n=256, runs=40)
    ratio = r["ratio"]
    np.testing.assert_allclose(ratio[0], 1.0, atol=1e-4)  # m = 1: SG is BP
    assert np.all(np.diff(ratio[1:, 1:], axis=1) > -0.05 * ratio[1:, 1:-1])
    assert ratio[2, -1] > ratio[1, -1] > 2.0
    assert r["ceiling"][2] > 8.0 and 2.5 < r["ceiling"][1] < 6.0


def test_errors_are_exactly_quadratic_in_sigma():
    b = se.make_bandit("discrete", m=4)
    sig = np.array([0.0, 0.5, 1.0, 2.0, 5.0])
    r = se.mse_vs_sigma(b, sig, n=64, runs=20)
    for k in ("bp", "sg"):
        fitted = r[f"a_{k}"] + r[f"b_{k}"] * sig ** 2
        np.testing.assert_allclose(r[f"mse_{k}"], fitted, rtol=1e-8)
    assert r["ceiling"] == pytest.approx(r["b_bp"] / r["b_sg"])


def test_mixture_is_the_linear_blend():
    b = se.make_bandit("discrete", m=4)
    r = se.mse_vs_lambda(b, sigma=1.0, n=64, lams=(0.0, 0.5, 1.0), runs=30)
    assert r["mse"].shape == (3,)
    s = se.draw(b, 64, np.random.default_rng(2))
    bp, sg = se.estimates(s, 1.0, b.params["W2"], [64], bias=False)
    assert r["mse"][1] <= 0.5 * (r["mse"][0] + r["mse"][2]) + 1e-12  # convexity of ‖·‖²
    assert bp.shape == sg.shape == (1, b.H * b.d)


def test_fit_sg_uses_the_feedback_module_format():
    rng = np.random.default_rng(0)
    h = rng.normal(size=(50, 3))
    A, c = rng.normal(size=(3, 2)), rng.normal(size=2)
    params = se.fit_sg(h, h @ A + c)
    assert set(params) == {"A", "b"}
    np.testing.assert_allclose(sg_predict(params, h), h @ A + c, atol=1e-5)


def test_online_predictions_use_only_past_samples():
    rng = np.random.default_rng(0)
    h, t = rng.normal(size=(30, 3)), rng.normal(size=(30, 2))
    pred = se.online_sg_predictions(h, t, ridge=1.0)
    np.testing.assert_allclose(pred[0], 0.0)
    k = 17
    Phi = np.concatenate([h[:k], np.ones((k, 1))], axis=1)
    coef = np.linalg.solve(Phi.T @ Phi + np.eye(4), Phi.T @ t[:k])
    np.testing.assert_allclose(pred[k], np.append(h[k], 1.0) @ coef)
    t2 = t.copy()
    t2[k:] += 100.0  # the future must not change what was predicted at k
    np.testing.assert_allclose(se.online_sg_predictions(h, t2)[k], pred[k])


def test_online_protocol_is_worse_than_same_but_still_beats_bp_at_high_noise():
    b = se.make_bandit("discrete", m=8)
    kw = dict(sigma=10.0, n_list=(256,), runs=60, lams=(0.0, 1.0), seed=5)
    same = se.mse_vs_samples(b, protocol="same", **kw)["mse"][:, 0]
    online = se.mse_vs_samples(b, protocol="online", **kw)["mse"][:, 0]
    assert same[1] < online[1] < online[0]
    with pytest.raises(ValueError):
        se.mse_vs_samples(b, protocol="later", **kw)


@pytest.mark.slow
def test_learning_curves_sg_learns_faster_unless_sufficiency_is_broken():
    kw = dict(lams=(0.0, 1.0), sigma=3.0, seeds=10, steps=300)
    ok = se.learning_curves(se.make_bandit("discrete", m=8), **kw)
    broken = se.learning_curves(se.make_bandit("discrete", m=8, sufficient=False), **kw)
    final_ok = ok["regret"][:, :, -10:].mean(axis=(1, 2))
    final_broken = broken["regret"][:, :, -10:].mean(axis=(1, 2))
    assert ok["regret"].shape == (2, 10, len(ok["samples"]))
    assert final_ok[1] < 0.8 * final_ok[0] < 0.8 * ok["regret"][0, 0, 0]
    assert final_broken[1] > 1.1 * final_broken[0]
    assert np.all(ok["reward"] <= ok["best"] + 1e-12)


# ----------------------------------------------------------------------------------------
# BP + reward baseline: what a practitioner compares against.
# ----------------------------------------------------------------------------------------

def test_leave_one_out_baseline():
    r = np.array([1.0, 2.0, 6.0])
    np.testing.assert_allclose(se.leave_one_out_baseline(r), [4.0, 3.5, 1.5])
    np.testing.assert_allclose(se.leave_one_out_baseline(np.array([5.0])), [0.0])


def test_bp_with_baseline_is_unbiased():
    """The mean of many BP + baseline estimates lands within its standard error of the truth."""
    b = se.make_bandit("discrete", m=4)
    G = se.true_gradient(b, which="lower")
    rng = np.random.default_rng(3)
    est = np.array([se.bp_baseline_estimates(se.draw(b, 32, rng), 1.0, b.params["W2"], [32],
                                             b.lower_bias)[0] for _ in range(3000)])
    err = float(np.sum((est.mean(axis=0) - G) ** 2))
    expected = est.var(axis=0).sum() / len(est)
    assert 0.2 * expected < err < 2.5 * expected


def test_baseline_helps_bp_at_low_noise_not_at_high_noise():
    with se.single_threaded():
        r = se.mse_vs_sigma(se.make_bandit("discrete", m=8), (0.0, 30.0), n=256, runs=40, seed=1)
    assert r["mse_bp_baseline"][0] < 0.8 * r["mse_bp"][0]  # removes the mean reward's noise
    assert abs(r["mse_bp_baseline"][1] / r["mse_bp"][1] - 1) < 0.1  # the reward noise stays
    assert np.all(r["ratio_baseline"] > 1)  # SG still wins against BP + baseline
    np.testing.assert_allclose(r["ratio_baseline"], r["mse_bp_baseline"] / r["mse_sg"])


def test_mse_vs_samples_reports_bp_with_baseline():
    r = se.mse_vs_samples(se.make_bandit("discrete", m=4), 1.0, (8, 32), runs=10)
    assert r["mse_bp_baseline"].shape == (2,)
    assert r["mse_bp_baseline"][1] < r["mse_bp_baseline"][0]


def test_docstrings_do_not_call_the_regression_td():
    """Our SG regresses sampled feedback; nothing bootstraps, so nothing here is TD learning."""
    from gradlab.methods import policy_gradient as pg

    assert "TD-like" not in se.__doc__ and "not* TD" in se.__doc__
    assert "not fair to SG" in pg.__doc__


def test_noise_claims_can_fail():
    from gradlab.experiments import sample_efficiency as X

    def rows(last):
        return [{"sigmas": [0.0, 30.0], "ratio": [1.0, last], "ratio_baseline": [0.5, last]}
                for _ in range(3)]
    for last, verdict in ((3.0, "reproduced"), (1.1, "partly"), (0.9, "not reproduced")):
        claims = X._noise_claims(rows(last), "bandit", "protocol")
        assert [c.verdict for c in claims] == [verdict] * 2
        assert all(c.n_seeds == 3 for c in claims)
