"""Editing commands: pin, unpin, lock, unlock, regenerate, constrain, undo, redo, history and
provenance, on a project folder written by ``stretto species``, ``stretto harmonize`` or
``stretto compose`` (the model side: :mod:`stretto.solver.edit` for species,
:mod:`stretto.solver.chorale_edit` for harmonizations and compositions).

Each edit re-solves at once (unless ``--no-solve``) with the fewest changed notes the rules
allow, and rewrites score.mid, score.musicxml and score.json all or nothing; the score.json it
replaces becomes an undo step. When the constraints cannot all hold nothing is written, the
exit code is 3 and the conflicting constraints are named (``--json``: as data).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from stretto.errors import BadInput, Unsatisfiable
from stretto import cli_args


# ---------------------------------------------------------------------------- helpers


def _voice(text: str | int, n: int, what: str = "--voice") -> int:
    try:
        v = int(text)
    except (TypeError, ValueError):
        raise BadInput(f"cannot read {what} {text!r}: give a number counted from the top") \
            from None
    if not 1 <= v <= n:
        raise BadInput(f"{what} {v} is outside the {n} voices (1 is the top)")
    return v - 1


def _spec(project):
    from stretto.solver.spec import SpeciesSpec
    return SpeciesSpec.from_dict(project.spec)


def _chorale(project) -> bool:
    """A harmonization or a composition (the chorale model), not a species project."""
    return project.kind != "species"


def _given(project) -> int | None:
    """The voice nobody edits: the cantus firmus, or the melody of a harmonization."""
    if not _chorale(project):
        return _spec(project).cantus_voice
    return 0 if project.kind == "harmonize" else None


def _check_place(project, bar: int, beat) -> None:
    """BadInput unless a note sounds at ``bar``/``beat`` of the project's piece."""
    if _chorale(project):
        from stretto.solver.chorale_edit import task_of
        task_of(project.kind, project.spec).slot_at(bar, beat)
    else:
        from stretto.solver.edit import position
        position(bar, beat, project.piece.bars)


def _settings(project, args):
    from stretto.solver.spec import SolveSettings

    s = project.settings
    return SolveSettings(time_limit=args.time_limit if args.time_limit else s["time_limit"],
                         seed=args.seed if args.seed is not None else s["seed"],
                         workers=s.get("workers", 1), objective=s.get("objective", True))


def _check_bars(project, first: int, last: int) -> None:
    bars = project.piece.bars
    if last > bars:
        raise BadInput(f"bars {first}-{last} are outside the piece (bars 1-{bars})")


def _solve_and_save(args, project, old_text: str, action: str, what: str, *,
                    region=None, constraint: str | None = None) -> int:
    """Re-solve (or not), log the edit, save with an undo step, report."""
    from stretto.io.project import save_project

    changed = run = total = None
    if not getattr(args, "no_solve", False) or region is not None:
        settings = _settings(project, args)
        run = project.run_id()
        if _chorale(project):
            from stretto.solver import chorale_edit as edit
            spec = (project.kind, project.spec)
        else:
            from stretto.solver import edit
            spec = (_spec(project),)
        if region is None:
            out = edit.resolve(*spec, project.constraints, project.piece, settings, run_id=run)
        else:
            out = edit.regenerate(*spec, project.constraints, project.piece, region, settings,
                                  run_id=run)
        changed, total = out.changed, out.total
        project = replace(project, piece=out.result.piece).with_run(out.result.stats, run)
        status = out.result.status
    project = project.logged(action, what, run=run, changed=changed, constraint=constraint)
    paths = save_project(project, args.dir, previous_text=old_text)
    if args.json:
        print(json.dumps({"action": action, "what": what, "notes_changed": changed,
                          "run": run, "files": {k: str(v) for k, v in paths.items()}},
                         indent=2))
    elif changed is None:
        print(f"{what}: recorded, not re-solved (the next edit without --no-solve solves); "
              f"wrote {paths['json']}")
    else:
        print(f"{what}; re-solved ({status}), {changed} of {total} notes changed; "
              f"wrote {paths['json']}")
    return 0


def _load(args, *, edit: bool = True):
    """The project and its score.json text. For an edit, a note changed by hand in score.json
    (or score.mid) is refused, naming it: the re-solve and save would silently undo it."""
    from stretto.io.project import hand_edit, load_project

    project, text = load_project(args.dir)
    if edit:
        where = hand_edit(args.dir, project)
        if where is not None:
            raise BadInput(f"{args.dir} was edited outside stretto ({where}); this edit would "
                           "overwrite that: put it back as it was, then set the note with "
                           "`stretto pin`")
    return project, text


