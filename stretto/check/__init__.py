"""The independent rule checker: a second opinion on species counterpoint, after Fux.

It shares nothing with the solver but the rulebook's names: it reads a finished
:class:`~stretto.score.Piece` and lists every broken rule with its bar and beat::

    from stretto.check import check, hard
    problems = hard(check(piece))          # [] for a correct exercise

``species[i]`` is the species (1-5) of voice ``i`` and None for the cantus firmus; by default
they come from ``Voice.species``/``Voice.role`` and, failing that, from each voice's rhythm.
Modules: :mod:`~stretto.check.model` (the time-slice view), :mod:`~stretto.check.dissonance`,
:mod:`~stretto.check.motion`, :mod:`~stretto.check.melodic`, :mod:`~stretto.check.species`;
for tonal scores :mod:`~stretto.check.satb` (four-part rules), :mod:`~stretto.check.onsets`
(motion at every onset) and :mod:`~stretto.check.free` (dissonance in two or three voices).
Motion is judged at every onset in every rule set; ``check(..., beats=True)`` is the
beat-only view of the literature (docs/checker.md).
``CheckSettings()`` is the rulebook as the solver guarantees it; ``CheckSettings.fux()``
(``FUX_SETTINGS``) adds the liberties Fux takes in his own figures, under which all of them
pass but the few listed, with reasons, in ``EXCEPTIONS.md`` and ``FUX_EXCEPTIONS``.
"""

from __future__ import annotations

import sys
from fractions import Fraction
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
from stretto.errors import BadInput
from stretto.score import Piece

__all__ = ["CheckSettings", "FUX_EXCEPTIONS", "FUX_SETTINGS", "RULES_CHOICES", "Violation",
           "check", "choose_rules", "hard", "soft", "infer_species"]


# What ``check(..., rules=...)`` accepts: ``auto`` picks by :func:`choose_rules`.
RULES_CHOICES = ("auto", "species", "satb")


def choose_rules(piece: Piece, species: Sequence[int | None] | None = None,
                 cantus_voice: int | None = None, rules: str = "auto") -> tuple[str, Piece]:
    """Which rule set judges ``piece``, and the piece as the checker reads it.

    Returns ``("species" | "satb" | "satb-voice-leading", piece)``: ``satb`` is the full
    four-part rule set with a Roman-numeral analysis (``info["harmony"]``, or rebuilt from a
    MusicXML chorale's bass lyrics), ``satb-voice-leading`` its label-free rules alone
    (:func:`stretto.check.satb.check_voice_leading`). ``rules="species"`` or ``"satb"`` forces
    the set; ``"auto"`` decides, in this order:

    1. ``species`` or ``cantus_voice`` given: species;
    2. ``info["style"]`` is ``chorale`` or ``composition`` (stretto's harmonizations and
       compositions), or the bass's lyrics are an analysis (``f#: i`` ...): SATB;
    3. a voice says it is a species voice (role ``cantus`` or ``counterpoint``, or a species
       set; what ``stretto species`` and the Fux figures record): species;
    4. exactly four voices, none of which is a cantus firmus by its rhythm (every note but the
       last a whole bar long on a barline): SATB without labels (Bach's chorales, imported
       MIDI/MusicXML, the block-chord baseline);
    5. anything else: species.

    Two- and three-voice compositions (canons, inventions, two-part plans) go by rule 2 to
    ``satb`` (or ``satb-voice-leading`` without an analysis), as does any score checked with
    ``rules="satb"``: of the four-part rules they answer to those that make sense for their
    number of voices (spacing and complete chords need three or four), and they add
    ``treated-dissonance`` (:mod:`stretto.check.free`): in two or three voices an implied
    chord does not make a struck dissonance consonant. A two- or three-voice score that is not
    a composition and carries no analysis stays a species exercise (rule 5).

    The key signature is not consulted: readers guess a church mode from signature and final,
    and a major-key chorale ending on a half cadence reads as mixolydian.
    """
    if rules not in RULES_CHOICES:
        raise BadInput(f"unknown rule set {rules!r}: use {', '.join(RULES_CHOICES)}")
    if rules != "species" and piece.info.get("style") not in ("chorale", "composition") \
            and species is None and piece.voices \
            and any(n.lyric for n in piece.voices[-1].notes):
        from dataclasses import replace

        from stretto.check.chords import harmony_from_lyrics

        found_harmony = harmony_from_lyrics(piece)  # a chorale read back from MusicXML
        if found_harmony is not None:
            piece = replace(piece, info={**piece.info, "style": "chorale",
                                         "harmony": found_harmony})
    h = piece.info.get("harmony") or {}
    labelled = bool(h.get("analysis")) and bool(h.get("key"))
    if rules == "satb":
        return ("satb" if labelled else "satb-voice-leading"), piece
    if rules == "species" or species is not None or cantus_voice is not None:
        return "species", piece
    if piece.info.get("style") in ("chorale", "composition"):
        return ("satb" if labelled else "satb-voice-leading"), piece
    if any(v.role in ("cantus", "counterpoint") or v.species is not None for v in piece.voices):
        return "species", piece
    if len(piece.voices) == 4 and all(v.notes for v in piece.voices) \
            and not any(_cantus_rhythm(v, piece.bar_length) for v in piece.voices):
        return "satb-voice-leading", piece
    return "species", piece


