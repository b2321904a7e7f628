"""The live link's commands (registered by :mod:`stretto.cli`): ``stretto play`` sends the
score to a MIDI port in time, ``stretto serve-osc`` takes edits by Open Sound Control. Thin:
they parse and print; :mod:`stretto.live` does the work."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys

from stretto import cli_args
from stretto.errors import BadInput


@contextlib.contextmanager
def _term_as_interrupt():
    """SIGTERM ends playing as Ctrl-C does: the sounding notes are released first."""
    def stop(signum, frame):  # noqa: ARG001 - the signal module's signature
        raise KeyboardInterrupt

    try:
        old = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (a test calling main() from a thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _channels(channels) -> str:
    return ", ".join(str(c + 1) for c in channels)  # as a DAW numbers them, from 1


def cmd_play(args: argparse.Namespace) -> int:
    from stretto.live.player import check_tempo, play_project
    from stretto.live.ports import open_output, output_names

    if args.list_ports:
        for found in output_names(api=args.midi_api):
            print(f"{found.api.upper()} outputs:" + ("" if found.names else " none"))
            for name in found.names:
                print(f"  {name}")
        return 0
    if not args.dir or args.midi_port is None:
        raise BadInput("give the project folder and --midi-port NAME (or --list-ports)")
    tempo = check_tempo(args.tempo) if args.tempo is not None else None

    with open_output(args.midi_port, api=args.midi_api) as port, _term_as_interrupt():
        wait = args.wait if args.wait is not None else (2.0 if port.virtual else 0.0)
        how = "a virtual port stretto opened: connect it to your synth or DAW" if \
            port.virtual else "an existing port"
        print(f"MIDI port {port.name} on {port.api.upper()} ({how})", flush=True)

        def ready(plan) -> None:
            print(f"playing {len(plan.channels)} voices on channels {_channels(plan.channels)}: "
                  f"{plan.notes} notes, {float(plan.length):.2f} s at {float(plan.tempo):g} "
                  f"quarter notes per minute, MIDI clock 24 per quarter"
                  + (", looping" if args.loop else "")
                  + (f", starting in {wait:g} s" if wait else "") + "; Ctrl-C stops",
                  flush=True)

        try:
            report = play_project(args.dir, port, tempo=tempo, loop=args.loop,
                                  lead_in=wait, realtime=not args.no_realtime, on_ready=ready)
        except KeyboardInterrupt:  # before the start: nothing sounded
            print("stopped before the start", flush=True)
            return 0
    passes = f"{report.loops} pass{'es' if report.loops != 1 else ''}"
    if report.interrupted:
        print(f"stopped after {report.seconds:.2f} s ({passes} complete); released "
              f"{report.released} sounding notes and sent All Notes Off and Stop")
    else:
        print(f"played {report.notes} notes ({passes}, {report.seconds:.2f} s)")
    priority = "real-time" if report.realtime else "normal"
    print(f"timing ({report.messages} messages, {priority} priority): median "
          f"{report.late_median_ms:.3f} ms, 99th percentile {report.late_p99_ms:.3f} ms, "
          f"max {report.late_max_ms:.3f} ms late; drift {report.drift_ms:+.3f} ms from the "
          "first tenth to the last")
    return 0


def cmd_serve_osc(args: argparse.Namespace) -> int:
    from stretto.cli_studio import is_loopback
    from stretto.live.osc import OscServer, USAGE, parse_allowed

    allow = parse_allowed(args.allow or [])
    with OscServer(args.dir, host=args.host, port=args.port, time_limit=args.solve_limit,
                   allow=allow) as server:
        host, port = server.address
        print(f"stretto serve-osc on {args.dir}: listening on {host}:{port} (UDP)", flush=True)
        for name, usage in USAGE.items():
            print(f"  /stretto/{name} {usage}".rstrip(), flush=True)
        print("answers /stretto/ok, /stretto/conflict or /stretto/error to the sender; "
              "Ctrl-C stops", flush=True)
        if allow:
            print(f"answering loopback and {', '.join(map(str, allow))}: anyone there can edit "
                  "the project (OSC has no password)", flush=True)
        elif not is_loopback(args.host):
            print(f"listening on {args.host} but answering this machine only: add --allow "
                  "ADDR for the senders that may edit the project", flush=True)

        def log(line: str) -> None:
            print(line, flush=True)

        try:
            with _term_as_interrupt():
                server.serve(log=None if args.quiet else log)
        except KeyboardInterrupt:
            pass
        r = server.report()
    print(f"stopped: {r.messages} messages answered ({r.ok} ok, {r.conflicts} conflicts, "
          f"{r.errors} errors)" + (f", {r.ignored} ignored from senders not allowed"
                                    if r.ignored else ""), file=sys.stdout)
    return 0


def add_parsers(sub) -> None:
    """Register ``play`` and ``serve-osc`` on the CLI's subparsers."""
    p = sub.add_parser("play", help="send the score to a MIDI port in time (one channel per "
                       "voice, MIDI clock)")
    p.add_argument("dir", nargs="?", help="project folder (with score.json)")
    p.add_argument("--midi-port", metavar="NAME",
                   help="an existing output port by name, or else a virtual port stretto "
                   "opens with that name")
    p.add_argument("--list-ports", action="store_true",
                   help="list the MIDI output ports and stop")
    p.add_argument("--loop", action="store_true",
                   help="play the score again and again (the clock runs on) until Ctrl-C")
    p.add_argument("--tempo", metavar="BPM",
                   help="quarter notes per minute (default: the score's)")
    p.add_argument("--midi-api", choices=("auto", "jack", "alsa"), default="auto",
                   help="the MIDI system (default auto: JACK when a server runs, else ALSA)")
    p.add_argument("--wait", type=cli_args.seconds("wait", 0.0, 60.0), default=None,
                   help="seconds before the start, to connect the port (default 2 for a "
                   "virtual port, 0 for an existing one)")
    p.add_argument("--no-realtime", action="store_true",
                   help="do not ask for real-time priority (by default the sending thread runs "
                   "at SCHED_FIFO 20 where the system allows it, as JACK clients do)")
    p.set_defaults(func=cmd_play)

    o = sub.add_parser("serve-osc", help="take pin, lock, regenerate, undo and redo as OSC "
                       "messages (UDP, this machine by default)")
    o.add_argument("dir", help="project folder (with score.json)")
    o.add_argument("--port", type=cli_args.port, default=9000,
                   help="UDP port (default 9000; 0: a free one)")
    o.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this machine only)")
    o.add_argument("--allow", action="append", metavar="ADDR",
                   help="also answer senders at this address or network (e.g. 192.168.1.0/24; "
                   "repeatable); others are ignored. Loopback is always answered")
    o.add_argument("--solve-limit", type=cli_args.seconds("solve-limit", 0.1, 600.0),
                   default=None,
                   help="longest solve one edit may run, in seconds (default: the project's)")
    o.add_argument("--quiet", action="store_true", help="do not print each message")
    o.set_defaults(func=cmd_serve_osc)


__all__ = ["add_parsers", "cmd_play", "cmd_serve_osc"]
