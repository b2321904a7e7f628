"""The label-free four-part rules: four voices without a cantus firmus and without a
Roman-numeral analysis (a Bach chorale, an imported file) are judged by four-part voice leading,
not by the species rules. Hand-made scores with known answers, then one Bach chorale."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stretto.check import check, choose_rules, hard
from stretto.errors import BadInput
from stretto.modes import Mode
from stretto.pitch import Pitch
from stretto.score import Note, Piece, Voice

NAMES = ("Soprano", "Alto", "Tenor", "Bass")
# I - V - I - I in C major, quarter notes: no four-part rule broken
CLEAN = ("C5 B4 C5 C5", "E4 D4 E4 E4", "G3 G3 G3 G3", "C3 G2 C3 C3")


def four(lines=CLEAN, role: str = "free", names=NAMES) -> Piece:
    voices = []
    for vi, (name, line) in enumerate(zip(names, lines)):
        notes = tuple(Note(id=f"v{vi}n{k}", pitch=Pitch.parse(p), onset=Fraction(k),
                           duration=Fraction(1)) for k, p in enumerate(line.split()))
        voices.append(Voice(name, notes, role=role))
    return Piece(voices=tuple(voices), mode=Mode("ionian", "C"), meter="4/4")


def test_clean_four_parts_pass_the_label_free_rules():
    piece = four()
    assert "harmony" not in piece.info
    assert choose_rules(piece)[0] == "satb-voice-leading"
    assert check(piece) == []
    # the species rules would flag this plain chorale texture throughout
    assert len(hard(check(piece, rules="species"))) >= 5


PLANTED = [
    # alto G4-A4 over tenor C4-D4: one parallel fifth, at the second beat
    ("alto-tenor-fifths", ("C5 C5 B4 C5", "G4 A4 G4 G4", "C4 D4 D4 E4", "C3 F3 G3 C3"),
     ("parallel-perfect", 2, ("Alto", "Tenor"), "fifths")),
    # alto and tenor exchange E4 and D4 by step: crossed on beat 2, no overlap
    ("alto-tenor-crossing", ("C5 B4 C5 C5", "E4 D4 E4 E4", "D4 E4 G3 G3", "C3 G2 C3 C3"),
     ("crossing", 2, ("Alto", "Tenor"), "Alto D4 is below Tenor E4")),
    # the soprano leaps to G5 over the alto's E4: more than an octave apart on beat 4
    ("soprano-alto-spacing", ("C5 B4 C5 G5", "E4 D4 E4 E4", "G3 G3 G3 G3", "C3 G2 C3 C3"),
     ("spacing", 4, ("Soprano", "Alto"), "more than an octave")),
    # the bass leaps C3-A3 above the tenor's last note G3 (the tenor moves on to C4): an
    # overlap on beat 2, though the voices do not cross
    ("tenor-bass-overlap", ("C5 C5 B4 C5", "E4 E4 F4 E4", "G3 C4 D4 C4", "C3 A3 G3 C3"),
     ("overlap", 2, ("Tenor", "Bass"), "overlap")),
    ("bass-out-of-range", ("C5 B4 C5 C5", "E4 D4 E4 E4", "G3 G3 G3 G3", "C3 G2 C3 C2"),
     ("satb-range", 4, ("Bass",), "C2 is outside D2-D4")),
]


@pytest.mark.parametrize("lines,expected", [p[1:] for p in PLANTED], ids=[p[0] for p in PLANTED])
def test_planted_fault_is_reported_once_and_named(lines, expected):
    rule, beat, voices, words = expected
    found = check(four(lines))
    assert [(v.rule, v.bar, v.beat, v.voices) for v in found] == [(rule, 1, beat, voices)], \
        [str(v) for v in found]
    assert words in found[0].message


def test_voices_named_otherwise_get_the_ranges_by_position():
    # an imported MIDI file's tracks: the lowest of four voices has the bass's range
    lines = ("C5 B4 C5 C5", "E4 D4 E4 E4", "G3 G3 G3 G3", "C3 G2 C3 C2")
    found = check(four(lines, names=("P1", "P2", "P3", "P4")))
    assert [(v.rule, v.voices) for v in found] == [("satb-range", ("P4",))]


def _cantus_in_the_bass() -> Piece:
    """Three voices in quarter notes over a bass that sings a cantus firmus, a bar a note."""
    piece = four()
    upper = tuple(Voice(v.name, tuple(Note(id=f"v{vi}n{4 * k + j}", pitch=n.pitch,
                                           onset=Fraction(4 * k + j), duration=Fraction(1))
                                      for k, n in enumerate(v.notes) for j in range(4)),
                        role="free") for vi, v in enumerate(piece.voices[:3]))
    cantus = tuple(Note(id=f"v3n{k}", pitch=n.pitch, onset=Fraction(4 * k),
                        duration=Fraction(4)) for k, n in enumerate(piece.voices[3].notes))
    return Piece(voices=upper + (Voice("Bass", cantus, role="free"),), mode=piece.mode,
                 meter="4/4")


CHOICES = [
    ("four-free-voices", four, "auto", "satb-voice-leading"),
    ("species-roles", lambda: four(role="counterpoint"), "auto", "species"),
    ("whole-note-cantus", _cantus_in_the_bass, "auto", "species"),
    ("three-voices", lambda: Piece(voices=four().voices[:3], meter="4/4"), "auto", "species"),
    ("forced-species", four, "species", "species"),
    ("forced-satb", lambda: four(role="counterpoint"), "satb", "satb-voice-leading"),
]


@pytest.mark.parametrize("make,rules,expected", [c[1:] for c in CHOICES],
                         ids=[c[0] for c in CHOICES])
def test_rule_set_choice(make, rules, expected):
    assert choose_rules(make(), rules=rules)[0] == expected


def test_unknown_rule_set_is_bad_input():
    with pytest.raises(BadInput, match="use auto, species, satb"):
        check(four(), rules="fux")


def test_a_bach_chorale_breaks_few_four_part_rules():
    """BWV 66.6 from music21's corpus: judged as four-part writing, a few textbook liberties
    (measured: 5 hard violations); judged as species counterpoint, dozens."""
    from stretto.analysis.suites import load_bach
    from stretto.analysis.view import note_count

    piece = load_bach("bach/bwv66.6.mxl")
    per_100 = 100 / note_count(piece)
    satb = hard(check(piece))
    species = hard(check(piece, rules="species"))
    assert choose_rules(piece)[0] == "satb-voice-leading"
    assert {v.rule for v in satb} <= {"overlap", "crossing", "spacing", "satb-range",
                                      "parallel-perfect", "satb-direct", "satb-melodic"}
    assert len(satb) * per_100 < 5
    assert len(species) * per_100 > 8 * len(satb) * per_100


def test_cli_rules_option(tmp_path, capsys):
    import json

    from stretto.cli import main
    from stretto.io.musicxml import write_musicxml

    path = tmp_path / "four.musicxml"
    write_musicxml(four(PLANTED[0][1]), path)
    assert main(["check", str(path), "--json"]) == 1
    auto = json.loads(capsys.readouterr().out)
    assert auto["rules"] == "satb-voice-leading"
    assert [v["rule"] for v in auto["violations"]] == ["parallel-perfect"]
    assert main(["check", str(path), "--rules", "species", "--json"]) == 1
    species = json.loads(capsys.readouterr().out)
    assert species["rules"] == "species" and species["hard"] > auto["hard"]
    assert main(["check", str(path), "--rules", "fux"]) == 2
    assert "use auto (the default), species or satb" in capsys.readouterr().err
