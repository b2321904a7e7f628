"""Harmonic-plus-noise vocoder whose source is the score's F0 (DDSP / NSF style).

From log-mel frames and the score features a small convolutional network predicts, per frame,
the *shape* of the sound: a distribution over ``K`` harmonics, a loudness, a noise spectrum in
``N_BANDS`` bands and a vibrato depth. The *pitch and timing* come from the score alone:

* the oscillator phase is the integral of the written F0 (``harmonic_synth``, float64 phase),
  with vibrato bounded to ``MAX_VIBRATO_CENTS``;
* the fundamental keeps at least 60% of the strongest harmonic's amplitude and a quarter of the
  harmonic energy (pyin and listeners hear the written octave), over a ``k^-TILT`` roll-off prior;
* every sample is multiplied by the score's gate (:func:`~stretto.renderer.features.sample_gate`):
  nothing before an onset, silence ``RELEASE_S`` after an offset, rests silent;
* harmonics at or above ``min(0.45 sr, 10 kHz)`` are removed;
* the noise branch is bounded ``NOISE_DB`` below the harmonics and gated by the same gate; on
  a sung voice's unvoiced consonants (the score's ``unvoiced`` feature: s, t, k, f, sh ... at
  1, voiced fricatives at 0.5) the harmonics step down by up to ``CONSONANT_HARM_DB`` and the
  noise may rise to ``CONSONANT_NOISE_DB``: the consonants are where the score puts them, and
  the written pitch still sounds under them;
* loudness is bounded to [-10 dB, 0 dB] of the instrument level, and a soft limiter keeps every
  phrase under ``LIMIT`` (so stems never need rescaling and unchanged phrases stay bit-identical).

So pitch and timing are right by construction, trained or not; training only teaches timbre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from stretto.kernels import harmonic_synth
from stretto.renderer.features import FRAME_RATE, MAX_VIBRATO_CENTS, UNVOICED_COLUMN

N_BANDS = 16
NOISE_DB = -30.0  # noise amplitude bound relative to the harmonic amplitude
CONSONANT_HARM_DB = -14.0  # harmonics on an unvoiced consonant (still the written pitch)
CONSONANT_NOISE_DB = 0.0  # noise bound on an unvoiced consonant, relative to the full level
LEVEL = 0.2  # harmonic RMS at full loudness before the limiter
LIMIT = 0.4  # peak of one phrase after the soft limiter (two overlapping stay below -1 dBFS)
MAX_PARTIAL_HZ = 10_000.0
VIBRATO_HZ = 5.5
TILT = 1.0


@dataclass(frozen=True)
class VocoderConfig:
    n_in: int  # mel bins + score features
    n_harmonics: int = 48
    hidden: int = 128
    layers: int = 4
    kernel: int = 5


class Vocoder(nn.Module):
    def __init__(self, cfg: VocoderConfig):
        super().__init__()
        self.cfg = cfg
        convs = []
        ch = cfg.n_in
        for _ in range(cfg.layers):
            convs.append(nn.Conv1d(ch, cfg.hidden, cfg.kernel, padding=cfg.kernel // 2))
            ch = cfg.hidden
        self.convs = nn.ModuleList(convs)
        self.head = nn.Conv1d(cfg.hidden, cfg.n_harmonics + 1 + N_BANDS + 1, 1)

    def controls(self, mel: torch.Tensor, feats: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-frame controls from mel [B, T, M] and features [B, T, F]: harmonic distribution
        [B, K, T] (sums to 1), loudness [B, T] in [0.316, 1], noise bands [B, N_BANDS, T] in
        [0, 1], vibrato depth [B, T] in cents."""
        h = torch.cat([mel, feats], dim=-1).transpose(1, 2)  # [B, M + F, T]
        for conv in self.convs:
            h = F.gelu(conv(h))  # [B, hidden, T]
        out = self.head(h)  # [B, K + 1 + N_BANDS + 1, T]
        k = self.cfg.n_harmonics
        dist = torch.softmax(out[:, :k], dim=1)  # [B, K, T]
        loud = 10 ** (-0.5 * (1 - torch.sigmoid(out[:, k])))  # [B, T]: -10..0 dB
        bands = torch.sigmoid(out[:, k + 1:k + 1 + N_BANDS])  # [B, N_BANDS, T]
        vib = MAX_VIBRATO_CENTS * torch.sigmoid(out[:, -1] - 2.0)  # [B, T]
        return {"dist": dist, "loud": loud, "bands": bands, "vibrato": vib}

    def forward(self, mel: torch.Tensor, feats: torch.Tensor, f0: torch.Tensor,
                gate: torch.Tensor, sr: int, *, generator: torch.Generator,
                start_s: float = 0.0) -> torch.Tensor:
        """Audio [B, N] at ``sr`` from mel [B, T, M], features [B, T, F], the written F0 [B, N]
        (Hz per sample, float64) and the gate [B, N] in [0, 1]. ``start_s``: the phrase's start
        in the piece (the vibrato's phase is tied to it, so a phrase renders the same wherever
        it is rendered from)."""
        ctl = self.controls(mel, feats)
        b, n = f0.shape
        t_frames = mel.shape[1]
        # harmonic amplitudes at frame rate [B, K, T], from the written F0 at each frame
        dev = f0.device
        fidx = (torch.arange(t_frames, device=dev) * sr // FRAME_RATE).clamp(max=n - 1)
        f_frame = f0[:, fidx].float()  # [B, T]
        k = torch.arange(1, self.cfg.n_harmonics + 1, dtype=torch.float32,
                         device=dev)[None, :, None]  # [1, K, 1]
        audible = (k * f_frame[:, None, :]) < min(0.45 * sr, MAX_PARTIAL_HZ)  # [B, K, T]
        amps = ctl["dist"] * k ** -TILT * audible  # a natural roll-off the network reshapes
        upper = amps[:, 1:]
        floor = torch.maximum(0.6 * upper.amax(1, keepdim=True),
                              torch.sqrt((upper ** 2).sum(1, keepdim=True) / 3.0))
        # a clear fundamental: >= 60% of the strongest harmonic and >= 1/4 of the energy
        amps = torch.cat([torch.maximum(amps[:, :1], floor), upper], dim=1)
        amps = amps / torch.sqrt(0.5 * (amps ** 2).sum(1, keepdim=True)).clamp_min(1e-8)
        loud = LEVEL * ctl["loud"]  # [B, T]
        up = upsample(torch.cat([amps * loud[:, None], ctl["vibrato"][:, None]], dim=1), n, sr)
        t = start_s + torch.arange(n, dtype=torch.float64, device=dev) / sr  # [N]
        vib = up[:, -1].double()  # [B, N] cents
        f = f0 * torch.pow(2.0, vib * torch.sin(2 * math.pi * VIBRATO_HZ * t) / 1200.0)  # [B, N]
        harm = harmonic_synth(f.float(), up[:, :-1].contiguous(), float(sr))  # [B, N]
        level = gate.float() * upsample(loud[:, None], n, sr)[:, 0]  # [B, N]
        # consonants from the score: u in [0, 1] per sample (0 on vowels and every instrument)
        u = upsample(feats[..., UNVOICED_COLUMN][:, None].float(), n, sr)[:, 0]  # [B, N]
        harm_gain = 1 + u * (10 ** (CONSONANT_HARM_DB / 20) - 1)
        noise_gain = 10 ** (NOISE_DB / 20) + u * (10 ** (CONSONANT_NOISE_DB / 20)
                                                   - 10 ** (NOISE_DB / 20))
        noise = shaped_noise(ctl["bands"], n, sr, generator) * level * noise_gain
        y = harm * gate.float() * harm_gain + noise  # the gate: nothing sounds outside the notes
        return LIMIT * torch.tanh(y / LIMIT)


def upsample(z: torch.Tensor, n: int, sr: int) -> torch.Tensor:
    """Frame controls [B, C, T] (frame i at i / FRAME_RATE s) linearly interpolated to n samples."""
    b, c, t = z.shape
    pos = torch.arange(n, dtype=torch.float32, device=z.device) * (FRAME_RATE / sr)  # [N] frames
    i0 = pos.floor().long().clamp(0, t - 1)
    i1 = (i0 + 1).clamp(max=t - 1)
    w = (pos - i0.float()).clamp(0, 1)
    return z[..., i0] * (1 - w) + z[..., i1] * w


def shaped_noise(bands: torch.Tensor, n: int, sr: int, generator: torch.Generator) -> torch.Tensor:
    """White noise [B, n] filtered by per-frame band gains [B, N_BANDS, T] (bands equally spaced
    on a log axis from 50 Hz to Nyquist), unit RMS where every band is fully open."""
    b = bands.shape[0]
    n_fft = 1024 if sr > 32_000 else 512
    hop = n_fft // 4
    dev = bands.device
    white = torch.randn((b, n), generator=generator).to(dev)  # CPU generator: same on every device
    win = torch.hann_window(n_fft, device=dev)
    spec = torch.stft(white, n_fft, hop, window=win, return_complex=True)  # [B, n_fft/2+1, S]
    freqs = torch.linspace(0, sr / 2, n_fft // 2 + 1, device=dev)
    edges = torch.log(freqs.clamp_min(50.0) / 50.0) / math.log(sr / 2 / 50.0)  # [bins] in 0..1
    bidx = (edges * (N_BANDS - 1)).round().long().clamp(0, N_BANDS - 1)
    s = spec.shape[-1]
    frame_of = (torch.arange(s, dtype=torch.float32, device=dev) * hop / sr
                * FRAME_RATE).round().long()
    g = bands[:, :, frame_of.clamp(max=bands.shape[-1] - 1)]  # [B, N_BANDS, S]
    gain = g[:, bidx]  # [B, bins, S]
    out = torch.istft(spec * gain, n_fft, hop, window=win, length=n)
    return out


def multi_stft_loss(y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Multi-resolution STFT distance (spectral convergence + log magnitude L1), FFT sizes
    2048/1024/512/256."""
    total = y.new_zeros(())
    for n_fft in (2048, 1024, 512, 256):
        win = torch.hann_window(n_fft, device=y.device)
        a = torch.stft(y, n_fft, n_fft // 4, window=win, return_complex=True).abs() + 1e-5
        b = torch.stft(target, n_fft, n_fft // 4, window=win, return_complex=True).abs() + 1e-5
        sc = torch.linalg.norm(a - b) / torch.linalg.norm(b)
        total = total + sc + (a.log() - b.log()).abs().mean()
    return total / 4


__all__ = ["CONSONANT_HARM_DB", "CONSONANT_NOISE_DB", "LEVEL", "LIMIT", "NOISE_DB", "N_BANDS",
           "Vocoder", "VocoderConfig", "multi_stft_loss", "shaped_noise", "upsample"]
