"""MIDI output ports and clocks behind a tiny protocol, as mido keeps its backends apart.

:class:`OutputPort` is all the player needs: ``send(bytes)`` and ``close()``. Two kinds:

* :class:`MemoryOutput`: an in-memory port that records what it is sent and when (by the
  clock it is given), for tests and for counting without a MIDI system;
* :class:`RtMidiOutput`: python-rtmidi (the ``live`` extra) on JACK or ALSA, either a virtual
  port of our own (others connect to it) or an existing port we connect to
  (:func:`open_output` decides by name).

The clock is apart too (:class:`Clock`): :class:`MonotonicClock` waits for absolute deadlines
on the monotonic clock (so lateness never adds up), :class:`FakeClock` jumps to them at once,
for tests that check the schedule without waiting for it. python-rtmidi is imported lazily.
"""

from __future__ import annotations

import abc
import contextlib
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

from stretto.errors import BadInput

#: the MIDI systems python-rtmidi can open on Linux, by their names on the command line
APIS = ("jack", "alsa")
#: the client name our ports appear under (JACK: ``stretto:NAME``; ALSA: ``stretto:NAME``)
CLIENT = "stretto"
#: ALSA appends ``client:port`` numbers to a port's name (``Synth:Synth Port 1 128:0``)
ALSA_NUMBERS = re.compile(r"\s+\d+:\d+$")


class Clock(abc.ABC):
    """Seconds on a clock that never goes back, and a wait for a moment on it."""

    @abc.abstractmethod
    def now(self) -> float:
        """The time in seconds (any origin)."""

    @abc.abstractmethod
    def sleep_until(self, deadline: float) -> None:
        """Return at ``deadline`` (at once if it has passed)."""


class MonotonicClock(Clock):
    """``time.monotonic``; a wait sleeps to ``spin`` seconds before the deadline and yields
    the processor from there, since a plain sleep may wake a scheduler tick late."""

    def __init__(self, *, spin: float = 0.001) -> None:
        self.spin = spin

    def now(self) -> float:
        return time.monotonic()

    def sleep_until(self, deadline: float) -> None:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(left - self.spin if left > self.spin else 0)


class FakeClock(Clock):
    """A clock that is wherever the last wait asked it to be: waits cost nothing. With
    ``interrupt_at``, the first wait past that time raises KeyboardInterrupt there (a Ctrl-C
    while playing)."""

    def __init__(self, start: float = 0.0, *, interrupt_at: float | None = None) -> None:
        self.time = start
        self.interrupt_at = interrupt_at

    def now(self) -> float:
        return self.time

    def sleep_until(self, deadline: float) -> None:
        if self.interrupt_at is not None and deadline > self.interrupt_at:
            self.time = max(self.time, self.interrupt_at)
            self.interrupt_at = None
            raise KeyboardInterrupt
        self.time = max(self.time, deadline)


class OutputPort(abc.ABC):
    """Where MIDI messages go: ``send`` one message's bytes, ``close`` once. A context
    manager that closes on exit."""

    name: str = ""
    closed: bool = False

    @abc.abstractmethod
    def send(self, message: bytes) -> None:
        """Send one complete MIDI message (status byte first)."""

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> "OutputPort":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class MemoryOutput(OutputPort):
    """Records each message with the time ``clock`` says it was sent: ``sent`` is a list of
    (seconds, bytes)."""

    def __init__(self, clock: Clock, name: str = "memory") -> None:
        self.clock = clock
        self.name = name
        self.sent: list[tuple[float, bytes]] = []

    def send(self, message: bytes) -> None:
        if self.closed:
            raise BadInput(f"MIDI port {self.name!r} is closed")
        self.sent.append((self.clock.now(), bytes(message)))


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence what C libraries print on file descriptor 2 (ALSA's and JACK's complaints when
    no server runs): stretto says what is wrong in one line of its own."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _rtmidi():
    try:
        import rtmidi
    except ImportError:
        raise BadInput("stretto play needs python-rtmidi: pip install -e '.[live]'") from None
    return rtmidi


def _api_code(rtmidi, api: str) -> int:
    return {"jack": rtmidi.API_UNIX_JACK, "alsa": rtmidi.API_LINUX_ALSA}[api]


