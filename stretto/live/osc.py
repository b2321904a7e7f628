"""Edit a project by Open Sound Control: a control surface, Max/Pd or a DAW script sends
``/stretto/pin 2 5 1 E5`` and gets ``/stretto/ok ...`` back.

Messages (arguments in OSC's int, float or string types; voices counted from the top from 1,
bars from 1, beats 1-based in quarter notes, as on the command line):

==========================================  ===========================================
``/stretto/pin voice bar beat pitch``       pitch as a name (``E5``) or a MIDI number
``/stretto/unpin voice bar beat``           beat 0 or ``""``: every pin in the bar
``/stretto/lock voice first last``          keep the voice's notes in bars first-last
``/stretto/regenerate first last [voice]``  a new passage in those bars
``/stretto/undo``, ``/stretto/redo``
==========================================  ===========================================

Each calls the application layer (:mod:`stretto.app.edit`: the project's lock, the re-solve,
the all-or-nothing save, the undo step), one message after another in arrival order, and
answers the sender's address and port with one string: ``/stretto/ok <what it did>``,
``/stretto/conflict <the wishes that cannot all hold>`` (nothing changed) or ``/stretto/error
<one line>`` (a bad message: nothing changed). No message stops the server. python-osc (the
``live`` extra) parses and builds the packets.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from stretto.errors import BadInput, StrettoError, Unsatisfiable

PREFIX = "/stretto/"
OK, CONFLICT, ERROR = PREFIX + "ok", PREFIX + "conflict", PREFIX + "error"
#: each address with the arguments it takes (shown in the error for a wrong count)
USAGE = {
    "pin": "voice bar beat pitch",
    "unpin": "voice bar beat",
    "lock": "voice first last",
    "regenerate": "first last [voice]",
    "undo": "",
    "redo": "",
}
ARGS = {"pin": (4, 4), "unpin": (3, 3), "lock": (3, 3), "regenerate": (2, 3), "undo": (0, 0),
        "redo": (0, 0)}
MAX_DATAGRAM = 65_535
RECEIVE_BUFFER = 1 << 20  # messages wait here while an edit solves


@dataclass(frozen=True)
class Reply:
    """The answer to one message: its OSC ``address`` (ok, conflict or error) and ``text``."""

    address: str
    text: str

    @property
    def kind(self) -> str:
        return self.address.rsplit("/", 1)[1]


def _whole(value: Any, what: str) -> int:
    """An OSC argument as a whole number (an int, a float like 5.0, or a string of digits)."""
    if isinstance(value, bool):
        raise BadInput(f"{what} {value!r}: give a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise BadInput(f"{what} {value!r}: give a whole number")


def _beat(value: Any) -> str | None:
    """A beat argument as the app reads it (``"2.5"``, ``"5/2"``); 0 or "" for none."""
    if isinstance(value, (bytes, bytearray)) or isinstance(value, bool) or value is None:
        raise BadInput(f"beat {value!r}: give a number such as 1 or 2.5, or a string '5/2'")
    if value in (0, "", "0"):
        return None
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _pitch(folder: Path, value: Any):
    """A pitch by name (a string), or a MIDI number spelled as the project's mode spells it."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadInput(f"pitch {value!r}: give a name such as 'E5' or a MIDI number 0-127")
    midi = _whole(value, "pitch")
    if not 0 <= midi <= 127:
        raise BadInput(f"pitch {midi}: a MIDI number lies in 0 to 127")
    from stretto.app.session import load, locked
    from stretto.io.midi import spell_in_mode

    with locked(folder, shared=True):
        project, _ = load(folder, edit=False)
    return spell_in_mode(midi, project.piece.mode)


def _edited(result) -> str:
    if result.notes_changed is None:
        return f"{result.what}: recorded, not re-solved"
    if not result.files:
        return f"{result.what}: nothing to write"
    return f"{result.what}; {result.notes_changed} of {result.notes_total} notes changed"


