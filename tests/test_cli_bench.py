"""``stretto bench``: files and folders, bad input skipped, missing paths, reproducible report,
local pool and Ray giving the same numbers."""

from __future__ import annotations

import json

import pytest

from stretto.analysis.suites import block_chords, random_walk
from stretto.cli import main
from stretto.score import save_json


def _stable(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "timing"}


@pytest.fixture()
def folder(tmp_path):
    sysdir = tmp_path / "mysystem"
    sysdir.mkdir()
    save_json(random_walk(1), sysdir / "walk.json")
    save_json(block_chords(2), sysdir / "chords.json")
    from stretto.io import write_project
    write_project(random_walk(3), tmp_path / "proj")
    (tmp_path / "proj" / "score.mid").rename(sysdir / "walk3.mid")
    (sysdir / "broken.musicxml").write_text("<score-partwise><part>not music", encoding="utf-8")
    return sysdir


def test_bench_a_folder_skips_the_bad_file(folder, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["bench", str(folder), "--out", str(out), "--quiet", "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert "broken.musicxml" in err and err.count("\n") == 1
    report = json.loads((out / "report.json").read_text())
    assert [p["piece"] for p in report["pieces"]] == ["broken.musicxml", "chords.json",
                                                      "walk.json", "walk3.mid"]
    assert [e["piece"] for e in report["errors"]] == ["broken.musicxml"]
    assert report["systems"]["mysystem"]["independence_min"]["n"] == 3
    assert all(i["sha256"] for i in report["inputs"] if i["piece"] != "broken.musicxml")
    md = (out / "report.md").read_text()
    assert "## Skipped pieces" in md and "independence_min" in md
    assert (out / "summary.png").stat().st_size > 1000
    assert (out / "rules.png").is_file()


def test_missing_input_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["bench", str(tmp_path / "nope"), "--out", str(tmp_path / "r")]) == 2
    assert main(["bench", "--suite", "baselines", "--workers", "0", "--out",
                 str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "nope" in err
    assert "--workers: workers must lie in 1 to 64, not 0" in err
    assert not (tmp_path / "r").exists()


def test_unknown_suite_is_bad_input(tmp_path, capsys):
    assert main(["bench", "--suite", "mozart", "--out", str(tmp_path / "r")]) == 2
    assert "unknown suite" in capsys.readouterr().err


def test_report_is_reproducible_and_runner_independent(tmp_path, capsys):
    args = ["bench", "--suite", "baselines", "--count", "2", "--quiet"]
    assert main(args + ["--out", str(tmp_path / "a"), "--workers", "1"]) == 0
    assert main(args + ["--out", str(tmp_path / "b"), "--workers", "2"]) == 0
    a = json.loads((tmp_path / "a" / "report.json").read_text())
    b = json.loads((tmp_path / "b" / "report.json").read_text())
    assert _stable(a) == _stable(b)
    assert a["timing"]["runner"] == "local" and b["timing"]["workers"] == 2
    assert a["config"]["seed"] == 0 and len(a["pieces"]) == 4


def test_summary_on_stdout(tmp_path, capsys):
    assert main(["bench", "--suite", "baselines", "--count", "1", "--workers", "1", "--out",
                 str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "independence_min" in out and "baseline-random-walk" in out
    assert len(out.splitlines()) <= 40


@pytest.mark.slow  # seconds each: make test runs it, make test-fast leaves it out
def test_ray_gives_the_local_numbers():
    ray = pytest.importorskip("ray")
    from stretto.analysis.bench import run_local, run_ray, sort_results, suite_jobs

    jobs = suite_jobs("baselines", count=1) + [
        j for j in suite_jobs("bach") if j["piece"] == "bwv66.6"]
    local = sort_results(run_local(jobs, progress=False))
    remote = sort_results(run_ray(jobs, "local", progress=False,
                                  init_kwargs={"num_cpus": 1, "include_dashboard": False}))
    strip = lambda rs: [{k: v for k, v in r.items() if k != "seconds"} for r in rs]  # noqa
    assert strip(local) == strip(remote)
    assert all(r["error"] is None for r in remote)
    assert not ray.is_initialized()
