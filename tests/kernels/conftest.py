"""Fixtures of the kernel tests: Triton forced on, in its CPU interpreter, and the error measure.

``TRITON_INTERPRET=1`` is set for the whole process when this file is imported, before any test
module imports triton: triton reads it when it is imported (for its own library functions) and
whenever a function is wrapped in ``triton.jit`` (``stretto.kernels`` wraps its kernels at their
first launch). Setting it later, in a fixture, is too late and ``stretto.kernels`` says so.
Every test runs with ``STRETTO_KERNELS=triton`` (autouse fixture, monkeypatch).
"""

from __future__ import annotations

import os

import pytest

# Before anything imports triton: triton wraps its own library functions (tl.sum, tl.cumsum)
# for the interpreter or for the compiler once, at its import, from this variable.
os.environ["TRITON_INTERPRET"] = "1"

try:
    import torch
except ImportError:  # each test module skips itself with the reason (pytest.importorskip)
    torch = None

# Rel. error bounds of the issue (fp32 1e-3, fp16 1e-2); bf16 keeps 8 bits: two ulps.
TOLERANCE = {} if torch is None else {torch.float32: 1e-3, torch.float16: 1e-2, torch.bfloat16: 1.6e-2}


@pytest.fixture(autouse=True)
def triton_interpreter(monkeypatch):
    """Force the Triton path and the interpreter for the test."""
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    monkeypatch.setenv("STRETTO_KERNELS", "triton")
    monkeypatch.setenv("TRITON_DEFAULT_FP_FUSION", "1")  # silences a 3.9 deprecation warning


@pytest.fixture
def needs_triton():
    """Skip the test when triton is not installed."""
    pytest.importorskip("triton", reason="triton is not installed (pip install 'stretto[neural]', Linux)")


@pytest.fixture
def assert_rel_close():
    """``check(actual, expected, dtype)``: max |actual - expected| <= tol(dtype) * max |expected|,
    every element finite (a NaN left by an unwritten output fails)."""

    def check(actual, expected, dtype, what=""):
        actual = torch.as_tensor(actual).double()
        expected = torch.as_tensor(expected).double()
        assert actual.shape == expected.shape, f"{what}: shape {tuple(actual.shape)} != {tuple(expected.shape)}"
        assert torch.isfinite(actual).all(), f"{what}: {(~torch.isfinite(actual)).sum().item()} non-finite elements"
        scale = expected.abs().max().clamp_min(1e-30)
        err = ((actual - expected).abs().max() / scale).item()
        assert err <= TOLERANCE[dtype], f"{what}: rel. error {err:.3g} > {TOLERANCE[dtype]:g} ({dtype})"
        return err

    return check


@pytest.fixture
def nan_like():
    """An output buffer of the given shape and dtype filled with NaN."""

    def make(shape, dtype):
        return torch.full(tuple(shape), float("nan"), dtype=dtype)

    return make
