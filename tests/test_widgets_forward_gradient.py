"""The forward-gradient explorers, headless: every control, extremes included, never raises.

Each test moves controls, (presses Run where there is a Run button) and checks that the result
and the PNG changed and that `w.error is None`. View-only controls must redraw from the cache.
"""

from __future__ import annotations

import numpy as np
import pytest
from widget_checks import run_and_check, set_controls, toggle_view

from gradlab.widgets.forward_gradient import (
    beale_rosenbrock_explorer,
    digits_training_explorer,
    forward_gradient_cosine_explorer,
)

# ----------------------------------------------------------------------------------------
# (a) cosine / relative error histogram
# ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cos_w():
    return forward_gradient_cosine_explorer()


def test_cosine_explorer_builds(cos_w):
    assert cos_w.error is None and cos_w.png[:4] == b"\x89PNG"
    assert cos_w.run_button is None
    r = cos_w.result
    assert r["n"] == 100 and r["K"] == 1 and r["cosines"].size == 2000


def test_cosine_explorer_view(cos_w):
    toggle_view(cos_w, "quantity")


@pytest.mark.parametrize("values", [
    {"n": 2}, {"n": 5000}, {"K": 64}, {"K": 1}, {"n": 2, "K": 64},
    {"distribution": "rademacher"}, {"distribution": "gaussian"}, {"seed": 20}, {"seed": 0},
    {"n": 100},
])
def test_cosine_explorer_controls(cos_w, values):
    r = run_and_check(cos_w, **values)
    for k, v in values.items():
        assert r[k] == v
    assert np.all(np.isfinite(r["cosines"]))


def test_cosine_explorer_relative_error_at_extremes(cos_w):
    set_controls(cos_w, quantity="relative error", n=5000, K=64, distribution="rademacher")
    assert cos_w.error is None
    set_controls(cos_w, quantity="cosine", n=100, K=1, distribution="gaussian")


# ----------------------------------------------------------------------------------------
# (b) Beale / Rosenbrock
# ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tf_w():
    return beale_rosenbrock_explorer()


def test_beale_rosenbrock_explorer_builds(tf_w):
    assert tf_w.error is None and tf_w.run_button is not None and tf_w.progress.value == 1.0
    r = tf_w.result
    assert r["function"] == "beale" and r["fgd"]["steps"] == 1000
    assert r["fgd"]["path"].shape[0] == 5


def test_beale_rosenbrock_explorer_view(tf_w):
    toggle_view(tf_w, "x_axis")


def test_choosing_a_function_resets_its_settings(tf_w):
    set_controls(tf_w, function="rosenbrock")
    assert tf_w.controls["lr"].value == pytest.approx(5e-4)
    assert tf_w.controls["steps"].value == 25_000
    set_controls(tf_w, steps=1000)
    r = run_and_check(tf_w)
    assert r["function"] == "rosenbrock"
    set_controls(tf_w, function="beale")
    assert tf_w.controls["lr"].value == pytest.approx(0.01)
    run_and_check(tf_w)


def test_huge_learning_rate_is_drawn_as_divergence(tf_w):
    r = run_and_check(tf_w, lr=1.0)
    assert np.all(r["fgd"]["diverged_at"] >= 0) and r["gd"]["diverged_at"][0] >= 0
    toggle_view(tf_w, "x_axis")  # drawing a diverged run, against time too


@pytest.mark.parametrize("values", [
    {"lr": 1e-5, "steps": 100}, {"K": 8, "lr": 0.01}, {"K": 1}, {"n_seeds": 1}, {"n_seeds": 10},
    {"seed": 100}, {"seed": 0, "steps": 300},
])
def test_beale_rosenbrock_explorer_controls(tf_w, values):
    set_controls(tf_w, function="beale")
    r = run_and_check(tf_w, **values)
    if "n_seeds" in values:
        assert r["fgd"]["path"].shape[0] == values["n_seeds"]
    if "seed" in values:
        assert r["fgd"]["seeds"][0] == values["seed"]


@pytest.mark.slow
def test_beale_rosenbrock_explorer_longest_run(tf_w):
    set_controls(tf_w, function="rosenbrock")
    r = run_and_check(tf_w, steps=25_000, n_seeds=2)
    assert r["fgd"]["steps"] == 25_000 and r["fgd"]["loss"][:, -1].max() < 1e-2


# ----------------------------------------------------------------------------------------
# (c) digits training curves
# ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dg_w():
    return digits_training_explorer()


def test_digits_explorer_builds(dg_w):
    assert dg_w.error is None and dg_w.run_button is not None
    r = dg_w.result
    assert r["model"] == "mlp" and list(r["runs"]) == ["backprop", "forward K=1", "activity"]
    assert all(len(v) == 2 for v in r["runs"].values())


@pytest.mark.parametrize("name", ["metric", "x_axis"])
def test_digits_explorer_view(dg_w, name):
    toggle_view(dg_w, name)


def test_digits_explorer_no_method_selected(dg_w):
    r = run_and_check(dg_w, methods=(), steps=50, n_seeds=1)
    assert r["runs"] == {}


def test_digits_explorer_huge_learning_rate_diverges_quietly(dg_w):
    r = run_and_check(dg_w, methods=("backprop", "forward K=1"), lr_scale=100.0, steps=50,
                       n_seeds=1, model="mlp")
    assert all(runs[0]["diverged_at"] >= 0 for runs in r["runs"].values())
    toggle_view(dg_w, "metric")


@pytest.mark.parametrize("values", [
    {"lr_scale": 0.01, "methods": ("activity",), "steps": 50, "n_seeds": 1},
    {"model": "logreg", "methods": ("backprop",), "lr_scale": 1.0, "steps": 2000},
    {"model": "logreg", "methods": ("forward K=4",), "steps": 50, "n_seeds": 5},
    {"model": "mlp", "methods": ("forward K=4", "backprop"), "steps": 50, "n_seeds": 1},
])
def test_digits_explorer_controls(dg_w, values):
    r = run_and_check(dg_w, **values)
    assert r["model"] == dg_w.controls["model"].value
    assert set(r["runs"]) == set(dg_w.controls["methods"].value)
    assert len(r["seeds"]) == dg_w.controls["n_seeds"].value
    assert all(run["steps"] == dg_w.controls["steps"].value
               for runs in r["runs"].values() for run in runs)


def test_views_reuse_the_kept_figure(cos_w, dg_w):
    from widget_checks import check_new_result_rebuilds, check_view_reuses_figure

    set_controls(cos_w, quantity="cosine")
    set_controls(cos_w, quantity="relative error")  # both drawn once: switching builds nothing
    check_view_reuses_figure(cos_w, "quantity", "cosine", blitted=False)
    check_new_result_rebuilds(cos_w, n=10)
    set_controls(dg_w, model="logreg", methods=("backprop",), steps=50, n_seeds=1)
    dg_w.run()
    set_controls(dg_w, x_axis="time")
    check_view_reuses_figure(dg_w, "x_axis", "iteration", blitted=False)
