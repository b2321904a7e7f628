"""Regenerate offers choices (issue 18, item 4) on the species model: each regeneration
changes at least the share asked of the region's free notes, none repeats a variant the
history has seen, ``options`` come back mutually distinct and ranked by the objective, and a
share the rules cannot reach gives the most different variant with a one-line shortfall.
Stability that serves the line (item 5): a change budget removes the octave leap a pin left."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stretto.check import check, hard
from stretto.corpora import load_cantus
from stretto.edits import Pin
from stretto.errors import Unsatisfiable
from stretto.pitch import parse_pitches
from stretto.solver import SolveSettings, SpeciesSpec, solve_species
from stretto.solver.cpsat.region import Region, mark_origins
from stretto.solver.cpsat.variants import (RegenerateAsk, free_changed, region_notes,
                                           target_of)
from stretto.solver.species import edit

FAST = SolveSettings(time_limit=3.0)
ISSUE_CANTUS = "D4 F4 E4 D4 G4 F4 A4 G4 F4 E4 D4"  # the issue's exercise


def _spec(species=(1,), cantus_voice: int = 1, name: str = "fux-dorian") -> SpeciesSpec:
    cantus, mode = load_cantus(name)
    return SpeciesSpec(cantus=tuple(cantus), mode=mode, species=species,
                       cantus_voice=cantus_voice)


@pytest.mark.parametrize("species", [(1,), (2,), (4,)], ids=["first", "second", "fourth"])
def test_successive_regenerations_change_half_and_never_repeat(species) -> None:
    spec = _spec(species)
    piece = solve_species(spec, FAST).piece
    region = Region(None, 4, 7)
    seen: list[tuple[str, ...]] = []
    for _ in range(6):
        seen.append(region_notes(piece, region))
        out = edit.regenerate(spec, (), piece, region, FAST, ask=RegenerateAsk(seen=tuple(seen)))
        new = out.result.piece
        changed, free = free_changed(piece, new, region, lambda v, n: False)
        assert out.alternatives[0].changed_free == changed
        assert changed >= free / 2 and out.shortfall is None
        assert region_notes(new, region) not in seen
        assert not hard(check(new))
        piece = new


def test_options_are_distinct_valid_and_ranked() -> None:
    spec = _spec((1, 1), 2, "fux-phrygian")
    piece = solve_species(spec, FAST).piece
    region = Region(None, 3, 6)
    out = edit.regenerate(spec, (), piece, region, FAST, ask=RegenerateAsk(options=3))
    assert len(out.alternatives) == 3
    assert len({a.hash for a in out.alternatives}) == 3
    assert [a.objective for a in out.alternatives] == \
        sorted(a.objective for a in out.alternatives)
    for a in out.alternatives:
        assert a.changed_free >= out.target == target_of(out.free, 0.5)
        assert not hard(check(a.outcome.result.piece))
        assert region_notes(a.outcome.result.piece, region) == a.notes


def test_pinned_notes_are_not_free_and_stay() -> None:
    spec = _spec()
    piece = solve_species(spec, FAST).piece
    note = piece.voices[0].sounding()[4]
    pin = Pin("c1", 0, 5, Fraction(1), note.pitch)
    piece = mark_origins(piece, (pin,), "r1")
    region = Region(None, 4, 7)
    out = edit.regenerate(spec, (pin,), piece, region, FAST, ask=RegenerateAsk(change=1.0))
    new = out.result.piece
    assert out.free == 3  # four bars of first species, one of them pinned
    assert new.voices[0].sounding()[4].pitch == note.pitch
    assert free_changed(piece, new, region, lambda v, n: n.origin == "human")[0] == \
        out.alternatives[0].changed_free


def test_an_unreachable_share_gives_the_most_different_variant_in_one_line() -> None:
    spec = _spec()
    piece = solve_species(spec, FAST).piece
    region = Region(None, 9, 11)  # the cadence: the last notes are all but fixed
    out = edit.regenerate(spec, (), piece, region, FAST, ask=RegenerateAsk(change=1.0))
    assert out.target == out.free == 3
    assert out.shortfall is not None and "\n" not in out.shortfall
    assert out.shortfall.startswith(f"only {out.alternatives[0].changed_free} of the 3 free")
    assert 1 <= out.alternatives[0].changed_free < 3


def test_no_variant_at_all_is_a_conflict() -> None:
    spec = _spec()
    piece = solve_species(spec, FAST).piece
    last = len(spec.cantus)
    pin = Pin("c1", 0, last, Fraction(1), piece.voices[0].sounding()[-1].pitch)
    with pytest.raises(Unsatisfiable) as info:
        edit.regenerate(spec, (pin,), piece, Region(None, last, last), FAST)
    assert "your pin voice 1 bar 11" in str(info.value)


def _issue_spec() -> SpeciesSpec:
    base = _spec()
    return SpeciesSpec(cantus=tuple(parse_pitches(ISSUE_CANTUS)), mode=base.mode,
                       species=(1,), cantus_voice=1)


def _largest_leap(piece, v: int = 0) -> int:
    notes = piece.voices[v].sounding()
    return max(abs(a.midi - b.midi) for a, b in zip(notes, notes[1:]))


def test_a_budget_removes_the_octave_leap_a_pin_leaves() -> None:
    """The issue's case: pinning bar 5 to B4 gave G5-B5-B4 with the fewest changes only."""
    spec = _issue_spec()
    piece = solve_species(spec, FAST).piece
    pin = Pin("c1", 0, 5, Fraction(1), parse_pitches("B4")[0])
    fewest = edit.resolve(spec, (pin,), piece, FAST, budget=0)
    wider = edit.resolve(spec, (pin,), piece, FAST, budget=2)
    assert _largest_leap(fewest.result.piece) >= 12 > _largest_leap(wider.result.piece)
    assert fewest.changed < wider.changed <= fewest.changed + 2
    assert wider.result.objective < fewest.result.objective
    assert wider.moves and any("avoids a leap of an octave" in m for m in wider.moves)
    assert all(m.startswith("also moved Soprano bar ") for m in wider.moves)
    assert not fewest.moves
    assert not hard(check(wider.result.piece))
