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
from stretto.edits import Constraint, Lock, Pin
from stretto.errors import StrettoError, Unsatisfiable
from stretto.score import Piece

from stretto.solver.tonal import chain_edit
from stretto.solver.tonal.chorale import ChoraleModel, chorale_rules_hash
from stretto.solver.tonal.chorale_explain import unsatisfiable
from stretto.solver.tonal.chorale_task import (Task, add_wish, differs, free_cells, keep_region,
    previous_slots, region_cells, slot_waivers, task_of, with_user_ranges)
from stretto.solver.cpsat.moves import moves
from stretto.solver.cpsat.region import ResolveOutcome, Region, count_changes, mark_origins
from stretto.solver.cpsat.solving import solver_for
from stretto.solver.cpsat.variants import (Alternative, RegenerateAsk, RegenerateOutcome,
                                           find_variants, parse_notes, region_notes, shortfall,
                                           variant_hash)
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
            settings: SolveSettings, *, run_id: str | None = None,
            budget: int = 0) -> ResolveOutcome:
    """Re-solve a harmonization or composition after an edit (see the module text), with up
    to ``budget`` notes changed beyond the fewest where that lowers the objective (the
    outcome's ``moves`` name them and why). Raises :class:`Unsatisfiable` naming a minimal
    set of conflicting wishes."""
    task = task_of(kind, spec)
    start = time.perf_counter()
    model = _model(task, constraints, settings)
    prev = previous_slots(task, previous)
    fail = (task, constraints, previous, None, settings)
    solver = wider = None
    method = "chain"
    if chain_edit.is_chain(model):
        rows = chain_edit.solve(model, task, constraints, prev, None, settings.objective)
        if rows is None:
            raise unsatisfiable(*fail)
        if rows is not NotImplemented:
            solver = _confirm(model, rows, settings)
            if solver is not None and budget > 0 and settings.objective:
                fewest = chain_edit.changed_cells(model, rows, prev)
                got = chain_edit.solve_budget(model, task, constraints, prev, True, fewest,
                                              budget)
                if got not in (None, NotImplemented) and got[2] is not None and \
                        got[1] < got[2]:
                    wider = _confirm(model, got[0], settings)
    if solver is None:
        method = "cp-sat"
        solver, wider = _search(model, prev, settings, fail, budget)
    out = _outcome(task, model, solver, method, settings, constraints, previous, run_id, start)
    if wider is None:
        return out
    chosen = _outcome(task, model, wider, method, settings, constraints, previous, run_id,
                      start)
    chosen.result.stats["budget"] = budget
    return replace(chosen, moves=moves(previous, out.result.piece, chosen.result.piece,
                                       out.result.stats.get("soft_costs", {}),
                                       chosen.result.stats.get("soft_costs", {})))


def regenerate(kind: str, spec: dict, constraints: tuple[Constraint, ...], previous: Piece,
               region: Region, settings: SolveSettings, *, run_id: str | None = None,
               ask: RegenerateAsk = RegenerateAsk()) -> RegenerateOutcome:
    """Different valid passages for ``region``, everything outside it unchanged: each changes
    at least ``ask.change`` of the region's free notes (not pinned, locked or the melody), is
    none of ``ask.seen``, and ``ask.options`` of them come back mutually distinct, best first.
    On a chain the exact pass enumerates them (:func:`chain_edit.variants`); otherwise CP-SAT
    (:func:`~stretto.solver.cpsat.variants.find_variants`)."""
    task = task_of(kind, spec)
    start = time.perf_counter()
    model = _model(task, constraints, settings)
    prev = previous_slots(task, previous)
    fail = (task, constraints, previous, region, settings)
    keep_region(model, task, prev, region)
    inside, loose = region_cells(model, task, region)
    held = fixed_cells(task, constraints)
    counted = sorted(c for c in inside if c not in held)
    if chain_edit.is_chain(model):
        seen = [cells_of(task, model, notes) for notes in ask.seen]
        got = chain_edit.variants(model, task, constraints, prev, (inside, loose), counted,
                                  ask.change, ask.options, seen, settings.objective)
        if got is None:
            raise _no_variant(fail, len(ask.seen))
        if got is not NotImplemented:
            paths, free, target, asked = got
            alternatives = []
            for _, rows, changed in paths:
                solver = _confirm(model, rows, settings)
                if solver is None:  # the safety net: the model refuses the chain's rows
                    break
                out = _outcome(task, model, solver, "chain", settings, constraints, previous,
                               run_id, start)
                notes = region_notes(out.result.piece, region)
                alternatives.append(Alternative(out, notes, variant_hash(notes), changed,
                                                out.result.objective))
            else:
                return RegenerateOutcome(tuple(alternatives), free, asked, shortfall(
                    target, free, asked, len(alternatives), ask.options))
    changes = [differs(model, v, t, prev[v][t]) for v, t in counted]
    _hint(model, prev)
    model.m.ClearObjective()
    if settings.objective and model.sm.penalties:
        model.m.Minimize(sum(w * e for _, w, e in model.sm.penalties))

    def solve(copy):
        solver = solver_for(replace(settings, time_limit=min(settings.time_limit,
                                                             PREFERENCE_CAP)))
        code = solver.Solve(copy)
        if code == cp_model.INFEASIBLE:
            return None
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise _no_time(settings)
        return solver

    def nogood(notes):
        cells = cells_of(task, model, notes)
        return [differs(model, v, t, model.P[cells[v, t]] if cells.get((v, t), -1) >= 0
                        else None) for v, t in sorted(inside)]

    found = find_variants(model.m, changes, region, ask, solve=solve, nogood=nogood,
                          read=lambda s: _outcome(task, model, s, "cp-sat", settings,
                                                  constraints, previous, run_id, start))
    if found is None:
        raise _no_variant(fail, len(ask.seen))
    return found