def _run(folder: Path, name: str, args: list, time_limit: float | None) -> str:
    from stretto import app

    solve = {"time_limit": time_limit}
    if name == "pin":
        voice, bar = _whole(args[0], "voice"), _whole(args[1], "bar")
        beat, pitch = _beat(args[2]), _pitch(folder, args[3])
        return _edited(app.pin(folder, voice=voice, bar=bar, beat=beat, pitch=pitch, **solve))
    if name == "unpin":
        return _edited(app.unpin(folder, voice=_whole(args[0], "voice"),
                                 bar=_whole(args[1], "bar"), beat=_beat(args[2]), **solve))
    if name == "lock":
        first, last = _whole(args[1], "first bar"), _whole(args[2], "last bar")
        if not 1 <= first <= last:
            raise BadInput(f"bars {first}-{last}: give first <= last, counted from 1")
        return _edited(app.lock(folder, voice=_whole(args[0], "voice"),
                                bars=f"{first}-{last}"))
    if name == "regenerate":
        first, last = _whole(args[0], "first bar"), _whole(args[1], "last bar")
        if not 1 <= first <= last:
            raise BadInput(f"bars {first}-{last}: give first <= last, counted from 1")
        voice = _whole(args[2], "voice") if len(args) > 2 else None
        return _edited(app.regenerate(folder, bars=f"{first}-{last}", voice=voice, **solve))
    step = (app.redo if name == "redo" else app.undo)(folder)
    return (f"back to after {step.back_to!r} ({step.undo_left} undo, "
            f"{step.redo_left} redo steps left)")


def _one_line(text: str, limit: int = 900) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[:limit - 3] + "..."


def answer(folder: str | Path, address: str, args: list | tuple, *,
           time_limit: float | None = None) -> Reply:
    """Carry out one OSC message on the project in ``folder`` and say how it went. Never
    raises for a bad message: a wrong address, argument count or value is an error reply,
    wishes that cannot all hold a conflict reply (nothing changed either way)."""
    folder = Path(folder)
    name = address[len(PREFIX):] if address.startswith(PREFIX) else None
    if name not in ARGS:
        known = ", ".join(PREFIX + n for n in ARGS)
        return Reply(ERROR, f"unknown address {_one_line(address, 80)!r}: use {known}")
    lo, hi = ARGS[name]
    if not lo <= len(args) <= hi:
        usage = f"{address} {USAGE[name]}".rstrip()
        return Reply(ERROR, f"{address} takes {lo if lo == hi else f'{lo} or {hi}'} "
                     f"arguments, not {len(args)}: {usage}")
    try:
        return Reply(OK, _one_line(f"{name}: {_run(folder, name, list(args), time_limit)}"))
    except Unsatisfiable as exc:
        text = str(exc)
        missing = [c for c in exc.conflicts if c not in text]
        if missing:
            text += " [" + "; ".join(missing) + "]"
        return Reply(CONFLICT, _one_line(f"{name}: {text}"))
    except StrettoError as exc:
        return Reply(ERROR, _one_line(f"{name}: {exc}"))
    except Exception as exc:  # noqa: BLE001 - one bad message never stops the server
        return Reply(ERROR, _one_line(f"{name}: internal error ({type(exc).__name__}: {exc}); "
                                      "nothing was saved"))


def _osc():
    try:
        from pythonosc import osc_message_builder, osc_packet
    except ImportError:
        raise BadInput("stretto serve-osc needs python-osc: pip install -e '.[live]'") \
            from None
    return osc_message_builder, osc_packet


def reply_datagram(reply: Reply) -> bytes:
    """``reply`` as an OSC message: its address and one string argument."""
    builder, _ = _osc()
    b = builder.OscMessageBuilder(address=reply.address)
    b.add_arg(reply.text, arg_type="s")
    return b.build().dgram


