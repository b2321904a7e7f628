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




# ---------------------------------------------------------------------------- counting


class _Trellis:
    """The chain under the wishes' masks: allowed rows, unary costs and link matrices
    (infeasible links at INF) computed once, for the passes that count changed notes."""

    def __init__(self, chain: VoicingChain, masks, leaps) -> None:
        self.T = chain.T
        self.allowed = [chain.slots[t].allowed & masks[t] for t in range(chain.T)]
        self.unary = [chain.unary(t) for t in range(chain.T)]
        self.links = []
        for t in range(chain.T - 1):
            feas, trans = chain.link(t)
            for v, most in leaps.get(t, {}).items():
                dd = chain.slots[t + 1].dia[None, :, v] - chain.slots[t].dia[:, None, v]
                feas = feas & (np.abs(dd) <= most)
            self.links.append(np.where(feas, trans, INF))

    def cost(self, rows) -> int:
        """The preference cost of a path (rows per slot)."""
        total = sum(int(self.unary[t][r]) for t, r in enumerate(rows))
        return total + sum(int(self.links[t][rows[t], rows[t + 1]]) for t in range(self.T - 1))

    def count(self, extra, inc, cap: int, saturate: bool):
        """The cheapest path per final count of changed notes. ``inc[t]``: the changes each
        row of slot t makes; the count saturates at ``cap`` (regenerate: at least cap) or
        may not pass it (a budget: at most cap). ``extra``: {slot: row mask} on top of the
        allowed rows. Returns (cost per final state over the last slot's rows, back
        pointers, row indices per slot), or None when a slot has no row left."""
        idx = []
        for t in range(self.T):
            allow = self.allowed[t] if t not in extra else self.allowed[t] & extra[t]
            idx.append(np.flatnonzero(allow))
            if not len(idx[-1]):
                return None
        S = cap

        def states(t):
            d = inc[t][idx[t]]
            return (np.minimum(d, S), np.ones(len(d), dtype=bool)) if saturate else \
                (np.minimum(d, S), d <= S)

        first, ok = states(0)
        cost = np.full((S + 1, len(idx[0])), INF, dtype=np.int64)
        cols = np.flatnonzero(ok)
        cost[first[cols], cols] = self.unary[0][idx[0]][cols]
        backs = []
        for t in range(self.T - 1):
            step = self.links[t][np.ix_(idx[t], idx[t + 1])]
            nb = step.shape[1]
            arange = np.arange(nb)
            u = self.unary[t + 1][idx[t + 1]]
            d = inc[t + 1][idx[t + 1]]
            new = np.full((S + 1, nb), INF, dtype=np.int64)
            bstate = np.zeros((S + 1, nb), dtype=np.int64)
            brow = np.zeros((S + 1, nb), dtype=np.int64)
            for c in range(S + 1):
                if cost[c].min() >= INF:
                    continue
                total = cost[c][:, None] + step
                arg = np.argmin(total, axis=0)
                cand = np.minimum(total[arg, arange] + u, INF)
                target = c + d
                ok = np.ones(nb, dtype=bool) if saturate else target <= S
                target = np.minimum(target, S)
                better = np.flatnonzero(ok & (cand < new[target, arange]))
                new[target[better], better] = cand[better]
                bstate[target[better], better] = c
                brow[target[better], better] = arg[better]
            cost = new
            backs.append((bstate, brow))
        return cost, backs, idx

    @staticmethod
    def path(found, state: int):
        """(cost, rows per slot) of the cheapest path ending in ``state``, or None."""
        cost, backs, idx = found
        r = int(np.argmin(cost[state]))
        if cost[state][r] >= INF:
            return None
        best = int(cost[state][r])
        rows = [int(idx[-1][r])]
        s = state
        for t in range(len(backs) - 1, -1, -1):
            bstate, brow = backs[t]
            s, r = int(bstate[s, r]), int(brow[s, r])
            rows.append(int(idx[t][r]))
        rows.reverse()
        return best, rows


def _setup(model, task, constraints, prev, objective):
    chain = VoicingChain(model, objective)
    got = _masks(model, chain, task, constraints)
    if got is NotImplemented:
        return NotImplemented
    masks, leaps = got
    free = [(v, t) for v in range(model.V) for t in range(chain.T)
            if not isinstance(model.x[v][t], int)]
    other = {}
    for v, t in free:
        s = chain.slots[t]
        i = _cell_index(model, v, t, prev[v][t])
        other[v, t] = np.ones(s.n, dtype=bool) if i is None else s.x[:, v] != i
    return chain, masks, leaps, free, other


def changed_cells(model, rows, prev) -> int:
    """How many notes the solver writes differ from ``prev`` on the path ``rows``."""
    out = 0
    for t, r in enumerate(rows):
        row = model.slot_rows[t][r]
        for v in range(model.V):
            if not isinstance(model.x[v][t], int):
                i = _cell_index(model, v, t, prev[v][t])
                out += i is None or row[1 + v] != i
    return out


