"""The ``stretto render`` and ``stretto engrave`` commands (registered by :mod:`stretto.cli`).

Thin: they parse and check arguments, then call :mod:`stretto.renderer` and
:mod:`stretto.io.engrave`, which import numpy, librosa, soundfile and verovio lazily.
"""

from __future__ import annotations

import argparse
import json
from fractions import Fraction
from pathlib import Path

from stretto.errors import BadInput
from stretto import cli_args


def _tempo(text: str) -> Fraction:
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise BadInput(f"cannot read --tempo {text!r}: give quarter notes per minute, e.g. 120") \
            from None
    if not 10 <= value <= 1000:
        raise BadInput(f"--tempo {text} is out of range: use 10-1000 quarter notes per minute")
    return value


def cmd_render(args: argparse.Namespace) -> int:
    from stretto.app.audio import render as render_project

    tempo = _tempo(args.tempo) if args.tempo else None
    done = render_project(args.project, engine=args.engine, instruments=args.instrument,
                          tempo=tempo, sample_rate=args.sample_rate, soundfont=args.soundfont,
                          detune_cents=args.detune, checkpoint=args.checkpoint,
                          seed=args.seed or 0, take=args.take or 0,
                          device=args.device, verify=args.verify,
                          min_accuracy=args.min_accuracy, progress=not args.json,
                          use=args.use, soundfont_licence=args.soundfont_licence,
                          sign_cert=args.sign_cert, sign_key=args.sign_key,
                          plugins=args.plugin, presets=args.preset,
                          plugin_licence=args.plugin_licence)
    render, paths, results = done.render, done.files, done.fidelity
    summary = {"sample_rate": render.sr, "tempo": str(render.tempo),
               "seconds": round(render.duration, 3), "render_time": round(render.seconds, 3),
               "mix_gain": round(render.gain, 6), "engine": render.info,
               "instruments": dict(zip(render.names, render.instruments)),
               "files": [str(p) for p in paths.values()]}
    code = 0
    if args.verify:
        from stretto.renderer.verify import as_dicts
        summary["fidelity"] = as_dicts(results)
        summary["fidelity_ok"] = done.fidelity_ok
        code = 0 if done.fidelity_ok else 1
    if args.json:
        print(json.dumps(summary, indent=2))
        return code
    voices = ", ".join(f"{n} ({i})" for n, i in zip(render.names, render.instruments))
    print(f"rendered {render.duration:.2f} s at {render.sr} Hz, tempo {render.tempo} in "
          f"{render.seconds:.2f} s: {voices}")
    stems = [p for name, p in paths.items() if name != "mix.wav"]
    print(f"stems: {', '.join(str(p) for p in stems)}")
    print(f"mix:   {paths['mix.wav']} (gain {render.gain:.3f})")
    if args.verify:
        from stretto.renderer.verify import format_report
        print(format_report(results, args.min_accuracy))
    return code


def cmd_engrave(args: argparse.Namespace) -> int:
    from stretto.app.audio import engrave

    formats = ("pdf", "svg") if args.format == "both" else (args.format,)
    result = engrave(args.project, formats=formats)
    if args.json:
        print(json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in result.items()},
                         indent=2))
    else:
        for kind in formats:
            extra = (f"{result['pages']} page(s)" if kind == "pdf"
                     else f"{result['svg_notes']} notes with ids")
            print(f"{kind}: {result[kind]} ({extra})")
    return 0


