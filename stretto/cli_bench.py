"""The ``stretto bench`` command (registered by :mod:`stretto.cli`): measure any polyphony,
compare systems, write report.md, report.json and plots. Heavy work is in
:mod:`stretto.analysis.bench`, imported only when the command runs."""

from __future__ import annotations

import argparse
import sys
import time

from stretto.errors import BadInput
from stretto import cli_args


def cmd_bench(args: argparse.Namespace) -> int:
    from stretto.analysis.bench import file_jobs, run_local, run_ray, suite_jobs
    from stretto.analysis.report import build_report, summary_text, write_report

    if not args.inputs and not args.suite:
        raise BadInput("give score files or folders, or --suite NAME")
    jobs = file_jobs(args.inputs)
    suites = []
    for spec in args.suite or []:
        name, *rest = spec
        if name != "fux" and rest:
            raise BadInput(f"--suite {name} takes no path")
        suites.append(name if not rest else f"{name} {rest[0]}")
        jobs += suite_jobs(name, seed=args.seed, fux_root=rest[0] if rest else None,
                           limit=args.limit, count=args.count, time_limit=args.time_limit,
                           chorales=args.chorales, chorale_time_limit=args.chorale_time_limit)
    if not jobs:
        raise BadInput("no score files found in the inputs")
    start = time.perf_counter()
    progress = not args.quiet
    if args.ray:
        results = run_ray(jobs, args.ray, progress=progress)
        runner = {"runner": "ray", "address": args.ray}
    else:
        import os

        workers = args.workers if args.workers is not None else min(os.cpu_count() or 1, 8)
        workers = min(workers, len(jobs))
        results = run_local(jobs, workers=workers, progress=progress)
        runner = {"runner": "local", "workers": workers}
    config = {"inputs": list(args.inputs), "suites": suites, "seed": args.seed,
              "limit": args.limit, "count": args.count, "time_limit": args.time_limit,
              "chorales": args.chorales, "chorale_time_limit": args.chorale_time_limit}
    report = build_report(results, config, {**runner,
                                            "wall_seconds": time.perf_counter() - start})
    paths = write_report(report, args.out)
    for e in report["errors"]:
        print(f"stretto: skipped {e['system']}/{e['piece']}: {e['error']}", file=sys.stderr)
    if not args.quiet:
        print(summary_text(report))
        print(f"{len(jobs)} pieces in {report['timing']['wall_seconds']:.1f} s; wrote "
              + ", ".join(str(p) for p in paths.values()))
    return 0


def add_parsers(sub) -> None:
    bp = sub.add_parser("bench", help="measure and compare polyphony (voice independence, "
                        "harmony, melody, structure) against Bach and Fux")
    bp.add_argument("inputs", nargs="*", help="score files or folders (a folder is one system)")
    bp.add_argument("--suite", action="append", nargs="+", metavar="NAME",
                    help="bach | fux PATH | stretto-species | stretto-chorales | baselines "
                    "(repeatable)")
    bp.add_argument("--out", default="out/bench", help="report folder (default out/bench)")
    bp.add_argument("--workers", type=cli_args.workers, default=None,
                    help="local worker processes (default: one per CPU, at most 8)")
    bp.add_argument("--ray", metavar="ADDRESS", help="run on a Ray cluster (or 'auto')")
    bp.add_argument("--seed", type=cli_args.seed, default=0, help="seed of generated suites")
    bp.add_argument("--limit", type=int, help="at most this many pieces per suite system")
    bp.add_argument("--count", type=int, default=20, help="pieces per baseline generator")
    bp.add_argument("--time-limit", type=cli_args.time_limit, default=1.0,
                    help="deterministic solver limit per stretto-species piece (s)")
    bp.add_argument("--chorales", type=int, default=8,
                    help="Bach melodies stretto-chorales harmonizes (default 8)")
    bp.add_argument("--chorale-time-limit", type=float, default=8.0,
                    help="deterministic solver limit per stretto-chorales piece (s)")
    bp.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    bp.set_defaults(func=cmd_bench)
