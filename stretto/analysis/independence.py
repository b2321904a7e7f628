"""Voice independence per pair of voices and the minimum over pairs."""

from __future__ import annotations

from itertools import combinations

import numpy as np

from stretto.analysis.view import HeardLine, diatonic_successions, lines, pair_grid, pair_successions
from stretto.score import Piece


def generic_class(semitones: int) -> int:
    """Generic interval (1 unison/octave, 2, 3, 4, 5, 6, 7) of a vertical interval in semitones,
    compound reduced; the tritone counts as a fourth."""
    return {0: 1, 1: 2, 2: 2, 3: 3, 4: 3, 5: 4, 6: 4, 7: 5, 8: 6, 9: 6, 10: 7, 11: 7}[
        abs(semitones) % 12]


def motion(a0: int, b0: int, a1: int, b1: int) -> str | None:
    """Kind of motion of a succession: ``contrary``, ``oblique`` (one voice stays),
    ``parallel`` (same direction, same generic interval), ``similar`` (same direction, interval
    changes), or None when neither voice moves."""
    da, db = a1 - a0, b1 - b0
    if da == 0 and db == 0:
        return None
    if da == 0 or db == 0:
        return "oblique"
    if (da > 0) != (db > 0):
        return "contrary"
    if generic_class(a0 - b0) == generic_class(a1 - b1):
        return "parallel"
    return "similar"


def pair_independence(upper: HeardLine, lower: HeardLine) -> dict:
    """Independence of two voices.

    Definitions (after Huron 2001, "Tone and Voice: A Derivation of the Rules of Voice-Leading
    from Perceptual Principles", Music Perception 19, sections on onset synchrony and pitch
    co-modulation):

    - ``independence`` = (1 - r) / 2, r the Pearson correlation of the two voices' pitch changes
      in letter steps (so diatonic parallel thirds correlate exactly) over the pair's successions (see :func:`stretto.analysis.view.successions`):
      0 for voices that only move in parallel (r = 1), 1 for exact mirror motion (r = -1),
      0.5 when either voice never moves (r taken as 0). None with fewer than two successions.
    - ``onset_synchrony``: share of the pair's simultaneities (onsets of either voice where both
      sound) at which both voices attack.
    - ``contrary``, ``oblique``, ``similar``, ``parallel``: shares of the successions in which
      something moves (:func:`motion`).
    - ``register_overlap``: length of the intersection of the two ranges (lowest to highest
      MIDI) over the length of their union; ``crossing``: share of simultaneities with the lower
      voice above the upper.
    """
    succ = pair_successions(upper, lower)
    grid = pair_grid(upper, lower)
    out: dict = {}
    if len(succ) >= 2:
        steps = diatonic_successions(upper, lower)
        da = np.array([s[0] for s in steps], dtype=float)
        db = np.array([s[1] for s in steps], dtype=float)
        if da.std() == 0 or db.std() == 0:
            r = 0.0
        else:
            r = float(np.corrcoef(da, db)[0, 1])
        out["independence"] = (1.0 - r) / 2.0
    else:
        out["independence"] = None
    out["onset_synchrony"] = (sum(1 for t, _, _ in grid if upper.attacks(t) and lower.attacks(t))
                              / len(grid)) if grid else None
    kinds = [k for k in (motion(*s) for s in succ) if k]
    for k in ("contrary", "oblique", "similar", "parallel"):
        out[k] = kinds.count(k) / len(kinds) if kinds else None
    if upper.midi and lower.midi:
        lo = max(min(upper.midi), min(lower.midi))
        hi = min(max(upper.midi), max(lower.midi))
        span = max(max(upper.midi), max(lower.midi)) - min(min(upper.midi), min(lower.midi))
        out["register_overlap"] = max(0, hi - lo) / span if span else 1.0
    else:
        out["register_overlap"] = None
    out["crossing"] = sum(1 for _, a, b in grid if b > a) / len(grid) if grid else None
    return out


def voice_independence(piece: Piece) -> dict:
    """Independence of every pair of voices (``pairs``: ``{"Soprano-Bass": {...}}`` from
    :func:`pair_independence`) and the piece's summary: ``independence_min`` (the least
    independent pair), ``independence_mean``, and the means over pairs of onset synchrony,
    the motion shares, register overlap and crossing."""
    ls = lines(piece)
    names = [v.name for v in piece.voices]
    pairs = {f"{names[i]}-{names[j]}": pair_independence(ls[i], ls[j])
             for i, j in combinations(range(len(ls)), 2)}
    out: dict = {"pairs": pairs}
    ind = [p["independence"] for p in pairs.values() if p["independence"] is not None]
    out["independence_min"] = min(ind) if ind else None
    out["independence_mean"] = float(np.mean(ind)) if ind else None
    for k in ("onset_synchrony", "contrary", "oblique", "similar", "parallel",
              "register_overlap", "crossing"):
        vals = [p[k] for p in pairs.values() if p[k] is not None]
        out[k] = float(np.mean(vals)) if vals else None
    return out
