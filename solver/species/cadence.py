"""The close: clausula vera, the final chord, and musica ficta at the cadence.

* ``cadence``: the lowest voice ends on the final; every other voice ends a unison, octave
  (or, with three or more voices, fifth) above it. The cantus's last step (2-1, or 7-1) is
  answered by an added voice moving by step the other way into the final (7-1, or 2-1): the
  clausula vera, a sixth opening to an octave or a third closing to a unison.
* ``ficta``: the raised leading tone (C# in D dorian) exists only in the bar before the final
  and rises by step to the final; the plain seventh degree may not stand right before the final
  where the mode raises it.
"""

from __future__ import annotations

from stretto.errors import BadInput

from stretto.solver.species.melodic import note_pairs
from stretto.solver.cpsat.model import GRID, OCT, P5, THIRD, UNI, LineVars, ScoreModel


def rule_cadence(sm: ScoreModel, cantus: LineVars) -> None:
    """cadence: final chord on the final, approached by the clausula vera."""
    last = (sm.bars - 1) * GRID
    bass = sm.lines[-1]
    final_step = sm.mode.final_step
    if not bass.is_cantus:
        sm.require(sm.feature("is_final", bass.x[last], None, lambda a: a.step == final_step),
                   "cadence")
    allowed = (UNI, OCT) if len(sm.lines) == 2 else (UNI, OCT, P5, THIRD)
    mode = sm.mode
    for line in sm.lines[:-1]:
        sm.require(sm.is_ic(sm.ic(line.x[last], bass.x[last]), allowed), "cadence")
        if len(sm.lines) > 2 and not line.is_cantus:
            # Only a major third: the minor third of dorian, phrygian, aeolian is raised.
            minor = sm.feature("minor_third_of_final", line.x[last], None,
                               lambda a: mode.has_minor_third and mode.degree(a) == 3
                               and mode.is_diatonic(a))
            sm.require(sm.neg(minor), "cadence")
    # The clausula vera: answer the cantus's step into the final.
    c_pen, c_fin = sm.u.pitches[cantus.x[last - 1]], sm.u.pitches[cantus.x[last]]
    step = c_fin.diatonic - c_pen.diatonic
    if abs(step) != 1:
        raise BadInput(f"the cantus firmus must reach its final by step (it ends "
                       f"{c_pen.name} {c_fin.name}), so that a cadence can answer it")
    partners = []
    for line in sm.lines:
        if line.is_cantus:
            continue
        pen, fin = line.dia[last - 1], line.dia[last]
        # Contrary motion by step into the final's letter.
        on_final = sm.feature("is_final", line.x[last], None, lambda a: a.step == final_step)
        partners.append(sm.all_true(on_final, sm.compare(fin - pen, "==", -step)))
    sm.require(sm.any_true(partners), "cadence")


def rule_ficta(sm: ScoreModel) -> None:
    """ficta: the raised leading tone only in the penultimate bar, rising by step; the
    unraised seventh never right before the final where the mode raises it."""
    mode = sm.mode
    last_bar = sm.bars - 1
    for line in sm.lines:  # the raised third: only in the final chord
        if line.is_cantus:
            continue
        for p in line.onset_positions():
            if line.x[p] is not None and p // GRID != last_bar:
                third = sm.feature("raised_third", line.x[p], None, mode.is_raised_third)
                sm.require(sm.neg(third), "ficta")
    raised = {i for i, p in enumerate(sm.u.pitches) if mode.is_raised_leading_tone(p)}
    if not raised:
        return
    pen_bar = sm.bars - 2
    natural7 = {i for i, p in enumerate(sm.u.pitches)
                if mode.degree(p) == 7 and mode.is_diatonic(p)}
    last = (sm.bars - 1) * GRID
    for line in sm.lines:
        if line.is_cantus:
            continue
        pairs = {p1: [] for p1 in range(sm.size)}
        for p1, p2, lit in note_pairs(sm, line):
            pairs[p1].append((p2, lit))
        for p in line.onset_positions():
            x = line.x[p]
            if x is None or not raised & set(line.domain):
                continue
            is_raised = sm.feature("raised", x, None, mode.is_raised_leading_tone)
            if is_raised is False:
                continue
            if p // GRID != pen_bar:
                sm.require(sm.neg(is_raised), "ficta")
                continue
            for p2, lit in pairs[p]:
                sm.enforce(sm.m.Add(line.dia[p2] == line.dia[p] + 1), lit, is_raised)
        x = line.x[last - 1]
        if x is not None and natural7 & set(line.domain):
            sm.require(sm.neg(sm.feature("natural7", x, None,
                                         lambda a: mode.degree(a) == 7 and mode.is_diatonic(a))),
                       "ficta")


def rule_no_false_relation(sm: ScoreModel, line: LineVars) -> None:
    """false-relation: within a bar's distance a line never has both a note and its chromatic
    alteration (B and B-flat, C and C-sharp)."""
    mode = sm.mode
    altered = {i for i, p in enumerate(sm.u.pitches) if not mode.is_diatonic(p)}
    if not altered & set(line.domain):
        return
    steps = {sm.u.pitches[i].step for i in altered}
    flags = {}
    for p in line.onset_positions():
        x = line.x[p]
        if x is None:
            continue
        for step in steps:
            alt = sm.feature(f"alt{step}", x, None,
                             lambda a, s=step: a.step == s and not mode.is_diatonic(a))
            nat = sm.feature(f"nat{step}", x, None,
                             lambda a, s=step: a.step == s and mode.is_diatonic(a))
            flags[(p, step)] = (alt, nat)
    positions = sorted({p for p, _ in flags})
    for i, p in enumerate(positions):
        for q in positions[i + 1:]:
            if q - p > GRID:
                break
            for step in steps:
                a1, n1 = flags[(p, step)]
                a2, n2 = flags[(q, step)]
                for u, v in ((a1, n2), (n1, a2)):
                    sm.require(sm.neg(sm.all_true(u, v)), "false-relation")


def soft_ficta_sparingly(sm: ScoreModel, line: LineVars, weight: int) -> None:
    """ficta-sparingly: each note on the flattened ficta pitch costs ``weight``."""
    mode = sm.mode
    for p in line.onset_positions():
        if line.x[p] is None:
            continue
        flat = sm.feature("flat", line.x[p], None, mode.is_flat_ficta)
        sm.penalize("ficta-sparingly", weight, sm.all_true(flat, line.onset[p]))
