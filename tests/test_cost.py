"""gradlab.ad.cost: Jacobians agree with autograd, passes are counted, the tape grows with depth."""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import gradlab
from gradlab.ad import cost


@pytest.mark.parametrize("n,m", [(1, 1), (3, 7), (9, 2), (16, 16)])
def test_jacobians_equal_autograds(n, m):
    f = cost.TwoLayer(n, m, np.random.default_rng(n * 100 + m))
    reference = autograd.jacobian(lambda x: f(x, anp))(f.x)
    assert reference.shape == (m, n)
    np.testing.assert_allclose(gradlab.jacfwd(f)(f.x), reference, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gradlab.jacrev(f)(f.x), reference, rtol=1e-12, atol=1e-14)


def test_same_function_in_both_libraries():
    f = cost.TwoLayer(5, 3, np.random.default_rng(0))
    np.testing.assert_allclose(f(f.x), f(f.x, anp))
    assert not np.allclose(f(f.x), f(f.x + 1.0))


def test_autograd_agreement_report():
    report = cost.autograd_agreement(n=7, m=4, seed=3)
    assert set(report["max_abs_diff"]) == {"jacfwd", "jacrev", "grad", "hvp", "hessian"}
    assert report["gradlab"]["jacfwd"].shape == (4, 7)
    assert report["gradlab"]["hessian"].shape == (7, 7)
    for name, diff in report["max_abs_diff"].items():
        scale = max(1.0, float(np.max(np.abs(report["autograd"][name]))))
        assert diff <= 1e-10 * scale, name


@pytest.mark.parametrize("n,m", [(1, 4), (6, 1), (5, 9), (12, 3)])
def test_passes_are_n_jvps_and_m_vjps(n, m):
    f = cost.TwoLayer(n, m, np.random.default_rng(1))
    assert cost.count_passes(f, f.x) == {"jvp": n, "vjp": m}


def test_sweep_records_counts_and_a_crossover():
    sweep = cost.jacobian_sweep([1, 2, 4], fixed=3, vary="m", rng=np.random.default_rng(0),
                                hidden=8, repeat=1)
    np.testing.assert_array_equal(sweep["m"], [1, 2, 4])
    np.testing.assert_array_equal(sweep["n"], [3, 3, 3])
    np.testing.assert_array_equal(sweep["jvps"], [3, 3, 3])
    np.testing.assert_array_equal(sweep["vjps"], [1, 2, 4])
    assert np.all(sweep["t_fwd"] > 0) and np.all(sweep["t_rev"] > 0)
    np.testing.assert_allclose(sweep["ratio"], sweep["t_fwd"] / sweep["t_rev"])
    with pytest.raises(ValueError, match="vary"):
        cost.jacobian_sweep([1], 1, "x", np.random.default_rng(0))


def test_crossover_interpolates_in_log_size():
    assert cost._crossover([1, 4], [0.5, 2.0]) == pytest.approx(2.0)
    assert cost._crossover([1, 2, 8], [4.0, 2.0, 0.5]) == pytest.approx(4.0)
    assert np.isnan(cost._crossover([1, 2, 4], [0.1, 0.2, 0.5]))


def test_tape_memory_grows_linearly_with_depth():
    rng = np.random.default_rng(0)
    width, batch = 8, 5
    activation = width * batch * 8
    counted = [cost.tape_bytes(cost.DeepTanh(d, rng, width, batch), np.ones((width, batch)))
               for d in range(1, 7)]
    values = np.array([c["values"] for c in counted])
    nodes = np.array([c["nodes"] for c in counted])
    # each layer adds two nodes (matmul, tanh) but keeps one activation: tanh saves its output,
    # matmul saves only its arguments, so the matmul's output is freed
    np.testing.assert_array_equal(np.diff(values), activation)
    np.testing.assert_array_equal(np.diff(nodes), 2)
    assert all(c["total"] >= c["values"] for c in counted)


def test_tape_counts_views_and_repeats_once():
    x = np.arange(6.0)

    def f(x):
        y = x * 2.0
        return gradlab.numpy.sum(y + y)

    counted = cost.tape_bytes(f, x)
    # outputs kept: x (48 bytes, the input) and the scalar sum (8). y and y + y are not kept as
    # outputs (multiply saves its arguments, add nothing), but the sum saves its argument y + y.
    assert counted["values"] == 48 + 8
    assert counted["total"] == 48 + 8 + 48
    assert cost.tape_bytes(lambda x: 3.0, x) == {"nodes": 0, "values": 0, "total": 0}


def test_forward_mode_memory_does_not_grow_with_depth():
    result = cost.tape_memory(depths=(2, 8, 32), width=32, batch=8)
    act = result["activation_bytes"]
    assert result["peak_fwd"][-1] - result["peak_fwd"][0] < 2 * act
    assert result["peak_rev"][-1] - result["peak_rev"][0] > 30 * act
    assert result["bytes_per_layer"] == pytest.approx(act)  # tanh's output; matmul's is freed


def test_finite_differences_and_cheap_gradient_report():
    x = np.random.default_rng(0).standard_normal(6)
    np.testing.assert_allclose(cost.finite_difference_gradient(cost.rosenbrock, x),
                               gradlab.grad(cost.rosenbrock)(x), rtol=1e-4, atol=1e-3)
    result = cost.cheap_gradient(sizes=(4, 40), fd_max=10, repeat=1)
    assert np.isfinite(result["t_fd"][0]) and np.isnan(result["t_fd"][1])
    np.testing.assert_array_equal(result["fd_evals"], [5, 41])
    assert np.all(result["grad_ratio"] > 0)


def test_hvp_matches_the_full_hessian():
    result = cost.hvp_cost(sizes=(3, 6), repeat=1)
    assert np.all(result["max_abs_diff"] < 1e-9)
    assert result["t_hessian"].shape == (2,)


@pytest.mark.parametrize("clock", ["wall", "cpu"])
def test_best_of_counts_calls(clock):
    calls = []
    t = cost.best_of(lambda: calls.append(1), repeat=3, min_time=1e-4, clock=clock)
    assert t > 0
    assert len(calls) >= 3


def test_best_of_each_interleaves_and_ranks():
    order = []
    slow = np.ones(200_000)
    t_fast, t_slow = cost.best_of_each([lambda: order.append("f"),
                                        lambda: (order.append("s"), slow.sum())],
                                       repeat=3, min_time=0.0, max_number=1, clock="cpu")
    assert order == ["f", "s"] * 3
    assert t_slow > t_fast
