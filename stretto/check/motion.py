"""How voices move against each other: parallels, direct (hidden) perfect intervals, unisons,
crossing and overlap, and the soft preferences about motion.

Motion is read between *successive simultaneities of a pair*: for voices a and b, every slice
where one of them begins a note while both sound, compared with the previous such slice. So in
second species the weak half against the cantus is followed by the next downbeat, and parallel
fifths from the weak half into the downbeat are caught, as Fux demands. The beat-only view
(``check(..., beats=True)``, ``Texture.beat``) reads the same rules from beat to beat of the
metre instead, the notes between the beats ignored (for comparisons with the literature only).
"""

from __future__ import annotations

from typing import Iterator

from stretto.check.model import CheckSettings, Slice, Texture, Violation, direction, \
    interval_name, is_step, perfect_class, violation
from stretto.pitch import Interval

_CLASS_NAME = {0: "octaves", 4: "fifths"}


def pair_steps(tx: Texture, a: int, b: int) -> Iterator[tuple[Slice, Slice]]:
    """Successive simultaneities of voices ``a`` and ``b`` (no rest in either between them):
    at every onset of either voice, or, in the beat-only view (``tx.beat``), at the beats."""
    prev: Slice | None = None
    for s in tx.slices:
        if tx.beat is not None and s.time % tx.beat:
            continue  # between the beats: not seen in the beat-only view
        if s.notes[a] is None or s.notes[b] is None:
            prev = None
            continue
        if a not in s.attacks and b not in s.attacks:
            continue
        if prev is not None and _continuous(tx, a, prev, s) and _continuous(tx, b, prev, s):
            yield prev, s
        prev = s


def _continuous(tx: Texture, v: int, s1: Slice, s2: Slice) -> bool:
    """Voice ``v`` sounds without a rest from ``s1`` to ``s2`` (through any notes between,
    which only the beat-only view skips)."""
    i, j = s1.notes[v], s2.notes[v]
    return i <= j and all(tx.lines[v].prev(k) is not None for k in range(i + 1, j + 1))


def _interval(tx: Texture, s: Slice, a: int, b: int) -> Interval:
    return Interval.between(tx.pitch(s, a), tx.pitch(s, b))


def _moves(tx: Texture, v: int, s1: Slice, s2: Slice) -> int:
    """-1, 0 or 1: how voice ``v`` moves from ``s1`` to ``s2``."""
    return direction(tx.pitch(s1, v), tx.pitch(s2, v))


def _pairs(tx: Texture) -> Iterator[tuple[int, int]]:
    for a in range(tx.n_voices):
        for b in range(a + 1, tx.n_voices):
            yield a, b


def check_parallels(tx: Texture, settings: CheckSettings) -> list[Violation]:
    """``parallel-perfect``: no two voices move from a perfect fifth, octave or unison to another
    of the same kind (both voices moving), between any pair of voices."""
    out: list[Violation] = []
    for a, b in _pairs(tx):
        for s1, s2 in pair_steps(tx, a, b):
            if settings.part_liberties and tx.n_voices >= 3 and \
                    not ({a, b} <= s1.attacks) and not tx.is_downbeat(s1.time):
                continue  # Fux's three/four-part liberty: weak-beat fifth against a held note
            c1 = perfect_class(_interval(tx, s1, a, b))
            c2 = perfect_class(_interval(tx, s2, a, b))
            if c1 is None or c1 != c2:
                continue
            if _moves(tx, a, s1, s2) == 0 or _moves(tx, b, s1, s2) == 0:
                continue
            out.append(violation(
                tx, "parallel-perfect", s2.time, (a, b),
                f"parallel {_CLASS_NAME[c1]} between {tx.lines[a].name} and {tx.lines[b].name} "
                f"from {tx.where(s1.time)} to {tx.where(s2.time)}"))
    return out


