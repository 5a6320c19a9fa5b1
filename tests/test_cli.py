"""The `gradlab` command: list, run NAME / topic / --all, results.json schema, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gradlab import cli
from gradlab.experiments import registry

ROOT = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RECORD_KEYS = {"experiment", "description", "quick", "config", "seeds", "runtime_s",
               "headlines", "figures"}
HEADLINE_KEYS = {"name", "value", "unit", "spread", "n_seeds", "paper_value", "paper_verified",
                 "note"}


def _check_schema(record):
    assert RECORD_KEYS <= set(record), RECORD_KEYS - set(record)
    assert isinstance(record["config"], dict)
    assert isinstance(record["seeds"], list)
    assert isinstance(record["runtime_s"], (int, float)) and record["runtime_s"] >= 0
    assert record["headlines"], "every experiment quotes at least one number"
    for h in record["headlines"]:
        assert HEADLINE_KEYS <= set(h), HEADLINE_KEYS - set(h)
        assert isinstance(h["name"], str) and h["name"]


def test_list_groups_by_topic(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "jacobian-cost" in out  # a topic header on its own line
    line = next(ln for ln in out if "jacobian-cost/jacobian-cost" in ln)
    assert line.startswith("  ") and "Jacobian" in line  # indented, with a description
    for name in registry.names():
        assert any(name in ln for ln in out)


def test_python_dash_m_gradlab_lists():
    done = subprocess.run([sys.executable, "-m", "gradlab", "list"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "jacobian-cost/jacobian-cost" in done.stdout


def test_run_topic_quick_writes_pngs_and_results(tmp_path, capsys):
    out = tmp_path / "figs"
    assert cli.main(["run", "jacobian-cost", "--quick", "--out", str(out)]) == 0
    data = json.loads((out / "results.json").read_text())
    records = data["experiments"]
    assert [r["experiment"] for r in records] == ["jacobian-cost/jacobian-cost"]
    record = records[0]
    _check_schema(record)
    assert record["quick"] is True
    assert record["seeds"] == [0]
    assert record["config"]["clock"] in ("cpu", "wall")
    assert all(h["paper_value"] is None for h in record["headlines"])
    assert len(record["figures"]) >= 2
    for name in record["figures"]:
        assert (out / name).read_bytes()[:8] == PNG_MAGIC
    assert sorted(p.name for p in out.glob("*.png")) == sorted(record["figures"])
    names = {h["name"]: h["value"] for h in record["headlines"]}
    counted = next(v for k, v in names.items() if k.startswith("JVPs counted"))
    assert counted == 1.0
    agreement = next(v for k, v in names.items() if "autograd" in k)
    assert agreement < 1e-9
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["jacobain-cost", "jacobian-cost/nope", "zzz"])
def test_unknown_name_exits_2_with_one_line(name, capsys):
    assert cli.main(["run", name, "--quick"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert repr(name) in err
    if name != "zzz":
        assert "did you mean" in err and "jacobian-cost" in err
    else:
        assert "gradlab list" in err


def test_unknown_name_from_the_console_script(tmp_path):
    done = subprocess.run([sys.executable, "-m", "gradlab", "run", "jacobian-cots"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "jacobian-cost" in done.stderr
    assert not (tmp_path / "results").exists()


def test_run_needs_a_name_or_all(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["run"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        cli.main(["run", "jacobian-cost", "--all"])
    assert info.value.code == 2


# --- with a registry of tiny fake experiments (fast, and independent of other topics) -------

def _fake(name, fail=False, calls=None):
    def run(quick=False, progress=None):
        if calls is not None:
            calls.append(name)
        if fail:
            raise RuntimeError("boom")
        for k in range(3):
            if progress:
                progress(k + 1, 3)
        return {"config": {"quick": quick}, "seeds": [1, 2], "value": len(name)}

    def plot(results):
        from matplotlib.figure import Figure

        fig = Figure(figsize=(2, 2))
        fig.add_subplot().plot([0, results["value"]])
        return {"main": fig}

    def headlines(results):
        return [registry.Headline("length", float(results["value"]), "chars", spread=0.0,
                                  n_seeds=2)]

    return registry.Experiment(name, run, plot, headlines, f"fake {name}\nsecond line")


@pytest.fixture
def fake_registry(monkeypatch):
    calls = []
    fakes = {n: _fake(n, calls=calls) for n in ("alpha/one", "alpha/two", "beta/three")}
    fakes["gamma/bad"] = _fake("gamma/bad", fail=True, calls=calls)
    monkeypatch.setattr(registry, "_REGISTRY", fakes)
    return calls


def test_topic_runs_all_of_its_experiments(fake_registry, tmp_path, capsys):
    assert cli.main(["run", "alpha", "--out", str(tmp_path)]) == 0
    assert fake_registry == ["alpha/one", "alpha/two"]
    records = json.loads((tmp_path / "results.json").read_text())["experiments"]
    assert [r["experiment"] for r in records] == ["alpha/one", "alpha/two"]
    for r in records:
        _check_schema(r)
        assert r["seeds"] == [1, 2] and r["quick"] is False
    assert (tmp_path / "alpha__one__main.png").read_bytes()[:8] == PNG_MAGIC


def test_results_of_other_experiments_are_kept(fake_registry, tmp_path):
    assert cli.main(["run", "alpha/one", "--out", str(tmp_path)]) == 0
    assert cli.main(["run", "beta/three", "alpha/one", "--quick", "--out", str(tmp_path)]) == 0
    records = json.loads((tmp_path / "results.json").read_text())["experiments"]
    assert sorted(r["experiment"] for r in records) == ["alpha/one", "beta/three"]
    assert all(r["quick"] for r in records)  # alpha/one was replaced, not duplicated


def test_all_runs_everything_and_reports_failures(fake_registry, tmp_path, capsys):
    assert cli.main(["run", "--all", "--quick", "--out", str(tmp_path)]) == 1
    assert sorted(fake_registry) == ["alpha/one", "alpha/two", "beta/three", "gamma/bad"]
    err = capsys.readouterr().err
    assert "gamma/bad: FAILED" in err and "boom" in err
    records = json.loads((tmp_path / "results.json").read_text())["experiments"]
    assert len(records) == 3


def test_list_shows_first_line_of_description(fake_registry, capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "fake alpha/one" in out and "second line" not in out
    assert out.index("alpha\n") < out.index("beta\n") < out.index("gamma\n")


def test_progress_callback_feeds_the_bar():
    progress = cli._Progress("test")
    try:
        progress(2, 5)
        assert progress.bar.total == 5 and progress.bar.n == 2
    finally:
        progress.close()


def test_nothing_imports_the_cli():
    offenders = []
    for path in (ROOT / "gradlab").rglob("*.py"):
        if path.name in ("cli.py", "__main__.py"):
            continue
        text = path.read_text()
        if "gradlab.cli" in text or "from .cli" in text or "from . import cli" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders
