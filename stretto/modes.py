"""Church modes on any final, with the musica ficta that Fux uses.

A mode is a rotation of the diatonic collection: dorian on D uses the white keys, dorian on G has
one flat (B-flat), dorian on E has two sharps. Ficta (accidentals not in the signature):

* the raised leading tone at cadences in dorian, mixolydian and aeolian (C# in D dorian);
  phrygian keeps its whole-tone subtonic, because its cadence has the semitone above the final;
  ionian and lydian already have a semitone below the final;
* the flattened "ti" of the collection (B-flat among the white keys) in dorian and lydian, which
  Fux uses to avoid the tritone against the fourth degree (F-B).

Pure Python; used by the solver (which pitches are allowed) and the checker (which are diatonic).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stretto.errors import BadInput
from stretto.pitch import STEP_NAMES, Pitch

# The mode's final when the collection has no sharps or flats, as a letter step.
MODE_ROTATION = {"ionian": 0, "dorian": 1, "phrygian": 2, "lydian": 3, "mixolydian": 4,
                 "aeolian": 5}
ALIASES = {"major": "ionian", "minor": "aeolian"}
# Position of each letter on the line of fifths (F=-1, C=0, G=1, ...).
_FIFTHS_OF_STEP = {3: -1, 0: 0, 4: 1, 1: 2, 5: 3, 2: 4, 6: 5}
_SHARP_ORDER = [3, 0, 4, 1, 5, 2, 6]  # F C G D A E B
_FLAT_ORDER = list(reversed(_SHARP_ORDER))  # B E A D G C F
LEADING_TONE_MODES = ("dorian", "mixolydian", "aeolian")
FLAT_FICTA_MODES = ("dorian", "lydian")

_FINAL_RE = re.compile(r"^\s*([A-Ga-g])(#|b|-)?\s*$")


def _fifths(step: int, alter: int) -> int:
    return _FIFTHS_OF_STEP[step] + 7 * alter


@dataclass(frozen=True)
class Mode:
    """A church mode on a final: ``Mode("dorian", "G")`` has a B-flat signature."""

    name: str
    final: str = "D"

    def __post_init__(self) -> None:
        name = ALIASES.get(self.name.lower(), self.name.lower())
        if name not in MODE_ROTATION:
            raise BadInput(f"unknown mode {self.name!r}: use one of {', '.join(MODE_ROTATION)}")
        match = _FINAL_RE.match(self.final)
        if not match:
            raise BadInput(f"unknown final {self.final!r}: use a note name such as D, F# or Bb")
        letter, acc = match.groups()
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "final", letter.upper() + {"-": "b"}.get(acc, acc or ""))

    @classmethod
    def parse(cls, text: str) -> "Mode":
        """``"G dorian"``, ``"dorian G"`` or ``"D minor"``."""
        words = text.split()
        if len(words) != 2:
            raise BadInput(f"cannot read mode {text!r}: write it as 'G dorian'")
        a, b = words
        return cls(b, a) if a.lower() not in MODE_ROTATION and a.lower() not in ALIASES else cls(a, b)

    @property
    def final_step(self) -> int:
        return STEP_NAMES.index(self.final[0])

    @property
    def final_alter(self) -> int:
        return {"": 0, "#": 1, "b": -1}[self.final[1:]]

    @property
    def fifths(self) -> int:
        """Key signature as sharps (positive) or flats (negative)."""
        natural = MODE_ROTATION[self.name]
        return _fifths(self.final_step, self.final_alter) - _fifths(natural, 0)

    def signature_alter(self, step: int) -> int:
        """The alteration the signature gives to letter ``step``."""
        k = self.fifths
        if k >= 0:
            sharp = 1 if step in _SHARP_ORDER[:min(k, 7)] else 0
            return sharp + (1 if k > 7 and step in _SHARP_ORDER[:k - 7] else 0)
        flat = -1 if step in _FLAT_ORDER[:min(-k, 7)] else 0
        return flat - (1 if -k > 7 and step in _FLAT_ORDER[:-k - 7] else 0)

    def degree(self, pitch: Pitch) -> int:
        """Scale degree 1-7 of a pitch's letter, counted from the final."""
        return (pitch.step - self.final_step) % 7 + 1

    def diatonic_pitch(self, diatonic: int) -> Pitch:
        """The in-signature pitch on the letter ``diatonic`` steps above C0."""
        step = diatonic % 7
        return Pitch.from_diatonic(diatonic, self.signature_alter(step))

    def is_diatonic(self, pitch: Pitch) -> bool:
        return pitch.alter == self.signature_alter(pitch.step)

    @property
    def has_leading_tone_ficta(self) -> bool:
        return self.name in LEADING_TONE_MODES

    @property
    def flat_ficta_step(self) -> int | None:
        """The letter that may be flattened (B among white keys) in dorian and lydian, else None."""
        if self.name not in FLAT_FICTA_MODES:
            return None
        # "ti" of the collection: the note a fifth above the last note of the sharp order,
        # i.e. line-of-fifths position fifths + 5.
        pos = self.fifths + 5
        for step, f in _FIFTHS_OF_STEP.items():
            if (pos - f) % 7 == 0:
                return step
        return None  # pragma: no cover

    def is_raised_leading_tone(self, pitch: Pitch) -> bool:
        return (self.has_leading_tone_ficta and self.degree(pitch) == 7
                and pitch.alter == self.signature_alter(pitch.step) + 1)

    def is_flat_ficta(self, pitch: Pitch) -> bool:
        step = self.flat_ficta_step
        return (step is not None and pitch.step == step
                and pitch.alter == self.signature_alter(step) - 1)

    @property
    def has_minor_third(self) -> bool:
        """Dorian, phrygian and aeolian: the third above the final is minor."""
        return self.name in ("dorian", "phrygian", "aeolian")

    def is_raised_third(self, pitch: Pitch) -> bool:
        """The major third over the final in a mode whose third is minor (F# in D dorian): Fux
        uses it in the last chord of three and four voices."""
        return (self.has_minor_third and self.degree(pitch) == 3
                and pitch.alter == self.signature_alter(pitch.step) + 1)

    def is_allowed(self, pitch: Pitch) -> bool:
        """Diatonic, or one of the ficta alterations this mode admits."""
        return self.is_diatonic(pitch) or self.is_raised_leading_tone(pitch) or self.is_flat_ficta(pitch)

    def pitches_between(self, low: Pitch, high: Pitch, *, ficta: bool = True) -> list[Pitch]:
        """Every allowed pitch from ``low`` to ``high`` (by MIDI), diatonic plus ficta."""
        out: list[Pitch] = []
        for d in range(low.diatonic - 1, high.diatonic + 2):
            base = self.diatonic_pitch(d)
            cands = [base]
            if ficta:
                cands += [Pitch(base.octave, base.step, base.alter + 1),
                          Pitch(base.octave, base.step, base.alter - 1)]
            for p in cands:
                if low.midi <= p.midi <= high.midi and self.is_allowed(p):
                    out.append(p)
        return sorted(out, key=lambda p: (p.midi, p.diatonic))

    def __str__(self) -> str:
        return f"{self.final} {self.name}"


