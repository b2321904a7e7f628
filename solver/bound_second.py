"""The chain relaxation of second species in two voices (see :mod:`stretto.solver.bound`).

A bar's state is the counterpoint's (downbeat, upbeat) pitch pair over the fixed cantus note;
in the bar before the last, upbeat = downbeat means the whole note the model may choose there
(``_species2`` in :mod:`stretto.solver.lines`: the whole note holds its pitch, and a new upbeat
may not repeat it, so the two cases never mix). The last bar's state is the final note.

Every hard rule and preference that looks at one bar or at two successive bars is restated
here, exactly as the model (:mod:`~stretto.solver.vertical`, :mod:`~stretto.solver.dissonance`,
:mod:`~stretto.solver.melodic`, :mod:`~stretto.solver.cadence`, :mod:`~stretto.solver.style`)
states it at each grid position:

* in a bar: the downbeat consonant (the fourth too, in two voices), not a unison inside the
  piece, the first interval, crossing, the melodic interval and the repetition downbeat ->
  upbeat, false relations, ficta per note; ``imperfect-preferred`` on the downbeat *and* the
  upbeat of every inner bar (both are event positions, the held penultimate upbeat too),
  ``ficta-sparingly`` on every note that begins, ``steps-over-leaps`` downbeat -> upbeat;
* across a barline: the upbeat's dissonance only as a passing tone into the next downbeat (a
  held penultimate note begins nothing, so nothing to treat), melodic interval, repetition,
  false relations a bar apart, parallels upbeat -> downbeat, ``downbeat-parallels``,
  ``direct-perfect``, ``overlap``, the clausula vera and the leading tone's rise;
  ``steps-over-leaps`` and ``contrary-motion`` into the downbeat;
* three successive notes (``leap-span``, ``leap-recovery``, ``outlined-tritone``) lie within
  two bars - except the upbeat, the held penultimate note and the final. That triple is priced
  on the move into the penultimate bar at its cheapest over the finals the cadence allows
  after it (the cadence leaves exactly one), so it is never charged more than the model does.

Left out, which only weakens the bound: ``range``, ``single-climax``, ``climax-apart``. The
``parallel-imperfect-run`` of downbeats is counted by the shared dynamic program (the state
carries the run). ``tests/solver/test_bound.py`` prices model-accepted scores both ways.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stretto.pitch import Interval
from stretto.solver.bound import MAX_CHORDS, PERFECT, Chain, _tables
from stretto.solver.model import (DISS, GRID, OCT, P4, P5, SIXTH, THIRD, TRITONE, UNI, Line,
                                  ScoreModel)
from stretto.solver.spec import SpeciesSpec

DISSONANT = (DISS, P4, TRITONE)  # in two voices no third voice makes a fourth consonant


@dataclass(frozen=True)
class TwoVoices:
    """What a two-voice chain reads off the model: the counterpoint ``cp`` and the cantus
    ``cf``, whether the counterpoint is above, its pitch domain, the cantus pitch per bar."""

    cp: Line
    cf: Line
    above: bool
    dom: np.ndarray
    cantus: list[int]

    def under(self, x, c):
        """x is on the counterpoint's side of (or equal to) the cantus pitch c (crossing)."""
        return x >= c if self.above else x <= c


def two_voices(sm: ScoreModel) -> TwoVoices | None:
    """The two lines of a two-voice model, or None when a bar's states (pairs of the
    counterpoint's pitches) would be more than :data:`MAX_CHORDS`."""
    cp = next(line for line in sm.lines if not line.is_cantus)
    cf = next(line for line in sm.lines if line.is_cantus)
    dom = np.array(cp.domain)
    if len(dom) ** 2 > MAX_CHORDS:
        return None
    return TwoVoices(cp, cf, cp.index < cf.index, dom,
                     [cf.x[b * GRID] for b in range(sm.bars)])


def pitch_flags(sm: ScoreModel):
    """Per universe pitch: raised leading tone, raised third, flattened ficta, plain seventh
    degree; per pitch pair: a tritone (simple A4 or d5, ``outlined-tritone``)."""
    mode, P = sm.mode, sm.u.pitches
    return (np.array([mode.is_raised_leading_tone(p) for p in P]),
            np.array([mode.is_raised_third(p) for p in P]),
            np.array([mode.is_flat_ficta(p) for p in P]),
            np.array([mode.degree(p) == 7 and mode.is_diatonic(p) for p in P]),
            np.array([[Interval.between(a, b).simple.name in ("A4", "d5") for b in P]
                      for a in P]))


