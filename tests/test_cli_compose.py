"""The harmonize and compose commands: files written, exit codes, nothing written on failure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mido
import pytest

from stretto.cli import main
from stretto.score import load_json

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _corpus(name: str) -> Path:
    from music21 import corpus

    return Path(corpus.getWork(name))


def test_harmonize_writes_satb_project(tmp_path: Path, capsys) -> None:
    melody = tmp_path / "bwv66.6.mxl"
    shutil.copy(_corpus("bwv66.6"), melody)
    out = tmp_path / "out"
    code = main(["harmonize", str(melody), "--out", str(out), "--time-limit", "5", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["hard_violations"] == 0
    assert summary["key"] == "F# minor"
    tracks = [t.name for t in mido.MidiFile(out / "score.mid").tracks]
    assert tracks[-4:] == ["Soprano", "Alto", "Tenor", "Bass"]
    piece = load_json(out / "score.json")
    assert piece.info["harmony"]["analysis"][0]["chord"]
    xml = (out / "score.musicxml").read_text()
    assert "<words>f#:</words>" in xml  # the analysis under the bass: the key, then
    assert xml.count("<harmony ") == len(piece.info["harmony"]["analysis"])  # the numerals
    assert '<measure implicit="yes" number="0">' in xml  # the pickup, as in the source
    # the checker reads the analysis back from the MusicXML and finds nothing wrong
    assert main(["check", str(out / "score.musicxml")]) == 0


def test_harmonize_key_override_and_ornament(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    code = main(["harmonize", str(_corpus("bwv66.6")), "--key", "F# minor", "--ornament",
                 "--out", str(out), "--time-limit", "5"])
    assert code == 0
    assert load_json(out / "score.json").info["harmony"]["ornament"] is True


def _melody_file(tmp_path: Path, names: str) -> Path:
    from music21 import note, stream

    s = stream.Stream()
    for n in names.split():
        s.append(note.Note(n, quarterLength=1))
    path = tmp_path / "melody.musicxml"
    s.write("musicxml", fp=str(path))
    return path


BAD = [
    ("outside-any-key", "C4 D-4 D4 E-4 E4 G-4 G4 A-4 A4 B-4 B4 C5", [], "key"),
    ("wrong-key", "E5 D5 C5 D5 E5 E5 E5", ["--key", "F# major"], "F# major"),
    ("bad-key-name", "E5 D5 C5", ["--key", "H minor"], "key"),
]  # a melody outside the soprano's range: exit 3, see tests/test_cli_transpose.py


@pytest.mark.parametrize("names,extra,needle", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_harmonize_bad_input_exit_2(tmp_path: Path, capsys, names, extra, needle) -> None:
    melody = _melody_file(tmp_path, names)
    out = tmp_path / "out"
    code = main(["harmonize", str(melody), "--out", str(out), *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and needle in err
    assert not out.exists()


def test_harmonize_missing_file_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["harmonize", str(tmp_path / "nope.mxl"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_compose_canon_writes_project(tmp_path: Path, capsys) -> None:
    out = tmp_path / "canon"
    code = main(["compose", str(EXAMPLES / "canon.toml"), "--out", str(out), "--json",
                 "--time-limit", "5"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["hard_violations"] == 0
    piece = load_json(out / "score.json")
    assert [v.name for v in piece.voices] == ["Soprano", "Bass"]
    assert piece.info["form"]["canons"][0]["follower"] == "Bass"


def test_compose_deterministic(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")  # the project's history is dated
    for name in ("a", "b"):
        assert main(["compose", str(EXAMPLES / "canon.toml"), "--out", str(tmp_path / name),
                     "--time-limit", "5", "--seed", "3"]) == 0
    assert (tmp_path / "a" / "score.json").read_bytes() == \
        (tmp_path / "b" / "score.json").read_bytes()


def test_compose_conflict_exit_3(tmp_path: Path, capsys) -> None:
    plan = (EXAMPLES / "canon.toml").read_text().replace('interval = "-P8"',
                                                          'interval = "P15"')
    spec = tmp_path / "bad.toml"
    spec.write_text(plan)
    out = tmp_path / "out"
    assert main(["compose", str(spec), "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "canon" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("text,needle", [
    ("[piece\nkey=", "not valid TOML"),
    ("[piece]\nkey = \"D minor\"\n", "voice"),
    ("title = 1\n", "[piece]"),
], ids=["syntax", "no-voices", "no-piece"])
def test_compose_bad_plan_exit_2(tmp_path: Path, capsys, text, needle) -> None:
    spec = tmp_path / "plan.toml"
    spec.write_text(text)
    out = tmp_path / "out"
    assert main(["compose", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_harmonize_midi_melody(tmp_path: Path, capsys) -> None:
    """A MIDI melody (no fermatas): the rest and the end close phrases."""
    from music21 import note, stream

    s = stream.Stream()
    for n in "G4 A4 B4 G4 A4 F#4 G4".split():
        s.append(note.Note(n, quarterLength=1))
    s.append(note.Rest(quarterLength=1))
    for n in "B4 C5 D5 B4 A4 A4 G4".split():
        s.append(note.Note(n, quarterLength=1))
    path = tmp_path / "melody.mid"
    s.write("midi", fp=str(path))
    out = tmp_path / "out"
    assert main(["harmonize", str(path), "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["key"] == "G major" and len(summary["cadences"]) == 2


def test_compose_conflict_says_what_to_relax(tmp_path: Path, capsys) -> None:
    """A first compose that cannot hold names the minimal set (the canon into a bass kept in
    E2-B2, the two ranges) and, for each member, what to change in the plan."""
    plan = (EXAMPLES / "canon.toml").read_text().replace('range = ["E2", "D4"]',
                                                          'range = ["E2", "B2"]')
    spec = tmp_path / "narrow.toml"
    spec.write_text(plan)
    assert main(["compose", str(spec), "--out", str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err
    assert "the canon Soprano -> Bass at -P8, 1 bar later" in err
    assert "the range of Bass: E2-B2" in err
    assert "Relax one of them: give the canon another interval or delay" in err
    assert "widen the range of Bass ([[voice]] range)" in err
    assert err.count("\n") == 1 and not (tmp_path / "out").exists()


@pytest.mark.slow  # seconds each: make test runs it, make test-fast leaves it out
def test_harmonize_falls_back_to_a_chord_every_two_beats(tmp_path: Path, capsys) -> None:
    """A hornpipe in sixteenths cannot take a chord on every beat; unless
    --beats-per-chord says otherwise it gets one every two beats, says so, and the project
    records it (its edits rebuild the same problem)."""
    from music21 import corpus

    melody = tmp_path / "hornpipe.musicxml"
    corpus.parse("ryansMammoth/SmithsHornpipe").write("musicxml", fp=str(melody))
    assert main(["harmonize", str(melody), "--beats-per-chord", "1", "--out",
                 str(tmp_path / "one")]) == 3
    assert not (tmp_path / "one").exists()
    capsys.readouterr()
    assert main(["harmonize", str(melody), "--out", str(tmp_path / "h")]) == 0
    assert "harmonic rhythm: a chord every 2 beats" in capsys.readouterr().out
    data = json.loads((tmp_path / "h" / "score.json").read_text())
    assert data["project"]["spec"]["beats_per_chord"] == 2
