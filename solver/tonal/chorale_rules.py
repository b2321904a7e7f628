"""The chorale model's hard rules between slots: the progression grammar (with pivots between
keys), cadences at phrase ends, voice leading (no crossing or overlap, spacing, no parallel or
direct fifths and octaves), melodic intervals, held notes, the resolution of leading tones and
sevenths, the tendency tones of chromatic chords (:meth:`RulesMixin.tendency_codes`: an
augmented sixth expands by semitones to the octave on the dominant, the Neapolitan's b2 and a
borrowed b6 fall by step or are held; stated once here for CP-SAT and, as a mask, for the
chain), and canons and recurrences (a note copied, transposed, into another voice). A mixin
of :class:`~stretto.solver.tonal.chorale.ChoraleModel`; the names are in :mod:`stretto.rulebook`."""

from __future__ import annotations

import numpy as np

from stretto.errors import BadInput
from stretto.pitch import STEP_PC

from stretto.solver.tonal.chorale_problem import canon_pairs, chorale_melodic_ok
from stretto.harmony import (DOWN, FALL, FIFTH, FLAT_TWO, ROOT, UP, Chord, Key, cadence_key,
    cadence_kind)

# tendency codes (see RulesMixin.tendency_codes): what a voice's note must do next
_FREE_TONE, _UP, _DOWN, _FALL, _FLAT_TWO = 0, 1, 2, 3, 4
_CODE = {UP: _UP, DOWN: _DOWN, FALL: _FALL, FLAT_TWO: _FLAT_TWO}


def _resolution_class(cls: tuple[int, int]) -> tuple[int, int]:
    """The pitch class a diatonic step and a semitone above ``cls``."""
    step, alter = cls
    nstep = (step + 1) % 7
    want = (STEP_PC[step] + alter + 1) % 12
    nalter = (want - STEP_PC[nstep] + 6) % 12 - 6
    return (nstep, nalter)


def _fall_class(cls: tuple[int, int], steps: int) -> int:
    return (cls[0] - steps) % 7


