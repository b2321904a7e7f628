"""Two- and three-voice free textures (stretto's canons and inventions): a dissonance struck
between two voices must be treated (passing or neighbour tone, suspension, appoggiatura), never
bare, whatever chord the analysis names. One planted bare dissonance, then each treated kind."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from stretto.check import check, choose_rules, hard
from stretto.check.free import check_treated_dissonance, is_dissonant
from stretto.modes import Mode
from stretto.score import Piece
from support import token_voices


def free(*lines: str, style: str | None = "composition", labels=None) -> Piece:
    """Voices top down as ``PITCH/DURATION`` tokens (quarter notes), 4/4."""
    names = ("Soprano", "Alto", "Bass") if len(lines) == 3 else ("Soprano", "Bass")
    voices = token_voices(names, lines)
    info = {"style": style} if style else {}
    if labels:
        info["harmony"] = {"key": "C major", "melody_voice": None, "cadences": [],
                           "analysis": [{"onset": str(t), "chord": c} for t, c in labels]}
    return Piece(voices=voices, mode=Mode("ionian", "C"), meter="4/4", info=info)


# E4 over Bb3 struck together, both reached and left by leap: the canon
BARE = ("A4/2 E4/1 G4/1", "D3/2 Bb3/1 G3/1")


def _treated(found):
    return [(v.bar, v.beat, v.voices) for v in found if v.rule == "treated-dissonance"]


def test_bare_tritone_is_reported():
    piece = free(*BARE)
    assert choose_rules(piece)[0] == "satb-voice-leading"
    found = hard(check(piece))
    assert _treated(found) == [(1, F(3), ("Soprano", "Bass"))]
    v = next(v for v in found if v.rule == "treated-dissonance")
    assert "E4 against Bb3 (A4)" in v.message


def test_a_chord_label_does_not_excuse_it():
    # the analysis calls beat 3 V7/IV (C E G Bb): both notes are chord tones, still bare
    piece = free(*BARE, labels=[(0, "ii"), (2, "V7/IV"), (3, "V")])
    assert choose_rules(piece)[0] == "satb"
    assert _treated(hard(check(piece))) == [(1, F(3), ("Soprano", "Bass"))]


TREATED = [
    # F4 over C3 is a fourth against the bass: a passing tone E-F-G
    ("passing", ("E4/1 F4/1 G4/2", "C3/4")),
    # D5 struck with the bass's E3 on beat 2 (a seventh), passing E5-D5-C5: accented passing
    ("accented-passing", ("E5/1 D5/1 C5/2", "C3/1 E3/3")),
    ("neighbour", ("E4/1 F4/1 E4/2", "C3/4")),
    # C5 prepared over A3, held while the bass moves to D3 (a seventh), falls to B4: 7-6
    ("suspension", ("C5/3 B4/1", "A3/2 D3/2")),
    # D5 leapt to over E3 (a seventh), resolved down by step to C5
    ("appoggiatura", ("G4/2 D5/1 C5/1", "E3/2 E3/2")),
]


@pytest.mark.parametrize("lines", [t[1] for t in TREATED], ids=[t[0] for t in TREATED])
def test_treated_dissonance_passes(lines):
    piece = free(*lines)
    assert any(is_dissonant(a.pitch, b.pitch, True) for a in piece.voices[0].notes
               for b in piece.voices[1].notes if a.onset < b.end and b.onset < a.end)
    assert check_treated_dissonance(piece) == []


UNTREATED = [
    # the suspension again, but C5 leaps away instead of falling by step
    ("suspension-unresolved", ("C5/3 E5/1", "A3/2 D3/2"), (1, F(3))),
    # the suspension resolving upward (C5-D5): not a suspension
    ("suspension-rising", ("C5/3 D5/1", "A3/2 D3/2"), (1, F(3))),
    # the suspended C5 was itself dissonant before the bass moved (over B3): not prepared
    ("suspension-unprepared", ("C5/3 B4/1", "B3/2 D3/2"), (1, F(1))),
    # a neighbour that leaps back instead: an escape tone, not allowed
    ("escape-tone", ("E4/1 F4/1 A4/2", "C3/4"), (1, F(2))),
    # a fourth against the bass struck bare (two voices: the bass is the lowest voice)
    ("bare-fourth", ("F4/4", "C4/4"), (1, F(1))),
]


@pytest.mark.parametrize("lines,where", [t[1:] for t in UNTREATED], ids=[t[0] for t in UNTREATED])
def test_untreated_dissonance_is_reported(lines, where):
    assert [(v.bar, v.beat) for v in check_treated_dissonance(free(*lines))][:1] == [where]


def test_fourth_between_upper_voices_of_three_is_consonant():
    # C5 over G4 over C3: the fourth is between the upper voices
    assert check_treated_dissonance(free("C5/4", "G4/4", "C3/4")) == []
    # ... but F4 over C4 with the bass below at F2: F4/C4 is still not against the bass
    assert check_treated_dissonance(free("F4/4", "C4/4", "F2/4")) == []
    # and a bare second between the upper voices is reported
    assert _treated(check_treated_dissonance(free("D5/4", "C5/4", "F3/4"))) == [
        (1, F(1), ("Soprano", "Alto"))]


def test_routing():
    # two-voice scores that are not compositions stay species exercises
    assert choose_rules(free(*BARE, style=None))[0] == "species"
    assert not _treated(check(free(*BARE, style=None)))
    # forced onto the non-species rules, they get the free-texture rule too
    assert _treated(check(free(*BARE, style=None), rules="satb"))
    # four voices: a chord carries the harmony, the rule does not apply
    four = Piece(voices=free(*BARE).voices * 2, meter="4/4", info={"style": "composition"})
    assert check_treated_dissonance(four) == []