def _add(project, make):
    cid, project = project.new_id()
    c = make(cid)
    return replace(project, constraints=project.constraints + (c,)), c


# ---------------------------------------------------------------------------- commands


def cmd_pin(args: argparse.Namespace) -> int:
    from stretto.edits import Pin, parse_beat
    from stretto.pitch import Pitch

    project, text = _load(args)
    n = len(project.piece.voices)
    v = _voice(args.voice, n)
    pitch = Pitch.parse(args.pitch)
    beat = parse_beat(args.beat)
    _check_place(project, args.bar, beat)
    if _chorale(project) and v == _given(project) and args.allow_cantus_edit:
        raise BadInput(f"voice {v + 1} is the given melody of the harmonization: it never "
                       "changes (harmonize the new melody instead)")
    if not _chorale(project) and v == _given(project):
        spec = _spec(project)
        if not args.allow_cantus_edit:
            raise BadInput(f"voice {v + 1} is the cantus firmus: pass --allow-cantus-edit to "
                           "change it")
        if beat != 1:
            raise BadInput("the cantus has one note per bar: pin it on beat 1")
        from stretto.solver.spec import SpeciesSpec
        cantus = list(spec.cantus)
        cantus[args.bar - 1] = pitch
        new = SpeciesSpec.from_dict({**project.spec, "cantus": [p.name for p in cantus]})
        project = replace(project, spec=new.to_dict())
        what = f"cantus bar {args.bar} = {pitch.name}"
        return _solve_and_save(args, project, text, "cantus-edit", what)
    project = replace(project, constraints=tuple(
        c for c in project.constraints
        if not (isinstance(c, Pin) and c.voice == v and c.bar == args.bar and c.beat == beat)))
    project, c = _add(project, lambda cid: Pin(cid, v, args.bar, beat, pitch))
    return _solve_and_save(args, project, text, "pin", c.describe().replace("your ", ""),
                           constraint=c.id)


def cmd_unpin(args: argparse.Namespace) -> int:
    from stretto.edits import Pin, parse_beat

    project, text = _load(args)
    v = _voice(args.voice, len(project.piece.voices))
    beat = parse_beat(args.beat) if args.beat else None
    gone = [c for c in project.constraints if isinstance(c, Pin) and c.voice == v
            and c.bar == args.bar and (beat is None or c.beat == beat)]
    if not gone:
        raise BadInput(f"no pin on voice {v + 1} bar {args.bar}"
                       + (f" beat {beat}" if beat else "") + ": see `stretto history`")
    project = replace(project, constraints=tuple(c for c in project.constraints
                                                 if c not in gone))
    what = "removed " + "; ".join(c.describe().replace("your ", "") for c in gone)
    return _solve_and_save(args, project, text, "unpin", what)


def cmd_lock(args: argparse.Namespace) -> int:
    from stretto.edits import Lock, parse_bars
    from stretto.solver.edit import lock_notes

    project, text = _load(args)
    v = _voice(args.voice, len(project.piece.voices))
    first, last = parse_bars(args.bars) if args.bars else (1, project.piece.bars)
    _check_bars(project, first, last)
    if v == _given(project):
        raise BadInput(f"voice {v + 1} is the {'melody' if _chorale(project) else 'cantus'} "
                       "you gave: it never changes, no lock needed")
    notes = lock_notes(project.piece, v, first, last)
    project, c = _add(project, lambda cid: Lock(cid, v, first, last, notes))
    # A lock keeps what is there: nothing to solve.
    args.no_solve = True
    return _solve_and_save(args, project, text, "lock", c.describe().replace("your ", ""),
                           constraint=c.id)


def cmd_unlock(args: argparse.Namespace) -> int:
    from stretto.edits import Lock, parse_bars
    from stretto.solver.edit import lock_notes

    project, text = _load(args)
    v = _voice(args.voice, len(project.piece.voices))
    first, last = parse_bars(args.bars) if args.bars else (1, project.piece.bars)
    kept = []
    touched = False
    for c in project.constraints:
        if not (isinstance(c, Lock) and c.voice == v and c.first <= last and c.last >= first):
            kept.append(c)
            continue
        touched = True
        # Keep the parts of the lock outside the unlocked bars, as locks of their own.
        for a, b in ((c.first, first - 1), (last + 1, c.last)):
            if a <= b:
                cid, project = project.new_id()
                kept.append(Lock(cid, v, a, b, lock_notes(project.piece, v, a, b)))
    if not touched:
        raise BadInput(f"voice {v + 1} has no lock in bars {first}-{last}")
    project = replace(project, constraints=tuple(kept))
    return _solve_and_save(args, project, text, "unlock",
                           f"unlocked voice {v + 1} bars {first}-{last}")


