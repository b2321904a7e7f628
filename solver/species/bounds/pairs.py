"""What every two-voice chain (:mod:`~stretto.solver.species.bounds.second`,
:mod:`~stretto.solver.species.bounds.third`, :mod:`~stretto.solver.species.bounds.fourth`,
:mod:`~stretto.solver.species.bounds.fifth`) reads off the model: the two lines, and the tables over
the universe's pitches that their restated rules index (interval classes, melodic intervals,
false relations, ficta flags, suspensions), computed once in :func:`two_voices`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from stretto.solver.species.bounds.chain import MAX_CHORDS, PERFECT, pair_tables
from stretto.solver.species.dissonance import suspension_interval
from stretto.solver.species.melodic import outlines_tritone
from stretto.solver.cpsat.model import DISS, GRID, P4, TRITONE, LineVars, ScoreModel
from stretto.solver.species.spec import SpeciesSpec

DISSONANT = (DISS, P4, TRITONE)  # in two voices no third voice makes a fourth consonant


@dataclass(frozen=True)
class TwoVoices:
    """The counterpoint ``cp`` and the cantus ``cf``, whether the counterpoint is above, its
    pitch domain, the cantus pitch per bar; the spec's ``weight`` and ``crossing``; and, over
    universe indices, ``ic`` (interval classes), ``mel`` (allowed melodic intervals),
    ``false_rel``, ``dia`` (letter steps), ``step`` (letter), per pitch ``raised_lt``,
    ``raised_3``, ``flat`` (ficta), ``natural7``, ``on_final``, per pair ``tritone``,
    ``perfect``, ``dissonant`` and ``susp`` (a suspension Fux allows, the first pitch held
    against the second)."""

    cp: LineVars
    cf: LineVars
    above: bool
    dom: np.ndarray
    cantus: list[int]
    weight: Callable[[str], int]
    crossing: bool
    ic: np.ndarray
    mel: np.ndarray
    false_rel: np.ndarray
    dia: np.ndarray
    step: np.ndarray
    raised_lt: np.ndarray
    raised_3: np.ndarray
    flat: np.ndarray
    natural7: np.ndarray
    on_final: np.ndarray
    tritone: np.ndarray
    perfect: np.ndarray
    dissonant: np.ndarray
    susp: np.ndarray

    def under(self, x, c):
        """x is on the counterpoint's side of (or equal to) the cantus pitch c (crossing)."""
        return x >= c if self.above else x <= c

    def passing(self, x0, x1, x2) -> np.ndarray:
        """x1 is a passing note between x0 and x2: a step in, a step on the same way
        (:func:`~stretto.solver.species.dissonance._passing`)."""
        d1, d2 = self.dia[x1] - self.dia[x0], self.dia[x2] - self.dia[x1]
        return (np.abs(d1) == 1) & (d2 == d1)

    def neighbour(self, x0, x1, x2) -> np.ndarray:
        """x1 is a neighbour note between x0 and x2: a step away and the same step back."""
        d1, d2 = self.dia[x1] - self.dia[x0], self.dia[x2] - self.dia[x1]
        return (np.abs(d1) == 1) & (d2 == -d1)

    def cambiata(self, x0, x1, x2, x3) -> np.ndarray:
        """Fux's nota cambiata on x1: a step down into it, a third down, then a step up
        (:func:`~stretto.solver.species.dissonance._cambiata`)."""
        dia = self.dia
        return (dia[x1] - dia[x0] == -1) & (dia[x2] - dia[x1] == -2) & (dia[x3] - dia[x2] == 1)

    def triple(self, x0, x1, x2) -> np.ndarray:
        """Three successive notes of the counterpoint (universe indices, broadcast): ``inf``
        where they break ``leap-span`` (two leaps one way beyond an octave), else what
        ``leap-recovery`` and ``outlined-tritone`` charge for them
        (:mod:`stretto.solver.species.melodic`)."""
        dia, w = self.dia, self.weight
        d1, d2 = dia[x1] - dia[x0], dia[x2] - dia[x1]
        span = ((d1 >= 2) & (d2 >= 2) & (d1 + d2 > 7)) | \
            ((d1 <= -2) & (d2 <= -2) & (d1 + d2 < -7))
        unrecovered = ((d1 >= 3) & ~((d2 >= -2) & (d2 <= -1))) | \
            ((d1 <= -3) & ~((d2 >= 1) & (d2 <= 2)))
        same = ((d1 > 0) & (d2 > 0)) | ((d1 < 0) & (d2 < 0))
        cost = w("leap-recovery") * unrecovered + \
            w("outlined-tritone") * (self.tritone[x0, x2] & same)
        return np.where(span, np.inf, cost)


def two_voices(sm: ScoreModel, spec: SpeciesSpec) -> TwoVoices | None:
    """The lines and tables of a two-voice model, or None when a bar's states (pairs of the
    counterpoint's pitches) would be more than :data:`~stretto.solver.species.bounds.chain.MAX_CHORDS`."""
    cp = next(line for line in sm.lines if not line.is_cantus)
    cf = next(line for line in sm.lines if line.is_cantus)
    dom = np.array(cp.domain)
    if len(dom) ** 2 > MAX_CHORDS:
        return None
    ic, mel, false_rel, dia, step, _ = pair_tables(sm)
    mode, P = sm.mode, sm.u.pitches
    kind = suspension_interval(True)
    return TwoVoices(
        cp, cf, cp.index < cf.index, dom, [cf.x[b * GRID] for b in range(sm.bars)],
        spec.weight, spec.allow_crossing, ic, mel, false_rel, dia, step,
        raised_lt=np.array([mode.is_raised_leading_tone(p) for p in P]),
        raised_3=np.array([mode.is_raised_third(p) for p in P]),
        flat=np.array([mode.is_flat_ficta(p) for p in P]),
        natural7=np.array([mode.degree(p) == 7 and mode.is_diatonic(p) for p in P]),
        on_final=step == mode.final_step,
        tritone=np.array([[outlines_tritone(a, b) for b in P] for a in P]),
        perfect=np.isin(ic, PERFECT), dissonant=np.isin(ic, DISSONANT),
        susp=np.array([[kind(a, b) for b in P] for a in P]))
