"""The checker on small scores with known answers: each test breaks one rule on purpose and
asserts that exactly that rule fires, at the bar where the music breaks it.

The counterpoints are Fux's own (figs 5, 6, 33, 35, 56, 73, 74, 83 over his D-dorian cantus),
typed in here so that these tests need no dataset, then altered by hand.
"""

from __future__ import annotations

from fractions import Fraction as F

import pytest
from check_scores import duo, hard_at, piece, voice

from stretto.check import CheckSettings, check, hard
from stretto.rulebook import BY_NAME

FUX5 = "A4 A4 G4 A4 B4 C5 C5 B4 D5 C#5 D5"  # first species above
FUX6 = "D3 D3 A3 F3 E3 D3 F3 C4 D4 C#4 D4"  # first species below
FUX33 = ("A4/2 D5/2 A4/2 B4/2 C5/2 G4/2 A4/2 D5/2 B4/2 C5/2 D5/2 A4/2 C5/2 D5/2 E5/2 B4/2 "
         "D5/2 A4/2 B4/2 C#5/2 D5/4")  # second species above
FUX35 = ("r/2 D3/2 D4/2 A3/2 C4/2 A3/2 B3/2 A3/2 G3/2 B3/2 D4/2 E4/2 F4/2 C4/2 E4/2 B3/2 D4/2 "
         "D3/2 A3/2 C#4/2 D4/4")  # second species below
FUX56 = ("D3/1 E3/1 F3/1 G3/1 A3/1 D3/1 A3/1 B3/1 C4/1 B3/1 G3/1 A3/1 B3/1 A3/1 G3/1 F3/1 "
         "E3/1 E4/1 B3/1 C4/1 D4/1 A3/1 D3/1 E3/1 F3/1 G3/1 A3/1 B3/1 C4/1 D4/1 E4/1 C4/1 "
         "D4/1 A3/1 D3/1 D4/1 C#4/1 A3/1 B3/1 C#4/1 D4/4")  # third species below
FUX73 = ("r/2 A4/2~ A4/2 D5/2~ D5/2 C5/2~ C5/2 Bb4/2~ Bb4/2 G4/2 A4/2 C5/2~ C5/2 F5/2~ F5/2 "
         "E5/2~ E5/2 D5/2~ D5/2 C#5/2 D5/4")  # fourth species above
FUX74 = ("r/2 D3/2~ D3/2 D4/2~ D4/2 C4/2~ C4/2 B3/2~ B3/2 E4/2~ E4/2 D4/2~ D4/2 F4/2~ F4/2 "
         "E4/2~ E4/2 D4/2~ D4/2 C#4/2 D4/4")  # fourth species below
FUX83 = ("r/2 D4/2~ D4/2 A3/1 B3/1 C4/1 G3/1 C4/2~ C4/1 B3/1/2 A3/1/2 B3/1 A3/1 G3/1 A3/1 "
         "B3/1 C4/1 D4/1 A3/1 D4/2~ D4/1 E4/1 F4/2~ F4/1 E4/1/2 D4/1/2 E4/2~ E4/1 A3/1 "
         "D4/2~ D4/2 C#4/2 D4/4")  # fifth species below


def _words(line: str) -> list[str]:
    return line.split()


def _replace(line: str, index: int, token: str) -> str:
    words = _words(line)
    words[index] = token
    return " ".join(words)


# --------------------------------------------------------------------------- Fux's lines pass


@pytest.mark.parametrize("cp,species,below", [
    (FUX5, 1, False), (FUX6, 1, True), (FUX33, 2, False), (FUX35, 2, True),
    (FUX56, 3, True), (FUX73, 4, False), (FUX74, 4, True), (FUX83, 5, True),
], ids=["fig5-first-above", "fig6-first-below", "fig33-second-above", "fig35-second-below",
        "fig56-third-below", "fig73-fourth-above", "fig74-fourth-below", "fig83-fifth-below"])
def test_fux_lines_break_no_hard_rule(cp, species, below):
    assert hard_at(duo(cp, species, below=below)) == set()


# --------------------------------------------------------------------------- vertical


