"""Fuzz stretto's readers: mutated MusicXML, MIDI, score.json and TOML files through the CLI.

Small valid seed files (a species project's score.musicxml, score.mid and score.json, and the
example form plans) are mutated (bytes flipped, numbers made huge, zero or negative, elements
and keys dropped or duplicated, values given the wrong type) and each result is fed to the
command that reads it: ``check`` (MusicXML, MIDI, score.json), ``harmonize`` (MusicXML, MIDI),
``history`` and ``pin`` (a project holding the mutated score.json) and ``compose`` (TOML).
Every run must exit 0-3 with at most one line on stderr and no traceback, within its bound
(``STRETTO_DEBUG=1`` is set, so an exception the CLI would report as an internal error, exit
70, escapes and is counted as a traceback, with where it was raised).

Usage: ``python bench/fuzz_inputs.py [--files 1000] [--seed 0]``; prints a table per format.
The functions are also used by ``tests/test_fuzz_inputs.py`` (hypothesis picks the seeds).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("musicxml", "midi", "json", "toml")
NUMBERS = ["0", "-1", "2147483648", "1e309", "nan", "99999999999999999999", "0.000001", "255",
           "-2147483649", "7"]


@dataclass(frozen=True)
class Outcome:
    """One run: its exit code (None: an exception escaped, or it ran past its bound), the
    lines it printed on stderr, the escaped exception's last line, and its seconds."""

    code: int | None
    stderr_lines: int
    error: str
    seconds: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.code in (0, 1, 2, 3) and self.stderr_lines <= 1 and not self.timed_out


class _Timeout(Exception):
    pass


def _alarm(signum, frame):  # noqa: ARG001 - a signal handler's signature
    raise _Timeout()


def run_cli(argv: list[str], *, bound: float) -> Outcome:
    """``stretto.cli.main(argv)`` in this process, stdout dropped and stderr counted, stopped
    (as a failure) after ``bound`` seconds."""
    from stretto.cli import main

    err = io.StringIO()
    debug = os.environ.get("STRETTO_DEBUG")
    os.environ["STRETTO_DEBUG"] = "1"  # an unforeseen exception escapes, so it is counted
    start = time.monotonic()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, bound)
    code, error, timed_out = None, "", False
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err), \
                warnings.catch_warnings():
            warnings.simplefilter("default")  # a warning that leaks is counted as a line
            code = main(argv)
    except _Timeout:
        timed_out, error = True, f"ran past {bound:g} s"
    except BaseException as exc:  # noqa: BLE001 - a traceback is what we are counting
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        error = (f"{traceback.format_exception_only(type(exc), exc)[-1].strip()} "
                 f"(at {Path(frame.filename).name}:{frame.lineno})")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if debug is None:
            os.environ.pop("STRETTO_DEBUG", None)
        else:
            os.environ["STRETTO_DEBUG"] = debug
    lines = len([line for line in err.getvalue().splitlines() if line.strip()])
    if lines > 1:
        error = error or " | ".join(err.getvalue().splitlines()[:3])[:300]
    return Outcome(code, lines, error, time.monotonic() - start, timed_out)


# ------------------------------------------------------------------------------ mutations


def _numbers(text: str, rng: random.Random) -> str:
    """Replace a few numbers in ``text`` by extreme ones."""
    spans = [m.span() for m in re.finditer(r"-?\d+(\.\d+)?", text)]
    for a, b in sorted(rng.sample(spans, min(len(spans), rng.randint(1, 3))), reverse=True):
        text = text[:a] + rng.choice(NUMBERS) + text[b:]
    return text


def _xml_element(text: str, rng: random.Random) -> str:
    """Drop, duplicate or empty one element."""
    tags = [m for m in re.finditer(r"<(\w[\w-]*)[^>]*>[^<]*</\1>", text)]
    if not tags:
        return text
    m = rng.choice(tags)
    choice = rng.randrange(3)
    new = "" if choice == 0 else m.group(0) * 2 if choice == 1 else \
        re.sub(r">[^<]*<", "><", m.group(0))
    return text[:m.start()] + new + text[m.end():]


def _xml_insert(text: str, rng: random.Random) -> str:
    """Insert an element a reader may not expect: a chord note, a second voice, unpitched."""
    pieces = ["<chord/>", "<voice>2</voice>", "<unpitched><display-step>C</display-step>"
              "<display-octave>4</display-octave></unpitched>", "<backup><duration>3"
              "</duration></backup>", "<divisions>7</divisions>",
              "<time><beats>255</beats><beat-type>3</beat-type></time>",
              "<sound tempo=\"0\"/>", "<rest/>", "<grace/>"]
    spots = [m.end() for m in re.finditer(r"<note[^>]*>|<attributes>|<measure[^>]*>", text)]
    if not spots:
        return text
    at = rng.choice(spots)
    return text[:at] + rng.choice(pieces) + text[at:]


