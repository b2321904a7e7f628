"""``stretto train-renderer``: distil a teacher into the neural renderer, resumably.

One run folder holds everything::

    DIR/data.npz           teacher windows (rendered once; a resumed run reads them back)
    DIR/data_card.json     every piece's source, licence, consent and the teacher
    DIR/state.pt           the last checkpoint: weights, optimiser, step, elapsed time, every
                           RNG state and the data position (written atomically)
    DIR/model.safetensors  the weights alone, what ``render --checkpoint`` reads
    DIR/loss.jsonl         one line per logged step (and a validation line per checkpoint)

All three parts learn at once from the teacher: the LeLM predicts the teacher's tokens (k-means
codebook over its pooled log-mel, fitted on the training windows), the flow decoder the
teacher's log-mel (flow matching, condition dropped 10% of the time), the vocoder the teacher's
audio from the teacher's log-mel (multi-resolution STFT loss). The time budget (``minutes``)
counts training time across resumed sittings; ``max_steps`` stops earlier (tests).
``init`` starts from a checkpoint's weights and codebook instead of random ones (fine-tuning; a
checkpoint with fewer feature columns is widened with zero weights for the new ones, see
:func:`stretto.renderer.neural.widen`).
Everything is seeded: the same settings give the same weights, resumed or not.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from stretto.errors import BadInput

SIZES = {
    "small": {},  # the defaults of LeLMConfig / FlowConfig / VocoderConfig (about 3.9M parameters)
    "tiny": {"lelm": {"d_model": 32, "n_layers": 1, "n_heads": 2, "d_ff": 64},
             "flow": {"d_model": 32, "n_layers": 1, "n_heads": 2, "d_ff": 64},
             "vocoder": {"hidden": 32, "layers": 2, "n_harmonics": 16}},
}


VOCODER_FRAMES = 50


@dataclass(frozen=True)
class TrainSettings:
    out: Path
    minutes: float = 30.0
    seed: int = 0
    teacher: str = "synth"
    soundfont: Path | None = None
    corpus: tuple[str, ...] = ("species", "chorales")
    max_pieces: int = 0  # per corpus; 0: all
    size: str = "small"
    batch: int = 8
    lr: float = 3e-4
    checkpoint_minutes: float = 3.0
    log_every: int = 10
    max_steps: int = 0  # 0: only the time budget stops
    vocoder_batch: int = 4  # windows per step that also train the vocoder (audio loss is costly)
    device: str = "cpu"  # cuda: the models and the batch on the GPU (the kernels run as Triton)
    init: Path | None = None  # start from this checkpoint's weights and codebook

    def __post_init__(self):
        if not self.minutes > 0:
            raise BadInput(f"--minutes {self.minutes} must be positive")
        if self.size not in SIZES:
            raise BadInput(f"unknown --size {self.size!r}: use {', '.join(SIZES)}")
        if not 1 <= self.batch <= 256:
            raise BadInput(f"--batch {self.batch} must be 1-256")

    def record(self) -> dict:
        d = asdict(self)
        d["out"], d["soundfont"] = str(self.out), str(self.soundfont) if self.soundfont else None
        d["corpus"] = list(self.corpus)
        d["init"] = str(self.init) if self.init else None
        return d


@dataclass
class TrainResult:
    steps: int
    seconds: float
    last: dict = field(default_factory=dict)
    val: dict = field(default_factory=dict)
    checkpoint: Path | None = None


def kmeans(x, k: int, seed: int, iters: int = 20):
    """Codebook [k, E] of rows x [N, E] (numpy, seeded k-means++-free: random rows, Lloyd)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    cent = x[rng.choice(len(x), size=min(k, len(x)), replace=False)].copy()
    if len(cent) < k:
        cent = np.concatenate([cent, cent[rng.integers(0, len(cent), k - len(cent))]
                               + 0.01 * rng.standard_normal((k - len(cent), x.shape[1]))])
    for _ in range(iters):
        lab = ((x[:, None, :] - cent[None]) ** 2).sum(-1).argmin(1)
        for j in range(k):
            if np.any(lab == j):
                cent[j] = x[lab == j].mean(0)
    return cent.astype(np.float32)


