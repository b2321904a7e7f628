"""What a change budget bought: a re-solve may change a few more notes than the fewest when
that lowers the objective (``--budget``), and the composer is told which notes moved beyond
the fewest-changes answer, and why: ``also moved Soprano bar 6 G5 -> D5: avoids a leap of an
octave (B5-B4)``. Pure: it compares three pieces (the previous score, the fewest-changes
answer, the one chosen) and the soft costs by rule of the last two."""

from __future__ import annotations

from fractions import Fraction

from stretto.pitch import Interval, Pitch
from stretto.score import Piece

_QUALITY = {"P": "perfect", "M": "major", "m": "minor", "A": "augmented", "d": "diminished",
            "AA": "doubly augmented", "dd": "doubly diminished"}
_NUMBER = ("unison", "second", "third", "fourth", "fifth", "sixth", "seventh", "octave",
           "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth",
           "two octaves")
LEAP = 5  # semitones: from a perfect fourth up, a melodic interval counts as a leap


def interval_words(a: Pitch, b: Pitch) -> str:
    """``an octave``, ``a minor sixth``, ``a perfect fifth``: the melodic interval in words."""
    iv = Interval.between(a, b)
    if iv.quality == "P" and iv.generic in (7, 14):
        return "an octave" if iv.generic == 7 else "two octaves"
    number = _NUMBER[iv.generic] if iv.generic < len(_NUMBER) else f"{iv.generic + 1}th"
    quality = _QUALITY.get(iv.quality, iv.quality)
    return f"{'an' if quality[0] in 'aeiou' else 'a'} {quality} {number}"


def _neighbours(piece: Piece, v: int, onset: Fraction):
    """(previous note, the note at ``onset``, next note) of voice ``v`` (None at the ends)."""
    notes = piece.voices[v].sounding()
    for i, n in enumerate(notes):
        if n.onset == onset:
            return (notes[i - 1] if i else None, n,
                    notes[i + 1] if i + 1 < len(notes) else None)
    return None, None, None


def _largest_leap(piece: Piece, v: int, onset: Fraction):
    """(semitones, from, to) of the larger melodic interval into and out of the note at
    ``onset``, or None."""
    before, note, after = _neighbours(piece, v, onset)
    if note is None:
        return None
    leaps = [(abs(b.midi - a.midi), a.pitch, b.pitch)
             for a, b in ((before, note), (note, after)) if a is not None and b is not None]
    return max(leaps, key=lambda x: x[0]) if leaps else None


def moves(previous: Piece, fewest: Piece, chosen: Piece, fewest_costs: dict[str, int],
          chosen_costs: dict[str, int]) -> tuple[str, ...]:
    """One line per note of ``chosen`` that neither ``previous`` nor the fewest-changes
    answer has: where, from what to what, and why (the leap it avoids, or the soft rules
    whose cost fell)."""
    lower = sorted(r for r in set(fewest_costs) | set(chosen_costs)
                   if chosen_costs.get(r, 0) < fewest_costs.get(r, 0))
    why_rules = (f"lowers the cost of {', '.join(lower)} "
                 f"({sum(fewest_costs.values())} -> {sum(chosen_costs.values())})") if lower \
        else "lowers the objective"
    out = []
    for v, voice in enumerate(chosen.voices):
        if v >= len(previous.voices) or v >= len(fewest.voices):
            continue
        old = {n.onset: n for n in previous.voices[v].sounding()}
        kept = {(n.onset, n.midi) for n in fewest.voices[v].sounding()} | \
            {(n.onset, n.midi) for n in previous.voices[v].sounding()}
        for n in voice.sounding():
            if (n.onset, n.midi) in kept:
                continue
            bar, beat = chosen.bar_beat(n.onset)
            where = f"{voice.name or f'voice {v + 1}'} bar {bar}" + \
                (f" beat {beat}" if beat != 1 else "")
            was = old.get(n.onset)
            change = f"{was.pitch.name} -> {n.pitch.name}" if was is not None else \
                f"a new {n.pitch.name}"
            before, after = _largest_leap(fewest, v, n.onset), _largest_leap(chosen, v, n.onset)
            if before and before[0] >= LEAP and (after is None or after[0] < before[0]):
                why = (f"avoids a leap of {interval_words(before[1], before[2])} "
                       f"({before[1].name}-{before[2].name})")
            else:
                why = why_rules
            out.append(f"also moved {where} {change}: {why}")
    return tuple(out)


__all__ = ["interval_words", "moves"]
