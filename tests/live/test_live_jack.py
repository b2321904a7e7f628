"""stretto play over a real MIDI system: a JACK server with the dummy driver (no sound card),
python-rtmidi on both ends. stretto opens a virtual port, an rtmidi input connects to it, and
what arrives is checked against the score: the notes, their channels, the clock and the
onsets (each within 10 ms of the score's time, measured from the Start message as received).
Skipped with the reason where jackd or python-rtmidi is missing or JACK cannot start.

The server runs synchronously (``-S``: each cycle waits for every client), since on a busy
machine a non-real-time server in its default asynchronous mode drops a late client's MIDI
for that cycle (seen here: 1 to 23 of 1100 messages lost, "ProcessGraphAsyncMaster: Process
error"). The arrival times are JACK's own (rtmidi's time stamps, taken in JACK's thread), so
the listener's Python thread adds no error of its own."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest

from stretto.live.player import CLOCK, START, STOP, schedule

rtmidi = pytest.importorskip("rtmidi", reason="python-rtmidi is not installed (the live extra)")

from stretto.live.ports import open_output, quiet_stderr  # noqa: E402
from support import token_voices  # noqa: E402

# a real JACK server per test: make test runs them, make test-fast leaves them out
pytestmark = pytest.mark.slow


ONSET_TOLERANCE = 0.010  # seconds
# synchronous; 48 kHz, 128 frames: JACK moves MIDI once per 2.7 ms period
DUMMY = ["-S", "-d", "dummy", "-r", "48000", "-p", "128"]


def _jack_up(proc: subprocess.Popen, timeout: float = 8.0) -> bool:
    """Whether the server ``proc`` takes clients within ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:  # it exited: could not start this way
            return False
        try:
            with quiet_stderr():
                probe = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="probe")
            probe.delete()
            return True
        except Exception:  # noqa: BLE001 - rtmidi's SystemError while the server starts
            time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def jack(tmp_path_factory):
    """A JACK dummy server of this test's own (named, so that it meets no other), made the
    default server of this process and its children."""
    if shutil.which("jackd") is None:
        pytest.skip("jackd is not installed (Debian package jackd2)")
    if rtmidi.API_UNIX_JACK not in rtmidi.get_compiled_api():
        pytest.skip("this python-rtmidi was built without JACK")
    name = f"stretto-test-{os.getpid()}"
    log = tmp_path_factory.mktemp("jack") / "jackd.log"
    old = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = name
    proc = None
    try:
        # real-time where the system allows it (as JACK runs for music), else without
        for rt in ("--realtime", "--no-realtime"):
            with open(log, "wb") as fh:
                proc = subprocess.Popen(["jackd", "-n", name, rt, *DUMMY], stdout=fh,
                                        stderr=fh)
            if _jack_up(proc):
                break
            proc.terminate()
            proc.wait(timeout=5)
        else:
            pytest.skip(f"the JACK dummy server did not start: {log.read_text()[-300:]!r}")
        yield name
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        if old is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = old


