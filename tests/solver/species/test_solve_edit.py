"""Editing by constraints at the solver level: pins hold, locks keep notes bit for bit,
regenerate changes only its region, re-solves change little, conflicts are explained."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stretto.check import check, hard
from stretto.corpora import load_cantus
from stretto.edits import ClimaxRule, ContourRule, IntervalRule, Lock, MaxLeapRule, Pin, \
    RangeRule
from stretto.errors import BadInput, Unsatisfiable
from stretto.pitch import Pitch
from stretto.solver import SolveSettings, SpeciesSpec, solve_species
from stretto.solver.cpsat.region import Region, count_changes
from stretto.solver.species.edit import grid_of, lock_notes, regenerate, resolve

FAST = SolveSettings(time_limit=3.0)


def _base(name="fux-dorian", species=(1,), cantus_voice=1):
    cantus, mode = load_cantus(name)
    spec = SpeciesSpec(cantus=tuple(cantus), mode=mode, species=species,
                       cantus_voice=cantus_voice)
    return spec, solve_species(spec, FAST).piece


def _pitches(piece, voice):
    return [n.pitch.name for n in piece.voices[voice].sounding()]


def _no_hard(piece):
    bad = hard(check(piece))
    assert bad == [], [f"{v.rule} bar {v.bar}" for v in bad]


def _pin_that_holds(spec, piece, bar, others=(), cid="c1"):
    """Pin voice 1 in ``bar`` to a pitch other than the current one, the first candidate (a
    third, fifth, sixth ... over the cantus) under which a score exists, and re-solve."""
    cantus = piece.voices[1].sounding()[bar - 1].pitch
    current = piece.voices[0].sounding()[bar - 1].pitch
    for steps in (9, 11, 12, 7, 4, 5, 2):
        cand = piece.mode.diatonic_pitch(cantus.diatonic + steps)
        if cand == current:
            continue
        pin = Pin(cid, 0, bar, Fraction(1), cand)
        try:
            return pin, resolve(spec, (*others, pin), piece, FAST, run_id="r2")
        except Unsatisfiable:
            continue
    raise AssertionError(f"no pin in bar {bar} can hold")


@pytest.mark.parametrize("bar", [3, 6, 8], ids=lambda b: f"bar{b}")
def test_pin_holds_and_little_else_changes(bar: int) -> None:
    spec, piece = _base()
    pin, out = _pin_that_holds(spec, piece, bar)
    new = out.result.piece
    assert _pitches(new, 0)[bar - 1] == pin.pitch.name != _pitches(piece, 0)[bar - 1]
    note = new.voices[0].sounding()[bar - 1]
    assert (note.origin, note.source) == ("human", "c1")
    _no_hard(new)
    # Minimal change: notes outside bars B-1..B+1 stay, at least 80% of them.
    far = [i for i in range(len(spec.cantus)) if abs(i + 1 - bar) > 1]
    kept = sum(_pitches(new, 0)[i] == _pitches(piece, 0)[i] for i in far)
    assert kept >= 0.8 * len(far)
    assert out.changed == sum(a != b for a, b in zip(_pitches(new, 0), _pitches(piece, 0)))


def test_pins_survive_later_edits() -> None:
    spec, piece = _base()
    p1, out = _pin_that_holds(spec, piece, 3)
    piece2 = out.result.piece
    p2, out = _pin_that_holds(spec, piece2, 7, (p1,), "c2")
    piece3 = out.result.piece
    region = Region(0, 4, 5)
    piece4 = regenerate(spec, (p1, p2), piece3, region, FAST).result.piece
    for p in (piece3, piece4):
        assert _pitches(p, 0)[2] == p1.pitch.name and _pitches(p, 0)[6] == p2.pitch.name


def test_locked_voice_is_bit_identical_after_solving_another() -> None:
    spec, piece = _base("fux-phrygian", (1, 1), 1)
    lock = Lock("c1", 0, 1, len(spec.cantus), lock_notes(piece, 0, 1, len(spec.cantus)))
    target = piece.voices[2].sounding()[4].pitch
    alternatives = [spec.mode.diatonic_pitch(target.diatonic + d) for d in (-2, 2, -5, 5)]
    for cand in alternatives:
        try:
            out = resolve(spec, (lock, Pin("c2", 2, 5, Fraction(1), cand)), piece, FAST)
        except Unsatisfiable:
            continue
        assert [(n.onset, n.duration, n.pitch) for n in out.result.piece.voices[0].notes] == \
            [(n.onset, n.duration, n.pitch) for n in piece.voices[0].notes]
        assert _pitches(out.result.piece, 2)[4] == cand.name
        _no_hard(out.result.piece)
        return
    pytest.fail("no pin on the bass could hold with the top voice locked")


@pytest.mark.parametrize("species", [1, 3, 4], ids=lambda s: f"species{s}")
def test_regenerate_changes_the_region_and_nothing_else(species: int) -> None:
    spec, piece = _base("fux-dorian", (species,), 1)
    out = regenerate(spec, (), piece, Region(0, 4, 6), FAST)
    new = out.result.piece
    _no_hard(new)
    bar = piece.bar_length
    lo, hi = 3 * bar, 6 * bar

    def outside(p):
        return [(n.onset, n.pitch) for n in p.voices[0].sounding()
                if n.end <= lo or n.onset >= hi]

    assert outside(new) == outside(piece)
    assert [n.pitch for n in new.voices[1].notes] == [n.pitch for n in piece.voices[1].notes]
    inside = [(n.onset, n.pitch) for n in new.voices[0].sounding() if lo <= n.onset < hi]
    before = [(n.onset, n.pitch) for n in piece.voices[0].sounding() if lo <= n.onset < hi]
    assert inside != before


def test_planted_conflict_names_exactly_the_two_pins() -> None:
    spec, piece = _base("fux-dorian", (1, 1), 2)
    # Bar 5 over the cantus' G4: E5 and D5 are each consonant with it, but a second apart.
    a = Pin("c1", 0, 5, Fraction(1), Pitch.parse("E5"))
    b = Pin("c2", 1, 5, Fraction(1), Pitch.parse("D5"))
    c = Pin("c3", 0, 2, Fraction(1), _pitch_in(piece, 0, 2))  # harmless, must not be named
    with pytest.raises(Unsatisfiable) as err:
        resolve(spec, (a, b, c), piece, FAST)
    named = [w for w in err.value.conflicts if w.startswith("your")]
    assert sorted(named) == sorted([a.describe(), b.describe()])
    assert any("consonan" in w for w in err.value.conflicts)


def _pitch_in(piece, voice, bar):
    return piece.voices[voice].sounding()[bar - 1].pitch


@pytest.mark.parametrize("pitch,rule", [("Eb5", "rule diatonic"), ("F5", "rule consonance")],
                         ids=["outside-mode", "dissonant"])
def test_impossible_pin_is_explained_by_the_rule_it_breaks(pitch: str, rule: str) -> None:
    spec, piece = _base()
    with pytest.raises(Unsatisfiable) as err:
        resolve(spec, (Pin("c1", 0, 5, Fraction(1), Pitch.parse(pitch)),), piece, FAST)
    assert err.value.conflicts[0] == f"your pin voice 1 bar 5 = {pitch}"
    assert any(w.startswith(rule) for w in err.value.conflicts)


def test_user_rules_hold() -> None:
    spec, piece = _base("fux-mixolydian", (1,), 1)
    rules = (RangeRule("c1", 0, Pitch.parse("D4"), Pitch.parse("C5")),
             MaxLeapRule("c2", 0, 4),
             ClimaxRule("c3", 0, 9),
             ContourRule("c4", 0, 2, 5, "rising"))
    new = resolve(spec, rules, piece, FAST).result.piece
    _no_hard(new)
    notes = new.voices[0].sounding()
    midi = [n.midi for n in notes]
    assert all(62 <= m <= 72 for m in midi)
    assert all(abs(a.pitch.diatonic - b.pitch.diatonic) <= 3 for a, b in zip(notes, notes[1:]))
    top = max(n.pitch.diatonic for n in notes)
    assert [i for i, n in enumerate(notes) if n.pitch.diatonic == top] == [8]
    d = [n.pitch.diatonic for n in notes[1:5]]
    assert d == sorted(d) and d[-1] > d[0]


@pytest.mark.parametrize("require", [True, False], ids=["require", "forbid"])
def test_vertical_interval_rule(require: bool) -> None:
    spec, piece = _base()
    rule = IntervalRule("c1", 0, 1, 4, Fraction(1), 6, None, require)
    new = resolve(spec, (rule,), piece, FAST).result.piece
    upper, lower = new.voices[0].sounding()[3].pitch, new.voices[1].sounding()[3].pitch
    from stretto.pitch import Interval
    is_sixth = Interval.between(lower, upper).generic % 7 == 5
    assert is_sixth == require


def test_bad_positions_are_bad_input() -> None:
    spec, piece = _base("fux-dorian", (4,), 1)
    with pytest.raises(BadInput, match="outside the piece"):
        resolve(spec, (Pin("c1", 0, 40, Fraction(1), Pitch.parse("D5")),), piece, FAST)
    with pytest.raises(BadInput, match="rests there"):  # fourth species begins with a rest
        resolve(spec, (Pin("c1", 0, 1, Fraction(1), Pitch.parse("D5")),), piece, FAST)


def test_count_changes_and_grid() -> None:
    spec, piece = _base()
    assert count_changes(piece, piece, 1) == (0, len(spec.cantus))
    grid = grid_of(piece, 0, 8 * len(spec.cantus))
    assert grid[0][1] and not grid[1][1] and grid[8][0] == piece.voices[0].sounding()[1].pitch
