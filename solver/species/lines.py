"""Building the lines: registers, the shared pitch list, and each species' rhythm on the grid.

Rhythm per species (one bar = one cantus note = 8 grid positions; onsets listed per bar):

* first species: ``{0}`` (whole notes);
* second: ``{0, 4}`` (the bar before the last may be a whole note), last bar ``{0}``;
* third: ``{0, 2, 4, 6}``, last bar ``{0}``;
* fourth: a half rest, then a half note tied over each barline (``{4}``, the tie at 0 may be
  broken, a soft rule), last bar ``{0}``;
* fifth (florid): a half rest and a half note, then one pattern per bar from
  :data:`FLORID_PATTERNS` (halves, quarters, eighth pairs on weak quarters, syncopations), last
  bar a whole note.
"""

from __future__ import annotations

from stretto.errors import BadInput
from stretto.pitch import Pitch

from stretto.solver.cpsat.model import GRID, LineVars, ScoreModel, Universe, where
from stretto.solver.species.spec import SpeciesSpec

# Fifth species bar patterns: onset positions in eighths. A pattern without 0 continues (ties)
# the note begun on beat 3 of the bar before, which must then be a half note.
FLORID_PATTERNS: tuple[tuple[int, ...], ...] = (
    (0, 4), (0, 2, 4, 6), (0, 4, 6), (0, 2, 4), (0, 2, 3, 4, 6), (0, 2, 4, 6, 7), (0, 4, 6, 7),
    (0, 2, 3, 4),
    (4,), (2, 4), (4, 6), (2, 4, 6), (2, 3, 4),
)
ENDS_WITH_HALF = tuple(p for p in FLORID_PATTERNS if 4 in p and not {5, 6, 7} & set(p))

LOWEST = Pitch.parse("C2").diatonic
HIGHEST = Pitch.parse("C6").diatonic


def default_registers(spec: SpeciesSpec) -> list[tuple[Pitch, Pitch]]:
    """A register for each added voice (top down): centred a fifth per voice away from the
    cantus, six letter steps either side (the span rule then keeps the line within a tenth).
    A register that would pass C2 or C6 is moved inside rather than cut short, so the outer
    voice of four over a high cantus still has its thirteen steps to move in."""
    dias = [p.diatonic for p in spec.cantus]
    centre = (min(dias) + max(dias)) // 2
    out = []
    for v in range(spec.voices):
        if v == spec.cantus_voice:
            continue
        k = spec.cantus_voice - v  # > 0: above the cantus
        c = min(max(centre + 4 * k, LOWEST + 6), HIGHEST - 6)
        lo, hi = c - 6, c + 6
        out.append((spec.mode.diatonic_pitch(lo), spec.mode.diatonic_pitch(hi)))
    return out


def register_pitches(spec: SpeciesSpec, low: Pitch, high: Pitch) -> list[Pitch]:
    """What an added voice may sing: the mode and its ficta; with three or more voices also the
    major third over the final for the last chord (the cadence rule confines it there)."""
    out = spec.mode.pitches_between(low, high)
    if spec.voices >= 3 and spec.mode.has_minor_third:
        for d in range(low.diatonic, high.diatonic + 1):
            base = spec.mode.diatonic_pitch(d)
            raised = Pitch(base.octave, base.step, base.alter + 1)
            if spec.mode.is_raised_third(raised) and low.midi <= raised.midi <= high.midi:
                out.append(raised)
    return out


def build_universe(spec: SpeciesSpec, registers: list[tuple[Pitch, Pitch]],
                   extra: dict[int, set[Pitch]] | None = None) -> Universe:
    pitches = set(spec.cantus)
    for low, high in registers:
        pitches.update(register_pitches(spec, low, high))
    for more in (extra or {}).values():
        pitches.update(more)
    return Universe(tuple(sorted(pitches, key=lambda p: (p.midi, p.diatonic))))


def build_lines(sm: ScoreModel, spec: SpeciesSpec, registers: list[tuple[Pitch, Pitch]],
                names: list[str], extra: dict[int, set[Pitch]] | None = None) -> None:
    """Create every line's variables on the grid (the cantus as constants). ``extra[v]``:
    pitches voice ``v`` may also take (a composer's pins; the rules ``range`` and ``diatonic``
    judge them, see :func:`stretto.solver.species.engine.rule_register`)."""
    species = spec.voice_species()
    reg = iter(registers)
    for v, sp in enumerate(species):
        if sp is None:
            line = LineVars(index=v, name=names[v], species=None,
                        domain=sorted({sm.u.index(p) for p in spec.cantus}))
            for b, p in enumerate(spec.cantus):
                i = sm.u.index(p)
                for q in range(GRID):
                    line.x.append(i)
                    line.dia.append(p.diatonic)
                    line.onset.append(q == 0)
                    line.can_onset.append(q == 0)
        else:
            low, high = next(reg)
            allowed = set(register_pitches(spec, low, high))
            register = [i for i, p in enumerate(sm.u.pitches) if p in allowed]
            if len(register) < 5:
                raise BadInput(f"range {low.name}-{high.name} of voice {v + 1} holds too few "
                               "notes of the mode")
            more = (extra or {}).get(v, set())
            domain = [i for i, p in enumerate(sm.u.pitches) if p in allowed or p in more]
            line = LineVars(index=v, name=names[v], species=sp, domain=domain, register=register)
            _RHYTHM[sp](sm, line)
        sm.lines.append(line)


