"""Render a score to per-voice stems and a mix, and write them into a project folder.

Timing is exact: a note written at onset ``q`` quarter notes starts at sample
``round(q * 60 / tempo * sr)`` and is held to the sample of its written end, then released.
Every stem has the same length, ``round(score length in seconds * sr) + RELEASE_TAIL * sr``,
so stems line up sample for sample in a DAW. The mix is the sum of the stems times one gain
(at most 1) that keeps its peak at -1 dBFS; the stems themselves are never scaled per voice.

numpy, soundfile and tqdm are imported inside the functions: importing this module is cheap.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from stretto.errors import BadInput
from stretto.renderer.engine import Line
from stretto.renderer.engines import make_engine
from stretto.renderer.synth import INSTRUMENTS, RELEASE_TAIL, default_instrument

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from stretto.renderer.engine import Engine
    from stretto.score import Piece

DEFAULT_SR = 48_000
PEAK = 10 ** (-1 / 20)  # -1 dBFS
STEMS_DIR = "stems"
MIX = "mix.wav"


@dataclass
class Render:
    """A finished render: one float64 array per voice (``stems``, top to bottom), their sum
    times ``gain`` (``mix``), the file names, the instruments used, and timing figures."""

    sr: int
    tempo: Fraction
    names: list[str]
    instruments: list[str]
    stems: list["np.ndarray"]
    mix: "np.ndarray"
    gain: float
    notes: list[list[tuple[float, float, int]]]  # per voice: (onset s, end s, midi) as heard
    seconds: float = 0.0  # wall time spent synthesising
    info: dict = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return len(self.mix) / self.sr


def stem_name(index: int, voice_name: str) -> str:
    """``stems/01-Soprano.wav``: numbered top to bottom, the name made file-safe."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", voice_name).strip("._") or "voice"
    return f"{STEMS_DIR}/{index + 1:02d}-{safe}.wav"


def parse_instruments(specs: list[str] | None, voice_names: list[str],
                      known: tuple[str, ...] | None = None) -> list[str]:
    """Instrument per voice from ``VOICE=NAME`` strings (VOICE: a voice name, case-insensitive,
    a number from the top, or ``all``); the rest get :func:`default_instrument`. ``known``: the
    engine's instruments (default: the built-in synthesis's)."""
    names_ok = tuple(known) if known is not None else tuple(INSTRUMENTS)
    chosen = [default_instrument(n) for n in voice_names]
    known = ", ".join(names_ok)
    for spec in specs or []:
        voice, sep, name = spec.partition("=")
        if not sep:
            voice, name = "all", spec
        name = name.strip().lower()
        if name not in names_ok:
            raise BadInput(f"unknown instrument {name!r} in --instrument {spec!r}: use one of "
                           f"{known}")
        voice = voice.strip()
        if voice.lower() == "all":
            chosen = [name] * len(voice_names)
            continue
        if voice.isdigit() and 1 <= int(voice) <= len(voice_names):
            chosen[int(voice) - 1] = name
            continue
        lower = [v.lower() for v in voice_names]
        if voice.lower() not in lower:
            raise BadInput(f"no voice {voice!r} in --instrument {spec!r}: voices are "
                           f"{', '.join(voice_names)} (or 1-{len(voice_names)}, all)")
        chosen[lower.index(voice.lower())] = name
    return chosen


def timed_notes(piece: "Piece", tempo: Fraction) -> list[list[tuple[float, float, int]]]:
    """Per voice, the notes as heard (ties merged): (onset s, end s, midi)."""
    spq = Fraction(60) / tempo
    return [[(float(n.onset * spq), float(n.end * spq), n.midi) for n in v.sounding()]
            for v in piece.voices]


def lines_of(piece: "Piece", tempo: Fraction, sr: int, instruments: list[str]) -> list[Line]:
    """Each voice as a :class:`~stretto.renderer.engine.Line`: notes as heard (ties merged) on
    their exact samples, with their lyrics."""
    spq = Fraction(60) / tempo
    piece_samples = int(round(float(piece.length * spq) * sr))
    out = []
    for i, (v, inst) in enumerate(zip(piece.voices, instruments)):
        notes = v.sounding()
        out.append(Line(name=v.name, instrument=inst, index=i, piece_samples=piece_samples,
                        notes=tuple((int(round(float(n.onset * spq * sr))),
                                     int(round(float(n.end * spq * sr))), n.midi) for n in notes),
                        lyrics=tuple(n.lyric for n in notes)))
    return out


