"""Rotary position embedding (rotate-half convention) as one Triton kernel.

x [B, H, T, D], cos/sin [T, D]: ``y = x * cos + rotate_half(x) * sin`` with
``rotate_half(x) = cat(-x[..., D/2:], x[..., :D/2])``. Each program rotates ``ROWS`` rows of
``x`` (a row is one (b, h, t)), holding the two halves of a row side by side:
``y1 = x1 cos1 - x2 sin1``, ``y2 = x2 cos2 + x1 sin2``. fp32 inside.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from .runtime import LazyKernel, output_like

__all__ = ["rope_triton"]


def _rope_kernel(
    x_ptr, cos_ptr, sin_ptr, y_ptr,
    n_rows, n_heads, seq_len, head_dim, stride_b, stride_h, stride_t,
    ROWS: tl.constexpr, HALF_BLOCK: tl.constexpr,
):
    rows = tl.program_id(0).to(tl.int64) * ROWS + tl.arange(0, ROWS)  # row = (b * H + h) * T + t
    cols = tl.arange(0, HALF_BLOCK)
    half = head_dim // 2
    mask = (rows[:, None] < n_rows) & (cols[None, :] < half)
    t = rows % seq_len
    bh = rows // seq_len
    # x is read through its strides (the [B, T, H, D] -> [B, H, T, D] transpose of a projection
    # needs no copy); y is written contiguous.
    x_row = (bh // n_heads) * stride_b + (bh % n_heads) * stride_h + t * stride_t
    x_lo = x_ptr + x_row[:, None] + cols[None, :]
    t_lo = t[:, None] * head_dim + cols[None, :]
    x1 = tl.load(x_lo, mask=mask, other=0.0).to(tl.float32)
    x2 = tl.load(x_lo + half, mask=mask, other=0.0).to(tl.float32)
    cos1 = tl.load(cos_ptr + t_lo, mask=mask, other=0.0).to(tl.float32)
    cos2 = tl.load(cos_ptr + t_lo + half, mask=mask, other=0.0).to(tl.float32)
    sin1 = tl.load(sin_ptr + t_lo, mask=mask, other=0.0).to(tl.float32)
    sin2 = tl.load(sin_ptr + t_lo + half, mask=mask, other=0.0).to(tl.float32)
    y_lo = y_ptr + rows[:, None] * head_dim + cols[None, :]
    tl.store(y_lo, (x1 * cos1 - x2 * sin1).to(y_ptr.dtype.element_ty), mask=mask)
    tl.store(y_lo + half, (x2 * cos2 + x1 * sin2).to(y_ptr.dtype.element_ty), mask=mask)


rope_kernel = LazyKernel(_rope_kernel, "rope")


def rope_triton(
    x: torch.Tensor,
    cos: torch.Tensor,
    sin: torch.Tensor,
    *,
    out: torch.Tensor | None = None,
    rows: int | None = None,
) -> torch.Tensor:
    """Launch the rotary kernel. ``rows`` (a power of two) is the rows per program; by default
    enough for ~2048 elements per program."""
    xc = x if x.stride(-1) == 1 else x.contiguous()  # other strides are passed to the kernel
    cc = cos.contiguous()
    sc = sin.contiguous()
    y = output_like(out, tuple(x.shape), x)
    b, h, t, d = x.shape
    n_rows = b * h * t
    half_block = triton.next_power_of_2(max(d // 2, 1))
    if rows is None:
        rows = max(1, min(64, 1024 // half_block))
    if n_rows:
        rope_kernel[(triton.cdiv(n_rows, rows),)](
            xc, cc, sc, y, n_rows, h, t, d, xc.stride(0), xc.stride(1), xc.stride(2),
            ROWS=rows, HALF_BLOCK=half_block, num_warps=4,
        )
    return y
