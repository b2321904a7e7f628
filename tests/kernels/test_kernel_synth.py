"""The harmonic oscillator bank under the Triton interpreter: against the reference and a direct
numpy float64 formula, its pitch by an FFT peak on a long steady note, the Nyquist mute by the
absence of the alias, and the phase of a 60 s note at 48 kHz against exact integer arithmetic."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the kernel tests need torch (pip install 'stretto[neural]')")
pytest.importorskip("triton", reason="triton is not installed (pip install 'stretto[neural]', Linux)")

import stretto.kernels as K  # noqa: E402
from stretto.kernels import reference as R  # noqa: E402
from stretto.kernels.oscillator import harmonic_synth_triton  # noqa: E402

DTYPES = [
    pytest.param(torch.float32, id="fp32"),
    pytest.param(torch.float16, id="fp16"),
    pytest.param(torch.bfloat16, id="bf16"),
]


def generator(*key) -> torch.Generator:
    return torch.Generator().manual_seed(zlib.crc32(repr(key).encode()))


def direct(f0: torch.Tensor, amps: torch.Tensor, sr: float) -> np.ndarray:
    """The definition, term by term in float64: phi = 2 pi cumsum(f0) / sr, mute k f0 >= sr / 2."""
    f = f0.double().numpy()
    a = amps.double().numpy()
    phi = 2 * np.pi * np.cumsum(f, axis=-1) / sr
    y = np.zeros_like(f)
    for k in range(1, a.shape[1] + 1):
        y += np.where(k * f < sr / 2, a[:, k - 1] * np.sin(k * phi), 0.0)
    return y


SYNTH_CASES = [
    # B, N, K, sample rate, block
    pytest.param(2, 3000, 8, 16000.0, 256, id="B2-N3000-K8-block256"),
    pytest.param(1, 777, 3, 22050.0, None, id="N777-K3-default-block"),
    pytest.param(1, 5000, 4, 48000.0, None, id="N5000-K4-default-block-5-blocks"),
    pytest.param(3, 5, 1, 8000.0, None, id="N5-K1"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("b", "n", "k", "sr", "block"), SYNTH_CASES)
def test_harmonic_synth(b, n, k, sr, block, dtype, assert_rel_close, nan_like):
    gen = generator("synth", b, n, k, sr, block, dtype)
    # A glide from 100 Hz to 0.4 sr per row (each row its own range): the upper harmonics
    # cross Nyquist on the way, so the mute is exercised sample by sample.
    top = torch.rand((b, 1), generator=gen) * 0.3 * sr + 0.1 * sr
    f0 = (100.0 + (top - 100.0) * torch.linspace(0, 1, n)[None, :]).to(dtype)
    amps = torch.rand((b, k, n), generator=gen).to(dtype)
    with K.count_launches() as launched:
        y = K.harmonic_synth(f0, amps, sr)
    assert launched["harmonic_synth"] == 1 and launched["harmonic_synth_phase"] == 1
    assert y.dtype == dtype and y.shape == (b, n)
    independent = direct(f0, amps, sr)
    assert_rel_close(y, R.harmonic_synth(f0, amps, sr), dtype, "kernel vs reference")
    assert_rel_close(y, independent, dtype, "kernel vs direct formula")
    assert_rel_close(R.harmonic_synth(f0, amps, sr), independent, dtype, "reference vs direct formula")
    out = nan_like((b, n), dtype)
    harmonic_synth_triton(f0, amps, sr, out=out, **({} if block is None else {"block": block}))
    assert_rel_close(out, independent, dtype, "launcher into NaN-filled out")


def spectrum(y: np.ndarray, sr: float) -> tuple[np.ndarray, np.ndarray]:
    window = np.hanning(len(y))
    mag = np.abs(np.fft.rfft(y * window))
    return np.fft.rfftfreq(len(y), 1.0 / sr), mag


def peak_hz(freqs: np.ndarray, mag: np.ndarray, near: float, width: float = 20.0) -> tuple[float, float]:
    """The strongest bin within ``width`` Hz of ``near``, refined by a parabola through the log
    magnitudes of it and its neighbours; returns (Hz, amplitude), the amplitude as the root of
    the energy of the peak's +-4 bins (independent of where the tone falls between bins)."""
    band = np.flatnonzero(np.abs(freqs - near) <= width)
    i = band[np.argmax(mag[band])]
    a, b, c = np.log(mag[i - 1 : i + 2])
    shift = 0.5 * (a - c) / (a - 2 * b + c)
    return freqs[i] + shift * (freqs[1] - freqs[0]), float(np.sqrt((mag[i - 4 : i + 5] ** 2).sum()))


