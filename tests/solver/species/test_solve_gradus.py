"""Fux's own exercises: the same cantus, placement and species as in Gradus ad Parnassum.

Every figure of the dataset (two, three and four voices) is solved again by the engine and the
solution must pass the checker. The objective is switched off here to keep CI short (the
guarantee is about the hard rules); bench/species_bench.py solves them with the objective.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stretto.check import check, hard
from stretto.solver import SolveSettings, SpeciesSpec, solve_species
from support import FUX_ROOT

SHARED = FUX_ROOT
pytestmark = [pytest.mark.slow,  # Fux's 122 exercises solved (minutes)
              pytest.mark.skipif(not SHARED.is_dir(),
                                reason="../shared/datasets/fux-gradus is absent (developer data)")]


def _figures():
    if not SHARED.is_dir():
        return []
    from stretto.corpora.gradus import gradus_figures
    return gradus_figures(SHARED)


@pytest.mark.parametrize("fig", _figures(), ids=lambda f: f"{f.part}-{f.key or f.figure}")
def test_fux_exercise_is_solved_without_violation(fig) -> None:
    from stretto.corpora.gradus import load_figure

    piece = load_figure(fig)
    cantus = piece.voices[fig.cantus_voice].sounding()
    spec = SpeciesSpec(cantus=tuple(n.pitch for n in cantus), mode=piece.mode,
                       species=fig.species, cantus_voice=fig.cantus_voice)
    result = solve_species(spec, SolveSettings(time_limit=10.0, objective=False))
    assert result.status == "feasible", result.status
    violations = hard(check(result.piece))
    assert violations == [], "\n".join(f"{v.rule} bar {v.bar}: {v.message}" for v in violations)
