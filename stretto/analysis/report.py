"""The benchmark report: statistics per system and metric, report.json, report.md, PNG plots and
the one-screen summary."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np

from stretto.analysis.metrics import HEADLINE


def versions() -> dict:
    """Versions of stretto and of the libraries the numbers depend on."""
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for name in ("stretto", "numpy", "music21", "ortools"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:  # pragma: no cover
            out[name] = None
    from stretto.analysis.reference import load_reference
    ref = load_reference()
    out["bach_reference"] = {"pieces": ref["pieces"], "names_sha256": ref["names_sha256"],
                             "music21": ref.get("music21")}
    return out


def _r(x: float) -> float:
    return float(f"{x:.9g}")


def system_stats(results: list[dict]) -> dict:
    """``{system: {metric: {"n", "median", "p25", "p75", "mean", "best", "worst"}}}`` over the
    pieces without error; best and worst name the pieces (ties broken by name) for metrics with
    a direction, the highest and lowest otherwise."""
    out: dict = {}
    systems = sorted({r["system"] for r in results})
    for s in systems:
        ok = [r for r in results if r["system"] == s and not r["error"]]
        names = sorted({k for r in ok for k in r["metrics"]})
        stats = {}
        for m in names:
            vals = [(r["metrics"][m], r["piece"]) for r in ok if r["metrics"].get(m) is not None]
            if not vals:
                stats[m] = {"n": 0}
                continue
            x = np.array([v for v, _ in vals])
            better = HEADLINE.get(m, (None, None))[1]
            hi = sorted(vals, key=lambda t: (-t[0], t[1]))[0][1]
            lo = sorted(vals, key=lambda t: (t[0], t[1]))[0][1]
            best, worst = (lo, hi) if better == "low" else (hi, lo)
            stats[m] = {"n": len(vals), "median": _r(float(np.median(x))),
                        "p25": _r(float(np.percentile(x, 25))),
                        "p75": _r(float(np.percentile(x, 75))), "mean": _r(float(x.mean())),
                        "best": best, "worst": worst}
        out[s] = stats
    return out


# What a reader should know about a rule set's counts, printed under the rule table.
RULE_SET_NOTES = {
    "satb-voice-leading": (
        "satb-voice-leading is the checker's four-part rules that need no chord labels "
        "(range, crossing, spacing, overlap, parallel and direct perfects, melodic intervals; "
        "`stretto.check.satb.VOICE_LEADING`): range, crossing and spacing judged on the "
        "metre's beats, the motion rules (overlap, parallel and direct perfects) at every "
        "onset of each pair of voices, as `stretto check` judges them. They are a "
        "textbook's rules for students (Aldwell & Schachter, *Harmony and Voice Leading*, "
        "ch. 5-7), and Bach's chorales keep them but for a few liberties, which the counts "
        "show rather than hide: overlaps (most often the bass leaping an octave above the "
        "tenor's last note, or an inner voice passing its neighbour's note) and crossings of a "
        "beat; alto and tenor more than an octave apart; notes beyond the textbook ranges, "
        "which are a convention of teaching; consecutive fifths and octaves, many by contrary "
        "motion (the message says so; parallel_perfect_per_1000 counts similar motion only) "
        "or across a fermata, where one phrase ends and the next begins, and a few where "
        "both voices leap an octave together. `python bench/bach_voice_leading.py` splits "
        "Bach's counts this way and sets them beside the beat-to-beat counts of the "
        "literature (`stretto check --beats`); docs/checker.md has the table."),
}


def rule_stats(results: list[dict]) -> dict:
    """``{system: {rule: mean violations per 100 notes over its pieces}}`` with each rule's
    severity and the checker's rule sets that judged each system: ``{"severity": {rule: kind},
    "systems": {...}, "rule_sets": {system: ["species"] or ["satb"] ...}}``."""
    severity: dict = {}
    systems: dict = {}
    rule_sets: dict = {}
    for s in sorted({r["system"] for r in results}):
        ok = [r for r in results if r["system"] == s and not r["error"]]
        rule_sets[s] = sorted({r["detail"]["rule_set"] for r in ok})
        rules = sorted({k for r in ok for k in r["rules"]})
        for r in ok:
            severity.update(r["severity"])
        systems[s] = {k: _r(sum(r["rules"].get(k, 0.0) for r in ok) / len(ok)) for k in rules} \
            if ok else {}
    return {"severity": dict(sorted(severity.items())), "systems": systems,
            "rule_sets": rule_sets}


def build_report(results: list[dict], config: dict, timing: dict) -> dict:
    """report.json's content. Everything but ``timing`` depends only on the inputs and seed."""
    from stretto.analysis.bench import sort_results

    results = sort_results(results)
    pieces = [{k: v for k, v in r.items() if k != "seconds"} for r in results]
    return {
        "format": "stretto-bench/1",
        "config": config,
        "versions": versions(),
        "metrics": {m: {"group": g, "better": b, "description": d}
                    for m, (g, b, d) in HEADLINE.items()},
        "inputs": [{"system": r["system"], "piece": r["piece"],
                    "sha256": r.get("input_sha256")} for r in results],
        "errors": [{"system": r["system"], "piece": r["piece"], "error": r["error"]}
                   for r in results if r["error"]],
        "systems": system_stats(results),
        "rules": rule_stats(results),
        "pieces": pieces,
        "timing": {**timing, "piece_seconds": {f"{r['system']}/{r['piece']}": r["seconds"]
                                               for r in results}},
    }


