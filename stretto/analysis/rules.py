"""Rule compliance: the independent checker's verdict, normalised, and parallel perfect
intervals counted from the score.

The rules themselves live in :mod:`stretto.check` (species rules, and whatever rule sets it
grows, such as SATB); this module only counts what :func:`stretto.check.check` returns.
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations

from stretto.analysis.view import lines, note_count, succession_times, pair_successions
from stretto.score import Piece


# The checker's rules that hold alike in species counterpoint and in four-part chorale
# writing (textbook voice leading: Aldwell & Schachter, Harmony and Voice Leading, ch. 5-7),
# as opposed to species-only rules (rhythm, no repeated notes, dissonance by species ...);
# satb-direct is the four-part rule set's name for direct fifths and octaves.
VOICE_LEADING_RULES = ("parallel-perfect", "direct-perfect", "satb-direct", "unison", "crossing",
                       "overlap")


def rule_compliance(piece: Piece, settings=None) -> dict:
    """Hard and soft violations per 100 notes, overall and by rule.

    Definition: run :func:`stretto.check.check` (with ``settings``, default the rulebook as the
    solver guarantees it; :data:`stretto.check.FUX_SETTINGS` for Fux's figures) and divide the
    number of violations by the number of sounding notes (ties merged) over 100. Returns
    ``{"rule_set": "species"|"satb"|"satb-voice-leading", "hard_per_100": x, "soft_per_100": y,
    "voice_leading_per_100": z, "by_rule": {rule: per_100}, "severity": {rule: "hard"|"soft"}}``;
    ``rule_set`` is the checker's choice (:func:`stretto.check.choose_rules`): the four-part
    rules with the Roman-numeral analysis for stretto's harmonizations and compositions
    (``satb``), the label-free four-part rules for any other four-part score without a cantus
    firmus (``satb-voice-leading``: Bach's chorales, imported files, the baselines), the
    species rules for species exercises. ``voice_leading_per_100`` counts only the rules of
    :data:`VOICE_LEADING_RULES`, the part of every rule set that applies to any style of
    polyphony. Source: the rulebook (:mod:`stretto.rulebook`), after Fux's *Gradus ad
    Parnassum* (1725), in Mann's translation, and the four-part rules of Aldwell & Schachter,
    *Harmony and Voice Leading*.
    """
    from stretto.check import CheckSettings, check, choose_rules

    violations = check(piece, settings=settings or CheckSettings())
    notes = max(note_count(piece), 1)
    counts = Counter(v.rule for v in violations)
    severity = {v.rule: v.severity for v in violations}
    n_hard = sum(1 for v in violations if v.severity == "hard")
    return {
        # which of the checker's rule sets judged the piece (see stretto.check.choose_rules)
        "rule_set": choose_rules(piece)[0],
        "hard_per_100": 100.0 * n_hard / notes,
        "soft_per_100": 100.0 * (len(violations) - n_hard) / notes,
        "voice_leading_per_100": 100.0 * sum(counts[r] for r in VOICE_LEADING_RULES) / notes,
        "by_rule": {r: 100.0 * c / notes for r, c in sorted(counts.items())},
        "severity": dict(sorted(severity.items())),
    }


def is_perfect_parallel(a0: int, b0: int, a1: int, b1: int) -> bool:
    """Both voices move in the same direction from one perfect interval to the same perfect
    interval class: fifth to fifth (7 semitones mod 12) or unison/octave to unison/octave
    (0 mod 12), compound intervals included."""
    da, db = a1 - a0, b1 - b0
    if da == 0 or db == 0 or (da > 0) != (db > 0):
        return False
    before, after = abs(a0 - b0) % 12, abs(a1 - b1) % 12
    return before == after and before in (0, 7)


def parallel_perfects(piece: Piece) -> dict:
    """Parallel perfect intervals per 1,000 voice-pair successions.

    Definition: for every pair of voices, the successions are the consecutive simultaneities of
    the pair (each onset of either voice where both sound, no rest between); a parallel perfect
    is a succession in similar motion from a fifth to a fifth or an octave/unison to an
    octave/unison (compound intervals reduced), see :func:`is_perfect_parallel`. Every onset
    counts, off-beat notes included, as in the checker (:mod:`stretto.check.onsets`), whose
    ``parallel-perfect`` also counts consecutive perfects by contrary motion; the beat-only
    view (``stretto check --beats``) may pass what this counts. Returns ``{"parallel_perfect_per_1000": x, "parallel_perfect": count,
    "successions": n, "parallel_perfect_at": ["Alto-Bass bar 3 beat 2", ...]}``; x is None
    with no successions. Source: the prohibition of consecutive perfect consonances (Fux,
    *Gradus*, first species); the per-1,000-succession rate follows Huron (2001, "Tone and
    Voice", Music Perception 19) counting voice-leading events per pair.
    """
    ls = lines(piece)
    names = [v.name for v in piece.voices]
    count = total = 0
    where = []
    for i, j in combinations(range(len(ls)), 2):
        for s, (_, t1) in zip(pair_successions(ls[i], ls[j]), succession_times(ls[i], ls[j])):
            total += 1
            if is_perfect_parallel(*s):
                count += 1
                bar, beat = piece.bar_beat(t1)
                where.append(f"{names[i]}-{names[j]} bar {bar} beat {beat}")
    return {"parallel_perfect_per_1000": 1000.0 * count / total if total else None,
            "parallel_perfect": count, "successions": total, "parallel_perfect_at": where}
