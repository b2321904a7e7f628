"""The ``stretto export`` command (registered by :mod:`stretto.cli`): a project as a DAWproject
or REAPER file. Thin: it parses and prints; :func:`stretto.app.export.export` does the work."""

from __future__ import annotations

import argparse
import json


def cmd_export(args: argparse.Namespace) -> int:
    from stretto.app.export import export

    done = export(args.project, format=args.format, output=args.output, stems=args.stems,
                  sample_rate=args.sample_rate, engine=args.engine, use=args.use)
    if args.json:
        print(json.dumps({"format": done.format, "output": str(done.path),
                          "tracks": done.tracks, "notes": done.notes,
                          "stems": [str(p) for p in done.stems], "rendered": done.rendered,
                          "markers": done.markers, "bytes": done.size}, indent=2))
        return 0
    if done.rendered:
        print(f"rendered the stems first (they were missing or older than the score)")
    stems = f", {len(done.stems)} stem tracks" if done.stems else ""
    print(f"wrote {done.path} ({done.format}, {done.size} bytes): {done.tracks} voice tracks "
          f"with {done.notes} notes{stems}, {done.markers} markers")
    return 0


def add_parsers(sub) -> None:
    """Register ``export`` on the CLI's subparsers."""
    xp = sub.add_parser("export", help="write the project as a DAW project: DAWproject "
                        "(Bitwig, Studio One, Cubase) or REAPER")
    xp.add_argument("project", help="project folder (with score.json)")
    xp.add_argument("--format", required=True, metavar="dawproject|reaper",
                    help="dawproject: a .dawproject file (DAWproject 1.0); reaper: an .rpp file")
    xp.add_argument("--output", required=True, metavar="FILE",
                    help="the file to write (.dawproject or .rpp); an existing one is replaced "
                    "only if stretto wrote it and no DAW has saved it since")
    xp.add_argument("--stems", action="store_true",
                    help="add the rendered stems as audio tracks (rendered first when missing "
                    "or older than the score)")
    xp.add_argument("--engine", choices=("synth", "neural"), default=None,
                    help="with --stems: the engine that renders missing stems (default synth)")
    xp.add_argument("--sample-rate", type=int, default=48_000,
                    help="with --stems: Hz of stems rendered for the export (default 48000)")
    xp.add_argument("--for", dest="use", choices=("commercial", "educational", "non-commercial"),
                    help="refuse (exit 2, naming the input) unless every input's licence "
                    "allows this use; see `stretto licence DIR`")
    xp.add_argument("--json", action="store_true", help="print the summary as JSON")
    xp.set_defaults(func=cmd_export)


__all__ = ["add_parsers", "cmd_export"]