def test_parallel_octaves_between_downbeats():
    # A4 | E5 (octave over E4) | D5 (octave over D4): both voices fall a step into an octave.
    p = duo(_replace(_replace(FUX5, 2, "E5"), 3, "D5"), 1)
    assert hard_at(p) == {("parallel-perfect", 4)}


def test_direct_fifth_in_two_voices():
    # B4 over D4 (a sixth) rises to D5 as the cantus rises to G4: similar motion into a fifth.
    p = duo("A4 A4 G4 B4 D5 A4 C5 B4 D5 C#5 D5", 1)
    assert hard_at(p) == {("direct-perfect", 5)}


def test_unison_inside_first_species():
    p = duo(_replace(FUX5, 1, "F4"), 1)  # F4 against the cantus' F4 in bar 2
    assert hard_at(p) == {("unison", 2)}


def test_first_interval_must_be_perfect():
    p = duo(_replace(FUX5, 0, "F4"), 1)  # a minor third over the cantus' first D4
    assert hard_at(p) == {("first-interval", 1)}


def test_counterpoint_below_may_not_begin_on_the_fifth():
    p = duo(_replace(FUX6, 0, "G3"), 1, below=True)  # G3 under D4: a fifth below
    assert hard_at(p) == {("first-interval", 1)}


def test_downbeat_seventh_in_first_species():
    p = duo(_replace(FUX5, 5, "E5"), 1)  # E5 over F4 in bar 6: a major seventh
    assert ("consonance", 6) in hard_at(p)
    assert {r for r, _ in hard_at(p)} <= {"consonance", "melodic-interval"}


def test_fourth_is_dissonant_in_two_voices_but_not_between_upper_voices():
    # G4 over the cantus' D4 is a fourth: dissonant in two voices and against the bass, but
    # consonant between upper voices over a G3 bass (G3 D4 G4).
    two = piece(voice("Upper", "G4 F4", 1), voice("Cantus", "D4 D4"))
    assert ("consonance", 1) in hard_at(two)
    three = piece(voice("Upper", "G4 F4", 1), voice("Cantus", "D4 D4"),
                  voice("Bass", "G3 D3", 1))
    assert ("consonance", 1) not in hard_at(three)
    above_bass = piece(voice("Upper", "G4 F4", 1), voice("Cantus", "D4 D4"),
                       voice("Bass", "D3 D3", 1))
    assert ("consonance", 1) in hard_at(above_bass)


# --------------------------------------------------------------------------- dissonance


def test_weak_half_dissonance_must_be_a_passing_tone():
    assert hard_at(duo(FUX33, 2)) == set()
    # Bar 1: A4 then C5 on the weak half, a seventh over D4 reached by leap.
    bad = duo(_replace(FUX33, 1, "C5/2"), 2)
    assert hard_at(bad) == {("dissonance-treatment", 1)}


def test_second_species_downbeat_dissonance():
    # Bar 4 downbeat: C5 over the cantus' D4, a seventh (Fux has A4, a fifth).
    p = duo(_replace(FUX33, 6, "C5/2"), 2)
    assert hard_at(p) == {("consonance", 4)}


def test_third_species_neighbour_and_cambiata_are_allowed():
    cf = "D4 D4"
    cambiata = piece(voice("Upper", "D5/1 C5/1 A4/1 B4/1 A4/4", 3), voice("Cantus", cf))
    # C5 over D4 is a seventh on the second quarter, reached by step down and left by a third
    # down, the line turning up by step: Fux's nota cambiata.
    assert not [v for v in hard(check(cambiata)) if v.rule == "dissonance-treatment"]
    neighbour = piece(voice("Upper", "A4/1 G4/1 A4/1 F4/1 D4/4", 3), voice("Cantus", cf))
    assert not [v for v in hard(check(neighbour)) if v.rule == "dissonance-treatment"]
    leap = piece(voice("Upper", "A4/1 C5/1 A4/1 F4/1 D4/4", 3), voice("Cantus", cf))
    assert [(v.rule, v.bar, v.beat) for v in hard(check(leap))
            if v.rule == "dissonance-treatment"] == [("dissonance-treatment", 1, F(2))]


def test_fourth_species_suspension_must_resolve_down():
    ok = duo(FUX73, 4)
    assert hard_at(ok) == set()
    # Bar 3: D5 tied over the cantus' E4 (a seventh) resolves up to F5 instead of down to C5.
    up = duo(_replace(_replace(FUX73, 5, "F5/2~"), 6, "F5/2"), 4)
    assert hard_at(up) == {("suspension", 3)}


