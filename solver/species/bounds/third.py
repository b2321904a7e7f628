"""The chain relaxation of third species in two voices (see :mod:`stretto.solver.species.bounds`).

A bar's state is the counterpoint's four quarter notes ``(a0, a2, a4, a6)`` over the fixed cantus
note (grid positions 0, 2, 4, 6); the last bar's state is the final. A bar has thousands of
states, so a move between bars is *factored* (:class:`~stretto.solver.species.bounds.chain.Link`): every rule
that crosses the barline reads only the bar's last two notes ``(a4, a6)`` and the next bar's
first two ``(a0', a2')``, and the dynamic program costs tails x heads per bar, not states x
states.

Restated exactly as the model (:mod:`~stretto.solver.species.vertical`,
:mod:`~stretto.solver.species.dissonance`, :mod:`~stretto.solver.species.melodic`,
:mod:`~stretto.solver.species.cadence`, :mod:`~stretto.solver.species.style`) states it:

* in a bar: the downbeat consonant (in two voices the fourth and the tritone are dissonant),
  not a unison inside the piece, the first interval, crossing; a dissonant second quarter only
  as a passing or neighbour note or Fux's cambiata (step down into it, a third down, a step
  up: all four notes of the bar), the third quarter only as a passing note; melodic intervals,
  repetition and false relations between the bar's notes; ficta per note (the raised third
  never before the final bar, the raised leading tone only in the bar before it and rising by
  step; no plain seventh right before the final); ``imperfect-preferred`` on every quarter of
  an inner bar, ``ficta-sparingly`` on every note, ``steps-over-leaps`` between the quarters,
  ``leap-span`` / ``leap-recovery`` / ``outlined-tritone`` for the triples
  ``(a0, a2, a4)`` and ``(a2, a4, a6)``;
* across a barline (tail ``(a4, a6)``, head ``(a0', a2')``): the fourth quarter's dissonance
  only as a passing or neighbour note into the next downbeat; melodic interval and repetition
  ``a6 -> a0'``; false relations of ``a4``, ``a6`` with ``a0'``, ``a2'``; parallels and
  direct perfect consonances into the downbeat; overlap; the clausula vera and the leading
  tone's rise into the final; ``steps-over-leaps`` and ``contrary-motion`` into the downbeat;
  the triples ``(a4, a6, a0')`` and ``(a6, a0', a2')``.

Left out, which only weakens the bound: ``range``, ``single-climax``, ``climax-apart``, and the
false relations a whole bar apart (``a0 .. a0'``, ``a2 .. a2'``, ``a4 .. a4'``, ``a6 .. a4'``,
``a6 .. a6'``, ``a2 .. final``). The ``parallel-imperfect-run`` of downbeats is counted by the
shared dynamic program (a head holds the downbeat). ``tests/solver/species/test_bound_third.py`` prices
model-accepted scores both ways.
"""

from __future__ import annotations

import numpy as np

from stretto.solver.species.bounds.chain import PERFECT, Chain, Link, factor
from stretto.solver.species.bounds.pairs import two_voices
from stretto.solver.cpsat.model import GRID, OCT, P5, SIXTH, THIRD, UNI, ScoreModel
from stretto.solver.species.spec import SpeciesSpec

MAX_STATES = 60000  # per bar; beyond this (wide custom ranges) the bound is skipped
TAIL, HEAD = (3, 4), (1, 2)  # chord columns: 0 the cantus, 1-4 the quarters a0 a2 a4 a6


