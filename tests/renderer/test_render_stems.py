"""stretto.renderer.render: stems and mix - layout, exact timing, the mix as the stems' sum."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
import soundfile as sf
from render_pieces import chorale, duet, project

from stretto.errors import BadInput
from stretto.renderer.render import parse_instruments, render_piece, stem_name, write_render
from stretto.renderer.synth import INSTRUMENTS, RELEASE_TAIL, default_instrument


def _frames(piece, tempo, sr):
    return round(float(piece.length * 60 / tempo) * sr) + round(RELEASE_TAIL * sr)


@pytest.mark.parametrize("make,sr,tempo", [
    (duet, 22_050, None), (duet, 48_000, F(90)), (lambda: chorale(8), 16_000, None),
], ids=["duet-22k", "duet-48k-tempo90", "chorale-16k"])
def test_stems_and_mix_layout(tmp_path, make, sr, tempo):
    piece = make()
    folder = project(piece, tmp_path / "p")
    render = render_piece(piece, sr=sr, tempo=tempo, progress=False)
    paths = write_render(render, folder)
    stems = sorted((folder / "stems").iterdir())
    assert [p.name for p in stems] == [stem_name(i, v.name).split("/")[1]
                                       for i, v in enumerate(piece.voices)]
    expected = _frames(piece, tempo or piece.tempo, sr)
    for path in [*stems, paths["mix.wav"]]:
        info = sf.info(path)
        assert (info.samplerate, info.frames, info.channels, info.subtype) == \
               (sr, expected, 1, "PCM_24")
    # the mix is the stems' sum times one gain <= 1 with its peak at or under -1 dBFS
    total = np.sum([sf.read(p)[0] for p in stems], axis=0)
    mix = sf.read(paths["mix.wav"])[0]
    gain = float(mix @ total / (total @ total))
    assert gain <= 1.0 + 1e-6 and gain == pytest.approx(render.gain, rel=1e-4)
    assert np.max(np.abs(mix - gain * total)) < 2e-6 * len(stems)
    assert np.max(np.abs(mix)) <= 10 ** (-1 / 20) + 1e-6
    assert not list(tmp_path.glob(".*tmp-*"))


def test_notes_start_and_end_on_their_samples(tmp_path):
    """The lower voice rests for a half note: silence exactly until its onset sample, sound
    right after, and every note's release has died away by the stem's end."""
    piece, sr = duet(), 22_050
    render = render_piece(piece, sr=sr, instruments=["sine", "sine"], progress=False)
    lower = render.stems[1]
    onset = round(2 * 60 / 160 * sr)  # a half note at 160 quarters per minute
    assert np.all(lower[:onset] == 0.0)
    assert np.max(np.abs(lower[onset:onset + 3])) < 1e-3  # the envelope starts at zero
    assert np.max(np.abs(lower[onset + 200:onset + 600])) > 0.05
    end = round(float(piece.length * 60 / 160) * sr)
    release = round(INSTRUMENTS["sine"].release * sr)
    assert np.max(np.abs(lower[end + release:])) == 0.0


@pytest.mark.parametrize("name", sorted(INSTRUMENTS), ids=sorted(INSTRUMENTS))
def test_instruments_are_click_free(name):
    """No clicks: around every note start and end (+-5 ms) the largest sample-to-sample step
    is no larger than inside the held notes, where the waveform itself sets it."""
    piece, sr = duet(), 22_050
    render = render_piece(piece, sr=sr, instruments=[name, name], progress=False)
    release = round(INSTRUMENTS[name].release * sr)
    w = round(0.005 * sr)
    for stem, notes in zip(render.stems, render.notes):
        step = np.abs(np.diff(stem))
        edges = np.zeros(len(step), dtype=bool)
        for on, end, _ in notes:
            for at in (round(on * sr), round(end * sr), round(end * sr) + release):
                edges[max(0, at - w):at + w] = True
        assert step[edges].max() <= 1.2 * step[~edges].max()
        assert 0.02 < np.max(np.abs(stem)) < 1.0


def test_same_score_same_samples():
    a = render_piece(duet(), sr=16_000, progress=False)
    b = render_piece(duet(), sr=16_000, progress=False)
    assert all(np.array_equal(x, y) for x, y in zip(a.stems, b.stems))


@pytest.mark.parametrize("specs,expected", [
    (None, ["choir", "organ"]),
    (["2=strings"], ["choir", "strings"]),
    (["soprano=piano"], ["piano", "organ"]),
    (["all=flute", "Voice 2=organ"], ["flute", "organ"]),
    (["clarinet"], ["clarinet", "clarinet"]),
], ids=["defaults", "by-number", "by-name", "all-then-one", "bare-name"])
def test_parse_instruments(specs, expected):
    assert parse_instruments(specs, ["Soprano", "Voice 2"]) == expected


@pytest.mark.parametrize("spec,needle", [
    ("Soprano=kazoo", "unknown instrument 'kazoo'"),
    ("Tenor=organ", "no voice 'Tenor'"),
    ("3=organ", "no voice '3'"),
], ids=["instrument", "voice-name", "voice-number"])
def test_parse_instruments_rejects(spec, needle):
    with pytest.raises(BadInput, match=needle):
        parse_instruments([spec], ["Soprano", "Voice 2"])


@pytest.mark.parametrize("name,expected", [
    ("Soprano", "choir"), ("Alto 2", "choir"), ("Bass", "choir"), ("tenor", "choir"),
    ("Cantus", "choir"), ("Voice 1", "organ"), ("Violin", "organ"),
])
def test_default_instrument_by_voice_name(name, expected):
    assert default_instrument(name) == expected