def test_steady_note_pitch_by_fft_peak():
    """4 s of middle C (261.63 Hz, between FFT bins) with harmonics 1/2/3 at 1, 0.5, 0.25: the
    peaks sit at f0, 2 f0, 3 f0 within 0.02 Hz (0.13 cent) with the amplitude ratios."""
    sr, n, f0_hz = 16000.0, 1 << 16, 261.63
    f0 = torch.full((1, n), f0_hz, dtype=torch.float32)
    amps = torch.tensor([1.0, 0.5, 0.25])[None, :, None].expand(1, 3, n).contiguous()
    with K.count_launches() as launched:
        y = K.harmonic_synth(f0, amps, sr)[0].numpy().astype(np.float64)
    assert launched["harmonic_synth"] == 1
    freqs, mag = spectrum(y, sr)
    found = [peak_hz(freqs, mag, h * f0_hz) for h in (1, 2, 3)]
    for h, (hz, _) in zip((1, 2, 3), found):
        assert abs(hz - h * f0_hz) < 0.02, f"harmonic {h} at {hz:.4f} Hz, expected {h * f0_hz:.4f}"
    fundamental = found[0][1]
    assert found[1][1] / fundamental == pytest.approx(0.5, rel=0.01)
    assert found[2][1] / fundamental == pytest.approx(0.25, rel=0.01)


def test_harmonics_at_or_above_nyquist_are_silent():
    """f0 = 3 kHz at 16 kHz: harmonics 3 (9 kHz) and 4 (12 kHz) are muted, so their aliases at
    7 kHz and 4 kHz carry nothing, while 3 and 6 kHz (k = 1, 2) are loud."""
    sr, n = 16000.0, 1 << 14
    f0 = torch.full((1, n), 3000.0)
    amps = torch.ones((1, 4, n))
    freqs, mag = spectrum(K.harmonic_synth(f0, amps, sr)[0].numpy().astype(np.float64), sr)
    loud = min(mag[np.argmin(np.abs(freqs - hz))] for hz in (3000.0, 6000.0))
    for alias in (7000.0, 4000.0):
        assert mag[np.argmin(np.abs(freqs - alias))] < 1e-4 * loud, f"energy at the alias {alias} Hz"


def test_sixty_seconds_at_48k_stay_in_phase():
    """A 440 Hz note for 60 s at 48 kHz (2.88 M samples, ~26 400 cycles): the phase of every
    sample in the last second matches exact integer arithmetic, cumsum(f0)[n] = (n + 1) * 440
    cycles / 48000, to 1e-4 in the output, for the kernel and the reference; a float32 running
    sum would be off by more than 1e-2 (checked, so the test has teeth). A big block keeps the
    interpreter quick; the phase path is the same for every block size."""
    sr, n = 48000, 60 * 48000
    f0 = torch.full((1, n), 440.0, dtype=torch.float32)
    amps = torch.ones((1, 1, n), dtype=torch.float32)
    last = np.arange(n - 48000, n, dtype=np.int64)
    exact = np.sin(2 * np.pi * (((last + 1) * 440) % 48000) / 48000.0)
    kernel = harmonic_synth_triton(f0, amps, float(sr), block=1 << 16)[0, -48000:].double().numpy()
    assert np.abs(kernel - exact).max() < 1e-4
    reference = R.harmonic_synth(f0, amps, float(sr))[0, -48000:].double().numpy()
    assert np.abs(reference - exact).max() < 1e-4
    naive32 = torch.cumsum(f0 / sr, dim=-1)[0, -48000:].double().numpy()
    assert np.abs(np.sin(2 * np.pi * naive32) - exact).max() > 1e-2


def test_sixty_seconds_of_vibrato_match_the_reference(assert_rel_close):
    """A varying f0 (vibrato around A3) for 60 s at 48 kHz: the kernel's blocked phase (fp64
    block sums, fp64 scan inside each block) agrees with the reference's float64 cumsum at the end."""
    sr, n = 48000.0, 60 * 48000
    t = torch.arange(n, dtype=torch.float64) / sr
    f0 = (220.0 * (1 + 0.01 * torch.sin(2 * np.pi * 5.5 * t))).float()[None, :]
    amps = torch.full((1, 2, n), 0.5)
    kernel = harmonic_synth_triton(f0, amps, sr, block=1 << 16)[:, -48000:]
    assert_rel_close(kernel, R.harmonic_synth(f0, amps, sr)[:, -48000:], torch.float32)


def test_reference_phase_is_float64_exact():
    """The reference's phase in cycles after 60 s at 48 kHz is within 1e-6 cycles (6e-6 rad) of
    exact: the float64 running sum's rounding, ~10^-7 cycles here, is far below hearing."""
    sr, n = 48000.0, 60 * 48000
    cycles = R.phase_cycles(torch.full((1, n), 440.0), sr)[0, -1000:].numpy()
    last = np.arange(n - 1000, n, dtype=np.int64)
    exact = (((last + 1) * 440) % 48000) / 48000.0
    wrapped = (cycles - exact + 0.5) % 1.0 - 0.5  # distance on the circle
    assert np.abs(wrapped).max() < 1e-6
