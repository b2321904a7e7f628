"""Four-part harmonization of Bach chorale melodies (music21's corpus): the melody is kept
note for note, the independent checker finds no hard violation, and every fermata closes
with a cadence. Short time limits: the chain solver is exact, CP-SAT only confirms."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stretto.check import check, hard
from stretto.errors import BadInput
from stretto.io.melody import melody_from_stream, read_melody
from stretto.score import dumps
from stretto.solver.harmonize import harmonize
from stretto.solver.harmony import Key
from stretto.solver.spec import SolveSettings

music21 = pytest.importorskip("music21")

# (corpus name, what it exercises)
CHORALES = [
    ("bwv66.6", "4/4, eighth-note pickup, eighths, F# minor"),
    ("bwv11.6", "3/4, dotted rhythms"),
    ("bwv108.6", "4/4 pickup, dotted quarter + eighth"),
    ("bwv120.8-a", "3/4, sixteenths and dotted eighths"),
]
FAST = SolveSettings(time_limit=5)


def _path(name: str):
    from music21 import corpus

    return corpus.getWork(name)


@pytest.fixture(scope="module")
def solved():
    out = {}
    for name, _ in CHORALES:
        melody = read_melody(_path(name))
        out[name] = (melody, harmonize(melody, FAST))
    return out


@pytest.mark.parametrize("name", [c[0] for c in CHORALES], ids=[c[0] for c in CHORALES])
def test_melody_kept_exactly(solved, name):
    """The soprano is the melody as written: same pitches, durations, ties and (shifted by
    the pickup) onsets, origin human; the parts are S, A, T, B."""
    from music21 import corpus

    melody, result = solved[name]
    piece = result.piece
    assert [v.name for v in piece.voices] == ["Soprano", "Alto", "Tenor", "Bass"]
    parts = corpus.parse(name).parts
    part = next((p for p in parts if (p.partName or "").startswith("Soprano")), parts[0])
    sop = part.flatten().notes
    got = piece.voices[0].notes
    shift = melody.pickup_shift
    assert len(got) == len(sop)
    for n, m in zip(got, sop):
        assert n.pitch.m21_name == m.pitch.nameWithOctave
        assert n.duration == Fraction(m.quarterLength).limit_denominator(10000)
        assert n.onset == Fraction(m.offset).limit_denominator(10000) + shift
        assert n.origin == "human"
    assert all(n.origin == "solver" for v in piece.voices[1:] for n in v.notes)


@pytest.mark.parametrize("name", [c[0] for c in CHORALES], ids=[c[0] for c in CHORALES])
def test_no_hard_violations(solved, name):
    _, result = solved[name]
    assert result.status == "optimal"
    assert hard(check(result.piece)) == []


@pytest.mark.parametrize("name", [c[0] for c in CHORALES], ids=[c[0] for c in CHORALES])
def test_cadence_at_every_fermata(solved, name):
    """Every fermata's beat ends a cadence (authentic, half, plagal or deceptive)."""
    melody, result = solved[name]
    h = result.piece.info["harmony"]
    cad_onsets = {Fraction(c["onset"]) for c in h["cadences"] if c["type"]}
    assert melody.fermatas, "the test chorales all have fermatas"
    for f in melody.fermatas:
        assert f in cad_onsets, f"no cadence at the fermata at {f}"
    assert {c["type"] for c in h["cadences"]} <= {"authentic", "half", "plagal", "deceptive"}


def test_analysis_under_the_bass(solved):
    """The Roman numerals are the bass's lyrics, the first with the key (f#: i)."""
    _, result = solved["bwv66.6"]
    bass = result.piece.voices[3]
    labelled = [n for n in bass.notes if n.lyric]
    assert labelled[0].lyric.startswith("f#: ")
    assert len(labelled) == len(result.piece.info["harmony"]["analysis"])


def test_deterministic():
    melody = read_melody(_path("bwv66.6"))
    a = harmonize(melody, FAST).piece
    b = harmonize(melody, FAST).piece
    assert dumps(a) == dumps(b)


def test_key_override_and_ornament():
    melody = read_melody(_path("bwv66.6"))
    result = harmonize(melody, FAST, key=Key.parse("F# minor"), ornament=True)
    piece = result.piece
    assert piece.info["harmony"]["key"] == "F# minor"
    lower = sum(len(v.notes) for v in piece.voices[1:])
    assert lower > 3 * len(piece.info["harmony"]["analysis"])  # passing tones were added
    assert hard(check(piece)) == []


def _melody(names: str, meter: str = "4/4"):
    from music21 import meter as m21meter, note, stream

    s = stream.Stream()
    s.append(m21meter.TimeSignature(meter))
    for name in names.split():
        s.append(note.Note(name, quarterLength=1))
    return melody_from_stream(s)


def test_outside_any_key_is_bad_input():
    with pytest.raises(BadInput, match="key"):
        harmonize(_melody("C5 D-5 D5 E-5 E5 G-5 G5 A-5 A5 B-5 B5 C6"), FAST)


def test_simple_melody_ends_authentic():
    result = harmonize(_melody("E5 D5 C5 D5 E5 E5 E5 D5 D5 D5 E5 G5 G5 E5 D5 C5"), FAST)
    h = result.piece.info["harmony"]
    assert h["key"] == "C major"
    assert h["cadences"][-1]["type"] == "authentic"
    assert h["analysis"][-1]["chord"] == "I"
    assert hard(check(result.piece)) == []
