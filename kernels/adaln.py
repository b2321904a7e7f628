"""adaLN modulation of the flow decoder by its time step, fused: ``x * (1 + scale) + shift``.

x [B, T, C]; shift and scale [B, C] broadcast over T. One read and one write of ``x``; the
per-batch rows of ``shift``/``scale`` are tiny and stay in cache. fp32 inside. Each program
takes a tile of ``ROWS`` rows (one (b, t) each) by ``BLOCK`` channels, so a narrow decoder
(C = 160) still gives a program a few thousand elements, and no per-element division is needed.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from .runtime import LazyKernel, output_like

__all__ = ["modulate_triton", "BLOCK"]

BLOCK = 1024  # most channels per program


def _modulate_kernel(
    x_ptr, shift_ptr, scale_ptr, y_ptr, n_rows, seq_len, n_channels,
    ROWS: tl.constexpr, BLOCK: tl.constexpr,
):
    rows = tl.program_id(0).to(tl.int64) * ROWS + tl.arange(0, ROWS)  # row = b * T + t
    chans = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = (rows[:, None] < n_rows) & (chans[None, :] < n_channels)
    offs = rows[:, None] * n_channels + chans[None, :]
    cond = (rows // seq_len)[:, None] * n_channels + chans[None, :]  # shift/scale row b
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    shift = tl.load(shift_ptr + cond, mask=mask, other=0.0).to(tl.float32)
    scale = tl.load(scale_ptr + cond, mask=mask, other=0.0).to(tl.float32)
    y = x * (1.0 + scale) + shift
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


modulate_kernel = LazyKernel(_modulate_kernel, "modulate")


def modulate_triton(
    x: torch.Tensor,
    shift: torch.Tensor,
    scale: torch.Tensor,
    *,
    out: torch.Tensor | None = None,
    block: int = BLOCK,
    rows_per_program: int | None = None,
) -> torch.Tensor:
    """Launch the modulation kernel; ``out`` (contiguous, x's shape and dtype) receives the result.
    ``block`` caps the channels per program, ``rows_per_program`` (powers of two) sets the rows."""
    xc = x.contiguous()
    sh = shift.contiguous()
    sc = scale.contiguous()
    y = output_like(out, tuple(x.shape), x)
    b, t, c = x.shape
    if xc.numel() == 0:
        return y
    block = min(block, triton.next_power_of_2(c))
    if rows_per_program is None:
        rows_per_program = max(1, min(64, 4096 // block))  # ~4096 elements per program
    grid = (triton.cdiv(b * t, rows_per_program), triton.cdiv(c, block))
    modulate_kernel[grid](xc, sh, sc, y, b * t, t, c, ROWS=rows_per_program, BLOCK=block, num_warps=4)
    return y
