"""Tension per beat and its continuity: how tense the music is from beat to beat, and how smoothly
that tension moves.

Tonal tension follows Herremans & Chew's model (D. Herremans and E. Chew, "Tension ribbons:
quantifying and visualising tonal tension", TENOR 2016), on Chew's spiral array (E. Chew,
*Mathematical and Computational Modeling of Tonality*, 2014): a spelled pitch class is a point
on a helix, one quarter turn per fifth (``P(k) = (sin k·π/2, cos k·π/2, k·h)``,
``h = sqrt(2/15)``, ``k`` the position on the line of fifths, C = 0, G = 1, F = -1, F# = 6);
a chord or key is a weighted centre of such points (weights 0.536, 0.274, 0.19; minor keys mix
in the major dominant and minor subdominant with alpha = beta = 0.75). For each beat, the
*cloud* is the notes sounding in it, weighted by how long they sound there, and

* ``diameter``: the largest distance between two of its pitch classes on the spiral (how
  far apart in tonal space the sounding notes are);
* ``momentum``: the distance its centre of effect moved from the previous beat's (how far
  the harmony travelled);
* ``strain`` (tensile strain): the distance of its centre of effect from the key's centre
  (how far from home it is).

Three surface measures join them: ``dissonance`` (the time-weighted share of sounding voice
pairs a second, seventh or tritone apart), ``register`` (mean MIDI pitch, 0 at C3 and 1 at
C6) and ``density`` (note attacks in the beat per voice, 1 at two per voice). ``tension`` is
their weighted sum (:data:`WEIGHTS`, each part scaled by :data:`SCALES` and clipped to 0..1), in
0..1. :func:`tension_curve` gives the curve, :func:`continuity` its smoothness: the mean and
95th percentile of the beat-to-beat jumps and the lag-1 autocorrelation (1 for a curve that
moves slowly, 0 for noise). :func:`tension_metrics` is what ``stretto bench`` reports.

The same vertical measure is what the chorale model's soft rule ``tension-arc`` steers with
(:func:`vertical_tension`, on a slot's voicing: strain, diameter, dissonance and register of one
chord). Pure: numpy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from stretto.score import Piece

H = math.sqrt(2.0 / 15.0)  # Chew's spiral: rise per fifth, radius 1
WEIGHTS_CHORD = (0.536, 0.274, 0.19)  # Chew's weights (root, fifth, third) and (I, V, IV)
ALPHA = BETA = 0.75  # minor keys: share of the major V and of the minor iv
_FIFTHS = (0, 2, 4, -1, 1, 3, 5)  # C D E F G A B on the line of fifths
_STEP_PC = (0, 2, 4, 5, 7, 9, 11)
# the parts of the tension and their weights (sum 1), and the spans that map them onto 0..1
WEIGHTS = {"strain": 0.3, "diameter": 0.15, "momentum": 0.15, "dissonance": 0.2,
           "register": 0.1, "density": 0.1}
SCALES = {"strain": 2.0, "diameter": 4.0, "momentum": 2.0}
DISSONANT = frozenset({1, 2, 6, 10, 11})  # interval classes in semitones mod 12
PARTS = ("strain", "diameter", "momentum", "dissonance", "register", "density")


def fifths_index(step: int, alter: int) -> int:
    """Position on the line of fifths of letter ``step`` (0 = C) with ``alter`` (C = 0, F# = 6,
    Bb = -2)."""
    return _FIFTHS[step] + 7 * alter


def spelled(midi: int, diatonic: int) -> tuple[int, int]:
    """(step, alter) of a note from its MIDI number and diatonic position (letter steps above
    C0, as :class:`~stretto.pitch.Pitch` keeps it)."""
    step = diatonic % 7
    alter = ((midi % 12) - _STEP_PC[step] + 6) % 12 - 6
    return step, alter


def spiral_point(k) -> np.ndarray:
    """Spiral-array point(s) of line-of-fifths index ``k`` (scalar or array): shape (..., 3)."""
    k = np.asarray(k, dtype=float)
    return np.stack([np.sin(k * np.pi / 2), np.cos(k * np.pi / 2), k * H], axis=-1)


def chord_centre(k: int, mode: str) -> np.ndarray:
    """Centre of a major or minor triad on the root at ``k``."""
    w1, w2, w3 = WEIGHTS_CHORD
    third = k + 4 if mode == "major" else k - 3
    return w1 * spiral_point(k) + w2 * spiral_point(k + 1) + w3 * spiral_point(third)


def key_centre(k: int, mode: str) -> np.ndarray:
    """Centre of the key on the tonic at ``k`` (Chew's major and minor key representations)."""
    w1, w2, w3 = WEIGHTS_CHORD
    if mode == "major":
        return (w1 * chord_centre(k, "major") + w2 * chord_centre(k + 1, "major")
                + w3 * chord_centre(k - 1, "major"))
    dom = ALPHA * chord_centre(k + 1, "major") + (1 - ALPHA) * chord_centre(k + 1, "minor")
    sub = BETA * chord_centre(k - 1, "minor") + (1 - BETA) * chord_centre(k - 1, "major")
    return w1 * chord_centre(k, "minor") + w2 * dom + w3 * sub


def piece_key(piece: Piece) -> tuple[int, str]:
    """(line-of-fifths index of the tonic, "major"|"minor"): the harmony's key when the piece
    records one (``info["harmony"]["key"]``), else its mode's final (major for ionian, lydian
    and mixolydian, minor otherwise)."""
    from stretto.pitch import Pitch

    key = (piece.info or {}).get("harmony", {}).get("key") if isinstance(piece.info, dict) \
        else None
    if key:
        tonic, mode = str(key).split()[:2]
    else:
        tonic = piece.mode.final
        mode = "major" if piece.mode.name in ("ionian", "lydian", "mixolydian", "major") \
            else "minor"
    p = Pitch.parse(tonic.replace("-", "b") + "4")
    return fifths_index(p.step, int(p.alter)), mode


def pair_dissonance(midis: np.ndarray) -> np.ndarray:
    """Share of voice pairs a second, seventh or tritone apart, per row of ``midis`` (rows,
    voices)."""
    n = midis.shape[1]
    if n < 2:
        return np.zeros(len(midis))
    count = np.zeros(len(midis))
    for i in range(n):
        for j in range(i + 1, n):
            count += np.isin(np.abs(midis[:, i] - midis[:, j]) % 12, list(DISSONANT))
    return count / (n * (n - 1) / 2)


def register_of(mean_midi):
    """Register in 0..1: C3 (48) is 0, C6 (84) is 1."""
    return np.clip((np.asarray(mean_midi, dtype=float) - 48.0) / 36.0, 0.0, 1.0)


def vertical_tension(fifths: np.ndarray, midis: np.ndarray, key: tuple[int, str]) -> np.ndarray:
    """Tension of chords given as rows of voices (``fifths``: line-of-fifths index, ``midis``:
    MIDI numbers, both (rows, voices)), equally weighted: the beat measure without momentum
    and density (what one chord decides), rescaled to 0..1 by their weights."""
    pos = spiral_point(fifths)  # (rows, voices, 3)
    centre = pos.mean(axis=1)
    strain = np.linalg.norm(centre - key_centre(*key)[None, :], axis=1)
    diff = pos[:, :, None, :] - pos[:, None, :, :]
    diameter = np.linalg.norm(diff, axis=-1).max(axis=(1, 2))
    parts = {"strain": np.clip(strain / SCALES["strain"], 0, 1),
             "diameter": np.clip(diameter / SCALES["diameter"], 0, 1),
             "dissonance": pair_dissonance(midis), "register": register_of(midis.mean(axis=1))}
    total = sum(WEIGHTS[k] for k in parts)
    return sum(WEIGHTS[k] * v for k, v in parts.items()) / total


@dataclass(frozen=True)
class TensionCurve:
    """Per beat: onset (quarter notes), the parts (see the module text) and ``tension``."""

    onsets: tuple[Fraction, ...]
    parts: dict  # part name -> tuple of floats per beat
    tension: tuple[float, ...]


def _segments(piece: Piece, start: Fraction, stop: Fraction):
    """(duration, [(midi, diatonic)]) of each stretch of [start, stop) in which the same notes
    sound; and the number of attacks in it."""
    from stretto.analysis.view import lines

    ls = lines(piece)
    cuts = {start, stop}
    attacks = 0
    for line in ls:
        for o, e in zip(line.onsets, line.ends):
            if start <= o < stop:
                cuts.add(o)
                attacks += 1
            if start < e < stop:
                cuts.add(e)
    cuts = sorted(cuts)
    out = []
    for a, b in zip(cuts, cuts[1:]):
        sounding = []
        for line in ls:
            from bisect import bisect_right

            i = bisect_right(line.onsets, a) - 1
            if i >= 0 and a < line.ends[i]:
                sounding.append((line.midi[i], line.diatonic[i]))
        if sounding:
            out.append((float(b - a), sounding))
    return out, attacks


def tension_curve(piece: Piece, beat: Fraction | None = None) -> TensionCurve:
    """The tension of every beat of ``piece`` (beats in silence are left out; the beat is the
    meter's, see :func:`stretto.analysis.view.beat_length`)."""
    from stretto.analysis.view import beat_length

    step = beat or beat_length(piece)
    key = piece_key(piece)
    home = key_centre(*key)
    voices = max(1, len(piece.voices))
    onsets, rows = [], {k: [] for k in PARTS}
    prev = None
    t = Fraction(0)
    end = piece.length
    while t < end:
        segs, attacks = _segments(piece, t, t + step)
        if segs:
            weights, points, diss, reg = [], [], 0.0, 0.0
            total = sum(d for d, _ in segs)
            ks = set()
            for d, notes in segs:
                midis = np.array([[m for m, _ in notes]])
                diss += d * float(pair_dissonance(midis)[0])
                reg += d * float(np.mean(midis))
                for m, dia in notes:
                    k = fifths_index(*spelled(m, dia))
                    ks.add(k)
                    points.append(spiral_point(k))
                    weights.append(d)
            w = np.array(weights) / sum(weights)
            centre = (np.array(points) * w[:, None]).sum(axis=0)
            kpos = spiral_point(sorted(ks))
            diameter = float(np.linalg.norm(kpos[:, None] - kpos[None, :], axis=-1).max())
            rows["strain"].append(float(np.linalg.norm(centre - home)))
            rows["diameter"].append(diameter)
            rows["momentum"].append(0.0 if prev is None else float(np.linalg.norm(centre - prev)))
            rows["dissonance"].append(diss / total)
            rows["register"].append(float(register_of(reg / total)))
            rows["density"].append(attacks / voices)
            onsets.append(t)
            prev = centre
        else:
            prev = None  # after a silence the harmony starts afresh
        t += step
    tension = []
    for i in range(len(onsets)):
        value = 0.0
        for k in PARTS:
            x = rows[k][i]
            if k in SCALES:
                x = x / SCALES[k]
            elif k == "density":
                x = x / 2.0
            value += WEIGHTS[k] * min(max(x, 0.0), 1.0)
        tension.append(value)
    return TensionCurve(tuple(onsets), {k: tuple(v) for k, v in rows.items()}, tuple(tension))


def continuity(curve) -> dict:
    """Smoothness of a curve (a sequence of floats): ``jump_mean`` and ``jump_p95`` (mean and
    95th percentile of |x[i+1] - x[i]|), ``jump_max``, and ``lag1`` (lag-1 autocorrelation; None
    for fewer than three values or a flat curve)."""
    x = np.asarray(curve, dtype=float)
    if len(x) < 2:
        return {"jump_mean": None, "jump_p95": None, "jump_max": None, "lag1": None}
    d = np.abs(np.diff(x))
    lag1 = None
    if len(x) >= 3 and x[:-1].std() > 0 and x[1:].std() > 0:
        lag1 = float(np.corrcoef(x[:-1], x[1:])[0, 1])
    return {"jump_mean": float(d.mean()), "jump_p95": float(np.percentile(d, 95)),
            "jump_max": float(d.max()), "lag1": lag1}


def tension_metrics(piece: Piece) -> dict:
    """What ``stretto bench`` reports: the mean and spread of the tension, its continuity
    (:func:`continuity`), and the mean of each tonal part."""
    c = tension_curve(piece)
    if not c.tension:
        return {k: None for k in ("tension_mean", "tension_sd", "tension_jump_mean",
                                  "tension_jump_p95", "tension_lag1", "tension_strain",
                                  "tension_diameter", "tension_momentum")}
    x = np.array(c.tension)
    cont = continuity(x)
    return {"tension_mean": float(x.mean()), "tension_sd": float(x.std()),
            "tension_jump_mean": cont["jump_mean"], "tension_jump_p95": cont["jump_p95"],
            "tension_lag1": cont["lag1"],
            "tension_strain": float(np.mean(c.parts["strain"])),
            "tension_diameter": float(np.mean(c.parts["diameter"])),
            "tension_momentum": float(np.mean(c.parts["momentum"]))}


def follows(curve, target) -> float | None:
    """Pearson correlation of a tension curve with a target arc of the same length (None when
    either is flat or shorter than three)."""
    x, y = np.asarray(curve, dtype=float), np.asarray(target, dtype=float)
    if len(x) != len(y) or len(x) < 3 or x.std() == 0 or y.std() == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


__all__ = ["PARTS", "SCALES", "WEIGHTS", "TensionCurve", "continuity", "follows", "key_centre",
           "piece_key", "spiral_point", "tension_curve", "tension_metrics",
           "vertical_tension"]
