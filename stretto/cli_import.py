"""The ``stretto import``, ``waive`` and ``unwaive`` commands (registered by :mod:`stretto.cli`):
a DAW-edited file back into its project, and the composer's waivers. Thin: they parse and
print; :mod:`stretto.app.daw_import` and :mod:`stretto.app.waivers` do the work."""

from __future__ import annotations

import argparse
import json

from stretto import cli_args


def cmd_import(args: argparse.Namespace) -> int:
    from stretto.app.daw_import import import_edits

    done = import_edits(args.dir, edited=args.edited, dry_run=args.dry_run, waive=args.waive,
                        time_limit=args.time_limit, seed=args.seed)
    if args.json:
        print(json.dumps({
            "file": str(done.file), "sha256": done.sha256, "format": done.format,
            "dry_run": done.dry_run,
            "matches": [{"track": m.track, "voice": m.voice + 1, "by": m.by}
                        for m in done.matches],
            "edits": [{"kind": e.kind, "voice": e.voice + 1, "bar": e.bar, "what": e.what}
                      for e in done.edits],
            "notes_by_you": done.notes_by_you, "notes_total": done.notes_total,
            "notes_resolved": done.notes_resolved, "status": done.status, "run": done.run,
            "daw_copy": str(done.daw_copy) if done.daw_copy else None,
            "ignored": list(done.ignored)}, indent=2))
        return 0
    for m in done.matches:
        if m.by == "register":
            print(f"track {m.track!r} is voice {m.voice + 1} (by register)")
    for e in done.edits:
        print(f"{'would ' if done.dry_run else ''}{e.kind}: {e.what}")
    for text in done.ignored:
        print(f"not imported: {text}")
    if not done.edits:
        print(f"{done.file} holds the project's notes as they are: nothing to import, "
              "nothing written")
        return 0
    if done.dry_run:
        print(f"dry run: {len(done.edits)} edits, {done.notes_by_you} of {done.notes_total} "
              "notes changed by you; nothing was written")
        return 0
    print(f"{done.notes_by_you} of {done.notes_total} notes changed by you, "
          f"{done.notes_resolved} re-solved ({done.status}, run {done.run})")
    print(f"wrote the project in {args.dir} and, for the DAW, {done.daw_copy}")
    return 0


def cmd_waive(args: argparse.Namespace) -> int:
    from stretto.app.waivers import waive

    done = waive(args.dir, rule=args.rule, bar=args.bar, voices=args.voices)
    print(f"{done.what} (your decision, in the history; `stretto unwaive` removes it)")
    return 0


def cmd_unwaive(args: argparse.Namespace) -> int:
    from stretto.app.waivers import unwaive

    done = unwaive(args.dir, rule=args.rule, bar=args.bar, voices=args.voices,
                   time_limit=args.time_limit, seed=args.seed)
    changed = f": {done.notes_changed} of {done.notes_total} notes changed" \
        if done.notes_changed is not None else ""
    print(f"{done.what}{changed}")
    return 0


def add_parsers(sub) -> None:
    """Register ``import``, ``waive`` and ``unwaive`` on the CLI's subparsers."""
    ip = sub.add_parser("import", help="bring a file edited in a DAW (MIDI, MusicXML, "
                        "DAWproject, REAPER) back into its project as your edits, and re-solve")
    ip.add_argument("dir", help="project folder (with score.json)")
    ip.add_argument("edited", help="the file as the DAW saved it: .mid, .musicxml, .mxl, "
                    ".dawproject or .rpp")
    ip.add_argument("--dry-run", action="store_true",
                    help="list the edits it would make; write nothing")
    ip.add_argument("--waive", action="store_true",
                    help="waive the hard rules your edited notes break, where they break them "
                    "(as `stretto waive` would), so the solver keeps them")
    ip.add_argument("--time-limit", type=cli_args.time_limit, default=None,
                    help="seconds (deterministic; default: the project's)")
    ip.add_argument("--seed", type=cli_args.seed, default=None)
    ip.add_argument("--json", action="store_true", help="print the summary as JSON")
    ip.set_defaults(func=cmd_import)

    for name, func, text in (("waive", cmd_waive, "break a hard rule on purpose at one place"),
                             ("unwaive", cmd_unwaive, "remove a waiver and re-solve")):
        wp = sub.add_parser(name, help=text)
        wp.add_argument("dir", help="project folder (with score.json)")
        wp.add_argument("--rule", required=True, help="a hard rule, e.g. parallel-perfect")
        wp.add_argument("--bar", required=True, type=int, help="the bar (as the checker "
                        "reports it)")
        wp.add_argument("--voices", required=(name == "waive"), metavar="A,B",
                        help="the voices, counted from the top, e.g. 1,2")
        if name == "unwaive":
            wp.add_argument("--time-limit", type=cli_args.time_limit, default=None)
            wp.add_argument("--seed", type=cli_args.seed, default=None)
        wp.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
        wp.set_defaults(func=func)


__all__ = ["add_parsers", "cmd_import", "cmd_unwaive", "cmd_waive"]
