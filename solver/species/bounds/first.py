"""First species in any number of voices as a chain: one chord per bar (every voice's
downbeat), the rules and preferences of one bar or two successive bars restated in numpy (see
:mod:`stretto.solver.species.bounds`)."""

from __future__ import annotations

from itertools import combinations

import numpy as np

from stretto.solver.cpsat.model import (DISS, GRID, OCT, P4, P5, SIXTH, THIRD, TRITONE, UNI,
    ScoreModel)
from stretto.solver.species.spec import SpeciesSpec
from stretto.solver.species.style import preference_pairs

from stretto.solver.species.bounds.chain import MAX_CHORDS, PERFECT, Chain, pair_tables


def _bar_chords(sm: ScoreModel, bar: int) -> np.ndarray:
    doms = []
    for line in sm.lines:
        x = line.x[bar * GRID]
        doms.append([x] if isinstance(x, int) else sm.domain_of(x))
    size = int(np.prod([len(d) for d in doms]))
    if size > 50 * MAX_CHORDS:
        raise _TooBig
    grids = np.meshgrid(*[np.array(d) for d in doms], indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1)


class _TooBig(Exception):
    pass


def build_chain(sm: ScoreModel, spec: SpeciesSpec) -> Chain | None:
    """The first-species relaxation of ``sm`` (built from ``spec``, first species in every
    added voice), or None when the chords are too many to enumerate."""
    ic, mel, false_rel, dia, step, diatonic = pair_tables(sm)
    mode, lines, bars = sm.mode, sm.lines, sm.bars
    V = len(lines)
    added = [v for v, line in enumerate(lines) if not line.is_cantus]
    crossing = spec.allow_crossing
    w = spec.weight
    pref = [(a.index, b.index) for a, b in preference_pairs(sm)]
    P = sm.u.pitches
    raised_lt = np.array([mode.is_raised_leading_tone(p) for p in P])
    raised_3 = np.array([mode.is_raised_third(p) for p in P])
    flat = np.array([mode.is_flat_ficta(p) for p in P])
    natural7 = np.array([mode.degree(p) == 7 and mode.is_diatonic(p) for p in P])
    on_final = step == mode.final_step
    minor3 = np.array([mode.has_minor_third and mode.degree(p) == 3 and mode.is_diatonic(p)
                       for p in P])
    chords, unary, runs = [], [], []
    for bar in range(bars):
        try:
            c = _bar_chords(sm, bar)
        except _TooBig:
            return None
        ok = np.ones(len(c), bool)
        cost = np.zeros(len(c))
        inner = 0 < bar < bars - 1
        if not crossing:  # crossing: x_a >= x_b for neighbours
            for a in range(V - 1):
                ok &= c[:, a] >= c[:, a + 1]
        for a, b in combinations(range(V), 2):  # consonance (fourths over a lower voice)
            k = ic[c[:, a], c[:, b]]
            ok &= k != DISS
            fourth = (k == P4) | (k == TRITONE)
            below = np.zeros(len(c), bool)
            for d in range(V):
                if d in (a, b) or (not crossing and d < max(a, b)):
                    continue
                below |= (c[:, d] < c[:, b]) if not crossing else \
                    ((c[:, d] < c[:, a]) & (c[:, d] < c[:, b]))
            ok &= ~fourth | below
            if inner:
                ok &= k != UNI  # unison
        for v in added:  # ficta in one bar
            if bar != bars - 1:
                ok &= ~raised_3[c[:, v]]
            if bar != bars - 2:
                ok &= ~raised_lt[c[:, v]]
            elif raised_lt.any():
                ok &= ~natural7[c[:, v]]
            cost += w("ficta-sparingly") * flat[c[:, v]]
        if bar == 0:
            ok &= _first_interval(sm, c, ic, on_final)
        if bar == bars - 1:  # cadence: the final chord
            allowed = (UNI, OCT) if V == 2 else (UNI, OCT, P5, THIRD)
            if not lines[-1].is_cantus:
                ok &= on_final[c[:, -1]]
            for v in range(V - 1):
                ok &= np.isin(ic[c[:, v], c[:, -1]], allowed)
                if V > 2 and not lines[v].is_cantus:
                    ok &= ~minor3[c[:, v]]
        if inner:
            for a, b in pref:  # imperfect-preferred
                cost += w("imperfect-preferred") * np.isin(ic[c[:, a], c[:, b]], PERFECT)
            if V >= 3:  # complete-harmony
                full = np.zeros(len(c), bool)
                for v in range(V - 1):
                    full |= np.isin(ic[c[:, v], c[:, -1]], (THIRD, SIXTH))
                cost += w("complete-harmony") * ~full
        chords.append(c[ok])
        unary.append(cost[ok])
        kinds = [ic[c[ok][:, a], c[ok][:, b]] for a, b in combinations(range(V), 2)]
        runs.append(np.stack([np.where(k == THIRD, 1, np.where(k == SIXTH, 2, 0))
                              for k in kinds], axis=1))
        if not ok.any():
            return Chain(tuple(chords), tuple(unary), (), tuple(runs))
        if ok.sum() > MAX_CHORDS:
            return None
    moves = []
    cantus = next(line for line in lines if line.is_cantus)
    for bar in range(bars - 1):
        A, B = chords[bar], chords[bar + 1]
        ok = np.ones((len(A), len(B)), bool)
        cost = np.zeros((len(A), len(B)))
        up = [dia[B[:, v]][None, :] > dia[A[:, v]][:, None] for v in range(V)]
        down = [dia[B[:, v]][None, :] < dia[A[:, v]][:, None] for v in range(V)]
        moved = [B[:, v][None, :] != A[:, v][:, None] for v in range(V)]
        for v in added:
            ok &= mel[A[:, v][:, None], B[:, v][None, :]]
            ok &= ~false_rel[A[:, v][:, None], B[:, v][None, :]]
            leap = np.abs(dia[B[:, v]][None, :] - dia[A[:, v]][:, None])
            cost += w("steps-over-leaps") * np.maximum(leap - 1, 0)
            cost += w("repeated-notes") * ~moved[v]
            if bar == bars - 2:  # ficta: the raised leading tone rises by step
                rises = dia[B[:, v]][None, :] == dia[A[:, v]][:, None] + 1
                ok &= ~raised_lt[A[:, v]][:, None] | rises
        for a, b in combinations(range(V), 2):  # parallel-perfect
            before = ic[A[:, a], A[:, b]][:, None]
            now = ic[B[:, a], B[:, b]][None, :]
            both = moved[a] & moved[b]
            for group in ((P5,), (UNI, OCT)):
                ok &= ~(both & np.isin(before, group) & np.isin(now, group))
        similar = (up[0] & up[-1]) | (down[0] & down[-1])  # direct-perfect (outer voices)
        ok &= ~(similar & np.isin(ic[B[:, 0], B[:, -1]], PERFECT)[None, :])
        if not crossing:  # overlap
            for a in range(V - 1):
                ok &= B[:, a][None, :] >= A[:, a + 1][:, None]
                ok &= A[:, a][:, None] >= B[:, a + 1][None, :]
        for a, b in pref:  # contrary-motion
            cost += w("contrary-motion") * ((up[a] & up[b]) | (down[a] & down[b]))
        if bar == bars - 2:  # cadence: the clausula vera
            last = cantus.x[(bars - 1) * GRID]
            c_step = dia[last] - dia[cantus.x[(bars - 2) * GRID]]
            answered = np.zeros_like(ok)
            for v in added:
                answered |= on_final[B[:, v]][None, :] & (
                    dia[B[:, v]][None, :] - dia[A[:, v]][:, None] == -c_step)
            ok &= answered
        moves.append(np.where(ok, cost, np.inf))
    return Chain(tuple(chords), tuple(unary), tuple(moves), tuple(runs),
                 w("parallel-imperfect-run"))


def _first_interval(sm: ScoreModel, c: np.ndarray, ic: np.ndarray, on_final) -> np.ndarray:
    lines = sm.lines
    ok = np.ones(len(c), bool)
    if len(lines) == 2:
        cv = next(line.index for line in lines if line.is_cantus)
        for line in lines:
            if not line.is_cantus:
                allowed = (UNI, OCT) if line.index > cv else PERFECT
                ok &= np.isin(ic[c[:, line.index], c[:, cv]], allowed)
        return ok
    if not lines[-1].is_cantus:
        ok &= on_final[c[:, -1]]
    for line in lines[:-1]:
        if not line.is_cantus:
            ok &= np.isin(ic[c[:, line.index], c[:, -1]], (UNI, OCT, P5, THIRD))
    return ok


__all__ = ["build_chain"]
