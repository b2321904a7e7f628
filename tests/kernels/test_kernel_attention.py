"""Flash attention and split-K decode attention under the Triton interpreter, against the
PyTorch references and a naive per-query numpy loop in float64; odd lengths and head sizes,
ragged cache lengths (1 and T_max included) over a cache poisoned with NaN past each length."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the kernel tests need torch (pip install 'stretto[neural]')")
pytest.importorskip("triton", reason="triton is not installed (pip install 'stretto[neural]', Linux)")

import stretto.kernels as K  # noqa: E402
from stretto.kernels import reference as R  # noqa: E402
from stretto.kernels.decode import decode_attention_triton  # noqa: E402
from stretto.kernels.flash import attention_triton  # noqa: E402

DTYPES = [
    pytest.param(torch.float32, id="fp32"),
    pytest.param(torch.float16, id="fp16"),
    pytest.param(torch.bfloat16, id="bf16"),
]


def generator(*key) -> torch.Generator:
    return torch.Generator().manual_seed(zlib.crc32(repr(key).encode()))


def rand(gen, shape, dtype):
    return torch.randn(shape, generator=gen, dtype=torch.float32).to(dtype)


def naive_attention(q, k, v, causal: bool, lengths=None) -> np.ndarray:
    """One query at a time in float64: scores, softmax over the visible keys, weighted sum."""
    q, k, v = (t.double().numpy() for t in (q, k, v))
    b_n, h_n, tq, d = q.shape
    out = np.zeros_like(q)
    for b in range(b_n):
        for h in range(h_n):
            for i in range(tq):
                visible = k.shape[2] if lengths is None else int(lengths[b])
                if causal:  # the queries are the last tq positions of the keys
                    visible = min(visible, i + 1 + k.shape[2] - tq)
                s = k[b, h, :visible] @ q[b, h, i] / math.sqrt(d)
                p = np.exp(s - s.max())
                out[b, h, i] = p @ v[b, h, :visible] / p.sum()
    return out


# --- flash attention --------------------------------------------------------------------------

ATTN_CASES = [
    # (B, H, T, Tk, D), causal, block_m, block_n
    pytest.param((1, 2, 37, 37, 24), True, 16, 16, id="causal-T37-D24-tiles16"),
    pytest.param((2, 1, 70, 70, 64), True, 32, 16, id="causal-T70-D64-tiles32x16"),
    pytest.param((1, 1, 1, 1, 16), True, None, None, id="causal-T1"),
    pytest.param((1, 1, 200, 200, 64), True, None, None, id="causal-T200-D64-default-tiles"),
    pytest.param((1, 2, 13, 40, 32), True, 16, 16, id="causal-chunk-T13-over-Tk40"),
    pytest.param((1, 1, 37, 70, 16), True, 32, 16, id="causal-chunk-T37-over-Tk70"),
    pytest.param((1, 2, 33, 20, 40), False, 16, 16, id="full-T33-Tk20-D40"),
    pytest.param((2, 2, 19, 45, 8), False, 16, 32, id="full-T19-Tk45-D8"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("dims", "causal", "block_m", "block_n"), ATTN_CASES)
def test_attention(dims, causal, block_m, block_n, dtype, assert_rel_close, nan_like):
    gen = generator("attention", dims, causal, block_m, block_n, dtype)
    b, h, t, tk, d = dims
    q = rand(gen, (b, h, t, d), dtype)
    k = rand(gen, (b, h, tk, d), dtype)
    v = rand(gen, (b, h, tk, d), dtype)
    with K.count_launches() as launched:
        y = K.attention(q, k, v, causal=causal)
    assert launched["attention"] == 1 and y.dtype == dtype and y.shape == q.shape
    independent = naive_attention(q, k, v, causal)
    assert_rel_close(y, R.attention(q, k, v, causal=causal), dtype, "kernel vs reference")
    assert_rel_close(y, independent, dtype, "kernel vs naive loop")
    assert_rel_close(R.attention(q, k, v, causal=causal), independent, dtype, "reference vs naive loop")
    out = nan_like(q.shape, dtype)
    tiles = {} if block_m is None else {"block_m": block_m, "block_n": block_n}
    attention_triton(q, k, v, causal, out=out, **tiles)
    assert_rel_close(out, independent, dtype, "launcher into NaN-filled out")


def test_chunked_prefill_matches_the_last_rows_of_full_causal_attention(assert_rel_close):
    """13 new tokens over a 45-key cache that ends with them: the last 13 rows of causal
    attention over all 45 tokens (a prompt processed in two chunks gives the same result)."""
    gen = generator("attention-chunk")
    q, k, v = (rand(gen, (2, 2, 45, 24), torch.float32) for _ in range(3))
    full = attention_triton(q, k, v, True, block_m=16, block_n=16)
    chunk = attention_triton(q[:, :, -13:], k, v, True, block_m=16, block_n=16)
    assert_rel_close(chunk, full[:, :, -13:], torch.float32)


def test_attention_large_scores_stay_finite(assert_rel_close):
    """Scores of ~1e3 overflow a naive exp; the online softmax subtracts the running maximum."""
    gen = generator("attention-large")
    q = rand(gen, (1, 1, 40, 16), torch.float32) * 30
    k = rand(gen, (1, 1, 40, 16), torch.float32) * 30
    v = rand(gen, (1, 1, 40, 16), torch.float32)
    y = attention_triton(q, k, v, True, block_m=16, block_n=16)
    assert_rel_close(y, naive_attention(q, k, v, True), torch.float32)


def test_attention_on_transposed_heads(assert_rel_close):
    """q/k/v as [B, T, H, D] projections viewed as [B, H, T, D] (not contiguous)."""
    gen = generator("attention-strided")
    q, k, v = (rand(gen, (1, 21, 2, 16), torch.float32).transpose(1, 2) for _ in range(3))
    assert_rel_close(K.attention(q, k, v), naive_attention(q, k, v, True), torch.float32)


# --- decode attention -------------------------------------------------------------------------

DECODE_CASES = [
    # (B, H, T_max, D), lengths, num_splits, block_n
    pytest.param((4, 2, 37, 24), [1, 37, 17, 30], None, 16, id="Tmax37-auto-splits"),
    pytest.param((4, 2, 37, 24), [1, 37, 17, 30], 1, 16, id="Tmax37-one-split"),
    pytest.param((3, 1, 64, 64), [64, 1, 33], 4, 16, id="Tmax64-4-splits-empty-chunks"),
    pytest.param((2, 3, 50, 8), [50, 2], 3, None, id="D8-3-splits"),
    pytest.param((1, 1, 1, 16), [1], None, None, id="Tmax1"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("dims", "lengths", "num_splits", "block_n"), DECODE_CASES)
def test_decode_attention(dims, lengths, num_splits, block_n, dtype, assert_rel_close, nan_like):
    gen = generator("decode", dims, lengths, num_splits, block_n, dtype)
    b, h, t_max, d = dims
    q = rand(gen, (b, h, d), dtype)
    k_clean = rand(gen, (b, h, t_max, d), dtype)
    v_clean = rand(gen, (b, h, t_max, d), dtype)
    lens = torch.tensor(lengths, dtype=torch.int32)
    # Past each length the cache holds NaN: a kernel that reads a key it must not see fails.
    k_cache, v_cache = k_clean.clone(), v_clean.clone()
    for i, n in enumerate(lengths):
        k_cache[i, :, n:] = float("nan")
        v_cache[i, :, n:] = float("nan")
    with K.count_launches() as launched:
        y = K.decode_attention(q, k_cache, v_cache, lens)
    assert launched["decode_attention"] == 1 and launched["decode_attention_merge"] == 1
    assert y.dtype == dtype and y.shape == q.shape
    independent = naive_attention(q[:, :, None], k_clean, v_clean, False, lengths)[:, :, 0]
    assert_rel_close(y, R.decode_attention(q, k_clean, v_clean, lens), dtype, "kernel vs reference")
    assert_rel_close(y, independent, dtype, "kernel vs naive loop")
    out = nan_like(q.shape, dtype)
    decode_attention_triton(q, k_cache, v_cache, lens, out=out, num_splits=num_splits,
                            **({} if block_n is None else {"block_n": block_n}))
    assert_rel_close(out, independent, dtype, "launcher into NaN-filled out")


def test_decode_matches_last_row_of_causal_attention(assert_rel_close):
    """Decoding token t over a full cache is the last row of causal attention over t + 1 tokens,
    and a cache padded past the length does not change it (int64 lengths accepted)."""
    gen = generator("decode-vs-prefill")
    q, k, v = (rand(gen, (2, 2, 29, 32), torch.float32) for _ in range(3))
    last = K.attention(q, k, v, causal=True)[:, :, -1]
    padded_k = torch.cat((k, rand(gen, (2, 2, 11, 32), torch.float32)), dim=2)
    padded_v = torch.cat((v, rand(gen, (2, 2, 11, 32), torch.float32)), dim=2)
    lens = torch.tensor([29, 29], dtype=torch.int64)
    y = decode_attention_triton(q[:, :, -1], padded_k, padded_v, lens, num_splits=3, block_n=16)
    assert_rel_close(y, last, torch.float32)
