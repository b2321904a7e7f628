"""Melodic rules: each added voice must stand on its own as a line.

Hard: ``melodic-interval``, ``leap-span``, ``range``, ``repetition``.
Soft: ``steps-over-leaps``, ``leap-recovery``, ``single-climax``, ``climax-apart``,
``repeated-notes``, ``outlined-tritone``.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from stretto.pitch import Interval, Pitch

from stretto.solver.cpsat.model import GRID, LineVars, Lit, ScoreModel, where

# Allowed melodic intervals as (letter steps, semitones) measured upward; the minor sixth only
# ascending. A repeated pitch (0, 0) is in the table because a held note repeats its pitch on
# the grid; repetitions of *new* notes are governed by the repetition rules.
_UP_OR_DOWN = {(0, 0), (1, 1), (1, 2), (2, 3), (2, 4), (3, 5), (4, 7), (7, 12)}
_UP_ONLY = {(5, 8)}


def melodic_ok(a: Pitch, b: Pitch) -> bool:
    """True when moving from ``a`` to ``b`` is a legal melodic interval."""
    iv = Interval.between(a, b)
    key = (iv.generic, iv.semitones)
    if key in _UP_OR_DOWN:
        return True
    return key in _UP_ONLY and b.midi > a.midi


def note_pairs(sm: ScoreModel, line: LineVars) -> list[tuple[int, int, Lit]]:
    """Consecutive notes ``(p1, p2, literal)``: notes begin at p1 and p2 and none between."""
    cands = [p for p in line.onset_positions() if line.x[p] is not None]
    out = []
    for i, p1 in enumerate(cands):
        between: list[Lit] = []
        for p2 in cands[i + 1:]:
            lit = sm.all_true(line.onset[p1], line.onset[p2], *[sm.neg(b) for b in between])
            if lit is not False:
                out.append((p1, p2, lit))
            if line.onset[p2] is True:
                break
            between.append(line.onset[p2])
    return out


def note_triples(sm: ScoreModel, line: LineVars) -> list[tuple[int, int, int, Lit]]:
    """Three consecutive notes ``(p0, p1, p2, literal)``."""
    pairs = note_pairs(sm, line)
    by_start: dict[int, list[tuple[int, Lit]]] = {}
    for p1, p2, lit in pairs:
        by_start.setdefault(p1, []).append((p2, lit))
    out = []
    for p0, p1, lit01 in pairs:
        for p2, lit12 in by_start.get(p1, []):
            lit = sm.all_true(lit01, lit12)
            if lit is not False:
                out.append((p0, p1, p2, lit))
    return out


def _moves(line: LineVars) -> list[int]:
    """Positions where a new note may begin right after another (not after a rest)."""
    return [p for p in line.onset_positions() if p > 0 and line.x[p - 1] is not None]


def rule_melodic_interval(sm: ScoreModel, line: LineVars) -> None:
    """melodic-interval: no augmented or diminished intervals, sevenths, major sixth, descending
    minor sixth, or anything beyond an octave (a table over each pair of successive pitches)."""
    P = sm.u.pitches
    for p in _moves(line):
        a, b = line.x[p - 1], line.x[p]
        if a is b:
            continue
        rows = [(i, j) for i in line.domain for j in line.domain if melodic_ok(P[i], P[j])]
        with sm.at(p // GRID + 1, line.index):
            sm.enforce(sm.m.AddAllowedAssignments([a, b], rows))


def rule_leap_span(sm: ScoreModel, line: LineVars) -> None:
    """leap-span: two successive leaps in one direction may not exceed an octave together."""
    for p0, p1, p2, lit in note_triples(sm, line):
        d1 = line.dia[p1] - line.dia[p0]
        d2 = line.dia[p2] - line.dia[p1]
        up1, up2 = sm.compare(d1, ">=", 2), sm.compare(d2, ">=", 2)
        sm.enforce(sm.m.Add(d1 + d2 <= 7), lit, up1, up2)
        dn1, dn2 = sm.compare(d1, "<=", -2), sm.compare(d2, "<=", -2)
        sm.enforce(sm.m.Add(d1 + d2 >= -7), lit, dn1, dn2)


def rule_range(sm: ScoreModel, line: LineVars, max_steps: int) -> tuple:
    """range: the line spans at most ``max_steps`` letter steps (a tenth = 9). Returns the
    (lowest, highest) letter-step variables for the climax rules."""
    dias = _distinct(line.dia[p] for p in line.onset_positions() if line.dia[p] is not None)
    lo = sm.m.NewIntVar(min(sm.u.dia), max(sm.u.dia), f"{line.name}_low")
    hi = sm.m.NewIntVar(min(sm.u.dia), max(sm.u.dia), f"{line.name}_high")
    sm.m.AddMinEquality(lo, dias)
    sm.m.AddMaxEquality(hi, dias)
    sm.enforce(sm.m.Add(hi - lo <= max_steps))
    return lo, hi


def rule_eighth_steps(sm: ScoreModel, line: LineVars) -> None:
    """rhythm (fifth species): an eighth pair moves by step, from the first eighth to the
    second and from the second to the note after it (Fux's passing and neighbour eighths).
    The pair stands on a weak quarter, so the note after it always begins one eighth later."""
    for p in line.onset_positions():
        if p % 2 == 0 or p + 1 >= sm.size or line.onset[p] is False:
            continue  # only an eighth's second note starts off the quarter-note grid
        for a, b in ((p - 1, p), (p, p + 1)):
            step = sm.m.AddLinearExpressionInDomain(line.dia[b] - line.dia[a],
                                                    cp_model.Domain.FromValues([-1, 1]))
            sm.enforce(step, line.onset[p])


def rule_repetition(sm: ScoreModel, line: LineVars) -> None:
    """repetition: in second, third, fourth and fifth species a new note never repeats the
    previous pitch (a held or tied note is not a repetition)."""
    for p in _moves(line):
        a, b = line.x[p - 1], line.x[p]
        if a is b:
            continue
        sm.enforce(sm.m.Add(a != b), line.onset[p])


# ------------------------------------------------------------------------------ soft


def soft_steps_over_leaps(sm: ScoreModel, line: LineVars, weight: int) -> None:
    """steps-over-leaps: each leap costs its size beyond a step."""
    for p in _moves(line):
        if line.x[p - 1] is line.x[p]:
            continue
        d = sm.m.NewIntVar(0, 12, f"{line.name}_abs{p}")
        sm.m.AddAbsEquality(d, line.dia[p] - line.dia[p - 1])
        extra = sm.m.NewIntVar(0, 12, f"{line.name}_leap{p}")
        sm.m.AddMaxEquality(extra, [d - 1, 0])
        sm.penalize("steps-over-leaps", weight, extra)


def soft_leap_recovery(sm: ScoreModel, line: LineVars, weight: int) -> None:
    """leap-recovery: after a leap of a fourth or more, turn back by a step (or a third)."""
    for p0, p1, p2, lit in note_triples(sm, line):
        d1 = line.dia[p1] - line.dia[p0]
        d2 = line.dia[p2] - line.dia[p1]
        for big, back in ((sm.compare(d1, ">=", 3), (-2, -1)), (sm.compare(d1, "<=", -3), (1, 2))):
            ok = sm.m.NewBoolVar(f"leap-recovery {line.name} {where(p2)}: recovered")
            sm.m.AddLinearConstraint(d2, back[0], back[1]).OnlyEnforceIf(ok)
            sm.penalize("leap-recovery", weight, sm.all_true(lit, big, ok.Not()))


def soft_climax(sm: ScoreModel, line: LineVars, hi, cantus: LineVars | None, w_single: int,
                w_apart: int) -> None:
    """single-climax: the highest note is reached once; climax-apart: not in a bar where the
    cantus reaches its own highest note."""
    starts = [p for p in line.onset_positions() if line.dia[p] is not None]
    tops = []
    for p in starts:
        at_top = sm.compare(line.dia[p] - hi, "==", 0)
        tops.append(sm.all_true(at_top, line.onset[p]))
    extra = sm.m.NewIntVar(0, len(tops), f"{line.name}_climaxes")
    sm.m.Add(extra == sum(t if t is not True else 1 for t in tops) - 1)
    sm.penalize("single-climax", w_single, extra)
    if cantus is None:
        return
    c_top = max(d for d in cantus.dia if d is not None)
    bars = {p // GRID for p, d in enumerate(cantus.dia) if d == c_top}
    for p, t in zip(starts, tops):
        if p // GRID in bars:
            sm.penalize("climax-apart", w_apart, t)


def soft_repeated_notes(sm: ScoreModel, line: LineVars, weight: int) -> None:
    """repeated-notes: first species may repeat a note, at a cost."""
    for p in _moves(line):
        a, b = line.x[p - 1], line.x[p]
        if a is not b:
            sm.penalize("repeated-notes", weight, sm.neg(sm.differ(a, b)))


def soft_outlined_tritone(sm: ScoreModel, line: LineVars, weight: int) -> None:
    """outlined-tritone: three notes moving one way should not span a tritone."""
    for p0, p1, p2, lit in note_triples(sm, line):
        tri = sm.feature("tritone", line.x[p0], line.x[p2], outlines_tritone)
        if tri is False:
            continue
        d1 = line.dia[p1] - line.dia[p0]
        d2 = line.dia[p2] - line.dia[p1]
        up = sm.all_true(sm.compare(d1, ">", 0), sm.compare(d2, ">", 0))
        down = sm.all_true(sm.compare(d1, "<", 0), sm.compare(d2, "<", 0))
        same = sm.any_true([up, down])
        sm.penalize("outlined-tritone", weight, sm.all_true(lit, tri, same))


def outlines_tritone(a: Pitch, b: Pitch) -> bool:
    """The simple interval between ``a`` and ``b`` is a tritone (A4 or d5)."""
    return Interval.between(a, b).simple.name in ("A4", "d5")


def _distinct(values):
    out, seen = [], set()
    for v in values:
        k = v if isinstance(v, int) else ("var", v.Index())
        if k not in seen:
            seen.add(k)
            out.append(v)
    return out
