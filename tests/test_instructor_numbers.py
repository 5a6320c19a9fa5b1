"""The numbers docs/instructor/exercises.md quotes (exercises 1–5), recomputed.

If a number here changes, the doc is wrong: fix the doc, not the test.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from gradlab.ad.scalar_reverse import Value, backward
from gradlab.estimators.gradient_error import closed_form
from gradlab.exercises import check, e1_rules, e5_synthetic

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "instructor" / "exercises.md").read_text()


def _flat(text):
    return " ".join(text.split())


def test_points_per_question():
    points = []
    for nb in sorted((ROOT / "notebooks" / "exercises" / "instructor").glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            points += [int(line.split(":")[1]) for line in "".join(cell["source"]).splitlines()
                       if line.startswith("points:")]
    assert len(points) >= 6
    assert f"Points: {min(points)}–{max(points)} per question" in DOC


def test_quoted_check_messages():
    """The feedback the doc quotes is what the checks say."""
    from test_exercise_checks import WRONG, _backward_forward_order, _backward_per_path, make_mul

    assert "dc/da came out 0 instead of 4" in check.backward(_backward_forward_order,
                                                            quiet=True).text()
    assert "dc/da came out 8 instead of 4" in check.backward(_backward_per_path,
                                                            quiet=True).text()
    assert "d(x·x)/dx came out 3 instead of 6" in check.mul(make_mul("="), quiet=True).text()
    kept = "you summed over axis 0 but the argument had shape (1, 4): keep its length-1 axis"
    assert kept in WRONG["unbroadcast drops the kept axis"][0]().text()
    flat = _flat(DOC)
    for phrase in ("dc/da came out 0 instead of 4", "dc/da came out 8 instead of 4",
                   "d(x·x)/dx came out 3 instead of 6", kept):
        assert phrase in flat


def test_overflow_case_is_x_800():
    xs = [x for name, arr in e1_rules.FUNCTIONS["softplus"]["x_cases"] if "overflow" in name
          for x in np.ravel(arr)]
    assert 800.0 in xs
    with np.errstate(all="ignore"):
        assert np.isnan(np.exp(800.0) / (1 + np.exp(800.0)))
    assert "NaN at x = 800" in _flat(DOC)


def test_grads_accumulate_over_two_backward_calls():
    a = Value(3.0)
    b = a + a
    c = b + b
    backward(c)
    assert a.grad == 4
    backward(c)
    assert a.grad == 8
    assert "(8 after two calls)" in DOC


def test_jvps_for_ten_percent_error_in_1000_dimensions():
    n = 1000
    rel_mse_one = closed_form(np.ones(n))["relative_mse"]  # (n + 1) for one direction
    K = rel_mse_one / 0.1 ** 2
    assert math.isclose(K, 100 * (n + 1)) and round(math.log10(K)) == 5
    assert "K ≈ 100(n + 1) ≈ 10⁵ JVPs for n = 1000" in _flat(DOC)


def _c_closed(n):
    return (105 + 30 * (n - 1) + 3 * (n * n - 1)) / (n + 2) ** 2 - 1


def test_relative_variance_of_the_squared_norm():
    rng = np.random.default_rng(0)
    cs = {}
    for n in (3, 10, 50):
        a = rng.standard_normal(n)
        v = rng.standard_normal((200_000, n))
        sq = (v @ a) ** 2 * np.sum(v * v, axis=1)
        measured = sq.var() / sq.mean() ** 2
        cs[n] = _c_closed(n)
        assert abs(measured / cs[n] - 1) < 0.1
    flat = _flat(DOC)
    assert (f"c is {cs[3]:.1f} for n = 3, {cs[10]:.1f} for n = 10 and {cs[50]:.1f} for n = 50"
            in flat)
    lo, hi = cs[50] / 0.05 ** 2, cs[3] / 0.05 ** 2
    assert f"S ≈ c/0.05² ≈ {round(lo, -2):.0f}–{round(hi, -2):.0f}" in flat


def test_dni_cosine_against_chance():
    r = e5_synthetic.train_dni(method="dni")
    smooth = e5_synthetic._smooth(r["cosine"])
    later = smooth[100:]
    assert round(float(later.min()), 1) == 0.1 and round(float(later.max()), 1) == 0.3
    start = smooth[:25]
    assert 0.35 < start.min() and start.max() < 0.55
    dim = 32 * 64
    chance = 1 / math.sqrt(dim)
    flat = _flat(DOC)
    assert "32 examples × 64 units = 2048 numbers" in flat
    assert f"1/√2048 ≈ {chance:.3f}" in flat
    assert f"{0.1 / chance:.0f}–{0.3 / chance:.0f} times chance" in flat
