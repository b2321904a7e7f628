"""Rules between voices: consonance and dissonance treatment, parallels, direct motion,
crossing, overlap, unisons and the opening interval.

Every pair of voices is compared at each grid position where either may begin a note.
"""

from __future__ import annotations

from itertools import combinations

from stretto.solver.species.dissonance import suspension_ok, weak_dissonance_ok
from stretto.solver.cpsat.model import (DISS, GRID, OCT, P5, THIRD, UNI, UPPER_CONSONANT, LineVars,
    Lit, ScoreModel, where)

PERFECT = (UNI, OCT, P5)


def event_positions(sm: ScoreModel, a: LineVars, b: LineVars) -> list[int]:
    """Positions where both voices sound and at least one may begin a note."""
    return [p for p in range(sm.size)
            if a.x[p] is not None and b.x[p] is not None and (a.can_onset[p] or b.can_onset[p])]


def voice_pairs(sm: ScoreModel) -> list[tuple[LineVars, LineVars]]:
    """All pairs (upper, lower) by voice order."""
    return list(combinations(sm.lines, 2))


def fourth_is_dissonant(sm: ScoreModel, a: LineVars, b: LineVars, p: int, crossing: bool) -> Lit:
    """A perfect fourth or a tritone between ``a`` and ``b`` is dissonant unless some other
    sounding voice is strictly below both (then it is between upper voices)."""
    options = []
    for c in sm.lines:
        if c is a or c is b or c.x[p] is None:
            continue
        if not crossing and c.index < max(a.index, b.index):
            continue  # without crossing only a voice below the pair can be the bass
        lower = b.x[p] if not crossing else None
        if lower is not None:
            options.append(_below(sm, c.x[p], lower))
        else:
            options.append(sm.all_true(_below(sm, c.x[p], a.x[p]), _below(sm, c.x[p], b.x[p])))
    return sm.neg(sm.any_true(options))


def _below(sm: ScoreModel, c, v) -> Lit:
    if isinstance(c, int) and isinstance(v, int):
        return c < v
    return sm.compare(c - v, "<", 0)


def dissonant(sm: ScoreModel, a: LineVars, b: LineVars, p: int, crossing: bool) -> Lit:
    """Literal: the sounding interval between ``a`` and ``b`` at ``p`` is a dissonance."""
    def build() -> Lit:
        ic = sm.ic(a.x[p], b.x[p])
        fourth = sm.is_ic(ic, UPPER_CONSONANT)
        return sm.any_true([
            sm.is_ic(ic, (DISS,)),
            sm.all_true(fourth, fourth_is_dissonant(sm, a, b, p, crossing)) if fourth is not False
            else False])

    return sm.cached(("diss", a.index, b.index, p), build)


