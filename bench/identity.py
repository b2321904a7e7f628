"""Does a redesign keep behaviour? The score.json of a fixed set of commands, hashed.

Runs each case below through the command line (``python -m stretto.cli``, in this Python, so
``PYTHONPATH`` may point at another checkout), with ``SOURCE_DATE_EPOCH`` fixed so the
timestamps are, and records the SHA-256 of score.json after every step: species 1-5 in two
voices above and below on Fux's dorian cantus, ``3,1`` in three voices, first species in four,
a harmonization of a Bach chorale, each example plan, and a pin + regenerate + undo sequence
on each kind of project. Usage::

    python bench/identity.py --out after.json                   # record
    python bench/identity.py --out after.json --compare before.json [--ignore rules_hash]
    PYTHONPATH=/path/to/old/pkg python bench/identity.py --out before.json

Prints a table (case, steps, identical or the first step that differs); exits 1 when a
comparison finds a difference. Both runs of a comparison take the same ``--ignore``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
CHORALE = "bwv66.6"


def _species(species: str, voices: int, where: str) -> list[str]:
    return ["species", "--cantus-name", "fux-dorian", "--species", species,
            "--voices", str(voices), "--cantus-voice", where, "--time-limit", "5"]


def _stable(xml: str) -> str:
    """music21's MusicXML without what changes from run to run (the encoding date, random
    instrument ids), so the melody - and its sha256, recorded in the project's inputs - is
    the same every time."""
    xml = re.sub(r"\s*<encoding-date>[^<]*</encoding-date>", "", xml)
    ids: dict[str, str] = {}
    return re.sub(r'"(I[0-9a-f]{32})"',
                  lambda m: '"' + ids.setdefault(m.group(1), f"I{len(ids) + 1}") + '"', xml)


def cases(chorale_file: Path) -> dict[str, list[list[str]]]:
    """Case name -> the commands, in order; ``OUT`` stands for the project folder."""
    out: dict[str, list[list[str]]] = {}
    for s in "12345":
        for where in ("bottom", "top"):
            out[f"species {s}, 2 voices, cantus {where}"] = [
                _species(s, 2, where) + ["--out", "OUT"]]
    out["species 3,1, 3 voices"] = [_species("3,1", 3, "bottom") + ["--out", "OUT"]]
    out["species 1, 4 voices"] = [_species("1", 4, "bottom") + ["--out", "OUT"]]
    out[f"harmonize {CHORALE}"] = [["harmonize", str(chorale_file), "--out", "OUT"]]
    for plan in EXAMPLES:
        out[f"compose {plan.name}"] = [["compose", str(plan), "--out", "OUT"]]
    edits = [["pin", "OUT", "--voice", "1", "--bar", "3", "--pitch", "PITCH"],
             ["regenerate", "OUT", "--bars", "5-6"], ["undo", "OUT"]]
    out["edits on species 1"] = out["species 1, 2 voices, cantus bottom"] + edits
    out[f"edits on harmonize {CHORALE}"] = out[f"harmonize {CHORALE}"] + [
        ["pin", "OUT", "--voice", "2", "--bar", "3", "--pitch", "PITCH"]] + edits[1:]
    out["edits on compose canon.toml"] = out["compose canon.toml"] + edits
    return out


def _drop(data, keys: tuple[str, ...]):
    if isinstance(data, dict):
        return {k: _drop(v, keys) for k, v in data.items() if k not in keys}
    if isinstance(data, list):
        return [_drop(v, keys) for v in data]
    return data


def _sha(path: Path, ignored: tuple[str, ...] = ()) -> str:
    """The score.json's hash, ``ignored`` keys dropped at any depth first (--ignore)."""
    if not ignored:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    text = json.dumps(_drop(json.loads(path.read_text()), ignored), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _pitch_near(score: Path, voice: int, bar: int) -> str:
    """The letter below what voice ``voice`` (1-based) sounds at the start of ``bar``: a pin
    that really changes the note, the same in both runs."""
    from fractions import Fraction

    from stretto.pitch import Pitch

    data = json.loads(score.read_text())
    num, den = (int(x) for x in data["meter"].split("/"))
    start = (bar - 1) * Fraction(4 * num, den)
    note = next(n for n in data["voices"][voice - 1]["notes"] if Fraction(n["onset"]) >= start)
    return Pitch.from_diatonic(Pitch.parse(note["pitch"]).diatonic - 1).name


def run_case(commands: list[list[str]], folder: Path,
             ignored: tuple[str, ...] = ()) -> list[tuple[str, int, str]]:
    """(command, exit code, score.json hash) per step."""
    env = dict(os.environ, SOURCE_DATE_EPOCH="1790000000")
    out = []
    for cmd in commands:
        argv = [a.replace("OUT", str(folder)) for a in cmd]
        if "PITCH" in argv:
            v, b = int(argv[argv.index("--voice") + 1]), int(argv[argv.index("--bar") + 1])
            argv[argv.index("PITCH")] = _pitch_near(folder / "score.json", v, b)
        r = subprocess.run([sys.executable, "-m", "stretto.cli", *argv], env=env,
                           capture_output=True, text=True)
        score = folder / "score.json"
        out.append((" ".join(cmd[:1] + [a for a in argv[1:] if a.startswith("--")][:2]),
                    r.returncode, _sha(score, ignored) if score.exists() else "-"))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="write the hashes here (JSON)")
    ap.add_argument("--compare", help="a previous --out to compare with")
    ap.add_argument("--ignore", action="append", default=[],
                    help="a score.json key left out of the hash at any depth (e.g. rules_hash "
                    "when the rulebook gained a rule); repeatable")
    args = ap.parse_args()
    from music21 import corpus

    with tempfile.TemporaryDirectory() as tmp:
        chorale = Path(tmp) / f"{CHORALE}.musicxml"
        corpus.parse(CHORALE).parts[0].write("musicxml", fp=str(chorale))
        chorale.write_text(_stable(chorale.read_text(encoding="utf-8")), encoding="utf-8")
        result, start = {}, time.perf_counter()
        for k, (name, commands) in enumerate(cases(chorale).items()):
            result[name] = run_case(commands, Path(tmp) / f"case{k}", tuple(args.ignore))
    Path(args.out).write_text(json.dumps(result, indent=1))
    base = json.loads(Path(args.compare).read_text()) if args.compare else None
    print(f"| case | steps | exit codes | {'same as ' + args.compare if base else 'score.json'} |")
    print("| --- | ---: | --- | --- |")
    differ = 0
    for name, steps in result.items():
        codes = ",".join(str(c) for _, c, _ in steps)
        if base is None:
            verdict = " ".join(h for _, _, h in steps)
        elif name not in base:
            verdict = "new case"
        else:
            diff = [i for i, (a, b) in enumerate(zip(steps, base[name]))
                    if list(a)[1:] != list(b)[1:]]
            verdict = "identical" if not diff and len(steps) == len(base[name]) else \
                f"DIFFERS at step {diff[0] + 1 if diff else len(base[name]) + 1}"
            differ += verdict != "identical"
        print(f"| {name} | {len(steps)} | {codes} | {verdict} |")
    print(f"\n{len(result)} cases in {time.perf_counter() - start:.0f} s; "
          + (f"{differ} differ" if base else f"hashes in {args.out}"))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
