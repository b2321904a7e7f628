"""Spelled pitches and intervals.

A pitch is a letter step, an alteration and an octave (scientific notation: ``C4`` is middle C,
MIDI 60). Keeping the spelling, not only the MIDI number, is what lets stretto tell an augmented
fourth from a diminished fifth and write ``C#`` where the music needs C-sharp, never ``Db``.

Pure Python, no dependencies: the score model, the solver and the checker all build on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stretto.errors import BadInput

STEP_NAMES = "CDEFGAB"
STEP_PC = (0, 2, 4, 5, 7, 9, 11)
# Semitones of the perfect/major interval for each simple generic interval (unison .. seventh).
_MAJOR_OR_PERFECT = (0, 2, 4, 5, 7, 9, 11)
_PERFECT_CLASSES = {0, 3, 4}  # unison, fourth, fifth (and their octaves)

_PITCH_RE = re.compile(r"^\s*([A-Ga-g])(##|#|x|bb|b|--|-)?(\d)\s*$")
_ALTER_OF = {None: 0, "#": 1, "##": 2, "x": 2, "b": -1, "bb": -2, "-": -1, "--": -2}
_ALTER_TEXT = {0: "", 1: "#", 2: "##", -1: "b", -2: "bb"}


@dataclass(frozen=True, order=True)
class Pitch:
    """A spelled pitch: ``step`` 0-6 for C-B, ``alter`` in semitones (-2..2), ``octave``."""

    octave: int
    step: int
    alter: int = 0

    def __post_init__(self) -> None:
        if not (0 <= self.step <= 6 and -2 <= self.alter <= 2 and -1 <= self.octave <= 9):
            raise ValueError(f"no such pitch: step {self.step}, alter {self.alter}, "
                             f"octave {self.octave} (steps 0-6, alters -2..2, octaves -1..9)")

    @classmethod
    def parse(cls, text: str) -> "Pitch":
        """Parse ``C4``, ``F#3``, ``Bb3`` or music21's ``B-3``; raise :class:`BadInput` otherwise."""
        match = _PITCH_RE.match(text) if isinstance(text, str) else None
        if not match:
            raise BadInput(
                f"unknown pitch name {text!r}: use scientific notation such as C4, F#3 or Bb3"
            )
        letter, accidental, octave = match.groups()
        return cls(octave=int(octave), step=STEP_NAMES.index(letter.upper()),
                   alter=_ALTER_OF[accidental])

    @classmethod
    def from_diatonic(cls, diatonic: int, alter: int = 0) -> "Pitch":
        """The pitch ``diatonic`` letter steps above C0 (``C4`` is 28), with ``alter``."""
        return cls(octave=diatonic // 7, step=diatonic % 7, alter=alter)

    @property
    def diatonic(self) -> int:
        """Letter steps above C0: the generic position used for interval sizes."""
        return self.octave * 7 + self.step

    @property
    def midi(self) -> int:
        return 12 * (self.octave + 1) + STEP_PC[self.step] + self.alter

    @property
    def name(self) -> str:
        """Scientific pitch name, for example ``F#3`` or ``Bb4``."""
        return f"{STEP_NAMES[self.step]}{_ALTER_TEXT[self.alter]}{self.octave}"

    @property
    def m21_name(self) -> str:
        """The same pitch as music21 spells it (``B-4`` for B-flat)."""
        return self.name.replace("b", "-", 1) if self.alter < 0 else self.name

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.name


def parse_pitches(text: str) -> list[Pitch]:
    """Parse a space or comma separated list of pitch names."""
    items = [t for t in re.split(r"[\s,]+", text.strip()) if t]
    if not items:
        raise BadInput("empty pitch list: give notes such as 'D4 F4 E4 D4'")
    return [Pitch.parse(t) for t in items]


def spell_midi(midi: int, prefer_sharps: bool = True) -> Pitch:
    """A plain spelling for a MIDI number (used only where no context gives a better one)."""
    pc, octave = midi % 12, midi // 12 - 1
    for step, base in enumerate(STEP_PC):
        if base == pc:
            return Pitch(octave=octave, step=step)
    if prefer_sharps:
        return Pitch(octave=octave, step=STEP_PC.index(pc - 1), alter=1)
    return Pitch(octave=octave, step=STEP_PC.index(pc + 1), alter=-1)


@dataclass(frozen=True)
class Interval:
    """A spelled interval: ``generic`` letter steps (0 = unison, 4 = fifth, 7 = octave) and
    ``semitones``, both non-negative (measured from the lower to the upper pitch)."""

    generic: int
    semitones: int

    @classmethod
    def between(cls, a: Pitch, b: Pitch) -> "Interval":
        low, high = (a, b) if (a.diatonic, a.midi) <= (b.diatonic, b.midi) else (b, a)
        return cls(generic=high.diatonic - low.diatonic, semitones=high.midi - low.midi)

    @property
    def simple(self) -> "Interval":
        """Reduced by octaves to unison..seventh (an octave stays an octave)."""
        if self.generic >= 7 and self.generic % 7 == 0:
            octaves = self.generic // 7 - 1
        else:
            octaves = self.generic // 7
        return Interval(self.generic - 7 * octaves, self.semitones - 12 * octaves)

    @property
    def quality(self) -> str:
        """``P``, ``M``, ``m``, ``A``, ``d`` (``AA``/``dd`` for doubly altered)."""
        g = self.generic % 7
        deviation = self.semitones - 12 * (self.generic // 7) - _MAJOR_OR_PERFECT[g]
        if g in _PERFECT_CLASSES:
            return {0: "P", 1: "A", 2: "AA", -1: "d", -2: "dd"}.get(deviation, "?")
        return {0: "M", -1: "m", 1: "A", 2: "AA", -2: "d", -3: "dd"}.get(deviation, "?")

    @property
    def name(self) -> str:
        """For example ``P5``, ``m6``, ``A4``, ``M10``."""
        return f"{self.quality}{self.generic + 1}"

    @property
    def is_perfect(self) -> bool:
        """Unison, fifth or octave (and compounds), perfect in quality."""
        return self.generic % 7 in (0, 4) and self.quality == "P"

    def is_consonant(self, *, fourth_ok: bool = False) -> bool:
        """Consonant in two-voice counterpoint: P1, m3, M3, P5, m6, M6, P8 and compounds.

        ``fourth_ok`` admits the perfect fourth, consonant between upper voices (not above the
        bass) in three or more parts.
        """
        g, q = self.generic % 7, self.quality
        if g in (0, 4):
            return q == "P"
        if g in (2, 5):
            return q in ("M", "m")
        return fourth_ok and g == 3 and q == "P"


# ---------------------------------------------------------------------------- transposition

_INTERVAL_RE = re.compile(r"^\s*([+-]?)(P|M|m|A|d)(\d{1,2})\s*$")
_QUALITY_WORDS = {"P": "perfect", "M": "major", "m": "minor", "A": "augmented",
                  "d": "diminished"}
_NUMBER_WORDS = {1: "unison", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth",
                 7: "seventh", 8: "octave", 9: "ninth", 10: "tenth", 11: "eleventh",
                 12: "twelfth", 13: "thirteenth", 14: "fourteenth", 15: "two octaves"}


@dataclass(frozen=True)
class Transposition:
    """A signed spelled interval: ``generic`` letter steps and ``semitones``, both negative
    for a move down (``-P8`` is (-7, -12), ``P4`` is (3, 5))."""

    generic: int
    semitones: int

    @classmethod
    def parse(cls, text: str) -> "Transposition":
        """``P4``, ``-M2``, ``m3``, ``+P8``, ``-P8``, ``M9``: quality and number, up unless
        signed ``-``. :class:`BadInput` for a quality the number cannot have (``P3``, ``M5``)."""
        match = _INTERVAL_RE.match(text) if isinstance(text, str) else None
        if not match:
            raise BadInput(f"cannot read the interval {text!r}: write a quality and a number, "
                           "such as P4, -M2, m3, P8 or -P8 (a minus sign moves down)")
        sign, quality, number = match.group(1), match.group(2), int(match.group(3))
        if not 1 <= number <= 15:
            raise BadInput(f"interval {text!r}: give a number from 1 to 15 (two octaves)")
        g = number - 1
        perfect = g % 7 in _PERFECT_CLASSES
        base = 12 * (g // 7) + _MAJOR_OR_PERFECT[g % 7]
        shift = ({"P": 0, "A": 1, "d": -1} if perfect else
                 {"M": 0, "m": -1, "A": 1, "d": -2}).get(quality)
        if shift is None or (g == 0 and quality == "d"):
            raise BadInput(f"interval {text!r} does not exist: a {_NUMBER_WORDS[number]} is "
                           + ("perfect, augmented or diminished" if perfect else
                              "major, minor, augmented or diminished"))
        s = -1 if sign == "-" else 1
        return cls(s * g, s * (base + shift))

    @property
    def up(self) -> bool:
        return self.semitones > 0 or (self.semitones == 0 and self.generic >= 0)

    @property
    def name(self) -> str:
        """``P4``, ``-M2``: what :meth:`parse` reads."""
        iv = Interval(abs(self.generic), abs(self.semitones))
        return ("" if self.up else "-") + iv.name

    def words(self) -> str:
        """``up a perfect fourth``, ``down an octave``."""
        iv = Interval(abs(self.generic), abs(self.semitones))
        number = iv.generic + 1
        if iv.generic == 0 and iv.semitones == 0:
            return "not at all"
        if number in (8, 15) and iv.quality == "P":
            what = "an octave" if number == 8 else "two octaves"
        else:
            q = {"AA": "doubly augmented", "dd": "doubly diminished"}.get(
                iv.quality, _QUALITY_WORDS.get(iv.quality, iv.quality))
            what = f"{'an' if q[0] in 'aeiou' else 'a'} {q} {_NUMBER_WORDS[number]}"
        return f"{'up' if self.up else 'down'} {what}"

    def inverse(self) -> "Transposition":
        return Transposition(-self.generic, -self.semitones)

    def apply(self, pitch: Pitch) -> Pitch:
        """``pitch`` moved by this interval, spelled by letter (C4 up a P4 is F4, not E#4).
        :class:`BadInput` when the result would need a triple accidental or leave octaves
        -1..9."""
        target = Pitch.from_diatonic(pitch.diatonic + self.generic) if \
            0 <= pitch.diatonic + self.generic <= 69 else None
        if target is None:
            raise BadInput(f"transposing {pitch.name} {self.words()} leaves the compass")
        alter = pitch.midi + self.semitones - target.midi
        if not -2 <= alter <= 2:
            raise BadInput(f"transposing {pitch.name} {self.words()} needs a triple "
                           "accidental: choose another interval")
        return Pitch(target.octave, target.step, alter)


def is_interval(a: Pitch, b: Pitch, number: int, quality: str | None) -> bool:
    """Whether ``a`` and ``b`` (either above) make the interval ``number`` (1 unison, 8 any
    octave, else the simple interval, compound ones too) of ``quality`` (None: any)."""
    iv = Interval.between(b, a) if a.midi >= b.midi else Interval.between(a, b)
    simple = iv.generic % 7 + 1
    if number == 8:
        ok = iv.generic > 0 and iv.generic % 7 == 0
    elif number == 1:
        ok = iv.generic == 0
    else:
        ok = simple == number
    return ok and (quality is None or iv.quality == quality)
