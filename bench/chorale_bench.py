"""Harmonize the soprano of every Bach chorale in music21's corpus (371, Riemenschneider) and
compare with Bach.

    python bench/chorale_bench.py [--limit N] [--jobs 2] [--time-limit 10]

For each chorale: the soprano is read like ``stretto harmonize`` reads a melody (fermatas,
pickup), then harmonized twice: once to a first valid score (``objective=False``: the time
reported as "first valid") and once with the preferences optimised (the score that is checked
and compared). Printed: success rate (a score with zero hard violations from the independent
checker), median and p95 time to a first valid score (model building + solve, not file
parsing), hard violations, parallel fifths/octaves per 100 beat-to-beat moves for stretto and
for Bach's own four parts (same beats, same counting), agreement with Bach's chords (same
Roman numeral, ignoring inversion and seventh, with Bach's chord read in the key stretto's
analysis is in on that beat, its local key after a modulation) and bass (same pitch class on the beat).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from fractions import Fraction
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _parallels(rows, links) -> tuple[int, int]:
    """(parallel perfect pairs, beat-to-beat moves) over consecutive rows of 4 midi numbers
    (only between beats not separated by a rest in the harmonization)."""
    par = moves = 0
    for a, b, linked in zip(rows, rows[1:], links):
        if a is None or b is None or not linked:
            continue
        moves += 1
        for i in range(4):
            for j in range(i + 1, 4):
                if a[i] == b[i] or a[j] == b[j]:
                    continue
                d1, d2 = (a[i] - a[j]) % 12, (b[i] - b[j]) % 12
                if d1 == d2 and d1 in (0, 7):
                    par += 1
    return par, moves


def _bach_rows(score, onsets, shift):
    parts = {}
    for p in score.parts:
        name = (p.partName or "").lower()
        for want in ("soprano", "alto", "tenor", "bass"):
            if name.startswith(want) and want not in parts:
                parts[want] = p.flatten().notes
    if len(parts) < 4:
        return None
    rows = []
    for t in onsets:
        q = float(t - shift)
        row = []
        for want in ("soprano", "alto", "tenor", "bass"):
            n = next((n for n in parts[want] if n.offset <= q < n.offset + n.quarterLength),
                     None)
            if n is None or n.isChord:
                row = None
                break
            row.append(n.pitch.midi)
        rows.append(row)
    return rows


def _numeral(label: str) -> str:
    main, _, sec = label.partition("/")
    if label.startswith("ii/o"):
        main, sec = "ii", ""
    alone = "".join(ch for ch in main if ch in "IViv")
    return alone + ("/" + sec if sec else "")


def one(name: str, time_limit: float):
    import music21
    from music21 import corpus, roman

    from stretto.check import check, hard
    from stretto.errors import StrettoError
    from stretto.io.melody import melody_from_stream
    from stretto.solver.tonal.harmonize import harmonize
    from stretto.solver.cpsat.settings import SolveSettings

    score = corpus.parse(name)
    out = {"name": name}
    try:
        melody = melody_from_stream(score, name)
        t0 = time.perf_counter()
        first = harmonize(melody, SolveSettings(time_limit=time_limit, objective=False))
        out["first_time"] = time.perf_counter() - t0
        result = harmonize(melody, SolveSettings(time_limit=time_limit))
    except StrettoError as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
        return out
    piece = result.piece
    if piece is None or first.piece is None:
        out["error"] = "no score in time"
        return out
    out["hard"] = len(hard(check(piece))) + len(hard(check(first.piece)))
    h = piece.info["harmony"]
    onsets = [Fraction(a["onset"]) for a in h["analysis"]]
    ours = []
    for t in onsets:
        ours.append([v.at(t).pitch.midi for v in piece.voices])
    from stretto.check.satb import linked

    links = [linked(piece, a, b) for a, b in zip(onsets, onsets[1:])]
    out["ours"] = _parallels(ours, links)
    bach = _bach_rows(score, onsets, melody.pickup_shift)
    if bach is not None:
        out["bach"] = _parallels(bach, links)
        def m21key(name):
            tonic, mode = name.split()
            return music21.key.Key(tonic.replace("b", "-") if len(tonic) > 1 else tonic, mode)

        agree = bass_same = n = 0
        for a, row in zip(h["analysis"], bach):
            if row is None:
                continue
            n += 1
            t = Fraction(a["onset"])
            ch = music21.chord.Chord(row)
            try:  # Bach's chord read in the key stretto's analysis is in on that beat
                rn = roman.romanNumeralFromChord(ch, m21key(a.get("key", h["key"])))
                theirs = _numeral(rn.figure)
            except Exception:  # noqa: BLE001 - unanalysable sonority
                theirs = "?"
            agree += _numeral(a.get("local", a["chord"])) == theirs
            ourbass = piece.voices[3].at(t).pitch.midi
            bass_same += ourbass % 12 == row[3] % 12
        out["chords"] = (agree, n)
        out["bass"] = (bass_same, n)
    return out


def _run(args):
    return one(*args)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="only the first N chorales")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--time-limit", type=float, default=10.0)
    args = ap.parse_args()
    from music21 import corpus

    names = list(corpus.chorales.Iterator(returnType="filename"))
    if args.limit:
        names = names[:args.limit]
    start = time.perf_counter()
    with Pool(args.jobs) as pool:
        results = pool.map(_run, [(n, args.time_limit) for n in names], chunksize=1)
    wall = time.perf_counter() - start
    ok = [r for r in results if "error" not in r and r["hard"] == 0]
    failed = [r for r in results if r not in ok]
    times = sorted(r["first_time"] for r in results if "first_time" in r)
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))] if times else 0
    hard_total = sum(r.get("hard", 0) for r in results)

    def rate(key):
        par = sum(r[key][0] for r in ok if key in r)
        moves = sum(r[key][1] for r in ok if key in r)
        return 100 * par / moves if moves else 0.0

    def share(key):
        a = sum(r[key][0] for r in ok if key in r)
        n = sum(r[key][1] for r in ok if key in r)
        return 100 * a / n if n else 0.0

    print("| chorales | success | first valid: median s | p95 s | hard violations | "
          "parallel 5/8 per 100 moves (stretto) | (Bach) | chord agreement % | "
          "bass agreement % |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {len(results)} | {100 * len(ok) / len(results):.1f}% | "
          f"{statistics.median(times):.2f} | {p95:.2f} | {hard_total} | {rate('ours'):.2f} | "
          f"{rate('bach'):.2f} | {share('chords'):.1f} | {share('bass'):.1f} |")
    print(f"\n{args.jobs} jobs, {wall:.0f} s wall")
    for r in failed:
        print(f"  failed {r['name']}: {r.get('error', str(r.get('hard')) + ' hard violations')}")


if __name__ == "__main__":
    main()
