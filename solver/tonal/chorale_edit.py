"""Editing harmonizations and compositions: the composer's pins, locks and rules on the
chorale model, the minimal-change re-solve, regenerating a region, and conflict explanations
that name a minimal set of wishes.

A project written by ``stretto harmonize`` or ``stretto compose`` keeps its input in
``score.json`` (the melody as data, or the form plan's TOML as data, with the key and the
settings), so :func:`task_of` rebuilds the same :class:`~stretto.solver.tonal.chorale.HarmonyProblem`
without any outside file. Positions are chord slots: a pin at bar B beat K applies to the
slot whose chord sounds then (beats are quarter notes from 1, as for species projects).

* :func:`resolve` keeps what the composer fixed (the given melody never changes; pins and
  locks hold) and changes as few other notes as the rules allow: first the number of changed
  slot notes is minimised with the previous score as the hint, then, with no more changes than
  that, the style preferences. The Roman-numeral analysis is written again from the result.
  Where the model is a chain (no canon or recurrence), both stages are one exact pass of
  :mod:`stretto.solver.tonal.chain_edit`, confirmed by CP-SAT; otherwise CP-SAT searches, the
  preference stage capped at :data:`PREFERENCE_CAP`.
* :func:`regenerate` finds a different passage in some bars - for one voice, or for every
  voice the solver writes (:class:`~stretto.solver.cpsat.region.Region` with no voice) -, all else
  kept.
* When the wishes cannot all hold, :mod:`stretto.solver.tonal.chorale_explain` names a minimal
  set of them; the problem and the wishes themselves are :mod:`stretto.solver.tonal.chorale_task`.
"""

from __future__ import annotations

import time
from dataclasses import replace

from ortools.sat.python import cp_model

from stretto import __version__
from stretto.edits import Constraint
from stretto.errors import StrettoError, Unsatisfiable
from stretto.score import Piece

from stretto.solver.tonal import chain_edit
from stretto.solver.tonal.chorale import ChoraleModel, chorale_rules_hash
from stretto.solver.tonal.chorale_explain import unsatisfiable
from stretto.solver.tonal.chorale_task import (Task, add_wish, differs, free_cells, keep_region,
    previous_slots, region_cells, slot_waivers, task_of, with_user_ranges)
from stretto.solver.cpsat.region import ResolveOutcome, Region, count_changes, mark_origins
from stretto.solver.cpsat.solving import solver_for
from stretto.solver.cpsat.settings import SolveResult, SolveSettings

TIMING = ("solve_time", "deterministic_time")
PREFERENCE_CAP = 2.0  # deterministic seconds for the preference stage of a CP-SAT re-solve


def _hint(model: ChoraleModel, prev) -> None:
    model.m.ClearHints()
    for v, t in free_cells(model):
        p = prev[v][t]
        x = model.x[v][t]
        if p in model.P and model.P.index(p) in model.sm.domain_of(x):
            model.m.AddHint(x, model.P.index(p))


def _model(task: Task, constraints, settings: SolveSettings) -> ChoraleModel:
    prob = with_user_ranges(task.prob, constraints)
    try:
        model = ChoraleModel(prob, slot_names=task.names, waivers=slot_waivers(task, constraints))
    except Unsatisfiable:  # a plan that cannot hold at all (a canon out of range)
        raise unsatisfiable(task, constraints, None, None, settings) from None
    for c in constraints:
        with model.sm.group(f"user:{c.id}"):
            add_wish(model, task, c)
    return model


def resolve(kind: str, spec: dict, constraints: tuple[Constraint, ...], previous: Piece,
            settings: SolveSettings, *, run_id: str | None = None) -> ResolveOutcome:
    """Re-solve a harmonization or composition after an edit (see the module text). Raises
    :class:`Unsatisfiable` naming a minimal set of conflicting wishes."""
    return _solve(task_of(kind, spec), constraints, previous, settings, None, run_id)


def regenerate(kind: str, spec: dict, constraints: tuple[Constraint, ...], previous: Piece,
               region: Region, settings: SolveSettings, *,
               run_id: str | None = None) -> ResolveOutcome:
    """A different valid passage for ``region``, everything outside it unchanged."""
    return _solve(task_of(kind, spec), constraints, previous, settings, region, run_id)


