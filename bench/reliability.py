"""Concurrent edits on one project: are any lost?

Runs ``--pairs`` pairs of ``stretto pin`` started at the same moment on one project, and
``--undo-pairs`` pairs of ``pin`` beside ``undo``, and counts edits lost (a pin that exited 0
but is missing from score.json, or an undo history that does not step back one edit per
step). Prints a table. Usage: ``python bench/reliability.py [--pairs 20] [--undo-pairs 5]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stretto.io.project import load_project, undo_depth


def _run(*argv: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "stretto.cli", *argv],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, SOURCE_DATE_EPOCH="1790000000"))


def _pins(folder: Path) -> set[tuple[int, int]]:
    project, _ = load_project(folder)
    return {(c.voice, c.bar) for c in project.constraints if c.kind == "pin"}


def _pitch(folder: Path, voice: int, bar: int) -> str:
    project, _ = load_project(folder)
    return project.piece.voices[voice].notes[bar - 1].pitch.name


def pin_pairs(root: Path, pairs: int) -> tuple[int, int, int]:
    """(edits tried, edits refused with exit 2, edits lost) over ``pairs`` concurrent pairs."""
    tried = refused = lost = 0
    for i in range(pairs):
        folder = root / f"pair{i}"
        subprocess.run([sys.executable, "-m", "stretto.cli", "species", "--cantus-name",
                        "fux-dorian", "--species", "1", "--time-limit", "2", "--seed", str(i),
                        "--out", str(folder)], check=True, capture_output=True)
        bars = (2 + i % 4, 7 + i % 3)
        runs = [_run("pin", str(folder), "--voice", "1", "--bar", str(b), "--pitch",
                     _pitch(folder, 0, b), "--time-limit", "1") for b in bars]
        codes = [r.wait() for r in runs]
        present = _pins(folder)
        for bar, code in zip(bars, codes):
            tried += 1
            refused += code == 2
            lost += code == 0 and (0, bar) not in present
        lost += undo_depth(folder)[0] != sum(c == 0 for c in codes)
    return tried, refused, lost


def undo_pairs(root: Path, pairs: int) -> tuple[int, int, int]:
    """(pairs, refused, lost) for ``pin`` started beside ``undo`` of an earlier pin."""
    refused = lost = 0
    for i in range(pairs):
        folder = root / f"undo{i}"
        subprocess.run([sys.executable, "-m", "stretto.cli", "species", "--cantus-name",
                        "fux-dorian", "--species", "1", "--time-limit", "2", "--out",
                        str(folder)], check=True, capture_output=True)
        subprocess.run([sys.executable, "-m", "stretto.cli", "pin", str(folder), "--voice",
                        "1", "--bar", "4", "--pitch", _pitch(folder, 0, 4)], check=True,
                       capture_output=True)
        runs = [_run("undo", str(folder)),
                _run("pin", str(folder), "--voice", "1", "--bar", "8", "--pitch",
                     _pitch(folder, 0, 8), "--time-limit", "1")]
        codes = [r.wait() for r in runs]
        refused += codes.count(2)
        present = _pins(folder)
        undo_steps = undo_depth(folder)[0]
        # undo first: {bar 8}, 1 undo step; pin first: undo removes it -> {bar 4}, 1 step
        ok = codes == [0, 0] and (present, undo_steps) in (({(0, 8)}, 1), ({(0, 4)}, 1))
        lost += not ok and 2 not in codes
    return pairs, refused, lost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--undo-pairs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.monotonic()
        tried, refused, lost = pin_pairs(Path(tmp), args.pairs)
        upairs, urefused, ulost = undo_pairs(Path(tmp), args.undo_pairs)
        took = time.monotonic() - start
    print("| case | runs | refused (exit 2) | lost edits |")
    print("|---|---:|---:|---:|")
    print(f"| concurrent pin pairs ({args.pairs}) | {tried} | {refused} | {lost} |")
    print(f"| pin beside undo ({upairs}) | {2 * upairs} | {urefused} | {ulost} |")
    print(f"\n{took:.0f} s in all")
    return 1 if lost or ulost else 0


if __name__ == "__main__":
    sys.exit(main())
