"""Harmonic validity: chords on the beats, non-chord tones, the chord progression under a
bigram model fitted on Bach, cadences at phrase ends.

Chords are pitch-class sets matched against tertian templates (Pardo & Birmingham 2002,
"Algorithms for chordal analysis", Computer Music Journal 26: template matching of pitch-class
sets). Roots are written relative to the piece's final, so ``7:maj`` is the major chord on the
fifth degree.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from fractions import Fraction

from stretto.analysis.view import beats, lines, phrase_ends, tonic_pc
from stretto.score import Piece

# quality -> intervals above the root; the second tone listed is the third
QUALITIES = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8),
    "7": (0, 4, 7, 10), "m7": (0, 3, 7, 10), "maj7": (0, 4, 7, 11), "hdim7": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9),
}
VOCABULARY = [f"{r}:{q}" for r in range(12) for q in QUALITIES] + ["X"]


def _candidates(pcs: frozenset[int]):
    for qi, (q, ivs) in enumerate(QUALITIES.items()):
        for root in range(12):
            tones = {(root + i) % 12 for i in ivs}
            third = (root + ivs[1]) % 12
            if root in pcs and third in pcs:
                yield root, q, qi, tones


def label_chord(pcs, bass: int | None = None) -> tuple[int, str, frozenset[int]] | None:
    """The chord a pitch-class set spells: ``(root, quality, chord_tones)``.

    The chord must contain the set's root and third (a bare fifth or octave is no chord); among
    the templates that cover the most of the set, the smallest (triads before sevenths) wins,
    then the one rooted on ``bass``, then the template order. Returns None when no template
    holds both a root and its third from the set.
    """
    pcs = frozenset(pcs)
    best = None
    for root, q, qi, tones in _candidates(pcs):
        key = (-len(pcs & tones), len(tones), 0 if root == bass else 1, qi, root)
        if best is None or key < best[0]:
            best = (key, root, q, frozenset(tones))
    if best is None:
        return None
    return best[1], best[2], best[3]


def beat_chords(piece: Piece) -> list[tuple[Fraction, str, frozenset[int] | None, bool]]:
    """For each beat with sound: ``(time, label, chord_tones, complete)``; ``label`` is
    ``"root:quality"`` (root relative to the final) or ``"X"``; ``complete`` is True when every
    sounding pitch class belongs to the chord."""
    ls = lines(piece)
    tonic = tonic_pc(piece)
    out = []
    for t in beats(piece):
        sounding = [m for m in (line.at(t) for line in ls) if m is not None]
        if not sounding:
            continue
        pcs = frozenset(m % 12 for m in sounding)
        ch = label_chord(pcs, bass=min(sounding) % 12)
        if ch is None:
            out.append((t, "X", None, False))
        else:
            root, q, tones = ch
            out.append((t, f"{(root - tonic) % 12}:{q}", tones, pcs <= tones))
    return out


def progression(chords) -> list[str]:
    """Chord labels with immediate repetitions merged (the progression as heard)."""
    out: list[str] = []
    for _, label, _, _ in chords:
        if not out or out[-1] != label:
            out.append(label)
    return out


_BIGRAMS: dict = {}  # (reference id, held-out fold) -> counts: folds are summed once


def bigram_counts(reference: dict, held_out_fold: int | None = None) -> dict:
    """Chord-bigram counts over all folds but ``held_out_fold``."""
    key = (id(reference), held_out_fold)
    if key not in _BIGRAMS:
        total: dict[str, dict[str, float]] = {}
        for f, fold in enumerate(reference["bigrams"]):
            if f == held_out_fold:
                continue
            for a, row in fold.items():
                dst = total.setdefault(a, {})
                for b, c in row.items():
                    dst[b] = dst.get(b, 0.0) + c
        _BIGRAMS[key] = total
    return _BIGRAMS[key]


def bigram_loglik(labels: list[str], counts: dict[str, dict[str, float]]) -> float | None:
    """Mean log2-probability per chord change of ``labels`` under a bigram model with add-one
    smoothing over :data:`VOCABULARY`: P(b | a) = (c(a, b) + 1) / (c(a) + |V|), with ``counts``
    fitted on Bach's chorales (:mod:`stretto.analysis.reference`). None with no change. Source:
    n-gram chord models, e.g. Rohrmeier & Graepel (2012), "Comparing feature-based models of
    harmony", CMMR."""
    if len(labels) < 2:
        return None
    v = len(VOCABULARY)
    total = 0.0
    for a, b in zip(labels, labels[1:]):
        row = counts.get(a, {})
        total += math.log2((row.get(b, 0.0) + 1.0) / (sum(row.values()) + v))
    return total / (len(labels) - 1)


