"""The chorale model's soft rules: weighted costs in the one objective (small inner-voice
motion, contrary outer voices, a bass without large leaps, root doubling, chord changes across
the barline, few retrogressions, an authentic final cadence, the tonic at the start, chromatic
chords and modulations sparingly, appoggiaturas only where needed, and the plan's tension arc).
A mixin of :class:`~stretto.solver.tonal.chorale.ChoraleModel`; weights are in
:mod:`stretto.rulebook`.

The tension arc (``HarmonyProblem.tension``, a target in 0..1 per slot) is followed as a soft
target (rule ``tension-arc``): each voicing row's tension is the vertical measure of
:func:`stretto.analysis.tension.vertical_tension` (tonal strain from the key and spread of the
chord on the spiral array, dissonance, register), mapped onto 0..1 between what the piece's
voicings can do (0 at the 10th percentile of every slot's rows, 1 at the 90th) and counted in
twentieths; a row costs the rule's weight for every twentieth it lies from the target. The
chain (:meth:`StyleMixin.style_costs`) and CP-SAT (a table from chord and pitches to the level)
price it alike."""

from __future__ import annotations

import numpy as np

from stretto.rulebook import RULES

from stretto.harmony import ROOT

TENSION_STEPS = 20  # a row's tension and the target, in twentieths of the piece's span


