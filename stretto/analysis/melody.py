"""Melodic integrity per voice: can each voice stand on its own?"""

from __future__ import annotations

import numpy as np

from stretto.analysis.distribution import interval_histogram_of, overlapping_area
from stretto.analysis.view import HeardLine, lines
from stretto.score import Piece

ROLES = ("S", "A", "T", "B")


def voice_melody(line: HeardLine) -> dict:
    """Melodic statistics of one voice (ties merged, rests ignored).

    Definitions, with intervals in semitones between successive notes:

    - ``repeat``, ``step`` (1-2), ``skip`` (3-4), ``leap`` (5 or more): shares of the intervals;
    - ``leap_recovery``: share of leaps (5+ semitones) followed by a step (1-2) in the opposite
      direction (None when there is no leap followed by a note). Source: Fux's rule that a leap
      is recovered by contrary step; measured as "post-skip reversal" by von Hippel & Huron
      (2000, "Why do skips precede reversals?", Music Perception 18);
    - ``range``: highest minus lowest MIDI number; ``tessitura``: duration-weighted median MIDI
      number; ``tessitura_iqr``: its duration-weighted interquartile range;
    - ``single_climax``: 1.0 when the highest pitch is sounded exactly once, else 0.0 (Fux; Jeppesen,
      *Counterpoint*, 1939).
    """
    iv = line.intervals()
    out: dict = {}
    n = len(iv)
    a = [abs(i) for i in iv]
    out["repeat"] = a.count(0) / n if n else None
    out["step"] = sum(1 for x in a if 1 <= x <= 2) / n if n else None
    out["skip"] = sum(1 for x in a if 3 <= x <= 4) / n if n else None
    out["leap"] = sum(1 for x in a if x >= 5) / n if n else None
    leaps = [(i, j) for i, j in zip(iv, iv[1:]) if abs(i) >= 5]
    out["leap_recovery"] = (sum(1 for i, j in leaps if 1 <= abs(j) <= 2 and (i > 0) != (j > 0))
                            / len(leaps)) if leaps else None
    if line.midi:
        out["range"] = float(max(line.midi) - min(line.midi))
        w = np.array([float(d) for d in line.durations])
        m = np.array(line.midi, dtype=float)
        order = np.argsort(m, kind="stable")
        cw = np.cumsum(w[order]) / w.sum()
        q = lambda p: float(m[order][int(np.searchsorted(cw, p))])  # noqa: E731
        out["tessitura"] = q(0.5)
        out["tessitura_iqr"] = q(0.75) - q(0.25)
        out["single_climax"] = 1.0 if line.midi.count(max(line.midi)) == 1 else 0.0
    else:
        for k in ("range", "tessitura", "tessitura_iqr", "single_climax"):
            out[k] = None
    return out


def roles(piece: Piece, reference: dict | None = None) -> list[str]:
    """The Bach chorale voice each voice is compared with: the top voice is S, the bottom B,
    inner voices A or T, whichever of Bach's alto and tenor tessituras is nearer (A without a
    reference). One voice alone is S."""
    n = len(piece.voices)
    if n == 1:
        return ["S"]
    ls = lines(piece)
    out = []
    for i, line in enumerate(ls):
        if i == 0:
            out.append("S")
        elif i == n - 1:
            out.append("B")
        elif reference and line.midi:
            med = float(np.median(line.midi))
            tess = reference["role_tessitura"]
            out.append(min(("A", "T"), key=lambda r: abs(tess[r] - med)))
        else:
            out.append("A")
    return out


def melodic_integrity(piece: Piece, reference: dict | None = None) -> dict:
    """Per voice (``voices``: ``{name: {...}}``, see :func:`voice_melody`) plus
    ``interval_oa_bach``: the overlapping area between the voice's melodic-interval histogram
    and that of Bach's chorale voice of the same role (:func:`roles`), after mgeval
    (:func:`stretto.analysis.distribution.overlapping_area`). The piece's summary takes the mean
    over voices of each statistic, and the minimum over voices of ``step`` and
    ``interval_oa_bach`` (``*_min``): a piece is as singable as its worst voice."""
    ls = lines(piece)
    rs = roles(piece, reference)
    voices = {}
    for v, line, role in zip(piece.voices, ls, rs):
        d = voice_melody(line)
        d["role"] = role
        d["interval_oa_bach"] = overlapping_area(interval_histogram_of(line.intervals()),
                                                 reference["role_interval"][role]) \
            if reference else None
        voices[v.name] = d
    out: dict = {"voices": voices}
    for k in ("step", "leap", "leap_recovery", "range", "single_climax", "interval_oa_bach"):
        vals = [d[k] for d in voices.values() if d[k] is not None]
        out[k] = float(np.mean(vals)) if vals else None
    for k in ("step", "interval_oa_bach"):
        vals = [d[k] for d in voices.values() if d[k] is not None]
        out[k + "_min"] = float(min(vals)) if vals else None
    return out
