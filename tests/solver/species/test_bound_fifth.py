"""The chain relaxation of fifth species in two voices (stretto.solver.bound_fifth) against the
CP-SAT model: model-accepted scores (CP-SAT's own, sampled chain paths the model confirms,
scores the model finds under random objectives) are paths of the chain, priced rule by rule as
the model prices them; the optimum is the one CP-SAT alone proves."""

from __future__ import annotations

import numpy as np
import pytest
from ortools.sat.python import cp_model

from stretto.solver.species import bounds as bound
from stretto.solver.species import engine
from stretto.solver.species.bounds import fifth as bound_fifth
from stretto.solver.species.engine import (_plain_rhythm_first, build_hard, build_model,
    solve_species)
from stretto.solver.cpsat.solving import solver_for
from stretto.solver.cpsat.model import GRID
from stretto.solver.cpsat.settings import SolveSettings
from stretto.solver.species.spec import SpeciesSpec
from stretto.corpora import load_cantus
from test_bound import (CHAIN_RULES_2, _sampled_paths, _spec, assert_same_optimum,
                        compare_prices)

pytestmark = pytest.mark.slow  # fifth-species chain priced against the CP-SAT model

# The preferences the relaxation prices exactly (the others cost 0 there).
CHAIN_RULES_5 = CHAIN_RULES_2 + ("florid-rhythm",)
CASES_5 = {f"{name.removeprefix('fux-')}-{where}": (name, 2, cv, 5)
           for name, places in (("fux-dorian", ("below", "above")), ("fux-phrygian", ("above",)),
                                ("fux-mixolydian", ("below",)))
           for where, cv in (("below", 1), ("above", 0)) if where in places}


def _check_fifth(spec: SpeciesSpec, samples: int, model_samples: int) -> int:
    """Like test_bound._check_prices (completing walks): every model-accepted score is a chain
    path, priced as the model prices :data:`CHAIN_RULES_5`, never more than the model's whole
    objective; returns how many scores were compared."""
    sm = build_model(spec, SolveSettings())
    chain = bound.build_chain(sm, spec)
    assert chain is not None
    hard = build_hard(spec)  # the engine's first phase: any score the rules allow
    solver = solver_for(SolveSettings(time_limit=10.0))
    _plain_rhythm_first(hard, solver)
    assert solver.Solve(hard.m) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    paths = bound.shortest_paths(chain)
    walks = [list(paths.best)] + _sampled_paths(chain, samples, seed=1, paths=paths)
    first = bound.score_rows(sm, chain, lambda x: solver.Value(
        hard.m.GetIntVarFromProtoIndex(x.Index())))
    accepted = [w for w in walks if compare_prices(
        sm, chain, [list(chain.chords[b][j]) for b, j in enumerate(w)], CHAIN_RULES_5)]
    near = _model_scores_near(sm, chain, accepted, model_samples, seed=2)
    return len(accepted) + sum(compare_prices(sm, chain, rows, CHAIN_RULES_5)
                               for rows in [first] + near)


def _model_scores_near(sm, chain: bound.Chain, walks, count: int,
                       seed: int) -> list[list[list[int]]]:
    """Scores the model finds under random linear objectives over its pitch variables, with
    the pitches of a chain path fixed but in one bar (CP-SAT alone seldom finds a
    florid score in a fraction of a second): the model chooses that bar's rhythm and pitches,
    which need not be a path the relaxation expects."""
    rng = np.random.default_rng(seed)
    out = []
    for walk in walks:
        free = int(rng.integers(1, len(walk) - 1))
        copy = sm.m.Clone()
        copy.ClearObjective()
        for bar, j in enumerate(walk):
            for k, value in enumerate(chain.chords[bar][j]):
                v, p = chain.cell(bar, k)
                x = sm.lines[v].x[p]
                if not isinstance(x, int) and bar != free and \
                        not (bar == free + 1 and k == 1):  # the pitch before a bar
                    copy.Add(copy.GetIntVarFromProtoIndex(x.Index()) == int(value))
        pitches = {x.Index() for line in sm.lines for x in line.x[free * GRID:(free + 1) * GRID]
                   if x is not None and not isinstance(x, int)}
        copy.Minimize(sum(int(rng.integers(-5, 6)) * copy.GetIntVarFromProtoIndex(i)
                          for i in sorted(pitches)))
        solver = solver_for(SolveSettings(time_limit=0.5))
        if solver.Solve(copy) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            out.append(bound.score_rows(
                sm, chain, lambda x: solver.Value(copy.GetIntVarFromProtoIndex(x.Index()))))
        if len(out) == count:
            break
    return out


@pytest.mark.parametrize("case", list(CASES_5), ids=list(CASES_5))
def test_fifth_species_relaxation_prices_scores_as_the_model_does(case: str) -> None:
    assert _check_fifth(_spec(*CASES_5[case]), 30, 3) >= 5


def test_the_bound_keeps_the_optimum_on_a_short_cantus() -> None:
    """CP-SAT alone (seconds on six bars) and on the chain bound prove the same optimum."""
    cantus, mode = load_cantus("fux-dorian")
    spec = SpeciesSpec(cantus=tuple(cantus[-6:]), mode=mode, species=(5,), cantus_voice=1)
    assert_same_optimum(spec, 30.0)


def test_fifth_species_proved_optimal() -> None:
    """Fux's dorian cantus, counterpoint below: proved optimal, the bound meeting the
    objective (before the chain: the time limit, a bound near 0)."""
    result = solve_species(_spec("fux-dorian", 2, 1, 5), SolveSettings(time_limit=10.0,
                                                                         workers=1))
    assert result.status == "optimal"
    assert result.bound == result.objective


def test_without_a_chain_the_two_phases_solve(monkeypatch) -> None:
    """A bar with too many chords to enumerate (wide custom ranges) skips the chain: the
    engine then hands the problem to its two phases (a first score, then the preferences)."""
    monkeypatch.setattr(bound_fifth, "MAX_FLORID", 1)
    spec = _spec("fux-dorian", 2, 1, 5)
    assert bound.build_chain(build_model(spec, SolveSettings()), spec) is None
    assert engine._solve_on_chain(spec, SolveSettings()) is None
