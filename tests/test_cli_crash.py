"""A save that a crash cannot split: ``STRETTO_FAULT`` kills ``pin``, ``regenerate`` and
``undo`` with SIGKILL at every step of their save, and the next command finds one whole
version (the old one before the commit, the new one after it) with an undo history that
steps back exactly one version, and no journal left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from stretto.cli import main
from stretto.io.journal import journals
from stretto.io.project import load_project, project_problems, undo_depth

pytestmark = pytest.mark.slow  # a kill at every step of the save, each in a child process

# pin and regenerate put 4 files (score.mid, score.musicxml, score.json, the undo step) and
# remove the redo step; undo puts 4 and removes the undo step it used
STEPS = ["staged", "committed", "applied-1", "applied-2", "applied-3", "applied-4", "removed"]


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A project with one undo and one redo step: pin bar 4, pin bar 5, undo."""
    out = tmp_path_factory.mktemp("crash") / "base"
    assert main(["species", "--cantus-name", "fux-dorian", "--species", "1", "--cantus-voice",
                 "bottom", "--time-limit", "3", "--workers", "1", "--out", str(out)]) == 0
    project, _ = load_project(out)
    for bar in (4, 5):
        pitch = project.piece.voices[0].notes[bar - 1].pitch.name
        assert main(["pin", str(out), "--voice", "1", "--bar", str(bar), "--pitch", pitch]) == 0
    assert main(["undo", str(out)]) == 0
    assert undo_depth(out) == (1, 1)
    return out


def _copy(base: Path, dest: Path) -> Path:
    subprocess.run(["cp", "-a", str(base), str(dest)], check=True)
    return dest


def _command(kind: str, folder: Path) -> list[str]:
    project, _ = load_project(folder)
    return {"pin": ["pin", str(folder), "--voice", "1", "--bar", "7", "--pitch",
                    project.piece.voices[0].notes[6].pitch.name],
            "regenerate": ["regenerate", str(folder), "--voice", "1", "--bars", "2-3"],
            "undo": ["undo", str(folder)]}[kind]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("kind", ["pin", "regenerate", "undo"])
def test_a_kill_at_any_step_leaves_one_whole_version(base, tmp_path, kind, step):
    folder = _copy(base, tmp_path / "p")
    before, (undo, redo) = _files(folder), undo_depth(folder)
    old_json = (folder / "score.json").read_bytes()
    env = dict(os.environ, STRETTO_FAULT=step)
    run = subprocess.run([sys.executable, "-m", "stretto.cli", *_command(kind, folder)],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == -signal.SIGKILL, run.stderr
    # the next command (a reader) finishes or undoes the interrupted save first
    assert main(["history", str(folder)]) == 0
    assert journals(folder) == []
    assert project_problems(folder) == []
    if step == "staged":  # killed before the commit: the old version, byte for byte
        assert _files(folder) == before
        return
    assert (folder / "score.json").read_bytes() != old_json
    if kind == "undo":  # one step back: the old score.json is now the one redo step on top
        assert undo_depth(folder) == (undo - 1, redo + 1)
        newest = sorted((folder / ".stretto" / "redo").glob("*.json"))[-1]
    else:  # one edit forward: the old score.json is the newest undo step, redo is gone
        assert undo_depth(folder) == (undo + 1, 0)
        newest = sorted((folder / ".stretto" / "undo").glob("*.json"))[-1]
    assert newest.read_bytes() == old_json


def test_a_full_disk_is_one_line_and_changes_nothing(base, tmp_path, monkeypatch, capsys):
    import stretto.io.midi

    folder = _copy(base, tmp_path / "p")
    before = _files(folder)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(stretto.io.midi, "write_midi", full_disk)
    assert main(_command("pin", folder)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err
    assert _files(folder) == before
