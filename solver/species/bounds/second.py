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

from stretto.solver.species.bounds.chain import PERFECT, BarChords, Chain
from stretto.solver.species.bounds.pairs import DISSONANT, two_voices
from stretto.solver.cpsat.model import GRID, OCT, P5, SIXTH, THIRD, UNI, ScoreModel
from stretto.solver.species.spec import SpeciesSpec


def _bar(tv, bar: int, last: int):
    """Bar ``bar``'s chords (the cantus note, the downbeat and, but in the last bar, the
    upbeat), their unary costs, run classes and model columns; the rules and preferences of
    one bar."""
    c, dom, ic, dia, w = tv.cantus[bar], tv.dom, tv.ic, tv.dia, tv.weight
    raised_lt, flat = tv.raised_lt, tv.flat
    if bar == last:
        d = u = dom
    else:
        d, u = (g.ravel() for g in np.meshgrid(dom, dom, indexing="ij"))
    ok = np.ones(len(d), bool)
    cost = np.zeros(len(d))
    k = ic[d, c]
    ok &= ~np.isin(k, DISSONANT)  # consonance on the downbeat
    if not tv.crossing:
        ok &= tv.under(d, c) & tv.under(u, c)
    if 0 < bar < last:
        ok &= k != UNI  # unison
        cost += w("imperfect-preferred") * (tv.perfect[d, c].astype(int) + tv.perfect[u, c])
    if bar == 0:  # first-interval
        ok &= np.isin(k, PERFECT if tv.above else (UNI, OCT))
    if bar == last:  # cadence: the final on the final, unison or octave
        ok &= np.isin(k, (UNI, OCT))
        if not tv.above:
            ok &= tv.on_final[d]
        ok &= ~raised_lt[d]
        cost += w("ficta-sparingly") * flat[d]
    else:
        whole = d == u  # only the penultimate bar may hold a whole note
        if bar != last - 1:
            ok &= ~whole  # repetition
        ok &= tv.mel[d, u] & ~tv.false_rel[d, u]
        ok &= ~tv.raised_3[d] & ~tv.raised_3[u]  # ficta: the raised third only at the end
        if bar != last - 1:
            ok &= ~raised_lt[d] & ~raised_lt[u]
        elif raised_lt.any():  # the leading tone rises by step; no plain seventh before
            ok &= ~tv.natural7[u]  # the final
            ok &= ~(raised_lt[d] & ~whole) | (dia[u] == dia[d] + 1)
        cost += w("ficta-sparingly") * (flat[d].astype(int) + (flat[u] & ~whole))
        cost += w("steps-over-leaps") * np.maximum(np.abs(dia[u] - dia[d]) - 1, 0)
    d, u, k = d[ok], u[ok], k[ok]
    cf, cp = tv.cf.index, tv.cp.index
    if bar == last:
        chord = np.stack([np.full(len(d), c), d], axis=1)
        columns = ((cf, bar * GRID), (cp, bar * GRID))
    else:
        chord = np.stack([np.full(len(d), c), d, u], axis=1)
        columns = ((cf, bar * GRID), (cp, bar * GRID), (cp, bar * GRID + 4))
    runs = np.where(k == THIRD, 1, np.where(k == SIXTH, 2, 0))[:, None]
    return chord, cost[ok], runs, columns


def _move(tv, A: np.ndarray, B: np.ndarray, bar: int, last: int) -> np.ndarray:
    """The price of each chord pair (A of ``bar``, B of the next), inf where a rule forbids
    it: the upbeat into the next downbeat and the three-note preferences around it."""
    ic, dia, mel, false_rel, w, triple = tv.ic, tv.dia, tv.mel, tv.false_rel, tv.weight, \
        tv.triple
    c0, c1 = tv.cantus[bar], tv.cantus[bar + 1]
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
    ok &= ~(similar & tv.perfect[d2, c1])
    if not tv.crossing:  # overlap
        ok &= tv.under(d2, c0) & tv.under(u, c1)
    if bar == last - 1:  # clausula vera; the leading tone rises by step
        c_step = dia[tv.cantus[last]] - dia[tv.cantus[last - 1]]
        ok &= tv.on_final[d2] & (dia[d2] - dia[u] == -c_step)
        ok &= ~tv.raised_lt[u] | (dia[d2] == dia[u] + 1)
    cost = w("steps-over-leaps") * np.maximum(np.abs(dia[d2] - dia[u]) - 1, 0) + \
        w("contrary-motion") * similar
    # three successive notes: downbeat, upbeat, next downbeat (a new upbeat only) ...
    cost = cost + np.where(whole, 0.0, triple(d, u, d2))
    # ... and upbeat, next downbeat, next upbeat (a new upbeat only)
    if bar + 1 < last:
        cost = cost + np.where(d2 == u2, 0.0, triple(u, d2, u2))
    return np.where(ok, cost, np.inf)


def _price_the_held_note(tv, chords: list, moves: list, last: int) -> None:
    """The upbeat before the penultimate whole note, that note and the final: the cheapest
    final the last move allows (the cadence allows one), added to the move into the whole
    note (in place)."""
    held = np.nonzero(chords[last - 1][:, 1] == chords[last - 1][:, 2])[0]
    u = chords[last - 2][:, 2]
    for j in held:
        finals = chords[last][np.isfinite(moves[last - 1][j]), 1]
        if len(finals) == 0:
            continue  # no way on: the dynamic program finds no path through j
        d = chords[last - 1][j, 1]
        price = tv.triple(u[:, None], np.full((1, 1), d), finals[None, :]).min(axis=1)
        moves[last - 2][:, j] += price


def build_chain(sm: ScoreModel, spec: SpeciesSpec) -> Chain | None:
    """The relaxation of a two-voice second-species model ``sm``, or None when the states of
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
    if last >= 2:
        _price_the_held_note(tv, chords, moves, last)
    return found.chain(moves, tv.weight("parallel-imperfect-run"))
