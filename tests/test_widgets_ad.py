"""forward_mode_explorer and reverse_sweep_stepper headless: every control, extremes included."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab
import gradlab.widgets
from gradlab.ad.graph import EXAMPLES as EXPRESSIONS
from gradlab.estimators.finite_differences import EXAMPLES as FUNCTIONS
from gradlab.widgets.forward_mode import forward_mode_explorer, forward_mode_study
from gradlab.widgets.reverse_mode import reverse_sweep_stepper, sweep_record


def test_builders_exported():
    assert gradlab.widgets.forward_mode_explorer is forward_mode_explorer
    assert gradlab.widgets.reverse_sweep_stepper is reverse_sweep_stepper


# ---------------------------------------------------------------------------------------------
# forward_mode_explorer
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fwd():
    return forward_mode_explorer()


def test_explorer_builds(fwd):
    assert fwd.error is None
    assert fwd.png[:4] == b"\x89PNG"
    assert fwd.view == ("log10_h",)
    assert fwd.result["name"] == fwd.controls["function"].value


def test_h_is_view_only_and_redraws_from_cache(fwd):
    result = fwd.result
    pngs = set()
    for value in [-16.0, -12.0, -8.0, -4.0, -1.0, 0.0]:
        before = fwd.png
        fwd.controls["log10_h"].value = value
        assert fwd.error is None
        assert fwd.result is result  # no recomputation
        assert fwd.png != before
        pngs.add(fwd.png)
    assert len(pngs) == 6


@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_every_function_at_extreme_points_and_directions(fwd, function):
    fwd.controls["function"].value = function
    assert fwd.error is None
    f, dim = FUNCTIONS[function]
    assert fwd.result["dim"] == dim
    assert fwd.controls["y"].disabled == (dim == 1)
    assert fwd.controls["angle"].disabled == (dim == 1)
    for name, values in [("x", [-2.0, 2.0, 0.0]), ("y", [-2.0, 2.0, 0.0]),
                         ("angle", [0.0, 360.0, 135.0])]:
        for value in values:
            before_png, before = fwd.png, fwd.result
            fwd.controls[name].value = value
            assert fwd.error is None, (function, name, value, fwd.error)
            assert fwd.result is not before  # a point or a direction is recomputed
            s = fwd.result
            # the JVP shown is the true directional derivative at the chosen point
            x = s["x"]
            _, expected = gradlab.jvp(f, (x,), (s["v"],))
            assert s["jvp"] == pytest.approx(float(expected))
            if dim == 2 or name == "x":
                assert fwd.png != before_png
    # h at its extremes on every function
    for value in [-16.0, 0.0]:
        fwd.controls["log10_h"].value = value
        assert fwd.error is None


def test_study_direction_follows_the_angle():
    s = forward_mode_study("bowl: x² + 3y²", 1.0, 0.5, 90.0)
    np.testing.assert_allclose(s["v"], [0.0, 1.0], atol=1e-15)
    assert s["jvp"] == pytest.approx(6.0 * 0.5)  # ∂/∂y (x² + 3y²) = 6y
    s = forward_mode_study("sin(x)", 0.3, 0.0, 0.0)
    assert s["jvp"] == pytest.approx(np.cos(0.3))
    # central differences beat forward ones at their best steps
    c = s["curve"]
    assert c["error"]["central"].min() < c["error"]["forward"].min()


# ---------------------------------------------------------------------------------------------
# reverse_sweep_stepper
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stepper():
    return reverse_sweep_stepper()


def test_stepper_builds_on_the_reused_node(stepper):
    assert stepper.error is None
    assert stepper.png[:4] == b"\x89PNG"
    assert set(stepper.view) == {"mode", "seed", "step"}
    record = stepper.result
    assert record["name"].startswith("reused node")
    assert stepper.controls["step"].max == len(record["reverse"].steps) - 1 == 2
    # the end of the reverse sweep holds dc/da = 4
    assert float(record["reverse"].final[0]) == 4.0


@pytest.mark.parametrize("expression", list(EXPRESSIONS))
def test_every_expression_every_step_both_modes(stepper, expression):
    stepper.controls["expression"].value = expression
    assert stepper.error is None
    record = stepper.result
    assert record["name"] == expression
    n_inputs = len(record["graph"].inputs)
    assert [k for _, k in stepper.controls["seed"].options] == list(range(n_inputs))
    for mode in ["reverse", "forward"]:
        stepper.controls["mode"].value = mode
        assert stepper.controls["seed"].disabled == (mode == "reverse")
        sweep = record["reverse"] if mode == "reverse" else record["forward"][0]
        assert stepper.controls["step"].max == len(sweep.steps) - 1
        seen = set()
        for step in [0, stepper.controls["step"].max, 1, 0]:  # extremes and back
            stepper.controls["step"].value = step
            assert stepper.error is None
            assert stepper.result is record  # view only: drawn from the cache
            seen.add(stepper.png)
        assert len(seen) >= 2  # the picture follows the step
    stepper.controls["mode"].value = "forward"
    stepper.controls["step"].value = stepper.controls["step"].max
    pngs = set()
    for seed in range(n_inputs):
        stepper.controls["seed"].value = seed
        assert stepper.error is None
        pngs.add(stepper.png)
    assert len(pngs) == n_inputs  # each seed fills in different tangents
    stepper.controls["mode"].value = "reverse"


def test_switching_to_a_smaller_graph_clamps_the_step(stepper):
    stepper.controls["expression"].value = "neuron: tanh(w1·x1 + w2·x2 + b)"
    stepper.controls["step"].value = stepper.controls["step"].max
    stepper.controls["expression"].value = "reused node: b = a + a; c = b + b"
    assert stepper.error is None
    assert stepper.controls["step"].value <= stepper.controls["step"].max == 2


def test_sweep_record_forward_sweeps_give_the_gradient():
    record = sweep_record("a·b + a  (a used twice)")
    graph = record["graph"]
    f, inputs, _ = EXPRESSIONS["a·b + a  (a used twice)"]
    grad = gradlab.grad(f, argnums=(0, 1))(*inputs)
    # n forward sweeps (one per input) give the n partial derivatives one reverse sweep gives
    fwd = [float(s.final[graph.output]) for s in record["forward"]]
    rev = [float(record["reverse"].final[i]) for i in graph.inputs]
    np.testing.assert_allclose(fwd, grad)
    np.testing.assert_allclose(rev, grad)


def test_views_reuse_the_kept_figure():
    from widget_checks import check_new_result_rebuilds, check_view_reuses_figure

    w = forward_mode_explorer(function="sin(x)")
    check_view_reuses_figure(w, "log10_h", -9.0)  # h: blitted
    check_view_reuses_figure(w, "x", 1.1)  # a new point of the same function: lines moved
    check_new_result_rebuilds(w, function="bowl: x² + 3y²")
    check_view_reuses_figure(w, "log10_h", -2.0)
    s = reverse_sweep_stepper(expression="neuron: tanh(w1·x1 + w2·x2 + b)")
    check_view_reuses_figure(s, "step", 3)
    check_view_reuses_figure(s, "mode", "forward")  # other symbols, same graph: blitted
    check_view_reuses_figure(s, "seed", 2)
    check_new_result_rebuilds(s, expression="reused node: b = a + a; c = b + b")
