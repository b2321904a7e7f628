"""Faults planted in Fux's own solutions are caught, under the right rule name and at the right
bar, and nothing else is reported: the checker sees exactly the one wound.

Each figure used here breaks no hard rule as Fux wrote it (checked first), under the default,
strict settings.
"""

from __future__ import annotations

import pytest
from check_scores import hard_at, set_pitch

# (figure, voice, bar, beat, new pitch, expected {(rule, bar)}, what it plants)
PLANTED = [
    ("5", "Upper", 3, 1, "B4", {("parallel-perfect", 4)},
     "B4 over E4 then A4 over D4: parallel fifths"),
    ("33", "Upper", 1, 3, "C5", {("dissonance-treatment", 1)},
     "C5 over D4 on the weak half, reached and left by leap"),
    ("33", "Upper", 4, 1, "C5", {("consonance", 4)},
     "C5 over D4 on the downbeat, a seventh"),
    ("11", "Upper", 10, 1, "G4", {("cadence", 10)},
     "the last note G4 over the final E4: ends on a third, without the clausula vera"),
    ("56", "Lower", 9, 4, "Bb3", {("melodic-interval", 10)},
     "Bb3 rising to C#4: an augmented second"),
    ("13", "Upper", 4, 1, "A4", {("melodic-interval", 4)},
     "C4 leaping up to A4: a major sixth"),
    ("73", "Upper", 3, 3, "F5", {("suspension", 3)},
     "the seventh D5 tied over E4 rises to F5 instead of falling to C5"),
    ("12", "Lower", 5, 1, "C4", {("crossing", 5)},
     "the lower counterpoint rises to C4, above the cantus' A3"),
    ("33", "Upper", 9, 1, "C5", {("downbeat-parallels", 10)},
     "C5 over F4 and B4 over E4 on successive downbeats, only a third leap between"),
    ("40", "Upper", 11, 1, "F5", {("leap-span", 11)},
     "E4 C5 F5: two leaps up spanning a ninth"),
    ("35", "Lower", 3, 1, "C#4", {("ficta", 3)},
     "a raised leading tone C#4 that falls to A3"),
]


@pytest.mark.parametrize("figure,voice,bar,beat,pitch,expected,what", PLANTED,
                         ids=[f"{p[0]}-{sorted(p[5])[0][0]}" for p in PLANTED])
def test_planted_fault_is_caught(gradus, figure, voice, bar, beat, pitch, expected, what):
    _, piece = gradus[figure]
    assert hard_at(piece) == set(), f"Fux's figure {figure} should be clean before planting"
    planted = set_pitch(piece, voice, bar, beat, pitch)
    assert hard_at(planted) == expected, what
