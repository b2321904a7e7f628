"""Exact dynamic programming over the chorale model's voicing tables (the fast path).

Every rule of :class:`~stretto.solver.tonal.chorale.ChoraleModel` links only neighbouring slots
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

from typing import TYPE_CHECKING

from stretto.rulebook import RULES

from stretto.solver.tonal.chorale_problem import chorale_melodic_ok
from stretto.harmony import ROOT

if TYPE_CHECKING:  # the model calls the chain (chorale_solve), not the other way round
    from stretto.solver.tonal.chorale import ChoraleModel

INF = 10 ** 9


def _melodic_table() -> np.ndarray:
    t = np.zeros((29, 49), dtype=bool)  # dd in -14..14, ds in -24..24
    for dd in range(-14, 15):
        for ds in range(-24, 25):
            t[dd + 14, ds + 24] = chorale_melodic_ok(dd, ds)
    return t


_MELODIC = _melodic_table()


class Slot:
    """One slot's voicing rows as arrays."""

    def __init__(self, cm: ChoraleModel, rows: list[tuple]) -> None:
        V = cm.V
        a = np.array(rows, dtype=np.int64)
        self.k = a[:, 0]
        xs = a[:, 1:1 + V]
        self.midi = cm.P_midi[xs].astype(np.int16)
        self.dia = cm.P_dia[xs].astype(np.int16)
        self.x = xs
        self.lt = a[:, 1 + V:1 + 2 * V].astype(bool)
        self.sev = a[:, 1 + 2 * V:1 + 3 * V].astype(bool)
        self.brole = a[:, 1 + 3 * V]
        self.lack = a[:, 2 + 3 * V].astype(bool)
        npairs = V * (V - 1) // 2
        pairs = a[:, 3 + 3 * V:3 + 3 * V + 2 * npairs]  # at the slot's onset
        self.p5 = pairs[:, 0::2].astype(bool)
        self.p8 = pairs[:, 1::2].astype(bool)
        tails = a[:, 3 + 3 * V + 2 * npairs:]  # the last notes before the next slot
        self.t5 = tails[:, 0::2].astype(bool)
        self.t8 = tails[:, 1::2].astype(bool)
        self.n = len(rows)
        self.allowed = np.ones(self.n, dtype=bool)  # rows the beam may use


