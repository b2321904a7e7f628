"""Benchmark of editing by constraints: how fast a pin re-solves, and how little it changes.

Usage: ``python bench/edit_bench.py [--quick] [--time-limit S]``

For each of Fux's cantus firmi (11-14 bars), a first-species score in two voices (cantus
below) and in four voices (cantus in the tenor) is solved once; then voice 1 is pinned, in bars
3, the middle and n-2 in turn, to the first other pitch (a third, fifth, sixth ... over the
lowest voice) under which a score exists, and re-solved with :func:`stretto.solver.species.edit.resolve`
(the previous score is the hint: fewest changed notes first, then the preferences). Reported per
texture: median and p90 re-solve latency (wall clock, the whole ``resolve`` call: model build,
both stages), the share of the other voices' notes outside bars B-1..B+1 that stayed the same,
and the latency of explaining a pin that cannot hold (a seventh over the lowest voice).

Targets (from the issue): re-solve p50 <= 300 ms; >= 80% of notes outside B-1..B+1 unchanged.

The chorale row: Bach chorale melodies of 30-40 chords (the first ``--chorales`` in music21's
corpus order) are harmonized once; then the alto, tenor and bass are pinned in turn at a
quarter, half and three quarters of the way through, each to the first pitch a step or two
away (letter steps in the key) under which a score exists, and re-solved with
:func:`stretto.solver.tonal.chorale_edit.resolve` (exact dynamic programming on the chain, confirmed
by CP-SAT). Reported: median and p90 re-solve latency and the share of the solver's notes
outside bars B-1..B+1 kept. Target: p50 <= 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from fractions import Fraction

from stretto.corpora import cantus_names, load_cantus
from stretto.edits import Pin
from stretto.errors import Unsatisfiable
from stretto.solver import SolveSettings, SpeciesSpec, solve_species
from stretto.solver.species.edit import resolve

TEXTURES = {"2 voices, species 1": ((1,), 1), "4 voices, species 1": ((1, 1, 1), 2)}


def p90(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=10, method="inclusive")[-1] if len(xs) > 1 else xs[0]


def one_pin(spec, piece, bar, settings):
    """(seconds, kept share outside B-1..B+1) of the first pin in ``bar`` that can hold."""
    bass = piece.voices[-1].sounding()[bar - 1].pitch
    current = piece.voices[0].sounding()[bar - 1].pitch
    for steps in (9, 11, 12, 14, 16, 7, 4):
        cand = piece.mode.diatonic_pitch(bass.diatonic + steps)
        if cand == current:
            continue
        t0 = time.perf_counter()
        try:
            out = resolve(spec, (Pin("c1", 0, bar, Fraction(1), cand),), piece, settings)
        except Unsatisfiable:
            continue
        dt = time.perf_counter() - t0
        kept = total = 0
        for v, voice in enumerate(out.result.piece.voices):
            if v == spec.cantus_voice:
                continue
            old = piece.voices[v].sounding()
            for i, n in enumerate(voice.sounding()):
                if abs(i + 1 - bar) <= 1 or (v == 0 and i + 1 == bar):
                    continue
                total += 1
                kept += i < len(old) and (old[i].pitch, old[i].onset) == (n.pitch, n.onset)
        return dt, kept / total if total else 1.0
    return None


def conflict_time(spec, piece, settings) -> float | None:
    bar = len(spec.cantus) // 2
    bass = piece.voices[-1].sounding()[bar - 1].pitch
    seventh = piece.mode.diatonic_pitch(bass.diatonic + 13)
    t0 = time.perf_counter()
    try:
        resolve(spec, (Pin("c1", 0, bar, Fraction(1), seventh),), piece, settings)
    except Unsatisfiable:
        return time.perf_counter() - t0
    return None


def chorale_rows(count: int, settings) -> tuple[list[float], list[float], list[str]]:
    """(re-solve seconds, kept shares, chorale names) over the chorale pins (module text)."""
    from music21 import corpus

    from stretto.io.melody import melody_from_stream, melody_to_dict
    from stretto.solver.tonal import chorale_edit, chorale_task
    from stretto.solver.cpsat.region import mark_origins
    from stretto.solver.tonal.harmonize import harmonize

    times, kept, names = [], [], []
    for name in corpus.chorales.Iterator(returnType="filename"):
        if len(names) >= count:
            break
        melody = melody_from_stream(corpus.parse(name), name)
        try:
            result = harmonize(melody, settings)
        except Exception:  # noqa: BLE001 - a melody stretto cannot harmonize is skipped
            continue
        spec = {"melody": melody_to_dict(melody), "key": result.stats["key"],
                "beats_per_chord": 1, "ornament": False}
        task = chorale_task.task_of("harmonize", spec)
        if result.piece is None or not 30 <= len(task.onsets) <= 40:
            continue
        names.append(name)
        piece = mark_origins(result.piece, (), "r1")
        T = len(task.onsets)
        for t in (T // 4, T // 2, 3 * T // 4):
            bar = task.bar_of(t)
            beat = task.onsets[t] - (bar - 1) * task.bar_length + 1
            for v in (1, 2, 3):
                now = piece.voices[v].at(task.onsets[t]).pitch
                for steps in (1, -1, 2, -2, 3, -3, 4, -4):
                    cand = piece.mode.diatonic_pitch(now.diatonic + steps)
                    t0 = time.perf_counter()
                    try:
                        out = chorale_edit.resolve("harmonize", spec,
                                                   (Pin("c1", v, bar, beat, cand),), piece,
                                                   settings)
                    except Unsatisfiable:
                        continue
                    times.append(time.perf_counter() - t0)
                    same = total = 0
                    for w in (1, 2, 3):
                        old = {(n.onset, n.pitch) for n in piece.voices[w].sounding()}
                        for n in out.result.piece.voices[w].sounding():
                            if abs(int(n.onset // task.bar_length) + 1 - bar) <= 1:
                                continue
                            total += 1
                            same += (n.onset, n.pitch) in old
                    kept.append(same / total if total else 1.0)
                    break
        print(f"<!-- chorale {name}: {len(times)} pins so far -->", file=sys.stderr, flush=True)
    return times, kept, names


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="two cantus firmi only")
    ap.add_argument("--time-limit", type=float, default=5.0)
    ap.add_argument("--chorales", type=int, default=5,
                    help="Bach chorale harmonizations of 30-40 chords to pin (0: none)")
    args = ap.parse_args(argv)
    names = ["fux-dorian", "fux-mixolydian"] if args.quick else cantus_names()
    settings = SolveSettings(time_limit=args.time_limit)
    print("# stretto edit benchmark\n")
    print(f"settings: time limit {args.time_limit:g} s, workers 1, seed 0; cantus firmi: "
          f"{', '.join(names)}\n")
    print("| texture | pins | p50 re-solve (ms) | p90 re-solve (ms) | median kept outside "
          "B-1..B+1 | min kept | p50 conflict explanation (ms) |")
    print("|---|---|---|---|---|---|---|")
    for label, (species, cantus_voice) in TEXTURES.items():
        times, kept, conflicts = [], [], []
        for name in names:
            cantus, mode = load_cantus(name)
            spec = SpeciesSpec(cantus=tuple(cantus), mode=mode, species=species,
                               cantus_voice=cantus_voice)
            piece = solve_species(spec, settings).piece
            n = len(cantus)
            for bar in sorted({3, n // 2, n - 2}):
                got = one_pin(spec, piece, bar, settings)
                if got is not None:
                    times.append(got[0])
                    kept.append(got[1])
            c = conflict_time(spec, piece, settings)
            if c is not None:
                conflicts.append(c)
            print(f"<!-- {label}, {name}: {len(times)} pins so far -->", file=sys.stderr,
                  flush=True)
        conflict = f"{statistics.median(conflicts) * 1000:.0f}" if conflicts else "-"
        print(f"| {label} | {len(times)} | {statistics.median(times) * 1000:.0f} "
              f"| {p90(times) * 1000:.0f} | {statistics.median(kept):.0%} | {min(kept):.0%} "
              f"| {conflict} |")
    if args.chorales:
        times, kept, chorales = chorale_rows(args.chorales, settings)
        print(f"| 4 voices, chorale harmonization ({len(chorales)} Bach melodies, 30-40 "
              f"chords) | {len(times)} | {statistics.median(times) * 1000:.0f} "
              f"| {p90(times) * 1000:.0f} | {statistics.median(kept):.0%} | {min(kept):.0%} "
              "| - |")
        print(f"\nchorales: {', '.join(chorales)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
