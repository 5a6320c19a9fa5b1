"""Run every benchmarks/bench_*.py in turn, each in its own interpreter (`make bench`).

    python benchmarks/run_all.py [--quick] [NAME ...]    # NAME: e.g. ad for bench_ad.py

Each benchmark prints its own table of ratios against references measured in the same run.
A benchmark that crashes is reported and the others still run; the exit code is 1 if any did.
Slowness never fails anything: benchmarks are not timed tests.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmarks(names=()):
    found = sorted(HERE.glob("bench_*.py"))
    if names:
        wanted = {n if n.startswith("bench_") else f"bench_{n}" for n in names}
        wanted = {w.removesuffix(".py") for w in wanted}
        missing = wanted - {p.stem for p in found}
        if missing:
            raise SystemExit(f"run_all: no benchmark named {', '.join(sorted(missing))}; "
                             f"have {', '.join(p.stem for p in found)}")
        found = [p for p in found if p.stem in wanted]
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="run only these (e.g. ad, widgets)")
    parser.add_argument("--quick", action="store_true",
                        help="pass --quick to benchmarks that accept it (fewer repeats)")
    args = parser.parse_args(argv)
    failed = []
    paths = benchmarks(args.names)
    for path in paths:
        print(f"=== {path.name} " + "=" * max(0, 70 - len(path.name)), flush=True)
        cmd = [sys.executable, str(path)]
        if args.quick and "--quick" in path.read_text():
            cmd.append("--quick")
        start = time.perf_counter()
        status = subprocess.run(cmd, cwd=HERE.parent).returncode
        elapsed = time.perf_counter() - start
        if status != 0:
            failed.append(path.name)
            print(f"--- {path.name} FAILED (exit {status}) after {elapsed:.1f} s", flush=True)
        else:
            print(f"--- {path.name} done in {elapsed:.1f} s", flush=True)
        print(flush=True)
    print(f"run_all: {len(paths) - len(failed)} of {len(paths)} benchmark(s) ran"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
