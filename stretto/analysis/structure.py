"""Structural coherence: cadence plan, key stability and key plan, motif recurrence, phrase
regularity."""

from __future__ import annotations

from collections import Counter

import numpy as np

from stretto.analysis.harmony import beat_chords, cadence_at
from stretto.analysis.view import lines, phrase_ends, scale_pcs, tonic_pc
from stretto.score import Piece

# Krumhansl & Kessler (1982) key profiles, C major and C minor.
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def find_key(chroma: np.ndarray) -> tuple[int, str] | None:
    """The best key ``(tonic_pc, "major"|"minor")`` of a duration-weighted chroma vector by the
    Krumhansl-Schmuckler algorithm (correlation with the Krumhansl-Kessler profiles; Krumhansl,
    *Cognitive Foundations of Musical Pitch*, 1990). Ties go to the lower tonic, major first."""
    if chroma.sum() <= 0 or chroma.std() == 0:
        return None
    best, key = -2.0, None
    for mode, prof in (("major", KK_MAJOR), ("minor", KK_MINOR)):
        for t in range(12):
            r = float(np.corrcoef(chroma, np.roll(prof, t))[0, 1])
            if r > best + 1e-12:
                best, key = r, (t, mode)
    return key


def _chroma(piece: Piece, start, stop) -> np.ndarray:
    """Duration-weighted pitch-class vector of the span [start, stop)."""
    on, off, pc = _note_arrays(piece)
    overlap = np.clip(np.minimum(off, float(stop)) - np.maximum(on, float(start)), 0, None)
    return np.bincount(pc, weights=overlap, minlength=12)


def _note_arrays(piece: Piece):
    ls = lines(piece)
    on = np.array([float(o) for line in ls for o in line.onsets])
    off = np.array([float(e) for line in ls for e in line.ends])
    pc = np.array([m % 12 for line in ls for m in line.midi], dtype=int)
    return on, off, pc


def _related(a: tuple[int, str], b: tuple[int, str]) -> bool:
    """Keys a and b are the same or closely related: their signatures differ by at most one
    accidental (tonic, dominant, subdominant and the relatives of each)."""
    def sig(k):  # position on the circle of fifths of the relative major
        t = k[0] if k[1] == "major" else (k[0] + 3) % 12
        return (t * 7) % 12
    d = (sig(a) - sig(b)) % 12
    return d in (0, 1, 11)


def key_stability(piece: Piece) -> dict:
    """Key stability and key plan.

    Windows of two bars, hopping one bar, each given a key by :func:`find_key`; the global key is
    that of the whole piece. ``key_stability`` is the share of windows in the global key;
    ``key_related`` the share in the global key or a closely related one (one accidental apart:
    the classical key plan of a chorale or a short piece). None for pieces under two bars.
    """
    bar = piece.bar_length
    n = piece.bars
    on, off, pc = _note_arrays(piece)

    def chroma(start, stop):
        overlap = np.clip(np.minimum(off, float(stop)) - np.maximum(on, float(start)), 0, None)
        return np.bincount(pc, weights=overlap, minlength=12)

    glob = find_key(chroma(0, piece.length))
    keys = []
    for b in range(max(n - 1, 0)):
        k = find_key(chroma(bar * b, bar * (b + 2)))
        if k is not None:
            keys.append(k)
    if glob is None or not keys:
        return {"key_stability": None, "key_related": None, "key": None}
    return {"key_stability": sum(1 for k in keys if k == glob) / len(keys),
            "key_related": sum(1 for k in keys if _related(k, glob)) / len(keys),
            "key": f"{glob[0]}:{glob[1]}"}


def cadence_plan(piece: Piece, chords=None) -> dict:
    """Cadence plan adherence: half for a final cadence (:func:`cadence_at` the end) whose
    lowest final note is the final of the mode, half for the share of inner phrase ends closed
    by a cadence on a degree of the mode (a close on I, II, III, IV, V or VI of the key, not on a
    chromatic chord). With no inner phrase end the final cadence counts alone. Source: the
    chorale's cadence plan (tonic, dominant, relative) as in Riemann's and Terry's accounts of
    Bach's chorales, reduced here to "every phrase closes, on the key's own degrees"."""
    chords = chords if chords is not None else beat_chords(piece)
    ends = phrase_ends(piece)
    ls = lines(piece)
    end = ends[-1]
    lows = [line.midi[-1] for line in ls if line.midi]
    final_ok = 1.0 if cadence_at(piece, end, chords) and lows \
        and min(lows) % 12 == tonic_pc(piece) else 0.0
    inner = ends[:-1]
    if not inner:
        return {"cadence_plan": final_ok, "final_cadence": final_ok}
    scale = {(p - tonic_pc(piece)) % 12 for p in scale_pcs(piece)}
    ok = 0
    for e in inner:
        last = [c for c in chords if c[0] < e and c[1] != "X"]
        if last and int(last[-1][1].split(":")[0]) in scale and cadence_at(piece, e, chords):
            ok += 1
    return {"cadence_plan": 0.5 * final_ok + 0.5 * ok / len(inner), "final_cadence": final_ok}


def motif_recurrence(piece: Piece, n: int = 4) -> dict:
    """Motif recurrence, a self-similarity structureness score: the share of ``n``-note segments
    (every voice, each segment as its ``n - 1`` melodic intervals and ``n`` durations, so
    transpositions match) that occur again somewhere in the piece - the rows of the segment
    self-similarity matrix with an off-diagonal exact match. Source: the structureness idea of
    self-similarity matrices (Foote 1999; used for generated music by Wu & Yang 2020, "The
    Jazz Transformer on the front line", ISMIR)."""
    segs = []
    for line in lines(piece):
        durs = line.durations
        for k in range(len(line.midi) - n + 1):
            segs.append((tuple(b - a for a, b in zip(line.midi[k:k + n - 1],
                                                     line.midi[k + 1:k + n])),
                         tuple(durs[k:k + n])))
    if not segs:
        return {"motif_recurrence": None}
    c = Counter(segs)
    return {"motif_recurrence": sum(1 for s in segs if c[s] > 1) / len(segs)}


def phrase_regularity(piece: Piece) -> dict:
    """Phrase regularity: 1 minus the coefficient of variation of phrase lengths (between
    successive :func:`stretto.analysis.view.phrase_ends`, from the start), clipped at 0; None
    with fewer than two phrases. ``phrases`` is their number."""
    ends = phrase_ends(piece)
    lengths = np.diff([0.0] + [float(e) for e in ends])
    if len(lengths) < 2:
        return {"phrase_regularity": None, "phrases": len(lengths)}
    cv = float(lengths.std() / lengths.mean())
    return {"phrase_regularity": max(0.0, 1.0 - cv), "phrases": len(lengths)}


def structural_coherence(piece: Piece, chords=None) -> dict:
    """All structure metrics of the module in one dict."""
    chords = chords if chords is not None else beat_chords(piece)
    out: dict = {}
    out.update(cadence_plan(piece, chords))
    out.update(key_stability(piece))
    out.update(motif_recurrence(piece))
    out.update(phrase_regularity(piece))
    return out
