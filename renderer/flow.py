"""Flow-matching mel decoder: log-mel frames from the score features and the LeLM's tokens.

Conditional flow matching (rectified flow, as in Matcha-TTS / F5-TTS): a velocity field
``v(x_t, t, c)`` is trained to carry Gaussian noise ``x_0`` to the teacher's normalised log-mel
``x_1`` along straight lines, ``x_t = (1 - t) x_0 + t x_1``, target ``x_1 - x_0``. Sampling runs
a few Euler steps (4-10) with classifier-free guidance, one fused ``flow_step`` per step:
``x <- x + dt * (v_uncond + g * (v_cond - v_uncond))``. The condition is dropped (replaced by a
learned null vector) for 10% of training examples so the unconditional field exists.

The network: frame condition (score features + the token's codebook vector, [T, F + E]) and the
noisy mel are projected to ``d_model``; non-causal transformer blocks (RMSNorm, RoPE attention,
SwiGLU) whose norms are modulated (adaLN, ``modulate``) by the flow time; a linear head to mel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn

from stretto.kernels import attention, flow_step, modulate, rope, swiglu
from stretto.renderer.lelm import RMSNorm, rope_tables

N_MELS = 64
MEL_MEAN, MEL_STD = -6.0, 3.0  # normalisation of natural-log mel power


@dataclass(frozen=True)
class FlowConfig:
    n_cond: int  # score features + codebook dimension
    n_mels: int = N_MELS
    d_model: int = 160
    n_layers: int = 4
    n_heads: int = 4
    d_ff: int = 448
    max_len: int = 4096  # frames: 40 s at 100 frames/s


def time_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of flow time t [B] in [0, 1] -> [B, dim]."""
    half = dim // 2
    freqs = torch.exp(-math.log(1000.0) * torch.arange(half, dtype=torch.float32,
                                                       device=t.device) / half)
    ang = 100.0 * t[:, None].float() * freqs[None, :]  # [B, half]
    return torch.cat([ang.sin(), ang.cos()], dim=-1)


class FlowBlock(nn.Module):
    def __init__(self, cfg: FlowConfig):
        super().__init__()
        self.n_heads = cfg.n_heads
        self.norm1 = RMSNorm(cfg.d_model)
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model, bias=False)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        self.norm2 = RMSNorm(cfg.d_model)
        self.gate_up = nn.Linear(cfg.d_model, 2 * cfg.d_ff, bias=False)
        self.down = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)
        self.ada = nn.Linear(cfg.d_model, 4 * cfg.d_model)  # shift/scale for both norms
        nn.init.zeros_(self.ada.weight)
        nn.init.zeros_(self.ada.bias)

    def forward(self, x: torch.Tensor, temb: torch.Tensor, cos: torch.Tensor,
                sin: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        sh1, sc1, sh2, sc2 = self.ada(temb).chunk(4, dim=-1)  # 4 x [B, C]
        h = modulate(self.norm1(x), sh1, sc1)  # [B, T, C]
        q, k, v = self.qkv(h).split(c, dim=-1)
        shape = (b, t, self.n_heads, c // self.n_heads)
        q, k, v = (z.view(shape).transpose(1, 2) for z in (q, k, v))  # [B, H, T, D]
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        y = attention(q, k, v, causal=False)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
        gate, up = self.gate_up(modulate(self.norm2(x), sh2, sc2)).chunk(2, dim=-1)
        return x + self.down(swiglu(gate, up))


class FlowDecoder(nn.Module):
    def __init__(self, cfg: FlowConfig):
        super().__init__()
        self.cfg = cfg
        self.inp = nn.Linear(cfg.n_mels, cfg.d_model)
        self.cond = nn.Linear(cfg.n_cond, cfg.d_model)
        self.null = nn.Parameter(torch.zeros(cfg.d_model))  # the dropped condition
        self.time = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_model), nn.SiLU(),
                                  nn.Linear(cfg.d_model, cfg.d_model))
        self.blocks = nn.ModuleList(FlowBlock(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.d_model)
        self.out = nn.Linear(cfg.d_model, cfg.n_mels)
        cos, sin = rope_tables(cfg.max_len, cfg.d_model // cfg.n_heads)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def velocity(self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor | None,
                 drop: torch.Tensor | None = None) -> torch.Tensor:
        """x [B, T, M] at flow time t [B]; cond [B, T, n_cond] or None (unconditional);
        ``drop`` [B] bool replaces some rows' condition by the null vector (training)."""
        b, n, _ = x.shape
        if n > self.cfg.max_len:
            raise ValueError(f"{n} frames is longer than the flow decoder's {self.cfg.max_len}")
        if cond is None:
            c = self.null.expand(b, n, -1)
        else:
            c = self.cond(cond)  # [B, T, C]
            if drop is not None:
                c = torch.where(drop[:, None, None], self.null.expand_as(c), c)
        h = self.inp(x) + c  # [B, T, C]
        temb = self.time(time_embedding(t, self.cfg.d_model))  # [B, C]
        for blk in self.blocks:
            h = blk(h, temb, self.cos[:n], self.sin[:n])
        return self.out(self.norm(h))  # [B, T, M]

    def loss(self, mel: torch.Tensor, cond: torch.Tensor, *, generator: torch.Generator,
             p_drop: float = 0.1) -> torch.Tensor:
        """Conditional flow-matching loss on normalised mel [B, T, M]."""
        b = mel.shape[0]
        x0 = torch.randn(mel.shape, generator=generator).to(mel.device)
        t = torch.rand(b, generator=generator).to(mel.device)
        xt = (1 - t[:, None, None]) * x0 + t[:, None, None] * mel
        drop = (torch.rand(b, generator=generator) < p_drop).to(mel.device)
        v = self.velocity(xt, t, cond, drop)
        return ((v - (mel - x0)) ** 2).mean()

    @torch.no_grad()
    def sample(self, cond: torch.Tensor, *, generator: torch.Generator, steps: int = 6,
               guidance: float = 2.0) -> torch.Tensor:
        """Normalised mel [B, T, M] from cond [B, T, n_cond] in ``steps`` guided Euler steps."""
        if not 1 <= steps <= 64:
            raise ValueError(f"steps must be 1-64, got {steps}")
        b, n, _ = cond.shape
        # noise from the CPU generator: the same take on every device
        x = torch.randn((b, n, self.cfg.n_mels), generator=generator).to(cond.device)
        dt = 1.0 / steps
        for i in range(steps):
            t = torch.full((b,), i * dt, device=cond.device)
            v_c = self.velocity(x, t, cond)
            v_u = self.velocity(x, t, None) if guidance != 1.0 else v_c
            x = flow_step(x, v_u, v_c, dt, guidance)
        return x


__all__ = ["FlowConfig", "FlowDecoder", "MEL_MEAN", "MEL_STD", "N_MELS", "time_embedding"]
