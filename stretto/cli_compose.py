"""The ``stretto harmonize`` and ``stretto compose`` commands (registered by :mod:`stretto.cli`).

Thin: they check arguments, call :mod:`stretto.solver.tonal.harmonize` / :mod:`stretto.solver.tonal.form`
(which import OR-Tools and music21 lazily, only when a command runs), check the result with the
independent checker, and write the project folder all or nothing.
"""

from __future__ import annotations

import argparse
import json

from stretto.errors import BadInput
from stretto import cli_args


def _settings(args: argparse.Namespace):
    from stretto.solver.cpsat.settings import SolveSettings

    return SolveSettings(time_limit=args.time_limit, seed=args.seed, workers=args.workers,
                         objective=not args.no_objective)


def cmd_harmonize(args: argparse.Namespace) -> int:
    from stretto.harmony import Key

    key = Key.parse(args.key) if args.key else None
    if args.beats_per_chord is not None and not 1 <= args.beats_per_chord <= 4:
        raise BadInput(f"--beats-per-chord {args.beats_per_chord}: use 1 to 4")
    if args.ornament and args.rhythm == "free":
        raise BadInput("--ornament and --rhythm free: give one (free rhythms include the "
                       "passing tones)")
    settings = _settings(args)
    from stretto.licence_sources import read_melody_input

    melody, args.melody_input = read_melody_input(args.melody, licence=args.licence)
    from stretto.solver.tonal.harmonize import harmonize

    from stretto.errors import Unsatisfiable

    melody, key, moved = _into_soprano_range(melody, key, args.transpose)

    per = args.beats_per_chord or 1
    rhythm = None
    try:
        result = harmonize(melody, settings, key=key, beats_per_chord=per,
                           ornament=args.ornament, style=args.style, rhythm=args.rhythm)
    except Unsatisfiable as first:
        # unless told otherwise, a melody that cannot take a chord on every beat (fast
        # dance tunes) gets one every two beats, and says so
        result = None
        if args.beats_per_chord is None:
            try:
                result = harmonize(melody, settings, key=key, beats_per_chord=2,
                                   ornament=args.ornament, style=args.style,
                                   rhythm=args.rhythm)
                per, rhythm = 2, ("a chord every 2 beats (one on every beat cannot hold: "
                                  f"{str(first).split(':')[0]}; --beats-per-chord 1 insists)")
            except Unsatisfiable:
                pass
        if result is None:
            # name a minimal set of wishes (a cadence at a phrase end, a voice's range)
            from stretto.solver.tonal.chorale_explain import explain_melody

            raise explain_melody(melody, key, per, settings, args.style) from None
    h = result.piece.info["harmony"] if result.piece is not None else {}
    cads = [f"{c['where']} {c['type']} ({c['key']})" for c in h.get("cadences", [])]
    from stretto.io.melody import melody_to_dict

    spec = {"melody": melody_to_dict(melody), "key": result.stats.get("key"),
            "beats_per_chord": per, "ornament": bool(args.ornament)}
    if args.style != "chorale":  # the harmonic style, kept for regenerate and edits
        spec["style"] = args.style
    if args.rhythm != "chords":  # the lower voices' own rhythms, kept for edits
        spec["rhythm"] = args.rhythm
    extra = {"key": h.get("key"), "cadences": cads}
    if rhythm is not None:
        extra["harmonic rhythm"] = rhythm
    if result.stats.get("uncadenced"):
        extra["phrase ends without a cadence (no cadence of the key holds the melody's note "
              "there)"] = result.stats["uncadenced"]
    if moved is not None:  # kept with the project: the way back to the melody as given
        from stretto.pitch import Transposition
        from stretto.solver.tonal.harmonize import transpose_key

        used = Key.parse(str(result.stats.get("key")))  # the key tried first may not be it
        back = Transposition(moved["generic"], moved["semitones"]).inverse()
        moved = {**moved, "to_key": str(used), "from_key": str(transpose_key(used, back))}
        spec["transpose"] = moved
        extra["transposed"] = _moved_words(moved)
    from stretto.cli_report import write_first_run

    return write_first_run(args, result, spec=spec, kind="harmonize",
                           what=f"harmonized {melody.title} in {result.stats.get('key')} "
                                f"({len(melody.notes)} melody notes)"
                                + (f", transposed {moved['interval']}" if moved else ""),
                           extra=extra)


def _into_soprano_range(melody, key, how: str | None):
    """The melody (and ``--key``) moved by ``--transpose`` (``auto``: the smallest move into
    the soprano's range), with the record kept in the project, or None when not moved.
    Unsatisfiable (exit 3) when the melody, as given or as moved, leaves the range."""
    from stretto.pitch import Transposition
    from stretto.solver.tonal.harmonize import (auto_transposition, melody_key, melody_span,
        range_conflict, transpose_key, transpose_melody)

    if how is None:
        conflict = range_conflict(melody, key)
        if conflict is not None:
            raise conflict
        return melody, key, None
    original = key or melody_key(melody)
    move = auto_transposition(melody, key) if how == "auto" else Transposition.parse(how)
    if move is None:  # auto: nothing fits, the melody spans more than the range
        raise range_conflict(melody, key)
    conflict = range_conflict(melody, key, move=move)
    if conflict is not None:
        raise conflict
    moved = transpose_melody(melody, move)
    if move.generic == 0 and move.semitones == 0:
        return melody, key, None  # auto, and already in range: nothing to record
    new_key = transpose_key(original, move)
    (low, high), (low2, high2) = melody_span(melody), melody_span(moved)
    record = {"interval": move.name, "generic": move.generic, "semitones": move.semitones,
              "undo": move.inverse().name, "from_key": str(original), "to_key": str(new_key),
              "from_range": f"{low.name}-{high.name}", "to_range": f"{low2.name}-{high2.name}",
              "auto": how == "auto"}
    return moved, (transpose_key(key, move) if key is not None else None), record


