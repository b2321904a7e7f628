"""The independent rule checker: a second opinion on species counterpoint, after Fux.

It shares nothing with the solver but the rulebook's names: it reads a finished
:class:`~stretto.score.Piece` and lists every broken rule with its bar and beat::

    from stretto.check import check, hard
    problems = hard(check(piece))          # [] for a correct exercise

``species[i]`` is the species (1-5) of voice ``i`` and None for the cantus firmus; by default
they come from ``Voice.species``/``Voice.role`` and, failing that, from each voice's rhythm.
Modules: :mod:`~stretto.check.model` (the time-slice view), :mod:`~stretto.check.dissonance`,
:mod:`~stretto.check.motion`, :mod:`~stretto.check.melodic`, :mod:`~stretto.check.species`.
``CheckSettings()`` is the rulebook as the solver guarantees it; ``CheckSettings.fux()``
(``FUX_SETTINGS``) adds the liberties Fux takes in his own figures, under which all of them
pass but the few listed, with reasons, in ``EXCEPTIONS.md`` and ``FUX_EXCEPTIONS``.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from stretto.check.dissonance import check_dissonance
from stretto.check.exceptions import FUX_EXCEPTIONS, FUX_SETTINGS
from stretto.check.melodic import check_diatonic, check_ficta, check_leap_span, \
    check_melodic_intervals, check_range, check_repetition, check_soft_melody
from stretto.check.model import CheckSettings, Texture, Violation, infer_species, resolve_roles
from stretto.check.motion import check_crossing, check_direct, check_downbeat_parallels, \
    check_parallels, check_soft_motion, check_unison
from stretto.check.species import check_cadence, check_first_interval, check_rhythm, \
    check_syncopation
from stretto.score import Piece

__all__ = ["CheckSettings", "FUX_EXCEPTIONS", "FUX_SETTINGS", "Violation", "check", "hard",
           "soft", "infer_species"]


def check(piece: Piece, *, species: Sequence[int | None] | None = None,
          cantus_voice: int | None = None,
          settings: CheckSettings = CheckSettings()) -> list[Violation]:
    """Every rule ``piece`` breaks, sorted by bar, beat and rule name.

    ``species`` gives each voice's species (None for the cantus); ``cantus_voice`` the index of
    the cantus firmus (top voice is 0). Unknown species are read off the rhythm.

    Tonal pieces (``piece.info["style"]`` is ``chorale`` or ``composition``: harmonizations
    and compositions) are checked by the four-part rules of :mod:`stretto.check.satb`
    instead, plus their canons and recurrences.
    """
    if piece.info.get("style") not in ("chorale", "composition") and species is None \
            and piece.voices and any(n.lyric for n in piece.voices[-1].notes):
        from dataclasses import replace

        from stretto.check.satb import harmony_from_lyrics

        found_harmony = harmony_from_lyrics(piece)  # a chorale read back from MusicXML
        if found_harmony is not None:
            piece = replace(piece, info={**piece.info, "style": "chorale",
                                         "harmony": found_harmony})
    if piece.info.get("style") in ("chorale", "composition"):
        from stretto.check.satb import check_canons, check_satb

        tonal = list(dict.fromkeys(check_satb(piece) + check_canons(piece)))
        return sorted(tonal, key=lambda v: (v.bar, v.beat, v.rule, v.voices))
    sp, cantus = resolve_roles(piece, species, cantus_voice)
    tx = Texture(piece, sp, cantus)
    found: list[Violation] = []
    found += check_dissonance(tx, settings)
    found += check_parallels(tx, settings)
    found += check_downbeat_parallels(tx, settings)
    found += check_direct(tx, settings)
    found += check_unison(tx, settings)
    found += check_crossing(tx, settings)
    found += check_first_interval(tx)
    found += check_cadence(tx)
    found += check_melodic_intervals(tx, settings)
    found += check_leap_span(tx)
    found += check_range(tx, settings)
    found += check_diatonic(tx)
    found += check_ficta(tx)
    found += check_rhythm(tx)
    found += check_repetition(tx, settings)
    if settings.soft:
        found += check_syncopation(tx)
        found += check_soft_motion(tx)
        found += check_soft_melody(tx)
    else:
        found = [v for v in found if v.severity == "hard"]
    unique = list(dict.fromkeys(found))
    return sorted(unique, key=lambda v: (v.bar, v.beat, v.rule, v.voices))


def hard(violations: Iterable[Violation]) -> list[Violation]:
    """Only the violations of hard rules (those the solver guarantees)."""
    return [v for v in violations if v.severity == "hard"]


def soft(violations: Iterable[Violation]) -> list[Violation]:
    """Only the violations of soft rules (preferences)."""
    return [v for v in violations if v.severity == "soft"]
