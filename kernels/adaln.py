"""adaLN modulation of the flow decoder by its time step, fused: ``x * (1 + scale) + shift``.

x [B, T, C]; shift and scale [B, C] broadcast over T. One read and one write of ``x``; the
per-batch rows of ``shift``/``scale`` are tiny and stay in cache. fp32 inside.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from .runtime import LazyKernel, output_like

__all__ = ["modulate_triton", "BLOCK"]

BLOCK = 1024  # elements of one batch row's [T * C] per program


def _modulate_kernel(x_ptr, shift_ptr, scale_ptr, y_ptr, tc, n_channels, BLOCK: tl.constexpr):
    b = tl.program_id(1).to(tl.int64)
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)  # within batch row b
    mask = offs < tc
    chan = offs % n_channels
    x = tl.load(x_ptr + b * tc + offs, mask=mask, other=0.0).to(tl.float32)
    shift = tl.load(shift_ptr + b * n_channels + chan, mask=mask, other=0.0).to(tl.float32)
    scale = tl.load(scale_ptr + b * n_channels + chan, mask=mask, other=0.0).to(tl.float32)
    y = x * (1.0 + scale) + shift
    tl.store(y_ptr + b * tc + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


modulate_kernel = LazyKernel(_modulate_kernel, "modulate")


def modulate_triton(
    x: torch.Tensor,
    shift: torch.Tensor,
    scale: torch.Tensor,
    *,
    out: torch.Tensor | None = None,
    block: int = BLOCK,
) -> torch.Tensor:
    """Launch the modulation kernel; ``out`` (contiguous, x's shape and dtype) receives the result."""
    xc = x.contiguous()
    sh = shift.contiguous()
    sc = scale.contiguous()
    y = output_like(out, tuple(x.shape), x)
    b, t, c = x.shape
    if xc.numel():
        modulate_kernel[(triton.cdiv(t * c, block), b)](xc, sh, sc, y, t * c, c, BLOCK=block, num_warps=4)
    return y