def check_downbeat_parallels(tx: Texture, settings: CheckSettings) -> list[Violation]:
    """``downbeat-parallels``: in the florid species, fifths or octaves on successive downbeats
    are parallels heard through the weak notes, unless the moving voice leaps a fourth or more
    between them (Fux, second species)."""
    out: list[Violation] = []
    downbeats = [s for s in tx.slices if tx.is_downbeat(s.time)]
    by_time = {s.time: s for s in downbeats}
    if settings.part_liberties and tx.n_voices >= 3:
        return out
    for a, b in _pairs(tx):
        florid = [v for v in (a, b) if tx.lines[v].species in settings.downbeat_parallel_species]
        if not florid:
            continue
        for s1 in downbeats:
            s2 = by_time.get(s1.time + tx.bar_length)
            if s2 is None or any(s.notes[v] is None for s in (s1, s2) for v in (a, b)):
                continue
            if not ({a, b} <= s1.attacks and {a, b} <= s2.attacks):
                continue
            c1 = perfect_class(_interval(tx, s1, a, b))
            if c1 is None or c1 != perfect_class(_interval(tx, s2, a, b)):
                continue
            if _moves(tx, a, s1, s2) == 0 or _moves(tx, b, s1, s2) == 0:
                continue
            if any(s1.notes[v] + 1 == s2.notes[v] for v in florid):
                continue  # nothing between the downbeats: plain parallels, reported elsewhere
            if any(_leaps_a_fourth(tx, v, s1.notes[v], s2.notes[v]) for v in florid):
                continue
            out.append(violation(
                tx, "downbeat-parallels", s2.time, (a, b),
                f"{_CLASS_NAME[c1]} on successive downbeats between {tx.lines[a].name} and "
                f"{tx.lines[b].name} in bars {tx.bar_beat(s1.time)[0]} and "
                f"{tx.bar_beat(s2.time)[0]}"))
    return out


def _leaps_a_fourth(tx: Texture, v: int, i: int, j: int) -> bool:
    notes = tx.lines[v].notes
    return any(Interval.between(notes[k].pitch, notes[k + 1].pitch).generic >= 3
               for k in range(i, j))


def check_direct(tx: Texture, settings: CheckSettings) -> list[Violation]:
    """``direct-perfect``: the outer voices may not enter a fifth or octave in similar motion
    (the hidden fifths and octaves of the textbooks). In three or more parts the upper voice may
    do so by step (Fux's three- and four-part figures, and the common rule)."""
    out: list[Violation] = []
    if tx.n_voices < 2 or (settings.part_liberties and tx.n_voices >= 3):
        return out
    a, b = 0, tx.n_voices - 1
    for s1, s2 in pair_steps(tx, a, b):
        c2 = perfect_class(_interval(tx, s2, a, b))
        if c2 is None:
            continue
        da, db = _moves(tx, a, s1, s2), _moves(tx, b, s1, s2)
        if da == 0 or da != db:
            continue
        if perfect_class(_interval(tx, s1, a, b)) == c2:
            continue  # parallel, reported by parallel-perfect
        if tx.n_voices >= 3 and is_step(tx.pitch(s1, a), tx.pitch(s2, a)):
            continue
        out.append(violation(
            tx, "direct-perfect", s2.time, (a, b),
            f"{tx.lines[a].name} and {tx.lines[b].name} move in similar motion into "
            f"{'a fifth' if c2 == 4 else 'an octave'} in {tx.where(s2.time)}"))
    return out


def check_unison(tx: Texture, settings: CheckSettings) -> list[Violation]:
    """``unison``: two voices meet on the same pitch only on the first and last notes, and in
    the florid species also on weak beats (Fux allows the unison off the downbeat). With
    ``settings.part_liberties`` three or more voices may meet in unison anywhere."""
    out: list[Violation] = []
    if settings.part_liberties and tx.n_voices >= 3:
        return out
    first = min((ln.notes[0].onset for ln in tx.lines if ln.notes), default=0)
    last_bar_start = tx.end - tx.bar_length
    for s in tx.slices:
        if not tx.is_downbeat(s.time) or s.time <= first or s.time >= last_bar_start:
            continue
        for a, b in _pairs(tx):
            if s.notes[a] is None or s.notes[b] is None or not ({a, b} & s.attacks):
                continue
            if tx.pitch(s, a) == tx.pitch(s, b):
                out.append(violation(tx, "unison", s.time, (a, b),
                                     f"unison {tx.pitch(s, a).name} between {tx.lines[a].name} "
                                     f"and {tx.lines[b].name} on the downbeat of "
                                     f"bar {tx.bar_beat(s.time)[0]}"))
    return out


def _above(p, q) -> bool:
    return (p.midi, p.diatonic) > (q.midi, q.diatonic)