def build_chain(sm: ScoreModel, spec: SpeciesSpec) -> Chain | None:
    """The relaxation of a two-voice third-species model ``sm``, or None when the states of a
    bar are too many."""
    bars, last = sm.bars, sm.bars - 1
    tv = two_voices(sm, spec)
    if tv is None:
        return None
    cp, cf, above, dom, cantus, under = tv.cp, tv.cf, tv.above, tv.dom, tv.cantus, tv.under
    crossing, w, triple = tv.crossing, tv.weight, tv.triple
    ic, mel, false_rel, dia, on_final = tv.ic, tv.mel, tv.false_rel, tv.dia, tv.on_final
    raised_lt, raised_3, flat, natural7 = tv.raised_lt, tv.raised_3, tv.flat, tv.natural7
    perfect, dissonant = tv.perfect, tv.dissonant

    def leads(x0, x1, x2):
        """x1 is a passing or a neighbour note between x0 and x2."""
        return tv.passing(x0, x1, x2) | tv.neighbour(x0, x1, x2)

    chords, unary, runs, columns = [], [], [], []
    for bar in range(bars):
        c = cantus[bar]
        x = dom[under(dom, c)] if not crossing else dom
        if bar == last:
            x = x[np.isin(ic[x, c], (UNI, OCT)) & ~raised_lt[x]]
            if not above:
                x = x[on_final[x]]
            chords.append(np.stack([np.full(len(x), c), x], axis=1))
            unary.append(w("ficta-sparingly") * flat[x].astype(float))
            runs.append(np.where(ic[x, c] == THIRD, 1, np.where(ic[x, c] == SIXTH, 2, 0))[:, None])
            columns.append(((cf.index, bar * GRID), (cp.index, bar * GRID)))
            continue
        x = x[~raised_3[x]]  # ficta: the raised third only in the final chord
        if bar != last - 1:
            x = x[~raised_lt[x]]  # the raised leading tone only in the bar before the final
        first = x[~dissonant[x, c]]  # the downbeat is consonant
        if 0 < bar:
            first = first[ic[first, c] != UNI]
        else:  # first-interval
            first = first[np.isin(ic[first, c], PERFECT if above else (UNI, OCT))]
        rows = first[:, None]
        for _ in range(3):  # the next quarter: a melodic interval, no repetition
            a, b = (g.ravel() for g in np.meshgrid(np.arange(len(rows)), x, indexing="ij"))
            prev = rows[a, -1]
            keep = mel[prev, b] & (prev != b)
            rows = np.concatenate([rows[a[keep]], b[keep][:, None]], axis=1)
            if len(rows) > MAX_STATES * 8:
                return None
        a0, a2, a4, a6 = rows.T
        ok = np.ones(len(rows), bool)
        notes = (a0, a2, a4, a6)
        for i in range(4):  # false relations inside the bar
            for j in range(i + 1, 4):
                ok &= ~false_rel[notes[i], notes[j]]
        ok &= ~dissonant[a2, c] | leads(a0, a2, a4) | tv.cambiata(a0, a2, a4, a6)
        ok &= ~dissonant[a4, c] | tv.passing(a2, a4, a6)
        if bar == last - 1 and raised_lt.any():  # the leading tone rises by step
            for i in range(3):
                ok &= ~raised_lt[notes[i]] | (dia[notes[i + 1]] == dia[notes[i]] + 1)
            ok &= ~natural7[a6]  # no plain seventh right before the final
        cost = triple(a0, a2, a4) + triple(a2, a4, a6)
        for i in range(4):
            cost = cost + w("ficta-sparingly") * flat[notes[i]]
            if 0 < bar:
                cost = cost + w("imperfect-preferred") * perfect[notes[i], c]
            if i:
                cost = cost + w("steps-over-leaps") * np.maximum(
                    np.abs(dia[notes[i]] - dia[notes[i - 1]]) - 1, 0)
        ok &= np.isfinite(cost)
        if ok.sum() > MAX_STATES:
            return None
        chords.append(np.concatenate([np.full((ok.sum(), 1), c), rows[ok]], axis=1))
        unary.append(cost[ok].astype(float))
        k = ic[a0[ok], c]
        runs.append(np.where(k == THIRD, 1, np.where(k == SIXTH, 2, 0))[:, None])
        columns.append(((cf.index, bar * GRID),) + tuple(
            (cp.index, bar * GRID + q) for q in (0, 2, 4, 6)))
        if not ok.any():
            return Chain(tuple(chords), tuple(unary), (), tuple(runs), 0, tuple(columns))

    c_step = dia[cantus[last]] - dia[cantus[last - 1]]
    moves, links = [], []
    for bar in range(bars - 1):
        c0, c1 = cantus[bar], cantus[bar + 1]
        head_cols = HEAD if bar + 1 < last else (1,)
        tails, tail = factor(chords[bar], TAIL)
        heads, head = factor(chords[bar + 1], head_cols)
        a4, a6 = tails[:, 0][:, None], tails[:, 1][:, None]
        b0 = heads[:, 0][None, :]
        ok = mel[a6, b0] & (a6 != b0) & ~false_rel[a4, b0] & ~false_rel[a6, b0]
        ok &= ~dissonant[a6, c0] | leads(a4, a6, b0)  # passing or neighbour into the downbeat
        if c0 != c1:  # parallel-perfect (both voices move: a new note never repeats)
            for group in ((P5,), (UNI, OCT)):
                ok &= ~(np.isin(ic[a6, c0], group) & np.isin(ic[b0, c1], group))
        moved = np.sign(dia[b0] - dia[a6])
        similar = (moved != 0) & (moved == np.sign(dia[c1] - dia[c0]))
        ok &= ~(similar & perfect[b0, c1])  # direct-perfect
        if not crossing:  # overlap
            ok &= under(b0, c0) & under(a6, c1)
        cost = w("steps-over-leaps") * np.maximum(np.abs(dia[b0] - dia[a6]) - 1, 0) + \
            w("contrary-motion") * similar + triple(a4, a6, b0)
        if bar + 1 < last:
            b2 = heads[:, 1][None, :]
            ok &= ~false_rel[a4, b2] & ~false_rel[a6, b2]
            cost = cost + triple(a6, b0, b2)
        else:  # clausula vera; the leading tone rises by step
            ok &= on_final[b0] & (dia[b0] - dia[a6] == -c_step)
            ok &= ~raised_lt[a6] | (dia[b0] == dia[a6] + 1)
        moves.append(np.where(ok & np.isfinite(cost), cost, np.inf))
        links.append(Link(tail, head, TAIL, head_cols))
    return Chain(tuple(chords), tuple(unary), tuple(moves), tuple(runs),
                 w("parallel-imperfect-run"), tuple(columns), tuple(links))
