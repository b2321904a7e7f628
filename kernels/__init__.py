"""stretto.kernels: fused Triton kernels for the neural renderer's hot paths.

Public API (shapes are part of the contract; any float dtype in, the same dtype out, float32
accumulation inside)::

    rms_norm(x, weight, eps=1e-6)                       x [..., C], weight [C]
    swiglu(gate, up)                                    same shapes
    rope(x, cos, sin)                                   x [B, H, T, D], cos/sin [T, D]
    attention(q, k, v, causal=True)                     q [B, H, T, D], k/v [B, H, Tk, D]
    decode_attention(q, k_cache, v_cache, lengths)      q [B, H, D], caches [B, H, T_max, D], lengths [B]
    flow_step(x, v_uncond, v_cond, dt, guidance)        same shapes, dt/guidance numbers
    harmonic_synth(f0, amps, sample_rate)               f0 [B, N], amps [B, K, N] -> [B, N]
    modulate(x, shift, scale)                           x [B, T, C], shift/scale [B, C]

Each op has a Triton kernel (modules ``norm``, ``gating``, ``rotary``, ``flash``, ``decode``,
``euler``, ``oscillator``, ``adaln``) and a plain PyTorch reference (``stretto.kernels.reference``).
``STRETTO_KERNELS=auto|triton|torch``, read at every call, picks one: ``auto`` runs Triton on
CUDA tensors and the reference on CPU; ``triton`` forces Triton (CPU tensors then need
``TRITON_INTERPRET=1``); ``torch`` forces the reference. :func:`count_launches` counts the Triton
launches per op. Importing this package imports neither torch nor triton; see docs/kernels.md.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

from .runtime import choose_backend, count_launches

if TYPE_CHECKING:  # pragma: no cover
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
    "count_launches",
    "choose_backend",
]


# ---------------------------------------------------------------------------------------------
# Input checks, shared by both back-ends: a one-line ValueError naming the problem.


def _check_float(name: str, t: Any) -> None:
    if not hasattr(t, "is_floating_point") or not t.is_floating_point():
        kind = getattr(t, "dtype", type(t).__name__)
        raise ValueError(f"{name} must be a floating-point torch tensor, got {kind}")


def _check_shape(name: str, t: Any, shape: tuple[int, ...]) -> None:
    if tuple(t.shape) != tuple(shape):
        raise ValueError(f"{name} has shape {tuple(t.shape)}, expected {tuple(shape)}")


def _check_rank(name: str, t: Any, rank: int, layout: str) -> None:
    if t.dim() != rank:
        raise ValueError(f"{name} must be {layout} ({rank} dimensions), got shape {tuple(t.shape)}")


def _check_device(op: str, *named: tuple[str, Any]) -> None:
    devices = {str(t.device) for _, t in named}
    if len(devices) > 1:
        listing = ", ".join(f"{n} on {t.device}" for n, t in named)
        raise ValueError(f"{op}: inputs are on different devices ({listing}); move them to one")


def _check_same_dtype(op: str, *named: tuple[str, Any]) -> None:
    # The attention tiles meet in tl.dot / one product: one dtype, as for torch.matmul.
    if len({t.dtype for _, t in named}) > 1:
        listing = ", ".join(f"{n} {t.dtype}" for n, t in named)
        raise ValueError(f"{op}: inputs must share one dtype, got {listing}")


def _check_number(name: str, value: Any) -> float:
    if hasattr(value, "numel") and value.numel() == 1:
        value = value.item()
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise ValueError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


# ---------------------------------------------------------------------------------------------
# Public ops.


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """RMSNorm over the last dimension: ``x * rsqrt(mean(x^2) + eps) * weight``. x [..., C], weight [C]."""
    _check_float("x", x)
    _check_float("weight", weight)
    if x.dim() < 1 or x.shape[-1] == 0:
        raise ValueError(f"x must have a non-empty last dimension, got shape {tuple(x.shape)}")
    _check_shape("weight", weight, (x.shape[-1],))
    _check_device("rms_norm", ("x", x), ("weight", weight))
    eps = _check_number("eps", eps)
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    if choose_backend("rms_norm", x, weight) == "torch":
        from . import reference

        return reference.rms_norm(x, weight, eps)
    from .norm import rms_norm_triton

    return rms_norm_triton(x, weight, eps)


def swiglu(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """SwiGLU gating: ``silu(gate) * up``, elementwise, same shapes."""
    _check_float("gate", gate)
    _check_float("up", up)
    _check_shape("up", up, tuple(gate.shape))
    _check_device("swiglu", ("gate", gate), ("up", up))
    if choose_backend("swiglu", gate, up) == "torch":
        from . import reference

        return reference.swiglu(gate, up)
    from .gating import swiglu_triton

    return swiglu_triton(gate, up)


def rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotary embedding (rotate-half): ``x * cos + rotate_half(x) * sin``. x [B, H, T, D], cos/sin [T, D]."""
    _check_float("x", x)
    _check_float("cos", cos)
    _check_float("sin", sin)
    _check_rank("x", x, 4, "[B, H, T, D]")
    t, d = x.shape[2], x.shape[3]
    if d % 2:
        raise ValueError(f"rope needs an even head dimension D, got D={d}")
    _check_shape("cos", cos, (t, d))
    _check_shape("sin", sin, (t, d))
    _check_device("rope", ("x", x), ("cos", cos), ("sin", sin))
    if choose_backend("rope", x, cos, sin) == "torch":
        from . import reference

        return reference.rope(x, cos, sin)
    from .rotary import rope_triton

    return rope_triton(x, cos, sin)


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = True) -> torch.Tensor:
    """Flash attention, scale 1/sqrt(D). q [B, H, T, D], k/v [B, H, Tk, D] -> [B, H, T, D].

    ``causal``: query i sees keys 0..i when Tk == T; with Tk > T (new tokens over a cache that
    ends with them) the queries are the last T positions and query i sees keys 0..i + Tk - T.
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        _check_float(name, t)
        _check_rank(name, t, 4, "[B, H, T, D]")
    b, h, tq, d = q.shape
    tk = k.shape[2]
    _check_shape("k", k, (b, h, tk, d))
    _check_shape("v", v, (b, h, tk, d))
    if tq == 0 or tk == 0 or d == 0:
        raise ValueError(f"attention needs non-empty T and D, got q {tuple(q.shape)}, k {tuple(k.shape)}")
    if causal and tk < tq:
        raise ValueError(f"causal attention needs at least as many keys as queries, got T={tq} and Tk={tk}")
    _check_same_dtype("attention", ("q", q), ("k", k), ("v", v))
    _check_device("attention", ("q", q), ("k", k), ("v", v))
    if choose_backend("attention", q, k, v) == "torch":
        from . import reference

        return reference.attention(q, k, v, causal=bool(causal))
    from .flash import attention_triton

    return attention_triton(q, k, v, causal=bool(causal))


def decode_attention(
    q: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor, lengths: torch.Tensor
) -> torch.Tensor:
    """One query per sequence over a KV cache (split-K). q [B, H, D], caches [B, H, T_max, D],
    lengths [B] ints in 1..T_max (keys at positions < lengths[b] only) -> [B, H, D].

    lengths may live on the CPU whatever the device of q (then they are checked there and moved);
    lengths on the GPU are not checked (no sync per token), and one past T_max is read as T_max."""
    _check_float("q", q)
    _check_float("k_cache", k_cache)
    _check_float("v_cache", v_cache)
    _check_rank("q", q, 3, "[B, H, D]")
    _check_rank("k_cache", k_cache, 4, "[B, H, T_max, D]")
    b, h, d = q.shape
    t_max = k_cache.shape[2]
    _check_shape("k_cache", k_cache, (b, h, t_max, d))
    _check_shape("v_cache", v_cache, (b, h, t_max, d))
    _check_same_dtype("decode_attention", ("q", q), ("k_cache", k_cache), ("v_cache", v_cache))
    if not hasattr(lengths, "is_floating_point") or lengths.is_floating_point() or lengths.dtype.is_complex:
        raise ValueError(f"lengths must be an integer torch tensor, got {getattr(lengths, 'dtype', type(lengths))}")
    _check_shape("lengths", lengths, (b,))
    _check_device("decode_attention", ("q", q), ("k_cache", k_cache), ("v_cache", v_cache))
    if lengths.device.type != "cpu":  # lengths on the CPU are welcome anywhere: checked there, then moved
        _check_device("decode_attention", ("q", q), ("lengths", lengths))
    if t_max == 0 or d == 0:
        raise ValueError(f"decode_attention needs a non-empty cache, got k_cache {tuple(k_cache.shape)}")
    if b and lengths.device.type == "cpu":
        # Checked on the CPU only: on the GPU the check would cost a device sync per decoded token
        # (and break CUDA-graph capture); there the kernel clamps lengths to T_max instead.
        low, high = (int(v) for v in lengths.aminmax())
        if low < 1 or high > t_max:
            raise ValueError(f"lengths must lie in 1..T_max={t_max}, got values from {low} to {high}")
    lengths = lengths.to(q.device, non_blocking=True)
    if choose_backend("decode_attention", q, k_cache, v_cache) == "torch":
        from . import reference

        return reference.decode_attention(q, k_cache, v_cache, lengths)
    from .decode import decode_attention_triton

    return decode_attention_triton(q, k_cache, v_cache, lengths)


def flow_step(
    x: torch.Tensor, v_uncond: torch.Tensor, v_cond: torch.Tensor, dt: float, guidance: float
) -> torch.Tensor:
    """Fused Euler step with classifier-free guidance: ``x + dt * (vu + guidance * (vc - vu))``."""
    _check_float("x", x)
    _check_float("v_uncond", v_uncond)
    _check_float("v_cond", v_cond)
    _check_shape("v_uncond", v_uncond, tuple(x.shape))
    _check_shape("v_cond", v_cond, tuple(x.shape))
    _check_device("flow_step", ("x", x), ("v_uncond", v_uncond), ("v_cond", v_cond))
    dt = _check_number("dt", dt)
    guidance = _check_number("guidance", guidance)
    if choose_backend("flow_step", x, v_uncond, v_cond) == "torch":
        from . import reference

        return reference.flow_step(x, v_uncond, v_cond, dt, guidance)
    from .euler import flow_step_triton

    return flow_step_triton(x, v_uncond, v_cond, dt, guidance)


def harmonic_synth(f0: torch.Tensor, amps: torch.Tensor, sample_rate: float) -> torch.Tensor:
    """Oscillator bank: ``y[n] = sum_k amps[k-1, n] sin(k phi[n])``, ``phi = 2 pi cumsum(f0) / sr``.

    f0 [B, N] Hz per sample, amps [B, K, N] -> [B, N] in amps' dtype. The phase is accumulated
    in float64 (60 s at 48 kHz stays in tune); harmonic k is silent where ``k f0 >= sr / 2``.
    """
    _check_float("f0", f0)
    _check_float("amps", amps)
    _check_rank("f0", f0, 2, "[B, N]")
    _check_rank("amps", amps, 3, "[B, K, N]")
    b, n = f0.shape
    if amps.shape[0] != b or amps.shape[2] != n:
        raise ValueError(f"amps has shape {tuple(amps.shape)}, expected ({b}, K, {n}) to match f0 {tuple(f0.shape)}")
    _check_device("harmonic_synth", ("f0", f0), ("amps", amps))
    sample_rate = _check_number("sample_rate", sample_rate)
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be > 0, got {sample_rate}")
    if choose_backend("harmonic_synth", f0, amps) == "torch":
        from . import reference

        return reference.harmonic_synth(f0, amps, sample_rate)
    from .oscillator import harmonic_synth_triton

    return harmonic_synth_triton(f0, amps, sample_rate)


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """adaLN modulation: ``x * (1 + scale[:, None, :]) + shift[:, None, :]``. x [B, T, C], shift/scale [B, C]."""
    _check_float("x", x)
    _check_float("shift", shift)
    _check_float("scale", scale)
    _check_rank("x", x, 3, "[B, T, C]")
    b, _, c = x.shape
    _check_shape("shift", shift, (b, c))
    _check_shape("scale", scale, (b, c))
    _check_device("modulate", ("x", x), ("shift", shift), ("scale", scale))
    if choose_backend("modulate", x, shift, scale) == "torch":
        from . import reference

        return reference.modulate(x, shift, scale)
    from .adaln import modulate_triton

    return modulate_triton(x, shift, scale)
