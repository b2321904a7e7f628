"""Soft rules between voices: preferences weighed in the one objective.

``imperfect-preferred``, ``contrary-motion``, ``parallel-imperfect-run``, ``complete-harmony``
and ``broken-syncopation``.
"""

from __future__ import annotations

from stretto.solver.cpsat.model import GRID, OCT, P5, SIXTH, THIRD, UNI, LineVars, ScoreModel
from stretto.solver.species.vertical import motion_direction, event_positions, voice_pairs


def preference_pairs(sm: ScoreModel) -> list[tuple[LineVars, LineVars]]:
    """The pairs whose intervals and motion the two-voice preferences judge: each added voice
    against the cantus (as Fux teaches them), and the outer voices. In three or more voices a
    full chord always holds a fifth or octave between *some* pair and all pairs cannot move
    contrary at once, so judging every pair would only add costs no score can avoid (and
    leave the optimiser a bound it cannot close); fullness is ``complete-harmony``'s job."""
    top, bottom = sm.lines[0], sm.lines[-1]
    return [(a, b) for a, b in voice_pairs(sm)
            if a.is_cantus or b.is_cantus or (a is top and b is bottom)]


def soft_imperfect_preferred(sm: ScoreModel, weight: int) -> None:
    """imperfect-preferred: each perfect consonance inside the piece between a pair of
    :func:`preference_pairs` costs ``weight``."""
    first_bar, last_bar = 0, sm.bars - 1
    for a, b in preference_pairs(sm):
        for p in event_positions(sm, a, b):
            if p // GRID in (first_bar, last_bar):
                continue
            sm.penalize("imperfect-preferred", weight,
                        sm.is_ic(sm.ic(a.x[p], b.x[p]), (UNI, OCT, P5)))


def soft_contrary_motion(sm: ScoreModel, weight: int) -> None:
    """contrary-motion: each similar or parallel move of a pair of :func:`preference_pairs`
    costs ``weight``."""
    for a, b in preference_pairs(sm):
        for p in event_positions(sm, a, b):
            if p == 0 or a.x[p - 1] is None or b.x[p - 1] is None:
                continue
            up_a, down_a = motion_direction(sm, a, p)
            up_b, down_b = motion_direction(sm, b, p)
            sm.penalize("contrary-motion", weight,
                        sm.any_true([sm.all_true(up_a, up_b), sm.all_true(down_a, down_b)]))


def soft_parallel_imperfect_run(sm: ScoreModel, weight: int) -> None:
    """parallel-imperfect-run: four downbeats in a row with the same imperfect interval (thirds
    or sixths) between two voices cost ``weight``."""
    for a, b in voice_pairs(sm):
        downbeats = [bar * GRID for bar in range(sm.bars)
                     if a.x[bar * GRID] is not None and b.x[bar * GRID] is not None]
        ics = [sm.ic(a.x[p], b.x[p]) for p in downbeats]
        for k in range(len(ics) - 3):
            for cls in (THIRD, SIXTH):
                sm.penalize("parallel-imperfect-run", weight,
                            sm.all_true(*[sm.is_ic(ic, (cls,)) for ic in ics[k:k + 4]]))


def soft_complete_harmony(sm: ScoreModel, weight: int) -> None:
    """complete-harmony (three or more voices): each downbeat without a third or sixth above the
    lowest voice costs ``weight``."""
    if len(sm.lines) < 3:
        return
    bass = sm.lines[-1]
    for bar in range(1, sm.bars - 1):
        p = bar * GRID
        if bass.x[p] is None:
            continue
        imperfect = [sm.is_ic(sm.ic(v.x[p], bass.x[p]), (THIRD, SIXTH))
                     for v in sm.lines[:-1] if v.x[p] is not None]
        sm.penalize("complete-harmony", weight, sm.neg(sm.any_true(imperfect)))


def soft_broken_syncopation(sm: ScoreModel, weight: int) -> None:
    """broken-syncopation: each broken tie in fourth species costs ``weight``."""
    for line in sm.lines:
        for lit in line.broken.values():
            sm.penalize("broken-syncopation", weight, lit)


def soft_florid_rhythm(sm: ScoreModel, weight: int) -> None:
    """florid-rhythm (fifth species): an eighth pair costs ``weight``, a bar of four plain
    quarters a third of it, and a bar repeating the previous bar's rhythm half of it."""
    for line in sm.lines:
        bars = sorted(line.patterns)
        for b in bars:
            for pat, lit in line.patterns[b].items():
                if {3, 7} & set(pat):
                    sm.penalize("florid-rhythm", weight, lit)
                elif pat == (0, 2, 4, 6):
                    sm.penalize("florid-rhythm", max(1, weight // 3), lit)
            prev = line.patterns.get(b - 1)
            if prev is not None:
                for pat, lit in line.patterns[b].items():
                    sm.penalize("florid-rhythm", max(1, weight // 2), sm.all_true(lit, prev[pat]))
