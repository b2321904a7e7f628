"""Compile every kernel for an NVIDIA GPU ahead of time, on a machine without one.

``python -m stretto.kernels.aot [--arch 90] [--json]`` lowers each kernel, at the tile sizes
its launcher picks for the renderer's shapes, through Triton's whole pipeline (TTIR, TTGIR,
LLVM IR, PTX, and a cubin from the ``ptxas`` that ships in the triton wheel) for the given
compute capability, and reports the shared memory each needs against that GPU's limit. The CPU
interpreter accepts code that the GPU compiler rejects (8x8 ``tl.dot``, some dtype mixes); this
catches it without a GPU. Run it in a process where ``TRITON_INTERPRET`` is unset: triton
builds its own library functions for the interpreter or the compiler when imported, so the
entry point refuses to run under the interpreter.
"""

from __future__ import annotations

import inspect
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from stretto.cli_args import OneLineParser

__all__ = ["KernelSpec", "SPECS", "SHARED_MEMORY_LIMIT", "compile_spec", "main"]

# Shared memory one block may use (opt-in maximum), bytes, by compute capability.
SHARED_MEMORY_LIMIT = {80: 166912, 86: 101376, 89: 101376, 90: 232448}


@dataclass(frozen=True)
class KernelSpec:
    """One kernel at one configuration: pointer element type, scalar types, constexprs."""

    name: str
    module: str  # module of stretto.kernels holding the LazyKernel
    kernel: str  # its attribute name
    dtype: str  # element type of every ``*_ptr`` not listed in ``types``
    types: dict[str, str] = field(default_factory=dict)
    constexprs: dict[str, Any] = field(default_factory=dict)
    num_warps: int = 4
    num_stages: int = 3


ATTENTION_TYPES = {"n_heads": "i32", "q_len": "i32", "k_len": "i32", "qk_scale": "fp32",
                   **{f"stride_{t}{a}": "i32" for t in "qkv" for a in "bht"}}


def _elementwise(name: str, module: str, kernel: str, dtype: str, **types: str) -> KernelSpec:
    return KernelSpec(name, module, kernel, dtype, types, {"BLOCK": 1024})


SPECS: list[KernelSpec] = [
    KernelSpec("rms_norm-fp16-C1024", "norm", "rms_norm_kernel", "fp16",
               {"w_ptr": "*fp32", "n_rows": "i32", "n_cols": "i32", "eps": "fp32"},
               {"BLOCK": 1024, "ROWS": 4, "SINGLE": True}, num_warps=8),
    KernelSpec("rms_norm-fp16-C192", "norm", "rms_norm_kernel", "fp16",
               {"n_rows": "i32", "n_cols": "i32", "eps": "fp32"}, {"BLOCK": 256, "ROWS": 16, "SINGLE": True},
               num_warps=8),
    KernelSpec("rms_norm-bf16-chunked", "norm", "rms_norm_kernel", "bf16",
               {"n_rows": "i32", "n_cols": "i32", "eps": "fp32"}, {"BLOCK": 8192, "ROWS": 1, "SINGLE": False},
               num_warps=8),
    KernelSpec("swiglu-fp16-rows", "gating", "swiglu_kernel", "fp16",
               {"n": "i32", "n_cols": "i32", "gate_row_stride": "i32", "up_row_stride": "i32"},
               {"BLOCK": 1024, "DENSE": False}),
    _elementwise("flow_step-fp32", "euler", "flow_step_kernel", "fp32", n="i32", dt="fp32", guidance="fp32"),
    KernelSpec("modulate-bf16-C160", "adaln", "modulate_kernel", "bf16",
               {"n_rows": "i32", "seq_len": "i32", "n_channels": "i32"}, {"ROWS": 16, "BLOCK": 256}),
    KernelSpec("rope-fp16-D64", "rotary", "rope_kernel", "fp16",
               {"n_rows": "i32", "n_heads": "i32", "seq_len": "i32", "head_dim": "i32", "stride_b": "i32",
                "stride_h": "i32", "stride_t": "i32"}, {"ROWS": 32, "HALF_BLOCK": 32}),
]
for _dtype, _precision, _upcast, _bm, _bn in (("fp16", "tf32", False, 128, 64), ("bf16", "tf32", False, 128, 64),
                                             ("fp32", "tf32x3", True, 64, 32)):
    for _causal in (True, False):
        SPECS.append(KernelSpec(
            f"attention-{_dtype}-D64-{'causal' if _causal else 'full'}", "flash", "attention_kernel", _dtype,
            ATTENTION_TYPES,
            {"HEAD_DIM": 64, "BLOCK_D": 64, "BLOCK_M": _bm, "BLOCK_N": _bn, "CAUSAL": _causal,
             "UPCAST": _upcast, "PRECISION": _precision},
            num_stages=2,
        ))
SPECS.append(KernelSpec(
    "attention-fp64-D64-causal", "flash", "attention_kernel", "fp64",
    ATTENTION_TYPES,
    {"HEAD_DIM": 64, "BLOCK_D": 64, "BLOCK_M": 64, "BLOCK_N": 32, "CAUSAL": True, "UPCAST": True,
     "PRECISION": "tf32x3"},
    num_stages=2,
))
for _d, _causal in ((48, True), (40, False)):  # the renderer's LeLM and flow decoder heads
    SPECS.append(KernelSpec(
        f"attention-fp16-D{_d}-{'causal' if _causal else 'full'}", "flash", "attention_kernel", "fp16",
        ATTENTION_TYPES,
        {"HEAD_DIM": _d, "BLOCK_D": 64, "BLOCK_M": 128, "BLOCK_N": 64, "CAUSAL": _causal, "UPCAST": False,
         "PRECISION": "tf32"},
        num_stages=2,
    ))
