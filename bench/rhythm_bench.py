"""Independent rhythms against Bach: onset synchrony and inner voices' repeated notes, measured by
``stretto bench`` on stretto's outputs with and without their own rhythms.

Writes, under ``--out`` (default ``out/rhythm_bench``):

- ``harmonize-chords/`` and ``harmonize-free/``: ``--folk N`` folk and dance tunes of music21's
  corpus (the tunes ``bench/onset_audit.py --folk N`` picks) harmonized by ``stretto
  harmonize`` with ``--rhythm chords`` (the default: the lower voices strike with every
  chord) and ``--rhythm free`` (their own rhythms);
- ``chorales-chords/`` and ``chorales-free/``: the same for ``--chorales N`` Bach chorale
  melodies (those of ``stretto bench --suite stretto-chorales``);
- ``compositions/``: every plan of ``examples/`` composed by ``stretto compose``;

then runs ``stretto bench`` on the three folders with ``--suite bach`` (all of Bach's
four-part chorales: his quartiles) and prints, per system, the median onset synchrony with its
quartiles, whether the median lies within Bach's interquartile range, the alto's and tenor's
repeated-note rate (median), the figures placed, and the checker's hard violations. Seeded
(seed 0), in-process (``stretto.cli.main``, the function the command line calls)::

    python bench/rhythm_bench.py --folk 20 --chorales 8 --workers 2
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(argv: list[str]) -> int:
    from stretto.cli import main

    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        try:
            return main(argv) or 0
        except SystemExit as exc:  # argparse or an exit status
            return int(exc.code or 0)


def write_scores(out: Path, folk: int, chorales: int, time_limit: float) -> dict:
    """Harmonize the folk tunes and the chorale melodies both ways and compose the examples;
    exit codes by system."""
    sys.path.insert(0, str(ROOT / "bench"))
    from onset_audit import choose_folk

    codes: dict = {"harmonize-chords": [], "harmonize-free": []}
    melodies = out / "melodies"
    melodies.mkdir(parents=True, exist_ok=True)
    for k, tune in enumerate(choose_folk(folk)):
        safe = f"{k + 1:03d}_" + re.sub(r"[^A-Za-z0-9]+", "_", tune["name"])
        path = melodies / f"{safe}.musicxml"
        tune["score"].write("musicxml", fp=str(path))
        for rhythm in ("chords", "free"):
            system = f"harmonize-{rhythm}"
            code = _run(["harmonize", str(path), "--rhythm", rhythm, "--out",
                         str(out / system / safe), "--time-limit", str(time_limit),
                         "--seed", "0", "--force"])
            codes[system].append(code)
    from stretto.analysis.reference import fold_of
    from stretto.analysis.suites import bach_paths

    # the Bach melodies stretto bench's stretto-chorales suite harmonizes (fold 0, in order)
    for path in [p for p in bach_paths() if p.stem.startswith("bwv")
                 and fold_of(p.stem) == 0][:chorales]:
        for rhythm in ("chords", "free"):
            system = f"chorales-{rhythm}"
            code = _run(["harmonize", str(path), "--rhythm", rhythm, "--out",
                         str(out / system / path.stem), "--time-limit", str(time_limit),
                         "--seed", "0", "--force"])
            codes.setdefault(system, []).append(code)
    for plan in sorted((ROOT / "examples").glob("*.toml")):
        code = _run(["compose", str(plan), "--out", str(out / "compositions" / plan.stem),
                     "--time-limit", str(time_limit), "--seed", "0", "--force"])
        codes.setdefault("compositions", []).append(code)
    for system in codes:  # keep only the scores (a folder is one system in stretto bench)
        for extra in (out / system).rglob("*"):
            if extra.is_file() and extra.name != "score.json":
                extra.unlink()
    return codes


def summary(report: dict, codes: dict) -> None:
    by_system: dict = {}
    for r in report["pieces"]:
        if r.get("error"):
            continue
        by_system.setdefault(r["system"], []).append(r)
    bach = [r["metrics"]["onset_synchrony"] for r in by_system.get("bach", [])]
    q1, _, q3 = statistics.quantiles(bach, n=4) if len(bach) >= 4 else (None, None, None)
    print("| system | pieces | exit 0 | onset synchrony: median (quartiles) | within Bach's "
          "IQR | alto repeats | tenor repeats | with a hard violation |")
    print("| --- | ---: | ---: | --- | --- | ---: | ---: | ---: |")
    for system, rows in sorted(by_system.items()):
        sync = [r["metrics"]["onset_synchrony"] for r in rows]
        a, m, b = statistics.quantiles(sync, n=4) if len(sync) >= 4 else (
            min(sync), statistics.median(sync), max(sync))
        m = statistics.median(sync)
        within = "-" if system == "bach" or q1 is None else ("yes" if q1 <= m <= q3 else "no")
        reps = {}
        for voice in ("Alto", "Tenor"):
            vals = [r["detail"]["voices"][voice]["repeat"] for r in rows
                    if voice in r["detail"]["voices"]
                    and r["detail"]["voices"][voice].get("repeat") is not None]
            reps[voice] = f"{statistics.median(vals):.3f}" if vals else "-"
        hard = sum((r["metrics"].get("hard_per_100") or 0) > 0 for r in rows)
        ok = codes.get(system)
        print(f"| {system} | {len(rows)} | {sum(c == 0 for c in ok) if ok else '-'} | "
              f"{m:.3f} ({a:.3f}-{b:.3f}) | {within} | {reps['Alto']} | {reps['Tenor']} | "
              f"{'-' if system == 'bach' else hard} |")


def count_figures(folder: Path) -> dict:
    """The rhythm figures placed in the scores under ``folder`` (their ``info.rhythm``)."""
    total: dict = {}
    for p in folder.rglob("score.json"):
        info = json.loads(p.read_text()).get("info", {}).get("rhythm") or {}
        for k, v in (info.get("figures") or {}).items():
            total[k] = total.get(k, 0) + v
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folk", type=int, default=20, help="folk tunes to harmonize (default 20)")
    ap.add_argument("--chorales", type=int, default=8,
                    help="Bach chorale melodies to harmonize (those of stretto bench's "
                    "stretto-chorales suite; default 8)")
    ap.add_argument("--out", default="out/rhythm_bench", help="where the scores and report go")
    ap.add_argument("--workers", default="2", help="stretto bench --workers (default 2)")
    ap.add_argument("--time-limit", type=float, default=10.0, help="per piece, seconds")
    ap.add_argument("--bach", type=int, default=None,
                    help="only this many of Bach's chorales (default: all, his quartiles)")
    args = ap.parse_args()
    start = time.perf_counter()
    out = Path(args.out)
    codes = write_scores(out, args.folk, args.chorales, args.time_limit)
    written = time.perf_counter() - start
    systems = [str(out / s) for s in codes]
    limit = ["--limit", str(args.bach)] if args.bach else []
    code = _run(["bench", *systems, "--suite", "bach", *limit, "--out", str(out / "report"),
                 "--workers", args.workers, "--quiet"])
    if code:
        raise SystemExit(f"rhythm_bench: stretto bench exited {code}")
    report = json.loads((out / "report" / "report.json").read_text())
    summary(report, codes)
    for s in ("harmonize-free", "chorales-free", "compositions"):
        print(f"figures in {s}: {count_figures(out / s)}")
    print(f"\nscores written in {written:.0f} s; {time.perf_counter() - start:.0f} s wall")


if __name__ == "__main__":
    main()
