"""A species exercise that cannot be written names why (the registers and a minimal set of
rules) and a change to the command that was checked to make it hold."""

from __future__ import annotations

import pytest

from stretto.errors import BadInput
from stretto.modes import Mode
from stretto.pitch import parse_pitches
from stretto.solver.species.first_conflicts import explain_first, register_words
from stretto.solver.cpsat.settings import SolveSettings
from stretto.solver.species.spec import SpeciesSpec, shift_octaves

HIGH = parse_pitches("E4 F4 G4 E4 A4 G4 C5 B4 A4 G4 F4 E4")
LOW = parse_pitches("E2 F2 G2 E2 A2 G2 C3 B2 A2 G2 F2 E2")


def spec(cantus, voice: int, **kw) -> SpeciesSpec:
    return SpeciesSpec(cantus=tuple(cantus), mode=Mode("phrygian", "E"), species=(1, 1, 1),
                       cantus_voice=voice, **kw)


def test_high_cantus_in_the_bass_presses_the_registers_under_c6() -> None:
    words, squeezed = register_words(spec(HIGH, 3))
    assert squeezed == "high" and "pressed under C6" in words


def test_low_cantus_on_top_presses_the_registers_above_c2() -> None:
    words, squeezed = register_words(spec(LOW, 0))
    assert squeezed == "low" and "pressed above C2" in words


def test_a_cantus_in_the_middle_of_the_compass_presses_nothing() -> None:
    assert register_words(spec(shift_octaves(HIGH, -1), 3))[1] is None


def test_explain_first_names_registers_rules_and_a_checked_fix() -> None:
    exc = explain_first(spec(HIGH, 3), SolveSettings(time_limit=5))
    assert exc.exit_code == 3
    assert exc.conflicts[0].startswith("the registers Soprano E4-C6")
    rules = [c for c in exc.conflicts if c.startswith("rule ")]
    assert rules and len(rules) == len(exc.conflicts) - 1
    assert "It holds with --cantus-octave -1 (the cantus E3-C4)" in str(exc)


@pytest.mark.parametrize("k,first", [(-1, "E3"), (2, "E6"), (0, "E4")], ids=["-1", "+2", "0"])
def test_shift_octaves_keeps_spelling(k: int, first: str) -> None:
    moved = shift_octaves(parse_pitches("E4 F#4 Bb4"), k)
    assert moved[0].name == first
    assert [p.name[:-1] for p in moved] == ["E", "F#", "Bb"]
    assert [b.midi - a.midi for a, b in zip(parse_pitches("E4 F#4 Bb4"), moved)] == [12 * k] * 3


def test_shift_octaves_refuses_to_leave_the_compass() -> None:
    with pytest.raises(BadInput, match="out of C1-C7"):
        shift_octaves(parse_pitches("C4 C7"), 1)
