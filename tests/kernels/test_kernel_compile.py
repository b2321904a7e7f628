"""Every kernel compiles for an H100 (sm_90) through Triton's real GPU pipeline down to a cubin,
on this machine without a GPU, and its shared memory fits the H100's limit: what the CPU
interpreter cannot tell (it accepts 8x8 dots, non-constexpr globals, precisions a GPU lacks)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the kernel tests need torch (pip install 'stretto[neural]')")
pytest.importorskip("triton", reason="triton is not installed (pip install 'stretto[neural]', Linux)")

from stretto.kernels.aot import SHARED_MEMORY_LIMIT, SPECS  # noqa: E402

ARCH = 90
pytestmark = pytest.mark.slow  # every kernel compiled for a GPU (ptxas), not run


def ptxas_present() -> bool:
    spec = importlib.util.find_spec("triton")
    root = Path(spec.origin).parent if spec and spec.origin else None
    return bool(root) and (root / "backends" / "nvidia" / "bin" / "ptxas").is_file()


@pytest.fixture(scope="module")
def compiled() -> dict:
    """One subprocess compiles them all (it must run without TRITON_INTERPRET, which this test
    process has: triton's own library is built for the interpreter here)."""
    if not ptxas_present():
        pytest.skip("the triton wheel has no ptxas here: cannot build cubins without a CUDA toolkit")
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env["TRITON_DEFAULT_FP_FUSION"] = "1"
    done = subprocess.run([sys.executable, "-m", "stretto.kernels.aot", "--arch", str(ARCH), "--json"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.stdout.strip(), done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("name", [spec.name for spec in SPECS])
def test_kernel_compiles_for_sm90_and_fits(name, compiled):
    result = compiled["kernels"][name]
    assert "error" not in result, result.get("error")
    assert result["cubin_bytes"] > 1000
    assert result["shared"] <= SHARED_MEMORY_LIMIT[ARCH], f"{result['shared']} B of shared memory"


def test_aot_refuses_to_run_under_the_interpreter():
    env = dict(os.environ, TRITON_INTERPRET="1")
    done = subprocess.run([sys.executable, "-m", "stretto.kernels.aot"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: unset TRITON_INTERPRET to compile for a GPU (the interpreter replaces triton's library)"
    ]


@pytest.mark.parametrize(("args", "needle"), [
    pytest.param(("--arch", "75"), "error: --arch 75 unknown; use one of [80, 86, 89, 90]", id="unknown-arch"),
    pytest.param(("--arch", "sm90"), "argument --arch: invalid int value: 'sm90'", id="not-a-number"),
    pytest.param(("--only", "fft"), "error: --only 'fft' matches no kernel", id="no-match"),
])
def test_aot_bad_arguments_are_one_line(args, needle):
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    done = subprocess.run([sys.executable, "-m", "stretto.kernels.aot", *args], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]
