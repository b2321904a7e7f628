"""The neural renderer: score features -> LeLM tokens -> flow-matching mel -> F0-driven vocoder.

:class:`NeuralModel` holds the four parts (codebook, :class:`~stretto.renderer.lelm.LeLM`,
:class:`~stretto.renderer.flow.FlowDecoder`, :class:`~stretto.renderer.vocoder.Vocoder`) and
renders one phrase; :class:`NeuralEngine` is the renderer interface
(:mod:`stretto.renderer.engine`) over it, with the **segment cache**: each phrase of a voice is
keyed by its content (its notes relative to the phrase, where it sits in the piece, instrument,
model hash, seed, take and sampling settings). A phrase whose key was rendered before is read
back, so after an edit only the changed phrases are rendered again; the phrases are summed into
the stem (a phrase's release overlaps the next phrase's attack: that overlap is the crossfade),
and a voice whose phrases are all unchanged gets exactly the same samples.

Each phrase's random numbers come from a generator seeded by its own key, so a phrase renders to
the same samples whatever else is in the piece or the order of rendering. ``take`` changes the
seed: the same seed and take give the same take, another take another performance.

Weights: ``load(None)`` takes the shipped checkpoint (``renderer/weights/neural.safetensors``),
``load("random")`` untrained random weights (seeded; what the property tests use).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from stretto.errors import BadInput
from stretto.renderer.engine import Line, PitchTrackedEngine
from stretto.renderer.features import (FRAME_RATE, N_FEATURES, NEURAL_INSTRUMENTS, TOKEN_HOP,
                                       Phrase, phrase_features, phrases_of, sample_f0,
                                       sample_gate)

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import torch

WEIGHTS = Path(__file__).parent / "weights" / "neural.safetensors"
CODE_DIM = 16  # codebook vectors: normalised log-mel pooled into 16 bands over a token's frames
MEL_SR = 24_000
MEL_FFT = 1024
MEL_HOP = MEL_SR // FRAME_RATE
CACHE_VERSION = 3  # bump when the rendering of a phrase changes
CACHE_MB = 512  # disk cache per project
MAX_NOTE_S = 40.0  # a phrase is cut between notes, so one note must fit the models' context


@dataclass(frozen=True)
class Sampling:
    """How a take is drawn: LeLM temperature, flow Euler steps and guidance."""

    temperature: float = 0.8
    steps: int = 6
    guidance: float = 2.0


class NeuralModel:
    """The renderer's four parts and the phrase renderer. Build with :meth:`random` or
    :meth:`from_file`."""

    def __init__(self, state: dict | None = None, *, seed: int = 0,
                 sizes: dict | None = None):
        import torch

        from stretto.renderer.flow import FlowConfig, FlowDecoder
        from stretto.renderer.lelm import LeLM, LeLMConfig
        from stretto.renderer.vocoder import Vocoder, VocoderConfig

        self.sizes = dict(sizes or {})
        torch.manual_seed(seed)  # random init is reproducible
        self.lelm = LeLM(LeLMConfig(n_features=N_FEATURES, **self.sizes.get("lelm", {})))
        self.flow = FlowDecoder(FlowConfig(n_cond=N_FEATURES + CODE_DIM,
                                           **self.sizes.get("flow", {})))
        self.vocoder = Vocoder(VocoderConfig(n_in=self.flow.cfg.n_mels + N_FEATURES,
                                             **self.sizes.get("vocoder", {})))
        g = torch.Generator().manual_seed(seed)
        self.codebook = torch.randn((self.lelm.cfg.vocab, CODE_DIM), generator=g)  # [V, E]
        self.device = torch.device("cpu")
        if state is not None:
            self.load_state(state)
        for m in self.modules():
            m.eval()

    def to(self, device: str) -> "NeuralModel":
        """Move the model to ``device`` (``cuda`` runs the Triton kernels; random numbers are
        still drawn on the CPU, so a seed and take give the same performance everywhere)."""
        import torch

        try:
            self.device = torch.device(device)
            for m in self.modules():
                m.to(self.device)
            self.codebook = self.codebook.to(self.device)
        except (RuntimeError, AssertionError) as exc:
            raise BadInput(f"cannot use device {device!r}: {str(exc).splitlines()[0]}") from None
        return self

    # -- weights ------------------------------------------------------------------------------

    def modules(self):
        return (self.lelm, self.flow, self.vocoder)

    def state(self) -> dict[str, "torch.Tensor"]:
        out = {"codebook": self.codebook.cpu().contiguous()}
        for prefix, m in zip(("lelm", "flow", "vocoder"), self.modules()):
            out.update({f"{prefix}.{k}": v.detach().cpu().contiguous()
                        for k, v in m.state_dict().items()})
        return out

    def load_state(self, state: dict) -> None:
        state = widen(state)
        self.codebook = state["codebook"].float().clone().to(self.device)
        for prefix, m in zip(("lelm", "flow", "vocoder"), self.modules()):
            sub = {k[len(prefix) + 1:]: v for k, v in state.items() if k.startswith(prefix + ".")}
            m.load_state_dict(sub)

    def parameters(self):
        for m in self.modules():
            yield from m.parameters()

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def digest(self) -> str:
        """sha256 of every weight (names and bytes): the model hash in the cache key."""
        h = hashlib.sha256(json.dumps(self.sizes, sort_keys=True).encode())
        for k, v in sorted(self.state().items()):
            h.update(k.encode())
            h.update(v.float().numpy().tobytes())
        return h.hexdigest()

    @classmethod
    def random(cls, seed: int = 0, sizes: dict | None = None) -> "NeuralModel":
        return cls(None, seed=seed, sizes=sizes)

    @classmethod
    def from_file(cls, path: str | Path) -> "NeuralModel":
        from safetensors import safe_open
        from safetensors.torch import load_file

        path = Path(path)
        if not path.is_file():
            raise BadInput(f"no checkpoint {path}: train one with 'stretto train-renderer' or "
                           "use --checkpoint random")
        try:
            with safe_open(str(path), framework="pt") as fh:
                meta = fh.metadata() or {}
            state = load_file(str(path))
            return cls(state, sizes=json.loads(meta.get("sizes", "{}")))
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise BadInput(f"cannot read checkpoint {path}: {str(exc).splitlines()[0]}") from None

    def save(self, path: str | Path, metadata: dict | None = None) -> None:
        """Write the weights as safetensors (atomically), sizes and ``metadata`` in its header."""
        import os

        from safetensors.torch import save_file

        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        meta = {"sizes": json.dumps(self.sizes, sort_keys=True),
                **{k: str(v) for k, v in (metadata or {}).items()}}
        save_file(self.state(), str(tmp), metadata=meta)
        os.replace(tmp, path)

    # -- conditioning -------------------------------------------------------------------------

    def code_vectors(self, tokens: "torch.Tensor", n_frames: int) -> "torch.Tensor":
        """Codebook vectors of tokens [B, S] repeated to frames -> [B, n_frames, E]."""
        vec = self.codebook[tokens]  # [B, S, E]
        return vec.repeat_interleave(TOKEN_HOP, dim=1)[:, :n_frames]

    # -- rendering ----------------------------------------------------------------------------

    def render_phrase(self, line: Line, phrase: Phrase, sr: int, *, seed: int,
                      sampling: Sampling) -> "np.ndarray":
        """One phrase's audio (float32, ``phrase.span(sr)`` samples from ``phrase.start``)."""
        import torch

        from stretto.renderer.lelm import pool_tokens

        g = torch.Generator().manual_seed(seed)  # on the CPU: the same take on every device
        dev = self.device
        with torch.no_grad():
            feats = torch.from_numpy(phrase_features(line, phrase, sr))[None].to(dev)  # [1, T, F]
            n_frames = feats.shape[1]
            tokens = self.lelm.generate(pool_tokens(feats, TOKEN_HOP), generator=g,
                                        temperature=sampling.temperature)  # [1, S]
            cond = torch.cat([feats, self.code_vectors(tokens, n_frames)], dim=-1)
            mel = self.flow.sample(cond, generator=g, steps=sampling.steps,
                                   guidance=sampling.guidance)  # [1, T, M]
            f0 = torch.from_numpy(sample_f0(line, phrase, sr))[None].to(dev)  # [1, N]
            gate = torch.from_numpy(sample_gate(line, phrase, sr))[None].to(dev)  # [1, N]
            audio = self.vocoder(mel, feats, f0, gate, sr, generator=g,
                                 start_s=phrase.start / sr)  # [1, N]
        return audio[0].cpu().numpy()


