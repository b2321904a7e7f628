"""An independent audit of parallel and hidden perfect intervals at every onset, by music21.

It shares no code with ``stretto.check``: the scores are read back with music21 from the
MusicXML that stretto wrote, and every judgement is music21's
``voiceLeading.VoiceLeadingQuartet``:

- for every pair of parts (upper, lower) and every *succession* of the pair, that is, two
  consecutive onsets of the pair (any note start of either part, ties merged, grace notes
  ignored) at both of which both parts sound, with no rest in either between them:
  ``parallelFifth``, ``parallelOctave``, ``parallelUnison`` (music21 counts similar motion and,
  for fifths and simple octaves, contrary motion; a part that holds its note does not move;
  a succession music21 calls both octave and unison counts once among the parallels);
- for the outer parts (first and last) only, where the upper part leaps (more than a second):
  ``hiddenFifth`` and ``hiddenOctave`` (similar motion into the perfect interval, not from the
  same one).

Usage::

    python bench/onset_audit.py out/harmonize some.musicxml     # audit projects and files
    python bench/onset_audit.py --folk 34 --jobs 2               # harmonize 34 folk tunes
    python bench/onset_audit.py --chorales 371 --jobs 2          # Bach's melodies
    python bench/onset_audit.py --folk 34 --list                 # only name the tunes
    python bench/onset_audit.py essenFolksong/erk10#176           # one corpus tune, harmonized
    python bench/onset_audit.py --folk 20 --style plain           # in a harmonic style

``--folk N`` picks N folk and dance tunes from music21's corpus (essenFolksong, oneills1850,
ryansMammoth, airdsAirs; never chorales), deterministically: each source's tunes in the order of
the SHA-256 of ``file#X``, the sources taken in turn, keeping single-line tunes in a simple or
compound metre (2/4, 3/4, 4/4, 2/2, 3/8, 6/8, 9/8, 12/8) of 12 to 200 notes whose range lies in
the soprano's C4-G5, grace notes included (or does after an octave's transposition, which is
applied and reported).
Each is written to MusicXML and harmonized in-process by ``stretto.cli.main(["harmonize",
...])``, the function the command line calls, with ``--time-limit`` (default 10 s, seed 0);
then the melody is compared note for note (pitch, duration, onset from the first note) with
the soprano read back from the written MusicXML, and the score is audited. ``--chorales N``
does the same for the first N of music21's 371 Bach chorales (``corpus.chorales.Iterator``, as
``bench/chorale_bench.py``), their soprano harmonized from the chorale file itself, with time
per chorale, and Bach's own four parts audited alike. Printed per piece and in total: whether a
score was written, stretto's exit status, whether the melody is unchanged, the parallels and
hidden perfects found, and their rate per 1,000 successions. ``--style`` passes a harmonic
style to ``stretto harmonize``; the vocabulary used is then counted from each score.json's
analysis (the chord in its local key): secondary dominants (V, V7 or viio7 of another degree),
sevenths, and the chromatic chords (N6, augmented sixths, borrowed chords).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import re
import sys
import tempfile
import time
from fractions import Fraction
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FOLK_SOURCES = ("essenFolksong", "oneills1850", "ryansMammoth", "airdsAirs")
METRES = {"2/4", "3/4", "4/4", "2/2", "3/8", "6/8", "9/8", "12/8"}
SOPRANO = (60, 79)  # C4-G5
KINDS = ("parallel fifth", "parallel octave", "parallel unison", "hidden fifth",
         "hidden octave")


# --------------------------------------------------------------------------- reading parts


def parts_of(score) -> list[tuple[str, list[tuple[Fraction, Fraction, object]]]]:
    """Each part of a music21 score, top down, as (name, [(onset, end, pitch)]): ties merged,
    grace notes dropped, a chord read as its highest pitch. Of more than four parts, the ones
    named soprano, alto, tenor, bass when all four are there (a chorale's doubling parts)."""
    parts = list(score.parts) if hasattr(score, "parts") and score.parts else [score]
    names = [(p.partName or p.id or f"part {i + 1}") for i, p in enumerate(parts)]
    if len(parts) > 4:
        pick = []
        for role in ("soprano", "alto", "tenor", "bass"):
            hit = [i for i, n in enumerate(names) if str(n).strip().lower().startswith(role)]
            if len(hit) == 1:
                pick.append(hit[0])
        if len(pick) == 4:
            parts, names = [parts[i] for i in pick], [names[i] for i in pick]
    out = []
    for name, part in zip(names, parts):
        notes: list = []
        tied = False
        for n in sorted(part.flatten().notes, key=lambda x: x.offset):
            if n.duration.isGrace or n.quarterLength == 0 or type(n).__name__ == "ChordSymbol":
                continue
            p = max(n.pitches, key=lambda q: q.ps) if n.isChord else n.pitch
            on = Fraction(n.offset)
            end = on + Fraction(n.quarterLength)
            # a tie joins two notes of the same pitch that touch (music21's stripTies would
            # also merge a tie written between two different pitches)
            if tied and notes and notes[-1][1] == on and notes[-1][2].ps == p.ps:
                notes[-1] = (notes[-1][0], end, notes[-1][2])
            else:
                notes.append((on, end, p))
            tie = n.tie if not n.isChord else (n.notes[0].tie if n.notes else None)
            tied = tie is not None and tie.type in ("start", "continue")
        out.append((str(name), notes))
    return out


def bar_finder(score):
    """time -> "bar N beat B" from the score's first part's measures (numbers as written)."""
    part = score.parts[0] if hasattr(score, "parts") and score.parts else score
    measures = [(Fraction(m.offset), m.number, Fraction(m.paddingLeft or 0))
                for m in part.getElementsByClass("Measure")]

    def where(t: Fraction) -> str:
        hit = [m for m in measures if m[0] <= t]
        if not hit:
            return f"offset {t}"
        start, number, pad = hit[-1]
        beat = t - start + pad + 1
        text = str(beat.numerator) if beat.denominator == 1 else f"{float(beat):g}"
        return f"bar {number} beat {text}" if beat != 1 else f"bar {number}"
    return where


# --------------------------------------------------------------------------- the audit


def _sounding(notes, t):
    for k, (on, end, _) in enumerate(notes):
        if on <= t < end:
            return k
        if on > t:
            break
    return None


def successions(upper, lower):
    """Consecutive onsets of the pair where both parts sound, no rest between:
    (t1, t2, upper note index at t1, at t2, lower at t1, at t2)."""
    times = sorted({n[0] for n in upper} | {n[0] for n in lower})
    prev = None
    for t in times:
        ku, kl = _sounding(upper, t), _sounding(lower, t)
        if ku is None or kl is None:
            prev = None
            continue
        if prev is not None:
            t1, pu, pl = prev
            if (pu == ku or upper[pu][1] == upper[ku][0]) and \
                    (pl == kl or lower[pl][1] == lower[kl][0]):
                yield t1, t, pu, ku, pl, kl
        prev = (t, ku, kl)


def audit_score(score) -> dict:
    """Every parallel and hidden perfect music21 finds in ``score`` (see the module text)."""
    from music21 import interval, voiceLeading

    parts = parts_of(score)
    where = bar_finder(score)
    found: list[str] = []
    counts = dict.fromkeys(KINDS, 0)
    total = parallels = hidden = 0
    last = len(parts) - 1
    for i in range(len(parts)):
        for j in range(i + 1, len(parts)):
            (nu, up), (nl, lo) = parts[i], parts[j]
            for t1, t2, a, b, c, d in successions(up, lo):
                total += 1
                q = voiceLeading.VoiceLeadingQuartet(up[a][2], up[b][2], lo[c][2], lo[d][2])
                kinds = []
                if q.parallelFifth():
                    kinds.append("parallel fifth")
                if q.parallelOctave():
                    kinds.append("parallel octave")
                if q.parallelUnison():
                    kinds.append("parallel unison")
                if i == 0 and j == last and \
                        interval.Interval(up[a][2], up[b][2]).generic.undirected > 2:
                    if q.hiddenFifth():
                        kinds.append("hidden fifth")
                    if q.hiddenOctave():
                        kinds.append("hidden octave")
                if any(k.startswith("parallel") for k in kinds):
                    parallels += 1  # music21 may call one succession octave and unison
                if any(k.startswith("hidden") for k in kinds):
                    hidden += 1
                for k in kinds:
                    counts[k] += 1
                    found.append(f"{k} {nu}-{nl} {up[a][2].nameWithOctave}-"
                                 f"{up[b][2].nameWithOctave} over {lo[c][2].nameWithOctave}-"
                                 f"{lo[d][2].nameWithOctave}, {where(t1)} -> {where(t2)}")
    return {"parts": len(parts), "successions": total, "parallels": parallels,
            "hidden": hidden, "counts": counts, "found": found}


def melody_diff(source, written) -> str | None:
    """None when the top part of ``written`` has the notes of ``source``'s top part (pitch,
    duration, onset from the first note; grace notes ignored), else the first difference."""
    a, b = parts_of(source)[0][1], parts_of(written)[0][1]
    if not a or not b:
        return "no notes"
    a0, b0 = a[0][0], b[0][0]
    for k, (x, y) in enumerate(zip(a, b)):
        if x[0] - a0 != y[0] - b0 or x[1] - x[0] != y[1] - y[0] or x[2].ps != y[2].ps:
            return (f"note {k + 1}: given {x[2].nameWithOctave} ({x[1] - x[0]} q at "
                    f"{x[0] - a0}), written {y[2].nameWithOctave} ({y[1] - y[0]} q at "
                    f"{y[0] - b0})")
    if len(a) != len(b):
        return f"{len(a)} notes given, {len(b)} written"
    return None


# --------------------------------------------------------------------------- choosing tunes


def _tunes(path: Path):
    """(X number, abc text) of every tune in an abc file (the file header kept in front)."""
    text = path.read_text(encoding="latin-1")
    chunks = re.split(r"(?m)^(?=X:)", text)
    header = chunks[0] if not chunks[0].startswith("X:") else ""
    for chunk in chunks:
        m = re.match(r"X:\s*(\d+)", chunk)
        if m:
            yield int(m.group(1)), header + chunk


def _fits(lo: int, hi: int) -> int | None:
    """Octaves to move a melody of range lo-hi into the soprano's (0 when it fits)."""
    for octaves in (0, -1, 1):
        if SOPRANO[0] <= lo + 12 * octaves and hi + 12 * octaves <= SOPRANO[1]:
            return octaves
    return None


def _usable(abc: str):
    """(music21 score, octaves moved) of a tune fit for the audit, else None."""
    from music21 import converter, harmony, meter

    try:
        score = converter.parse(abc, format="abc")
    except Exception:  # noqa: BLE001 - a tune music21 cannot read is not chosen
        return None
    if len(score.parts) != 1:
        return None
    part = score.parts[0]
    for cs in list(part.recurse().getElementsByClass(harmony.ChordSymbol)):
        cs.activeSite.remove(cs)  # chord symbols of the source: not part of the melody
    flat = part.flatten()
    ts = flat.getElementsByClass(meter.TimeSignature)
    if not ts or {t.ratioString for t in ts} - METRES or len(ts) > 1:
        return None
    notes = [n for n in flat.notes if not n.duration.isGrace]
    if not 12 <= len(notes) <= 200 or any(n.isChord for n in notes):
        return None
    # grace notes are sung too: stretto keeps them and holds them to the soprano's range
    midis = [n.pitch.midi for n in flat.notes if not n.isChord]
    octaves = _fits(min(midis), max(midis))
    if octaves is None:
        return None
    if octaves:
        score = score.transpose(12 * octaves)
    return score, octaves


def corpus_tune(name: str) -> dict:
    """One tune named ``source/file#X`` (``essenFolksong/erk10#176``), moved by an octave
    when that brings it into the soprano's range."""
    from music21 import converter, corpus

    stem, _, number = name.partition("#")
    root = Path(corpus.getComposer("bach")[0]).parents[1]
    path = root / f"{stem}.abc"
    abc = next((text for x, text in _tunes(path) if str(x) == number), None) \
        if path.is_file() else None
    if abc is None:
        raise SystemExit(f"onset_audit: no tune {name} in music21's corpus")
    got = _usable(abc)
    if got is None:  # outside the usual choice: take it as it is
        return {"name": name, "octaves": 0, "score": converter.parse(abc, format="abc")}
    return {"name": name, "octaves": got[1], "score": got[0]}


def choose_folk(n: int) -> list[dict]:
    """The ``n`` tunes of ``--folk`` (see the module text), with their scores as MusicXML
    text."""
    from music21 import corpus

    root = Path(corpus.getComposer("bach")[0]).parents[1]
    queues = []
    for source in FOLK_SOURCES:
        files = sorted((root / source).glob("*.abc"))
        items = []
        for f in files:
            for number, abc in _tunes(f):
                key = f"{source}/{f.stem}#{number}"
                items.append((hashlib.sha256(key.encode()).hexdigest(), key, abc))
        items.sort()
        queues.append(items)
    chosen: list[dict] = []
    pos = [0] * len(queues)
    while len(chosen) < n and any(p < len(q) for p, q in zip(pos, queues)):
        for s, q in enumerate(queues):
            if len(chosen) >= n:
                break
            while pos[s] < len(q):
                _, key, abc = q[pos[s]]
                pos[s] += 1
                got = _usable(abc)
                if got is not None:
                    score, octaves = got
                    chosen.append({"name": key, "octaves": octaves, "score": score})
                    break
    return chosen


# --------------------------------------------------------------------------- one piece


def harmonize_and_audit(job: dict) -> dict:
    """Harmonize one melody file in-process as ``stretto harmonize`` does, then audit."""
    from music21 import converter

    from stretto.cli import main

    out = {"name": job["name"], "octaves": job.get("octaves", 0)}
    folder = Path(job["out"])
    argv = ["harmonize", job["melody"], "--out", str(folder), "--time-limit",
            str(job["time_limit"]), "--seed", "0", "--force"]
    if job.get("style"):
        argv += ["--style", job["style"]]
    log = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        code = main(argv)
    out["seconds"] = time.perf_counter() - t0
    out["exit"] = code
    written = folder / "score.musicxml"
    out["harmonized"] = written.is_file()
    if not out["harmonized"]:
        out["message"] = " ".join(log.getvalue().split())[-200:]
        return out
    source = converter.parse(job["melody"])
    score = converter.parse(str(written))
    out["melody_changed"] = melody_diff(source, score)
    out.update(audit_score(score))
    out["vocabulary"] = vocabulary_counts(folder / "score.json")
    if job.get("bach"):
        bach = audit_score(source)
        out["bach"] = {k: bach[k] for k in ("successions", "parallels", "hidden", "counts")}
    return out


def audit_path(path: str) -> dict:
    """Audit a score file, or a project folder's score.musicxml."""
    from music21 import converter

    p = Path(path)
    if p.is_dir():
        p = p / "score.musicxml"
    out = {"name": path}
    if not p.is_file():
        out["error"] = f"no score at {p}"
        return out
    try:
        out.update(audit_score(converter.parse(str(p))))
    except Exception as exc:  # noqa: BLE001 - one unreadable file does not stop the audit
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out


def vocabulary_counts(path: Path) -> dict:
    """Chords of a stretto score.json's analysis, by kind: ``chords``, ``secondary`` (an
    applied V, V7 or viio7 in the chord's local key), ``seventh``, ``chromatic`` (N6, It6, Fr43,
    and in major the borrowed iv, iio, ii/o7, bVI, bIII)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    harmony = data.get("info", {}).get("harmony", {})
    major = str(harmony.get("key", "C major")).endswith("major")
    out = {"chords": 0, "secondary": 0, "seventh": 0, "chromatic": 0}
    for e in harmony.get("analysis", []):
        local = e.get("local") or e["chord"]
        head, _, applied = local.partition("/")
        if head.startswith("ii") and applied.startswith("o"):  # ii/o7: half-diminished
            head, applied = local, ""
        out["chords"] += 1
        out["secondary"] += bool(applied) and head.lstrip("b").startswith(("V", "vii"))
        out["seventh"] += any(f in head for f in ("7", "65", "43", "42"))
        core = head.rstrip("0123456789")
        out["chromatic"] += core.startswith(("N", "It", "Fr", "Ger", "b")) or (
            major and e.get("key", harmony.get("key")) == harmony.get("key")
            and core in ("iv", "iio", "ii/o"))
    return out


# --------------------------------------------------------------------------- report


def _rate(par: int, succ: int) -> str:
    return f"{1000 * par / succ:.2f}" if succ else "-"


def report(rows: list[dict], *, harmonized: bool, detail: int) -> None:
    for r in rows:
        if "error" in r:
            print(f"{r['name']}: {r['error']}")
            continue
        head = r["name"]
        if harmonized:
            moved = f" (moved {r['octaves']:+d} octave)" if r.get("octaves") else ""
            if not r["harmonized"]:
                print(f"{head}{moved}: not harmonized, exit {r['exit']}, {r['seconds']:.1f} s: "
                      f"{r.get('message', '')}")
                continue
            melody = "melody unchanged" if r["melody_changed"] is None else \
                f"MELODY CHANGED ({r['melody_changed']})"
            head += (f"{moved}: exit {r['exit']}, {r['seconds']:.1f} s, {melody},")
        else:
            head += ":"
        print(f"{head} {r['parallels']} parallel, {r['hidden']} hidden in "
              f"{r['successions']} successions")
        for f in r["found"][:detail]:
            print(f"    {f}")
        if len(r["found"]) > detail:
            print(f"    ... {len(r['found']) - detail} more")
    done = [r for r in rows if "error" not in r and r.get("harmonized", True)]
    succ = sum(r["successions"] for r in done)
    par = sum(r["parallels"] for r in done)
    hid = sum(r["hidden"] for r in done)
    counts = {k: sum(r["counts"][k] for r in done) for k in KINDS}
    print()
    print("| pieces | harmonized | exit 0 | melody unchanged | with a parallel | with a hidden "
          "| parallels | hidden | successions | parallels per 1,000 |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {len(rows)} | {len(done) if harmonized else '-'} | "
          f"{sum(r.get('exit') == 0 for r in rows) if harmonized else '-'} | "
          f"{sum(r.get('melody_changed', 1) is None for r in done) if harmonized else '-'} | "
          f"{sum(r['parallels'] > 0 for r in done)} | {sum(r['hidden'] > 0 for r in done)} | "
          f"{par} | {hid} | {succ} | {_rate(par, succ)} |")
    print("by kind: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    voc = [r["vocabulary"] for r in done if "vocabulary" in r]
    if voc:
        n = sum(v["chords"] for v in voc)
        print("vocabulary: " + ", ".join(
            f"{k} {sum(v[k] for v in voc)} ({100 * sum(v[k] for v in voc) / max(n, 1):.1f}%)"
            for k in ("secondary", "seventh", "chromatic")) + f" of {n} chords; pieces with "
            f"a secondary dominant: {sum(v['secondary'] > 0 for v in voc)}")
    if harmonized and done:
        secs = sorted(r["seconds"] for r in rows)
        print(f"time per piece (harmonize, in-process): median {secs[len(secs) // 2]:.2f} s, "
              f"max {secs[-1]:.2f} s")
    bach = [r["bach"] for r in done if "bach" in r]
    if bach:
        bs = sum(b["successions"] for b in bach)
        bp = sum(b["parallels"] for b in bach)
        print(f"Bach's own four parts, same audit: {bp} parallels, "
              f"{sum(b['hidden'] for b in bach)} hidden in {bs} successions "
              f"({_rate(bp, bs)} parallels per 1,000)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", help="score files or project folders to audit, or "
                    "corpus tunes to harmonize and audit (essenFolksong/erk10#176)")
    ap.add_argument("--folk", type=int, default=0, help="harmonize and audit N folk tunes")
    ap.add_argument("--chorales", type=int, default=0,
                    help="harmonize and audit the first N Bach chorale melodies")
    ap.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    ap.add_argument("--time-limit", type=float, default=10.0,
                    help="stretto harmonize --time-limit, seconds (default 10)")
    ap.add_argument("--out", help="keep the tunes and the projects here (default: a temporary "
                    "folder)")
    ap.add_argument("--list", action="store_true", help="only name the chosen tunes")
    ap.add_argument("--detail", type=int, default=3, help="places listed per piece")
    ap.add_argument("--json", help="also write every result to this file")
    ap.add_argument("--style", choices=("plain", "chorale", "chromatic"),
                    help="stretto harmonize --style (default: its default, chorale)")
    args = ap.parse_args()
    if not (args.paths or args.folk or args.chorales):
        ap.error("give score files or project folders, --folk N or --chorales N")
    start = time.perf_counter()
    results: dict[str, list] = {}
    tunes = [p for p in args.paths if "#" in p and not Path(p).exists()]
    files = [p for p in args.paths if p not in tunes]
    if files:
        with Pool(args.jobs) as pool:
            rows = pool.map(audit_path, files, chunksize=1)
        print(f"## {len(rows)} given scores\n")
        report(rows, harmonized=False, detail=args.detail)
        results["paths"] = rows
    with contextlib.ExitStack() as stack:
        work = Path(args.out) if args.out else Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="onset_audit_")))
        work.mkdir(parents=True, exist_ok=True)
        for what, n in (("tunes", len(tunes)), ("folk", args.folk), ("chorales", args.chorales)):
            if not n:
                continue
            if what == "chorales":
                jobs = _chorale_jobs(n, work, args)
            else:
                chosen = [corpus_tune(t) for t in tunes] if what == "tunes" else choose_folk(n)
                jobs = _folk_jobs(chosen, work, args, prefix="t" if what == "tunes" else "")
            if args.list:
                for j in jobs:
                    print(j["name"] + (f" (moved {j['octaves']:+d} octave)" if j.get("octaves")
                                       else ""))
                continue
            with Pool(args.jobs) as pool:
                rows = pool.map(harmonize_and_audit, jobs, chunksize=1)
            kind = {"tunes": "named tunes", "folk": "folk and dance tunes",
                    "chorales": "Bach chorale melodies"}[what]
            print(f"\n## {len(rows)} {kind} harmonized (--time-limit {args.time_limit:g}, "
                  f"seed 0, {args.jobs} jobs)\n")
            report(rows, harmonized=True, detail=args.detail)
            results[what] = rows
    print(f"\n{time.perf_counter() - start:.0f} s wall")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")


def _folk_jobs(tunes: list[dict], work: Path, args, prefix: str = "") -> list[dict]:
    jobs = []
    for k, tune in enumerate(tunes):
        safe = f"{prefix}{k + 1:03d}_" + re.sub(r"[^A-Za-z0-9]+", "_", tune["name"])
        path = work / f"{safe}.musicxml"
        if not args.list:
            tune["score"].write("musicxml", fp=str(path))
        jobs.append({"name": tune["name"], "octaves": tune["octaves"], "melody": str(path),
                     "out": str(work / safe), "time_limit": args.time_limit,
                     "style": args.style})
    return jobs


def _chorale_jobs(n: int, work: Path, args) -> list[dict]:
    from music21 import corpus

    names = list(corpus.chorales.Iterator(returnType="filename"))[:n]
    jobs = []
    for k, name in enumerate(names):
        path = corpus.getWork(name)
        if isinstance(path, list):
            path = path[0]
        safe = re.sub(r"[^A-Za-z0-9]+", "_", str(name))
        if Path(path).suffix not in (".mxl", ".xml", ".musicxml") and not args.list:
            # a Humdrum chorale (bwv277, bwv281): handed to stretto as MusicXML
            xml = work / f"c{k + 1:03d}_{safe}.musicxml"
            corpus.parse(name).write("musicxml", fp=str(xml))
            path = xml
        jobs.append({"name": str(name), "melody": str(path), "bach": True,
                     "out": str(work / f"c{k + 1:03d}_{safe}"), "time_limit": args.time_limit,
                     "style": args.style})
    return jobs


if __name__ == "__main__":
    main()