def cmd_regenerate(args: argparse.Namespace) -> int:
    from stretto.edits import parse_bars
    from stretto.solver.edit import Region

    project, text = _load(args)
    v = _voice(args.voice, len(project.piece.voices)) if args.voice is not None else None
    first, last = parse_bars(args.bars)
    _check_bars(project, first, last)
    region = Region(v, first, last)
    try:
        return _solve_and_save(args, project, text, "regenerate", f"regenerated "
                               f"{region.describe()}", region=region)
    except Unsatisfiable as exc:
        keep = f"regenerate {region.describe()}: everything else stays as it is"
        if v is None or keep not in exc.conflicts:
            raise
        raise Unsatisfiable(f"{exc}; leave out --voice to re-solve every voice in bars "
                            f"{first}-{last}", exc.conflicts) from None


RULES = ("range", "climax", "max-leap", "contour", "require-interval", "forbid-interval",
         "weight", "crossing", "max-range")


def cmd_constrain(args: argparse.Namespace) -> int:
    from stretto.edits import (ClimaxRule, ContourRule, IntervalRule, MaxLeapRule, RangeRule,
                               parse_bars, parse_beat, parse_interval)
    from stretto.pitch import Pitch
    from stretto.solver.spec import SpeciesSpec

    project, text = _load(args)
    n = len(project.piece.voices)
    rule = args.rule
    need = {"range": ("voice", "low", "high"), "climax": ("voice", "bar"),
            "max-leap": ("voice", "interval"), "contour": ("voice", "bars", "direction"),
            "require-interval": ("voices", "bar", "interval"),
            "forbid-interval": ("voices", "bar", "interval"), "weight": ("name", "weight"),
            "crossing": ("state",), "max-range": ("steps",)}
    if rule not in need:
        raise BadInput(f"unknown rule {rule!r}: use one of {', '.join(RULES)}")
    if _chorale(project):
        from stretto.solver.chorale_edit import CHORALE_RULES
        if rule not in CHORALE_RULES:
            raise BadInput(f"rule {rule} applies to species projects only; a "
                           f"{'harmonization' if project.kind == 'harmonize' else 'composition'}"
                           f" takes {', '.join(CHORALE_RULES)}")
    missing = [f"--{k.replace('_', '-')}" for k in need[rule] if getattr(args, k) is None]
    if missing:
        raise BadInput(f"rule {rule} needs {' '.join(missing)}")
    if rule in ("weight", "crossing", "max-range"):  # settings of the rule set itself
        spec = dict(project.spec)
        if rule == "weight":
            spec["weights"] = {**spec.get("weights", {}), args.name: args.weight}
            what = f"weight of {args.name} set to {args.weight}"
        elif rule == "crossing":
            if args.state not in ("on", "off"):
                raise BadInput("--state for crossing is on (allowed) or off")
            spec["allow_crossing"] = args.state == "on"
            what = f"voice crossing {'allowed' if args.state == 'on' else 'forbidden'}"
        else:
            spec["max_range"] = args.steps
            what = f"largest span of a voice set to {args.steps} letter steps"
        SpeciesSpec.from_dict(spec)  # validates (unknown soft rule, impossible span)
        project = replace(project, spec=spec)
        return _solve_and_save(args, project, text, "constrain", what)
    if rule in ("range", "climax", "max-leap", "contour"):
        v = _voice(args.voice, n)
        if v == _given(project):
            raise BadInput(f"voice {v + 1} is the {'melody' if _chorale(project) else 'cantus'}"
                           " you gave: rules apply to the voices the solver writes")
    if rule == "range":
        low, high = Pitch.parse(args.low), Pitch.parse(args.high)
        if high.midi - low.midi < 7:
            raise BadInput(f"range {low.name}-{high.name} is too narrow for a line (give at "
                           "least a fifth)")
        make = lambda cid: RangeRule(cid, v, low, high)  # noqa: E731
    elif rule == "climax":
        _check_bars(project, args.bar, args.bar)
        make = lambda cid: ClimaxRule(cid, v, args.bar)  # noqa: E731
    elif rule == "max-leap":
        number, _ = parse_interval(args.interval)
        if number < 2:
            raise BadInput("--interval for max-leap must be at least a second")
        make = lambda cid: MaxLeapRule(cid, v, number)  # noqa: E731
    elif rule == "contour":
        first, last = parse_bars(args.bars)
        _check_bars(project, first, last)
        if args.direction not in ("rising", "falling"):
            raise BadInput("--direction is rising or falling")
        make = lambda cid: ContourRule(cid, v, first, last, args.direction)  # noqa: E731
    else:
        try:
            a, b = (int(x) for x in args.voices.split(","))
        except ValueError:
            raise BadInput(f"cannot read --voices {args.voices!r}: write two voices, e.g. "
                           "1,2") from None
        upper, lower = sorted((_voice(a, n), _voice(b, n)))
        if upper == lower:
            raise BadInput("--voices must name two different voices")
        beat = parse_beat(args.beat)
        _check_place(project, args.bar, beat)
        number, quality = parse_interval(args.interval)
        require = rule == "require-interval"
        make = lambda cid: IntervalRule(cid, upper, lower, args.bar, beat,  # noqa: E731
                                        number, quality, require)
    project, c = _add(project, make)
    return _solve_and_save(args, project, text, "constrain", c.describe().replace("your ", ""),
                           constraint=c.id)


