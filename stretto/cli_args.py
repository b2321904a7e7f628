"""Range-checked argument types for the command line, and the parser every stretto command
line uses (:class:`OneLineParser`).

argparse turns the ``ArgumentTypeError`` of these into one line and exit 2 (see
:class:`OneLineParser`), so a value no solve could use is refused before any work,
never accepted silently or carried into CP-SAT (whose seed is a 32-bit int).
"""

from __future__ import annotations

import argparse
import math
from typing import Callable

SEED_MAX = 2**31 - 1  # CP-SAT's random_seed is an int32
WORKERS_MAX = 64
TIME_LIMIT_MAX = 3600.0


class OneLineParser(argparse.ArgumentParser):
    """argparse with its errors on one line (the usage block is what ``--help`` is for);
    the sub-commands' parsers are of this class too, so every command answers alike."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _number(kind: type, low: float, high: float, what: str) -> Callable[[str], float]:
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a {kind.__name__} number, "
                                             f"not {text!r}") from None
        if not (isinstance(value, int) or math.isfinite(value)) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must lie in {kind(low)} to "
                                             f"{kind(high)}, not {text}")
        return value
    parse.__name__ = what  # argparse names the type in its messages
    return parse


seed = _number(int, 0, SEED_MAX, "seed")
workers = _number(int, 1, WORKERS_MAX, "workers")
voices = _number(int, 2, 4, "voices")
max_range = _number(int, 1, 36, "max-range")
detune_cents = _number(float, -100.0, 100.0, "detune")
octaves = _number(int, -3, 3, "cantus-octave")


def port(text: str) -> int:
    """A TCP or UDP port: 0 (a free one) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, e.g. 8765, not {text!r}") \
            from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must lie in 1 to 65535 (0: a free one), "
                                         f"not {text}")
    return value


def seconds(what: str, low: float, high: float) -> Callable[[str], float]:
    """A duration in seconds within ``low``-``high`` for the option ``what``."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be seconds, not {text!r}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"{what} must lie in {low:g} to {high:g} "
                                             f"seconds, not {text}")
        return value
    parse.__name__ = what
    return parse


def transpose(text: str) -> str:
    """``auto`` or a signed interval (``P4``, ``-M2``, ``P8``): checked here, used as text."""
    if text.strip().lower() == "auto":
        return "auto"
    from stretto.errors import BadInput
    from stretto.pitch import Transposition

    try:
        return Transposition.parse(text).name
    except BadInput as exc:
        raise argparse.ArgumentTypeError(f"{exc}; or write auto") from None


def time_limit(text: str) -> float:
    """Seconds of deterministic time: above 0 (a limit of 0 would skip every solve) and at
    most an hour."""
    value = _number(float, 0.0, TIME_LIMIT_MAX, "time-limit")(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"time-limit must be above 0 seconds, not {text}")
    return value


def _text(what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"{what} is empty: give a value or leave the "
                                             "option out")
        return text
    parse.__name__ = what
    return parse


folder = _text("folder")  # an empty --out would write into the current directory
mode = _text("mode")
key = _text("key")


__all__ = ["detune_cents", "folder", "key", "max_range", "mode", "octaves", "seed", "time_limit",
           "transpose", "voices", "workers"]