class VoicingChain:
    """The voicing rows of every slot as arrays, and the rules between neighbouring slots as
    matrices (feasible, cost) built on demand."""

    def __init__(self, cm: ChoraleModel, objective: bool = True) -> None:
        self.cm, self.objective = cm, objective
        self.w = {r.name: r.weight for r in RULES if r.kind == "soft"}
        self.V, self.T = cm.V, cm.T
        self.slots = [Slot(cm, rows) for rows in cm.slot_rows]
        self.pairs = [(i, j) for i in range(self.V) for j in range(i + 1, self.V)]
        self.free = [v for v in range(self.V) if cm.prob.voices[v].fixed is None]
        self.chromatic = np.array([c.function == "S" for c in cm.vocab])
        self.tonic = np.array([c.figure in ("I", "i") and k == 0
                               for c, k in zip(cm.vocab, cm.vkey)])
        self.vkey = np.array(cm.vkey, dtype=np.int64)
        self.deceptive = np.array([c.figure in ("vi", "VI") for c in cm.vocab])
        # the given voices' appoggiaturas: (slot, voice, pitch index of the resolution)
        self.appo = [(t, v, cm.P.index(p)) for (v, t), p in cm.appo.items()]

    def unary(self, t: int) -> np.ndarray:
        s, w = self.slots[t], self.w
        c = np.zeros(s.n, dtype=np.int64)
        if not self.objective:
            return c
        c += w["root-doubling"] * s.lack
        if t in self.cm.prob.downbeats:
            c += w["root-position"] * (s.brole != ROOT)
        c += w["chromatic-sparingly"] * self.chromatic[s.k]
        if t == 0:
            c += w["tonic-start"] * (~self.tonic[s.k])
        if t in self.cm.cad_rows:
            c += w["deceptive-cadence"] * self.deceptive[s.k]
        for ta, v, i in self.appo:
            if ta == t:
                c += w["appoggiatura"] * (s.x[:, v] == i)
        c += self.cm.style_costs(t)  # colour chords sparingly, the tension arc
        return c

    def _head(self, midi: np.ndarray, v: int, t: int) -> np.ndarray:
        """Voice v's MIDI pitch at slot t's onset per row: a given voice's note as written."""
        given = self.cm.sounded(v, t)
        return midi[:, v] if given is None else np.full(len(midi), given.midi)

    def _last(self, midi: np.ndarray, v: int, t: int) -> np.ndarray:
        """Voice v's MIDI pitch just before slot t + 1 per row: a given voice's last note."""
        given = self.cm.last_given(v, t)
        return midi[:, v] if given is None else np.full(len(midi), given.midi)

    def link(self, t: int, ia=None):
        """(feasible, cost) matrices from slot t (rows ``ia``, default all) to slot t + 1."""
        a, b = self.slots[t], self.slots[t + 1]
        if ia is None:
            ia = np.arange(a.n)
        na = len(ia)
        if not self.cm.prob.links[t]:
            return np.ones((na, b.n), dtype=bool), np.zeros((na, b.n), dtype=np.int64)
        feas, chords = self._progression(t, ia)
        dd = b.dia[None, :, :] - a.dia[ia][:, None, :]  # (na, nb, V)
        ds = b.midi[None, :, :] - a.midi[ia][:, None, :]
        feas &= self._motion(t, ia, ds)
        feas &= self._lines(t, ia, dd, ds, chords)
        return feas, self._transition_costs(t, ds, chords)

    def _progression(self, t: int, ia):
        """(feasible, the chord tables) of the chords of slot t (rows ``ia``) into slot t + 1:
        the grammar's edges, a prolonged last chord, the cadence (its dominant in root
        position). The tables: the chord indices K1, K2, ``same`` chord, the cadence's
        ``home``, and the edges' ``retro``, ``res`` (leading tone resolves) and ``drop``
        (an inner voice may drop to the fifth)."""
        cm = self.cm
        nv = len(cm.vocab)
        a, b = self.slots[t], self.slots[t + 1]
        ok = np.zeros((nv, nv), dtype=bool)
        res = np.zeros((nv, nv), dtype=bool)
        drop = np.zeros((nv, nv), dtype=bool)
        retro = np.zeros((nv, nv), dtype=bool)
        for k1, k2, r, d, _, rg in cm.pair_rows[t]:
            ok[k1, k2], res[k1, k2], drop[k1, k2] = True, bool(r), bool(d)
            retro[k1, k2] = bool(rg)
        K1, K2 = a.k[ia][:, None], b.k[None, :]
        feas = ok[K1, K2]
        same = (K1 == K2)
        if cm.prolonged is not None and t == cm.prolonged:  # the last note prolongs the chord
            feas &= same
        home = np.zeros((len(ia), b.n), dtype=bool)
        if t + 1 in cm.cad_rows:
            cok = np.zeros((nv, nv), dtype=bool)
            chome = np.zeros((nv, nv), dtype=bool)
            cdom = np.zeros((nv, nv), dtype=bool)
            for k1, k2, h, d in cm.cad_rows[t + 1]:
                cok[k1, k2], chome[k1, k2], cdom[k1, k2] = True, bool(h), bool(d)
            feas &= cok[K1, K2]
            feas &= ~cdom[K1, K2] | (a.brole[ia][:, None] == ROOT)
            home = chome[K1, K2]
        chords = {"K1": K1, "K2": K2, "same": same, "home": home, "retro": retro[K1, K2],
                  "res": res[K1, K2], "drop": drop[K1, K2]}
        return feas, chords

    def _motion(self, t: int, ia, ds):
        """Overlap, parallel perfects in every pair and direct perfects in the outer voices,
        judged between the chords and also from a given voice's notes as they sound (its last
        note before slot t + 1; the note on the beat even where the chord holds its
        appoggiatura's resolution): at every onset."""
        cm, V, pairs = self.cm, self.V, self.pairs
        a, b = self.slots[t], self.slots[t + 1]
        amidi = a.midi[ia]
        moves = ds != 0
        given = [v for v in range(V) if v not in self.free]
        arrive = ds.copy()
        for v in given:
            arrive[:, :, v] = cm.sounded(v, t + 1).midi - cm.last_given(v, t).midi
        arrives = arrive != 0
        feas = np.ones(ds.shape[:2], dtype=bool)
        for v in range(V - 1):  # overlap
            feas &= b.midi[None, :, v + 1] <= amidi[:, None, v]
            feas &= b.midi[None, :, v] >= amidi[:, None, v + 1]
            if (v in given) != (v + 1 in given):  # and from a given voice's notes as written
                feas &= self._head(b.midi, v + 1, t + 1)[None, :] <= \
                    self._last(amidi, v, t)[:, None]
                feas &= self._head(b.midi, v, t + 1)[None, :] >= \
                    self._last(amidi, v + 1, t)[:, None]
        for pi, (i, j) in enumerate(pairs):
            both = moves[:, :, i] & moves[:, :, j]
            feas &= ~(a.p5[ia][:, None, pi] & b.p5[None, :, pi] & both)
            feas &= ~(a.p8[ia][:, None, pi] & b.p8[None, :, pi] & both)
            if i in given or j in given:
                both = arrives[:, :, i] & arrives[:, :, j]
                feas &= ~(a.t5[ia][:, None, pi] & b.p5[None, :, pi] & both)
                feas &= ~(a.t8[ia][:, None, pi] & b.p8[None, :, pi] & both)
        if V >= 2:
            po = pairs.index((0, V - 1))
            into = b.p5[None, :, po] | b.p8[None, :, po]
            for motion in ((ds, arrive) if {0, V - 1} & set(given) else (ds,)):
                st, sb = motion[:, :, 0], motion[:, :, V - 1]
                similar = ((st > 0) & (sb > 0)) | ((st < 0) & (sb < 0))
                feas &= ~(into & similar & (np.abs(st) > 2))
        return feas

    def _lines(self, t: int, ia, dd, ds, chords):
        """Each voice's step: melodic intervals of the free voices, held notes, the seventh
        falling by step (or held), the leading tone rising (an inner voice may drop to the
        fifth), and the chromatic chords' tendency tones."""
        cm, V, free = self.cm, self.V, self.free
        a = self.slots[t]
        a_lt, asev = a.lt[ia], a.sev[ia]
        feas = np.ones(ds.shape[:2], dtype=bool)
        for v in free:
            ddv, dsv = dd[:, :, v], ds[:, :, v]
            inside = (np.abs(ddv) <= 14) & (np.abs(dsv) <= 24)
            feas &= inside & (_MELODIC[np.clip(ddv + 14, 0, 28), np.clip(dsv + 24, 0, 48)]
                              | cm.melodic_exception(t, ia, ddv, dsv, v))
        for v, th in cm.prob.holds:
            if th == t:
                feas &= ds[:, :, v] == 0
        R, D, same = chords["res"], chords["drop"], chords["same"]
        for v in range(V):
            ddv, dsv = dd[:, :, v], ds[:, :, v]
            down = (ddv == -1) & (dsv >= -2)
            held = (dsv == 0) & same
            feas &= ~asev[:, None, v] | down | held
            if v in free:
                up = (ddv == 1) & (dsv == 1)
                drop_ok = (D & (ddv == -2)) if 0 < v < V - 1 else np.zeros_like(up)
                feas &= ~(a_lt[:, None, v] & R) | up | drop_ok
        feas &= cm.tendency_mask(t, ia, dd, ds, same)  # chromatic chords' tendency tones
        return feas

    def _transition_costs(self, t: int, ds, chords):
        """The preferences of the move from slot t to t + 1 (zero without the objective)."""
        cm, w, V, T, free = self.cm, self.w, self.V, self.T, self.free
        trans = np.zeros(ds.shape[:2], dtype=np.int64)
        if not self.objective:
            return trans
        K1, K2, same = chords["K1"], chords["K2"], chords["same"]
        for v in range(1, V - 1):
            if v in free:
                trans += w["inner-voice-motion"] * np.abs(ds[:, :, v])
        for v in (0, V - 1):
            if v in free:  # a generated outer voice: a singable line
                trans += w["melodic-line"] * ((ds[:, :, v] == 0) + (np.abs(ds[:, :, v]) > 5))
        if V - 1 in free:
            trans += w["bass-line"] * (np.abs(ds[:, :, V - 1]) > 7)
        st, sb = ds[:, :, 0], ds[:, :, V - 1]
        trans += w["outer-contrary"] * (((st > 0) & (sb > 0)) | ((st < 0) & (sb < 0)))
        trans += w["progression-retrogression"] * chords["retro"]
        trans += w["chord-change"] * same
        trans += w["modulation"] * (self.vkey[K1] != self.vkey[K2])
        if t + 1 in cm.prob.downbeats:
            trans += w["harmonic-rhythm"] * same
        if t + 1 == T - 1 and t + 1 in cm.cad_rows and cm.prob.prefer_authentic_end:
            trans += w["final-cadence"] * ~chords["home"]
        return trans


