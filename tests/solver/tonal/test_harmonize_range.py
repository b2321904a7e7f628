"""The soprano's range C4-G5 in harmonize: the smallest sensible transposition into it, and
the one-line conflict naming it."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stretto.errors import Unsatisfiable
from stretto.io.melody import Melody
from stretto.pitch import Pitch, Transposition
from stretto.score import Note
from stretto.harmony import Key
from stretto.solver.tonal.harmonize import (auto_transposition, problem_in, range_conflict,
    transpose_key, transpose_melody)


def melody(names: str) -> Melody:
    notes = tuple(Note(id=f"v0n{k}", pitch=Pitch.parse(p), onset=Fraction(k),
                       duration=Fraction(1), origin="human")
                  for k, p in enumerate(names.split()))
    return Melody(notes=notes, meter="4/4", fermatas=frozenset(), pickup_shift=Fraction(0),
                  title="t")


@pytest.mark.parametrize("names,key,interval", [
    ("C4 E4 G4 C5", "C major", "P1"),                 # already in the range
    ("G3 B3 D4 G4", "G major", "P8"),                 # an octave first, the key kept
    ("C6 G5 E5 C5", "C major", "-P8"),
    ("B3 C4 E4 F5 E4 C4 B3", "C major", "m2"),       # C# major (7 sharps) is no key: Db
    ("A3 D4 F#4 E5 D4", "D major", "m3"),            # F major, not E# major
    ("Bb3 D4 F4 F5 D4 Bb3", "Bb major", "M2"),       # C major, the nearest
], ids=["in-range", "octave-up", "octave-down", "Db-not-C#", "F-not-E#", "nearest"])
def test_auto_transposition(names: str, key: str, interval: str) -> None:
    move = auto_transposition(melody(names), Key.parse(key))
    assert move is not None and move.name == interval
    moved = transpose_melody(melody(names), move)
    assert range_conflict(moved) is None
    assert abs(transpose_key(Key.parse(key), move).church_mode.fifths) <= 6


def test_no_transposition_for_a_melody_wider_than_the_range() -> None:
    assert auto_transposition(melody("F3 C4 G5"), Key.parse("C major")) is None
    exc = range_conflict(melody("F3 C4 G5"))
    assert isinstance(exc, Unsatisfiable) and "wider than the soprano's range C4-G5" in str(exc)


def test_problem_in_refuses_a_melody_below_the_alto_as_a_conflict() -> None:
    with pytest.raises(Unsatisfiable, match=r"reaches E3, below the soprano's range C4-G5: "
                                            r"pass --transpose auto \(or --transpose P8\)"):
        problem_in(melody("E3 G3 B3 E4 B3 E3"), Key.parse("E minor"))


def test_transpose_key_spelling() -> None:
    assert str(transpose_key(Key.parse("G major"), Transposition.parse("P4"))) == "C major"
    assert str(transpose_key(Key.parse("F# minor"), Transposition.parse("-M2"))) == "E minor"
