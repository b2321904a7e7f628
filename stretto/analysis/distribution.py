"""Histograms of pitch class, melodic interval and inter-onset interval, and their closeness.

The features and the overlapping-area measure follow mgeval (Yang & Lerch 2020, "On the
evaluation of generative models in music", Neural Computing and Applications 32; code:
github.com/RichardYang40148/mgeval): ``total_pitch_class_histogram``, ``pitch interval`` and
``note length``/inter-onset features, compared by the overlapping area (OA) of two
distributions. mgeval takes the OA of kernel density estimates of intra- and inter-set distance
distributions; here the OA is taken directly between the two normalised histograms,
OA(p, q) = sum_i min(p_i, q_i), which is 1 for identical and 0 for disjoint distributions.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from stretto.analysis.view import beat_length, lines, tonic_pc
from stretto.score import Piece

INTERVAL_BINS = 25  # -12 .. +12 semitones, larger leaps clipped to an octave
IOI_EDGES = (0.3, 0.4, 0.6, 0.7, 0.9, 1.1, 1.6, 2.1, 3.1, 4.1)  # in beats
IOI_BINS = len(IOI_EDGES) + 1


def overlapping_area(p, q) -> float | None:
    """OA(p, q) = sum_i min(p_i, q_i) of two histograms, each normalised to sum 1; None when
    either is empty. Source: mgeval's overlapping area (Yang & Lerch 2020), on histograms."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    if p.sum() <= 0 or q.sum() <= 0:
        return None
    return float(np.minimum(p / p.sum(), q / q.sum()).sum())


def pitch_class_histogram(piece: Piece) -> np.ndarray:
    """Note counts per pitch class relative to the final (index 0 = the final), all voices,
    ties merged (mgeval's total_pitch_class_histogram, transposed to the final)."""
    h = np.zeros(12)
    tonic = tonic_pc(piece)
    for line in lines(piece):
        for m in line.midi:
            h[(m - tonic) % 12] += 1
    return h


def interval_histogram_of(intervals) -> np.ndarray:
    """Counts of melodic intervals -12..+12 semitones (clipped), index 12 = repeated note."""
    h = np.zeros(INTERVAL_BINS)
    for i in intervals:
        h[max(-12, min(12, i)) + 12] += 1
    return h


def interval_histogram(piece: Piece) -> np.ndarray:
    """Melodic intervals of all voices pooled (mgeval's pitch-interval histogram)."""
    h = np.zeros(INTERVAL_BINS)
    for line in lines(piece):
        h += interval_histogram_of(line.intervals())
    return h


def ioi_histogram(piece: Piece) -> np.ndarray:
    """Inter-onset intervals of each voice, measured in beats (so 2/2 and 4/4 compare), binned
    at ``IOI_EDGES`` (quarter, third, half, two-thirds, three-quarter, one, one-and-a-half, two,
    three, four beats and more)."""
    beat = beat_length(piece)
    h = np.zeros(IOI_BINS)
    for line in lines(piece):
        for a, b in zip(line.onsets, line.onsets[1:]):
            x = float(Fraction(b - a) / beat)
            h[int(np.searchsorted(IOI_EDGES, x))] += 1
    return h


def closeness(piece: Piece, reference: dict) -> dict:
    """Overlapping areas with Bach's pooled histograms: ``oa_pitch_class``, ``oa_interval``,
    ``oa_ioi`` (each 0-1, 1 = the same distribution), from the reference of
    :mod:`stretto.analysis.reference`."""
    return {
        "oa_pitch_class": overlapping_area(pitch_class_histogram(piece),
                                           reference["pitch_class"]),
        "oa_interval": overlapping_area(interval_histogram(piece), reference["interval"]),
        "oa_ioi": overlapping_area(ioi_histogram(piece), reference["ioi"]),
    }
