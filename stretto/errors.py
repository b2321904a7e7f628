"""The errors stretto reports to a user, each with the exit code the CLI returns."""

from __future__ import annotations


class StrettoError(Exception):
    """Base class: a one-line message that says what is wrong and what to do next."""

    exit_code = 1


class BadInput(StrettoError):
    """Input that cannot be used: unknown pitch, impossible range, corrupt file (exit 2)."""

    exit_code = 2


class Unsatisfiable(StrettoError):
    """Constraints that cannot all hold (exit 3). ``conflicts`` names them in words."""

    exit_code = 3

    def __init__(self, message: str, conflicts: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.conflicts = tuple(conflicts)
