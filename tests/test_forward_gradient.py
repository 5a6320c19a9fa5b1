"""gradlab.methods.forward_gradient and its experiments: the optimisers, the closed forms,
divergence."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradlab
import gradlab.numpy as gnp
from gradlab.methods import forward_gradient as fg
from gradlab.models.test_functions import FUNCTIONS, beale, beale_grad, rosenbrock, rosenbrock_grad

# ----------------------------------------------------------------------------------------
# Test functions.
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("f,g", [(beale, beale_grad), (rosenbrock, rosenbrock_grad)])
def test_test_functions_minima_and_gradients(f, g):
    tf = FUNCTIONS[f.__name__]
    assert float(f(np.array(tf.minimum))) == tf.min_value == 0.0
    assert np.allclose(g(np.array(tf.minimum)), 0.0)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1.5, 1.5, (5, 2))
    assert np.asarray(f(X)).shape == (5,)
    for x in X:
        assert np.allclose(gradlab.grad(f)(x), g(x))
        assert float(f(x)) > 0


# ----------------------------------------------------------------------------------------
# 2-D runs.
# ----------------------------------------------------------------------------------------

def test_gradient_descent_on_beale_gets_near_the_minimum():
    r = fg.run_test_function("beale", "gd")
    assert r["path"].shape == (1, 1001, 2) and r["diverged_at"].tolist() == [-1]
    assert r["loss"][0, -1] < 1e-3 < r["loss"][0, 0]
    assert np.linalg.norm(r["path"][0, -1] - [3.0, 0.5]) < 0.05


def test_forward_gradient_descent_on_beale_over_seeds():
    r = fg.run_test_function("beale", "fgd", seeds=range(4))
    final = r["loss"][:, -1]
    assert np.all(final < 1e-2)
    assert np.unique(np.round(r["path"][:, 100, 0], 12)).size == 4  # seeds differ


def test_batched_runs_equal_single_runs():
    """Seed s gives the same run whether it runs alone or beside other seeds."""
    together = fg.run_test_function("rosenbrock", "fgd", steps=300, seeds=[3, 7, 9], K=2)
    alone = fg.run_test_function("rosenbrock", "fgd", steps=300, seeds=[7], K=2)
    assert np.allclose(together["path"][1], alone["path"][0])


def test_batched_fgd_matches_the_textbook_loop():
    """run_test_function's batched JVPs = Algorithm 1 written with the estimator, step by step."""
    r = fg.run_test_function("beale", "fgd", steps=50, seeds=[5])
    rng = np.random.default_rng(5)
    x = np.array(FUNCTIONS["beale"].x0)
    for _ in range(50):
        v = rng.standard_normal((1, 2))[0]
        _, d = gradlab.jvp(beale, (x,), (v,))
        x = x - 0.01 * d * v
    assert np.allclose(r["path"][0, -1], x)


def test_divergence_is_recorded_not_raised():
    r = fg.run_test_function("beale", "fgd", lr=1.0, steps=200, seeds=range(3))
    assert np.all(r["diverged_at"] >= 0)
    assert np.all(np.isnan(r["loss"][:, -1]))
    g = fg.run_test_function("rosenbrock", "gd", lr=0.1, steps=100)
    assert g["diverged_at"][0] >= 0


def test_record_every_thins_the_path():
    r = fg.run_test_function("beale", "gd", steps=100, record_every=30)
    assert r["iterations"].tolist() == [0, 30, 60, 90, 100]


