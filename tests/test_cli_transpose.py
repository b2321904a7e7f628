"""``stretto harmonize`` and the soprano's range C4-G5: a melody outside it exits 3 naming the
range and ``--transpose``; ``--transpose auto|INTERVAL`` moves it in, says so in one line,
keeps the interval in score.json (the way back), and edits re-solve the moved project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stretto.cli import main


def _melody(tmp_path: Path, names: str, name: str = "melody") -> Path:
    from music21 import meter, note, stream

    s = stream.Stream()
    s.append(meter.TimeSignature("4/4"))
    for n in names.split():
        s.append(note.Note(n, quarterLength=1))
    path = tmp_path / f"{name}.musicxml"
    s.write("musicxml", fp=str(path))
    return path


LOW = "G3 A3 B3 C4 D4 C4 B3 A3 B3 C4 A3 G3"  # G major, an octave too low
HIGH = "G5 A5 B5 C6 B5 A5 G5 F#5 E5 D5 F#5 G5"  # G major, an octave too high
WIDE = "A3 D4 F#4 A4 D5 E5 D5 A4 F#4 D4 E4 D4"  # D major, A3-E5: no octave fits


@pytest.mark.parametrize("names,needle", [
    (LOW, "the melody reaches G3, below the soprano's range C4-G5: pass --transpose auto "
          "(or --transpose P8)"),
    (HIGH, "the melody reaches C6, above the soprano's range C4-G5: pass --transpose auto "
           "(or --transpose -P8)"),
    (WIDE, "the melody reaches A3, below the soprano's range C4-G5: pass --transpose auto "
           "(or --transpose m3)"),
    ("F3 C4 G5 C4", "the melody spans F3-G5, wider than the soprano's range C4-G5"),
], ids=["low", "high", "no-octave-fits", "too-wide"])
def test_outside_the_range_exits_3_naming_range_and_option(tmp_path: Path, capsys, names,
                                                           needle) -> None:
    out = tmp_path / "out"
    assert main(["harmonize", str(_melody(tmp_path, names)), "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1
    assert not out.exists()


def test_key_given_still_names_the_range(tmp_path: Path, capsys) -> None:
    assert main(["harmonize", str(_melody(tmp_path, LOW)), "--key", "G major",
                 "--out", str(tmp_path / "out")]) == 3
    assert "below the soprano's range C4-G5: pass --transpose auto" in capsys.readouterr().err


@pytest.mark.parametrize("names,how,interval,line,key,first", [
    (LOW, "auto", "P8", "up an octave (the melody G3-D4 now G4-D5, G major kept; back: -P8)",
     "G major", "G4"),
    (HIGH, "auto", "-P8", "down an octave (the melody D5-C6 now D4-C5, G major kept; "
     "back: P8)", "G major", "G4"),
    (WIDE, "auto", "m3", "up a minor third (the melody A3-E5 now C4-G5, D major now F major; "
     "back: -m3)", "F major", "C4"),
    (LOW, "P4", "P4", "up a perfect fourth (the melody G3-D4 now C4-G4, G major now C major; "
     "back: -P4)", "C major", "C4"),
    (HIGH, "-P8", "-P8", "down an octave (the melody D5-C6 now D4-C5, G major kept; "
     "back: P8)", "G major", "G4"),
], ids=["auto-octave-up", "auto-octave-down", "auto-nearest-key", "given-P4", "given-down"])
def test_transpose_moves_reports_and_records(tmp_path: Path, capsys, names, how, interval,
                                             line, key, first) -> None:
    out = tmp_path / "out"
    assert main(["harmonize", str(_melody(tmp_path, names)), "--transpose", how,
                 "--out", str(out), "--time-limit", "5"]) == 0
    stdout = capsys.readouterr().out
    assert f"transposed: {line}" in stdout.splitlines()
    data = json.loads((out / "score.json").read_text())
    record = data["project"]["spec"]["transpose"]
    assert record["interval"] == interval and record["to_key"] == key
    assert record["undo"] == ("-" + interval if not interval.startswith("-") else interval[1:])
    soprano = data["voices"][0]["notes"]
    assert soprano[0]["pitch"] == first
    # Every note moved by the same interval, rhythm kept: the way back is exact.
    given = names.split()
    from stretto.pitch import Pitch, Transposition
    back = Transposition.parse(record["undo"])
    assert [back.apply(Pitch.parse(n["pitch"])).name for n in soprano] == given
    assert data["info"]["harmony"]["key"].startswith(key.split()[0])
    assert main(["check", str(out / "score.json")]) == 0


def test_transpose_that_misses_the_range_exits_3(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["harmonize", str(_melody(tmp_path, LOW)), "--transpose", "M2",
                 "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("stretto: moved up a major second, the melody reaches A3, below "
                          "the soprano's range C4-G5: pass --transpose auto (or --transpose P8)")
    assert not out.exists()


@pytest.mark.parametrize("text", ["P3", "M5", "X4", "P", "P16", "d1"],
                         ids=["P3", "M5", "X4", "no-number", "P16", "d1"])
def test_unreadable_interval_exits_2(tmp_path: Path, capsys, text) -> None:
    code = main(["harmonize", str(tmp_path / "m.musicxml"), "--transpose", text,
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "--transpose" in err and err.count("\n") == 1


def test_an_edit_re_solves_the_transposed_project(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["harmonize", str(_melody(tmp_path, WIDE)), "--transpose", "auto",
                 "--out", str(out), "--time-limit", "5"]) == 0
    assert main(["pin", str(out), "--voice", "4", "--bar", "1", "--beat", "3",
                 "--pitch", "A2"]) == 0
    data = json.loads((out / "score.json").read_text())
    bass = {(n["onset"], n["pitch"]) for n in data["voices"][3]["notes"]}
    assert ("2", "A2") in bass  # the pin holds, in the moved key
    assert data["project"]["spec"]["transpose"]["interval"] == "m3"  # the record stays
    assert [n["pitch"] for n in data["voices"][0]["notes"]][:3] == ["C4", "F4", "A4"]
    assert main(["check", str(out / "score.json")]) == 0
