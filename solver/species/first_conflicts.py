"""A first species solve that cannot hold, explained: the minimal conflicting set of rules
(:func:`stretto.solver.species.edit.explain`), the added voices' registers in words, and the fixes
that do hold (``--cantus-octave``, another cantus voice), each checked by a quick solve."""

from __future__ import annotations

from dataclasses import replace

from stretto.errors import BadInput, Unsatisfiable

from stretto.solver.species.edit import explain
from stretto.solver.cpsat.settings import SolveSettings
from stretto.solver.species.spec import SpeciesSpec


def _holds(spec: SpeciesSpec, settings: SolveSettings) -> bool:
    """Whether some score obeys every hard rule of ``spec`` (a first score, no preferences)."""
    from stretto.solver.species.engine import solve_species

    quick = replace(settings, objective=False, workers=1,
                    time_limit=min(settings.time_limit, 3.0))
    return solve_species(spec, quick).status in ("optimal", "feasible")


def _span(pitches) -> str:
    ps = sorted(pitches, key=lambda p: p.midi)
    return f"{ps[0].name}-{ps[-1].name}"


def register_words(spec: SpeciesSpec) -> tuple[str, str | None]:
    """The added voices' registers in words, and which wall of the written compass (C2-C6)
    squeezed them ("high", "low"), or None. Without ``--range`` they are centred a fifth per
    voice from the cantus (:func:`stretto.solver.species.lines.default_registers`), so a cantus high
    in the bottom voice leaves the upper voices no room under C6."""
    from stretto.solver.species.engine import voice_names
    from stretto.solver.species.lines import HIGHEST, LOWEST, default_registers

    registers = list(spec.ranges) if spec.ranges else default_registers(spec)
    names = voice_names(spec, registers)
    added = [names[v] for v in range(spec.voices) if v != spec.cantus_voice]
    where = "bass" if spec.cantus_voice == spec.voices - 1 else \
        "top voice" if spec.cantus_voice == 0 else f"voice {spec.cantus_voice + 1}"
    each = ", ".join(f"{n} {lo.name}-{hi.name}" for n, (lo, hi) in zip(added, registers))
    squeezed = None
    if not spec.ranges:
        dias = [p.diatonic for p in spec.cantus]
        centre = (min(dias) + max(dias)) // 2
        wanted = [centre + 4 * (spec.cantus_voice - v) for v in range(spec.voices)
                  if v != spec.cantus_voice]
        # Moved inside the compass by a fifth (the spacing of the voices) or more: two
        # voices now share one register.
        if any(c + 6 - HIGHEST >= 4 for c in wanted):
            squeezed = "high"
        elif any(LOWEST - (c - 6) >= 4 for c in wanted):
            squeezed = "low"
    text = (f"the registers {each} around the cantus {_span(spec.cantus)} in the {where}"
            if not spec.ranges else f"your --range registers {each} around the cantus "
            f"{_span(spec.cantus)} in the {where}")
    if squeezed == "high":
        text += " (pressed under C6, the highest note written: the cantus lies high)"
    elif squeezed == "low":
        text += " (pressed above C2, the lowest note written: the cantus lies low)"
    return text, squeezed


def first_solve_fixes(spec: SpeciesSpec, settings: SolveSettings,
                      squeezed: str | None) -> list[str]:
    """Changes to the command that make ``spec`` solvable, each one checked by a solve (at
    most five quick solves): your --range left out, the cantus an octave away from the wall that pressed the
    registers, the cantus in another voice, crossing allowed, a wider span per voice."""
    from stretto.solver.species.spec import shift_octaves

    tries: list[tuple[str, dict]] = []
    if spec.ranges:
        tries.append(("the registers stretto chooses around the cantus (leave out --range)",
                      {"ranges": None}))
    lowest = min(p.midi for p in spec.cantus)
    highest = max(p.midi for p in spec.cantus)
    for k in ((-1,) if squeezed == "high" else (1,) if squeezed == "low" else
              (-1, 1) if lowest >= 60 else (1, -1) if highest <= 55 else ()):
        try:
            moved = tuple(shift_octaves(spec.cantus, k))
        except BadInput:
            continue
        tries.append((f"--cantus-octave {k:+d} (the cantus {_span(moved)})",
                      {"cantus": moved}))
    if spec.voices > 2:
        other = 0 if spec.cantus_voice == spec.voices - 1 else spec.voices - 1
        tries.append((f"--cantus-voice {'top' if other == 0 else 'bottom'}",
                      {"cantus_voice": other, "ranges": None}))
    if not spec.allow_crossing:
        tries.append(("--allow-crossing", {"allow_crossing": True}))
    if spec.max_range < 12:
        tries.append(("--max-range 12 (a thirteenth per voice)", {"max_range": 12}))
    fixes = []
    for words, change in tries[:5]:
        try:
            other = replace(spec, **change)
        except BadInput:
            continue
        if _holds(other, settings):
            fixes.append(words)
            if len(fixes) == 2:
                break
    return fixes


def explain_first(spec: SpeciesSpec, settings: SolveSettings) -> Unsatisfiable:
    """Why a species exercise cannot be written at all, as edits explain a conflict: the
    registers the voices were given, a minimal set of the hard rules that cannot hold in them
    (:func:`explain`), and the changes to the command that were checked to make it hold."""
    rules = explain(spec, (), None, settings) or []
    register, squeezed = register_words(spec)
    words = (register, *rules)
    fixes = first_solve_fixes(spec, settings, squeezed)
    if fixes:
        advice = "it holds with " + ", or with ".join(fixes)
    else:
        advice = ("try wider --range registers, another --cantus-voice, --cantus-octave, "
                  "--allow-crossing or fewer --voices")
    if not rules:
        return Unsatisfiable("no score satisfies every hard rule with this cantus, species "
                             f"and registers ({register}); no smaller explanation was found "
                             f"in the time limit: {advice}", words)
    return Unsatisfiable("No score satisfies all of: " + "; ".join(words) + f". {advice[0].upper()}"
                         f"{advice[1:]}", words)


__all__ = ["explain_first", "first_solve_fixes", "register_words"]
