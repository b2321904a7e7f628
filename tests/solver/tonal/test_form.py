"""Form as constraints: canon, tonal and real answers, cadence plan, and clear errors for plans
that cannot work (the fugue exposition itself: test_fugue.py)."""

from __future__ import annotations

import copy
from fractions import Fraction
from dataclasses import replace
from pathlib import Path

import pytest

from stretto.check import check, hard
from stretto.errors import BadInput, Unsatisfiable
from stretto.pitch import Pitch, parse_pitches
from stretto.solver.tonal.form import (compose, form_from_dict, load_form, parse_interval_steps,
    real_answer, tonal_answer)
from stretto.harmony import Key
from stretto.solver.cpsat.settings import SolveSettings

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
FAST = SolveSettings(time_limit=5)

ANSWERS = [
    ("d-minor", "D4 A4 F4 D4 C#4 D4 E4 F4", "D minor", "A4 D5 C5 A4 G#4 A4 B4 C5",
     "A4 E5 C5 A4 G#4 A4 B4 C5"),
    ("c-major", "C4 G4 E4 F4 D4 G4 E4 C4", "C major", "G4 C5 B4 C5 A4 D5 B4 G4",
     "G4 D5 B4 C5 A4 D5 B4 G4"),
    ("g-major-from-dominant", "D5 G4 B4 A4 G4", "G major", "G5 D5 F#5 E5 D5",
     "A5 D5 F#5 E5 D5"),
]


@pytest.mark.parametrize("subject,key,tonal,real", [a[1:] for a in ANSWERS],
                         ids=[a[0] for a in ANSWERS])
def test_tonal_and_real_answer(subject, key, tonal, real):
    """The tonal answer answers the head's tonic with the dominant and its dominant with the
    tonic, the rest a fifth up in the dominant key; the real answer is all a fifth up."""
    s = parse_pitches(subject)
    assert [p.name for p in tonal_answer(s, Key.parse(key))] == tonal.split()
    assert [p.name for p in real_answer(s, Key.parse(key))] == real.split()


INTERVALS = [("-P8", (-7, -12)), ("P5", (4, 7)), ("M3", (2, 4)), ("-m6", (-5, -8)),
             ("A4", (3, 6)), ("d5", (4, 6)), ("P12", (11, 19)), ("M10", (9, 16))]


@pytest.mark.parametrize("text,expected", INTERVALS, ids=[i[0] for i in INTERVALS])
def test_parse_interval(text, expected):
    assert parse_interval_steps(text) == expected


@pytest.fixture(scope="module")
def canon_piece():
    return compose(load_form(EXAMPLES / "canon.toml"), FAST).piece


def test_canon_follower_is_transposed_delayed_leader(canon_piece):
    """Bass = soprano an octave lower, one bar later, note for note (bars 1-6 of the leader),
    the passing eighths of its own rhythm included."""
    sop, bass = canon_piece.voice("Soprano").sounding(), canon_piece.voice("Bass")
    compared = 0
    for n in sop:
        if n.onset >= 24:  # the canon covers the leader's bars 1-6
            break
        m = bass.at(n.onset + 4)
        assert m is not None and m.onset == n.onset + 4
        assert m.midi == n.midi - 12 and m.pitch.diatonic == n.pitch.diatonic - 7
        compared += 1
    assert compared > 24  # a note on every beat, and eighths between some
    assert hard(check(canon_piece)) == []


def test_canon_cadence_plan(canon_piece):
    cads = {c["where"]: c["type"] for c in canon_piece.info["harmony"]["cadences"]}
    assert cads["bar 4 beat 1"] == "half"
    assert cads["bar 8 beat 1"] == "authentic"


def test_broken_canon_is_reported(canon_piece):
    bass = canon_piece.voice("Bass")
    notes = list(bass.notes)
    k = next(i for i, n in enumerate(notes) if n.onset == 5)
    notes[k] = replace(notes[k], pitch=parse_pitches("C#2")[0])
    voices = tuple(replace(v, notes=tuple(notes)) if v.name == "Bass" else v
                   for v in canon_piece.voices)
    found = [v for v in check(replace(canon_piece, voices=voices)) if v.rule == "canon"]
    assert found and found[0].bar == 2


def _plan(**changes):
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    data = tomllib.loads((EXAMPLES / "canon.toml").read_text())
    data = copy.deepcopy(data)
    for path, value in changes.items():
        table, _, key = path.partition(".")
        target = data[table][0] if isinstance(data[table], list) else data[table]
        target[key] = value
    return data


BAD = [
    ("cadence-type", {"cadence.type": "perfect"}, "cadence type"),
    ("interval", {"canon.interval": "P3"}, "interval"),
    ("voice", {"canon.follower": "Tenor"}, "no voice named"),
    ("delay", {"canon.delay": "soon"}, "delay"),
    ("bar", {"cadence.bar": 12}, "outside"),
    ("key", {"piece.key": "H minor"}, "key"),
]


