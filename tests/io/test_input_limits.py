"""Every input is validated before work starts: a bad or oversized file is refused at once
with exit 2 and one line naming the file, the bar and what to do (stretto.limits)."""

from __future__ import annotations

import json
import re
from fractions import Fraction as F
from pathlib import Path

import mido
import pytest
from io_pieces import d_dorian_duo

from stretto.cli import main
from stretto.io.midi import write_midi
from stretto.io.musicxml import write_musicxml
from stretto.limits import MAX_MELODY_NOTES, validate_piece
from stretto.score import dumps


def _xml(tmp_path: Path, edit) -> Path:
    path = tmp_path / "in.musicxml"
    write_musicxml(d_dorian_duo(), path)
    path.write_text(edit(path.read_text()))
    return path


def _first(pattern: str, new: str):
    return lambda text: re.sub(pattern, new, text, count=1)


def _refused(capsys, argv: list[str], *words: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    for w in words:
        assert w in err, err
    return err


XML_CASES = [
    pytest.param(_first(r"<duration>\d+</duration>", "<duration>2147483648</duration>"),
                 ["bar 1", "quarter notes"], id="huge-duration"),
    pytest.param(_first(r"<duration>\d+</duration>", "<duration>0</duration>"),
                 ["bar 1", "no length"], id="zero-duration"),
    pytest.param(_first(r"<pitch>\s*<step>(\w)</step>(\s*<alter>-?\d</alter>)?\s*"
                        r"<octave>(\d)</octave>\s*</pitch>",
                        r"<unpitched><display-step>\1</display-step>"
                        r"<display-octave>\3</display-octave></unpitched>"),
                 ["unpitched", "bar 1"], id="unpitched-note"),
    pytest.param(_first(r"(<note id=\"a\d+\">)", r"\1<chord/>"), ["chord"], id="chord"),
    pytest.param(_first(r"(</note>)", r"\1<backup><duration>20160</duration></backup><note>"
                        r"<pitch><step>C</step><octave>4</octave></pitch><duration>20160"
                        r"</duration><voice>2</voice><type>half</type></note>"),
                 ["two notes sound at once", "own part"], id="two-voices-in-one-part"),
    pytest.param(_first(r"<beats>\d+</beats>", "<beats>255</beats>"), ["255/2", "beats"],
                 id="meter-255"),
    pytest.param(_first(r"<per-minute>\d+</per-minute>", "<per-minute>0.001</per-minute>"),
                 ["tempo"], id="tempo-absurd"),
]


@pytest.mark.parametrize("edit, words", XML_CASES)
def test_bad_musicxml_is_refused_before_checking(tmp_path, capsys, edit, words):
    path = _xml(tmp_path, edit)
    _refused(capsys, ["check", str(path)], "in.musicxml", *words)


def test_odd_divisions_that_fit_the_grid_are_read(tmp_path, capsys):
    # divisions 7 (a sevenths grid) is unusual but exact: read, not refused
    path = _xml(tmp_path, lambda t: re.sub(r"<duration>(\d+)</duration>",
                                           lambda m: f"<duration>{int(m[1]) * 7 // 10080}"
                                                     "</duration>",
                                           t.replace("<divisions>10080</divisions>",
                                                     "<divisions>7</divisions>")))
    assert main(["check", str(path)]) in (0, 1)
    assert capsys.readouterr().err == ""


def _midi(path: Path, *, tpq: int = 480, tempo: int | None = None, notes: int = 8,
          tracks: int = 2) -> Path:
    mid = mido.MidiFile(ticks_per_beat=tpq)
    for t in range(tracks):
        track = mido.MidiTrack()
        if tempo is not None and t == 0:
            track.append(mido.MetaMessage("set_tempo", tempo=tempo))
        for k in range(notes):
            pitch = (72 if t == 0 else 50) + (0, 2, 4, 5, 7)[k % 5]
            track.append(mido.Message("note_on", note=pitch, velocity=64, time=0))
            track.append(mido.Message("note_off", note=pitch, velocity=0, time=tpq))
        mid.tracks.append(track)
    mid.save(path)
    return path


def test_a_huge_midi_melody_is_refused_at_once(tmp_path, capsys):
    path = _midi(tmp_path / "big.mid", notes=5000, tracks=1)
    _refused(capsys, ["harmonize", str(path), "--time-limit", "2", "--out",
                      str(tmp_path / "out")], f"at most {MAX_MELODY_NOTES}", "5000 notes")
    assert not (tmp_path / "out").exists()


def test_one_tick_per_quarter_is_read_exactly(tmp_path, capsys):
    path = _midi(tmp_path / "coarse.mid", tpq=1)
    assert main(["check", str(path)]) in (0, 1)
    assert capsys.readouterr().err == ""


def test_an_absurd_midi_tempo_is_refused(tmp_path, capsys):
    path = _midi(tmp_path / "fast.mid", tempo=1)  # one microsecond a quarter note
    _refused(capsys, ["check", str(path)], "fast.mid", "tempo")


def test_one_endless_midi_note_is_refused_before_it_is_split(tmp_path, capsys):
    """At 1 tick a quarter, one note lasting 2**28 - 1 ticks would be 67 million tied notes
    once split at the barlines (gigabytes, minutes): it is refused first, in one line."""
    mid = mido.MidiFile(type=1, ticks_per_beat=1)
    for k in range(2):
        track = mido.MidiTrack()
        track += [mido.Message("note_on", note=60 - 12 * k, velocity=64, time=0),
                  mido.Message("note_off", note=60 - 12 * k, velocity=0, time=2 ** 28 - 1)]
        mid.tracks.append(track)
    path = tmp_path / "endless.mid"
    mid.save(str(path))
    _refused(capsys, ["check", str(path)], "endless.mid", "at most 256 quarters")


def test_score_json_runs_and_history_are_checked_before_any_command(tmp_path, capsys):
    """A project whose score.json lost a run's id (or a history entry's action) is refused
    in one line by history and pin alike, never an internal error."""
    assert main(["species", "--cantus-name", "fux-dorian", "--out", str(tmp_path / "p"),
                 "--time-limit", "2"]) == 0
    path = tmp_path / "p" / "score.json"
    data = json.loads(path.read_text())
    data["project"]["runs"][0] = {}
    path.write_text(json.dumps(data))
    capsys.readouterr()
    _refused(capsys, ["history", str(tmp_path / "p")], "run")
    _refused(capsys, ["pin", str(tmp_path / "p"), "--voice", "1", "--bar", "3", "--pitch",
                      "A4"], "run")


@pytest.mark.parametrize("edit, words", [
    pytest.param(lambda d: [d], ["score"], id="a-list"),
    pytest.param(lambda d: {**d, "voices": d["voices"][:1]}, [], id="one-voice"),
    pytest.param(lambda d: {**d, "info": True}, ["info"], id="info-not-a-table"),
    pytest.param(lambda d: {**d, "meter": [4, 4]}, ["meter"], id="meter-a-list"),
    pytest.param(lambda d: {**d, "tempo": "0"}, ["tempo"], id="tempo-0"),
], ids=None)
def test_malformed_score_json_is_one_line(tmp_path, capsys, edit, words):
    data = json.loads(dumps(d_dorian_duo()))
    path = tmp_path / "score.json"
    path.write_text(json.dumps(edit(data)))
    code = main(["check", str(path)])
    err = capsys.readouterr().err
    assert code in (1, 2) and err.count("\n") <= 1, err
    assert code == 2 or not words
    for w in words:
        assert w in err


def test_the_limits_pass_a_real_piece_unchanged():
    piece = d_dorian_duo()
    assert validate_piece(piece, where="duo") is piece


def test_overlapping_notes_name_the_bar():
    from dataclasses import replace

    piece = d_dorian_duo()
    alto = piece.voices[0]
    late = replace(alto.notes[2], onset=alto.notes[2].onset - F(1))  # into bar 2's note
    bad = replace(piece, voices=(replace(alto, notes=alto.notes[:2] + (late,) +
                                         alto.notes[3:]), piece.voices[1]))
    with pytest.raises(Exception, match=r"duo: bar 2 \(Alto\): two notes sound at once"):
        validate_piece(bad, where="duo")
