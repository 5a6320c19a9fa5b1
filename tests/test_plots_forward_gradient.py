"""The digits figures of gradlab.plots.forward_gradient on hand-made runs (no training)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from gradlab.plots import forward_gradient as P


def _run(t_end, loss_end, diverged_at=-1):
    """One seed's record: 11 evaluations, loss falling from 2.9 to loss_end by time t_end."""
    t = np.linspace(0, t_end, 11)
    loss = np.linspace(2.9, loss_end, 11)
    if diverged_at >= 0:
        loss[-1] = np.inf
    return {"iterations": np.arange(11) * 10, "time": t, "train_loss": loss,
            "test_accuracy": np.linspace(0.1, 0.5, 11), "diverged_at": diverged_at}


def _result(runs):
    return {"model": "mlp", "seeds": list(range(len(runs))), "runs": {"forward K=1": runs}}


def test_time_axis_mean_ends_when_every_seed_has_a_point():
    fig = Figure()
    ax = fig.subplots()
    runs = [_run(1.0, 2.0), _run(1.5, 0.6), _run(0.3, 2.5, diverged_at=30)]
    mean = P.digits_lines([ax], _result(runs), ["train_loss"], "time")[0]
    x, y = mean.get_xdata(), mean.get_ydata()
    assert x[-1] == 1.0  # the first finished seed's end, not the slowest seed's (1.5)
    # past the diverged seed's stop the mean is over both finished seeds, to the end:
    # no jump to the slower seed alone
    late = x > 0.3
    expected = (np.interp(x[late], runs[0]["time"], runs[0]["train_loss"])
                + np.interp(x[late], runs[1]["time"], runs[1]["train_loss"])) / 2
    np.testing.assert_allclose(y[late], expected)


def test_time_axis_with_every_seed_diverged_ends_with_the_last():
    fig = Figure()
    ax = fig.subplots()
    runs = [_run(0.2, 2.5, diverged_at=20), _run(0.4, 2.5, diverged_at=40)]
    mean = P.digits_lines([ax], _result(runs), ["train_loss"], "time")[0]
    assert mean.get_xdata()[-1] == 0.4


def test_loss_axis_labels_are_plain_numbers():
    fig = Figure()
    axes = np.atleast_1d(fig.subplots(1, 2))
    result = _result([_run(1.0, 1.8), _run(1.2, 1.7)])
    P.digits_lines(axes, result, ["train_loss", "test_accuracy"], "iteration")
    P.digits_y_axes(axes, ["train_loss", "test_accuracy"])
    fig.canvas.draw()
    labels = [t.get_text() for t in axes[0].get_yticklabels(minor=True)
              + axes[0].get_yticklabels() if t.get_text()]
    assert {"2"} <= set(labels), labels  # the axis spans under a decade: 1.7 to 2.9
    assert all(set(s) <= set("0123456789.-e") for s in labels), labels  # not 2×10⁰
