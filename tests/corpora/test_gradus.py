"""The Fux corpus loader (stretto.corpora.gradus): every row of the three tables becomes one
exercise, with the cantus, the species of each voice and the mode in the right places."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction as F

import pytest

from stretto.modes import Mode


@pytest.fixture(scope="module")
def figures(fux_root):
    from stretto.corpora.gradus import gradus_figures

    return gradus_figures(fux_root)


def test_rows_and_files(figures, fux_root):
    # 46 two-part, 44 three-part and 32 four-part exercises...
    assert Counter(f.part for f in figures) == {"I": 46, "II": 44, "III": 32}
    # ...in 120 one-figure files; two rows of part I have none of their own.
    assert len(list((fux_root / "1x1").glob("*.mxl"))) == 120
    assert len({f.path for f in figures if f.whole_file}) == 120
    cut = sorted(f.key for f in figures if not f.whole_file)
    assert cut == ["59-lower", "87a-lower"]
    assert len({f.key for f in figures}) == 122


def test_figure_cells(figures):
    by_key = {f.key: f for f in figures}
    assert by_key["6"].note == "corrected version"
    assert by_key["33"].note == "corrected version of 26"
    assert by_key["84a"].path.name == "084a.mxl"
    assert by_key["5"].measures == (1, 11)


@pytest.mark.parametrize("key,cantus,species", [
    ("5", 1, (1,)),            # two parts, cantus "Lower"
    ("6", 0, (1,)),            # cantus "Upper"
    ("59-lower", 1, (3,)),     # cut out of I-Solutions.mxl
    ("59", 0, (3,)),           # the 1x1 file holds the cantus-above version
    ("121", 0, (2, 1)),        # three parts: halves in the middle, whole notes in the bass
    ("134", 2, (3, 2)),        # listed "2,3": quarters on top, halves in the middle
    ("195", 3, (1, 1, 4)),     # four parts: the syncopations are in the tenor
    ("204", 3, (2, 3, 4)),     # listed "2,3,4", top to bottom
], ids=lambda x: str(x))
def test_cantus_and_species_per_voice(figures, key, cantus, species):
    fig = next(f for f in figures if f.key == key)
    assert fig.cantus_voice == cantus
    assert fig.species == species


def test_load_figure_sets_roles_species_and_mode(figures):
    from stretto.corpora.gradus import load_figure

    by_key = {f.key: f for f in figures}
    p = load_figure(by_key["134"])
    assert [v.name for v in p.voices] == ["Upper", "Middle", "Cantus"]
    assert [v.role for v in p.voices] == ["counterpoint", "counterpoint", "cantus"]
    assert [v.species for v in p.voices] == [3, 2, None]
    assert p.mode == Mode("dorian", "D")
    # Fig. 118's bass ends on A, but the table's final (C) decides the mode.
    assert load_figure(by_key["118"]).mode == Mode("ionian", "C")
    assert load_figure(by_key["15"]).mode == Mode("mixolydian", "G")
    assert load_figure(by_key["11"]).mode == Mode("phrygian", "E")


def test_cut_figure_starts_at_bar_one(figures):
    from stretto.corpora.gradus import load_figure

    fig = next(f for f in figures if f.key == "59-lower")
    p = load_figure(fig)
    cantus = p.voices[fig.cantus_voice].sounding()
    assert [n.pitch.name for n in cantus][:4] == ["F3", "G3", "A3", "F3"]
    assert cantus[0].onset == 0 and p.bars == 12
    assert p.mode == Mode("lydian", "F")
    assert p.voices[0].notes[0].duration == F(1)  # third species: quarters


def test_every_figure_has_a_whole_note_cantus(figures):
    from stretto.corpora.gradus import load_figure

    for fig in figures:
        p = load_figure(fig)
        cantus = p.voices[fig.cantus_voice]
        assert cantus.role == "cantus"
        assert all(n.duration == p.bar_length and n.onset % p.bar_length == 0
                   for n in cantus.sounding()), fig.key
        assert len(fig.species) == len(p.voices) - 1