def render_piece(piece: "Piece", *, sr: int = DEFAULT_SR, tempo: Fraction | None = None,
                 instruments: list[str] | None = None, engine: "Engine | None" = None,
                 soundfont: str | Path | None = None, detune_cents: float = 0.0,
                 progress: bool = True) -> Render:
    """Render every voice of ``piece`` through ``engine`` (an :class:`~stretto.renderer.engine.Engine`;
    default: the built-in synthesis, or the SoundFont ``soundfont`` when given). ``instruments``
    (one name per voice) default by voice name; ``detune_cents`` shifts every pitch of the
    built-in synthesis (only to test the fidelity check)."""
    import numpy as np

    if not piece.voices or not any(v.notes for v in piece.voices):
        raise BadInput("the score has no notes to render")
    if sr < 8000 or sr > 192_000:
        raise BadInput(f"sample rate {sr} Hz is out of range: use 8000-192000 (48000 default)")
    tempo = Fraction(tempo if tempo is not None else piece.tempo)
    if tempo <= 0:
        raise BadInput(f"tempo {tempo} must be positive (quarter notes per minute)")
    if engine is None:
        engine = make_engine("soundfont" if soundfont is not None else "synth",
                             soundfont=soundfont,
                             detune_cents=detune_cents if soundfont is None else 0.0)
    names = [v.name for v in piece.voices]
    instruments = instruments or [default_instrument(n) for n in names]
    unknown = sorted(set(instruments) - set(engine.instruments()))
    if unknown:
        raise BadInput(f"the {engine.name} engine has no instrument {unknown[0]!r}: use one of "
                       f"{', '.join(engine.instruments())}")
    spq = Fraction(60) / tempo
    length = int(round(float(piece.length * spq) * sr)) + int(round(RELEASE_TAIL * sr))
    lines = lines_of(piece, tempo, sr, instruments)
    total = sum(len(line.notes) for line in lines)
    start = time.perf_counter()
    from tqdm import tqdm

    # the bar appears only if the render takes longer than a second, and only on a terminal
    bar = tqdm(total=total, unit="note", desc="render", delay=1.0,
               disable=None if progress else True, leave=False)
    try:
        stems = [np.asarray(engine.render_voice(line, n_samples=length, sr=sr,
                                                on_note=lambda: bar.update(1)),
                            dtype=np.float64) for line in lines]
    finally:
        bar.close()
    stem_peak = max(float(np.max(np.abs(s))) for s in stems)
    if stem_peak > PEAK:  # one gain for all stems keeps their balance and the mix a sum
        stems = [s * (PEAK / stem_peak) for s in stems]
    total_sum = np.sum(stems, axis=0)
    peak = float(np.max(np.abs(total_sum)))
    gain = min(1.0, PEAK / peak) if peak > 0 else 1.0
    seconds = time.perf_counter() - start
    info = {"soundfont": str(soundfont) if soundfont else None, "detune_cents": detune_cents,
            **engine.describe()}
    return Render(sr=sr, tempo=tempo, names=names, instruments=list(instruments), stems=stems,
                  mix=total_sum * gain, gain=gain, notes=timed_notes(piece, tempo),
                  seconds=seconds, info=info)


def write_render(render: Render, project: str | Path, *, finish=None) -> dict[str, Path]:
    """Write ``stems/NN-name.wav`` and ``mix.wav`` (24-bit PCM) into ``project``, all or
    nothing; stems of an earlier render that this one does not replace are removed in the same write.
    ``finish(path, voice)`` (voice None for the mix), when given, completes each file before
    the write lands (licence tags, a C2PA signature: :func:`stretto.app.licence.audio_finisher`)."""
    import soundfile as sf

    from stretto.io.journal import write_files

    names = [stem_name(i, n) for i, n in enumerate(render.names)]

    def stage(folder: Path) -> None:
        (folder / STEMS_DIR).mkdir()
        for name, voice, audio in zip(names, render.names, render.stems):
            sf.write(folder / name, audio, render.sr, subtype="PCM_24")
            if finish is not None:
                finish(folder / name, voice)
        sf.write(folder / MIX, render.mix, render.sr, subtype="PCM_24")
        if finish is not None:
            finish(folder / MIX, None)

    keep = {Path(n).name for n in names}
    stale = [f"{STEMS_DIR}/{old.name}" for old in (Path(project) / STEMS_DIR).glob("[0-9][0-9]-*.wav")
             if old.name not in keep]
    return write_files(project, [*names, MIX], stage, remove=stale)


__all__ = ["DEFAULT_SR", "MIX", "Render", "lines_of", "parse_instruments",
           "render_piece",
           "stem_name", "timed_notes", "write_render"]
