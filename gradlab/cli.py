"""The `gradlab` command: regenerate every figure and headline number without Jupyter.

    gradlab list                              the experiments, grouped by topic
    gradlab run NAME [--quick] [--out DIR]    NAME is "topic/name" or a topic (all its experiments)
    gradlab run --all [--quick] [--out DIR]   every experiment

Figures are written as PNG and the headline numbers as DIR/results.json (default DIR: results/).
Nothing imports this module: it is the outermost layer.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import threading
import time
from pathlib import Path

SHOW_AFTER_S = 1.0  # progress bars appear only for runs longer than this


class _Progress:
    """A tqdm bar fed by `progress(done, total)` callbacks, shown only after SHOW_AFTER_S.

    A small ticker keeps the elapsed time moving for experiments that report no progress.
    """

    def __init__(self, desc):
        from tqdm.auto import tqdm

        self.start = time.perf_counter()
        self.bar = tqdm(total=None, desc=desc, delay=SHOW_AFTER_S, file=sys.stderr,
                        leave=False, dynamic_ncols=True)
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()

    def __call__(self, done, total):
        if self.bar.total != total:
            self.bar.total = total
        self.bar.n = done
        if time.perf_counter() - self.start >= SHOW_AFTER_S:
            self.bar.refresh()

    def _tick(self):
        while not self._stop.wait(0.5):
            if time.perf_counter() - self.start >= SHOW_AFTER_S:
                self.bar.refresh()

    def close(self):
        self._stop.set()
        self._ticker.join()
        self.bar.close()


def _registry():
    from . import experiments  # imports every experiment module, which registers itself

    return experiments.registry


def _first_line(text):
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def cmd_list(args, out=None):
    out = out or sys.stdout
    reg = _registry()
    by_topic = {}
    for name in reg.names():
        by_topic.setdefault(reg.get(name).topic, []).append(reg.get(name))
    width = max((len(n) for n in reg.names()), default=0)
    for topic in sorted(by_topic):
        print(topic, file=out)
        for exp in by_topic[topic]:
            print(f"  {exp.name:<{width}}  {_first_line(exp.description)}", file=out)
    if not by_topic:
        print("(no experiments registered)", file=out)
    return 0


class UnknownName(Exception):
    pass


def _choose(reg, name):
    """The experiments NAME refers to, or UnknownName with the closest known names."""
    try:
        return reg.select(name)
    except KeyError:
        pass
    topics = sorted({reg.get(n).topic for n in reg.names()})
    known = topics + reg.names()
    close = difflib.get_close_matches(name, known, n=4, cutoff=0.5)
    close += [k for k in known if name.lower() in k.lower() and k not in close]
    hint = (f"did you mean: {', '.join(close[:5])}?" if close
            else "run `gradlab list` to see the experiments")
    raise UnknownName(f"no experiment or topic named {name!r}; {hint}")


def _merge_records(out_dir, records):
    """Records already in out_dir/results.json for other experiments, then the new ones."""
    path = Path(out_dir) / "results.json"
    new_names = {r["experiment"] for r in records}
    kept = []
    if path.exists():
        try:
            old = json.loads(path.read_text()).get("experiments", [])
            kept = [r for r in old if isinstance(r, dict) and r.get("experiment") not in new_names]
        except (ValueError, AttributeError):
            kept = []
    return kept + records


def _format_value(h):
    value = h.get("value")
    if isinstance(value, float):
        value = f"{value:.4g}"
    spread = h.get("spread")
    spread = f" ± {spread:.2g}" if isinstance(spread, float) else ""
    return f"{value}{spread} {h.get('unit') or ''}".rstrip()


def cmd_run(args, out=None):
    out = out or sys.stdout
    reg = _registry()
    if args.all:
        chosen = [reg.get(n) for n in reg.names()]
    else:
        chosen, seen = [], set()
        for name in args.names:
            for exp in _choose(reg, name):
                if exp.name not in seen:
                    seen.add(exp.name)
                    chosen.append(exp)
    out_dir = Path(args.out)
    records, failed = [], []
    for exp in chosen:
        progress = _Progress(exp.name)
        try:
            record = reg.run_and_save(exp, out_dir, quick=args.quick, progress=progress)
        except Exception as exc:  # report and go on with the others
            progress.close()
            failed.append(exp.name)
            print(f"{exp.name}: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        progress.close()
        records.append(record)
        print(f"{exp.name}  ({record['runtime_s']:.1f} s)", file=out)
        for h in record["headlines"]:
            print(f"    {h['name']}: {_format_value(h)}", file=out)
        for fig in record["figures"]:
            print(f"    figure: {out_dir / fig}", file=out)
    if records:
        path = reg.write_results(_merge_records(out_dir, records), out_dir)
        print(f"wrote {path}", file=out)
    if failed:
        print(f"gradlab: {len(failed)} experiment(s) failed: {', '.join(failed)}",
              file=sys.stderr)
        return 1
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="gradlab", description="Run gradlab's experiments headless: figures and numbers.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{list,run}")
    p_list = sub.add_parser("list", help="list the experiments, grouped by topic")
    p_list.set_defaults(func=cmd_list)
    p_run = sub.add_parser("run", help="run experiments; write PNG figures and results.json",
                           description="NAME is an experiment (topic/name) or a topic.")
    p_run.add_argument("names", nargs="*", metavar="NAME",
                       help="experiment 'topic/name' or a topic (runs all of its experiments)")
    p_run.add_argument("--all", action="store_true", help="run every experiment")
    p_run.add_argument("--quick", action="store_true",
                       help="small settings that finish in seconds (for checks and slides drafts)")
    p_run.add_argument("--out", default="results", metavar="DIR",
                       help="folder for the PNG figures and results.json (default: results/)")
    p_run.set_defaults(func=cmd_run)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "run" and not args.all and not args.names:
        parser.exit(2, "gradlab run: error: give an experiment or topic NAME, or --all\n")
    if args.command == "run" and args.all and args.names:
        parser.exit(2, "gradlab run: error: give NAMEs or --all, not both\n")
    try:
        return args.func(args)
    except UnknownName as exc:
        print(f"gradlab: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
