"""gradlab.estimators.gradient_error: sampled error measures against the closed forms of the
forward gradient.

Statistical tests use enough samples and tolerances of several standard errors, with fixed seeds,
so they are deterministic; each checks a quantity that a wrong formula or estimator would miss.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradlab.numpy as gnp
from gradlab.estimators import gradient_error as G
from gradlab.estimators import gradient_estimators as E

A = np.array([1.0, -2.0, 0.5, 3.0, 0.0, -1.0, 2.5, 0.25, -0.75, 1.5])  # n = 10, one zero entry


def linear(x):
    return gnp.sum(A * x)


@pytest.fixture(scope="module")
def gaussian():
    return G.forward_gradient_samples(A, np.random.default_rng(0), 40_000, K=1)


@pytest.fixture(scope="module")
def rademacher():
    return G.forward_gradient_samples(A, np.random.default_rng(1), 40_000, K=1,
                                      distribution="rademacher")


def test_vectorised_sampler_equals_the_engine_estimator():
    fast = G.forward_gradient_samples(A, np.random.default_rng(3), 5, K=3)
    rng = np.random.default_rng(3)
    slow = np.stack([E.forward_gradient(linear, np.zeros(10), rng, K=3).grad for _ in range(5)])
    assert np.allclose(fast, slow, atol=1e-12)
    samples, true = G.sample_estimates("forward", linear, np.zeros(10), np.random.default_rng(3),
                                       5, K=3)
    assert np.allclose(samples, fast, atol=1e-12) and np.allclose(true, A)


def test_sampler_blocks_do_not_change_the_numbers():
    a = G.forward_gradient_samples(A, np.random.default_rng(4), 50, K=2)
    b = G.forward_gradient_samples(A, np.random.default_rng(4), 50, K=2, max_floats=45)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("dist", ["gaussian", "rademacher"])
def test_unbiased(dist, gaussian, rademacher):
    s = gaussian if dist == "gaussian" else rademacher
    stats = G.error_stats(s, A)
    se = np.sqrt(G.closed_form(A, dist)["variance"] / s.shape[0])
    z = stats.bias / np.where(se > 0, se, 1.0)
    assert np.all(np.abs(z) < 4.0)
    if dist == "rademacher":
        # Var g_4 = ‖a‖² − a_4²... and a zero coordinate of a is still noisy (‖a‖² > 0).
        assert stats.variance[4] > 1.0


def test_expected_squared_norm_gaussian(gaussian):
    """E‖g‖² = (n+2)‖a‖² for one Gaussian direction."""
    n, s2 = A.size, A @ A
    stats = G.error_stats(gaussian, A)
    norms = np.sum(gaussian ** 2, axis=1)
    se = norms.std(ddof=1) / math.sqrt(norms.size)
    assert abs(stats.sq_norm - (n + 2) * s2) < 4 * se
    assert abs(stats.sq_norm - n * s2) > 10 * se  # distinguishable from the Rademacher value
    assert np.isclose(G.closed_form(A, "gaussian")["sq_norm"], (n + 2) * s2)


def test_expected_squared_norm_rademacher(rademacher):
    """E‖g‖² = n‖a‖² for one Rademacher direction (here ‖g‖² = n (a·v)², so check the mean)."""
    n, s2 = A.size, A @ A
    stats = G.error_stats(rademacher, A)
    norms = np.sum(rademacher ** 2, axis=1)
    se = norms.std(ddof=1) / math.sqrt(norms.size)
    assert abs(stats.sq_norm - n * s2) < 4 * se
    assert np.isclose(G.closed_form(A, "rademacher")["sq_norm"], n * s2)


@pytest.mark.parametrize("dist", ["gaussian", "rademacher"])
def test_per_coordinate_variance_and_total_mse(dist, gaussian, rademacher):
    s = gaussian if dist == "gaussian" else rademacher
    stats = G.error_stats(s, A)
    cf = G.closed_form(A, dist)
    # Relative accuracy of a variance from S samples is about √(2/S)·(kurtosis factor) ≈ 3 %.
    assert np.allclose(stats.variance, cf["variance"], rtol=0.08, atol=0.3)
    assert np.isclose(stats.mse, cf["mse"], rtol=0.05)
    assert np.isclose(stats.relative_mse, cf["relative_mse"], rtol=0.05)
    sign = 1 if dist == "gaussian" else -1
    assert np.allclose(cf["variance"], A @ A + sign * A ** 2)


@pytest.mark.parametrize("dist", ["gaussian", "rademacher"])
def test_variance_falls_like_one_over_K(dist):
    total = {}
    for K in (1, 4, 16):
        s = G.forward_gradient_samples(A, np.random.default_rng(K), 8000, K=K, distribution=dist)
        total[K] = G.error_stats(s, A).total_variance
        assert np.isclose(total[K], G.closed_form(A, dist, K)["total_variance"], rtol=0.1)
    assert 3.2 < total[1] / total[4] < 4.8
    assert 12.0 < total[1] / total[16] < 20.0


def test_cosine_squared_is_beta(gaussian):
    """cos² ~ Beta(½, (n−1)/2): moments, and a Kolmogorov–Smirnov test when scipy is present."""
    n = A.size
    stats = G.error_stats(gaussian, A)
    c = stats.cosines
    assert np.all((c >= 0) & (c <= 1 + 1e-12))  # g = ±v, so the cosine is |a·v|/(‖a‖‖v‖)
    se = c.std(ddof=1) / math.sqrt(c.size)
    assert abs(c.mean() - G.expected_cosine(n)) < 4 * se
    assert abs(np.mean(c ** 2) - 1.0 / n) < 4 * (c ** 2).std(ddof=1) / math.sqrt(c.size)
    assert abs(c.std(ddof=1) - G.cosine_std(n)) < 0.01
    scipy_stats = pytest.importorskip("scipy.stats")
    alpha, beta = G.cosine_squared_beta(n)
    assert scipy_stats.kstest(c ** 2, "beta", args=(alpha, beta)).pvalue > 0.01
    # ... and the same test rejects a wrong second parameter.
    assert scipy_stats.kstest(c ** 2, "beta", args=(alpha, beta + 1)).pvalue < 1e-6


def test_cosine_does_not_concentrate():
    """The spread of the cosine stays of the order of its mean as n grows."""
    for n in (10, 100, 1000):
        ratio = G.cosine_std(n) / G.expected_cosine(n)
        assert 0.7 < ratio < 0.8  # → √(π/2 − 1) ≈ 0.755


def test_expected_cosine_closed_forms():
    assert np.isclose(G.expected_cosine(2), 2 / math.pi)  # E|cos θ| for θ uniform on the circle
    assert np.isclose(G.expected_cosine(3), 0.5)  # E|z| on the sphere
    for n in (100, 10_000):
        assert np.isclose(G.expected_cosine(n), G.expected_cosine_asymptotic(n), rtol=0.01)


@pytest.mark.parametrize("n", [3, 10, 200])
def test_cosine_pdf_integrates_to_one_with_the_right_mean(n):
    c = np.linspace(0, 1, 200_001)[:-1] + 0.5 / 200_000
    p = G.cosine_pdf(c, n)
    dc = 1 / 200_000
    assert np.isclose(p.sum() * dc, 1.0, rtol=1e-3)
    assert np.isclose((c * p).sum() * dc, G.expected_cosine(n), rtol=1e-3)
    assert G.cosine_pdf(np.array([-0.1, 1.5]), n).tolist() == [0.0, 0.0]


def test_ratio_approximation_for_many_directions():
    n, K = 50, 64
    s = G.forward_gradient_samples(A[:5].repeat(10), np.random.default_rng(9), 2000, K=K)
    c = G.error_stats(s, A[:5].repeat(10)).mean_cosine
    assert abs(c - G.expected_cosine_ratio_approx(n, K)) < 0.03


def test_error_stats_on_a_hand_example():
    a = np.array([1.0, 0.0])
    samples = np.array([[2.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, -1.0]])
    s = G.error_stats(samples, a)
    assert np.allclose(s.mean, [1.0, 0.0]) and s.bias_norm == 0.0
    assert np.allclose(s.variance, [2 / 3, 2 / 3])
    assert np.isclose(s.mse, 1.0) and np.isclose(s.sq_norm, 2.0)
    assert np.allclose(s.relative_errors, [1, 1, 1, 1])
    assert np.allclose(s.cosines, [1.0, 0.0, 1 / np.sqrt(2), 1 / np.sqrt(2)])
    summary = s.summary()
    assert summary["n_samples"] == 4 and np.isclose(summary["mean_relative_error"], 1.0)


def test_cosine_of_zero_vectors_is_zero():
    assert G.cosine(np.zeros((1, 3)), np.ones(3)).tolist() == [0.0]
    assert G.cosine(np.ones((1, 3)), np.zeros(3)).tolist() == [0.0]


def test_sample_estimates_for_other_estimators():
    x = np.array([0.5, -0.3, 1.2])

    def f(x):
        return gnp.sum(gnp.sin(x) * x)

    samples, true = G.sample_estimates("central-fd", f, x, None, 3)
    assert np.allclose(samples, true, atol=1e-8)
    samples, true = G.sample_estimates("random-fd", f, x, np.random.default_rng(0), 2000,
                                       distribution="rademacher")
    stats = G.error_stats(samples, true)
    assert np.isclose(stats.mse, (3 - 1) * true @ true, rtol=0.15)  # like the forward gradient
    with pytest.raises(ValueError):
        G.sample_estimates("nope", f, x, None, 1)
    with pytest.raises(ValueError):
        G.closed_form(A, "laplace")
