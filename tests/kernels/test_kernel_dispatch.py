"""The dispatch of stretto.kernels: STRETTO_KERNELS read at every call, the reference on CPU by
default, the one-line errors (interpreter missing, triton missing, bad inputs), and an import
that pulls in neither torch nor triton."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

torch = pytest.importorskip("torch", reason="the kernel tests need torch (pip install 'stretto[neural]')")

import stretto.kernels as K  # noqa: E402
from stretto.kernels import reference as R  # noqa: E402

needs_triton = pytest.mark.usefixtures("needs_triton")


def small_inputs():
    gen = torch.Generator().manual_seed(7)
    x = torch.randn((3, 20), generator=gen)
    w = torch.randn((20,), generator=gen)
    return x, w


@needs_triton
def test_env_is_read_at_every_call(monkeypatch):
    x, w = small_inputs()
    expected = R.rms_norm(x, w)
    for mode, launches in (("triton", 1), ("torch", 0), ("auto", 0), ("", 0), ("Triton", 1)):
        monkeypatch.setenv("STRETTO_KERNELS", mode)
        with K.count_launches() as launched:
            y = K.rms_norm(x, w)
        assert launched["rms_norm"] == launches, f"STRETTO_KERNELS={mode!r}"
        torch.testing.assert_close(y, expected)
    monkeypatch.delenv("STRETTO_KERNELS")
    assert K.choose_backend("rms_norm", x, w) == "torch"  # unset = auto = reference on CPU


@needs_triton
def test_launch_counters_nest():
    x, w = small_inputs()
    with K.count_launches() as outer:
        K.rms_norm(x, w)
        with K.count_launches() as inner:
            K.swiglu(x, x)
    assert outer == {"rms_norm": 1, "swiglu": 1} and inner == {"swiglu": 1}


@needs_triton
def test_triton_on_cpu_without_interpreter_is_one_line(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET")
    x, w = small_inputs()
    with pytest.raises(RuntimeError) as err:
        K.rms_norm(x, w)
    message = str(err.value)
    assert "\n" not in message and "TRITON_INTERPRET=1" in message and "rms_norm" in message


def test_unknown_mode_is_one_line(monkeypatch):
    monkeypatch.setenv("STRETTO_KERNELS", "cuda")
    x, w = small_inputs()
    with pytest.raises(ValueError, match=r"^STRETTO_KERNELS='cuda' is not one of auto, triton, torch$"):
        K.rms_norm(x, w)


def _t(*shape, dtype=torch.float32, device="cpu"):
    return torch.zeros(shape, dtype=dtype, device=device)


BAD_CALLS = [
    pytest.param(lambda: K.rms_norm(_t(2, 8), _t(7)), "weight has shape (7,), expected (8,)", id="rms-weight"),
    pytest.param(lambda: K.rms_norm(_t(2, 8, dtype=torch.int32), _t(8)), "x must be a floating-point", id="rms-int"),
    pytest.param(lambda: K.rms_norm(_t(2, 8), _t(8), eps=-1.0), "eps must be >= 0", id="rms-eps"),
    pytest.param(lambda: K.swiglu(_t(2, 8), _t(2, 9)), "up has shape (2, 9), expected (2, 8)", id="swiglu-shape"),
    pytest.param(lambda: K.rope(_t(1, 2, 5, 7), _t(5, 7), _t(5, 7)), "even head dimension", id="rope-odd-D"),
    pytest.param(lambda: K.rope(_t(2, 5, 8), _t(5, 8), _t(5, 8)), "x must be [B, H, T, D]", id="rope-rank"),
    pytest.param(lambda: K.rope(_t(1, 1, 5, 8), _t(6, 8), _t(5, 8)), "cos has shape (6, 8)", id="rope-table"),
    pytest.param(lambda: K.attention(_t(1, 1, 5, 8), _t(1, 1, 4, 8), _t(1, 1, 4, 8)),
                 "causal attention needs at least as many keys as queries, got T=5 and Tk=4", id="attn-causal-Tk"),
    pytest.param(lambda: K.attention(_t(1, 1, 4, 8), _t(1, 2, 4, 8), _t(1, 1, 4, 8)), "k has shape", id="attn-heads"),
    pytest.param(lambda: K.attention(_t(1, 1, 4, 8, dtype=torch.float16), _t(1, 1, 4, 8), _t(1, 1, 4, 8)),
                 "attention: inputs must share one dtype, got q torch.float16, k torch.float32", id="attn-dtypes"),
    pytest.param(lambda: K.attention(_t(1, 1, 4, 8), _t(1, 1, 4, 8), _t(1, 1, 4, 8, device="meta")),
                 "different devices", id="attn-devices"),
    pytest.param(lambda: K.decode_attention(_t(2, 1, 8), _t(2, 1, 6, 8), _t(2, 1, 6, 8), torch.tensor([0, 6])),
                 "lengths must lie in 1..T_max=6, got values from 0 to 6", id="decode-length-0"),
    pytest.param(lambda: K.decode_attention(_t(2, 1, 8), _t(2, 1, 6, 8), _t(2, 1, 6, 8), torch.tensor([1, 7])),
                 "lengths must lie in 1..T_max=6", id="decode-length-over"),
    pytest.param(lambda: K.decode_attention(_t(2, 1, 8), _t(2, 1, 6, 8), _t(2, 1, 6, 8), torch.tensor([1.0, 2.0])),
                 "lengths must be an integer torch tensor", id="decode-float-lengths"),
    pytest.param(lambda: K.decode_attention(_t(2, 1, 8), _t(2, 1, 6, 8), _t(2, 1, 6, 8), torch.tensor([1, 2, 3])),
                 "lengths has shape (3,), expected (2,)", id="decode-lengths-shape"),
    pytest.param(lambda: K.flow_step(_t(3), _t(3), _t(3), float("nan"), 1.0), "dt must be finite", id="flow-dt"),
    pytest.param(lambda: K.flow_step(_t(3), _t(3), _t(3), 0.1, "2"), "guidance must be a real number", id="flow-guidance"),
    pytest.param(lambda: K.harmonic_synth(_t(1, 10), _t(1, 3, 9), 16000), "amps has shape (1, 3, 9)", id="synth-amps"),
    pytest.param(lambda: K.harmonic_synth(_t(1, 10), _t(1, 3, 10), 0), "sample_rate must be > 0", id="synth-sr"),
    pytest.param(lambda: K.modulate(_t(2, 3, 4), _t(2, 4), _t(1, 4)), "scale has shape (1, 4), expected (2, 4)",
                 id="modulate-scale"),
]


@pytest.mark.parametrize(("call", "needle"), BAD_CALLS)
@pytest.mark.parametrize("mode", ["torch", "triton"])
def test_bad_input_is_a_one_line_value_error(call, needle, mode, monkeypatch):
    """Both back-ends share the checks, made before any work."""
    monkeypatch.setenv("STRETTO_KERNELS", mode)
    with pytest.raises(ValueError) as err:
        call()
    assert needle in str(err.value) and "\n" not in str(err.value)


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("TRITON_INTERPRET", "STRETTO_KERNELS")}
    environment.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=environment, timeout=120)


def test_import_pulls_in_neither_torch_nor_triton():
    done = run_python("""
        import sys
        import stretto
        assert "stretto.kernels" not in sys.modules, "the core package imports the kernels"
        import stretto.kernels
        print(sorted(m for m in ("torch", "triton") if m in sys.modules))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_without_triton_the_reference_runs_and_triton_mode_says_what_to_install():
    done = run_python("""
        import sys
        sys.modules["triton"] = None  # as if triton were not installed: importing it fails
        import torch
        import stretto.kernels as K
        x = torch.ones(2, 4)
        print(K.rms_norm(x, torch.ones(4)).sum().item())
        import os
        os.environ["STRETTO_KERNELS"] = "triton"
        try:
            K.rms_norm(x, torch.ones(4))
        except RuntimeError as err:
            print(err)
    """)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert float(lines[0]) == pytest.approx(8.0, rel=1e-5)
    assert lines[1] == "STRETTO_KERNELS=triton but triton is not installed: pip install 'stretto[neural]'"


