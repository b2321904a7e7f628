"""Where Bach's chorales break the label-free four-part rules, and how: beat to beat (the
literature's view) and at every onset (what ``stretto check`` judges).

Runs the checker's label-free four-part rules over every four-part chorale of music21's corpus
twice: ``stretto.check.satb.check_voice_leading(piece, beats=True)`` (motion from beat to beat
of the metre) and ``check_voice_leading(piece)`` (motion at every onset of each pair of voices,
:mod:`stretto.check.onsets`). Prints, per rule, the violations per 100 notes in both views; for
the motion rules, how the every-onset violations split: into the first beat after a fermata
("across a phrase end"), from or into a note between the beats ("off the beat"), or from beat
to beat; for parallels, similar against contrary motion; and the parallel perfects per 1,000
successions of a voice pair (the count ``bench/onset_audit.py`` reports for stretto's
harmonizations, judged by music21). Usage::

    python bench/bach_voice_leading.py            # all chorales (about 2 min on one core)
    python bench/bach_voice_leading.py --limit 40
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from fractions import Fraction

from stretto.analysis.bench import load_job, suite_jobs
from stretto.analysis.view import note_count
from stretto.check.model import metre_beat
from stretto.check.onsets import onset_successions
from stretto.check.satb import check_voice_leading
from stretto.errors import BadInput

MOTION = {"overlap", "parallel-perfect", "satb-direct"}


def where(piece, v, ends: set[Fraction], beat: Fraction) -> str:
    """How an every-onset motion violation ``v`` arises (see the module text)."""
    t = (v.bar - 1) * piece.bar_length + v.beat - 1
    if t in ends:
        return "across a phrase end"
    if t % beat:
        return "off the beat"
    # the move into a beat starts between the beats when either voice has a note there
    voices = [piece.voice(name) for name in v.voices]
    if any(t - beat < n.onset < t for voice in voices for n in voice.sounding()):
        return "off the beat"
    return "beat to beat"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="at most this many chorales")
    args = ap.parse_args()
    jobs = suite_jobs("bach", limit=args.limit)
    start = time.perf_counter()
    views: dict[str, Counter] = {"beats": Counter(), "onsets": Counter()}
    split: Counter = Counter()
    notes = pieces = pairs = 0
    for job in jobs:
        try:
            piece = load_job(job)[0]
        except BadInput:
            continue
        pieces += 1
        notes += note_count(piece)
        ends = {Fraction(e) for e in piece.info.get("phrase_ends", [])}
        beat = metre_beat(piece.meter)
        n = len(piece.voices)
        pairs += sum(1 for x in range(n) for y in range(x + 1, n)
                     for _ in onset_successions(piece, x, y))
        for v in check_voice_leading(piece, beats=True):
            views["beats"][v.rule] += 1
        for v in check_voice_leading(piece):
            views["onsets"][v.rule] += 1
            if v.rule in MOTION:
                split[v.rule, where(piece, v, ends, beat)] += 1
            if v.rule == "parallel-perfect":
                split[v.rule, "by contrary motion" if "contrary" in v.message
                      else "by similar motion"] += 1
    print(f"{pieces} chorales, {notes} notes, {pairs} voice-pair successions, "
          f"{time.perf_counter() - start:.0f} s")
    print()
    print("| rule | beats: per 100 notes | every onset: per 100 notes | every onset: split |")
    print("| --- | ---: | ---: | --- |")
    rules = sorted(set(views["beats"]) | set(views["onsets"]),
                   key=lambda r: -views["onsets"][r])
    for rule in rules:
        n = views["onsets"][rule]
        parts = ", ".join(f"{how} {100 * k / n:.0f} %" for (r, how), k in sorted(split.items())
                          if r == rule) if n else ""
        print(f"| {rule} | {100 * views['beats'][rule] / notes:.3f} | {100 * n / notes:.3f} | "
              f"{parts} |")
    print(f"| all | {100 * sum(views['beats'].values()) / notes:.3f} | "
          f"{100 * sum(views['onsets'].values()) / notes:.3f} | |")
    par = views["onsets"]["parallel-perfect"]
    similar = split["parallel-perfect", "by similar motion"]
    print()
    print(f"parallel perfects at every onset: {par} in {pairs} successions = "
          f"{1000 * par / pairs:.2f} per 1,000 ({similar} by similar motion = "
          f"{1000 * similar / pairs:.2f} per 1,000)")


if __name__ == "__main__":
    main()