def _fmt(x, digits: int = 3) -> str:
    """A number for a table: up to ``digits`` decimals, trailing zeros dropped."""
    if x is None:
        return "-"
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".") if abs(x) < 1000 else f"{x:.0f}"
    return "0" if text == "-0" else text


def summary_table(report: dict, metrics=None) -> list[list[str]]:
    """Rows ``[metric, median per system...]`` of the headline metrics."""
    systems = list(report["systems"])
    rows = [["metric"] + systems]
    for m in metrics or HEADLINE:
        row = [m + {"high": " ↑", "low": " ↓"}.get(HEADLINE[m][1], "")]
        for s in systems:
            st = report["systems"][s].get(m, {})
            row.append(_fmt(st.get("median")) if st.get("n") else "-")
        rows.append(row)
    return rows


def markdown_table(rows: list[list[str]]) -> str:
    head, *body = rows
    lines = ["| " + " | ".join(head) + " |",
             "| --- | " + " | ".join("---:" for _ in head[1:]) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def write_markdown(report: dict, path: Path) -> None:
    """report.md: the overview table (medians), then per group a table per metric with median,
    interquartile range, n, best and worst pieces, the rules by system, and the errors."""
    systems = list(report["systems"])
    cfg = report["config"]
    out = ["# stretto bench", "",
           f"Inputs: {', '.join(cfg.get('inputs', []) + ['suite ' + s for s in cfg.get('suites', [])]) or '-'}; "
           f"seed {cfg.get('seed')}; {len(report['pieces'])} pieces, "
           f"{len(report['errors'])} skipped with errors. Versions: "
           + ", ".join(f"{k} {v}" for k, v in report["versions"].items()
                       if not isinstance(v, dict)) + ".", "",
           "## Overview (medians; ↑ higher is better, ↓ lower is better)", "",
           markdown_table(summary_table(report)), ""]
    groups: dict = {}
    for m, (g, b, d) in HEADLINE.items():
        groups.setdefault(g, []).append((m, b, d))
    for g, ms in groups.items():
        out += [f"## {g}", ""]
        for m, b, d in ms:
            out += [f"### {m}: {d}" + {"high": " (higher is better)",
                                        "low": " (lower is better)"}.get(b, ""), "",
                    "| system | n | median | p25, p75 | mean | "
                    + ("best | worst |" if b else "highest | lowest |"),
                    "| --- | ---: | ---: | ---: | ---: | --- | --- |"]
            for s in systems:
                st = report["systems"][s].get(m, {"n": 0})
                if not st.get("n"):
                    out.append(f"| {s} | 0 | - | - | - | - | - |")
                    continue
                out.append(f"| {s} | {st['n']} | {_fmt(st['median'])} | {_fmt(st['p25'])}, "
                           f"{_fmt(st['p75'])} | {_fmt(st['mean'])} | {st['best']} | "
                           f"{st['worst']} |")
            out.append("")
    rules = report["rules"]
    names = sorted({k for s in rules["systems"].values() for k in s})
    if names:
        sets = "; ".join(f"{s} {', '.join(v)}" for s, v in rules["rule_sets"].items())
        out += ["## Rule violations per 100 notes (mean over pieces), by rule", "",
                f"The checker's rule set per system: {sets}. Counts under different rule sets "
                "do not compare; voice_leading_per_100 and parallel_perfect_per_1000 do.", ""]
        used = {x for v in rules["rule_sets"].values() for x in v}
        out += [RULE_SET_NOTES[x] + "\n" for x in sorted(used) if x in RULE_SET_NOTES]
        out += ["| rule | kind | " + " | ".join(systems) + " |",
                "| --- | --- | " + " | ".join("---:" for _ in systems) + " |"]
        for k in names:
            out.append(f"| {k} | {rules['severity'].get(k, '?')} | " + " | ".join(
                _fmt(rules["systems"].get(s, {}).get(k)) for s in systems) + " |")
        out.append("")
    if report["errors"]:
        out += ["## Skipped pieces", ""]
        out += [f"- {e['system']}/{e['piece']}: {e['error']}" for e in report["errors"]]
        out.append("")
    path.write_text("\n".join(out), encoding="utf-8")


def write_plots(report: dict, out_dir: Path) -> list[Path]:
    """summary.png (box plots of the headline metrics per system) and rules.png (the most
    frequent rule violations per system). Needs matplotlib (the ``bench`` extra); returns []
    without it."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    systems = list(report["systems"])
    metrics = list(HEADLINE)
    cols = 5
    rows = -(-len(metrics) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.8 * rows))
    for ax, m in zip(axes.flat, metrics):
        data = [[p["metrics"][m] for p in report["pieces"] if p["system"] == s
                 and not p["error"] and p["metrics"].get(m) is not None] for s in systems]
        ax.boxplot([d if d else [np.nan] for d in data], showfliers=False)
        ax.set_xticks(range(1, len(systems) + 1))
        ax.set_xticklabels(systems, rotation=30, ha="right", fontsize=7)
        ax.set_title(m + {"high": " ↑", "low": " ↓"}.get(HEADLINE[m][1], ""), fontsize=9)
    for ax in list(axes.flat)[len(metrics):]:
        ax.axis("off")
    fig.tight_layout()
    paths = [out_dir / "summary.png"]
    fig.savefig(paths[0], dpi=80)
    plt.close(fig)
    rules = report["rules"]["systems"]
    totals: dict = {}
    for s in rules.values():
        for k, v in s.items():
            totals[k] = totals.get(k, 0.0) + v
    top = sorted(totals, key=lambda k: (-totals[k], k))[:12]
    if top:
        fig, ax = plt.subplots(figsize=(9, 5))
        width = 0.8 / max(len(systems), 1)
        y = np.arange(len(top))
        for i, s in enumerate(systems):
            ax.barh(y + i * width, [rules.get(s, {}).get(k, 0.0) for k in top], width, label=s)
        ax.set_yticks(y + 0.4 - width / 2)
        ax.set_yticklabels(top, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("violations per 100 notes (mean)")
        ax.legend(fontsize=7)
        fig.tight_layout()
        paths.append(out_dir / "rules.png")
        fig.savefig(paths[-1], dpi=80)
        plt.close(fig)
    return paths


def write_report(report: dict, out_dir: str | Path) -> dict[str, Path]:
    """report.json, report.md and the plots into ``out_dir`` (created)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "md": out_dir / "report.md"}
    paths["json"].write_text(json.dumps(report, indent=1, sort_keys=True, ensure_ascii=False)
                             + "\n", encoding="utf-8")
    write_markdown(report, paths["md"])
    for p in write_plots(report, out_dir):
        paths[p.stem] = p
    return paths


def summary_text(report: dict) -> str:
    """The one-screen summary printed by ``stretto bench``."""
    rows = summary_table(report)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(r, widths))) for r in rows]
    n = {s: sum(1 for p in report["pieces"] if p["system"] == s and not p["error"])
         for s in report["systems"]}
    lines.append("pieces: " + ", ".join(f"{s} {k}" for s, k in n.items())
                 + f"; skipped {len(report['errors'])}")
    return "\n".join(lines)
