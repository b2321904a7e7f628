"""The live commands as a user runs them: `stretto serve-osc` started, answering, stopped by
Ctrl-C with its tally; bad input to `play` and `serve-osc` is one line and exit 2."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from stretto.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "sp"
    assert main(["species", "--cantus", "D4 F4 E4 D4 G4 F4 A4 G4 F4 E4 D4", "--species", "1",
                 "--cantus-voice", "bottom", "--time-limit", "3", "--out", str(out)]) == 0
    return out


def test_serve_osc_answers_and_stops_on_ctrl_c(tmp_path: Path, project: Path) -> None:
    pytest.importorskip("pythonosc", reason="python-osc is not installed (the live extra)")
    from pythonosc.osc_message import OscMessage
    from pythonosc.osc_message_builder import OscMessageBuilder

    proc = subprocess.Popen([sys.executable, "-m", "stretto.cli", "serve-osc", str(project),
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)
    try:
        first = proc.stdout.readline()
        assert "listening on 127.0.0.1:" in first, first + proc.stderr.read()
        port = int(first.split("127.0.0.1:")[1].split()[0])
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(60)
        b = OscMessageBuilder(address="/stretto/lock")
        for a in (1, 2, 3):
            b.add_arg(a)
        sock.sendto(b.build().dgram, ("127.0.0.1", port))
        reply = OscMessage(sock.recvfrom(65535)[0])
        sock.sendto(b"junk", ("127.0.0.1", port))
        junk = OscMessage(sock.recvfrom(65535)[0])
        sock.close()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert reply.address == "/stretto/ok" and junk.address == "/stretto/error"
    assert proc.returncode == 0 and err == ""
    assert "/stretto/ok lock: lock of voice 1 bars 2-3" in out  # the log line
    assert out.rstrip().endswith("stopped: 2 messages answered (1 ok, 0 conflicts, 1 errors)")


def _one_line(capsys, code: int, args: list[str], says: str) -> None:
    assert main(args) == code
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and "Traceback" not in err, err


@pytest.mark.parametrize("args, says", [
    (["play", "{p}"], "give the project folder and --midi-port NAME"),
    (["play", "{p}", "--midi-port", "x", "--tempo", "0"], "--tempo 0: give 10 to 1000"),
    (["play", "{p}", "--midi-port", "x", "--wait", "-1"], "wait must lie in 0 to 60"),
    (["play", "{p}", "--midi-port", "x", "--midi-api", "coreaudio"], "invalid choice"),
    (["play", "{p}", "--midi-port", "", "--midi-api", "jack"], "give a port name"),
    (["serve-osc", "{p}", "--port", "70000"], "port must lie in 1 to 65535"),
    (["serve-osc", "{p}/missing"], "missing"),
    (["serve-osc", "{p}", "--allow", "not-an-address"], "--allow 'not-an-address'"),
], ids=["no-port", "tempo", "wait", "api", "empty-name", "osc-port", "osc-folder", "allow"])
def test_bad_input_is_one_line_and_exit_2(capsys, project: Path, args, says: str) -> None:
    pytest.importorskip("rtmidi", reason="python-rtmidi is not installed (the live extra)")
    pytest.importorskip("pythonosc", reason="python-osc is not installed (the live extra)")
    _one_line(capsys, 2, [a.format(p=project) for a in args], says)


def test_a_port_in_use_is_one_line(capsys, project: Path) -> None:
    pytest.importorskip("pythonosc", reason="python-osc is not installed (the live extra)")
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 0))
    try:
        port = busy.getsockname()[1]
        _one_line(capsys, 2, ["serve-osc", str(project), "--port", str(port)],
                  f"cannot listen on 127.0.0.1:{port}")
    finally:
        busy.close()


@pytest.mark.skipif(os.path.exists("/dev/snd/seq"), reason="this machine has an ALSA "
                    "sequencer: the refusal without one cannot be seen here")
def test_no_midi_system_is_one_line(capsys, project: Path, monkeypatch) -> None:
    pytest.importorskip("rtmidi", reason="python-rtmidi is not installed (the live extra)")
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "stretto-no-such-server")
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    _one_line(capsys, 2, ["play", str(project), "--midi-port", "x"],
              "no MIDI system to open a port on (JACK or ALSA cannot be reached here)")
    _one_line(capsys, 2, ["play", "--list-ports", "--midi-api", "alsa"],
              "(ALSA cannot be reached here)")
