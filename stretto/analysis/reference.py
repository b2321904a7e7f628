"""Bach's statistics, the reference the distribution, melody and harmony metrics compare with.

``bach_reference.json`` (shipped beside this module) holds, over the four-part chorales bundled
with music21: the pooled pitch-class (relative to the final), melodic-interval and inter-onset
histograms, each voice's (S, A, T, B) interval histogram and median pitch, and chord-bigram
counts in five folds (a chorale's fold is ``sha1(name) mod 5``), so that a Bach chorale is
scored by a model that never saw it, and the tension figures (:mod:`stretto.analysis.tension`:
per metric the median, quartiles and count over the chorales). Rebuild it with ``python -m
stretto.analysis.reference`` (deterministic: the same music21 corpus gives the same file);
``--tension-only`` recomputes only the tension figures and keeps the rest of the file.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

FOLDS = 5
PATH = Path(__file__).with_name("bach_reference.json")


def fold_of(name: str) -> int:
    """The fold (0-4) of a chorale named like ``bwv10.7``."""
    return int(hashlib.sha1(name.encode()).hexdigest(), 16) % FOLDS


@lru_cache(maxsize=1)
def load_reference() -> dict:
    """The shipped reference (see the module docstring)."""
    return json.loads(PATH.read_text(encoding="utf-8"))


def build_reference(pieces) -> dict:
    """The reference from ``(name, piece)`` pairs of four-part chorales."""
    import numpy as np

    from stretto.analysis.distribution import interval_histogram, interval_histogram_of, \
        ioi_histogram, pitch_class_histogram
    from stretto.analysis.harmony import beat_chords, progression
    from stretto.analysis.melody import ROLES
    from stretto.analysis.view import lines

    pieces = list(pieces)

    pc = np.zeros(12)
    iv = np.zeros(25)
    ioi = np.zeros(11)
    role_iv = {r: np.zeros(25) for r in ROLES}
    role_pitch: dict[str, list[int]] = {r: [] for r in ROLES}
    bigrams: list[dict] = [{} for _ in range(FOLDS)]
    names = []
    for name, piece in pieces:
        names.append(name)
        pc += pitch_class_histogram(piece)
        iv += interval_histogram(piece)
        ioi += ioi_histogram(piece)
        for role, line in zip(ROLES, lines(piece)):
            role_iv[role] += interval_histogram_of(line.intervals())
            role_pitch[role] += list(line.midi)
        prog = progression(beat_chords(piece))
        fold = bigrams[fold_of(name)]
        for a, b in zip(prog, prog[1:]):
            fold.setdefault(a, {})
            fold[a][b] = fold[a].get(b, 0) + 1
    return {
        "source": "four-part Bach chorales bundled with music21 (music21.corpus, composer bach)",
        "pieces": len(names),
        "names_sha256": hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest(),
        "pitch_class": pc.tolist(), "interval": iv.tolist(), "ioi": ioi.tolist(),
        "role_interval": {r: h.tolist() for r, h in role_iv.items()},
        "role_tessitura": {r: float(np.median(v)) if v else 60.0 for r, v in role_pitch.items()},
        "bigrams": [{a: dict(sorted(row.items())) for a, row in sorted(f.items())}
                    for f in bigrams],
        "tension": tension_reference(pieces),
    }


def tension_reference(pieces) -> dict:
    """Per tension metric (:func:`stretto.analysis.tension.tension_metrics`), over ``(name,
    piece)`` pairs: ``{"n", "median", "p25", "p75"}``."""
    import numpy as np

    from stretto.analysis.tension import tension_metrics

    values: dict[str, list[float]] = {}
    for _, piece in pieces:
        for k, v in tension_metrics(piece).items():
            if v is not None:
                values.setdefault(k, []).append(v)
    return {k: {"n": len(v), "median": round(float(np.median(v)), 6),
                "p25": round(float(np.percentile(v, 25)), 6),
                "p75": round(float(np.percentile(v, 75)), 6)}
            for k, v in sorted(values.items())}


def main() -> None:  # pragma: no cover - a maintenance script
    import sys

    from stretto.analysis.suites import bach_paths, load_bach
    from stretto.errors import BadInput

    pieces = []
    for p in bach_paths():
        try:
            pieces.append((p.stem, load_bach(p)))
        except BadInput:
            continue
    if "--tension-only" in sys.argv[1:]:  # the rest of the file as it is
        ref = json.loads(PATH.read_text(encoding="utf-8"))
        ref["tension"] = tension_reference(pieces)
        PATH.write_text(json.dumps(ref, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote the tension figures of {len(pieces)} chorales into {PATH}")
        return
    ref = build_reference(pieces)
    try:
        import music21
        ref["music21"] = music21.__version__
    except ImportError:
        pass
    PATH.write_text(json.dumps(ref, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {PATH} from {ref['pieces']} chorales")


if __name__ == "__main__":  # pragma: no cover
    main()
