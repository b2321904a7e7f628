"""Independent rhythms (solver/tonal/rhythm.py): the vocabulary's figures by the shape of the
line, the notes on the beat kept, figures that clash never chosen together, onset synchrony
of a harmonization (--rhythm free) and of compositions within Bach's interquartile range,
inner voices that repeat their note less, and no fault at any onset."""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import pytest

from stretto.analysis.independence import voice_independence
from stretto.analysis.melody import melodic_integrity
from stretto.analysis.reference import load_reference
from stretto.check import check, hard
from stretto.check.onsets import check_onset_motion
from stretto.harmony import Key
from stretto.pitch import Pitch
from stretto.solver.cpsat.settings import SolveSettings
from stretto.solver.tonal.onsets import sounding
from stretto.solver.tonal.rhythm import (Figure, RhythmSettings, candidates, faults, free_rhythm,
    realize)

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
C = Key.parse("C major")
# Bach's onset synchrony over the 405 four-part chorales of music21's corpus (stretto.analysis
# voice_independence): quartiles 0.634 and 0.740, median 0.688
BACH_IQR = (0.634, 0.740)
WIDE = {0: (0, 127), 1: (0, 127), 2: (0, 127), 3: (0, 127)}


def _line(names: str, start: int = 0) -> list:
    """Quarter notes from ``start``."""
    return [(F(start + k), F(start + k + 1), Pitch.parse(n)) for k, n in enumerate(names.split())]


SHAPES = [
    ("repeat", "C4 C4", {("hold", None), ("neighbour", "B3"), ("neighbour", "D4")}),
    ("third", "E4 C4", {("passing", "D4")}),
    ("step", "D4 E4", {("anticipation", "E4")}),
    ("leap", "C4 G4", set()),
]


