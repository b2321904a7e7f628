"""The ``stretto harmonize`` and ``stretto compose`` commands (registered by :mod:`stretto.cli`).

Thin: they check arguments, call :mod:`stretto.solver.harmonize` / :mod:`stretto.solver.form`
(which import OR-Tools and music21 lazily, only when a command runs), check the result with the
independent checker, and write the project folder all or nothing.
"""

from __future__ import annotations

import argparse
import json
import sys

from stretto.errors import BadInput


def _settings(args: argparse.Namespace):
    from stretto.solver.spec import SolveSettings

    return SolveSettings(time_limit=args.time_limit, seed=args.seed, workers=args.workers,
                         objective=not args.no_objective)


def _report(args, result, kind: str, extra: dict, project_kind: str, spec: dict,
            what: str) -> int:
    """Check the result and write the project folder: the score plus the editing data
    (the input as data, the settings, the run), so the editing commands work on it."""
    from pathlib import Path

    from stretto.check import check, hard
    from stretto.io.project import save_project
    from stretto.project import Project
    from stretto.solver.edit import mark_origins

    if result.piece is None:
        print(f"stretto: no score found within the time limit ({args.time_limit:g} s): raise "
              "--time-limit", file=sys.stderr)
        return 1
    run = "r1"
    piece = mark_origins(result.piece, (), run)
    project = Project(piece=piece, spec=spec, kind=project_kind,
                      settings={"time_limit": args.time_limit, "seed": args.seed,
                                "workers": args.workers, "objective": not args.no_objective})
    project = project.with_run(result.stats, run).logged(project_kind, what, run=run)
    violations = check(piece)
    n_hard = len(hard(violations))
    s = result.stats
    previous = Path(args.out) / "score.json"
    paths = save_project(project, args.out, previous_text=previous.read_text(encoding="utf-8")
                         if previous.is_file() else None)
    summary = {"status": result.status, "objective": s.get("objective"),
               "solve_time": s.get("solve_time"), "seed": args.seed,
               "hard_violations": n_hard, "soft_violations": len(violations) - n_hard,
               **extra, "files": {k: str(v) for k, v in paths.items()}}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        obj = "-" if s.get("objective") is None else f"{s['objective']:g}"
        print(f"status {result.status}, objective {obj}, solve time "
              f"{s.get('solve_time', 0):.3f} s (seed {args.seed})")
        for k, v in extra.items():
            if isinstance(v, list):
                print(f"{k}: " + "; ".join(str(x) for x in v))
            else:
                print(f"{k}: {v}")
        print(f"checker: {n_hard} hard, {len(violations) - n_hard} soft violations")
        for v in violations:
            print(f"  [{v.severity}] {v.rule} bar {v.bar} beat {v.beat} "
                  f"({', '.join(v.voices)}): {v.message}")
        print(f"wrote {paths['midi']}, {paths['musicxml']}, {paths['json']}")
    return 0 if n_hard == 0 else 1


def cmd_harmonize(args: argparse.Namespace) -> int:
    from stretto.io.melody import read_melody
    from stretto.solver.harmony import Key

    key = Key.parse(args.key) if args.key else None
    if not 1 <= args.beats_per_chord <= 4:
        raise BadInput(f"--beats-per-chord {args.beats_per_chord}: use 1 to 4")
    settings = _settings(args)
    melody = read_melody(args.melody)
    from stretto.solver.harmonize import harmonize

    from stretto.errors import Unsatisfiable

    try:
        result = harmonize(melody, settings, key=key, beats_per_chord=args.beats_per_chord,
                           ornament=args.ornament)
    except Unsatisfiable:
        # name a minimal set of wishes (a cadence at a phrase end, a voice's range)
        from stretto.solver.chorale_edit import explain_melody

        raise explain_melody(melody, key, args.beats_per_chord, settings) from None
    h = result.piece.info["harmony"] if result.piece is not None else {}
    cads = [f"{c['where']} {c['type']} ({c['key']})" for c in h.get("cadences", [])]
    from stretto.io.melody import melody_to_dict

    spec = {"melody": melody_to_dict(melody), "key": result.stats.get("key"),
            "beats_per_chord": args.beats_per_chord, "ornament": bool(args.ornament)}
    return _report(args, result, "chorale harmonization",
                   {"key": h.get("key"), "cadences": cads}, "harmonize", spec,
                   f"harmonized {melody.title} in {result.stats.get('key')} "
                   f"({len(melody.notes)} melody notes)")


def cmd_compose(args: argparse.Namespace) -> int:
    from pathlib import Path

    from stretto.errors import Unsatisfiable
    from stretto.solver.form import compose, form_from_dict, read_form_data

    data = read_form_data(args.spec)
    name = Path(args.spec).stem
    spec = form_from_dict(data, name)
    saved = {"form": data, "name": name}
    try:
        json.dumps(data)
    except TypeError:
        raise BadInput(f"{args.spec}: use strings, numbers and lists only (no dates)") from None
    settings = _settings(args)
    try:
        result = compose(spec, settings)
    except Unsatisfiable:
        # name a minimal set of the plan's wishes (a cadence, a canon, a voice's range)
        from stretto.solver.chorale_edit import explain_plan

        raise explain_plan("compose", saved, settings) from None
    info = result.piece.info if result.piece is not None else {}
    h = info.get("harmony", {})
    cads = [f"{c['where']} {c['type']} ({c['key']})" for c in h.get("cadences", [])]
    return _report(args, result, "composition", {"key": h.get("key"), "cadences": cads},
                   "compose", saved, f"composed {spec.title} from the plan {name}")


def _common(p: argparse.ArgumentParser, out: str) -> None:
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--time-limit", type=float, default=10.0, help="seconds (deterministic)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--no-objective", action="store_true",
                   help="stop at the first valid score (no style preferences)")
    p.add_argument("--out", default=out, help="project folder to write")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def add_parsers(sub) -> None:
    hz = sub.add_parser("harmonize", help="harmonize a melody in four parts (SATB chorale)")
    hz.add_argument("melody", help="the melody: .musicxml, .mxl, .mid (top part/track)")
    hz.add_argument("--key", help="the key, e.g. 'D minor' or 'F# major' (default: detected)")
    hz.add_argument("--beats-per-chord", type=int, default=1,
                    help="harmonic rhythm: beats per chord (default 1)")
    hz.add_argument("--ornament", action="store_true",
                    help="add passing tones in the lower voices")
    _common(hz, "out/harmonize")
    hz.set_defaults(func=cmd_harmonize)

    cp = sub.add_parser("compose", help="compose from a form plan (TOML: cadences, keys, "
                        "canon, fugue exposition)")
    cp.add_argument("spec", help="the form plan, e.g. examples/canon.toml")
    _common(cp, "out/compose")
    cp.set_defaults(func=cmd_compose)


__all__ = ["add_parsers"]
