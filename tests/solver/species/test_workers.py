"""Every worker count solves every species and voice count without a native abort.

CP-SAT 9.15 aborted the whole process (exit 134, "Check failed: heuristics.fixed_search !=
nullptr") when its interleaved multi-worker search was handed a complete hint that the chain
threshold made infeasible. An abort cannot be caught inside pytest, so each worker count
solves its cases in a child process and reports one line per case.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # every species with 1-8 workers, each in a child process

CHILD = r"""
import json, sys
from stretto.check import check, hard
from stretto.corpora import load_cantus
from stretto.solver import SolveSettings, SpeciesSpec, solve_species

workers = int(sys.argv[1])
cantus, mode = load_cantus("fux-dorian")
cases = [((s,), 2) for s in (1, 2, 3, 4, 5)] + [((1,), 3), ((1,), 4), ((2,), 3)]
for species, voices in cases:
    spec = SpeciesSpec(cantus=tuple(cantus), mode=mode, species=species * (voices - 1),
                       cantus_voice=voices - 1)
    result = solve_species(spec, SolveSettings(time_limit=2.0, seed=0, workers=workers))
    bad = len(hard(check(result.piece))) if result.piece is not None else -1
    print(json.dumps({"species": list(species), "voices": voices,
                      "status": result.status, "hard": bad}), flush=True)
"""


@pytest.mark.parametrize("workers", range(1, 9), ids=lambda w: f"workers{w}")
def test_no_native_abort_with_any_worker_count(workers: int) -> None:
    run = subprocess.run([sys.executable, "-c", CHILD, str(workers)], capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-400:]
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(rows) == 8
    for row in rows:
        assert row["status"] in ("optimal", "feasible"), row
        assert row["hard"] == 0, row
