"""Editing commands: pin, unpin, lock, unlock, regenerate, constrain, undo, redo, history and
provenance, on a project folder written by ``stretto species``, ``stretto harmonize`` or
``stretto compose``. Parsing and printing only: each command calls the application layer
(:mod:`stretto.app`), which the studio calls too.

Each edit re-solves at once (unless ``--no-solve``) with the fewest changed notes the rules
allow, and rewrites score.mid, score.musicxml and score.json all or nothing; the score.json it
replaces becomes an undo step. When the constraints cannot all hold nothing is written, the
exit code is 3 and the conflicting constraints are named (``--json``: as data).
"""

from __future__ import annotations

import argparse
import json
import sys

from stretto.errors import BadInput, Unsatisfiable
from stretto import cli_args
from stretto.app.rules import RULES


# ---------------------------------------------------------------------------- commands


def _solve_opts(args: argparse.Namespace) -> dict:
    return dict(time_limit=args.time_limit, seed=args.seed)


def _edit_opts(args: argparse.Namespace) -> dict:
    return dict(solve=not getattr(args, "no_solve", False), **_solve_opts(args))


def _budget_opts(args: argparse.Namespace) -> dict:
    return {} if args.budget is None else {"budget": args.budget}


def _report(args: argparse.Namespace, result) -> int:
    """Print what an edit did (``--json``: as data)."""
    if args.json:
        print(json.dumps({"action": result.action, "what": result.what,
                          "notes_changed": result.notes_changed, "run": result.run,
                          "moves": list(getattr(result, "moves", ())),
                          "files": {k: str(v) for k, v in result.files.items()}}, indent=2))
    elif result.notes_changed is None:
        print(f"{result.what}: recorded, not re-solved (the next edit without --no-solve "
              f"solves); wrote {result.files['json']}")
    elif not result.files:
        print(f"{result.what}: nothing to write")
    else:
        print(f"{result.what}; re-solved ({result.status}), {result.notes_changed} of "
              f"{result.notes_total} notes changed; wrote {result.files['json']}")
    if not args.json:
        for line in getattr(result, "moves", ()):
            print(line)
    return 0


def cmd_pin(args: argparse.Namespace) -> int:
    from stretto.app import pin

    return _report(args, pin(args.dir, voice=args.voice, bar=args.bar, pitch=args.pitch,
                             beat=args.beat, allow_cantus_edit=args.allow_cantus_edit,
                             **_edit_opts(args), **_budget_opts(args)))


def cmd_unpin(args: argparse.Namespace) -> int:
    from stretto.app import unpin

    return _report(args, unpin(args.dir, voice=args.voice, bar=args.bar, beat=args.beat,
                               **_edit_opts(args), **_budget_opts(args)))


def cmd_lock(args: argparse.Namespace) -> int:
    from stretto.app import lock

    return _report(args, lock(args.dir, voice=args.voice, bars=args.bars))


def cmd_unlock(args: argparse.Namespace) -> int:
    from stretto.app import unlock

    return _report(args, unlock(args.dir, voice=args.voice, bars=args.bars,
                                **_edit_opts(args), **_budget_opts(args)))


def cmd_regenerate(args: argparse.Namespace) -> int:
    from stretto.app import regenerate

    result = regenerate(args.dir, bars=args.bars, voice=args.voice, change=args.change,
                        options=args.options, **_solve_opts(args))
    if args.json:
        print(json.dumps({"action": result.action, "what": result.what,
                          "notes_changed": result.notes_changed, "run": result.run,
                          "seed": result.seed, "free_notes": result.free_notes,
                          "target": result.target, "shortfall": result.shortfall,
                          "options": [{"option": c.number, "hash": c.hash,
                                       "objective": c.objective,
                                       "free_changed": c.free_changed, "notes": c.notes}
                                      for c in result.choices],
                          "files": {k: str(v) for k, v in result.files.items()}}, indent=2))
        return 0
    best = result.choices[0]
    if result.shortfall:
        print(f"note: {result.shortfall}")
    print(f"{result.what}: {best.free_changed} of {result.free_notes} free notes changed "
          f"(seed {result.seed}); re-solved ({result.status}), {result.notes_changed} of "
          f"{result.notes_total} notes changed; wrote {result.files['json']}")
    if len(result.choices) > 1:
        print("option  objective  free notes changed  variant")
        for c in result.choices:
            mark = "  (the score now)" if c.number == 1 else ""
            objective = "-" if c.objective is None else f"{c.objective:g}"
            print(f"{c.number:>6}  {objective:>9}  {c.free_changed:>6} of {result.free_notes:<9}"
                  f"  {c.hash}{mark}")
        print(f"take another: stretto choose {args.dir} K")
    return 0


def cmd_choose(args: argparse.Namespace) -> int:
    from stretto.app import choose

    return _report(args, choose(args.dir, option=args.option, time_limit=args.time_limit))


def cmd_constrain(args: argparse.Namespace) -> int:
    from stretto.app import constrain

    return _report(args, constrain(
        args.dir, rule=args.rule, voice=args.voice, voices=args.voices, low=args.low,
        high=args.high, bar=args.bar, beat=args.beat, bars=args.bars,
        direction=args.direction, interval=args.interval, name=args.name,
        weight=args.weight, state=args.state, steps=args.steps, **_edit_opts(args)))


