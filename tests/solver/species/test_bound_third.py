"""The third-species chain relaxation (stretto.solver.bound_third) against the CP-SAT model:
model-accepted scores priced rule by rule, the optimum unchanged, every Fux problem proved."""

from __future__ import annotations

import numpy as np
import pytest

from stretto.check import check, hard
from stretto.solver.species import bounds as bound
from stretto.solver.species.engine import build_model, solve_species
from stretto.solver.cpsat.model import DISS, P4, TRITONE, interval_class
from stretto.solver.cpsat.settings import SolveSettings

from test_bound import CASES_2, CHAIN_RULES_2, _check_prices, _spec, assert_same_optimum

pytestmark = pytest.mark.slow  # third-species chain priced against the CP-SAT model

CASES_3 = {case: (name, voices, cv, 3) for case, (name, voices, cv, _) in CASES_2.items()}


@pytest.mark.parametrize("case", list(CASES_3), ids=list(CASES_3))
def test_third_species_relaxation_prices_scores_as_the_model_does(case: str) -> None:
    assert _check_prices(_spec(*CASES_3[case]), CHAIN_RULES_2, 30, completing=True,
                         model_samples=5) >= 6


@pytest.mark.parametrize("case", list(CASES_3), ids=list(CASES_3))
def test_third_species_proved_optimal(case: str) -> None:
    """Every Fux cantus, counterpoint above and below: proved optimal (measured 0.15-0.5 s;
    CP-SAT alone took 5-10 s and proved 10 of 12), and the checker finds no hard fault."""
    result = solve_species(_spec(*CASES_3[case]), SolveSettings(time_limit=10.0, workers=1))
    assert result.status == "optimal"
    assert result.bound == result.objective
    assert hard(check(result.piece)) == []


@pytest.mark.parametrize("case", ["dorian-below", "ionian-above"])
def test_the_bound_keeps_the_third_species_optimum(case: str) -> None:
    """CP-SAT alone and on the chain bound prove the same optimal objective."""
    assert_same_optimum(_spec(*CASES_3[case]), 30.0)


def test_the_moves_are_factored_through_the_barline_notes() -> None:
    """A move reads only the last two quarters of a bar and the first two of the next: the
    move matrices are (tails x heads), far smaller than (chords x chords), and every chord of
    a head has the same downbeat (so the same run class)."""
    spec = _spec(*CASES_3["dorian-below"])
    sm = build_model(spec, SolveSettings())
    chain = bound.build_chain(sm, spec)
    for b, m in enumerate(chain.moves):
        assert m.shape[0] < len(chain.chords[b]) and m.shape[1] <= len(chain.chords[b + 1])
        link = chain.links[b]
        for h in range(m.shape[1]):
            rows = chain.chords[b + 1][link.head == h]
            assert (rows[:, link.head_columns] == rows[0, link.head_columns]).all()
            run = chain.runs[b + 1][link.head == h]
            assert (run == run[0]).all()
        assert np.isfinite(m).any()


def test_a_dissonant_quarter_is_only_passing_neighbour_or_cambiata() -> None:
    """Every chord's dissonant second quarter is treated as Fux allows; the cambiata (down a
    step into it, a third down, a step up) is among the chords."""
    spec = _spec(*CASES_3["dorian-above"])
    sm = build_model(spec, SolveSettings())
    chain = bound.build_chain(sm, spec)
    dia, P = np.array(sm.u.dia), sm.u.pitches
    cambiatas = 0
    for bar in range(1, len(chain.chords) - 1):
        c = chain.chords[bar]
        d1 = dia[c[:, 2]] - dia[c[:, 1]]
        d2 = dia[c[:, 3]] - dia[c[:, 2]]
        d3 = dia[c[:, 4]] - dia[c[:, 3]]
        diss = np.array([interval_class(P[a], P[k]) in (P4, DISS, TRITONE)
                         for a, k in zip(c[:, 2], c[:, 0])])
        treated = (np.abs(d1) == 1) & (np.abs(d2) == 1)
        cambiata = (d1 == -1) & (d2 == -2) & (d3 == 1)
        assert (~diss | treated | cambiata).all()
        cambiatas += int((diss & cambiata).sum())
    assert cambiatas > 0
