"""A harmonization's or composition's problem rebuilt from its project, and the composer's
wishes on it: :func:`task_of` rebuilds the :class:`~stretto.solver.tonal.chorale.HarmonyProblem`
from score.json's input (the melody, or the form plan, with the key and settings), so no
outside file is needed; :func:`add_wish` posts a pin, lock or rule on the chorale model;
:func:`keep_region` keeps everything outside a regenerated region. Positions are chord slots:
a pin at bar B beat K applies to the slot whose chord sounds then."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from stretto.edits import Constraint, IntervalRule, Lock, MaxLeapRule, Pin, RangeRule, Waiver
from stretto.errors import BadInput
from stretto.pitch import Pitch
from stretto.score import Piece

from stretto.solver.tonal.chorale import ChoraleModel, HarmonyProblem
from stretto.solver.cpsat.region import Region
from stretto.pitch import is_interval
from stretto.harmony import Key

KINDS = ("harmonize", "compose")
# The rules a composer may add to a harmonization or composition (`stretto constrain`).
CHORALE_RULES = ("range", "max-leap", "require-interval", "forbid-interval")


@dataclass(frozen=True)
class Task:
    """A project's problem rebuilt from its saved input: ``given`` is the melody voice of a
    harmonization (None in a composition); ``onsets``/``ends`` the slots' times in quarters."""

    kind: str
    prob: HarmonyProblem
    names: tuple[str, ...]
    onsets: tuple[Fraction, ...]
    ends: tuple[Fraction, ...]
    bar_length: Fraction
    given: int | None
    data: Any  # the Melody, or the FormSpec
    spec: dict
    first_bar: int = 1  # 0 when the melody starts with a pickup (numbered as in the source)

    def slot_at(self, bar: int, beat: Fraction, what: str = "") -> int:
        """The slot sounding at ``bar``/``beat``. BadInput outside the piece or in a rest."""
        t = (bar - self.first_bar) * self.bar_length + (beat - 1)
        if bar < self.first_bar or beat < 1 or beat - 1 >= self.bar_length or \
                t >= self.ends[-1]:
            raise BadInput(f"{what}bar {bar} beat {beat} is outside the piece")
        for s, (a, e) in enumerate(zip(self.onsets, self.ends)):
            if a <= t < e:
                return s
        raise BadInput(f"{what}the voices rest at bar {bar} beat {beat}")

    def bar_of(self, t: int) -> int:
        """The bar (as the source numbers it) in which slot ``t`` begins."""
        return int(self.onsets[t] // self.bar_length) + self.first_bar

    def locked(self, c: Lock) -> list[tuple[int, Pitch]]:
        """(slot, pitch) for every slot a lock holds: the locked note sounding at the slot."""
        notes = [(Fraction(on), Fraction(on) + Fraction(d), Pitch.parse(p))
                 for on, d, p in c.notes]
        out = []
        for t, a in enumerate(self.onsets):
            if c.first <= self.bar_of(t) <= c.last:
                pitch = next((p for on, end, p in notes if on <= a < end), None)
                if pitch is not None:
                    out.append((t, pitch))
        return out


def task_of(kind: str, spec: dict) -> Task:
    """Rebuild the problem of a harmonize or compose project from its ``spec``."""
    try:
        if kind == "harmonize":
            from stretto.io.melody import melody_from_dict
            from stretto.solver.tonal.harmonize import problem_in

            melody = melody_from_dict(spec["melody"])
            prob, names, onsets, ends = problem_in(melody, Key.parse(spec["key"]),
                                                   int(spec["beats_per_chord"]),
                                                   str(spec.get("style", "chorale")))
            return Task(kind, prob, tuple(names), tuple(onsets), tuple(ends),
                        melody.bar_length, 0, melody, spec,
                        first_bar=0 if melody.pickup_shift else 1)
        if kind == "compose":
            from stretto.score import parse_meter
            from stretto.solver.tonal.form import build_problem, form_from_dict, slot_names

            form = form_from_dict(spec["form"], str(spec.get("name", "form")))
            prob = build_problem(form)
            bar = Fraction(4 * form.beats_per_bar, parse_meter(form.meter)[1])
            slot = bar / form.slots_per_bar
            onsets = tuple(t * slot for t in range(form.slots))
            ends = onsets[1:] + (onsets[-1] + bar,)
            return Task(kind, prob, tuple(slot_names(form)), onsets, ends, bar, None, form,
                        spec)
    except KeyError as exc:
        raise BadInput(f"score.json: the {kind} input lacks {exc}") from None
    raise BadInput(f"score.json: unknown project kind {kind!r}")


def with_user_ranges(prob: HarmonyProblem, constraints) -> HarmonyProblem:
    """A composer's range replaces the voice's register (several: their union)."""
    voices = list(prob.voices)
    for v, part in enumerate(prob.voices):
        rs = [c for c in constraints if isinstance(c, RangeRule) and c.voice == v]
        if rs and part.fixed is None:
            voices[v] = replace(part, low=min((c.low for c in rs), key=lambda p: p.midi),
                                high=max((c.high for c in rs), key=lambda p: p.midi))
    return replace(prob, voices=tuple(voices))


# ---------------------------------------------------------------------------- wishes


def slot_waivers(task: Task, constraints) -> frozenset:
    """The composer's waivers as the chorale model reads them: by the chord slot moved into
    (each slot in the waiver's bar)."""
    from stretto.solver.cpsat.waivers import waived_places

    return waived_places(constraints, lambda bar: [t for t in range(len(task.onsets))
                                                   if task.bar_of(t) == bar])


def _voice(model: ChoraleModel, v: int, c: Constraint) -> None:
    if not 0 <= v < model.V:
        raise BadInput(f"{c.describe()}: there is no voice {v + 1} (voices 1-{model.V})")


def equals(model: ChoraleModel, v: int, t: int, pitch: Pitch) -> None:
    """Voice ``v`` sounds ``pitch`` at slot ``t`` (under the current guard)."""
    sm, x = model.sm, model.x[v][t]
    if isinstance(x, int):
        if model.P[x] != pitch:
            sm.fail()
        return
    if pitch not in model.P or model.P.index(pitch) not in sm.domain_of(x):
        sm.fail()  # a pitch the voice cannot take there: only the explanation lifts it
        return
    sm.enforce(model.m.Add(x == model.P.index(pitch)))


def add_wish(model: ChoraleModel, task: Task, c: Constraint) -> None:
    """The CP-SAT form of one composer's constraint on the chorale model."""
    sm, m = model.sm, model.m
    if isinstance(c, Pin):
        _voice(model, c.voice, c)
        equals(model, c.voice, task.slot_at(c.bar, c.beat, f"{c.describe()}: "), c.pitch)
    elif isinstance(c, Lock):
        _voice(model, c.voice, c)
        for t, pitch in task.locked(c):
            equals(model, c.voice, t, pitch)
    elif isinstance(c, RangeRule):
        _voice(model, c.voice, c)
        for mid in model.midi[c.voice]:
            if isinstance(mid, int):
                if not c.low.midi <= mid <= c.high.midi:
                    sm.fail()
                continue
            sm.enforce(m.AddLinearConstraint(mid, c.low.midi, c.high.midi))
    elif isinstance(c, MaxLeapRule):
        _voice(model, c.voice, c)
        for (v, _), dd in model.dds.items():
            if v != c.voice:
                continue
            if isinstance(dd, int):
                if abs(dd) > c.number - 1:
                    sm.fail()
                continue
            sm.enforce(m.AddLinearConstraint(dd, -(c.number - 1), c.number - 1))
    elif isinstance(c, IntervalRule):
        _voice(model, c.upper, c)
        _voice(model, c.lower, c)
        t = task.slot_at(c.bar, c.beat, f"{c.describe()}: ")
        lit = sm.feature(f"iv{c.number}{c.quality}", model.x[c.upper][t], model.x[c.lower][t],
                         lambda a, b: is_interval(a, b, c.number, c.quality))
        lit = lit if c.require else sm.neg(lit)
        if lit is False:
            sm.fail()
        elif lit is not True:
            sm.require(lit, "edit")
    elif isinstance(c, Waiver):
        pass  # the model read it when it was built (waivers=, solver/cpsat/waivers.py)
    else:
        raise BadInput(f"{c.describe()}: this rule applies to species projects only; "
                       f"harmonizations and compositions take pins, locks and the rules "
                       f"{', '.join(CHORALE_RULES)}")


def previous_slots(task: Task, previous: Piece) -> list[list[Pitch | None]]:
    """The previous score's pitch per voice per slot (the note sounding at the slot's onset;
    for the given melody, the chord tone the analysis read there: an appoggiatura's
    resolution)."""
    out = []
    for voice in previous.voices:
        notes = voice.sounding()
        out.append([next((n.pitch for n in notes if n.onset <= a < n.end), None)
                    for a in task.onsets])
    if task.given is not None:
        slot = {a: t for t, a in enumerate(task.onsets)}
        for e in previous.info.get("harmony", {}).get("analysis", []):
            t = slot.get(Fraction(e.get("onset", "-1")))
            if t is not None and "melody_tone" in e:
                out[task.given][t] = Pitch.parse(e["melody_tone"])
    return out


def differs(model: ChoraleModel, v: int, t: int, before: Pitch | None):
    x = model.x[v][t]
    if before is None or before not in model.P:
        return True if not isinstance(x, int) else False
    i = model.P.index(before)
    if isinstance(x, int):
        return x != i
    if i not in model.sm.domain_of(x):
        return True
    return model.sm.differ(x, i)


def free_cells(model: ChoraleModel):
    """(voice, slot) of every note the solver writes."""
    return [(v, t) for v in range(model.V) for t in range(model.T)
            if not isinstance(model.x[v][t], int)]


def region_slots(task: Task, region: Region) -> list[int]:
    return [t for t in range(len(task.onsets)) if region.first <= task.bar_of(t) <= region.last]


def region_cells(model: ChoraleModel, task: Task, region: Region):
    """(inside, loose): the (voice, slot) cells regenerate writes anew - in the region's bars,
    its voice, or with no voice every voice the solver writes (never the given melody, never a
    note the model fixes) -, and the cells that are free without counting as a change: the
    given melody's reading (the note on the beat or its appoggiatura's resolution) in the
    region's bars, where the chords change. Every other cell keeps its previous note.
    BadInput when the region is the melody or holds no chord."""
    if region.voice is not None and (not 0 <= region.voice < model.V or
                                     region.voice == task.given):
        raise BadInput(f"regenerate {region.describe()}: that is the given melody; regenerate "
                       "a voice the solver writes")
    slots = set(region_slots(task, region))
    if not slots:
        raise BadInput(f"regenerate {region.describe()}: no chord sounds there")
    voices = {region.voice} if region.voice is not None else \
        {v for v in range(model.V) if v != task.given}
    free = free_cells(model)
    return ({(v, t) for v, t in free if v in voices and t in slots},
            {(v, t) for v, t in free if v == task.given and t in slots})


def keep_region(model: ChoraleModel, task: Task, prev, region: Region) -> None:
    """Everything outside ``region`` as before; inside it at least one note different."""
    inside, loose = region_cells(model, task, region)
    differences = []
    with model.sm.group("regenerate-keep"):
        for v, t in free_cells(model):
            if (v, t) in inside:
                differences.append(differs(model, v, t, prev[v][t]))
            elif prev[v][t] is not None and (v, t) not in loose:
                equals(model, v, t, prev[v][t])
    with model.sm.group("regenerate-differ"):
        model.sm.implies_any(True, differences) if any(d is not False for d in differences) \
            else model.sm.fail()


__all__ = ["CHORALE_RULES", "KINDS", "Task", "add_wish", "differs", "equals", "free_cells",
           "keep_region", "previous_slots", "region_cells", "region_slots", "slot_waivers",
           "task_of", "with_user_ranges"]
