"""Benchmark of the neural renderer beside the built-in synthesis, in one run (one thread).

Prints the issue's figures:

1. fidelity - note accuracy (pyin, the same check as ``render --verify``), octave errors and
   onset error for a 4-voice species score and a chorale opening, with random untrained weights
   and with the checkpoint;
2. speed and memory - real-time factor per voice on one thread and peak RSS for a 4-voice score
   of about 30 s, each engine in its own child process (so the RSS is its own);
3. edit locality - after one changed note: the share of phrases rendered again, the re-render
   time as a share of a full render, unchanged voices byte-identical, the changed voice's
   differing samples inside the changed phrase;
4. likeness to the teacher - log-mel L1 and multi-resolution STFT distance to the teacher
   (FluidSynth + FluidR3_GM) on held-out pieces (not in the training data), per instrument, for
   the neural renderer and for the built-in synthesis, all scaled to one loudness, every line
   without words (the teacher sings "ah");
5. sung words - a held-out chorale opening (bwv66.6, 16 quarters, all four voices) set to
   the verse that training never saw, sung by the singing teacher (Festival + WORLD), by the
   neural renderer (random and trained weights) and, as the floor of a singer without words, by
   the built-in synthesis's "ah": the phoneme error rate of pocketsphinx's phone decoder
   against the lyrics' phonemes, and pyin note accuracy of each.

Usage: ``python bench/neural_bench.py [--checkpoint FILE|shipped|random] [--seconds 30]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

SR = 48_000


def species4(seed: int = 1):
    from stretto.corpora import load_cantus
    from stretto.solver import SolveSettings, solve_species
    from stretto.solver.species.spec import SpeciesSpec

    cantus, mode = load_cantus("fux-dorian")
    spec = SpeciesSpec(cantus=tuple(cantus), mode=mode, species=(1, 1, 1), cantus_voice=3)
    return solve_species(spec, SolveSettings(time_limit=10.0, seed=seed)).piece


def chorale(name: str, quarters: int | None = None):
    import music21

    from stretto.io import read_score

    piece = read_score(Path(music21.corpus.getWork(f"bach/{name}")))
    if quarters is None:
        return piece
    cut = Fraction(quarters)
    voices = [replace(v, notes=tuple(replace(n, duration=min(n.end, cut) - n.onset)
                                     for n in v.notes if n.onset < cut)) for v in piece.voices]
    return replace(piece, voices=tuple(voices))


def engine(kind: str, checkpoint: str, cache_dir=None):
    from stretto.renderer.engine import SynthEngine
    from stretto.renderer.neural import NeuralEngine

    if kind == "synth":
        return SynthEngine()
    return NeuralEngine.load(checkpoint, cache_dir=cache_dir)


def fidelity(checkpoints: list[str]) -> list[dict]:
    from stretto.renderer.render import render_piece

    rows = []
    from stretto.renderer.singing import HELD_OUT_TEXT, with_words

    pieces = {"species 4v (1 s/note)": (species4(), Fraction(240)),
              "chorale bwv66.6 (12 q)": (chorale("bwv66.6", 12), None),
              "bwv66.6 English words (12 q)": (with_words(chorale("bwv66.6", 12),
                                                           HELD_OUT_TEXT[1]), None)}
    for label, (piece, tempo) in pieces.items():
        for ck in ["synth", *checkpoints]:
            eng = engine("synth" if ck == "synth" else "neural", ck)
            r = render_piece(piece, sr=SR, tempo=tempo, engine=eng, progress=False)
            res = eng.verify(r, progress=False)
            rows.append({"piece": label, "engine": ck,
                         "min_note_acc": round(min(x.note_accuracy for x in res), 4),
                         "octave_errors": sum(x.octave_errors for x in res),
                         "onset_median_ms": round(max(x.onset_error_ms for x in res), 1),
                         "onset_max_ms": round(max(x.onset_error_max_ms for x in res), 1)})
    return rows


def child_speed(kind: str, checkpoint: str, seconds: float) -> dict:
    """Runs in a child process: render the 4-voice species score stretched to ``seconds``."""
    import torch

    torch.set_num_threads(1)
    from stretto.renderer.render import render_piece

    piece = species4()
    tempo = Fraction(round(float(piece.length) * 60 / seconds))
    eng = engine(kind, checkpoint)
    t0, c0 = time.perf_counter(), time.process_time()
    r = render_piece(piece, sr=SR, tempo=tempo, engine=eng, progress=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    voices = len(r.stems)
    return {"engine": kind, "audio_s": round(r.duration, 2), "voices": voices,
            "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "rtf_per_voice_cpu": round(cpu / voices / r.duration, 4),
            "rtf_per_voice_wall": round(wall / voices / r.duration, 4),
            "peak_rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's own peak resident set (VmHWM; ru_maxrss would include the parent's
    high-water mark, which Linux carries across exec)."""
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmHWM:"):
            return round(int(row.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def speed(checkpoint: str, seconds: float) -> list[dict]:
    rows = []
    for kind in ("synth", "neural"):
        out = subprocess.run([sys.executable, __file__, "--child", kind, "--checkpoint",
                              checkpoint, "--seconds", str(seconds)], check=True,
                             capture_output=True, text=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return rows


def locality(checkpoint: str, tmp: Path) -> dict:
    import numpy as np

    from stretto.renderer.features import phrases_of
    from stretto.renderer.render import lines_of, render_piece

    piece = chorale("bwv66.6", 24)
    tempo = piece.tempo
    cache = tmp / "cache"
    first = engine("neural", checkpoint, cache)
    t0 = time.perf_counter()
    a = render_piece(piece, sr=SR, engine=first, progress=False)
    full = time.perf_counter() - t0
    # one edit, as a pin would make it: the alto's 6th note a step higher
    alto = piece.voices[1]
    k = 5
    note = alto.notes[k]
    from stretto.pitch import spell_midi

    moved = spell_midi(note.midi + 2)
    edited = replace(alto, notes=tuple(replace(n, pitch=moved) if i == k else n
                                       for i, n in enumerate(alto.notes)))
    piece2 = replace(piece, voices=(piece.voices[0], edited, *piece.voices[2:]))
    second = engine("neural", checkpoint, cache)
    t0 = time.perf_counter()
    b = render_piece(piece2, sr=SR, engine=second, progress=False)
    again = time.perf_counter() - t0
    same = [bool(np.array_equal(x, y)) for i, (x, y) in enumerate(zip(a.stems, b.stems)) if i != 1]
    line = lines_of(piece2, tempo, SR, b.instruments)[1]
    sounding = [n for n in edited.sounding()]
    idx = next(i for i, n in enumerate(sounding) if n.onset == note.onset)
    ph = next(p for p in phrases_of(line, SR) if p.first <= idx <= p.last)
    diff = np.flatnonzero(a.stems[1] != b.stems[1])
    inside = bool(len(diff) and diff.min() >= ph.start and diff.max() < ph.start + ph.span(SR))
    return {"phrases": second.stats["phrases"], "rerendered": second.stats["rendered"],
            "full_render_s": round(full, 2), "rerender_s": round(again, 2),
            "rerender_fraction": round(again / full, 3),
            "unchanged_voices_identical": all(same), "changed_only_in_phrase": inside}


def likeness(checkpoints: list[str], pieces_limit: int) -> list[dict]:
    import numpy as np
    import torch

    from stretto.renderer.engine import SynthEngine
    from stretto.renderer.neural import NeuralEngine, log_mel
    from stretto.renderer.render import lines_of
    from stretto.renderer.teacher import ACTIVE_RMS, TEACHER_SR, teacher_audio
    from stretto.renderer.vocoder import multi_stft_loss

    held_out = [chorale("bwv66.6", 16), chorale("bwv269", 16)][:pieces_limit]
    engines = {"synth": SynthEngine(), **{ck: NeuralEngine.load(ck) for ck in checkpoints}}
    per: dict[str, dict[str, list[float]]] = {}
    for piece in held_out:
        tempo = piece.tempo
        for inst in ("choir", "strings", "organ", "flute", "clarinet", "piano"):
            for line in lines_of(piece, tempo, TEACHER_SR, [inst] * len(piece.voices)):
                # the instrument teacher cannot sing words (bwv269's soprano has German ones):
                # every singer here sings "ah", so the figures compare timbre with timbre
                line = replace(line, lyrics=())
                n = line.piece_samples + TEACHER_SR
                mask = np.zeros(n, dtype=bool)
                for s, e, _ in line.notes:
                    mask[s:e] = True

                def norm(x):
                    rms = float(np.sqrt(np.mean(x[mask] ** 2)))
                    return x * (ACTIVE_RMS / rms) if rms > 1e-9 else x

                ref = teacher_audio(line, tempo, "fluidsynth", None)
                outs = {k: norm(e.render_voice(line, n_samples=n, sr=TEACHER_SR))
                        for k, e in engines.items()}
                rt = torch.from_numpy(ref).float()[None]
                mref = log_mel(rt)
                for k, y in outs.items():
                    yt = torch.from_numpy(y).float()[None]
                    d = per.setdefault(inst, {}).setdefault(k, [])
                    d.append((float((log_mel(yt) - mref).abs().mean()),
                              float(multi_stft_loss(yt, rt))))
    rows = []
    for inst, d in per.items():
        row = {"instrument": inst}
        for k, vals in d.items():
            row[f"{k} log-mel L1"] = round(float(np.mean([v[0] for v in vals])), 4)
        for k, vals in d.items():
            row[f"{k} MR-STFT"] = round(float(np.mean([v[1] for v in vals])), 4)
        rows.append(row)
    return rows


def words(checkpoints: list[str]) -> list[dict]:
    """Phoneme error rate and note accuracy of sung words (held-out music and text)."""
    from stretto.renderer.engine import SynthEngine
    from stretto.renderer.lyrics import reference_phones
    from stretto.renderer.neural import NeuralEngine
    from stretto.renderer.recognize import collapse, edit_distance, recognize_phones
    from stretto.renderer.render import lines_of
    from stretto.renderer.singing import HELD_OUT_TEXT, sing, with_words
    from stretto.renderer.teacher import TEACHER_SR
    from stretto.renderer.verify import score_voice, track

    piece = with_words(chorale("bwv66.6", 16), HELD_OUT_TEXT[1])
    lines = lines_of(piece, piece.tempo, TEACHER_SR, ["choir"] * 4)
    singers = {"teacher": None, "synth (ah)": SynthEngine(),
               **{ck: NeuralEngine.load(ck) for ck in checkpoints}}
    per: dict[str, list[tuple[int, int, float]]] = {k: [] for k in singers}
    for line in lines:
        n = line.piece_samples + TEACHER_SR
        ref = reference_phones(line.lyrics)
        notes = [(s / TEACHER_SR, e / TEACHER_SR, m) for s, e, m in line.notes]
        midis = [m for _, _, m in line.notes]
        for k, eng in singers.items():
            y = sing(line, n, TEACHER_SR) if eng is None else \
                eng.render_voice(line, n_samples=n, sr=TEACHER_SR)
            acc = score_voice(line.name, track(y, TEACHER_SR, min(midis), max(midis)),
                              notes).note_accuracy
            r, h = collapse(ref), collapse(recognize_phones(y, TEACHER_SR))
            per[k].append((edit_distance(r, h), len(r), acc))
    # PER over all voices: total edits / total reference phonemes
    return [{"singer": k, "voices": len(v), "phonemes": sum(x[1] for x in v),
             "PER": round(sum(x[0] for x in v) / sum(x[1] for x in v), 3),
             "worst_voice_PER": round(max(x[0] / x[1] for x in v), 3),
             "min_note_acc": round(min(x[2] for x in v), 4)} for k, v in per.items()]


def table(rows: list[dict]) -> str:
    keys = list(rows[0])
    width = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in keys}
    line = lambda r: "| " + " | ".join(str(r[k]).ljust(width[k]) for k in keys) + " |"  # noqa: E731
    return "\n".join([line({k: k for k in keys}),
                      "|" + "|".join("-" * (width[k] + 2) for k in keys) + "|",
                      *(line(r) for r in rows)])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default="shipped", help="shipped, random or a file")
    ap.add_argument("--seconds", type=float, default=30.0, help="length of the speed test score")
    ap.add_argument("--skip-likeness", action="store_true",
                    help="leave out the teacher comparison (needs fluidsynth + FluidR3_GM)")
    ap.add_argument("--skip-words", action="store_true",
                    help="leave out sung words (needs festival, festvox-kallpc16k, pyworld, "
                    "pocketsphinx)")
    ap.add_argument("--only-words", action="store_true", help="run only the sung-words part")
    ap.add_argument("--child", choices=("synth", "neural"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    if args.child:
        print(json.dumps(child_speed(args.child, args.checkpoint, args.seconds)))
        return 0
    import tempfile

    checkpoints = ["random"] + ([args.checkpoint] if args.checkpoint != "random" else [])
    print(f"# stretto neural renderer bench (torch {torch.__version__}, 1 thread, {SR} Hz)")
    if args.only_words:
        print("\n## sung words (held-out chorale and verse; PER of pocketsphinx's phone decoder, "
              "lower is better)\n")
        print(table(words(checkpoints)))
        return 0
    print("\n## fidelity (pyin note accuracy, worst voice; onset error, worst voice)\n")
    print(table(fidelity(checkpoints)))
    print(f"\n## speed and memory ({args.seconds:g} s, 4 voices, one child process per engine)\n")
    print(table(speed(args.checkpoint, args.seconds)))
    with tempfile.TemporaryDirectory() as tmp:
        print("\n## edit locality (bwv66.6, 24 quarters, one alto note changed)\n")
        print(table([locality(args.checkpoint, Path(tmp))]))
    if not args.skip_likeness:
        print("\n## distance to the teacher (FluidSynth FluidR3_GM), held-out chorale openings, "
              "lower is better\n")
        print(table(likeness(checkpoints, 2)))
    if not args.skip_words:
        print("\n## sung words (held-out chorale and verse; PER of pocketsphinx's phone decoder, "
              "lower is better)\n")
        print(table(words(checkpoints)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
