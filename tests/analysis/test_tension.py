"""Tension per beat on the spiral array and its continuity (stretto.analysis.tension)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from stretto.analysis.tension import (H, continuity, fifths_index, follows, key_centre,
                                      spiral_point, spelled, tension_curve, tension_metrics,
                                      vertical_tension)
from stretto.modes import Mode
from stretto.pitch import Pitch
from stretto.score import Piece
from support import token_voices


@pytest.mark.parametrize("name,k", [("C4", 0), ("G4", 1), ("F4", -1), ("F#4", 6), ("Bb3", -2),
                                    ("Db5", -5), ("E#4", 11)])
def test_line_of_fifths(name, k):
    p = Pitch.parse(name)
    assert fifths_index(p.step, int(p.alter)) == k
    assert spelled(p.midi, p.diatonic) == (p.step, int(p.alter))


def test_spiral_geometry():
    """A fifth is a quarter turn and h up; a major third (four fifths) lies straight above."""
    c, g, e = spiral_point(0), spiral_point(1), spiral_point(4)
    assert np.linalg.norm(g - c) == pytest.approx(math.sqrt(2 + H * H))
    assert np.allclose(e[:2], c[:2]) and e[2] - c[2] == pytest.approx(4 * H)


def _strain(names, key=(0, "major")):
    ks = [fifths_index(Pitch.parse(n).step, int(Pitch.parse(n).alter)) for n in names]
    centre = spiral_point(ks).mean(axis=0)
    return float(np.linalg.norm(centre - key_centre(*key)))


def test_tensile_strain_grows_away_from_the_key():
    tonic = _strain(["C4", "E4", "G4"])
    dominant = _strain(["G3", "B3", "D4"])
    far = _strain(["F#4", "A#4", "C#5"])  # F# major in C major
    assert tonic < dominant < far
    # the minor key's centre is nearest its own tonic triad
    assert _strain(["A3", "C4", "E4"], (3, "minor")) < _strain(["C4", "E4", "G4"], (3, "minor"))


def _piece(lines, key="C"):
    voices = token_voices(["Soprano", "Alto", "Tenor", "Bass"], lines)
    return Piece(voices=voices, mode=Mode("ionian", key), meter="4/4", tempo=Fraction(96),
                 title="t")


CALM = ["E5/1 E5/1 E5/1 E5/1", "C5/1 C5/1 C5/1 C5/1", "G4/1 G4/1 G4/1 G4/1",
        "C3/1 C3/1 C3/1 C3/1"]
RISING = ["E5/1 F5/1 F#5/1 F#5/1", "C5/1 D5/1 D5/1 C5/1", "G4/1 B4/1 A4/1 A4/1",
          "C3/1 G2/1 D3/1 Eb3/1"]


def test_curve_per_beat_and_its_parts():
    calm = tension_curve(_piece(CALM))
    assert calm.onsets == tuple(Fraction(k) for k in range(4))
    assert set(calm.parts["dissonance"]) == {0.0}  # a C major triad: no dissonant pair
    assert set(calm.parts["momentum"]) == {0.0}  # the same chord: the centre stays
    assert calm.parts["density"] == (1.0, 1.0, 1.0, 1.0)  # every voice attacks once a beat
    rising = tension_curve(_piece(RISING))
    assert rising.parts["dissonance"][3] > 0  # C-F#-A-Eb: a diminished seventh chord
    assert rising.tension[3] > calm.tension[3]
    assert max(rising.parts["momentum"]) > 0


def test_a_rest_starts_the_momentum_afresh():
    lines = ["E5/1 E5/1 G5/1", "C5/1 C5/1 D5/1", "G4/1 G4/1 B4/1", "C3/1 C3/1 G2/1"]
    voices = list(token_voices(["Soprano", "Alto", "Tenor", "Bass"], lines))
    from dataclasses import replace

    voices = [replace(v, notes=tuple(replace(n, onset=n.onset + (1 if k == 2 else 0))
                                     for k, n in enumerate(v.notes))) for v in voices]
    piece = Piece(voices=tuple(voices), mode=Mode("ionian", "C"), meter="4/4",
                  tempo=Fraction(96), title="t")
    c = tension_curve(piece)
    assert c.onsets == (0, 1, 3)  # beat 3 is silent
    assert c.parts["momentum"][2] == 0.0


@pytest.mark.parametrize("curve,mean,lag1", [
    ([0.0, 0.1, 0.2, 0.3, 0.4], 0.1, 1.0),
    ([0.0, 1.0, 0.0, 1.0, 0.0, 1.0], 1.0, -1.0),
], ids=["ramp", "zigzag"])
def test_continuity(curve, mean, lag1):
    c = continuity(curve)
    assert c["jump_mean"] == pytest.approx(mean)
    assert c["jump_max"] == pytest.approx(max(abs(b - a) for a, b in zip(curve, curve[1:])))
    assert c["lag1"] == pytest.approx(lag1)


def test_continuity_of_short_or_flat_curves():
    assert continuity([0.5])["jump_mean"] is None
    assert continuity([0.5, 0.5, 0.5])["lag1"] is None
    assert follows([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert follows([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert follows([1, 2], [1, 2]) is None


def test_vertical_tension_orders_chords():
    """The chord measure the solver's tension-arc rule uses: a tonic triad in a middle
    register is calmer than a diminished seventh chord up high."""
    def row(names):
        ps = [Pitch.parse(n) for n in names]
        return ([fifths_index(p.step, int(p.alter)) for p in ps], [p.midi for p in ps])

    rows = [row(["E4", "C4", "G3", "C3"]), row(["A5", "Eb5", "C5", "F#4"])]
    f, m = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    calm, tense = vertical_tension(f, m, (0, "major"))
    assert 0 <= calm < tense <= 1


def test_metrics_for_the_bench():
    m = tension_metrics(_piece(RISING))
    assert set(m) >= {"tension_mean", "tension_sd", "tension_jump_mean", "tension_jump_p95",
                      "tension_lag1"}
    assert 0 < m["tension_mean"] < 1 and m["tension_jump_mean"] > 0


def test_bach_reference_has_tension_figures():
    from stretto.analysis.reference import load_reference

    ref = load_reference()["tension"]
    assert ref["tension_mean"]["n"] >= 300
    assert ref["tension_jump_mean"]["p25"] <= ref["tension_jump_mean"]["median"] \
        <= ref["tension_jump_mean"]["p75"]
