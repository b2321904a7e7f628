"""The minimal-change re-solve of a harmonization on the chain (exact dynamic programming)
finds the same fewest changes and the same preference cost as CP-SAT run to optimal, with
each kind of wish a harmonization takes."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stretto.check import check, hard
from stretto.edits import IntervalRule, MaxLeapRule, Pin, RangeRule
from stretto.pitch import Pitch
from stretto.solver.tonal import chorale_edit

from stretto.solver.cpsat.settings import SolveSettings

FAST = SolveSettings(time_limit=3)

WISHES = {
    "pin": (Pin("c1", 2, 1, Fraction(3), Pitch.parse("E4")),),
    "pin-leap": (Pin("c1", 3, 1, Fraction(2), Pitch.parse("E3")), MaxLeapRule("c2", 1, 3)),
    "range-interval": (RangeRule("c1", 2, Pitch.parse("E3"), Pitch.parse("E4")),
                       IntervalRule("c2", 0, 3, 1, Fraction(2), 3, None, True)),  # a third
}


@pytest.mark.parametrize("name", list(WISHES))
def test_chain_re_solve_equals_cp_sat(chorale, monkeypatch, name) -> None:
    spec, piece = chorale
    wishes = WISHES[name]
    chain = chorale_edit.resolve("harmonize", spec, wishes, piece, FAST)
    monkeypatch.setattr(chorale_edit.chain_edit, "is_chain", lambda model: False)
    search = chorale_edit.resolve("harmonize", spec, wishes, piece, FAST)
    assert chain.result.stats["method"] == "chain" and search.result.status == "optimal"
    assert (chain.changed, chain.result.objective) == (search.changed, search.result.objective)
    new = chain.result.piece
    assert not hard(check(new))
    tenor = [n.pitch.midi for n in new.voices[2].sounding()]
    if name == "pin":
        assert new.voices[2].sounding()[2].pitch.name == "E4"
    if name == "range-interval":
        assert 52 <= min(tenor) and max(tenor) <= 64
        s, b = new.voices[0].sounding()[1].pitch, new.voices[3].sounding()[1].pitch
        assert (s.diatonic - b.diatonic) % 7 == 2  # a third, simple or compound
