"""The ``stretto`` command line: the species job, the checker, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stretto.cli import main
from stretto.io import read_score
from stretto.score import load_json

DORIAN = "D4 F4 E4 D4 G4 F4 A4 G4 F4 E4 D4"


def test_species_writes_project_and_reports(tmp_path: Path, capsys) -> None:
    out = tmp_path / "proj"
    code = main(["species", "--cantus", DORIAN, "--species", "1", "--voices", "2",
                 "--cantus-voice", "bottom", "--out", str(out), "--time-limit", "5"])
    assert code == 0
    text = capsys.readouterr().out
    assert "status optimal" in text and "0 hard" in text
    assert {p.name for p in out.iterdir()} == {"score.mid", "score.musicxml", "score.json"}
    piece = load_json(out / "score.json")
    assert [n.name for n in piece.voices[1].sounding()] == DORIAN.split()
    # score.json -> MusicXML -> parsed back: the same notes.
    back = read_score(out / "score.musicxml")
    for a, b in zip(piece.voices, back.voices):
        assert [(n.pitch, n.onset, n.duration, n.tie) for n in a.notes] == \
               [(n.pitch, n.onset, n.duration, n.tie) for n in b.notes]


@pytest.mark.slow  # seconds each: make test runs it, make test-fast leaves it out
def test_species_three_voices_mixed_json(tmp_path: Path, capsys) -> None:
    code = main(["species", "--cantus-name", "fux-dorian", "--species", "3,1",
                 "--cantus-voice", "bottom", "--out", str(tmp_path / "p"), "--json",
                 "--time-limit", "4"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["hard_violations"] == 0
    piece = load_json(tmp_path / "p" / "score.json")
    assert [v.species for v in piece.voices] == [3, 1, None]


def test_check_accepts_solved_score_and_rejects_planted_fault(tmp_path: Path, capsys) -> None:
    out = tmp_path / "p"
    assert main(["species", "--cantus-name", "fux-dorian", "--out", str(out),
                 "--time-limit", "3"]) == 0
    capsys.readouterr()
    assert main(["check", str(out / "score.json")]) == 0
    assert "0 hard" in capsys.readouterr().out
    # Plant parallel fifths: move the counterpoint a fifth above the cantus in bars 2 and 3.
    data = json.loads((out / "score.json").read_text())
    upper, cantus = data["voices"]
    for k in (1, 2):
        c = cantus["notes"][k]["pitch"]
        from stretto.pitch import Pitch
        p = Pitch.parse(c)
        fifth = Pitch.from_diatonic(p.diatonic + 4 + 7)
        upper["notes"][k]["pitch"], upper["notes"][k]["midi"] = fifth.name, fifth.midi
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    assert main(["check", str(bad), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert "parallel-perfect" in {v["rule"] for v in report["violations"]}


@pytest.mark.parametrize("argv,needle", [
    (["--cantus", "D4 F4 H4 D4"], "unknown pitch name 'H4'"),
    (["--cantus", "D4 F4 D4"], "too short"),
    (["--cantus", "D4 F4 E4 D4 G4 F4 A4 G4 F4 E4", "--mode", "D dorian"], "not on the final"),
    (["--cantus", DORIAN, "--species", "6"], "unknown species 6"),
    (["--cantus", DORIAN, "--species", "1,1", "--voices", "2"], "needs 1"),
    (["--cantus", DORIAN, "--cantus-voice", "7"], "outside"),
    (["--cantus", DORIAN, "--range", "1=G5-C4"], "impossible range"),
    (["--cantus", DORIAN, "--range", "1=C4"], "malformed --range"),
    (["--cantus-name", "fux-locrian"], "unknown cantus name"),
], ids=["pitch", "short", "final", "species", "voices", "cantus-voice", "range", "range-syntax",
        "cantus-name"])
def test_bad_input_exit_2_one_line_no_output(tmp_path: Path, capsys, argv, needle) -> None:
    out = tmp_path / "out"
    code = main(["species", *argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err and err.count("\n") == 1
    assert not out.exists()


def test_range_that_cannot_hold_the_voice_exit_2(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    code = main(["species", "--cantus", DORIAN, "--cantus-voice", "bottom",
                 "--range", "1=C2-C3", "--out", str(out)])
    assert code == 2
    assert "cannot hold a voice above the cantus" in capsys.readouterr().err
    assert not out.exists()


def test_unsatisfiable_constraints_exit_3(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    # A counterpoint squeezed into a fifth right on top of the cantus has no valid line.
    code = main(["species", "--cantus", DORIAN, "--cantus-voice", "bottom", "--max-range", "4",
                 "--range", "1=D4-A4", "--out", str(out), "--time-limit", "3"])
    assert code == 3
    err = capsys.readouterr().err
    # The minimal conflicting set names the registers and the rule; the fix was checked.
    assert "no score satisfies all of" in err.lower() and "registers Alto D4-A4" in err
    assert "rule cadence" in err and "leave out --range" in err
    assert not out.exists()


@pytest.mark.parametrize("content,name", [(b"\x00\x01garbage", "x.mid"),
                                          (b"<score-partwise", "x.musicxml"),
                                          (b"{", "score.json")], ids=["midi", "xml", "json"])
def test_check_corrupt_file_exit_2(tmp_path: Path, capsys, content: bytes, name: str) -> None:
    f = tmp_path / name
    f.write_bytes(content)
    assert main(["check", str(f)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_check_missing_file_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["check", str(tmp_path / "nope.musicxml")]) == 2


def test_check_judges_every_onset_unless_beats(tmp_path: Path, capsys) -> None:
    # soprano E5 at beat 3.5 to F5 on beat 4 over the tenor's E4-F4: parallel octaves that the
    # beats alone (the tenor holds F4 from beat 3 to beat 4) do not show
    from stretto.score import Piece, save_json
    from support import token_voices

    lines = ("D5/5/2 E5/1/2 F5/1 E5/4", "A4/2 A4/2 C5/4", "F4/5/2 E4/1/2 F4/1 G4/4",
             "D3/2 D3/2 C3/4")
    voices = token_voices(("Soprano", "Alto", "Tenor", "Bass"), lines)
    path = tmp_path / "four.json"
    save_json(Piece(voices=voices, meter="4/4"), path)
    assert main(["check", str(path), "--json"]) == 1
    found = json.loads(capsys.readouterr().out)
    assert found["motion"] == "every onset"
    assert [(v["rule"], v["bar"], v["beat"], v["voices"]) for v in found["violations"]] == [
        ("parallel-perfect", 1, "4", ["Soprano", "Tenor"])]
    assert main(["check", str(path), "--beats"]) == 0
    assert "0 hard, 0 soft violations (satb-voice-leading rules, motion on the beats only)" in \
        capsys.readouterr().out


HEAVY = ("ortools", "music21", "mido", "numpy", "networkx", "scipy", "librosa", "soundfile",
         "verovio", "tqdm", "ray", "matplotlib", "torch", "triton")


@pytest.mark.parametrize("load", [
    "from stretto.cli import make_parser; p = make_parser(); "
    "p.parse_args(['harmonize', 'x.mxl']); p.parse_args(['compose', 'x.toml'])",
    "import stretto.solver.species.spec",
    "from stretto.solver import SolveSettings"], ids=["help", "solver-spec", "solver-settings"])
def test_help_and_spec_import_nothing_heavy(load: str) -> None:
    """``stretto --help`` (and parsing any command's arguments) and the solver's settings stay
    light: none of the heavy libraries is imported."""
    code = (f"import sys; {load}; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


FUX = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "fux-gradus" / "1x1"


@pytest.mark.skipif(not FUX.is_dir(), reason="../shared/datasets/fux-gradus is absent")
def test_check_fux_figure_with_fux_liberties(capsys) -> None:
    # Fig. 76: fourth species with the 4-5 suspension in the lower voice, a liberty of Fux's.
    path = str(FUX / "076.mxl")
    assert main(["check", path, "--species", "4", "--cantus-voice", "top"]) == 1
    assert "suspension" in capsys.readouterr().out
    assert main(["check", path, "--species", "4", "--cantus-voice", "top", "--fux"]) == 0
