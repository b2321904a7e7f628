"""The chain relaxation of fifth species (florid) in two voices (see :mod:`stretto.solver.species.bounds`).

Fifth species on the grid (``_species5`` in :mod:`stretto.solver.species.lines`): a half rest and a
half note in the first bar, a whole note in the last, and in every other bar one rhythm of
:data:`~stretto.solver.species.lines.FLORID_PATTERNS`. Every position where a pattern may begin a note
(0, 2, 3, 4, 6, 7) has its own pitch variable, equal to the one before unless a note begins
there; a new note never repeats the previous pitch (``repetition``), so *a note begins at q
exactly when the pitch at q differs from the pitch before*: the rhythm is read off the pitches.

A bar's chord is the cantus note and the counterpoint's pitch at the position before the bar
(the last eighth of the bar before: whether the downbeat begins a note or is tied is then a
fact of the chord) and at 0, 2, 3, 4, 6 and 7. The chords are enumerated pattern by pattern
(held positions copy the pitch before, eighth notes move by step), never all pitch tuples.
The first bar's chord is its half note, the last bar's the pitch before it and the final.

Restated exactly from the model (two voices: a fourth is a dissonance):

* in a bar: the pattern one of Fux's; the downbeat consonant, or tied as a suspension
  (:func:`~stretto.solver.species.dissonance.suspension_ok`) resolving down by step on beat 3; every
  other note that begins consonant or a dissonance ``_weak`` allows for its place in the
  pattern (passing, neighbour and cambiata quarters, passing and neighbour eighths; on beat 2
  only when the bar begins with a note); the eighths' steps; not a unison on the downbeat;
  crossing, melodic intervals and false relations among the bar's pitches and the pitch
  before; overlap, parallel and direct perfect intervals into the downbeat; ficta (the raised
  leading tone only in the penultimate bar, rising by step; no plain seventh before the final);
  the first interval and the cadence. Preferences: ``imperfect-preferred`` at every position
  of an inner bar where a note may begin (held ones too, as the model counts them),
  ``steps-over-leaps`` between successive positions, ``ficta-sparingly`` for each note that
  begins, ``contrary-motion`` into the downbeat, ``florid-rhythm`` of the bar's rhythm, and
  ``leap-span``, ``leap-recovery`` and ``outlined-tritone`` of every three successive notes
  that begin within the bar (or the pitch before it);
* across a barline (factored, :class:`~stretto.solver.species.bounds.chain.Link`): the tail of a bar is its
  last two notes, its rhythm, and whether it ends with a half note (a tie into the next bar
  needs one) or must move on by step (an eighth on the last quaver, or a dissonant quarter on
  beat 4 that needs the next downbeat as its passing or neighbour note); the head of the next
  bar is the pitch before it, its rhythm (so whether its downbeat is tied) and its first note
  after that pitch. The move checks that the pitch before the bar is the tail's last note,
  the tie and the step, and prices the three notes (the bar's last two, the next one) and
  ``florid-rhythm``'s repeated rhythm. A few hundred tails and heads per barline.

Left out, which only weakens the bound: ``range``, ``single-climax``, ``climax-apart``, and
false relations between pitches of two bars other than the pitch just before the bar. The
``parallel-imperfect-run`` of downbeats is counted by the shared dynamic program.
``tests/solver/species/test_bound_fifth.py`` prices model-accepted scores both ways.
"""

from __future__ import annotations

import numpy as np

from stretto.solver.species.bounds.chain import PERFECT, Chain, Link, unique_rows
from stretto.solver.species.bounds.pairs import two_voices
from stretto.solver.species.lines import FLORID_PATTERNS
from stretto.solver.cpsat.model import GRID, OCT, P5, SIXTH, THIRD, UNI, ScoreModel
from stretto.solver.species.spec import SpeciesSpec

MAX_FLORID = 300_000  # chords per bar; beyond this the bound is skipped (wide custom ranges)
POSITIONS = (0, 2, 3, 4, 6, 7)  # where a note may begin in an inner bar
HALF, MUST_STEP = 1, 2  # a tail's flag: ends with a half note; must move on by step