SPECS.append(KernelSpec(
    "attention-fp16-D128-causal", "flash", "attention_kernel", "fp16",
    ATTENTION_TYPES,
    {"HEAD_DIM": 128, "BLOCK_D": 128, "BLOCK_M": 64, "BLOCK_N": 32, "CAUSAL": True, "UPCAST": False,
     "PRECISION": "tf32"},
    num_warps=8, num_stages=2,
))
SPECS += [
    KernelSpec("decode_split-fp16-D64", "decode", "decode_split_kernel", "fp16",
               {"len_ptr": "*i32", "m_ptr": "*fp32", "l_ptr": "*fp32", "acc_ptr": "*fp32", "n_heads": "i32",
                "t_max": "i32", "chunk": "i32", "num_splits": "i32", "qk_scale": "fp32"},
               {"HEAD_DIM": 64, "BLOCK_D": 64, "BLOCK_N": 64}),
    KernelSpec("decode_merge-fp16-D64", "decode", "decode_merge_kernel", "fp32",
               {"o_ptr": "*fp16", "num_splits": "i32"}, {"HEAD_DIM": 64, "BLOCK_D": 64, "BLOCK_S": 16}),
    KernelSpec("synth_phase-fp32", "oscillator", "phase_block_sum_kernel", "fp32",
               {"sums_ptr": "*fp64", "n": "i32", "n_blocks": "i32", "inv_sr": "fp64"}, {"BLOCK": 1024}),
    KernelSpec("synth_harmonics-fp32", "oscillator", "harmonic_kernel", "fp32",
               {"start_ptr": "*fp64", "n": "i32", "n_blocks": "i32", "n_harmonics": "i32", "inv_sr": "fp64",
                "nyquist": "fp32"}, {"BLOCK": 1024}),
]


def compile_spec(spec: KernelSpec, arch: int) -> dict[str, Any]:
    """Compile one spec for ``sm_<arch>``; returns shared memory (bytes), cubin size, seconds."""
    import importlib

    import triton
    from triton.backends.compiler import GPUTarget
    from triton.runtime.jit import JITFunction

    lazy = getattr(importlib.import_module(f"stretto.kernels.{spec.module}"), spec.kernel)
    fn = JITFunction(lazy.fn)  # the compiler's wrapper, whatever TRITON_INTERPRET says
    signature = {}
    for name in inspect.signature(lazy.fn).parameters:
        if name in spec.constexprs:
            signature[name] = "constexpr"
        elif name in spec.types:
            signature[name] = spec.types[name]
        elif name.endswith("_ptr"):
            signature[name] = f"*{spec.dtype}"
        else:
            raise ValueError(f"{spec.name}: no type given for parameter {name}")
    start = time.perf_counter()
    compiled = triton.compile(
        triton.compiler.ASTSource(fn, signature, dict(spec.constexprs)),
        target=GPUTarget("cuda", arch, 32),
        options={"num_warps": spec.num_warps, "num_stages": spec.num_stages},
    )
    return {
        "shared": int(compiled.metadata.shared),
        "cubin_bytes": len(compiled.asm["cubin"]),
        "seconds": round(time.perf_counter() - start, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m stretto.kernels.aot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", type=int, default=90, help="compute capability, e.g. 80 (A100), 90 (H100)")
    parser.add_argument("--only", default="", help="compile only the specs whose name contains this")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    from .runtime import interpreting

    if interpreting():
        print("error: unset TRITON_INTERPRET to compile for a GPU (the interpreter replaces triton's library)",
              file=sys.stderr)
        return 2
    if args.arch not in SHARED_MEMORY_LIMIT:
        print(f"error: --arch {args.arch} unknown; use one of {sorted(SHARED_MEMORY_LIMIT)}", file=sys.stderr)
        return 2
    if not any(args.only in spec.name for spec in SPECS):
        print(f"error: --only {args.only!r} matches no kernel; names: {', '.join(s.name for s in SPECS)}",
              file=sys.stderr)
        return 2
    limit = SHARED_MEMORY_LIMIT[args.arch]
    results: dict[str, Any] = {}
    for spec in SPECS:
        if args.only not in spec.name:
            continue
        try:
            results[spec.name] = compile_spec(spec, args.arch)
            results[spec.name]["fits"] = results[spec.name]["shared"] <= limit
        except Exception as err:  # report every kernel, then fail
            results[spec.name] = {"error": " ".join(f"{type(err).__name__}: {err}".split())[:400]}
    if args.json:
        print(json.dumps({"arch": args.arch, "shared_limit": limit, "kernels": results}))
    else:
        print(f"| kernel (sm_{args.arch}) | shared memory | cubin | compile s |")
        print("| --- | ---: | ---: | ---: |")
        for name, r in results.items():
            if "error" in r:
                print(f"| {name} | FAILED: {r['error']} | | |")
            else:
                print(f"| {name} | {r['shared']} B{'' if r['fits'] else ' (over the limit)'} "
                      f"| {r['cubin_bytes']} B | {r['seconds']} |")
    ok = all("error" not in r and r["fits"] for r in results.values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
