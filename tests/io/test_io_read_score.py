"""stretto.io.read_score: dispatch on the file suffix, errors as BadInput."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from io_pieces import d_dorian_duo, sounding

from stretto.errors import BadInput
from stretto.io import read_score
from stretto.io.midi import write_midi
from stretto.io.musicxml import write_musicxml
from stretto.modes import Mode
from stretto.score import save_json


def _save(piece, path):
    suffix = path.suffix.lower()
    if suffix == ".json":
        save_json(piece, path)
    elif suffix in (".mid", ".midi"):
        write_midi(piece, path)
    else:
        write_musicxml(piece, path)


@pytest.mark.parametrize("name", ["score.json", "s.musicxml", "s.xml", "s.mid", "S.MIDI"],
                         ids=["json", "musicxml", "xml", "mid", "uppercase-midi"])
def test_dispatch_reads_back_the_notes(tmp_path, name):
    piece = d_dorian_duo()
    _save(piece, tmp_path / name)
    back = read_score(tmp_path / name)
    assert [sounding(v) for v in back.voices] == [sounding(v) for v in piece.voices]


def test_json_round_trip_is_identical(tmp_path):
    save_json(d_dorian_duo(), tmp_path / "score.json")
    assert read_score(tmp_path / "score.json") == d_dorian_duo()


@pytest.mark.parametrize("name", ["s.musicxml", "s.mid"], ids=["musicxml", "midi"])
def test_mode_is_passed_through(tmp_path, name):
    _save(d_dorian_duo(), tmp_path / name)
    assert read_score(tmp_path / name, mode=Mode("aeolian", "D")).mode == Mode("aeolian", "D")


@pytest.mark.parametrize("name", ["score.txt", "score", "score.abc"],
                         ids=["txt", "no-suffix", "abc"])
def test_unsupported_suffix_is_bad_input(tmp_path, name):
    (tmp_path / name).write_text("x")
    with pytest.raises(BadInput, match=r"unsupported file type .*use \.musicxml, \.mxl, \.mid "
                                       r"or score\.json"):
        read_score(tmp_path / name)


@pytest.mark.parametrize("name, data", [
    ("random.mid", random.Random(0).randbytes(2048)),
    ("text.mid", b"this is not a midi file"),
    ("truncated.musicxml", b'<?xml version="1.0"?>\n<score-partwise version="4.0"><part-list>'),
    ("garbage.mxl", b"PK\x03\x04 not really a zip"),
    ("bad.json", b"{ not json"),
], ids=["random-bytes-mid", "text-mid", "truncated-musicxml", "garbage-mxl", "bad-json"])
def test_corrupt_files_are_bad_input(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(BadInput) as info:
        read_score(tmp_path / name)
    assert info.value.exit_code == 2 and "\n" not in str(info.value)


@pytest.mark.parametrize("name", ["gone.mid", "gone.musicxml", "gone.json"],
                         ids=["mid", "musicxml", "json"])
def test_missing_file_is_bad_input(tmp_path, name):
    with pytest.raises(BadInput):
        read_score(tmp_path / name)


def test_importing_stretto_io_loads_neither_music21_nor_mido():
    code = ("import sys, stretto.io, stretto.io.midi, stretto.io.musicxml, stretto.io.project; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('music21', 'mido')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