def check_crossing(tx: Texture, settings: CheckSettings) -> list[Violation]:
    """``crossing``: a voice never sounds below the voice written under it; ``overlap``: when
    both move at once, neither passes the other's previous note."""
    out: list[Violation] = []
    for a in range(tx.n_voices - 1):
        b = a + 1
        crossed = False
        for s in tx.slices:
            if s.notes[a] is None or s.notes[b] is None:
                crossed = False
                continue
            now = _above(tx.pitch(s, b), tx.pitch(s, a))
            if now and not crossed and not settings.allow_crossing:
                out.append(violation(tx, "crossing", s.time, (a, b),
                                     f"{tx.lines[b].name} ({tx.pitch(s, b).name}) crosses above "
                                     f"{tx.lines[a].name} ({tx.pitch(s, a).name}) in "
                                     f"{tx.where(s.time)}"))
            crossed = now
        if settings.allow_crossing:
            continue
        for s1, s2 in pair_steps(tx, a, b):
            if not ({a, b} <= s2.attacks) or s1.notes[a] == s2.notes[a] \
                    or s1.notes[b] == s2.notes[b]:
                continue
            up1, up2 = tx.pitch(s1, a), tx.pitch(s2, a)
            lo1, lo2 = tx.pitch(s1, b), tx.pitch(s2, b)
            if _above(lo1, up2) and not _above(lo2, up2):
                out.append(violation(tx, "overlap", s2.time, (a, b),
                                     f"{tx.lines[a].name} moves to {up2.name}, below the "
                                     f"previous note {lo1.name} of {tx.lines[b].name}, in "
                                     f"{tx.where(s2.time)}"))
            elif _above(lo2, up1) and not _above(lo2, up2):
                out.append(violation(tx, "overlap", s2.time, (a, b),
                                     f"{tx.lines[b].name} moves to {lo2.name}, above the "
                                     f"previous note {up1.name} of {tx.lines[a].name}, in "
                                     f"{tx.where(s2.time)}"))
    return out


# --------------------------------------------------------------------------- soft


def check_soft_motion(tx: Texture) -> list[Violation]:
    """Soft: ``contrary-motion`` (similar motion between a counterpoint and the cantus),
    ``parallel-imperfect-run`` (more than three parallel thirds or sixths in a row),
    ``imperfect-preferred`` (perfect consonances on inner downbeats against the cantus),
    ``complete-harmony`` (three or more voices: a downbeat without a third or sixth)."""
    out: list[Violation] = []
    c = tx.cantus
    first = min((ln.notes[0].onset for ln in tx.lines if ln.notes), default=0)
    last_bar_start = tx.end - tx.bar_length
    for a, b in _pairs(tx):
        run = 0
        run_class = None
        for s1, s2 in pair_steps(tx, a, b):
            da, db = _moves(tx, a, s1, s2), _moves(tx, b, s1, s2)
            iv = _interval(tx, s2, a, b)
            g = iv.generic % 7
            if c in (a, b) and da != 0 and da == db and perfect_class(iv) is None:
                out.append(violation(tx, "contrary-motion", s2.time, (a, b),
                                     f"{tx.lines[a].name} and {tx.lines[b].name} move in "
                                     f"similar motion into {tx.where(s2.time)}"))
            if g in (2, 5) and da != 0 and da == db and \
                    Interval.between(tx.pitch(s1, a), tx.pitch(s1, b)).generic % 7 == g:
                run = run + 1 if run_class == g else 2
                run_class = g
                if run == 4:
                    out.append(violation(tx, "parallel-imperfect-run", s2.time, (a, b),
                                         f"four parallel {'thirds' if g == 2 else 'sixths'} in "
                                         f"a row between {tx.lines[a].name} and "
                                         f"{tx.lines[b].name} up to {tx.where(s2.time)}"))
            elif not (da == 0 and db == 0):
                run, run_class = 0, None
        if c in (a, b):
            for s in tx.slices:
                if not tx.is_downbeat(s.time) or s.time <= first or s.time >= last_bar_start:
                    continue
                if s.notes[a] is None or s.notes[b] is None or not ({a, b} & s.attacks):
                    continue
                if perfect_class(_interval(tx, s, a, b)) is not None:
                    out.append(violation(tx, "imperfect-preferred", s.time, (a, b),
                                         f"perfect {interval_name(tx.pitch(s, a), tx.pitch(s, b))}"
                                         f" between {tx.lines[a].name} and {tx.lines[b].name} on "
                                         f"the downbeat of bar {tx.bar_beat(s.time)[0]}"))
    if tx.n_voices >= 3:
        for s in tx.slices:
            if not tx.is_downbeat(s.time) or s.time <= first or s.time >= last_bar_start:
                continue
            voices = tx.sounding(s)
            low = tx.lowest(s)
            if len(voices) < 3 or low is None:
                continue
            if not any(Interval.between(tx.pitch(s, low), tx.pitch(s, v)).generic % 7 in (2, 5)
                       for v in voices if v != low):
                out.append(violation(tx, "complete-harmony", s.time, tuple(voices),
                                     f"the chord on the downbeat of bar {tx.bar_beat(s.time)[0]} "
                                     f"has no third or sixth"))
    return out
