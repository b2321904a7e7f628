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
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)  # element of the output
    mask = offs < n
    if DENSE:
        g_offs = offs
        u_offs = offs
    else:  # gate/up are rows with their own stride (halves of one projection): no copy needed
        row = offs // n_cols
        col = offs - row * n_cols
        g_offs = row * gate_row_stride + col
        u_offs = row * up_row_stride + col
    g = tl.load(gate_ptr + g_offs, mask=mask, other=0.0).to(tl.float32)
    u = tl.load(up_ptr + u_offs, mask=mask, other=0.0).to(tl.float32)
    y = g / (1.0 + tl.exp(-g)) * u  # silu(g) = g * sigmoid(g)
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


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
        swiglu_kernel[(triton.cdiv(n, block),)](
            g, u, y, n, n_cols, g.stride(0), u.stride(0), BLOCK=block, DENSE=dense, num_warps=4
        )
    return y