class Listener:
    """An rtmidi input on JACK recording (seconds, message bytes), clock included: the times
    add up rtmidi's time stamps (the gaps JACK's thread measured between messages), read by a
    thread polling rtmidi's queue."""

    def __init__(self) -> None:
        self.got: list[tuple[float, bytes]] = []
        with quiet_stderr():
            self.midi = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name="listener",
                                      queue_size_limit=16384)
        self.midi.ignore_types(sysex=True, timing=False, active_sense=True)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.poll, daemon=True)
        self.thread.start()

    def poll(self) -> None:
        now = 0.0
        while not self.stop.is_set():
            event = self.midi.get_message()
            if event is None:
                time.sleep(0.001)
                continue
            now += event[1]
            self.got.append((now, bytes(event[0])))

    def connect(self, port: str, timeout: float = 5.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            names = self.midi.get_ports()
            hits = [i for i, n in enumerate(names) if n.endswith(":" + port)]
            if hits:
                self.midi.open_port(hits[0])
                return
            time.sleep(0.05)
        raise AssertionError(f"no port {port!r} among {self.midi.get_ports()}")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.midi.close_port()
        self.midi.delete()


def two_voices():
    from stretto.score import Piece

    voices = token_voices(["Upper", "Lower"], ["D5/1 E5/1/2 F5/1/2 G5/1 A5/1 G5/2",
                                               "D4/2 A3/1 C4/1 D4/2"])
    # at 144 a quarter is 156.25 periods of 128 frames: onsets fall anywhere in a period
    return Piece(voices=voices, meter="4/4", tempo=Fraction(144), title="two")


def _notes(got: list[tuple[float, bytes]]) -> list[tuple[float, int, int]]:
    """(seconds after Start, channel, key) of each note on received."""
    start = next(t for t, m in got if m == START)
    return [(t - start, m[0] & 0x0F, m[1]) for t, m in got
            if m[0] & 0xF0 == 0x90 and m[2] > 0]


def test_a_two_voice_score_arrives_on_its_channels_in_time(jack) -> None:
    from stretto.live.player import play

    plan = schedule(two_voices())  # 6 quarters at 144: 2.5 s
    listener = Listener()
    try:
        with open_output("stretto-jack-test", api="jack") as port:
            assert port.virtual and port.name == "stretto:stretto-jack-test"
            listener.connect("stretto-jack-test")
            time.sleep(0.3)  # the connection is made in JACK's next cycles
            report = play(plan, port, lead_in=0.2, realtime=True)
            time.sleep(0.2)
    finally:
        listener.close()
    got = listener.got
    kinds = [m for _, m in got]
    assert kinds[:2] == list(plan.setup) == [bytes((0xC0, 52)), bytes((0xC1, 52))]
    assert kinds[2] == START and kinds[-1] == STOP
    assert kinds.count(CLOCK) == plan.pulses == 6 * 24
    heard = _notes(got)
    want = [(float(t), m[0] & 0x0F, m[1]) for t, m in plan.events
            if m[0] & 0xF0 == 0x90 and m[2] > 0]
    assert [(c, k) for _, c, k in heard] == [(c, k) for _, c, k in want]
    assert {c for _, c, _ in heard} == {0, 1}
    errors = [abs(h[0] - w[0]) for h, w in zip(heard, want)]
    print(f"\nonset error over JACK (dummy, 128 frames at 48 kHz): max {max(errors) * 1000:.2f} "
          f"ms, mean {sum(errors) / len(errors) * 1000:.2f} ms over {len(errors)} notes; "
          f"sender lateness max {report.late_max_ms:.3f} ms, drift {report.drift_ms:+.3f} ms "
          f"({'real-time' if report.realtime else 'normal'} priority)")
    assert max(errors) <= ONSET_TOLERANCE
    # every note on has its note off
    offs = [m for m in kinds if m[0] & 0xF0 == 0x80 or (m[0] & 0xF0 == 0x90 and m[2] == 0)]
    assert len(offs) == len(want) == report.notes == 10


def _stretto(*args: str) -> list[str]:
    return [sys.executable, "-m", "stretto.cli", *args]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    from stretto.cli import main

    out = tmp_path_factory.mktemp("live") / "sp"
    assert main(["species", "--cantus", "D4 F4 E4 D4 G4 F4 A4 G4 F4 E4 D4", "--species", "1",
                 "--cantus-voice", "bottom", "--time-limit", "3", "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "term"])
def test_the_command_plays_and_a_ctrl_c_releases_the_notes(jack, project: Path, sig) -> None:
    """`stretto play --loop` as a user runs it: a virtual port, found and connected while the
    command waits; SIGINT (Ctrl-C) or SIGTERM mid-piece leaves no note sounding and ends with
    Stop and exit 0."""
    listener = Listener()
    proc = subprocess.Popen(
        _stretto("play", str(project), "--midi-port", "stretto-cli-test", "--midi-api", "jack",
                 "--loop", "--tempo", "240", "--wait", "1.5"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parents[2])
    try:
        listener.connect("stretto-cli-test", timeout=20)
        end = time.monotonic() + 20
        while time.monotonic() < end and not any(m == START for _, m in listener.got):
            time.sleep(0.05)
        time.sleep(1.3)  # into the piece (33/2 quarters at 240: 4.1 s a pass)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
        time.sleep(0.2)
    finally:
        if proc.poll() is None:
            proc.kill()
        listener.close()
    assert proc.returncode == 0, err
    assert "stopped after" in out and "released 2 sounding notes" in out, out
    kinds = [m for _, m in listener.got]
    assert kinds[2] == START and kinds[-1] == STOP
    sounding = set()
    for m in kinds:
        if m[0] & 0xF0 == 0x90 and m[2] > 0:
            sounding.add((m[0] & 0x0F, m[1]))
        elif m[0] & 0xF0 in (0x80, 0x90):
            sounding.discard((m[0] & 0x0F, m[1]))
    assert sounding == set()
    assert bytes((0xB0, 123, 0)) in kinds and bytes((0xB1, 123, 0)) in kinds
    assert "MIDI port stretto:stretto-cli-test on JACK" in out
    assert "priority): median" in out and "drift" in out


def test_an_existing_port_is_connected_by_name(jack) -> None:
    """--midi-port naming a port that exists connects to it (here: a listener's input)."""
    listener = Listener()
    try:
        listener.midi.open_virtual_port("synth-in")
        time.sleep(0.2)
        with open_output("synth-in", api="jack") as port:
            assert not port.virtual and port.name == "listener:synth-in"
            port.send(bytes((0x90, 60, 100)))
            port.send(bytes((0x80, 60, 0)))
            time.sleep(0.3)
    finally:
        listener.close()
    assert [m for _, m in listener.got] == [bytes((0x90, 60, 100)), bytes((0x80, 60, 0))]


def test_list_ports_names_them(jack) -> None:
    listener = Listener()
    try:
        listener.midi.open_virtual_port("synth-in")
        time.sleep(0.2)
        out = subprocess.run(_stretto("play", "--list-ports", "--midi-api", "jack"),
                             capture_output=True, text=True, timeout=60)
    finally:
        listener.close()
    assert out.returncode == 0, out.stderr
    assert "JACK outputs:" in out.stdout and "listener:synth-in" in out.stdout
