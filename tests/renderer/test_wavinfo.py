"""Licence tags in WAV files (LIST/INFO and BWF bext): read back, audio untouched, and the
same tags give the same bytes."""

from __future__ import annotations

import numpy as np
import pytest

from stretto.renderer.wavinfo import WavTags, has_bext, read_wav_tags, tag_file, tag_wav

sf = pytest.importorskip("soundfile")

TAGS = WavTags(title="Tune (Alto)", copyright="Licence: educational and non-commercial use "
               "only (the melody x is under CC-BY-NC-4.0). Credits: Ünïcode Ann.",
               comment="Credits: Ann", software="stretto 0.1.0; engine=synth",
               date="2026-12-06", time="05:42:03", reference="ab" * 16,
               history="A=PCM,W=24,M=mono")


@pytest.fixture
def wav(tmp_path):
    path = tmp_path / "a.wav"
    audio = np.sin(np.arange(4801) / 7.0) * 0.5  # an odd sample count: odd data chunk
    sf.write(path, audio, 48_000, subtype="PCM_24")
    return path


def test_tags_read_back(wav):
    tag_file(wav, TAGS)
    assert read_wav_tags(wav) == TAGS
    assert has_bext(wav)


def test_audio_is_untouched(wav):
    before, sr = sf.read(wav)
    tag_file(wav, TAGS)
    after, sr2 = sf.read(wav)
    assert sr == sr2 and np.array_equal(before, after)


def test_retagging_replaces_and_is_deterministic(wav):
    data = wav.read_bytes()
    once = tag_wav(data, TAGS)
    assert tag_wav(once, TAGS) == once  # bext and INFO replaced, not doubled
    assert once.count(b"bext") == 1 and once.count(b"INFO") == 1
    assert tag_wav(data, TAGS) == once


def test_bext_description_is_cut_to_256_bytes(wav):
    long = WavTags(copyright="x" * 400)
    tag_file(wav, long)
    raw = wav.read_bytes()
    at = raw.find(b"bext") + 8
    assert raw[at:at + 256] == b"x" * 256
    assert read_wav_tags(wav).copyright == "x" * 400  # INFO keeps it whole


def test_not_a_wav_is_refused():
    with pytest.raises(ValueError, match="not a RIFF WAVE"):
        tag_wav(b"OggS" + b"\0" * 40, TAGS)
