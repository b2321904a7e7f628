"""The fugue exposition as a fugue: each voice rests until it enters, the subject alone, the
answer in the dominant against the countersubject, the next entries in the plan's order after
a codetta, the subject's own rhythm in every entry, the countersubject invertible at the
octave, a final cadence, and no fault at any onset (examples/fugue.toml)."""

from __future__ import annotations

import copy
from fractions import Fraction
from pathlib import Path

import pytest

from stretto.check import check, hard
from stretto.check.onsets import check_onset_motion
from stretto.errors import BadInput
from stretto.harmony import Key
from stretto.pitch import Pitch, parse_pitches
from stretto.solver.cpsat.settings import SolveSettings
from stretto.solver.tonal.form import compose, form_from_dict, load_form
from stretto.solver.tonal.fugue import (invertible_at_octave, parse_subject, subject_rhythm,
    tonal_answer)

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
FAST = SolveSettings(time_limit=5)


@pytest.fixture(scope="module")
def fugue():
    return compose(load_form(EXAMPLES / "fugue.toml"), FAST).piece


def _entries(piece):
    return piece.info["form"]["fugue"]["entries"]


def _slot(piece) -> Fraction:
    return Fraction(1)  # 4/4, one chord per beat


def test_entries_are_audible_one_at_a_time(fugue):
    """Every voice is silent until its entry; at each entry exactly one voice begins, and
    before the second entry only the subject's voice sounds."""
    entries = _entries(fugue)
    starts = [e["slot"] * _slot(fugue) for e in entries]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    for e, start in zip(entries, starts):
        first = fugue.voice(e["voice"]).sounding()[0]
        assert first.onset == start, e["voice"]
    onsets = sorted({n.onset for v in fugue.voices for n in v.sounding()})
    for t in onsets:
        heard = [v.name for v in fugue.voices if v.at(t) is not None]
        entered = [e["voice"] for e, s in zip(entries, starts) if s <= t]
        assert sorted(heard) == sorted(entered), t
    alone = [n for v in fugue.voices for n in v.sounding() if n.onset < starts[1]]
    assert {fugue.voice(entries[0]["voice"]).name} == {
        v.name for v in fugue.voices if any(n in alone for n in v.sounding())}


def test_every_entry_keeps_the_subjects_rhythm(fugue):
    """The subject's notes and durations (a half note, four quarters, a half note) in
    every entry; the answer is the tonal answer in the dominant."""
    entries = _entries(fugue)
    rhythm = [Fraction(d) for d in fugue.info["form"]["fugue"]["rhythm"]]
    assert rhythm == [2, 1, 1, 1, 1, 2]
    for e in entries:
        start, end = e["slot"], e["end"]
        notes = [n for n in fugue.voice(e["voice"]).sounding() if start <= n.onset < end]
        assert [n.name for n in notes] == e["notes"]
        assert [n.duration for n in notes] == rhythm, e["voice"]
    subject = parse_pitches(" ".join(fugue.info["form"]["fugue"]["subject"]))
    answer = [p.name for p in tonal_answer(subject, Key.parse("C major"))]
    assert [Pitch.parse(n).step for n in entries[1]["notes"]] == \
        [Pitch.parse(n).step for n in answer]
    assert entries[1]["kind"] == "answer" and entries[1]["notes"][0] == "G4"


def test_order_and_codetta(fugue):
    """Alto, then soprano right after the subject, then the bass two chords (the codetta)
    after the answer ends."""
    entries = _entries(fugue)
    assert [e["voice"] for e in entries] == ["Alto", "Soprano", "Bass"]
    assert entries[1]["slot"] == entries[0]["end"]
    assert entries[2]["slot"] == entries[1]["end"] + 2


def _slotwise(voice, start: int, end: int) -> list[Pitch]:
    return [voice.at(Fraction(t)).pitch for t in range(start, end)]


def test_countersubject_returns_inverted_at_the_octave(fugue):
    """The alto's line against the answer returns in the soprano against the bass's entry,
    transposed by the recorded steps, on the other side of the theme; against the answer it
    inverts at the octave (no fifth, no dissonance, no parallel when inverted)."""
    cs = fugue.info["form"]["fugue"]["countersubject"][0]
    n = cs["length"]
    alto, sop, bass = (fugue.voice(x) for x in ("Alto", "Soprano", "Bass"))
    first = _slotwise(alto, cs["slot"], cs["slot"] + n)
    again = _slotwise(sop, cs["to_slot"], cs["to_slot"] + n)
    assert [q.diatonic - p.diatonic for p, q in zip(first, again)] == [cs["steps"]] * n
    answer = _slotwise(sop, cs["slot"], cs["slot"] + n)
    theme = _slotwise(bass, cs["to_slot"], cs["to_slot"] + n)
    assert all(a.midi > c.midi for a, c in zip(answer, first))  # below the answer
    assert all(c.midi > b.midi for c, b in zip(again, theme))  # above the subject
    regular = [j for j in range(n) if (answer[j].diatonic - theme[j].diatonic) % 7 == 4]
    assert invertible_at_octave([answer[j] for j in regular],
                                [first[j] for j in regular]) == []
    # the return's notes between the beats follow the first statement's
    lead = [x.onset - cs["slot"] for x in alto.sounding()
            if cs["slot"] <= x.onset < cs["slot"] + n]
    foll = [x.onset - cs["to_slot"] for x in sop.sounding()
            if cs["to_slot"] <= x.onset < cs["to_slot"] + n]
    assert lead == foll


