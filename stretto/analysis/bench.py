"""``stretto bench``: build the jobs, run them (in process, a local process pool, or Ray), and
write report.json, report.md and the plots.

A job is a plain dict (see :mod:`stretto.analysis.suites`); :func:`run_job` turns it into one
result dict and never raises: a piece that cannot be read or generated comes back with
``error`` set and is reported and skipped. Results are sorted by system and piece and rounded
to 9 significant digits, so the same inputs and seed give the same report.json whatever the
runner (timings, kept under ``timing``, aside).
"""

from __future__ import annotations

import hashlib
import math
import time
from pathlib import Path

from stretto.errors import BadInput

SPECIES_CONFIGS = [((s,), 1) for s in (1, 2, 3, 4, 5)] + [((1, 1, 1), 3)]


# --------------------------------------------------------------------------- jobs


def file_jobs(inputs: list[str]) -> list[dict]:
    """Jobs for files and folders; a folder is one system named after it, a file its own
    system named after its parent folder. Raises :class:`BadInput` for a missing path."""
    from stretto.analysis.suites import files_in

    jobs = []
    for item in inputs:
        path = Path(item)
        if not path.exists():
            raise BadInput(f"no such file or folder: {item}")
        if path.is_dir():
            found = files_in(path)
            system = path.resolve().name
            jobs += [{"kind": "file", "system": system, "path": str(p),
                      "piece": str(p.relative_to(path))} for p in found]
        else:
            jobs.append({"kind": "file", "system": path.resolve().parent.name,
                         "path": str(path), "piece": path.name})
    return jobs


def suite_jobs(suite: str, *, seed: int = 0, fux_root: str | None = None, limit: int | None = None,
               count: int = 20, time_limit: float = 1.0, chorales: int = 8,
               chorale_time_limit: float = 8.0) -> list[dict]:
    """Jobs of a built-in suite: ``bach``, ``fux`` (needs ``fux_root``), ``stretto-species``
    (``time_limit`` per piece), ``stretto-chorales`` (the melodies of the first ``chorales``
    Bach chorales of fold 0, ``chorale_time_limit`` each), ``baselines`` (``count`` per
    generator). ``limit`` keeps the first pieces of each system (for quick runs)."""
    if suite == "bach":
        from stretto.analysis.suites import bach_paths, corpus_root

        root = corpus_root()
        jobs = [{"kind": "bach", "system": "bach", "path": str(p.relative_to(root)),
                 "piece": p.stem} for p in bach_paths()]
    elif suite == "fux":
        from stretto.corpora.gradus import gradus_figures

        if not fux_root:
            raise BadInput("--suite fux needs the Gradus set's folder: --suite fux PATH")
        root = Path(fux_root)
        if not (root / "I" / "data.tsv").is_file():
            raise BadInput(f"no Fux Gradus set at {fux_root} (expected I/data.tsv)")
        jobs = [{"kind": "fux", "system": "fux", "root": str(root), "key": f.key,
                 "piece": f"fig{f.key}"} for f in gradus_figures(root)]
    elif suite == "stretto-species":
        from stretto.corpora import cantus_names

        jobs = [{"kind": "species", "system": "stretto-species", "cantus": c,
                 "species": list(sp), "cantus_voice": cv, "seed": seed,
                 "time_limit": time_limit,
                 "piece": f"{c}-sp{''.join(map(str, sp))}"}
                for c in cantus_names() for sp, cv in SPECIES_CONFIGS]
    elif suite == "stretto-chorales":
        from stretto.analysis.suites import chorale_available

        if not chorale_available():
            raise BadInput("--suite stretto-chorales is not available yet: stretto's chorale "
                           "harmonizer (stretto.solver.tonal.harmonize) is not installed")
        from stretto.analysis.reference import fold_of
        from stretto.analysis.suites import bach_paths, corpus_root

        root = corpus_root()
        # Bach's melodies of one fold, in name order: the same chorales Bach's own system has
        melodies = [p for p in bach_paths() if p.stem.startswith("bwv") and fold_of(p.stem) == 0]
        jobs = [{"kind": "chorale", "system": "stretto-chorales",
                 "path": str(p.relative_to(root)), "seed": seed,
                 "time_limit": chorale_time_limit, "piece": p.stem}
                for p in melodies[:chorales]]
    elif suite == "baselines":
        jobs = [{"kind": "baseline", "system": f"baseline-{g}", "generator": g,
                 "seed": seed * 1000 + i, "piece": f"{g}-{seed * 1000 + i}"}
                for g in ("random-walk", "block-chords") for i in range(count)]
    else:
        raise BadInput(f"unknown suite {suite!r}: use bach, fux, stretto-species, "
                       "stretto-chorales or baselines")
    if limit is not None:
        by_system: dict[str, list[dict]] = {}
        for j in jobs:
            by_system.setdefault(j["system"], []).append(j)
        jobs = [j for js in by_system.values() for j in js[:limit]]
    return jobs