def rule_consonance(sm: ScoreModel, crossing: bool) -> None:
    """consonance / dissonance-treatment / suspension: wherever a note begins, the interval it
    makes with every other voice is consonant, unless the moving voice's note is a weak-beat
    dissonance its species allows, or the held voice is a correct suspension."""
    for a, b in voice_pairs(sm):
        for p in event_positions(sm, a, b):
            with sm.naming(f"consonance {a.name}-{b.name} {where(p)}"), \
                    sm.at(p // GRID + 1, a.index, b.index):
                diss = dissonant(sm, a, b, p, crossing)
                if diss is False:
                    continue
                oa, ob = a.onset[p], b.onset[p]
                cases = [
                    sm.all_true(oa, sm.neg(ob), weak_dissonance_ok(sm, a, p)),
                    sm.all_true(ob, sm.neg(oa), weak_dissonance_ok(sm, b, p)),
                    sm.all_true(ob, suspension_ok(sm, a, b, p)),
                    sm.all_true(oa, suspension_ok(sm, b, a, p)),
                    sm.all_true(sm.neg(oa), sm.neg(ob)),  # nothing new sounds
                ]
                sm.implies_any(diss, cases)


def _moves(sm: ScoreModel, line: LineVars, p: int) -> Lit:
    """Literal: a new, different pitch begins at ``p``."""
    if line.x[p - 1] is None or line.onset[p] is False:
        return False
    return sm.all_true(line.onset[p], sm.differ(line.x[p - 1], line.x[p]))


def rule_parallel_perfect(sm: ScoreModel) -> None:
    """parallel-perfect: two voices that both move may not go from a fifth to a fifth, or from
    an octave or unison to an octave or unison."""
    for a, b in voice_pairs(sm):
        for p in event_positions(sm, a, b):
            if p == 0 or a.x[p - 1] is None or b.x[p - 1] is None:
                continue
            with sm.naming(f"parallel {a.name}-{b.name} {where(p)}"), \
                    sm.at(p // GRID + 1, a.index, b.index):
                both = sm.all_true(_moves(sm, a, p), _moves(sm, b, p))
                if both is False:
                    continue
                before, now = sm.ic(a.x[p - 1], b.x[p - 1]), sm.ic(a.x[p], b.x[p])
                for group in ((P5,), (UNI, OCT)):
                    bad = sm.all_true(both, sm.is_ic(before, group), sm.is_ic(now, group))
                    sm.require(sm.neg(bad), "parallel-perfect")


def rule_downbeat_parallels(sm: ScoreModel) -> None:
    """downbeat-parallels (second species): no fifths or octaves on successive downbeats unless
    the voice leaps a fourth or more from the downbeat to the weak half between them."""
    for a, b in voice_pairs(sm):
        for mover, other in ((a, b), (b, a)):
            if mover.species != 2:
                continue
            for bar in range(sm.bars - 1):
                p, q = bar * GRID, (bar + 1) * GRID
                if other.x[p] is None:
                    continue
                with sm.naming(f"downbeat parallels {a.name}-{b.name} bars {bar + 1}-{bar + 2}"), \
                        sm.at(bar + 2, a.index, b.index):
                    leap = mover.dia[p + 4] - mover.dia[p]
                    small = sm.all_true(sm.compare(leap, "<=", 2), sm.compare(leap, ">=", -2))
                    first, second = sm.ic(a.x[p], b.x[p]), sm.ic(a.x[q], b.x[q])
                    for group in ((P5,), (UNI, OCT)):
                        bad = sm.all_true(small, sm.differ(mover.x[p], mover.x[q]),
                                          sm.is_ic(first, group), sm.is_ic(second, group))
                        sm.require(sm.neg(bad), "downbeat-parallels")


def motion_direction(sm: ScoreModel, line: LineVars, p: int) -> tuple[Lit, Lit]:
    """Literals (moves up, moves down) for a note beginning at ``p``."""
    if line.x[p - 1] is None or line.onset[p] is False:
        return False, False

    def build() -> tuple[Lit, Lit]:
        d = line.dia[p] - line.dia[p - 1]
        if isinstance(d, int):
            return d > 0, d < 0
        if line.dia[p] is line.dia[p - 1]:
            return False, False
        return (sm.all_true(line.onset[p], sm.compare(d, ">", 0)),
                sm.all_true(line.onset[p], sm.compare(d, "<", 0)))

    return sm.cached(("dir", line.index, p), build)


def rule_direct_perfect(sm: ScoreModel) -> None:
    """direct-perfect: the outer voices may not move in the same direction into a fifth,
    octave or unison."""
    top, bottom = sm.lines[0], sm.lines[-1]
    for p in event_positions(sm, top, bottom):
        if p == 0 or top.x[p - 1] is None or bottom.x[p - 1] is None:
            continue
        with sm.naming(f"direct {top.name}-{bottom.name} {where(p)}"), \
                sm.at(p // GRID + 1, top.index, bottom.index):
            up_t, down_t = motion_direction(sm, top, p)
            up_b, down_b = motion_direction(sm, bottom, p)
            similar = sm.any_true([sm.all_true(up_t, up_b), sm.all_true(down_t, down_b)])
            if similar is False:
                continue
            perfect = sm.is_ic(sm.ic(top.x[p], bottom.x[p]), PERFECT)
            sm.require(sm.neg(sm.all_true(similar, perfect)), "direct-perfect")


def rule_no_crossing(sm: ScoreModel) -> None:
    """crossing: a voice never sounds below the voice under it."""
    for a, b in zip(sm.lines, sm.lines[1:]):
        for p in event_positions(sm, a, b):
            if isinstance(a.x[p], int) and isinstance(b.x[p], int):
                continue
            sm.enforce(sm.m.Add(a.x[p] >= b.x[p]))


def rule_no_overlap(sm: ScoreModel) -> None:
    """overlap: a new note may not pass the previous note of the neighbouring voice."""
    for a, b in zip(sm.lines, sm.lines[1:]):
        for p in event_positions(sm, a, b):
            if p == 0:
                continue
            if a.x[p - 1] is not None and b.x[p - 1] is not None:
                if a.onset[p] is not False:
                    _at_least(sm, a.x[p], b.x[p - 1], a.onset[p])
                if b.onset[p] is not False:
                    _at_least(sm, a.x[p - 1], b.x[p], b.onset[p])


def _at_least(sm: ScoreModel, high, low, cond: Lit) -> None:
    if isinstance(high, int) and isinstance(low, int):
        if high < low and cond is not False:
            sm.require(sm.neg(cond), "overlap")
        return
    sm.enforce(sm.m.Add(high >= low), cond)


def rule_unison(sm: ScoreModel) -> None:
    """unison: no two voices in unison on a downbeat except in the first and last bar."""
    for a, b in voice_pairs(sm):
        for bar in range(1, sm.bars - 1):
            p = bar * GRID
            if a.x[p] is None or b.x[p] is None:
                continue
            with sm.at(bar + 1, a.index, b.index):
                sm.require(sm.neg(sm.is_ic(sm.ic(a.x[p], b.x[p]), (UNI,))), "unison")


def rule_first_interval(sm: ScoreModel, cantus: LineVars) -> None:
    """first-interval: in two voices the counterpoint begins perfect against the cantus (below
    it only a unison or octave); in three or more the opening chord stands on the final in the
    lowest sounding voice with octaves, fifths and thirds above."""
    final_step = sm.mode.final_step
    for line in sm.lines:
        if line.is_cantus:
            continue
        p = next(q for q in range(sm.size) if line.x[q] is not None)
        ic = sm.ic(line.x[p], cantus.x[p])
        if len(sm.lines) == 2:
            allowed = (UNI, OCT) if line.index > cantus.index else PERFECT
            sm.require(sm.is_ic(ic, allowed), "first-interval")
    if len(sm.lines) == 2:
        return
    # The opening sonority: the lowest voice sounding at the start (a voice that begins after a
    # rest enters later) stands on the final, the others an octave, fifth or third above it.
    sounding = [line for line in sm.lines if line.x[0] is not None]
    bass = sounding[-1]
    if not bass.is_cantus:
        on_final = sm.feature("is_final", bass.x[0], None, lambda a: a.step == final_step)
        sm.require(on_final, "first-interval")
    for line in sounding[:-1]:
        if not line.is_cantus:
            ic = sm.ic(line.x[0], bass.x[0])
            sm.require(sm.is_ic(ic, (UNI, OCT, P5, THIRD)), "first-interval")
