"""The tonal chorale model: chords per beat and voices that lead well between them (CP-SAT).

One *slot* per beat (the harmonic rhythm). Each slot has a chord (an index into the key's
vocabulary, :mod:`stretto.harmony`) and, for every voice, a pitch; a voice is either
fixed (a given melody) or a variable. Consecutive slots are *linked* unless a rest separates
them; voice-leading rules apply across links. Melody notes shorter than a beat are judged by
the note sounding at the beat: the beat's chord must contain it, and the notes between beats
are passing or neighbour tones over that chord (they are not harmonized separately).

Hard rules (names in :mod:`stretto.rulebook`): every voice sounds a chord tone; the bass gives
the inversion (triads in root position or first inversion, diminished triads in first
inversion, sevenths in any); complete chords (root and third always, the fifth unless a
seventh chord or the last chord, the seventh of a seventh chord); the leading tone and the
seventh never doubled; the progression follows the grammar graph; cadences at phrase ends;
no parallel fifths/octaves/unisons in any pair; no direct fifths/octaves in the outer voices
unless the top voice moves by step; ranges; spacing (adjacent upper voices within an octave);
no crossing or overlap; melodic intervals (no augmented intervals but the chromatic semitone,
no sevenths, nothing beyond an octave); a leading tone in a free voice rises to its goal
(inner voices may fall to the goal's fifth); a chordal seventh falls by step (or is held
under the same chord). The given melody's own leading tones are not forced (it is kept).

Soft rules: small motion in the inner voices (common tones kept), contrary outer voices, a
bass without large leaps, root doubled in root-position triads, chord changes across the
barline, an authentic final cadence in the home key, the tonic at the start.

The model is one class, :class:`ChoraleModel`, assembled from one module per idea: the
problem and solution (:mod:`~stretto.solver.tonal.chorale_problem`), the variables and voicing
tables (:mod:`~stretto.solver.tonal.chorale_voicing`), the hard rules between slots
(:mod:`~stretto.solver.tonal.chorale_rules`), the soft rules (:mod:`~stretto.solver.tonal.chorale_style`)
and solving with the read-back (:mod:`~stretto.solver.tonal.chorale_solve`).
"""

from __future__ import annotations

from typing import Sequence

from stretto.pitch import Pitch

from stretto.solver.tonal.chorale_problem import (ALL_CADENCES, SATB_RANGES, Canon,
    ChoraleSolution, HarmonyProblem, VoicePart, canon_pairs, chorale_melodic_ok,
    chorale_rules_hash)
from stretto.solver.tonal.chorale_rules import RulesMixin
from stretto.solver.tonal.chorale_solve import SolveMixin
from stretto.solver.tonal.chorale_style import StyleMixin
from stretto.solver.tonal.chorale_voicing import VoicingMixin
from stretto.harmony import local_vocabulary, pitch_class_name, progression_graph, vocabulary
from stretto.solver.cpsat.model import ScoreModel, Universe


class ChoraleModel(VoicingMixin, RulesMixin, StyleMixin, SolveMixin):
    """Builds the CP-SAT model for a :class:`HarmonyProblem`."""

    def __init__(self, prob: HarmonyProblem, slot_names: Sequence[str] | None = None, *,
                 waivers: frozenset = frozenset()) -> None:
        """``waivers``: the composer's waived places by chord slot (solver/cpsat/waivers.py);
        a model with waivers is not a chain (solver/tonal/chain_edit.py)."""
        self.prob = prob
        self.slot_names = list(slot_names) if slot_names else None
        key = prob.key
        others = []
        for ks in prob.keys_at:
            others += [k for k in ks if k != key and k not in others]
        self.keys = [key] + others
        style = prob.style  # the harmonic style: the vocabulary (stretto.harmony)
        home = vocabulary(key, style)
        self.vocab = tuple(home) + tuple(c for k in others for c in local_vocabulary(k, style))
        self.vkey = [0] * len(home) + [1 + i for i, k in enumerate(others)
                                       for _ in local_vocabulary(k, style)]
        self.graph = progression_graph(key, style)
        self.graphs = [progression_graph(k, style) for k in self.keys]
        self._readings = [{frozenset(x for x in c.tones if x is not None): c.figure
                           for c in vocabulary(k, style) if c.function != "F"}
                          for k in self.keys]
        self._edges: dict = {}
        self.appo = {(v, t): p for v, t, p in prob.appoggiaturas}
        self.tail = {(v, t): p for v, t, p in prob.tails if prob.voices[v].fixed is not None
                     and p != prob.voices[v].fixed[t]}
        classes: list[tuple[int, int]] = []
        for ch in self.vocab:
            for t in ch.tones:
                if t is not None and t not in classes:
                    classes.append(t)
        self.classes = classes
        low = min(v.low.midi for v in prob.voices)
        high = max(v.high.midi for v in prob.voices)
        pitches = []
        for octave in range(0, 9):
            for step, alter in classes:
                p = Pitch(octave, step, alter)
                if low <= p.midi <= high:
                    pitches.append(p)
        for v in prob.voices:
            for p in v.fixed or ():
                if p is not None and p not in pitches:
                    pitches.append(p)
        for _, _, p in prob.pins + prob.appoggiaturas:
            if p not in pitches:
                pitches.append(p)
        self.pinned = {(v, t): p for v, t, p in prob.pins}
        self.P = sorted(set(pitches), key=lambda p: (p.midi, p.diatonic))
        import numpy as np

        self.P_midi = np.array([p.midi for p in self.P], dtype=np.int64)
        self.P_dia = np.array([p.diatonic for p in self.P], dtype=np.int64)
        self.sm = ScoreModel(Universe(tuple(self.P)), key.church_mode, max(1, prob.slots))
        self.m = self.sm.m
        self.sm.waivers = waivers
        self._build()

    # ------------------------------------------------------------------ helpers
    def _bool(self, name: str):
        return self.m.NewBoolVar(name)

    def sounded(self, v: int, t: int) -> Pitch | None:
        """A given voice's note at slot ``t``'s onset, as written (an appoggiatura, not its
        resolution); None for a voice the solver writes."""
        given = self.prob.voices[v].fixed
        return None if given is None else given[t]

    def last_given(self, v: int, t: int) -> Pitch | None:
        """A given voice's last note before slot ``t + 1`` (a note between the beats, or the
        one at ``t``'s onset held through); None for a voice the solver writes. Voice leading
        into slot ``t + 1`` is judged from it."""
        given = self.prob.voices[v].fixed
        return None if given is None else self.tail.get((v, t), given[t])

    def _where(self, t: int) -> str:
        return self.slot_names[t] if self.slot_names else f"beat {t + 1}"

    def _build(self) -> None:
        """Variables and voicing tables, then the rules and preferences, in a fixed order
        (the order of creation is part of the deterministic answer)."""
        self.V, self.T = len(self.prob.voices), self.prob.slots
        # each step's helper literals are named after it ("resolutions: and") unless a rule
        # inside names them more closely
        for name, step in (("chords", self._chords), ("voicings", self._voices),
                           ("progression", self._progression), ("cadences", self._cadences),
                           ("vertical", self._vertical), ("melodic", self._melodic),
                           ("held notes", self._holds), ("resolutions", self._resolutions),
                           ("canons", self._canons), ("preferences", self._preferences)):
            with self.sm.naming(name):
                step()


__all__ = ["ALL_CADENCES", "Canon", "ChoraleModel", "ChoraleSolution", "HarmonyProblem",
           "SATB_RANGES", "VoicePart", "canon_pairs", "chorale_melodic_ok", "pitch_class_name",
           "chorale_rules_hash"]