# --------------------------------------------------------------------------- one job


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_job(job: dict):
    """``(piece, input_sha256, check_settings, held_out_fold)`` of a job."""
    from stretto.analysis import suites
    from stretto.score import dumps

    kind = job["kind"]
    settings = None
    fold = None
    if kind == "file":
        path = Path(job["path"])
        piece = suites.load_file(path)
        digest = _sha256_file(path)
    elif kind == "bach":
        from stretto.analysis.reference import fold_of

        path = suites.corpus_root() / job["path"]
        piece = suites.load_bach(path)
        digest = _sha256_file(path)
        fold = fold_of(path.stem)
    elif kind == "fux":
        from stretto.check import FUX_SETTINGS
        from stretto.corpora.gradus import gradus_figures, load_figure

        fig = next(f for f in gradus_figures(Path(job["root"])) if f.key == job["key"])
        piece = load_figure(fig)
        digest = _sha256_file(fig.path)
        settings = FUX_SETTINGS
    elif kind == "species":
        piece = suites.solve_species_piece(job["cantus"], job["species"], job["cantus_voice"],
                                           job["seed"], job["time_limit"])
        digest = hashlib.sha256(dumps(piece).encode()).hexdigest()
    elif kind == "chorale":
        piece = suites.harmonize_chorale(job["path"], job["seed"], job["time_limit"])
        digest = hashlib.sha256(dumps(piece).encode()).hexdigest()
    elif kind == "baseline":
        gen = suites.random_walk if job["generator"] == "random-walk" else suites.block_chords
        piece = gen(job["seed"])
        digest = hashlib.sha256(dumps(piece).encode()).hexdigest()
    else:
        raise BadInput(f"unknown job kind {kind!r}")
    return piece, digest, settings, fold


def _round(x):
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return None
        return float(f"{x:.9g}")
    if isinstance(x, dict):
        return {k: _round(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_round(v) for v in x]
    return x


def run_job(job: dict) -> dict:
    """Measure one piece. Never raises: failures come back as ``error`` (one line)."""
    start = time.perf_counter()
    out = {"system": job["system"], "piece": job["piece"], "job": job, "error": None}
    try:
        from stretto.analysis.metrics import analyse

        piece, digest, settings, fold = load_job(job)
        if len(piece.voices) < 2:
            raise BadInput(f"{job['piece']} has {len(piece.voices)} voice; the bench needs two "
                           "or more")
        result = analyse(piece, check_settings=settings, held_out_fold=fold)
        out.update(input_sha256=digest, title=piece.title, **result)
    except Exception as exc:  # noqa: BLE001 - a bad piece is reported, never fatal
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        out["error"] = f"{type(exc).__name__}: {msg}"
    out["seconds"] = time.perf_counter() - start
    return _round(out)


# --------------------------------------------------------------------------- runners


def _progress(total: int, enabled: bool):
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is in the bench extra
        return None
    return tqdm(total=total, unit="piece", disable=None if enabled else True, leave=False)


def run_local(jobs: list[dict], workers: int = 1, progress: bool = True) -> list[dict]:
    """Run the jobs in this process (``workers`` 1) or a process pool of ``workers``."""
    bar = _progress(len(jobs), progress)
    results = []
    try:
        if workers <= 1:
            for job in jobs:
                results.append(run_job(job))
                if bar:
                    bar.update()
        else:
            from concurrent.futures import ProcessPoolExecutor, as_completed
            import multiprocessing

            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                futures = [pool.submit(run_job, j) for j in jobs]
                for f in as_completed(futures):
                    results.append(f.result())
                    if bar:
                        bar.update()
    finally:
        if bar:
            bar.close()
    return results


def run_ray(jobs: list[dict], address: str, progress: bool = True,
            init_kwargs: dict | None = None) -> list[dict]:
    """Run the jobs as Ray tasks: ``address`` is a cluster (``ray://host:10001``,
    ``host:6379``) or ``auto`` (the running cluster; a new local one if none). Each job is one
    task calling :func:`run_job`, so the results are those of a local run. The cluster's nodes
    need the same stretto installed (and music21's corpus for ``bach``, the Gradus set at the
    same path for ``fux``, the files at the same paths for file inputs)."""
    try:
        import ray
    except ImportError:
        raise BadInput("--ray needs Ray: pip install 'stretto[ray]'") from None
    started = not ray.is_initialized()
    if started:
        kwargs = dict(init_kwargs or {})
        kwargs.setdefault("log_to_driver", False)
        if address == "local":
            ray.init(**kwargs)
        else:
            try:
                ray.init(address=address, **kwargs)
            except ConnectionError:
                if address != "auto":
                    raise BadInput(f"cannot reach the Ray cluster at {address}") from None
                ray.init(**kwargs)
            except Exception as exc:  # noqa: BLE001 - Ray raises many types for bad addresses
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise BadInput(f"cannot start Ray at {address}: {first}") from None
    task = ray.remote(run_job)
    bar = _progress(len(jobs), progress)
    try:
        pending = [task.remote(j) for j in jobs]
        results = []
        while pending:
            done, pending = ray.wait(pending, num_returns=min(len(pending), 8), timeout=1.0)
            results += ray.get(done)
            if bar:
                bar.update(len(done))
    finally:
        if bar:
            bar.close()
        if started:
            ray.shutdown()
    return results


def sort_results(results: list[dict]) -> list[dict]:
    return sorted(results, key=lambda r: (r["system"], r["piece"]))
