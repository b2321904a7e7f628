"""Shared fixtures of the solver tests: a short two-phrase tune and its harmonization."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stretto.io.melody import Melody, melody_to_dict
from stretto.pitch import Pitch
from stretto.score import Note
from stretto.solver.edit import mark_origins
from stretto.solver.harmonize import harmonize
from stretto.solver.spec import SolveSettings

# Two phrases: the rest after bar 2 beat 3 closes the first with a cadence.
TUNE = "E5 D5 C5 D5 E5 E5 E5 r D5 D5 E5 D5 C5"


def tune_melody(names: str = TUNE) -> Melody:
    """Quarter notes in 4/4 (``r`` a rest), the melody voice of a harmonization."""
    notes = [Note(id=f"v0n{k}", pitch=Pitch.parse(n), onset=Fraction(k), duration=Fraction(1),
                  origin="human") for k, n in enumerate(names.split()) if n != "r"]
    return Melody(notes=tuple(notes), meter="4/4", fermatas=frozenset(),
                  pickup_shift=Fraction(0), title="tune")


@pytest.fixture(scope="module")
def chorale():
    """(project spec, piece) of the tune harmonized, as `stretto harmonize` saves it."""
    melody = tune_melody()
    result = harmonize(melody, SolveSettings(time_limit=3))
    spec = {"melody": melody_to_dict(melody), "key": result.stats["key"],
            "beats_per_chord": 1, "ornament": False}
    return spec, mark_origins(result.piece, (), "r1")
