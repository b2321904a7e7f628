"""stretto.io.reaper: an .rpp that an independent parser (the ``rpp`` package) reads back with
the score's notes, tempo, meter and markers, and a reader that takes a project back as REAPER
saves it (other ticks per quarter, a moved and trimmed item, selected, muted and CC events)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction as F

import pytest
from io_pieces import d_dorian_duo, florid_line, g_dorian_trio

from stretto.errors import BadInput
from stretto.io.daw import StemAudio
from stretto.io.reaper import made_by_stretto, parse_rpp, quote, read_reaper, \
    read_reaper_piece, reaper_color, reaper_text

PIECES = {"trio": g_dorian_trio, "duo": d_dorian_duo, "florid": florid_line}


def _heard(voice) -> list[tuple[int, F, F]]:
    return [(n.midi, n.onset, n.duration) for n in voice.sounding()]


def _decode(track) -> list[tuple[int, F, F]]:
    """Notes of an ``rpp`` package track element, decoded here from its E lines."""
    source = track.find("ITEM").find("SOURCE")
    ppq = int(source.find("HASDATA")[2])
    now, held, out = 0, {}, []
    for line in source:
        if isinstance(line, list) and line[0] == "E":
            now += int(line[1])
            status, key, vel = (int(x, 16) for x in line[2:5])
            if status & 0xF0 == 0x90 and vel:
                held[key] = now
            elif status & 0xF0 in (0x80, 0x90) and key in held:
                on = held.pop(key)
                out.append((key, F(on, ppq), F(now - on, ppq)))
    return out


@pytest.mark.parametrize("name", list(PIECES), ids=list(PIECES))
def test_the_rpp_package_reads_the_same_notes(name):
    rpp = pytest.importorskip("rpp", reason="the rpp package (test extra) is not installed")
    piece = PIECES[name]()
    root = rpp.loads(reaper_text(piece, provenance="test", version="0.1.0"))
    assert root.tag == "REAPER_PROJECT"
    tempo = root.find("TEMPO")
    assert (F(tempo[1]), f"{tempo[2]}/{tempo[3]}") == (piece.tempo, piece.meter)
    tracks = root.findall("TRACK")
    assert [t.find("NAME")[1] for t in tracks] == [v.name for v in piece.voices]
    for voice, track in zip(piece.voices, tracks):
        assert _decode(track) == _heard(voice)


@pytest.mark.parametrize("name", list(PIECES), ids=list(PIECES))
def test_the_reader_gives_the_same_notes_back(tmp_path, name):
    piece = PIECES[name]()
    path = tmp_path / "x.rpp"
    path.write_text(reaper_text(piece, version="0.1.0"))
    back = read_reaper_piece(path)
    assert [v.name for v in back.voices] == [v.name for v in piece.voices]
    for mine, theirs in zip(piece.voices, back.voices):
        assert _heard(theirs) == _heard(mine)
    assert (back.tempo, back.meter) == (piece.tempo, piece.meter)
    assert made_by_stretto(path)


def test_markers_colours_key_and_stems(tmp_path):
    piece = replace(g_dorian_trio(), info={"harmony": {"key": "G minor", "cadences": [
        {"onset": "8", "type": "half", "key": "G minor"}]}})
    stem = StemAudio(voice=1, path=tmp_path / "02-Tenor.wav", sample_rate=48_000, frames=96_000)
    path = tmp_path / "x.rpp"
    path.write_text(reaper_text(piece, provenance="5 of 17 notes by the composer",
                                stems=[(stem, "stems/02-Tenor.wav")]))
    song = read_reaper(path)
    assert song.key == "G minor" and "5 of 17 notes by the composer" in song.comment
    assert dict(song.markers)[F(8)] == "half cadence (G minor)"
    assert [t.color for t in song.note_tracks] == ["#d94c4c", "#e0a030", "#4caf50"]
    audio = [t for t in song.tracks if t.kind == "audio"]
    assert [(t.name, t.audio, t.color) for t in audio] == \
        [("Tenor (stem)", ("stems/02-Tenor.wav",), "#e0a030")]
    item = parse_rpp(path.read_text()).children("TRACK")[-1].children("ITEM")[0]
    assert (item.value("POSITION"), item.value("LENGTH")) == (["0"], ["2"])
    # markers in seconds: bar 3 of 2/2 at 160 quarter notes per minute is 3 s in
    assert ["MARKER", "1", "3", "half cadence (G minor)", "0"] in parse_rpp(path.read_text()).values


EDITED = """<REAPER_PROJECT 0.1 "7.25/linux-x86_64" 1764000000
  RIPPLE 0
  TEMPO 90 3 4 0
  MARKER 1 2 "chorus" 0 0 1 R {AAAA} 0
  <TRACK {11111111-2222-3333-4444-555555555555}
    NAME "my 'bass' line"
    PEAKCOL 16576
    <ITEM
      POSITION 2
      SNAPOFFS 0
      LENGTH 2
      SOFFS 0.6666666667
      <SOURCE MIDI
        HASDATA 1 480 QN
        CCINTERP 32
        E 0 90 30 60
        E 480 80 30 00
        e 0 90 32 60
        E 240 b0 01 40
        e 240 80 32 00
        Em 0 90 34 60
        Em 480 80 34 00
        E 0 90 35 60
        E 960 80 35 00
        E 0 90 37 60
        E 480 80 37 00
        E 0 b0 7b 00
      >
    >
  >
