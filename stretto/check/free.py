"""Dissonance in free textures of two and three voices: only a treated dissonance may sound.

In four parts a chord label says which notes belong together; in two or three voices a chord is
only implied, and an interval the ear hears as dissonant must be explained by the lines
themselves. The rule ``treated-dissonance`` (:func:`check_treated_dissonance`): wherever a note
begins (any voice's onset), every pair of voices of which at least one strikes a note there and
that sounds a dissonance (:func:`is_dissonant`) must have a *treated* dissonant note
(:func:`treatment`), one of

- a **passing tone**: approached and left by step in the same direction (on the beat too: the
  accented passing tone), reaching a consonance or going on by step in the same direction;
- a **neighbour tone**: approached by step and left by step back to the note it came from,
  which is consonant;
- an **appoggiatura**: struck after a leap (or a rest), resolved by step to a consonance
  against the same note of the other voice (which holds until the resolution);
- a **suspension**: a note held over from where it was consonant with the other voice while the
  other voice strikes the dissonance, resolving down by step to a consonance (the other voice
  may hold or move meanwhile).

"Consonant" at the resolution means against what the other voice sounds when the resolving note
begins (a rest there counts as resolved). A Roman-numeral analysis never excuses a dissonance
here: E4 struck over Bb3 is a tritone in two voices whatever chord the label names.

Which scores: those the checker judges with the non-species rule sets (``satb`` and
``satb-voice-leading``, see :func:`stretto.check.choose_rules`) that have two or three voices:
stretto's two- and three-voice compositions (canons, inventions), or any two- or three-voice
score checked with ``--rules satb``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from fractions import Fraction

from stretto.check.model import Violation, is_step
from stretto.pitch import Interval, Pitch
from stretto.rulebook import rule as rulebook_rule
from stretto.score import Note, Piece


def is_dissonant(upper: Pitch, lower: Pitch, against_lowest: bool) -> bool:
    """Seconds, sevenths, ninths (any compound), the tritone and every augmented or diminished
    interval; the perfect fourth when ``against_lowest`` (one of the two is the lowest sounding
    voice)."""
    iv = Interval.between(upper, lower)
    g, q = iv.generic % 7, iv.quality
    if q not in ("P", "M", "m"):
        return True
    if g in (1, 6):
        return True
    return g == 3 and against_lowest


@dataclass(frozen=True)
class _Line:
    """One voice as heard: sounding notes (ties merged) and their onsets."""

    notes: tuple[Note, ...]
    onsets: tuple[Fraction, ...]

    def index_at(self, t: Fraction) -> int | None:
        k = bisect_right(self.onsets, t) - 1
        return k if k >= 0 and t < self.notes[k].end else None

    def before(self, k: int) -> Note | None:
        """The note leading straight into note ``k`` (no rest between)."""
        if k > 0 and self.notes[k - 1].end == self.notes[k].onset:
            return self.notes[k - 1]
        return None

    def after(self, k: int) -> Note | None:
        """The note following note ``k`` straight on (no rest between)."""
        if k + 1 < len(self.notes) and self.notes[k].end == self.notes[k + 1].onset:
            return self.notes[k + 1]
        return None


class _Free:
    """The lines of a piece, and the questions the rule asks of them."""

    def __init__(self, piece: Piece) -> None:
        self.piece = piece
        self.lines = []
        for v in piece.voices:
            notes = tuple(v.sounding())
            self.lines.append(_Line(notes, tuple(n.onset for n in notes)))

    def pitch(self, v: int, t: Fraction, *, before: bool = False) -> Pitch | None:
        """What voice ``v`` sounds at ``t`` (``before``: just before ``t``); None in a rest."""
        line = self.lines[v]
        if not before:
            k = line.index_at(t)
            return None if k is None else line.notes[k].pitch
        k = bisect_left(line.onsets, t) - 1
        return line.notes[k].pitch if k >= 0 and line.notes[k].end >= t else None

    def lowest(self, t: Fraction, *, before: bool = False) -> int | None:
        sounding = [(p.midi, p.diatonic, -v, v) for v in range(len(self.lines))
                    if (p := self.pitch(v, t, before=before)) is not None]
        return min(sounding)[3] if sounding else None

    def dissonant(self, a: int, b: int, t: Fraction) -> bool:
        pa, pb = self.pitch(a, t), self.pitch(b, t)
        if pa is None or pb is None:
            return False
        return is_dissonant(pa, pb, self.lowest(t) in (a, b))

    def consonant_at(self, v: int, n: Note, w: int) -> bool:
        """Note ``n`` of voice ``v`` is consonant with voice ``w`` when it begins (or ``w``
        rests then)."""
        return not self.dissonant(v, w, n.onset)


def _dir(a: Pitch, b: Pitch) -> int:
    d = (b.diatonic - a.diatonic) or (b.midi - a.midi)
    return (d > 0) - (d < 0)


def treatment(fx: _Free, v: int, k: int, w: int, t: Fraction) -> str | None:
    """How note ``k`` of voice ``v``, dissonant against voice ``w`` at time ``t``, is treated:
    ``passing``, ``neighbour``, ``appoggiatura``, ``suspension``, or None (bare)."""
    line = fx.lines[v]
    d = line.notes[k]
    nxt = line.after(k)
    if nxt is None or not is_step(d.pitch, nxt.pitch):
        return None  # every treated dissonance is left by step
    out = _dir(d.pitch, nxt.pitch)
    prev = line.before(k)
    if d.onset < t:  # held while the other voice strikes: a suspension
        w_before = fx.pitch(w, t, before=True)
        prepared = w_before is not None and not is_dissonant(
            d.pitch, w_before, fx.lowest(t, before=True) in (v, w))
        if prepared and out < 0 and fx.consonant_at(v, nxt, w):
            return "suspension"
        return None
    if prev is not None and is_step(prev.pitch, d.pitch):
        into = _dir(prev.pitch, d.pitch)
        if into == out:
            # a passing tone reaches a consonance, or runs on by step the same way
            j, note = k + 1, nxt
            while note is not None:
                if fx.consonant_at(v, note, w):
                    return "passing"
                after = line.after(j)
                if after is None or not is_step(note.pitch, after.pitch) or \
                        _dir(note.pitch, after.pitch) != out:
                    return None
                j, note = j + 1, after
            return None
        if nxt.pitch == prev.pitch and fx.consonant_at(v, nxt, w):
            return "neighbour"
        return None
    # struck after a leap, a repeated note or a rest: an appoggiatura, resolved by step to a
    # consonance against the note it clashed with (the other voice holds until then)
    held = fx.lines[w].index_at(t)
    if held is not None and held == fx.lines[w].index_at(nxt.onset) and \
            fx.consonant_at(v, nxt, w):
        return "appoggiatura"
    return None


def _where(piece: Piece, t: Fraction) -> str:
    bar, beat = piece.bar_beat(t)
    return f"bar {bar}" if beat == 1 else f"bar {bar} beat {beat}"


def check_treated_dissonance(piece: Piece) -> list[Violation]:
    """treated-dissonance: in two or three voices, every dissonance struck between two voices
    is a treated one (see the module text); [] for other numbers of voices."""
    if len(piece.voices) not in (2, 3):
        return []
    fx = _Free(piece)
    out: list[Violation] = []
    r = rulebook_rule("treated-dissonance")
    times = sorted({t for ln in fx.lines for t in ln.onsets})
    for t in times:
        ks = [ln.index_at(t) for ln in fx.lines]
        for a in range(len(ks)):
            for b in range(a + 1, len(ks)):
                ka, kb = ks[a], ks[b]
                if ka is None or kb is None:
                    continue
                na, nb = fx.lines[a].notes[ka], fx.lines[b].notes[kb]
                if t not in (na.onset, nb.onset) or not fx.dissonant(a, b, t):
                    continue
                if treatment(fx, a, ka, b, t) or treatment(fx, b, kb, a, t):
                    continue
                iv = Interval.between(na.pitch, nb.pitch)
                bar, beat = piece.bar_beat(t)
                va, vb = piece.voices[a].name, piece.voices[b].name
                out.append(Violation(
                    r.name, r.kind, bar, beat, (va, vb),
                    f"bare dissonance {na.name} against {nb.name} ({iv.name}) between {va} "
                    f"and {vb} in {_where(piece, t)}: neither note is a passing or neighbour "
                    "tone, a prepared suspension resolving down by step, or an appoggiatura "
                    "resolved by step"))
    return out


__all__ = ["check_treated_dissonance", "is_dissonant", "treatment"]
