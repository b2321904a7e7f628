"""The fidelity check: track the pitch of every stem and compare it with the score.

Each stem is resampled to 16 kHz and tracked with librosa's probabilistic YIN (pyin, 10 ms hop)
over the voice's range widened by more than an octave each way, so that octave errors can be
seen. Measured on each note's core (the note minus its first 30% (at most 0.1 s), where the
previous note's release may still sound, and its last 20% (at most 0.05 s)):

* **note accuracy** - share of notes whose median tracked pitch is within 50 cents of the
  written pitch (the figure the check fails on);
* **octave errors** - notes whose median is within 50 cents of the written pitch plus or minus
  whole octaves (counted apart, and not as correct);
* **frame accuracy** - share of core frames tracked voiced and within 50 cents;
* **voicing recall** - share of core frames tracked voiced;
* **onset error** - median and largest |time the tracker first holds the new pitch for 30 ms -
  written onset| over notes that change pitch.

Onset-based transcription F1 is deliberately not used: it judges sustained timbres (choir,
organ) unfairly. The same check will judge the neural renderer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from stretto.renderer.render import Render

TRACK_SR = 16_000
HOP = 160  # 10 ms
CENTS = 50.0
DEFAULT_MIN_ACCURACY = 0.99


@dataclass(frozen=True)
class VoiceFidelity:
    voice: str
    notes: int
    note_accuracy: float
    octave_errors: int
    frame_accuracy: float
    voicing_recall: float
    onset_error_ms: float  # median
    onset_error_max_ms: float
    wrong: tuple[tuple[int, float | None], ...] = ()  # (note index, cents off) of misses

    def passed(self, min_accuracy: float = DEFAULT_MIN_ACCURACY) -> bool:
        return self.note_accuracy >= min_accuracy


def _resample(audio: "np.ndarray", sr: int) -> "np.ndarray":
    import math

    from scipy.signal import resample_poly

    if sr == TRACK_SR:
        return audio
    g = math.gcd(sr, TRACK_SR)
    return resample_poly(audio, TRACK_SR // g, sr // g)


def track(audio: "np.ndarray", sr: int, low_midi: int, high_midi: int) -> "np.ndarray":
    """Tracked pitch per 10 ms frame in MIDI numbers (NaN where unvoiced), frame i centred at
    ``i * HOP / TRACK_SR`` seconds."""
    import librosa
    import numpy as np

    y = _resample(np.asarray(audio, dtype=np.float64), sr).astype(np.float32)
    fmin = max(30.0, 440.0 * 2 ** ((low_midi - 69 - 14) / 12))
    fmax = min(0.45 * TRACK_SR, 440.0 * 2 ** ((high_midi - 69 + 14) / 12))
    frame = 1 << int(np.ceil(np.log2(2 * TRACK_SR / fmin + 2)))
    f0, voiced, _ = librosa.pyin(y, fmin=fmin, fmax=fmax, sr=TRACK_SR, frame_length=frame,
                                 hop_length=HOP)
    midi = np.full(len(f0), np.nan)
    ok = voiced & np.isfinite(f0)
    midi[ok] = 69 + 12 * np.log2(f0[ok] / 440.0)
    return midi


def score_voice(name: str, midi_track: "np.ndarray",
                notes: list[tuple[float, float, int]]) -> VoiceFidelity:
    """Compare a tracked pitch curve with a voice's notes (onset s, end s, midi)."""
    import numpy as np

    times = np.arange(len(midi_track)) * HOP / TRACK_SR
    correct = octave = frames = frames_ok = frames_voiced = 0
    onset_errors: list[float] = []
    wrong: list[tuple[int, float | None]] = []
    prev: tuple[float, float, int] | None = None
    for i, (on, end, midi) in enumerate(notes):
        dur = end - on
        core = (times >= on + min(0.1, 0.3 * dur)) & (times <= end - min(0.05, 0.2 * dur))
        seg = midi_track[core]
        frames += len(seg)
        voiced = seg[np.isfinite(seg)]
        frames_voiced += len(voiced)
        frames_ok += int(np.sum(np.abs(voiced - midi) * 100 <= CENTS))
        err = float(np.median(voiced) - midi) * 100 if len(voiced) else float("nan")
        if np.isfinite(err) and abs(err) <= CENTS:
            correct += 1
        else:
            wrong.append((i, round(err, 1) if np.isfinite(err) else None))  # None: silent
            if np.isfinite(err) and round(err / 1200) != 0 \
                    and abs(err - 1200 * round(err / 1200)) <= CENTS:
                octave += 1
        if prev is None or prev[2] != midi or prev[1] < on - 1e-9:
            window = np.flatnonzero((times >= on - 0.05) & (times <= on + min(dur, 0.5)))
            hit = np.abs(midi_track[window] - midi) * 100 <= CENTS
            hold = 3  # 30 ms on the new pitch
            for j in range(len(window) - hold + 1):
                if hit[j:j + hold].all():
                    onset_errors.append(abs(times[window[j]] - on) * 1000)
                    break
            else:
                onset_errors.append(min(dur, 0.5) * 1000)
        prev = (on, end, midi)
    n = len(notes)
    return VoiceFidelity(
        voice=name, notes=n, note_accuracy=correct / n if n else 1.0, octave_errors=octave,
        frame_accuracy=frames_ok / frames if frames else 1.0,
        voicing_recall=frames_voiced / frames if frames else 1.0,
        onset_error_ms=float(np.median(onset_errors)) if onset_errors else 0.0,
        onset_error_max_ms=float(max(onset_errors)) if onset_errors else 0.0,
        wrong=tuple(wrong))


def verify_render(render: "Render", progress: bool = True) -> list[VoiceFidelity]:
    """Track every stem of ``render`` and score it against the render's notes."""
    from tqdm import tqdm

    out = []
    for name, stem, notes in tqdm(list(zip(render.names, render.stems, render.notes)),
                                  desc="verify", unit="voice", delay=1.0, leave=False,
                                  disable=None if progress else True):
        if not notes:
            continue
        midis = [m for _, _, m in notes]
        out.append(score_voice(name, track(stem, render.sr, min(midis), max(midis)), notes))
    return out


def format_report(results: list[VoiceFidelity], min_accuracy: float) -> str:
    lines = [f"{'voice':<12} {'notes':>5} {'note acc':>8} {'octave':>6} {'frame acc':>9} "
             f"{'voicing':>7} {'onset ms':>8} {'max ms':>6}"]
    for r in results:
        lines.append(f"{r.voice[:12]:<12} {r.notes:>5} {r.note_accuracy:>8.3f} "
                     f"{r.octave_errors:>6} {r.frame_accuracy:>9.3f} {r.voicing_recall:>7.3f} "
                     f"{r.onset_error_ms:>8.1f} {r.onset_error_max_ms:>6.1f}")
    bad = [r for r in results if not r.passed(min_accuracy)]
    lines.append("fidelity: " + ("ok" if not bad else "FAILED for " + ", ".join(
        f"{r.voice} ({r.note_accuracy:.3f} < {min_accuracy:g})" for r in bad)))
    return "\n".join(lines)


def as_dicts(results: list[VoiceFidelity]) -> list[dict]:
    return [asdict(r) for r in results]


__all__ = ["DEFAULT_MIN_ACCURACY", "VoiceFidelity", "as_dicts", "format_report", "score_voice",
           "track", "verify_render"]
