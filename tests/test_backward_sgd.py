"""Backward-SGD (gradlab.methods.backward_sgd) and its experiments (backward-sgd/*)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import gradlab
import gradlab.numpy as gnp
from gradlab.methods import backward_sgd as io

LR = 0.2


@pytest.fixture(scope="module")
def ls4():
    return io.make_least_squares(np.random.default_rng(0), n_rows=48, dim=4)


@pytest.fixture(scope="module")
def ls2():
    return io.make_least_squares(np.random.default_rng(0), dim=2)


def counted(grad_fn):
    calls = []

    def g(theta, batch):
        calls.append(1)
        return grad_fn(theta, batch)

    return g, calls


# --------------------------------------------------------------------------------------------
# The compositions
# --------------------------------------------------------------------------------------------

def test_backward_iterate_equals_a_direct_reverse_composition_exactly(ls2):
    batches = ls2.sample_batches(np.random.default_rng(1), 12, 2)
    theta0 = np.array([0.3, -0.7])
    tr = io.backward_sgd(ls2.grad, theta0, batches, LR)
    for n in range(13):
        theta = theta0.copy()
        for i in range(n - 1, -1, -1):  # newest batch first, oldest last
            theta = theta - LR * ls2.grad(theta, batches[i])
        assert np.array_equal(tr.thetas[n], theta), n
    # and against the affine maps Tᵢ(θ) = (I − ηHᵢ)θ + η bᵢ composed as matrices
    theta = theta0.copy()
    for i in range(11, -1, -1):
        a = ls2.A[batches[i]]
        H = a.T @ a / 2
        b = a.T @ ls2.y[batches[i]] / 2
        theta = (np.eye(2) - LR * H) @ theta + LR * b
    np.testing.assert_allclose(tr.thetas[12], theta, rtol=1e-12, atol=1e-14)


def test_backward_differs_from_forward_but_agrees_on_one_batch(ls2):
    batches = ls2.sample_batches(np.random.default_rng(2), 10, 1)
    fwd = io.forward_sgd(ls2.grad, np.zeros(2), batches, LR)
    bwd = io.backward_sgd(ls2.grad, np.zeros(2), batches, LR)
    assert np.array_equal(fwd.thetas[1], bwd.thetas[1])
    assert not np.allclose(fwd.thetas[-1], bwd.thetas[-1])


def test_ar1_backward_matches_its_closed_form():
    xi = np.random.default_rng(3).normal(size=40)
    tr = io.backward_sgd(io.ar1_grad, 0.5, xi, 0.3)
    for n in (0, 1, 7, 40):
        np.testing.assert_allclose(tr.thetas[n], io.ar1_backward_closed_form(0.5, xi[:n], 0.3),
                                   rtol=1e-12, atol=1e-14)


def test_gradient_evaluations_are_counted_not_assumed(ls2):
    N, k = 23, 5
    batches = ls2.sample_batches(np.random.default_rng(4), N, 2)
    for method, expected in [
        (lambda g: io.forward_sgd(g, np.zeros(2), batches, LR), N),
        (lambda g: io.backward_sgd(g, np.zeros(2), batches, LR), N * (N + 1) // 2),
        (lambda g: io.windowed_backward_sgd(g, np.zeros(2), batches, LR, k, "sliding"),
         sum(min(n, k) for n in range(1, N + 1))),
        (lambda g: io.windowed_backward_sgd(g, np.zeros(2), batches, LR, k, "blocked"),
         (N // k) * k * (k + 1) // 2 + (N % k) * (N % k + 1) // 2),
    ]:
        g, calls = counted(ls2.grad)
        tr = method(g)
        assert tr.total_grad_evals == len(calls) == expected
        assert np.all(np.diff(tr.grad_evals) >= 1)


def test_windowed_limits_are_forward_and_backward(ls2):
    batches = ls2.sample_batches(np.random.default_rng(5), 15, 1)
    fwd = io.forward_sgd(ls2.grad, np.ones(2), batches, LR)
    bwd = io.backward_sgd(ls2.grad, np.ones(2), batches, LR)
    for mode in io.WINDOW_MODES:
        one = io.windowed_backward_sgd(ls2.grad, np.ones(2), batches, LR, 1, mode)
        assert np.array_equal(one.thetas, fwd.thetas), mode
    whole = io.windowed_backward_sgd(ls2.grad, np.ones(2), batches, LR, 15, "blocked")
    assert np.array_equal(whole.thetas, bwd.thetas)


def test_the_two_windowed_readings_follow_their_definitions(ls2):
    batches = ls2.sample_batches(np.random.default_rng(6), 11, 1)
    k = 3
    sl = io.windowed_backward_sgd(ls2.grad, np.ones(2), batches, LR, k, "sliding")
    bl = io.windowed_backward_sgd(ls2.grad, np.ones(2), batches, LR, k, "blocked")
    for n in range(1, 12):
        expect = io.compose_backward(ls2.grad, sl.thetas[n - 1], batches[max(0, n - k):n], LR)
        assert np.array_equal(sl.thetas[n], expect)
        start = ((n - 1) // k) * k
        expect = io.compose_backward(ls2.grad, bl.thetas[start], batches[start:n], LR)
        assert np.array_equal(bl.thetas[n], expect)
    assert not np.allclose(sl.thetas[-1], bl.thetas[-1])
    with pytest.raises(ValueError, match="mode"):
        io.windowed_backward_sgd(ls2.grad, np.ones(2), batches, LR, 2, "diagonal")
    with pytest.raises(ValueError, match="window"):
        io.windowed_backward_sgd(ls2.grad, np.ones(2), batches, LR, 0)


def test_runs_along_a_leading_axis_stay_independent(ls2):
    rng = np.random.default_rng(7)
    batches = ls2.sample_batches(rng, 9, 2, n_runs=3)          # (9, 3, 2)
    theta0 = rng.normal(size=(3, 2))
    together = io.backward_sgd(ls2.grad, theta0, batches, LR)
    for r in range(3):
        alone = io.backward_sgd(ls2.grad, theta0[r], batches[:, r], LR)
        np.testing.assert_allclose(together.thetas[:, r], alone.thetas, rtol=1e-13, atol=1e-15)


def test_divergence_is_reported_not_raised(ls2):
    batches = ls2.sample_batches(np.random.default_rng(8), 400, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even an overflow warning
        for run in (io.forward_sgd, io.backward_sgd):
            tr = run(ls2.grad, np.ones(2), batches[:150] if run is io.backward_sgd else batches,
                     50.0)
            assert tr.diverged_at is not None and tr.diverged_at > 0
            assert np.all(np.isnan(tr.thetas[tr.diverged_at:]))
            assert np.all(np.isfinite(tr.thetas[:tr.diverged_at]))
        tr = io.windowed_backward_sgd(ls2.grad, np.ones(2), batches, 50.0, 4, "blocked")
        assert tr.diverged_at is not None
    ok = io.forward_sgd(ls2.grad, np.ones(2), batches, LR)
    assert ok.diverged_at is None


def test_step_norms_are_kept_without_the_iterates(ls2):
    batches = ls2.sample_batches(np.random.default_rng(9), 20, 1)
    full = io.backward_sgd(ls2.grad, np.ones(2), batches, LR)
    lean = io.backward_sgd(ls2.grad, np.ones(2), batches, LR, keep_thetas=False,
                           observe=ls2.loss)
    assert lean.thetas is None and len(lean.records) == 21
    np.testing.assert_allclose(lean.step_norms, io.step_sizes(full.thetas), rtol=1e-12)
    np.testing.assert_allclose(lean.records, ls2.loss(full.thetas), rtol=1e-12)


# --------------------------------------------------------------------------------------------
# AR(1): stationary variance, freezing, same law
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lr", [0.1, 0.5, 1.5])
def test_ar1_forward_stationary_variance_is_eta_sigma2_over_2_minus_eta(lr):
    res = io.ar1_compare(lr, 2.0, 4000, 300, np.random.default_rng(10))
    theory = io.ar1_stationary_variance(lr, 2.0)
    assert theory == pytest.approx(lr * 4.0 / (2 - lr))
    assert res["var_forward"] == pytest.approx(theory, rel=0.04)
    # the backward limits have the same variance (one sample per run: wider tolerance) ...
    assert res["var_backward"] == pytest.approx(theory, rel=0.1)
    # ... and the same law: a two-sample KS test does not reject
    assert res["ks_p"] > 1e-3


def test_ar1_backward_iterate_freezes_geometrically():
    lr = 0.2
    xi = np.random.default_rng(11).normal(size=120)
    bwd = io.backward_sgd(io.ar1_grad, 0.0, xi, lr)
    fwd = io.forward_sgd(io.ar1_grad, 0.0, xi, lr)
    steps = np.abs(np.diff(bwd.thetas))
    # |θ̃ₙ₊₁ − θ̃ₙ| = η (1 − η)ⁿ |ξₙ₊₁ − θ₀| exactly
    np.testing.assert_allclose(steps, lr * (1 - lr) ** np.arange(120) * np.abs(xi), rtol=1e-6,
                               atol=1e-15)
    assert steps[-1] < 1e-10
    assert np.mean(np.abs(np.diff(fwd.thetas[-40:]))) > 0.05  # forward keeps moving


def test_ks_two_sample_tells_equal_laws_from_different_ones():
    rng = np.random.default_rng(12)
    same = io.ks_two_sample(rng.normal(size=2000), rng.normal(size=2000))
    wider = io.ks_two_sample(rng.normal(size=2000), 1.3 * rng.normal(size=2000))
    assert same[1] > 1e-3
    assert wider[1] < 1e-4
    stats = pytest.importorskip("scipy.stats")
    a, b = rng.normal(size=300), rng.normal(size=250) + 0.2
    d, p = io.ks_two_sample(a, b)
    ref = stats.ks_2samp(a, b)
    assert d == pytest.approx(ref.statistic)
    assert p == pytest.approx(ref.pvalue, rel=0.1, abs=1e-3)


def test_ar1_backward_limits_and_a_wrong_law_are_told_apart():
    """The same-law test can fail: backward limits at η are not forward iterates at 2η."""
    a = io.ar1_compare(0.2, 1.0, 3000, 200, np.random.default_rng(13))
    b = io.ar1_compare(0.4, 1.0, 3000, 200, np.random.default_rng(14))
    assert io.ks_two_sample(a["backward_limits"], b["forward_sample"])[1] < 1e-3


# --------------------------------------------------------------------------------------------
# Least squares: geometric decay, Lyapunov slope, worst-case bound
# --------------------------------------------------------------------------------------------

def test_fit_log_slope_recovers_a_geometric_rate():
    n = np.arange(300)
    values = 3.0 * 0.93 ** n
    assert io.fit_log_slope(values) == pytest.approx(np.log(0.93), rel=1e-6)
    assert np.isnan(io.fit_log_slope([1.0, 0.0, 0.0]))


def test_lyapunov_exponent_of_a_fixed_matrix_is_its_log_spectral_radius():
    M = np.diag([0.9, 0.5])
    mats = np.broadcast_to(M, (3, 200, 2, 2))
    mean, sd = io.lyapunov_exponent(mats, np.random.default_rng(0))
    assert mean == pytest.approx(np.log(0.9), abs=0.01)


@pytest.mark.parametrize("batch_size", [1, 2, 4])
def test_backward_steps_decay_at_the_predicted_lyapunov_slope(ls4, batch_size):
    rng = np.random.default_rng(15)
    runs = 8
    batches = ls4.sample_batches(rng, 250, batch_size, n_runs=runs)
    bwd = io.backward_sgd(ls4.grad, np.zeros((runs, 4)), batches, LR)
    steps = io.step_sizes(bwd.thetas, run_axis=True)
    slopes = [io.fit_log_slope(steps[:, r], start=5) for r in range(runs)]
    pred = io.contraction_predictions(ls4, LR, batch_size, rng, n_steps=2000, n_runs=4)
    assert pred["lyapunov"] < -0.02
    assert np.mean(slopes) == pytest.approx(pred["lyapunov"], rel=0.25)
    # small η: the exponent is close to log(1 − ηλ_min(E H_B))
    assert pred["lyapunov"] == pytest.approx(pred["small_lr"], rel=0.2)
    # singular batch Hessians (b < d): the worst-case factor is ≥ 1 and predicts nothing
    assert (pred["worst_case_c"] >= 1 - 1e-12) == (batch_size < 4)


def test_worst_case_bound_holds_where_every_batch_hessian_is_full_rank(ls2):
    from gradlab.experiments.backward_sgd import worst_case_bound_ratio

    for b in (2, 4, 8):
        batches = ls2.sample_batches(np.random.default_rng(16 + b), 150, b)
        theta0 = np.array([2.0, -1.0])
        bwd = io.backward_sgd(ls2.grad, theta0, batches, LR)
        ratio, c = worst_case_bound_ratio(ls2, batches, LR, bwd.thetas, theta0)
        assert c < 1
        assert ratio <= 1 + 1e-9


def test_forward_jitters_while_backward_settles_on_least_squares(ls4):
    batches = ls4.sample_batches(np.random.default_rng(17), 300, 1)
    fwd = io.forward_sgd(ls4.grad, np.zeros(4), batches, LR)
    bwd = io.backward_sgd(ls4.grad, np.zeros(4), batches, LR)
    assert np.median(io.step_sizes(fwd.thetas)[-50:]) > 1e-2
    steps = io.step_sizes(bwd.thetas)
    assert np.max(steps[-50:]) < 1e-3 * steps[0]   # geometric: about e^(−0.05 n)
    # the backward limit is a random point, not the minimiser
    assert np.linalg.norm(bwd.thetas[-1] - ls4.optimum) > 1e-3


# --------------------------------------------------------------------------------------------
# Second order: the two orders differ by a Lie bracket
# --------------------------------------------------------------------------------------------

def test_the_two_orders_differ_by_the_lie_bracket_up_to_third_order():
    rng = np.random.default_rng(18)
    data = {0: rng.normal(size=3), 1: rng.normal(size=3)}

    def loss(theta, batch):
        c = data[batch]
        return gnp.sum(gnp.cos(theta * c)) + 0.25 * gnp.sum((theta - c) ** 4)

    def grad_fn(theta, batch):
        return gradlab.grad(loss)(theta, batch)

    def hvp_fn(theta, batch, v):
        return gradlab.hvp(lambda t: loss(t, batch), theta, v)

    theta = rng.normal(size=3)
    residuals = []
    for lr in (0.02, 0.01):
        ab = io.compose_backward(grad_fn, theta, [0, 1], lr)   # T₀ ∘ T₁
        ba = io.compose_forward(grad_fn, theta, [0, 1], lr)    # T₁ ∘ T₀
        bracket = io.lie_bracket(grad_fn, hvp_fn, theta, 0, 1, lr)
        assert np.linalg.norm(ab - ba) > 10 * np.linalg.norm(ab - ba - bracket)
        residuals.append(np.linalg.norm(ab - ba - bracket))
    # halving η divides the remainder by ~8: it is O(η³)
    assert 6 < residuals[0] / residuals[1] < 10


# --------------------------------------------------------------------------------------------
# The MLP's gradients and the registered experiments
# --------------------------------------------------------------------------------------------

def test_digits_mlp_gradients_by_gradlab_match_hand_written_backprop():
    ad = io.DigitsMLP(backend="gradlab")
    hand = io.DigitsMLP(backend="numpy")
    theta = ad.init(np.random.default_rng(0))
    batch = ad.sample_batches(np.random.default_rng(1), 1, 16)[0]
    g_ad, g_hand = ad.grad(theta, batch), hand.grad(theta, batch)
    assert g_ad.shape == theta.shape
    np.testing.assert_allclose(g_ad, g_hand, rtol=1e-9, atol=1e-12)
    # and against central finite differences along a random direction
    v = np.random.default_rng(2).normal(size=theta.shape)
    eps = 1e-5
    X, Y = ad.data.X_train[batch], ad.Y_train[batch]

    def f(t):
        return ad.mlp.np_loss(ad.unflatten(t), X, Y)

    fd = (f(theta + eps * v) - f(theta - eps * v)) / (2 * eps)
    assert g_ad @ v == pytest.approx(fd, rel=1e-5)


def test_the_experiments_are_registered():
    from gradlab.experiments import names, select

    assert {"backward-sgd/ar1", "backward-sgd/least-squares", "backward-sgd/digits-mlp",
            "backward-sgd/strongly-convex", "backward-sgd/contractive-net"} <= set(names())
    assert len(select("backward-sgd")) == 5


@pytest.mark.parametrize("name", ["backward-sgd/ar1", "backward-sgd/least-squares"])
def test_quick_experiments_write_figures_and_headlines(tmp_path, name):
    from gradlab.experiments import get, run_and_save
    from gradlab.experiments.registry import write_results

    seen = []
    record = run_and_save(get(name), tmp_path, quick=True, progress=lambda d, t: seen.append(d / t))
    path = write_results([record], tmp_path)
    saved = json.loads(path.read_text())["experiments"][0]
    assert saved["seeds"] and saved["config"]
    assert record["figures"] and all((tmp_path / f).exists() for f in record["figures"])
    assert seen and seen[-1] == pytest.approx(1.0)
    heads = saved["headlines"]
    assert all(h["value"] is not None and np.isfinite(h["value"]) for h in heads)
    if name.endswith("ar1"):
        ratios = [h["value"] for h in heads if "forward stationary variance" in h["name"]]
        assert ratios and all(abs(r - 1) < 0.05 for r in ratios)
    else:
        ratios = [h["value"] for h in heads if "measured / predicted" in h["name"]]
        assert ratios and all(0.7 < r < 1.4 for r in ratios)
        assert any(h["paper_verified"] is True for h in heads)


@pytest.mark.slow
def test_quick_digits_experiment_compares_at_equal_steps_and_compute(tmp_path):
    from gradlab.experiments import get, run_and_save

    record = run_and_save(get("backward-sgd/digits-mlp"), tmp_path, quick=True)
    # outside the claim's regime: a "not tested" claim, never a verdict
    assert [c["verdict"] for c in record["claims"]] == ["not tested"]
    assert all(c["n_seeds"] >= 3 for c in record["claims"])
    heads = {h["name"]: h for h in record["headlines"]}
    assert any(n.startswith("forward SGD at sliding") for n in heads)
    assert any(n.startswith("blocked k=") for n in heads)
    unverified = [h for n, h in heads.items() if "oscillation" in n and "k=" in n
                  and "train-loss" in n]
    assert unverified and all(h["paper_verified"] is False for h in unverified)
    acc = [h["value"] for n, h in heads.items() if n.endswith("test accuracy, mean over last "
                                                               "quarter of 150 steps")]
    assert acc and all(0.5 < a <= 1.0 for a in acc)
    assert len(record["figures"]) == 3


def test_digits_orders_counts_compute_and_matches_forward_budget():
    res = io.digits_orders(lr=0.3, n_steps=12, windows=(3,), modes=("sliding", "blocked"),
                        backward_steps=5, seed=0, backend="numpy")
    c = res["curves"]
    assert c["sliding k=3"]["evals"][-1] == 3 * 12 - 3
    assert c["blocked k=3"]["evals"][-1] == 4 * 6
    assert c["backward (full)"]["evals"][-1] == 15
    # forward SGD is run long enough for the largest budget (equal compute)
    assert c["forward"]["evals"][-1] >= 33
    assert np.all(np.isfinite(c["forward"]["loss"]))


# --------------------------------------------------------------------------------------------
# Where the claim lives: strongly convex least squares and a locally contractive network
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sc():
    from gradlab.experiments.backward_sgd import _sc_settings, strongly_convex_problem

    s = _sc_settings(quick=True)
    return strongly_convex_problem(s), s


def test_strongly_convex_problem_and_the_spectrum_of_its_batch_hessians(sc):
    problem, s = sc
    lr, d = s["lr"], problem.dim
    lam = np.linalg.eigvalsh(problem.hessian)
    assert lam[0] > 0.05                                  # strongly convex: E H_B ≻ 0
    for b in s["batch_sizes"]:
        batches = problem.sample_batches(np.random.default_rng(b), 500, b)
        eig = np.linalg.eigvalsh(np.eye(d) - lr * problem.batch_hessian(batches))
        unit = np.sum(np.abs(eig - 1) < 1e-12, axis=1)
        # rank H_B ≤ b: at least d − b eigenvalues of I − ηH_B equal 1 (exactly, rows generic)
        assert np.all(unit == max(d - b, 0))
        # no map expands: η λ_max(H_B) < 2, so every |1 − ηλ| ≤ 1
        assert np.all(np.abs(eig) <= 1 + 1e-12)
        if b >= d:
            assert np.all(np.abs(eig) < 1)                # each map a strict contraction


@pytest.mark.parametrize("b", [8, 16])
def test_least_squares_contraction_rate_matches_the_batch_hessian_spectrum(sc, b):
    """Measured slope of log‖θ̃ₙ₊₁ − θ̃ₙ‖ = top Lyapunov exponent of ∏(I − ηH_B), computed from
    the batch Hessians alone; the worst-case rate log max‖I − ηH_B‖ is a valid but loose bound."""
    problem, s = sc
    lr, runs, n = s["lr"], 6, 300
    batches = problem.sample_batches(np.random.default_rng([3, b]), n, b, n_runs=runs)
    out = io.both_orders(problem.grad, np.zeros((runs, problem.dim)), batches, lr)
    pred = io.contraction_predictions(problem, lr, b, np.random.default_rng(4), n_steps=2000,
                                      n_runs=4)
    measured = np.mean(out["slopes"])
    assert measured == pytest.approx(pred["lyapunov"], rel=0.12)
    assert pred["lyapunov"] == pytest.approx(pred["small_lr"], rel=0.1)   # ηλ_min ≈ 0.026
    steps = out["steps_backward"]
    if b >= problem.dim:
        # c = max ‖I − ηH_B‖ over each stream's own batches: ‖θ̃ₙ₊₁ − θ̃ₙ‖ ≤ cⁿ‖Tₙ₊₁(θ₀) − θ₀‖
        eye = np.eye(problem.dim)
        for r in range(runs):
            norms = np.linalg.norm(eye - lr * problem.batch_hessian(batches[:, r]), ord=2,
                                   axis=(-2, -1))
            c = norms.max()
            assert c < 1 and np.log(c) > 0.1 * measured   # true, and ~100× too slow a rate
            first = np.linalg.norm(lr * problem.grad(np.zeros((n, problem.dim)), batches[:, r]),
                                   axis=-1)
            assert np.all(steps[:, r] <= c ** np.arange(n) * first * (1 + 1e-9))
    else:
        assert pred["worst_case_c"] >= 1 - 1e-12      # singular batches: no worst-case rate


def test_backward_collapses_to_a_point_per_stream_while_forward_keeps_a_spread(sc):
    problem, s = sc
    lr, runs, n = s["lr"], 5, 300
    batches = problem.sample_batches(np.random.default_rng(5), n, 16, n_runs=runs)
    out = io.both_orders(problem.grad, np.zeros((runs, problem.dim)), batches, lr)
    back, fwd = out["tail_spread_backward"], out["tail_spread_forward"]   # (checkpoints, R)
    # backward: the spread of steps 3N/4..N is set by step 3N/4, so it shrinks like e^(3λN/4)
    cps = np.array(out["checkpoints"])
    slope = np.polyfit(cps[2:], np.log(back[2:].mean(axis=1)), 1)[0]
    assert slope == pytest.approx(0.75 * np.mean(out["slopes"]), rel=0.3)
    assert np.all(back[-1] < 1e-2 * fwd[-1])          # e^(0.75·λN) ≈ 2e-3 at N = 300
    # ... forward keeps a stationary spread > 0, about as wide at N/2 as at N
    assert np.all(fwd[-1] > 0.1)
    assert fwd[-1].mean() == pytest.approx(fwd[3].mean(), rel=0.3)
    # one point per stream, but different streams give different points
    assert io.across_spread(out["final_backward"]) > 0.1


def test_tail_and_across_spreads_follow_their_definitions():
    rng = np.random.default_rng(0)
    thetas = rng.normal(size=(41, 3, 2))
    thetas[30:, 1] = thetas[30, 1]          # stream 1 frozen over its last quarter
    spread = io.tail_spread(thetas)
    tail = thetas[30:, 0]
    assert spread[0] == pytest.approx(np.sqrt(np.mean(np.sum((tail - tail.mean(0)) ** 2, 1))))
    assert spread[1] == pytest.approx(0.0, abs=1e-12)
    pts = rng.normal(size=(500, 3)) * [1.0, 2.0, 0.0]
    assert io.across_spread(pts) == pytest.approx(np.sqrt(5.0), rel=0.1)


def test_implicit_lyapunov_exponent_matches_the_explicit_one(sc):
    problem, s = sc
    batches = problem.sample_batches(np.random.default_rng(6), 800, 8, 3)

    def hvp(theta, batch, v):
        return np.einsum("rij,rj->ri", problem.batch_hessian(batch), v)

    implicit = io.implicit_lyapunov_exponent(hvp, np.zeros(problem.dim), batches, s["lr"],
                                             np.random.default_rng(7))
    mats = np.eye(problem.dim) - s["lr"] * problem.batch_hessian(np.swapaxes(batches, 0, 1))
    explicit = io.lyapunov_exponent(mats, np.random.default_rng(7))
    np.testing.assert_allclose(implicit, explicit, rtol=1e-10)


def test_lanczos_finds_the_extreme_eigenvalues():
    rng = np.random.default_rng(8)
    A = rng.normal(size=(150, 150))
    A = A @ A.T / 150 - 0.2 * np.eye(150)
    lam = np.linalg.eigvalsh(A)
    lo, hi = io.lanczos_extreme_eigenvalues(lambda v: A @ v, 150, rng, n_iter=60)
    assert lo == pytest.approx(lam[0], abs=1e-3) and lo >= lam[0] - 1e-9
    assert hi == pytest.approx(lam[-1], rel=1e-6) and hi <= lam[-1] + 1e-9


@pytest.fixture(scope="module")
def net():
    return io.ContractiveMLP(hidden=8, weight_decay=0.1)


def test_contractive_mlp_gradient_and_hvp_match_gradlab(net):
    theta = net.init(np.random.default_rng(0)) + 0.1
    batch = net.sample_batches(np.random.default_rng(1), 1, 16)[0]
    X, Y = net.X[batch], net.Y[batch]

    def loss(t):
        W1, b1, W2, b2 = net.unflatten(t)
        z = gnp.tanh(X @ W1 + b1) @ W2 + b2
        z = z - gnp.max(z, axis=-1, keepdims=True)
        logp = z - gnp.log(gnp.sum(gnp.exp(z), axis=-1, keepdims=True))
        return -gnp.mean(gnp.sum(Y * logp, axis=-1)) + 0.05 * gnp.sum(t**2)

    np.testing.assert_allclose(net.grad(theta, batch), gradlab.grad(loss)(theta), atol=1e-13)
    v = np.random.default_rng(2).normal(size=net.n_params)
    np.testing.assert_allclose(net.hvp(theta, batch, v), gradlab.hvp(loss, theta, v),
                               atol=1e-6)
    assert net.loss(theta, X, Y) == pytest.approx(loss(theta))
    # streams along a leading axis stay independent
    thetas = np.stack([theta, theta - 0.2])
    batches = np.stack([batch, batch[::-1][:16]])
    both = net.grad(thetas, batches)
    np.testing.assert_allclose(both[1], net.grad(theta - 0.2, batches[1]), atol=1e-15)


@pytest.mark.slow
def test_pretrained_net_is_a_locally_contractive_minimum_where_backward_freezes(net):
    theta, gnorm = net.pretrain(net.init(np.random.default_rng(0)), steps=800)
    lo, hi = net.hessian_extremes(theta, np.random.default_rng(1), n_iter=60)
    assert gnorm < 1e-8 and lo > 0.005          # a minimum: H ≻ 0 (well below wd = 0.1)
    lr = 0.5
    assert lr * hi < 2
    runs, n = 3, 160
    batches = net.sample_batches(np.random.default_rng(2), n, 16, runs)
    out = io.both_orders(net.grad, np.tile(theta, (runs, 1)), batches, lr, fit_from=0.5)
    assert np.all(np.array(out["slopes"]) < -0.003)
    assert np.all(out["tail_spread_backward"][-1] < 0.1 * out["tail_spread_forward"][-1])
    lyap, _ = io.implicit_lyapunov_exponent(net.hvp, theta,
                                            net.sample_batches(np.random.default_rng(3), 500,
                                                               16, 4), lr,
                                            np.random.default_rng(4))
    assert lyap < 0


@pytest.mark.slow
def test_strongly_convex_quick_run_writes_claims_with_enough_seeds(tmp_path):
    from gradlab.experiments import get, run_and_save

    record = run_and_save(get("backward-sgd/strongly-convex"), tmp_path, quick=True)
    claims = record["claims"]
    assert claims and all(c["n_seeds"] >= 3 for c in claims)
    texts = " ".join(c["claim"] for c in claims)
    assert "converges to a point" in texts and "only to a distribution" in texts
    assert all(c["verdict"] == "reproduced" for c in claims)
    assert record["figures"]


@pytest.mark.parametrize("lr", [0.2, 1.5])
def test_ar1_backward_step_is_eta_times_abs_one_minus_eta_to_the_k(lr):
    """docs/instructor: |θ̃ₖ₊₁ − θ̃ₖ| = η|1 − η|ᵏ|ξₖ₊₁ − θ₀|, also for 1 < η < 2 (sign alternates)."""
    theta0 = 0.7
    xi = np.random.default_rng(20).normal(size=60)
    bwd = io.backward_sgd(io.ar1_grad, theta0, xi, lr)
    k = np.arange(60)
    np.testing.assert_allclose(np.diff(bwd.thetas), lr * (1 - lr) ** k * (xi - theta0),
                               rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(np.abs(np.diff(bwd.thetas)),
                               lr * abs(1 - lr) ** k * np.abs(xi - theta0), rtol=1e-8, atol=1e-15)


def test_the_instructor_notes_numbers_are_the_shipped_runs():
    """Every number in docs/instructor/07's measured section is rendered from the shipped full
    run; regenerate with `instructor_numbers(shipped_results("backward-sgd"))` if this fails."""
    from pathlib import Path

    from gradlab.experiments import shipped_results
    from gradlab.experiments.backward_sgd import NUMBERS_BEGIN, NUMBERS_END, instructor_numbers

    shipped = shipped_results("backward-sgd")
    assert not any(r["quick"] for r in shipped["experiments"])
    assert {r["experiment"] for r in shipped["experiments"]} == {
        f"backward-sgd/{n}" for n in ("ar1", "least-squares", "digits-mlp", "strongly-convex",
                                      "contractive-net")}
    for r in shipped["experiments"]:
        assert len(r["seeds"]) >= 5, r["experiment"]
    notes = (Path(__file__).parents[1] / "docs/instructor/07_backward_sgd.md").read_text()
    start, end = notes.index(NUMBERS_BEGIN), notes.index(NUMBERS_END) + len(NUMBERS_END)
    assert notes[start:end] == instructor_numbers(shipped)
