"""bench/kernels.py without a GPU: it says why it skips and exits 0; its --smoke mode runs the
whole bench machinery (cases, copy bandwidth, correctness column, table, --tune sweep) on tiny
CPU shapes through the Triton interpreter; bad arguments are one line and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="the kernel tests need torch (pip install 'stretto[neural]')")

BENCH = Path(__file__).resolve().parents[2] / "bench" / "kernels.py"
OPS = ("rms_norm", "swiglu", "rope", "attention", "decode_attention", "flow_step", "modulate", "harmonic_synth")


def bench(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("TRITON_INTERPRET", "STRETTO_KERNELS")}
    environment.update(env)
    return subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True,
                          env=environment, timeout=300)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is here: the bench would run for real")
def test_skips_without_a_gpu_and_says_why():
    done = bench()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "bench/kernels.py: skipped: no CUDA GPU here (torch.cuda.is_available() is False); the kernels are "
        "tested on CPU by `pytest tests/kernels` with TRITON_INTERPRET=1"
    )


@pytest.mark.slow  # seconds each: make test runs it, make test-fast leaves it out
def test_smoke_runs_every_op_and_the_tile_sweep_through_the_interpreter():
    pytest.importorskip("triton", reason="triton is not installed (pip install 'stretto[neural]', Linux)")
    done = bench("--smoke", "--tune", TRITON_INTERPRET="1")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ") and not line.startswith("| op")]
    rows = [r for r in rows if not r.startswith("| ---")]
    assert sorted({r.split("|")[1].strip() for r in rows}) == sorted(OPS)
    for row in rows:
        error = float(row.rstrip(" |").split("|")[-1])
        assert error <= 1e-2, row
    assert "| attention |" in done.stdout and "SDPA ms" in done.stdout
    assert "Tile sweep" in done.stdout and "block_m=64 block_n=32 num_warps=4 num_stages=2" in done.stdout


@pytest.mark.parametrize(("args", "needle"), [
    pytest.param(("--ops", "rms_norm,fft"), "unknown op(s) fft", id="unknown-op"),
    pytest.param(("--dtype", "fp8"), "invalid choice: 'fp8'", id="bad-dtype"),
])
def test_bad_arguments_are_one_line(args, needle):
    done = bench(*args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]


def test_smoke_without_the_interpreter_is_refused():
    done = bench("--smoke")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: --smoke runs the kernels in the Triton interpreter: set TRITON_INTERPRET=1"
