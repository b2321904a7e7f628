"""stretto.io.dawproject: XSD-valid DAWproject files with the score's notes, tempo, meter, key
and markers, stems warped one-to-one at the tempo, and a reader that takes a file back as a DAW
saves it (tracks renamed and reordered, nested and trimmed clips, a changed tempo)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from fractions import Fraction as F
from pathlib import Path

import pytest
from io_pieces import d_dorian_duo, florid_line, g_dorian_trio
from support import SHARED

from stretto.errors import BadInput
from stretto.io.daw import StemAudio, played_notes, played_tracks
from stretto.io.dawproject import dawproject_bytes, made_by_stretto, read_dawproject, \
    read_dawproject_piece

SCHEMAS = SHARED / "schemas" / "dawproject"


def _cadenced():
    """The trio with a harmony analysis: one authentic cadence at bar 3's downbeat."""
    piece = g_dorian_trio()
    info = {"harmony": {"key": "G minor", "cadences": [
        {"onset": "8", "type": "authentic", "key": "G minor", "where": "bar 3 beat 1"}]}}
    return replace(piece, info=info)


def _pickup():
    """florid_line starting on a one-quarter pickup (time 0 is a whole bar's start)."""
    piece = florid_line()
    return replace(piece, anacrusis=F(1))


PIECES = {"trio": g_dorian_trio, "duo": d_dorian_duo, "florid": florid_line,
          "cadenced": _cadenced, "pickup": _pickup}


def _heard(voice) -> list[tuple[int, F, F]]:
    return [(n.midi, n.onset, n.duration) for n in voice.sounding()]


def _zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def _wav(path: Path, frames: int, sr: int) -> StemAudio:
    import numpy as np
    import soundfile as sf

    sf.write(path, np.zeros(frames), sr, subtype="PCM_24")
    return StemAudio(voice=0, path=path, sample_rate=sr, frames=frames)


@pytest.mark.parametrize("name", list(PIECES), ids=list(PIECES))
def test_both_xsds_accept_the_file(tmp_path, name):
    """project.xml validates against Project.xsd and metadata.xml against MetaData.xsd."""
    etree = pytest.importorskip("lxml.etree")
    if not (SCHEMAS / "Project.xsd").is_file():
        pytest.skip(f"DAWproject XSDs not found at {SCHEMAS} (shared/ beside the checkout)")
    piece = PIECES[name]()
    stems = [_wav(tmp_path / "01-s.wav", 4800, 48_000)] if name == "trio" else []
    z = _zip(dawproject_bytes(piece, provenance="test", stems=stems, version="0.1.0"))
    for member, xsd in (("project.xml", "Project.xsd"), ("metadata.xml", "MetaData.xsd")):
        schema = etree.XMLSchema(etree.parse(str(SCHEMAS / xsd)))
        doc = etree.fromstring(z.read(member))
        assert schema.validate(doc), (member, schema.error_log.last_error)


@pytest.mark.parametrize("name", list(PIECES), ids=list(PIECES))
def test_the_same_notes_come_back(tmp_path, name):
    piece = PIECES[name]()
    path = tmp_path / "x.dawproject"
    path.write_bytes(dawproject_bytes(piece, version="0.1.0"))
    back = read_dawproject_piece(path)
    assert [v.name for v in back.voices] == [v.name for v in piece.voices]
    for mine, theirs in zip(piece.voices, back.voices):
        assert _heard(theirs) == _heard(mine)
    assert (back.tempo, back.meter) == (piece.tempo, piece.meter)
    assert made_by_stretto(path)


def test_tempo_meter_key_colours_and_channels_are_written(tmp_path):
    piece = g_dorian_trio()
    path = tmp_path / "x.dawproject"
    path.write_bytes(dawproject_bytes(piece, provenance="3 of 17 notes by the composer"))
    song = read_dawproject(path)
    assert song.tempo == 160 and song.meter == "2/2" and song.key == "G dorian"
    assert song.application == "stretto" and "3 of 17 notes by the composer" in song.comment
    assert [t.color for t in song.note_tracks] == ["#d94c4c", "#e0a030", "#4caf50"]
    # each voice on its own MIDI channel, as score.mid has it
    assert [{n.channel for n in t.notes} for t in song.note_tracks] == [{0}, {1}, {2}]