def non_chord_tones(piece: Piece, chords=None) -> dict:
    """Non-chord tones and how they are treated.

    A note is a non-chord tone when its pitch class is not in the chord of the beat it starts in
    (only beats with a recognised chord count). It is treated when it is left by step (1-2
    semitones) and either approached by step or prepared by the same pitch (passing and
    neighbour notes, suspensions); Source: the classes of dissonance treatment in Aldwell &
    Schachter, *Harmony and Voice Leading*, ch. 10-11 (escape tones and appoggiaturas count as
    untreated). Returns ``nct_share`` (non-chord tones over notes on recognised beats) and
    ``nct_treated`` (treated share, None without non-chord tones).
    """
    chords = chords if chords is not None else beat_chords(piece)
    times = [c[0] for c in chords]
    total = nct = treated = 0
    for line in lines(piece):
        for k, (onset, m) in enumerate(zip(line.onsets, line.midi)):
            i = bisect_right(times, onset) - 1
            if i < 0 or chords[i][2] is None:
                continue
            total += 1
            if m % 12 in chords[i][2]:
                continue
            nct += 1
            prev = line.midi[k - 1] if k > 0 else None
            nxt = line.midi[k + 1] if k + 1 < len(line.midi) else None
            left = nxt is not None and 1 <= abs(nxt - m) <= 2
            approached = prev is not None and abs(prev - m) <= 2
            treated += left and approached
    return {"nct_share": nct / total if total else None,
            "nct_treated": treated / nct if nct else None}


def _root(label: str) -> int | None:
    return None if label == "X" else int(label.split(":")[0])


def cadence_at(piece: Piece, end: Fraction, chords=None) -> str | None:
    """The cadence closing at ``end``, if any, judged on the last two distinct recognised chords
    of the two bars before it: ``authentic`` (the root falls a fifth into a major or minor
    chord), ``plagal`` (falls a fourth, the added-sixth chord read as a minor seventh included), ``half`` (ends on the major chord of the fifth
    degree), ``clausula`` (two voices move by contrary step from a sixth out to an octave or from a
    third in to a unison: Fux's clausula vera, the cadence of two-voice counterpoint), or None."""
    chords = chords if chords is not None else beat_chords(piece)
    before = [c for c in chords if c[0] < end]
    ls = lines(piece)
    # clausula: look at the last two onsets of each voice before end
    last = []
    for line in ls:
        idx = [k for k, o in enumerate(line.onsets) if o < end]
        if len(idx) >= 2:
            k = idx[-1]
            last.append((line.midi[k - 1], line.midi[k]))
    for i in range(len(last)):
        for j in range(i + 1, len(last)):
            (a0, a1), (b0, b1) = last[i], last[j]
            da, db = a1 - a0, b1 - b0
            if not (1 <= abs(da) <= 2 and 1 <= abs(db) <= 2) or (a1 - b1) % 12:
                continue
            gap = (a0 - b0) % 12
            if (da > 0 > db and gap in (8, 9)) or (da < 0 < db and gap in (3, 4)):
                return "clausula"
    # unrecognised beats (suspensions, passing chords) decorate their neighbours: skip them
    window = [c for c in before if c[0] >= end - 2 * piece.bar_length and c[1] != "X"]
    prog = progression(window)
    if not prog:
        return None
    final = prog[-1]
    if final.endswith(("maj", "min")) and len(prog) >= 2:
        fall = (_root(prog[-2]) - _root(final)) % 12
        if fall == 7:
            return "authentic"
        # a minor seventh chord is also the added-sixth chord a minor third higher (ii7 = IV6/5)
        if fall == 5 or (prog[-2].endswith(":m7") and (fall + 3) % 12 == 5):
            return "plagal"
    if final == "7:maj":
        return "half"
    return None


def harmonic_validity(piece: Piece, reference: dict | None = None,
                      held_out_fold: int | None = None) -> dict:
    """Harmonic validity of a piece:

    - ``chord_share``: share of sounding beats whose pitch classes all belong to one recognised
      chord (:func:`label_chord`);
    - ``nct_share``, ``nct_treated``: :func:`non_chord_tones`;
    - ``progression_loglik``: :func:`bigram_loglik` of the progression under Bach's chord
      bigrams; for a Bach chorale (``held_out_fold``) the model is fitted without its fold
      (five folds, so a chorale never scores against itself);
    - ``cadence_share``: share of phrase ends (:func:`stretto.analysis.view.phrase_ends`) closed
      by a cadence (:func:`cadence_at`).
    """
    chords = beat_chords(piece)
    out: dict = {}
    out["chord_share"] = (sum(1 for c in chords if c[3]) / len(chords)) if chords else None
    out.update(non_chord_tones(piece, chords))
    if reference:
        out["progression_loglik"] = bigram_loglik(progression(chords),
                                                  bigram_counts(reference, held_out_fold))
    else:
        out["progression_loglik"] = None
    ends = phrase_ends(piece)
    cads = [cadence_at(piece, e, chords) for e in ends]
    out["cadence_share"] = sum(1 for c in cads if c) / len(cads) if cads else None
    out["cadences"] = [c or "-" for c in cads]
    return out
