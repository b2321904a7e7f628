"""Exact dynamic programming over the chorale model's voicing tables (the fast path).

Every rule of :class:`~stretto.solver.chorale.ChoraleModel` links only neighbouring slots
(the vertical rules live inside one slot's voicing table; progression, cadences, parallels,
direct fifths, melodic intervals and resolutions link slot ``t`` to ``t + 1``), and every
preference is a sum of per-slot and per-link terms. So when no form constraint links distant
slots (canons, recurrences), the model is a chain, and a Viterbi pass over the same voicing
rows finds the best harmonization, or proves there is none, exactly. It evaluates the same
rows and chord-pair tables the CP-SAT model is built from (numpy, one matrix per link), and
its answer is then confirmed by CP-SAT with every decision fixed
(:meth:`ChoraleModel.confirm`), so CP-SAT's model remains the definition of "valid".
CP-SAT searches alone when the chain does not cover the problem (canons, recurrences).
"""

from __future__ import annotations

import numpy as np

from stretto.rulebook import RULES

from stretto.solver.chorale import ChoraleModel, melodic_ok
from stretto.solver.harmony import ROOT

INF = 10 ** 9


def _melodic_table() -> np.ndarray:
    t = np.zeros((29, 49), dtype=bool)  # dd in -14..14, ds in -24..24
    for dd in range(-14, 15):
        for ds in range(-24, 25):
            t[dd + 14, ds + 24] = melodic_ok(dd, ds)
    return t


_MELODIC = _melodic_table()


class Slot:
    """One slot's voicing rows as arrays."""

    def __init__(self, cm: ChoraleModel, rows: list[tuple]) -> None:
        V = cm.V
        a = np.array(rows, dtype=np.int64)
        self.k = a[:, 0]
        xs = a[:, 1:1 + V]
        self.midi = cm.P_midi[xs]
        self.dia = cm.P_dia[xs]
        self.x = xs
        self.lt = a[:, 1 + V:1 + 2 * V].astype(bool)
        self.sev = a[:, 1 + 2 * V:1 + 3 * V].astype(bool)
        self.brole = a[:, 1 + 3 * V]
        self.lack = a[:, 2 + 3 * V].astype(bool)
        pairs = a[:, 3 + 3 * V:]
        self.p5 = pairs[:, 0::2].astype(bool)
        self.p8 = pairs[:, 1::2].astype(bool)
        self.n = len(rows)


