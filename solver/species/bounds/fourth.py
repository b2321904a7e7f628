"""The chain relaxation of fourth species in two voices (see :mod:`stretto.solver.species.bounds`).

Fourth species on the grid (``_species4`` in :mod:`stretto.solver.species.lines`): a half rest, then
a half note on every upbeat tied over the barline; the downbeat is its own pitch variable,
equal to the upbeat before it unless the tie is broken, and a broken tie begins a new note,
which may not repeat the pitch (``repetition``). So the tie is read off two successive bars:
*broken* exactly when the downbeat differs from the upbeat before it. A bar's state is the
counterpoint's (downbeat, upbeat); the first bar's is its upbeat, the last bar's its final.

Restated exactly from the model (two voices: a fourth is a dissonance):

* in a bar: the upbeat consonant (no weak-beat dissonance in this species); the downbeat
  consonant, or a suspension of a kind Fux allows (:func:`~stretto.solver.species.dissonance.
  suspension_ok`: 7-6, 4-3, 9-8 above, 2-3 below) resolving down by step; not a unison
  inside the piece; the first interval on the first upbeat; crossing, melodic interval,
  repetition and false relation downbeat -> upbeat; ficta per note (a raised leading tone on
  the penultimate downbeat can only be a broken tie, since the upbeat before it may not be
  raised, so it must rise to the upbeat); ``imperfect-preferred`` on downbeat and upbeat of
  every inner bar, ``steps-over-leaps`` downbeat -> upbeat, ``ficta-sparingly`` on the upbeat;
* across a barline: a dissonant downbeat only when tied (a suspension is prepared); melodic
  interval, false relations, parallels and direct motion into the downbeat (only a broken tie
  moves), overlap, the clausula vera and the leading tone's rise; ``broken-syncopation``,
  ``steps-over-leaps``, ``contrary-motion`` and ``ficta-sparingly`` of a broken tie;
* three successive notes: the note before an upbeat always has the downbeat's pitch (the
  tied upbeat or the broken tie's new note), so every triple lies within two bars and
  ``leap-span``, ``leap-recovery`` and ``outlined-tritone`` are exact.

Left out, which only weakens the bound: ``range``, ``single-climax``, ``climax-apart``.
``tests/solver/species/test_bound.py`` prices model-accepted scores both ways.
"""

from __future__ import annotations

import numpy as np

from stretto.solver.species.bounds.chain import PERFECT, BarChords, Chain
from stretto.solver.species.bounds.pairs import two_voices
from stretto.solver.cpsat.model import GRID, OCT, P5, SIXTH, THIRD, UNI, ScoreModel
from stretto.solver.species.spec import SpeciesSpec


def _bar_rules(tv, bar: int, last: int, d, u):
    """(ok, cost) of each (downbeat d, upbeat u) of ``bar``: the first upbeat's interval,
    the final, or an inner bar's consonant upbeat over a consonant or suspended downbeat."""
    c, ic, dia, w = tv.cantus[bar], tv.ic, tv.dia, tv.weight
    dissonant, raised_lt, raised_3, flat = tv.dissonant, tv.raised_lt, tv.raised_3, tv.flat
    ok = np.ones(len(d), bool)
    cost = np.zeros(len(d))
    if not tv.crossing:
        ok &= tv.under(d, c) & tv.under(u, c)
    if bar == 0:
        ok &= ~dissonant[u, c] & np.isin(ic[u, c], PERFECT if tv.above else (UNI, OCT))
        ok &= ~raised_3[u] & ~raised_lt[u]
        cost += w("ficta-sparingly") * flat[u]
    elif bar == last:  # cadence: the final on the final, unison or octave
        ok &= np.isin(ic[d, c], (UNI, OCT)) & ~raised_lt[d]
        if not tv.above:
            ok &= tv.on_final[d]
        cost += w("ficta-sparingly") * flat[d]
    else:
        ok &= ~dissonant[u, c]  # the upbeat is consonant
        ok &= ~dissonant[d, c] | (tv.susp[d, c] & (dia[u] - dia[d] == -1))  # or a suspension
        ok &= ic[d, c] != UNI  # unison
        ok &= (d != u) & tv.mel[d, u] & ~tv.false_rel[d, u]  # repetition, melodic, false rel.
        ok &= ~raised_3[d] & ~raised_3[u]
        if bar != last - 1:
            ok &= ~raised_lt[d] & ~raised_lt[u]
        elif raised_lt.any():  # the leading tone rises by step; no plain seventh before
            ok &= ~tv.natural7[u] & (~raised_lt[d] | (dia[u] == dia[d] + 1))  # the final
        cost += w("imperfect-preferred") * (tv.perfect[d, c].astype(int) + tv.perfect[u, c])
        cost += w("ficta-sparingly") * flat[u]
        cost += w("steps-over-leaps") * np.maximum(np.abs(dia[u] - dia[d]) - 1, 0)
    return ok, cost


