"""A composer's constraints on a score: pins, locks and rules, as plain data.

Each constraint has a stable id (``c1``, ``c2``, ...), knows how to say itself in words (for
conflict explanations and the history) and round-trips through ``score.json``. The solver turns
them into CP-SAT constraints (:mod:`stretto.solver.species.edit`); nothing here imports OR-Tools.

Voices are counted from the top, 0-based inside (``voice 1`` in words is index 0). Bars and
beats are 1-based; a beat is counted in quarter notes as the checker reports it (in a 2/2 bar of
four quarters, beat 3 is the second half note, beat 2.5 the fourth eighth).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any, ClassVar

from stretto.errors import BadInput
from stretto.pitch import Pitch
from stretto.rulebook import HARD

INTERVAL_CLASSES = {"unison": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
                    "sixth": 6, "seventh": 7, "octave": 8}


def parse_bars(text: str) -> tuple[int, int]:
    """``"3-5"`` -> (3, 5); ``"4"`` -> (4, 4). Raises BadInput for anything else."""
    try:
        a, dash, b = str(text).partition("-")
        first, last = int(a), int(b if dash else a)  # "2-" is unfinished, not bar 2
    except ValueError:
        raise BadInput(f"cannot read bars {text!r}: write A-B, e.g. 3-5") from None
    if first < 1 or last < first:
        raise BadInput(f"impossible bars {text!r}: write A-B with 1 <= A <= B")
    return first, last


def parse_beat(text: str | None) -> Fraction:
    """``None`` -> beat 1; ``"3"``, ``"2.5"`` or ``"5/2"`` -> a Fraction (1-based quarters)."""
    if text is None:
        return Fraction(1)
    try:
        beat = Fraction(str(text))
    except (ValueError, ZeroDivisionError):
        raise BadInput(f"cannot read beat {text!r}: write 1, 3 or 2.5 (quarter notes, "
                       "1-based)") from None
    if beat < 1:
        raise BadInput(f"beat {text} is before the bar: beats start at 1")
    return beat


def parse_interval(text: str) -> tuple[int, str | None]:
    """An interval by name: ``P5``, ``M3``, ``m6``, ``P8`` (quality and number) or a class,
    ``third``, ``fifth`` (any quality). Returns (generic number 1-8, quality or None);
    compound intervals reduce to simple ones (a tenth is a third)."""
    t = text.strip()
    if t.lower() in INTERVAL_CLASSES:
        return INTERVAL_CLASSES[t.lower()], None
    quality, number = t[:1], t[1:]
    if quality in ("P", "M", "m", "A", "d") and number.isdigit() and int(number) >= 1:
        n = int(number)
        return (n - 1) % 7 + 1 if n != 8 else 8, quality
    if t.isdigit() and int(t) >= 1:
        n = int(t)
        return (n - 1) % 7 + 1 if n != 8 else 8, None
    raise BadInput(f"cannot read interval {text!r}: write P5, M3, m6, P8 or third, fifth")


def _words_at(bar: int, beat: Fraction) -> str:
    return f"bar {bar}" if beat == 1 else f"bar {bar} beat {beat}"


@dataclass(frozen=True)
class Constraint:
    """Base class: ``id`` is stable across edits; ``kind`` names the subclass in JSON."""

    id: str
    kind: ClassVar[str] = ""

    def describe(self) -> str:  # pragma: no cover - every subclass says itself
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "source" and value is None:
                continue  # only imported edits say where they came from
            if isinstance(value, Fraction):
                value = str(value)
            elif isinstance(value, Pitch):
                value = value.name
            elif isinstance(value, tuple):
                value = [list(v) if isinstance(v, tuple) else v for v in value]
            out[f.name] = value
        return out


@dataclass(frozen=True)
class Pin(Constraint):
    """The note sounding in ``voice`` at ``bar``/``beat`` has ``pitch``."""

    voice: int
    bar: int
    beat: Fraction
    pitch: Pitch
    #: where the composer made it, when not by a command: ``import <file> <sha256>``
    source: str | None = None
    kind: ClassVar[str] = "pin"

    def describe(self) -> str:
        return f"your pin voice {self.voice + 1} {_words_at(self.bar, self.beat)} = " \
               f"{self.pitch.name}"


@dataclass(frozen=True)
class Lock(Constraint):
    """Voice ``voice`` keeps, in bars ``first``-``last``, exactly ``notes``: (onset, duration,
    pitch name) of every note sounding there when the lock was made (rhythm and pitches)."""

    voice: int
    first: int
    last: int
    notes: tuple[tuple[str, str, str], ...]
    #: where the composer made it, when not by a command: ``import <file> <sha256>``
    source: str | None = None
    kind: ClassVar[str] = "lock"

    def describe(self) -> str:
        span = f"bar {self.first}" if self.first == self.last else \
            f"bars {self.first}-{self.last}"
        return f"your lock of voice {self.voice + 1} {span}"


@dataclass(frozen=True)
class RangeRule(Constraint):
    """Voice ``voice`` stays between ``low`` and ``high`` (replaces its default register)."""

    voice: int
    low: Pitch
    high: Pitch
    kind: ClassVar[str] = "range"

    def describe(self) -> str:
        return f"your range for voice {self.voice + 1}: {self.low.name}-{self.high.name}"


@dataclass(frozen=True)
class ClimaxRule(Constraint):
    """The highest note of ``voice`` is reached in bar ``bar`` and nowhere else."""

    voice: int
    bar: int
    kind: ClassVar[str] = "climax"

    def describe(self) -> str:
        return f"your rule: the climax of voice {self.voice + 1} is in bar {self.bar}"


@dataclass(frozen=True)
class MaxLeapRule(Constraint):
    """No melodic interval of ``voice`` is larger than the generic interval ``number``
    (5 = a fifth)."""

    voice: int
    number: int
    kind: ClassVar[str] = "max-leap"

    def describe(self) -> str:
        return f"your rule: voice {self.voice + 1} leaps at most a " \
               f"{_ordinal(self.number)}"


@dataclass(frozen=True)
class ContourRule(Constraint):
    """Over bars ``first``-``last`` the downbeats of ``voice`` rise (or fall): each at least
    as high (low) as the one before, the last higher (lower) than the first."""

    voice: int
    first: int
    last: int
    direction: str  # "rising" | "falling"
    kind: ClassVar[str] = "contour"

    def describe(self) -> str:
        return f"your rule: voice {self.voice + 1} is {self.direction} over bars " \
               f"{self.first}-{self.last}"


@dataclass(frozen=True)
class IntervalRule(Constraint):
    """Between ``upper`` and ``lower`` at ``bar``/``beat`` the interval is (``require``) or is
    not (forbid) ``number`` (generic, simple) with ``quality`` (None: any quality)."""

    upper: int
    lower: int
    bar: int
    beat: Fraction
    number: int
    quality: str | None
    require: bool
    kind: ClassVar[str] = "interval"

    def describe(self) -> str:
        name = f"{self.quality}{self.number}" if self.quality else \
            f"a {_ordinal(self.number)}"
        verb = "must be" if self.require else "must not be"
        return f"your rule: voices {self.upper + 1} and {self.lower + 1} at " \
               f"{_words_at(self.bar, self.beat)} {verb} {name}"


@dataclass(frozen=True)
class Waiver(Constraint):
    """The hard rule ``rule`` is not enforced in bar ``bar`` among ``voices`` (0-based, from
    the top; every pair or voice inside the set): the composer breaks it there on purpose.
    The solver leaves exactly that place free (:mod:`stretto.solver.cpsat.waivers`) and the
    checker reports what it finds there as waived (:mod:`stretto.app.waivers`)."""

    rule: str
    bar: int
    voices: tuple[int, ...]
    kind: ClassVar[str] = "waiver"

    def __post_init__(self) -> None:
        if self.rule not in HARD:
            raise ValueError(f"{self.rule!r} is not a hard rule")
        if self.bar < 0 or not self.voices or len(set(self.voices)) != len(self.voices) \
                or any(v < 0 for v in self.voices):
            raise ValueError(f"a waiver needs a bar and distinct voices, not {self.bar}, "
                             f"{self.voices}")

    def describe(self) -> str:
        who = ", ".join(str(v + 1) for v in self.voices)
        return f"your waiver of rule {self.rule} in bar {self.bar}, voices {who}"


def _ordinal(n: int) -> str:
    return {v: k for k, v in INTERVAL_CLASSES.items()}.get(n, f"{n}th")


KINDS: dict[str, type[Constraint]] = {c.kind: c for c in (Pin, Lock, RangeRule, ClimaxRule,
                                                         MaxLeapRule, ContourRule, IntervalRule,
                                                         Waiver)}


def constraint_from_dict(d: dict[str, Any]) -> Constraint:
    """Inverse of :meth:`Constraint.to_dict`."""
    try:
        cls = KINDS[d["kind"]]
        values: dict[str, Any] = {}
        for f in fields(cls):
            v = d[f.name] if f.name not in ("quality", "source") else d.get(f.name)
            if f.name in ("beat",):
                v = Fraction(v)
            elif f.name in ("pitch", "low", "high"):
                v = Pitch.parse(v)
            elif f.name == "notes":
                v = tuple(tuple(n) for n in v)
            elif f.name == "voices":
                v = tuple(int(x) for x in v)
            elif f.type == "int" and (not isinstance(v, int) or isinstance(v, bool)):
                raise TypeError(f"{f.name} must be a whole number, not {v!r}")
            elif f.type == "str" and not isinstance(v, str):
                raise TypeError(f"{f.name} must be a text, not {v!r}")
            values[f.name] = v
        return cls(**values)
    except (KeyError, TypeError, ValueError, AttributeError, ZeroDivisionError) as exc:
        raise BadInput(f"score.json has a malformed constraint {str(d)[:80]}: {exc}") from None


__all__ = ["ClimaxRule", "Constraint", "ContourRule", "IntervalRule", "Lock", "MaxLeapRule",
           "Pin", "RangeRule", "Waiver", "constraint_from_dict", "parse_bars", "parse_beat",
           "parse_interval"]
