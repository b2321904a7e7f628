"""The ``stretto`` command line. Heavy imports (OR-Tools, music21, mido) happen inside the
commands, so ``stretto --help`` is instant.

Exit codes: 0 success, 1 a check found hard violations or no score was found in time,
2 bad input, 3 constraints that cannot all hold.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Sequence

from stretto.errors import BadInput, StrettoError, Unsatisfiable
from stretto import cli_args
from stretto.cli_args import OneLineParser


def _species_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise BadInput(f"cannot read --species {text!r}: write 1, or 3,1 for two added voices") \
            from None
    return values


def _parse_range(text: str):
    from stretto.pitch import Pitch

    try:
        voice, span = text.split("=", 1)
        low, high = span.split("-", 1)
        v = int(voice)
    except ValueError:
        raise BadInput(f"malformed --range {text!r}: write VOICE=LOW-HIGH, e.g. 1=C4-G5") \
            from None
    lo, hi = Pitch.parse(low), Pitch.parse(high)
    if hi.midi <= lo.midi:
        raise BadInput(f"impossible range {text!r}: the low note must be below the high note")
    return v, (lo, hi)


def _cantus_index(text: str, voices: int) -> int:
    if text == "top":
        return 0
    if text == "bottom":
        return voices - 1
    try:
        n = int(text)
    except ValueError:
        raise BadInput(f"cannot read --cantus-voice {text!r}: use top, bottom or a number "
                       "counted from the top") from None
    if not 1 <= n <= voices:
        raise BadInput(f"--cantus-voice {n} is outside the {voices} voices")
    return n - 1


def build_spec(args: argparse.Namespace):
    """Turn ``stretto species`` arguments into a :class:`SpeciesSpec` (validating input)."""
    from stretto.modes import Mode, infer_mode
    from stretto.pitch import parse_pitches
    from stretto.solver.species.spec import SpeciesSpec, shift_octaves

    if bool(args.cantus) == bool(args.cantus_name):
        raise BadInput("give the cantus firmus with --cantus \"D4 F4 ...\" or --cantus-name "
                       "(one of them)")
    if args.cantus_name:
        from stretto.corpora import load_cantus
        cantus, mode = load_cantus(args.cantus_name)
    else:
        cantus = parse_pitches(args.cantus)
        final = cantus[-1].name.rstrip("0123456789")
        mode = None
    cantus = shift_octaves(cantus, args.cantus_octave)
    if args.mode:
        mode = Mode.parse(args.mode) if " " in args.mode.strip() else Mode(args.mode, final if
                                                                           mode is None else
                                                                           mode.final)
    args.mode_note = None
    if mode is None:  # read from the final and the accidentals; said in one line
        reading = infer_mode(cantus)
        mode, args.mode_note = reading.mode, reading.describe()
    species = _species_list(args.species)
    voices = args.voices if args.voices else len(species) + 1
    if not 2 <= voices <= 4:
        raise BadInput(f"--voices {voices}: stretto writes 2, 3 or 4 voices")
    if len(species) == 1 and voices > 2:
        species = species * (voices - 1)
    if len(species) != voices - 1:
        raise BadInput(f"--species {args.species} names {len(species)} added voices, but "
                       f"--voices {voices} needs {voices - 1}")
    cantus_voice = _cantus_index(args.cantus_voice, voices)
    ranges = None
    if args.range:
        given = dict(_parse_range(r) for r in args.range)
        added = [v for v in range(1, voices + 1) if v != cantus_voice + 1]
        unknown = set(given) - set(added)
        if unknown:
            raise BadInput(f"--range for voice {min(unknown)}: give ranges for added voices "
                           f"only ({', '.join(map(str, added))})")
        from stretto.solver.species.lines import default_registers
        base = SpeciesSpec(cantus=tuple(cantus), mode=mode, species=species,
                           cantus_voice=cantus_voice)
        defaults = default_registers(base)
        ranges = tuple(given.get(v, d) for v, d in zip(added, defaults))
    return SpeciesSpec(cantus=tuple(cantus), mode=mode, species=species,
                       cantus_voice=cantus_voice, ranges=ranges, max_range=args.max_range,
                       allow_crossing=args.allow_crossing)


def cmd_species(args: argparse.Namespace) -> int:
    from stretto.solver import SolveSettings, solve_species

    spec = build_spec(args)
    settings = SolveSettings(time_limit=args.time_limit, seed=args.seed, workers=args.workers,
                             objective=not args.no_objective)
    result = solve_species(spec, settings)
    if result.status == "infeasible":  # name a minimal conflicting set and a fix that holds
        from stretto.solver.species.first_conflicts import explain_first
        raise explain_first(spec, settings)
    what = (f"species {','.join(map(str, spec.species))} on a cantus of {len(spec.cantus)} "
            f"notes in {spec.mode} (voice {spec.cantus_voice + 1} of {spec.voices})")
    from stretto.cli_report import write_first_run

    return write_first_run(args, result, spec=spec.to_dict(), kind="species", what=what,
                           extra={"mode": args.mode_note} if args.mode_note else None)


def cmd_check(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from stretto.check import RULES_CHOICES, CheckSettings, check, choose_rules, hard
    from stretto.io import read_score

    if args.rules not in RULES_CHOICES:
        raise BadInput(f"unknown --rules {args.rules!r}: use auto (the default), species or satb")
    if args.rules == "satb" and (args.species or args.cantus_voice):
        raise BadInput("--species and --cantus-voice describe a species exercise; drop them to "
                       "check with --rules satb")
    piece = read_score(Path(args.file))
    n = len(piece.voices)
    if n < 2:
        raise BadInput(f"{args.file} has {n} voice; counterpoint needs at least two")
    voices = list(piece.voices)
    cantus = None
    if args.cantus_voice:
        cantus = _cantus_index(args.cantus_voice, n)
    if args.species:
        species = list(_species_list(args.species))
        if len(species) == 1:
            species = species * (n - 1)
        if len(species) != n - 1:
            raise BadInput(f"--species names {len(species)} voices; {args.file} has {n - 1} "
                           "besides the cantus")
        if cantus is None:
            cantus = next((i for i, v in enumerate(voices) if v.role == "cantus"), n - 1)
        it = iter(species)
        voices = [replace(v, role="cantus", species=None) if i == cantus
                  else replace(v, role="counterpoint", species=next(it))
                  for i, v in enumerate(voices)]
        piece = replace(piece, voices=tuple(voices))
    settings = CheckSettings.fux() if args.fux else CheckSettings(
        allow_crossing=args.allow_crossing, max_range=args.max_range)
    violations = check(piece, cantus_voice=cantus, settings=settings, rules=args.rules,
                       beats=args.beats)
    rule_set = choose_rules(piece, None, cantus, args.rules)[0]
    from stretto.app.waivers import waived_in
    violations, waived = waived_in(args.file, piece, violations)  # a project's waivers
    bad = hard(violations)
    if args.json:
        print(json.dumps({"file": args.file, "rules": rule_set,
                          "motion": "beats" if args.beats else "every onset", "hard": len(bad),
                          "soft": len(violations) - len(bad),
                          "violations": [{"rule": v.rule, "severity": v.severity, "bar": v.bar,
                                          "beat": str(v.beat), "voices": list(v.voices),
                                          "message": v.message} for v in violations],
                          "waived": [{"rule": v.rule, "bar": v.bar, "beat": str(v.beat),
                                      "voices": list(v.voices)} for v in waived]},
                         indent=2))
    else:
        for v in violations + waived:
            print(f"[{v.severity if v in violations else 'waived'}] {v.rule} bar {v.bar} beat "
                  f"{v.beat} ({', '.join(v.voices)}): {v.message}")
        also = f", {len(waived)} waived" if waived else ""
        print(f"{args.file}: {len(bad)} hard, {len(violations) - len(bad)} soft violations"
              f"{also} ({rule_set} rules{', motion on the beats only' if args.beats else ''})")
    return 0 if not bad else 1


def make_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="stretto", description="Counterpoint a composer can trust and steer.")
    from stretto import __version__
    parser.add_argument("--version", action="version", version=f"stretto {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_species(sub)
    _add_check(sub)
    # every other command module registers its own (their heavy imports wait for the command)
    from stretto import (cli_bench, cli_compose, cli_daw, cli_edit, cli_import, cli_licence,
                         cli_live, cli_render, cli_studio, cli_train)
    for module in (cli_render,  # render, engrave
                   cli_train,  # train-renderer
                   cli_compose,  # harmonize, compose
                   cli_bench,  # bench
                   cli_edit,  # pin, lock, regenerate, constrain, undo, history, provenance ...
                   cli_licence,  # licence
                   cli_daw,  # export
                   cli_import,  # import, waive, unwaive
                   cli_studio,  # studio
                   cli_live):  # play, serve-osc
        module.add_parsers(sub)
    return parser


def _add_species(sub) -> None:
    sp = sub.add_parser("species", help="write species counterpoint on a cantus firmus")
    sp.add_argument("--cantus", help='the cantus firmus, e.g. "D4 F4 E4 D4 G4 F4 A4 G4 F4 E4 D4"')
    sp.add_argument("--cantus-name", help="a shipped cantus: fux-dorian, fux-phrygian, "
                    "fux-lydian, fux-mixolydian, fux-aeolian, fux-ionian")
    sp.add_argument("--mode", type=cli_args.mode,
                    help="mode name (dorian ...) or 'G dorian'; default: read from the "
                    "cantus's final and accidentals (Bb ionian, F# phrygian ...)")
    sp.add_argument("--species", default="1", help="species per added voice, top down: 1 or 3,1")
    sp.add_argument("--voices", type=cli_args.voices,
                    help="voices in all, 2-4 (default: species + cantus)")
    sp.add_argument("--cantus-voice", default="bottom",
                    help="top, bottom, or N counted from the top (default bottom)")
    sp.add_argument("--cantus-octave", type=cli_args.octaves, default=0,
                    help="move the cantus by whole octaves, e.g. -1 (default 0)")
    sp.add_argument("--range", action="append", metavar="VOICE=LOW-HIGH",
                    help="register of an added voice, e.g. 1=C4-G5 (repeatable)")
    sp.add_argument("--max-range", type=cli_args.max_range, default=9,
                    help="largest span of a voice in letter steps (9 = a tenth)")
    sp.add_argument("--allow-crossing", action="store_true", help="let voices cross")
    sp.add_argument("--licence", metavar="ID", help="the licence of the cantus you give (SPDX "
                    "id; default: yours); see `stretto licence DIR`")
    sp.add_argument("--seed", type=cli_args.seed, default=0)
    sp.add_argument("--time-limit", type=cli_args.time_limit,
                    default=10.0, help="seconds (deterministic)")
    sp.add_argument("--workers", type=cli_args.workers, default=1)
    sp.add_argument("--no-objective", action="store_true",
                    help="stop at the first valid score (no style preferences)")
    sp.add_argument("--out", type=cli_args.folder, default="out/species",
                    help="project folder to write")
    sp.add_argument("--force", action="store_true",
                    help="--out may hold other files: move them into a dated backup first")
    sp.add_argument("--json", action="store_true", help="print the summary as JSON")
    sp.set_defaults(func=cmd_species)


def _add_check(sub) -> None:
    ck = sub.add_parser("check", help="check a score against the rules of counterpoint")
    ck.add_argument("file", help=".musicxml, .mxl, .mid or score.json")
    ck.add_argument("--species", help="species of the voices other than the cantus, top down")
    ck.add_argument("--cantus-voice", help="top, bottom or N from the top")
    ck.add_argument("--allow-crossing", action="store_true", help="let voices cross")
    ck.add_argument("--max-range", type=cli_args.max_range, default=9,
                    help="largest span of a voice in letter steps (9 = a tenth)")
    ck.add_argument("--fux", action="store_true",
                    help="allow the liberties Fux takes in his own figures (crossing, a "
                    "twelfth's range, the 4-5 suspension below, three- and four-part freedoms)")
    ck.add_argument("--rules", default="auto", metavar="auto|species|satb",
                    help="rule set: species (Fux), satb (four-part voice leading, plus chord "
                    "rules where the score carries a Roman-numeral analysis), or auto (the "
                    "default: four voices without a cantus firmus are judged as four-part "
                    "writing, species exercises by the species rules)")
    ck.add_argument("--beats", action="store_true",
                    help="judge motion (parallel and direct perfects, overlap) from beat to "
                    "beat only, as the literature counts; the default judges every onset")
    ck.add_argument("--json", action="store_true")
    ck.set_defaults(func=cmd_check)


#: Commands that change the project folder they are given (``--out``), and those that only
#: read it. The editing, render and engrave commands take the lock inside the application
#: layer (:mod:`stretto.app`), which the studio calls too.
WRITERS = frozenset({"species", "harmonize", "compose"})
READERS: frozenset[str] = frozenset()


def _project_lock(args: argparse.Namespace):
    """The project lock the command needs for its whole run (see :mod:`stretto.io.lock`)."""
    from contextlib import nullcontext

    from stretto.io.lock import project_lock

    folder = getattr(args, "dir", None) or getattr(args, "project", None) or \
        getattr(args, "out", None)
    if not isinstance(folder, str) or not folder or args.command not in WRITERS | READERS:
        return nullcontext()
    return project_lock(folder, shared=args.command in READERS)


INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug in stretto, not in the input
FIRST_RUNS = frozenset({"species", "harmonize", "compose"})


def guard_out(args: argparse.Namespace) -> None:
    """Before a new project is solved into ``--out``: refuse a folder holding the user's own
    files (BadInput naming one), or with ``--force`` move them into a dated backup first."""
    import time

    from stretto.io.project import back_up, foreign_files

    out = Path(args.out)
    if out.is_symlink() and not out.exists():
        raise BadInput(f"--out {out} is a symlink to nothing: point it at a folder or remove it")
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out} is a file, not a folder: choose a folder")
    above = next((p for p in out.absolute().parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise BadInput(f"--out {out} lies under {above}, which is a file: choose a folder")
    found = foreign_files(out, args.command)
    if not found:
        return
    if not args.force:
        name, why = found[0]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise BadInput(f"--out {out} holds {name}{more}, {why}; choose another --out, or add "
                       "--force to move them into a dated backup folder there first")
    folder = back_up(out, [name for name, _ in found], stamp=time.strftime("%Y%m%d-%H%M%S"))
    print(f"moved {len(found)} of your files out of the way into {folder}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # an argument error (one line, printed) or --help/--version
        return exc.code if isinstance(exc.code, int) else 2
    try:
        with _project_lock(args), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # music21's and others' warnings never reach stderr
            if args.command in FIRST_RUNS:
                guard_out(args)
            return args.func(args)
    except StrettoError as exc:
        if isinstance(exc, Unsatisfiable) and getattr(args, "json", False):
            from stretto.cli_edit import report_conflict
            report_conflict(exc)
        print(f"stretto: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # stdout closed early (`| head`): the work itself is done
        sys.stdout = open(os.devnull, "w")
        return 0
    except OSError as exc:  # a full disk, a read-only folder: the save was rolled back
        where = f" {exc.filename}" if exc.filename else ""
        print(f"stretto: {exc.strerror or exc}:{where}; nothing was saved (free some space, "
              "fix the folder's permissions, or choose another folder)", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the last resort: one line, never a traceback
        if os.environ.get("STRETTO_DEBUG"):
            raise
        print(f"stretto: internal error ({type(exc).__name__}: {' '.join(str(exc).split())[:200]}); "
              "nothing was saved. Please report it, with the command (STRETTO_DEBUG=1 shows "
              "the traceback)", file=sys.stderr)
        return INTERNAL_ERROR
    except KeyboardInterrupt:  # pragma: no cover
        print("stretto: interrupted; no files were changed", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
