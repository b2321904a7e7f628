"""SwiGLU gating as one elementwise Triton kernel: ``silu(gate) * up``, fp32 inside.

Reads ``gate`` and ``up`` once and writes the product once (the unfused PyTorch form writes and
re-reads ``silu(gate)``): three tensor passes instead of five.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from .runtime import LazyKernel, output_like

__all__ = ["swiglu_triton", "BLOCK"]

BLOCK = 1024  # elements per program


def _swiglu_kernel(gate_ptr, up_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    g = tl.load(gate_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    u = tl.load(up_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    y = g / (1.0 + tl.exp(-g)) * u  # silu(g) = g * sigmoid(g)
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


swiglu_kernel = LazyKernel(_swiglu_kernel, "swiglu")


def swiglu_triton(
    gate: torch.Tensor, up: torch.Tensor, *, out: torch.Tensor | None = None, block: int = BLOCK
) -> torch.Tensor:
    """Launch the SwiGLU kernel; ``out`` (contiguous, gate's shape and dtype) receives the result."""
    g = gate.contiguous()
    u = up.contiguous()
    y = output_like(out, tuple(gate.shape), gate)
    n = g.numel()
    if n:
        swiglu_kernel[(triton.cdiv(n, block),)](g, u, y, n, BLOCK=block, num_warps=4)
    return y