@pytest.mark.parametrize("notes,expected", [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_figures_by_the_shape_of_the_line(notes, expected):
    lines = [_line("G5 G5 G5"), _line(notes + " C4")]
    onsets = [F(0), F(1), F(2), F(3)]
    found = candidates(lines, onsets, {1: {0}}, C, WIDE)
    assert {(f.kind, f.pitch.name if f.pitch else None) for f in found} == expected


@pytest.mark.parametrize("kind,pitch,notes", [
    ("hold", None, "C4 C4 E4"), ("neighbour", "D4", "C4 C4 E4"),
    ("passing", "D4", "E4 C4 E4"), ("anticipation", "E4", "D4 E4 G4")],
    ids=["hold", "neighbour", "passing", "anticipation"])
def test_a_figure_keeps_the_note_on_every_beat(kind, pitch, notes):
    """What sounds on each beat is the chord's note; a hold or an anticipation does not
    strike the next beat again; the others add a note on the half beat."""
    base = _line(notes)
    f = Figure(kind, 0, 0, F(0), Pitch.parse(pitch) if pitch else None,
               F(1, 2) if pitch else None)
    line = realize([base], [f])[0]
    assert [sounding(line, F(t)) for t in range(3)] == [p for _, _, p in base]
    attacks = {a for a, _, _ in line}
    assert (F(1) in attacks) == (kind in ("neighbour", "passing"))
    assert (F(1, 2) in attacks) == (kind != "hold")


def test_figures_that_clash_are_never_chosen_together():
    """Soprano and alto each leave a held fifth E5/A4 for the note below on the half beat:
    alone each is a neighbour tone, together they move in parallel fifths (E5/A4 to D5/G4)."""
    base = [_line("E5 E5 C5"), _line("A4 A4 A4"), _line("C4 C4 F3")]
    onsets = [F(0), F(1), F(2), F(3)]
    top = Figure("neighbour", 0, 0, F(0), Pitch.parse("D5"), F(1, 2))
    mid = Figure("neighbour", 1, 0, F(0), Pitch.parse("G4"), F(1, 2))
    for alone in ([top], [mid]):
        assert not faults(base, realize(base, alone), alone, onsets, consonant=False)
    assert faults(base, realize(base, [top, mid]), [top, mid], onsets, consonant=False)
    out = free_rhythm(base, onsets, {0: {0, 1}, 1: {0, 1}, 2: {0, 1}}, C, WIDE,
                      consonant=False)
    assert not {top, mid} <= set(out.figures)
    again = free_rhythm(base, onsets, {0: {0, 1}, 1: {0, 1}, 2: {0, 1}}, C, WIDE,
                        consonant=False)
    assert again == out  # the same input and seed, the same rhythm


def test_a_dotted_beat_splits_as_a_quarter_and_an_eighth():
    """In a compound metre (a chord per dotted quarter) the passing tone comes after a
    quarter, not after a dotted eighth."""
    dotted = [(F(3 * k, 2), F(3 * k + 3, 2), Pitch.parse(n))
              for k, n in enumerate("E4 C4 E4".split())]
    top = [(F(3 * k, 2), F(3 * k + 3, 2), Pitch.parse(n)) for k, n in enumerate("G5 A5 G5".split())]
    out = free_rhythm([top, dotted], [F(0), F(3, 2), F(3), F(9, 2)], {1: {0}}, C, WIDE,
                      consonant=False, settings=RhythmSettings(target=0.5, band=0.0))
    assert [(a, e) for a, e, _ in out.lines[1]][:2] == [(F(0), F(1)), (F(1), F(3, 2))]


def _synchrony(piece) -> float:
    return voice_independence(piece)["onset_synchrony"]


def _repeats(piece) -> dict:
    return {k: v["repeat"] for k, v in melodic_integrity(piece, load_reference())["voices"].items()}


@pytest.fixture(scope="module")
def chorale():
    """BWV 66.6's melody harmonized twice: lower voices with the chords, and free."""
    corpus = pytest.importorskip("music21").corpus
    from stretto.io.melody import melody_from_stream
    from stretto.solver.tonal.harmonize import harmonize

    melody = melody_from_stream(corpus.parse("bwv66.6").parts[0], "bwv66.6")
    settings = SolveSettings(time_limit=10)
    return (harmonize(melody, settings).piece,
            harmonize(melody, settings, rhythm="free").piece)


def test_free_rhythm_harmonization(chorale):
    """--rhythm free: the same chords (every voice sounds the same note at every analysed
    beat), onset synchrony within Bach's interquartile range (0.93 with the chords), alto and
    tenor repeat their note less, no fault at any onset, the checker passes."""
    plain, free = chorale
    for a in plain.info["harmony"]["analysis"]:
        t = F(a["onset"])
        assert [v.at(t).pitch for v in free.voices] == [v.at(t).pitch for v in plain.voices]
    assert _synchrony(plain) > BACH_IQR[1]
    assert BACH_IQR[0] <= _synchrony(free) <= BACH_IQR[1]
    before, after = _repeats(plain), _repeats(free)
    assert after["Alto"] < before["Alto"] and after["Tenor"] < before["Tenor"]
    assert free.info["harmony"]["rhythm"] == "free"
    assert hard(check(free)) == [] and check_onset_motion(free) == []


@pytest.mark.parametrize("plan", ["canon.toml", "invertible.toml", "fugue.toml"])
def test_composition_synchrony_within_bach_iqr(plan):
    """Compositions: the generated voices' own rhythms (copied into a canon's follower and a
    recurrence's return) bring onset synchrony into Bach's interquartile range."""
    from stretto.solver.tonal.form import compose, load_form

    piece = compose(load_form(EXAMPLES / plan), SolveSettings(time_limit=5)).piece
    assert BACH_IQR[0] <= _synchrony(piece) <= BACH_IQR[1]
    assert hard(check(piece)) == [] and check_onset_motion(piece) == []


def test_free_rhythm_and_ornament_exclude_each_other(tmp_path):
    """Both at once is a one-line error (exit 2) and writes nothing: the passing tones are in
    the vocabulary."""
    music21 = pytest.importorskip("music21")
    from stretto.cli import main

    s = music21.stream.Stream([music21.note.Note(n, quarterLength=1)
                               for n in ("C5", "D5", "E5", "C5")])
    melody = tmp_path / "melody.musicxml"
    s.write("musicxml", fp=str(melody))
    out = tmp_path / "out"
    code = main(["harmonize", str(melody), "--rhythm", "free", "--ornament", "--out", str(out)])
    assert code == 2 and not out.exists()


def test_regenerate_keeps_the_rhythm_away_from_the_region(tmp_path):
    """An edit of bars 2-3 of a --rhythm free harmonization changes notes (figures included)
    only in and next to those bars: a figure whose neighbourhood is unchanged is kept."""
    corpus = pytest.importorskip("music21").corpus
    from stretto.cli import main
    from stretto.score import load_json

    melody = tmp_path / "bwv66.6.musicxml"
    corpus.parse("bwv66.6").parts[0].write("musicxml", fp=str(melody))
    out = tmp_path / "out"
    assert main(["harmonize", str(melody), "--rhythm", "free", "--out", str(out)]) == 0
    before = load_json(out / "score.json")
    assert main(["regenerate", str(out), "--bars", "2-3"]) == 0
    after = load_json(out / "score.json")
    for u, v in zip(before.voices, after.voices):
        a = {(n.onset, n.pitch, n.duration) for n in u.notes}
        b = {(n.onset, n.pitch, n.duration) for n in v.notes}
        changed = {after.bar_beat(t)[0] for t, _, _ in a ^ b}
        assert changed <= {2, 3, 4}, (u.name, changed)
    assert hard(check(after)) == [] and check_onset_motion(after) == []
