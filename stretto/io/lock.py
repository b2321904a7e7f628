"""One writer per project: an OS file lock (``flock``) on the project folder itself.

Every command that changes a project holds an exclusive ``flock`` for its whole
read-solve-write, so two edits at the same moment run one after the other, the second on the
first's result (both edits survive, and their undo steps cannot collide). Readers take a shared
lock, so they never see a half-written version; whoever takes the lock first finishes a save
that a crash interrupted (:func:`stretto.io.journal.recover`). The lock belongs to the open file, not to a
pid file: a command killed by SIGKILL releases it with its process, and nothing stale is left.
The folder, not a file in it, is locked: its inode survives every atomic replace of the files
inside, and locking adds no file to the folder.
A writer waits at most ``STRETTO_LOCK_WAIT`` seconds (default 120) for the other, then stops
with one line and exit 2.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from stretto.errors import BadInput

DEFAULT_WAIT = 120.0
POLL = 0.05


def lock_wait() -> float:
    """Seconds a command waits for another one's lock (``STRETTO_LOCK_WAIT``)."""
    text = os.environ.get("STRETTO_LOCK_WAIT", "")
    try:
        return max(0.0, float(text)) if text else DEFAULT_WAIT
    except ValueError:
        raise BadInput(f"STRETTO_LOCK_WAIT={text!r} is not a number of seconds") from None


def _take(fd: int, mode: int, folder: Path, deadline: float) -> None:
    """Take (or convert to) the flock ``mode`` on ``fd``, polling until ``deadline``."""
    import fcntl

    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise BadInput(f"the project {folder} is being changed by another stretto "
                               "command; try again when it finishes") from None
            time.sleep(POLL)


@contextmanager
def project_lock(folder: str | Path, *, shared: bool = False,
                 wait: float | None = None) -> Iterator[None]:
    """Hold the project's lock (exclusive for writers, ``shared`` for readers) while the
    block runs. A folder that does not exist yet is not locked: there is nothing in it to
    lose, and the first write creates it. BadInput after ``wait`` seconds."""
    import fcntl  # POSIX only; imported here so the module imports anywhere

    from stretto.io.journal import journals, recover

    folder = Path(folder)
    if not folder.is_dir():
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise BadInput(f"cannot lock {folder}: {exc.strerror}") from None
    deadline = time.monotonic() + (lock_wait() if wait is None else wait)
    try:
        # a save that a crash interrupted is finished (or undone) first, under the exclusive
        # lock. A reader checks again once it holds its lock: the writer it waited for may
        # have been killed mid-save, and its half-applied journal must not be read as is.
        mode = fcntl.LOCK_SH if shared and not journals(folder) else fcntl.LOCK_EX
        recovered = False
        while True:
            _take(fd, mode, folder, deadline)
            if mode == fcntl.LOCK_EX and not recovered:
                recover(folder)
                recovered = True
            if not shared or (mode == fcntl.LOCK_SH and (recovered or not journals(folder))):
                break
            # a reader: back to a shared lock after recovering, or up to an exclusive one to
            # recover (flock converts a lock in place; it may let another process in between,
            # hence the loop)
            mode = fcntl.LOCK_SH if recovered else fcntl.LOCK_EX
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


__all__ = ["lock_wait", "project_lock"]