def test_markers_at_cadences_and_phrase_ends(tmp_path):
    path = tmp_path / "x.dawproject"
    path.write_bytes(dawproject_bytes(_cadenced()))
    markers = dict(read_dawproject(path).markers)
    assert markers[F(8)] == "authentic cadence (G minor)"
    assert markers[F(20)] == "end"  # the piece ends after five 2/2 bars


def test_stems_are_warped_one_to_one_from_time_zero(tmp_path):
    """A stem of 1.5 s at 48 kHz under 160 quarter notes per minute spans exactly 4 beats."""
    from xml.etree import ElementTree as ET

    piece = d_dorian_duo()
    stem = _wav(tmp_path / "01-Alto.wav", 72_000, 48_000)
    path = tmp_path / "with-stems.dawproject"
    path.write_bytes(dawproject_bytes(piece, stems=[stem]))
    z = zipfile.ZipFile(path)
    assert z.read("audio/01-Alto.wav") == stem.path.read_bytes()
    root = ET.fromstring(z.read("project.xml"))
    clip = next(c for c in root.iter("Clip") if c.find("Warps") is not None)
    warps = clip.find("Warps")
    audio = warps.find("Audio")
    assert (clip.get("time"), clip.get("playStart")) == ("0", "0")
    assert float(clip.get("duration")) == 4.0
    assert (audio.get("sampleRate"), audio.get("channels"), float(audio.get("duration"))) == \
        ("48000", "1", 1.5)
    assert [(float(w.get("time")), float(w.get("contentTime"))) for w in warps.findall("Warp")] \
        == [(0.0, 0.0), (4.0, 1.5)]
    track = next(t for t in read_dawproject(path).tracks if t.name == "Alto (stem)")
    assert track.kind == "audio" and track.audio == ("audio/01-Alto.wav",)


def test_same_piece_same_bytes():
    assert dawproject_bytes(g_dorian_trio()) == dawproject_bytes(g_dorian_trio())


def test_grace_notes_are_played_as_score_mid_plays_them(tmp_path):
    """A grace note takes a thirty-second from the note it leads into, as in score.mid."""
    from stretto.pitch import Pitch
    from stretto.score import Note

    piece = d_dorian_duo()
    upper = piece.voices[0]
    grace = Note("g0", Pitch.parse("B4"), F(4), F(1, 2), origin="solver", grace="acciaccatura")
    piece = replace(piece, voices=(replace(upper, graces=(grace,)), piece.voices[1]))
    path = tmp_path / "x.dawproject"
    path.write_bytes(dawproject_bytes(piece))
    notes = read_dawproject(path).note_tracks[0].notes
    expected = [(n.key, F(n.start, 960), F(n.end - n.start, 960))
                for n in played_notes(played_tracks(piece)[0])]
    assert [(n.key, n.onset, n.duration) for n in notes] == expected
    assert (notes[1].key, notes[1].onset, notes[1].duration) == (71, F(4), F(1, 8))


# ---------------------------------------------------------------------------- as a DAW saves it

