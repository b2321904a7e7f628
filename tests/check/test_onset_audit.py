"""bench/onset_audit.py, the music21 second opinion on the checker: it finds the issue's
off-beat octaves, agrees with ``stretto.check`` on them, and chooses its folk tunes the same
way every time."""

from __future__ import annotations

import importlib.util
from fractions import Fraction
from pathlib import Path

import pytest

AUDIT = Path(__file__).resolve().parents[2] / "bench" / "onset_audit.py"
LINES = ("D5/5/2 E5/1/2 F5/1 E5/4", "A4/2 A4/2 C5/4", "F4/5/2 E4/1/2 F4/1 G4/4",
         "D3/2 D3/2 C3/4")


def _audit():
    spec = importlib.util.spec_from_file_location("onset_audit", AUDIT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _m21(lines, tie_across: bool = False):
    from music21 import meter, note, stream, tie

    score = stream.Score()
    for name, text in zip(("Soprano", "Alto", "Tenor", "Bass"), lines):
        part = stream.Part()
        part.partName = name
        part.append(meter.TimeSignature("4/4"))
        for tok in text.split():
            pitch, _, dur = tok.partition("/")
            part.append(note.Note(pitch, quarterLength=Fraction(dur)))
        part = part.makeMeasures()
        part.partName = name
        score.insert(0, part)
    if tie_across:  # a tie written between two different pitches (E5 -> F5)
        sop = list(score.parts[0].flatten().notes)
        sop[1].tie = tie.Tie("start")
        sop[2].tie = tie.Tie("stop")
    return score


def test_audit_finds_the_off_beat_octaves():
    found = _audit().audit_score(_m21(LINES))
    assert found["parallels"] == 1 and found["hidden"] == 0
    assert found["counts"]["parallel octave"] == 1
    assert found["found"] == ["parallel octave Soprano-Tenor E5-F5 over E4-F4, "
                              "bar 1 beat 3.5 -> bar 1 beat 4"]


def test_audit_and_checker_agree_and_beats_miss_it():
    from stretto.check import check
    from stretto.check.onsets import check_onset_parallels
    from stretto.score import Piece
    from support import token_voices

    piece = Piece(voices=token_voices(("Soprano", "Alto", "Tenor", "Bass"), LINES), meter="4/4")
    assert len(check_onset_parallels(piece)) == _audit().audit_score(_m21(LINES))["parallels"]
    assert not [v for v in check(piece, beats=True) if v.rule == "parallel-perfect"]


def test_a_tie_between_different_pitches_does_not_merge_them():
    parts = _audit().parts_of(_m21(LINES, tie_across=True))
    assert [p.nameWithOctave for _, _, p in parts[0][1]] == ["D5", "E5", "F5", "E5"]


@pytest.mark.skipif(importlib.util.find_spec("music21") is None, reason="music21 is absent")
def test_folk_choice_is_deterministic_and_no_chorale():
    audit = _audit()
    names = [t["name"] for t in audit.choose_folk(4)]
    assert names == ["essenFolksong/boehme10#44", "oneills1850/1625-1700#1691",
                     "ryansMammoth/PaddyWasUpToGangerJig#1", "airdsAirs/book3#563"]