def guess_mode(fifths: int, final: Pitch | None) -> Mode:
    """The church mode whose signature is ``fifths`` and whose final is the bass's last note.

    With no final, or none that fits, the major key (ionian) of the signature."""
    if final is not None:
        final_name = final.name[:-1]
        for name in ("dorian", "phrygian", "lydian", "mixolydian", "aeolian", "ionian"):
            try:
                mode = Mode(name, final_name)
            except BadInput:  # a double-sharp or double-flat final
                break
            if mode.fifths == fifths:
                return mode
    for step in range(7):
        for alter in (0, 1, -1):
            cand = Mode("ionian", STEP_NAMES[step] + {0: "", 1: "#", -1: "b"}[alter])
            if cand.fifths == fifths:
                return cand
    return Mode("ionian", "C")


def mode_of_final(final: str) -> Mode:
    """Fux's mode for a final letter: D dorian, E phrygian, F lydian, G mixolydian, A aeolian,
    C ionian."""
    letter = final.strip()[:1].upper()
    by_final = {"D": "dorian", "E": "phrygian", "F": "lydian", "G": "mixolydian", "A": "aeolian",
                "C": "ionian"}
    if letter not in by_final:
        raise BadInput(f"no church mode has the white-key final {final!r}; give --mode explicitly")
    return Mode(by_final[letter], letter)


# The order in which equally fitting modes are preferred on a final that is not a white key
# (a cantus on B-flat that never touches E or E-flat is read as B-flat ionian, not lydian):
# the common modes first.
_PREFERENCE = ("ionian", "aeolian", "dorian", "mixolydian", "phrygian", "lydian")


