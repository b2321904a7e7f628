"""Regenerate's alternatives, whatever the model: a regenerated region differs from the
current one in at least a share of its *free* notes (not pinned, locked or given), is none of
the variants the project has already seen there, and ``options`` of them come back mutually
distinct, ranked by the objective.

The species and the chorale model each hand :func:`find_variants` their CP-SAT model (every
rule, everything outside the region kept, the preferences as the objective), one literal per
free note of the region (true where the new score changes that note), and two callbacks:
``read`` turns a solver's answer into a :class:`ResolveOutcome`, ``nogood`` gives, for a
variant's notes, literals of which at least one must hold for the region to differ from it.
A variant is its region's notes as text (:func:`region_notes`), hashed for the project's
history (:func:`variant_hash`)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence

from ortools.sat.python import cp_model

from stretto.errors import BadInput
from stretto.pitch import Pitch
from stretto.score import Piece
from stretto.solver.cpsat.region import Region, ResolveOutcome

MAX_OPTIONS = 10
DEFAULT_CHANGE = 0.5  # the share of the region's free notes a regeneration changes


@dataclass(frozen=True)
class RegenerateAsk:
    """What a regeneration asks beyond the region: the share of its free notes that must
    change (``change``), how many mutually distinct alternatives (``options``), and the
    variants already seen there (each its notes as :func:`region_notes` writes them)."""

    change: float = DEFAULT_CHANGE
    options: int = 1
    seen: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.change <= 1:
            raise BadInput(f"--change {self.change:g} is not a share: give a number from 0 "
                           "to 1 (0.5 = half of the free notes)")
        if not 1 <= self.options <= MAX_OPTIONS:
            raise BadInput(f"--options {self.options} is outside 1-{MAX_OPTIONS}")


@dataclass(frozen=True)
class Alternative:
    """One regenerated region: the solver's outcome, the region's notes and their hash, how
    many of the region's free notes it changes, and its objective (lower is better)."""

    outcome: ResolveOutcome
    notes: tuple[str, ...]
    hash: str
    changed_free: int
    objective: float | None


@dataclass(frozen=True)
class RegenerateOutcome:
    """The alternatives, best first (the first is what regenerate writes); ``free`` notes in
    the region, ``target`` of them asked to change; ``shortfall`` one line when the share or
    the number of options could not be reached under the rules (None when it was)."""

    alternatives: tuple[Alternative, ...]
    free: int
    target: int
    shortfall: str | None = None

    # the best alternative, read as a re-solve's outcome
    @property
    def result(self):
        return self.alternatives[0].outcome.result

    @property
    def changed(self) -> int:
        return self.alternatives[0].outcome.changed

    @property
    def total(self) -> int:
        return self.alternatives[0].outcome.total


# ---------------------------------------------------------------------------- notes


def region_span(piece: Piece, region: Region) -> tuple[Fraction, Fraction]:
    """The region's time span in quarter notes: [start of bar first, start of bar last+1)."""
    return piece.time_at(region.first), piece.time_at(region.last + 1)


def region_voices(piece: Piece, region: Region) -> list[int]:
    """The voices regenerate writes: ``region.voice``, or every voice that is not given."""
    if region.voice is not None:
        return [region.voice]
    return [v for v, voice in enumerate(piece.voices) if voice.role not in ("cantus", "melody")]


def region_notes(piece: Piece, region: Region) -> tuple[str, ...]:
    """The notes of the region's voices that sound in its bars, as ``voice|onset|duration|
    pitch`` text, sorted: what makes one variant of the region another."""
    lo, hi = region_span(piece, region)
    out = [f"{v}|{n.onset}|{n.duration}|{n.pitch.name}" for v in region_voices(piece, region)
           for n in piece.voices[v].sounding() if n.onset < hi and n.end > lo]
    return tuple(sorted(out))


def parse_notes(notes: Sequence[str]) -> dict[int, list[tuple[Fraction, Fraction, Pitch]]]:
    """Voice -> (onset, end, pitch) of :func:`region_notes`' text."""
    out: dict[int, list[tuple[Fraction, Fraction, Pitch]]] = {}
    for text in notes:
        v, onset, duration, pitch = text.split("|")
        start = Fraction(onset)
        out.setdefault(int(v), []).append((start, start + Fraction(duration), Pitch.parse(pitch)))
    return out


def variant_hash(notes: Sequence[str]) -> str:
    """A short stable hash of a variant's notes (what the history records)."""
    return hashlib.sha256("\n".join(sorted(notes)).encode()).hexdigest()[:16]


