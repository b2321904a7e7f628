"""stretto.io.project.write_project: all three files or none."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import mido
import pytest
from io_pieces import d_dorian_duo, g_dorian_trio

import stretto.io.midi
import stretto.io.musicxml
import stretto.io.journal
import stretto.io.project
import stretto.score
from stretto.io import read_score
from stretto.io.project import write_project

NAMES = ["score.json", "score.mid", "score.musicxml"]


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _leftovers(parent):
    return sorted(p.name for p in parent.iterdir() if ".tmp-" in p.name)


def test_writes_three_files_and_returns_paths(tmp_path):
    paths = write_project(g_dorian_trio(), tmp_path / "out")
    assert {k: p.name for k, p in paths.items()} == {"midi": "score.mid",
                                                    "musicxml": "score.musicxml",
                                                    "json": "score.json"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == NAMES
    assert read_score(paths["json"]) == g_dorian_trio()
    assert _leftovers(tmp_path) == []


def test_creates_missing_nested_folder(tmp_path):
    write_project(d_dorian_duo(), tmp_path / "a" / "b")
    assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == NAMES


def test_provenance_lands_in_midi_and_musicxml(tmp_path):
    paths = write_project(d_dorian_duo(), tmp_path / "out", provenance="stretto seed=3")
    texts = [m.text for m in mido.MidiFile(paths["midi"]).tracks[0] if m.type == "text"]
    root = ET.parse(paths["musicxml"]).getroot()
    assert texts == ["stretto seed=3"]
    assert root.findtext("identification/encoding/encoding-description") == "stretto seed=3"


def test_overwrites_old_files(tmp_path):
    write_project(g_dorian_trio(), tmp_path / "out")
    write_project(d_dorian_duo(), tmp_path / "out")
    assert read_score(tmp_path / "out" / "score.json") == d_dorian_duo()


def _boom(*args, **kwargs):
    raise RuntimeError("boom")


@pytest.mark.parametrize("module, name", [
    (stretto.io.midi, "write_midi"), (stretto.io.musicxml, "write_musicxml"),
    (stretto.io.project, "save_json"),
], ids=["midi-fails", "musicxml-fails", "json-fails"])
def test_failed_write_leaves_old_files_and_no_temp_dirs(tmp_path, monkeypatch, module, name):
    out = tmp_path / "out"
    write_project(g_dorian_trio(), out)
    before = _snapshot(out)
    monkeypatch.setattr(module, name, _boom)
    with pytest.raises(RuntimeError, match="boom"):
        write_project(d_dorian_duo(), out)
    assert _snapshot(out) == before
    assert _leftovers(tmp_path) == []


def test_failure_while_moving_rolls_back(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "score.mid").write_bytes(b"old midi")
    (out / "notes.txt").write_text("keep me")
    real_replace, calls = os.replace, []

    def flaky_replace(src, dst):
        if ".stretto" not in str(dst):  # a move into the folder, not inside the journal
            calls.append(dst)
        if len(calls) == 2:  # the second file fails to move in, after the first has
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(stretto.io.journal.os, "replace", flaky_replace)
    with pytest.raises(OSError, match="disk full"):
        write_project(d_dorian_duo(), out)
    assert _snapshot(out) == {"notes.txt": b"keep me", "score.mid": b"old midi"}
    assert _leftovers(tmp_path) == []


def test_failure_into_new_folder_leaves_no_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(stretto.io.midi, "write_midi", _boom)
    with pytest.raises(RuntimeError):
        write_project(d_dorian_duo(), tmp_path / "fresh")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_save_json_is_the_score_modules(tmp_path):
    # project.save_json is stretto.score.save_json: score.json equals its canonical text
    paths = write_project(d_dorian_duo(), tmp_path / "out")
    assert paths["json"].read_text(encoding="utf-8") == stretto.score.dumps(d_dorian_duo())