def widen(state: dict) -> dict:
    """A checkpoint made with fewer feature columns (checkpoint 1 had no phone columns) in
    today's layout: the new columns' input weights are zero, so it renders exactly as before
    and training can start from it."""
    import torch

    n_old = state["lelm.cond.weight"].shape[1]
    extra = N_FEATURES - n_old
    if extra == 0:
        return state
    if extra < 0:
        raise ValueError(f"the checkpoint has {n_old} feature columns, more than the "
                         f"{N_FEATURES} this stretto knows: update stretto")
    out = dict(state)

    def insert(w: "torch.Tensor", at: int, dim: int) -> "torch.Tensor":
        shape = list(w.shape)
        shape[dim] = extra
        return torch.cat([w.narrow(dim, 0, at), w.new_zeros(shape),
                          w.narrow(dim, at, w.shape[dim] - at)], dim=dim)

    out["lelm.cond.weight"] = insert(state["lelm.cond.weight"], n_old, 1)  # [C, F]
    out["flow.cond.weight"] = insert(state["flow.cond.weight"], n_old, 1)  # [C, F + E]
    w = state["vocoder.convs.0.weight"]  # [hidden, M + F, k]
    out["vocoder.convs.0.weight"] = insert(w, w.shape[1], 1)
    return out


def log_mel(audio: "torch.Tensor", sr: int = MEL_SR) -> "torch.Tensor":
    """Normalised log-mel [B, T, N_MELS] of audio [B, N] at ``sr`` (resampled to 24 kHz first),
    frame i centred at i / FRAME_RATE s."""
    import librosa
    import torch

    from stretto.renderer.flow import MEL_MEAN, MEL_STD, N_MELS

    if sr != MEL_SR:
        import math

        from scipy.signal import resample_poly

        g = math.gcd(sr, MEL_SR)
        audio = torch.from_numpy(resample_poly(audio.double().numpy(), MEL_SR // g, sr // g,
                                               axis=-1))
    fb = torch.from_numpy(librosa.filters.mel(sr=MEL_SR, n_fft=MEL_FFT, n_mels=N_MELS, fmin=30,
                                              fmax=11_000)).float()  # [M, bins]
    spec = torch.stft(audio.float(), MEL_FFT, MEL_HOP, window=torch.hann_window(MEL_FFT),
                      return_complex=True).abs() ** 2  # [B, bins, T]
    mel = torch.log(fb @ spec + 1e-5)  # [B, M, T]
    return ((mel - MEL_MEAN) / MEL_STD).transpose(1, 2)


