"""Write a set of files into a folder so that a crash cannot split them: a write-ahead journal.

A save puts new files (and removes old ones) in three steps:

1. **Stage.** ``stage(folder)`` writes every new file into ``<out>/.stretto/journal-XXXX/new/``
   (the same file system, so the later moves are renames). The files that the save replaces
   or removes are hard-linked into ``old/``, and the plan (which files go where, which are
   removed) is written to ``plan.json``. Everything is fsynced. Nothing outside the journal
   has changed yet.
2. **Commit.** An empty ``COMMITTED`` marker is renamed into the journal: one atomic step.
3. **Apply.** Each staged file is renamed into place, the removed ones are unlinked, and the
   journal is deleted.

A SIGKILL before the commit leaves the old version whole; after it, the new version is
complete in the journal. :func:`recover`, run by the next command under the project lock,
finishes a committed journal (every step is idempotent: a file already moved is skipped) and
rolls back an uncommitted one (restoring the hard links of ``old/``), so the folder always
ends as exactly one version: the old one or the new one. An exception inside this process
(a full disk, a failing encoder) rolls back at once and leaves no journal behind.

``STRETTO_FAULT=<step>`` kills the process with SIGKILL at a named step of the save
(``staged``, ``committed``, ``applied-N`` after the N-th file, ``removed``): the crash tests
use it to stop a save at every step.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Callable, Iterable

STATE = ".stretto"  # the project's own folder: undo/redo snapshots and save journals
JOURNAL_PREFIX = "journal-"
PLAN, COMMITTED = "plan.json", "COMMITTED"


def _fault(step: str) -> None:
    """Die here, as a crash would, when ``STRETTO_FAULT`` names this step (crash tests)."""
    if os.environ.get("STRETTO_FAULT") == step:
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot fsync a folder; the rename order still holds
        pass
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for folder, _, files in os.walk(root):
        for name in files:
            _fsync(Path(folder) / name)
        _fsync(Path(folder))


def _target(out: Path, name: str) -> Path:
    """Where ``name`` really lives: a symlink is followed, so its target is replaced and the
    link itself stays a link."""
    path = out / name
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _move(src: Path, dst: Path) -> None:
    """Rename ``src`` onto ``dst``; across file systems (a symlink to another disk) copy next
    to ``dst`` first, so the final step is still one rename."""
    try:
        os.replace(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        near = dst.with_name(f".{dst.name}.stretto-new")
        shutil.copy2(src, near)
        os.replace(near, dst)
        src.unlink()


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:  # no hard links here (or another disk): copy instead
        shutil.copy2(src, dst)


def journals(out: str | Path) -> list[Path]:
    """The save journals left in ``out`` (by a crash, or by a save running now)."""
    return sorted((Path(out) / STATE).glob(f"{JOURNAL_PREFIX}*"))


def _read_plan(journal: Path) -> dict | None:
    try:
        return json.loads((journal / PLAN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # the crash came before the plan was whole: nothing outside was touched


def _roll_forward(journal: Path, plan: dict, live: bool = False) -> None:
    for i, (name, target) in enumerate(plan["put"], start=1):
        staged = journal / "new" / name
        if staged.exists() or staged.is_symlink():  # not moved yet (every step idempotent)
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            _move(staged, Path(target))
        if live:
            _fault(f"applied-{i}")
    for _, target in plan["remove"]:
        Path(target).unlink(missing_ok=True)
    if live:
        _fault("removed")


def _restore(old: Path, target: Path) -> None:
    """Put the saved ``old`` file back at ``target``, keeping ``old`` (so a second try after
    a crash restores it again)."""
    if target.exists() and os.path.samefile(old, target):
        return  # never replaced (a rename onto another link of the same file does nothing)
    near = target.with_name(f".{target.name}.stretto-old")
    _link_or_copy(old, near)
    os.replace(near, target)


def _roll_back(journal: Path, plan: dict) -> None:
    for name, target in plan["put"]:
        old, staged = journal / "old" / name, journal / "new" / name
        if old.exists():
            _restore(old, Path(target))
        elif not staged.exists():  # a new file that had been moved in already
            Path(target).unlink(missing_ok=True)
    for name, target in plan["remove"]:
        if (journal / "old" / name).exists():
            _restore(journal / "old" / name, Path(target))


def _discard(journal: Path, out: Path, made: list[Path]) -> None:
    shutil.rmtree(journal, ignore_errors=True)
    for folder in reversed(made):  # folders this save created, innermost last in the list
        try:
            folder.rmdir()
        except OSError:
            pass


def recover(out: str | Path) -> int:
    """Finish or undo every save that a crash interrupted in ``out``; the number handled.
    Call it only while holding the project's exclusive lock (a running save's journal would
    look interrupted too)."""
    out = Path(out)
    found = journals(out)
    for journal in found:
        plan = _read_plan(journal)
        if plan is not None:
            if (journal / COMMITTED).exists():
                _roll_forward(journal, plan)
            else:
                _roll_back(journal, plan)
        shutil.rmtree(journal, ignore_errors=True)
    if found:
        try:
            (out / STATE).rmdir()  # only when empty: a fresh project has no state folder
        except OSError:
            pass
    return len(found)


def write_files(out_dir: str | Path, names: Iterable[str], stage: Callable[[Path], None], *,
                remove: Iterable[str] = ()) -> dict[str, Path]:
    """Write the files ``names`` (paths relative to ``out_dir``, e.g. ``stems/01-Alto.wav``)
    and remove the files ``remove``, all or nothing and crash-safe (see the module text):
    ``stage(folder)`` writes the new files under ``folder``. ``out_dir`` (and any subfolder)
    is created if missing. Returns name -> path."""
    names, remove = list(names), [n for n in remove if (Path(out_dir) / n).exists()]
    out = Path(out_dir).absolute()
    made = [p for p in [*reversed((out / STATE).parents), out / STATE]
            if p != p.parent and not p.exists()]
    (out / STATE).mkdir(parents=True, exist_ok=True)
    journal = Path(tempfile.mkdtemp(prefix=JOURNAL_PREFIX, dir=out / STATE))
    new = journal / "new"
    plan = {"put": [[n, str(_target(out, n))] for n in names],
            "remove": [[n, str(_target(out, n))] for n in remove]}
    committed = False
    try:
        new.mkdir()
        stage(new)
        missing = [n for n in names if not (new / n).is_file()]
        if missing:  # a programming error, caught before anything is touched
            raise RuntimeError(f"the save staged no {missing[0]}")
        for name, target in plan["put"] + plan["remove"]:
            if Path(target).exists():
                _link_or_copy(Path(target), journal / "old" / name)
        (journal / PLAN).write_text(json.dumps(plan), encoding="utf-8")
        _fsync_tree(journal)
        _fault("staged")
        marker = journal / f"{COMMITTED}.tmp"
        marker.touch()
        os.replace(marker, journal / COMMITTED)  # the commit: one atomic rename
        _fsync(journal)
        committed = True
        _fault("committed")
        _roll_forward(journal, plan, live=True)
        _fsync(out)
    except BaseException:
        if committed:  # undo the commit first, so a crash while rolling back rolls back too
            (journal / COMMITTED).unlink(missing_ok=True)
            _roll_back(journal, plan)
        _discard(journal, out, made)
        raise
    _discard(journal, out, made)
    return {name: out / name for name in names}


__all__ = ["STATE", "journals", "recover", "write_files"]
