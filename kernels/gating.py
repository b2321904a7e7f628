"""SwiGLU gating as one elementwise Triton kernel: ``silu(gate) * up``, fp32 inside.

Reads ``gate`` and ``up`` once and writes the product once (the unfused PyTorch form writes and
re-reads ``silu(gate)``): three tensor passes instead of five.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from .runtime import LazyKernel, output_like, rows_of

__all__ = ["swiglu_triton", "BLOCK"]

BLOCK = 1024  # elements per program


def _swiglu_kernel(
    gate_ptr, up_ptr, y_ptr, n, n_cols, gate_row_stride, up_row_stride,
    BLOCK: tl.constexpr, DENSE: tl.constexpr,
):
    if DENSE:  # one flat run of n elements
        offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
        mask = offs < n
        g_offs = offs
        u_offs = offs
        y_offs = offs
    else:  # rows with their own strides (halves of one projection): grid (rows, column blocks)
        row = tl.program_id(0).to(tl.int64)
        cols = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
        mask = cols < n_cols
        g_offs = row * gate_row_stride + cols
        u_offs = row * up_row_stride + cols
        y_offs = row * n_cols + cols
    g = tl.load(gate_ptr + g_offs, mask=mask, other=0.0).to(tl.float32)
    u = tl.load(up_ptr + u_offs, mask=mask, other=0.0).to(tl.float32)
    y = g / (1.0 + tl.exp(-g)) * u  # silu(g) = g * sigmoid(g)
    tl.store(y_ptr + y_offs, y.to(y_ptr.dtype.element_ty), mask=mask)


swiglu_kernel = LazyKernel(_swiglu_kernel, "swiglu")


def swiglu_triton(
    gate: torch.Tensor, up: torch.Tensor, *, out: torch.Tensor | None = None, block: int = BLOCK
) -> torch.Tensor:
    """Launch the SwiGLU kernel; ``out`` (contiguous, gate's shape and dtype) receives the result.
    gate and up are read in place when they are rows of one stride (``chunk`` halves), else copied."""
    g = rows_of(gate)
    u = rows_of(up)
    y = output_like(out, tuple(gate.shape), gate)
    n = g.numel()
    n_cols = g.shape[1]
    dense = g.stride(0) == n_cols and u.stride(0) == n_cols
    if n:
        if dense:
            grid = (triton.cdiv(n, block),)
        else:
            block = min(block, triton.next_power_of_2(n_cols))
            grid = (g.shape[0], triton.cdiv(n_cols, block))
        swiglu_kernel[grid](g, u, y, n, n_cols, g.stride(0), u.stride(0), BLOCK=block, DENSE=dense, num_warps=4)
    return y
