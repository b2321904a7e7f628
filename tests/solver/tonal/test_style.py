"""Harmonic style: the vocabulary per style (plain, chorale, chromatic), the grammar of the
chromatic chords, their tendency tones as hard rules (chain and CP-SAT alike), and
``harmonize --style`` end to end."""

from __future__ import annotations

import pytest

from stretto.check import check, hard
from stretto.errors import BadInput
from stretto.harmony import (FIFTH, ROOT, STYLES, THIRD, Key, check_style, chord,
                             progression_graph, vocabulary)
from stretto.pitch import Pitch
from stretto.solver.cpsat.settings import SolveSettings

FAST = SolveSettings(time_limit=10, seed=0)
KEYS = ["C major", "A minor", "Eb major", "F# minor"]


@pytest.mark.parametrize("key", KEYS)
def test_plain_is_diatonic_triads_and_v7(key):
    voc = vocabulary(Key.parse(key), "plain")
    assert not [c.figure for c in voc if c.secondary or c.function in ("S", "F")]
    assert [c.figure for c in voc if c.is_seventh] == ["V7"]
    assert len([c for c in voc if not c.is_seventh]) == 7


@pytest.mark.parametrize("key", KEYS)
def test_chromatic_adds_to_the_chorale_vocabulary(key):
    k = Key.parse(key)
    chorale = [c.figure for c in vocabulary(k)]
    chromatic = [c.figure for c in vocabulary(k, "chromatic")]
    assert chromatic[:len(chorale)] == chorale  # the chorale vocabulary, in its order
    added = set(chromatic) - set(chorale)
    assert {"N", "It", "Fr", "viio7/V"} <= added
    assert ({"iv", "bVI", "iio"} <= added) == (k.mode == "major")  # mixture in major


def test_unknown_style_is_bad_input():
    assert check_style("plain") == "plain"
    with pytest.raises(BadInput, match="plain, chorale, chromatic"):
        check_style("baroque")
    assert STYLES == ("plain", "chorale", "chromatic")


@pytest.mark.parametrize("key,figure,label,tones", [
    ("C major", "N", "N6", {"D-", "F", "A-"}),
    ("C major", "It", "It6", {"A-", "C", "F#"}),
    ("C major", "Fr", "Fr43", {"A-", "C", "D", "F#"}),
    ("A minor", "N", "N6", {"B-", "D", "F"}),
    ("A minor", "It", "It6", {"F", "A", "D#"}),
    ("C major", "viio7/V", "viio7/V", {"F#", "A", "C", "E-"}),
    ("C major", "bVI", "bVI", {"A-", "C", "E-"}),
], ids=["N-C", "It-C", "Fr-C", "N-a", "It-a", "viio7/V-C", "bVI-C"])
def test_chromatic_chords_are_spelled_as_music21_reads_their_label(key, figure, label, tones):
    """The label stretto writes (score.json, MusicXML <harmony>) names the chord's tones."""
    from music21 import key as m21key, roman

    k = Key.parse(key)
    ch = chord(k, figure)
    bass = min(ch.bass_roles) if ch.bass_roles else ROOT
    assert ch.label(bass) == label
    rn = roman.RomanNumeral(label, m21key.Key(k.m21_name))
    assert {p.name for p in rn.pitches} == tones
    spelled = {("CDEFGAB"[t[0]] + {0: "", 1: "#", -1: "-"}[t[1]]) for t in ch.tones
               if t is not None}
    assert spelled == tones
    assert rn.bass().name == ("CDEFGAB"[ch.tones[bass][0]]
                              + {0: "", 1: "#", -1: "-"}[ch.tones[bass][1]])


@pytest.mark.parametrize("key", ["C major", "A minor"])
def test_neapolitan_and_augmented_sixths_go_to_the_dominant(key):
    g = progression_graph(Key.parse(key), "chromatic")
    assert set(g.successors("N")) == {"N", "V", "V7", "viio7/V"}
    for f in ("It", "Fr"):
        assert set(g.successors(f)) == {f, "V", "V7"}
        assert not any(g.edges[f, t].get("retrogression") for t in g.successors(f))
    tonic = "I" if key == "C major" else "i"
    assert g.has_edge(tonic, "N") and g.has_edge(tonic, "It")


