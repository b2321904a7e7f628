"""First species in any number of voices as a chain: one chord per bar (every voice's
downbeat), the rules and preferences of one bar or two successive bars restated in numpy (see
:mod:`stretto.solver.species.bounds`)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Callable

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


@dataclass(frozen=True)
class _Tables:
    """What every bar and barline of the chain reads: the pair tables (:func:`pair_tables`),
    the voices, the ficta masks of the mode over the universe, and the preference weights."""

    sm: ScoreModel
    ic: np.ndarray
    mel: np.ndarray
    false_rel: np.ndarray
    dia: np.ndarray
    on_final: np.ndarray
    raised_lt: np.ndarray
    raised_3: np.ndarray
    flat: np.ndarray
    natural7: np.ndarray
    minor3: np.ndarray
    added: list
    pref: list
    crossing: bool
    weight: Callable[[str], int]

    @property
    def voices(self) -> int:
        return len(self.sm.lines)


def _tables(sm: ScoreModel, spec: SpeciesSpec) -> _Tables:
    ic, mel, false_rel, dia, step, _ = pair_tables(sm)
    mode, P = sm.mode, sm.u.pitches
    return _Tables(
        sm=sm, ic=ic, mel=mel, false_rel=false_rel, dia=dia, on_final=step == mode.final_step,
        raised_lt=np.array([mode.is_raised_leading_tone(p) for p in P]),
        raised_3=np.array([mode.is_raised_third(p) for p in P]),
        flat=np.array([mode.is_flat_ficta(p) for p in P]),
        natural7=np.array([mode.degree(p) == 7 and mode.is_diatonic(p) for p in P]),
        minor3=np.array([mode.has_minor_third and mode.degree(p) == 3 and mode.is_diatonic(p)
                         for p in P]),
        added=[v for v, line in enumerate(sm.lines) if not line.is_cantus],
        pref=[(a.index, b.index) for a, b in preference_pairs(sm)],
        crossing=spec.allow_crossing, weight=spec.weight)


def _sonority(t: _Tables, c: np.ndarray, inner: bool) -> np.ndarray:
    """Chords that keep the voices in order (unless crossing is allowed) and are consonant
    (a fourth only over a lower voice), no unison inside the piece."""
    V, ic = t.voices, t.ic
    ok = np.ones(len(c), bool)
    if not t.crossing:  # crossing: x_a >= x_b for neighbours
        for a in range(V - 1):
            ok &= c[:, a] >= c[:, a + 1]
    for a, b in combinations(range(V), 2):  # consonance (fourths over a lower voice)
        k = ic[c[:, a], c[:, b]]
        ok &= k != DISS
        fourth = (k == P4) | (k == TRITONE)
        below = np.zeros(len(c), bool)
        for d in range(V):
            if d in (a, b) or (not t.crossing and d < max(a, b)):
                continue
            below |= (c[:, d] < c[:, b]) if not t.crossing else \
                ((c[:, d] < c[:, a]) & (c[:, d] < c[:, b]))
        ok &= ~fourth | below
        if inner:
            ok &= k != UNI  # unison
    return ok


def _ficta_and_ends(t: _Tables, c: np.ndarray, bar: int) -> tuple[np.ndarray, np.ndarray]:
    """(ok, cost) of ficta in one bar, the first interval and the final chord."""
    bars, lines, V, ic = t.sm.bars, t.sm.lines, t.voices, t.ic
    ok = np.ones(len(c), bool)
    cost = np.zeros(len(c))
    for v in t.added:  # ficta in one bar
        if bar != bars - 1:
            ok &= ~t.raised_3[c[:, v]]
        if bar != bars - 2:
            ok &= ~t.raised_lt[c[:, v]]
        elif t.raised_lt.any():
            ok &= ~t.natural7[c[:, v]]
        cost += t.weight("ficta-sparingly") * t.flat[c[:, v]]
    if bar == 0:
        ok &= _first_interval(t.sm, c, ic, t.on_final)
    if bar == bars - 1:  # cadence: the final chord
        allowed = (UNI, OCT) if V == 2 else (UNI, OCT, P5, THIRD)
        if not lines[-1].is_cantus:
            ok &= t.on_final[c[:, -1]]
        for v in range(V - 1):
            ok &= np.isin(ic[c[:, v], c[:, -1]], allowed)
            if V > 2 and not lines[v].is_cantus:
                ok &= ~t.minor3[c[:, v]]
    return ok, cost


def _bar_preferences(t: _Tables, c: np.ndarray) -> np.ndarray:
    """``imperfect-preferred`` and ``complete-harmony`` of an inner bar's chords."""
    ic, V = t.ic, t.voices
    cost = np.zeros(len(c))
    for a, b in t.pref:  # imperfect-preferred
        cost += t.weight("imperfect-preferred") * np.isin(ic[c[:, a], c[:, b]], PERFECT)
    if V >= 3:  # complete-harmony
        full = np.zeros(len(c), bool)
        for v in range(V - 1):
            full |= np.isin(ic[c[:, v], c[:, -1]], (THIRD, SIXTH))
        cost += t.weight("complete-harmony") * ~full
    return cost


