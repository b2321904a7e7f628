"""stretto.renderer.neural with random untrained weights: the notes survive by construction.

Pitch (pyin note accuracy), onsets, silent rests and an untouched score; takes and seeds; the
segment cache (edit locality, byte-identical unchanged stems); the CLI's --engine neural.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from fractions import Fraction as F

import numpy as np
import pytest
import soundfile as sf
from render_pieces import chorale, duet, project

torch = pytest.importorskip("torch")

from stretto.cli import main  # noqa: E402
from stretto.renderer.features import RELEASE_S  # noqa: E402
from stretto.renderer.neural import NeuralEngine  # noqa: E402
from stretto.renderer.render import lines_of, render_piece  # noqa: E402
from stretto.renderer.verify import verify_render  # noqa: E402

SR = 16_000


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def species4(tmp_path_factory):
    """A 4-voice first-species score solved by stretto (fux-dorian cantus in the bass)."""
    folder = tmp_path_factory.mktemp("species") / "p"
    assert main(["species", "--voices", "4", "--cantus-name", "fux-dorian", "--seed", "1",
                 "--time-limit", "10", "--out", str(folder)]) == 0
    return folder


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _first_sound(stem, start, sr, threshold=1e-3):
    """First sample at or after ``start`` whose magnitude exceeds ``threshold``."""
    hits = np.flatnonzero(np.abs(stem[start:start + sr]) > threshold)
    return start + int(hits[0]) if len(hits) else None


@pytest.mark.slow  # seconds each: make test runs it, make test-fast leaves it out
@pytest.mark.parametrize("which", ["species4", "chorale"])
def test_random_weights_keep_pitch_onsets_and_rests(which, species4, tmp_path, capsys):
    if which == "species4":
        folder, tempo = species4, "480"  # 11 whole notes in 5.5 s
    else:
        folder, tempo = project(chorale(8), tmp_path / "c"), "90"
    before = _sha(folder / "score.json")
    assert main(["render", str(folder), "--engine", "neural", "--checkpoint", "random",
                 "--sample-rate", str(SR), "--tempo", tempo, "--verify", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert _sha(folder / "score.json") == before  # the score is never touched
    assert summary["fidelity_ok"] and len(summary["fidelity"]) == 4
    for r in summary["fidelity"]:
        assert r["note_accuracy"] >= 0.99 and r["octave_errors"] == 0, r
        assert r["onset_error_ms"] <= 20, r  # pyin's median, on a 10 ms grid
    from stretto.io import read_score

    piece = read_score(folder / "score.json")
    lines = lines_of(piece, F(tempo), SR, ["choir"] * 4)
    stems = sorted((folder / "stems").iterdir())
    for line, path in zip(lines, stems):
        stem, sr = sf.read(path)
        prev_end = None
        for s, e, _ in line.notes:
            if prev_end is None or s > prev_end:  # a note after silence: energy onset
                heard = _first_sound(stem, max(0, s - sr // 10), sr)
                assert heard is not None and abs(heard - s) <= 0.020 * sr, (line.name, s, heard)
            prev_end = e
        # after the last release nothing sounds: below -60 dBFS
        tail = stem[line.notes[-1][1] + int((RELEASE_S + 0.005) * sr):]
        assert np.max(np.abs(tail), initial=0.0) < 1e-3


def test_rests_are_silent_and_nothing_before_an_onset():
    piece = duet()  # the lower voice rests for a half note, then sings
    engine = NeuralEngine.load("random")
    render = render_piece(piece, sr=SR, engine=engine, progress=False)
    lower = render.stems[1]
    onset = round(2 * 60 / 160 * SR)
    assert np.all(lower[:onset] == 0.0)
    assert np.max(np.abs(lower[onset + 400:onset + 1200])) > 0.05


@pytest.mark.slow  # seconds each: make test runs it, make test-fast leaves it out
def test_same_seed_same_take_is_identical_and_another_take_differs():
    piece = duet()
    a = render_piece(piece, sr=SR, engine=NeuralEngine.load("random", seed=3), progress=False)
    b = render_piece(piece, sr=SR, engine=NeuralEngine.load("random", seed=3), progress=False)
    c = render_piece(piece, sr=SR, engine=NeuralEngine.load("random", seed=3, take=1),
                     progress=False)
    assert all(np.array_equal(x, y) for x, y in zip(a.stems, b.stems))
    assert not np.array_equal(a.stems[0], c.stems[0])
    for r in verify_render(c, progress=False):  # another take: the same notes
        assert r.note_accuracy >= 0.99, r


def test_an_edit_rerenders_only_the_changed_phrase(tmp_path):
    """Pin one note of the upper voice: the lower voice's stem is byte-identical, the upper
    differs only within the edited phrase, and only that phrase was rendered again."""
    piece = duet()
    cache = tmp_path / "cache"
    first = NeuralEngine.load("random", cache_dir=cache)
    a = render_piece(piece, sr=SR, engine=first, progress=False)
    upper = piece.voices[0]
    edited = replace(upper, notes=tuple(replace(n, pitch=piece.voices[0].notes[1].pitch)
                                        if i == 4 else n for i, n in enumerate(upper.notes)))
    piece2 = replace(piece, voices=(edited, piece.voices[1]))
    second = NeuralEngine.load("random", cache_dir=cache)  # a new process: the disk cache
    b = render_piece(piece2, sr=SR, engine=second, progress=False)
    assert np.array_equal(a.stems[1], b.stems[1])
    assert second.stats["rendered"] == 1 and second.stats["reused"] == second.stats["phrases"] - 1
    diff = np.flatnonzero(a.stems[0] != b.stems[0])
    line = lines_of(piece2, piece2.tempo, SR, ["choir", "organ"])[0]
    from stretto.renderer.features import phrases_of

    changed = [p for p in phrases_of(line, SR) if p.first <= 4 <= p.last][0]
    assert diff.min() >= changed.start and diff.max() < changed.start + changed.span(SR)


def test_cli_rejects_neural_options_elsewhere(tmp_path, capsys):
    folder = project(duet(), tmp_path / "p")
    assert main(["render", str(folder), "--take", "2"]) == 2
    assert "work with --engine neural only" in capsys.readouterr().err
    assert main(["render", str(folder), "--engine", "neural", "--checkpoint",
                 str(tmp_path / "nope.safetensors")]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    assert not (folder / "stems").exists()


def test_disk_cache_is_pruned_but_keeps_what_the_render_used(tmp_path, monkeypatch):
    import stretto.renderer.neural as neural

    cache = tmp_path / "cache"
    old = cache / ("0" * 64 + ".npy")
    cache.mkdir()
    np.save(old, np.zeros(1000, dtype=np.float32))
    monkeypatch.setattr(neural, "CACHE_MB", 0)
    engine = NeuralEngine.load("random", cache_dir=cache)
    render_piece(duet(), sr=8000, engine=engine, progress=False)
    assert not old.exists()
    assert {p.stem for p in cache.glob("*.npy")} == set(engine.memory)


def test_shipped_checkpoint_matches_its_card_and_keeps_the_notes():
    from stretto.renderer.neural import WEIGHTS

    if not WEIGHTS.is_file():
        pytest.skip("no shipped checkpoint in this checkout")
    card = (WEIGHTS.parent / "MODEL_CARD.md").read_text()
    assert hashlib.sha256(WEIGHTS.read_bytes()).hexdigest() in card
    assert WEIGHTS.stat().st_size <= 30 * 2**20
    engine = NeuralEngine.load(None)
    assert engine.checkpoint == "shipped"
    render = render_piece(chorale(8), sr=SR, engine=engine, progress=False)
    for r in verify_render(render, progress=False):
        assert r.note_accuracy >= 0.99 and r.onset_error_ms <= 20, r