def _new_pitch(sm: ScoreModel, line: LineVars, label: str) -> tuple:
    at = where(int(label))
    x = sm.new_int(line.domain, f"{line.name} {at} pitch")
    d = sm.m.NewIntVar(min(sm.u.dia), max(sm.u.dia), f"{line.name} {at} letter step")
    sm.m.AddElement(x, sm.u.dia, d)
    return x, d


def _fixed_rhythm(sm: ScoreModel, line: LineVars, onsets_of_bar) -> None:
    """Lay out a line whose onsets are known in advance (species 1-3)."""
    x = d = None
    for b in range(sm.bars):
        ons = onsets_of_bar(b)
        for q in range(GRID):
            p = b * GRID + q
            if q in ons:
                x, d = _new_pitch(sm, line, str(p))
            line.x.append(x)
            line.dia.append(d)
            line.onset.append(q in ons)
            line.can_onset.append(q in ons)


def _species1(sm: ScoreModel, line: LineVars) -> None:
    _fixed_rhythm(sm, line, lambda b: {0})


def _species2(sm: ScoreModel, line: LineVars) -> None:
    """Two halves per bar; the bar before the final may be one whole note instead (as in
    Fux's own cadences, e.g. fig. 42), a choice left to the solver."""
    last = sm.bars - 1
    _fixed_rhythm(sm, line, lambda b: {0} if b == last else {0, 4})
    p = (last - 1) * GRID + 4
    if last >= 2:
        held_x = line.x[p - 1]
        x = line.x[p]
        whole = sm.m.NewBoolVar(f"{line.name}_penultimate_whole")
        sm.m.Add(x == held_x).OnlyEnforceIf(whole)
        line.onset[p] = whole.Not()


def _species3(sm: ScoreModel, line: LineVars) -> None:
    last = sm.bars - 1
    _fixed_rhythm(sm, line, lambda b: {0} if b == last else {0, 2, 4, 6})


def _species4(sm: ScoreModel, line: LineVars) -> None:
    """Syncopation: rest, then halves tied over every barline; a tie may be broken (then the
    downbeat is a new note), which the soft rule ``broken-syncopation`` discourages."""
    last = sm.bars - 1
    x = d = None
    for b in range(sm.bars):
        for q in range(GRID):
            p = b * GRID + q
            if b == 0 and q < 4:
                line.x.append(None)
                line.dia.append(None)
                line.onset.append(False)
                line.can_onset.append(False)
                continue
            onset: object = False
            if q == 0 and b == last:
                x, d = _new_pitch(sm, line, str(p))
                onset = True
            elif q == 0:
                held_x = x
                x, d = _new_pitch(sm, line, str(p))
                brk = sm.m.NewBoolVar(f"{line.name}_broken{b}")
                sm.m.Add(x == held_x).OnlyEnforceIf(brk.Not())
                line.broken[b] = brk
                onset = brk
            elif q == 4 and b != last:
                x, d = _new_pitch(sm, line, str(p))
                onset = True
            line.x.append(x)
            line.dia.append(d)
            line.onset.append(onset)
            line.can_onset.append(onset is not False)


def _species5(sm: ScoreModel, line: LineVars) -> None:
    """Florid: one rhythm pattern per bar, chosen by the solver."""
    last = sm.bars - 1
    x = d = None
    for b in range(sm.bars):
        if b == 0:
            onsets = {4: True}
        elif b == last:
            onsets = {0: True}
        else:
            choice = {pat: sm.m.NewBoolVar(f"{line.name}_pat{b}_{k}")
                      for k, pat in enumerate(FLORID_PATTERNS)}
            sm.m.AddExactlyOne(choice.values())
            line.patterns[b] = choice
            prev = line.patterns.get(b - 1)
            for pat, lit in choice.items():
                if 0 not in pat and prev is not None:
                    # Tie into this bar only from a half note on beat 3 of the bar before.
                    sm.m.AddBoolOr([prev[q] for q in ENDS_WITH_HALF]).OnlyEnforceIf(lit)
            onsets = {}
            for q in range(GRID):
                having = [lit for pat, lit in choice.items() if q in pat]
                if not having:
                    continue
                if len(having) == len(choice):
                    onsets[q] = True
                else:
                    o = sm.m.NewBoolVar(f"{line.name}_on{b * GRID + q}")
                    sm.m.Add(o == sum(having))
                    onsets[q] = o
        for q in range(GRID):
            p = b * GRID + q
            if b == 0 and q < 4:
                line.x.append(None)
                line.dia.append(None)
                line.onset.append(False)
                line.can_onset.append(False)
                continue
            o = onsets.get(q, False)
            if o is not False:
                held_x = x
                x, d = _new_pitch(sm, line, str(p))
                if o is not True:
                    sm.m.Add(x == held_x).OnlyEnforceIf(o.Not())
            line.x.append(x)
            line.dia.append(d)
            line.onset.append(o)
            line.can_onset.append(o is not False)


_RHYTHM = {1: _species1, 2: _species2, 3: _species3, 4: _species4, 5: _species5}
