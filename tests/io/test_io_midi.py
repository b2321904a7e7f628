"""MIDI export and import (stretto.io.midi)."""

from __future__ import annotations

from fractions import Fraction as F

import mido
import pytest
from io_pieces import d_dorian_duo, g_dorian_trio, many_voices, sounding

from stretto.errors import BadInput
from stretto.io.midi import read_midi, spell_in_mode, voice_channels, write_midi
from stretto.modes import Mode
from stretto.pitch import Pitch
from stretto.score import Note, Piece, Voice


def _write(tmp_path, piece: Piece, **kw) -> mido.MidiFile:
    path = tmp_path / "out.mid"
    write_midi(piece, path, **kw)
    return mido.MidiFile(path)


def _abs(track) -> list[tuple[int, mido.Message]]:
    now, out = 0, []
    for msg in track:
        now += msg.time
        out.append((now, msg))
    return out


@pytest.mark.parametrize("tpq", [480, 960, 1920], ids=["tpq480", "tpq960", "tpq1920"])
def test_type_1_with_requested_resolution(tmp_path, tpq):
    mid = _write(tmp_path, g_dorian_trio(), ticks_per_quarter=tpq)
    assert (mid.type, mid.ticks_per_beat, len(mid.tracks)) == (1, tpq, 4)


def test_conductor_track_contents(tmp_path):
    mid = _write(tmp_path, g_dorian_trio(), text="stretto 0.1.0 seed=7 status=OPTIMAL")
    metas = {m.type: m for m in mid.tracks[0]}
    assert metas["track_name"].name == "G dorian trio"
    assert metas["set_tempo"].tempo == 375_000  # 160 quarter notes per minute
    assert (metas["time_signature"].numerator, metas["time_signature"].denominator) == (2, 2)
    assert metas["key_signature"].key == "F"  # G dorian: one flat, like F major
    assert metas["text"].text == "stretto 0.1.0 seed=7 status=OPTIMAL"
    assert not any(m.type.startswith("note") for m in mid.tracks[0])
    assert all(t[-1].type == "end_of_track" for t in mid.tracks)


def test_no_text_event_without_text(tmp_path):
    mid = _write(tmp_path, g_dorian_trio())
    assert [m for m in mid.tracks[0] if m.type == "text"] == []


@pytest.mark.parametrize("mode, key", [
    (Mode("dorian", "G"), "F"), (Mode("dorian", "D"), "C"), (Mode("dorian", "E"), "D"),
    (Mode("phrygian", "A"), "F"), (Mode("mixolydian", "C"), "F"), (Mode("aeolian", "B"), "Bm"),
    (Mode("aeolian", "G"), "Gm"),
], ids=["G-dorian", "D-dorian", "E-dorian", "A-phrygian", "C-mixolydian", "B-aeolian",
        "G-aeolian"])
def test_key_signature_carries_the_minor_flag(tmp_path, mode, key):
    """MIDI's key signature is a signature and a major/minor flag: aeolian (minor) keys set
    the flag (G minor is 'Gm', two flats, not 'Bb'); the other modes have no MIDI name, so
    they are written as the major key of the same signature."""
    piece = Piece(voices=g_dorian_trio().voices, mode=mode)
    mid = _write(tmp_path, piece)
    assert [m.key for m in mid.tracks[0] if m.type == "key_signature"] == [key]


def test_tracks_top_to_bottom_with_names_and_programs(tmp_path):
    mid = _write(tmp_path, g_dorian_trio(), programs=[52, 19, 0])
    names = [next(m.name for m in t if m.type == "track_name") for t in mid.tracks[1:]]
    programs = [next(m.program for m in t if m.type == "program_change") for t in mid.tracks[1:]]
    assert (names, programs) == (["Soprano", "Tenor", "Bass"], [52, 19, 0])


def test_default_program_is_choir_aahs(tmp_path):
    mid = _write(tmp_path, g_dorian_trio())
    assert {m.program for t in mid.tracks for m in t if m.type == "program_change"} == {52}


@pytest.mark.parametrize("count", [3, 10, 16], ids=["3-voices", "10-voices", "16-voices"])
def test_channels_skip_drum_channel(tmp_path, count):
    mid = _write(tmp_path, many_voices(count))
    channels = [{m.channel for m in t if not m.is_meta} for t in mid.tracks[1:]]
    assert all(len(c) == 1 for c in channels)
    flat = [c.pop() for c in channels]
    assert 9 not in flat
    assert flat[:min(count, 15)] == [c for c in range(16) if c != 9][:min(count, 15)]


def test_voice_channels_helper():
    assert voice_channels(11) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11]


def test_note_times_are_exact_ticks_with_ties_merged(tmp_path):
    piece = g_dorian_trio()
    mid = _write(tmp_path, piece, ticks_per_quarter=960)
    ons = [(t, m.note) for t, m in _abs(mid.tracks[1]) if m.type == "note_on"]
    offs = [(t, m.note) for t, m in _abs(mid.tracks[1]) if m.type == "note_off"]
    expected = piece.voices[0].sounding()
    assert ons == [(int(n.onset * 960), n.midi) for n in expected]
    assert offs == [(int(n.end * 960), n.midi) for n in expected]
    assert len(ons) == 6  # the tied Bb4 sounds once