def free_changed(before: Piece, after: Piece, region: Region,
                 fixed: Callable[[int, object], bool]) -> tuple[int, int]:
    """(free notes of ``before``'s region that ``after`` does not have - same onset and pitch
    -, free notes of ``before``'s region): the share a regeneration is measured by.
    ``fixed(voice, note)`` tells a pinned or locked note."""
    lo, hi = region_span(before, region)
    changed = total = 0
    for v in region_voices(before, region):
        new = {(n.onset, n.midi) for n in after.voices[v].sounding()}
        for n in before.voices[v].sounding():
            if lo <= n.onset < hi and not fixed(v, n):
                total += 1
                changed += (n.onset, n.midi) not in new
    return changed, total


# ---------------------------------------------------------------------------- search


def target_of(free: int, change: float) -> int:
    """How many of ``free`` notes a share ``change`` asks to change: at least one."""
    return min(free, max(1, math.ceil(change * free - 1e-9)))


def find_variants(m: cp_model.CpModel, changes: Sequence, region: Region, ask: RegenerateAsk, *,
                  solve: Callable[[cp_model.CpModel], cp_model.CpSolver | None],
                  read: Callable[[cp_model.CpSolver], ResolveOutcome],
                  nogood: Callable[[tuple[str, ...]], list]) -> RegenerateOutcome | None:
    """Up to ``ask.options`` alternatives for ``region`` on model ``m``, best first; None
    when no valid variant differs at all (the caller explains why).

    ``changes``: a literal per free note of the region (True: it must change). ``solve``
    solves a copy of ``m`` (None when infeasible; it raises when time ran out first).
    Each alternative changes at least the share asked; when no unseen variant reaches it,
    the most different one is taken and ``shortfall`` says so."""
    lits = [c for c in changes if c is not False]
    free = len(lits)
    count = sum(1 if c is True else c for c in lits)
    for notes in ask.seen:
        _forbid(m, nogood(notes))
    if free == 0:
        return None
    asked = target_of(free, ask.change)
    target, found = asked, []
    while len(found) < ask.options:
        copy = m.Clone()
        _at_least(copy, count, target)
        solver = solve(copy)
        if solver is None and not found:
            target = _most_changes(m, count, solve)
            if target == 0:
                return None
            continue
        if solver is None:
            break
        outcome = read(solver)
        notes = region_notes(outcome.result.piece, region)
        changed = count if isinstance(count, int) else round(solver.Value(count))
        found.append(Alternative(outcome, notes, variant_hash(notes), changed,
                                 outcome.result.objective))
        _forbid(m, nogood(notes))
    found.sort(key=lambda a: (a.objective is None, a.objective or 0.0))
    return RegenerateOutcome(tuple(found), free, asked,
                             shortfall(target, free, asked, len(found), ask.options))


def shortfall(target: int, free: int, asked: int, found: int, options: int) -> str | None:
    """The one line that says what the rules did not allow, or None: fewer changed notes
    than asked (the most different variant is given), or fewer distinct options."""
    if target < asked:
        return (f"only {target} of the {free} free notes can change under the rules (asked "
                f"{asked}): this is the most different variant not seen before")
    if found < options:
        return (f"only {found} distinct variants not seen before change {target} of the "
                f"{free} free notes under the rules (asked {options})")
    return None


def _at_least(m: cp_model.CpModel, count, target: int) -> None:
    """``count >= target`` on ``m`` (``count`` may be a plain number: every free note must
    change)."""
    if isinstance(count, int):
        if count < target:
            m.AddBoolOr([])
        return
    m.Add(count >= target)


def _most_changes(m: cp_model.CpModel, count, solve) -> int:
    """The most free notes any unseen valid variant changes (0: none differs at all)."""
    copy = m.Clone()
    _at_least(copy, count, 1)
    if isinstance(count, int):
        return count if solve(copy) is not None else 0
    copy.ClearObjective()
    copy.Maximize(count)
    solver = solve(copy)
    return 0 if solver is None else round(solver.Value(count))


def _forbid(m: cp_model.CpModel, lits: list) -> None:
    """At least one of ``lits`` holds: the region is not that variant."""
    if any(lit is True for lit in lits):
        return
    m.AddBoolOr([lit for lit in lits if lit is not False])


__all__ = ["Alternative", "DEFAULT_CHANGE", "MAX_OPTIONS", "RegenerateAsk", "RegenerateOutcome",
           "find_variants", "free_changed", "parse_notes", "region_notes", "region_span",
           "region_voices", "shortfall", "target_of", "variant_hash"]