def _client(api: str):
    """A python-rtmidi output client on ``api``, or None when that MIDI system cannot be
    reached (no JACK server running, no ALSA sequencer device)."""
    rtmidi = _rtmidi()
    if _api_code(rtmidi, api) not in rtmidi.get_compiled_api():
        return None
    try:
        with quiet_stderr():
            return rtmidi.MidiOut(_api_code(rtmidi, api), name=CLIENT)
    except Exception:  # noqa: BLE001 - rtmidi raises its own SystemError when none runs
        return None


def _apis(api: str) -> tuple[str, ...]:
    if api == "auto":
        return APIS
    if api not in APIS:
        raise BadInput(f"unknown --midi-api {api!r}: use auto, jack or alsa")
    return (api,)


def _no_system(api: str) -> BadInput:
    which = "JACK or ALSA" if api == "auto" else api.upper()
    return BadInput(f"no MIDI system to open a port on ({which} cannot be reached here): "
                    "start a JACK server (`jackd -d alsa`, or `jackd -d dummy` without a sound "
                    "card) or load the ALSA sequencer (`modprobe snd-seq`)")


@dataclass(frozen=True)
class PortList:
    """The output ports one MIDI system offers: its ``api`` and the ports' ``names``."""

    api: str
    names: tuple[str, ...]


def output_names(*, api: str = "auto") -> tuple[PortList, ...]:
    """The output ports of each reachable MIDI system (``auto``: JACK and ALSA). BadInput when
    none can be reached."""
    found = []
    for a in _apis(api):
        client = _client(a)
        if client is None:
            continue
        with quiet_stderr():
            found.append(PortList(a, tuple(client.get_ports())))
        client.delete()
    if not found:
        raise _no_system(api)
    return tuple(found)


def matching(names: tuple[str, ...], wanted: str) -> list[int]:
    """Indexes of the ports ``wanted`` names: the whole name, the name without ALSA's
    ``client:port`` numbers, or the port's own name after ``client:``."""
    hits = []
    for i, full in enumerate(names):
        bare = ALSA_NUMBERS.sub("", full)
        own = bare.split(":", 1)[1] if ":" in bare else bare
        if wanted in (full, bare, own):
            hits.append(i)
    return hits


class RtMidiOutput(OutputPort):
    """A python-rtmidi output: ``virtual`` when stretto opened the port itself (others connect
    to it), else connected to an existing port. ``api`` is ``jack`` or ``alsa``."""

    def __init__(self, client, name: str, *, api: str, virtual: bool) -> None:
        self.client = client
        self.name = name
        self.api = api
        self.virtual = virtual

    def send(self, message: bytes) -> None:
        if self.closed:
            raise BadInput(f"MIDI port {self.name!r} is closed")
        self.client.send_message(message)

    def close(self) -> None:
        if not self.closed:
            with quiet_stderr():
                self.client.close_port()
                self.client.delete()
        super().close()


def open_output(name: str, *, api: str = "auto") -> RtMidiOutput:
    """The output port called ``name`` on the first reachable MIDI system (``auto``: JACK,
    then ALSA): an existing port by that name (see :func:`matching`), else a virtual port of
    that name that stretto opens. BadInput when the name is ambiguous or no system runs."""
    if not name or not name.strip() or len(name) > 64:
        raise BadInput(f"--midi-port {name!r}: give a port name of 1 to 64 characters "
                       "(`stretto play --list-ports` lists them)")
    for a in _apis(api):
        client = _client(a)
        if client is None:
            continue
        with quiet_stderr():
            names = tuple(client.get_ports())
        hits = matching(names, name)
        if len(hits) > 1:
            client.delete()
            raise BadInput(f"--midi-port {name!r} names {len(hits)} ports: "
                           f"{', '.join(names[i] for i in hits)}; give the whole name")
        try:
            with quiet_stderr():
                if hits:
                    client.open_port(hits[0], name=f"{CLIENT} out")
                else:
                    client.open_virtual_port(name)
        except Exception as exc:  # noqa: BLE001 - rtmidi's own error types
            client.delete()
            raise BadInput(f"cannot open MIDI port {name!r} on {a.upper()}: "
                           f"{' '.join(str(exc).split())}") from None
        shown = names[hits[0]] if hits else f"{CLIENT}:{name}"
        return RtMidiOutput(client, shown, api=a, virtual=not hits)
    raise _no_system(api)


__all__ = ["APIS", "CLIENT", "Clock", "FakeClock", "MemoryOutput", "MonotonicClock",
           "OutputPort", "PortList", "RtMidiOutput", "matching", "open_output", "output_names",
           "quiet_stderr"]