def cmd_undo(args: argparse.Namespace) -> int:
    from stretto.io.project import step_back, undo_depth

    project = step_back(args.dir, redo=args.command == "redo")
    undo, redo = undo_depth(args.dir)
    last = project.history[-1]["what"] if project.history else "the first score"
    print(f"{args.command}: the score is back to after {last!r} ({undo} undo, {redo} redo "
          "steps left)")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from stretto.io.project import undo_depth

    project, _ = _load(args, edit=False)
    runs = {r["id"]: r for r in project.runs}
    if args.json:
        print(json.dumps({"history": list(project.history), "runs": list(project.runs),
                          "constraints": [c.to_dict() for c in project.constraints]},
                         indent=2))
        return 0
    for e in project.history:
        run = runs.get(e.get("run"))
        solved = f"; solver {run['id']} ({run['status']}, seed {run['seed']})" if run else ""
        changed = f", {e['notes_changed']} notes changed" if "notes_changed" in e else ""
        print(f"{e['n']:3d}  {e['at']}  {e['by']}: {e['what']}{solved}{changed}")
    print("constraints in force: " + ("; ".join(f"{c.id} {c.describe().replace('your ', '')}"
                                                 for c in project.constraints) or "none"))
    undo, redo = undo_depth(args.dir)
    print(f"{undo} undo, {redo} redo steps")
    return 0


def cmd_provenance(args: argparse.Namespace) -> int:
    from stretto.provenance import prov_json, shares

    if args.output and args.format != "prov-json":
        raise BadInput("--output writes a PROV-JSON file: add --format prov-json (the other "
                       "formats print on stdout)")
    if args.output and Path(args.output).is_dir():
        raise BadInput(f"--output {args.output} is a folder: give a file name, e.g. "
                       f"{Path(args.output) / 'provenance.json'}")
    project, _ = _load(args, edit=False)
    if args.format == "prov-json":
        text = prov_json(project)
        if args.output:
            from stretto.io.journal import write_files
            out = Path(args.output).absolute()
            write_files(out.parent, [out.name],
                        lambda tmp: (tmp / out.name).write_text(text, encoding="utf-8"))
            print(f"wrote {out}")
        else:
            sys.stdout.write(text)
        return 0
    report = shares(project)
    if args.format == "json":
        print(json.dumps(report, indent=2))
        return 0
    for v in report["voices"]:
        print(f"{v['voice']:>10}: {v['human_notes']:3d} of {v['notes']:3d} notes by the "
              f"composer ({v['human_share']:.0%})")
    t = report["total"]
    print(f"{'total':>10}: {t['human_notes']:3d} of {t['notes']:3d} notes by the composer "
          f"({t['human_share']:.0%}); decisions: {t['human_decisions']} by the composer, "
          f"{t['solver_decisions']} by the solver ({t['human_decision_share']:.0%} human)")
    return 0


# ---------------------------------------------------------------------------- parsers


def _solve_options(p: argparse.ArgumentParser, *, no_solve: bool = True) -> None:
    p.add_argument("dir", help="project folder (written by stretto species, harmonize or "
                   "compose)")
    p.add_argument("--time-limit", type=cli_args.time_limit,
                   help="seconds (default: the project's)")
    p.add_argument("--seed", type=cli_args.seed, help="default: the project's")
    p.add_argument("--json", action="store_true", help="print the outcome (or conflict) as "
                   "JSON")
    if no_solve:
        p.add_argument("--no-solve", action="store_true",
                       help="record the edit without re-solving")


