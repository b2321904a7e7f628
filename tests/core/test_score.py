"""The score model and its versioned JSON."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stretto.errors import BadInput
from stretto.modes import Mode
from stretto.pitch import parse_pitches
from stretto.score import FORMAT_VERSION, Piece, dumps, loads, make_voice


def _piece() -> Piece:
    upper = make_voice("Soprano", parse_pitches("A4 D5 C#5 D5"),
                       [Fraction(4), Fraction(4), Fraction(2), Fraction(4)],
                       start=Fraction(2), bar_length=Fraction(4), species=4)
    lower = make_voice("Cantus", parse_pitches("D4 F4 E4 D4"), [Fraction(4)] * 4,
                       role="cantus", origin="human", id_prefix="c")
    return Piece(voices=(upper, lower), mode=Mode("dorian", "G"), title="t",
                 info={"solver": {"seed": 3}})


def test_json_round_trip_is_identical() -> None:
    piece = _piece()
    text = dumps(piece)
    assert loads(text) == piece
    assert dumps(loads(text)) == text
    assert f'"format_version": {FORMAT_VERSION}' in text


def test_notes_are_split_at_barlines_with_ties() -> None:
    upper = _piece().voices[0]
    ties = [(str(n.onset), str(n.duration), n.tie) for n in upper.notes]
    # A4 begins on beat 3 of bar 1 and is tied over the barline (fourth species).
    assert ties[0:2] == [("2", "2", "start"), ("4", "2", "stop")]
    assert [n.name for n in upper.sounding()] == ["A4", "D5", "C#5", "D5"]
    assert upper.sounding()[1].duration == 4


def test_every_note_has_an_id_and_origin() -> None:
    piece = _piece()
    ids = [n.id for v in piece.voices for n in v.notes]
    assert len(ids) == len(set(ids))
    assert {n.origin for n in piece.voices[1].notes} == {"human"}


@pytest.mark.parametrize("text,match", [("{", "not valid JSON"),
                                        ('{"format_version": 99}', "format_version"),
                                        ('{"format_version": 1}', "malformed")])
def test_bad_json_is_bad_input(text: str, match: str) -> None:
    with pytest.raises(BadInput, match=match):
        loads(text)


def test_bar_and_beat() -> None:
    piece = _piece()
    assert piece.bar_beat(Fraction(6)) == (2, Fraction(3))
    assert piece.bars == 4


def test_pickup_numbers_bars_from_0_and_grace_notes_round_trip() -> None:
    """A one-beat pickup in 4/4 is bar 0 beat 4 (as in the source) and the time of bar 1 is
    the first whole bar; grace notes live apart from the notes and survive score.json, which
    stays as it was for a piece with neither."""
    from dataclasses import replace

    from stretto.score import Note

    plain = replace(_piece(), meter="4/4")
    assert '"anacrusis"' not in dumps(plain) and '"graces"' not in dumps(plain)
    from stretto.pitch import Pitch

    grace = Note(id="g0", pitch=Pitch.parse("C5"), onset=Fraction(4), duration=Fraction(1, 2),
                 grace="acciaccatura", origin="human")
    voices = (replace(plain.voices[0], graces=(grace,)),) + plain.voices[1:]
    piece = replace(plain, voices=voices, anacrusis=Fraction(1))
    assert piece.bar_beat(Fraction(3)) == (0, Fraction(4))
    assert piece.bar_beat(Fraction(4)) == (1, Fraction(1))
    assert piece.time_at(2, Fraction(3)) == Fraction(10)
    back = loads(dumps(piece))
    assert back == piece and back.voices[0].graces == (grace,)
    with pytest.raises(ValueError, match="pickup"):
        replace(plain, anacrusis=Fraction(4))