def solve_chain(cm: ChoraleModel, objective: bool = True):
    """(list of chosen row per slot) or None when no harmonization exists."""
    w = {r.name: r.weight for r in RULES if r.kind == "soft"}
    V, T = cm.V, cm.T
    nv = len(cm.vocab)
    slots = [Slot(cm, rows) for rows in cm.slot_rows]
    pairs = [(i, j) for i in range(V) for j in range(i + 1, V)]
    free = [v for v in range(V) if cm.prob.voices[v].fixed is None]
    chromatic = np.array([c.function == "S" for c in cm.vocab])
    tonic = np.array([c.figure in ("I", "i") for c in cm.vocab])

    def unary(t: int, s: Slot) -> np.ndarray:
        c = np.zeros(s.n, dtype=np.int64)
        if not objective:
            return c
        c += w["root-doubling"] * s.lack
        c += w["chromatic-sparingly"] * chromatic[s.k]
        if t == 0:
            c += w["tonic-start"] * (~tonic[s.k])
        return c

    cost = unary(0, slots[0])
    back: list[np.ndarray | None] = [None]
    for t in range(T - 1):
        a, b = slots[t], slots[t + 1]
        if not cm.prob.links[t]:
            best = int(np.argmin(cost))
            if cost[best] >= INF:
                return None
            back.append(np.full(b.n, best))
            cost = cost[best] + unary(t + 1, b)
            continue
        ok = np.zeros((nv, nv), dtype=bool)
        res = np.zeros((nv, nv), dtype=bool)
        drop = np.zeros((nv, nv), dtype=bool)
        retro = np.zeros((nv, nv), dtype=bool)
        for k1, k2, r, d, _, rg in cm.pair_rows[t]:
            ok[k1, k2], res[k1, k2], drop[k1, k2] = True, bool(r), bool(d)
            retro[k1, k2] = bool(rg)
        K1, K2 = a.k[:, None], b.k[None, :]
        feas = ok[K1, K2]
        same = (K1 == K2)
        home = np.zeros((a.n, b.n), dtype=bool)
        if t + 1 in cm.cad_rows:
            cok = np.zeros((nv, nv), dtype=bool)
            chome = np.zeros((nv, nv), dtype=bool)
            cdom = np.zeros((nv, nv), dtype=bool)
            for k1, k2, h, d in cm.cad_rows[t + 1]:
                cok[k1, k2], chome[k1, k2], cdom[k1, k2] = True, bool(h), bool(d)
            feas &= cok[K1, K2]
            feas &= ~cdom[K1, K2] | (a.brole[:, None] == ROOT)
            home = chome[K1, K2]
        dd = b.dia[None, :, :] - a.dia[:, None, :]  # (na, nb, V)
        ds = b.midi[None, :, :] - a.midi[:, None, :]
        moves = ds != 0
        for v in range(V - 1):  # overlap
            feas &= b.midi[None, :, v + 1] <= a.midi[:, None, v]
            feas &= b.midi[None, :, v] >= a.midi[:, None, v + 1]
        for pi, (i, j) in enumerate(pairs):
            both = moves[:, :, i] & moves[:, :, j]
            feas &= ~(a.p5[:, None, pi] & b.p5[None, :, pi] & both)
            feas &= ~(a.p8[:, None, pi] & b.p8[None, :, pi] & both)
        if V >= 2:
            po = pairs.index((0, V - 1))
            into = b.p5[None, :, po] | b.p8[None, :, po]
            st, sb = ds[:, :, 0], ds[:, :, V - 1]
            similar = ((st > 0) & (sb > 0)) | ((st < 0) & (sb < 0))
            feas &= ~(into & similar & (np.abs(st) > 2))
        for v in free:
            ddv, dsv = dd[:, :, v], ds[:, :, v]
            inside = (np.abs(ddv) <= 14) & (np.abs(dsv) <= 24)
            feas &= inside & _MELODIC[np.clip(ddv + 14, 0, 28), np.clip(dsv + 24, 0, 48)]
        R, D = res[K1, K2], drop[K1, K2]
        for v in range(V):
            ddv, dsv = dd[:, :, v], ds[:, :, v]
            down = (ddv == -1) & (dsv >= -2)
            held = (dsv == 0) & same
            feas &= ~a.sev[:, None, v] | down | held
            if v in free:
                up = (ddv == 1) & (dsv == 1)
                alt = (D & (ddv == -2)) if 0 < v < V - 1 else np.zeros_like(up)
                feas &= ~(a.lt[:, None, v] & R) | up | alt
        trans = np.zeros((a.n, b.n), dtype=np.int64)
        if objective:
            for v in range(1, V - 1):
                if v in free:
                    trans += w["inner-voice-motion"] * np.abs(ds[:, :, v])
            if V - 1 in free:
                trans += w["bass-line"] * (np.abs(ds[:, :, V - 1]) > 7)
            st, sb = ds[:, :, 0], ds[:, :, V - 1]
            trans += w["outer-contrary"] * (((st > 0) & (sb > 0)) | ((st < 0) & (sb < 0)))
            trans += w["progression-retrogression"] * retro[K1, K2]
            if t + 1 in cm.prob.downbeats:
                trans += w["harmonic-rhythm"] * same
            if t + 1 == T - 1 and t + 1 in cm.cad_rows and cm.prob.prefer_authentic_end:
                trans += w["final-cadence"] * ~home
        total = np.where(feas, cost[:, None] + trans, INF)
        arg = np.argmin(total, axis=0)
        cost = total[arg, np.arange(b.n)]
        cost = np.where(cost >= INF, INF, cost + unary(t + 1, b))
        back.append(arg)
    best = int(np.argmin(cost))
    if cost[best] >= INF:
        return None
    chosen = [best]
    for t in range(T - 1, 0, -1):
        chosen.append(int(back[t][chosen[-1]]))
    chosen.reverse()
    return [cm.slot_rows[t][r] for t, r in enumerate(chosen)], int(cost[best])


__all__ = ["solve_chain"]
