"""Play a score to a MIDI output port in time, with MIDI clock, as score.mid would sound.

:func:`schedule` takes each voice's events from the one MIDI writer (:func:`stretto.io.daw.
played_tracks`: what score.mid holds, one channel per voice as
:func:`stretto.io.midi.voice_channels` assigns them, ties merged, grace notes on the beat) and
puts them on one time line in exact seconds at the tempo, with MIDI clock (``0xF8``) 24 times
per quarter note. :func:`play` sends them: Start (``0xFA``), the events, Stop (``0xFC``), each
at its absolute deadline on the clock measured from the start, so a late wake-up never delays
what follows (the lateness of every event is measured and reported). However it ends, by the
last note, a Ctrl-C or an error, every sounding note is released (note off, then All Notes
Off on each channel) and Stop is sent. :func:`play_project` reads a project folder and plays
it.
"""

from __future__ import annotations

import contextlib
import os
import statistics
from array import array
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Callable

from stretto.errors import BadInput
from stretto.live.ports import Clock, MonotonicClock, OutputPort

#: MIDI clock pulses per quarter note (the MIDI 1.0 standard)
CLOCK_PPQ = 24
TICKS_PER_QUARTER = 960  # score.mid's resolution; a clock pulse is 40 ticks
START, STOP, CLOCK = b"\xfa", b"\xfc", b"\xf8"
ALL_NOTES_OFF = 123  # controller number
#: the tempi --tempo accepts, in quarter notes per minute
TEMPO_RANGE = (Fraction(10), Fraction(1000))
# at equal times: note offs, then the clock, then the rest (program changes, note ons)
OFF, PULSE, ON = 0, 1, 2
#: the real-time priority ``play(realtime=True)`` asks for: above every normal process, below
#: JACK's own threads (which run at 70 and above by default)
REALTIME_PRIORITY = 20


@dataclass(frozen=True)
class Schedule:
    """One pass through the score: ``setup`` (each voice's program change, sent before
    Start), ``events`` as (seconds from the start, message bytes) in sending order (exact
    fractions), its ``length`` in seconds (the piece's length at the
    tempo), the ``tempo`` in quarter notes per minute, the MIDI ``channels`` of the voices
    (top to bottom), the number of ``notes`` and of clock ``pulses``."""

    setup: tuple[bytes, ...]
    events: tuple[tuple[Fraction, bytes], ...]
    length: Fraction
    tempo: Fraction
    channels: tuple[int, ...]
    notes: int
    pulses: int


@dataclass(frozen=True)
class PlayReport:
    """What :func:`play` did: messages and notes sent, passes played (``loops``), seconds
    from Start to Stop, whether a Ctrl-C ended it (``interrupted``), the notes it had to
    release at the end, and each event's lateness (sent minus due, in milliseconds): median,
    99th percentile and maximum (``realtime``: whether it ran at real-time priority), and
    the ``drift`` (mean lateness of the last tenth of the
    events minus that of the first tenth: 0 when nothing adds up)."""

    port: str
    messages: int
    notes: int
    loops: int
    seconds: float
    interrupted: bool
    released: int
    realtime: bool
    late_median_ms: float
    late_p99_ms: float
    late_max_ms: float
    drift_ms: float


def check_tempo(tempo: Fraction | float | str) -> Fraction:
    """``tempo`` as an exact number of quarter notes per minute; BadInput outside 10-1000."""
    try:
        value = Fraction(str(tempo))
    except (ValueError, ZeroDivisionError):
        raise BadInput(f"cannot read --tempo {tempo!r}: give quarter notes per minute, e.g. "
                       "96") from None
    lo, hi = TEMPO_RANGE
    if not lo <= value <= hi:
        raise BadInput(f"--tempo {tempo}: give {lo} to {hi} quarter notes per minute")
    return value


def schedule(piece, *, tempo: Fraction | None = None) -> Schedule:
    """The score's MIDI events on one time line: every voice's events as score.mid holds
    them (program change, note on and off, on the voice's channel) and a clock pulse every
    1/24 quarter note from 0 to the end, at ``tempo`` (default: the piece's)."""
    from stretto.io.daw import played_tracks
    from stretto.io.midi import voice_channels

    bpm = check_tempo(piece.tempo if tempo is None else tempo)
    tpq = TICKS_PER_QUARTER
    per_tick = Fraction(60) / (bpm * tpq)
    end = int(piece.length * tpq) if piece.length else 0
    if end <= 0:
        raise BadInput("the score has no notes to play")
    timed: list[tuple[int, int, int, bytes]] = []  # (tick, order, voice, message)
    setup: list[bytes] = []
    notes = 0
    for v, events in enumerate(played_tracks(piece, tpq=tpq)):
        for tick, msg in events:
            kind = msg[0] & 0xF0
            if kind == 0xC0 and tick == 0:  # the voice's instrument, before Start
                setup.append(msg)
                continue
            off = kind == 0x80 or (kind == 0x90 and msg[2] == 0)
            notes += kind == 0x90 and msg[2] > 0
            timed.append((tick, OFF if off else ON, v, msg))
    step = tpq // CLOCK_PPQ
    pulses = range(0, end, step)
    timed += [(t, PULSE, -1, CLOCK) for t in pulses]
    timed.sort(key=lambda e: (e[0], e[1], e[2]))
    return Schedule(setup=tuple(setup), events=tuple((t * per_tick, m) for t, _, _, m in timed),
                    length=end * per_tick, tempo=bpm,
                    channels=tuple(voice_channels(len(piece.voices))), notes=notes,
                    pulses=len(pulses))


