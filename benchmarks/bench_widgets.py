"""How fast every widget answers: build time, and redraw time of each view-only control.

    python benchmarks/bench_widgets.py [--values N] [--only NAME] [--quick]

Every builder exported by `gradlab.widgets` (a function returning an `Explorer`) is built with
its default settings (build time = first compute + first draw). Then each control listed in the
explorer's `view` (controls that only redraw the cached result) is stepped through several values,
extremes included, and `last_redraw_s` (wall) and `last_redraw_cpu_s` (CPU) are read after each
step. The table gives the median and the worst wall redraw and the median CPU redraw per control
against the 0.15 s target, and as a ratio to a reference measured in the same run: a full draw
of a blank figure of the same size (one empty axes, constrained layout) to PNG. A redraw that
only blits moved artists can be faster than that reference; one that draws the figure again
cannot.
Nothing here fails on time; a widget that raises or shows an error is reported and makes the
exit code 1.
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import sys
import time
import warnings

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

import gradlab.widgets
from gradlab.widgets.base import Explorer, render_png

TARGET_S = 0.15


def builders() -> dict[str, object]:
    """name -> builder: functions exported by gradlab.widgets that return an Explorer."""
    found = {}
    for name, obj in vars(gradlab.widgets).items():
        if name.startswith("_") or not inspect.isfunction(obj) or obj is render_png:
            continue
        if not obj.__module__.startswith("gradlab.widgets."):
            continue
        if all(p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL,
               p.VAR_KEYWORD) for p in inspect.signature(obj).parameters.values()):
            found[name] = obj
    return dict(sorted(found.items()))


def control_values(control, n: int) -> list:
    """Up to n (attribute, value) steps for a control, extremes included, ending on the current
    value (so consecutive steps always change the control)."""
    current = control.value
    if isinstance(control, W.widgets.widget_int._BoundedInt | W.widgets.widget_float._BoundedFloat):
        lo, hi = control.min, control.max
        raw = np.linspace(lo, hi, n)
        if isinstance(control, W.widgets.widget_int._Int):
            values = sorted({int(round(v)) for v in raw})
        else:
            step = control.step or (hi - lo) / 100
            values = sorted({float(lo + round((v - lo) / step) * step) for v in raw})
            values = [min(max(v, lo), hi) for v in values]
    elif isinstance(control, W.widgets.widget_selection._Selection):
        k = len(control.options)
        idx = sorted({int(round(i)) for i in np.linspace(0, k - 1, min(n, k))})
        return [("index", i) for i in idx if i != control.index] + [("index", control.index)]
    elif isinstance(control, W.Checkbox | W.ToggleButton):
        values = [not current, current]
    else:
        return []
    return [("value", v) for v in values if v != current] + [("value", current)]


def blank_render_s(fig_like: Figure, repeat: int = 5) -> float:
    """Reference: a full draw (not a blit) of a figure of the same size with one empty axes,
    to PNG; best of `repeat`, wall seconds."""
    fig = Figure(figsize=fig_like.get_size_inches(), dpi=fig_like.dpi, layout="constrained")
    fig.add_subplot()
    times = []
    for _ in range(repeat):
        fig.stale = True  # draw it all, as the first render does
        start = time.perf_counter()
        render_png(fig)
        times.append(time.perf_counter() - start)
    return min(times)


def bench_widget(name, builder, n_values: int):
    rows, problems = [], []
    start = time.perf_counter()
    w = builder()
    build_s = time.perf_counter() - start
    if not isinstance(w, Explorer):
        return build_s, None, rows, [f"{name}() returned {type(w).__name__}, not an Explorer"]
    if w.error is not None:
        problems.append(f"{name}(): error with default settings: {w.error!r}")
    reference = blank_render_s(w.fig)
    for cname in w.view:
        control = w.controls[cname]
        original = (control.index if isinstance(control, W.widgets.widget_selection._Selection)
                    else control.value)
        redraws, cpu = [], []
        values = control_values(control, n_values)
        # Few values (a checkbox, two toggle buttons): go round them until n_values redraws.
        cycle = values * max(1, -(-n_values // len(values))) if values else []
        for attr, value in cycle[:max(n_values, len(values))]:
            if getattr(control, "disabled", False):
                break
            w.last_redraw_s = None
            setattr(control, attr, value)
            if w.error is not None:
                problems.append(f"{name}.{cname}={value!r}: {w.error!r}")
                w.error = None
            if w.last_redraw_s is not None:
                redraws.append(w.last_redraw_s)
                cpu.append(w.last_redraw_cpu_s)
        setattr(control, "index" if isinstance(control, W.widgets.widget_selection._Selection)
                else "value", original)
        if redraws:
            rows.append((cname, type(control).__name__, len(redraws),
                         statistics.median(redraws), max(redraws), statistics.median(cpu)))
        else:
            rows.append((cname, type(control).__name__, 0, float("nan"), float("nan"),
                         float("nan")))
    return build_s, reference, rows, problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=8, help="values per control (default 8)")
    parser.add_argument("--only", help="benchmark only this builder")
    parser.add_argument("--quick", action="store_true", help="4 values per control")
    args = parser.parse_args(argv)
    if args.quick:
        args.values = 4
    warnings.simplefilter("ignore")
    found = builders()
    if args.only:
        found = {k: v for k, v in found.items() if k == args.only}
    if not found:
        print("no widget builders found in gradlab.widgets")
        return 1
    print(f"Widget redraw times (target: median ≤ {TARGET_S} s per view-only control); "
          "ref = blank figure of the same size rendered to PNG, this run")
    header = (f"{'widget':32} {'build s':>8} {'control':14} {'type':16} {'n':>3} "
              f"{'median s':>9} {'max s':>7} {'cpu med':>8} {'/target':>7} {'/ref':>6}")
    print(header)
    print("-" * len(header))
    all_problems, slow = [], []
    for name, builder in found.items():
        try:
            build_s, ref, rows, problems = bench_widget(name, builder, args.values)
        except Exception as exc:  # report and go on with the other widgets
            print(f"{name:32} {'ERROR':>8} {type(exc).__name__}: {exc}")
            all_problems.append(f"{name}: {exc!r}")
            continue
        all_problems += problems
        if not rows:
            print(f"{name:32} {build_s:8.2f} {'(no view-only controls)'}")
        for k, (cname, ctype, n, med, worst, med_cpu) in enumerate(rows):
            label = name if k == 0 else ""
            build = f"{build_s:8.2f}" if k == 0 else " " * 8
            if n == 0:
                print(f"{label:32} {build} {cname:14} {ctype:16}   - (disabled at the default "
                      "settings, or no values to step through)")
                continue
            ratio_ref = med / ref if ref else float("nan")
            flag = "  SLOW" if med > TARGET_S else ""
            print(f"{label:32} {build} {cname:14} {ctype:16} {n:3d} {med:9.3f} {worst:7.3f} "
                  f"{med_cpu:8.3f} {med / TARGET_S:7.2f} {ratio_ref:6.1f}{flag}")
            if med > TARGET_S:
                slow.append(f"{name}.{cname}")
        if ref is not None:
            print(f"{'':32} {'':8} {'ref: blank':14} {'full draw':16} {'':3} {ref:9.3f}")
    print()
    print("over target: " + (", ".join(slow) if slow else "none"))
    if all_problems:
        print("problems:")
        for p in all_problems:
            print(f"  - {p}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
