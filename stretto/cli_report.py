"""How a first solve is reported on the command line (``species``, ``harmonize``,
``compose``): the project written by :func:`stretto.app.create.new_project`, then a summary
(``--json``: as data), the checker's verdict and the files."""

from __future__ import annotations

import argparse
import json
import sys


def write_first_run(args: argparse.Namespace, result, *, spec: dict, kind: str, what: str,
                    extra: dict | None = None) -> int:
    """A new project's first solve (species, harmonize, compose): check the score, write the
    project folder with its editing data (the input as data, the settings, run r1) all or
    nothing, and report on stdout (``--json``: as data). ``extra``: lines of the report
    (key, cadences). Exit code: 0 clean, 1 a hard violation or no score in time."""
    if result.piece is None:
        print(f"stretto: no score found within the time limit ({args.time_limit:g} s): raise "
              "--time-limit", file=sys.stderr)
        return 1
    from stretto.app.create import new_project
    from stretto.solver.cpsat.settings import SolveSettings

    extra = extra or {}
    settings = SolveSettings(time_limit=args.time_limit, seed=args.seed, workers=args.workers,
                             objective=not args.no_objective)
    from stretto.licence_sources import inputs_of_args

    made = new_project(args.out, result, spec=spec, kind=kind, what=what, settings=settings,
                       inputs=inputs_of_args(args, kind))
    violations, n_hard, paths = made.violations, made.hard, made.files
    summary = {
        "status": result.status, "objective": result.objective, "bound": result.bound,
        "solve_time": result.stats.get("solve_time"), "seed": args.seed,
        "hard_violations": n_hard, "soft_violations": len(violations) - n_hard,
        **extra, "files": {k: str(v) for k, v in paths.items()},
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0 if n_hard == 0 else 1
    obj = "-" if result.objective is None else f"{result.objective:g}"
    print(f"status {result.status}, objective {obj}, solve time "
          f"{result.stats.get('solve_time', 0):.3f} s (seed {args.seed})")
    for k, v in extra.items():
        print(f"{k}: " + ("; ".join(str(x) for x in v) if isinstance(v, list) else str(v)))
    print(f"checker: {n_hard} hard, {len(violations) - n_hard} soft violations")
    for v in violations:
        print(f"  [{v.severity}] {v.rule} bar {v.bar} beat {v.beat} ({', '.join(v.voices)}): "
              f"{v.message}")
    print(f"wrote {paths['midi']}, {paths['musicxml']}, {paths['json']}")
    return 0 if n_hard == 0 else 1


__all__ = ["write_first_run"]
