"""The renderer's engines by name (``stretto render --engine``): the built-in synthesis and the
SoundFont (:mod:`stretto.renderer.engine`) and the neural renderer
(:mod:`stretto.renderer.neural`), all behind the one :class:`~stretto.renderer.engine.Engine`
protocol, so :func:`stretto.renderer.render.render_piece` has no branch per engine."""

from __future__ import annotations

from pathlib import Path

from stretto.errors import BadInput
from stretto.renderer.engine import Engine, SoundFontEngine, SynthEngine

ENGINES = ("synth", "soundfont", "neural")


def make_engine(name: str, *, soundfont: str | Path | None = None, detune_cents: float = 0.0,
                checkpoint: str | Path | None = None, seed: int = 0, take: int = 0,
                cache_dir: str | Path | None = None, device: str = "cpu") -> Engine:
    """The engine called ``name``; a one-line :class:`BadInput` for options it cannot use."""
    if name not in ENGINES:
        raise BadInput(f"unknown engine {name!r}: use one of {', '.join(ENGINES)}")
    if name != "synth" and detune_cents:
        raise BadInput("--detune works with --engine synth only")
    if name == "synth":
        return SynthEngine(detune_cents=detune_cents)
    if name == "soundfont":
        if soundfont is None:
            raise BadInput("the soundfont engine needs --soundfont FILE")
        from stretto.renderer.soundfont import check_soundfont

        return SoundFontEngine(check_soundfont(soundfont))
    from stretto.renderer.neural import NeuralEngine

    return NeuralEngine.load(checkpoint, seed=seed, take=take, cache_dir=cache_dir,
                             device=device)


__all__ = ["ENGINES", "make_engine"]
