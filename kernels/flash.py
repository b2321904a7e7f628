"""Flash attention (forward) as one Triton kernel: online softmax over key blocks.

q [B, H, T, D], k/v [B, H, Tk, D] -> [B, H, T, D], scale 1/sqrt(D). Each program owns
``BLOCK_M`` queries of one (b, h) and streams the keys in blocks of ``BLOCK_N``, keeping the
running row maximum ``m``, the running normaliser ``l`` and the unnormalised output ``acc`` in
fp32 registers, so the ``T x Tk`` score matrix is never written. Softmax uses ``exp2`` with
``log2(e)`` folded into the scale.

The key loop has two stages: the blocks fully visible to every query of the program (no mask:
for causal attention the blocks wholly left of the diagonal, otherwise every whole block), then
the remaining blocks (the diagonal and a ragged tail) with the causal and bounds masks. Causal
attention with fewer queries than keys (a chunk of new tokens over a cache that ends with them)
aligns the queries with the *last* q_len keys: query i sees keys <= i + k_len - q_len.

Interpreter notes: ``tl.dot`` needs blocks of at least 16 on a GPU (the interpreter accepts 8),
so BLOCK_M, BLOCK_N and the padded head dimension are >= 16; bf16 ``tl.dot`` is garbage in the
interpreter, so there the inputs are upcast to fp32 (``UPCAST``). fp32 inputs use "tf32x3" dots
(not plain TF32), so fp32 keeps its 1e-3 accuracy on a GPU too.
"""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl

from .runtime import LazyKernel, interpreting, output_like

__all__ = ["attention_triton"]

LOG2E = 1.4426950408889634


def _attention_kernel(
    q_ptr, k_ptr, v_ptr, o_ptr,
    n_heads, q_len, k_len, qk_scale,
    stride_qb, stride_qh, stride_qt, stride_kb, stride_kh, stride_kt, stride_vb, stride_vh, stride_vt,
    HEAD_DIM: tl.constexpr, BLOCK_D: tl.constexpr,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
    CAUSAL: tl.constexpr, UPCAST: tl.constexpr, PRECISION: tl.constexpr,
):
    if CAUSAL:  # heaviest query blocks (most keys) first, so the last blocks launched are light
        start_m = (tl.num_programs(0) - 1 - tl.program_id(0)) * BLOCK_M
    else:
        start_m = tl.program_id(0) * BLOCK_M
    bh = tl.program_id(1).to(tl.int64)  # (b, h) flattened: b * n_heads + h
    b = bh // n_heads
    h = bh % n_heads
    # q, k, v are read through their strides (transposed projections need no copy); o is contiguous.
    q_base = q_ptr + b * stride_qb + h * stride_qh
    k_base = k_ptr + b * stride_kb + h * stride_kh
    v_base = v_ptr + b * stride_vb + h * stride_vh
    o_base = o_ptr + bh * q_len * HEAD_DIM

    offs_m = start_m + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)
    d_ok = offs_d < HEAD_DIM  # constant-folded when BLOCK_D == HEAD_DIM

    q = tl.load(q_base + offs_m[:, None] * stride_qt + offs_d[None, :],
                mask=(offs_m[:, None] < q_len) & d_ok[None, :], other=0.0)
    if UPCAST:
        q = q.to(tl.float32)

    m_i = tl.zeros([BLOCK_M], dtype=tl.float32) - float("inf")
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
    acc = tl.zeros([BLOCK_M, BLOCK_D], dtype=tl.float32)

    # Stage 1: whole key blocks every query here sees. Causal: keys < start_m (rows >= start_m).
    if CAUSAL:
        # query i sees keys <= i + (k_len - q_len): the queries are the last q_len positions
        full_end = (tl.minimum(start_m + (k_len - q_len), k_len) // BLOCK_N) * BLOCK_N
    else:
        full_end = (k_len // BLOCK_N) * BLOCK_N
    for start_n in range(0, full_end, BLOCK_N):
        keys = start_n + offs_n
        kt = tl.load(k_base + keys[None, :] * stride_kt + offs_d[:, None], mask=d_ok[:, None], other=0.0)
        v = tl.load(v_base + keys[:, None] * stride_vt + offs_d[None, :], mask=d_ok[None, :], other=0.0)
        if UPCAST:
            kt = kt.to(tl.float32)
            v = v.to(tl.float32)
        s = tl.dot(q, kt, input_precision=PRECISION) * qk_scale  # [BLOCK_M, BLOCK_N], log2 units
        m_new = tl.maximum(m_i, tl.max(s, axis=1))
        alpha = tl.exp2(m_i - m_new)
        p = tl.exp2(s - m_new[:, None])
        l_i = l_i * alpha + tl.sum(p, axis=1)
        acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v, input_precision=PRECISION)
        m_i = m_new

    # Stage 2: the diagonal blocks (causal) and the ragged tail, masked.
    if CAUSAL:
        end = tl.minimum(start_m + BLOCK_M + (k_len - q_len), k_len)
    else:
        end = k_len
    for start_n in range(full_end, end, BLOCK_N):
        keys = start_n + offs_n
        k_ok = keys < k_len
        kt = tl.load(k_base + keys[None, :] * stride_kt + offs_d[:, None],
                     mask=k_ok[None, :] & d_ok[:, None], other=0.0)
        v = tl.load(v_base + keys[:, None] * stride_vt + offs_d[None, :],
                    mask=k_ok[:, None] & d_ok[None, :], other=0.0)
        if UPCAST:
            kt = kt.to(tl.float32)
            v = v.to(tl.float32)
        s = tl.dot(q, kt, input_precision=PRECISION) * qk_scale
        visible = k_ok[None, :]
        if CAUSAL:
            visible = visible & (keys[None, :] <= offs_m[:, None] + (k_len - q_len))
        s = tl.where(visible, s, float("-inf"))
        # Every row sees key 0 in the first block it meets (k_len >= q_len), so m_new is finite
        # from then on and exp2(-inf - m_new) is a clean 0 for the masked entries.
        m_new = tl.maximum(m_i, tl.max(s, axis=1))
        alpha = tl.exp2(m_i - m_new)
        p = tl.exp2(s - m_new[:, None])
        l_i = l_i * alpha + tl.sum(p, axis=1)
        acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v, input_precision=PRECISION)
        m_i = m_new

    out = acc / l_i[:, None]
    tl.store(o_base + offs_m[:, None] * HEAD_DIM + offs_d[None, :], out.to(o_ptr.dtype.element_ty),
             mask=(offs_m[:, None] < q_len) & d_ok[None, :])


