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

from stretto.solver.species.bounds.chain import PERFECT, BarChords, Chain, Link, factor
from stretto.solver.species.bounds.pairs import two_voices
from stretto.solver.cpsat.model import GRID, OCT, P5, SIXTH, THIRD, UNI, ScoreModel
from stretto.solver.species.spec import SpeciesSpec

MAX_STATES = 60000  # per bar; beyond this (wide custom ranges) the bound is skipped
TAIL, HEAD = (3, 4), (1, 2)  # chord columns: 0 the cantus, 1-4 the quarters a0 a2 a4 a6


def _leads(tv, x0, x1, x2):
    """x1 is a passing or a neighbour note between x0 and x2."""
    return tv.passing(x0, x1, x2) | tv.neighbour(x0, x1, x2)


def _runs(tv, x, c):
    """The run class of each downbeat over the cantus note c: 1 a third, 2 a sixth, 0 else."""
    k = tv.ic[x, c]
    return np.where(k == THIRD, 1, np.where(k == SIXTH, 2, 0))[:, None]


def _final_bar(tv, bar: int):
    """The last bar: the final, unison or octave (on the final when the counterpoint is
    below). (chords, unary costs, runs, columns)."""
    c = tv.cantus[bar]
    x = tv.dom[tv.under(tv.dom, c)] if not tv.crossing else tv.dom
    x = x[np.isin(tv.ic[x, c], (UNI, OCT)) & ~tv.raised_lt[x]]
    if not tv.above:
        x = x[tv.on_final[x]]
    return (np.stack([np.full(len(x), c), x], axis=1),
            tv.weight("ficta-sparingly") * tv.flat[x].astype(float), _runs(tv, x, c),
            ((tv.cf.index, bar * GRID), (tv.cp.index, bar * GRID)))


def _bar_rows(tv, bar: int, last: int):
    """An inner bar's four quarters, each a melodic step from the one before, the downbeat
    consonant (and the first interval in bar 0); ficta in one bar. None: too many."""
    c = tv.cantus[bar]
    x = tv.dom[tv.under(tv.dom, c)] if not tv.crossing else tv.dom
    x = x[~tv.raised_3[x]]  # ficta: the raised third only in the final chord
    if bar != last - 1:
        x = x[~tv.raised_lt[x]]  # the raised leading tone only in the bar before the final
    first = x[~tv.dissonant[x, c]]  # the downbeat is consonant
    if 0 < bar:
        first = first[tv.ic[first, c] != UNI]
    else:  # first-interval
        first = first[np.isin(tv.ic[first, c], PERFECT if tv.above else (UNI, OCT))]
    rows = first[:, None]
    for _ in range(3):  # the next quarter: a melodic interval, no repetition
        a, b = (g.ravel() for g in np.meshgrid(np.arange(len(rows)), x, indexing="ij"))
        prev = rows[a, -1]
        keep = tv.mel[prev, b] & (prev != b)
        rows = np.concatenate([rows[a[keep]], b[keep][:, None]], axis=1)
        if len(rows) > MAX_STATES * 8:
            return None
    return rows


def _bar(tv, bar: int, last: int):
    """An inner bar's chords (the cantus note and four quarters), unary costs, runs and
    columns: dissonances passing, neighbour or cambiata; false relations; the leading tone;
    the preferences of the bar. None: too many."""
    c, dia, w, dissonant = tv.cantus[bar], tv.dia, tv.weight, tv.dissonant
    rows = _bar_rows(tv, bar, last)
    if rows is None:
        return None
    a0, a2, a4, a6 = notes = tuple(rows.T)
    ok = np.ones(len(rows), bool)
    for i in range(4):  # false relations inside the bar
        for j in range(i + 1, 4):
            ok &= ~tv.false_rel[notes[i], notes[j]]
    ok &= ~dissonant[a2, c] | _leads(tv, a0, a2, a4) | tv.cambiata(a0, a2, a4, a6)
    ok &= ~dissonant[a4, c] | tv.passing(a2, a4, a6)
    if bar == last - 1 and tv.raised_lt.any():  # the leading tone rises by step
        for i in range(3):
            ok &= ~tv.raised_lt[notes[i]] | (dia[notes[i + 1]] == dia[notes[i]] + 1)
        ok &= ~tv.natural7[a6]  # no plain seventh right before the final
    cost = tv.triple(a0, a2, a4) + tv.triple(a2, a4, a6)
    for i in range(4):
        cost = cost + w("ficta-sparingly") * tv.flat[notes[i]]
        if 0 < bar:
            cost = cost + w("imperfect-preferred") * tv.perfect[notes[i], c]
        if i:
            cost = cost + w("steps-over-leaps") * np.maximum(
                np.abs(dia[notes[i]] - dia[notes[i - 1]]) - 1, 0)
    ok &= np.isfinite(cost)
    if ok.sum() > MAX_STATES:
        return None
    columns = ((tv.cf.index, bar * GRID),) + tuple(
        (tv.cp.index, bar * GRID + q) for q in (0, 2, 4, 6))
    return (np.concatenate([np.full((ok.sum(), 1), c), rows[ok]], axis=1),
            cost[ok].astype(float), _runs(tv, a0[ok], c), columns)


