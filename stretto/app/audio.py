"""Audio and notation of a project: ``render`` (per-voice stems and a mix through one of the
renderer's engines, checked against the score when asked) and ``engrave`` (score.pdf and
score.svg). Each takes the project's lock for its whole read-write, so a concurrent edit never
hands it a half-written score, and writes its files all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from stretto.app.session import locked
from stretto.errors import BadInput


@dataclass(frozen=True)
class RenderResult:
    """A written render: the audio (``stretto.renderer.render.Render``), the files by name,
    and, when verified, the fidelity per voice and whether every voice passed."""

    render: Any
    files: dict[str, Path] = field(default_factory=dict)
    fidelity: tuple = ()
    fidelity_ok: bool | None = None


def render(folder: str | Path, *, engine: str | None = None,
           instruments: list[str] | None = None, tempo: Fraction | None = None,
           sample_rate: int = 48_000, soundfont: str | Path | None = None,
           detune_cents: float = 0.0, checkpoint: str | Path | None = None, seed: int = 0,
           take: int = 0, device: str | None = None, verify: bool = False,
           min_accuracy: float | None = None, progress: bool = False,
           use: str | None = None, soundfont_licence: str | None = None,
           sign_cert: str | Path | None = None,
           sign_key: str | Path | None = None, plugins: list[str] | None = None,
           presets: list[str] | None = None,
           plugin_licence: str | None = None) -> RenderResult:
    """Render the project in ``folder`` to ``stems/`` and ``mix.wav`` with ``engine`` (synth
    by default, soundfont when ``soundfont`` is given, or neural); with ``verify``, track
    every stem's pitch against the score (``min_accuracy`` per voice). Every file carries the
    licence line and credits (:mod:`stretto.app.licence`); ``use`` (commercial, educational,
    non-commercial) is refused before rendering, naming the input that forbids it;
    ``sign_cert``/``sign_key`` sign each file with C2PA content credentials."""
    from stretto.io.project import load_piece
    from stretto.renderer.engines import make_engine
    from stretto.renderer.render import parse_instruments, render_piece, write_render
    from stretto.renderer.verify import DEFAULT_MIN_ACCURACY

    name = engine or ("soundfont" if soundfont else "synth")
    if soundfont and name != "soundfont":
        raise BadInput(f"--soundfont plays through a SoundFont: leave out --engine {name}")
    if name != "neural" and (take or seed or checkpoint or device):
        raise BadInput("--take, --seed, --checkpoint and --device work with --engine neural only")
    if name == "neural":
        try:
            import torch
        except ImportError:
            raise BadInput("--engine neural needs the neural extra: pip install -e '.[neural]'") \
                from None
        torch.set_num_threads(1)  # decoding token by token is fastest on one thread
    with locked(folder):
        piece = load_piece(folder)
        from stretto.app.licence import audio_finisher

        finish = audio_finisher(folder, engine=name,
                                soundfont=soundfont, soundfont_licence=soundfont_licence,
                                checkpoint=checkpoint, use=use, sign_cert=sign_cert,
                                sign_key=sign_key, plugins=plugins,
                                plugin_licence=plugin_licence)
        cache = Path(folder) / ".stretto" / "cache" / "neural"
        chosen = make_engine(name, soundfont=soundfont, detune_cents=detune_cents,
                             checkpoint=checkpoint, seed=seed, take=take, cache_dir=cache,
                             device=device or "cpu")
        parts = parse_instruments(instruments, [v.name for v in piece.voices],
                                  chosen.instruments())
        if plugins or presets:  # the named voices through the composer's VST3 instruments
            from stretto.renderer.plugin import PluginEngine, parse_plugins

            chosen = PluginEngine(parse_plugins(plugins, presets,
                                                [v.name for v in piece.voices]), chosen)
            parts = chosen.instrument_names(parts)
        audio = render_piece(piece, sr=sample_rate, tempo=tempo, instruments=parts,
                             engine=chosen, progress=progress)
        files = write_render(audio, folder, finish=finish)
    if not verify:
        return RenderResult(audio, dict(files))
    results = tuple(chosen.verify(audio, progress=progress))
    limit = DEFAULT_MIN_ACCURACY if min_accuracy is None else min_accuracy
    return RenderResult(audio, dict(files), results, all(r.passed(limit) for r in results))


def engrave(folder: str | Path, *, formats: tuple[str, ...] = ("pdf", "svg")) -> dict[str, Any]:
    """Write ``score.pdf`` and/or ``score.svg`` of the project (see
    :func:`stretto.io.engrave.engrave_project`: the paths by format, pages, note ids)."""
    from stretto.io.engrave import engrave_project

    with locked(folder):
        return engrave_project(folder, formats=formats)


__all__ = ["RenderResult", "engrave", "render"]
