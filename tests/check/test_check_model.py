"""The checker's model and API: species read off the rhythm, the cantus found, three-part
sonorities judged against the bass, and the soft rules reported as preferences."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction as F

import pytest
from check_scores import DORIAN_CF, duo, hard_at, piece, voice
from test_check_rules import FUX5, FUX33, FUX56, FUX73, FUX83, _replace, _words

from stretto.check import check, hard, infer_species
from stretto.check.model import resolve_roles
from stretto.errors import BadInput
from stretto.modes import Mode

C_IONIAN = Mode("ionian", "C")


@pytest.mark.parametrize("line,species", [
    (FUX5, 1), (FUX33, 2), (FUX56, 3), (FUX73, 4), (FUX83, 5),
], ids=["whole-notes", "halves", "quarters", "syncopations", "florid"])
def test_species_is_read_off_the_rhythm(line, species):
    assert infer_species(voice("V", line), F(4)) == species


def test_roles_default_to_the_whole_note_voice_as_cantus():
    plain = piece(voice("Top", FUX33), voice("Bottom", DORIAN_CF))
    plain = replace(plain, voices=tuple(replace(v, role="free", species=None)
                                        for v in plain.voices))
    species, cantus = resolve_roles(plain, None, None)
    assert (species, cantus) == ([2, None], 1)
    assert resolve_roles(plain, [None, 2], None) == ([None, 2], 0)
    with pytest.raises(BadInput):
        check(plain, species=[1, 2, 3])


def test_overlap_when_both_voices_move():
    # Both start on D4; the cantus then rises to F4, above the counterpoint's previous D4.
    assert hard_at(duo(_replace(FUX5, 0, "D4"), 1)) == {("overlap", 2)}


def test_fifth_species_eighths_come_in_pairs():
    w = _words(FUX83)
    i = w.index("B3/1/2")
    w[i:i + 3] = ["B3/1/2", "A3/1", "B3/1/2"]  # a lone eighth, then a quarter off the beat
    assert hard_at(duo(" ".join(w), 5, below=True)) == {("rhythm", 4)}


def test_fifth_species_eighths_move_by_step():
    w = _words(FUX83)
    i = w.index("A3/1/2")
    w[i] = "G3/1/2"  # bar 4: C4 B3 G3 B3, the eighths skip a third
    assert hard_at(duo(" ".join(w), 5, below=True)) == {("rhythm", 4)}


def test_broken_syncopation_is_soft():
    found = check(duo(FUX73, 4))
    assert not hard(found)
    broken = [(v.bar, v.beat) for v in found if v.rule == "broken-syncopation"]
    assert broken == [(5, F(3))]  # Fux breaks the tie once: G4 A4 in bar 5
    assert all(v.severity == "soft" for v in found)


def test_direct_fifth_in_three_parts_only_by_step_in_the_top_voice():
    # Top C5 -> D5 (a step) over bass E3 -> G3: a direct fifth the upper voice reaches by step.
    by_step = piece(voice("Top", "C5 D5"), voice("Middle", "G4 B4"), voice("Bass", "E3 G3"),
                    mode=C_IONIAN)
    assert ("direct-perfect", 2) not in hard_at(by_step)
    by_leap = piece(voice("Top", "A4 D5"), voice("Middle", "E4 B4"), voice("Bass", "C3 G3"),
                    mode=C_IONIAN)
    assert ("direct-perfect", 2) in hard_at(by_leap)
    two_parts = piece(voice("Top", "C5 D5"), voice("Bass", "E3 G3"), mode=C_IONIAN)
    assert ("direct-perfect", 2) in hard_at(two_parts)


def test_tritone_between_upper_voices_of_a_sixth_chord():
    # E3 G4 C#5: the augmented fourth G-C# lies between the upper voices (Fux's 6/3 on E).
    trio = piece(voice("Top", "C#5 D5"), voice("Middle", "G4 F4"), voice("Bass", "E3 D3"))
    assert ("consonance", 1) not in hard_at(trio)
    duo_ = piece(voice("Top", "C#5 D5"), voice("Bass", "G4 F4"))
    assert ("consonance", 1) in hard_at(duo_)


def test_soft_rules_name_the_preferences():
    # Fig. 5 repeats A4 at the start and reaches D5 twice: both are preferences, not faults.
    found = check(duo(FUX5, 1))
    soft = {(v.rule, v.bar) for v in found if v.severity == "soft"}
    assert ("repeated-notes", 2) in soft
    assert ("single-climax", 11) in soft
    assert not hard(found)
