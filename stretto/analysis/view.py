"""Shared views of a piece for the metrics: sounding lines, pair successions, beats, tonic.

All times are exact :class:`~fractions.Fraction` quarter notes, as in the score model.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from fractions import Fraction

from stretto.score import Piece, parse_meter

_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


@dataclass(frozen=True)
class Line:
    """One voice as heard (ties merged): parallel tuples of onsets, ends, MIDI numbers and
    diatonic positions (letter steps above C0, from the spelling)."""

    onsets: tuple[Fraction, ...]
    ends: tuple[Fraction, ...]
    midi: tuple[int, ...]
    diatonic: tuple[int, ...] = ()

    def diatonic_at(self, t: Fraction) -> int | None:
        """Diatonic position sounding at ``t`` (None in a rest)."""
        i = bisect_right(self.onsets, t) - 1
        if i >= 0 and t < self.ends[i]:
            return self.diatonic[i]
        return None

    def at(self, t: Fraction) -> int | None:
        """MIDI number sounding at ``t`` (None in a rest)."""
        i = bisect_right(self.onsets, t) - 1
        if i >= 0 and t < self.ends[i]:
            return self.midi[i]
        return None

    def attacks(self, t: Fraction) -> bool:
        i = bisect_right(self.onsets, t) - 1
        return i >= 0 and self.onsets[i] == t

    @property
    def durations(self) -> list[Fraction]:
        return [e - o for o, e in zip(self.onsets, self.ends)]

    def intervals(self) -> list[int]:
        """Melodic intervals in semitones between successive notes (rests ignored)."""
        return [b - a for a, b in zip(self.midi, self.midi[1:])]


def lines(piece: Piece) -> list[Line]:
    """Every voice of ``piece`` as a :class:`Line`, top to bottom."""
    out = []
    for v in piece.voices:
        notes = v.sounding()
        out.append(Line(tuple(n.onset for n in notes), tuple(n.end for n in notes),
                        tuple(n.midi for n in notes), tuple(n.pitch.diatonic for n in notes)))
    return out


def pair_grid(upper: Line, lower: Line) -> list[tuple[Fraction, int, int]]:
    """The pair's simultaneities: every onset of either voice at which both sound, as
    ``(time, upper_midi, lower_midi)``, in time order."""
    times = sorted(set(upper.onsets) | set(lower.onsets))
    out = []
    for t in times:
        a, b = upper.at(t), lower.at(t)
        if a is not None and b is not None:
            out.append((t, a, b))
    return out


def successions(upper: Line, lower: Line) -> list[tuple[int, int, int, int]]:
    """Voice-pair successions: consecutive simultaneities of the pair with no rest in either
    voice between them, as ``(a0, b0, a1, b1)`` (upper and lower MIDI before and after)."""
    out = []
    grid = pair_grid(upper, lower)
    for (t0, a0, b0), (t1, a1, b1) in zip(grid, grid[1:]):
        # a rest in either voice between t0 and t1 breaks the succession
        if _continuous(upper, t0, t1) and _continuous(lower, t0, t1):
            out.append((a0, b0, a1, b1))
    return out


def _continuous(line: Line, t0: Fraction, t1: Fraction) -> bool:
    i = bisect_right(line.onsets, t0) - 1
    while i < len(line.onsets) and line.ends[i] < t1:
        if i + 1 >= len(line.onsets) or line.onsets[i + 1] != line.ends[i]:
            return False
        i += 1
    return True


def beat_length(piece: Piece) -> Fraction:
    """The beat in quarter notes: the meter's denominator (a half note in 2/2, a quarter in 4/4,
    an eighth in 6/8)."""
    _, den = parse_meter(piece.meter)
    return Fraction(4, den)


def beats(piece: Piece) -> list[Fraction]:
    """Every beat onset from 0 to the end of the piece."""
    step = beat_length(piece)
    n = int(piece.length / step) if piece.length else 0
    return [step * k for k in range(n + (1 if step * n < piece.length else 0))]


def tonic_pc(piece: Piece) -> int:
    """Pitch class of the piece's final (its mode's final, as recorded or as the reader guessed
    it from the key signature and the bass's last note)."""
    final = piece.mode.final
    pc = _PC[final[0]]
    for ch in final[1:]:
        pc += {"#": 1, "b": -1}.get(ch, 0)
    return pc % 12


def scale_pcs(piece: Piece) -> set[int]:
    """The pitch classes of the piece's mode (without ficta)."""
    from stretto.pitch import Pitch

    final = piece.mode.final
    p = Pitch.parse(final + "4")
    mode = piece.mode
    return {mode.diatonic_pitch(p.diatonic + k).midi % 12 for k in range(7)}


def note_count(piece: Piece) -> int:
    """Sounding notes (ties merged) in all voices."""
    return sum(len(v.sounding()) for v in piece.voices)


def phrase_ends(piece: Piece) -> list[Fraction]:
    """Ends of phrases, in time order, always including the end of the piece.

    ``piece.info["phrase_ends"]`` when the reader found them (fermatas in MusicXML, as in Bach's
    chorales); otherwise the ends of top-voice notes at least two beats long and at least twice
    the top voice's median duration, and the starts of rests in every voice.
    """
    end = piece.length
    given = piece.info.get("phrase_ends") if isinstance(piece.info, dict) else None
    if given:
        out = {Fraction(x) for x in given if 0 < Fraction(x) <= end}
    else:
        out = set()
        ls = lines(piece)
        if ls and ls[0].midi:
            top = ls[0]
            durs = sorted(top.durations)
            med = durs[len(durs) // 2]
            beat = beat_length(piece)
            for o, e in zip(top.onsets, top.ends):
                if e - o >= 2 * beat and e - o >= 2 * med:
                    out.add(e)
        for t in {e for line in ls for e in line.ends}:
            if t < end and all(line.at(t) is None for line in ls):
                out.add(t)
    out.add(end)
    return sorted(x for x in out if x > 0)