def cmd_undo(args: argparse.Namespace) -> int:
    from stretto.app import redo, undo

    step = (redo if args.command == "redo" else undo)(args.dir)
    print(f"{args.command}: the score is back to after {step.back_to!r} ({step.undo_left} "
          f"undo, {step.redo_left} redo steps left)")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from stretto.app import history

    h = history(args.dir)
    runs = {r["id"]: r for r in h.runs}
    if args.json:
        print(json.dumps({"history": list(h.entries), "runs": list(h.runs),
                          "constraints": [c.to_dict() for c in h.constraints]}, indent=2))
        return 0
    for e in h.entries:
        run = runs.get(e.get("run"))
        solved = f"; solver {run['id']} ({run['status']}, seed {run['seed']})" if run else ""
        changed = f", {e['notes_changed']} notes changed" if "notes_changed" in e else ""
        print(f"{e['n']:3d}  {e['at']}  {e['by']}: {e['what']}{solved}{changed}")
        for line in e.get("moves", ()):
            print(f"     {line}")
    print("constraints in force: " + ("; ".join(f"{c.id} {c.describe().replace('your ', '')}"
                                                 for c in h.constraints) or "none"))
    print(f"{h.undo} undo, {h.redo} redo steps")
    return 0


def cmd_provenance(args: argparse.Namespace) -> int:
    from stretto.app import provenance, write_provenance

    if args.statement:  # the authorship statement (stretto.app.statement)
        from stretto.app.statement import write_statement

        paths = write_statement(args.dir, output=args.output)
        print(f"wrote {paths['md']}, {paths['pdf']}")
        return 0
    if args.output and args.format != "prov-json":
        raise BadInput("--output writes a PROV-JSON file: add --format prov-json (the other "
                       "formats print on stdout)")
    if args.output:
        print(f"wrote {write_provenance(args.dir, args.output)}")
        return 0
    if args.format == "prov-json":
        sys.stdout.write(provenance(args.dir, format="prov-json"))
        return 0
    report = provenance(args.dir, format="json")
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


def _budget_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--budget", type=int, metavar="N",
                   help="notes the re-solve may change beyond the fewest where that lowers "
                   "the objective (default 2; 0: only the fewest changes)")


def _share(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"cannot read {text!r}: give a share such as 0.5 "
                                         "or 50%") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a share between 0 and 1")
    return value


def _regenerate_parsers(sub) -> None:
    """regenerate (with --change and --options) and choose."""
    p = sub.add_parser("regenerate", help="a different valid passage in some bars: every "
                       "voice the solver writes, or one voice")
    _solve_options(p, no_solve=False)
    p.add_argument("--voice", help="only this voice (default: every voice the solver writes; "
                   "the cantus or melody, pins and locks stay)")
    p.add_argument("--bars", required=True, help="A-B")
    p.add_argument("--change", type=_share, metavar="SHARE",
                   help="the share of the region's free notes (not pinned, locked or given) "
                   "that must change, 0-1 (default 0.5)")
    p.add_argument("--options", type=int, default=1, metavar="K",
                   help="K mutually distinct alternatives ranked by the objective: the best "
                   "is written, `stretto choose DIR K` takes another")
    p.set_defaults(func=cmd_regenerate)

    p = sub.add_parser("choose", help="take one of the alternatives the last `regenerate "
                       "--options K` offered")
    p.add_argument("dir", help="project folder")
    p.add_argument("option", type=int, help="the option's number (1 = the best)")
    p.add_argument("--time-limit", type=cli_args.time_limit,
                   help="seconds (default: the project's)")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.set_defaults(func=cmd_choose)


def _provenance_parser(sub) -> None:
    p = sub.add_parser("provenance", help="who wrote which notes: the composer's share, or "
                       "a W3C PROV-JSON document")
    p.add_argument("dir")
    p.add_argument("--format", choices=("text", "json", "prov-json"), default="text")
    p.add_argument("--output", help="write the PROV-JSON here instead of stdout (with "
                   "--statement: the folder for statement.md and statement.pdf)")
    p.add_argument("--statement", action="store_true", help="write an authorship statement "
                   "(statement.md and statement.pdf): the composer's notes and decisions, the "
                   "solver's share per voice, inputs and licences, each traceable to the "
                   "PROV-JSON")
    p.set_defaults(func=cmd_provenance)


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
    _budget_option(p)
    p.set_defaults(func=cmd_pin)

    p = sub.add_parser("unpin", help="remove a pin and re-solve")
    _solve_options(p)
    p.add_argument("--voice", required=True)
    p.add_argument("--bar", type=int, required=True)
    p.add_argument("--beat")
    _budget_option(p)
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
    _budget_option(p)
    p.set_defaults(func=cmd_unlock)

    _regenerate_parsers(sub)

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

    _provenance_parser(sub)


def report_conflict(exc: Unsatisfiable) -> None:
    """``--json`` form of a conflict, on stdout (the one-line message still goes to stderr)."""
    print(json.dumps({"status": "conflict", "message": str(exc),
                      "conflicts": list(exc.conflicts)}, indent=2))


__all__ = ["add_parsers", "report_conflict"]
