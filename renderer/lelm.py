"""LeLM: a small decoder-only transformer over expression/timbre tokens, conditioned on the score.

nanoGPT-style, the whole model in this file. Tokens come at 25 per second (one per
``TOKEN_HOP`` = 4 feature frames); each is the index of a codebook vector (k-means over the
teacher's loudness and coarse spectral envelope, fitted by ``stretto train-renderer``). The
model decides how a note is *shaped* (swell, brightness, decay); it never sees or chooses which
note sounds, because pitch and timing reach the audio only through the vocoder's oscillator.

Input at step t: the embedding of token t-1 (a BOS token at t=0) plus a projection of the score
features averaged over the token's frames. Blocks: RMSNorm -> attention with RoPE -> RMSNorm ->
SwiGLU MLP, residual. Generation uses a preallocated KV cache and ``decode_attention``; sampling
is seeded (a ``torch.Generator``) with a temperature, so a seed and a take give one take exactly.

Hot paths go through :mod:`stretto.kernels` (Triton on CUDA, the PyTorch reference on CPU).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from stretto.kernels import attention, decode_attention, rms_norm, rope, swiglu


@dataclass(frozen=True)
class LeLMConfig:
    n_features: int  # score feature columns (features.N_FEATURES)
    vocab: int = 64  # codebook size
    d_model: int = 192
    n_layers: int = 4
    n_heads: int = 4
    d_ff: int = 512
    max_len: int = 1024  # tokens: 40 s at 25 tokens/s (phrases are at most ~9 s)


class RMSNorm(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return rms_norm(x, self.weight)


def rope_tables(max_len: int, head_dim: int, base: float = 10_000.0) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin tables [max_len, head_dim] in the rotate-half layout."""
    inv = 1.0 / base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)  # [D/2]
    ang = torch.arange(max_len, dtype=torch.float32)[:, None] * inv[None, :]  # [L, D/2]
    ang = torch.cat([ang, ang], dim=-1)  # [L, D]
    return ang.cos(), ang.sin()


class Block(nn.Module):
    def __init__(self, cfg: LeLMConfig):
        super().__init__()
        self.n_heads = cfg.n_heads
        self.norm1 = RMSNorm(cfg.d_model)
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model, bias=False)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        self.norm2 = RMSNorm(cfg.d_model)
        self.gate_up = nn.Linear(cfg.d_model, 2 * cfg.d_ff, bias=False)
        self.down = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=-1)  # 3 x [B, T, C]
        shape = (b, t, self.n_heads, c // self.n_heads)
        return tuple(z.view(shape).transpose(1, 2) for z in (q, k, v))  # 3 x [B, H, T, D]

    def mlp(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = self.gate_up(self.norm2(x)).chunk(2, dim=-1)  # [B, T, d_ff] each
        return self.down(swiglu(gate, up))

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.heads(self.norm1(x))
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        y = attention(q, k, v, causal=True)  # [B, H, T, D]
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.mlp(x)

    def step(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, pos: int,
             k_cache: torch.Tensor, v_cache: torch.Tensor) -> torch.Tensor:
        """One new position. x [B, 1, C]; caches [B, H, T_max, D] written at ``pos``."""
        b, _, c = x.shape
        q, k, v = self.heads(self.norm1(x))  # [B, H, 1, D]
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        k_cache[:, :, pos] = k[:, :, 0]
        v_cache[:, :, pos] = v[:, :, 0]
        lengths = torch.full((b,), pos + 1, dtype=torch.long, device=x.device)
        y = decode_attention(q[:, :, 0], k_cache, v_cache, lengths)  # [B, H, D]
        x = x + self.proj(y.reshape(b, 1, c))
        return x + self.mlp(x)


class LeLM(nn.Module):
    def __init__(self, cfg: LeLMConfig):
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.vocab + 1, cfg.d_model)  # index vocab = BOS
        self.cond = nn.Linear(cfg.n_features, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab, bias=False)
        cos, sin = rope_tables(cfg.max_len, cfg.d_model // cfg.n_heads)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
                if getattr(m, "bias", None) is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, tokens: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits. tokens [B, S] (the targets), cond [B, S, F] -> [B, S, vocab]."""
        b, s = tokens.shape
        bos = torch.full((b, 1), self.cfg.vocab, dtype=torch.long, device=tokens.device)
        prev = torch.cat([bos, tokens[:, :-1]], dim=1)  # [B, S]
        x = self.tok(prev) + self.cond(cond)  # [B, S, C]
        for blk in self.blocks:
            x = blk(x, self.cos[:s], self.sin[:s])
        return self.head(self.norm(x))  # [B, S, V]

    def loss(self, tokens: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        logits = self(tokens, cond)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens.reshape(-1))

    @torch.no_grad()
    def generate(self, cond: torch.Tensor, *, generator: torch.Generator,
                 temperature: float = 0.8) -> torch.Tensor:
        """Sample one token per row of ``cond`` [B, S, F] -> tokens [B, S] (long)."""
        b, s, _ = cond.shape
        if s > self.cfg.max_len:
            raise ValueError(f"a phrase of {s} tokens is longer than the LeLM's {self.cfg.max_len}")
        h = self.cfg.n_heads
        hd = self.cfg.d_model // h
        dev = cond.device
        caches = [(torch.zeros(b, h, s, hd, device=dev), torch.zeros(b, h, s, hd, device=dev))
                  for _ in self.blocks]
        cproj = self.cond(cond)  # [B, S, C]
        prev = torch.full((b,), self.cfg.vocab, dtype=torch.long, device=dev)
        out = torch.empty(b, s, dtype=torch.long, device=dev)
        for pos in range(s):
            x = (self.tok(prev) + cproj[:, pos])[:, None]  # [B, 1, C]
            cos, sin = self.cos[pos:pos + 1], self.sin[pos:pos + 1]  # [1, D]
            for blk, (kc, vc) in zip(self.blocks, caches):
                x = blk.step(x, cos, sin, pos, kc, vc)
            logits = self.head(self.norm(x[:, 0])).float()  # [B, V]
            if temperature <= 0:
                prev = logits.argmax(-1)
            else:
                probs = torch.softmax(logits / temperature, dim=-1).cpu()
                # drawn on the CPU generator: the same take on every device
                prev = torch.multinomial(probs, 1, generator=generator)[:, 0].to(dev)
            out[:, pos] = prev
        return out


def pool_tokens(feats: torch.Tensor, hop: int) -> torch.Tensor:
    """Average frame features [B, T, F] over groups of ``hop`` frames -> [B, ceil(T/hop), F]."""
    b, t, f = feats.shape
    s = math.ceil(t / hop)
    pad = s * hop - t
    if pad:
        feats = torch.cat([feats, feats[:, -1:].expand(b, pad, f)], dim=1)
    return feats.view(b, s, hop, f).mean(2)


__all__ = ["LeLM", "LeLMConfig", "pool_tokens", "rope_tables"]
