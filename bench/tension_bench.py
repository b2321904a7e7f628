"""Does a plan's tension arc shape the music? Compose plans with and without ``tension = [...]``.

For each plan below (a four-part piece in G major and one in D minor, 8 bars) and each arc
(rise and fall, fall and rise, a steady climb), the plan is composed twice through
``stretto.cli.main(["compose", ...])``, the function the command line calls (seed 0, the
given ``--time-limit``): once with the arc as ``[piece] tension`` and once without it (the same
plan otherwise). The written score is read back and measured with
:func:`stretto.analysis.tension.tension_curve` (the same measure ``stretto bench`` reports:
spiral-array strain, diameter and momentum, dissonance, register, density); printed per case:
the Pearson correlation of the measured tension with the arc, per bar (the mean of its beats;
also over bars 1-7 alone, since the final bar holds the final tonic chord, which every plan
closes on) and per beat, with and without the arc in the plan, the checker's verdict, and the
tension's continuity (mean and 95th-percentile beat-to-beat jump). Bach's figures from
``stretto/analysis/bach_reference.json`` are printed for reference. Usage::

    python bench/tension_bench.py [--time-limit 10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ARCS = {"rise and fall": [0.1, 0.2, 0.4, 0.6, 0.9, 1.0, 0.5, 0.1],
        "fall and rise": [0.9, 0.7, 0.4, 0.1, 0.1, 0.4, 0.8, 0.5],
        "steady climb": [0.0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 1.0]}
PLANS = {"G major, 4/4": ('key = "G major"\nmeter = "4/4"\n', 'bar = 4\ntype = "half"\n'),
         "D minor, 3/4": ('key = "D minor"\nmeter = "3/4"\n', 'bar = 4\ntype = "half"\n')}
VOICES = "".join(f'[[voice]]\nname = "{n}"\n' for n in ("Soprano", "Alto", "Tenor", "Bass"))


def plan_text(head: str, cadence: str, arc: list[float] | None) -> str:
    """An 8-bar four-part plan, with ``tension = arc`` when given."""
    tension = f"tension = {json.dumps(arc)}\n" if arc is not None else ""
    return (f'[piece]\ntitle = "Tension arc"\n{head}bars = 8\n{tension}\n{VOICES}\n'
            f"[[cadence]]\n{cadence}")


def measure(folder: Path, arc: list[float]) -> dict:
    """Correlations of the measured tension with ``arc`` (per bar and per beat), the
    checker's hard violations and the continuity of the curve."""
    import numpy as np

    from stretto.analysis.tension import continuity, follows, tension_curve
    from stretto.io.project import load_piece
    from stretto.score import parse_meter

    piece = load_piece(folder)
    num, den = parse_meter(piece.meter)
    bar = Fraction(4 * num, den)
    curve = tension_curve(piece)
    per_bar = [float(np.mean([x for o, x in zip(curve.onsets, curve.tension)
                              if int(o // bar) == b])) for b in range(len(arc))]
    target = [arc[min(int(o // bar), len(arc) - 1)] for o in curve.onsets]
    data = json.loads((folder / "score.json").read_text(encoding="utf-8"))
    cont = continuity(curve.tension)
    return {"r_bar": follows(per_bar, arc), "r_beat": follows(curve.tension, target),
            "r_body": follows(per_bar[:-1], arc[:-1]),
            "hard": data.get("info", {}).get("check", {}).get("hard"),
            "jump_mean": cont["jump_mean"], "jump_p95": cont["jump_p95"],
            "cost": data.get("info", {}).get("solver", {}).get("soft_costs", {}).get(
                "tension-arc")}


def compose(plan: str, folder: Path, time_limit: float) -> tuple[int, float, str]:
    from stretto.cli import main

    spec = folder.with_suffix(".toml")
    spec.write_text(plan, encoding="utf-8")
    log = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        code = main(["compose", str(spec), "--out", str(folder), "--force", "--seed", "0",
                     "--time-limit", str(time_limit)])
    return code, time.perf_counter() - t0, log.getvalue()


def _f(x, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--keep", help="keep the plans and projects here")
    args = ap.parse_args()
    from stretto.check import check
    from stretto.io.project import load_piece

    rows = []
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        work = Path(args.keep) if args.keep else Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="tension_bench_")))
        work.mkdir(parents=True, exist_ok=True)
        for pi, (pname, (head, cadence)) in enumerate(PLANS.items()):
            base = work / f"p{pi}_flat"
            code0, s0, log0 = compose(plan_text(head, cadence, None), base, args.time_limit)
            for ai, (aname, arc) in enumerate(ARCS.items()):
                folder = work / f"p{pi}_a{ai}"
                code, secs, log = compose(plan_text(head, cadence, arc), folder,
                                          args.time_limit)
                row = {"plan": pname, "arc": aname, "exit": code, "seconds": secs}
                if code == 0:
                    row.update(measure(folder, arc))
                    row["hard"] = sum(v.severity == "hard" for v in check(load_piece(folder)))
                else:
                    row["message"] = " ".join(log.split())[-160:]
                if code0 == 0:
                    flat = measure(base, arc)
                    row["flat_r_bar"], row["flat_r_beat"] = flat["r_bar"], flat["r_beat"]
                    row["flat_r_body"] = flat["r_body"]
                rows.append(row)
    print("| plan | arc | exit | s | r per bar (arc) | r per bar (no arc) | r bars 1-7 (arc) "
          "| r bars 1-7 (no arc) | r per beat (arc) | r per beat (no arc) | hard "
          "| tension-arc cost | jump mean | jump p95 |")
    print("| --- | --- " + "| ---: " * 12 + "|")
    for r in rows:
        print(f"| {r['plan']} | {r['arc']} | {r['exit']} | {r['seconds']:.1f} | "
              f"{_f(r.get('r_bar'))} | {_f(r.get('flat_r_bar'))} | {_f(r.get('r_body'))} | "
              f"{_f(r.get('flat_r_body'))} | {_f(r.get('r_beat'))} | "
              f"{_f(r.get('flat_r_beat'))} | {r.get('hard', '-')} | {r.get('cost', '-')} | "
              f"{_f(r.get('jump_mean'))} | {_f(r.get('jump_p95'))} |")
    ok = [r for r in rows if r.get("r_bar") is not None]
    if ok:
        import numpy as np

        def med(k: str) -> float:
            return float(np.median([r[k] for r in ok if r.get(k) is not None]))

        print(f"\nmedian r per bar: {med('r_bar'):.3f} with the arc, {med('flat_r_bar'):.3f} "
              f"without it; per beat: {med('r_beat'):.3f} and {med('flat_r_beat'):.3f}")
    from stretto.analysis.reference import load_reference

    ref = load_reference().get("tension", {})
    if ref:
        print("Bach (bach_reference.json, median [p25, p75] over "
              f"{ref['tension_mean']['n']} chorales): "
              + ", ".join(f"{k} {v['median']:.3f} [{v['p25']:.3f}, {v['p75']:.3f}]"
                          for k, v in ref.items() if k in ("tension_mean", "tension_jump_mean",
                                                            "tension_jump_p95", "tension_lag1")))
    print(f"{len(rows)} cases in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
