"""Run HIPS autograd 1.9.1's own numpy tests against gradlab, through a thin stand-in.

    python benchmarks/autograd_suite/run_autograd_suite.py /path/to/autograd-1.9.1 [--verbose]

The path is an unpacked autograd 1.9.1 source distribution
(`pip download autograd==1.9.1 --no-binary :all: --no-deps`, then `tar xzf`); nothing is
downloaded here and none of autograd's files are copied into gradlab.

The stand-in is a fake `autograd` package, written to a temporary directory and put first on
sys.path, that maps autograd's public API onto gradlab's:

    autograd.grad, value_and_grad, jacobian     -> gradlab.grad, value_and_grad, jacrev
    autograd.numpy                              -> gradlab.numpy (nothing else: a function
                                                   gradlab lacks is an AttributeError)
    autograd.numpy.random                       -> numpy.random (constants, not traced)
    autograd.test_util.check_grads, combo_check -> gradlab.testing.check_grads

Cases on complex numbers are excluded (gradlab is real-only): a check_grads call on complex
arguments is skipped, and a test none of whose checks were real counts as "excluded complex".
Every test file is run by pytest in a child process; each test's outcome is then sorted into
passed / missing function / deliberately unsupported / wrong answer / error / excluded complex.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

TEST_FILES = ["test_numpy.py", "test_binary_ops.py", "test_scalar_ops.py", "test_systematic.py",
              "test_truediv.py", "test_jacobian.py"]

AUTOGRAD_INIT = '''
import gradlab


def grad(fun, argnum=0):
    return gradlab.grad(fun, argnums=argnum)


def value_and_grad(fun, argnum=0):
    return gradlab.value_and_grad(fun, argnums=argnum)


def jacobian(fun, argnum=0):
    return gradlab.jacrev(fun, argnums=argnum)
'''

NUMPY_INIT = '''
import numpy as _onp
import gradlab.numpy as _gnp
from . import random  # numpy.random: constants only, never traced
__version__ = _onp.__version__


def __getattr__(name):
    try:
        return getattr(_gnp, name)
    except AttributeError:
        raise AttributeError(f"MISSING: gradlab.numpy has no attribute {name!r}") from None
'''

TEST_UTIL = '''
from itertools import product

import numpy as _onp

from gradlab.testing import check_grads as _check_grads

# How many real and complex checks the current test asked for (reset before each test by
# the plugin): a test that asked only for complex ones is "excluded complex".
COUNTS = {"real": 0, "complex": 0}


def _is_complex(x):
    if isinstance(x, (list, tuple)):
        return any(_is_complex(a) for a in x)
    if isinstance(x, dict):
        return any(_is_complex(a) for a in x.values())
    return _onp.iscomplexobj(x)


def check_grads(f, argnum=0, modes=("fwd", "rev"), order=2):
    """autograd's curried check_grads(f, argnum, modes, order)(*args, **kwargs) on gradlab."""
    argnums = (argnum,) if isinstance(argnum, int) else tuple(argnum)

    def run(*args, **kwargs):
        if _is_complex(args) or _is_complex(kwargs):
            COUNTS["complex"] += 1  # excluded: gradlab is real-only
            return
        COUNTS["real"] += 1
        args = list(args)

        def g(*chosen):
            full = list(args)
            for i, c in zip(argnums, chosen):
                full[i] = c
            return f(*full, **kwargs)

        _check_grads(g, tuple(args[i] for i in argnums), modes=tuple(modes), order=order)

    return run


def combo_check(fun, *args, **kwargs):
    """Every combination of the given argument and keyword values, as in autograd."""
    def _combo_check(*arg_lists, **kwarg_lists):
        kwarg_key_vals = [[(k, x) for x in xs] for k, xs in kwarg_lists.items()]
        for _args in product(*arg_lists):
            for _kwargs in product(*kwarg_key_vals):
                check_grads(fun, *args, **kwargs)(*_args, **dict(_kwargs))
    return _combo_check
'''

PLUGIN = '''
import json
import os

import pytest

_RESULTS = {}


def pytest_runtest_setup(item):
    from autograd.test_util import COUNTS
    COUNTS.update(real=0, complex=0)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" or (rep.when == "setup" and not rep.passed):
        info = {"outcome": rep.outcome, "type": "", "message": ""}
        if call.excinfo is not None:
            info["type"] = call.excinfo.typename
            info["message"] = str(call.excinfo.value)[:400]
        from autograd.test_util import COUNTS
        info["complex_checks_skipped"] = COUNTS["complex"]
        if rep.passed and COUNTS["complex"] and not COUNTS["real"]:
            info["outcome"] = "excluded-complex"
        _RESULTS[item.nodeid] = info