def _cantus_rhythm(voice, bar: Fraction) -> bool:
    """Every sounding note but the last lasts a whole bar and starts on a barline."""
    notes = voice.sounding()
    return len(notes) > 1 and all(n.duration == bar and n.onset % bar == 0 for n in notes[:-1])


def check(piece: Piece, *, species: Sequence[int | None] | None = None,
          cantus_voice: int | None = None,
          settings: CheckSettings = CheckSettings(), rules: str = "auto",
          beats: bool = False) -> list[Violation]:
    """Every rule ``piece`` breaks, sorted by bar, beat and rule name.

    ``species`` gives each voice's species (None for the cantus); ``cantus_voice`` the index of
    the cantus firmus (top voice is 0). Unknown species are read off the rhythm.

    ``rules`` (``auto``, ``species``, ``satb``) picks the rule set, see :func:`choose_rules`:
    tonal four-part scores are checked by the four-part rules of :mod:`stretto.check.satb`
    instead of the species rules (with their Roman-numeral analysis when they carry one, plus
    their canons and recurrences; by the label-free voice-leading rules when not). Two- and
    three-voice scores judged by those sets also answer to ``treated-dissonance``
    (:mod:`stretto.check.free`).

    Motion (parallel and direct perfects, overlap) is judged at every onset of each pair of
    voices, in every rule set. ``beats=True`` is the beat-only view of the literature: motion
    from beat to beat of the metre (the analysed beats of a labelled score), the notes between
    the beats ignored. It passes what every onset catches; use it only to compare with counts
    made that way.
    """
    rule_set, piece = choose_rules(piece, species, cantus_voice, rules)
    if rule_set != "species":
        from stretto.check.free import check_treated_dissonance
        from stretto.check.chords import check_canons, check_satb
        from stretto.check.satb import check_voice_leading

        if rule_set == "satb":
            tonal = check_satb(piece, beats=beats) + check_canons(piece)
        else:
            tonal = check_voice_leading(piece, beats=beats) + check_canons(piece)
        tonal += check_treated_dissonance(piece)
        if not settings.soft:
            tonal = [v for v in tonal if v.severity == "hard"]
        unique = list(dict.fromkeys(tonal))
        return sorted(unique, key=lambda v: (v.bar, v.beat, v.rule, v.voices))
    sp, cantus = resolve_roles(piece, species, cantus_voice)
    tx = Texture(piece, sp, cantus, beats=beats)
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


class _CallableModule(type(sys.modules[__name__])):
    """``stretto.check(piece)`` calls :func:`check` even once this subpackage is imported
    (importing ``stretto.check`` makes the package itself the ``stretto.check`` attribute)."""

    def __call__(self, piece: Piece, **options):
        return check(piece, **options)


sys.modules[__name__].__class__ = _CallableModule
