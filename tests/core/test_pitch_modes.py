"""Spelled pitches, intervals and church modes on any final."""

from __future__ import annotations

import pytest

from stretto.errors import BadInput
from stretto.modes import Mode, mode_of_final
from stretto.pitch import Interval, Pitch


@pytest.mark.parametrize("text,midi,name", [("C4", 60, "C4"), ("F#3", 54, "F#3"),
                                            ("Bb3", 58, "Bb3"), ("B-3", 58, "Bb3"),
                                            ("c#5", 73, "C#5"), ("Ebb4", 62, "Ebb4")])
def test_parse_scientific_and_music21_names(text: str, midi: int, name: str) -> None:
    p = Pitch.parse(text)
    assert (p.midi, p.name) == (midi, name)


@pytest.mark.parametrize("bad", ["H4", "C", "C#", "4C", "", "Cb#4", "C10"])
def test_unknown_pitch_name_is_bad_input(bad: str) -> None:
    with pytest.raises(BadInput, match="unknown pitch name"):
        Pitch.parse(bad)


@pytest.mark.parametrize("a,b,name", [("F4", "B4", "A4"), ("B3", "F4", "d5"), ("D4", "A4", "P5"),
                                      ("E4", "C5", "m6"), ("C4", "E5", "M10"), ("D4", "D5", "P8"),
                                      ("C#4", "Bb4", "d7"), ("F4", "G#4", "A2")])
def test_interval_spelling(a: str, b: str, name: str) -> None:
    assert Interval.between(Pitch.parse(a), Pitch.parse(b)).name == name


def test_tritone_is_dissonant_and_fourth_only_between_upper_voices() -> None:
    fourth = Interval.between(Pitch.parse("D4"), Pitch.parse("G4"))
    assert not fourth.is_consonant() and fourth.is_consonant(fourth_ok=True)
    assert not Interval.between(Pitch.parse("F4"), Pitch.parse("B4")).is_consonant(fourth_ok=True)


@pytest.mark.parametrize("mode,final,fifths", [("dorian", "D", 0), ("dorian", "G", -1),
                                               ("dorian", "E", 2), ("phrygian", "A", -1),
                                               ("lydian", "Bb", -1), ("mixolydian", "D", 1),
                                               ("aeolian", "F#", 3), ("ionian", "Eb", -3)])
def test_signature_of_modes_on_any_final(mode: str, final: str, fifths: int) -> None:
    assert Mode(mode, final).fifths == fifths


def test_g_dorian_has_b_flat_and_raises_f_sharp_at_cadence() -> None:
    g = Mode("dorian", "G")
    assert g.diatonic_pitch(Pitch.parse("B3").diatonic).name == "Bb3"
    assert g.is_raised_leading_tone(Pitch.parse("F#4"))
    assert not g.is_allowed(Pitch.parse("Gb4"))  # spelled as F#, never G-flat
    assert g.is_flat_ficta(Pitch.parse("Eb4"))  # the tritone partner of A, as Bb is of F


def test_phrygian_has_no_raised_leading_tone() -> None:
    e = Mode("phrygian", "E")
    assert not e.has_leading_tone_ficta
    assert not e.is_allowed(Pitch.parse("D#4"))


def test_d_dorian_ficta_spelling() -> None:
    d = Mode("dorian", "D")
    names = [p.name for p in d.pitches_between(Pitch.parse("A3"), Pitch.parse("D4"))]
    assert names == ["A3", "Bb3", "B3", "C4", "C#4", "D4"]


def test_mode_of_final_and_parse() -> None:
    assert mode_of_final("E") == Mode("phrygian", "E")
    assert Mode.parse("G dorian") == Mode.parse("dorian G") == Mode("dorian", "G")
    with pytest.raises(BadInput):
        Mode("locrian", "B")