attention_kernel = LazyKernel(_attention_kernel, "attention")


def fp32_dot_precision() -> str:
    """fp32 dots as three TF32 products ("tf32x3": tensor cores, ~fp32 accuracy) on NVIDIA; AMD's
    backend lacks it, so there IEEE. Plain "ieee" on NVIDIA unrolls into FMAs: slow to compile
    (~15 s) and to run."""
    return "ieee" if getattr(torch.version, "hip", None) else "tf32x3"


def attention_triton(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    causal: bool = True,
    *,
    out: torch.Tensor | None = None,
    block_m: int | None = None,
    block_n: int | None = None,
    num_warps: int | None = None,
    num_stages: int = 2,
) -> torch.Tensor:
    """Launch flash attention. ``block_m``/``block_n`` (powers of two >= 16), ``num_warps`` and
    ``num_stages`` override the defaults (bench/kernels.py --tune sweeps them on a GPU)."""
    b, h, q_len, d = q.shape
    k_len = k.shape[2]
    qc, kc, vc = (t if t.stride(-1) == 1 else t.contiguous() for t in (q, k, v))  # other strides: passed
    o = output_like(out, tuple(q.shape), q)
    block_d = max(16, triton.next_power_of_2(d))
    wide = block_d > 64 or q.dtype not in (torch.float16, torch.bfloat16)  # fp32 tiles: twice the registers
    if block_m is None:
        block_m = 64 if wide else 128
    if block_n is None:
        block_n = 32 if wide else 64
    if min(block_m, block_n) < 16:
        raise ValueError(f"attention tiles must be >= 16 (tl.dot), got block_m={block_m}, block_n={block_n}")
    upcast = q.dtype not in (torch.float16, torch.bfloat16) or (interpreting() and q.dtype == torch.bfloat16)
    precision = "tf32" if q.dtype in (torch.float16, torch.bfloat16) else fp32_dot_precision()  # tf32: ignored
    if num_warps is None:
        num_warps = 4 if block_d <= 64 else 8
    if q.numel() == 0:
        return o  # a zero-sized grid is not a launch on every backend
    grid = (triton.cdiv(q_len, block_m), b * h)
    attention_kernel[grid](
        qc, kc, vc, o, h, q_len, k_len, LOG2E / math.sqrt(d),
        *qc.stride()[:3], *kc.stride()[:3], *vc.stride()[:3],
        HEAD_DIM=d, BLOCK_D=block_d, BLOCK_M=block_m, BLOCK_N=block_n,
        CAUSAL=bool(causal), UPCAST=upcast, PRECISION=precision, num_warps=num_warps, num_stages=num_stages,
    )
    return o
