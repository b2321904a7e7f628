"""Where Bach's chorales break the label-free four-part rules, and how.

Runs the checker's label-free four-part rules (``stretto.check.satb.VOICE_LEADING``, on the
metre's beats) over every four-part chorale of music21's corpus and prints, per rule, the
violations per 100 notes and how they split: motion into the first beat after a fermata
("across a phrase end"), motion between beats with notes between them in one of the two
voices ("through passing notes"), plain beat-to-beat motion, and, for consecutive fifths and
octaves, similar against contrary motion. Usage::

    python bench/bach_voice_leading.py            # all chorales (about 1 min on one core)
    python bench/bach_voice_leading.py --limit 40
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from fractions import Fraction

from stretto.analysis.bench import load_job, suite_jobs
from stretto.analysis.view import note_count
from stretto.check.satb import VOICE_LEADING, beat_grid, voice_ranges
from stretto.errors import BadInput

MOTION = {"overlap", "parallel-perfect", "satb-direct"}


def where(piece, g, v, ends: set[Fraction]) -> str:
    """How a motion rule's violation ``v`` arises (see the module text)."""
    i = next(k for k, t in enumerate(g.onsets) if piece.bar_beat(t) == (v.bar, v.beat))
    a, t = g.onsets[i - 1], g.onsets[i]
    if t in ends:
        return "across a phrase end"
    voices = [piece.voice(name) for name in v.voices]
    if any(a < n.onset < t for voice in voices for n in voice.sounding()):
        return "through passing notes"
    return "beat to beat"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="at most this many chorales")
    args = ap.parse_args()
    jobs = suite_jobs("bach", limit=args.limit)
    start = time.perf_counter()
    counts: Counter = Counter()
    split: Counter = Counter()
    notes = pieces = 0
    for job in jobs:
        try:
            piece = load_job(job)[0]
        except BadInput:
            continue
        pieces += 1
        notes += note_count(piece)
        ends = {Fraction(e) for e in piece.info.get("phrase_ends", [])}
        g = beat_grid(piece, ranges=voice_ranges(piece))
        for rule_fn in VOICE_LEADING:
            for v in rule_fn(g):
                counts[v.rule] += 1
                if v.rule in MOTION:
                    split[v.rule, where(piece, g, v, ends)] += 1
                if v.rule == "parallel-perfect":
                    split[v.rule, "by contrary motion" if "contrary" in v.message
                          else "by similar motion"] += 1
    print(f"{pieces} chorales, {notes} notes, {time.perf_counter() - start:.0f} s")
    print(f"{'rule':18} {'per 100 notes':>13}  split")
    for rule, n in counts.most_common():
        parts = ", ".join(f"{how} {100 * k / n:.0f} %" for (r, how), k in sorted(split.items())
                          if r == rule)
        print(f"{rule:18} {100 * n / notes:13.3f}  {parts}")
    print(f"{'all':18} {100 * sum(counts.values()) / notes:13.3f}")


if __name__ == "__main__":
    main()