def test_lower_voice_two_three_suspension_is_good():
    # Fig. 74 bar 3: D4 tied under the cantus' E4 (a second) resolves to C4 (a third).
    found = check(duo(FUX74, 4, below=True))
    assert not hard(found)


# --------------------------------------------------------------------------- melodic


def test_augmented_second():
    p = duo(_replace(FUX56, 35, "Bb3/1"), 3, below=True)  # Bb3 C#4: an augmented second
    assert hard_at(p) == {("melodic-interval", 10)}


def test_descending_minor_sixth_only_within_one_harmony():
    # C5 over F4 (bar 6) falls a minor sixth to E4 over A4 (bar 7): across two harmonies.
    p = duo("A4 A4 G4 A4 B4 C5 E4 B4 D5 C#5 D5", 1)  # C5 (bar 6) down to E4 (bar 7)
    found = hard_at(p)
    assert ("melodic-interval", 7) in found
    assert ("melodic-interval", 7) not in hard_at(p, settings=CheckSettings(minor_sixth_down=True))


def test_raised_leading_tone_must_rise():
    p = duo("A4 A4 G4 A4 B4 A4 C#5 B4 D5 C#5 D5", 1)  # C#5 over A4 falls to B4
    assert hard_at(p) == {("ficta", 7)}


def test_cadence_needs_the_raised_leading_tone():
    p = duo(_replace(FUX5, 9, "C5"), 1)  # C5 D5 over E4 D4: the leading tone is not raised
    assert hard_at(p) == {("cadence", 10)}


def test_cadence_last_interval_third():
    p = duo("A4 A4 G4 A4 B4 C5 C5 B4 D5 C#5 D5", 1)
    assert hard_at(p) == set()
    third = duo("D5 C5 B4 F4 G4 A4 C5 B4 A4 G4 F4", 1)  # ends on F4 over D4
    assert ("cadence", 11) in hard_at(third)


def test_chromatic_note_outside_the_mode():
    p = duo(_replace(FUX5, 2, "G#4"), 1)  # G#4 is not in D dorian
    assert hard_at(p) == {("diatonic", 3)}


def test_range_setting():
    p = duo(FUX5, 1)
    assert hard_at(p) == set()
    # G4 (bar 3) to D5 (bar 9) spans a fifth: over a range of a fourth.
    assert hard_at(p, settings=CheckSettings(max_range=3)) == {("range", 9)}


def test_repeated_note_in_second_species():
    p = duo(_replace(FUX33, 3, "A4/2"), 2)  # bar 2: A4 A4 struck twice
    assert ("repetition", 2) in hard_at(p)


def test_quarter_in_second_species_breaks_the_rhythm():
    cp = _words(FUX33)
    cp[3:4] = ["B4/1", "C5/1"]  # bar 2 beat 3: two quarters instead of a half
    assert ("rhythm", 2) in hard_at(duo(" ".join(cp), 2))


def test_crossing_and_the_setting_that_allows_it():
    p = duo(_replace(FUX5, 3, "B3"), 1)  # bar 4: B3 under the cantus' D4
    found = hard_at(p)
    assert ("crossing", 4) in found
    assert ("crossing", 4) not in hard_at(p, settings=CheckSettings(allow_crossing=True))


# --------------------------------------------------------------------------- API


def test_violation_fields_and_order():
    p = duo(_replace(FUX33, 1, "C5/2"), 2)
    found = check(p)
    assert found == sorted(found, key=lambda v: (v.bar, v.beat, v.rule, v.voices))
    v = hard(found)[0]
    assert (v.rule, v.severity, v.bar, v.beat, v.voices) == (
        "dissonance-treatment", "hard", 1, F(3), ("Upper", "Cantus"))
    assert v.message.endswith("cambiata") and "m7" in v.message
    for v in found:
        assert BY_NAME[v.rule].kind == v.severity


def test_soft_rules_are_optional():
    p = duo(FUX5, 1)
    assert any(v.severity == "soft" for v in check(p))
    assert all(v.severity == "hard" for v in check(p, settings=CheckSettings(soft=False)))
