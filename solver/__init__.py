"""stretto.solver: the CP-SAT engine that writes counterpoint and guarantees the rules.

Three subsystems over one shared layer, dependencies pointing one way (``species`` and
``tonal`` import ``cpsat``; neither imports the other; ``cpsat`` imports neither):

* :mod:`stretto.solver.cpsat` - the shared CP-SAT layer: the score model with its variables
  (:mod:`~stretto.solver.cpsat.model`), solver settings and results, one reproducible solver,
  a regenerate :class:`~stretto.solver.cpsat.region.Region` and who owns each note, and the
  minimal-conflict search;
* :mod:`stretto.solver.species` - Fux's species (spec, the rules as textbook chapters, solve,
  edit);
* :mod:`stretto.solver.species.bounds` - the chain bounds that prove the florid species optimal, behind
  a declared interface and an explicit registry;
* :mod:`stretto.solver.tonal` - the chorale model, harmonization, form plans and fugue (their
  music theory is the core's :mod:`stretto.harmony`).

The names below load lazily: importing ``stretto.solver`` or ``stretto.solver.species.spec``
loads neither OR-Tools nor music21; the engine loads on first use.
"""

from __future__ import annotations

from importlib import import_module

_LAZY = {"build_model": "stretto.solver.species.engine",
         "solve_species": "stretto.solver.species.engine",
         "SolveResult": "stretto.solver.cpsat.settings",
         "SolveSettings": "stretto.solver.cpsat.settings",
         "SpeciesSpec": "stretto.solver.species.spec"}

__all__ = ["SolveResult", "SolveSettings", "SpeciesSpec", "build_model", "solve_species"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'stretto.solver' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
