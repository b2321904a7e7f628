"""The chain relaxation of second species in two voices (see :mod:`stretto.solver.species.bounds`).

A bar's state is the counterpoint's (downbeat, upbeat) pitch pair over the fixed cantus note;
in the bar before the last, upbeat = downbeat means the whole note the model may choose there
(``_species2`` in :mod:`stretto.solver.species.lines`: the whole note holds its pitch, and a new upbeat
may not repeat it, so the two cases never mix). The last bar's state is the final note.

Every hard rule and preference that looks at one bar or at two successive bars is restated
here, exactly as the model (:mod:`~stretto.solver.species.vertical`, :mod:`~stretto.solver.species.dissonance`,
:mod:`~stretto.solver.species.melodic`, :mod:`~stretto.solver.species.cadence`, :mod:`~stretto.solver.species.style`)
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
carries the run). ``tests/solver/species/test_bound.py`` prices model-accepted scores both ways.
"""

from __future__ import annotations

import numpy as np

from stretto.solver.species.bounds.chain import PERFECT, Chain
from stretto.solver.species.bounds.pairs import DISSONANT, two_voices
from stretto.solver.cpsat.model import GRID, OCT, P5, SIXTH, THIRD, UNI, ScoreModel
from stretto.solver.species.spec import SpeciesSpec


def build_chain(sm: ScoreModel, spec: SpeciesSpec) -> Chain | None:
    """The relaxation of a two-voice second-species model ``sm``, or None when the states of
    a bar are too many."""
    bars, last = sm.bars, sm.bars - 1
    tv = two_voices(sm, spec)
    if tv is None:
        return None
    cp, cf, above, dom, cantus, under = tv.cp, tv.cf, tv.above, tv.dom, tv.cantus, tv.under
    crossing, w, triple = tv.crossing, tv.weight, tv.triple
    ic, mel, false_rel, dia, perfect = tv.ic, tv.mel, tv.false_rel, tv.dia, tv.perfect
    raised_lt, raised_3, flat, natural7 = tv.raised_lt, tv.raised_3, tv.flat, tv.natural7
    on_final = tv.on_final

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
        passing = tv.passing(d, u, d2)
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
