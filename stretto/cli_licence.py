"""The ``stretto licence DIR`` command (registered by :mod:`stretto.cli`): what a project's
output may be used for, why, and the credits it must carry. Thin: it calls
:func:`stretto.app.licence.licence_of` and prints."""

from __future__ import annotations

import argparse
import json

from stretto.licence import USES


def cmd_licence(args: argparse.Namespace) -> int:
    from stretto.app.licence import check_use, licence_of

    opts = dict(engine=args.engine, soundfont=args.soundfont,
                soundfont_licence=args.soundfont_licence, checkpoint=args.checkpoint)
    report = licence_of(args.dir, **opts)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        _print(report)
    if args.use:
        check_use(args.dir, use=args.use, **opts)  # BadInput (exit 2) names the input
        print(f"cleared for {args.use} use")
    return 0


def _uses(verdict) -> str:
    allowed = [u for u in USES if u in verdict.uses]
    refused = [u for u in USES if u not in verdict.uses]
    return (", ".join(allowed) or "no use") + (f" (not {', '.join(refused)})" if refused
                                               else "")


def _print(report) -> None:
    print(f"the score may be used for: {_uses(report.score)}")
    for reason in report.score.reasons():
        print(f"  {reason}")
    engine = report.engine or "synth"
    if report.render_inputs:
        print(f"audio rendered with {engine} may be used for: {_uses(report.audio)}")
        for reason in report.audio.reasons():
            if reason not in report.score.reasons():
                print(f"  {reason}")
    else:
        print(f"audio rendered with {engine}: the same (the built-in synthesis adds only "
              "stretto's code)")
    print("inputs:")
    for i in report.inputs + report.render_inputs:
        lic = i.licence
        print(f"  {i.role}: {i.title} - {lic.id} ({lic.uses_words()}"
              + ("; attribution" if lic.attribution else "")
              + ("; share alike" if lic.share_alike else "") + f") - {i.source}")
    if not report.recorded:
        print("  (this project was made before stretto recorded its inputs' licences: the "
              "given voice is counted as yours; make it again to record its source)")
    credits = report.audio.attributions
    print("credits to carry: " + ("; ".join(credits) if credits else "none required"))
    print(f"line in every file: {report.audio.line()}")
    if report.rendered is not None and report.rendered != report.audio.line():
        print(f"mix.wav as rendered states: {report.rendered}")


def add_parsers(sub) -> None:
    """Register ``licence`` on the CLI's subparsers."""
    p = sub.add_parser("licence", help="what a project's output may be used for, why, and "
                       "the credits it must carry")
    p.add_argument("dir", help="project folder (with score.json)")
    p.add_argument("--engine", choices=("synth", "soundfont", "neural"), default=None,
                   help="also the audio rendered with this engine (its SoundFont or the "
                   "neural checkpoint and its training data)")
    p.add_argument("--soundfont", metavar="FILE", help="the SoundFont of --engine soundfont")
    p.add_argument("--soundfont-licence", metavar="ID",
                   help="the SoundFont's licence (SPDX id) when stretto has no record of it")
    p.add_argument("--checkpoint", metavar="FILE", help="neural: another checkpoint")
    p.add_argument("--for", dest="use", choices=USES,
                   help="exit 2, naming the input, unless the output is cleared for this use")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_licence)


__all__ = ["add_parsers", "cmd_licence"]
