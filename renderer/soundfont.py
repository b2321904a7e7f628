"""Optional: play the voices through a SoundFont (.sf2/.sf3) with tinysoundfont.

Not the default (see the README): tinysoundfont's package metadata pulls in PyAudio, which needs
the PortAudio headers to build, so it is installed apart with
``pip install --no-deps tinysoundfont``; and the one General MIDI font that ships in a pip package
(TimGM6mb in pretty_midi, 6 MB) sounds thinner than the built-in synthesis. The user's own font
is given with ``stretto render --soundfont FILE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from stretto.errors import BadInput

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

#: General MIDI programs (0-based) for the built-in instrument names.
PROGRAMS = {"choir": 52, "strings": 48, "organ": 19, "piano": 0, "flute": 73,
            "clarinet": 71, "sine": 79}


def check_soundfont(path: str | Path) -> Path:
    """``path`` if it is a readable RIFF sfbk file; else :class:`BadInput` saying what to do."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(12)
    except OSError as exc:
        raise BadInput(f"cannot read SoundFont {p}: {exc.strerror or exc}; give a readable "
                       ".sf2 file or leave out --soundfont") from None
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"sfbk":
        raise BadInput(f"{p} is not a SoundFont (.sf2 RIFF sfbk file); give a real .sf2 or "
                       "leave out --soundfont")
    return p


def shipped_soundfont() -> Path | None:
    """pretty_midi's small General MIDI font (TimGM6mb.sf2), if pretty_midi is installed."""
    import importlib.util

    spec = importlib.util.find_spec("pretty_midi")
    if spec is None or not spec.origin:
        return None
    font = Path(spec.origin).parent / "TimGM6mb.sf2"
    return font if font.is_file() else None


def _mono(buffer) -> "np.ndarray":
    """tinysoundfont's interleaved stereo float32 buffer as mono float64."""
    import numpy as np

    return np.frombuffer(buffer, dtype=np.float32).reshape(-1, 2).mean(axis=1)


def render_soundfont_line(soundfont: str | Path, instrument: str,
                          notes: list[tuple[int, int, int]], n_samples: int, sr: int,
                          on_note=None) -> "np.ndarray":
    """One voice through the SoundFont: (start sample, end sample, midi) notes, mono float64."""
    import numpy as np

    try:
        import tinysoundfont
    except ImportError:
        raise BadInput("--soundfont needs tinysoundfont: pip install --no-deps tinysoundfont") \
            from None
    synth = tinysoundfont.Synth(samplerate=sr, gain=-6.0)
    try:
        sfid = synth.sfload(str(soundfont))
    except Exception as exc:  # noqa: BLE001 - tinysoundfont raises its own and OSError
        raise BadInput(f"cannot load SoundFont {soundfont}: {exc}") from None
    try:
        synth.program_select(0, sfid, 0, PROGRAMS.get(instrument, 0))
    except Exception:  # noqa: BLE001 - a font without this program: its first preset
        synth.program_select(0, sfid, 0, 0)
    events = sorted([(s, 1, m) for s, _, m in notes] + [(e, 0, m) for _, e, m in notes])
    out = np.zeros(n_samples)
    pos = 0
    for at, on, midi in events:
        at = min(at, n_samples)
        if at > pos:
            out[pos:at] = _mono(synth.generate(at - pos))
            pos = at
        if on:
            synth.noteon(0, midi, 100)
            if on_note is not None:
                on_note()
        else:
            synth.noteoff(0, midi)
    if pos < n_samples:
        out[pos:] = _mono(synth.generate(n_samples - pos))
    return out


__all__ = ["PROGRAMS", "check_soundfont", "render_soundfont_line", "shipped_soundfont"]
