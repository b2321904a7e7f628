"""The CP-SAT engine: every Fux cantus, every species, above and below, and more voices.

Each solved score goes through the independent checker (stretto.check), which must find no
hard violation: the solver's guarantee, checked by a second opinion.
"""

from __future__ import annotations

import pytest

from stretto.check import check, hard
from stretto.corpora import cantus_names, load_cantus
from stretto.pitch import Interval
from stretto.score import dumps
from stretto.solver import SolveSettings, SpeciesSpec, solve_species

pytestmark = pytest.mark.slow  # every mode and species solved to proved optimality

FAST = SolveSettings(time_limit=2.0, seed=0, workers=1)


def _spec(name: str, species: tuple[int, ...], cantus_voice: int) -> SpeciesSpec:
    cantus, mode = load_cantus(name)
    return SpeciesSpec(cantus=tuple(cantus), mode=mode, species=species,
                       cantus_voice=cantus_voice)


def _solve_and_check(spec: SpeciesSpec, settings: SolveSettings = FAST):
    result = solve_species(spec, settings)
    assert result.status in ("optimal", "feasible"), result.status
    piece = result.piece
    violations = hard(check(piece))
    assert violations == [], "\n".join(f"{v.rule} bar {v.bar}: {v.message}" for v in violations)
    return result


@pytest.mark.parametrize("species", [1, 2, 3, 4, 5], ids=lambda s: f"species{s}")
@pytest.mark.parametrize("place", ["above", "below"])
@pytest.mark.parametrize("name", cantus_names())
def test_two_voices_every_mode_and_species(name: str, place: str, species: int) -> None:
    spec = _spec(name, (species,), 1 if place == "above" else 0)
    result = _solve_and_check(spec)
    cantus_voice = result.piece.voices[spec.cantus_voice]
    # The cantus is never changed and is marked as given by a human.
    assert [n.pitch for n in cantus_voice.sounding()] == list(spec.cantus)
    assert {n.origin for n in cantus_voice.notes} == {"human"}


@pytest.mark.parametrize("voices", [3, 4], ids=lambda v: f"{v}voices")
@pytest.mark.parametrize("name", cantus_names())
def test_first_species_in_more_voices(name: str, voices: int) -> None:
    spec = _spec(name, (1,) * (voices - 1), voices - 2)
    result = _solve_and_check(spec, SolveSettings(time_limit=4.0))
    assert len(result.piece.voices) == voices


@pytest.mark.parametrize("cantus_voice", [0, 1, 2, 3], ids=lambda v: f"cantus{v + 1}")
@pytest.mark.parametrize("name", ["fux-dorian", "fux-aeolian"])
def test_four_voices_with_the_cantus_in_any_voice(name: str, cantus_voice: int) -> None:
    """With the cantus in the bass the cadence needs the diminished sixth chord (E G C# over
    the dorian E): its tritone between upper voices is consonant, as in Fux."""
    spec = _spec(name, (1, 1, 1), cantus_voice)
    result = _solve_and_check(spec, SolveSettings(time_limit=1.0))
    assert [n.pitch for n in result.piece.voices[cantus_voice].sounding()] == list(spec.cantus)


@pytest.mark.parametrize("species,cantus_voice", [((3, 1), 2), ((1, 2), 0), ((4, 1), 1),
                                                  ((2, 3, 1), 3)], ids=str)
def test_mixed_species(species, cantus_voice) -> None:
    _solve_and_check(_spec("fux-dorian", species, cantus_voice), SolveSettings(time_limit=4.0))


def test_first_species_facts() -> None:
    """Fux's own first rules, read off the solved score."""
    result = _solve_and_check(_spec("fux-dorian", (1,), 1))
    upper, lower = (v.sounding() for v in result.piece.voices)
    first = Interval.between(lower[0].pitch, upper[0].pitch)
    last = Interval.between(lower[-1].pitch, upper[-1].pitch)
    assert first.is_perfect
    assert last.simple.name in ("P1", "P8")
    # The clausula vera in D dorian: the leading tone is raised to C-sharp.
    assert upper[-2].pitch.name.startswith("C#")


def test_objective_is_proved_optimal_for_first_species() -> None:
    result = solve_species(_spec("fux-dorian", (1,), 1), SolveSettings(time_limit=10.0))
    assert result.status == "optimal"
    assert result.objective == result.bound


@pytest.mark.parametrize("workers", [1, 2], ids=lambda w: f"{w}workers")
def test_same_seed_same_score_bit_for_bit(workers: int) -> None:
    spec = _spec("fux-phrygian", (2,), 0)
    settings = SolveSettings(time_limit=2.0, seed=7, workers=workers)
    a, b = solve_species(spec, settings), solve_species(spec, settings)
    assert dumps(a.piece) == dumps(b.piece)


def test_solve_records_its_settings() -> None:
    result = solve_species(_spec("fux-dorian", (1,), 1), SolveSettings(time_limit=3.0, seed=5))
    info = result.piece.info["solver"]
    assert (info["seed"], info["time_limit"], info["workers"]) == (5, 3.0, 1)
    assert info["status"] == result.status and len(info["rules_hash"]) == 12


def test_range_below_the_cantus_for_an_upper_voice_is_bad_input() -> None:
    from stretto.errors import BadInput
    from stretto.pitch import Pitch
    cantus, mode = load_cantus("fux-dorian")
    with pytest.raises(BadInput, match="cannot hold a voice above the cantus"):
        SpeciesSpec(cantus=tuple(cantus), mode=mode, species=(1,), cantus_voice=1,
                    ranges=((Pitch.parse("C2"), Pitch.parse("C3")),))


def test_too_narrow_a_line_is_reported_infeasible() -> None:
    from stretto.pitch import Pitch
    cantus, mode = load_cantus("fux-dorian")
    spec = SpeciesSpec(cantus=tuple(cantus), mode=mode, species=(1,), cantus_voice=1,
                       ranges=((Pitch.parse("D4"), Pitch.parse("A4")),), max_range=4)
    assert solve_species(spec, FAST).status == "infeasible"


@pytest.mark.parametrize("leap_at", [0, 1], ids=["into-second", "out-of-second"])
def test_fifth_species_eighths_move_by_step(leap_at: int) -> None:
    """An eighth pair (on beat 2 of bar 4) with a third between its notes, or after it, admits
    no score: the model's rhythm rule, not only the checker's."""
    from ortools.sat.python import cp_model

    from stretto.solver.species.engine import build_hard

    spec = _spec("fux-dorian", (5,), 1)
    sm = build_hard(spec)
    line = sm.lines[0]
    bar = 3
    sm.m.Add(line.patterns[bar][(0, 2, 3, 4)] == 1)
    p = bar * 8 + 2 + leap_at  # the first eighth (leap into the second) or the second
    sm.m.Add(line.dia[p + 1] - line.dia[p] == 2)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 20
    assert solver.Solve(sm.m) == cp_model.INFEASIBLE
    sm2 = build_hard(spec)  # the same pair moving by step is fine
    sm2.m.Add(sm2.lines[0].patterns[bar][(0, 2, 3, 4)] == 1)
    assert solver.Solve(sm2.m) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
