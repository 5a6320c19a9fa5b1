"""A paper's headline claims beside our measurement of them, and the table a notebook ends with.

Every experiment may return `claims(results) -> list[Claim]`; `gradlab run` writes them into
results.json (per experiment and all together under "claims"), and a method notebook ends with
`claims_table(...)` drawn from those entries, never typed by hand.

    Claim(paper="Czarnecki et al. 2017", claim="cDNI matches backprop at depth 6",
          paper_value="≈ 2 % test error [unverified]", paper_verified=False,
          ours="2.9 %", spread=0.7, n_seeds=5,
          protocol="digits, 6×128 ReLU, Adam 3e-4, 20 epochs",
          verdict="reproduced", why="")

A verdict is one of VERDICTS; `why` is required unless the verdict is "reproduced".
Shipped results (the full runs a notebook loads instead of running them) live in
gradlab/experiments/results/<topic>.json: `shipped_results(topic)` reads one.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

VERDICTS = ("reproduced", "partly", "not reproduced", "not tested")
SHIPPED_DIR = Path(__file__).parent / "results"
FIELDS = ("paper", "claim", "paper_value", "ours", "spread", "n_seeds", "protocol", "verdict",
          "why", "paper_verified")


@dataclass
class Claim:
    """One headline claim of a paper, our number for it, and the verdict of our protocol."""

    paper: str            # "Czarnecki et al. 2017"
    claim: str            # the claim in one line
    paper_value: str      # the paper's number or statement, as text
    ours: float | str     # our measurement (mean over seeds, or text)
    spread: float | None  # sd over seeds, or None
    n_seeds: int
    protocol: str         # one line: model, data, method settings
    verdict: str          # one of VERDICTS
    why: str = ""         # one line; required unless reproduced
    paper_verified: bool | None = None  # False: the paper's number is second-hand [unverified]

    def __post_init__(self):
        validate_claim(asdict(self))


def validate_claim(entry):
    """Raise ValueError naming the field if `entry` (a dict) does not follow the claims schema."""
    if not isinstance(entry, dict):
        raise ValueError(f"a claim is a dict with fields {FIELDS}, got {type(entry).__name__}")
    missing = [f for f in FIELDS[:8] if f not in entry]
    if missing:
        raise ValueError(f"claim {entry.get('claim', '?')!r} lacks {missing}")
    unknown = sorted(set(entry) - set(FIELDS) - {"experiment"})
    if unknown:
        raise ValueError(f"claim {entry['claim']!r} has unknown fields {unknown}")
    for f in ("paper", "claim", "paper_value", "protocol"):
        if not isinstance(entry[f], str) or not entry[f].strip():
            raise ValueError(f"claim {entry.get('claim')!r}: {f} must be non-empty text")
    if entry["verdict"] not in VERDICTS:
        raise ValueError(f"claim {entry['claim']!r}: verdict {entry['verdict']!r} is not one of "
                         f"{VERDICTS}")
    if entry["verdict"] != "reproduced" and not str(entry.get("why") or "").strip():
        raise ValueError(f"claim {entry['claim']!r}: verdict {entry['verdict']!r} needs a why")
    ours = entry["ours"]
    if isinstance(ours, bool) or not isinstance(ours, (int, float, str)) and ours is not None:
        raise ValueError(f"claim {entry['claim']!r}: ours must be a number or text, got {ours!r}")
    if ours is None and entry["verdict"] != "not tested":
        raise ValueError(f"claim {entry['claim']!r}: ours is missing but the verdict is "
                         f"{entry['verdict']!r}")
    spread = entry["spread"]
    if spread is not None and (isinstance(spread, bool) or not isinstance(spread, (int, float))):
        raise ValueError(f"claim {entry['claim']!r}: spread must be a number or None")
    n = entry["n_seeds"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"claim {entry['claim']!r}: n_seeds must be an int >= 0, got {n!r}")
    return entry


def _fmt(x, digits=3):
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    if isinstance(x, float) and not math.isfinite(x):
        return "diverged" if math.isinf(x) else "NaN"
    return f"{x:.{digits}g}"


class ClaimsTable:
    """The claims as a table: HTML in a notebook, markdown in text (`str`)."""

    COLUMNS = ("paper", "claim", "paper_value", "ours", "n_seeds", "protocol", "verdict", "why")
    HEADERS = ("paper", "claim", "paper", "ours (± sd)", "seeds", "protocol", "verdict", "why")

    def __init__(self, entries):
        self.entries = [validate_claim(dict(e)) for e in entries]

    def rows(self):
        """One list of cell texts per claim, in COLUMNS order."""
        out = []
        for e in self.entries:
            ours = _fmt(e["ours"])
            if e["spread"] is not None:
                ours += f" ± {_fmt(e['spread'], 2)}"
            paper = e["paper_value"] + (" [unverified]" if e.get("paper_verified") is False
                                        and "unverified" not in e["paper_value"] else "")
            out.append([e["paper"], e["claim"], paper, ours, str(e["n_seeds"]), e["protocol"],
                        e["verdict"], e.get("why") or ""])
        return out

    def __len__(self):
        return len(self.entries)

    def _repr_markdown_(self):
        lines = ["| " + " | ".join(self.HEADERS) + " |", "|" + " --- |" * len(self.HEADERS)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"
                  for row in self.rows()]
        return "\n".join(lines)

    __str__ = _repr_markdown_

    def _repr_html_(self):
        head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>"
                       for h in self.HEADERS)
        body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(c)}</td>"
                                        for c in row) + "</tr>" for row in self.rows())
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def claims_table(source):
    """A ClaimsTable from Claims, claim dicts, a results.json record or a whole results.json."""
    if isinstance(source, (str, Path)):
        source = json.loads(Path(source).read_text())
    if isinstance(source, dict):
        source = source.get("claims", [])
    return ClaimsTable([asdict(c) if isinstance(c, Claim) else c for c in source])


def shipped_results(topic):
    """The shipped results.json of a topic's full run (gradlab/experiments/results/TOPIC.json)."""
    path = SHIPPED_DIR / f"{topic}.json"
    if not path.exists():
        known = sorted(p.stem for p in SHIPPED_DIR.glob("*.json"))
        raise FileNotFoundError(f"no shipped results for {topic!r} (have: {known}); run "
                                f"`gradlab run {topic}` to produce them")
    return json.loads(path.read_text())


def experiment_record(results, name):
    """The record of experiment `name` ("topic/name") in a results.json dict."""
    for record in results.get("experiments", []):
        if record["experiment"] == name:
            return record
    have = [r["experiment"] for r in results.get("experiments", [])]
    raise KeyError(f"no {name} in these results (have: {have})")
