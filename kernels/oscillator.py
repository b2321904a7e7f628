"""The vocoder's harmonic oscillator bank as Triton kernels.

f0 [B, N] Hz per sample, amps [B, K, N] -> y [B, N] with
``y[n] = sum_k amps[k-1, n] sin(k phi[n])``, ``phi[n] = 2 pi cumsum(f0)[n] / sample_rate``
(inclusive), harmonic k silent where ``k f0[n] >= sample_rate / 2``.

Phase. After 60 s at 48 kHz the phase is ~10^5 cycles; in float32 its rounding (~10^-2 cycles,
growing with every add) would be audible as drift. So the phase lives in float64 *cycles* and
only its fractional part is handed to float32: kernel 1 sums f0 / sample_rate over each block of
``BLOCK`` samples (fp64), a tiny fp64 cumulative sum over the [B, N / BLOCK] block sums gives
each block's starting phase (kept as a fraction of a cycle), and kernel 2 adds the block's own
inclusive fp64 scan (``tl.cumsum``) to it.

Harmonics. Kernel 2 computes ``sin``/``cos`` of the base phase once per sample and gets the
k-th harmonic by rotating: ``(c, s)_{k+1} = (c c1 - s s1, s c1 + c s1)`` (angle addition; its
rounding error grows linearly in k, ~k * 1e-7, unlike the three-term Chebyshev recurrence).
The amplitude of an inaudible harmonic is not even loaded (masked load): for a high voice most
of amps' bytes are skipped. The loop streams amps once: the kernel is memory-bound on amps.
"""

import torch
import triton
import triton.language as tl

from .runtime import LazyKernel, output_like

__all__ = ["harmonic_synth_triton", "BLOCK"]

BLOCK = 1024  # samples per program


# No `from __future__ import annotations` here: triton must see `tl.float64` itself, not a string,
# to pass 1 / sample_rate as a float64 scalar (a plain Python float goes in as float32).
def _phase_block_sum_kernel(f0_ptr, sums_ptr, n, n_blocks, inv_sr: tl.float64, BLOCK: tl.constexpr):
    b = tl.program_id(0).to(tl.int64)
    j = tl.program_id(1)
    offs = j * BLOCK + tl.arange(0, BLOCK)
    f0 = tl.load(f0_ptr + b * n + offs, mask=offs < n, other=0.0).to(tl.float64)
    tl.store(sums_ptr + b * n_blocks + j, tl.sum(f0 * inv_sr, axis=0))


def _harmonic_kernel(
    f0_ptr, amps_ptr, start_ptr, y_ptr,
    n, n_blocks, n_harmonics, inv_sr: tl.float64, nyquist,
    BLOCK: tl.constexpr,
):
    b = tl.program_id(0).to(tl.int64)
    j = tl.program_id(1)
    offs = j * BLOCK + tl.arange(0, BLOCK)
    ok = offs < n
    f0 = tl.load(f0_ptr + b * n + offs, mask=ok, other=0.0)
    cycles = tl.cumsum(f0.to(tl.float64) * inv_sr, axis=0) + tl.load(start_ptr + b * n_blocks + j)
    frac = (cycles - tl.floor(cycles)).to(tl.float32)  # in [0, 1): small argument for sin/cos
    angle = frac * 6.283185307179586  # 2 pi as a literal: a global would have to be a tl.constexpr
    s1 = tl.sin(angle)
    c1 = tl.cos(angle)
    f0f = f0.to(tl.float32)

    s = s1
    c = c1
    y = tl.zeros([BLOCK], dtype=tl.float32)
    amp_k = amps_ptr + b * n_harmonics * n + offs  # row of harmonic k, advanced by pointer (64-bit)
    for k in range(0, n_harmonics):
        audible = ok & ((k + 1) * f0f < nyquist)
        a = tl.load(amp_k, mask=audible, other=0.0).to(tl.float32)
        y += a * s  # a is 0 where inaudible
        s, c = s * c1 + c * s1, c * c1 - s * s1
        amp_k += n
    tl.store(y_ptr + b * n + offs, y.to(y_ptr.dtype.element_ty), mask=ok)


phase_block_sum_kernel = LazyKernel(_phase_block_sum_kernel, "harmonic_synth_phase")
harmonic_kernel = LazyKernel(_harmonic_kernel, "harmonic_synth")


def harmonic_synth_triton(
    f0: torch.Tensor,
    amps: torch.Tensor,
    sample_rate: float,
    *,
    out: torch.Tensor | None = None,
    block: int = BLOCK,
) -> torch.Tensor:
    """Launch the oscillator bank (two kernels and one small fp64 cumsum); result in amps' dtype."""
    b, n = f0.shape
    n_harmonics = amps.shape[1]
    f0c, ac = f0.contiguous(), amps.contiguous()
    y = output_like(out, (b, n), amps)
    if b == 0 or n == 0:
        return y
    n_blocks = triton.cdiv(n, block)
    inv_sr = 1.0 / float(sample_rate)
    sums = torch.empty((b, n_blocks), dtype=torch.float64, device=f0.device)
    phase_block_sum_kernel[(b, n_blocks)](f0c, sums, n, n_blocks, inv_sr, BLOCK=block, num_warps=4)
    start = torch.cumsum(sums, dim=1) - sums  # exclusive: phase (cycles) before each block
    start -= torch.floor(start)
    harmonic_kernel[(b, n_blocks)](
        f0c, ac, start, y, n, n_blocks, n_harmonics, inv_sr, float(sample_rate) / 2.0,
        BLOCK=block, num_warps=4,
    )
    return y
