"""The registry of named experiments, and the one schema every `results.json` follows.

An experiment is three plain functions registered under a name "topic/name":
- run(quick=False, progress=None) -> dict: computes results (arrays, numbers). The dict must
  contain "config" (a dict of settings) and "seeds" (a list of ints; [] if deterministic).
  `progress(done, total)` may be called to report progress.
- plot(results) -> dict[str, matplotlib Figure]: one entry per PNG to write.
- headlines(results) -> list[Headline]: the numbers worth quoting, ours beside the paper's.
- claims(results) -> list[Claim] (optional): each headline claim of a paper, our number and the
  verdict of our protocol (schema and table in `gradlab.experiments.claims`).
Notebooks call the same functions as the command line does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path

import numpy as np

from .claims import validate_claim


@dataclass
class Headline:
    """One quoted number: our value (mean and spread over seeds) beside the paper's, if any."""

    name: str
    value: float
    unit: str = ""
    spread: float | None = None  # standard deviation over seeds, when there is randomness
    n_seeds: int | None = None
    paper_value: float | str | None = None
    paper_verified: bool | None = None  # None when there is no paper value
    note: str = ""


@dataclass
class Experiment:
    name: str
    run: Callable[..., dict]
    plot: Callable[[dict], dict]
    headlines: Callable[[dict], list]
    description: str = ""
    quick_note: str = field(default="")
    claims: Callable[[dict], list] | None = None

    @property
    def topic(self):
        return self.name.split("/")[0]


_REGISTRY: dict[str, Experiment] = {}


def register(name, *, plot, headlines, claims=None, description=""):
    """Decorator: register `run` as experiment `name` ("topic/name")."""
    if "/" not in name:
        raise ValueError(f"experiment names are 'topic/name', got {name!r}")

    def deco(run):
        doc = description or (run.__doc__ or "").strip()
        _REGISTRY[name] = Experiment(name, run, plot, headlines, doc, claims=claims)
        return run

    return deco


def names():
    """All registered experiment names, sorted."""
    return sorted(_REGISTRY)


def get(name):
    """The experiment called `name`."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no experiment named {name!r}; known: {', '.join(names())}") from None


def select(name):
    """The experiments a name refers to: one experiment, or every experiment of a topic."""
    if name in _REGISTRY:
        return [_REGISTRY[name]]
    chosen = [e for e in _REGISTRY.values() if e.topic == name]
    if not chosen:
        topics = sorted({e.topic for e in _REGISTRY.values()})
        raise KeyError(f"no experiment or topic named {name!r}. Topics: {', '.join(topics)}; "
                       f"experiments: {', '.join(names())}")
    return sorted(chosen, key=lambda e: e.name)


def mean_and_spread(values):
    """(mean, sample std) of the finite values over seeds; std None for one value, mean NaN for
    none: what a Headline's `value` and `spread` hold."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if not x.size:
        return float("nan"), None
    return float(x.mean()), (float(x.std(ddof=1)) if x.size > 1 else None)


def new_figure(size=(11, 4.2)):
    """A matplotlib Figure for the command line's PNGs (no pyplot state)."""
    from matplotlib.figure import Figure

    return Figure(figsize=size, layout="constrained")


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, float) and not np.isfinite(x):
        return None if np.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def result_record(experiment, results, runtime_s, quick):
    """The results.json record of one run (the schema shared by every experiment)."""
    return _jsonable({
        "experiment": experiment.name,
        "description": experiment.description,
        "quick": quick,
        "config": results.get("config", {}),
        "seeds": list(results.get("seeds", [])),
        "runtime_s": round(runtime_s, 3),
        "headlines": [asdict(h) for h in experiment.headlines(results)],
        "claims": [validate_claim({**(asdict(c) if is_dataclass(c) else c),
                                   "experiment": experiment.name})
                   for c in (experiment.claims(results) if experiment.claims else [])],
    })


def run_and_save(experiment, out_dir, quick=False, progress=None):
    """Run one experiment, write its figures (PNG) and return its results.json record."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    results = experiment.run(quick=quick, progress=progress)
    runtime = time.perf_counter() - start
    record = result_record(experiment, results, runtime, quick)
    figures = experiment.plot(results)
    record["figures"] = []
    for fig_name, fig in figures.items():
        path = out_dir / f"{experiment.name.replace('/', '__')}__{fig_name}.png"
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        record["figures"].append(path.name)
    return record


def write_results(records, out_dir):
    """Write a list of records as out_dir/results.json."""
    path = Path(out_dir) / "results.json"
    claims = [c for r in records for c in r.get("claims", [])]
    path.write_text(json.dumps({"experiments": records, "claims": claims}, indent=2))
    return path
