"""Regenerate with no voice named: every voice the solver writes is re-solved in the bars
given (the cantus or melody, pins and locks stay), everything outside them is kept. In four
voices this is possible where regenerating one voice against three fixed ones is not; the
species and the chorale model read a region the same way."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stretto.check import check, hard
from stretto.corpora import load_cantus
from stretto.edits import Pin
from stretto.errors import Unsatisfiable
from stretto.solver import SolveSettings, SpeciesSpec, solve_species
from stretto.solver.tonal import chorale_edit
from stretto.solver.species import edit
from stretto.solver.cpsat.region import Region


FAST = SolveSettings(time_limit=3.0)


@pytest.fixture(scope="module")
def species():
    cantus, mode = load_cantus("fux-dorian")
    spec = SpeciesSpec(cantus=tuple(cantus), mode=mode, species=(1, 1, 1), cantus_voice=2)
    return spec, solve_species(spec, FAST).piece


def _notes(piece, v):
    return [(n.onset, n.pitch) for n in piece.voices[v].sounding()]


def _kept_outside_and_changed_inside(before, after, first: int, last: int) -> None:
    bar = before.bar_length
    lo, hi = (first - 1) * bar, last * bar
    changed = 0
    for v in range(len(before.voices)):
        old, new = _notes(before, v), _notes(after, v)
        assert [n for n in new if not lo <= n[0] < hi] == \
            [n for n in old if not lo <= n[0] < hi], f"voice {v + 1} changed outside"
        changed += sum(n not in old for n in new if lo <= n[0] < hi)
    assert changed >= 1
    assert not hard(check(after))


def test_species_four_voices_regenerate_every_voice_where_one_voice_cannot(species) -> None:
    spec, piece = species
    with pytest.raises(Unsatisfiable) as info:  # the bass alone, the other voices fixed
        edit.regenerate(spec, (), piece, Region(3, 3, 4), FAST)
    assert "regenerate voice 4 bars 3-4: everything else stays as it is" in \
        info.value.conflicts
    pin = Pin("c1", 0, 4, Fraction(1), piece.voices[0].sounding()[3].pitch)
    out = edit.regenerate(spec, (pin,), piece, Region(None, 3, 4), FAST)
    new = out.result.piece
    _kept_outside_and_changed_inside(piece, new, 3, 4)
    assert _notes(new, 2) == _notes(piece, 2)  # the cantus
    assert new.voices[0].sounding()[3].pitch == pin.pitch


def test_chorale_regenerate_every_voice_where_one_voice_cannot(chorale) -> None:
    spec, piece = chorale
    with pytest.raises(Unsatisfiable):  # the alto alone in bar 2
        chorale_edit.regenerate("harmonize", spec, (), piece, Region(1, 2, 2), FAST)
    pin = Pin("c1", 3, 2, Fraction(1), piece.voices[3].sounding()[4].pitch)
    out = chorale_edit.regenerate("harmonize", spec, (pin,), piece, Region(None, 2, 2), FAST)
    new = out.result.piece
    assert out.result.stats["method"] == "chain"
    _kept_outside_and_changed_inside(piece, new, 2, 2)
    assert [(n.pitch, n.onset, n.duration) for n in new.voices[0].notes] == \
        [(n.pitch, n.onset, n.duration) for n in piece.voices[0].notes]  # the melody
    assert new.voices[3].sounding()[4].pitch == pin.pitch


def test_chain_and_cp_sat_agree_on_a_regeneration(chorale, monkeypatch) -> None:
    """The exact chain pass and CP-SAT find the same best passage (the same cost)."""
    spec, piece = chorale
    region = Region(None, 3, 4)
    chain = chorale_edit.regenerate("harmonize", spec, (), piece, region, FAST)
    monkeypatch.setattr(chorale_edit.chain_edit, "is_chain", lambda model: False)
    search = chorale_edit.regenerate("harmonize", spec, (), piece, region, FAST)
    assert (chain.result.stats["method"], search.result.stats["method"]) == ("chain", "cp-sat")
    assert chain.result.objective == search.result.objective
    assert search.result.status == "optimal"
