"""Shared fixtures: where the shared datasets live, Fux's figures loaded once per session, and
a short two-phrase tune with its harmonization (the edit tests on harmonizations)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from stretto.io.melody import Melody

# shared/ sits beside the checkout (../shared), with the datasets under it.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FUX_ROOT = SHARED / "datasets" / "fux-gradus"
FUX_MISSING = f"Fux dataset not found at {FUX_ROOT} (shared/ beside the checkout)"


def fux_available() -> bool:
    return (FUX_ROOT / "I" / "data.tsv").is_file() and (FUX_ROOT / "1x1").is_dir()


@pytest.fixture(scope="session")
def fux_root() -> Path:
    if not fux_available():
        pytest.skip(FUX_MISSING)
    return FUX_ROOT


@pytest.fixture(scope="session")
def gradus(fux_root):
    """Every Fux exercise as {key: (GradusFigure, Piece)}."""
    from stretto.corpora.gradus import gradus_figures, load_figure

    return {f.key: (f, load_figure(f)) for f in gradus_figures(fux_root)}


# Two phrases: the rest after bar 2 beat 3 closes the first with a cadence.
TUNE = "E5 D5 C5 D5 E5 E5 E5 r D5 D5 E5 D5 C5"


def tune_melody(names: str = TUNE) -> Melody:
    """Quarter notes in 4/4 (``r`` a rest), the melody voice of a harmonization."""
    from stretto.io.melody import Melody
    from stretto.pitch import Pitch
    from stretto.score import Note

    notes = [Note(id=f"v0n{k}", pitch=Pitch.parse(n), onset=Fraction(k), duration=Fraction(1),
                  origin="human") for k, n in enumerate(names.split()) if n != "r"]
    return Melody(notes=tuple(notes), meter="4/4", fermatas=frozenset(),
                  pickup_shift=Fraction(0), title="tune")


@pytest.fixture(scope="module")
def chorale():
    """(project spec, piece) of the tune harmonized, as `stretto harmonize` saves it."""
    from stretto.io.melody import melody_to_dict
    from stretto.solver.edit import mark_origins
    from stretto.solver.harmonize import harmonize
    from stretto.solver.spec import SolveSettings

    melody = tune_melody()
    result = harmonize(melody, SolveSettings(time_limit=3))
    spec = {"melody": melody_to_dict(melody), "key": result.stats["key"],
            "beats_per_chord": 1, "ornament": False}
    return spec, mark_origins(result.piece, (), "r1")
