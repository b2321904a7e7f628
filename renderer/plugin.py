"""The composer's own instruments: voices rendered through VST3 instruments with pedalboard.

``stretto render DIR --plugin Alto=/path/Instrument.vst3 [--preset FILE]`` plays the named
voices through the plugin (pedalboard, GPL-3, the optional ``plugin`` extra) and every other
voice through the engine chosen as usual. :class:`PluginEngine` is the fourth implementation of
the :class:`~stretto.renderer.engine.Engine` protocol: it wraps that engine, so
:func:`~stretto.renderer.render.render_piece` has no branch for it, and its stems are checked
by the same pitch tracking (``--verify``).

Sample-exact: each note's MIDI events are sent at the note's exact sample (the same samples the
other engines use), and the stem is as long as the others. pedalboard warms an instrument up
when it loads it by playing a middle C and then an all-notes-off (CC 123); an instrument that
ignores CC 123 would still be sounding that C. So every render starts with a pre-roll of
:data:`PREROLL` seconds that opens with a note-off for that C, and the pre-roll (with the C's
release) is cut off: what is left starts at the piece's
first sample. pedalboard is imported only when a plugin renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from stretto.errors import BadInput
from stretto.renderer.engine import Line, PitchTrackedEngine

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from stretto.renderer.engine import Engine

PREROLL = 0.25  # seconds rendered and dropped before the piece (see the module text)
VELOCITY = 80  # as score.mid plays every note
WARM_UP_KEY = 60  # pedalboard's warm-up note


def voice_of(text: str, voice_names: list[str], option: str) -> list[int]:
    """The voices ``text`` names: a voice name (case-insensitive), a number from the top, or
    ``all``; BadInput naming the voices otherwise."""
    text = text.strip()
    if text.lower() == "all":
        return list(range(len(voice_names)))
    if text.isdigit() and 1 <= int(text) <= len(voice_names):
        return [int(text) - 1]
    lower = [v.lower() for v in voice_names]
    if text.lower() not in lower:
        raise BadInput(f"no voice {text!r} in {option}: voices are {', '.join(voice_names)} "
                       f"(or 1-{len(voice_names)}, all)")
    return [lower.index(text.lower())]


def check_plugin(path: str | Path) -> Path:
    """``path`` if it looks like a VST3 instrument (a ``.vst3`` bundle folder or file); else
    BadInput saying what to give."""
    p = Path(path)
    if p.suffix.lower() != ".vst3":
        raise BadInput(f"--plugin {path}: give a VST3 instrument (a .vst3 bundle)")
    if not p.exists():
        raise BadInput(f"--plugin {path}: no such file or folder")
    return p


def parse_plugins(plugins: list[str] | None, presets: list[str] | None,
                  voice_names: list[str]) -> dict[int, tuple[Path, Path | None]]:
    """Voice index -> (plugin, preset or None) from ``VOICE=PLUGIN`` and ``[VOICE=]FILE``
    strings (a preset without a voice goes to every plugin voice)."""
    chosen: dict[int, tuple[Path, Path | None]] = {}
    for spec in plugins or []:
        voice, sep, path = spec.partition("=")
        if not sep:
            raise BadInput(f"--plugin {spec!r}: write VOICE=/path/Instrument.vst3")
        for v in voice_of(voice, voice_names, f"--plugin {spec!r}"):
            chosen[v] = (check_plugin(path.strip()), None)
    for spec in presets or []:
        voice, sep, path = spec.rpartition("=")
        targets = voice_of(voice, voice_names, f"--preset {spec!r}") if sep else list(chosen)
        if not chosen:
            raise BadInput("--preset goes with --plugin VOICE=/path/Instrument.vst3")
        preset = Path(path.strip())
        if not preset.is_file():
            raise BadInput(f"--preset {path}: no such file")
        for v in targets:
            if v not in chosen:
                raise BadInput(f"--preset {spec!r}: voice {voice_names[v]} plays no --plugin")
            chosen[v] = (chosen[v][0], preset)
    return chosen


def load_instrument(path: Path, preset: Path | None) -> Any:
    """The plugin at ``path`` through pedalboard (with ``preset`` loaded), checked to be an
    instrument; BadInput for what pedalboard cannot load."""
    try:
        import pedalboard
    except ImportError:
        raise BadInput("--plugin needs the plugin extra (pedalboard, GPL-3): "
                       "pip install -e '.[plugin]'") from None
    try:
        plugin = pedalboard.load_plugin(str(path))
    except Exception as exc:  # noqa: BLE001 - pedalboard raises ImportError, RuntimeError ...
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise BadInput(f"cannot load --plugin {path}: {reason}") from None
    if not getattr(plugin, "is_instrument", False):
        raise BadInput(f"--plugin {path} is an effect, not an instrument: give one that "
                       "plays MIDI notes")
    if preset is not None:
        try:
            plugin.load_preset(str(preset))
        except Exception as exc:  # noqa: BLE001
            reason = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise BadInput(f"cannot load --preset {preset} into {path.name}: {reason}") \
                from None
    return plugin


def midi_events(notes: tuple[tuple[int, int, int], ...], sr: int,
                preroll: int) -> list[tuple[bytes, float]]:
    """pedalboard's (message, seconds) list: the warm-up note's note-off at 0, then each note's
    note-on and note-off at its sample plus ``preroll`` samples (a quarter sample late, so
    that the plugin host's rounding of seconds to samples lands on the sample itself)."""
    # the warm-up's middle C (on the first channel) off. A note-off, not CCs: hosts turn
    # CCs into VST3 parameter changes, and some plugins then see them out of time order
    # (an all-notes-off at 0 applied after the first note-on: the first note is lost)
    clear = [(bytes([0x80, WARM_UP_KEY, 0]), 0.0)]
    events: list[tuple[int, int, bytes]] = []
    for start, end, key in notes:
        events.append((start, 1, bytes([0x90, key, VELOCITY])))
        events.append((end, 0, bytes([0x80, key, 0])))
    events.sort(key=lambda e: (e[0], e[1]))  # note-offs first at one sample (repeated notes)
    return clear + [(msg, (at + preroll + 0.25) / sr) for at, _, msg in events]


@dataclass
class PluginEngine(PitchTrackedEngine):
    """Voices in ``plugins`` (voice index -> (plugin path, preset)) through their VST3
    instruments; the others through ``fallback`` (the engine chosen as usual)."""

    plugins: dict[int, tuple[Path, Path | None]]
    fallback: "Engine"
    name: str = field(default="plugin", init=False)
    loaded: dict[tuple[Path, Path | None], Any] = field(default_factory=dict, init=False,
                                                        repr=False)
    loader: Callable[[Path, Path | None], Any] = load_instrument

    def label(self, voice: int) -> str:
        """How the render names the instrument of a plugin voice: ``Name.vst3``."""
        return self.plugins[voice][0].name

    def instruments(self) -> tuple[str, ...]:
        return self.fallback.instruments() + tuple(self.label(v) for v in sorted(self.plugins))

    def instrument_names(self, parts: list[str]) -> list[str]:
        """The instrument per voice with each plugin voice's named by its plugin."""
        return [self.label(i) if i in self.plugins else p for i, p in enumerate(parts)]

    def instrument(self, key: tuple[Path, Path | None]) -> Any:
        """The loaded plugin for (path, preset), loaded once per render."""
        if key not in self.loaded:
            self.loaded[key] = self.loader(*key)
        return self.loaded[key]

    def render_voice(self, line: Line, *, n_samples: int, sr: int,
                     on_note: Callable[[], None] | None = None) -> "np.ndarray":
        import numpy as np

        if line.index not in self.plugins:
            return self.fallback.render_voice(line, n_samples=n_samples, sr=sr, on_note=on_note)
        plugin = self.instrument(self.plugins[line.index])
        pre = int(round(PREROLL * sr))
        total = pre + n_samples
        try:
            out = plugin(midi_events(line.notes, sr, pre), duration=(total + 0.5) / sr,
                         sample_rate=sr, reset=True)
        except Exception as exc:  # noqa: BLE001 - a plugin's own failure, in one line
            reason = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise BadInput(f"the plugin for {line.name} failed to render: {reason}") from None
        audio = np.asarray(out, dtype=np.float64)
        mono = audio.mean(axis=0) if audio.ndim == 2 else audio
        mono = mono[pre:pre + n_samples]
        if len(mono) < n_samples:  # the host rounded the length down
            mono = np.pad(mono, (0, n_samples - len(mono)))
        if on_note is not None:
            for _ in line.notes:
                on_note()
        return mono

    def describe(self) -> dict:
        return {"engine": self.name, "fallback": self.fallback.describe(),
                "plugins": {str(v): {"plugin": str(p), "preset": str(s) if s else None}
                            for v, (p, s) in sorted(self.plugins.items())}}


__all__ = ["PREROLL", "PluginEngine", "check_plugin", "load_instrument", "midi_events",
           "parse_plugins", "voice_of"]
