"""The renderer interface: one small protocol that every way of turning a voice into audio meets.

Like mido's ports, an engine is a tiny object behind one interface, so :func:`render_piece` has
no branch per engine and tests can use in-memory fakes:

* ``name`` - how the CLI calls it (``synth``, ``soundfont``, ``neural``);
* ``instruments()`` - the instrument names it can play;
* ``render_voice(line, n_samples=, sr=, on_note=)`` - one voice as mono float64 samples;
* ``verify(render, min_accuracy=, progress=)`` - the pitch-tracking fidelity check of its output;
* ``describe()`` - what to record about it in a render's summary.

Three implementations: :class:`SynthEngine` (the built-in numpy synthesis), :class:`SoundFontEngine`
(the user's .sf2 through tinysoundfont) and ``stretto.renderer.neural.NeuralEngine``. Nothing heavy is
imported at module level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol, runtime_checkable


if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from stretto.renderer.render import Render
    from stretto.renderer.verify import VoiceFidelity



@dataclass(frozen=True)
class Line:
    """One voice to render: its notes as (start sample, end sample, midi) at the render's rate,
    the lyric syllable of each note (None without words), and the piece's length in samples
    (without the release tail)."""

    name: str
    instrument: str
    notes: tuple[tuple[int, int, int], ...]
    lyrics: tuple[str | None, ...] = ()
    piece_samples: int = 0
    index: int = 0

    def lyric(self, i: int) -> str | None:
        return self.lyrics[i] if i < len(self.lyrics) else None


@runtime_checkable
class Engine(Protocol):
    """What :func:`stretto.renderer.render.render_piece` needs from a renderer."""

    name: str

    def instruments(self) -> tuple[str, ...]: ...

    def render_voice(self, line: Line, *, n_samples: int, sr: int,
                     on_note: Callable[[], None] | None = None) -> "np.ndarray": ...

    def verify(self, render: "Render", *, progress: bool = True) -> list["VoiceFidelity"]: ...

    def describe(self) -> dict: ...


class PitchTrackedEngine:
    """Base for engines whose fidelity is checked by pyin against the score (all of them)."""

    name = "base"

    def verify(self, render: "Render", *, progress: bool = True) -> list["VoiceFidelity"]:
        from stretto.renderer.verify import verify_render

        return verify_render(render, progress=progress)

    def describe(self) -> dict:
        return {"engine": self.name}


@dataclass
class SynthEngine(PitchTrackedEngine):
    """The built-in wavetable synthesis (deterministic, numpy only). ``detune_cents`` shifts
    every pitch (only to test the fidelity check)."""

    detune_cents: float = 0.0
    name: str = field(default="synth", init=False)

    def instruments(self) -> tuple[str, ...]:
        from stretto.renderer.synth import INSTRUMENTS

        return tuple(INSTRUMENTS)

    def render_voice(self, line: Line, *, n_samples: int, sr: int,
                     on_note: Callable[[], None] | None = None) -> "np.ndarray":
        from stretto.renderer.synth import INSTRUMENTS, render_line

        return render_line(INSTRUMENTS[line.instrument], list(line.notes), n_samples, sr,
                           self.detune_cents, on_note=on_note)

    def describe(self) -> dict:
        return {"engine": self.name, "detune_cents": self.detune_cents}


@dataclass
class SoundFontEngine(PitchTrackedEngine):
    """Playback through a SoundFont with tinysoundfont (General MIDI programs per instrument)."""

    soundfont: Path
    name: str = field(default="soundfont", init=False)

    def instruments(self) -> tuple[str, ...]:
        from stretto.renderer.soundfont import PROGRAMS

        return tuple(PROGRAMS)

    def render_voice(self, line: Line, *, n_samples: int, sr: int,
                     on_note: Callable[[], None] | None = None) -> "np.ndarray":
        from stretto.renderer.soundfont import render_soundfont_line

        return render_soundfont_line(self.soundfont, line.instrument, list(line.notes),
                                     n_samples, sr, on_note=on_note)

    def describe(self) -> dict:
        return {"engine": self.name, "soundfont": str(self.soundfont)}


__all__ = ["Engine", "Line", "PitchTrackedEngine", "SoundFontEngine", "SynthEngine"]