def note_triple(dia, tritone, w, x0, x1, x2) -> np.ndarray:
    """Three successive notes of a line (universe indices, broadcast): ``inf`` where they
    break ``leap-span`` (two leaps one way beyond an octave), else what ``leap-recovery`` and
    ``outlined-tritone`` charge for them (:mod:`stretto.solver.melodic`)."""
    d1, d2 = dia[x1] - dia[x0], dia[x2] - dia[x1]
    span = ((d1 >= 2) & (d2 >= 2) & (d1 + d2 > 7)) | ((d1 <= -2) & (d2 <= -2) & (d1 + d2 < -7))
    unrecovered = ((d1 >= 3) & ~((d2 >= -2) & (d2 <= -1))) | \
        ((d1 <= -3) & ~((d2 >= 1) & (d2 <= 2)))
    same = ((d1 > 0) & (d2 > 0)) | ((d1 < 0) & (d2 < 0))
    cost = w("leap-recovery") * unrecovered + w("outlined-tritone") * (tritone[x0, x2] & same)
    return np.where(span, np.inf, cost)


def build_chain(sm: ScoreModel, spec: SpeciesSpec) -> Chain | None:
    """The relaxation of a two-voice second-species model ``sm``, or None when the states of
    a bar are too many."""
    ic, mel, false_rel, dia, step, _ = _tables(sm)
    mode, bars, last = sm.mode, sm.bars, sm.bars - 1
    tv = two_voices(sm)
    if tv is None:
        return None
    cp, cf, above, dom, cantus, under = tv.cp, tv.cf, tv.above, tv.dom, tv.cantus, tv.under
    crossing = spec.allow_crossing
    w = spec.weight
    raised_lt, raised_3, flat, natural7, tritone = pitch_flags(sm)
    on_final = step == mode.final_step
    perfect = np.isin(ic, PERFECT)

    chords, unary, runs, columns = [], [], [], []
    for bar in range(bars):
        c = cantus[bar]
        if bar == last:
            d = u = dom
        else:
            d, u = (g.ravel() for g in np.meshgrid(dom, dom, indexing="ij"))
        ok = np.ones(len(d), bool)
        cost = np.zeros(len(d))
        k = ic[d, c]
        ok &= ~np.isin(k, DISSONANT)  # consonance on the downbeat
        if not crossing:
            ok &= under(d, c) & under(u, c)
        if 0 < bar < last:
            ok &= k != UNI  # unison
            cost += w("imperfect-preferred") * (perfect[d, c].astype(int) + perfect[u, c])
        if bar == 0:  # first-interval
            ok &= np.isin(k, PERFECT if above else (UNI, OCT))
        if bar == last:  # cadence: the final on the final, unison or octave
            ok &= np.isin(k, (UNI, OCT))
            if not above:
                ok &= on_final[d]
            ok &= ~raised_lt[d]
            cost += w("ficta-sparingly") * flat[d]
        else:
            whole = d == u  # only the penultimate bar may hold a whole note
            if bar != last - 1:
                ok &= ~whole  # repetition
            ok &= mel[d, u] & ~false_rel[d, u]
            ok &= ~raised_3[d] & ~raised_3[u]  # ficta: the raised third only at the end
            if bar != last - 1:
                ok &= ~raised_lt[d] & ~raised_lt[u]
            elif raised_lt.any():  # the leading tone rises by step; no plain seventh before
                ok &= ~natural7[u]  # the final
                ok &= ~(raised_lt[d] & ~whole) | (dia[u] == dia[d] + 1)
            cost += w("ficta-sparingly") * (flat[d].astype(int) + (flat[u] & ~whole))
            cost += w("steps-over-leaps") * np.maximum(np.abs(dia[u] - dia[d]) - 1, 0)
        d, u, k = d[ok], u[ok], k[ok]
        if bar == last:
            chords.append(np.stack([np.full(len(d), c), d], axis=1))
            columns.append(((cf.index, bar * GRID), (cp.index, bar * GRID)))
        else:
            chords.append(np.stack([np.full(len(d), c), d, u], axis=1))
            columns.append(((cf.index, bar * GRID), (cp.index, bar * GRID),
                            (cp.index, bar * GRID + 4)))
        unary.append(cost[ok])
        runs.append(np.where(k == THIRD, 1, np.where(k == SIXTH, 2, 0))[:, None])
        if not ok.any():
            return Chain(tuple(chords), tuple(unary), (), tuple(runs), 0, tuple(columns))

    def triple(x0, x1, x2):
        return note_triple(dia, tritone, w, x0, x1, x2)

    c_step = dia[cantus[last]] - dia[cantus[last - 1]]
    moves = []
    for bar in range(bars - 1):
        A, B = chords[bar], chords[bar + 1]
        c0, c1 = cantus[bar], cantus[bar + 1]
        d, u = A[:, 1][:, None], A[:, 2][:, None]
        d2 = B[:, 1][None, :]
        u2 = B[:, 2][None, :] if bar + 1 < last else d2
        whole = d == u  # the penultimate whole note (never elsewhere)
        ok = mel[u, d2] & (u != d2) & ~false_rel[u, d2] & ~false_rel[d, d2]
        if bar + 1 < last:
            ok &= ~false_rel[u, u2]
        # consonance: a dissonant upbeat is a passing tone into the next downbeat
        passing = ((dia[u] - dia[d] == 1) & (dia[d2] - dia[u] == 1)) | \
            ((dia[u] - dia[d] == -1) & (dia[d2] - dia[u] == -1))
        ok &= ~np.isin(ic[u, c0], DISSONANT) | whole | passing
        # parallel-perfect, upbeat -> downbeat (both voices move)
        both = (u != d2) & (c0 != c1)
        before, now = ic[u, c0], ic[d2, c1]
        for group in ((P5,), (UNI, OCT)):
            ok &= ~(both & np.isin(before, group) & np.isin(now, group))
        # downbeat-parallels: unless the upbeat leaps a fourth or more
        small = np.abs(dia[u] - dia[d]) <= 2
        first = ic[d, c0]
        for group in ((P5,), (UNI, OCT)):
            ok &= ~(small & (d != d2) & np.isin(first, group) & np.isin(now, group))
        # direct-perfect, and contrary-motion's price
        moved = np.sign(dia[d2] - dia[u])
        similar = (moved != 0) & (moved == np.sign(dia[c1] - dia[c0]))
        ok &= ~(similar & perfect[d2, c1])
        if not crossing:  # overlap
            ok &= under(d2, c0) & under(u, c1)
        if bar == last - 1:  # clausula vera; the leading tone rises by step
            ok &= on_final[d2] & (dia[d2] - dia[u] == -c_step)
            ok &= ~raised_lt[u] | (dia[d2] == dia[u] + 1)
        cost = w("steps-over-leaps") * np.maximum(np.abs(dia[d2] - dia[u]) - 1, 0) + \
            w("contrary-motion") * similar
        # three successive notes: downbeat, upbeat, next downbeat (a new upbeat only) ...
        cost = cost + np.where(whole, 0.0, triple(d, u, d2))
        # ... and upbeat, next downbeat, next upbeat (a new upbeat only)
        if bar + 1 < last:
            cost = cost + np.where(d2 == u2, 0.0, triple(u, d2, u2))
        moves.append(np.where(ok, cost, np.inf))
    # The upbeat before the penultimate whole note, that note and the final: the cheapest
    # final the last move allows (the cadence allows one).
    if last >= 2:
        held = np.nonzero(chords[last - 1][:, 1] == chords[last - 1][:, 2])[0]
        u = chords[last - 2][:, 2]
        for j in held:
            finals = chords[last][np.isfinite(moves[last - 1][j]), 1]
            if len(finals) == 0:
                continue  # no way on: the dynamic program finds no path through j
            d = chords[last - 1][j, 1]
            price = triple(u[:, None], np.full((1, 1), d), finals[None, :]).min(axis=1)
            moves[last - 2][:, j] += price
    return Chain(tuple(chords), tuple(unary), tuple(moves), tuple(runs),
                 w("parallel-imperfect-run"), tuple(columns))
