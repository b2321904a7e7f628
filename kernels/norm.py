"""RMSNorm as one Triton kernel: fp32 sum of squares per row, one read and one write.

``y = x * rsqrt(mean(x^2) + eps) * weight`` over the last dimension of ``x`` [..., C].
Rows of up to ``MAX_SINGLE_BLOCK`` elements are held whole in registers (read once), several rows
per program when they are narrow; longer rows take one program each and two passes over the row
in chunks (sum of squares, then scale), the second served from cache.
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
    n_rows, n_cols, eps,
    BLOCK: tl.constexpr, ROWS: tl.constexpr, SINGLE: tl.constexpr,
):
    cols = tl.arange(0, BLOCK)
    if SINGLE:
        # ROWS whole rows per program, [ROWS, BLOCK] in registers: a narrow model (C = 192)
        # still gives each program a few KiB to move.
        rows = tl.program_id(0).to(tl.int64) * ROWS + tl.arange(0, ROWS)  # int64: rows * C may pass 2^31
        col_ok = cols < n_cols
        mask = (rows[:, None] < n_rows) & col_ok[None, :]
        offs = rows[:, None] * n_cols + cols[None, :]
        x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
        inv = 1.0 / tl.sqrt(tl.sum(x * x, axis=1) / n_cols + eps)  # [ROWS]
        w = tl.load(w_ptr + cols, mask=col_ok, other=0.0).to(tl.float32)
        tl.store(y_ptr + offs, (x * inv[:, None] * w[None, :]).to(y_ptr.dtype.element_ty), mask=mask)
    else:
        row = tl.program_id(0).to(tl.int64)
        x_row = x_ptr + row * n_cols
        y_row = y_ptr + row * n_cols
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
    rows_per_program: int | None = None,
) -> torch.Tensor:
    """Launch the RMSNorm kernel. ``out`` (same shape and dtype as x, contiguous) receives the
    result when given; ``block`` (a power of two) forces the chunked two-pass path when < C;
    ``rows_per_program`` (a power of two) sets how many whole rows one program normalises."""
    n_cols = x.shape[-1]
    x2 = x.contiguous().view(-1, n_cols)  # the kernel indexes rows densely
    w = weight.contiguous()
    y = output_like(out, tuple(x.shape), x)
    if block is None:
        block = min(triton.next_power_of_2(n_cols), MAX_SINGLE_BLOCK)
    single = block >= n_cols
    if not single:
        rows_per_program = 1
    elif rows_per_program is None:
        rows_per_program = max(1, min(16, 4096 // block))  # ~4096 elements per program
    num_warps = 4 if block * rows_per_program <= 2048 else 8
    rows = x2.shape[0]
    if rows:
        rms_norm_kernel[(triton.cdiv(rows, rows_per_program),)](
            x2, w, y.view(-1, n_cols), rows, n_cols, float(eps),
            BLOCK=block, ROWS=rows_per_program, SINGLE=single, num_warps=num_warps,
        )
    return y
