"""One CP-SAT solver for every model stretto builds, with the reproducible parameters, and the
objective every model minimises (its soft rules' weighted terms).

Reproducibility: CP-SAT runs with a fixed ``random_seed``; the time limit is a *deterministic*
time limit (work units, not seconds; a wall-clock limit of ten times as long is only a safety
net, recorded if it fires); several workers use interleaved search, which is deterministic.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from stretto.solver.cpsat.model import ScoreModel
from stretto.solver.cpsat.settings import SolveSettings

SCALE = 10  # objective units per unit of a soft rule's weight
WALL_FACTOR = 10  # wall-clock safety net, in multiples of the deterministic limit (CP-SAT's
# work units run up to ~6x slower than seconds on the four-voice models here; the net must not
# fire in normal runs, or the result would depend on machine load)


def objective_of(sm: ScoreModel) -> cp_model.LinearExprT:
    """The objective: every soft rule's weighted terms, in units of 1/SCALE of a weight."""
    return sum(SCALE * weight * expr for _, weight, expr in sm.penalties)


def solver_for(settings: SolveSettings, *, optimise: bool = False,
               light: bool = False) -> cp_model.CpSolver:
    """A CP-SAT solver with the reproducible parameters (seed, workers, deterministic time).
    ``optimise``: core-based search, which proves the florid species' objectives optimal far
    more often than the default in the benchmark. ``light``: no LP relaxation
    (``linearization_level=0``), one presolve pass and no symmetry detection: fastest on
    first-species models, where presolve is most of the work (two voices: 82 -> about 50 ms
    median; three voices 6.8 -> 4.3 s to the limit; same or better objectives)."""
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.random_seed = settings.seed
    p.num_workers = settings.workers
    if settings.workers > 1:
        p.interleave_search = True
    if optimise:
        p.optimize_with_core = True
    if light:
        p.linearization_level = 0
        p.max_presolve_iterations = 1
        p.symmetry_level = 0
    p.max_deterministic_time = settings.time_limit
    p.max_time_in_seconds = WALL_FACTOR * settings.time_limit + 1
    return solver


__all__ = ["SCALE", "WALL_FACTOR", "objective_of", "solver_for"]