class _Bars:
    """What every bar of the chain shares: the two voices' tables (:func:`two_voices`), the
    weights of the preferences, and the masks built from them once."""

    def __init__(self, sm: ScoreModel, tv) -> None:
        self.tv = tv
        self.bars, self.last = sm.bars, sm.bars - 1
        self.pen = self.last - 1
        self.n = n = len(sm.u.pitches)
        self.in_dom = np.zeros(n, bool)
        self.in_dom[tv.dom] = True
        self.stepwise = np.abs(tv.dia[:, None] - tv.dia[None, :]) == 1
        self.go = tv.mel & ~np.eye(n, dtype=bool)  # a new note: a melodic interval, not a repetition
        w = tv.weight
        self.w_imp, self.w_step, self.w_flat = w("imperfect-preferred"), w("steps-over-leaps"), \
            w("ficta-sparingly")
        self.w_contrary, self.w_florid = w("contrary-motion"), w("florid-rhythm")

    def side(self, c):
        """Pitches on the counterpoint's side of the cantus note c (all of them with crossing)."""
        tv = self.tv
        return self.in_dom & (np.ones(self.n, bool) if tv.crossing
                              else tv.under(np.arange(self.n), c))

    def barline(self, p7, x0, c0, c1, onset):
        """The downbeat after p7 over the cantus step c0 -> c1: parallel and direct perfect
        intervals (forbidden: False) and the contrary-motion price."""
        ic, dia = self.tv.ic, self.tv.dia
        ok = np.ones(len(x0), bool)
        if c0 != c1:
            for group in ((P5,), (UNI, OCT)):
                ok &= ~(onset & np.isin(ic[p7, c0], group) & np.isin(ic[x0, c1], group))
        moved = np.sign(dia[x0] - dia[p7])
        similar = (moved != 0) & (moved == np.sign(dia[c1] - dia[c0]))
        ok &= ~(similar & self.tv.perfect[x0, c1])
        return ok, self.w_contrary * similar

    # ------------------------------------------------------------------ an inner bar

    def inner_rows(self, pat, c, c_prev, before, here):
        """Rows of the pitch before the bar and the pitches at :data:`POSITIONS` for rhythm
        ``pat``: held positions copy the pitch before, new notes move melodically, eighths by
        step, and what the consonance rule needs of each pitch as far as it is known (the
        whole rule is :meth:`inner_consonance`; this only keeps the rows few)."""
        tv, go, stepwise = self.tv, self.go, self.stepwise
        idx = np.arange(self.n)
        if 0 in pat:  # a new note on the downbeat (overlap: not past the previous cantus note)
            start = before[:, None] & (here & self.side(c_prev))[None, :] & go
            a, b = np.nonzero(start)
            rows = np.stack([a, b], axis=1)
        else:  # tied over from the pitch before
            keep = idx[before & here]
            rows = np.stack([keep, keep], axis=1)
        diss = tv.dissonant[:, c]
        x = rows[:, 1]
        rows = rows[(tv.ic[x, c] != UNI) & (~diss[x] | ((0 not in pat) & tv.susp[x, c]))]
        for q in POSITIONS[1:]:
            prev = rows[:, -1]
            if q in pat:
                allowed = go[prev] & here[None, :]
                if q in (3, 7) or (q == 4 and 3 in pat):  # eighths move by step
                    allowed &= stepwise[prev]
                if q == 2:  # a dissonance here is a step from the downbeat
                    allowed &= ~diss[None, :] | ((0 in pat) & stepwise[prev])
                if q == 3:
                    allowed &= ~diss[None, :] | (0 in pat)
                if q == 4:  # a dissonance here passes from the pitch before
                    allowed &= ~diss[None, :] | ((6 in pat) & stepwise[prev])
                i, j = np.nonzero(allowed)
                rows = np.concatenate([rows[i], j[:, None]], axis=1)
            else:
                rows = np.concatenate([rows, prev[:, None]], axis=1)
        return rows

    def inner_consonance(self, rows, pat, c):
        """(ok, must step on): consonance, and the dissonances each place allows - the
        suspension, passing, neighbour and cambiata quarters, passing eighths."""
        tv = self.tv
        dissonant, passing, neighbour = tv.dissonant, tv.passing, tv.neighbour
        p7, x0, x2, x3, x4, x6, x7 = rows.T
        d = {q: tv.dia[x] for q, x in zip(("p7", 0, 2, 3, 4, 6, 7), rows.T)}
        ok = np.ones(len(rows), bool)
        if 0 in pat:
            ok &= ~dissonant[x0, c]
        else:  # a suspension: resolves down by step to a consonance on beat 3
            ok &= ~dissonant[x0, c] | (tv.susp[x0, c] & (d[4] - d[0] == -1) & ~dissonant[x4, c])
        if 2 in pat:
            if 3 in pat:
                allowed = passing(x0, x2, x3)
            else:
                allowed = passing(x0, x2, x4) | neighbour(x0, x2, x4) | \
                    tv.cambiata(x0, x2, x4, x6)
            ok &= ~dissonant[x2, c] | (allowed & (0 in pat))
        if 3 in pat:
            ok &= ~dissonant[x3, c] | ((passing(x2, x3, x4) | neighbour(x2, x3, x4)) & (0 in pat))
        ok &= ~dissonant[x4, c] | ((6 in pat) & passing(x3, x4, x6))
        must = np.full(len(rows), 7 in pat)
        if 6 in pat:
            if 7 in pat:
                ok &= ~dissonant[x6, c] | passing(x4, x6, x7)
            else:  # a quarter: passing or neighbour into the next downbeat, a step away
                ok &= ~dissonant[x6, c] | (np.abs(d[6] - d[4]) == 1)
                must |= dissonant[x6, c]
        ok &= tv.ic[x0, c] != UNI  # unison
        return ok, must

    def inner_relations(self, rows, pat, bar, c, c_prev):
        """(ok, contrary-motion price, the notes that begin): motion into the downbeat, false
        relations within the bar and with the pitch before it (in bar 1 that is the half note
        on beat 3 of bar 0, a bar or less from positions 0-4 only), and the raised leading
        tone of the penultimate bar rising by step."""
        tv = self.tv
        p7, x0 = rows[:, 0], rows[:, 1]
        ok, cost = self.barline(p7, x0, c_prev, c, np.full(len(rows), 0 in pat))
        cols = list(rows.T[1:])
        for i in range(6):
            for j in range(i + 1, 6):
                ok &= ~tv.false_rel[cols[i], cols[j]]
        for i, q in enumerate(POSITIONS):
            if bar > 1 or q <= 4:
                ok &= ~tv.false_rel[p7, cols[i]]
        # the notes: the pitch before the bar, then each note that begins here
        seq = [p7] + [cols[POSITIONS.index(q)] for q in pat]
        if bar == self.pen:  # the raised leading tone rises by step to the next note
            for a, b in zip(seq[1:], seq[2:]):
                ok &= ~tv.raised_lt[a] | (tv.dia[b] == tv.dia[a] + 1)
            if tv.raised_lt.any():
                ok &= ~tv.natural7[rows[:, 6]]
        return ok, cost, seq

    def inner_cost(self, rows, pat, c, seq, cost):
        """``cost`` plus the preferences of the bar: three-note leaps (infinite where a
        melodic rule forbids them), imperfect consonances, steps, ficta, the rhythm."""
        tv = self.tv
        for a, b, e in zip(seq, seq[1:], seq[2:]):
            cost = cost + tv.triple(a, b, e)
        cols = list(rows.T[1:])
        cost = cost + self.w_imp * sum(tv.perfect[x, c].astype(int) for x in cols)
        every = [rows[:, 0]] + cols
        cost = cost + self.w_step * sum(np.maximum(np.abs(tv.dia[b] - tv.dia[a]) - 1, 0)
                                        for a, b in zip(every, every[1:]))
        cost = cost + self.w_flat * sum(tv.flat[x].astype(int) for x in seq[1:])
        if {3, 7} & set(pat):
            cost = cost + self.w_florid
        elif pat == (0, 2, 4, 6):
            cost = cost + max(1, self.w_florid // 3)
        return cost

    def inner(self, rhythm, pat, bar, c, c_prev, before, here):
        """The chords of an inner bar with rhythm ``pat``: (rows of the pitch before the bar
        and the pitches at :data:`POSITIONS`, their unary costs, tails, heads)."""
        rows = self.inner_rows(pat, c, c_prev, before, here)
        ok, must = self.inner_consonance(rows, pat, c)
        related, cost, seq = self.inner_relations(rows, pat, bar, c, c_prev)
        ok &= related
        # the triple costs are infinite where a melodic rule forbids the three notes
        cost = self.inner_cost(rows, pat, c, seq, cost)
        ok &= np.isfinite(cost)
        rows, cost, must = rows[ok], np.asarray(cost, float)[ok], must[ok]
        seq = [s[ok] for s in seq]
        ends_half = not ({6, 7} & set(pat))
        flag = np.where(must, MUST_STEP, HALF if ends_half else 0)
        tail = np.stack([seq[-2], seq[-1], flag, np.full(len(rows), rhythm)], axis=1)
        head = np.stack([seq[0], np.full(len(rows), rhythm), seq[1]], axis=1)
        return rows, cost, tail, head

    # ------------------------------------------------------------------ the first and last bars

    def first_bar(self, c):
        """Bar 0: the half note on beat 3, consonant, the first interval. (chord rows, unary
        costs, runs, tails)."""
        tv = self.tv
        dom, ic, raised_lt = tv.dom, tv.ic, tv.raised_lt
        x = dom[self.side(c)[dom]]
        ok = ~tv.dissonant[x, c] & np.isin(ic[x, c], PERFECT if tv.above else (UNI, OCT))
        ok &= ~tv.raised_3[x] & (~raised_lt[x] | (self.pen == 0))
        x = x[ok]
        chord = np.stack([np.full(len(x), c), x], axis=1)
        runs = np.zeros((len(x), 1), int)  # no downbeat: the bar begins with a rest
        tail = np.stack([np.full(len(x), -1), x, np.full(len(x), HALF), np.full(len(x), -1)],
                        axis=1)
        return chord, self.w_flat * tv.flat[x].astype(float), runs, tail

    def final_bar(self, c, c_prev, c_before):
        """The last bar: the pitch before it and the final (unison or octave, the clausula
        vera, ficta). (chord rows, unary costs, runs, heads)."""
        tv = self.tv
        dia, raised_lt = tv.dia, tv.raised_lt
        side_c, side_prev = self.side(c), self.side(c_prev)
        p7, f = (g.ravel() for g in np.meshgrid(np.nonzero(self.in_dom)[0], tv.dom,
                                                 indexing="ij"))
        ok = side_c[f] & side_prev[f] & side_c[p7] & side_prev[p7] & self.go[p7, f]
        ok &= ~tv.raised_3[p7] & ~tv.false_rel[p7, f] & ~raised_lt[f]
        ok &= np.isin(tv.ic[f, c], (UNI, OCT)) & tv.on_final[f]
        ok &= dia[f] - dia[p7] == -(dia[c] - dia[c_before])
        ok &= ~raised_lt[p7] | (dia[f] == dia[p7] + 1)
        if raised_lt.any():
            ok &= ~tv.natural7[p7]
        good, contrary = self.barline(p7, f, c_prev, c, np.ones(len(f), bool))
        ok &= good
        cost = contrary + self.w_flat * tv.flat[f] + \
            self.w_step * np.maximum(np.abs(dia[f] - dia[p7]) - 1, 0)
        p7, f, cost = p7[ok], f[ok], cost[ok]
        chord = np.stack([np.full(len(f), c), p7, f], axis=1)
        head = np.stack([p7, np.full(len(f), -1), f], axis=1)
        return chord, cost.astype(float), _runs(tv.ic[f, c]), head

    def links(self, tails, heads):
        """(moves, links) across each barline: the pitch before the next bar is this bar's
        last note, a tie only from a half note, a required step taken, and the three notes
        around the barline and a repeated rhythm priced."""
        tv, stepwise, w_florid = self.tv, self.stepwise, self.w_florid
        moves, links = [], []
        tied = np.array([0 not in pat for pat in FLORID_PATTERNS] + [False])  # [-1]: last bar
        for bar in range(self.bars - 1):
            tail_rows, tail = unique_rows(tails[bar])
            head_rows, head = unique_rows(heads[bar + 1])
            l1, l2, flag, rhythm = (tail_rows[:, k][:, None] for k in range(4))
            p7, again, nxt = (head_rows[:, k][None, :] for k in range(3))
            tie = tied[again]  # the next bar's downbeat is tied (again: its rhythm, -1 last bar)
            ok = l2 == p7  # the pitch before the next bar is this bar's last
            if bar >= 1:  # a tie into the bar only from a half note
                ok &= ~tie | (flag == HALF)
            ok &= (flag != MUST_STEP) | (~tie & stepwise[l2, nxt])
            price = np.where(l1 >= 0, tv.triple(np.maximum(l1, 0), l2, nxt), 0.0) + \
                max(1, w_florid // 2) * ((rhythm == again) & (rhythm >= 0))  # the same rhythm
            moves.append(np.where(ok, price, np.inf))
            last_col = len(self.columns(bar)) - 1
            links.append(Link(tail.ravel(), head.ravel(), (last_col,), (2,)))
        return moves, links

    def columns(self, bar):
        """The model's (voice, position) of each column of bar ``bar``'s chords."""
        cf, cp = self.tv.cf.index, self.tv.cp.index
        if bar == 0:
            return ((cf, 0), (cp, 4))
        before = (cp, bar * GRID - 1)
        if bar == self.last:
            return ((cf, bar * GRID), before, (cp, bar * GRID))
        return ((cf, bar * GRID), before, *((cp, bar * GRID + q) for q in POSITIONS))


def _runs(kinds):
    """The run class of each chord's downbeat interval: 1 a third, 2 a sixth, 0 neither."""
    return np.where(kinds == THIRD, 1, np.where(kinds == SIXTH, 2, 0))[:, None]


def build_chain(sm: ScoreModel, spec: SpeciesSpec) -> Chain | None:
    """The relaxation of a two-voice fifth-species model ``sm``, or None when the chords of a
    bar are too many (or the cantus is shorter than three notes)."""
    tv = two_voices(sm, spec)
    if tv is None or sm.bars < 3:
        return None
    bars = _Bars(sm, tv)
    cantus = tv.cantus
    chords, unary, runs, columns, tails, heads = [], [], [], [], [], []
    for bar in range(bars.bars):
        c = cantus[bar]
        columns.append(bars.columns(bar))
        if bar == 0:
            chord, cost, run, tail = bars.first_bar(c)
            chords.append(chord), unary.append(cost), runs.append(run)
            tails.append(tail), heads.append(None)
            continue
        c_prev = cantus[bar - 1]
        if bar == bars.last:
            chord, cost, run, head = bars.final_bar(c, c_prev, cantus[bars.last - 1])
            chords.append(chord), unary.append(cost), runs.append(run)
            heads.append(head), tails.append(None)
            break
        # the pitch before the bar, and the pitches the bar may sound
        before = bars.side(c_prev) & bars.side(c) & ~tv.raised_3 & ~tv.raised_lt
        here = bars.side(c) & ~tv.raised_3 & (~tv.raised_lt | (bar == bars.pen))
        found = [bars.inner(rhythm, pat, bar, c, c_prev, before, here)
                 for rhythm, pat in enumerate(FLORID_PATTERNS)]
        rows = np.concatenate([f[0] for f in found])
        if len(rows) > MAX_FLORID:
            return None
        chords.append(np.concatenate([np.full((len(rows), 1), c), rows], axis=1))
        unary.append(np.concatenate([f[1] for f in found]))
        runs.append(_runs(tv.ic[rows[:, 1], c]))
        tails.append(np.concatenate([f[2] for f in found]))
        heads.append(np.concatenate([f[3] for f in found]))
        if len(rows) == 0:
            return Chain(tuple(chords), tuple(unary), (), tuple(runs), 0, tuple(columns))
    moves, links = bars.links(tails, heads)
    return Chain(tuple(chords), tuple(unary), tuple(moves), tuple(runs),
                 tv.weight("parallel-imperfect-run"), tuple(columns), tuple(links))