def _no_variant(fail, seen: int) -> Unsatisfiable:
    exc = unsatisfiable(*fail)
    if exc.conflicts or not seen:
        return exc
    return Unsatisfiable(f"regenerate {fail[3].describe()}: every valid variant there has been "
                         f"seen already ({seen} in the history): regenerate other bars, or undo")


def fixed_cells(task: Task, constraints) -> set[tuple[int, int]]:
    """(voice, slot) of every note a pin or lock holds: not free for a regeneration."""
    out: set[tuple[int, int]] = set()
    for c in constraints:
        if isinstance(c, Pin):
            out.add((c.voice, task.slot_at(c.bar, c.beat)))
        elif isinstance(c, Lock):
            out.update((c.voice, t) for t, _ in task.locked(c))
    return out


def cells_of(task: Task, model: ChoraleModel, notes) -> dict[tuple[int, int], int]:
    """{(voice, slot): pitch index} of a variant's notes (-1: a pitch the model lacks)."""
    out = {}
    for v, voice in parse_notes(notes).items():
        for t, a in enumerate(task.onsets):
            pitch = next((p for on, end, p in voice if on <= a < end), None)
            if pitch is not None:
                out[v, t] = model.P.index(pitch) if pitch in model.P else -1
    return out


def _outcome(task: Task, model: ChoraleModel, solver, method: str, settings: SolveSettings,
             constraints, previous: Piece, run_id: str | None, start: float) -> ResolveOutcome:
    """The solver's answer as an edit's outcome: the score with its analysis, origins marked,
    changed notes counted, and the run's reproducible settings."""
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
    copy.ClearObjective()
    if settings.objective and model.sm.penalties:
        copy.Minimize(sum(w * e for _, w, e in model.sm.penalties))
    solver = solver_for(settings, light=True)
    solver.parameters.cp_model_probing_level = 0
    if solver.Solve(copy) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return solver
    return None


def _search(model: ChoraleModel, prev, settings: SolveSettings, fail, budget: int = 0):
    """CP-SAT in two stages where the chain does not apply (canons, recurrences): the fewest
    changed notes (light settings, the previous score as the hint), then the preferences with
    no more changes than that, for at most PREFERENCE_CAP deterministic seconds (the first
    stage's answer is the hint, so the cap only costs polish; the run records it). With a
    ``budget``, a third stage allows that many more changes where they lower the objective:
    (the solver, the third stage's solver or None)."""
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
    fewest = round(first.ObjectiveValue())
    limit = model.m.Add(sum(changes) <= fewest)
    decisions = [(x, first.Value(x)) for v, t in free_cells(model)
                 for x in (model.x[v][t],)] + [(c, first.Value(c)) for c in model.c]
    model.m.ClearHints()
    for var, value in decisions:
        model.m.AddHint(var, value)
    model.m.ClearObjective()
    prefs = sum(w * e for _, w, e in model.sm.penalties) if settings.objective and \
        model.sm.penalties else None
    if prefs is not None:
        model.m.Minimize(prefs)
    budget_s = settings.time_limit
    left = max(budget_s - used, budget_s / 4)
    capped = replace(settings, time_limit=min(left, PREFERENCE_CAP))
    second = solver_for(capped)
    code = second.Solve(model.m)
    if code == cp_model.INFEASIBLE:
        raise unsatisfiable(*fail)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise _no_time(settings)
    if budget <= 0 or prefs is None:
        return second, None
    wide = model.m.Clone()
    domain = wide.Proto().constraints[limit.Index()].linear.domain
    domain[len(domain) - 1] = domain[len(domain) - 1] + budget
    wide.Minimize(prefs * (fewest + budget + 1) + sum(changes))
    wide.ClearHints()
    for var, _ in decisions:
        wide.AddHint(var, second.Value(var))
    third = solver_for(capped)
    if third.Solve(wide) in (cp_model.OPTIMAL, cp_model.FEASIBLE) and \
            third.Value(prefs) < second.ObjectiveValue():
        return second, third
    return second, None


def score_of(task: Task, sol, stats: dict, previous: Piece | None = None) -> Piece:
    """The score of a solution with its Roman-numeral analysis, as harmonize and compose
    write it (the melody voice of ``previous`` kept as it is)."""
    recorded = {k: v for k, v in stats.items() if k not in TIMING}
    if task.kind == "harmonize":
        from stretto.solver.tonal.harmonize import build_piece

        return build_piece(task.data, task.prob.key, list(task.onsets), list(task.ends), sol,
                           recorded, list(task.names),
                           ornament=bool(task.spec.get("ornament")),
                           rhythm=task.spec.get("rhythm", "chords"),
                           title=previous.title if previous is not None else None,
                           melody_voice=previous.voices[0] if previous is not None else None,
                           previous=previous)
    from stretto.solver.tonal.form import build_problem, form_piece

    return form_piece(task.data, build_problem(task.data), sol, recorded, previous)


def _no_time(settings: SolveSettings) -> StrettoError:
    return StrettoError(f"no score found within the time limit ({settings.time_limit:g} s): "
                        "raise --time-limit")


# ---------------------------------------------------------------------------- explanations


__all__ = ["cells_of", "fixed_cells", "regenerate", "resolve", "score_of"]