def _solve(task: Task, constraints, previous: Piece, settings: SolveSettings,
           region: Region | None, run_id: str | None) -> ResolveOutcome:
    start = time.perf_counter()
    model = _model(task, constraints, settings)
    prev = previous_slots(task, previous)
    fail = (task, constraints, previous, region, settings)
    if region is not None:
        keep_region(model, task, prev, region)
    solver, method = None, "chain"
    if chain_edit.is_chain(model):
        cells = region_cells(model, task, region) if region is not None else None
        rows = chain_edit.solve(model, task, constraints, prev, cells, settings.objective)
        if rows is None:
            raise unsatisfiable(*fail)
        if rows is not NotImplemented:
            solver = _confirm(model, rows, settings)
    if solver is None:
        solver, method = _search(model, prev, region, settings, fail), "cp-sat"
    # the chain is exact; CP-SAT proves its optimum or stops at the preference cap
    optimal = method == "chain" or solver.response_proto.status == cp_model.OPTIMAL
    status = "optimal" if optimal and settings.objective else "feasible"
    stats = {"seed": settings.seed, "time_limit": settings.time_limit,
             "workers": settings.workers, "objective_enabled": settings.objective,
             "stretto": __version__, "rules_hash": chorale_rules_hash(),
             "voicings": model.rows_count, "status": status, "method": method,
             "solve_time": round(time.perf_counter() - start, 4),
             "key": str(task.prob.key)}
    if method == "cp-sat":
        stats["preference_time_cap"] = PREFERENCE_CAP
    sol = model.read_solution(stats, settings, solver=solver)
    piece = mark_origins(score_of(task, sol, stats, previous), constraints, run_id)
    changed, total = count_changes(previous, piece, -1 if task.given is None else task.given)
    stats["notes_changed"] = changed
    result = SolveResult(status=status, piece=piece, objective=stats.get("objective"),
                         bound=None, wall_time=stats["solve_time"], stats=stats)
    return ResolveOutcome(result=result, changed=changed, total=total)


def _confirm(model: ChoraleModel, rows: list[int], settings: SolveSettings):
    """CP-SAT on a copy of the model (every wish posted) with the chain's chords and notes
    fixed: the solver whose values are read, or None when the model rejects them (then CP-SAT
    searches; the chain and the model are meant to agree, so this is a safety net)."""
    copy = model.m.Clone()
    for t, r in enumerate(rows):
        row = model.slot_rows[t][r]
        copy.Add(copy.GetIntVarFromProtoIndex(model.c[t].Index()) == row[0])
        for v in range(model.V):
            x = model.x[v][t]
            if not isinstance(x, int):
                copy.Add(copy.GetIntVarFromProtoIndex(x.Index()) == row[1 + v])
    if settings.objective and model.sm.penalties:
        copy.Minimize(sum(w * e for _, w, e in model.sm.penalties))
    solver = solver_for(settings, light=True)
    solver.parameters.cp_model_probing_level = 0
    if solver.Solve(copy) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return solver
    return None


def _search(model: ChoraleModel, prev, region: Region | None, settings: SolveSettings,
            fail) -> cp_model.CpSolver:
    """CP-SAT in two stages where the chain does not apply (canons, recurrences): the fewest
    changed notes (light settings, the previous score as the hint), then the preferences with
    no more changes than that, for at most PREFERENCE_CAP deterministic seconds (the first
    stage's answer is the hint, so the cap only costs polish; the run records it)."""
    used = 0.0
    if region is None:
        changes = [d for v, t in free_cells(model) if (d := differs(model, v, t, prev[v][t]))
                   is not False]
        changes = [1 if d is True else d for d in changes]
        model.m.Minimize(sum(changes))
        _hint(model, prev)
        first = solver_for(settings, light=True)
        code = first.Solve(model.m)
        if code == cp_model.INFEASIBLE:
            raise unsatisfiable(*fail)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise _no_time(settings)
        used = first.response_proto.deterministic_time
        model.m.Add(sum(changes) <= round(first.ObjectiveValue()))
        decisions = [(x, first.Value(x)) for v, t in free_cells(model)
                     for x in (model.x[v][t],)] + [(c, first.Value(c)) for c in model.c]
        model.m.ClearHints()
        for var, value in decisions:
            model.m.AddHint(var, value)
    else:
        _hint(model, prev)
    model.m.ClearObjective()
    if settings.objective and model.sm.penalties:
        model.m.Minimize(sum(w * e for _, w, e in model.sm.penalties))
    budget = settings.time_limit
    left = max(budget - used, budget / 4)
    second = solver_for(replace(settings, time_limit=min(left, PREFERENCE_CAP)))
    code = second.Solve(model.m)
    if code == cp_model.INFEASIBLE:
        raise unsatisfiable(*fail)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise _no_time(settings)
    return second


def score_of(task: Task, sol, stats: dict, previous: Piece | None = None) -> Piece:
    """The score of a solution with its Roman-numeral analysis, as harmonize and compose
    write it (the melody voice of ``previous`` kept as it is)."""
    recorded = {k: v for k, v in stats.items() if k not in TIMING}
    if task.kind == "harmonize":
        from stretto.solver.tonal.harmonize import build_piece

        return build_piece(task.data, task.prob.key, list(task.onsets), list(task.ends), sol,
                           recorded, list(task.names),
                           ornament=bool(task.spec.get("ornament")),
                           title=previous.title if previous is not None else None,
                           melody_voice=previous.voices[0] if previous is not None else None)
    from stretto.solver.tonal.form import build_problem, form_piece

    return form_piece(task.data, build_problem(task.data), sol, recorded)


def _no_time(settings: SolveSettings) -> StrettoError:
    return StrettoError(f"no score found within the time limit ({settings.time_limit:g} s): "
                        "raise --time-limit")


# ---------------------------------------------------------------------------- explanations


__all__ = ["regenerate", "resolve", "score_of"]