def solve_budget(model, task, constraints, prev, objective: bool, fewest: int, budget: int):
    """The best path by the preferences (ties: fewer changes) with at most ``fewest +
    budget`` changed notes: (rows, preference cost, preference cost of the fewest-changes
    path, changes), or None / NotImplemented as :func:`solve`."""
    got = _setup(model, task, constraints, prev, objective)
    if got is NotImplemented:
        return NotImplemented
    chain, masks, leaps, free, other = got
    inc = [np.zeros(s.n, dtype=np.int64) for s in chain.slots]
    for (v, t) in free:
        inc[t] += other[v, t]
    tr = _Trellis(chain, masks, leaps)
    found = tr.count({}, inc, fewest + budget, saturate=False)
    if found is None:
        return None
    cost = found[0]
    best = None
    for state in range(fewest + budget + 1):  # the cheapest; ties: the fewest changes
        path = tr.path(found, state) if cost[state].min() < INF else None
        if path is not None and (best is None or path[0] < best[0]):
            best = (path[0], path[1], state)
    if best is None:
        return None
    plain = tr.path(found, fewest) if cost[fewest].min() < INF else None
    return best[1], best[0], None if plain is None else plain[0], best[2]


def variants(model, task, constraints, prev, cells, counted, change: float, options: int,
             seen, objective: bool, limit: int = 400):
    """Regenerate on the chain: up to ``options`` mutually distinct paths, best first, each
    changing at least a share ``change`` of the ``counted`` cells (the region's free notes)
    and none of whose region notes is one of ``seen`` ({(voice, slot): pitch index} each).
    Returns (paths as (cost, rows, changed), free, target, asked), None when no valid
    variant differs at all, or NotImplemented. Distinct paths come from Lawler's partition
    of the region's notes, slot by slot: after a path, the next best either differs from
    it in the first region slot, or agrees there and differs in the second, and so on."""
    from stretto.solver.cpsat.variants import target_of

    got = _setup(model, task, constraints, prev, objective)
    if got is NotImplemented:
        return NotImplemented
    chain, masks, leaps, free, other = got
    inside, loose = cells
    for v, t in free:
        if (v, t) not in inside and prev[v][t] is not None and (v, t) not in loose:
            masks[t] &= ~other[v, t]
    inc = [np.zeros(s.n, dtype=np.int64) for s in chain.slots]
    for cell in counted:
        inc[cell[1]] += other[cell]
    if not counted:
        return None
    tr = _Trellis(chain, masks, leaps)
    region = sorted({t for _, t in inside})
    width = len(model.P) + 1
    keys = {}
    for t in region:
        voices = sorted(v for v, s in inside if s == t)
        key = np.zeros(chain.slots[t].n, dtype=np.int64)
        for v in voices:
            key = key * width + chain.slots[t].x[:, v]
        keys[t] = (voices, key)

    def signature(rows) -> tuple:
        return tuple(int(keys[t][1][rows[t]]) for t in region)

    def seen_signature(cellmap) -> tuple:
        out = []
        for t in region:
            key = 0
            for v in keys[t][0]:
                key = key * width + cellmap.get((v, t), -1)
            out.append(key)
        return tuple(out)

    taken = {seen_signature(c) for c in seen}
    asked = target = target_of(len(counted), change)
    while target >= 1:
        paths = _lawler(tr, inc, target, region, keys, signature, taken, options, limit)
        if paths:
            return paths, len(counted), target, asked
        # no unseen variant reaches the target: the most different one that does exist
        base = tr.count({}, inc, target, saturate=True)
        if base is None:
            return None
        reach = [c for c in range(target) if base[0][c].min() < INF]
        target = max((c for c in reach if c >= 1), default=0) if \
            base[0][target].min() >= INF else target - 1
    return None


def _lawler(tr: _Trellis, inc, target: int, region, keys, signature, taken, options, limit):
    """The ``options`` cheapest paths with distinct region notes not in ``taken``, each with
    at least ``target`` changes (Lawler's k-best over the region's slots)."""
    import heapq

    def best(fixed: dict, excluded: tuple[int, frozenset] | None):
        extra = {t: keys[t][1] == sig for t, sig in fixed.items()}
        if excluded is not None:
            t, sigs = excluded
            mask = ~np.isin(keys[t][1], np.fromiter(sigs, dtype=np.int64))
            extra[t] = extra[t] & mask if t in extra else mask
        found = tr.count(extra, inc, target, saturate=True)
        return None if found is None else tr.path(found, target)

    first = best({}, None)
    if first is None:
        return []
    heap = [(first[0], 0, {}, 0, frozenset(), first[1])]
    out, pops, serial = [], 0, 1
    while heap and len(out) < options and pops < limit:
        cost, _, fixed, j, excl, rows = heapq.heappop(heap)
        pops += 1
        sig = signature(rows)
        if sig not in taken:
            taken.add(sig)
            changed = int(sum(inc[t][r] for t, r in enumerate(rows)))
            out.append((cost, rows, changed))
        for i in range(j, len(region)):
            t = region[i]
            child_fixed = dict(fixed) if i == j else \
                {**fixed, **{region[k]: sig[k] for k in range(j, i)}}
            child_excl = (excl | {sig[i]}) if i == j else frozenset({sig[i]})
            got = best(child_fixed, (t, child_excl))
            if got is not None:
                heapq.heappush(heap, (got[0], serial, child_fixed, i, child_excl, got[1]))
                serial += 1
    return out


__all__ = ["BIG", "changed_cells", "is_chain", "solve", "solve_budget", "variants"]