def _bytes(data: bytes, rng: random.Random) -> bytes:
    """Flip, drop or repeat a few bytes."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if not data:
            break
        i = rng.randrange(len(data))
        choice = rng.randrange(3)
        if choice == 0:
            data[i] = rng.randrange(256)
        elif choice == 1:
            del data[i:i + rng.randint(1, 16)]
        else:
            data[i:i] = data[i:i + rng.randint(1, 16)]
    return bytes(data)


def _midi(data: bytes, rng: random.Random) -> bytes:
    """Mutate a MIDI file in its structure: the division, a delta time, a meta event."""
    import mido

    try:
        mid = mido.MidiFile(file=io.BytesIO(data))
    except Exception:  # noqa: BLE001 - fall back to raw bytes
        return _bytes(data, rng)
    choice = rng.randrange(5)
    if choice == 0:
        mid.ticks_per_beat = rng.choice([1, 2, 3, 7, 32767])
    else:
        track = rng.choice(mid.tracks)
        msgs = [m for m in track]
        if msgs:
            k = rng.randrange(len(msgs))
            m = msgs[k]
            if choice == 1:
                track[k] = m.copy(time=rng.choice([0, 1, 10 ** 6, 2 ** 27]))
            elif choice == 2 and m.type == "set_tempo":
                track[k] = m.copy(tempo=rng.choice([1, 16777215]))
            elif choice == 2 and m.type == "time_signature":
                track[k] = m.copy(numerator=255, denominator=rng.choice([1, 128]))
            elif choice == 3 and m.type in ("note_on", "note_off"):
                track[k] = m.copy(note=rng.choice([0, 127]), channel=rng.choice([9, 15]))
            else:
                track.insert(k, mido.Message("note_on", note=rng.randrange(128), velocity=64))
    out = io.BytesIO()
    try:
        mid.save(file=out)
    except Exception:  # noqa: BLE001 - an unsavable mutation: mutate the bytes instead
        return _bytes(data, rng)
    return out.getvalue()


def _json_value(data, rng: random.Random):
    """Walk into a random key of nested JSON data and break its value."""
    if isinstance(data, dict) and data:
        key = rng.choice(sorted(data))
        if rng.random() < 0.35:
            choice = rng.randrange(4)
            if choice == 0:
                del data[key]
            elif choice == 1:
                data[key] = rng.choice([None, [], {}, "", "x", -1, 2 ** 40, 0.5, True])
            elif choice == 2:
                data[key + "x"] = data[key]
            else:
                data[key] = [data[key]]
        else:
            data[key] = _json_value(data[key], rng)
    elif isinstance(data, list) and data:
        i = rng.randrange(len(data))
        if rng.random() < 0.3:
            choice = rng.randrange(3)
            if choice == 0:
                del data[i]
            elif choice == 1:
                data.append(data[i])
            else:
                data[i] = rng.choice([None, "", 0, {}, []])
        else:
            data[i] = _json_value(data[i], rng)
    elif isinstance(data, str):
        return rng.choice(["", "0", "-4", "1/0", "C99", "2147483648", data + data, "nan"])
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        return rng.choice([0, -1, 2 ** 31, 10 ** 12, 0.5, "7"])
    return data


def _json(text: str, rng: random.Random) -> str:
    if rng.random() < 0.15:
        return _numbers(text, rng)
    try:
        data = json.loads(text)
    except ValueError:
        return _bytes(text.encode(), rng).decode("utf-8", "replace")
    for _ in range(rng.randint(1, 3)):
        data = _json_value(data, rng)
    return json.dumps(data, indent=2)


def _toml(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    choice = rng.randrange(5)
    body = [i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")]
    if not body:
        return text
    i = rng.choice(body)
    if choice == 0:  # a typo in a key or table name
        lines[i] = re.sub(r"(\w)(\w*)", lambda m: m.group(1) + m.group(2)[::-1], lines[i],
                          count=1)
    elif choice == 1:  # a value of the wrong type
        lines[i] = re.sub(r"=\s*.*$", "= " + rng.choice(['"x"', "[]", "7", "true", "{}",
                                                          "[4, 1]", "-3", "1e9"]), lines[i])
    elif choice == 2:
        del lines[i]
    elif choice == 3:
        lines.insert(i, lines[i])
    else:
        return _numbers(text, rng)
    return "\n".join(lines) + "\n"


def mutate(fmt: str, data: bytes, rng: random.Random) -> bytes:
    """One mutation of a seed file of format ``fmt`` (see FORMATS)."""
    if fmt == "midi":
        return _midi(data, rng) if rng.random() < 0.7 else _bytes(data, rng)
    text = data.decode("utf-8")
    if fmt == "musicxml":
        choice = rng.randrange(4)
        return (_numbers(text, rng) if choice == 0 else _xml_element(text, rng) if choice == 1
                else _xml_insert(text, rng) if choice == 2
                else _bytes(data, rng).decode("utf-8", "replace")).encode()
    if fmt == "json":
        return _json(text, rng).encode()
    return _toml(text, rng).encode()


# ------------------------------------------------------------------------------ seeds, runs


def make_seeds(folder: Path) -> dict[str, list[tuple[str, bytes]]]:
    """Valid seed files by format: a first-species project and two form plans."""
    from stretto.cli import main

    project = folder / "seed-project"
    with contextlib.redirect_stdout(io.StringIO()):
        main(["species", "--cantus-name", "fux-dorian", "--species", "1", "--time-limit", "2",
              "--out", str(project)])
        pitch = json.loads((project / "score.json").read_text())["voices"][0]["notes"][3]
        main(["pin", str(project), "--voice", "1", "--bar", "4", "--pitch", pitch["pitch"]])
    return {"musicxml": [("score.musicxml", (project / "score.musicxml").read_bytes())],
            "midi": [("score.mid", (project / "score.mid").read_bytes())],
            "json": [("score.json", (project / "score.json").read_bytes())],
            "toml": [(p.name, p.read_bytes()) for p in (ROOT / "examples" / "canon.toml",
                                                        ROOT / "examples" / "binary.toml")]}


def commands(fmt: str, path: Path, work: Path, rng: random.Random) -> list[tuple[list[str], float]]:
    """The commands (argv, bound in seconds) that read the mutated file ``path``."""
    out = str(work / "out")
    if fmt in ("musicxml", "midi"):
        runs = [(["check", str(path)], 20.0)]
        if rng.random() < 0.25:  # solving is slower: a sample of the files
            runs.append((["harmonize", str(path), "--time-limit", "1", "--out", out], 60.0))
        return runs
    if fmt == "json":
        project = path.parent
        return [(["check", str(path)], 20.0), (["history", str(project)], 20.0),
                (["pin", str(project), "--voice", "1", "--bar", "2", "--pitch", "D5",
                  "--time-limit", "1"], 60.0)]
    return [(["compose", str(path), "--time-limit", "1", "--out", out], 60.0)]


def fuzz_one(fmt: str, name: str, seed_bytes: bytes, rng: random.Random,
             work: Path, project_seed: Path | None = None) -> list[tuple[list[str], Outcome]]:
    """Mutate one seed, write it under ``work`` and run every command that reads it."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    data = mutate(fmt, seed_bytes, rng)
    if fmt == "json" and project_seed is not None:  # a whole project around the mutation
        shutil.copytree(project_seed, work / "p", symlinks=True)
        path = work / "p" / "score.json"
    else:
        path = work / name
    path.write_bytes(data)
    return [(argv, run_cli(argv, bound=bound)) for argv, bound in commands(fmt, path, work, rng)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="mutated files in all")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rows = {f: {"files": 0, "runs": 0, "ok": 0, "tracebacks": 0, "stderr": 0, "hangs": 0,
                "slowest": 0.0} for f in FORMATS}
    failures: list[str] = []
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        seeds = make_seeds(Path(tmp))
        for i in range(args.files):
            fmt = FORMATS[i % len(FORMATS)]
            name, data = rng.choice(seeds[fmt])
            results = fuzz_one(fmt, name, data, rng, Path(tmp) / "work",
                               project_seed=Path(tmp) / "seed-project")
            row = rows[fmt]
            row["files"] += 1
            for argv, outcome in results:
                row["runs"] += 1
                row["ok"] += outcome.ok
                row["tracebacks"] += bool(outcome.error) and not outcome.timed_out
                row["stderr"] += outcome.stderr_lines > 1
                row["hangs"] += outcome.timed_out
                row["slowest"] = max(row["slowest"], outcome.seconds)
                if not outcome.ok:
                    failures.append(f"{fmt} #{i} {argv[0]}: exit {outcome.code}, "
                                    f"{outcome.stderr_lines} stderr lines, {outcome.error}")
    print("| format | mutated files | runs | ok | tracebacks | >1 stderr line | hangs | "
          "slowest run (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for fmt, row in rows.items():
        print(f"| {fmt} | {row['files']} | {row['runs']} | {row['ok']} | {row['tracebacks']} | "
              f"{row['stderr']} | {row['hangs']} | {row['slowest']:.1f} |")
    print(f"\n{time.monotonic() - start:.0f} s in all (seed {args.seed})")
    for line in failures[:40]:
        print(line, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
