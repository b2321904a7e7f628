"""Shared fixtures: Fux's figures loaded once per session, and the short tune of
:mod:`support` with its harmonization (the edit tests on harmonizations)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Triton decides between its CPU interpreter and its compiler when it is first imported; the
# kernel tests run in the interpreter, so it is chosen before any test module can import it.
os.environ.setdefault("TRITON_INTERPRET", "1")

from support import FUX_MISSING, FUX_ROOT, fux_available, tune_melody


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


@pytest.fixture(scope="module")
def chorale():
    """(project spec, piece) of the tune harmonized, as `stretto harmonize` saves it."""
    from stretto.io.melody import melody_to_dict
    from stretto.solver.cpsat.region import mark_origins
    from stretto.solver.tonal.harmonize import harmonize
    from stretto.solver.cpsat.settings import SolveSettings

    melody = tune_melody()
    result = harmonize(melody, SolveSettings(time_limit=3))
    spec = {"melody": melody_to_dict(melody), "key": result.stats["key"],
            "beats_per_chord": 1, "ornament": False}
    return spec, mark_origins(result.piece, (), "r1")