class StyleMixin:
    """The preferences, added after the hard rules."""

    def tension_levels(self) -> list[np.ndarray] | None:
        """Per slot, each voicing row's tension in twentieths of the piece's span (see the
        module text); None when the problem has no tension arc."""
        if not any(x is not None for x in self.prob.tension):
            return None
        if getattr(self, "_tension_levels", None) is None:
            from stretto.analysis.tension import fifths_index, vertical_tension

            key = (fifths_index(*self.prob.key.tonic_class), self.prob.key.mode)
            fifths = np.array([fifths_index(p.step, int(p.alter)) for p in self.P])
            raw = []
            for rows in self.slot_rows:
                xs = np.array([r[1:1 + self.V] for r in rows], dtype=np.int64)
                raw.append(vertical_tension(fifths[xs], self.P_midi[xs], key))
            every = np.concatenate(raw)
            lo, hi = np.percentile(every, 10), np.percentile(every, 90)
            span = max(hi - lo, 1e-9)
            self._tension_levels = [np.clip(np.rint((r - lo) / span * TENSION_STEPS), 0,
                                            TENSION_STEPS).astype(np.int64) for r in raw]
        return self._tension_levels

    def tension_target(self, t: int) -> int | None:
        """The arc's target at slot ``t`` in twentieths (None: free)."""
        arc = self.prob.tension
        if t >= len(arc) or arc[t] is None:
            return None
        return int(round(float(arc[t]) * TENSION_STEPS))

    def style_costs(self, t: int) -> np.ndarray:
        """The chain's per-row costs of slot ``t`` from the style's own preferences: a
        Neapolitan, augmented sixth or borrowed chord costs as a secondary dominant does
        (chromatic-sparingly), and the distance from the tension arc (tension-arc)."""
        rows = self.slot_rows[t]
        w = {r.name: r.weight for r in RULES if r.kind == "soft"}
        out = np.zeros(len(rows), dtype=np.int64)
        colour = np.array([self.vocab[k].colour != "" and self.vocab[k].function != "S"
                           for k in range(len(self.vocab))])
        if colour.any():
            ks = np.array([r[0] for r in rows], dtype=np.int64)
            out += w["chromatic-sparingly"] * colour[ks]
        levels, target = self.tension_levels(), self.tension_target(t)
        if levels is not None and target is not None:
            out += w["tension-arc"] * np.abs(levels[t] - target)
        return out

    def _tension_preferences(self, w: dict) -> None:
        """CP-SAT's side of style_costs: colour chords and the tension arc."""
        sm = self.sm
        for t in range(self.T):
            for k, b in self.y[t].items():
                if self.vocab[k].colour != "" and self.vocab[k].function != "S":
                    sm.penalize("chromatic-sparingly", w["chromatic-sparingly"], b)
        levels = self.tension_levels()
        if levels is None:
            return
        for t in range(self.T):
            target = self.tension_target(t)
            if target is None:
                continue
            free = [v for v in range(self.V) if not isinstance(self.x[v][t], int)]
            level = self.m.NewIntVar(0, TENSION_STEPS, f"tension at {self._where(t)}")
            table = sorted({(r[0],) + tuple(r[1 + v] for v in free) + (int(lv),)
                            for r, lv in zip(self.slot_rows[t], levels[t])})
            self.m.AddAllowedAssignments([self.c[t]] + [self.x[v][t] for v in free] + [level],
                                         table)
            dev = self.m.NewIntVar(0, TENSION_STEPS, f"tension off the arc at {self._where(t)}")
            self.m.AddAbsEquality(dev, level - target)
            sm.penalize("tension-arc", w["tension-arc"], dev)

    def _preferences(self) -> None:
        sm, V = self.sm, self.V
        w = {r.name: r.weight for r in RULES if r.kind == "soft"}
        for (v, t), ds in self.dss.items():
            if isinstance(ds, int):
                continue
            a = self.m.NewIntVar(0, 24, f"size of {ds.Name()}")
            self.m.AddAbsEquality(a, ds)
            if 0 < v < V - 1:
                sm.penalize("inner-voice-motion", w["inner-voice-motion"], a)
            if v == V - 1:
                big = sm.compare(a, ">", 7)
                sm.penalize("bass-line", w["bass-line"], big)
            if v in (0, V - 1) and self.prob.voices[v].fixed is None:
                sm.penalize("melodic-line", w["melodic-line"], sm.compare(a, "==", 0))
                sm.penalize("melodic-line", w["melodic-line"], sm.compare(a, ">", 5))
        top, bot = 0, V - 1
        for t in range(self.T - 1):
            if not self.prob.links[t] or V < 2:
                continue
            for sign in (1, -1):
                sm.penalize("outer-contrary", w["outer-contrary"],
                            sm.all_true(self._sign_lit(self.dss[top, t], sign),
                                        self._sign_lit(self.dss[bot, t], sign)))
            sm.penalize("chord-change", w["chord-change"], self.same[t])
            if t + 1 in self.prob.downbeats:
                sm.penalize("harmonic-rhythm", w["harmonic-rhythm"], self.same[t])
        for t in range(self.T):
            sm.penalize("root-doubling", w["root-doubling"], self.lack[t])
            if t in self.prob.downbeats:
                sm.penalize("root-position", w["root-position"],
                            sm.compare(self.brole[t], "!=", ROOT))
        for t, retro in self.retro.items():
            sm.penalize("progression-retrogression", w["progression-retrogression"], retro)
        for t, home in self.cadence_choice.items():
            if t == self.T - 1 and self.prob.prefer_authentic_end:
                sm.penalize("final-cadence", w["final-cadence"], home.Not())
        tonic = [b for k, b in self.y[0].items()
                 if self.vocab[k].figure in ("I", "i") and self.vkey[k] == 0]
        sm.penalize("tonic-start", w["tonic-start"], sm.any_true(tonic).Not()
                    if tonic and not isinstance(sm.any_true(tonic), bool) else (not tonic))
        for t in range(self.T):
            sec = [b for k, b in self.y[t].items() if self.vocab[k].function == "S"]
            for b in sec:
                sm.penalize("chromatic-sparingly", w["chromatic-sparingly"], b)
        if len(self.keys) > 1:  # each change of key costs (a pivot, then the new key)
            kv = []
            for t in range(self.T):
                k = self.m.NewIntVar(0, len(self.keys) - 1, f"key at {self._where(t)}")
                self.m.AddElement(self.c[t], list(self.vkey), k)
                kv.append(k)
            for t in range(self.T - 1):
                if self.prob.links[t]:
                    change = self._bool(f"key changes after {self._where(t)}")
                    self.m.Add(kv[t] != kv[t + 1]).OnlyEnforceIf(change)
                    self.m.Add(kv[t] == kv[t + 1]).OnlyEnforceIf(change.Not())
                    sm.penalize("modulation", w["modulation"], change)
        for t in self.cad_rows:
            for k, b in self.y[t].items():
                if self.vocab[k].figure in ("vi", "VI"):
                    sm.penalize("deceptive-cadence", w["deceptive-cadence"], b)
        for (v, t), q in self.appo.items():  # the note on the beat outside the chord
            sm.penalize("appoggiatura", w["appoggiatura"],
                        sm.compare(self.x[v][t], "==", self.P.index(q)))
        self._tension_preferences(w)
