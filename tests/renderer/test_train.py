"""stretto train-renderer on a tiny budget: the built-in synth as teacher, a tiny model.

A resumed run ends with exactly the weights of an uninterrupted one (weights, optimiser, RNG and
data position all restored); the loss log, data card and checkpoint are written; bad starts exit 2.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from render_pieces import duet, project

torch = pytest.importorskip("torch")

from stretto.cli import main  # noqa: E402

BASE = ["train-renderer", "--teacher", "synth", "--corpus", "species", "--max-pieces", "1",
        "--size", "tiny", "--batch", "4", "--checkpoint-minutes", "100", "--minutes", "5",
        "--seed", "7"]


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """An uninterrupted 4-step run."""
    out = tmp_path_factory.mktemp("train") / "a"
    before = torch.get_num_threads()
    assert main([*BASE, "--out", str(out), "--max-steps", "4", "--json"]) == 0
    torch.set_num_threads(before)
    return out


def _weights(path):
    from safetensors.torch import load_file

    return load_file(str(path))


def test_run_writes_checkpoint_log_and_data_card(straight):
    assert (straight / "state.pt").is_file() and (straight / "model.safetensors").is_file()
    lines = [json.loads(x) for x in (straight / "loss.jsonl").read_text().splitlines()]
    steps = [x["step"] for x in lines if "loss" in x]
    assert steps[0] == 1 and steps[-1] <= 4 and all(np.isfinite(x["loss"]) for x in lines
                                                    if "loss" in x)
    card = json.loads((straight / "data_card.json").read_text())
    assert card["teacher"] == "synth" and card["windows"] > 0
    (piece_id, entry), = card["pieces"].items()
    assert piece_id.startswith("species:fux-") and "public domain" in entry["licence"]
    assert entry["consent"]


def test_resume_gives_the_same_weights_as_one_run(straight, tmp_path):
    out = tmp_path / "b"
    out.mkdir()
    for name in ("data.npz", "data_card.json"):  # the same teacher data, not rendered again
        shutil.copy(straight / name, out / name)
    assert main([*BASE, "--out", str(out), "--max-steps", "2"]) == 0
    half = _weights(out / "model.safetensors")
    assert main([*BASE, "--out", str(out), "--max-steps", "4", "--resume"]) == 0
    a, b = _weights(straight / "model.safetensors"), _weights(out / "model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], half[k]) for k in a)  # the resumed steps did train
    steps = [json.loads(x)["step"] for x in (out / "loss.jsonl").read_text().splitlines()]
    assert steps[0] == 1 and max(steps) == 4


def test_bad_starts_exit_2(straight, tmp_path, capsys):
    assert main([*BASE, "--out", str(tmp_path / "none"), "--resume"]) == 2
    assert "nothing to resume" in capsys.readouterr().err
    assert main([*BASE, "--out", str(straight)]) == 2
    assert "add --resume" in capsys.readouterr().err
    assert main([*BASE, "--out", str(tmp_path / "x"), "--minutes", "0"]) == 2
    assert main([*BASE, "--out", str(tmp_path / "y"), "--corpus", "madrigals"]) == 2
    assert "madrigals" in capsys.readouterr().err


def test_trained_checkpoint_renders_the_written_notes(straight, tmp_path, capsys):
    folder = project(duet(), tmp_path / "p")
    assert main(["render", str(folder), "--engine", "neural", "--checkpoint",
                 str(straight / "model.safetensors"), "--sample-rate", "16000", "--verify",
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["fidelity_ok"]
    assert summary["engine"]["checkpoint"].endswith("model.safetensors")


def test_init_starts_from_a_checkpoint_and_keeps_its_codebook(straight, tmp_path):
    """--init: fine-tuning starts from the given weights (one step moves them a little) and
    keeps the starting checkpoint's codebook, so its tokens keep their meaning."""
    out = tmp_path / "c"
    out.mkdir()
    for name in ("data.npz", "data_card.json"):
        shutil.copy(straight / name, out / name)
    start = _weights(straight / "model.safetensors")
    assert main([*BASE, "--out", str(out), "--max-steps", "1", "--init",
                 str(straight / "model.safetensors")]) == 0
    tuned = _weights(out / "model.safetensors")
    assert torch.equal(tuned["codebook"], start["codebook"])
    w0, w1 = start["flow.out.weight"], tuned["flow.out.weight"]
    assert not torch.equal(w0, w1) and float((w1 - w0).abs().max()) < 0.01