@dataclass
class NeuralEngine(PitchTrackedEngine):
    """The neural renderer behind the renderer interface, with the phrase segment cache
    (in memory, and in ``cache_dir`` when given)."""

    model: NeuralModel
    seed: int = 0
    take: int = 0
    sampling: Sampling = field(default_factory=Sampling)
    cache_dir: Path | None = None
    checkpoint: str = "random"
    name: str = field(default="neural", init=False)
    stats: dict = field(default_factory=lambda: {"phrases": 0, "rendered": 0, "reused": 0,
                                                 "render_seconds": 0.0})

    def __post_init__(self):
        self.model_hash = self.model.digest()
        self.memory: dict[str, "np.ndarray"] = {}

    @classmethod
    def load(cls, checkpoint: str | Path | None = None, *, seed: int = 0, take: int = 0,
             cache_dir: str | Path | None = None, sampling: Sampling | None = None,
             device: str = "cpu") -> "NeuralEngine":
        if take < 0:
            raise BadInput(f"--take {take} must be 0 or more")
        if checkpoint is None or str(checkpoint) == "shipped":
            if not WEIGHTS.is_file():
                raise BadInput(f"the shipped checkpoint {WEIGHTS} is missing: reinstall "
                               "stretto, or use --checkpoint random or a trained file")
            model, label = NeuralModel.from_file(WEIGHTS), "shipped"
        elif str(checkpoint) == "random":
            model, label = NeuralModel.random(seed), "random"
        else:
            model, label = NeuralModel.from_file(checkpoint), str(checkpoint)
        model.to(device)
        return cls(model, seed=seed, take=take, sampling=sampling or Sampling(),
                   cache_dir=Path(cache_dir) if cache_dir else None, checkpoint=label)

    def instruments(self) -> tuple[str, ...]:
        return NEURAL_INSTRUMENTS

    def phrase_key(self, line: Line, phrase: Phrase, sr: int) -> str:
        """Content key of one phrase: everything its samples depend on, nothing else."""
        from stretto.renderer.features import SUNG
        from stretto.renderer.lyrics import sung_phones

        notes = [(s - phrase.start, e - phrase.start, m, line.lyric(k))
                 for k, (s, e, m) in enumerate(line.notes) if phrase.first <= k <= phrase.last]
        # what a sung phrase says: its phones (they depend on the words around it and on the
        # grapheme-to-phoneme step installed, not only on the phrase's own lyrics)
        phones = [(s - phrase.start, e - phrase.start, p) for s, e, p in sung_phones(line, sr)
                  if phrase.start <= s < phrase.end] if line.instrument in SUNG else None
        blob = json.dumps({"v": CACHE_VERSION, "notes": notes, "start": phrase.start,
                           "phones": phones,
                           "piece": line.piece_samples, "inst": line.instrument, "sr": sr,
                           "model": self.model_hash, "seed": self.seed, "take": self.take,
                           "device": self.model.device.type,
                           "sampling": asdict(self.sampling)}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def cached(self, key: str) -> "np.ndarray | None":
        import os

        import numpy as np

        if key in self.memory:
            return self.memory[key]
        if self.cache_dir is not None:
            path = self.cache_dir / f"{key}.npy"
            try:
                audio = np.load(path, allow_pickle=False)
                os.utime(path)  # recently used: pruned last
            except (OSError, ValueError):
                return None
            self.memory[key] = audio
            return audio
        return None

    def store(self, key: str, audio: "np.ndarray") -> None:
        import os

        import numpy as np

        self.memory[key] = audio
        if self.cache_dir is not None:
            try:
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                tmp = self.cache_dir / f".{key}.{os.getpid()}.tmp.npy"
                np.save(tmp, audio, allow_pickle=False)
                os.replace(tmp, self.cache_dir / f"{key}.npy")
                self.prune()
            except OSError:
                pass  # a cache that cannot be written only costs time

    def prune(self) -> None:
        """Keep the disk cache under ``CACHE_MB``: drop the least recently written phrases that
        this engine has not used."""
        files = sorted(self.cache_dir.glob("*.npy"), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        for p in files:
            if total <= CACHE_MB * 2**20:
                break
            if p.stem not in self.memory:
                total -= p.stat().st_size
                p.unlink(missing_ok=True)

    def render_voice(self, line: Line, *, n_samples: int, sr: int,
                     on_note: Callable[[], None] | None = None) -> "np.ndarray":
        import time

        import numpy as np

        out = np.zeros(n_samples)
        for phrase in phrases_of(line, sr):
            if phrase.span(sr) / sr > MAX_NOTE_S:
                raise BadInput(f"{line.name} holds one note for {phrase.span(sr) / sr:.0f} s: the "
                               f"neural engine renders notes up to {MAX_NOTE_S:.0f} s; use "
                               "--engine synth or a faster --tempo")
            key = self.phrase_key(line, phrase, sr)
            audio = self.cached(key)
            self.stats["phrases"] += 1
            if audio is None:
                t0 = time.perf_counter()
                audio = self.model.render_phrase(
                    line, phrase, sr, seed=int(key[:15], 16), sampling=self.sampling)
                self.stats["render_seconds"] += time.perf_counter() - t0
                self.stats["rendered"] += 1
                self.store(key, audio)
            else:
                self.stats["reused"] += 1
            stop = min(n_samples, phrase.start + len(audio))
            out[phrase.start:stop] += audio[:stop - phrase.start]
            if on_note is not None:
                for _ in range(phrase.last - phrase.first + 1):
                    on_note()
        return out

    def describe(self) -> dict:
        return {"engine": self.name, "checkpoint": self.checkpoint, "model_sha256": self.model_hash,
                "seed": self.seed, "take": self.take, "device": str(self.model.device),
                **asdict(self.sampling),
                "phrases": dict(self.stats)}


__all__ = ["NeuralEngine", "NeuralModel", "Sampling", "WEIGHTS", "log_mel", "widen"]
