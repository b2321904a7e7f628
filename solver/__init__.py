"""stretto.solver: the CP-SAT engine that writes counterpoint and guarantees the rules.

``solve_species(spec, settings)`` solves a Fux species exercise (species 1-5, 2-4 voices, the
cantus in any voice). The names below load lazily: importing ``stretto.solver`` or
``stretto.solver.spec`` loads neither OR-Tools nor music21; the engine loads on first use.
"""

from __future__ import annotations

from importlib import import_module

_LAZY = {"build_model": "stretto.solver.engine", "solve_species": "stretto.solver.engine",
         "SolveResult": "stretto.solver.spec", "SolveSettings": "stretto.solver.spec",
         "SpeciesSpec": "stretto.solver.spec"}

__all__ = ["SolveResult", "SolveSettings", "SpeciesSpec", "build_model", "solve_species"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'stretto.solver' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
