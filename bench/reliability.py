"""Concurrent edits and crashes on one project: are any edits lost?

Runs ``--pairs`` pairs of ``stretto pin`` started at the same moment on one project, and
``--undo-pairs`` pairs of ``pin`` beside ``undo``, and counts edits lost (a pin that exited 0
but is missing from score.json, or an undo history that does not step back one edit per
step). Then kills ``pin`` and ``regenerate`` with SIGKILL at ``--kills`` random moments and
checks, after the next command, that the folder is one whole version (the old or the new)
with an exact one-step undo and nothing left over. Prints a table. Usage:
``python bench/reliability.py [--pairs 20] [--undo-pairs 5] [--kills 60] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stretto.io.journal import journals
from stretto.io.project import load_project, project_problems, undo_depth


def _run(*argv: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "stretto.cli", *argv],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, SOURCE_DATE_EPOCH="1790000000", **(env or {})))


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


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _stray(folder: Path) -> list[str]:
    """Files that are neither the score nor an undo/redo step (a leftover of a save)."""
    known = {"score.json", "score.mid", "score.musicxml"}
    return [name for name in _files(folder)
            if name not in known and not name.startswith((".stretto/undo/", ".stretto/redo/"))]


def _verdict(folder: Path, before: dict[str, bytes], depth: tuple[int, int]) -> str:
    """'old', 'new' or what is wrong, for a project after a killed edit and one more command."""
    problems = project_problems(folder) + [f"left over: {n}" for n in _stray(folder)]
    if journals(folder) or problems:
        return "; ".join(problems) or "journal left"
    if _files(folder) == before:
        return "old"
    newest = sorted((folder / ".stretto" / "undo").glob("*.json"))
    ok = (undo_depth(folder) == (depth[0] + 1, 0) and newest
          and newest[-1].read_bytes() == before["score.json"])
    return "new" if ok else "a new version without an exact one-step undo"


def crash_runs(root: Path, kills: int, seed: int) -> dict[str, int]:
    """Kill ``pin`` / ``regenerate`` at random moments of their run; count the verdicts."""
    rng = random.Random(seed)
    base = root / "crash-base"
    subprocess.run([sys.executable, "-m", "stretto.cli", "species", "--cantus-name",
                    "fux-dorian", "--species", "1", "--time-limit", "2", "--out", str(base)],
                   check=True, capture_output=True)
    for bar in (4, 5):  # one undo step and one redo step, so the save also removes one
        subprocess.run([sys.executable, "-m", "stretto.cli", "pin", str(base), "--voice", "1",
                        "--bar", str(bar), "--pitch", _pitch(base, 0, bar)], check=True,
                       capture_output=True)
    subprocess.run([sys.executable, "-m", "stretto.cli", "undo", str(base)], check=True,
                   capture_output=True)
    commands = {"pin": ["--voice", "1", "--bar", "7", "--pitch", _pitch(base, 0, 7)],
                "regenerate": ["--voice", "1", "--bars", "2-3"]}
    took = {}
    for kind, extra in commands.items():  # how long a whole run takes: kills fall inside it
        start = time.monotonic()
        subprocess.run(["cp", "-a", str(base), str(root / f"time-{kind}")], check=True)
        subprocess.run([sys.executable, "-m", "stretto.cli", kind, str(root / f"time-{kind}"),
                        *extra], check=True, capture_output=True)
        took[kind] = time.monotonic() - start
    steps = ["staged", "committed", "applied-1", "applied-2", "applied-3", "applied-4",
             "removed"]
    counts = {"old": 0, "new": 0, "timed kills": 0, "save-step kills": 0, "finished": 0,
              "broken": 0}
    i = 0
    while counts["timed kills"] + counts["save-step kills"] < kills and i < 3 * kills:
        kind = ("pin", "regenerate")[i % 2]
        at_step = i % 4 >= 2  # half the kills land inside the save itself, at a chosen step
        folder = root / f"crash{i}"
        i += 1
        subprocess.run(["cp", "-a", str(base), str(folder)], check=True)
        before, depth = _files(folder), undo_depth(folder)
        env = {"STRETTO_FAULT": rng.choice(steps)} if at_step else {}
        run = _run(kind, str(folder), *commands[kind], env=env)
        try:
            code = run.wait(timeout=None if at_step else rng.uniform(0.2, 1.0) * took[kind])
            if code == -signal.SIGKILL:
                counts["save-step kills"] += 1
            else:
                counts["finished"] += 1  # it ended before the kill: checked, but not a kill
        except subprocess.TimeoutExpired:
            run.send_signal(signal.SIGKILL)
            run.wait()
            counts["timed kills"] += 1
        subprocess.run([sys.executable, "-m", "stretto.cli", "history", str(folder)],
                       check=True, capture_output=True)
        verdict = _verdict(folder, before, depth)
        if verdict in ("old", "new"):
            counts[verdict] += 1
        else:
            counts["broken"] += 1
            print(f"crash {i} ({kind}): {verdict}", file=sys.stderr)
    counts["parent leftovers"] = sum(1 for p in root.iterdir() if ".tmp-" in p.name)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--undo-pairs", type=int, default=5)
    parser.add_argument("--kills", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.monotonic()
        tried, refused, lost = pin_pairs(Path(tmp), args.pairs)
        upairs, urefused, ulost = undo_pairs(Path(tmp), args.undo_pairs)
        crashes = crash_runs(Path(tmp), args.kills, args.seed)
        took = time.monotonic() - start
    print("| case | runs | refused (exit 2) | lost edits |")
    print("|---|---:|---:|---:|")
    print(f"| concurrent pin pairs ({args.pairs}) | {tried} | {refused} | {lost} |")
    print(f"| pin beside undo ({upairs}) | {2 * upairs} | {urefused} | {ulost} |")
    print("\n| SIGKILL of pin / regenerate | kills at a random moment | kills at a random "
          "save step | runs that ended first | old version after | new version after | "
          "not one whole version | leftovers |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {args.kills} kills | {crashes['timed kills']} | {crashes['save-step kills']} | "
          f"{crashes['finished']} | {crashes['old']} | {crashes['new']} | {crashes['broken']} | "
          f"{crashes['parent leftovers']} |")
    print(f"\n{took:.0f} s in all")
    return 1 if lost or ulost or crashes["broken"] or crashes["parent leftovers"] else 0


if __name__ == "__main__":
    sys.exit(main())
