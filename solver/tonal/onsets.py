"""Voice leading at every onset, for the notes stretto adds between the chord slots.

The chorale model (:mod:`stretto.solver.tonal.chorale`) judges its slots, and a given melody's notes
between them (``HarmonyProblem.tails``), exactly. Notes placed after the solve - harmonize's
passing tones (``--ornament``), the eighths and dotted figures of a composed melody - are
added only where they make no fault at any onset: :func:`fits` judges a voice's changed line
against every note sounding with it, from onset to onset, as a listener hears it.

A line is a list of ``(onset, end, pitch)`` spans in time order (exact fractions of a quarter).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from stretto.pitch import Interval, Pitch

Span = tuple[Fraction, Fraction, Pitch]


def sounding(line: Sequence[Span], time: Fraction) -> Pitch | None:
    """The pitch ``line`` sounds at ``time`` (None in a rest)."""
    for a, e, p in line:
        if a <= time < e:
            return p
    return None


def _onsets(line: Sequence[Span], start: Fraction, stop: Fraction) -> set[Fraction]:
    return {a for a, _, _ in line if start <= a <= stop}


def _perfect(p: Pitch, q: Pitch) -> int | None:
    """0 for a unison/octave, 7 for a fifth (compound or not), else None."""
    d = abs(p.midi - q.midi) % 12
    return d if d in (0, 7) else None


def pair_faults(upper: Sequence[Span], lower: Sequence[Span], start: Fraction,
                stop: Fraction, *, outer: bool = False) -> list[str]:
    """Parallel fifths/octaves/unisons, overlap (a voice passing the other's previous note)
    and, for the outer voices, direct fifths and octaves with a leap in the upper voice,
    between two lines, judged between every two consecutive onsets of either line from the
    last shared onset before ``start`` up to ``stop``."""
    times = sorted(_onsets(upper, start, stop) | _onsets(lower, start, stop))
    before = [a for a in _onsets(upper, Fraction(-1), start) | _onsets(lower, Fraction(-1), start)
              if a < start]
    if before:
        times.insert(0, max(before))
    both = [(o, sounding(upper, o), sounding(lower, o)) for o in times]
    both = [x for x in both if x[1] is not None and x[2] is not None]
    out = []
    for (o1, u1, l1), (o2, u2, l2) in zip(both, both[1:]):
        if u1 == u2 or l1 == l2:
            continue  # a voice holds or repeats: no parallel, no direct motion, no overlap
        if u2.midi < l1.midi or l2.midi > u1.midi:
            out.append(f"overlap at {o2}")
        into = _perfect(u2, l2)
        if into is not None and into == _perfect(u1, l1):
            out.append(f"parallel {'octaves' if into == 0 else 'fifths'} at {o2}")
        elif outer and into is not None and (u2.midi - u1.midi) * (l2.midi - l1.midi) > 0 \
                and abs(u2.midi - u1.midi) > 2:
            out.append(f"direct {'octave' if into == 0 else 'fifth'} at {o2}")
    return out


def fits(lines: Sequence[Sequence[Span]], v: int, note: Span, *,
         consonant: bool = False) -> bool:
    """Whether voice ``v``'s line (``lines[v]``, which already holds ``note``) makes no fault
    around ``note``: no parallel or direct perfect interval at any onset from the note
    before it to the note after it, no crossing and no unison or octave with another voice
    while ``note`` sounds, and with ``consonant`` (two- and three-voice textures) a
    consonance with every voice at each of its onsets unless ``note`` is a passing or
    neighbour tone (reached and left by step)."""
    line = lines[v]
    k = line.index(note)
    start = line[k - 1][0] if k > 0 else note[0]
    stop = line[k + 1][0] if k + 1 < len(line) else note[1]
    a, e, p = note
    prev = line[k - 1][2] if k > 0 and line[k - 1][1] == a else None
    nxt = line[k + 1][2] if k + 1 < len(line) and line[k + 1][0] == e else None
    stepwise = prev is not None and nxt is not None and \
        abs(p.diatonic - prev.diatonic) == 1 and abs(nxt.diatonic - p.diatonic) == 1
    V = len(lines)
    for u in range(V):
        if u == v:
            continue
        times = sorted({a} | {o for o, _, _ in lines[u] if a < o < e})
        for o in times:
            q = sounding(lines[u], o)
            if q is None:
                continue
            if (p.midi - q.midi) % 12 == 0:
                return False  # no unison or octave against a sounding note
            if (u < v and p.midi > q.midi) or (u > v and p.midi < q.midi):
                return False  # crossing
            if consonant and not stepwise:
                if not Interval.between(p, q).is_consonant(
                        fourth_ok=V >= 3 and max(u, v) != V - 1):
                    return False
        upper, lower = (lines[u], line) if u < v else (line, lines[u])
        if pair_faults(upper, lower, start, stop, outer={u, v} == {0, V - 1}):
            return False
    return True


__all__ = ["Span", "fits", "pair_faults", "sounding"]
