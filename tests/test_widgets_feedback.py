"""The synthetic-gradient explorers, headless: every control, extremes included, never raises.

Each test moves controls, presses Run where there is a Run button, and checks that the result
and the PNG changed and that `w.error is None`. View-only controls must redraw from the cache.
"""

from __future__ import annotations

import numpy as np
import pytest
from widget_checks import run_and_check, toggle_view

import gradlab.widgets
from gradlab.methods import feedback as fb
from gradlab.widgets.synthetic_gradients import (
    WIDTH,
    _train,
    feedback_explorer,
    pipeline_explorer,
    sg_module_explorer,
)


def test_builders_are_exported():
    assert gradlab.widgets.feedback_explorer is feedback_explorer
    assert gradlab.widgets.sg_module_explorer is sg_module_explorer
    assert gradlab.widgets.pipeline_explorer is pipeline_explorer


# ----------------------------------------------------------------------------------------
# (a) method and depth
# ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def train_w():
    return feedback_explorer()


def test_training_explorer_builds(train_w):
    w = train_w
    assert w.error is None and w.png[:4] == b"\x89PNG" and w.run_button is not None
    r = w.result
    assert set(r["runs"]) == {"cdni", "backprop"}
    assert r["runs"]["cdni"]["cos_delta"].shape[1] == 4  # 3 hidden layers + output
    np.testing.assert_allclose(r["runs"]["backprop"]["cos_delta"], 1.0)
    assert r["runs"]["backprop"]["test_error"][-1] < 0.3


def test_training_explorer_views(train_w):
    toggle_view(train_w, "metric")
    before = train_w.png
    train_w.controls["smooth"].value = 1
    assert train_w.png != before and train_w.error is None
    train_w.controls["smooth"].value = 50
    assert train_w.error is None


def test_training_explorer_keeps_its_figure_for_views_and_rebuilds_for_a_result(train_w):
    axes = list(train_w.fig.axes)
    toggle_view(train_w, "metric")
    train_w.controls["smooth"].value = 3
    assert train_w.fig.axes == axes  # the same Axes objects: moved in place, not drawn anew
    run_and_check(train_w, epochs=2)
    assert not set(map(id, train_w.fig.axes)) & set(map(id, axes))


def test_training_explorer_kickback_runs_in_its_own_setting(train_w):
    r = run_and_check(train_w, method="kickback", depth=2, epochs=1, lr=1e-3)
    assert r["method"] == "kickback" and r["task"] == "value"  # ReLU, one output, regression
    np.testing.assert_allclose(r["runs"]["kickback"]["cos_delta"][:, 1], 1.0)  # last hidden
    for run in r["runs"].values():  # kickback and its backprop: the same regression task
        assert run["cos_delta"].shape[1] == 3 and np.isnan(run["test_error"]).all()
        assert run["test_loss"][-1] < run["test_loss"][0]


def test_training_explorer_offers_the_frozen_control_and_it_freezes_the_hidden_layers(train_w):
    assert "frozen" in [value for _, value in train_w.controls["method"].options]
    r = run_and_check(train_w, method="frozen", depth=2, epochs=1, lr=1e-3)
    cos = r["runs"]["frozen"]["cos_delta"]
    np.testing.assert_allclose(cos[:, :2], 0.0)  # no signal reaches the hidden layers
    np.testing.assert_allclose(cos[:, 2], 1.0)  # the output layer learns by backprop
    # the trained network's hidden weights are still the initial ones, its output layer's are not
    trained = _train("frozen", 2, 1e-3, 1, 0)["network"].layers
    x_tr, y_tr, _, _ = fb.digits_task(seed=0)
    start = fb.FeedbackNetwork([x_tr.shape[1], WIDTH, WIDTH, y_tr.shape[1]], "frozen",
                               np.random.default_rng(1000), act="tanh").layers
    for before, after in zip(start[:-1], trained[:-1]):
        np.testing.assert_array_equal(after["W"], before["W"])
        np.testing.assert_array_equal(after["b"], before["b"])
    assert np.abs(trained[-1]["W"] - start[-1]["W"]).max() > 1e-3


@pytest.mark.slow
def test_training_explorer_every_method(train_w):
    for method in ("backprop", "fa", "dfa", "dni"):
        r = run_and_check(train_w, method=method, depth=2, epochs=1, lr=1e-3)
        assert r["method"] == method


def test_training_explorer_extremes(train_w):
    r = run_and_check(train_w, method="fa", depth=1, epochs=1, lr=10.0, seed=9)
    assert r["lr"] == 10.0  # a huge step: drawn (diverged or not), never an exception
    r = run_and_check(train_w, method="cdni", depth=6, epochs=1, lr=1e-4, seed=0)
    assert r["runs"]["cdni"]["cos_delta"].shape[1] == 7


@pytest.mark.slow
def test_training_explorer_longest(train_w):
    r = run_and_check(train_w, method="dfa", depth=6, epochs=20, lr=1e-3)
    assert len(r["runs"]["dfa"]["test_error"]) == 21


# ----------------------------------------------------------------------------------------
# (b) the SG module
# ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sg_w():
    return sg_module_explorer()


