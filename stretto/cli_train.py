"""The ``stretto train-renderer`` command (registered by :mod:`stretto.cli`): parse, check, then
call :func:`stretto.renderer.train.train`, which imports torch lazily."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from stretto.errors import BadInput


def cmd_train_renderer(args: argparse.Namespace) -> int:
    try:
        import torch
    except ImportError:
        raise BadInput("train-renderer needs the neural extra: pip install -e '.[neural]'") \
            from None
    from stretto.renderer.teacher import CORPORA, DEFAULT_SOUNDFONT
    from stretto.renderer.train import TrainSettings, train

    if not args.threads >= 1:
        raise BadInput(f"--threads {args.threads} must be 1 or more")
    torch.set_num_threads(args.threads)
    corpus = tuple(c.strip() for c in args.corpus.split(",") if c.strip())
    bad = [c for c in corpus if c not in CORPORA]
    if bad or not corpus:
        raise BadInput(f"--corpus {args.corpus!r}: use one or more of {', '.join(CORPORA)}")
    soundfont = None
    if args.teacher == "fluidsynth":
        soundfont = Path(args.soundfont) if args.soundfont else DEFAULT_SOUNDFONT
        if not soundfont.is_file():
            raise BadInput(f"no SoundFont {soundfont}: apt-get install fluid-soundfont-gm, give "
                           "--soundfont FILE, or use --teacher synth")
    if args.max_steps < 0 or args.max_pieces < 0:
        raise BadInput("--max-steps and --max-pieces must be 0 or more")
    settings = TrainSettings(out=Path(args.out), minutes=args.minutes, seed=args.seed,
                             teacher=args.teacher, soundfont=soundfont, corpus=corpus,
                             max_pieces=args.max_pieces, size=args.size, batch=args.batch,
                             checkpoint_minutes=args.checkpoint_minutes,
                             max_steps=args.max_steps, device=args.device,
                             init=Path(args.init) if args.init else None)
    result = train(settings, resume=args.resume, progress=not args.json)
    summary = {"steps": result.steps, "train_seconds": round(result.seconds, 1),
               "last": result.last, "validation": result.val,
               "checkpoint": str(result.checkpoint), "loss_log": str(settings.out / "loss.jsonl")}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"trained {result.steps} steps in {result.seconds:.0f} s; last loss "
              f"{result.last.get('loss', float('nan')):.4f}; weights: {result.checkpoint}")
        if result.val:
            print("validation: " + ", ".join(f"{k} {v:.4f}" for k, v in result.val.items()))
    return 0


def add_parsers(sub) -> None:
    """Register ``train-renderer`` on the CLI's subparsers."""
    tp = sub.add_parser("train-renderer", help="train the neural renderer from a teacher "
                        "(resumable, time-budgeted)")
    tp.add_argument("--out", required=True, help="run folder (data, checkpoints, loss log)")
    tp.add_argument("--minutes", type=float, default=30.0,
                    help="training time budget, counted across --resume sittings (default 30)")
    tp.add_argument("--seed", type=int, default=0)
    tp.add_argument("--teacher", choices=("synth", "fluidsynth"), default="synth",
                    help="who renders the teacher audio (fluidsynth: needs the fluidsynth "
                    "program and a General MIDI SoundFont)")
    tp.add_argument("--soundfont", metavar="FILE",
                    help="SoundFont for --teacher fluidsynth (default FluidR3_GM from "
                    "fluid-soundfont-gm)")
    tp.add_argument("--corpus", default="species,chorales",
                    help="scores to learn from: species (solved by stretto on the shipped cantus "
                    "firmi), chorales (Bach, music21's corpus), sung (chorale voices with "
                    "English words, sung by Festival); comma-separated")
    tp.add_argument("--max-pieces", type=int, default=0, help="pieces per corpus (0: all)")
    tp.add_argument("--size", choices=("small", "tiny"), default="small")
    tp.add_argument("--batch", type=int, default=8)
    tp.add_argument("--checkpoint-minutes", type=float, default=3.0,
                    help="minutes between checkpoints (default 3)")
    tp.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: "
                    "only the time budget)")
    tp.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    tp.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                    help="where to train (cuda runs the Triton kernels; default cpu)")
    tp.add_argument("--resume", action="store_true", help="continue the run in --out")
    tp.add_argument("--init", metavar="CHECKPOINT", help="start from this checkpoint's weights "
                    "(fine-tuning; e.g. renderer/weights/neural.safetensors)")
    tp.add_argument("--json", action="store_true", help="print the summary as JSON")
    tp.set_defaults(func=cmd_train_renderer)


__all__ = ["add_parsers", "cmd_train_renderer"]
