"""A cantus's mode read from its final and its accidentals, on any final."""

from __future__ import annotations

import pytest

from stretto.errors import BadInput
from stretto.modes import Mode, infer_mode
from stretto.pitch import parse_pitches


@pytest.mark.parametrize("notes,mode", [
    ("Bb3 C4 D4 Bb3 Eb4 D4 F4 Eb4 D4 C4 Bb3", Mode("ionian", "Bb")),
    ("F#4 G4 A4 F#4 E4 D4 E4 G4 F#4", Mode("phrygian", "F#")),
    ("Eb4 F4 G4 A4 Bb4 G4 F4 Eb4", Mode("lydian", "Eb")),
    ("G4 A4 Bb4 C5 D5 E5 D5 C5 A4 G4 F#4 G4", Mode("dorian", "G")),  # F# raised leading tone
    ("C#4 D#4 E4 F#4 E4 D#4 C#4", Mode("aeolian", "C#")),
    ("Ab3 Bb3 C4 Db4 Eb4 F4 Gb4 F4 Eb4 Ab3", Mode("mixolydian", "Ab")),
], ids=["Bb-ionian", "F#-phrygian", "Eb-lydian", "G-dorian-ficta", "C#-aeolian",
        "Ab-mixolydian"])
def test_mode_on_any_final(notes: str, mode: Mode) -> None:
    assert infer_mode(parse_pitches(notes)).mode == mode


@pytest.mark.parametrize("notes,mode", [
    ("D4 F4 E4 D4 G4 F4 A4 G4 F4 E4 D4", "dorian"),
    ("E4 C4 D4 C4 A3 A4 G4 E4 F4 E4", "phrygian"),
    ("F3 G3 A3 F3 D3 E3 F3 C4 A3 F3 G3 F3", "lydian"),
    ("G3 C4 B3 G3 C4 E4 D4 G4 E4 C4 D4 B3 A3 G3", "mixolydian"),
    ("A3 C4 B3 D4 C4 E4 F4 E4 D4 C4 B3 A3", "aeolian"),
    ("C4 E4 F4 G4 E4 A4 G4 E4 F4 E4 D4 C4", "ionian"),
], ids=["dorian", "phrygian", "lydian", "mixolydian", "aeolian", "ionian"])
def test_fux_white_key_cantus_keep_fux_mode(notes: str, mode: str) -> None:
    reading = infer_mode(parse_pitches(notes))
    assert reading.mode.name == mode and reading.mode.fifths == 0 and not reading.alternatives


def test_fux_ficta_stay_ficta_on_white_keys() -> None:
    # C# and B-flat in a D cantus are Fux's ficta in dorian, not a sign of D minor or D major.
    reading = infer_mode(parse_pitches("D4 F4 E4 Bb3 A3 D4 C#4 D4"))
    assert reading.mode == Mode("dorian", "D")
    assert reading.ficta == ("Bb", "C#")


def test_note_names_final_and_accidentals() -> None:
    reading = infer_mode(parse_pitches("Bb3 C4 D4 Bb3 Eb4 D4 F4 Eb4 D4 C4 Bb3"))
    assert reading.describe().startswith("Bb ionian (from the final Bb and the flats Bb, Eb")
    # A is never sung, so B-flat mixolydian fits the notes as well: the note says so.
    assert reading.alternatives == (Mode("mixolydian", "Bb"),)
    assert "the cantus has no A" in reading.describe()
    assert "\n" not in reading.describe()


def test_sharps_are_named_as_sharps() -> None:
    text = infer_mode(parse_pitches("F#4 G4 A4 F#4 E4 D4 E4 G4 F#4")).describe()
    assert text == "F# phrygian (from the final F# and the sharp F#)"


@pytest.mark.parametrize("notes,needle", [
    ("Bb3 C4 Db4 D4 C4 Bb3", "no mode on the final Bb admits every note"),
    ("C4 D4 E4 F4 Gb4 A4 F#4 C4", "accidentals F#, Gb"),
    ("D4 E4 C4 Bbb3", "double-sharp or double-flat final"),
], ids=["Db-and-D", "Gb-and-F#", "double-flat-final"])
def test_no_mode_fits_is_bad_input(notes: str, needle: str) -> None:
    with pytest.raises(BadInput, match=needle):
        infer_mode(parse_pitches(notes))
