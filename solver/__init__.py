"""stretto.solver: the CP-SAT engine that writes counterpoint and guarantees the rules.

``solve_species(spec, settings)`` solves a Fux species exercise (species 1-5, 2-4 voices, the
cantus in any voice). OR-Tools is imported only when this package is.
"""

from stretto.solver.engine import build_model, solve_species
from stretto.solver.spec import SolveResult, SolveSettings, SpeciesSpec

__all__ = ["SolveResult", "SolveSettings", "SpeciesSpec", "build_model", "solve_species"]
