"""``stretto species`` on any final (the mode read from the cantus, or --mode), --cantus-octave,
and a first solve that cannot hold naming its conflict and a fix that was checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stretto.cli import main
from stretto.io import read_score

BB_IONIAN = "Bb3 C4 D4 Bb3 Eb4 D4 F4 Eb4 D4 C4 Bb3"
HIGH_PHRYGIAN = "E4 F4 G4 E4 A4 G4 C5 B4 A4 G4 F4 E4"


@pytest.mark.parametrize("cantus,mode,fifths", [
    (BB_IONIAN, "Bb ionian", -2),
    ("F#3 G3 A3 F#3 B3 A3 G3 E3 F#3", "F# phrygian", 2),
    ("Eb3 F3 G3 A3 Bb3 G3 F3 Eb3", "Eb lydian", -2),
    ("G3 A3 Bb3 C4 D4 E4 D4 C4 A3 G3", "G dorian", -1),
], ids=["Bb-ionian", "F#-phrygian", "Eb-lydian", "G-dorian"])
def test_transposed_mode_is_read_solved_and_checks_clean(tmp_path: Path, capsys, cantus, mode,
                                                         fifths) -> None:
    out = tmp_path / "p"
    assert main(["species", "--cantus", cantus, "--species", "1", "--voices", "2",
                 "--cantus-voice", "bottom", "--out", str(out), "--time-limit", "5"]) == 0
    stdout = capsys.readouterr().out
    note = [line for line in stdout.splitlines() if line.startswith("mode: ")]
    assert len(note) == 1 and note[0].startswith(f"mode: {mode} (from the final")
    piece = read_score(out / "score.json")
    assert piece.mode.fifths == fifths and str(piece.mode) == mode
    assert json.loads((out / "score.json").read_text())["project"]["spec"]["mode"]["final"] \
        == mode.split()[0]
    # The independent checker agrees: every note of the mode (or its ficta), no hard fault.
    assert main(["check", str(out / "score.json")]) == 0


def test_the_issue_example_names_the_flats(tmp_path: Path, capsys) -> None:
    assert main(["species", "--cantus", BB_IONIAN, "--out", str(tmp_path / "p"),
                 "--time-limit", "5", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)  # --json: the note is a field, stdout JSON
    assert summary["mode"].startswith("Bb ionian (from the final Bb and the flats Bb, Eb")


def test_mode_override_takes_the_final_from_the_cantus(tmp_path: Path, capsys) -> None:
    out = tmp_path / "p"
    assert main(["species", "--cantus", BB_IONIAN, "--mode", "mixolydian", "--out", str(out),
                 "--time-limit", "5"]) == 0
    assert "mode:" not in capsys.readouterr().out  # given, not inferred: nothing to report
    piece = read_score(out / "score.json")
    assert str(piece.mode) == "Bb mixolydian" and piece.mode.fifths == -3
    added = next(v for v in piece.voices if v.role != "cantus")
    # Every note of B-flat mixolydian (A-flat) or its ficta: A natural only as the raised
    # leading tone into the final.
    notes = [n.pitch for n in added.sounding()]
    assert all(piece.mode.is_allowed(p) for p in notes)
    assert all(p.name[:-1] != "A" or k == len(notes) - 2 for k, p in enumerate(notes))


def test_a_cantus_no_mode_admits_exits_2(tmp_path: Path, capsys) -> None:
    out = tmp_path / "p"
    assert main(["species", "--cantus", "Bb3 C4 Db4 D4 C4 Bb3", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no mode on the final Bb admits every note" in err and err.count("\n") == 1
    assert not out.exists()


def test_cantus_octave_moves_the_cantus(tmp_path: Path) -> None:
    out = tmp_path / "p"
    assert main(["species", "--cantus", HIGH_PHRYGIAN, "--voices", "4", "--species", "1",
                 "--cantus-octave", "-1", "--out", str(out), "--time-limit", "5"]) == 0
    piece = read_score(out / "score.json")
    cantus = next(v for v in piece.voices if v.role == "cantus")
    assert [n.pitch.name for n in cantus.sounding()][:3] == ["E3", "F3", "G3"]
    assert main(["check", str(out / "score.json")]) == 0


@pytest.mark.parametrize("shift", ["4", "-4", "x"], ids=["up-4", "down-4", "word"])
def test_cantus_octave_out_of_bounds_exit_2(tmp_path: Path, capsys, shift) -> None:
    code = main(["species", "--cantus", HIGH_PHRYGIAN, "--cantus-octave", shift,
                 "--out", str(tmp_path / "p")])
    assert code == 2 and "cantus-octave" in capsys.readouterr().err


def test_high_cantus_in_the_bass_names_registers_and_the_octave_fix(tmp_path: Path,
                                                                   capsys) -> None:
    out = tmp_path / "y"
    code = main(["species", "--cantus", HIGH_PHRYGIAN, "--species", "1", "--voices", "4",
                 "--cantus-voice", "bottom", "--out", str(out), "--time-limit", "5"])
    err = capsys.readouterr().err
    assert code == 3 and err.count("\n") == 1 and not out.exists()
    # The cause: the three upper voices pressed under C6 over a cantus E4-C5 in the bass ...
    assert "the registers Soprano E4-C6, Alto E4-C6, Tenor E4-C6 around the cantus E4-C5 " \
           "in the bass (pressed under C6" in err
    assert "rule consonance" in err  # ... with the rules that cannot hold in them
    # ... and the fix, checked by a solve before it is offered.
    assert "It holds with --cantus-octave -1 (the cantus E3-C4)" in err


def test_conflict_as_json(tmp_path: Path, capsys) -> None:
    code = main(["species", "--cantus", HIGH_PHRYGIAN, "--species", "1", "--voices", "4",
                 "--out", str(tmp_path / "y"), "--time-limit", "5", "--json"])
    assert code == 3
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "conflict"
    assert report["conflicts"][0].startswith("the registers Soprano E4-C6")
    assert any(c.startswith("rule ") for c in report["conflicts"][1:])