def test_tendencies_of_the_chromatic_chords():
    c = Key.parse("C major")
    assert chord(c, "N").bass_roles == frozenset({THIRD})
    assert chord(c, "It").tendencies == ((THIRD, "down"), (ROOT, "up"))  # Ab down, F# up
    assert chord(c, "Fr").bass_roles == frozenset({FIFTH})
    assert chord(c, "iv").tendencies == ((THIRD, "fall"),)  # the borrowed Ab
    assert chord(c, "viio7/V").goal == "V" and chord(c, "viio7/V").lt_role == ROOT
    assert chord(c, "viio7").goal == "I"  # unchanged for the diatonic one


@pytest.mark.parametrize("code,dd,ds,same,ok", [
    (1, 1, 1, False, True), (1, 1, 2, False, False), (1, 0, 0, False, False),
    (2, -1, -1, False, True), (2, -1, -2, False, False), (2, 0, 0, True, True),
    (3, -1, -2, False, True), (3, -1, -1, False, True), (3, 0, 0, False, True),
    (3, 1, 2, False, False), (0, 4, 7, False, True), (4, -2, -2, False, True),
    (4, -1, -1, False, True), (4, 0, 0, False, False), (4, -2, -3, False, False),
    (3, -2, -2, False, False),
], ids=["up", "up-whole", "up-held", "down", "down-whole", "down-same-chord", "fall-whole",
        "fall-half", "fall-held", "fall-rises", "free", "b2-dim3", "b2-step", "b2-held",
        "b2-minor-third", "fall-no-dim3"])
def test_tendency_moves(code, dd, ds, same, ok):
    from stretto.solver.tonal.chorale_rules import RulesMixin

    assert bool(RulesMixin.tendency_moves(code, dd, ds, same)) is ok


def _model(soprano: str, figures, pins=(), style="chromatic"):
    from stretto.solver.tonal.chorale import (ALL_CADENCES, SATB_RANGES, ChoraleModel,
                                              HarmonyProblem, VoicePart)

    sop = tuple(Pitch.parse(p) for p in soprano.split())
    voices = [VoicePart("Soprano", min(sop, key=lambda p: p.midi),
                        max(sop, key=lambda p: p.midi), sop)]
    for name in ("Alto", "Tenor", "Bass"):
        lo, hi = SATB_RANGES[name]
        voices.append(VoicePart(name, Pitch.parse(lo), Pitch.parse(hi)))
    n = len(sop)
    prob = HarmonyProblem(key=Key.parse("C major"), voices=tuple(voices), slots=n,
                          links=(True,) * (n - 1) + (False,),
                          cadences={n - 1: ALL_CADENCES}, figures=frozenset(figures),
                          pins=tuple(pins), style=style)
    return ChoraleModel(prob)


def test_italian_sixth_expands_to_the_octave_on_the_dominant():
    """Bass pinned to Ab: the chord is It6; its F# rises and its Ab falls a semitone to G
    (solved by the chain, confirmed by CP-SAT)."""
    model = _model("E5 C5 B4 C5", {"I", "It", "V", "V7"}, pins=[(3, 1, Pitch.parse("Ab2"))])
    sol = model.solve(FAST)
    assert sol.status == "optimal"
    assert [c.figure for c in sol.chords] == ["I", "It", "V", "I"]
    assert sol.labels[1] == "It6"
    moves = {p.name: q.name for line in sol.pitches[1:] for p, q in zip(line[1:2], line[2:3])}
    fsharp = [a for a in moves if a.startswith("F#")]
    assert fsharp and all(moves[a] == "G" + a[2:] for a in fsharp)
    assert moves["Ab2"] == "G2"


def test_cp_sat_states_the_tendency_rule_too():
    """CP-SAT alone (the model the chain's answer is confirmed against): a voice on the
    Italian sixth's F# that does not rise makes the model infeasible."""
    from ortools.sat.python import cp_model

    model = _model("E5 C5 B4 C5", {"I", "It", "V", "V7"}, pins=[(3, 1, Pitch.parse("Ab2"))])
    sol = model.solve(FAST)
    v = next(v for v in (1, 2) if sol.pitches[v][1].name.startswith("F#"))
    fresh = _model("E5 C5 B4 C5", {"I", "It", "V", "V7"}, pins=[(3, 1, Pitch.parse("Ab2"))])
    fresh.m.Add(fresh.x[v][1] == fresh.P.index(sol.pitches[v][1]))
    free = cp_model.CpSolver()
    assert free.Solve(fresh.m) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    fresh.m.Add(fresh.dss[v, 1] != 1)  # the F# does not rise by its semitone
    assert cp_model.CpSolver().Solve(fresh.m) == cp_model.INFEASIBLE