def add_parsers(sub) -> None:
    """Register ``render`` and ``engrave`` on the CLI's subparsers."""
    from stretto.renderer.synth import INSTRUMENTS
    from stretto.renderer.verify import DEFAULT_MIN_ACCURACY

    rp = sub.add_parser("render", help="render a project to per-voice WAV stems and a mix")
    rp.add_argument("project", help="project folder (with score.json)")
    rp.add_argument("--instrument", action="append", metavar="VOICE=NAME",
                    help=f"instrument of a voice (name, number from the top, or all): "
                    f"{', '.join(INSTRUMENTS)}; default choir for singers' names "
                    "(Soprano, Alto, Tenor, Bass), else organ (repeatable)")
    rp.add_argument("--tempo", help="quarter notes per minute (default: the score's)")
    rp.add_argument("--sample-rate", type=int, default=48_000, help="Hz (default 48000)")
    rp.add_argument("--soundfont", metavar="FILE",
                    help="play through this .sf2 (needs tinysoundfont) instead of the built-in "
                    "synthesis")
    rp.add_argument("--engine", choices=("synth", "soundfont", "neural"), default=None,
                    help="synth: the built-in synthesis (default); soundfont: --soundfont FILE; "
                    "neural: the score-conditioned LeLM + flow + F0-driven vocoder (needs the "
                    "neural extra); every engine keeps the written notes and is checked by --verify")
    rp.add_argument("--take", type=int, default=None, metavar="N",
                    help="neural: another performance of the same notes (default 0)")
    rp.add_argument("--seed", type=int, default=None,
                    help="neural: seed of the sampling (default 0; same seed and take, same audio)")
    rp.add_argument("--checkpoint", metavar="FILE|random",
                    help="neural: weights (.safetensors) to use (default: the shipped checkpoint; "
                    "'random' for untrained weights)")
    rp.add_argument("--device", choices=("cpu", "cuda"), default=None,
                    help="neural: where the models run (default cpu; cuda runs the Triton kernels)")
    rp.add_argument("--verify", action="store_true",
                    help="track each stem's pitch and compare it with the score (exit 1 if a "
                    "voice's note accuracy is below --min-accuracy)")
    rp.add_argument("--min-accuracy", type=float, default=DEFAULT_MIN_ACCURACY,
                    help=f"note accuracy each voice needs with --verify "
                    f"(default {DEFAULT_MIN_ACCURACY})")
    rp.add_argument("--detune", type=cli_args.detune_cents, default=0.0, metavar="CENTS",
                    help="shift every pitch by CENTS (to test --verify; default 0)")
    rp.add_argument("--for", dest="use", choices=("commercial", "educational", "non-commercial"),
                    help="refuse (exit 2, naming the input) unless every input's licence "
                    "allows this use; see `stretto licence DIR`")
    rp.add_argument("--soundfont-licence", metavar="ID",
                    help="the SoundFont's licence (SPDX id) when stretto has no record of it")
    rp.add_argument("--sign-cert", metavar="PEM", help="sign stems and mix with C2PA content "
                    "credentials: the signing certificate followed by its CA's (c2pa extra)")
    rp.add_argument("--sign-key", metavar="PEM", help="the private key of --sign-cert")
    rp.add_argument("--plugin-licence", metavar="ID", help="the licence of the --plugin "
                    "instruments' output (SPDX id, or 'yours'); stretto has no record of it")
    rp.add_argument("--plugin", action="append", metavar="VOICE=PATH.vst3",
                    help="render that voice (name, number from the top, or all) through a VST3 "
                    "instrument (plugin extra: pedalboard, GPL-3; repeatable)")
    rp.add_argument("--preset", action="append", metavar="[VOICE=]FILE",
                    help="a .vstpreset for the --plugin voices (or for VOICE)")
    rp.add_argument("--json", action="store_true", help="print the summary as JSON")
    rp.set_defaults(func=cmd_render)

    ep = sub.add_parser("engrave", help="engrave a project: score.pdf (LilyPond) and "
                        "score.svg (Verovio, with note ids)")
    ep.add_argument("project", help="project folder (with score.json)")
    ep.add_argument("--format", choices=("both", "pdf", "svg"), default="both")
    ep.add_argument("--json", action="store_true", help="print the summary as JSON")
    ep.set_defaults(func=cmd_engrave)


__all__ = ["add_parsers", "cmd_engrave", "cmd_render"]
