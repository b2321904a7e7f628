"""The chorale model's soft rules: weighted costs in the one objective (small inner-voice
motion, contrary outer voices, a bass without large leaps, root doubling, chord changes across
the barline, few retrogressions, an authentic final cadence, the tonic at the start, chromatic
chords and modulations sparingly, appoggiaturas only where needed). A mixin of
:class:`~stretto.solver.tonal.chorale.ChoraleModel`; weights are in :mod:`stretto.rulebook`."""

from __future__ import annotations

from stretto.rulebook import RULES

from stretto.harmony import ROOT


class StyleMixin:
    """The preferences, added after the hard rules."""

    def _preferences(self) -> None:
        sm, V = self.sm, self.V
        w = {r.name: r.weight for r in RULES if r.kind == "soft"}
        for (v, t), ds in self.dss.items():
            if isinstance(ds, int):
                continue
            a = self.m.NewIntVar(0, 24, f"a{v}_{t}")
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
                k = self.m.NewIntVar(0, len(self.keys) - 1, f"key{t}")
                self.m.AddElement(self.c[t], list(self.vkey), k)
                kv.append(k)
            for t in range(self.T - 1):
                if self.prob.links[t]:
                    change = self._bool(f"modulate{t}")
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
