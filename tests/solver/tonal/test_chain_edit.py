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


@pytest.mark.slow  # seconds each: make test runs it, make test-fast leaves it out
@pytest.mark.parametrize("name", list(WISHES))
def test_a_budget_on_the_chain_is_at_least_as_good_as_cp_sat(chorale, monkeypatch,
                                                              name) -> None:
    """Up to two notes more than the fewest where the preferences gain: the chain's exact
    pass is no worse than CP-SAT's third stage, never worse than the fewest changes, and
    never spends more than the budget."""
    spec, piece = chorale
    wishes = WISHES[name]
    fewest = chorale_edit.resolve("harmonize", spec, wishes, piece, FAST)
    chain = chorale_edit.resolve("harmonize", spec, wishes, piece, FAST, budget=2)
    monkeypatch.setattr(chorale_edit.chain_edit, "is_chain", lambda model: False)
    search = chorale_edit.resolve("harmonize", spec, wishes, piece, FAST, budget=2)
    assert chain.result.stats["method"] == "chain"
    assert chain.result.objective <= min(search.result.objective, fewest.result.objective)
    assert fewest.changed <= chain.changed <= fewest.changed + 2
    assert bool(chain.moves) == (chain.result.objective < fewest.result.objective)
    assert not hard(check(chain.result.piece))


def test_chain_regenerations_are_distinct_ranked_and_change_half(chorale) -> None:
    from stretto.solver.cpsat.region import Region
    from stretto.solver.cpsat.variants import RegenerateAsk, free_changed, region_notes

    spec, piece = chorale
    region = Region(None, 2, 3)
    seen = [region_notes(piece, region)]
    out = chorale_edit.regenerate("harmonize", spec, (), piece, region, FAST,
                                  ask=RegenerateAsk(options=4, seen=tuple(seen)))
    alts = out.alternatives
    assert len(alts) == 4 and len({a.notes for a in alts} | {seen[0]}) == 5
    assert [a.objective for a in alts] == sorted(a.objective for a in alts)
    for a in alts:
        new = a.outcome.result.piece
        assert a.outcome.result.stats["method"] == "chain"
        changed, free = free_changed(piece, new, region, lambda v, n: False)
        assert changed == a.changed_free >= free / 2
        assert not hard(check(new))
    # the next call, with these seen, gives none of them
    again = chorale_edit.regenerate("harmonize", spec, (), piece, region, FAST,
                                    ask=RegenerateAsk(seen=tuple(seen) + tuple(a.notes
                                                                              for a in alts)))
    assert again.alternatives[0].notes not in {a.notes for a in alts} | {seen[0]}
    assert again.alternatives[0].objective >= alts[-1].objective


def test_chain_best_variant_is_no_worse_than_cp_sat(chorale, monkeypatch) -> None:
    from stretto.solver.cpsat.region import Region

    spec, piece = chorale
    region = Region(None, 3, 4)
    chain = chorale_edit.regenerate("harmonize", spec, (), piece, region, FAST)
    monkeypatch.setattr(chorale_edit.chain_edit, "is_chain", lambda model: False)
    search = chorale_edit.regenerate("harmonize", spec, (), piece, region, FAST)
    assert (chain.free, chain.target) == (search.free, search.target)
    assert chain.alternatives[0].changed_free >= chain.target
    assert search.alternatives[0].changed_free >= search.target
    assert chain.result.objective <= search.result.objective