>
"""


def test_a_reaper_edited_project_reads_back_in_quarter_notes(tmp_path):
    """480 ticks per quarter, an item at 2 s (3 quarters at 90) that starts one quarter into
    its source and lasts 2 s: the first note is cut off, the muted one left out, the last
    one trimmed at the item's end, a CC ignored."""
    path = tmp_path / "edited.rpp"
    path.write_text(EDITED)
    song = read_reaper(path)
    assert (song.tempo, song.meter, song.markers) == (90, "3/4", ((F(3), "chorus"),))
    (track,) = song.note_tracks
    assert track.name == "my 'bass' line"
    assert [(n.key, n.onset, n.duration) for n in track.notes] == [
        (0x32, F(3), F(1)), (0x35, F(5), F(1))]
    assert not made_by_stretto(path)


@pytest.mark.parametrize("text, message", [
    ("hello", "no <REAPER_PROJECT"),
    ("<REAPER_PROJECT 0.1\n  <TRACK\n>", "ends inside <REAPER_PROJECT>"),
    ("<REAPER_PROJECT 0.1\n  NAME \"open\n>", "unclosed quote"),
], ids=["not-rpp", "unclosed-block", "unclosed-quote"])
def test_what_is_not_an_rpp_is_refused_in_one_line(tmp_path, text, message):
    path = tmp_path / "bad.rpp"
    path.write_text(text)
    with pytest.raises(BadInput, match=message):
        read_reaper(path)


def test_names_with_quotes_and_colours_round_trip():
    assert quote('a "b" c') == "'a \"b\" c'" and quote("it's \"x\"") == "`it's \"x\"`"
    assert reaper_color("#d94c4c") == 0x1000000 | 0x4c << 16 | 0x4c << 8 | 0xd9


TAKES = """<REAPER_PROJECT 0.1 "7.25/linux-x86_64" 1764000000
  TEMPO 120 4 4
  <TRACK
    NAME Alto
    <ITEM
      POSITION 0
      LENGTH 2
      <SOURCE MIDI
        HASDATA 1 960 QN
        E 0 90 40 60
        E 960 80 40 00
      >
      TAKE SEL
      NAME "take 2"
      <SOURCE MIDI
        HASDATA 1 960 QN
        E 0 90 43 60
        E 1920 80 43 00
      >
    >
  >
>
"""


@pytest.mark.parametrize("selected, expected", [
    (True, [(0x43, F(0), F(2))]), (False, [(0x40, F(0), F(1))]),
], ids=["second-take", "first-take"])
def test_only_the_active_take_is_read(tmp_path, selected, expected):
    path = tmp_path / "takes.rpp"
    path.write_text(TAKES if selected else TAKES.replace("TAKE SEL", "TAKE"))
    (track,) = read_reaper(path).note_tracks
    assert [(n.key, n.onset, n.duration) for n in track.notes] == expected


def test_a_phrase_end_is_named_by_the_bar_its_last_note_sounds_in(tmp_path):
    from stretto.io.daw import score_markers
    from stretto.modes import Mode
    from stretto.pitch import parse_pitches
    from stretto.score import Piece, make_voice

    # 4/4: a half note ends the first phrase at the end of bar 2, then a rest
    voice = make_voice("Melody", parse_pitches("C5 D5 E5 D5 C5"), [F(2), F(2), F(2), F(2), F(4)],
                       bar_length=F(4))
    voice = replace(voice, notes=tuple(replace(n, onset=n.onset + (1 if n.onset >= 8 else 0))
                                       for n in voice.notes))
    piece = Piece(voices=(voice,), mode=Mode("ionian", "C"), meter="4/4", tempo=F(120))
    assert score_markers(piece)[0] == (F(8), "phrase end (bar 2)")
