"""Timing of `stretto play`: how late each MIDI message leaves, and whether lateness adds up
(drift), for stretto's scheduler (absolute deadlines on the monotonic clock) and, for
comparison, the naive one (sleep the gap between events). Then, where a JACK server can run
(`jackd -d dummy`), the onsets as an rtmidi input receives them, against the score's times.

The piece: a two-voice species score (the cantus of the tests) at 160 quarter notes per
minute, looped for about ``--seconds`` (MIDI clock 24 per quarter: 64 pulses a second, plus
the notes). Lateness = time sent - time due; drift = mean lateness over the last tenth of the
messages - over the first tenth. stretto's player asks for real-time priority (SCHED_FIFO)
where allowed; the rows at normal priority show what a busy machine does without it.

    .venv/bin/python bench/live_timing.py               # 30 s a row
    .venv/bin/python bench/live_timing.py --seconds 10 --no-jack
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stretto.live.player import START, play, schedule  # noqa: E402
from stretto.live.ports import MemoryOutput, MonotonicClock, quiet_stderr  # noqa: E402

CANTUS = "D4 F4 E4 D4 G4 F4 A4 G4 F4 E4 D4"


def make_piece(root: Path):
    from stretto.cli import main
    from stretto.live.player import read_piece

    out = root / "sp"
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["species", "--cantus", CANTUS, "--species", "1", "--cantus-voice",
                     "bottom", "--time-limit", "5", "--seed", "0", "--out", str(out)]) == 0
    return read_piece(out)


def stats(late: list[float]) -> tuple[float, float, float, float]:
    """(median, p99, max, drift) in ms from a list of lateness in seconds."""
    ms = sorted(x * 1000 for x in late)
    tenth = max(1, len(late) // 10)
    drift = (statistics.fmean(late[-tenth:]) - statistics.fmean(late[:tenth])) * 1000
    return statistics.median(ms), ms[min(len(ms) - 1, int(0.99 * len(ms)))], ms[-1], drift


def deadlines(plan, passes: int, spin: float, realtime: bool) -> tuple | str:
    """stretto's player over the in-memory port on the real clock: its own report of the
    lateness (each message against its deadline from the scheduled start)."""
    clock = MonotonicClock(spin=spin)
    port = MemoryOutput(clock)
    report = play(plan, port, clock=clock, loop=True, passes=passes, lead_in=0.05,
                  realtime=realtime)
    if realtime and not report.realtime:
        return "real-time priority not allowed here"
    return (report.late_median_ms, report.late_p99_ms, report.late_max_ms, report.drift_ms)


def relative_sleeps(plan, passes: int) -> list[float]:
    """The naive player: sleep the gap to the next event, then send."""
    events = [(float(t) + k * float(plan.length), m) for k in range(passes)
              for t, m in plan.events]
    late, sent, last = [], [], 0.0
    start = time.monotonic()
    for due, msg in events:
        time.sleep(max(0.0, due - last))
        sent.append(msg)  # the cost of handing a message to a port
        late.append(time.monotonic() - start - due)
        last = due
    return late


def jack_onsets(plan, passes: int, sync: bool, realtime: bool,
                server_rt: bool) -> list[float] | str:
    """Onset error at an rtmidi input over a JACK dummy server (128 frames at 48 kHz), every
    message, measured from the Start as received (rtmidi's time stamps, taken in JACK's
    thread); a reason (str) when JACK cannot run or a message was lost."""
    try:
        import rtmidi
    except ImportError:
        return "python-rtmidi is not installed"
    if shutil.which("jackd") is None:
        return "jackd is not installed"
    from stretto.live.ports import open_output

    name = f"stretto-bench-{os.getpid()}"
    os.environ["JACK_DEFAULT_SERVER"] = name
    rt = ["--realtime"] if server_rt else ["--no-realtime"]
    proc = subprocess.Popen(["jackd", "-n", name, *rt, *(["-S"] if sync else []),
                             "-d", "dummy", "-r", "48000", "-p", "128"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(80):
            try:
                with quiet_stderr():
                    rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="probe").delete()
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.1)
        else:
            return "the JACK dummy server did not start"
        got: list[tuple[float, bytes]] = []
        with quiet_stderr():
            inp = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name="listener", queue_size_limit=65536)
        inp.ignore_types(timing=False)
        stop = threading.Event()

        def poll():
            now = 0.0
            while not stop.is_set():
                event = inp.get_message()
                if event is None:
                    time.sleep(0.001)
                    continue
                now += event[1]
                got.append((now, bytes(event[0])))

        thread = threading.Thread(target=poll)
        thread.start()
        with open_output("bench", api="jack") as port:
            names = inp.get_ports()
            inp.open_port(next(i for i, n in enumerate(names) if n.endswith(":bench")))
            time.sleep(0.3)
            play(plan, port, loop=True, passes=passes, lead_in=0.2, realtime=realtime)
            time.sleep(0.3)
        stop.set()
        thread.join()
        inp.close_port()
        inp.delete()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    t0 = next(t for t, m in got if m == START)
    body = got[len(plan.setup) + 1:][:passes * len(plan.events)]
    due = [(float(t) + k * float(plan.length), m) for k in range(passes)
           for t, m in plan.events]
    if [m for _, m in body] != [m for _, m in due]:
        from collections import Counter

        after = Counter(m for _, m in got[len(plan.setup) + 1:])
        lost = sum((Counter(m for _, m in due) - after).values())
        return f"{lost} of {len(due)} messages lost" if lost else "messages out of order"
    return [abs(b - t0 - d) for (b, _), (d, _) in zip(body, due)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--no-jack", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        piece = make_piece(Path(tmp))
    plan = schedule(piece)
    passes = max(1, round(args.seconds / float(plan.length)))
    print(f"piece: {plan.notes} notes, {float(plan.length):.2f} s at {plan.tempo} q/min, "
          f"{len(plan.events)} messages a pass (clock 24 ppq); {passes} passes = "
          f"{passes * float(plan.length):.1f} s, {passes * len(plan.events)} messages a row")
    print(f"{'scheduler':<46} {'median':>8} {'p99':>8} {'max':>8} {'drift':>9}")
    rows = [("sent: deadlines, real-time priority (stretto)",  # no yield loop there
             lambda: deadlines(plan, passes, 0.0, True)),
            ("sent: deadlines, normal priority", lambda: deadlines(plan, passes, 0.001, False)),
            ("sent: deadlines, normal, sleep only", lambda: deadlines(plan, passes, 0.0, False)),
            ("sent: relative sleeps (naive)", lambda: relative_sleeps(plan, passes))]
    if not args.no_jack:
        rows += [("received: JACK -S -R, stretto real-time",
                  lambda: jack_onsets(plan, passes, True, True, True)),
                 ("received: JACK -S, stretto real-time",
                  lambda: jack_onsets(plan, passes, True, True, False)),
                 ("received: JACK -S, both normal priority",
                  lambda: jack_onsets(plan, passes, True, False, False)),
                 ("received: JACK async, stretto real-time",
                  lambda: jack_onsets(plan, passes, False, True, False))]
    for label, run in rows:
        t = time.monotonic()
        late = run()
        if isinstance(late, str):
            print(f"{label:<46} {late}")
            continue
        median, p99, worst, drift = late if isinstance(late, tuple) else stats(late)
        print(f"{label:<46} {median:8.3f} {p99:8.3f} {worst:8.3f} {drift:+9.3f}"
              f"   ({time.monotonic() - t:.1f} s)")
    print("ms (sent: lateness against the deadline; received: |arrival - due| after the "
          "Start that arrived); drift = mean of the last tenth - mean of the first tenth")


if __name__ == "__main__":
    main()
