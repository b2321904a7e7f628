"""The chain bounds: for the species whose rules look at one bar or two successive bars, a
chain of chords whose cheapest path (dynamic programming) is a proved lower bound on the
CP-SAT model's objective, used to prove optimality (:mod:`stretto.solver.species.engine`).

The interface every chain module declares: ``build_chain(sm, spec) -> Chain | None`` (None
when the chords are too many to enumerate). :data:`BUILDERS` is the registry, species tuple of
the added voices -> builder: first species in any number of voices (:mod:`.first`), and
second to fifth species in two voices (:mod:`.second`, :mod:`.third`, :mod:`.fourth`,
:mod:`.fifth`, sharing :mod:`.pairs`). The machinery they fill is :mod:`.chain`.
"""

from __future__ import annotations

from typing import Callable

from stretto.solver.species.bounds import fifth, first, fourth, second, third
from stretto.solver.species.bounds.chain import MAX_CHORDS, PERFECT, Chain, Link, Paths, factor, \
    locate, pair_tables, path_cost, path_decisions, restrict, score_rows, shortest_paths, \
    unique_rows
from stretto.solver.cpsat.model import ScoreModel
from stretto.solver.species.spec import SpeciesSpec

Builder = Callable[[ScoreModel, SpeciesSpec], "Chain | None"]

#: the species in two voices with a chain of their own (first species has one in any number)
TWO_VOICE: dict[tuple[int, ...], Builder] = {
    (2,): second.build_chain, (3,): third.build_chain, (4,): fourth.build_chain,
    (5,): fifth.build_chain}


def applies(spec: SpeciesSpec) -> bool:
    """A chain exists for first species in every added voice, and for the species of
    :data:`TWO_VOICE` in two voices."""
    return set(spec.species) == {1} or tuple(spec.species) in TWO_VOICE


def build_chain(sm: ScoreModel, spec: SpeciesSpec) -> Chain | None:
    """The chain relaxation of ``sm`` (built from ``spec``; :func:`applies` must hold), or
    None when the chords are too many to enumerate."""
    builder = TWO_VOICE.get(tuple(spec.species), first.build_chain)
    return builder(sm, spec)


__all__ = ["MAX_CHORDS", "PERFECT", "TWO_VOICE", "Chain", "Link", "Paths", "applies",
           "build_chain", "factor", "locate", "pair_tables", "path_cost", "path_decisions",
           "restrict", "score_rows", "shortest_paths", "unique_rows"]