def test_final_cadence_and_no_fault_at_any_onset(fugue):
    cadences = fugue.info["harmony"]["cadences"]
    assert cadences[-1]["type"] == "authentic" and cadences[-1]["where"] == "bar 10 beat 1"
    assert hard(check(fugue)) == []
    assert check_onset_motion(fugue) == []


def test_free_voices_have_their_own_rhythm(fugue):
    """Around the entries the free voices move in eighths and held notes, not only in
    quarters."""
    durations = {n.duration for v in fugue.voices for n in v.sounding()}
    assert Fraction(1, 2) in durations
    assert sum(fugue.info["rhythm"]["figures"].values()) > 0


GENERATED = {
    "piece": {"key": "G major", "meter": "4/4", "bars": 7},
    "voice": [{"name": "Soprano"}, {"name": "Alto"}, {"name": "Bass"}],
    "fugue": {"answer": "real", "length": 6, "order": ["Soprano", "Alto", "Bass"],
              "countersubject": False},
}


def test_generated_subject_has_a_rhythm_every_entry_keeps():
    """Without a given subject stretto writes one, in a rhythm of its own
    (:func:`subject_rhythm`); the alto answers exactly a fifth higher (an octave down), the
    bass repeats it two octaves lower, each in the same rhythm, each silent until it
    enters."""
    piece = compose(form_from_dict(copy.deepcopy(GENERATED)), FAST).piece
    lengths = subject_rhythm(6)
    assert len(set(lengths)) > 1
    entries = _entries(piece)
    lines = []
    for e in entries:
        notes = [n for n in piece.voice(e["voice"]).sounding() if e["slot"] <= n.onset < e["end"]]
        assert piece.voice(e["voice"]).sounding()[0].onset == e["slot"]
        assert [n.duration for n in notes] == lengths
        lines.append(notes)
    subj, ans, again = lines
    assert [b.midi - a.midi for a, b in zip(subj, ans)] == [7 - 12] * len(subj)
    assert [b.midi - a.midi for a, b in zip(subj, again)] == [-24] * len(subj)
    assert hard(check(piece)) == []


def test_parse_subject_rhythm():
    notes, lengths = parse_subject("C4/2 G4 E4/1 D4/4", Fraction(1))
    assert [p.name for p in notes] == ["C4", "G4", "E4", "D4"] and lengths == [2, 1, 1, 4]


@pytest.mark.parametrize("change,needle", [
    ({"subject": "C4/1/2 D4 E4"}, "whole number of chords"),
    ({"subject": "C4/x D4 E4"}, "PITCH/QUARTERS"),
    ({"codetta": -1}, "codetta"),
    ({"codetta": 40}, "codetta"),
], ids=["eighth", "bad-duration", "negative-codetta", "long-codetta"])
def test_bad_fugue_is_bad_input(change, needle):
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    data = tomllib.loads((EXAMPLES / "fugue.toml").read_text())
    data["fugue"].update(change)
    with pytest.raises(BadInput, match=needle):
        form_from_dict(data)


def test_invertible_at_octave_names_the_fifth():
    upper = parse_pitches("E4 G4 F4")
    lower = parse_pitches("C4 C4 D4")
    found = invertible_at_octave(upper, lower)
    assert len(found) == 1 and "fifth" in found[0] and "chord 2" in found[0]


def test_analysis_of_resting_beats_is_implied(fugue):
    """Where a voice rests the chord is only implied: those beats are listed apart
    (``info.harmony.implied``), the four-part analysis covers the beats where all sound."""
    h = fugue.info["harmony"]
    last_entry = _entries(fugue)[-1]["slot"]
    assert [a["slot"] for a in h["implied"]] == list(range(last_entry))
    assert h["analysis"][0]["slot"] == last_entry
    for a in h["analysis"]:
        assert all(v.at(Fraction(a["onset"])) is not None for v in fugue.voices)
