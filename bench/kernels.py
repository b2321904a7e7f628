"""Benchmark of stretto.kernels on a CUDA GPU: each Triton kernel against its PyTorch reference,
``torch.compile`` of that reference, and ``scaled_dot_product_attention`` for attention, at the
renderer's real shapes. Prints one markdown table.

    python bench/kernels.py                 # every op, fp16 (the synthesiser in fp32)
    python bench/kernels.py --quick         # one shape per op (a few minutes of GPU time less)
    python bench/kernels.py --ops attention,decode_attention --dtype bf16 --no-compile
    python bench/kernels.py --quick --tune  # and sweep tile sizes: the data to tune the defaults

Columns: median milliseconds (``triton.testing.do_bench``); for the memory-bound ops the bytes
the op must move divided by the Triton time, and that as a fraction of a device-to-device copy
measured on the same GPU; for attention the TFLOP/s; and the max error of the Triton output
against the reference relative to the reference's largest magnitude, so that the GPU run is
also a correctness check of the compiled kernels (the tests run them in the CPU interpreter).

Without a CUDA GPU it prints why it skips and exits 0. ``--smoke`` instead runs the whole
bench machinery once at tiny shapes on CPU tensors through the Triton interpreter (needs
``TRITON_INTERPRET=1``; timings meaningless, correctness column meaningful): the test suite
uses it to keep this script working on machines without a GPU.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from stretto.cli_args import OneLineParser

SKIP = "bench/kernels.py: skipped: "
OPS = ("rms_norm", "swiglu", "rope", "attention", "decode_attention", "flow_step", "modulate", "harmonic_synth")


@dataclass(frozen=True)
class Case:
    """One op at one shape: the Triton call, the reference call, what the op must move or compute."""

    op: str
    shape: str
    dtype: str
    triton: Callable[[], object]
    reference: Callable[[], object]
    compiled: Callable[[], object] | None  # torch.compile(reference), built lazily
    sdpa: Callable[[], object] | None
    bytes_moved: int | None  # memory-bound ops
    flops: float | None  # attention


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineParser(prog="bench/kernels.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", default=",".join(OPS), help=f"comma-separated subset of {', '.join(OPS)}")
    parser.add_argument("--dtype", default="fp16", choices=("fp16", "bf16", "fp32"),
                        help="activations' dtype (the synthesiser always runs fp32)")
    parser.add_argument("--quick", action="store_true", help="one shape per op")
    parser.add_argument("--no-compile", action="store_true", help="leave out torch.compile of the references")
    parser.add_argument("--tune", action="store_true",
                        help="also sweep each kernel's tile sizes (and warps/stages for attention) and print the best")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny shapes on CPU through the Triton interpreter (needs TRITON_INTERPRET=1)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.ops.split(",")) - set(OPS))
    if unknown:
        parser.error(f"unknown op(s) {', '.join(unknown)}; choose from {', '.join(OPS)}")
    return args


def build_cases(ops: list[str], dtype_name: str, device: str, quick: bool, smoke: bool, compile_refs: bool) -> list[Case]:
    """The renderer's shapes: LM (B up to 8, H 8, T up to 4096, D 64, width 512-1024), decode
    (batch 4-64 over a 2048 cache), flow decoder ([B, 80/128 mel, T frames]), 30 s of 48 kHz
    audio with 64 harmonics. ``smoke`` shrinks every shape to a few hundred elements."""
    import torch

    import stretto.kernels as K
    from stretto.kernels import reference as R

    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}[dtype_name]
    gen = torch.Generator(device=device).manual_seed(0)
    size = lambda n, tiny: tiny if smoke else n  # noqa: E731

    def randn(*shape, dt=dtype):
        return torch.randn(shape, generator=gen, device=device, dtype=torch.float32).to(dt)

    compiled_cache: dict[str, Callable] = {}

    def compiled(name: str, fn: Callable, *args) -> Callable[[], object] | None:
        if not compile_refs:
            return None
        if name not in compiled_cache:
            compiled_cache[name] = torch.compile(fn)
        return lambda: compiled_cache[name](*args)

    esize = torch.finfo(dtype).bits // 8
    cases: list[Case] = []
    if "rms_norm" in ops:
        for rows, c in [(8 * 1024, 1024), (4 * 4096, 512), (4 * 1024, 192)][: 1 if quick else 3]:  # 192: LeLM
            rows, c = size(rows, 37), size(c, 48)
            x, w = randn(rows, c), randn(c)
            cases.append(Case("rms_norm", f"[{rows}, {c}]", dtype_name, lambda x=x, w=w: K.rms_norm(x, w),
                              lambda x=x, w=w: R.rms_norm(x, w), compiled("rms_norm", R.rms_norm, x, w), None,
                              2 * x.numel() * esize + c * esize, None))
    if "swiglu" in ops:
        for rows, c in [(8 * 1024, 2816), (4 * 4096, 1408)][: 1 if quick else 2]:
            rows, c = size(rows, 9), size(c, 40)
            g, u = randn(rows, c), randn(rows, c)
            cases.append(Case("swiglu", f"[{rows}, {c}]", dtype_name, lambda g=g, u=u: K.swiglu(g, u),
                              lambda g=g, u=u: R.swiglu(g, u), compiled("swiglu", R.swiglu, g, u), None,
                              3 * g.numel() * esize, None))
    if "rope" in ops:
        for b, t in [(8, 4096), (1, 1024)][: 1 if quick else 2]:
            b, t, h, d = size(b, 2), size(t, 19), size(8, 2), 64
            x = randn(b, h, t, d)
            angles = torch.arange(t, device=device)[:, None] * torch.rand(d, generator=gen, device=device)[None, :]
            cos, sin = angles.cos().to(dtype), angles.sin().to(dtype)
            cases.append(Case("rope", f"[{b}, {h}, {t}, {d}]", dtype_name, lambda x=x, c=cos, s=sin: K.rope(x, c, s),
                              lambda x=x, c=cos, s=sin: R.rope(x, c, s), compiled("rope", R.rope, x, cos, sin), None,
                              2 * x.numel() * esize + 2 * cos.numel() * esize, None))
    if "attention" in ops:
        # (B, T, H, D, causal): the LM grid at D 64, then stretto's own models as
        # configured in renderer/ (LeLM: 4 heads of 48, <= 1024 tokens; flow decoder: 4 heads
        # of 40 over <= 4096 frames, not causal, conditional and unconditional passes).
        shapes = [(1, 1024, 8, 64, True), (1, 4096, 8, 64, True), (4, 1024, 8, 64, True),
                  (4, 2048, 8, 64, True), (8, 4096, 8, 64, True), (4, 1024, 4, 48, True), (2, 4096, 4, 40, False)]
        for b, t, h, d, causal in shapes[1:2] if quick else shapes:
            b, t, h = size(b, 1), size(t, 40), size(h, 2)
            q, k, v = randn(b, h, t, d), randn(b, h, t, d), randn(b, h, t, d)
            sdpa = torch.nn.functional.scaled_dot_product_attention
            cases.append(Case(
                "attention", f"B{b} H{h} T{t} D{d} {'causal' if causal else 'full'}", dtype_name,
                lambda q=q, k=k, v=v, c=causal: K.attention(q, k, v, causal=c),
                lambda q=q, k=k, v=v, c=causal: R.attention(q, k, v, causal=c),
                # the reference's T x T fp32 scores: compile only the smaller ones
                None if t > 2048 else compiled(f"attention-{causal}", R.attention, q, k, v, causal),
                lambda q=q, k=k, v=v, c=causal: sdpa(q, k, v, is_causal=c),
                None, 4.0 * b * h * t * t * d / (2 if causal else 1),
            ))
    if "decode_attention" in ops:
        for b in [4, 16, 64][1:2] if quick else [4, 16, 64]:
            b, h, t_max, d = size(b, 3), size(8, 2), size(2048, 50), 64
            q, kc, vc = randn(b, h, d), randn(b, h, t_max, d), randn(b, h, t_max, d)
            lengths = torch.randint(t_max // 2, t_max + 1, (b,), generator=gen, device=device, dtype=torch.int32)
            lengths[0] = t_max
            read = int(lengths.sum().item()) * h * d * 2 * esize
            cases.append(Case(
                "decode_attention", f"B{b} H{h} T_max{t_max} D{d} ragged", dtype_name,
                lambda q=q, k=kc, v=vc, n=lengths: K.decode_attention(q, k, v, n),
                lambda q=q, k=kc, v=vc, n=lengths: R.decode_attention(q, k, v, n),
                compiled("decode_attention", R.decode_attention, q, kc, vc, lengths), None, read, None,
            ))
    if "flow_step" in ops:
        for b, mel, frames in [(8, 128, 4096), (4, 80, 2048), (2, 64, 4096)][: 1 if quick else 3]:  # 64: renderer
            b, mel, frames = size(b, 2), size(mel, 5), size(frames, 33)
            x, vu, vc = randn(b, mel, frames), randn(b, mel, frames), randn(b, mel, frames)
            cases.append(Case(
                "flow_step", f"[{b}, {mel}, {frames}]", dtype_name,
                lambda x=x, vu=vu, vc=vc: K.flow_step(x, vu, vc, 0.125, 2.0),
                lambda x=x, vu=vu, vc=vc: R.flow_step(x, vu, vc, 0.125, 2.0),
                compiled("flow_step", R.flow_step, x, vu, vc, 0.125, 2.0), None, 4 * x.numel() * esize, None,
            ))
    if "modulate" in ops:
        for b, t, c in [(8, 4096, 512), (4, 2048, 1024)][: 1 if quick else 2]:
            b, t, c = size(b, 2), size(t, 7), size(c, 24)
            x, shift, scale = randn(b, t, c), randn(b, c), randn(b, c)
            cases.append(Case(
                "modulate", f"[{b}, {t}, {c}]", dtype_name,
                lambda x=x, s=shift, z=scale: K.modulate(x, s, z),
                lambda x=x, s=shift, z=scale: R.modulate(x, s, z),
                compiled("modulate", R.modulate, x, shift, scale), None, 2 * x.numel() * esize, None,
            ))
    if "harmonic_synth" in ops:
        for b in [1, 4][: 1 if quick else 2]:
            b, n, k_harm, sr = b, size(30 * 48000, 3000), size(64, 6), 48000.0
            t = torch.arange(n, device=device, dtype=torch.float32) / sr
            f0 = (220.0 * (1 + 0.01 * torch.sin(2 * math.pi * 5 * t)))[None, :].repeat(b, 1).contiguous()
            amps = torch.rand((b, k_harm, n), generator=gen, device=device) / k_harm
            cases.append(Case(
                "harmonic_synth", f"B{b} {n / sr:g} s @48k K{k_harm}", "fp32",
                lambda f=f0, a=amps: K.harmonic_synth(f, a, sr),
                lambda f=f0, a=amps: R.harmonic_synth(f, a, sr),
                None,  # the reference's Python loop over K unrolls 64 float64 graphs: not worth compiling
                None, (amps.numel() + 2 * f0.numel()) * 4, None,
            ))
    return cases


def rel_error(actual, expected) -> float:
    a, e = actual.double(), expected.double()
    if not bool(a.isfinite().all()):
        return float("inf")
    return float((a - e).abs().max() / e.abs().max().clamp_min(1e-30))


def format_table(rows: list[dict], device_name: str, copy_gbs: float) -> str:
    import torch
    import triton

    lines = [
        f"Device: {device_name}; device-to-device copy: {copy_gbs:.0f} GB/s (read + write); "
        f"torch {torch.__version__}, triton {triton.__version__}.",
        "",
        "| op | shape | dtype | Triton ms | reference ms | torch.compile ms | SDPA ms | Triton speed-up vs best other "
        "| achieved | goal | max rel err |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |",
    ]
    fmt = lambda v: "—" if v is None else (v if isinstance(v, str) else f"{v:.3f}")  # noqa: E731
    for r in rows:
        others = [v for v in (r["reference"], r["compiled"], r["sdpa"]) if isinstance(v, float)]
        speedup = f"{min(others) / r['triton']:.2f}x" if others and r["triton"] > 0 else "—"
        lines.append(
            f"| {r['op']} | {r['shape']} | {r['dtype']} | {fmt(r['triton'])} | {fmt(r['reference'])} "
            f"| {fmt(r['compiled'])} | {fmt(r['sdpa'])} | {speedup} | {r['achieved']} | {r['goal']} | {r['error']:.1e} |"
        )
    return "\n".join(lines)


# Issue 14's goals: these ops at >= 80 % of copy bandwidth; attention no slower than SDPA (T <= 4096);
# decode attention faster than the reference.
BANDWIDTH_GOAL = {"rms_norm": 0.8, "swiglu": 0.8, "flow_step": 0.8, "harmonic_synth": 0.8}


def goal_verdict(case: Case, row: dict, copy_gbs: float) -> str:
    """'met (...)' or 'missed (...)' for an op with a goal, '—' otherwise."""
    seconds = row["triton"] * 1e-3
    if case.op in BANDWIDTH_GOAL and case.bytes_moved is not None:
        fraction = case.bytes_moved / seconds / 1e9 / copy_gbs
        verdict = "met" if fraction >= BANDWIDTH_GOAL[case.op] else "missed"
        return f"{verdict} (>= {100 * BANDWIDTH_GOAL[case.op]:.0f}% copy)"
    if case.op == "attention" and isinstance(row["sdpa"], float):
        return f"{'met' if row['triton'] <= row['sdpa'] else 'missed'} (<= SDPA)"
    if case.op == "decode_attention":
        return f"{'met' if row['triton'] < row['reference'] else 'missed'} (< reference)"
    return "—"


def copy_bandwidth(timer: Callable[[Callable[[], object]], float], device: str, nbytes: int) -> float:
    """GB/s of a device-to-device copy of ``nbytes`` (bytes read + bytes written per second)."""
    import torch

    src = torch.empty(nbytes, dtype=torch.uint8, device=device)
    dst = torch.empty_like(src)
    return 2 * nbytes / (timer(lambda: dst.copy_(src)) * 1e-3) / 1e9


def tune_sweeps(ops: list[str], dtype_name: str, device: str, smoke: bool) -> list[tuple[str, str, list]]:
    """Per op, one representative shape and the launcher configurations to try, the default first:
    ``(op, shape, [(label, call), ...])``. ``smoke``: tiny shapes, two configurations each."""
    from functools import partial

    import torch

    from stretto.kernels.decode import decode_attention_triton
    from stretto.kernels.euler import flow_step_triton
    from stretto.kernels.flash import attention_triton
    from stretto.kernels.gating import swiglu_triton
    from stretto.kernels.oscillator import harmonic_synth_triton
    from stretto.kernels.rotary import rope_triton

    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}[dtype_name]
    gen = torch.Generator(device=device).manual_seed(1)

    def randn(*shape, dt=dtype):
        return torch.randn(shape, generator=gen, device=device, dtype=torch.float32).to(dt)

    def sweep(label_fn, fn, configs):
        chosen = configs[:1] if smoke else configs
        return [("default", fn)] + [(label_fn(c), partial(fn, **c)) for c in chosen]

    blocks = [{"block": b} for b in (512, 1024, 2048, 4096)]
    label = lambda c: " ".join(f"{k}={v}" for k, v in c.items())  # noqa: E731
    sweeps = []
    if "attention" in ops:
        b, h, t, d = (1, 2, 40, 64) if smoke else (4, 8, 2048, 64)
        q, k, v = randn(b, h, t, d), randn(b, h, t, d), randn(b, h, t, d)
        configs = [{"block_m": bm, "block_n": bn, "num_warps": w, "num_stages": st}
                   for bm, bn in ((64, 32), (128, 64), (64, 64), (128, 128)) for w in (4, 8) for st in (2, 3)]
        sweeps.append(("attention", f"B{b} H{h} T{t} D{d} causal",
                       sweep(label, partial(attention_triton, q, k, v, True), configs)))
    if "decode_attention" in ops:
        b, h, t_max, d = (3, 2, 50, 64) if smoke else (16, 8, 2048, 64)
        q, kc, vc = randn(b, h, d), randn(b, h, t_max, d), randn(b, h, t_max, d)
        lengths = torch.randint(t_max // 2, t_max + 1, (b,), generator=gen, device=device, dtype=torch.int32)
        configs = [{"num_splits": ns, "block_n": bn} for ns in (2, 4, 8, 16, 32) for bn in (32, 64, 128)]
        sweeps.append(("decode_attention", f"B{b} H{h} T_max{t_max} D{d}",
                       sweep(label, partial(decode_attention_triton, q, kc, vc, lengths), configs)))
    if "swiglu" in ops:
        n = 300 if smoke else 8 * 1024 * 2816
        g, u = randn(n), randn(n)
        sweeps.append(("swiglu", f"[{n}]", sweep(label, partial(swiglu_triton, g, u), blocks)))
    if "flow_step" in ops:
        shape = (2, 5, 33) if smoke else (8, 128, 4096)
        x, vu, vc = randn(*shape), randn(*shape), randn(*shape)
        sweeps.append(("flow_step", str(list(shape)),
                       sweep(label, partial(flow_step_triton, x, vu, vc, 0.125, 2.0), blocks)))
    if "rope" in ops:
        b, h, t, d = (1, 2, 19, 64) if smoke else (8, 8, 4096, 64)
        x, cos, sin = randn(b, h, t, d), randn(t, d), randn(t, d)
        sweeps.append(("rope", f"[{b}, {h}, {t}, {d}]",
                       sweep(label, partial(rope_triton, x, cos, sin), [{"rows": r} for r in (8, 16, 32, 64)])))
    if "harmonic_synth" in ops:
        n, k_harm = (3000, 6) if smoke else (30 * 48000, 64)
        f0 = torch.full((1, n), 220.0, device=device)
        amps = torch.rand((1, k_harm, n), generator=gen, device=device) / k_harm
        configs = [{"block": b} for b in (256, 512, 1024, 2048)]
        sweeps.append(("harmonic_synth", f"B1 N{n} K{k_harm}",
                       sweep(label, partial(harmonic_synth_triton, f0, amps, 48000.0), configs)))
    return sweeps


def run_tune(sweeps: list[tuple[str, str, list]], timer: Callable[[Callable[[], object]], float]) -> str:
    """Time every configuration, check its output against the default's, and mark the fastest."""
    lines = ["", "Tile sweep (`--tune`): the launcher's default first, the fastest in bold.", "",
             "| op | shape | configuration | ms | vs default | rel err vs default |",
             "| --- | --- | --- | ---: | ---: | ---: |"]
    for op, shape, configs in sweeps:
        default_out = configs[0][1]()
        results = []
        for label, fn in configs:
            try:
                error = rel_error(fn(), default_out)
                results.append((label, timer(fn), error))
            except Exception as err:  # e.g. a tile that needs more shared memory than the GPU has
                results.append((label, None, f"failed: {type(err).__name__}"))
            print(f"  tune {op} {label}", file=sys.stderr, flush=True)
        timed = [r for r in results if r[1] is not None]
        best = min(timed, key=lambda r: r[1])[0] if timed else None
        base = results[0][1]
        for label, ms, error in results:
            name = f"**{label}**" if label == best else label
            if ms is None:
                lines.append(f"| {op} | {shape} | {name} | — | — | {error} |")
            else:
                ratio = f"{base / ms:.2f}x" if base else "—"
                lines.append(f"| {op} | {shape} | {name} | {ms:.3f} | {ratio} | {error:.1e} |")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import torch

    device = "cpu" if args.smoke else "cuda"
    if args.smoke:
        def timer(fn: Callable[[], object]) -> float:  # one call: the interpreter is not worth timing
            start = time.perf_counter()
            fn()
            return (time.perf_counter() - start) * 1e3

        device_name = "CPU (Triton interpreter; timings meaningless)"
    else:
        import triton.testing

        def timer(fn: Callable[[], object]) -> float:
            return float(triton.testing.do_bench(fn, warmup=25, rep=100, return_mode="median"))

        device_name = torch.cuda.get_device_name()
    # Copy bandwidth: the ceiling a memory-bound kernel is measured against.
    copy_gbs = copy_bandwidth(timer, device, (1 << 16) if args.smoke else (1 << 30))

    cases = build_cases(args.ops.split(","), args.dtype, device, args.quick, args.smoke,
                        compile_refs=not (args.no_compile or args.smoke))
    rows = []
    for case in cases:
        error = rel_error(case.triton(), case.reference())
        row = {"op": case.op, "shape": case.shape, "dtype": case.dtype, "error": error,
               "triton": timer(case.triton), "reference": timer(case.reference), "compiled": None, "sdpa": None}
        if case.compiled is not None:
            try:
                case.compiled()  # compile outside the timing
                row["compiled"] = timer(case.compiled)
            except Exception as err:  # inductor missing a compiler etc.: say so in the cell
                row["compiled"] = f"failed: {type(err).__name__}"
        if case.sdpa is not None:
            row["sdpa"] = timer(case.sdpa)
        seconds = row["triton"] * 1e-3
        if case.bytes_moved is not None:
            gbs = case.bytes_moved / seconds / 1e9
            row["achieved"] = f"{gbs:.0f} GB/s ({100 * gbs / copy_gbs:.0f}% of copy)"
        else:
            row["achieved"] = f"{case.flops / seconds / 1e12:.1f} TFLOP/s"
        row["goal"] = goal_verdict(case, row, copy_gbs)
        rows.append(row)
        print(f"  {case.op} {case.shape}: Triton {row['triton']:.3f} ms", file=sys.stderr, flush=True)
    print(format_table(rows, device_name, copy_gbs))
    if args.tune:
        print(run_tune(tune_sweeps(args.ops.split(","), args.dtype, device, args.smoke), timer))
    worst = max((r["error"] for r in rows), default=0.0)
    limit = {"fp32": 1e-3, "fp16": 1e-2, "bf16": 1.6e-2}[args.dtype]
    if worst > limit:
        print(f"error: a Triton kernel is off its reference by {worst:.2e} (> {limit:g}); see the table",
              file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    interpret = os.environ.get("TRITON_INTERPRET", "0").strip().lower() in ("1", "true", "on", "yes")
    if args.smoke and not interpret:
        print("error: --smoke runs the kernels in the Triton interpreter: set TRITON_INTERPRET=1", file=sys.stderr)
        return 2
    try:
        import torch
    except ImportError:
        print(SKIP + "torch is not installed (pip install 'stretto[neural]')")
        return 0
    from stretto.kernels.runtime import triton_available

    if not triton_available():
        print(SKIP + "triton is not installed (pip install 'stretto[neural]' on Linux)")
        return 0
    if args.smoke:
        os.environ["STRETTO_KERNELS"] = "triton"
        return run(args)
    if not torch.cuda.is_available():
        print(SKIP + "no CUDA GPU here (torch.cuda.is_available() is False); the kernels are tested on CPU "
              "by `pytest tests/kernels` with TRITON_INTERPRET=1")
        return 0
    if interpret:
        print(SKIP + "TRITON_INTERPRET is set, which would time the CPU interpreter; unset it")
        return 0
    os.environ["STRETTO_KERNELS"] = "auto"  # Triton on CUDA, as the renderer runs it
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
