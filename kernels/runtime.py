"""Backend choice, lazy Triton compilation and the launch counter of ``stretto.kernels``.

Nothing here imports triton or torch at import time: the kernel modules, which import triton,
are imported by the dispatch at the first Triton call, so ``import stretto.kernels`` works on a
machine without triton or a GPU.

Why the kernels are jitted lazily: ``triton.jit`` decides *when it decorates* whether the
function runs in the CPU interpreter (``TRITON_INTERPRET=1``) or is compiled for a GPU, so a
kernel module decorated at import would tie that choice to whenever it happened to be imported.
:class:`LazyKernel` wraps the plain Python kernel in ``triton.jit`` at launch instead, under the
setting of the moment. triton itself still fixes the choice for its own library (``tl.sum``,
``tl.cumsum``) when *it* is imported, so ``TRITON_INTERPRET`` must be set before the first
``import triton``; a kernel launched under the other setting gets a one-line error saying so.
"""

from __future__ import annotations

import importlib.util
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = [
    "ENV_VAR", "LazyKernel", "choose_backend", "count_launches", "interpreting", "output_like", "rows_of",
    "triton_available",
]

ENV_VAR = "STRETTO_KERNELS"
MODES = ("auto", "triton", "torch")

# Counters of the count_launches() blocks now open (a stack, so blocks may nest).
_open_counters: list[Counter] = []


def interpreting() -> bool:
    """True when ``TRITON_INTERPRET`` asks Triton to run kernels in its CPU interpreter."""
    return os.environ.get("TRITON_INTERPRET", "0").strip().lower() in ("1", "true", "on", "yes")


def triton_available() -> bool:
    """True when the triton package is installed (checked without importing it)."""
    try:
        return importlib.util.find_spec("triton") is not None
    except (ImportError, ValueError):  # a broken or blocked install counts as absent
        return False


def grad_enabled() -> bool:
    """torch's grad mode (torch is imported by then: the caller holds tensors)."""
    import torch

    return torch.is_grad_enabled()


def choose_backend(op: str, *tensors: Any) -> str:
    """``"triton"`` or ``"torch"`` for ``op`` on these tensors, from ``STRETTO_KERNELS`` read now.

    ``auto`` (default): Triton for CUDA tensors when triton is installed, the reference otherwise.
    ``torch``: always the reference. ``triton``: always Triton; on CPU tensors that needs
    ``TRITON_INTERPRET=1``, and a missing one is a one-line error saying so.

    The kernels are forward-only: when autograd must record the op (grad mode on and an input
    that requires grad, as in training), ``auto`` takes the reference, whose backward PyTorch
    derives, and ``triton`` is a one-line error.
    """
    mode = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
    if mode not in MODES:
        raise ValueError(f"{ENV_VAR}={mode!r} is not one of auto, triton, torch")
    if mode == "torch":
        return "torch"
    on_cuda = all(getattr(t, "is_cuda", False) for t in tensors)
    needs_grad = any(getattr(t, "requires_grad", False) for t in tensors) and grad_enabled()
    if mode == "auto":
        return "triton" if on_cuda and not needs_grad and triton_available() else "torch"
    if needs_grad:
        raise RuntimeError(
            f"{ENV_VAR}=triton: the Triton {op} kernel is forward-only and an input requires grad; "
            f"run training with {ENV_VAR}=auto (the reference takes the graph) or under torch.no_grad()"
        )
    if not triton_available():
        raise RuntimeError(f"{ENV_VAR}=triton but triton is not installed: pip install 'stretto[neural]'")
    if not on_cuda and not interpreting():
        raise RuntimeError(
            f"{ENV_VAR}=triton on CPU tensors ({op}) needs TRITON_INTERPRET=1: set it, "
            f"or use {ENV_VAR}=auto for the PyTorch reference"
        )
    return "triton"


@contextmanager
def count_launches() -> Iterator[Counter]:
    """Count the Triton kernel launches per op inside the block.

    >>> with count_launches() as launched:
    ...     y = rms_norm(x, w)
    >>> launched["rms_norm"]   # 1 when the Triton kernel ran, 0 when the reference did
    """
    counter: Counter = Counter()
    _open_counters.append(counter)
    try:
        yield counter
    finally:
        _open_counters.remove(counter)


def output_like(out: Any, shape: tuple[int, ...], like: Any, dtype: Any = None) -> Any:
    """The tensor a launcher writes: ``out`` when given (checked: shape, dtype, device,
    contiguity), else a new uninitialised one. Tests pass an ``out`` filled with NaN so that an
    element the kernel forgot to write shows up."""
    import torch

    dtype = like.dtype if dtype is None else dtype
    if out is None:
        return torch.empty(shape, dtype=dtype, device=like.device)
    if (tuple(out.shape) != tuple(shape) or out.dtype != dtype or out.device != like.device
            or not out.is_contiguous()):
        raise ValueError(f"out must be a contiguous {dtype} tensor of shape {tuple(shape)} on {like.device}")
    return out


def rows_of(t: Any) -> Any:
    """``t`` as rows ``[R, C]`` (C its last dimension) with unit column stride and one row stride,
    without a copy when its layout allows (e.g. the halves of ``linear(x).chunk(2, -1)``), else
    as a contiguous copy: kernels then read the rows through that stride."""
    if t.dim() == 0:
        return t.reshape(1, 1)
    if t.numel() == 0:
        return t.reshape(0, t.shape[-1])
    if t.stride(-1) == 1 or t.shape[-1] == 1:
        try:
            return t.view(-1, t.shape[-1])
        except RuntimeError:  # leading dimensions not flattenable into one stride
            pass
    return t.contiguous().view(-1, t.shape[-1])


class LazyKernel:
    """A Triton kernel written as a plain function, jitted at its first launch.

    ``kernel[grid](*args, **meta)`` launches like a ``triton.jit`` function and counts one
    launch of ``op`` in every open :func:`count_launches` block.
    """

    def __init__(self, fn: Callable[..., None], op: str) -> None:
        self.fn = fn
        self.op = op
        self._compiled: dict[bool, Any] = {}  # interpreter on/off -> triton.jit(fn)

    def jitted(self) -> Any:
        """``triton.jit(fn)`` for the current ``TRITON_INTERPRET`` setting (cached)."""
        key = interpreting()
        if key not in self._compiled:
            import triton  # imported already by the kernel module that holds this kernel
            import triton.language.standard as tl_standard

            # triton wraps its own library (tl.sum, tl.cumsum, ...) once, when it is imported, for
            # the interpreter or the compiler; a kernel of the other kind cannot call it.
            lib_interpreted = type(tl_standard.sum).__name__ == "InterpretedFunction"
            if lib_interpreted != key:
                raise RuntimeError(
                    f"TRITON_INTERPRET={'1' if key else 'unset'} now, but triton was imported with it "
                    f"{'set' if lib_interpreted else 'unset'}: set TRITON_INTERPRET before the first "
                    "import of triton (at the start of the process) and leave it"
                )
            self._compiled[key] = triton.jit(self.fn)
        return self._compiled[key]

    def __getitem__(self, grid: Any) -> Callable[..., Any]:
        launch = self.jitted()[grid]

        def counted(*args: Any, **meta: Any) -> Any:
            result = launch(*args, **meta)
            for counter in _open_counters:
                counter[self.op] += 1
            return result

        return counted
