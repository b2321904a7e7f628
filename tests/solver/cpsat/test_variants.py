"""The shared part of regenerate's alternatives and of a budget's report, on a toy model: a
region of four quarter notes each C4, D4 or E4 (a CP-SAT integer per note, the objective the
sum of the indices), the current region all C4. find_variants changes at least the share
asked, skips the seen variants, ranks distinct options by the objective, and says in one
line when the share or the options cannot be reached; moves names a note and the leap."""

from __future__ import annotations

from fractions import Fraction

import pytest
from ortools.sat.python import cp_model

from stretto.pitch import Pitch
from stretto.score import Piece, make_voice
from stretto.solver.cpsat.moves import interval_words, moves
from stretto.solver.cpsat.region import Region, ResolveOutcome
from stretto.solver.cpsat.settings import SolveResult
from stretto.solver.cpsat.variants import (RegenerateAsk, find_variants, free_changed,
                                           parse_notes, region_notes, shortfall, target_of,
                                           variant_hash)

NAMES = ("C4", "D4", "E4")


def _piece(names) -> Piece:
    voice = make_voice("Voice", [Pitch.parse(n) for n in names], [Fraction(1)] * len(names),
                       bar_length=Fraction(4))
    return Piece(voices=(voice,), meter="4/4")


class Toy:
    """Four notes, each 0..2 (C4 D4 E4); ``forbid`` (note, value) pairs the 'rules' refuse."""

    def __init__(self, forbid=()) -> None:
        self.m = cp_model.CpModel()
        self.x = [self.m.NewIntVar(0, 2, f"x{i}") for i in range(4)]
        for i, v in forbid:
            self.m.Add(self.x[i] != v)
        self.m.Minimize(sum(self.x))
        self.changes = [self._is_not(i, 0) for i in range(4)]  # the current region: all C4

    def _is_not(self, i: int, v: int):
        b = self.m.NewBoolVar(f"x{i}!={v}")
        self.m.Add(self.x[i] != v).OnlyEnforceIf(b)
        self.m.Add(self.x[i] == v).OnlyEnforceIf(b.Not())
        return b

    def run(self, ask: RegenerateAsk):
        region = Region(None, 1, 1)

        def solve(model):
            s = cp_model.CpSolver()
            s.parameters.num_workers = 1
            return s if s.Solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None

        def read(s):
            piece = _piece([NAMES[s.Value(x)] for x in self.x])
            result = SolveResult(status="optimal", piece=piece,
                                 objective=float(s.Value(sum(self.x))), bound=None,
                                 wall_time=0.0, stats={})
            return ResolveOutcome(result=result, changed=0, total=4)

        def nogood(notes):
            pitches = {on: p for on, _, p in parse_notes(notes)[0]}
            return [self._is_not(i, NAMES.index(pitches[Fraction(i)].name)) for i in range(4)]

        return find_variants(self.m, self.changes, region, ask, solve=solve, read=read,
                             nogood=nogood)


def test_half_changes_ranked_distinct_options() -> None:
    out = Toy().run(RegenerateAsk(options=3))
    assert (out.free, out.target, out.shortfall) == (4, 2, None)
    assert [a.objective for a in out.alternatives] == [2.0, 2.0, 2.0]  # two D4s, three ways
    assert len({a.hash for a in out.alternatives}) == 3
    assert all(a.changed_free == 2 for a in out.alternatives)


def test_seen_variants_are_skipped() -> None:
    first = Toy().run(RegenerateAsk(options=6)).alternatives  # all six pairs of two D4s
    seen = tuple(a.notes for a in first)
    out = Toy().run(RegenerateAsk(seen=seen))
    assert out.alternatives[0].notes not in seen and out.alternatives[0].objective == 3.0


def test_an_unreachable_share_gives_the_most_different_and_says_so() -> None:
    out = Toy(forbid=[(0, 1), (0, 2), (1, 1), (1, 2)]).run(RegenerateAsk(change=1.0))
    best = out.alternatives[0]
    assert best.changed_free == 2 and out.target == 4
    assert out.shortfall == ("only 2 of the 4 free notes can change under the rules (asked "
                             "4): this is the most different variant not seen before")


def test_no_variant_at_all_is_none() -> None:
    forbid = [(i, v) for i in range(4) for v in (1, 2)]
    assert Toy(forbid=forbid).run(RegenerateAsk()) is None


def test_fewer_options_than_asked_are_said() -> None:
    forbid = [(i, v) for i in range(2, 4) for v in (1, 2)] + [(0, 2), (1, 2)]
    out = Toy(forbid=forbid).run(RegenerateAsk(change=0.5, options=3))
    assert len(out.alternatives) == 1
    assert out.shortfall.startswith("only 1 distinct variants not seen before")


@pytest.mark.parametrize("free, share, target", [(3, 0.5, 2), (36, 0.5, 18), (9, 0.5, 5),
                                                 (4, 0.0, 1), (4, 1.0, 4)],
                         ids=["3", "36", "9", "zero-share", "all"])
def test_target_is_the_share_rounded_up_and_at_least_one(free, share, target) -> None:
    assert target_of(free, share) == target


def test_region_notes_round_trip_and_hash() -> None:
    piece = _piece(["C4", "D4", "E4", "C4", "G4"])
    region = Region(None, 1, 1)
    notes = region_notes(piece, region)
    assert notes == ("0|0|1|C4", "0|1|1|D4", "0|2|1|E4", "0|3|1|C4")
    assert [p.name for _, _, p in parse_notes(notes)[0]] == ["C4", "D4", "E4", "C4"]
    assert variant_hash(notes) == variant_hash(tuple(reversed(notes))) != \
        variant_hash(notes[:3])
    other = _piece(["C4", "E4", "E4", "D4", "G4"])
    assert free_changed(piece, other, region, lambda v, n: n.onset == 0) == (2, 3)
    assert shortfall(2, 4, 2, 3, 3) is None


@pytest.mark.parametrize("a, b, words", [("G5", "G4", "an octave"), ("C4", "A4", "a major sixth"),
                                         ("E4", "C5", "a minor sixth"), ("B3", "F4",
                                                                         "a diminished fifth")],
                         ids=["P8", "M6", "m6", "d5"])
def test_interval_words(a, b, words) -> None:
    assert interval_words(Pitch.parse(a), Pitch.parse(b)) == words


def test_moves_name_the_note_and_the_leap_it_avoids() -> None:
    previous = _piece(["G5", "F5", "E5", "D5"])
    fewest = _piece(["G5", "B5", "B4", "D5"])  # the pin on beat 3 left an octave
    chosen = _piece(["G5", "D5", "B4", "D5"])
    lines = moves(previous, fewest, chosen, {"steps-over-leaps": 12}, {"steps-over-leaps": 4})
    assert lines == ("also moved Voice bar 1 beat 2 F5 -> D5: avoids a leap of an octave "
                     "(B5-B4)",)
    calm = _piece(["G5", "F5", "E5", "C5"])
    assert moves(previous, previous, calm, {"x": 3}, {"x": 1}) == (
        "also moved Voice bar 1 beat 4 D5 -> C5: lowers the cost of x (3 -> 1)",)