def test_note_off_comes_before_note_on_at_equal_times(tmp_path):
    mid = _write(tmp_path, g_dorian_trio())
    events = [(t, m.type) for t, m in _abs(mid.tracks[3]) if m.type.startswith("note")]
    # the bass repeats D3 at quarter note 14: its note-off precedes the next note-on
    at_14 = [kind for t, kind in events if t == 14 * 960]
    assert at_14 == ["note_off", "note_on"]


def test_non_integer_tick_raises_value_error(tmp_path):
    voice = Voice("V", (Note("a", Pitch.parse("D4"), F(1, 7), F(1)),))
    with pytest.raises(ValueError, match="whole number of ticks"):
        write_midi(Piece(voices=(voice,)), tmp_path / "x.mid", ticks_per_quarter=960)


def test_programs_must_match_voices(tmp_path):
    with pytest.raises(ValueError, match="one number 0-127"):
        write_midi(g_dorian_trio(), tmp_path / "x.mid", programs=[52])


def test_round_trip_keeps_sounding_notes_and_settings(tmp_path):
    piece = g_dorian_trio()
    write_midi(piece, tmp_path / "rt.mid")
    back = read_midi(tmp_path / "rt.mid")
    assert [v.name for v in back.voices] == ["Soprano", "Tenor", "Bass"]
    assert [sounding(v) for v in back.voices] == [sounding(v) for v in piece.voices]
    assert (back.meter, back.tempo, back.mode, back.title) == ("2/2", F(160),
                                                               Mode("dorian", "G"),
                                                               "G dorian trio")
    assert {n.origin for v in back.voices for n in v.notes} == {"import"}


def test_round_trip_splits_at_barlines_with_ties(tmp_path):
    write_midi(g_dorian_trio(), tmp_path / "rt.mid")
    back = read_midi(tmp_path / "rt.mid")
    bb = [(n.onset, n.duration, n.tie) for n in back.voices[0].notes if n.name == "Bb4"]
    assert bb == [(F(6), F(2), "start"), (F(8), F(4), "stop")]


@pytest.mark.parametrize("make, expected", [
    (g_dorian_trio, {"F#4", "Bb3", "Bb4"}), (d_dorian_duo, {"C#4", "Bb3"}),
], ids=["G-dorian", "D-dorian"])
def test_round_trip_spells_ficta(tmp_path, make, expected):
    piece = make()
    write_midi(piece, tmp_path / "rt.mid")
    back = read_midi(tmp_path / "rt.mid")
    assert back.mode == piece.mode
    assert [[n.name for n in v.notes] for v in back.voices] == \
        [[n.name for n in v.notes] for v in piece.voices]
    assert expected <= {n.name for v in back.voices for n in v.notes}


def test_explicit_mode_overrides_guess(tmp_path):
    write_midi(g_dorian_trio(), tmp_path / "rt.mid")
    assert read_midi(tmp_path / "rt.mid", mode=Mode("aeolian", "D")).mode == Mode("aeolian", "D")


@pytest.mark.parametrize("midi, mode, name", [
    (61, Mode("dorian", "D"), "C#4"), (70, Mode("dorian", "D"), "Bb4"),
    (66, Mode("dorian", "G"), "F#4"), (70, Mode("dorian", "G"), "Bb4"),
    (63, Mode("dorian", "D"), "D#4"), (63, Mode("dorian", "G"), "Eb4"),
    (68, Mode("dorian", "E"), "G#4"),
], ids=["D-dorian-leading-tone", "D-dorian-flat-ficta", "G-dorian-leading-tone",
        "G-dorian-diatonic-Bb", "D-dorian-fallback-sharp", "G-dorian-fallback-flat",
        "E-dorian-diatonic-G#"])
def test_spell_in_mode(midi, mode, name):
    assert spell_in_mode(midi, mode).name == name


def test_type_0_file_gives_one_voice_per_channel(tmp_path):
    track = mido.MidiTrack([
        mido.Message("note_on", channel=0, note=74, velocity=80, time=0),
        mido.Message("note_on", channel=1, note=62, velocity=80, time=0),
        mido.Message("note_off", channel=0, note=74, velocity=0, time=480),
        mido.Message("note_off", channel=1, note=62, velocity=0, time=0),
    ])
    mid = mido.MidiFile(type=0, ticks_per_beat=480)
    mid.tracks.append(track)
    mid.save(tmp_path / "t0.mid")
    back = read_midi(tmp_path / "t0.mid")
    assert [[n.name for n in v.notes] for v in back.voices] == [["D5"], ["D4"]]


def test_chord_in_one_track_is_bad_input(tmp_path):
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks.append(mido.MidiTrack([
        mido.Message("note_on", note=60, velocity=80, time=0),
        mido.Message("note_on", note=64, velocity=80, time=0),
        mido.Message("note_off", note=60, velocity=0, time=480),
        mido.Message("note_off", note=64, velocity=0, time=0),
    ]))
    mid.save(tmp_path / "chord.mid")
    with pytest.raises(BadInput, match="overlapping notes"):
        read_midi(tmp_path / "chord.mid")


@pytest.mark.parametrize("data", [b"", b"MThd", bytes(range(256)) * 4, b"RIFF1234WAVE"],
                         ids=["empty", "truncated-header", "random-bytes", "wav-header"])
def test_corrupt_file_is_bad_input_naming_the_file(tmp_path, data):
    path = tmp_path / "broken.mid"
    path.write_bytes(data)
    with pytest.raises(BadInput) as info:
        read_midi(path)
    assert "broken.mid" in str(info.value) and "\n" not in str(info.value)


def test_missing_file_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        read_midi(tmp_path / "nope.mid")
