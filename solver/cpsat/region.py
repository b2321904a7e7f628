"""What every re-solve shares, whatever the model: the :class:`Region` a regenerate rewrites,
the :class:`ResolveOutcome` it returns, who owns each note (:func:`mark_origins`: the composer's
pins and locks, the given voice, the solver's run) and how many notes changed
(:func:`count_changes`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from stretto.edits import Constraint, Lock, Pin
from stretto.score import Piece
from stretto.solver.cpsat.settings import SolveResult


@dataclass(frozen=True)
class Region:
    """Voice ``voice`` (0-based), bars ``first``-``last`` (1-based): what regenerate changes.
    ``voice`` None: every voice the solver writes in those bars (not the cantus or a given
    melody; pins and locks still hold)."""

    voice: int | None
    first: int
    last: int

    def describe(self) -> str:
        who = "every voice" if self.voice is None else f"voice {self.voice + 1}"
        return f"{who} bars {self.first}-{self.last}"


@dataclass(frozen=True)
class ResolveOutcome:
    """A re-solve: the solver's result (its piece with origins marked), how many notes of the
    added voices changed against the previous score, and of how many; ``moves``: the notes a
    change budget moved beyond the fewest changes, each with why (``also moved ...``)."""

    result: SolveResult
    changed: int
    total: int
    moves: tuple[str, ...] = ()


def mark_origins(piece: Piece, constraints: tuple[Constraint, ...],
                 run_id: str | None) -> Piece:
    """Origins per note: a pinned or locked note is the composer's (``human``, its source the
    constraint id), the cantus is ``human`` (``cantus``), every other note the solver run's."""
    voices = []
    for v, voice in enumerate(piece.voices):
        notes = []
        for n in voice.notes:
            if voice.role in ("cantus", "melody"):  # given: the cantus, a melody
                notes.append(replace(n, origin="human", source=voice.role))
                continue
            owner = None
            for c in constraints:
                if isinstance(c, Pin) and c.voice == v:
                    t = piece.time_at(c.bar, c.beat)
                    if n.onset <= t < n.end:
                        owner = c.id
                elif isinstance(c, Lock) and c.voice == v:
                    lo, hi = piece.time_at(c.first), piece.time_at(c.last + 1)
                    if n.onset < hi and n.end > lo:
                        owner = c.id
            notes.append(replace(n, origin="human", source=owner) if owner else
                         replace(n, origin="solver", source=run_id))
        voices.append(replace(voice, notes=tuple(notes)))
    return replace(piece, voices=tuple(voices))


def count_changes(before: Piece, after: Piece, cantus_voice: int) -> tuple[int, int]:
    """(notes of the added voices in ``after`` that ``before`` did not have - same onset,
    length and pitch -, all notes of the added voices in ``after``)."""
    changed = total = 0
    for v, voice in enumerate(after.voices):
        if v == cantus_voice:
            continue
        old = {(n.onset, n.duration, n.midi) for n in before.voices[v].sounding()} \
            if v < len(before.voices) else set()
        for n in voice.sounding():
            total += 1
            changed += (n.onset, n.duration, n.midi) not in old
    return changed, total


__all__ = ["Region", "ResolveOutcome", "count_changes", "mark_origins"]
