"""stretto play without a MIDI system: the schedule and the player over the in-memory port and
the fake clock. What goes out is what score.mid holds (the same notes, channels and programs,
in seconds at the tempo), with MIDI clock 24 per quarter between Start and Stop, and however it
ends no note is left sounding."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from stretto.errors import BadInput
from stretto.live import FakeClock, MemoryOutput, play, schedule
from stretto.live.player import ALL_NOTES_OFF, CLOCK, START, STOP, check_tempo, release
from stretto.pitch import Pitch
from stretto.score import Note, Piece, Voice
from support import token_voices

# Two voices in 4/4 with their own rhythms: an eighth pair, a tie across the barline, a rest.
UPPER = "D5/1 E5/1/2 F5/1/2 G5/2 A5/2 G5/1 F5/1 E5/2 D5/2"
LOWER = "D4/2 A3/2 D4/3 C4/1 D4/2 A3/2"


def two_voices(tempo: int = 120) -> Piece:
    upper, lower = token_voices(["Upper", "Lower"], [UPPER, LOWER])
    # the lower voice's dotted-half D4 is written as two tied notes (one note sounds)
    notes = list(lower.notes)
    d = notes[2]
    notes[2:3] = [replace(d, id="v1n2a", duration=Fraction(2), tie="start"),
                  replace(d, id="v1n2b", onset=d.onset + 2, duration=Fraction(1), tie="stop")]
    lower = replace(lower, notes=tuple(notes))
    return Piece(voices=(upper, lower), meter="4/4", tempo=Fraction(tempo), title="two")


def sounded(sent: list[tuple[float, bytes]]) -> list[tuple[int, int, float, float]]:
    """(channel, key, on, off) of every note in the log, in onset order; fails on a note
    left sounding or switched on twice."""
    open_: dict[tuple[int, int], float] = {}
    out = []
    for t, m in sent:
        kind, ch = m[0] & 0xF0, m[0] & 0x0F
        if kind == 0x90 and m[2] > 0:
            assert (ch, m[1]) not in open_, f"note {m[1]} on channel {ch} switched on twice"
            open_[(ch, m[1])] = t
        elif kind in (0x80, 0x90):
            if (ch, m[1]) in open_:
                out.append((ch, m[1], open_.pop((ch, m[1])), t))
    assert open_ == {}, f"notes left sounding: {sorted(open_)}"
    return sorted(out, key=lambda n: (n[2], n[0]))


def test_the_notes_and_channels_are_score_mids(tmp_path: Path) -> None:
    """Every note as score.mid holds it (mido reads the file the one writer wrote): same key,
    channel and program per voice, times in seconds at the tempo, the tie merged."""
    import mido

    from stretto.io.midi import voice_channels, write_midi

    piece = two_voices(tempo=90)
    write_midi(piece, tmp_path / "score.mid")
    mid = mido.MidiFile(str(tmp_path / "score.mid"))
    expected, programs = [], []
    for track in mid.tracks[1:]:
        now, on = 0, {}
        for msg in track:
            now += msg.time
            if msg.type == "program_change":
                programs.append(bytes(msg.bytes()))
            elif msg.type == "note_on" and msg.velocity:
                on[msg.note] = now
            elif msg.type in ("note_on", "note_off"):
                sec = Fraction(60, 90 * mid.ticks_per_beat)
                expected.append((msg.channel, msg.note, float(on.pop(msg.note) * sec),
                                 float(now * sec)))
    clock = FakeClock()
    port = MemoryOutput(clock)
    plan = schedule(piece)
    report = play(plan, port, clock=clock)
    got = sounded(port.sent)
    assert got == sorted(expected, key=lambda n: (n[2], n[0]))
    assert len(got) == report.notes == 15  # 9 + 6: the tied D4 is one note
    assert {ch for ch, *_ in got} == set(voice_channels(2)) == {0, 1}
    assert [m for _, m in port.sent[:2]] == programs  # each voice's instrument, before Start
    assert port.sent[2] == (0.0, START)


def test_clock_runs_24_per_quarter_from_start_to_stop() -> None:
    clock = FakeClock(start=100.0)
    port = MemoryOutput(clock)
    piece = two_voices(tempo=120)  # 12 quarters: 6 s
    report = play(schedule(piece), port, clock=clock)
    pulses = [t for t, m in port.sent if m == CLOCK]
    assert len(pulses) == 12 * 24
    steps = {round(b - a, 9) for a, b in zip(pulses, pulses[1:])}
    assert steps == {round(60 / 120 / 24, 9)}  # one every 1/48 s at 120
    starts = [t for t, m in port.sent if m == START]
    assert starts == [100.0] and pulses[0] == 100.0  # Start, then the first pulse on beat 1
    assert port.sent[-1] == (106.0, STOP)
    # the first note sounds with the first pulse, and follows it in the log
    first_on = next(i for i, (_, m) in enumerate(port.sent) if m[0] & 0xF0 == 0x90)
    assert port.sent.index((100.0, CLOCK)) < first_on
    assert (report.loops, report.seconds, report.interrupted) == (1, 6.0, False)
    assert report.late_max_ms == 0.0 and report.drift_ms == 0.0


@pytest.mark.parametrize("tempo, seconds", [(60, 12.0), (240, 3.0), ("150", 4.8)],
                         ids=["60", "240", "text"])
def test_tempo_overrides_the_score(tempo, seconds: float) -> None:
    clock = FakeClock()
    port = MemoryOutput(clock)
    plan = schedule(two_voices(tempo=120), tempo=tempo)
    play(plan, port, clock=clock)
    notes = sounded(port.sent)
    assert float(plan.length) == seconds and port.sent[-1][0] == seconds
    # the upper voice's second note starts on beat 2: one quarter in
    upper = [n for n in notes if n[0] == 0]
    assert upper[1][2] == pytest.approx(seconds / 12)


def test_loop_repeats_with_the_clock_running_on() -> None:
    clock = FakeClock()
    port = MemoryOutput(clock)
    plan = schedule(two_voices(tempo=120))
    report = play(plan, port, clock=clock, loop=True, passes=3)
    notes = sounded(port.sent)
    assert report.loops == 3 and len(notes) == 3 * 15
    first = [n for n in notes if n[2] < 6]
    third = [n for n in notes if n[2] >= 12]
    assert [(c, k, a + 12, b + 12) for c, k, a, b in first] == third
    pulses = [t for t, m in port.sent if m == CLOCK]
    assert len(pulses) == 3 * 288
    assert max(b - a for a, b in zip(pulses, pulses[1:])) == pytest.approx(1 / 48)
    assert [m for _, m in port.sent].count(START) == 1 and port.sent[-1] == (18.0, STOP)


@pytest.mark.parametrize("at, sounding", [(1.1, 2), (0.01, 2), (5.99, 2)],
                         ids=["mid-note", "just-after-start", "near-end"])
def test_ctrl_c_releases_every_sounding_note(at: float, sounding: int) -> None:
    """A Ctrl-C mid-piece (the fake clock raises it): a note off for each sounding note,
    All Notes Off on both channels, Stop last; nothing is left on."""
    clock = FakeClock(interrupt_at=at)
    port = MemoryOutput(clock)
    report = play(schedule(two_voices(tempo=120)), port, clock=clock, loop=True)
    assert report.interrupted and report.released == sounding
    assert report.seconds == pytest.approx(at)
    tail = [m for _, m in port.sent[-3:]]
    assert tail == [bytes((0xB0, ALL_NOTES_OFF, 0)), bytes((0xB1, ALL_NOTES_OFF, 0)), STOP]
    sounded(port.sent)  # every note on has its note off
    assert all(t <= at for t, _ in port.sent)


def test_a_ctrl_c_before_the_start_sends_no_stop() -> None:
    clock = FakeClock(interrupt_at=0.5)
    port = MemoryOutput(clock)
    report = play(schedule(two_voices()), port, clock=clock, lead_in=2.0)
    assert report.interrupted and report.notes == 0
    assert STOP not in [m for _, m in port.sent] and START not in [m for _, m in port.sent]


def test_release_sends_note_offs_then_all_notes_off() -> None:
    clock = FakeClock()
    port = MemoryOutput(clock)
    assert release(port, {(1, 50), (0, 62)}, (0, 1, 1)) == 2
    assert [m for _, m in port.sent] == [bytes((0x80, 62, 0)), bytes((0x81, 50, 0)),
                                         bytes((0xB0, 123, 0)), bytes((0xB1, 123, 0))]


def test_grace_notes_are_played_on_the_beat_as_in_score_mid() -> None:
    upper, lower = token_voices(["Upper", "Lower"], ["D5/2 E5/2", "D4/4"])
    grace = Note("g1", Pitch.parse("F5"), Fraction(2), Fraction(1, 8), grace="acciaccatura")
    piece = Piece(voices=(replace(upper, graces=(grace,)), lower), meter="4/4",
                  tempo=Fraction(60))
    clock = FakeClock()
    port = MemoryOutput(clock)
    play(schedule(piece), port, clock=clock)
    upper_notes = [(k, a, b) for c, k, a, b in sounded(port.sent) if c == 0]
    # a thirty-second (1/8 quarter = 0.125 s at 60) taken from the E5 it leads into
    assert upper_notes == [(74, 0.0, 2.0), (77, 2.0, 2.125), (76, 2.125, 4.0)]


def test_five_voices_use_the_score_mid_channels() -> None:
    voices = token_voices([f"V{i}" for i in range(11)], ["C5/4"] * 11)
    piece = Piece(voices=tuple(voices), meter="4/4", tempo=Fraction(120))
    plan = schedule(piece)
    assert plan.channels == (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11)  # the drum channel skipped
    ons = [m[0] & 0x0F for _, m in plan.events if m[0] & 0xF0 == 0x90]
    assert sorted(ons) == list(plan.channels)


@pytest.mark.parametrize("tempo", ["0", "-5", "fast", "5000", "1/0"],
                         ids=["zero", "negative", "word", "huge", "div0"])
def test_a_bad_tempo_is_one_line(tempo: str) -> None:
    with pytest.raises(BadInput, match="--tempo"):
        check_tempo(tempo)


def test_an_empty_score_has_nothing_to_play() -> None:
    with pytest.raises(BadInput, match="no notes"):
        schedule(Piece(voices=(Voice("A", ()),), meter="4/4"))