class RulesMixin:
    """The hard rules stated as constraints (most rules within a slot are the voicing tables')."""

    def reading(self, ch: Chord, key_index: int) -> str | None:
        """The figure of ``ch``'s tones in key ``key_index`` (its full vocabulary), or None."""
        return self._readings[key_index].get(frozenset(x for x in ch.tones if x is not None))

    def edge(self, a: int, b: int) -> bool | None:
        """Chord ``a`` followed by chord ``b`` (vocabulary indices): None when the grammar
        forbids it, else whether it is a retrogression. In one key, that key's graph. Across a
        key change, a pivot: the new chord read in the old key follows the old chord there
        (``I -> V/V = D: V``), or the old chord read in the new key leads to the new chord
        there (``D: I = G: V -> G: IV``)."""
        got = self._edges.get((a, b), 0)
        if got != 0:
            return got
        ka, kb = self.vkey[a], self.vkey[b]
        ca, cb = self.vocab[a], self.vocab[b]
        if ka == kb:
            options = [(self.graphs[ka], ca.figure, cb.figure)]
        else:
            options = [(self.graphs[ka], ca.figure, self.reading(cb, ka)),
                       (self.graphs[kb], self.reading(ca, kb), cb.figure)]
        out = None
        for g, x, y in options:
            if x is None or y is None or not g.has_edge(x, y):
                continue
            retro = bool(g.edges[x, y].get("retrogression"))
            out = retro if out is None else (out and retro)
        self._edges[a, b] = out
        return out

    def _offered(self, key: Key, t: int) -> bool:
        """Chords of ``key`` may stand at slots ``t - 1`` and ``t``."""
        return bool(self.prob.keys_at) and all(key in self.prob.keys_at[u] for u in (t - 1, t))

    def _progression(self) -> None:
        m = self.m
        self.same = {}
        self.ltres, self.ltdrop = {}, {}
        self.pair_rows: dict[int, list[tuple]] = {}
        self.retro = {}
        for t in range(self.T - 1):
            if not self.prob.links[t]:
                continue
            rows = []
            for a in self.domains[t]:
                for b in self.domains[t + 1]:
                    ca, cb = self.vocab[a], self.vocab[b]
                    retro = self.edge(a, b)
                    if retro is None:
                        continue
                    res = drop = 0
                    if ca.lt_role is not None and a != b:
                        lt = ca.tones[ca.lt_role]
                        target = _resolution_class(lt)
                        if cb.role_of(target) is not None and cb.role_of(lt) is None:
                            res = 1
                            fifth_below = [x for x in cb.tones if x is not None
                                           and x[0] == _fall_class(lt, 2)]
                            drop = int(bool(fifth_below) and cb.tones[FIFTH] in fifth_below)
                    rows.append((a, b, res, drop, int(a == b), int(retro)))
            if not rows:
                raise BadInput(f"no chord progression fits the melody at {self._where(t)} - "
                               f"{self._where(t + 1)} in {self.prob.key}: pass --key, or "
                               "change the note")
            self.pair_rows[t] = rows
            move = f"{self._where(t)} to {self._where(t + 1)}"
            res, drop, same = (self._bool(f"leading tone resolves, {move}"),
                               self._bool(f"inner leading tone may drop, {move}"),
                               self._bool(f"same chord, {move}"))
            retro = self._bool(f"retrogression, {move}")
            m.AddAllowedAssignments([self.c[t], self.c[t + 1], res, drop, same, retro], rows)
            self.retro[t] = retro
            self.ltres[t], self.ltdrop[t], self.same[t] = res, drop, same


    def _cadences(self) -> None:
        m, key = self.m, self.prob.key
        self.cadence_choice = {}
        self.cad_rows: dict[int, list[tuple]] = {}
        self.uncadenced: list[int] = []  # optional phrase ends no cadence fits
        self.prolonged: int | None = None  # the downbeat the final cadence moved to
        for t, kinds in sorted(self.prob.cadences.items()):
            if t == 0 or not self.prob.links[t - 1]:
                continue
            want_key = self.prob.cadence_keys.get(t)
            rows = self.cadence_rows(t, kinds, want_key)
            if not rows and t in self.prob.optional_cadences:
                self.uncadenced.append(t)
                continue
            if not rows and t == self.T - 1 and self.prob.final_prolongs and t >= 2 and \
                    self.prob.links[t - 2]:
                rows = self.cadence_rows(t - 1, kinds, want_key)
                if rows:  # the cadence on the downbeat, the last note prolongs its chord
                    self.prolonged = t = t - 1
                    m.Add(self.c[t + 1] == self.c[t])
            if not rows:
                raise BadInput(f"no {'/'.join(kinds)} cadence"
                               f"{' in ' + str(want_key) if want_key else ''} fits the melody "
                               f"at {self._where(t)} in {key}: the phrase cannot close there")
            self.cad_rows[t] = rows
            home, dom = (self._bool(f"cadence at {self._where(t)} in the home key"),
                         self._bool(f"cadence at {self._where(t)} from the dominant"))
            m.AddAllowedAssignments([self.c[t - 1], self.c[t], home, dom], rows)
            self.cadence_choice[t] = home
            # authentic and deceptive cadences: the dominant in root position
            self.m.Add(self.brole[t - 1] == ROOT).OnlyEnforceIf(dom)

    def cadence_rows(self, t: int, kinds, want_key: Key | None) -> list[tuple]:
        """(chord before, chord at ``t``, home authentic, dominant in root position) for
        every cadence of ``kinds`` (in ``want_key`` when given) ending at slot ``t``. Both
        chords are in one key: a cadence in a related key is made in that key."""
        home, rows = self.prob.key, []
        for a in self.domains[t - 1]:
            for b in self.domains[t]:
                ca, cb = self.vocab[a], self.vocab[b]
                if self.vkey[a] != self.vkey[b] or self.edge(a, b) is None:
                    continue
                key = self.keys[self.vkey[b]]
                if ca.function == "S" and ca.goal == cb.figure and self._offered(
                        key.relative(cb.figure), t):
                    continue  # V/x -> x where x's key is offered: a cadence made in that key
                kind = cadence_kind(key, ca, cb)
                if kind is None or kind not in kinds:
                    continue
                ck = cadence_key(key, ca, cb)
                if want_key is not None and ck != want_key:
                    continue
                rows.append((a, b, int(kind == "authentic" and ck == home),
                             int(kind in ("authentic", "deceptive"))))
        return rows

    def _motion(self, v: int, t: int):
        """(dd, ds) letter steps and semitones of voice v from slot t to t+1."""
        a, b = self.dia[v][t], self.dia[v][t + 1]
        ma, mb = self.midi[v][t], self.midi[v][t + 1]
        if isinstance(a, int) and isinstance(b, int):
            return b - a, mb - ma
        move = f"{self.prob.voices[v].name} {self._where(t)} to {self._where(t + 1)}"
        dd = self.m.NewIntVar(-14, 14, f"{move}: letter steps")
        ds = self.m.NewIntVar(-24, 24, f"{move}: semitones")
        self.m.Add(dd == b - a)
        self.m.Add(ds == mb - ma)
        return dd, ds

    def _vertical(self) -> None:
        m, V, T = self.m, self.V, self.T
        mid = self.midi
        for t in range(T):
            for v in range(V - 1):
                m.Add(mid[v][t] >= mid[v + 1][t])  # crossing
            for v in range(min(2, V - 2)) if V >= 3 else ():
                m.Add(mid[v][t] - mid[v + 1][t] <= 12)  # spacing of the upper voices
        self.moves = {}
        self.dds, self.dss = {}, {}
        for t in range(T - 1):
            if not self.prob.links[t]:
                continue
            for v in range(V):
                dd, ds = self._motion(v, t)
                self.dds[v, t], self.dss[v, t] = dd, ds
                self.moves[v, t] = (ds != 0) if isinstance(ds, int) else \
                    self.sm.compare(ds, "!=", 0)
            for v in range(V - 1):  # overlap
                m.Add(mid[v + 1][t + 1] <= mid[v][t])
                m.Add(mid[v][t + 1] >= mid[v + 1][t])
                # and from a given voice's last note before the beat into its note on it
                if self.prob.voices[v].fixed is not None or \
                        self.prob.voices[v + 1].fixed is not None:
                    self._ordered(self._head(v + 1, t + 1), self._last(v, t))
                    self._ordered(self._last(v + 1, t), self._head(v, t + 1))
        # no parallel perfect intervals in any pair, from beat to beat and at every onset:
        # from the last notes before slot t + 1 (a given voice's note between the beats) into
        # slot t + 1 (the flags come from the voicing table)
        given = [v.fixed is not None for v in self.prob.voices]
        for i in range(V):
            for j in range(i + 1, V):
                for t in range(T - 1):
                    if not self.prob.links[t]:
                        continue
                    for kind in (0, 1):
                        lits = [self.perf[i, j, t][kind], self.perf[i, j, t + 1][kind],
                                self.moves[i, t], self.moves[j, t]]
                        with self.sm.at(t + 1, i, j, rule="parallel-perfect"):  # waivers
                            self._forbid(lits)
                            if given[i] or given[j]:
                                self._forbid([self.perf_tail[i, j, t][kind],
                                              self.perf[i, j, t + 1][kind],
                                              self._arrives(i, t), self._arrives(j, t)])
        # direct fifths and octaves in the outer voices, from the beat and from the last onset
        top, bot = 0, V - 1
        for t in range(T - 1):
            if not self.prob.links[t] or V < 2:
                continue
            into = self.sm.any_true([self.perf[top, bot, t + 1][0],
                                     self.perf[top, bot, t + 1][1]])
            motions = [(self.dss[top, t], self.dss[bot, t])]
            if given[top] or given[bot]:
                motions.append((self._into(top, t), self._into(bot, t)))
            for ds_t, ds_b in motions:
                for sign in (1, -1):
                    same_t = self._sign_lit(ds_t, sign)
                    same_b = self._sign_lit(ds_b, sign)
                    leap_t = self._leap_lit(ds_t)
                    with self.sm.at(t + 1, top, bot, rule="satb-direct"):  # waivers
                        self._forbid([into, same_t, same_b, leap_t])

    def _head(self, v: int, t: int):
        """Voice v's pitch (MIDI) at slot t's onset: a given voice's note as written."""
        given = self.sounded(v, t)
        return self.midi[v][t] if given is None else given.midi

    def _last(self, v: int, t: int):
        """Voice v's pitch (MIDI) just before slot t + 1: a given voice's last note."""
        given = self.last_given(v, t)
        return self.midi[v][t] if given is None else given.midi

    def _ordered(self, low, high) -> None:
        """``low`` <= ``high`` (two given pitches cannot be helped: the melody is kept)."""
        if isinstance(low, int) and isinstance(high, int):
            return
        self.m.Add(low <= high)

    def _into(self, v: int, t: int):
        """Voice v's motion in semitones into slot t + 1 from its last note before it."""
        if self.prob.voices[v].fixed is None:
            return self.dss[v, t]
        return self.sounded(v, t + 1).midi - self.last_given(v, t).midi

    def _arrives(self, v: int, t: int):
        """Voice v moves into slot t + 1 (from its last note before it)."""
        if self.prob.voices[v].fixed is None:
            return self.moves[v, t]
        return self._into(v, t) != 0

    def _sign_lit(self, ds, sign: int):
        if isinstance(ds, int):
            return ds * sign > 0
        return self.sm.compare(ds, ">" if sign > 0 else "<", 0)

    def _leap_lit(self, ds):
        if isinstance(ds, int):
            return abs(ds) > 2
        a = self.m.NewIntVar(0, 24, f"size of {ds.Name()}")
        self.m.AddAbsEquality(a, ds)
        return self.sm.compare(a, ">", 2)

    def _forbid(self, lits) -> None:
        """Not all of ``lits`` (constants folded); nothing where the composer waived it."""
        if self.sm.waived_here():
            return
        out = []
        for lit in lits:
            if lit is False:
                return
            if lit is True:
                continue
            out.append(lit.Not())
        if not out:
            raise BadInput("the given voices make forbidden parallels by themselves")
        self.m.AddBoolOr(out)

    def _holds(self) -> None:
        for v, t in self.prob.holds:
            if (v, t) in self.dss:
                self.m.Add(self.dss[v, t] == 0)

    def _melodic(self) -> None:
        rows = [(dd, ds) for dd in range(-7, 8) for ds in range(-12, 13) if chorale_melodic_ok(dd, ds)]
        for (v, t), dd in self.dds.items():
            if self.prob.voices[v].fixed is not None:
                continue
            if any(self.vocab[k].function == "N" for k in self.domains[t]) and \
                    (self.tendency_codes(t)[:, v] == _FLAT_TWO).any():
                # the Neapolitan's b2 may fall a diminished third to the leading tone
                self.m.AddAllowedAssignments([dd, self.dss[v, t]], rows + [(-2, -2)])
                dim3 = self.sm.all_true(self._cond(dd, "==", -2),
                                        self._cond(self.dss[v, t], "==", -2))
                self.sm.implies_any(dim3, [self.sm.compare(self._tendency_code(v, t), "==",
                                                           _FLAT_TWO)])
                continue
            self.m.AddAllowedAssignments([dd, self.dss[v, t]], rows)

    def _resolutions(self) -> None:
        V = self.V
        for t in range(self.T - 1):
            if not self.prob.links[t]:
                continue
            for v in range(V):
                dd, ds = self.dds[v, t], self.dss[v, t]
                fixed = self.prob.voices[v].fixed is not None
                # chordal seventh: down by step, or held under the same chord
                ok_down = self.sm.all_true(self._cond(dd, "==", -1), self._cond(ds, ">=", -2))
                ok_held = self.sm.all_true(self._cond(ds, "==", 0), self.same[t])
                self.sm.implies_any(self.sev[v][t], [ok_down, ok_held])
                if fixed:
                    continue  # the given melody's leading tones are kept as written
                up = self.sm.all_true(self._cond(dd, "==", 1), self._cond(ds, "==", 1))
                opts = [up]
                if 0 < v < V - 1:
                    opts.append(self.sm.all_true(self.ltdrop[t], self._cond(dd, "==", -2)))
                self.sm.implies_any(self.sm.all_true(self.lt[v][t], self.ltres[t]), opts)
        self._tendencies()

    def tendency_codes(self, t: int) -> np.ndarray:
        """Per voicing row of slot ``t`` and voice, what the voice's note must do into the
        next slot when the chord changes (0 nothing, 1 rise a semitone by step, 2 fall a
        semitone by step, 3 fall by step or be held, 4 fall by step or by a diminished third,
        the Neapolitan's b2 to the leading tone): the tendency tones of the row's chord
        (:attr:`~stretto.harmony.Chord.tendencies`) in the voices the solver writes (a given
        melody is kept as written)."""
        cache = self.__dict__.setdefault("_tendency_cache", {})
        if t not in cache:
            rows = self.slot_rows[t]
            codes = np.zeros((len(rows), self.V), dtype=np.int8)
            free = [v for v in range(self.V) if self.prob.voices[v].fixed is None]
            for r, row in enumerate(rows):
                ch = self.vocab[row[0]]
                for role, motion in ch.tendencies:
                    cls = ch.tones[role]
                    for v in free:
                        p = self.P[row[1 + v]]
                        if (p.step, p.alter) == cls:
                            codes[r, v] = _CODE[motion]
            cache[t] = codes
        return cache[t]

    @staticmethod
    def tendency_moves(code, dd, ds, same):
        """Whether a move of ``dd`` letter steps and ``ds`` semitones obeys tendency ``code``
        (numpy arrays or ints; ``same``: the chord stays, which waives it)."""
        step_down = (dd == -1) & (ds >= -2) & (ds <= -1)
        return ((code == _FREE_TONE) | same | ((code == _UP) & (dd == 1) & (ds == 1))
                | ((code == _DOWN) & (dd == -1) & (ds == -1))
                | ((code == _FALL) & (step_down | (ds == 0)))
                | ((code == _FLAT_TWO) & (step_down | ((dd == -2) & (ds == -2)))))

    def melodic_exception(self, t: int, ia, dd, ds, v: int):
        """The chain's one exception to the melodic rule (no diminished interval but the
        fifth): the Neapolitan's b2 may fall a diminished third to the leading tone. A mask
        over (rows ``ia`` of slot t, rows of slot t+1) for voice ``v``, or False."""
        if not any(self.vocab[k].function == "N" for k in self.domains[t]):
            return False
        code = self.tendency_codes(t)[ia][:, v]
        return (code == _FLAT_TWO)[:, None] & (dd == -2) & (ds == -2)

    def _tendency_code(self, v: int, t: int):
        """CP-SAT's tendency code of free voice ``v`` at slot ``t`` (see tendency_codes): a
        variable tied to the chord and the pitch by a table (made once)."""
        cache = self.__dict__.setdefault("_code_vars", {})
        if (v, t) not in cache:
            codes = self.tendency_codes(t)
            code = self.m.NewIntVar(0, 4, f"tendency {self.prob.voices[v].name} "
                                          f"{self._where(t)}")
            table = sorted({(row[0], row[1 + v], int(c))
                            for row, c in zip(self.slot_rows[t], codes[:, v])})
            self.m.AddAllowedAssignments([self.c[t], self.x[v][t], code], table)
            cache[v, t] = code
        return cache[v, t]

    def tendency_mask(self, t: int, ia, dd, ds, same) -> np.ndarray | bool:
        """The chain's form of rule tendency-tone: (rows ``ia`` of slot t, rows of slot t+1)
        pairs whose free voices obey their tendency codes."""
        if not any(self.vocab[k].tendencies for k in self.domains[t]):
            return True
        codes = self.tendency_codes(t)[ia]
        ok = np.ones(dd.shape[:2], dtype=bool)
        for v in range(self.V):
            if codes[:, v].any():
                ok &= self.tendency_moves(codes[:, v][:, None], dd[:, :, v], ds[:, :, v], same)
        return ok

    def _tendencies(self) -> None:
        """Rule tendency-tone in CP-SAT: per free voice and slot, a code variable tied to the
        chord and the pitch by a table, and the move it asks for when the chord changes."""
        if not any(self.vocab[k].tendencies for dom in self.domains for k in dom):
            return
        for t in range(self.T - 1):
            if not self.prob.links[t] or not any(self.vocab[k].tendencies
                                                 for k in self.domains[t]):
                continue
            codes = self.tendency_codes(t)
            for v in range(self.V):
                if self.prob.voices[v].fixed is not None or not codes[:, v].any():
                    continue
                code = self._tendency_code(v, t)
                dd, ds = self.dds[v, t], self.dss[v, t]
                sm = self.sm
                rules = {_UP: [sm.all_true(self._cond(dd, "==", 1), self._cond(ds, "==", 1))],
                         _DOWN: [sm.all_true(self._cond(dd, "==", -1),
                                             self._cond(ds, "==", -1))],
                         _FALL: [sm.all_true(self._cond(dd, "==", -1),
                                             self._cond(ds, ">=", -2)),
                                 self._cond(ds, "==", 0)],
                         _FLAT_TWO: [sm.all_true(self._cond(dd, "==", -1),
                                                 self._cond(ds, ">=", -2)),
                                     sm.all_true(self._cond(dd, "==", -2),
                                                 self._cond(ds, "==", -2))]}
                for value, opts in rules.items():
                    sm.implies_any(sm.compare(code, "==", value), opts + [self.same[t]])

    def _cond(self, expr, op: str, value: int):
        if isinstance(expr, int):
            return {"==": expr == value, ">=": expr >= value, "<=": expr <= value}[op]
        return self.sm.compare(expr, op, value)

    def _canons(self) -> None:
        """Canons and recurrences: the follower's note is the leader's, transposed exactly
        (letter steps and semitones) or diatonically (letter steps, in the key: a note
        outside the key keeps the leader's alteration)."""
        pairs = []  # ((va, ta), (vb, tb), steps, semis, rule)
        for ci, cn in enumerate(self.prob.canons):
            first, end = self.prob.canon_spans[ci] if ci < len(self.prob.canon_spans) \
                else (0, self.T)
            pairs += [(a, b, cn.steps, cn.semitones, "canon")
                      for a, b in canon_pairs(cn, first, end, self.T)]
        for a, b, steps, semis in self.prob.equal:
            pairs.append((a, b, steps, semis, "recurrence"))
        for (va, ta), (vb, tb), steps, semis, rule in pairs:
            if self.copy_constraint(self.x[va][ta], self.x[vb][tb], steps, semis) is None:
                from stretto.errors import Unsatisfiable
                raise Unsatisfiable(
                    f"{rule} {self.prob.voices[va].name} -> {self.prob.voices[vb].name} at "
                    f"{self._where(tb)}: the transposed note cannot fit the follower's range",
                    (rule, "satb-range"))

    def copy_constraint(self, a, b, steps: int, semis: int | None):
        """Require ``b`` to be ``a`` transposed (see :meth:`copy_rows`). Returns the table
        constraint (for a caller to guard), True when both notes are given and fit, None when
        no pair of their pitches fits."""
        rows = self.copy_rows(a, b, steps, semis)
        if not rows:
            return None
        vars_ = [v for v in (a, b) if not isinstance(v, int)]
        if not vars_:
            return True
        if isinstance(a, int):
            rows = [(j,) for i, j in rows if i == a]
        elif isinstance(b, int):
            rows = [(i,) for i, j in rows if j == b]
        return self.m.AddAllowedAssignments(vars_, rows)

    def copy_rows(self, a, b, steps: int, semis: int | None) -> list[tuple[int, int]]:
        """(pitch index of ``a``, of ``b``) where ``b`` is ``a`` moved ``steps`` letter steps,
        exactly (``semis`` semitones) or diatonically in the key (``semis`` None)."""
        P, mode = self.P, self.prob.key.church_mode
        doms_a = [a] if isinstance(a, int) else self.sm.domain_of(a)
        doms_b = set([b] if isinstance(b, int) else self.sm.domain_of(b))
        rows = []
        for i in doms_a:
            for j in doms_b:
                if P[j].diatonic - P[i].diatonic != steps:
                    continue
                if semis is not None and P[j].midi - P[i].midi != semis:
                    continue
                if semis is None and not mode.is_diatonic(P[j]) and P[j].alter != P[i].alter:
                    continue
                rows.append((i, j))
        return rows
