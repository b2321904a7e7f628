"""MusicXML export and import (stretto.io.musicxml, stretto.io.musicxml_read)."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import replace
from fractions import Fraction as F

import pytest
from io_pieces import d_dorian_duo, florid_line, g_dorian_trio, many_voices, notated, sounding

from stretto.errors import BadInput
from stretto.io.musicxml import write_musicxml
from stretto.io.musicxml_read import read_musicxml
from stretto.modes import Mode
from stretto.pitch import Pitch, parse_pitches
from stretto.score import Note, Piece, Voice, make_voice


def _write(tmp_path, piece: Piece, name: str = "out.musicxml", **kw):
    path = tmp_path / name
    write_musicxml(piece, path, **kw)
    return path, ET.parse(path).getroot()


@pytest.mark.parametrize("make", [g_dorian_trio, d_dorian_duo, florid_line],
                         ids=["G-dorian-trio", "D-dorian-duo", "florid-4-4"])
def test_round_trip_keeps_notes_ids_ties_lyrics(tmp_path, make):
    piece = make()
    path, _ = _write(tmp_path, piece)
    back = read_musicxml(path)
    assert [v.name for v in back.voices] == [v.name for v in piece.voices]
    assert [notated(v) for v in back.voices] == [notated(v) for v in piece.voices]
    assert (back.meter, back.tempo, back.mode, back.title) == (piece.meter, piece.tempo,
                                                               piece.mode, piece.title)


def test_spelling_c_sharp_and_b_flat_kept(tmp_path):
    path, root = _write(tmp_path, d_dorian_duo())
    names = {n.name for v in read_musicxml(path).voices for n in v.notes}
    assert {"C#4", "Bb3"} <= names and not names & {"Db4", "A#3"}
    alters = {(p.findtext("step"), p.findtext("alter")) for p in root.iter("pitch")}
    assert ("C", "1") in alters and ("B", "-1") in alters


def test_eighths_beamed_and_triplets_bracketed(tmp_path):
    _, root = _write(tmp_path, florid_line())
    assert [b.text for b in root.iter("beam")][:2] == ["begin", "end"]
    assert [t.get("type") for t in root.iter("tuplet")] == ["start", "stop"]


def test_ties_written_as_tie_and_tied(tmp_path):
    _, root = _write(tmp_path, g_dorian_trio())
    note = next(n for n in root.iter("note") if n.get("id") == "s2")  # Bb4, tied over
    assert [t.get("type") for t in note.findall("tie")] == ["start"]
    assert [t.get("type") for t in note.iter("tied")] == ["start"]


def test_lyrics_written_with_syllabic(tmp_path):
    _, root = _write(tmp_path, g_dorian_trio())
    lyrics = [(n.findtext("lyric/syllabic"), n.findtext("lyric/text"))
              for n in root.iter("note") if n.find("lyric") is not None]
    assert lyrics == [("begin", "Ky"), ("middle", "ri"), ("end", "e")]


@pytest.mark.parametrize("mode, fifths", [
    (Mode("dorian", "G"), "-1"), (Mode("dorian", "D"), "0"), (Mode("dorian", "E"), "2"),
    (Mode("phrygian", "A"), "-1"),
], ids=["G-dorian", "D-dorian", "E-dorian", "A-phrygian"])
def test_key_signature_from_mode(tmp_path, mode, fifths):
    piece = replace(g_dorian_trio(), mode=mode)
    _, root = _write(tmp_path, piece)
    assert {k.findtext("fifths") for k in root.iter("key")} == {fifths}


def test_g_dorian_read_back_with_one_flat(tmp_path):
    path, _ = _write(tmp_path, g_dorian_trio())
    assert read_musicxml(path).mode.fifths == -1


@pytest.mark.parametrize("pitches, clef", [
    ("G4 A4 B4 C5", ("G", "2", None)), ("D4 C4 Bb3 A3 G3", ("G", "2", "-1")),
    ("D3 A2 F2 G2", ("F", "4", None)),
], ids=["soprano-treble", "tenor-treble-8vb", "bass-bass"])
def test_clef_from_range(tmp_path, pitches, clef):
    voice = make_voice("V", parse_pitches(pitches), [F(4)] * 5, id_prefix="x")
    _, root = _write(tmp_path, Piece(voices=(voice,)))
    c = next(root.iter("clef"))
    assert (c.findtext("sign"), c.findtext("line"), c.findtext("clef-octave-change")) == clef


def test_parts_titles_and_encoding(tmp_path):
    _, root = _write(tmp_path, g_dorian_trio(), encoding_text="stretto seed=7 status=OPTIMAL")
    assert [p.findtext("part-name") for p in root.iter("score-part")] == ["Soprano", "Tenor",
                                                                          "Bass"]
    assert [p.get("id") for p in root.findall("part")] == ["P1", "P2", "P3"]
    assert root.findtext("work/work-title") == "G dorian trio"
    assert root.find("movement-title") is None  # one title: LilyPond printed both
    enc = root.find("identification/encoding")
    assert enc.findtext("encoding-description") == "stretto seed=7 status=OPTIMAL"
    assert enc.findtext("software").startswith("stretto ")
    assert root.get("version") == "4.0"


def test_tempo_mark_in_half_notes_for_2_2(tmp_path):
    _, root = _write(tmp_path, g_dorian_trio())
    metronome = next(root.iter("metronome"))
    assert (metronome.findtext("beat-unit"), metronome.findtext("per-minute")) == ("half", "80")
    assert next(root.iter("sound")).get("tempo") == "160"


def test_rests_fill_every_bar(tmp_path):
    _, root = _write(tmp_path, g_dorian_trio())
    divisions = int(next(root.iter("divisions")).text)
    for part in root.findall("part"):
        lengths = [sum(int(n.findtext("duration")) for n in m.findall("note"))
                   for m in part.findall("measure")]
        assert lengths == [4 * divisions] * 5
    tenor_first = root.findall("part")[1].find("measure").find("note")
    assert tenor_first.find("rest") is not None and tenor_first.findtext("type") == "half"


def test_no_resplitting_of_model_notes(tmp_path):
    piece = g_dorian_trio()
    _, root = _write(tmp_path, piece)
    written = [n for n in root.iter("note") if n.find("rest") is None]
    assert len(written) == sum(len(v.notes) for v in piece.voices)


def test_notes_across_barlines_are_split_and_tied(tmp_path):
    voice = make_voice("V", parse_pitches("D4 F4 E4 D4"), [F(2), F(4), F(4), F(6)],
                       id_prefix="n")  # no bar_length: notes cross barlines
    piece = Piece(voices=(voice,), meter="2/2")
    path, _ = _write(tmp_path, piece)
    back = read_musicxml(path)
    assert sounding(back.voices[0]) == sounding(voice)
    assert [(n.id, n.tie) for n in back.voices[0].notes] == [
        ("n0", None), ("n1", "start"), ("n1-1", "stop"), ("n2", "start"), ("n2-1", "stop"),
        ("n3", "start"), ("n3-1", "stop")]


def test_unnotatable_length_is_split_into_tied_notes(tmp_path):
    voice = Voice("V", (Note("a", Pitch.parse("D4"), F(0), F(5)),))
    piece = Piece(voices=(voice,), meter="6/4")
    path, root = _write(tmp_path, piece)
    assert [n.findtext("type") for n in root.iter("note") if n.find("rest") is None] == \
        ["whole", "quarter"]
    assert sounding(read_musicxml(path).voices[0]) == [("D4", F(0), F(5))]


def test_ids_that_are_not_xml_names_or_repeat_round_trip(tmp_path):
    a = Voice("A", (Note("cp:1", Pitch.parse("A4"), F(0), F(4)),
                    Note("n0", Pitch.parse("G4"), F(4), F(4))))
    b = Voice("B", (Note("n0", Pitch.parse("D4"), F(0), F(4)),
                    Note("x y_é", Pitch.parse("D4"), F(4), F(4))))
    path, root = _write(tmp_path, Piece(voices=(a, b)))
    xml_ids = [n.get("id") for n in root.iter("note") if n.get("id")]
    assert len(set(xml_ids)) == 4
    back = read_musicxml(path)
    assert [[n.id for n in v.notes] for v in back.voices] == [["cp:1", "n0"], ["n0", "x y_é"]]


def test_same_piece_gives_identical_bytes(tmp_path):
    p1, _ = _write(tmp_path, g_dorian_trio(), "a.musicxml")
    p2, _ = _write(tmp_path, g_dorian_trio(), "b.musicxml")
    assert p1.read_bytes() == p2.read_bytes()


def test_foreign_file_without_ids_gets_generated_ids(tmp_path):
    path, root = _write(tmp_path, d_dorian_duo())
    for n in root.iter("note"):
        n.attrib.pop("id", None)
    ET.ElementTree(root).write(path)
    back = read_musicxml(path)
    assert back.voices[0].notes[0].id == "v0n0"


def test_compressed_mxl_keeps_ids(tmp_path):
    path, _ = _write(tmp_path, d_dorian_duo())
    mxl = tmp_path / "duo.mxl"
    with zipfile.ZipFile(mxl, "w") as zf:
        zf.writestr("META-INF/container.xml",
                    '<?xml version="1.0"?><container><rootfiles>'
                    '<rootfile full-path="duo.musicxml"/></rootfiles></container>')
        zf.writestr("duo.musicxml", path.read_bytes())
    back = read_musicxml(mxl)
    assert [n.id for n in back.voices[1].notes] == [n.id for n in d_dorian_duo().voices[1].notes]


@pytest.mark.parametrize("cut", [0.5, 0.9], ids=["half", "most"])
def test_truncated_file_is_bad_input(tmp_path, cut):
    path, _ = _write(tmp_path, g_dorian_trio())
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * cut)])
    with pytest.raises(BadInput) as info:
        read_musicxml(path)
    assert "out.musicxml" in str(info.value) and "\n" not in str(info.value)


def _escaped_ids_piece() -> Piece:
    a = Voice("A", (Note("cp:1", Pitch.parse("A4"), F(0), F(4)),))
    return Piece(voices=(a, replace(a, name="B")))


@pytest.mark.skipif(shutil.which("mscore3") is None, reason="MuseScore 3 is not installed")
@pytest.mark.parametrize("make", [g_dorian_trio, florid_line, lambda: many_voices(16),
                                  _escaped_ids_piece],
                         ids=["trio", "florid", "16-voices", "escaped-ids"])
def test_musescore_imports_without_validation_errors(tmp_path, make):
    path, _ = _write(tmp_path, make(), encoding_text="stretto test")
    result = subprocess.run(["mscore3", "-o", str(tmp_path / "out.mscx"), str(path)],
                            check=False, capture_output=True, text=True, timeout=120,
                            env={"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
                                 "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0
    assert "not a valid MusicXML file" not in result.stdout + result.stderr
    assert (tmp_path / "out.mscx").stat().st_size > 0


def test_sixteen_parts_get_midi_channels_without_ten(tmp_path, capsys):
    _, root = _write(tmp_path, many_voices(16))
    channels = [int(c.text) for c in root.iter("midi-channel")]  # 1-based in MusicXML
    assert channels == [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 1]
    assert "midi channels" not in capsys.readouterr().err
