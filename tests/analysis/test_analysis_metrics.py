"""Each metric on tiny hand-made scores whose answers are known."""

from __future__ import annotations

from fractions import Fraction

import pytest
from bench_pieces import two_voices

from stretto.analysis import analyse
from stretto.analysis.distribution import interval_histogram, overlapping_area, \
    pitch_class_histogram
from stretto.analysis.harmony import beat_chords, cadence_at, harmonic_validity, label_chord
from stretto.analysis.independence import motion, voice_independence
from stretto.analysis.melody import voice_melody
from stretto.analysis.rules import parallel_perfects, rule_compliance
from stretto.analysis.structure import find_key, motif_recurrence, phrase_regularity
from stretto.analysis.view import lines, phrase_ends, pair_successions

PARALLEL = two_voices("E5 F5 G5 A5 G5", "C5 D5 E5 F5 E5")      # thirds only, in parallel
MIRROR = two_voices("C5 D5 E5 D5 C5", "C4 Bb3 Ab3 Bb3 C4")     # exact contrary motion


def test_parallel_motion_only_has_zero_independence():
    ind = voice_independence(PARALLEL)
    assert ind["independence_min"] == pytest.approx(0.0)
    assert ind["parallel"] == 1.0 and ind["contrary"] == 0.0
    assert ind["onset_synchrony"] == 1.0


def test_perfect_contrary_motion_has_independence_one():
    ind = voice_independence(MIRROR)
    assert ind["independence_min"] == pytest.approx(1.0)
    assert ind["contrary"] == 1.0


def test_oblique_motion_is_half_independent():
    piece = two_voices("C5 D5 E5 D5 C5", "C4 C4 C4 C4 C4")
    ind = voice_independence(piece)
    assert ind["independence_min"] == 0.5
    assert ind["oblique"] == 1.0


def test_motion_kinds():
    assert motion(67, 60, 69, 62) == "parallel"   # fifth to fifth
    assert motion(64, 60, 67, 62) == "similar"    # third to fifth
    assert motion(64, 60, 62, 62) == "contrary"
    assert motion(64, 60, 64, 62) == "oblique"
    assert motion(64, 60, 64, 60) is None


def test_planted_parallel_fifth_is_counted_once():
    # sixth, fifth, fifth (the parallel), sixth, octave: one parallel fifth in four successions
    piece = two_voices("E5 D5 E5 F5 C5", "G4 G4 A4 A4 C4")
    pp = parallel_perfects(piece)
    assert pp["parallel_perfect"] == 1
    assert pp["successions"] == 4
    assert pp["parallel_perfect_per_1000"] == pytest.approx(250.0)
    assert parallel_perfects(MIRROR)["parallel_perfect"] == 0


def test_contrary_fifths_and_rests_are_not_parallels():
    # C5/F4 (fifth) to G5/C4 (twelfth) is contrary, not parallel
    assert parallel_perfects(two_voices("C5 G5", "F4 C4"))["parallel_perfect"] == 0


def test_successions_break_at_rests():
    from stretto.pitch import parse_pitches
    from stretto.score import Piece, make_voice

    up = make_voice("U", parse_pitches("G4 A4"), [Fraction(4)] * 2, role="free")
    low2 = make_voice("L", parse_pitches("D4"), [Fraction(4)], start=Fraction(4), role="free")
    gap = make_voice("L", parse_pitches("C4 D4"), [Fraction(2), Fraction(2)], role="free")
    assert len(pair_successions(*lines(Piece(voices=(up, low2))))) == 0
    assert len(pair_successions(*lines(Piece(voices=(up, gap))))) == 1


def test_rule_compliance_counts_the_checker_per_100_notes():
    rc = rule_compliance(PARALLEL)
    assert rc["hard_per_100"] >= 0 and set(rc["by_rule"]) == set(rc["severity"])
    planted = rule_compliance(two_voices("E5 D5 E5 F5 C5", "G4 G4 A4 A4 C4"))
    assert "parallel-perfect" in planted["by_rule"]
    assert planted["by_rule"]["parallel-perfect"] == pytest.approx(100 / 10)


def test_melodic_statistics():
    from stretto.analysis.view import lines as ls

    line = ls(two_voices("C5 D5 E5 A5 G5 G5", "C4 C4 C4 C4 C4 C4"))[0]
    m = voice_melody(line)
    # intervals +2 +2 +5 -2 0: two steps... three steps, one leap recovered, one repeat
    assert m["step"] == pytest.approx(3 / 5)
    assert m["leap"] == pytest.approx(1 / 5)
    assert m["repeat"] == pytest.approx(1 / 5)
    assert m["leap_recovery"] == 1.0
    assert m["range"] == 9 and m["single_climax"] == 1.0
    flat = voice_melody(ls(two_voices("C5 G5 C5 G5", "C4 C4 C4 C4"))[0])
    assert flat["leap_recovery"] == 0.0 and flat["single_climax"] == 0.0