def test_progress_is_reported():
    seen = []
    fg.run_test_function("beale", "fgd", steps=100, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (100, 100) and len(seen) > 10


def test_compare_on_test_function():
    r = fg.compare_on_test_function("beale", steps=200, n_seeds=2, first_seed=4)
    assert r["fgd"]["seeds"] == [4, 5] and r["gd"]["path"].shape[0] == 1
    assert r["time_per_step"]["gd"] > 0 and r["time_per_step"]["fgd"] > 0
    with pytest.raises(ValueError):
        fg.run_test_function("beale", "adam")


def test_generic_algorithms_on_a_quadratic():
    def f(p):
        return gnp.sum(p["w"] ** 2) + (p["b"] - 1.0) ** 2

    x0 = {"w": np.ones(3), "b": np.array(0.0)}
    x, losses = fg.gradient_descent(f, x0, 0.1, 100)
    assert losses[-1] < 1e-6 * losses[0]
    x, losses = fg.forward_gradient_descent(f, x0, 0.1, 400, np.random.default_rng(0))
    assert losses[-1] < 1e-3 * losses[0]
    _, losses = fg.forward_gradient_descent(f, x0, 50.0, 400, np.random.default_rng(0))
    assert not np.isfinite(losses[-1])  # diverged, stopped, no exception
    assert np.isinf(np.nanmax(losses))


# ----------------------------------------------------------------------------------------
# The price of dimension.
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("dist", ["gaussian", "rademacher"])
def test_one_step_on_the_quadratic_matches_the_closed_rate(dist):
    n, lr = 20, 0.08
    curves = fg.quadratic_fgd(n, 1, np.random.default_rng(0), n_runs=20_000, lr=lr,
                              distribution=dist)
    ratio = curves[:, 1]
    se = ratio.std(ddof=1) / math.sqrt(ratio.size)
    assert abs(ratio.mean() - fg.quadratic_rate(n, lr, dist)) < 4 * se
    other = "rademacher" if dist == "gaussian" else "gaussian"
    assert abs(ratio.mean() - fg.quadratic_rate(n, lr, other)) > 4 * se


def test_optimal_lr_and_steps():
    assert fg.optimal_lr(10) == 1 / 12 and fg.optimal_lr(10, "rademacher") == 0.1
    lr = fg.optimal_lr(50)
    assert fg.quadratic_rate(50, lr) < fg.quadratic_rate(50, 1.2 * lr)
    assert fg.quadratic_rate(50, lr) < fg.quadratic_rate(50, 0.8 * lr)
    assert np.isclose(fg.steps_to_reach(100, 1e-3), 102 * math.log(1000), rtol=0.01)
    assert fg.steps_to_reach(10, lr=10.0) == math.inf
    assert fg.first_crossing([1.0, 0.5, 0.1, 0.01], 0.2) == 2.0
    assert math.isnan(fg.first_crossing([1.0, 0.5], 0.1))


def test_steps_grow_linearly_with_dimension():
    r = fg.quadratic_steps_vs_dimension([4, 16, 64], factor=1e-2, n_runs=30, seed=0)
    assert np.allclose(r["measured_steps"], r["theory_steps"], rtol=0.15)
    assert r["measured_steps"][2] > 8 * r["measured_steps"][0]


def test_cosine_samples_use_the_true_gradient():
    r = fg.cosine_samples(7, K=2, n_samples=50, seed=3)
    rng = np.random.default_rng(3)
    x = rng.standard_normal(7)
    c = rng.uniform(0.5, 2.0, 7)
    g = gradlab.grad(lambda y: fg._rowwise_test_function(y, c))(x)
    assert np.allclose(r["grad"], g)
    assert r["cosines"].shape == (50,) and np.all(r["cosines"] <= 1 + 1e-12)


def test_cosine_vs_dimension_follows_the_closed_form():
    r = fg.cosine_vs_dimension([3, 30, 300], n_samples=1500, seed=0)
    se = r["theory_std"] / math.sqrt(1500)
    assert np.all(np.abs(r["mean_cos"] - r["theory_mean"]) < 4 * se)
    assert np.allclose(r["std_cos"], r["theory_std"], rtol=0.1)


# ----------------------------------------------------------------------------------------
# Digits.
# ----------------------------------------------------------------------------------------

def test_backprop_trains_logistic_regression():
    r = fg.train_digits("logreg", "backprop", lr=0.3, steps=150, seed=0, eval_every=50)
    assert r["iterations"].tolist() == [0, 50, 100, 150]
    assert r["test_accuracy"][-1] > 0.85 > r["test_accuracy"][0]
    assert r["train_loss"][-1] < 0.5 * r["train_loss"][0]
    assert np.all(np.diff(r["time"]) >= 0) and r["diverged_at"] == -1
    assert r["n_params"] == 650


@pytest.mark.parametrize("method,lr", [("forward", 0.005), ("activity", 0.05)])
def test_forward_gradient_methods_reduce_the_loss(method, lr):
    r = fg.train_digits("logreg", method, lr=lr, steps=200, seed=1)
    assert r["train_loss"][-1] < 0.8 * r["train_loss"][0]


@pytest.mark.parametrize("method", ["backprop", "forward", "activity"])
def test_engines_give_the_same_training_run(method):
    a = fg.train_digits("mlp", method, lr=1e-3, steps=20, seed=2, hidden=(16,), K=2,
                        engine="gradlab")
    b = fg.train_digits("mlp", method, lr=1e-3, steps=20, seed=2, hidden=(16,), K=2,
                        engine="numpy")
    assert np.allclose(a["batch_loss"], b["batch_loss"], atol=1e-10)
    assert np.allclose(a["train_loss"], b["train_loss"], atol=1e-10)


def test_training_divergence_is_recorded_not_raised():
    r = fg.train_digits("mlp", "forward", lr=10.0, steps=100, seed=0, hidden=(16,))
    assert 0 <= r["diverged_at"] < 100
    assert r["train_loss"][-1] == np.inf and np.isnan(r["test_accuracy"][-1])


def test_clipping_bounds_the_update():
    a = fg.train_digits("logreg", "forward", lr=0.05, steps=30, seed=0, clip=1.0)
    b = fg.train_digits("logreg", "forward", lr=0.05, steps=30, seed=0)
    assert not np.allclose(a["batch_loss"], b["batch_loss"])
    with pytest.raises(ValueError):
        fg.train_digits("cnn", "backprop")
    with pytest.raises(ValueError):
        fg.train_digits("mlp", "dfa")


def test_compare_digits_methods_and_time_to_loss():
    specs = [{"label": "bp", "method": "backprop", "lr": 0.3},
             {"label": "fg", "method": "forward", "lr": 0.005}]
    r = fg.compare_digits_methods("logreg", specs=specs, steps=60, seeds=[0, 1])
    assert list(r["runs"]) == ["bp", "fg"] and len(r["runs"]["bp"]) == 2
    loss, acc = fg.final_metrics(r["runs"]["bp"])
    assert loss.shape == acc.shape == (2,)
    t, it = fg.time_to_loss(r["runs"]["bp"][0], r["runs"]["bp"][0]["train_loss"][0])
    assert t == 0.0 and it == 0.0
    assert math.isnan(fg.time_to_loss(r["runs"]["fg"][0], -1.0)[0])


def test_runtime_ratios_report_the_parts():
    r = fg.runtime_ratios((64, 16, 10), engine="numpy", repeats=3, rounds=2)
    for key in ("t_f", "t_jvp", "t_grad", "t_sample", "t_fg", "t_bp"):
        assert r[key] > 0
    assert np.isclose(r["ratio"], r["R_f"] / r["R_b"])
    assert np.isclose(r["R_f"], r["t_fg"] / r["t_f"])
    # without drawing v: the same step with the direction given, and drawing v alone
    assert 0 < r["t_fg_given_v"] < r["t_fg"]
    assert np.isclose(r["ratio_given_v"], r["t_fg_given_v"] / r["t_bp"])
    assert np.isclose(r["sample_over_f"], r["t_sample"] / r["t_f"])
    with pytest.raises(ValueError):
        fg.runtime_ratios((64, 10), engine="jax", repeats=1, rounds=1)


# ----------------------------------------------------------------------------------------
# Experiments.
# ----------------------------------------------------------------------------------------

def test_experiments_are_registered():
    from gradlab import experiments

    names = [e.name for e in experiments.select("forward-gradient")]
    assert names == ["forward-gradient/beale", "forward-gradient/common-lr",
                     "forward-gradient/digits", "forward-gradient/dimension",
                     "forward-gradient/rosenbrock", "forward-gradient/runtime"]


def test_headlines_mark_unverified_paper_numbers():
    from gradlab.experiments import forward_gradient as X

    fake = {"rows": [dict(model="mlp", engine="numpy", R_f=3.0, R_b=4.0, ratio=0.75,
                          jvp_over_grad=0.8, t_sample=1.0, t_f=1.0, ratio_given_v=0.5)],
            "paper": {"R_f": 2.46, "R_b": 4.17}}
    heads = X._runtime_headlines(fake)
    assert heads[0].paper_value == 0.59 and heads[0].paper_verified is False
    assert {h.paper_value for h in heads} == {0.59, 2.46, 4.17}
    assert all(h.paper_verified is False for h in heads)


@pytest.mark.slow
def test_quick_experiments_write_figures_and_headlines(tmp_path):
    from gradlab import experiments

    for name in ("forward-gradient/beale", "forward-gradient/dimension"):
        rec = experiments.run_and_save(experiments.get(name), tmp_path, quick=True)
        assert rec["figures"] and all((tmp_path / f).stat().st_size > 0 for f in rec["figures"])
        assert rec["headlines"] and rec["seeds"] is not None and rec["config"]


def test_step_times_report_both_methods():
    t = fg.step_times("beale", K=2, n_steps=20, rounds=2)
    assert set(t) == {"gd", "fgd"} and all(v > 0 for v in t.values())


# ----------------------------------------------------------------------------------------
# The paper's protocol: one common η₀; claims.
# ----------------------------------------------------------------------------------------

def test_common_lr_run_uses_the_same_eta0_for_both_methods():
    """Read the config of the common-η₀ experiment (as results.json holds it) and the runs."""
    from gradlab import experiments
    from gradlab.experiments import forward_gradient as X
    from gradlab.experiments.registry import result_record

    for quick in (True, False):
        cfg = X.common_lr_settings(quick)
        assert X.PAPER_LR in cfg["lrs"] and cfg["decay"] == 1e-4
        assert len(cfg["seeds"]) >= (3 if quick else 5)
    small = dict(X.common_lr_settings(True), steps=12, seeds=[0], lrs=[X.PAPER_LR, 1e-3])
    results = X.run_common_lr_with(small)
    record = result_record(experiments.get("forward-gradient/common-lr"), results, 0.0, True)
    cfg = record["config"]
    assert cfg["lr_backprop"] == cfg["lr_forward"] == [2e-4, 1e-3]
    for res, lr in zip(results["settings"], cfg["lrs"]):
        used = {r["method"]: r["lr"] for runs in res["runs"].values() for r in runs}
        assert used == {"backprop": lr, "forward": lr}
        assert {r["decay"] for runs in res["runs"].values() for r in runs} == {1e-4}
    assert len(record["claims"]) == 4 and record["claims"][0]["n_seeds"] == 1


def test_test_function_runs_use_one_eta_for_gd_and_fgd():
    from gradlab.experiments import forward_gradient as X

    res = X._test_function_run("beale", 40, 3, None)
    assert res["config"]["lr_gd"] == res["config"]["lr_fgd"] == 0.01
    (claim,) = X._test_function_claims(res)
    assert claim.n_seeds == 3


def test_estimator_moments_match_the_closed_form():
    r = fg.estimator_moments(30, seeds=[0, 1, 2], n_samples=3000)
    assert np.all(np.abs(r["mse_ratio"] - 1) < 0.1)
    assert 0.4 < r["bias_stat"].mean() < 1.8
    k4 = fg.estimator_moments(30, seeds=[0], n_samples=3000, K=4)
    assert abs(k4["mse_ratio"][0] - 1) < 0.1  # the K in (n+1)/K is accounted for


def test_dimension_claims_can_fail():
    """A biased or mis-scaled estimator gives 'not reproduced'."""
    from gradlab.experiments import forward_gradient as X

    good = {"moments": {"n": 100, "n_samples": 4000, "seeds": [0, 1, 2],
                        "bias_stat": np.array([0.9, 1.1, 1.0]),
                        "mse_ratio": np.array([1.0, 0.99, 1.01])}}
    assert [c.verdict for c in X._dimension_claims(good)] == ["reproduced", "reproduced"]
    bad = {"moments": dict(good["moments"], bias_stat=np.array([3.0, 2.5, 3.2]),
                           mse_ratio=np.array([1.5, 1.4, 1.6]))}
    assert [c.verdict for c in X._dimension_claims(bad)] == ["not reproduced"] * 2


def test_runtime_claims_report_both_ratios_and_the_drawing_cost():
    from gradlab.experiments import forward_gradient as X

    rows = [dict(ratio=1.3, ratio_given_v=0.8, sample_over_f=1.6, jvp_over_grad=0.75)
            for _ in range(3)]
    claims = X._runtime_claims({"mlp_seeds": rows, "config": {"rounds": 5}})
    assert [c.ours for c in claims] == pytest.approx([1.3, 0.8, 1.6])
    assert [c.verdict for c in claims] == ["not reproduced", "partly", "not tested"]
    assert all(c.n_seeds == 3 for c in claims)
