"""Minimal-conflict search for any guarded CP-SAT model: when the composer's constraints and the
rules cannot all hold, shrink the guarded groups to a minimal set that still admits no score."""

from __future__ import annotations

from dataclasses import replace

from ortools.sat.python import cp_model

from stretto.solver.cpsat.model import ScoreModel
from stretto.solver.cpsat.settings import SolveSettings
from stretto.solver.cpsat.solving import solver_for


def minimal_groups(sm: ScoreModel, settings: SolveSettings, order=None) -> list[str] | None:
    """Names of a minimal set of the guarded groups of ``sm`` (``sm.groups``) that cannot all
    hold together, or None when they can (or no proof was found in the time limit).

    Deletion: a member is dropped when the others, without it, still admit no solution;
    members are tried in the order of ``order(name)`` (a sort key: try first what should
    rather not be named). Each test fixes the literals (on for the members kept, off for the
    rest) in a copy of the model, so CP-SAT's presolve removes what is off - far faster here
    than solving under assumptions, which keep presolve from simplifying (7 s against 20 ms
    on a three-voice conflict)."""
    names = list(sm.groups)
    lits = [sm.groups[n] for n in names]
    limit = replace(settings, workers=1, time_limit=max(0.5, settings.time_limit / 10))

    def infeasible(keep: set[int]) -> bool:
        copy = sm.m.Clone()
        copy.ClearObjective()
        copy.ClearHints()
        for i, lit in enumerate(lits):
            copy.Add(copy.GetBoolVarFromProtoIndex(lit.Index()) == int(i in keep))
        return solver_for(limit, light=True).Solve(copy) == cp_model.INFEASIBLE

    core = set(range(len(lits)))
    if not infeasible(core):
        return None
    for i in sorted(core, key=lambda i: order(names[i]) if order else 0):
        if infeasible(core - {i}):
            core.discard(i)
    return [names[i] for i in sorted(core)]


__all__ = ["minimal_groups"]
