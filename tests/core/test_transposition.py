"""Signed spelled intervals: --transpose's P4, -M2, m3, P8, -P8."""

from __future__ import annotations

import pytest

from stretto.errors import BadInput
from stretto.pitch import Pitch, Transposition


@pytest.mark.parametrize("text,generic,semitones,words", [
    ("P4", 3, 5, "up a perfect fourth"), ("-M2", -1, -2, "down a major second"),
    ("m3", 2, 3, "up a minor third"), ("P8", 7, 12, "up an octave"),
    ("-P8", -7, -12, "down an octave"), ("+M9", 8, 14, "up a major ninth"),
    ("A4", 3, 6, "up an augmented fourth"), ("-d5", -4, -6, "down a diminished fifth"),
    ("P15", 14, 24, "up two octaves"),
], ids=["P4", "-M2", "m3", "P8", "-P8", "+M9", "A4", "-d5", "P15"])
def test_parse_and_words(text: str, generic: int, semitones: int, words: str) -> None:
    t = Transposition.parse(text)
    assert (t.generic, t.semitones) == (generic, semitones)
    assert t.words() == words
    assert Transposition.parse(t.name) == t and t.inverse().inverse() == t


@pytest.mark.parametrize("pitch,text,out", [
    ("G3", "P4", "C4"), ("F#4", "P4", "B4"), ("Bb3", "-M2", "Ab3"), ("C4", "A4", "F#4"),
    ("C4", "d5", "Gb4"), ("E4", "m3", "G4"), ("B3", "m2", "C4"), ("Eb5", "-P8", "Eb4"),
], ids=["G3+P4", "F#4+P4", "Bb3-M2", "C4+A4", "C4+d5", "E4+m3", "B3+m2", "Eb5-P8"])
def test_apply_spells_by_letter(pitch: str, text: str, out: str) -> None:
    moved = Transposition.parse(text).apply(Pitch.parse(pitch))
    assert moved.name == out
    assert moved.midi - Pitch.parse(pitch).midi == Transposition.parse(text).semitones


@pytest.mark.parametrize("text", ["P3", "M5", "m4", "d1", "X4", "P", "P16", "4P", ""],
                         ids=["P3", "M5", "m4", "d1", "X4", "P", "P16", "4P", "empty"])
def test_unreadable_intervals(text: str) -> None:
    with pytest.raises(BadInput):
        Transposition.parse(text)


def test_triple_accidental_is_refused() -> None:
    with pytest.raises(BadInput, match="triple accidental"):
        Transposition.parse("A1").apply(Pitch.parse("F##4"))