def test_neapolitan_sixth_goes_to_v_its_flat_two_falling_to_the_leading_tone():
    """N6 - V: the bass on the Neapolitan's third, its b2 (Db) falls a diminished third to the
    leading tone B, the one diminished interval the melodic rule allows, and only there."""
    model = _model("E5 F5 D5 C5", {"I", "N", "V", "V7"}, pins=[(3, 1, Pitch.parse("F3"))])
    sol = model.solve(FAST)
    assert [c.figure for c in sol.chords] == ["I", "N", "V", "I"]
    assert sol.labels[1] == "N6"
    flat_two = [line for line in sol.pitches[1:] if line[1].name.startswith("Db")]
    assert flat_two
    for line in flat_two:
        assert line[2].name.startswith("B") and line[1].midi - line[2].midi == 2
    assert chord(Key.parse("C major"), "N").tendencies == ((ROOT, "b2"),)


def _melody(names: str):
    from music21 import meter as m21meter, note, stream

    from stretto.io.melody import melody_from_stream

    s = stream.Stream()
    s.append(m21meter.TimeSignature("4/4"))
    for name in names.split():
        s.append(note.Note(name, quarterLength=1))
    return melody_from_stream(s)


TUNE = "E5 D5 C5 D5 E5 E5 E5 D5 D5 D5 E5 G5 G5 E5 D5 C5"


@pytest.mark.parametrize("style", STYLES)
def test_harmonize_in_each_style(style):
    from stretto.solver.tonal.harmonize import harmonize

    piece = harmonize(_melody(TUNE), FAST, style=style).piece
    h = piece.info["harmony"]
    assert h.get("style", "chorale") == style
    allowed = {c.label(r) for c in vocabulary(Key.parse(h["key"]), style)
               for r in range(4) if c.tones[r] is not None}
    assert {e["chord"] for e in h["analysis"]} <= allowed  # named in the style's vocabulary
    if style == "plain":
        assert not [e for e in h["analysis"] if "/" in e["chord"]]
    assert hard(check(piece)) == []


@pytest.mark.parametrize("label,key", [("N6", "C major"), ("It6", "C major"),
                                       ("Fr43", "A minor"), ("viio7/V", "G major"),
                                       ("bVI", "Eb major"), ("ii/o65", "C major"),
                                       ("iv6", "D major")])
def test_chromatic_numerals_written_as_musicxml_harmony_and_read_back(label, key):
    from stretto.io.numerals import figure_of, harmony_element

    assert figure_of(harmony_element(label, key)) == (label, key)


def _four_part(lines, chords):
    from fractions import Fraction

    from support import token_voices

    from stretto.modes import Mode
    from stretto.score import Piece

    voices = token_voices(["Soprano", "Alto", "Tenor", "Bass"], lines)
    info = {"style": "chorale", "harmony": {
        "key": "C major", "melody_voice": 0, "cadences": [], "fermatas": [],
        "analysis": [{"onset": str(k), "chord": c} for k, c in enumerate(chords)]}}
    return Piece(voices=voices, mode=Mode("ionian", "C"), meter="4/4", tempo=Fraction(96),
                 title="t", info=info)


N6_TO_V = ["E5/1 F5/1 D5/1 C5/1", "C5/1 Db5/1 B4/1 G4/1", "G4/1 Ab4/1 G4/1 E4/1",
           "C3/1 F3/1 G3/1 C3/1"]


def test_checker_allows_the_neapolitan_diminished_third_and_nothing_else():
    piece = _four_part(N6_TO_V, ["I", "N6", "V", "I"])
    assert hard(check(piece)) == []
    # the same diminished third under another label is a melodic fault
    wrong = _four_part(N6_TO_V, ["I", "iv6", "V", "I"])
    assert "satb-melodic" in {v.rule for v in check(wrong)}


def test_checker_reports_a_tendency_tone_that_does_not_resolve():
    lines = list(N6_TO_V)
    lines[1] = "C5/1 Db5/1 D5/1 C5/1"  # the b2 rises to D instead of falling
    found = [v for v in check(_four_part(lines, ["I", "N6", "V", "I"]))
             if v.rule == "tendency-tone"]
    assert [(v.bar, v.voices) for v in found] == [(1, ("Alto",))]
