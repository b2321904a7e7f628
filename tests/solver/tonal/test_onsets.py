"""Voice leading at every onset in the solver: a given melody's note between the beats enters
the chorale model (CP-SAT and the chain alike), the notes stretto adds between the slots are
judged against every sounding note, and two- and three-voice plans attack no dissonance.

The audit here is the test's own: every onset of either voice of a pair, rests breaking a
succession, pitches as written (no code shared with the solver's tables)."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
from ortools.sat.python import cp_model

from stretto.check import check
from stretto.io.melody import Melody
from stretto.pitch import Interval, Pitch
from stretto.score import Note
from stretto.solver.tonal.chain import VoicingChain
from stretto.solver.tonal.chorale import ChoraleModel, HarmonyProblem, VoicePart
from stretto.solver.tonal.form import compose, form_from_dict
from stretto.solver.tonal.harmonize import harmonize, melody_tails, plan_slots
from stretto.harmony import Key
from stretto.solver.tonal.onsets import fits, pair_faults
from stretto.solver.cpsat.settings import SolveSettings

FAST = SolveSettings(time_limit=5)


def _spans(voice):
    return [(n.onset, n.end, n.pitch) for n in voice.notes]


def _at(line, t):
    for a, e, p in line:
        if a <= t < e:
            return p, a
    return None, None


def audit(piece) -> dict:
    """Parallel perfect intervals in any pair, direct ones into the outer voices with a leap
    above, and (two or three voices) dissonances attacked, at every onset."""
    lines = [_spans(v) for v in piece.voices]
    V = len(lines)
    times = sorted({a for ln in lines for a, _, _ in ln} | {e for ln in lines for _, e, _ in ln})
    found = {"parallel": [], "direct": [], "dissonance": []}
    for i in range(V):
        for j in range(i + 1, V):
            prev = None
            for t in times:
                (p, pa), (q, qa) = _at(lines[i], t), _at(lines[j], t)
                if p is None or q is None:
                    prev = None
                    continue
                if V <= 3 and t in (pa, qa) and not Interval.between(p, q).is_consonant(
                        fourth_ok=V == 3 and j != V - 1):
                    found["dissonance"].append((t, i, j, p.name, q.name))
                if prev is not None and prev != (p, q):
                    p1, q1 = prev
                    c1, c2 = (p1.midi - q1.midi) % 12, (p.midi - q.midi) % 12
                    if p1 != p and q1 != q and c1 == c2 and c1 in (0, 7):
                        found["parallel"].append((t, i, j, p1.name, q1.name, p.name, q.name))
                    elif (i, j) == (0, V - 1) and p1 != p and q1 != q and c2 in (0, 7) and \
                            (p.midi - p1.midi) * (q.midi - q1.midi) > 0 and \
                            abs(p.midi - p1.midi) > 2:
                        found["direct"].append((t, p1.name, q1.name, p.name, q.name))
                prev = (p, q)
    return found


def _melody(spec: str, meter: str = "4/4") -> Melody:
    """``"C5:1/2 B4:1/2 A4:1"``: pitch:duration in quarters, one after the other."""
    notes, t = [], F(0)
    for k, item in enumerate(spec.split()):
        name, dur = item.split(":")
        notes.append(Note(id=f"v0n{k}", pitch=Pitch.parse(name), onset=t, duration=F(dur),
                          origin="human"))
        t += F(dur)
    return Melody(notes=tuple(notes), meter=meter, fermatas=frozenset(), pickup_shift=F(0),
                  title="test")


def test_tails_are_the_last_note_before_each_beat():
    melody = _melody("C5:1/2 B4:1/2 A4:1 G4:3/4 A4:1/4 B4:1 C5:1")
    onsets, _, fixed, links, _, _ = plan_slots(melody)
    tails = melody_tails(melody, onsets, links)
    assert [(t, p.name) for _, t, p in tails] == [(0, "B4"), (2, "A4")]
    assert [p.name for p in fixed] == ["C5", "A4", "G4", "B4", "C5"]


def _two_slot_model(tails: bool) -> ChoraleModel:
    """C major, soprano C5 on both beats with the lower neighbour B4 before beat 2; the
    lower voices free."""
    key = Key.parse("C major")
    voices = (VoicePart("Soprano", Pitch.parse("B4"), Pitch.parse("C5"),
                        (Pitch.parse("C5"), Pitch.parse("C5"))),
              VoicePart("Alto", Pitch.parse("G3"), Pitch.parse("D5")),
              VoicePart("Tenor", Pitch.parse("C3"), Pitch.parse("A4")),
              VoicePart("Bass", Pitch.parse("D2"), Pitch.parse("D4")))
    prob = HarmonyProblem(key=key, voices=voices, slots=2, links=(True, False),
                          tails=((0, 0, Pitch.parse("B4")),) if tails else ())
    return ChoraleModel(prob)


@pytest.mark.parametrize("tails", [True, False], ids=["with-tail", "beats-only"])
def test_chain_forbids_fifths_from_a_note_between_the_beats(tails):
    """B4 over E3 at beat 1.5 into C5 over F3 on beat 2 is parallel fifths, though the
    soprano holds C5 from beat to beat: the chain's link must refuse every E3 -> F3 bass
    there (I6 -> IV), and allows some without the note between the beats."""
    cm = _two_slot_model(tails)
    ch = VoicingChain(cm)
    feas, _ = ch.link(0)
    e3, f3 = Pitch.parse("E3").midi, Pitch.parse("F3").midi
    rows_e3 = ch.slots[0].midi[:, 3] == e3
    rows_d3 = ch.slots[1].midi[:, 3] == f3
    assert rows_e3.any() and rows_d3.any()
    moves = feas[np.ix_(rows_e3, rows_d3)]
    assert moves.any() != tails


@pytest.mark.parametrize("tails", [True, False], ids=["with-tail", "beats-only"])
def test_cp_sat_forbids_fifths_from_a_note_between_the_beats(tails):
    cm = _two_slot_model(tails)
    e3, f3 = Pitch.parse("E3"), Pitch.parse("F3")
    cm.m.Add(cm.x[3][0] == cm.P.index(e3))
    cm.m.Add(cm.x[3][1] == cm.P.index(f3))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    code = solver.Solve(cm.m)
    assert (code == cp_model.INFEASIBLE) == tails


def test_fits_sees_the_fifths_between_the_beats():
    s = [(F(0), F(1, 2), Pitch.parse("C5")), (F(1, 2), F(1), Pitch.parse("B4")),
         (F(1), F(2), Pitch.parse("C5"))]
    bass = [(F(0), F(1), Pitch.parse("E3")), (F(1), F(2), Pitch.parse("F3"))]
    assert pair_faults(s, bass, F(0), F(2), outer=True) == ["parallel fifths at 1"]
    held = [(F(0), F(2), Pitch.parse("E3"))]
    assert pair_faults(s, held, F(0), F(2)) == []
    # a passing tone in the bass making octaves with the melody's eighth is refused
    lines = [s, [(F(0), F(1, 2), Pitch.parse("E3")), (F(1, 2), F(1), Pitch.parse("B3")),
                 (F(1), F(2), Pitch.parse("F3"))]]
    assert not fits(lines, 1, lines[1][1])


# two folk tunes whose harmonizations had parallels from an off-beat melody note (issue 12)
FOLK = [("essenFolksong/erk10", 176), ("oneills1850/0001-0050", 13)]


@pytest.fixture(scope="module")
def folk():
    from music21 import corpus

    from stretto.io.melody import melody_from_stream

    out = {}
    for name, number in FOLK:
        melody = melody_from_stream(corpus.parse(name, number=number), name)
        out[f"{name}#{number}"] = (melody, harmonize(melody, FAST),
                                   harmonize(melody, FAST, ornament=True))
    return out


@pytest.mark.parametrize("name", [f"{n}#{k}" for n, k in FOLK])
def test_folk_tunes_clean_at_every_onset(folk, name):
    melody, plain, ornamented = folk[name]
    for result in (plain, ornamented):
        assert result.piece.voices[0].notes == melody.notes
        found = audit(result.piece)
        assert found["parallel"] == [] and found["direct"] == []


CANON = {"piece": {"title": "Canon at the twelfth", "key": "D minor", "meter": "4/4",
                   "bars": 12},
         "voice": [{"name": "Soprano", "range": ["C4", "G5"]},
                   {"name": "Bass", "range": ["E2", "D4"]}],
         "canon": [{"leader": "Soprano", "follower": "Bass", "interval": "-P12",
                    "transposition": "diatonic", "delay": "2 bars"}]}


def test_two_voice_canon_attacks_no_dissonance():
    """The canon of issue 12 (D minor, a twelfth below, two bars later) sounded a tritone
    and ninths together on the beat; now every attack on the beat is consonant (between the
    beats only the treated passing and neighbour tones of the voices' own rhythms, which
    the checker's treated-dissonance rule judges), the canon holds."""
    result = compose(form_from_dict(CANON), FAST)
    piece = result.piece
    found = audit(piece)
    found["dissonance"] = [d for d in found["dissonance"] if d[0].denominator == 1]
    assert found == {"parallel": [], "direct": [], "dissonance": []}
    assert [v for v in check(piece) if v.rule == "treated-dissonance"] == []
    lead, follow = piece.voices
    by_onset = {n.onset: n.pitch for n in follow.notes}
    delay = F(8)
    copied = [(n.pitch, by_onset.get(n.onset + delay)) for n in lead.notes
              if n.onset + delay in by_onset and n.onset + delay < F(44)]
    assert len(copied) >= 20
    assert all(b.diatonic == a.diatonic - 11 for a, b in copied)
