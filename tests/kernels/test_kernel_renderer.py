"""The neural renderer's models run their hot paths through these kernels: tiny random-weight
LeLM, flow decoder and vocoder give the same result on the Triton path (interpreter) as on the
references, and the launch counts show which kernels ran."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="the kernel tests need torch (pip install 'stretto[neural]')")
pytest.importorskip("triton", reason="triton is not installed (pip install 'stretto[neural]', Linux)")
lelm = pytest.importorskip("stretto.renderer.lelm", reason="the neural renderer is not importable")
flow = pytest.importorskip("stretto.renderer.flow", reason="the neural renderer is not importable")
vocoder = pytest.importorskip("stretto.renderer.vocoder", reason="the neural renderer is not importable")

import stretto.kernels as K  # noqa: E402


def on_both_paths(monkeypatch, run):
    """``run()`` on the references, then on the Triton kernels; (reference, triton, launches)."""
    monkeypatch.setenv("STRETTO_KERNELS", "torch")
    expected = run()
    monkeypatch.setenv("STRETTO_KERNELS", "triton")
    with K.count_launches() as launched:
        actual = run()
    return expected, actual, launched


def test_lelm_teacher_forced_and_decoded_through_the_kernels(monkeypatch):
    torch.manual_seed(0)
    cfg = lelm.LeLMConfig(n_features=5, vocab=16, d_model=32, n_layers=2, n_heads=2, d_ff=48, max_len=32)
    model = lelm.LeLM(cfg).eval()
    gen = torch.Generator().manual_seed(1)
    tokens = torch.randint(0, 16, (2, 11), generator=gen)
    cond = torch.randn((2, 11, 5), generator=gen)

    with torch.no_grad():
        expected, actual, launched = on_both_paths(monkeypatch, lambda: model(tokens, cond))
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)
    # per block: two RMSNorms, RoPE on q and k, one attention, one SwiGLU; plus the final norm
    assert launched == {"rms_norm": 2 * 2 + 1, "rope": 2 * 2, "attention": 2, "swiglu": 2}

    def greedy():
        return model.generate(cond, generator=torch.Generator().manual_seed(2), temperature=0.0)

    expected, actual, launched = on_both_paths(monkeypatch, greedy)
    assert torch.equal(actual, expected)
    assert launched["decode_attention"] == 11 * 2 and launched["decode_attention_merge"] == 11 * 2
    assert launched["attention"] == 0  # generation decodes token by token over the KV cache


def test_flow_decoder_sampling_through_the_kernels(monkeypatch):
    torch.manual_seed(0)
    cfg = flow.FlowConfig(n_cond=4, n_mels=8, d_model=32, n_layers=1, n_heads=2, d_ff=48, max_len=64)
    model = flow.FlowDecoder(cfg).eval()
    for block in model.blocks:  # adaLN starts at zero: give modulate something to do
        torch.nn.init.normal_(block.ada.weight, std=0.2)
        torch.nn.init.normal_(block.ada.bias, std=0.2)
    cond = torch.randn((2, 10, 4), generator=torch.Generator().manual_seed(3))

    def sample():
        return model.sample(cond, generator=torch.Generator().manual_seed(4), steps=2, guidance=2.0)

    expected, actual, launched = on_both_paths(monkeypatch, sample)
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)
    velocities = 2 * 2  # steps x (conditional + unconditional)
    assert launched["flow_step"] == 2
    assert launched["attention"] == velocities and launched["modulate"] == 2 * velocities
    assert launched["swiglu"] == velocities and launched["rope"] == 2 * velocities


def test_vocoder_oscillators_through_the_kernel(monkeypatch):
    torch.manual_seed(0)
    from stretto.renderer.features import COLUMNS, UNVOICED_COLUMN

    n_mels, n_feats, frames, sr = 8, len(COLUMNS), 6, 16000  # the score features' own layout
    model = vocoder.Vocoder(vocoder.VocoderConfig(n_in=n_mels + n_feats, n_harmonics=12, hidden=16, layers=2)).eval()
    gen = torch.Generator().manual_seed(5)
    mel = torch.randn((1, frames, n_mels), generator=gen)
    feats = torch.randn((1, frames, n_feats), generator=gen)
    feats[..., UNVOICED_COLUMN] = torch.rand((1, frames), generator=gen)  # a consonant level
    n = frames * sr // vocoder.FRAME_RATE
    f0 = torch.full((1, n), 220.0, dtype=torch.float64)
    gate = torch.ones((1, n))

    def render():
        with torch.no_grad():
            return model(mel, feats, f0, gate, sr, generator=torch.Generator().manual_seed(6))

    expected, actual, launched = on_both_paths(monkeypatch, render)
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)
    assert launched["harmonic_synth"] == 1
