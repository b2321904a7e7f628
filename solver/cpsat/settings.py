"""How to solve and what comes back, for every model stretto builds (species, chorale, form):
:class:`SolveSettings` (time limit, seed, workers, all recorded) and :class:`SolveResult`.

Frozen dataclasses only; no OR-Tools import here, so the command line validates input cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stretto.errors import BadInput


@dataclass(frozen=True)
class SolveSettings:
    """``time_limit`` in seconds (also used as CP-SAT's deterministic time limit, which is what
    makes a run reproducible), ``seed`` and ``workers`` as recorded in the score. With
    ``objective=False`` the solver stops at the first score that obeys every hard rule."""

    time_limit: float = 10.0
    seed: int = 0
    workers: int = 1
    objective: bool = True

    def __post_init__(self) -> None:
        if not self.time_limit > 0:
            raise BadInput("time limit must be positive (seconds)")
        if not 1 <= self.workers <= 64:
            raise BadInput("workers must be between 1 and 64")


@dataclass(frozen=True)
class SolveResult:
    """``status`` is ``optimal``, ``feasible`` or ``infeasible``; ``piece`` is None unless a score
    was found. ``stats`` holds solve time, objective and bound, branches, and the settings."""

    status: str
    piece: Any  # stretto.score.Piece | None (kept Any to avoid importing the model here)
    objective: float | None
    bound: float | None
    wall_time: float
    stats: dict[str, Any] = field(default_factory=dict, hash=False)
