"""The ``stretto harmonize`` and ``stretto compose`` commands (registered by :mod:`stretto.cli`).

Thin: they check arguments, call :mod:`stretto.solver.harmonize` / :mod:`stretto.solver.form`
(which import OR-Tools and music21 lazily, only when a command runs), check the result with the
independent checker, and write the project folder all or nothing.
"""

from __future__ import annotations

import argparse
import json

from stretto.errors import BadInput
from stretto import cli_args


def _settings(args: argparse.Namespace):
    from stretto.solver.spec import SolveSettings

    return SolveSettings(time_limit=args.time_limit, seed=args.seed, workers=args.workers,
                         objective=not args.no_objective)


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
    from stretto.cli import write_first_run

    return write_first_run(args, result, spec=spec, kind="harmonize",
                           what=f"harmonized {melody.title} in {result.stats.get('key')} "
                                f"({len(melody.notes)} melody notes)",
                           extra={"key": h.get("key"), "cadences": cads})


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
    from stretto.cli import write_first_run

    return write_first_run(args, result, spec=saved, kind="compose",
                           what=f"composed {spec.title} from the plan {name}",
                           extra={"key": h.get("key"), "cadences": cads})


def _common(p: argparse.ArgumentParser, out: str) -> None:
    p.add_argument("--seed", type=cli_args.seed, default=0)
    p.add_argument("--time-limit", type=cli_args.time_limit,
                   default=10.0, help="seconds (deterministic)")
    p.add_argument("--workers", type=cli_args.workers, default=1)
    p.add_argument("--no-objective", action="store_true",
                   help="stop at the first valid score (no style preferences)")
    p.add_argument("--out", type=cli_args.folder, default=out, help="project folder to write")
    p.add_argument("--force", action="store_true",
                   help="--out may hold other files: move them into a dated backup first")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def add_parsers(sub) -> None:
    hz = sub.add_parser("harmonize", help="harmonize a melody in four parts (SATB chorale)")
    hz.add_argument("melody", help="the melody: .musicxml, .mxl, .mid (top part/track)")
    hz.add_argument("--key", type=cli_args.key,
                    help="the key, e.g. 'D minor' or 'F# major' (default: detected)")
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
