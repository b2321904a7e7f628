"""The row-wise and elementwise kernels (RMSNorm, SwiGLU, RoPE, Euler/CFG step, adaLN modulate)
under the Triton interpreter: each against its PyTorch reference and an independent float64
numpy formula, on fresh seeded inputs with sizes that are not multiples of the block, in fp32,
fp16 and bf16, through the public API (with a launch count) and through the launcher writing
into a NaN-filled ``out``."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the kernel tests need torch (pip install 'stretto[neural]')")
pytest.importorskip("triton", reason="triton is not installed (pip install 'stretto[neural]', Linux)")

import stretto.kernels as K  # noqa: E402
from stretto.kernels import reference as R  # noqa: E402
from stretto.kernels.adaln import modulate_triton  # noqa: E402
from stretto.kernels.euler import flow_step_triton  # noqa: E402
from stretto.kernels.gating import swiglu_triton  # noqa: E402
from stretto.kernels.norm import rms_norm_triton  # noqa: E402
from stretto.kernels.rotary import rope_triton  # noqa: E402

DTYPES = [
    pytest.param(torch.float32, id="fp32"),
    pytest.param(torch.float16, id="fp16"),
    pytest.param(torch.bfloat16, id="bf16"),
]


def rand(gen, shape, dtype, scale=1.0):
    return (torch.randn(shape, generator=gen, dtype=torch.float32) * scale).to(dtype)


def generator(*key) -> torch.Generator:
    """A generator seeded from the test case, so every case draws its own inputs, reproducibly."""
    return torch.Generator().manual_seed(zlib.crc32(repr(key).encode()))


def f64(t) -> np.ndarray:
    return t.double().numpy()


# --- RMSNorm ----------------------------------------------------------------------------------

RMS_CASES = [
    pytest.param((3, 37), None, id="rows3-C37-single"),
    pytest.param((2, 5, 100), 32, id="3d-C100-chunked32"),  # two-pass path, ragged last chunk
    pytest.param((1, 1), None, id="C1"),
    pytest.param((7, 300), None, id="C300"),
    pytest.param((37, 24), None, id="rows37-C24-16-rows-per-program"),  # ragged last row group
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "block"), RMS_CASES)
def test_rms_norm(shape, block, dtype, assert_rel_close, nan_like):
    gen = generator("rms", shape, block, dtype)
    x = rand(gen, shape, dtype, scale=3.0)
    w = rand(gen, shape[-1:], dtype)
    eps = 1e-5
    with K.count_launches() as launched:
        y = K.rms_norm(x, w, eps=eps)
    assert launched["rms_norm"] == 1 and y.dtype == dtype and y.shape == x.shape
    xd = f64(x)
    independent = xd / np.sqrt((xd**2).mean(axis=-1, keepdims=True) + eps) * f64(w)
    assert_rel_close(y, R.rms_norm(x, w, eps), dtype, "kernel vs reference")
    assert_rel_close(y, independent, dtype, "kernel vs numpy")
    assert_rel_close(R.rms_norm(x, w, eps), independent, dtype, "reference vs numpy")
    out = nan_like(shape, dtype)
    assert rms_norm_triton(x, w, eps, out=out, block=block) is out
    assert_rel_close(out, independent, dtype, "launcher into NaN-filled out")


def test_rms_norm_mixed_dtypes_and_strided_input(assert_rel_close):
    """fp16 activations with an fp32 weight, read through a transposed (non-contiguous) view."""
    gen = generator("rms-mixed")
    base = rand(gen, (24, 5), torch.float16)
    x = base.t()  # [5, 24], not contiguous
    w = rand(gen, (24,), torch.float32)
    y = K.rms_norm(x, w)
    assert y.dtype == torch.float16
    xd = f64(x)
    assert_rel_close(y, xd / np.sqrt((xd**2).mean(-1, keepdims=True) + 1e-6) * f64(w), torch.float16)


# --- SwiGLU -----------------------------------------------------------------------------------

SHAPES = [
    pytest.param((1000,), 256, id="n1000-block256"),
    pytest.param((3, 7, 33), 64, id="3x7x33-block64"),
    pytest.param((5,), None, id="n5"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "block"), SHAPES)
def test_swiglu(shape, block, dtype, assert_rel_close, nan_like):
    gen = generator("swiglu", shape, block, dtype)
    gate = rand(gen, shape, dtype, scale=4.0)
    up = rand(gen, shape, dtype)
    with K.count_launches() as launched:
        y = K.swiglu(gate, up)
    assert launched["swiglu"] == 1 and y.dtype == dtype
    g = f64(gate)
    independent = g / (1.0 + np.exp(-g)) * f64(up)
    assert_rel_close(y, R.swiglu(gate, up), dtype, "kernel vs reference")
    assert_rel_close(y, independent, dtype, "kernel vs numpy")
    out = nan_like(shape, dtype)
    swiglu_triton(gate, up, out=out, **({} if block is None else {"block": block}))
    assert_rel_close(out, independent, dtype, "launcher into NaN-filled out")


@pytest.mark.parametrize("dtype", DTYPES)
def test_swiglu_reads_the_halves_of_one_projection_in_place(dtype, assert_rel_close, nan_like):
    """gate, up = proj.chunk(2, -1): rows with stride 2F, read without a copy; also a transposed
    (column-strided) up that must be copied first."""
    gen = generator("swiglu-chunks", dtype)
    proj = rand(gen, (3, 7, 2 * 45), dtype, scale=3.0)
    gate, up = proj.chunk(2, dim=-1)
    assert not gate.is_contiguous()
    expected = f64(gate) / (1.0 + np.exp(-f64(gate))) * f64(up)
    for block in (128, 16):  # one column block per row; three, the last ragged
        out = nan_like(gate.shape, dtype)
        swiglu_triton(gate, up, out=out, block=block)
        assert_rel_close(out, expected, dtype, f"chunk halves, block {block}")
    up_t = rand(gen, (45, 21), dtype).t()  # [21, 45] with column stride 21
    gate2 = rand(gen, (21, 45), dtype)
    assert_rel_close(K.swiglu(gate2, up_t), f64(gate2) / (1.0 + np.exp(-f64(gate2))) * f64(up_t), dtype,
                     "transposed up")


# --- Euler step with classifier-free guidance --------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "block"), SHAPES)
def test_flow_step(shape, block, dtype, assert_rel_close, nan_like):
    gen = generator("flow", shape, block, dtype)
    x, vu, vc = (rand(gen, shape, dtype) for _ in range(3))
    dt, guidance = 0.125, 2.5
    with K.count_launches() as launched:
        y = K.flow_step(x, vu, vc, dt, guidance)
    assert launched["flow_step"] == 1 and y.dtype == dtype
    # Independent form: the guided velocity as an affine mix (1 - g) vu + g vc.
    independent = f64(x) + dt * ((1.0 - guidance) * f64(vu) + guidance * f64(vc))
    assert_rel_close(y, R.flow_step(x, vu, vc, dt, guidance), dtype, "kernel vs reference")
    assert_rel_close(y, independent, dtype, "kernel vs numpy")
    out = nan_like(shape, dtype)
    flow_step_triton(x, vu, vc, dt, guidance, out=out, **({} if block is None else {"block": block}))
    assert_rel_close(out, independent, dtype, "launcher into NaN-filled out")


def test_flow_step_in_place_and_zero_guidance(assert_rel_close):
    gen = generator("flow-in-place")
    x, vu, vc = (rand(gen, (4, 80, 13), torch.float32) for _ in range(3))
    expected = f64(x) + 0.1 * f64(vu)  # guidance 0: the unconditional velocity alone
    flow_step_triton(x, vu, vc, 0.1, 0.0, out=x, block=128)
    assert_rel_close(x, expected, torch.float32, "in-place step")


# --- adaLN modulate ---------------------------------------------------------------------------

MOD_CASES = [
    pytest.param((2, 9, 80), 32, id="B2-T9-C80-block32"),  # ragged column blocks; a row tile spans b
    pytest.param((3, 1, 5), None, id="B3-T1-C5"),
    pytest.param((1, 17, 128), 512, id="B1-T17-C128"),
    pytest.param((3, 50, 20), None, id="B3-T50-C20-ragged-row-tiles"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "block"), MOD_CASES)
def test_modulate(shape, block, dtype, assert_rel_close, nan_like):
    gen = generator("modulate", shape, block, dtype)
    b, t, c = shape
    x = rand(gen, shape, dtype)
    shift = rand(gen, (b, c), dtype)
    scale = rand(gen, (b, c), dtype, scale=0.5)
    with K.count_launches() as launched:
        y = K.modulate(x, shift, scale)
    assert launched["modulate"] == 1 and y.dtype == dtype
    xd, sh, sc = f64(x), f64(shift), f64(scale)
    independent = np.empty_like(xd)
    for i in range(b):  # naive loop over the batch: no broadcasting to get wrong
        independent[i] = xd[i] + xd[i] * sc[i] + sh[i]
    assert_rel_close(y, R.modulate(x, shift, scale), dtype, "kernel vs reference")
    assert_rel_close(y, independent, dtype, "kernel vs numpy")
    out = nan_like(shape, dtype)
    modulate_triton(x, shift, scale, out=out, **({} if block is None else {"block": block}))
    assert_rel_close(out, independent, dtype, "launcher into NaN-filled out")


# --- RoPE -------------------------------------------------------------------------------------


def rope_tables(t: int, d: int, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """The usual tables: angle t * base^(-2i/d) for i < d/2, repeated for both halves."""
    inv = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    angles = torch.arange(t, dtype=torch.float64)[:, None] * inv[None, :]
    angles = torch.cat((angles, angles), dim=-1)
    return angles.cos().to(dtype), angles.sin().to(dtype)


ROPE_CASES = [
    pytest.param((2, 3, 11, 64), None, id="B2-H3-T11-D64"),
    pytest.param((1, 2, 7, 24), 4, id="D24-rows4"),  # half=12: padded to 16 and masked
    pytest.param((1, 1, 5, 2), None, id="D2"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "rows"), ROPE_CASES)
def test_rope(shape, rows, dtype, assert_rel_close, nan_like):
    gen = generator("rope", shape, rows, dtype)
    b, h, t, d = shape
    x = rand(gen, shape, dtype)
    cos, sin = rope_tables(t, d, dtype)
    with K.count_launches() as launched:
        y = K.rope(x, cos, sin)
    assert launched["rope"] == 1 and y.dtype == dtype
    # Independent form: rotate each pair (i, i + d/2) by its angle, as a complex product.
    xd, half = f64(x), d // 2
    z = (xd[..., :half] + 1j * xd[..., half:]) * (f64(cos)[:, :half] + 1j * f64(sin)[:, :half])
    independent = np.concatenate((z.real, z.imag), axis=-1)
    assert_rel_close(y, R.rope(x, cos, sin), dtype, "kernel vs reference")
    assert_rel_close(y, independent, dtype, "kernel vs complex rotation")
    out = nan_like(shape, dtype)
    rope_triton(x, cos, sin, out=out, rows=rows)
    assert_rel_close(out, independent, dtype, "launcher into NaN-filled out")


def test_rope_on_transposed_heads_and_arbitrary_tables(assert_rel_close):
    """x as the model makes it, [B, T, H, D] viewed as [B, H, T, D] (not contiguous), and
    cos/sin halves that differ (the kernel must not assume the tables repeat)."""
    gen = generator("rope-strided")
    base = rand(gen, (2, 9, 3, 16), torch.float32)
    x = base.transpose(1, 2)
    cos, sin = rand(gen, (9, 16), torch.float32), rand(gen, (9, 16), torch.float32)
    xd = f64(x)
    rotated = np.concatenate((-xd[..., 8:], xd[..., :8]), axis=-1)
    assert_rel_close(K.rope(x, cos, sin), xd * f64(cos) + rotated * f64(sin), torch.float32)


def test_float64_in_float64_out_at_float32_accuracy():
    """Any float dtype in, the same out: float64 is computed in fp32 like the others, by every op."""
    gen = generator("fp64")
    d64 = torch.float64
    x, w = rand(gen, (3, 5, 24), d64), rand(gen, (24,), d64)
    q, k, v = (rand(gen, (1, 2, 9, 16), d64) for _ in range(3))
    cos, sin = rope_tables(9, 16, d64)
    f0 = torch.full((1, 700), 330.0, dtype=d64)
    amps = torch.rand((1, 3, 700), generator=gen, dtype=d64)
    lengths = torch.tensor([9])
    calls = {
        "rms_norm": (x, w), "swiglu": (x, x), "flow_step": (x, x, x, 0.5, 2.0),
        "modulate": (x, x[:, 0], x[:, 1]), "rope": (q, cos, sin), "attention": (q, k, v),
        "decode_attention": (q[:, :, 0], k, v, lengths), "harmonic_synth": (f0, amps, 16000.0),
    }
    for op, args in calls.items():
        with K.count_launches() as launched:
            y = getattr(K, op)(*args)
        assert launched[op] == 1 and y.dtype == d64, op
        expected = getattr(R, op)(*args)
        scale = expected.abs().max()
        assert (y - expected).abs().max() <= 1e-5 * scale, op