BITWIG_LIKE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Project version="1.0">
  <Application name="Bitwig Studio" version="5.2"/>
  <Transport>
    <Tempo max="666.0" min="20.0" unit="bpm" value="96.000000" id="id0" name="Tempo"/>
    <TimeSignature denominator="4" numerator="3" id="id1"/>
  </Transport>
  <Structure>
    <Track contentType="notes" loaded="true" id="id2" name="Low line">
      <Channel audioChannels="2" role="regular" id="id3"/>
    </Track>
    <Track contentType="notes" loaded="true" id="id4" name="Top (edited)">
      <Channel audioChannels="2" role="regular" id="id5"/>
    </Track>
    <Track contentType="audio notes" loaded="true" id="id9" name="Master">
      <Channel audioChannels="2" role="master" id="id10"/>
    </Track>
  </Structure>
  <Arrangement id="id11">
    <Lanes timeUnit="beats" id="id12">
      <Lanes track="id4" id="id13">
        <Clips id="id14">
          <Clip time="0.0" duration="3.0" playStart="0.0">
            <Notes id="id15">
              <Note time="0.000000" duration="1.000000" channel="0" key="67" vel="0.7"/>
              <Note time="1.000000" duration="2.000000" channel="0" key="69" vel="0.7"/>
            </Notes>
          </Clip>
          <Clip time="3.0" duration="2.0" playStart="1.0">
            <Clips id="id16">
              <Clip time="0.0" duration="4.0" playStart="0.0">
                <Notes id="id17">
                  <Note time="0.0" duration="1.0" channel="0" key="60" vel="0.7"/>
                  <Note time="1.0" duration="1.0" channel="0" key="71" vel="0.7"/>
                  <Note time="2.0" duration="2.0" channel="0" key="72" vel="0.7"/>
                </Notes>
              </Clip>
            </Clips>
          </Clip>
        </Clips>
      </Lanes>
      <Lanes track="id2" id="id18">
        <Clips id="id19" timeUnit="seconds">
          <Clip time="0.0" duration="3.125" playStart="0.0">
            <Notes id="id20">
              <Note time="0.0" duration="1.875" channel="1" key="48" vel="0.7"/>
              <Note time="1.875" duration="1.25" channel="1" key="43" vel="0.7"/>
            </Notes>
          </Clip>
        </Clips>
      </Lanes>
    </Lanes>
    <Markers id="id21"><Marker time="3.0" name="B section"/></Markers>
  </Arrangement>
</Project>
"""


def _bitwig_file(tmp_path: Path) -> Path:
    path = tmp_path / "edited.dawproject"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.xml", BITWIG_LIKE)
        z.writestr("metadata.xml", "<MetaData><Title>Edited</Title></MetaData>")
    return path


def test_a_daw_edited_file_reads_back_in_musical_time(tmp_path):
    """Renamed and reordered tracks, a clip that starts one beat into a nested clip and is cut
    after two, a lane in seconds at a changed tempo: every note lands on its beat."""
    song = read_dawproject(_bitwig_file(tmp_path))
    assert (song.tempo, song.meter, song.application) == (96, "3/4", "Bitwig Studio")
    assert [t.name for t in song.note_tracks] == ["Low line", "Top (edited)"]
    low, top = song.note_tracks
    # 1.875 s and 1.25 s at 96 quarter notes per minute: 3 and 2 quarter notes
    assert [(n.key, n.onset, n.duration) for n in low.notes] == [(48, F(0), F(3)),
                                                                 (43, F(3), F(2))]
    # the second clip plays its content from beat 1 to 3 at arrangement beats 3 to 5
    assert [(n.key, n.onset, n.duration) for n in top.notes] == [
        (67, F(0), F(1)), (69, F(1), F(2)), (71, F(3), F(1)), (72, F(4), F(1))]
    assert song.markers == ((F(3), "B section"),)
    piece = read_dawproject_piece(_bitwig_file(tmp_path))
    assert [v.name for v in piece.voices] == ["Low line", "Top (edited)"]
    assert piece.voices[1].notes[0].origin == "import" and piece.title == "Edited"


def test_a_chord_in_a_track_is_refused_naming_it(tmp_path):
    text = BITWIG_LIKE.replace('key="69"', 'key="69"/><Note time="1.0" duration="1.0" '
                               'channel="0" key="72"')
    path = tmp_path / "chord.dawproject"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.xml", text)
    with pytest.raises(BadInput, match="'Top \\(edited\\)' has two notes at quarter note 1"):
        read_dawproject_piece(path)


def test_a_legato_overlap_ends_at_the_next_onset(tmp_path):
    text = BITWIG_LIKE.replace('time="0.000000" duration="1.000000"',
                               'time="0.000000" duration="1.250000"')
    path = tmp_path / "legato.dawproject"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.xml", text)
    top = read_dawproject_piece(path).voices[1]
    assert _heard(top)[:2] == [(67, F(0), F(1)), (69, F(1), F(2))]


@pytest.mark.parametrize("content, message", [
    (b"not a zip", "not a zip"),
    (None, "no project.xml"),
    ("<Project", "XML is broken"),
], ids=["not-zip", "no-project", "broken-xml"])
def test_what_is_not_a_dawproject_is_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "bad.dawproject"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("metadata.xml" if content is None else "project.xml", content or "<x/>")
    with pytest.raises(BadInput, match=message):
        read_dawproject(path)
    assert not made_by_stretto(path)
