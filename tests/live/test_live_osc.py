"""stretto serve-osc over loopback UDP, with python-osc building and parsing the packets as a
control surface would: a pin changes score.json and is answered ok; a conflict or a bad
message is answered and changes nothing; garbage never stops the server; two clients sending
50 mixed messages at once lose no edit and get every answer."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest

pytest.importorskip("pythonosc", reason="python-osc is not installed (the live extra)")

from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder  # noqa: E402
from pythonosc.osc_message import OscMessage  # noqa: E402
from pythonosc.osc_message_builder import OscMessageBuilder  # noqa: E402

from stretto.cli import main  # noqa: E402
from stretto.live.osc import OscServer, answer  # noqa: E402

CANTUS = "D4 F4 E4 D4 G4 F4 A4 G4 F4 E4 D4"


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    out = tmp_path / "sp"
    assert main(["species", "--cantus", CANTUS, "--species", "1", "--cantus-voice", "bottom",
                 "--time-limit", "3", "--out", str(out)]) == 0
    return out


@pytest.fixture
def server(project: Path):
    srv = OscServer(project, host="127.0.0.1", port=0)
    stop = threading.Event()
    thread = threading.Thread(target=srv.serve, kwargs={"stop": stop}, daemon=True)
    thread.start()
    yield srv
    stop.set()
    thread.join(timeout=10)
    srv.close()


def message(address: str, *args) -> bytes:
    b = OscMessageBuilder(address=address)
    for a in args:
        b.add_arg(a)
    return b.build().dgram


class Client:
    """A UDP socket that sends to the server and reads its answers (address, text)."""

    def __init__(self, server: OscServer) -> None:
        self.to = server.address
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(60)

    def send(self, data: bytes) -> None:
        self.sock.sendto(data, self.to)

    def reply(self) -> tuple[str, str]:
        data, sender = self.sock.recvfrom(65535)
        assert sender[:2] == self.to  # answered from the server's own port
        msg = OscMessage(data)
        assert len(msg.params) == 1 and isinstance(msg.params[0], str)
        return msg.address, msg.params[0]

    def ask(self, address: str, *args) -> tuple[str, str]:
        self.send(message(address, *args))
        return self.reply()

    def close(self) -> None:
        self.sock.close()


def pitches(folder: Path, voice: int) -> list[str]:
    data = json.loads((folder / "score.json").read_text())
    return [n["pitch"] for n in data["voices"][voice]["notes"]]


def test_a_pin_changes_the_score_and_is_answered_ok(project: Path, server) -> None:
    client = Client(server)
    before = pitches(project, 0)
    new = next(p for p in ("B4", "D5", "E5") if p != before[4])  # consonant over G4
    address, text = client.ask("/stretto/pin", 1, 5, 1, new)
    assert address == "/stretto/ok", text
    assert text.startswith(f"pin: pin voice 1 bar 5 = {new};") and "notes changed" in text
    assert pitches(project, 0)[4] == new
    data = json.loads((project / "score.json").read_text())
    assert data["voices"][0]["notes"][4]["origin"] == "human"
    # undo over OSC too: the score is back
    address, text = client.ask("/stretto/undo")
    assert address == "/stretto/ok" and text.startswith("undo: back to after")
    assert pitches(project, 0) == before
    client.close()


def test_a_midi_number_is_spelled_in_the_mode(project: Path, server) -> None:
    client = Client(server)
    address, text = client.ask("/stretto/pin", 1, 5, 1.0, 71)  # 71: B4 in D dorian
    assert address == "/stretto/ok", text
    assert pitches(project, 0)[4] == "B4"
    client.close()


def test_a_conflict_is_answered_and_changes_nothing(project: Path, server) -> None:
    client = Client(server)
    before = (project / "score.json").read_bytes()
    address, text = client.ask("/stretto/pin", 1, 11, 1, "E5")  # the final: an octave or unison
    assert address == "/stretto/conflict"
    assert "pin voice 1 bar 11 = E5" in text and "cadence" in text
    assert (project / "score.json").read_bytes() == before
    client.close()


@pytest.mark.parametrize("args, says", [
    (("/stretto/pin", 3, 5, 1, "B4"), "outside the 2 voices"),
    (("/stretto/pin", 1, 5, 1, "Q4"), "unknown pitch name"),
    (("/stretto/pin", 1, 5), "takes 4 arguments, not 2"),
    (("/stretto/pin", 1, 5.5, 1, "B4"), "bar 5.5: give a whole number"),
    (("/stretto/pin", 1, 5, 1, 300), "MIDI number lies in 0 to 127"),
    (("/stretto/lock", 2, 1, 3), "the cantus you gave"),
    (("/stretto/lock", 1, 4, 2), "give first <= last"),
    (("/stretto/regenerate", 9, 40), "outside the piece"),
    (("/stretto/unpin", 1, 5, 0), "no pin on voice 1 bar 5"),
    (("/stretto/redo",), "nothing to redo"),
    (("/stretto/transpose", 2), "unknown address '/stretto/transpose'"),
    (("/other", 1), "unknown address '/other'"),
], ids=["voice", "pitch", "count", "float-bar", "midi", "cantus", "bars", "region", "unpin",
        "redo", "unknown", "foreign"])
def test_a_bad_message_is_one_error_line(project: Path, server, args, says: str) -> None:
    client = Client(server)
    before = (project / "score.json").read_bytes()
    address, text = client.ask(*args)
    assert address == "/stretto/error" and says in text and "\n" not in text
    assert (project / "score.json").read_bytes() == before
    client.close()


def test_garbage_never_stops_the_server(project: Path, server) -> None:
    client = Client(server)
    for junk in (b"", b"\x00\x01\x02", b"/stretto/pin\x00\x00\x00\x00,iii\x00\x00\x00\x00\x01",
                 b"#bundle\x00" + b"\xff" * 7, "/stretto/pin \u00e9".encode()):
        client.send(junk)
        address, text = client.reply()
        assert address == "/stretto/error" and text.startswith("not an OSC packet"), text
    address, text = client.ask("/stretto/lock", 1, 2, 3)
    assert address == "/stretto/ok" and text == "lock: lock of voice 1 bars 2-3: recorded, " \
        "not re-solved"
    client.close()


def test_a_bundle_gets_one_answer_per_message(project: Path, server) -> None:
    client = Client(server)
    b = OscBundleBuilder(IMMEDIATELY)
    b.add_content(OscMessage(message("/stretto/lock", 1, 2, 3)))
    b.add_content(OscMessage(message("/stretto/nothing")))
    client.send(b.build().dgram)
    answers = [client.reply(), client.reply()]
    assert [a for a, _ in answers] == ["/stretto/ok", "/stretto/error"]
    client.close()


def test_senders_not_allowed_are_ignored(project: Path) -> None:
    import ipaddress

    srv = OscServer(project, port=0, allow=(ipaddress.ip_network("10.1.0.0/16"),))
    try:
        assert srv.allowed(("127.0.0.1", 5000)) and srv.allowed(("10.1.2.3", 5000))
        assert not srv.allowed(("192.168.1.9", 5000)) and not srv.allowed(("host", 1))
    finally:
        srv.close()


def test_fifty_messages_from_two_clients_lose_no_edit(project: Path, server) -> None:
    """Two clients send 25 messages each at once (pins, unpins, locks, two regenerations, bad
    messages) without waiting: every message is answered, in each client's order, and every
    edit answered ok is in the project's log, in the order the server took them."""
    upper = ["B4", "D5", "E5"]
    plans = {
        "a": [("/stretto/pin", 1, 5, 1, upper[k % 3]) for k in range(10)]
             + [("/stretto/lock", 1, 2, 3), ("/stretto/nothing",)]
             + [("/stretto/pin", 1, 5, 1, "B4"), ("/stretto/unpin", 1, 5, 0)] * 6
             + [("/stretto/regenerate", 8, 9, 1)],
        "b": [("/stretto/pin", 1, 7, 1, p) for p in ["C5", "A4", "F4", "C5", "A4"] * 2]
             + [("/stretto/pin", 1, 99, 1, "C5"), ("/stretto/lock", 1, 3, 4)]
             + [("/stretto/unpin", 1, 7, 0), ("/stretto/pin", 1, 7, 1, "C5")] * 6
             + [("/stretto/regenerate", 9, 10)],
    }
    assert all(len(p) == 25 for p in plans.values())
    history_before = len(json.loads((project / "score.json").read_text())["project"]["history"])
    answers: dict[str, list[tuple[str, str]]] = {}

    def run(name: str) -> None:
        client = Client(server)
        for args in plans[name]:
            client.send(message(*args))
        answers[name] = [client.reply() for _ in plans[name]]
        client.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert sorted(answers) == ["a", "b"]
    for name, plan in plans.items():  # one answer per message, in the order sent
        assert len(answers[name]) == 25
        for args, (address, text) in zip(plan, answers[name]):
            action = args[0].rsplit("/", 1)[1]
            if address != "/stretto/error" or not text.startswith("unknown address"):
                assert text.startswith(action + ":"), (args, text)
    kinds = [a for ans in answers.values() for a, _ in ans]
    print(f"\n50 messages from 2 clients: {kinds.count('/stretto/ok')} ok, "
          f"{kinds.count('/stretto/conflict')} conflicts, {kinds.count('/stretto/error')} errors")
    assert kinds.count("/stretto/error") >= 2  # the unknown address and bar 99
    ok = [t.split(": ", 1)[1] for ans in answers.values() for a, t in ans
          if a == "/stretto/ok"]
    data = json.loads((project / "score.json").read_text())
    log = [e["what"] for e in data["project"]["history"][history_before:]]
    # every edit answered ok is logged, once: none lost, none made twice
    assert len(log) == len(ok) >= 40
    said = sorted(t.split(";")[0].split(": recorded")[0] for t in ok)
    assert sorted(log) == said
    # a's last word on bar 5 was an unpin; b's on bar 7 a pin of C5 (if the rules took it)
    pins = {c["bar"]: c for c in data["project"]["constraints"] if c["kind"] == "pin"}
    assert 5 not in pins
    if answers["b"][-2][0] == "/stretto/ok":
        assert pitches(project, 0)[6] == "C5" and 7 in pins


def test_answer_needs_no_socket(project: Path) -> None:
    reply = answer(project, "/stretto/lock", [1, "2", 3.0])
    assert (reply.kind, reply.text) == ("ok", "lock: lock of voice 1 bars 2-3: recorded, "
                                        "not re-solved")
    assert answer(project, "/stretto/pin", [True, 1, 1, "C5"]).kind == "error"
