"""Two writers on one project at the same moment: both edits survive (the second runs after
the first, on its result), or one is refused with exit 2; never both exit 0 with one lost."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stretto.cli import main
from stretto.io.project import load_project, undo_depth


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")


def _project(out: Path) -> Path:
    assert main(["species", "--cantus-name", "fux-dorian", "--species", "1",
                 "--cantus-voice", "bottom", "--time-limit", "3", "--out", str(out)]) == 0
    return out


def _stretto(*argv: str) -> subprocess.Popen:
    env = dict(os.environ, STRETTO_LOCK_WAIT="120")
    return subprocess.Popen([sys.executable, "-m", "stretto.cli", *argv], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _pitch(project_dir: Path, voice: int, bar: int) -> str:
    project, _ = load_project(project_dir)
    notes = project.piece.voices[voice].notes
    return notes[bar - 1].pitch.name  # first species: one note per bar


def test_two_pins_at_once_both_survive(tmp_path: Path) -> None:
    out = _project(tmp_path / "p")
    bars = (3, 6)
    pitches = [_pitch(out, 0, b) for b in bars]
    runs = [_stretto("pin", str(out), "--voice", "1", "--bar", str(b), "--pitch", p,
                     "--time-limit", "2") for b, p in zip(bars, pitches)]
    codes = [r.wait(timeout=300) for r in runs]
    assert codes == [0, 0], [r.stderr.read() for r in runs]
    project, _ = load_project(out)
    pinned = sorted(c.bar for c in project.constraints if c.kind == "pin")
    assert pinned == list(bars)  # neither edit lost
    assert undo_depth(out) == (2, 0)  # two undo steps, one per edit


def test_pin_beside_undo_keeps_both_effects(tmp_path: Path) -> None:
    out = _project(tmp_path / "p")
    first = _pitch(out, 0, 4)
    assert main(["pin", str(out), "--voice", "1", "--bar", "4", "--pitch", first]) == 0
    runs = [_stretto("undo", str(out)),
            _stretto("pin", str(out), "--voice", "1", "--bar", "7", "--pitch",
                     _pitch(out, 0, 7), "--time-limit", "2")]
    assert [r.wait(timeout=300) for r in runs] == [0, 0]
    project, _ = load_project(out)
    bars = sorted(c.bar for c in project.constraints if c.kind == "pin")
    # undo and pin ran one after the other, in either order: undo first leaves the new pin
    # alone on bar 7 (redo cleared by the edit); pin first is then undone, back to bar 4 with
    # the bar-7 pin as the one redo step. Both pins at once would mean the undo was lost.
    assert bars in ([7], [4])
    assert undo_depth(out) == ((1, 0) if bars == [7] else (1, 1))


def test_a_held_lock_refuses_a_second_writer_in_one_line(tmp_path: Path, capsys,
                                                         monkeypatch) -> None:
    out = _project(tmp_path / "p")
    before = (out / "score.json").read_bytes()
    monkeypatch.setenv("STRETTO_LOCK_WAIT", "0.2")
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        code = main(["pin", str(out), "--voice", "1", "--bar", "3", "--pitch",
                     _pitch(out, 0, 3)])
    finally:
        os.close(fd)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "another stretto command" in err
    assert (out / "score.json").read_bytes() == before  # nothing written


KILLED_WRITER = r"""
import fcntl, os, sys, time
from stretto.io.project import load_project, save_project
folder = sys.argv[1]
fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(fd, fcntl.LOCK_EX)  # a writer holds the lock for its solve ...
print("locked", flush=True)
time.sleep(1.0)  # ... while the reader starts waiting for it ...
project, text = load_project(folder)
os.environ["STRETTO_FAULT"] = "applied-3"  # ... and is killed with score.json moved in
save_project(project, folder, previous_text=text)
"""


def test_a_reader_waiting_beside_a_killed_writer_reads_a_whole_version(
        tmp_path: Path, capsys) -> None:
    from stretto.io.journal import journals

    out = _project(tmp_path / "p")
    capsys.readouterr()
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(out)],
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "locked"
    # no journal yet when history asks for its shared lock; one is left when it gets it
    assert main(["history", str(out)]) == 0
    assert writer.wait(timeout=60) == -9
    # the killed save was committed: history finished it first and read the new version,
    # its undo step included (it read score.json new and no undo step before)
    assert capsys.readouterr().out.strip().splitlines()[-1] == "1 undo, 0 redo steps"
    assert journals(out) == []