def solve_chain(cm: ChoraleModel, objective: bool = True):
    """(rows per slot, cost) of the best harmonization, or None when none exists."""
    ch = VoicingChain(cm, objective)
    T = ch.T
    cost = ch.unary(0)
    back: list[np.ndarray | None] = [None]
    for t in range(T - 1):
        feas, trans = ch.link(t)
        total = np.where(feas, cost[:, None] + trans, INF)
        arg = np.argmin(total, axis=0)
        cost = total[arg, np.arange(ch.slots[t + 1].n)]
        cost = np.where(cost >= INF, INF, cost + ch.unary(t + 1))
        back.append(arg)
    best = int(np.argmin(cost))
    if cost[best] >= INF:
        return None
    chosen = [best]
    for t in range(T - 1, 0, -1):
        chosen.append(int(back[t][chosen[-1]]))
    chosen.reverse()
    return [cm.slot_rows[t][r] for t, r in enumerate(chosen)], int(cost[best])


def solve_beam(cm: ChoraleModel, objective: bool = True, width: int = 400):
    """Beam search along the slots for models with form constraints linking distant slots
    (canons, recurrences): each partial harmonization keeps its path, so a follower's note can
    be required to equal the leader's note ``delay`` slots back. Not exhaustive: None means
    the beam found nothing (CP-SAT then searches). Deterministic."""
    ch = VoicingChain(cm, objective)
    T = ch.T
    links = _equalities(cm)  # slot tb -> [(va, ta, vb, allowed pairs table)]
    pending = [sorted({(va, ta) for tb, items in links.items() if tb > t
                       for va, ta, _, _ in items if ta <= t}) for t in range(T)]
    _prune_leaders(ch, cm, links)
    # backward pass: the rows from which the rest of the piece can still be completed (by the
    # chain's rules); the link matrices are kept for the forward beam
    cache = {}
    alive = np.ones(ch.slots[T - 1].n, dtype=bool) & ch.slots[T - 1].allowed
    for t in range(T - 2, -1, -1):
        feas, trans = ch.link(t)
        cache[t] = (feas, trans.astype(np.int32))
        ch.slots[t].allowed &= (feas & alive[None, :]).any(axis=1)
        alive = ch.slots[t].allowed
    first = ch.unary(0)
    mask = _required(ch, cm, 0, None, links)
    order = [i for i in np.argsort(first, kind="stable")
             if (mask is None or mask[i]) and ch.slots[0].allowed[i]]
    beam = [(int(first[i]), (int(i),)) for i in order[:width]]
    for t in range(T - 1):
        if not beam:
            return None
        ia = np.array([path[-1] for _, path in beam])
        feas, trans = cache.pop(t)
        feas, trans = feas[ia], trans[ia]
        un = ch.unary(t + 1)
        cands = []
        for bi, (cost, path) in enumerate(beam):
            ok = feas[bi] & ch.slots[t + 1].allowed
            req = _required(ch, cm, t + 1, path, links)
            if req is not None:
                ok = ok & req
            idx = np.nonzero(ok)[0]
            if not len(idx):
                continue
            costs = cost + trans[bi, idx] + un[idx]
            for c, j in zip(costs.tolist(), idx.tolist()):
                cands.append((c, bi, j))
        cands.sort()
        nxt, seen = [], set()
        pend = pending[t + 1]
        for c, bi, j in cands:
            path = beam[bi][1] + (j,)
            # the state of a partial harmonization: its last row and the leader notes later
            # slots must answer; of two paths with the same state only the cheaper is kept
            key = (j,) + tuple(int(ch.slots[ta].x[path[ta], va]) for va, ta in pend)
            if key in seen:
                continue
            seen.add(key)
            nxt.append((c, path))
            if len(nxt) >= width:
                break
        beam = nxt
    if not beam:
        return None
    cost, path = beam[0]
    return [cm.slot_rows[t][r] for t, r in enumerate(path)], int(cost)