def _lateness(late) -> tuple[float, float, float, float]:
    """(median, p99, max, drift) of the lateness in ms."""
    if not late:
        return 0.0, 0.0, 0.0, 0.0
    ms = sorted(x * 1000 for x in late)
    p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
    tenth = max(1, len(late) // 10)
    drift = (statistics.fmean(late[-tenth:]) - statistics.fmean(late[:tenth])) * 1000
    return statistics.median(ms), p99, ms[-1], drift


def release(port: OutputPort, sounding: set[tuple[int, int]], channels) -> int:
    """Silence ``port``: a note off for each (channel, key) in ``sounding``, then All Notes
    Off on every channel in ``channels`` (for a synth that missed a note off). Returns how
    many notes it released."""
    for channel, key in sorted(sounding):
        port.send(bytes((0x80 | channel, key, 0)))
    for channel in sorted(set(channels)):
        port.send(bytes((0xB0 | channel, ALL_NOTES_OFF, 0)))
    return len(sounding)


@contextlib.contextmanager
def realtime_priority(wanted: bool):
    """Run the calling thread at real-time priority (SCHED_FIFO, :data:`REALTIME_PRIORITY`)
    while inside, where the system allows it; yields whether it does. The thread's own
    policy comes back on exit."""
    if not wanted or not hasattr(os, "sched_setscheduler"):
        yield False
        return
    try:
        old = (os.sched_getscheduler(0), os.sched_getparam(0))
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(REALTIME_PRIORITY))
    except (OSError, AttributeError):  # no permission (rtprio limit), or not Linux
        yield False
        return
    try:
        yield True
    finally:
        os.sched_setscheduler(0, old[0], old[1])


def play(plan: Schedule, port: OutputPort, *, clock: Clock | None = None, loop: bool = False,
         passes: int | None = None, lead_in: float = 0.0,
         realtime: bool = False) -> PlayReport:
    """Send ``plan`` to ``port`` in time: its setup (program changes), Start, every event at
    its deadline on ``clock`` (measured from the start, ``lead_in`` seconds from now), Stop.
    With ``loop`` the score repeats, the clock running on, until Ctrl-C (or for ``passes``
    passes). A Ctrl-C ends it cleanly (``interrupted`` in the report); whatever ends it, the
    sounding notes are released and Stop is sent. With ``realtime``, the sending thread asks
    for real-time priority (:func:`realtime_priority`), so that other processes delay it less.
    """
    with realtime_priority(realtime) as granted:
        # at real-time priority a sleep wakes on time (no timer slack): no yield loop needed
        clock = clock or MonotonicClock(spin=0.0 if granted else 0.001)
        report = _play(plan, port, clock, loop, passes, lead_in)
    return replace(report, realtime=granted)


def _play(plan: Schedule, port: OutputPort, clock: Clock, loop: bool, passes: int | None,
          lead_in: float) -> PlayReport:
    length = float(plan.length)
    events = [(float(t), m) for t, m in plan.events]
    want = passes if passes is not None else (None if loop else 1)
    sounding: set[tuple[int, int]] = set()
    late = array("d")  # seconds; 8 bytes a message, for a --loop left running for hours
    sent = notes = done = released = 0
    interrupted = started = False
    start = clock.now() + lead_in
    end = start
    try:
        for msg in plan.setup:
            port.send(msg)
        sent = len(plan.setup)
        clock.sleep_until(start)
        port.send(START)
        started, sent = True, sent + 1
        while want is None or done < want:
            base = start + done * length
            for due, msg in events:
                at = base + due
                clock.sleep_until(at)
                port.send(msg)
                late.append(clock.now() - at)
                sent += 1
                kind, key = msg[0] & 0xF0, (msg[0] & 0x0F, msg[1] if len(msg) > 1 else 0)
                if kind == 0x90 and msg[2] > 0:
                    sounding.add(key)
                    notes += 1
                elif kind in (0x80, 0x90):
                    sounding.discard(key)
            done += 1
            clock.sleep_until(start + done * length)
        end = clock.now()
    except KeyboardInterrupt:
        interrupted = True
        end = clock.now()
    finally:
        if started:
            released = release(port, sounding, plan.channels)
            port.send(STOP)
            sent += released + len(set(plan.channels)) + 1
    median, p99, worst, drift = _lateness(late)
    return PlayReport(port=port.name, messages=sent, notes=notes, loops=done,
                      seconds=max(0.0, end - start), interrupted=interrupted, released=released,
                      realtime=False,
                      late_median_ms=median, late_p99_ms=p99, late_max_ms=worst,
                      drift_ms=drift)


def read_piece(folder: str | Path):
    """The project's score, read under its lock (a reader's: one whole version)."""
    from stretto.app.session import load, locked

    with locked(folder, shared=True):
        project, _ = load(folder, edit=False)
    return project.piece


def play_project(folder: str | Path, port: OutputPort, *, tempo: Fraction | None = None,
                 loop: bool = False, passes: int | None = None, lead_in: float = 0.0,
                 clock: Clock | None = None, realtime: bool = False,
                 on_ready: Callable[[Schedule], None] | None = None) -> PlayReport:
    """Play the project in ``folder`` to ``port`` (see :func:`play`); ``on_ready`` hears the
    schedule before the first message goes out. The project is not locked while it plays."""
    plan = schedule(read_piece(folder), tempo=tempo)
    if on_ready is not None:
        on_ready(plan)
    return play(plan, port, clock=clock, loop=loop, passes=passes, lead_in=lead_in,
                realtime=realtime)


__all__ = ["ALL_NOTES_OFF", "CLOCK", "CLOCK_PPQ", "PlayReport", "REALTIME_PRIORITY", "START",
           "STOP", "Schedule", "TEMPO_RANGE", "check_tempo", "play", "play_project", "read_piece",
           "realtime_priority", "release", "schedule"]