def _move(tv, chords: list, bar: int, last: int):
    """(the move's prices, its link) from ``bar`` into the next, factored into the bar's
    last two quarters (:data:`TAIL`) and the next bar's head: the step into the downbeat,
    its consonance, parallel and direct perfects, overlap, the clausula vera."""
    ic, dia, mel, false_rel, w = tv.ic, tv.dia, tv.mel, tv.false_rel, tv.weight
    c0, c1 = tv.cantus[bar], tv.cantus[bar + 1]
    head_cols = HEAD if bar + 1 < last else (1,)
    tails, tail = factor(chords[bar], TAIL)
    heads, head = factor(chords[bar + 1], head_cols)
    a4, a6 = tails[:, 0][:, None], tails[:, 1][:, None]
    b0 = heads[:, 0][None, :]
    ok = mel[a6, b0] & (a6 != b0) & ~false_rel[a4, b0] & ~false_rel[a6, b0]
    ok &= ~tv.dissonant[a6, c0] | _leads(tv, a4, a6, b0)  # passing/neighbour into the downbeat
    if c0 != c1:  # parallel-perfect (both voices move: a new note never repeats)
        for group in ((P5,), (UNI, OCT)):
            ok &= ~(np.isin(ic[a6, c0], group) & np.isin(ic[b0, c1], group))
    moved = np.sign(dia[b0] - dia[a6])
    similar = (moved != 0) & (moved == np.sign(dia[c1] - dia[c0]))
    ok &= ~(similar & tv.perfect[b0, c1])  # direct-perfect
    if not tv.crossing:  # overlap
        ok &= tv.under(b0, c0) & tv.under(a6, c1)
    cost = w("steps-over-leaps") * np.maximum(np.abs(dia[b0] - dia[a6]) - 1, 0) + \
        w("contrary-motion") * similar + tv.triple(a4, a6, b0)
    if bar + 1 < last:
        b2 = heads[:, 1][None, :]
        ok &= ~false_rel[a4, b2] & ~false_rel[a6, b2]
        cost = cost + tv.triple(a6, b0, b2)
    else:  # clausula vera; the leading tone rises by step
        c_step = dia[tv.cantus[last]] - dia[tv.cantus[last - 1]]
        ok &= tv.on_final[b0] & (dia[b0] - dia[a6] == -c_step)
        ok &= ~tv.raised_lt[a6] | (dia[b0] == dia[a6] + 1)
    return np.where(ok & np.isfinite(cost), cost, np.inf), Link(tail, head, TAIL, head_cols)


def build_chain(sm: ScoreModel, spec: SpeciesSpec) -> Chain | None:
    """The relaxation of a two-voice third-species model ``sm``, or None when the states of a
    bar are too many."""
    bars, last = sm.bars, sm.bars - 1
    tv = two_voices(sm, spec)
    if tv is None:
        return None
    found = BarChords()
    for bar in range(bars):
        bar_chords = _final_bar(tv, bar) if bar == last else _bar(tv, bar, last)
        if bar_chords is None:
            return None
        if not found.add(*bar_chords) and bar != last:
            return found.dead_end()
    moves = [_move(tv, found.chords, bar, last) for bar in range(bars - 1)]
    return found.chain([m for m, _ in moves], tv.weight("parallel-imperfect-run"),
                       [k for _, k in moves])
