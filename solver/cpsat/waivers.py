"""The composer's waivers as data for any CP-SAT score model: which hard rule is not
enforced where.

A :class:`~stretto.edits.Waiver` says "rule R may be broken in bar B among voices V" (the
composer wrote a parallel fifth on purpose). Rules are not copied or rewritten for it: a rule
marks each place it judges with :meth:`ScoreModel.at` (the bar and the voices), and
:class:`~stretto.solver.cpsat.model.ScoreModel` drops the requirements made there when
:func:`waived` says so. Everything else of the rule, and every other rule there, still holds.
"""

from __future__ import annotations

from typing import Callable, Iterable

from stretto.edits import Constraint, Waiver

#: (rule name, bar 1-based or the model's position in it, the voices 0-based among which
#: it is waived)
Place = tuple[str, int, frozenset[int]]

#: A waiver of a rule also frees the rules that judge the same fault from another side: a
#: parallel fifth is also similar motion into a fifth (the solver's direct-perfect rule sees
#: it; the checker reports it once, as parallel-perfect), and the chorale model's direct rule
#: likewise (satb-direct); the species model judges a dissonance, its treatment and a
#: suspension in one rule (consonance), the checker under three names.
_DISSONANCE = ("consonance", "dissonance-treatment", "suspension")
COVERS: dict[str, tuple[str, ...]] = {
    "parallel-perfect": ("direct-perfect", "satb-direct"),
    **{name: tuple(n for n in _DISSONANCE if n != name) for name in _DISSONANCE}}

#: The rules whose places the models mark (``ScoreModel.at``), so a waiver reaches them: the
#: species rules of solver/species/vertical.py and melodic.py, and the chorale model's
#: parallels and direct motion (solver/tonal/chorale_rules.py).
WAIVABLE: dict[str, tuple[str, ...]] = {
    "species": _DISSONANCE + ("parallel-perfect", "downbeat-parallels", "direct-perfect",
                              "unison", "melodic-interval"),
    "chorale": ("parallel-perfect", "satb-direct")}


def covers(rule: str) -> tuple[str, ...]:
    """The rules a waiver of ``rule`` frees: itself and those of :data:`COVERS`."""
    return (rule,) + COVERS.get(rule, ())


def waived_places(constraints: Iterable[Constraint],
                  where: Callable[[int], Iterable[int]] | None = None) -> frozenset[Place]:
    """The places the composer's waivers free, as the model reads them: by bar, or by the
    positions ``where(bar)`` gives (the chorale model's chord slots in that bar)."""
    return frozenset((c.rule, at, frozenset(c.voices)) for c in constraints
                     if isinstance(c, Waiver) for at in (where(c.bar) if where else (c.bar,)))


def waived(places: frozenset[Place], rule: str, bar: int, voices: frozenset[int]) -> bool:
    """Whether ``rule`` is waived in ``bar`` for ``voices`` (a voice or a pair): some waiver
    of that rule and bar names all of them."""
    return any(rule in covers(r) and b == bar and voices <= among for r, b, among in places)


def without_waivers(constraints: Iterable[Constraint]) -> tuple[Constraint, ...]:
    """The constraints a model posts as requirements (a waiver is none: it frees a place)."""
    return tuple(c for c in constraints if not isinstance(c, Waiver))


__all__ = ["COVERS", "Place", "WAIVABLE", "covers", "waived", "waived_places", "without_waivers"]
