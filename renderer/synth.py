"""The built-in instruments: band-limited wavetable synthesis in numpy.

Each note is one period of a harmonic spectrum (shaped by the instrument's source slope and
vowel-like formants, every partial below the Nyquist limit and 10 kHz), played from a 4096-point
wavetable at a phase integrated from the exact equal-tempered frequency (A4 = 440 Hz), so the
pitch is the written pitch by construction. An envelope (raised-cosine attack and release, decay
to a sustain level or a piano-like exponential fade) starts the note at zero at its written onset
sample and lets it ring for the release after its written end: no clicks. Optional gentle
vibrato (a few cents, fading in after a delay) and a chorus of slightly detuned copies make the
choir and strings sound less like test tones; both stay far inside the 50-cent fidelity window.

Deterministic: no random numbers, so the same score renders to the same samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

TABLE_SIZE = 4096
MAX_PARTIAL_HZ = 10_000.0
#: Every stem lasts the score's length plus this tail, so the last release rings out.
RELEASE_TAIL = 0.5


@dataclass(frozen=True)
class Instrument:
    """A synthesis recipe. ``slope``: partial k has amplitude k**-slope before the formants;
    ``odd_only`` drops even partials (a clarinet-like reed); ``formants`` are (centre Hz,
    bandwidth Hz, gain) resonances added to a ``floor`` of 1; ``decay`` (seconds) fades the note
    exponentially after the attack (piano) instead of holding ``sustain``; vibrato in cents."""

    name: str
    description: str
    slope: float = 1.0
    partials: int = 24
    odd_only: bool = False
    formants: tuple[tuple[float, float, float], ...] = ()
    attack: float = 0.03
    sustain: float = 1.0
    decay: float | None = None
    release: float = 0.1
    vibrato_cents: float = 0.0
    vibrato_rate: float = 5.0
    vibrato_delay: float = 0.25
    chorus_cents: tuple[float, ...] = (0.0,)
    level: float = 0.25

    def amplitudes(self, freq: float, sr: int) -> "np.ndarray":
        """Partial amplitudes (index k-1 for partial k) at fundamental ``freq``, normalised to
        unit RMS so every pitch sounds equally loud."""
        import numpy as np

        k = np.arange(1, self.partials + 1, dtype=np.float64)
        amp = k ** -self.slope
        if self.odd_only:
            amp[1::2] *= 0.08
        if self.formants:
            f = k * freq
            shape = np.ones_like(f)
            for centre, width, gain in self.formants:
                shape += gain / (1.0 + ((f - centre) / (width / 2)) ** 2)
            amp *= shape
        amp[k * freq >= min(MAX_PARTIAL_HZ, 0.45 * sr)] = 0.0
        amp[0] = max(amp[0], 0.6 * amp.max())  # a clear fundamental: no octave ambiguity
        return amp / np.sqrt(0.5 * np.sum(amp ** 2))


# Formants of a sung "ah" (close to the averages for an open vowel across voice types).
_AH = ((750.0, 160.0, 3.0), (1150.0, 200.0, 2.0), (2800.0, 400.0, 1.5))

INSTRUMENTS: dict[str, Instrument] = {i.name: i for i in (
    Instrument("choir", "sung 'ah': vowel formants, gentle vibrato, a three-voice chorus",
               slope=1.3, formants=_AH, attack=0.08, sustain=0.9, release=0.12,
               vibrato_cents=12.0, vibrato_rate=5.2, vibrato_delay=0.3,
               chorus_cents=(-6.0, 0.0, 5.0), level=0.22),
    Instrument("strings", "bowed strings: bright sawtooth-like spectrum, light vibrato",
               slope=1.0, formants=((500.0, 400.0, 1.0), (2500.0, 1500.0, 0.8)), attack=0.07,
               sustain=0.85, release=0.15, vibrato_cents=8.0, vibrato_rate=5.6,
               vibrato_delay=0.2, chorus_cents=(-4.0, 4.0), level=0.2),
    Instrument("organ", "flue organ: steady principal with octave and twelfth, no vibrato",
               slope=1.6, partials=12, attack=0.02, sustain=1.0, release=0.06, level=0.22),
    Instrument("piano", "struck string: quick attack, exponential decay, soft release",
               slope=1.5, partials=20, attack=0.004, sustain=0.0, decay=1.6, release=0.12,
               level=0.3),
    Instrument("flute", "flute: nearly pure fundamental, gentle vibrato",
               slope=2.5, partials=6, attack=0.05, sustain=0.9, release=0.08,
               vibrato_cents=10.0, vibrato_rate=5.0, level=0.22),
    Instrument("clarinet", "reed: odd partials, steady tone",
               slope=1.0, partials=16, odd_only=True, attack=0.03, sustain=0.9, release=0.08,
               level=0.2),
    Instrument("sine", "pure sine tones (a reference for testing)",
               slope=1.0, partials=1, attack=0.02, sustain=1.0, release=0.05, level=0.25),
)}

SINGERS = ("soprano", "alto", "tenor", "bass", "contralto", "mezzo", "baritone", "countertenor",
           "treble", "cantus", "altus", "bassus", "quintus")


def default_instrument(voice_name: str) -> str:
    """``choir`` for voices with a singer's name (Soprano, Alto 2, Bassus ...), else ``organ``."""
    words = voice_name.lower().replace("-", " ").replace("_", " ").split()
    return "choir" if any(w.rstrip("0123456789.") in SINGERS for w in words) else "organ"