def test_sg_explorer_builds_and_the_top_module_learns(sg_w):
    assert sg_w.error is None and sg_w.png[:4] == b"\x89PNG"
    r = sg_w.result["run"]
    assert r["sg_loss"].shape[1] == 3
    assert r["sg_cos"][-20:, -1].mean() > 0.5  # the top module points along ∂L/∂h₃


def test_sg_explorer_extremes(sg_w):
    run_and_check(sg_w, kind="mlp", sg_lr=1.0, depth=6, epochs=1, conditioned=False)
    run_and_check(sg_w, kind="linear", lam=0.0, depth=1, bootstrap=False)
    run_and_check(sg_w, lam=1.0, depth=3, bootstrap=True, conditioned=True, sg_lr=3e-3)


def test_sg_explorer_views(sg_w):
    toggle_view(sg_w, "layer")
    before = sg_w.png
    sg_w.controls["smooth"].value = 1
    assert sg_w.png != before and sg_w.error is None


def test_sg_explorer_keeps_its_figure_for_views_and_rebuilds_for_a_result(sg_w):
    axes, result = list(sg_w.fig.axes), sg_w.result
    lines = [ln for ax in axes for ln in ax.lines]
    toggle_view(sg_w, "layer")
    sg_w.controls["smooth"].value = 25
    assert sg_w.fig.axes == axes and [ln for ax in axes for ln in ax.lines] == lines
    assert sg_w.result is result
    run_and_check(sg_w, depth=2, epochs=1)
    assert not set(map(id, sg_w.fig.axes)) & set(map(id, axes))


def test_sg_explorer_shows_the_chosen_modules_only(sg_w):
    loss_ax = sg_w.fig.axes[0]
    n = sg_w.result["settings"]["depth"]
    for layer, shown in (("top", [n - 1]), ("bottom", [0]), ("all", list(range(n)))):
        sg_w.controls["layer"].value = layer
        assert [i for i, ln in enumerate(loss_ax.lines) if len(ln.get_xdata())] == shown


@pytest.mark.slow
def test_sg_explorer_every_control(sg_w):
    run_and_check(sg_w, kind="mlp", epochs=1)
    run_and_check(sg_w, conditioned=False)
    run_and_check(sg_w, bootstrap=False)
    r = run_and_check(sg_w, lam=0.0)  # all true gradient: the layers train like backprop
    assert r["settings"]["lam"] == 0.0
    run_and_check(sg_w, lam=0.5, depth=1)
    run_and_check(sg_w, sg_lr=1.0, depth=6, epochs=1)  # huge module η: never an exception
    run_and_check(sg_w, sg_lr=1e-5, depth=2)
    toggle_view(sg_w, "layer")


# ----------------------------------------------------------------------------------------
# (c) the pipeline schedule
# ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pipe_w():
    return pipeline_explorer()


def test_pipeline_explorer_builds(pipe_w):
    assert pipe_w.error is None and pipe_w.run_button is None
    m = pipe_w.result["model"]
    assert m["total"] == pytest.approx(12 / 3.5)  # 4 × (1 + 2) over max(1 + 2 + 0.5, 1 + 2)
    assert m["total"] == pytest.approx(m["work"] * m["parallel"])


def test_pipeline_explorer_extremes(pipe_w):
    r = run_and_check(pipe_w, n_layers=16, update_prob=0.05, sg_cost=5.0, n_batches=12)
    assert r["model"]["total"] > 1
    run_and_check(pipe_w, n_layers=1, update_prob=1.0, sg_cost=0.5, n_batches=5)
    assert pipe_w.result["model"]["total"] == pytest.approx(1.0)  # one device: nothing gained
    run_and_check(pipe_w, n_layers=4)


def test_pipeline_explorer_draws_each_view_once(pipe_w):
    pipe_w.controls["show"].value = "schedule"
    pipe_w.controls["show"].value = "speedup"
    axes = list(pipe_w.fig.axes)
    shown = [ax for ax in axes if ax.get_visible() and ax.get_figure().get_visible()]
    assert len(axes) == 4 and len(shown) == 2 and shown[0].get_xlabel().startswith("layers")
    before = pipe_w.png
    pipe_w.controls["show"].value = "schedule"  # built already: shown again, nothing new
    assert pipe_w.fig.axes == axes and pipe_w.png != before
    gantt = [ax for ax in axes if ax.get_figure().get_visible()]
    assert len(gantt) == 2 and not set(gantt) & set(shown)
    assert gantt[0].get_ylabel() == ""  # Gantt rows are labelled by their ticks
    assert [t.get_text() for t in gantt[0].get_yticklabels()][0] == "layer 1"
    run_and_check(pipe_w, n_batches=4)  # a new result: a new figure
    assert not set(map(id, pipe_w.fig.axes)) & set(map(id, axes))


@pytest.mark.slow
def test_pipeline_explorer_every_control_and_extremes(pipe_w):
    for name, values in {"n_layers": (1, 16, 3), "forward": (0.1, 5.0, 1.0),
                         "backward": (0.1, 10.0, 2.0), "sg_cost": (0.0, 5.0, 0.5),
                         "update_prob": (0.05, 1.0, 0.5), "n_batches": (1, 12, 5)}.items():
        for v in values:
            if pipe_w.controls[name].value == v:
                continue
            run_and_check(pipe_w, **{name: v})
    toggle_view(pipe_w, "show")
    assert pipe_w.last_redraw_s is not None