def pytest_sessionfinish(session):
    with open(os.environ["GRADLAB_SUITE_RESULTS"], "w") as f:
        json.dump(_RESULTS, f, indent=1)
'''


def build_standin(root: Path) -> None:
    """Write the fake autograd package (and the result-collecting plugin) under root."""
    (root / "autograd" / "numpy").mkdir(parents=True)
    (root / "autograd" / "__init__.py").write_text(AUTOGRAD_INIT)
    (root / "autograd" / "numpy" / "__init__.py").write_text(NUMPY_INIT)
    (root / "autograd" / "numpy" / "random.py").write_text("from numpy.random import *\n")
    (root / "autograd" / "test_util.py").write_text(TEST_UTIL)
    (root / "gradlab_suite_plugin.py").write_text(PLUGIN)
    (root / "pytest.ini").write_text("[pytest]\n")


def classify(info: dict) -> str:
    """passed / excluded-complex / missing / unsupported / wrong / error, from one outcome."""
    if info["outcome"] == "passed":
        return "passed"
    message, kind = info["message"], info["type"]
    if info["outcome"] == "excluded-complex":
        return "excluded-complex"
    if info["outcome"] == "skipped":
        return "skipped"
    if "MISSING:" in message:
        return "missing"
    if kind in ("NotSupportedError", "NonScalarOutputError") or (
            kind == "UnsupportedOperationError" and "not supported" in message):
        return "unsupported"  # gradlab says clearly that it does not do this, on purpose
    if kind in ("AssertionError", "GradientCheckError"):
        return "wrong"
    return "error"


def run_suite(sdist: Path, verbose: bool = False) -> dict:
    """Run the six files against gradlab; return {nodeid: (category, info)}."""
    tests_dir = sdist / "tests"
    missing = [f for f in TEST_FILES if not (tests_dir / f).exists()]
    if missing:
        raise SystemExit(f"{tests_dir} lacks {missing}: is this an autograd 1.9.1 sdist?")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_standin(root)
        results_file = root / "results.json"
        env = dict(os.environ, GRADLAB_SUITE_RESULTS=str(results_file),
                   PYTHONPATH=os.pathsep.join([str(root), str(tests_dir),
                                               os.environ.get("PYTHONPATH", "")]))
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "-p", "gradlab_suite_plugin", "-c", str(root / "pytest.ini"),
               "--rootdir", str(tests_dir), "-W", "ignore",
               *[str(tests_dir / f) for f in TEST_FILES]]
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
        if verbose:
            print(proc.stdout[-4000:], proc.stderr[-2000:])
        if not results_file.exists():
            raise SystemExit(f"pytest did not finish:\n{proc.stdout[-3000:]}\n{proc.stderr}")
        raw = json.loads(results_file.read_text())
    return {nodeid: (classify(info), info) for nodeid, info in raw.items()}


def summarise(results: dict) -> dict:
    counts: dict[str, int] = {}
    for category, _ in results.values():
        counts[category] = counts.get(category, 0) + 1
    real = len(results) - counts.get("excluded-complex", 0)
    counts["total"] = len(results)
    counts["non-complex"] = real
    counts["tests with complex checks skipped"] = sum(
        1 for _, info in results.values() if info.get("complex_checks_skipped"))
    counts["pass rate (non-complex)"] = round(counts.get("passed", 0) / max(real, 1), 4)
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sdist", type=Path, help="an unpacked autograd-1.9.1 source tree")
    parser.add_argument("--verbose", action="store_true", help="list every non-passing case")
    args = parser.parse_args(argv)
    results = run_suite(args.sdist, args.verbose)
    counts = summarise(results)
    for category in ("wrong", "error", "missing", "unsupported", "skipped"):
        cases = [(n, i) for n, (c, i) in sorted(results.items()) if c == category]
        if cases and (args.verbose or category in ("wrong", "error")):
            print(f"--- {category} ({len(cases)})")
            for nodeid, info in cases:
                print(f"  {nodeid.split('::')[-1]:40s} {info['type']}: "
                      f"{info['message'].splitlines()[0][:110] if info['message'] else ''}")
    print(json.dumps(counts, indent=1))
    return counts


if __name__ == "__main__":
    main()