def _bar(tv, bar: int, last: int):
    """Bar ``bar``'s chords (the cantus note and the first upbeat, the final, or downbeat
    and upbeat), unary costs, run classes (downbeats from bar 1: bar 0 rests) and columns."""
    c, dom, cf, cp = tv.cantus[bar], tv.dom, tv.cf.index, tv.cp.index
    if bar in (0, last):
        d = u = dom  # the first upbeat, or the final
    else:
        d, u = (g.ravel() for g in np.meshgrid(dom, dom, indexing="ij"))
    ok, cost = _bar_rules(tv, bar, last, d, u)
    d, u = d[ok], u[ok]
    if bar == 0:
        chord, columns = np.stack([np.full(len(u), c), u], axis=1), ((cf, 0), (cp, 4))
    elif bar == last:
        chord = np.stack([np.full(len(d), c), d], axis=1)
        columns = ((cf, bar * GRID), (cp, bar * GRID))
    else:
        chord = np.stack([np.full(len(d), c), d, u], axis=1)
        columns = ((cf, bar * GRID), (cp, bar * GRID), (cp, bar * GRID + 4))
    k = tv.ic[d, c]
    cls = np.where(k == THIRD, 1, np.where(k == SIXTH, 2, 0)) if bar else np.zeros(len(d))
    return chord, cost[ok], cls.astype(int)[:, None], columns


def _move(tv, A: np.ndarray, B: np.ndarray, bar: int, last: int) -> np.ndarray:
    """The price of each chord pair (A of ``bar``, B of the next), inf where a rule forbids
    it: the tie or the broken syncopation into the downbeat, parallel and direct perfects,
    overlap, the clausula vera, and the three-note preferences around the barline."""
    ic, dia, w, triple = tv.ic, tv.dia, tv.weight, tv.triple
    c0, c1 = tv.cantus[bar], tv.cantus[bar + 1]
    u = A[:, -1][:, None]
    d = A[:, 1][:, None] if bar > 0 else None
    d2 = B[:, 1][None, :]
    u2 = B[:, 2][None, :] if bar + 1 < last else None
    final = bar + 1 == last
    broken = d2 != u  # a new note on the downbeat (the final always is one)
    ok = tv.mel[u, d2] & ~tv.false_rel[u, d2]
    if d is not None:
        ok &= ~tv.false_rel[d, d2]
    if u2 is not None:
        ok &= ~tv.false_rel[u, u2]
    if final:
        ok &= broken  # repetition
    else:
        ok &= ~tv.dissonant[d2, c1] | ~broken  # a suspension is prepared: tied
    both = broken & (c0 != c1)  # parallel-perfect into the downbeat
    before, now = ic[u, c0], ic[d2, c1]
    for group in ((P5,), (UNI, OCT)):
        ok &= ~(both & np.isin(before, group) & np.isin(now, group))
    moved = np.sign(dia[d2] - dia[u])  # direct-perfect; contrary-motion's price
    similar = (moved != 0) & (moved == np.sign(dia[c1] - dia[c0]))
    ok &= ~(similar & tv.perfect[d2, c1])
    if not tv.crossing:  # overlap (a tied downbeat keeps the upbeat's side anyway)
        ok &= tv.under(d2, c0) & tv.under(u, c1)
    if final:  # clausula vera; the leading tone rises by step
        c_step = dia[tv.cantus[last]] - dia[tv.cantus[last - 1]]
        ok &= tv.on_final[d2] & (dia[d2] - dia[u] == -c_step)
        ok &= ~tv.raised_lt[u] | (dia[d2] == dia[u] + 1)
    cost = w("steps-over-leaps") * np.maximum(np.abs(dia[d2] - dia[u]) - 1, 0) + \
        w("contrary-motion") * similar
    if not final:
        cost = cost + w("broken-syncopation") * broken + \
            w("ficta-sparingly") * (broken & tv.flat[d2])
    if d is not None:  # downbeat pitch, upbeat, the next note
        after = d2 if final else np.where(broken, d2, u2)
        cost = cost + triple(d, u, after)
    if not final:  # upbeat, broken tie, its upbeat
        cost = cost + np.where(broken, triple(u, d2, u2), 0.0)
    return np.where(ok, cost, np.inf)


def build_chain(sm: ScoreModel, spec: SpeciesSpec) -> Chain | None:
    """The relaxation of a two-voice fourth-species model ``sm``, or None when the states of
    a bar are too many."""
    bars, last = sm.bars, sm.bars - 1
    tv = two_voices(sm, spec)
    if tv is None:
        return None
    found = BarChords()
    for bar in range(bars):
        if not found.add(*_bar(tv, bar, last)):
            return found.dead_end()
    chords = found.chords
    moves = [_move(tv, chords[bar], chords[bar + 1], bar, last) for bar in range(bars - 1)]
    return found.chain(moves, tv.weight("parallel-imperfect-run"))
