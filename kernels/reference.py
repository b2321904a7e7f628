"""Plain PyTorch references of every kernel op (the CPU path, and the ground truth of the tests).

Each function has the signature of the public op in ``stretto.kernels`` and follows the same
contract: any float dtype in, the same dtype out, float32 (float64 for the synthesiser's phase)
arithmetic inside. They materialise what the kernels fuse away (the ``T x T`` score matrix, the
``[B, K, N]`` sine bank one harmonic at a time), so they are for correctness, not speed.
Inputs are assumed already validated by the dispatch in ``stretto.kernels``.
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "rms_norm",
    "swiglu",
    "rope",
    "attention",
    "decode_attention",
    "flow_step",
    "harmonic_synth",
    "modulate",
    "phase_cycles",
]


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """``x * rsqrt(mean(x^2, -1) + eps) * weight`` over the last dimension."""
    xf = x.float()
    inv = torch.rsqrt(xf.pow(2).mean(dim=-1, keepdim=True) + eps)
    return (xf * inv * weight.float()).to(x.dtype)


def swiglu(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """``silu(gate) * up``."""
    return (torch.nn.functional.silu(gate.float()) * up.float()).to(gate.dtype)


def rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotary embedding, rotate-half convention. x [B, H, T, D], cos/sin [T, D]."""
    xf = x.float()
    half = x.shape[-1] // 2
    rotated = torch.cat((-xf[..., half:], xf[..., :half]), dim=-1)
    return (xf * cos.float() + rotated * sin.float()).to(x.dtype)


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = True) -> torch.Tensor:
    """Softmax attention with scale 1/sqrt(D). q [B, H, Tq, D], k/v [B, H, Tk, D] -> [B, H, Tq, D].

    With ``causal`` (then Tq <= Tk) the queries are the last Tq positions: query i sees keys
    0..i + Tk - Tq (bottom-right alignment; with Tq == Tk, keys 0..i).
    """
    scale = 1.0 / math.sqrt(q.shape[-1])
    scores = torch.matmul(q.float(), k.float().transpose(-1, -2)) * scale  # [B, H, Tq, Tk]
    if causal:
        tq, tk = q.shape[-2], k.shape[-2]
        future = torch.ones(tq, tk, dtype=torch.bool, device=q.device).triu(1 + tk - tq)
        scores = scores.masked_fill(future, float("-inf"))
    return torch.matmul(torch.softmax(scores, dim=-1), v.float()).to(q.dtype)


def decode_attention(
    q: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor, lengths: torch.Tensor
) -> torch.Tensor:
    """One query per sequence over a KV cache. q [B, H, D], caches [B, H, T_max, D], lengths [B].

    Sequence b attends to cache positions ``< lengths[b]`` only.
    """
    scale = 1.0 / math.sqrt(q.shape[-1])
    t_max = k_cache.shape[-2]
    scores = torch.einsum("bhd,bhtd->bht", q.float(), k_cache.float()) * scale  # [B, H, T_max]
    positions = torch.arange(t_max, device=q.device)
    beyond = positions[None, :] >= lengths.to(q.device).long()[:, None]  # [B, T_max]
    scores = scores.masked_fill(beyond[:, None, :], float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return torch.einsum("bht,bhtd->bhd", weights, v_cache.float()).to(q.dtype)


def flow_step(
    x: torch.Tensor, v_uncond: torch.Tensor, v_cond: torch.Tensor, dt: float, guidance: float
) -> torch.Tensor:
    """One Euler step with classifier-free guidance: ``x + dt * (vu + guidance * (vc - vu))``."""
    vu = v_uncond.float()
    velocity = vu + guidance * (v_cond.float() - vu)
    return (x.float() + dt * velocity).to(x.dtype)


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """adaLN modulation: ``x * (1 + scale[:, None, :]) + shift[:, None, :]``. x [B, T, C], shift/scale [B, C]."""
    xf = x.float()
    return (xf * (1.0 + scale.float()[:, None, :]) + shift.float()[:, None, :]).to(x.dtype)


def phase_cycles(f0: torch.Tensor, sample_rate: float) -> torch.Tensor:
    """Fractional phase in cycles, ``frac(cumsum(f0) / sample_rate)``, float64 [B, N].

    The inclusive cumulative sum runs in float64: after 60 s at 48 kHz the sum is ~10^5 cycles
    and float64 keeps it to ~10^-11 cycles, where float32 would drift by whole cents.
    """
    cycles = torch.cumsum(f0.double() / sample_rate, dim=-1)
    return cycles - torch.floor(cycles)


def harmonic_synth(f0: torch.Tensor, amps: torch.Tensor, sample_rate: float) -> torch.Tensor:
    """Oscillator bank. f0 [B, N] Hz per sample, amps [B, K, N] -> [B, N] in amps' dtype.

    ``y[n] = sum_k amps[k-1, n] * sin(k * phi[n])``, ``phi = 2 pi cumsum(f0) / sample_rate``;
    harmonic k is silent where ``k * f0[n] >= sample_rate / 2``.
    """
    cycles = phase_cycles(f0, sample_rate)
    f0d = f0.double()
    out = torch.zeros(f0.shape, dtype=torch.float64, device=f0.device)
    for k in range(1, amps.shape[1] + 1):  # one harmonic at a time: [B, N] memory, not [B, K, N]
        kc = k * cycles
        wave = torch.sin(2.0 * math.pi * (kc - torch.floor(kc)))
        audible = (k * f0d) < (sample_rate / 2.0)
        out += torch.where(audible, amps[:, k - 1].double() * wave, torch.zeros_like(wave))
    return out.to(amps.dtype)
