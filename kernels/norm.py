"""RMSNorm as one Triton kernel: one program per row, fp32 sum of squares, one read and one write.

``y = x * rsqrt(mean(x^2) + eps) * weight`` over the last dimension of ``x`` [..., C].
A row of up to ``MAX_SINGLE_BLOCK`` elements is held in registers (read once); longer rows take
two passes over the row in chunks (sum of squares, then scale), the second served from cache.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from .runtime import LazyKernel, output_like

__all__ = ["rms_norm_triton", "MAX_SINGLE_BLOCK"]

MAX_SINGLE_BLOCK = 8192  # widest row kept whole in registers


def _rms_norm_kernel(
    x_ptr, w_ptr, y_ptr,
    n_cols, eps,
    BLOCK: tl.constexpr, SINGLE: tl.constexpr,
):
    row = tl.program_id(0).to(tl.int64)  # int64: rows * n_cols may pass 2^31
    x_row = x_ptr + row * n_cols
    y_row = y_ptr + row * n_cols
    cols = tl.arange(0, BLOCK)
    if SINGLE:
        mask = cols < n_cols
        x = tl.load(x_row + cols, mask=mask, other=0.0).to(tl.float32)
        inv = 1.0 / tl.sqrt(tl.sum(x * x, axis=0) / n_cols + eps)
        w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
        tl.store(y_row + cols, (x * inv * w).to(y_ptr.dtype.element_ty), mask=mask)
    else:
        acc = tl.zeros([BLOCK], dtype=tl.float32)
        for start in range(0, n_cols, BLOCK):
            mask = start + cols < n_cols
            x = tl.load(x_row + start + cols, mask=mask, other=0.0).to(tl.float32)
            acc += x * x
        inv = 1.0 / tl.sqrt(tl.sum(acc, axis=0) / n_cols + eps)
        for start in range(0, n_cols, BLOCK):
            mask = start + cols < n_cols
            x = tl.load(x_row + start + cols, mask=mask, other=0.0).to(tl.float32)
            w = tl.load(w_ptr + start + cols, mask=mask, other=0.0).to(tl.float32)
            tl.store(y_row + start + cols, (x * inv * w).to(y_ptr.dtype.element_ty), mask=mask)


rms_norm_kernel = LazyKernel(_rms_norm_kernel, "rms_norm")


def rms_norm_triton(
    x: torch.Tensor,
    weight: torch.Tensor,
    eps: float = 1e-6,
    *,
    out: torch.Tensor | None = None,
    block: int | None = None,
) -> torch.Tensor:
    """Launch the RMSNorm kernel. ``out`` (same shape and dtype as x, contiguous) receives the
    result when given; ``block`` (a power of two) forces the chunked two-pass path when < C."""
    n_cols = x.shape[-1]
    x2 = x.contiguous().view(-1, n_cols)  # the kernel indexes rows densely
    w = weight.contiguous()
    y = output_like(out, tuple(x.shape), x)
    if block is None:
        block = min(triton.next_power_of_2(n_cols), MAX_SINGLE_BLOCK)
    single = block >= n_cols
    num_warps = 4 if block <= 2048 else 8
    rows = x2.shape[0]
    if rows:
        rms_norm_kernel[(rows,)](
            x2, w, y.view(-1, n_cols), n_cols, float(eps), BLOCK=block, SINGLE=single, num_warps=num_warps
        )
    return y