def _runs(t: _Tables, c: np.ndarray) -> np.ndarray:
    """Each pair's downbeat run class: 1 a third, 2 a sixth, 0 neither."""
    kinds = [t.ic[c[:, a], c[:, b]] for a, b in combinations(range(t.voices), 2)]
    return np.stack([np.where(k == THIRD, 1, np.where(k == SIXTH, 2, 0)) for k in kinds],
                    axis=1)


def _melodic(t: _Tables, A: np.ndarray, B: np.ndarray, bar: int):
    """(ok, cost, up, down, moved) of each added voice's step from chord A to chord B:
    melodic intervals, false relations, the leading tone rising, steps and repetitions."""
    V, dia = t.voices, t.dia
    ok = np.ones((len(A), len(B)), bool)
    cost = np.zeros((len(A), len(B)))
    up = [dia[B[:, v]][None, :] > dia[A[:, v]][:, None] for v in range(V)]
    down = [dia[B[:, v]][None, :] < dia[A[:, v]][:, None] for v in range(V)]
    moved = [B[:, v][None, :] != A[:, v][:, None] for v in range(V)]
    for v in t.added:
        ok &= t.mel[A[:, v][:, None], B[:, v][None, :]]
        ok &= ~t.false_rel[A[:, v][:, None], B[:, v][None, :]]
        leap = np.abs(dia[B[:, v]][None, :] - dia[A[:, v]][:, None])
        cost += t.weight("steps-over-leaps") * np.maximum(leap - 1, 0)
        cost += t.weight("repeated-notes") * ~moved[v]
        if bar == t.sm.bars - 2:  # ficta: the raised leading tone rises by step
            rises = dia[B[:, v]][None, :] == dia[A[:, v]][:, None] + 1
            ok &= ~t.raised_lt[A[:, v]][:, None] | rises
    return ok, cost, up, down, moved


def _motion(t: _Tables, A: np.ndarray, B: np.ndarray, up, down, moved) -> np.ndarray:
    """Chord pairs free of parallel perfects (any pair), direct perfects (outer voices) and
    overlap."""
    V, ic = t.voices, t.ic
    ok = np.ones((len(A), len(B)), bool)
    for a, b in combinations(range(V), 2):  # parallel-perfect
        before = ic[A[:, a], A[:, b]][:, None]
        now = ic[B[:, a], B[:, b]][None, :]
        both = moved[a] & moved[b]
        for group in ((P5,), (UNI, OCT)):
            ok &= ~(both & np.isin(before, group) & np.isin(now, group))
    similar = (up[0] & up[-1]) | (down[0] & down[-1])  # direct-perfect (outer voices)
    ok &= ~(similar & np.isin(ic[B[:, 0], B[:, -1]], PERFECT)[None, :])
    if not t.crossing:  # overlap
        for a in range(V - 1):
            ok &= B[:, a][None, :] >= A[:, a + 1][:, None]
            ok &= A[:, a][:, None] >= B[:, a + 1][None, :]
    return ok


def _clausula(t: _Tables, A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Into the final: some added voice answers the cantus's step to the final by the
    opposite step onto the final (the clausula vera)."""
    bars, dia = t.sm.bars, t.dia
    cantus = next(line for line in t.sm.lines if line.is_cantus)
    last = cantus.x[(bars - 1) * GRID]
    c_step = dia[last] - dia[cantus.x[(bars - 2) * GRID]]
    answered = np.zeros((len(A), len(B)), bool)
    for v in t.added:
        answered |= t.on_final[B[:, v]][None, :] & (
            dia[B[:, v]][None, :] - dia[A[:, v]][:, None] == -c_step)
    return answered


def _move(t: _Tables, A: np.ndarray, B: np.ndarray, bar: int) -> np.ndarray:
    """The price of each chord pair (A of ``bar``, B of the next): inf where a rule forbids
    it, else ``steps-over-leaps``, ``repeated-notes`` and ``contrary-motion``."""
    ok, cost, up, down, moved = _melodic(t, A, B, bar)
    ok &= _motion(t, A, B, up, down, moved)
    for a, b in t.pref:  # contrary-motion
        cost += t.weight("contrary-motion") * ((up[a] & up[b]) | (down[a] & down[b]))
    if bar == t.sm.bars - 2:  # cadence: the clausula vera
        ok &= _clausula(t, A, B)
    return np.where(ok, cost, np.inf)


def build_chain(sm: ScoreModel, spec: SpeciesSpec) -> Chain | None:
    """The first-species relaxation of ``sm`` (built from ``spec``, first species in every
    added voice), or None when the chords are too many to enumerate."""
    t = _tables(sm, spec)
    chords, unary, runs = [], [], []
    for bar in range(sm.bars):
        try:
            c = _bar_chords(sm, bar)
        except _TooBig:
            return None
        inner = 0 < bar < sm.bars - 1
        ok, cost = _ficta_and_ends(t, c, bar)
        ok &= _sonority(t, c, inner)
        if inner:
            cost = cost + _bar_preferences(t, c)
        chords.append(c[ok])
        unary.append(cost[ok])
        runs.append(_runs(t, c[ok]))
        if not ok.any():
            return Chain(tuple(chords), tuple(unary), (), tuple(runs))
        if ok.sum() > MAX_CHORDS:
            return None
    moves = [_move(t, chords[bar], chords[bar + 1], bar) for bar in range(sm.bars - 1)]
    return Chain(tuple(chords), tuple(unary), tuple(moves), tuple(runs),
                 spec.weight("parallel-imperfect-run"))


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