def midi_to_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _table(amp: "np.ndarray") -> "np.ndarray":
    """One period of sum_k amp[k-1] * sin(2 pi k x), as TABLE_SIZE + 1 points (wrap-around)."""
    import numpy as np

    spec = np.zeros(TABLE_SIZE // 2 + 1, dtype=np.complex128)
    spec[1:len(amp) + 1] = -1j * amp * (TABLE_SIZE / 2)
    table = np.fft.irfft(spec, n=TABLE_SIZE)
    return np.append(table, table[0])


def envelope(inst: Instrument, n_note: int, n_total: int, sr: int) -> "np.ndarray":
    """Gain over ``n_total`` samples for a note held ``n_note`` samples, then released."""
    import numpy as np

    t = np.arange(n_total, dtype=np.float64) / sr
    n_att = max(1, min(int(round(inst.attack * sr)), n_note))
    env = np.empty(n_total)
    env[:n_att] = 0.5 - 0.5 * np.cos(np.pi * np.arange(n_att) / n_att)
    rest = t[n_att:] - t[n_att - 1] if n_att < n_total else t[:0]
    if inst.decay is not None:
        env[n_att:] = np.exp(-rest / inst.decay)
    else:  # settle from 1 to the sustain level over about 0.15 s
        env[n_att:] = inst.sustain + (1.0 - inst.sustain) * np.exp(-rest / 0.05)
    n_rel = n_total - n_note
    if n_rel > 0:
        held = env[n_note - 1] if n_note > 0 else 0.0
        env[n_note:] = held * (0.5 + 0.5 * np.cos(np.pi * np.arange(1, n_rel + 1) / n_rel))
    return env


def note_samples(inst: Instrument, midi: float, n_note: int, sr: int,
                 detune_cents: float = 0.0) -> "np.ndarray":
    """One note: ``n_note`` samples held plus the release (float64, peak near ``level``)."""
    import numpy as np

    n_rel = int(round(inst.release * sr))
    n_total = n_note + n_rel
    freq = midi_to_hz(midi + detune_cents / 100.0)
    table = _table(inst.amplitudes(freq, sr))
    t = np.arange(n_total, dtype=np.float64) / sr
    out = np.zeros(n_total)
    copies = inst.chorus_cents
    for i, cents in enumerate(copies):
        f = freq * 2.0 ** (cents / 1200.0)
        if inst.vibrato_cents:
            depth = inst.vibrato_cents * np.clip((t - inst.vibrato_delay) / 0.3, 0.0, 1.0)
            wobble = depth * np.sin(2 * np.pi * inst.vibrato_rate * (1 + 0.07 * i) * t
                                    + 2.1 * i)
            inst_f = f * 2.0 ** (wobble / 1200.0)
            phase = np.cumsum(inst_f) / sr + i / len(copies)
        else:
            phase = f * t + i / len(copies)
        pos = (phase - np.floor(phase)) * TABLE_SIZE
        idx = pos.astype(np.int64)
        frac = pos - idx
        out += table[idx] * (1.0 - frac) + table[idx + 1] * frac
    out *= envelope(inst, n_note, n_total, sr) * (inst.level / np.sqrt(2 * len(copies)))
    return out


def render_line(inst: Instrument, notes: list[tuple[int, int, float]], n_samples: int, sr: int,
                detune_cents: float = 0.0, on_note=None) -> "np.ndarray":
    """A whole voice: ``notes`` are (start sample, end sample, midi); returns ``n_samples``
    float64 samples. ``on_note()`` is called after each note (progress)."""
    import numpy as np

    out = np.zeros(n_samples)
    for start, end, midi in notes:
        if end <= start or start >= n_samples:
            continue
        y = note_samples(inst, midi, end - start, sr, detune_cents)
        stop = min(n_samples, start + len(y))
        out[start:stop] += y[:stop - start]
        if on_note is not None:
            on_note()
    return out


__all__ = ["INSTRUMENTS", "Instrument", "RELEASE_TAIL", "default_instrument", "midi_to_hz",
           "note_samples", "render_line"]