def add_parsers(sub) -> None:
    """Register the editing commands on the main parser's subparsers."""
    p = sub.add_parser("pin", help="fix one note's pitch (marked as yours) and re-solve")
    _solve_options(p)
    p.add_argument("--voice", required=True, help="voice counted from the top (1 = top)")
    p.add_argument("--bar", type=int, required=True)
    p.add_argument("--beat", help="quarter-note beat in the bar, 1-based (default 1)")
    p.add_argument("--pitch", required=True, help="e.g. F4, C#5, Bb3")
    p.add_argument("--allow-cantus-edit", action="store_true",
                   help="let a pin change the cantus firmus")
    p.set_defaults(func=cmd_pin)

    p = sub.add_parser("unpin", help="remove a pin and re-solve")
    _solve_options(p)
    p.add_argument("--voice", required=True)
    p.add_argument("--bar", type=int, required=True)
    p.add_argument("--beat")
    p.set_defaults(func=cmd_unpin)

    p = sub.add_parser("lock", help="keep a voice's current notes (pitches and rhythm)")
    _solve_options(p, no_solve=False)
    p.add_argument("--voice", required=True)
    p.add_argument("--bars", help="A-B (default: the whole piece)")
    p.set_defaults(func=cmd_lock)

    p = sub.add_parser("unlock", help="release a lock (or part of it) and re-solve")
    _solve_options(p)
    p.add_argument("--voice", required=True)
    p.add_argument("--bars", help="A-B (default: the whole piece)")
    p.set_defaults(func=cmd_unlock)

    p = sub.add_parser("regenerate", help="a different valid passage in some bars: every "
                       "voice the solver writes, or one voice")
    _solve_options(p, no_solve=False)
    p.add_argument("--voice", help="only this voice (default: every voice the solver writes; "
                   "the cantus or melody, pins and locks stay)")
    p.add_argument("--bars", required=True, help="A-B")
    p.set_defaults(func=cmd_regenerate)

    p = sub.add_parser("constrain", help="add a rule of your own and re-solve",
                       description="rules: " + ", ".join(RULES) + ". Harmonizations and "
                       "compositions take range, max-leap, require-interval and "
                       "forbid-interval (on the voices the solver writes); the others "
                       "apply to species projects only.")
    _solve_options(p)
    p.add_argument("--rule", required=True, help=", ".join(RULES))
    p.add_argument("--voice", help="voice counted from the top")
    p.add_argument("--voices", help="two voices for an interval rule, e.g. 1,2")
    p.add_argument("--low", help="range: lowest note")
    p.add_argument("--high", help="range: highest note")
    p.add_argument("--bar", type=int, help="climax / interval: the bar")
    p.add_argument("--beat", help="interval: the beat (default 1)")
    p.add_argument("--bars", help="contour: A-B")
    p.add_argument("--direction", help="contour: rising or falling")
    p.add_argument("--interval", help="max-leap / interval: P5, M3, m6, P8, third, fifth ...")
    p.add_argument("--name", help="weight: a soft rule's name")
    p.add_argument("--weight", type=int, help="weight: its new weight (0 switches it off)")
    p.add_argument("--state", help="crossing: on (allowed) or off")
    p.add_argument("--steps", type=int, help="max-range: letter steps (9 = a tenth)")
    p.set_defaults(func=cmd_constrain)

    for name, helptext in (("undo", "undo the last edit"), ("redo", "redo an undone edit")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("dir")
        p.set_defaults(func=cmd_undo)

    p = sub.add_parser("history", help="what changed, by whom, when")
    p.add_argument("dir")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("provenance", help="who wrote which notes: the composer's share, or "
                       "a W3C PROV-JSON document")
    p.add_argument("dir")
    p.add_argument("--format", choices=("text", "json", "prov-json"), default="text")
    p.add_argument("--output", help="write the PROV-JSON here instead of stdout")
    p.set_defaults(func=cmd_provenance)


def report_conflict(exc: Unsatisfiable) -> None:
    """``--json`` form of a conflict, on stdout (the one-line message still goes to stderr)."""
    print(json.dumps({"status": "conflict", "message": str(exc),
                      "conflicts": list(exc.conflicts)}, indent=2))


__all__ = ["add_parsers", "report_conflict"]
