"""Motion at every onset: the four-part and free-texture motion rules judged note by note.

A *succession* of two voices is a move between consecutive onsets ``t1 < t2`` of the pair (the
union of both voices' note starts, ties merged) where both voices sound at both onsets and
neither rests in between. A voice that holds its note (or strikes the same pitch again) does not
move. So a melody eighth E4 at beat 3.5 that moves to F4 on beat 4 while the tenor goes E3-F3 is
a succession of octaves, whatever the beats say; a textbook's reduction to the chords, which
judges the beats only, is :func:`stretto.check.satb.check_beat_parallels` (``beats=True``).

The rules here, by rulebook name:

- ``parallel-perfect``: both voices move and the interval stays the same perfect class (a fifth
  to a fifth, an octave or unison to an octave or unison, compounds reduced), in similar or
  contrary motion, between any pair of voices.
- ``satb-direct``: the outer voices (first and last) move in similar motion into a fifth or an
  octave (not from one of the same kind, which is a parallel) with a leap (more than a whole
  tone) in the upper voice.
- ``overlap``: two neighbouring voices that both move: the lower goes above the upper's
  previous pitch, or the upper below the lower's previous pitch (a voice moving past a *held*
  note is a crossing, which the crossing rule reports).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator

from stretto.check.model import Violation
from stretto.pitch import Pitch
from stretto.rulebook import rule as rulebook_rule
from stretto.score import Note, Piece

_KIND = {0: "octaves or unisons", 7: "fifths"}


@dataclass(frozen=True)
class Succession:
    """Voices ``x`` (upper) and ``y`` move from onset ``t1`` to the next onset ``t2`` of the
    pair: ``x1``/``y1`` the pitches at ``t1``, ``x2``/``y2`` at ``t2``."""

    t1: Fraction
    t2: Fraction
    x1: Pitch
    y1: Pitch
    x2: Pitch
    y2: Pitch

    @property
    def x_moves(self) -> int:
        """Semitones voice x moves (0: it holds or repeats its pitch)."""
        return self.x2.midi - self.x1.midi

    @property
    def y_moves(self) -> int:
        return self.y2.midi - self.y1.midi


def _sounding_at(notes: list[Note], onsets: list[Fraction], t: Fraction) -> Note | None:
    k = bisect_right(onsets, t) - 1
    return notes[k] if k >= 0 and t < notes[k].end else None


def onset_successions(piece: Piece, x: int, y: int) -> Iterator[Succession]:
    """Every succession of voices ``x`` and ``y`` of ``piece`` (see the module text)."""
    xs, ys = piece.voices[x].sounding(), piece.voices[y].sounding()
    xo, yo = [n.onset for n in xs], [n.onset for n in ys]
    prev: tuple[Fraction, Note, Note] | None = None
    for t in sorted(set(xo) | set(yo)):
        nx, ny = _sounding_at(xs, xo, t), _sounding_at(ys, yo, t)
        if nx is None or ny is None:
            prev = None
            continue
        if prev is not None:
            t1, px, py = prev
            # consecutive onsets of the pair: each voice has at most one new note, at t
            if (px is nx or px.end == nx.onset) and (py is ny or py.end == ny.onset):
                yield Succession(t1, t, px.pitch, py.pitch, nx.pitch, ny.pitch)
        prev = (t, nx, ny)


def _v(rule: str, piece: Piece, time: Fraction, voices, message: str) -> Violation:
    bar, beat = piece.bar_beat(time)
    return Violation(rule, rulebook_rule(rule).kind, bar, beat, tuple(voices), message)


def _where(piece: Piece, t: Fraction) -> str:
    bar, beat = piece.bar_beat(t)
    return f"bar {bar}" if beat == 1 else f"bar {bar} beat {beat}"


def perfect_kind(upper: Pitch, lower: Pitch) -> int | None:
    """0 for an octave or unison (compound included), 7 for a fifth, else None: by semitones,
    as heard (a diminished sixth that sounds a fifth counts as a fifth)."""
    d = abs(upper.midi - lower.midi) % 12
    return d if d in (0, 7) else None


def check_onset_parallels(piece: Piece) -> list[Violation]:
    """parallel-perfect at every onset: both voices of a pair move and the interval stays the
    same perfect class (fifths; octaves or unisons), in similar or contrary motion."""
    out = []
    names = [v.name for v in piece.voices]
    for x in range(len(names)):
        for y in range(x + 1, len(names)):
            for s in onset_successions(piece, x, y):
                if s.x_moves == 0 or s.y_moves == 0:
                    continue
                k = perfect_kind(s.x1, s.y1)
                if k is None or k != perfect_kind(s.x2, s.y2):
                    continue
                what = _KIND[k] + (" by contrary motion" if s.x_moves * s.y_moves < 0 else "")
                out.append(_v("parallel-perfect", piece, s.t2, (names[x], names[y]),
                              f"parallel {what} between {names[x]} and {names[y]}: "
                              f"{s.x1.name}-{s.x2.name} over {s.y1.name}-{s.y2.name} from "
                              f"{_where(piece, s.t1)} to {_where(piece, s.t2)}"))
    return out


def check_onset_direct(piece: Piece) -> list[Violation]:
    """satb-direct at every onset: the outer voices move in similar motion into a fifth or an
    octave, not from one of the same kind, with a leap in the upper voice."""
    out = []
    if len(piece.voices) < 2:
        return out
    x, y = 0, len(piece.voices) - 1
    names = (piece.voices[x].name, piece.voices[y].name)
    for s in onset_successions(piece, x, y):
        if s.x_moves * s.y_moves <= 0 or abs(s.x_moves) <= 2:
            continue
        k = perfect_kind(s.x2, s.y2)
        if k is None or perfect_kind(s.x1, s.y1) == k:
            continue
        out.append(_v("satb-direct", piece, s.t2, names,
                      f"the outer voices move in similar motion into "
                      f"{'a fifth' if k == 7 else 'an octave'} with a leap in {names[0]} "
                      f"({s.x1.name}-{s.x2.name} over {s.y1.name}-{s.y2.name}) from "
                      f"{_where(piece, s.t1)} to {_where(piece, s.t2)}"))
    return out


def check_onset_overlap(piece: Piece) -> list[Violation]:
    """overlap at every onset: of two neighbouring voices that both move, neither passes the
    other's previous pitch."""
    out = []
    names = [v.name for v in piece.voices]
    for x in range(len(names) - 1):
        y = x + 1
        for s in onset_successions(piece, x, y):
            if s.x_moves == 0 or s.y_moves == 0:
                continue
            if s.y2.midi > s.x1.midi or s.x2.midi < s.y1.midi:
                out.append(_v("overlap", piece, s.t2, (names[x], names[y]),
                              f"{names[x]} and {names[y]} overlap: {s.x1.name}-{s.x2.name} "
                              f"over {s.y1.name}-{s.y2.name} in {_where(piece, s.t2)}"))
    return out


# The motion rules judged at every onset, in the order they run.
ONSET_MOTION = (check_onset_overlap, check_onset_parallels, check_onset_direct)


def check_onset_motion(piece: Piece) -> list[Violation]:
    """Every violation of :data:`ONSET_MOTION` in ``piece``."""
    out: list[Violation] = []
    for rule_fn in ONSET_MOTION:
        out += rule_fn(piece)
    return out


__all__ = ["ONSET_MOTION", "Succession", "check_onset_direct", "check_onset_motion",
           "check_onset_overlap", "check_onset_parallels", "onset_successions", "perfect_kind"]