def pooled_codes(mel):
    """Token features of mel [..., T, 64]: 16 bands averaged over each 4-frame token -> [..., S, 16]."""
    from stretto.renderer.features import TOKEN_HOP

    *lead, t, m = mel.shape
    s = t // TOKEN_HOP
    return mel[..., :s * TOKEN_HOP, :].reshape(*lead, s, TOKEN_HOP, 16, m // 16).mean((-3, -1))


def nearest_code(codes, codebook):
    """Nearest codebook row for codes [..., E] -> int64 [...]."""
    import numpy as np

    flat = codes.reshape(-1, codes.shape[-1])
    out = np.empty(len(flat), dtype=np.int64)
    for i in range(0, len(flat), 4096):
        d = ((flat[i:i + 4096, None, :] - codebook[None]) ** 2).sum(-1)
        out[i:i + 4096] = d.argmin(1)
    return out.reshape(codes.shape[:-1])


def atomic_torch_save(obj, path: Path) -> None:
    import torch

    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def prepare(settings: TrainSettings, progress: bool):
    """Teacher windows (built once, then read from DIR/data.npz) and the data card."""
    import numpy as np

    from stretto.renderer.teacher import build_dataset

    path = settings.out / "data.npz"
    if path.is_file():
        with np.load(path) as z:
            data = {k: z[k] for k in z.files}
        card = json.loads((settings.out / "data_card.json").read_text())
        return data, card
    data, pieces, digest = build_dataset(corpus=settings.corpus, limit=settings.max_pieces,
                                         seed=settings.seed, teacher=settings.teacher,
                                         soundfont=settings.soundfont, progress=progress)
    tmp = settings.out / "data.tmp.npz"
    np.savez(tmp, **data)
    os.replace(tmp, path)
    card = {"teacher": settings.teacher,
            "soundfont": str(settings.soundfont) if settings.soundfont else None,
            "windows": int(len(data["val"])), "held_out_windows": int(data["val"].sum()),
            "sha256": digest, "pieces": pieces}
    (settings.out / "data_card.json").write_text(json.dumps(card, indent=1) + "\n")
    return data, card


def train(settings: TrainSettings, *, resume: bool = False, progress: bool = True) -> TrainResult:
    """Train (or resume) in ``settings.out`` until the time budget or ``max_steps``."""
    return _Run(settings, resume=resume, progress=progress).run(progress)


def _saved_state(settings: TrainSettings, resume: bool):
    """(the state file's path, its saved state or None): refuses a resume with nothing to
    resume, a fresh start over a run, or a resume with another seed or size."""
    import torch

    if settings.device != "cpu" and not torch.cuda.is_available():
        raise BadInput(f"--device {settings.device}: no CUDA device here (torch "
                       f"{torch.__version__}); train with --device cpu")
    out = settings.out
    state_path = out / "state.pt"
    if resume and not state_path.is_file():
        raise BadInput(f"nothing to resume in {out}: no state.pt (start without --resume)")
    if not resume and state_path.is_file():
        raise BadInput(f"{out} already holds a run: add --resume to continue it, or give a new "
                       "--out")
    out.mkdir(parents=True, exist_ok=True)
    saved = None
    if resume:
        saved = torch.load(state_path, weights_only=False, map_location=settings.device)
        if saved["settings"]["seed"] != settings.seed or saved["settings"]["size"] != settings.size:
            raise BadInput("--resume with another --seed or --size than the run was started "
                           f"with ({saved['settings']['seed']}, {saved['settings']['size']})")
    return state_path, saved


class _Run:
    """One training run's state: the data and its tokens, the model, the optimiser, the
    generators and the position in the data - everything a checkpoint saves and a resume
    restores, so a resumed run continues exactly where it stopped."""

    def __init__(self, settings: TrainSettings, *, resume: bool, progress: bool) -> None:
        import random

        import numpy as np
        import torch

        from stretto.renderer.neural import NeuralModel

        self.settings = settings
        self.state_path, saved = _saved_state(settings, resume)
        random.seed(settings.seed)
        np.random.seed(settings.seed % 2**32)
        torch.manual_seed(settings.seed)
        self.data, self.card = prepare(settings, progress)
        model = NeuralModel.random(settings.seed, sizes=SIZES[settings.size])
        if settings.init is not None and saved is None:
            start = NeuralModel.from_file(settings.init)
            if start.sizes != model.sizes:
                raise BadInput(f"--init {settings.init} is a {start.sizes or 'small'} model, "
                               f"not --size {settings.size}")
            model = start
        self.model = model
        data = self.data
        self.train_idx = np.flatnonzero(~data["val"])
        self.val_idx = np.flatnonzero(data["val"])[:32]
        if len(self.train_idx) == 0:
            raise BadInput("no training windows: give more --max-pieces")
        self.tokens = self._tokens(saved)
        model.to(settings.device)
        self.params = list(model.parameters())
        self.opt = torch.optim.AdamW(self.params, lr=settings.lr, weight_decay=0.01)
        self.gen = torch.Generator().manual_seed(settings.seed)
        self.order = np.random.default_rng(settings.seed)
        self.perm = self.order.permutation(self.train_idx)
        self.step, self.pos, self.elapsed = 0, 0, 0.0
        if saved is not None:
            self.opt.load_state_dict(saved["optimizer"])
            self.gen.set_state(saved["generator"].cpu())
            self.order.bit_generator.state = saved["order_state"]
            self.perm, self.pos = saved["perm"], saved["pos"]
            self.step, self.elapsed = saved["step"], saved["elapsed"]
        for m in model.modules():
            m.train()
        self.logf = None

    def _tokens(self, saved):
        """The teacher's expression tokens [W, S]: the codebook is the saved run's, the
        starting checkpoint's, or a fresh k-means over the voiced training frames."""
        import torch

        data, model, settings = self.data, self.model, self.settings
        codes = pooled_codes(data["mel"])  # [W, S, 16]
        voiced = pooled_codes(data["feats"][..., :1].repeat(64, -1))[..., 0] > 0.5  # [W, S]
        if saved is not None:
            model.load_state(saved["model"])
        elif settings.init is None:  # a fresh codebook (a starting checkpoint keeps its own)
            train_idx = self.train_idx
            pick = codes[train_idx][voiced[train_idx]]
            pick = pick if len(pick) else codes[train_idx].reshape(-1, 16)
            model.codebook = torch.from_numpy(kmeans(pick[:20000], model.lelm.cfg.vocab,
                                                     settings.seed))
        return nearest_code(codes, model.codebook.numpy())  # [W, S]

    def batch(self, idx):
        import numpy as np
        import torch

        data, device = self.data, self.settings.device

        def t(k, dt=torch.float32):
            return torch.from_numpy(np.ascontiguousarray(data[k][idx])).to(device, dt)

        return t("feats"), t("mel"), t("audio"), t("f0", torch.float64), t("gate", torch.float64), \
            torch.from_numpy(self.tokens[idx]).to(device)

    def losses(self, idx, g):
        """(LeLM, flow, vocoder) losses of the windows ``idx`` with generator ``g``."""
        import torch

        from stretto.renderer.features import TOKEN_HOP
        from stretto.renderer.lelm import pool_tokens
        from stretto.renderer.teacher import TEACHER_SR
        from stretto.renderer.vocoder import multi_stft_loss

        model = self.model
        feats, mel, audio, f0, gate, tok = self.batch(idx)
        l_lm = model.lelm.loss(tok, pool_tokens(feats, TOKEN_HOP)[:, :tok.shape[1]])
        cond = torch.cat([feats, model.code_vectors(tok, feats.shape[1])], dim=-1)
        l_flow = model.flow.loss(mel, cond, generator=g)
        # the vocoder learns on a 0.5 s crop of a few windows: its audio loss is the costly part
        nv, fr = min(self.settings.vocoder_batch, len(idx)), VOCODER_FRAMES
        a = int(torch.randint(0, feats.shape[1] - fr + 1, (1,), generator=g))
        f, sm = slice(a, a + fr), slice(a * TEACHER_SR // 100, (a + fr) * TEACHER_SR // 100)
        y = model.vocoder(mel[:nv, f], feats[:nv, f], f0[:nv, sm], gate[:nv, sm], TEACHER_SR,
                          generator=g)
        l_voc = multi_stft_loss(y, audio[:nv, sm])
        return l_lm, l_flow, l_voc

    def validate(self) -> dict:
        """Validation losses on the held-out windows (a fixed generator), logged."""
        import numpy as np
        import torch

        if not len(self.val_idx):
            return {}
        for m in self.model.modules():
            m.eval()
        with torch.no_grad():
            vg = torch.Generator().manual_seed(12345)
            batch = self.settings.batch
            parts = [self.losses(self.val_idx[i:i + batch], vg)
                     for i in range(0, len(self.val_idx), batch)]
        val = {k: float(np.mean([float(p[j]) for p in parts]))
               for j, k in enumerate(("lelm", "flow", "vocoder"))}
        for m in self.model.modules():
            m.train()
        self.log({"step": self.step, "elapsed_s": round(self.elapsed, 1), "val": val})
        return val

    def checkpoint(self) -> dict:
        """Validate, then save the whole state atomically and the weights as safetensors."""
        settings = self.settings
        val = self.validate()
        atomic_torch_save({"model": self.model.state(), "optimizer": self.opt.state_dict(),
                           "generator": self.gen.get_state(),
                           "order_state": self.order.bit_generator.state,
                           "perm": self.perm, "pos": self.pos, "step": self.step,
                           "elapsed": self.elapsed, "settings": settings.record(), "val": val},
                          self.state_path)
        self.model.save(settings.out / "model.safetensors",
                        {"step": self.step, "elapsed_s": round(self.elapsed, 1),
                         "teacher": settings.teacher, "init": str(settings.init or ""),
                         "data_sha256": self.card["sha256"]})
        return val

    def log(self, rec) -> None:
        self.logf.write(json.dumps(rec) + "\n")
        self.logf.flush()

    def one_step(self) -> dict:
        """One optimiser step on the next batch; the step's record."""
        import numpy as np
        import torch

        settings = self.settings
        t0 = time.perf_counter()
        if self.pos + settings.batch > len(self.perm):
            self.perm, self.pos = self.order.permutation(self.train_idx), 0
        idx = np.sort(self.perm[self.pos:self.pos + settings.batch])
        self.pos += settings.batch
        l_lm, l_flow, l_voc = self.losses(idx, self.gen)
        loss = l_lm + l_flow + l_voc
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.opt.step()
        self.step += 1
        dt = time.perf_counter() - t0
        self.elapsed += dt
        return {"step": self.step, "elapsed_s": round(self.elapsed, 2),
                "loss": round(float(loss), 5), "lelm": round(float(l_lm), 5),
                "flow": round(float(l_flow), 5), "vocoder": round(float(l_voc), 5),
                "step_s": round(dt, 3)}

    def run(self, progress: bool) -> TrainResult:
        """Steps until the time budget (or ``max_steps``), a checkpoint every few minutes and
        at the end; a JSONL loss log and a progress bar."""
        from tqdm import tqdm

        settings = self.settings
        budget = settings.minutes * 60
        last_ckpt = time.perf_counter()
        self.logf = (settings.out / "loss.jsonl").open("a")
        bar = tqdm(total=int(budget), initial=int(min(self.elapsed, budget)), unit="s",
                   desc="train", disable=None if progress else True)
        last, val = {}, {}
        try:
            while self.elapsed < budget and not (settings.max_steps
                                                 and self.step >= settings.max_steps):
                last = self.one_step()
                bar.update(int(self.elapsed) - bar.n if int(self.elapsed) > bar.n else 0)
                if self.step % settings.log_every == 0 or self.step == 1:
                    self.log(last)
                    bar.set_postfix(loss=f"{last['loss']:.3f}")
                if time.perf_counter() - last_ckpt >= settings.checkpoint_minutes * 60:
                    val = self.checkpoint()
                    last_ckpt = time.perf_counter()
            if last and last["step"] % settings.log_every and last["step"] != 1:
                self.log(last)  # the final step is always in the log
            val = self.checkpoint()
        finally:
            bar.close()
            self.logf.close()
        return TrainResult(steps=self.step, seconds=self.elapsed, last=last, val=val,
                           checkpoint=settings.out / "model.safetensors")

__all__ = ["SIZES", "TrainResult", "TrainSettings", "kmeans", "nearest_code", "pooled_codes",
           "train"]
