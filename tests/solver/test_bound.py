"""The first-species chain relaxation (stretto.solver.bound) against the CP-SAT model.

The bound is only sound if every score the model allows is a path of the relaxation and the
relaxation never charges more than the model does. These tests take scores the model accepts
(from CP-SAT without the bound, and sampled paths the model confirms) and compare, rule by rule,
the two-bar costs of the relaxation with the model's own objective terms.
"""

from __future__ import annotations

import numpy as np
import pytest
from ortools.sat.python import cp_model

from stretto.corpora import load_cantus
from stretto.solver import bound, engine
from stretto.solver.engine import build_model, preference_solver, solve_species, solver_for
from stretto.solver.model import GRID
from stretto.solver.spec import SolveSettings, SpeciesSpec

# The preferences the relaxation prices exactly (all the others cost 0 there).
CHAIN_RULES = ("imperfect-preferred", "contrary-motion", "steps-over-leaps", "repeated-notes",
               "complete-harmony", "ficta-sparingly", "parallel-imperfect-run")

CASES = {
    "dorian-2v-below": ("fux-dorian", 2, 1),
    "phrygian-2v-above": ("fux-phrygian", 2, 0),
    "lydian-3v-bottom": ("fux-lydian", 3, 2),
    "aeolian-4v-inner": ("fux-aeolian", 4, 2),
    "mixolydian-4v-bottom": ("fux-mixolydian", 4, 3),
    "ionian-4v-top": ("fux-ionian", 4, 0),
}


def _spec(name: str, voices: int, cantus_voice: int) -> SpeciesSpec:
    cantus, mode = load_cantus(name)
    return SpeciesSpec(cantus=tuple(cantus), mode=mode, species=(1,) * (voices - 1),
                       cantus_voice=cantus_voice)


def _model_costs(sm, path_rows) -> dict[str, int] | None:
    """The model's own soft costs of the score with these pitches per bar (None: the model
    rejects it)."""
    copy = sm.m.Clone()
    for bar, row in enumerate(path_rows):
        for line, value in zip(sm.lines, row):
            x = line.x[bar * GRID]
            if not isinstance(x, int):
                copy.Add(copy.GetIntVarFromProtoIndex(x.Index()) == int(value))
    solver = solver_for(SolveSettings(time_limit=5.0), light=True)
    if solver.Solve(copy) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    out: dict[str, int] = {}
    for name, weight, expr in sm.penalties:
        value = expr if isinstance(expr, int) else solver.Value(expr)
        out[name] = out.get(name, 0) + weight * value
    return out


def _sampled_paths(chain: bound.Chain, count: int, seed: int) -> list[list[int]]:
    """Random walks through the chain's allowed moves (a fixed seed)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count * 20):
        path = [int(rng.integers(len(chain.chords[0])))]
        for m in chain.moves:
            options = np.nonzero(np.isfinite(m[path[-1]]))[0]
            if len(options) == 0:
                break
            path.append(int(rng.choice(options)))
        if len(path) == len(chain.chords):
            out.append(path)
        if len(out) == count:
            break
    return out


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_relaxation_prices_scores_as_the_model_does(case: str) -> None:
    spec = _spec(*CASES[case])
    sm = build_model(spec, SolveSettings())
    chain = bound.build_chain(sm, spec)
    assert chain is not None
    # Scores the model accepts: CP-SAT's own answer without the bound, and sampled paths.
    solver = preference_solver(spec, SolveSettings(time_limit=1.0))
    assert solver.Solve(sm.m) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    rows = [[solver.Value(line.x[b * GRID]) if not isinstance(line.x[b * GRID], int)
             else line.x[b * GRID] for line in sm.lines] for b in range(sm.bars)]
    scores = [rows] + [[list(chain.chords[b][j]) for b, j in enumerate(path)]
                       for path in _sampled_paths(chain, 40, seed=1)]
    compared = 0
    for rows in scores:
        costs = _model_costs(sm, rows)
        if costs is None:
            continue  # a rule spanning more bars than two rejects it: not the chain's business
        path = bound.locate(chain, rows)
        assert path is not None, "the relaxation lacks a chord the model allows"
        relaxed = bound.path_cost(chain, path)
        assert np.isfinite(relaxed), "the relaxation forbids a move the model allows"
        assert relaxed == sum(costs.get(r, 0) for r in CHAIN_RULES)
        assert relaxed <= sum(costs.values())
        compared += 1
    assert compared >= 2


@pytest.mark.parametrize("case", ["dorian-2v-below", "phrygian-2v-above", "lydian-3v-bottom"])
def test_the_bound_keeps_the_optimum(case: str) -> None:
    """With and without the chain bound CP-SAT proves the same optimal objective."""
    spec = _spec(*CASES[case])
    settings = SolveSettings(time_limit=20.0)
    sm = build_model(spec, settings)
    plain = preference_solver(spec, settings)
    assert plain.Solve(sm.m) == cp_model.OPTIMAL
    result = solve_species(spec, settings)
    assert result.status == "optimal"
    assert result.objective == plain.ObjectiveValue() / engine.SCALE


def test_four_voices_on_fourteen_notes_proved_optimal() -> None:
    """The issue's case: four voices over Fux's 14-note mixolydian cantus, proved optimal
    (before the bound it ran to the time limit with a bound near 0)."""
    result = solve_species(_spec("fux-mixolydian", 4, 3), SolveSettings(time_limit=10.0))
    assert result.status == "optimal"
    assert result.bound == result.objective


def test_out_of_time_still_gives_a_score_and_a_true_bound() -> None:
    spec = _spec("fux-aeolian", 4, 2)
    result = solve_species(spec, SolveSettings(time_limit=0.05))
    assert result.status == "feasible"
    assert result.bound <= result.objective
    sm = build_model(spec, SolveSettings())
    paths = bound.shortest_paths(bound.build_chain(sm, spec))
    assert result.bound >= paths.lower