def _prune_leaders(ch: VoicingChain, cm: ChoraleModel, links) -> None:
    """Drop the rows whose leader note no follower row can answer (outside its range or in no
    chord there): restricts ``ch.slots[ta]`` in place, through its ``allowed`` mask."""
    for tb, items in links.items():
        for va, ta, vb, tab in items:
            if ta == tb:
                continue
            answerable = set(ch.slots[tb].x[:, vb].tolist())
            lead = ch.slots[ta].x[:, va]
            ok = np.array([bool(tab.get(int(i), set()) & answerable) for i in lead])
            ch.slots[ta].allowed &= ok


def _equalities(cm: ChoraleModel):
    """Slot -> [(voice a, slot a, voice b, {pitch index a: allowed pitch indices b})] from the
    canons and recurrences (the follower's note fixed by the leader's, earlier)."""
    from collections import defaultdict

    P = cm.P
    out = defaultdict(list)
    prob = cm.prob

    def allowed(steps, semis):
        table = {}
        for i, p in enumerate(P):
            js = set()
            for j, q in enumerate(P):
                if q.diatonic - p.diatonic != steps:
                    continue
                if semis is not None and q.midi - p.midi != semis:
                    continue
                if semis is None and not prob.key.church_mode.is_diatonic(q) and \
                        q.alter - p.alter != 0:
                    continue
                js.add(j)
            table[i] = js
        return table

    for ci, cn in enumerate(prob.canons):
        first, end = prob.canon_spans[ci] if ci < len(prob.canon_spans) else (0, cm.T)
        tab = allowed(cn.steps, cn.semitones)
        for t in range(first, min(end, cm.T - cn.delay)):
            out[t + cn.delay].append((cn.leader, t, cn.follower, tab))
    for (va, ta), (vb, tb), steps, semis in prob.equal:
        tab = allowed(steps, semis)
        if ta < tb:
            out[tb].append((va, ta, vb, tab))
        elif tb < ta:
            inv = {}
            for i, js in tab.items():
                for j in js:
                    inv.setdefault(j, set()).add(i)
            out[ta].append((vb, tb, va, inv))
        else:
            out[tb].append((va, ta, vb, tab))
    return out


def _required(ch: VoicingChain, cm: ChoraleModel, t: int, path, links):
    """Mask of slot t's rows allowed by the equalities that end at t, given the path."""
    if t not in links:
        return None
    slot = ch.slots[t]
    mask = np.ones(slot.n, dtype=bool)
    for va, ta, vb, tab in links[t]:
        if ta == t:
            xa = slot.x[:, va]
            ok = np.array([xb in tab.get(int(xa_), ()) for xa_, xb in zip(xa, slot.x[:, vb])])
            mask &= ok
            continue
        if path is None:
            continue
        lead = int(ch.slots[ta].x[path[ta], va])
        allowed = tab.get(lead, set())
        mask &= np.isin(slot.x[:, vb], list(allowed))
    return mask


__all__ = ["VoicingChain", "solve_beam", "solve_chain"]