@pytest.mark.parametrize("changes,needle", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_plan_is_bad_input(changes, needle):
    with pytest.raises(BadInput, match=needle):
        form_from_dict(_plan(**changes))


def test_canon_that_cannot_fit_the_ranges_is_unsatisfiable():
    """A bass answering the soprano two octaves up cannot stay in its range."""
    spec = form_from_dict(_plan(**{"canon.interval": "P15"}))
    with pytest.raises(Unsatisfiable, match="range"):
        compose(spec, FAST)


def test_invertible_counterpoint_at_the_tenth():
    """Bars 1-2 return at bar 4 with the voices exchanged: the soprano's line a tenth lower
    in the bass, the bass's line two octaves higher in the soprano; both pass the checker."""
    piece = compose(load_form(EXAMPLES / "invertible.toml"), FAST).piece
    sop, bass = piece.voice("Soprano"), piece.voice("Bass")
    for k in range(8):  # two bars, beat by beat (the eighths between copied too)
        assert bass.at(Fraction(12 + k)).pitch.diatonic == sop.at(Fraction(k)).pitch.diatonic - 9
        assert sop.at(Fraction(12 + k)).pitch.diatonic == bass.at(Fraction(k)).pitch.diatonic + 14
    assert hard(check(piece)) == []
    assert len(piece.info["form"]["recurrences"]) == 2


GENERATED = {
    "piece": {"key": "G major", "meter": "4/4", "bars": 5},
    "voice": [{"name": "Soprano"}, {"name": "Alto"}, {"name": "Bass"}],
    "fugue": {"answer": "real", "length": 4, "order": ["Soprano", "Alto", "Bass"],
              "countersubject": False},
}


def test_tonal_answer_needs_a_given_subject():
    plan = copy.deepcopy(GENERATED)
    plan["fugue"]["answer"] = "tonal"
    with pytest.raises(BadInput, match="tonal answer needs a given subject"):
        form_from_dict(plan)


def test_binary_plan_modulates_to_the_dominant_and_back():
    """A binary plan in G major: part A cadences in D major (bar 4), part B at home. The
    second half of part A is in D (D's own chords, analysed as D: ...), entered through a
    pivot, the cadence is D's V -> I; the music returns to G with a pivot and ends with G's
    authentic cadence; the checker agrees."""
    data = {"piece": {"key": "G major", "meter": "4/4", "bars": 8},
            "voice": [{"name": n} for n in ("Soprano", "Alto", "Tenor", "Bass")],
            "section": [{"bars": [1, 4], "key": "D major", "cadence": "authentic"},
                        {"bars": [5, 8], "key": "G major", "cadence": "authentic"}]}
    piece = compose(form_from_dict(data), FAST).piece
    h = piece.info["harmony"]
    mid = next(c for c in h["cadences"] if c["slot"] == 12)
    assert (mid["type"], mid["key"]) == ("authentic", "D major")
    a = h["analysis"]
    assert [x["key"] for x in a[6:13]] == ["D major"] * 7
    assert (a[11]["local"][0], a[12]["local"]) == ("V", "I")
    assert [(m["from"], m["to"]) for m in h["modulations"]] == [("G major", "D major"),
                                                               ("D major", "G major")]
    assert all("pivot" in m for m in h["modulations"])
    assert (h["cadences"][-1]["type"], h["cadences"][-1]["key"]) == ("authentic", "G major")
    assert a[-1]["key"] == "G major"
    import xml.etree.ElementTree as ET

    from stretto.io.musicxml import musicxml_bytes

    keys = [w.text for w in ET.fromstring(musicxml_bytes(piece)).iter("words")]
    assert keys[:2] == ["G:", "D:"]  # the key printed under the numerals at each change
    assert hard(check(piece)) == []


@pytest.mark.parametrize("meter", ["4/4", "3/4"], ids=["4-4", "3-4"])
def test_generated_melody_has_one_climax_range_and_rhythm(meter):
    """A soprano nobody gave: one highest note, inside its range, and more than one rhythm
    value from the vocabulary (quarters, halves, dotted quarter + eighth, eighths); the same
    plan gives the same notes (fixed seed)."""
    data = {"piece": {"key": "G major", "meter": meter, "bars": 8},
            "voice": [{"name": n} for n in ("Soprano", "Alto", "Tenor", "Bass")],
            "cadence": [{"bar": 4, "type": "half"}]}
    piece = compose(form_from_dict(data), FAST).piece
    notes = piece.voices[0].sounding()
    top = max(n.midi for n in notes)
    assert sum(n.midi == top for n in notes) == 1
    assert all(Pitch.parse("C4").midi <= n.midi <= Pitch.parse("G5").midi for n in notes)
    body = {n.duration for n in notes[:-1]}  # the last note is the final bar
    assert len(body) > 1 and body <= {Fraction(1, 2), Fraction(1), Fraction(3, 2), Fraction(2)}
    again = compose(form_from_dict(data), FAST).piece.voices[0].sounding()
    assert [(n.name, n.onset, n.duration) for n in again] == \
        [(n.name, n.onset, n.duration) for n in notes]
    assert hard(check(piece)) == []
