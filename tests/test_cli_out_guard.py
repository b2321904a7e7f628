"""Never overwrite what stretto did not write: ``--out`` onto the user's files is refused
unless ``--force`` (which backs them up first), symlinks are followed, and a note edited by
hand in score.json is refused, not silently reverted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stretto.cli import main
from stretto.io.project import load_project, undo_depth

SPECIES = ["species", "--cantus-name", "fux-dorian", "--species", "1", "--cantus-voice",
           "bottom", "--time-limit", "2"]


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def _project(folder: Path) -> Path:
    assert main([*SPECIES, "--out", str(folder)]) == 0
    return folder


def test_user_files_in_out_are_refused_and_untouched(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "score.musicxml").write_text("<my own score/>")
    (out / "notes.txt").write_text("my notes")
    before = _files(out)
    assert main([*SPECIES, "--out", str(out)]) == 2
    err = _one_line(capsys)
    assert "notes.txt" in err and "--force" in err
    assert _files(out) == before


def test_force_moves_user_files_into_a_dated_backup(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "score.musicxml").write_text("<my own score/>")
    assert main([*SPECIES, "--out", str(out), "--force"]) == 0
    backups = sorted(out.glob("backup-*"))
    assert len(backups) == 1
    assert (backups[0] / "score.musicxml").read_text() == "<my own score/>"
    assert load_project(out)[0].kind == "species"
    assert undo_depth(out) == (0, 0)  # the user's file is a backup, not an undo step


def test_rerun_onto_its_own_project_keeps_an_undo_step(tmp_path):
    out = _project(tmp_path / "p")
    assert main([*SPECIES, "--out", str(out)]) == 0
    assert undo_depth(out) == (1, 0)
    assert not list(out.glob("backup-*"))


def test_a_project_of_another_kind_is_refused(tmp_path, capsys):
    out = _project(tmp_path / "p")
    data = json.loads((out / "score.json").read_text())
    data["project"]["kind"] = "harmonize"
    (out / "score.json").write_text(json.dumps(data, indent=2))
    before = _files(out)
    assert main([*SPECIES, "--out", str(out)]) == 2
    assert "a harmonize project" in _one_line(capsys)
    assert _files(out) == before


def test_musicxml_changed_by_hand_is_refused(tmp_path, capsys):
    out = _project(tmp_path / "p")
    xml = out / "score.musicxml"
    xml.write_text(xml.read_text().replace("</score-partwise>", "<!-- mine --></score-partwise>"))
    assert main([*SPECIES, "--out", str(out)]) == 2
    assert "score.musicxml" in _one_line(capsys)


@pytest.mark.parametrize("make, words", [
    (lambda d: (d / "f").write_text("x") and d / "f", "is a file"),
    (lambda d: (d / "f").write_text("x") and d / "f" / "sub", "which is a file"),
    (lambda d: (d / "link").symlink_to(d / "nowhere") or d / "link", "symlink to nothing"),
], ids=["out-is-a-file", "out-under-a-file", "dangling-symlink"])
def test_bad_out_targets_are_one_line(tmp_path, capsys, make, words):
    target = make(tmp_path)
    assert main([*SPECIES, "--out", str(target)]) == 2
    assert words in _one_line(capsys)


def test_a_symlinked_score_json_stays_a_symlink(tmp_path):
    out = _project(tmp_path / "p")
    real = tmp_path / "elsewhere" / "score.json"
    real.parent.mkdir()
    (out / "score.json").replace(real)
    (out / "score.json").symlink_to(real)
    pitch = load_project(out)[0].piece.voices[0].notes[3].pitch.name
    assert main(["pin", str(out), "--voice", "1", "--bar", "4", "--pitch", pitch]) == 0
    assert (out / "score.json").is_symlink()
    assert [c.bar for c in load_project(out)[0].constraints] == [4]
    assert "pin" in real.read_text()


def test_a_note_edited_by_hand_is_refused_not_reverted(tmp_path, capsys):
    out = _project(tmp_path / "p")
    data = json.loads((out / "score.json").read_text())
    note = data["voices"][1]["notes"][2]  # the cantus's third note, bar 3
    assert (note["pitch"], note["midi"]) == ("E4", 64)
    note["pitch"], note["midi"] = "F4", 65
    (out / "score.json").write_text(json.dumps(data, indent=2))
    before = _files(out)
    pitch = load_project(out)[0].piece.voices[0].notes[6].pitch.name
    assert main(["pin", str(out), "--voice", "1", "--bar", "7", "--pitch", pitch]) == 2
    err = _one_line(capsys)
    assert "voice 2 bar 3" in err and "edited outside stretto" in err
    assert _files(out) == before


@pytest.mark.parametrize("extra, words", [
    (["--format", "prov-json", "--output", "{dir}"], "is a folder"),
    (["--output", "{dir}/p.json"], "add --format prov-json"),
], ids=["output-a-folder", "output-without-prov-json"])
def test_provenance_output_mistakes_are_one_line(tmp_path, capsys, extra, words):
    out = _project(tmp_path / "p")
    capsys.readouterr()
    argv = ["provenance", str(out), *[a.format(dir=tmp_path) for a in extra]]
    assert main(argv) == 2
    assert words in _one_line(capsys)
    assert not (tmp_path / "p.json").exists()
