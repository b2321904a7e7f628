"""Decode attention over a KV cache, split over the cache length (split-K) and reduced.

q [B, H, D] (one new query per sequence), k_cache/v_cache [B, H, T_max, D], lengths [B]:
sequence b attends to cache positions ``< lengths[b]``. With one query per (b, h) there are only
B * H rows of work, too few to fill a GPU, so the cache length is cut into ``num_splits``
chunks and each (b, h, chunk) is a program (kernel 1). It writes its partial softmax state, the
chunk's maximum score ``m``, normaliser ``l`` and unnormalised output ``acc`` (fp32), and kernel 2
merges the chunks of each (b, h): ``out = sum_s e^(m_s - M) acc_s / sum_s e^(m_s - M) l_s``.
Chunks wholly past ``lengths[b]`` skip their loop and leave ``m = -inf``, ``l = 0``, which the
merge weighs as zero. With M = 1 the scores are a broadcast multiply and a row sum, no ``tl.dot``.
"""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl

from .runtime import LazyKernel, output_like

__all__ = ["decode_attention_triton", "choose_splits"]

LOG2E = 1.4426950408889634


def _decode_split_kernel(
    q_ptr, k_ptr, v_ptr, len_ptr, m_ptr, l_ptr, acc_ptr,
    n_heads, t_max, chunk, num_splits, qk_scale,
    HEAD_DIM: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_N: tl.constexpr,
):
    bh = tl.program_id(0).to(tl.int64)
    split = tl.program_id(1)
    length = tl.minimum(tl.load(len_ptr + bh // n_heads).to(tl.int32), t_max)  # never past the cache
    start = split * chunk
    end = tl.minimum(start + chunk, length)

    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)
    d_ok = offs_d < HEAD_DIM
    q = tl.load(q_ptr + bh * HEAD_DIM + offs_d, mask=d_ok, other=0.0).to(tl.float32) * qk_scale
    k_base = k_ptr + bh * t_max * HEAD_DIM
    v_base = v_ptr + bh * t_max * HEAD_DIM

    m_i = tl.max(tl.zeros([BLOCK_N], dtype=tl.float32), axis=0) - float("inf")  # fp32 scalar -inf
    l_i = tl.sum(tl.zeros([BLOCK_N], dtype=tl.float32), axis=0)
    acc = tl.zeros([BLOCK_D], dtype=tl.float32)
    for start_n in range(start, end, BLOCK_N):
        keys = start_n + offs_n
        k_ok = keys < end
        tile = k_ok[:, None] & d_ok[None, :]
        k = tl.load(k_base + keys[:, None] * HEAD_DIM + offs_d[None, :], mask=tile, other=0.0).to(tl.float32)
        s = tl.sum(k * q[None, :], axis=1)  # [BLOCK_N] scores in log2 units
        s = tl.where(k_ok, s, float("-inf"))
        m_new = tl.maximum(m_i, tl.max(s, axis=0))  # finite: the block holds >= 1 valid key
        alpha = tl.exp2(m_i - m_new)
        p = tl.exp2(s - m_new)
        v = tl.load(v_base + keys[:, None] * HEAD_DIM + offs_d[None, :], mask=tile, other=0.0).to(tl.float32)
        l_i = l_i * alpha + tl.sum(p, axis=0)
        acc = acc * alpha + tl.sum(p[:, None] * v, axis=0)
        m_i = m_new

    part = bh * num_splits + split
    tl.store(m_ptr + part, m_i)
    tl.store(l_ptr + part, l_i)
    tl.store(acc_ptr + part * BLOCK_D + offs_d, acc)


def _decode_merge_kernel(
    m_ptr, l_ptr, acc_ptr, o_ptr, num_splits,
    HEAD_DIM: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_S: tl.constexpr,
):
    bh = tl.program_id(0).to(tl.int64)
    offs_s = tl.arange(0, BLOCK_S)
    offs_d = tl.arange(0, BLOCK_D)
    s_ok = offs_s < num_splits
    m = tl.load(m_ptr + bh * num_splits + offs_s, mask=s_ok, other=float("-inf"))
    l = tl.load(l_ptr + bh * num_splits + offs_s, mask=s_ok, other=0.0)
    acc = tl.load(acc_ptr + (bh * num_splits + offs_s)[:, None] * BLOCK_D + offs_d[None, :],
                  mask=s_ok[:, None], other=0.0)
    m_max = tl.max(m, axis=0)  # finite: lengths >= 1, so chunk 0 always holds a key
    w = tl.where(m > float("-inf"), tl.exp2(m - m_max), 0.0)
    out = tl.sum(w[:, None] * acc, axis=0) / tl.sum(w * l, axis=0)
    tl.store(o_ptr + bh * HEAD_DIM + offs_d, out.to(o_ptr.dtype.element_ty), mask=offs_d < HEAD_DIM)


decode_split_kernel = LazyKernel(_decode_split_kernel, "decode_attention")
decode_merge_kernel = LazyKernel(_decode_merge_kernel, "decode_attention_merge")


def choose_splits(rows: int, t_max: int, block_n: int, device: torch.device) -> int:
    """Chunks per (b, h): enough programs for ~2 waves over the GPU's SMs, never more chunks
    than key blocks. On CPU (the interpreter) every program costs, so at most 4."""
    blocks = triton.cdiv(t_max, block_n)
    if device.type == "cuda":
        target = 2 * torch.cuda.get_device_properties(device).multi_processor_count
    else:
        target = 4 * rows
    return max(1, min(blocks, triton.cdiv(target, max(rows, 1)), 64))


def decode_attention_triton(
    q: torch.Tensor,
    k_cache: torch.Tensor,
    v_cache: torch.Tensor,
    lengths: torch.Tensor,
    *,
    out: torch.Tensor | None = None,
    num_splits: int | None = None,
    block_n: int | None = None,
) -> torch.Tensor:
    """Launch split-K decode attention (two kernels). ``num_splits`` forces the chunk count
    (tests use it to make chunks that lie wholly past a short length)."""
    b, h, d = q.shape
    t_max = k_cache.shape[2]
    qc, kc, vc = q.contiguous(), k_cache.contiguous(), v_cache.contiguous()
    lens = lengths.to(q.device).contiguous()  # a CPU tensor would hand the GPU a host pointer
    o = output_like(out, tuple(q.shape), q)
    block_d = triton.next_power_of_2(d)
    if block_n is None:
        block_n = max(16, min(64, 4096 // block_d))
    rows = b * h
    if num_splits is None:
        num_splits = choose_splits(rows, t_max, block_n, q.device)
    chunk = triton.cdiv(triton.cdiv(t_max, num_splits), block_n) * block_n  # whole key blocks
    num_splits = triton.cdiv(t_max, chunk)
    if rows == 0:
        return o
    m_part = torch.empty((rows, num_splits), dtype=torch.float32, device=q.device)
    l_part = torch.empty((rows, num_splits), dtype=torch.float32, device=q.device)
    acc_part = torch.empty((rows, num_splits, block_d), dtype=torch.float32, device=q.device)
    decode_split_kernel[(rows, num_splits)](
        qc, kc, vc, lens, m_part, l_part, acc_part,
        h, t_max, chunk, num_splits, LOG2E / math.sqrt(d),
        HEAD_DIM=d, BLOCK_D=block_d, BLOCK_N=block_n, num_warps=4,
    )
    decode_merge_kernel[(rows,)](
        m_part, l_part, acc_part, o, num_splits,
        HEAD_DIM=d, BLOCK_D=block_d, BLOCK_S=triton.next_power_of_2(num_splits), num_warps=4,
    )
    return o