@dataclass(frozen=True)
class ModeReading:
    """What :func:`infer_mode` read from a cantus: the ``mode``, the accidentals it went by
    (``accidentals``: pitch names without octave, in signature order), the notes it takes as
    musica ficta, and the other modes that fit the notes as well (``alternatives``)."""

    mode: Mode
    accidentals: tuple[str, ...]
    ficta: tuple[str, ...]
    alternatives: tuple[Mode, ...]

    def describe(self) -> str:
        """One line: ``Bb ionian (from the final Bb and the flats Bb, Eb)``."""
        if self.accidentals:
            sharp = "#" in self.accidentals[0]
            kind = ("sharp" if sharp else "flat") + ("s" if len(self.accidentals) > 1 else "")
            why = f"from the final {self.mode.final} and the {kind} {', '.join(self.accidentals)}"
        else:
            why = f"from the final {self.mode.final} and no accidentals"
        if self.ficta:
            why += f"; {', '.join(self.ficta)} as musica ficta"
        if self.alternatives:
            absent = "/".join(self.unsung)
            why += (f"; {' and '.join(map(str, self.alternatives))} "
                    f"{'fit' if len(self.alternatives) > 1 else 'fits'} too"
                    + (f", as the cantus has no {absent}" if absent else "") +
                    ": pass --mode to choose")
        return f"{self.mode} ({why})"

    @property
    def unsung(self) -> tuple[str, ...]:
        """The letters on which the alternatives differ from the mode (never in the cantus)."""
        return tuple(STEP_NAMES[s] for s in (0, 1, 2, 3, 4, 5, 6)
                     if any(m.signature_alter(s) != self.mode.signature_alter(s)
                            for m in self.alternatives))


def _fit(mode: Mode, pitches) -> tuple[int, int] | None:
    """(notes taken as ficta, distinct ficta) when every pitch is allowed in ``mode``, else
    None."""
    ficta = [p for p in pitches if not mode.is_diatonic(p)]
    if any(not mode.is_allowed(p) for p in ficta):
        return None
    return len(ficta), len({(p.step, p.alter) for p in ficta})


def _letter_name(p: Pitch) -> str:
    return p.name.rstrip("0123456789-")


def infer_mode(cantus) -> ModeReading:
    """The mode of a cantus firmus on any final, from its last note and its accidentals.

    Of the six modes on the final, those in which every note is diatonic or one of the mode's
    ficta fit. On a white-key final Fux's mode (the one without a signature: D dorian,
    E phrygian ...) is kept whenever it fits, its ficta included (C# and B-flat in D dorian),
    as Fux reads his own cantus. Otherwise the mode needing the fewest ficta notes wins, and
    among equals the commoner (ionian, aeolian, dorian, mixolydian, phrygian, lydian): a cantus
    on B-flat with E-flats is B-flat ionian, one on F# with G naturals F# phrygian.
    :class:`BadInput` when no mode on the final admits every note."""
    pitches = list(cantus)
    if not pitches:
        raise BadInput("empty cantus: give notes such as 'D4 F4 E4 D4'")
    final = _letter_name(pitches[-1])
    if abs(pitches[-1].alter) > 1:
        raise BadInput(f"the cantus ends on {final}: no mode here has a double-sharp or "
                       "double-flat final; respell it (for example Bbb as A)")
    fits = []
    for name in MODE_ROTATION:
        mode = Mode(name, final)
        if abs(mode.fifths) > 7:
            continue  # a signature of more than seven sharps or flats: respell the final
        fit = _fit(mode, pitches)
        if fit is not None:
            fits.append((mode, fit))
    if not fits:
        used = sorted({_letter_name(p) for p in pitches if p.alter},
                      key=lambda n: (STEP_NAMES.index(n[0]), n))
        raise BadInput(f"no mode on the final {final} admits every note of the cantus"
                       + (f" (accidentals {', '.join(used)})" if used else "") +
                       ": check its accidentals, or give --mode explicitly")
    white = [(m, f) for m, f in fits if m.fifths == 0]
    if white:
        best = white[0]
    else:
        best = min(fits, key=lambda mf: (mf[1][0], _PREFERENCE.index(mf[0].name)))
    mode = best[0]
    # Modes that fit with no more ficta, and differ only in notes the cantus never sings.
    alternatives = tuple(m for m, f in fits if m != mode and f[0] <= best[1][0]
                         and not white)
    k = mode.fifths
    order = _SHARP_ORDER if k > 0 else _FLAT_ORDER
    accidentals = tuple(
        STEP_NAMES[s] + ("#" if k > 0 else "b") for s in order[:abs(k)]
        if any(p.step == s and p.alter == mode.signature_alter(s) for p in pitches))
    ficta = tuple(dict.fromkeys(_letter_name(p) for p in pitches if not mode.is_diatonic(p)))
    return ModeReading(mode, accidentals, ficta, alternatives)
