"""stretto.renderer.features: what the neural renderer's pitch and timing are built from."""

from __future__ import annotations

import numpy as np
import pytest

from stretto.renderer.engine import Line
from stretto.renderer.features import (ATTACK_S, COLUMNS, RELEASE_S, phrase_features,
                                       phrases_of, sample_f0, sample_gate, vowel_of)
from stretto.renderer.synth import midi_to_hz

SR = 8000
# C4 for 1 s, D4 for 0.5 s legato, a 0.5 s rest, then E4 E4 (a repeated pitch), 0.5 s each
LINE = Line(name="S", instrument="choir", index=0, piece_samples=3 * SR,
            notes=((0, SR, 60), (SR, 3 * SR // 2, 62), (2 * SR, 5 * SR // 2, 64),
                   (5 * SR // 2, 3 * SR, 64)),
            lyrics=("Ky-", "ri-", None, "e"))


def test_phrases_split_at_rests_and_at_the_length_limit():
    assert [(p.first, p.last, p.start, p.end) for p in phrases_of(LINE, SR)] == \
        [(0, 1, 0, 3 * SR // 2), (2, 3, 2 * SR, 3 * SR)]
    short = phrases_of(LINE, SR, max_seconds=1.2)
    assert [(p.first, p.last) for p in short] == [(0, 0), (1, 1), (2, 3)]


def test_f0_is_the_written_pitch_on_every_sample():
    first = phrases_of(LINE, SR)[0]
    f0 = sample_f0(LINE, first, SR)
    assert len(f0) == first.span(SR)
    assert np.all(f0[:SR] == midi_to_hz(60)) and np.all(f0[SR:] == midi_to_hz(62))


def test_gate_silent_before_onsets_and_after_the_release():
    second = phrases_of(LINE, SR)[1]
    gate = sample_gate(LINE, second, SR)
    assert gate[0] == 0.0 and gate[int(ATTACK_S * SR)] == pytest.approx(1.0, abs=0.01)
    end = second.end - second.start
    assert np.all(gate[end + int(RELEASE_S * SR):] == 0.0)
    # the repeated E4 is re-articulated: the gate dips just before its onset
    onset = LINE.notes[3][0] - second.start
    assert gate[onset] < 0.01 and gate[onset - SR // 10] == 1.0


@pytest.mark.parametrize("lyric,vowel", [
    (None, "ah"), ("Ky-", "ee"), ("ri-", "ee"), ("e", "eh"), ("Glo-", "oh"), ("Hum", "oo"),
    ("Ah", "ah"), ("", "ah"),
], ids=["none", "ky", "ri", "e", "glo", "hum", "ah", "empty"])
def test_vowel_of_a_lyric(lyric, vowel):
    assert ("ah", "eh", "ee", "oh", "oo")[vowel_of(lyric, "choir")] == vowel


def test_features_carry_pitch_onsets_vowels_and_instrument():
    first = phrases_of(LINE, SR)[0]
    feats = phrase_features(LINE, first, SR)
    col = {c: i for i, c in enumerate(COLUMNS)}
    assert feats.shape == (int(first.span(SR) * 100 // SR) + 1, len(COLUMNS))
    assert feats[50, col["pitch"]] == pytest.approx(0.0) and feats[120, col["pitch"]] == \
        pytest.approx(2 / 24)
    assert feats[0, col["onset"]] == 1.0 and feats[100, col["onset"]] == 1.0
    # "ri-" of Kyrie is sung on /iy/ (the lexicon's vowel of the syllable)
    assert feats[120, col["vowel:ee"]] == 1.0 and np.all(feats[:, col["inst:choir"]] == 1.0)
    assert np.all(feats[151:, col["voiced"]] == 0.0) and feats[160, col["release"]] == 1.0
