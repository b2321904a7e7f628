"""Motion judged at every onset, in every rule set: a parallel fifth, octave or unison, and a
direct octave, each planted between the beats (a melody note off the beat moving into the next
beat) is caught by default and passed by the beat-only view (``beats=True``, ``--beats``) that
the literature counts by. Species exercises, labelled four-part scores and label-free four-part
scores each get all four faults."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from stretto.check import check, choose_rules, hard
from stretto.check.onsets import onset_successions
from stretto.modes import Mode
from stretto.pitch import Pitch
from stretto.score import Note, Piece, Voice

NAMES = ("Soprano", "Alto", "Tenor", "Bass")


def line(name: str, text: str, role: str, vi: int) -> Voice:
    """``PITCH/DURATION`` tokens, durations in quarter notes (``D5/5/2`` is D5 for 2.5)."""
    notes, t = [], F(0)
    for k, tok in enumerate(text.split()):
        pitch, _, dur = tok.partition("/")
        notes.append(Note(id=f"v{vi}n{k}", pitch=Pitch.parse(pitch), onset=t, duration=F(dur)))
        t += F(dur)
    return Voice(name, tuple(notes), role=role)


def four(lines, labels=None, key="C major") -> Piece:
    """Four free voices in 4/4; with ``labels`` (a Roman numeral per beat) a stretto-style
    harmonization carrying its analysis."""
    voices = tuple(line(n, text, "free", vi) for vi, (n, text) in enumerate(zip(NAMES, lines)))
    info = {}
    if labels:
        info = {"style": "chorale", "harmony": {
            "key": key, "melody_voice": 0, "fermatas": [], "cadences": [],
            "analysis": [{"onset": str(k), "chord": c} for k, c in enumerate(labels)]}}
    return Piece(voices=voices, mode=Mode("ionian", "C"), meter="4/4", info=info)


# Each four-part fault: (lines, labels, key, rule, voices) at bar 1 beat 4 or bar 2 beat 1.
FOUR = {
    # the case: soprano E-F from beat 3.5 into beat 4 over the tenor's E-F (the tenor
    # a lower neighbour F4-E4-F4, so beat 3 to beat 4 it holds F4)
    "octaves": (("D5/5/2 E5/1/2 F5/1 E5/4", "A4/2 A4/2 C5/4", "F4/5/2 E4/1/2 F4/1 G4/4",
                 "D3/2 D3/2 C3/4"), ["ii", "ii", "ii", "ii", "I"], "C major",
                "parallel-perfect", ("Soprano", "Tenor"), (1, F(4))),
    # soprano E5-F5 over the alto's neighbour A4-Bb4
    "fifths": (("D5/5/2 E5/1/2 F5/1 D5/4", "Bb4/5/2 A4/1/2 Bb4/1 Bb4/4", "F4/2 F4/2 F4/4",
                "Bb2/2 Bb2/2 Bb2/4"), ["I", "I", "I", "I", "I"], "Bb major",
               "parallel-perfect", ("Soprano", "Alto"), (1, F(4))),
    # soprano and alto both C#4-D4 (the oneills1850 no. 13)
    "unisons": (("F#4/2 E4/1/2 C#4/1/2 D4/1 D4/4", "D4/5/2 C#4/1/2 D4/1 D4/4", "A3/2 A3/2 A3/4",
                 "D3/2 D3/2 D3/4"), ["I", "I", "I", "I", "I"], "D major",
                "parallel-perfect", ("Soprano", "Alto"), (1, F(4))),
    # soprano C5 on beat 4, then A4 at 4.5 leaps to D5 on the downbeat while the bass rises
    # C3-D3: a direct octave from the off-beat note (beat to beat the soprano steps C5-D5)
    "direct-octave": (("E5/2 D5/1 C5/1/2 A4/1/2 D5/4", "C5/2 B4/1 A4/1 A4/4",
                       "G4/2 G4/1 E4/1 F#4/4", "C3/2 G2/1 C3/1 D3/4"),
                      ["I", "I", "V", "vi6", "V/V"], "C major",
                      "satb-direct", ("Soprano", "Bass"), (2, F(1))),
}


def _hits(found, rule, voices, where):
    return [v for v in found if v.rule == rule and v.voices == voices and (v.bar, v.beat) == where]


@pytest.mark.parametrize("labelled", [False, True], ids=["satb-voice-leading", "satb"])
@pytest.mark.parametrize("fault", list(FOUR))
def test_four_part_fault_between_the_beats(fault, labelled):
    lines, labels, key, rule, voices, where = FOUR[fault]
    piece = four(lines, labels if labelled else None, key)
    assert choose_rules(piece)[0] == ("satb" if labelled else "satb-voice-leading")
    found = hard(check(piece))
    hits = _hits(found, rule, voices, where)
    assert len(hits) == 1, [str(v) for v in found]
    assert not _hits(hard(check(piece, beats=True)), rule, voices, where)


def test_message_names_the_notes_and_both_onsets():
    found = _hits(check(four(FOUR["octaves"][0])), "parallel-perfect", ("Soprano", "Tenor"),
                  (1, F(4)))
    assert found[0].message == ("parallel octaves or unisons between Soprano and Tenor: "
                                "E5-F5 over E4-F4 from bar 1 beat 7/2 to bar 1 beat 4")


def test_clean_parts_stay_clean_at_every_onset():
    # the octaves piece with the tenor holding F4 (no neighbour): nothing to report
    lines = ("D5/5/2 E5/1/2 F5/1 E5/4", "A4/2 A4/2 C5/4", "F4/2 F4/2 G4/4", "D3/2 D3/2 C3/4")
    assert hard(check(four(lines))) == []
    assert hard(check(four(lines, ["ii", "ii", "ii", "ii", "I"]))) == []


def test_holding_or_repeating_is_not_motion():
    lines = ("D5/2 D5/2 E5/4", "A4/2 A4/2 C5/4", "D4/4 E4/4", "D3/2 D3/2 C3/4")
    steps = list(onset_successions(four(lines), 0, 2))
    # soprano re-strikes D5 over the tenor's held D4: a succession in which neither moves
    assert [(s.t1, s.t2, s.x_moves, s.y_moves) for s in steps] == [(0, 2, 0, 0), (2, 4, 2, 2)]


def test_a_rest_breaks_the_succession():
    lines = ("D5/1 E5/1", "A4/2", "F4/2", "D3/2")
    piece = four(lines)
    rested = Piece(voices=(piece.voices[0], piece.voices[1], piece.voices[2],
                           Voice("Bass", (Note("b0", Pitch.parse("D3"), F(0), F(1 / 2)),
                                          Note("b1", Pitch.parse("E3"), F(1), F(1))),
                                 role="free")), mode=piece.mode, meter="4/4")
    assert list(onset_successions(rested, 0, 3)) == []


# --------------------------------------------------------------------------- species
# third species above a cantus D4-E4 in 2/2 (beats on the halves): the counterpoint's last
# quarter of bar 1 (beat 4, off the half-note beat) moves into the downbeat of bar 2
SPECIES = {
    "fifths": "D5/1 C5/1 B4/1 A4/1 B4/4",
    "octaves": "A4/1 B4/1 C5/1 D5/1 E5/4",
    "unisons": "G4/1 F4/1 E4/1 D4/1 E4/4",
    "direct-octave": "A4/1 C5/1 E5/1 B4/1 E5/4",
}


def _species(upper: str) -> Piece:
    cp = line("Upper", upper, "counterpoint", 0)
    cp = Voice(cp.name, cp.notes, role="counterpoint", species=3)
    cf = Voice("Cantus", (Note("c0", Pitch.parse("D4"), F(0), F(4)),
                          Note("c1", Pitch.parse("E4"), F(4), F(4))), role="cantus")
    return Piece(voices=(cp, cf), mode=Mode("dorian", "D"), meter="2/2")


@pytest.mark.parametrize("fault", list(SPECIES))
def test_species_fault_between_the_beats(fault):
    piece = _species(SPECIES[fault])
    assert choose_rules(piece)[0] == "species"
    rule = "direct-perfect" if fault == "direct-octave" else "parallel-perfect"
    hits = _hits(hard(check(piece)), rule, ("Upper", "Cantus"), (2, F(1)))
    assert len(hits) == 1
    assert not _hits(hard(check(piece, beats=True)), rule, ("Upper", "Cantus"), (2, F(1)))


def test_species_beat_view_still_sees_beat_to_beat_parallels():
    # half notes: every note is on a beat, so both views agree
    piece = _species("A4/2 A4/2 B4/4")
    hits = _hits(hard(check(piece, beats=True)), "parallel-perfect", ("Upper", "Cantus"),
                 (2, F(1)))
    assert len(hits) == 1
