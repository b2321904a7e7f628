"""Renderer benchmark: real-time factor per voice, peak memory and fidelity.

    python bench/render_bench.py [--runs 5] [--sr 48000]

For each score (a solved four-voice first-species piece and Bach's chorale BWV 66.6 from
music21's corpus) and each built-in instrument, renders every voice ``--runs`` times and prints
the median real-time factor per voice (render seconds / audio seconds / voices), the peak
memory the render allocates (tracemalloc) and the fidelity check's figures (the worst voice:
note accuracy, octave errors, frame accuracy, voicing recall, median onset error). With
tinysoundfont and pretty_midi installed, the SoundFont path (TimGM6mb.sf2) is measured too.
Targets: RTF <= 0.02 per voice, note accuracy >= 0.99.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def species_piece():
    from stretto.cli import main
    from stretto.io import read_score

    with tempfile.TemporaryDirectory() as tmp:
        with contextlib.redirect_stdout(io.StringIO()):
            main(["species", "--cantus-name", "fux-dorian", "--species", "1", "--voices", "4",
                  "--cantus-voice", "2", "--out", tmp, "--time-limit", "5"])
        return read_score(Path(tmp) / "score.json")


def chorale_piece():
    import music21

    from stretto.io import read_score

    return read_score(Path(music21.corpus.getWork("bach/bwv66.6")))


def measure(piece, instrument, sr, runs, soundfont=None):
    from stretto.renderer.render import render_piece
    from stretto.renderer.verify import verify_render

    instruments = [instrument] * len(piece.voices)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render = render_piece(piece, sr=sr, instruments=instruments, soundfont=soundfont,
                              progress=False)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    render_piece(piece, sr=sr, instruments=instruments, soundfont=soundfont, progress=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    results = verify_render(render, progress=False)
    worst = min(results, key=lambda r: r.note_accuracy)
    rtf = statistics.median(times) / render.duration / len(piece.voices)
    return {"rtf": rtf, "seconds": render.duration, "voices": len(piece.voices),
            "notes": sum(r.notes for r in results), "peak_mb": peak / 2**20,
            "acc": min(r.note_accuracy for r in results),
            "octave": sum(r.octave_errors for r in results),
            "frame": min(r.frame_accuracy for r in results),
            "voicing": min(r.voicing_recall for r in results),
            "onset": max(r.onset_error_ms for r in results), "worst": worst.voice}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sr", type=int, default=48_000)
    parser.add_argument("--instruments", default="choir,strings,organ,piano,flute,clarinet")
    args = parser.parse_args()
    from stretto.renderer.soundfont import shipped_soundfont

    pieces = {"species 1, 4 voices": species_piece(), "BWV 66.6": chorale_piece()}
    configs = [(name, None) for name in args.instruments.split(",")]
    font = shipped_soundfont()
    try:
        import tinysoundfont  # noqa: F401
    except ImportError:
        font = None
    if font is not None:
        configs += [("choir", font), ("organ", font)]
    print(f"sample rate {args.sr} Hz, median of {args.runs} runs, "
          f"{os.cpu_count()} cores, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}")
    print()
    print("| score | instrument | voices | audio s | RTF per voice | peak MB | note acc (min) "
          "| octave errors | frame acc (min) | voicing (min) | onset ms (max median) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for pname, piece in pieces.items():
        for inst, sf2 in configs:
            m = measure(piece, inst, args.sr, args.runs, sf2)
            label = f"{inst} (SoundFont TimGM6mb)" if sf2 else inst
            print(f"| {pname} | {label} | {m['voices']} | {m['seconds']:.1f} | "
                  f"{m['rtf']:.4f} | {m['peak_mb']:.0f} | {m['acc']:.3f} | {m['octave']} | "
                  f"{m['frame']:.3f} | {m['voicing']:.3f} | {m['onset']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