def read_datagram(data: bytes) -> list[tuple[str, list]]:
    """The (address, arguments) of each message in an OSC packet (a bundle's in order);
    BadInput when it is not OSC."""
    _, packet = _osc()
    try:
        return [(m.message.address, list(m.message.params))
                for m in packet.OscPacket(data).messages]
    except Exception as exc:  # noqa: BLE001 - python-osc raises ParseError and others
        raise BadInput(f"not an OSC packet ({_one_line(exc, 120) or type(exc).__name__})") \
            from None


def parse_allowed(items: list[str] | tuple[str, ...]) -> tuple:
    """``--allow`` addresses or networks (``192.168.1.20``, ``10.0.0.0/24``) as networks."""
    out = []
    for item in items:
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise BadInput(f"--allow {item!r}: give an address or a network such as "
                           "192.168.1.0/24") from None
    return tuple(out)


@dataclass(frozen=True)
class ServeReport:
    """How a serving session went: messages answered, by kind, and datagrams ignored (from
    senders not allowed)."""

    messages: int
    ok: int
    conflicts: int
    errors: int
    ignored: int


class OscServer:
    """A UDP socket on ``host``:``port`` (0: a free port) answering OSC messages for the
    project in ``folder``, one at a time (an edit solves while the next messages wait in the
    socket). Only loopback senders and those in ``allow`` (networks) are answered."""

    def __init__(self, folder: str | Path, *, host: str = "127.0.0.1", port: int = 9000,
                 time_limit: float | None = None, allow: tuple = ()) -> None:
        from stretto.live.player import read_piece

        _osc()
        self.folder = Path(folder)
        read_piece(self.folder)  # a folder without a project fails now, in one line
        self.time_limit = time_limit
        self.allow = tuple(allow)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            self.sock.bind((host, port))
        except OSError as exc:
            self.sock.close()
            raise BadInput(f"cannot listen on {host}:{port} ({exc.strerror or exc}): choose "
                           "another --port or --host") from None
        self.sock.settimeout(0.2)
        self.counts = {"ok": 0, "conflict": 0, "error": 0, "ignored": 0}

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.sock.getsockname()[:2]
        return host, port

    def allowed(self, sender: tuple) -> bool:
        try:
            ip = ipaddress.ip_address(sender[0])
        except ValueError:
            return False
        return ip.is_loopback or any(ip in net for net in self.allow)

    def handle(self, data: bytes, sender: tuple) -> list[Reply]:
        """The replies to one datagram from ``sender`` (one per message it holds)."""
        try:
            messages = read_datagram(data)
        except BadInput as exc:
            return [Reply(ERROR, str(exc))]
        return [answer(self.folder, address, args, time_limit=self.time_limit)
                for address, args in messages]

    def serve(self, *, stop: threading.Event | None = None,
              log: Callable[[str], None] | None = None) -> ServeReport:
        """Answer messages until ``stop`` is set (or Ctrl-C, which the caller sees)."""
        while stop is None or not stop.is_set():
            try:
                data, sender = self.sock.recvfrom(MAX_DATAGRAM)
            except socket.timeout:
                continue
            except OSError:  # an ICMP error from an earlier reply to a closed port
                continue
            if not self.allowed(sender):
                self.counts["ignored"] += 1
                continue
            for reply in self.handle(data, sender):
                self.counts[reply.kind] += 1
                try:
                    self.sock.sendto(reply_datagram(reply), sender)
                except OSError:
                    pass  # the sender went away: the edit is done all the same
                if log is not None:
                    log(f"{sender[0]}:{sender[1]} {reply.address} {reply.text}")
        return self.report()

    def report(self) -> ServeReport:
        c = self.counts
        return ServeReport(messages=c["ok"] + c["conflict"] + c["error"], ok=c["ok"],
                           conflicts=c["conflict"], errors=c["error"], ignored=c["ignored"])

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "OscServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = ["CONFLICT", "ERROR", "OK", "OscServer", "Reply", "ServeReport", "USAGE", "answer",
           "parse_allowed", "read_datagram", "reply_datagram"]