@needs_triton
def test_interpreter_set_after_importing_triton_is_one_line():
    """triton fixes interpreter-or-compiler for its own library when imported: setting
    TRITON_INTERPRET later is refused in one line, not a deep interpreter traceback."""
    done = run_python("""
        import os
        import triton, torch
        import stretto.kernels as K
        os.environ["TRITON_INTERPRET"] = "1"
        try:
            K.swiglu(torch.ones(8), torch.ones(8))
        except RuntimeError as err:
            print(err)
    """, STRETTO_KERNELS="triton")
    assert done.returncode == 0, done.stderr
    assert "set TRITON_INTERPRET before the first import of triton" in done.stdout
    assert len(done.stdout.strip().splitlines()) == 1


@needs_triton
def test_interpreter_set_before_any_import_works_in_a_fresh_process():
    """The plain recipe of docs/kernels.md: both variables in the environment of the process."""
    done = run_python("""
        import torch
        import stretto.kernels as K
        with K.count_launches() as launched:
            y = K.flow_step(torch.zeros(5), torch.ones(5), 3 * torch.ones(5), 0.5, 2.0)
        print(launched["flow_step"], y.tolist())
    """, STRETTO_KERNELS="triton", TRITON_INTERPRET="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "1"
    assert "2.5" in done.stdout  # 0 + 0.5 * (1 + 2 * (3 - 1))


EMPTY_CALLS = [
    pytest.param(lambda m: m.rms_norm(_t(0, 8), _t(8)), id="rms_norm"),
    pytest.param(lambda m: m.swiglu(_t(0), _t(0)), id="swiglu"),
    pytest.param(lambda m: m.rope(_t(0, 2, 3, 4), _t(3, 4), _t(3, 4)), id="rope"),
    pytest.param(lambda m: m.attention(_t(0, 2, 3, 16), _t(0, 2, 3, 16), _t(0, 2, 3, 16)), id="attention"),
    pytest.param(lambda m: m.decode_attention(_t(0, 2, 16), _t(0, 2, 5, 16), _t(0, 2, 5, 16),
                                              torch.zeros(0, dtype=torch.int32)), id="decode_attention"),
    pytest.param(lambda m: m.flow_step(_t(0, 3), _t(0, 3), _t(0, 3), 0.1, 1.0), id="flow_step"),
    pytest.param(lambda m: m.modulate(_t(2, 0, 4), _t(2, 4), _t(2, 4)), id="modulate"),
    pytest.param(lambda m: m.harmonic_synth(_t(1, 0), _t(1, 3, 0), 16000), id="synth-no-samples"),
    pytest.param(lambda m: m.harmonic_synth(torch.full((1, 5), 100.0), _t(1, 0, 5), 16000), id="synth-no-harmonics"),
]


@needs_triton
@pytest.mark.parametrize("call", EMPTY_CALLS)
def test_empty_inputs_give_empty_or_silent_outputs(call):
    """Zero-sized batches, sequences or harmonic sets: the Triton path returns what the reference
    does (an empty tensor, or silence for no harmonics) without launching an empty grid."""
    triton_out = call(K)
    reference_out = call(R)
    assert triton_out.shape == reference_out.shape
    torch.testing.assert_close(triton_out, reference_out)


class FakeCudaTensor:
    """Enough of a tensor for the back-end choice: where it lives and whether it needs grad."""

    is_cuda = True

    def __init__(self, requires_grad: bool) -> None:
        self.requires_grad = requires_grad


@needs_triton
def test_auto_leaves_training_to_the_reference(monkeypatch):
    """Kernels are forward-only: on CUDA, auto runs Triton for inference (no grad needed, or
    grad mode off) and the reference when autograd must record the op."""
    monkeypatch.setenv("STRETTO_KERNELS", "auto")
    weight, activations = FakeCudaTensor(True), FakeCudaTensor(False)
    assert K.choose_backend("rms_norm", activations, FakeCudaTensor(False)) == "triton"
    assert K.choose_backend("rms_norm", activations, weight) == "torch"
    with torch.no_grad():
        assert K.choose_backend("rms_norm", activations, weight) == "triton"
    with torch.inference_mode():
        assert K.choose_backend("rms_norm", activations, weight) == "triton"


@needs_triton
def test_forced_triton_with_grad_is_one_line():
    x = torch.randn(3, 8, requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        K.swiglu(x, x)
    assert "forward-only" in str(err.value) and "\n" not in str(err.value)
    with torch.no_grad():
        with K.count_launches() as launched:
            K.swiglu(x, x)
    assert launched["swiglu"] == 1


def test_training_on_the_reference_gets_gradients(monkeypatch):
    """auto on CPU: the reference path carries gradients to every input (the renderer trains so)."""
    monkeypatch.setenv("STRETTO_KERNELS", "auto")
    gen = torch.Generator().manual_seed(3)
    x = torch.randn((2, 5, 8), generator=gen, requires_grad=True)
    w = torch.randn((8,), generator=gen, requires_grad=True)
    shift = torch.randn((2, 8), generator=gen, requires_grad=True)
    loss = K.modulate(K.rms_norm(x, w), shift, shift).square().sum()
    loss.backward()
    assert all(t.grad is not None and t.grad.abs().sum() > 0 for t in (x, w, shift))


def test_decode_lengths_on_the_cpu_serve_a_cache_elsewhere(monkeypatch):
    """The renderer keeps lengths on the CPU: they are checked there (no device sync) and moved
    to the cache's device (here 'meta', where the reference runs on shapes alone)."""
    monkeypatch.setenv("STRETTO_KERNELS", "torch")
    q, cache = _t(2, 3, 8, device="meta"), _t(2, 3, 6, 8, device="meta")
    y = K.decode_attention(q, cache, cache, torch.tensor([1, 6]))
    assert y.shape == (2, 3, 8) and y.device.type == "meta"
    with pytest.raises(ValueError, match="lengths must lie in 1..T_max=6, got values from 2 to 9"):
        K.decode_attention(q, cache, cache, torch.tensor([2, 9]))