def _moved_words(record: dict) -> str:
    """``up a perfect fourth (the melody G3-D5 now C4-G5, G major now C major; back: -P4)``."""
    from stretto.pitch import Transposition

    move = Transposition(record["generic"], record["semitones"])
    return (f"{move.words()} (the melody {record['from_range']} now {record['to_range']}, "
            + (f"{record['from_key']} kept" if record["semitones"] % 12 == 0 else
               f"{record['from_key']} now {record['to_key']}") + f"; back: {record['undo']})")


def cmd_compose(args: argparse.Namespace) -> int:
    from pathlib import Path

    from stretto.errors import Unsatisfiable
    from stretto.solver.tonal.form import compose, form_from_dict, read_form_data

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
        from stretto.solver.tonal.chorale_explain import explain_plan

        raise with_plan_fixes(explain_plan("compose", saved, settings)) from None
    info = result.piece.info if result.piece is not None else {}
    h = info.get("harmony", {})
    cads = [f"{c['where']} {c['type']} ({c['key']})" for c in h.get("cadences", [])]
    from stretto.cli_report import write_first_run

    return write_first_run(args, result, spec=saved, kind="compose",
                           what=f"composed {spec.title} from the plan {name}",
                           extra={"key": h.get("key"), "cadences": cads})


def plan_fix(wish: str) -> str | None:
    """What to change in a form plan so that ``wish`` (one member of a minimal conflicting
    set, as :func:`stretto.solver.tonal.chorale_explain.explain_plan` words it) no longer binds."""
    if wish.startswith("the range of "):
        name = wish[len("the range of "):].split(":")[0]
        return f"widen the range of {name} ([[voice]] range)"
    if wish.startswith("the canon "):
        return "give the canon another interval or delay, or end it earlier ([[canon]])"
    if " cadence at " in wish:
        where = wish.split(" cadence at ", 1)[1]
        return f"move or drop the cadence at {where} ([[cadence]])"
    if wish.startswith("the fugue's "):
        return "change the fugue's subject or the answer's entry ([fugue])"
    if wish.startswith(("the recurrence", "the return", "the invertible")):
        return "drop or move that recurrence in the plan"
    return None


def with_plan_fixes(exc):
    """A first compose that cannot hold: the minimal set of the plan's wishes it names, and
    what to change. Each wish is needed for the conflict (the set is minimal), so relaxing
    any one of them lets the rest hold in the explanation's model."""
    from stretto.errors import Unsatisfiable

    fixes = list(dict.fromkeys(f for f in map(plan_fix, exc.conflicts) if f))
    if not fixes:
        return exc
    return Unsatisfiable(f"{exc}. Relax one of them: {'; or '.join(fixes)}", exc.conflicts)


def _common(p: argparse.ArgumentParser, out: str) -> None:
    p.add_argument("--licence", metavar="ID", help="the licence of the file you give (SPDX "
                   "id such as CC-BY-NC-4.0; default: yours); see `stretto licence DIR`")
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
    hz.add_argument("melody", help="the melody: .musicxml, .mxl, .mid (top part/track), or a "
                    "tune of music21's corpus: corpus:essenFolksong/erk10#176")
    hz.add_argument("--key", type=cli_args.key,
                    help="the key, e.g. 'D minor' or 'F# major' (default: detected)")
    hz.add_argument("--beats-per-chord", type=int, default=None,
                    help="harmonic rhythm: beats per chord (default 1, or 2 where a chord on "
                    "every beat cannot hold)")
    hz.add_argument("--ornament", action="store_true",
                    help="add passing tones in the lower voices")
    hz.add_argument("--rhythm", choices=("chords", "free"), default="chords",
                    help="the lower voices' rhythm: chords (each strikes with every chord; the "
                    "default) or free (their own rhythms: held notes, passing and neighbour "
                    "eighths, anticipations, chosen under the rules at every onset)")
    hz.add_argument("--style", choices=("plain", "chorale", "chromatic"), default="chorale",
                    help="harmonic vocabulary: plain (diatonic triads, V7 the only seventh), "
                    "chorale (also sevenths, secondary dominants; the default) or chromatic "
                    "(also diminished sevenths, the Neapolitan, augmented sixths, borrowed "
                    "chords)")
    hz.add_argument("--transpose", type=cli_args.transpose, metavar="auto|INTERVAL",
                    help="move the melody into the soprano's range C4-G5: auto (by octaves if "
                    "one fits, else into the nearest sensible key) or an interval such as P4, "
                    "-M2, m3, P8, -P8; kept in score.json (project spec 'transpose')")
    # "--transpose -M2": argparse takes an argument that starts with "-" for an option unless
    # it looks like a negative number; a downward interval is one, for this parser.
    import re
    hz._negative_number_matcher = re.compile(r"^-\d+$|^-\d*\.\d+$|^-[PMmAd]\d{1,2}$")
    _common(hz, "out/harmonize")
    hz.set_defaults(func=cmd_harmonize)

    cp = sub.add_parser("compose", help="compose from a form plan (TOML: cadences, keys, "
                        "canon, fugue exposition)")
    cp.add_argument("spec", help="the form plan, e.g. examples/canon.toml")
    _common(cp, "out/compose")
    cp.set_defaults(func=cmd_compose)


__all__ = ["add_parsers"]
