"""gradlab.experiments.claims: the schema is enforced; the table shows what it is given."""

from __future__ import annotations

import json

import pytest

from gradlab.experiments import Claim, claims_table
from gradlab.experiments.claims import VERDICTS, validate_claim
from gradlab.experiments.registry import Experiment, result_record, write_results

GOOD = dict(paper="Czarnecki et al. 2017", claim="cDNI matches backprop at depth 6",
            paper_value="≈ 2 % test error", ours=2.9, spread=0.7, n_seeds=5,
            protocol="digits, 6×128 ReLU, Adam, 20 epochs", verdict="partly",
            why="digits, not MNIST", paper_verified=False)


def test_a_good_claim_validates_and_round_trips():
    c = Claim(**GOOD)
    assert validate_claim(dict(GOOD)) == GOOD
    assert c.verdict in VERDICTS


@pytest.mark.parametrize("field, value, message", [
    ("verdict", "sort of", "is not one of"),
    ("why", "", "needs a why"),
    ("n_seeds", -1, "n_seeds"),
    ("n_seeds", 2.5, "n_seeds"),
    ("ours", [1, 2], "ours must be"),
    ("spread", "big", "spread"),
    ("protocol", "", "protocol"),
])
def test_bad_claims_are_refused_with_the_field_named(field, value, message):
    with pytest.raises(ValueError, match=message):
        validate_claim({**GOOD, field: value})


def test_missing_and_unknown_fields_are_named():
    bad = dict(GOOD)
    del bad["protocol"]
    with pytest.raises(ValueError, match="protocol"):
        validate_claim(bad)
    with pytest.raises(ValueError, match="unknown fields"):
        validate_claim({**GOOD, "colour": "red"})


def test_reproduced_needs_no_why():
    validate_claim({**GOOD, "verdict": "reproduced", "why": ""})


def test_table_shows_every_claim_and_marks_unverified_paper_values():
    other = {**GOOD, "claim": "DNI degrades with depth", "ours": "10.7 %", "spread": None,
             "verdict": "reproduced", "why": "", "paper_verified": True}
    table = claims_table([GOOD, other])
    md, html = str(table), table._repr_html_()
    assert len(table) == 2
    assert "cDNI matches backprop at depth 6" in md and "DNI degrades with depth" in md
    assert "2.9 ± 0.7" in md and "[unverified]" in md
    assert md.count("[unverified]") == 1
    assert html.count("<tr>") == 3  # header + 2 rows


def test_results_json_carries_the_claims_of_each_experiment(tmp_path):
    exp = Experiment("topic/demo", run=lambda **k: {}, plot=lambda r: {},
                     headlines=lambda r: [], claims=lambda r: [Claim(**GOOD)])
    record = result_record(exp, {"config": {}, "seeds": [0]}, 1.0, quick=True)
    assert record["claims"][0]["experiment"] == "topic/demo"
    path = write_results([record], tmp_path)
    data = json.loads(path.read_text())
    assert data["claims"] == record["claims"]
    assert len(claims_table(path)) == 1


def test_a_malformed_claim_fails_the_run():
    exp = Experiment("topic/demo", run=lambda **k: {}, plot=lambda r: {},
                     headlines=lambda r: [], claims=lambda r: [{**GOOD, "verdict": "meh"}])
    with pytest.raises(ValueError, match="is not one of"):
        result_record(exp, {"config": {}, "seeds": []}, 1.0, quick=True)
