"""stretto.renderer.engine: the renderer interface, exercised with an in-memory fake engine."""

from __future__ import annotations

import numpy as np
import pytest
from render_pieces import duet

from stretto.errors import BadInput
from stretto.renderer.engine import Engine, Line, SoundFontEngine, SynthEngine
from stretto.renderer.engines import make_engine
from stretto.renderer.render import render_piece


class ClickEngine:
    """A fake: one unit impulse at every note's start sample; it records what it was asked."""

    name = "clicks"

    def __init__(self):
        self.lines: list[Line] = []

    def instruments(self):
        return ("click",)

    def render_voice(self, line, *, n_samples, sr, on_note=None):
        self.lines.append(line)
        out = np.zeros(n_samples)
        for s, _, _ in line.notes:
            out[s] = 0.5
        return out

    def verify(self, render, *, progress=True):
        return []

    def describe(self):
        return {"engine": self.name}


def test_any_engine_plugs_into_render_piece():
    piece, sr = duet(), 8000
    fake = ClickEngine()
    assert isinstance(fake, Engine)
    render = render_piece(piece, sr=sr, engine=fake, instruments=["click", "click"],
                          progress=False)
    assert [line.name for line in fake.lines] == ["Soprano", "Voice 2"]
    # every note on its exact sample: a whole note at 160 quarters a minute is 1.5 s
    upper = fake.lines[0]
    assert [n[:2] for n in upper.notes[:2]] == [(0, 12_000), (12_000, 18_000)]
    assert np.flatnonzero(render.stems[0]).tolist() == [s for s, _, _ in upper.notes]
    assert render.info["engine"] == "clicks"
    np.testing.assert_allclose(render.mix, (render.stems[0] + render.stems[1]) * render.gain)


def test_an_instrument_the_engine_lacks_is_refused():
    with pytest.raises(BadInput, match="no instrument 'choir'"):
        render_piece(duet(), sr=8000, engine=ClickEngine(), progress=False)


@pytest.mark.parametrize("kwargs,needle", [
    ({"name": "wavenet"}, "unknown engine"),
    ({"name": "soundfont"}, "needs --soundfont"),
    ({"name": "neural", "detune_cents": 10.0}, "--detune works with --engine synth only"),
], ids=["unknown", "soundfont-without-file", "neural-detune"])
def test_make_engine_rejects(kwargs, needle):
    name = kwargs.pop("name")
    with pytest.raises(BadInput, match=needle):
        make_engine(name, **kwargs)


def test_built_in_engines_meet_the_protocol(tmp_path):
    assert isinstance(SynthEngine(), Engine)
    assert "choir" in SynthEngine().instruments()
    assert isinstance(SoundFontEngine(tmp_path / "x.sf2"), Engine)
    assert make_engine("synth", detune_cents=20.0).describe()["detune_cents"] == 20.0
