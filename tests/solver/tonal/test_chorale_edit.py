"""Editing harmonizations and compositions on the chorale model: pins hold through later
edits, a locked voice stays bit-identical, regenerate changes only its region, the given
melody never changes, and a planted conflict names exactly the conflicting wishes. Short
melodies and plans keep it fast."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stretto.check import check, hard
from stretto.edits import IntervalRule, Lock, MaxLeapRule, Pin
from stretto.errors import Unsatisfiable
from stretto.pitch import Pitch
from stretto.solver.tonal import chorale_edit, chorale_explain, chorale_task
from stretto.solver.cpsat.region import Region, mark_origins
from stretto.solver.species.edit import lock_notes
from stretto.solver.tonal.form import compose, form_from_dict
from stretto.solver.cpsat.settings import SolveSettings

FAST = SolveSettings(time_limit=3)
PLAN = {"piece": {"key": "D minor", "meter": "4/4", "bars": 4},
        "voice": [{"name": "Soprano", "range": ["C4", "G5"]},
                  {"name": "Bass", "range": ["E2", "D4"]}],
        "cadence": [{"bar": 2, "type": "half"}],
        "canon": [{"leader": "Soprano", "follower": "Bass", "interval": "-P8",
                   "delay": "1 bar", "to_bar": 2}]}


@pytest.fixture(scope="module")
def canon():
    spec = {"form": PLAN, "name": "short"}
    result = compose(form_from_dict(PLAN, "short"), FAST)
    return spec, mark_origins(result.piece, (), "r1")


def _pitches(piece, voice: int) -> list[str]:
    return [n.pitch.name for n in piece.voices[voice].sounding()]


def _other(piece, voice: int, k: int, options=("C3", "D3", "E3", "F3", "G3", "A3")) -> list:
    """Pitches other than the current one of note ``k`` of ``voice``, to try as pins."""
    return [p for p in options if p != _pitches(piece, voice)[k]]


def _resolve(spec, constraints, previous, kind="harmonize"):
    return chorale_edit.resolve(kind, spec, tuple(constraints), previous, FAST, run_id="r2")


def _pin_that_holds(spec, previous, voice, bar, beat, k, constraints=(), kind="harmonize"):
    for name in _other(previous, voice, k):
        pin = Pin(f"c{len(constraints) + 1}", voice, bar, Fraction(beat), Pitch.parse(name))
        try:
            return pin, _resolve(spec, (*constraints, pin), previous, kind)
        except Unsatisfiable:
            continue
    raise AssertionError("no pin holds")


def test_pin_holds_through_a_later_edit_and_the_melody_never_changes(chorale) -> None:
    spec, piece = chorale
    melody = [(n.pitch, n.onset, n.duration, n.origin) for n in piece.voices[0].notes]
    pin, first = _pin_that_holds(spec, piece, 3, 1, 2, 1)  # bass, bar 1 beat 2
    assert _pitches(first.result.piece, 3)[1] == pin.pitch.name
    assert first.changed >= 1
    leap = MaxLeapRule("c2", 1, 4)  # the alto leaps at most a fourth
    second = _resolve(spec, (pin, leap), first.result.piece)
    after = second.result.piece
    assert _pitches(after, 3)[1] == pin.pitch.name
    note = after.voices[3].sounding()[1]
    assert (note.origin, note.source) == ("human", pin.id)
    alto = [n.pitch.diatonic for n in after.voices[1].sounding()]
    assert max(abs(b - a) for a, b in zip(alto, alto[1:])) <= 3
    for p in (first.result.piece, after):
        assert [(n.pitch, n.onset, n.duration, n.origin) for n in p.voices[0].notes] == melody
        assert not hard(check(p))
    # the Roman numerals follow the new bass
    labels = [a["chord"] for a in after.info["harmony"]["analysis"]]
    assert len(labels) == 12 and after.info["harmony"]["analysis"][0]["key"] == "C major"


def test_a_locked_voice_stays_bit_identical(chorale) -> None:
    spec, piece = chorale
    lock = Lock("c1", 2, 1, 4, lock_notes(piece, 2, 1, 4))  # the tenor, everywhere
    pin, out = _pin_that_holds(spec, piece, 3, 2, 1, 4, (lock,))
    tenor = lambda p: [(n.pitch, n.onset, n.duration, n.tie) for n in p.voices[2].notes]  # noqa
    assert tenor(out.result.piece) == tenor(piece)
    assert _pitches(out.result.piece, 3)[4] == pin.pitch.name


@pytest.mark.parametrize("voice,bars", [(3, (3, 4)), (1, (1, 2))], ids=["bass-3-4", "alto-1-2"])
def test_regenerate_changes_only_its_region(chorale, voice, bars) -> None:
    spec, piece = chorale
    region = Region(voice, *bars)
    out = chorale_edit.regenerate("harmonize", spec, (), piece, region, FAST, run_id="r2")
    new = out.result.piece
    bar = piece.bar_length
    inside = lambda n: bars[0] <= n.onset // bar + 1 <= bars[1]  # noqa: E731
    for v in range(4):
        before = [(n.onset, n.pitch) for n in piece.voices[v].sounding()
                  if v != voice or not inside(n)]
        after = [(n.onset, n.pitch) for n in new.voices[v].sounding()
                 if v != voice or not inside(n)]
        assert before == after, v
    assert [n.pitch for n in piece.voices[voice].sounding() if inside(n)] != \
        [n.pitch for n in new.voices[voice].sounding() if inside(n)]
    assert not hard(check(new))


def _conflict(spec, constraints, previous, kind="harmonize") -> tuple[str, ...]:
    with pytest.raises(Unsatisfiable) as info:
        _resolve(spec, constraints, previous, kind)
    return info.value.conflicts


def test_a_pin_on_the_melody_conflicts_with_the_melody_note(chorale) -> None:
    spec, piece = chorale
    pin = Pin("c1", 0, 2, Fraction(1), Pitch.parse("F#5"))
    assert set(_conflict(spec, (pin,), piece)) == {
        "your pin voice 1 bar 2 = F#5", "the melody note at bar 2 beat 1 is E5"}


def test_a_pin_against_a_cadence_names_the_two(chorale) -> None:
    """G3 in the bass under E5 at the phrase end: iii6 could carry it, no cadence can (a
    cadence chord has its root in the bass, and no root G has an E)."""
    spec, piece = chorale
    pin = Pin("c1", 3, 2, Fraction(3), Pitch.parse("G3"))
    other = IntervalRule("c2", 0, 3, 1, Fraction(1), 8, None, True)  # holds, not named
    assert set(_conflict(spec, (other, pin), piece)) == {
        "your pin voice 4 bar 2 beat 3 = G3", "a cadence at the phrase end bar 2 beat 3"}


def test_two_pins_against_a_canon_name_the_three(canon) -> None:
    """The soprano at bar 1 beat 2 returns an octave lower in the bass at bar 2 beat 2: pins
    on both that are not an octave apart contradict the canon, and only the three are named."""
    spec, piece = canon
    lead = Pin("c1", 0, 1, Fraction(2), Pitch.parse("A4"))
    follow = Pin("c2", 1, 2, Fraction(2), Pitch.parse("F3"))
    assert set(_conflict(spec, (lead, follow), piece, "compose")) == {
        "your pin voice 1 bar 1 beat 2 = A4", "your pin voice 2 bar 2 beat 2 = F3",
        "the canon Soprano -> Bass at -P8, 1 bar later"}


def test_a_plan_that_cannot_hold_names_its_minimal_wishes() -> None:
    """A bass range a canon at the octave below cannot reach from the soprano's range: the
    canon and both ranges, not the cadence plan."""
    plan = dict(PLAN, voice=[PLAN["voice"][0], {"name": "Bass", "range": ["E2", "B2"]}])
    err = chorale_explain.explain_plan("compose", {"form": plan, "name": "bad"}, FAST)
    assert set(err.conflicts) == {"the canon Soprano -> Bass at -P8, 1 bar later",
                                  "the range of Bass: E2-B2", "the range of Soprano: C4-G5"}


def test_bars_of_a_melody_with_a_pickup_are_numbered_as_in_the_source(tmp_path):
    """A one-beat pickup is bar 0: pinning bar 1 beat 1 pins the first downbeat, and a lock
    of bar 1 keeps the notes of the first whole bar, not of the pickup."""
    from pathlib import Path

    from stretto.cli import main
    from stretto.io.project import load_project

    # G minor, 4/4, a quarter pickup (tests/io's notation file)
    path = Path(__file__).resolve().parents[2] / "io" / "data" / "pickup_grace_g_minor.musicxml"
    assert main(["harmonize", str(path), "--out", str(tmp_path / "h"), "--time-limit",
                 "3"]) == 0
    project, _ = load_project(tmp_path / "h")
    task = chorale_task.task_of(project.kind, project.spec)
    assert task.first_bar == 0
    pickup = task.slot_at(0, Fraction(4))
    downbeat = task.slot_at(1, Fraction(1))
    assert downbeat == pickup + 1 and task.onsets[downbeat] == 4 * (task.onsets[pickup] // 4 + 1)
    assert task.bar_of(downbeat) == 1 and task.bar_of(pickup) == 0
    kept = lock_notes(project.piece, 1, 1, 1)
    assert {Fraction(on) for on, _, _ in kept} >= {task.onsets[downbeat]}
    assert all(Fraction(on) >= task.onsets[downbeat] for on, _, _ in kept)
