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
class HeardLine:
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


_CACHE: list[tuple[Piece, list[HeardLine]]] = []


def lines(piece: Piece) -> list[HeardLine]:
    """Every voice of ``piece`` as a :class:`HeardLine`, top to bottom (the last few pieces' lines
    are kept, since every metric asks for them)."""
    for cached, ls in _CACHE:
        if cached is piece:
            return ls
    ls = _lines(piece)
    _CACHE.insert(0, (piece, ls))
    del _CACHE[4:]
    return ls


def _lines(piece: Piece) -> list[HeardLine]:
    out = []
    for v in piece.voices:
        notes = v.sounding()
        out.append(HeardLine(tuple(n.onset for n in notes), tuple(n.end for n in notes),
                        tuple(n.midi for n in notes), tuple(n.pitch.diatonic for n in notes)))
    return out


def _indices(line: HeardLine, times: list[Fraction]) -> list[int]:
    """For each of the sorted ``times``, the index of the note sounding then (-1 in a rest)."""
    out, i, n = [], 0, len(line.onsets)
    for t in times:
        while i + 1 < n and line.onsets[i + 1] <= t:
            i += 1
        out.append(i if n and line.onsets[i] <= t < line.ends[i] else -1)
    return out


def _gaps(line: HeardLine) -> list[int]:
    """Prefix counts of rests between successive notes: no rest between notes i and j (i < j)
    when ``gaps[j] == gaps[i]``."""
    out = [0]
    for k in range(1, len(line.onsets)):
        out.append(out[-1] + (line.ends[k - 1] != line.onsets[k]))
    return out


_PAIRS: list[tuple[HeardLine, HeardLine, tuple]] = []


def _pair(upper: HeardLine, lower: HeardLine) -> tuple[list, list]:
    for u, lo, data in _PAIRS:
        if u is upper and lo is lower:
            return data
    times = sorted(set(upper.onsets) | set(lower.onsets))
    iu, il = _indices(upper, times), _indices(lower, times)
    grid = [(t, a, b) for t, a, b in zip(times, iu, il) if a >= 0 and b >= 0]
    gu, gl = _gaps(upper), _gaps(lower)
    succ = []
    for (t0, a0, b0), (t1, a1, b1) in zip(grid, grid[1:]):
        if gu[a1] == gu[a0] and gl[b1] == gl[b0]:
            succ.append((upper.midi[a0], lower.midi[b0], upper.midi[a1], lower.midi[b1],
                         upper.diatonic[a1] - upper.diatonic[a0],
                         lower.diatonic[b1] - lower.diatonic[b0], t0, t1))
    data = ([(t, upper.midi[a], lower.midi[b]) for t, a, b in grid], succ)
    _PAIRS.insert(0, (upper, lower, data))
    del _PAIRS[12:]
    return data


def pair_grid(upper: HeardLine, lower: HeardLine) -> list[tuple[Fraction, int, int]]:
    """The pair's simultaneities: every onset of either voice at which both sound, as
    ``(time, upper_midi, lower_midi)``, in time order."""
    return _pair(upper, lower)[0]


def pair_successions(upper: HeardLine, lower: HeardLine) -> list[tuple[int, int, int, int]]:
    """Voice-pair successions: consecutive simultaneities of the pair with no rest in either
    voice between them, as ``(a0, b0, a1, b1)`` (upper and lower MIDI before and after)."""
    return [s[:4] for s in _pair(upper, lower)[1]]


def diatonic_successions(upper: HeardLine, lower: HeardLine) -> list[tuple[int, int]]:
    """The letter-step motion ``(upper, lower)`` of each of :func:`pair_successions`."""
    return [s[4:6] for s in _pair(upper, lower)[1]]


def succession_times(upper: HeardLine, lower: HeardLine) -> list[tuple[Fraction, Fraction]]:
    """The times ``(from, to)`` of each of :func:`pair_successions`."""
    return [s[6:8] for s in _pair(upper, lower)[1]]


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