def test_chord_labels():
    assert label_chord({0, 4, 7}) == (0, "maj", frozenset({0, 4, 7}))
    assert label_chord({7, 11, 2, 5})[:2] == (7, "7")
    assert label_chord({9, 0})[:2] == (9, "min")        # a third: incomplete, minor by order
    assert label_chord({0, 7}) is None                 # a bare fifth is no chord
    assert label_chord({0, 1, 4, 7})[:2] == (0, "maj")  # best cover; C# left out


def test_authentic_cadence_and_chord_share():
    from stretto.pitch import parse_pitches
    from stretto.score import Piece, make_voice

    parts = ["E5 D5 C5", "C5 B4 G4", "G4 G4 E4", "C3 G2 C3"]
    voices = tuple(make_voice(f"V{i}", parse_pitches(p), [Fraction(1)] * 3, role="free",
                              id_prefix=f"v{i}n") for i, p in enumerate(parts))
    piece = Piece(voices=voices, meter="4/4", mode=__import__("stretto.modes").modes.Mode(
        "ionian", "C"))
    assert [c[1] for c in beat_chords(piece)] == ["0:maj", "7:maj", "0:maj"]
    assert cadence_at(piece, Fraction(3)) == "authentic"
    hv = harmonic_validity(piece)
    assert hv["chord_share"] == 1.0 and hv["cadence_share"] == 1.0


def test_clausula_vera_is_a_cadence():
    piece = two_voices("D5 C#5 D5", "F4 E4 D4", mode=__import__("stretto.modes").modes.Mode(
        "dorian", "D"))
    assert cadence_at(piece, piece.length) == "clausula"
    assert cadence_at(PARALLEL, PARALLEL.length) is None


def test_overlapping_area():
    assert overlapping_area([1, 1, 0], [1, 1, 0]) == pytest.approx(1.0)
    assert overlapping_area([1, 0], [0, 3]) == 0.0
    assert overlapping_area([3, 1], [1, 1]) == pytest.approx(0.75)
    assert overlapping_area([0, 0], [1, 1]) is None
    assert pitch_class_histogram(PARALLEL).sum() == 10
    # E5 F5 G5 A5 G5 over C5 D5 E5 F5 E5: +1 +2 +2 -2 and +2 +2 +1 -2
    assert interval_histogram(PARALLEL)[12 + 2] == 4


def test_key_and_structure():
    c_major = [6, 0, 3, 0, 4, 4, 0, 5, 0, 3, 0, 2]
    import numpy as np
    assert find_key(np.array(c_major, dtype=float)) == (0, "major")
    piece = two_voices("C5 D5 E5 C5 D5 E5 C5 D5 E5", "C4 C4 C4 C4 C4 C4 C4 C4 C4")
    assert motif_recurrence(piece, n=3)["motif_recurrence"] > 0.5
    assert motif_recurrence(MIRROR, n=4)["motif_recurrence"] == 0.0
    assert phrase_regularity(piece)["phrase_regularity"] is None  # one phrase


def test_phrase_ends_from_info_and_long_notes():
    from dataclasses import replace

    piece = replace(PARALLEL, info={"phrase_ends": ["8", "20"]})
    assert phrase_ends(piece) == [Fraction(8), Fraction(20)]
    # phrases of 8 and 12 beats: CV 0.2
    assert phrase_regularity(piece)["phrase_regularity"] == pytest.approx(0.8)


def test_analyse_is_flat_and_deterministic():
    a = analyse(MIRROR)
    b = analyse(MIRROR)
    assert a == b
    assert all(v is None or isinstance(v, float) for v in a["metrics"].values())
    assert a["metrics"]["independence_min"] == pytest.approx(1.0)


def test_voice_leading_rules_are_the_checkers():
    from stretto.analysis.rules import VOICE_LEADING_RULES
    from stretto.rulebook import BY_NAME

    assert all(name in BY_NAME and BY_NAME[name].kind == "hard" for name in VOICE_LEADING_RULES)
    planted = rule_compliance(two_voices("E5 D5 E5 F5 C5", "G4 G4 A4 A4 C4"))
    assert planted["voice_leading_per_100"] >= planted["by_rule"]["parallel-perfect"] > 0
