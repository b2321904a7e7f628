"""The editing re-solve on the chain: exact dynamic programming for harmonizations and
compositions whose model is a chain (no canon or recurrence links distant slots; see
:mod:`stretto.solver.tonal.chain`).

:func:`stretto.solver.tonal.chorale_edit.resolve` asks for the fewest changed notes first and then,
with no more changes than that, the best preferences. On a chain both stages are one
Viterbi pass over the same voicing rows with a lexicographic cost: ``changes * BIG +
preferences``. The composer's wishes become masks on the rows (a pin, a lock, a range, an
interval at a beat) or on the links (a largest leap). Regenerating a region is the same pass
with everything outside the region fixed and one more bit of state: has a note of the region
changed yet. The answer is then confirmed by CP-SAT on the full model with every decision
fixed, so CP-SAT's model (with the wishes posted on it) stays the definition of valid.
A wish the chain does not know returns :data:`NotImplemented` (CP-SAT then searches).
"""

from __future__ import annotations

import numpy as np

from stretto.edits import IntervalRule, Lock, MaxLeapRule, Pin, RangeRule

from stretto.solver.tonal.chain import VoicingChain
from stretto.pitch import is_interval

BIG = 1 << 32  # one changed note outweighs any sum of preference costs
INF = 1 << 60  # three of them still fit in int64


def is_chain(model) -> bool:
    return not model.prob.canons and not model.prob.equal and not model.sm.waivers


def _masks(model, chain: VoicingChain, task, constraints):
    """(row masks per slot, {slot: largest leap per voice}) of the wishes, or NotImplemented."""
    P = model.P
    masks = [np.ones(s.n, dtype=bool) for s in chain.slots]
    leaps: dict[int, dict[int, int]] = {}

    def equals(v: int, t: int, pitch) -> None:
        if pitch not in P:
            masks[t][:] = False
        else:
            masks[t] &= chain.slots[t].x[:, v] == P.index(pitch)

    for c in constraints:
        if isinstance(c, Pin):
            equals(c.voice, task.slot_at(c.bar, c.beat), c.pitch)
        elif isinstance(c, Lock):
            for t, pitch in task.locked(c):
                equals(c.voice, t, pitch)
        elif isinstance(c, RangeRule):
            for t, s in enumerate(chain.slots):
                masks[t] &= (s.midi[:, c.voice] >= c.low.midi) & \
                    (s.midi[:, c.voice] <= c.high.midi)
        elif isinstance(c, MaxLeapRule):
            for (v, t) in model.dds:
                if v == c.voice:
                    leaps.setdefault(t, {})[v] = min(leaps.get(t, {}).get(v, 99), c.number - 1)
        elif isinstance(c, IntervalRule):
            t = task.slot_at(c.bar, c.beat)
            s = chain.slots[t]
            pairs = {(i, j): is_interval(P[i], P[j], c.number, c.quality) == c.require
                     for i, j in set(zip(s.x[:, c.upper].tolist(), s.x[:, c.lower].tolist()))}
            masks[t] &= np.array([pairs[i, j] for i, j in zip(s.x[:, c.upper].tolist(),
                                                                s.x[:, c.lower].tolist())])
        else:
            return NotImplemented
    return masks, leaps


def _cell_index(model, v: int, t: int, pitch) -> int | None:
    """The pitch index the previous score had in cell (v, t), or None (no note, or one the
    model cannot take there: then every row differs)."""
    if pitch is None or pitch not in model.P:
        return None
    i = model.P.index(pitch)
    return i if i in model.sm.domain_of(model.x[v][t]) else None


def solve(model, task, constraints, prev, cells, objective: bool):
    """The chosen rows per slot (indices into ``model.slot_rows``), None when no score
    satisfies the wishes, or NotImplemented when a wish is not expressible on the chain.
    ``cells``: None for a re-solve, or a regeneration's (inside, loose) cells
    (:func:`stretto.solver.tonal.chorale_task.region_cells`)."""
    chain = VoicingChain(model, objective)
    got = _masks(model, chain, task, constraints)
    if got is NotImplemented:
        return NotImplemented
    masks, leaps = got
    T = chain.T
    free = [(v, t) for v in range(model.V) for t in range(T)
            if not isinstance(model.x[v][t], int)]
    # per slot: the cost of each row (changes, or nothing for a regeneration) and, for a
    # regeneration, which rows change a note of the region
    extra = [np.zeros(s.n, dtype=np.int64) for s in chain.slots]
    differs = [np.zeros(s.n, dtype=bool) for s in chain.slots]
    region = cells is not None
    inside, loose = cells if region else (set(), set())
    for v, t in free:
        s = chain.slots[t]
        i = _cell_index(model, v, t, prev[v][t])
        other = np.ones(s.n, dtype=bool) if i is None else s.x[:, v] != i
        if not region:
            extra[t] += BIG * other
        elif (v, t) in inside:
            differs[t] |= other
        elif prev[v][t] is not None and (v, t) not in loose:
            masks[t] &= ~other
    for t in range(T):
        chain.slots[t].allowed &= masks[t]
    return _viterbi(chain, extra, differs if region else None, leaps)


def _viterbi(chain: VoicingChain, extra, differs, leaps):
    """Rows per slot of the cheapest path through the allowed rows; with ``differs``, the
    cheapest that passes through at least one row marked there (two states per row: a note
    of the region has changed yet, or not)."""
    T = chain.T

    def unary(t):
        return np.where(chain.slots[t].allowed, chain.unary(t) + extra[t], INF)

    u = unary(0)
    if differs is None:
        cost = [u]
    else:
        cost = [np.where(differs[0], INF, u), np.where(differs[0], u, INF)]
    back = []
    for t in range(T - 1):
        feas, trans = chain.link(t)
        for v, most in leaps.get(t, {}).items():
            dd = chain.slots[t + 1].dia[None, :, v] - chain.slots[t].dia[:, None, v]
            feas = feas & (np.abs(dd) <= most)
        step = np.where(feas, trans, INF)
        nb = chain.slots[t + 1].n
        cols = np.arange(nb)
        u = unary(t + 1)
        best, val = [], []
        for c in cost:
            total = np.minimum(c[:, None] + step, INF)
            b = np.argmin(total, axis=0)
            best.append(b)
            val.append(total[b, cols])
        if differs is None:
            cost = [np.minimum(val[0] + u, INF)]
            back.append([(np.zeros(nb, dtype=np.int64), best[0])])
            continue
        d = differs[t + 1]
        stay = np.where(d, INF, val[0])  # state 0: no region note changed yet
        enter = np.where(d, val[0], INF)  # state 0 -> 1 at a changing row
        one = enter < val[1]
        cost = [np.minimum(stay + u, INF), np.minimum(np.where(one, enter, val[1]) + u, INF)]
        back.append([(np.zeros(nb, dtype=np.int64), best[0]),
                     (np.where(one, 0, 1), np.where(one, best[0], best[1]))])
    state = len(cost) - 1
    row = int(np.argmin(cost[state]))
    if cost[state][row] >= INF:
        return None
    rows = [row]
    for t in range(T - 2, -1, -1):
        states, prev = back[t][state]
        state, row = int(states[row]), int(prev[row])
        rows.append(row)
    rows.reverse()
    return rows


__all__ = ["BIG", "is_chain", "solve"]
