"""The checker's four-part rules on a hand-made I-IV-V-I in C major: the clean version passes,
and each planted fault is reported under its rule name, with its bar and voices."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stretto.check import check, hard
from stretto.modes import Mode
from stretto.pitch import Pitch
from stretto.score import Note, Piece, Voice

NAMES = ("Soprano", "Alto", "Tenor", "Bass")
CLEAN = [["G4", "A4", "B4", "C5"],
         ["E4", "F4", "D4", "E4"],
         ["C4", "C4", "G3", "G3"],
         ["C3", "F2", "G2", "C3"]]
LABELS = ["I", "IV", "V", "I"]


def chorale(voices=CLEAN, labels=LABELS, fermatas=("3",)) -> Piece:
    vs = []
    for vi, (name, line) in enumerate(zip(NAMES, voices)):
        notes = tuple(Note(id=f"v{vi}n{k}", pitch=Pitch.parse(p), onset=Fraction(k),
                           duration=Fraction(1), origin="human" if vi == 0 else "solver")
                      for k, p in enumerate(line))
        vs.append(Voice(name, notes))
    analysis = [{"onset": str(k), "chord": lab} for k, lab in enumerate(labels)]
    info = {"style": "chorale", "harmony": {"key": "C major", "analysis": analysis,
                                            "melody_voice": 0, "fermatas": list(fermatas),
                                            "cadences": []}}
    return Piece(voices=tuple(vs), mode=Mode("ionian", "C"), meter="4/4", info=info)


def _with(changes: dict, labels=LABELS, fermatas=("3",)) -> Piece:
    voices = [list(v) for v in CLEAN]
    for (v, t), p in changes.items():
        voices[v][t] = p
    return chorale(voices, labels, fermatas)


def test_clean_progression_passes():
    assert check(chorale()) == []


PLANTED = [
    ("parallel-octaves", {(2, 3): "C4"}, LABELS, ("3",), "parallel-perfect",
     ("Tenor", "Bass")),
    ("non-chord-tone", {(1, 1): "G4"}, LABELS, ("3",), "chord-tones", ("Alto",)),
    ("doubled-leading-tone", {(2, 2): "B3"}, LABELS, ("3",), "doubling", NAMES),
    ("unresolved-seventh", {(2, 2): "F3"}, ["I", "IV", "V7", "I"], ("3",),
     "seventh-resolution", ("Tenor",)),
    ("leading-tone-leaps", {(0, 2): "D5", (1, 2): "B4", (1, 3): "E4"}, LABELS, ("3",),
     "leading-tone", ("Alto",)),
    ("bass-too-low", {(3, 0): "C2"}, LABELS, ("3",), "satb-range", ("Bass",)),
    ("alto-tenor-apart", {(2, 0): "C3"}, LABELS, ("3",), "spacing", ("Alto", "Tenor")),
    ("no-cadence-at-fermata", {}, LABELS, ("1",), "cadence-plan", NAMES),
    ("augmented-second", {(1, 1): "F4", (1, 2): "G#4"}, ["I", "IV", "V/vi", "I"], ("3",),
     "satb-melodic", ("Alto",)),
]


@pytest.mark.parametrize("changes,labels,fermatas,rule,voices",
                         [p[1:] for p in PLANTED], ids=[p[0] for p in PLANTED])
def test_planted_fault_is_reported(changes, labels, fermatas, rule, voices):
    found = hard(check(_with(changes, labels, fermatas)))
    hits = [v for v in found if v.rule == rule]
    assert hits, f"{rule} not reported; found {[str(v) for v in found]}"
    assert set(voices) <= set(hits[0].voices)
    assert hits[0].bar == 1


def test_species_pieces_unaffected():
    """A piece without the chorale style is still judged by the species rules."""
    piece = chorale()
    plain = Piece(voices=piece.voices, mode=piece.mode, meter=piece.meter)
    assert any(v.rule not in {r for r, *_ in PLANTED} for v in check(plain))
