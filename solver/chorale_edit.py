"""Editing harmonizations and compositions: the composer's pins, locks and rules on the
chorale model, the minimal-change re-solve, regenerating a region, and conflict explanations
that name a minimal set of wishes.

A project written by ``stretto harmonize`` or ``stretto compose`` keeps its input in
``score.json`` (the melody as data, or the form plan's TOML as data, with the key and the
settings), so :func:`task_of` rebuilds the same :class:`~stretto.solver.chorale.HarmonyProblem`
without any outside file. Positions are chord slots: a pin at bar B beat K applies to the
slot whose chord sounds then (beats are quarter notes from 1, as for species projects).

* :func:`resolve` keeps what the composer fixed (the given melody never changes; pins and
  locks hold) and changes as few other notes as the rules allow: first the number of changed
  slot notes is minimised with the previous score as the hint, then, with no more changes than
  that, the style preferences. The Roman-numeral analysis is written again from the result.
  Where the model is a chain (no canon or recurrence), both stages are one exact pass of
  :mod:`stretto.solver.chain_edit`, confirmed by CP-SAT; otherwise CP-SAT searches, the
  preference stage capped at :data:`PREFERENCE_CAP`.
* :func:`regenerate` finds a different passage in some bars - for one voice, or for every
  voice the solver writes (:class:`~stretto.solver.edit.Region` with no voice) -, all else
  kept.
* :func:`explain` names a minimal set of conflicting *wishes*: the composer's constraints and
  the plan's own - each cadence, each canon, each recurrence or fugue entry, each voice's
  range, the melody note under a pin. It builds a relaxed model once (no cadence, canon or
  recurrence built in, ranges widened by :data:`RELAX` semitones), posts every wish under its
  own guard literal (:meth:`ScoreModel.group`) and shrinks the set by deletion
  (:func:`stretto.solver.edit.minimal_groups`). The four-part rules themselves (chord tones,
  voice leading, the progression grammar) are the background every wish is judged against.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from ortools.sat.python import cp_model

from stretto import __version__
from stretto.edits import Constraint, IntervalRule, Lock, MaxLeapRule, Pin, RangeRule
from stretto.errors import BadInput, StrettoError, Unsatisfiable
from stretto.pitch import Pitch, spell_midi
from stretto.score import Piece

from stretto.solver import chain_edit
from stretto.solver.chorale import ChoraleModel, HarmonyProblem, canon_pairs, rules_hash
from stretto.solver.edit import EditResult, Region, count_changes, is_interval, mark_origins, \
    minimal_groups
from stretto.solver.engine import solver_for
from stretto.solver.harmony import ROOT, Key
from stretto.solver.spec import SolveResult, SolveSettings

KINDS = ("harmonize", "compose")
RELAX = 7  # semitones each way a voice's range widens when the explanation lifts it
TIMING = ("solve_time", "deterministic_time")
PREFERENCE_CAP = 2.0  # deterministic seconds for the preference stage of a CP-SAT re-solve
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
            from stretto.solver.harmonize import problem_in

            melody = melody_from_dict(spec["melody"])
            prob, names, onsets, ends = problem_in(melody, Key.parse(spec["key"]),
                                                   int(spec["beats_per_chord"]))
            return Task(kind, prob, tuple(names), tuple(onsets), tuple(ends),
                        melody.bar_length, 0, melody, spec,
                        first_bar=0 if melody.pickup_shift else 1)
        if kind == "compose":
            from stretto.score import parse_meter
            from stretto.solver.form import build_problem, form_from_dict, slot_names

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


def _with_user_ranges(prob: HarmonyProblem, constraints) -> HarmonyProblem:
    """A composer's range replaces the voice's register (several: their union)."""
    voices = list(prob.voices)
    for v, part in enumerate(prob.voices):
        rs = [c for c in constraints if isinstance(c, RangeRule) and c.voice == v]
        if rs and part.fixed is None:
            voices[v] = replace(part, low=min((c.low for c in rs), key=lambda p: p.midi),
                                high=max((c.high for c in rs), key=lambda p: p.midi))
    return replace(prob, voices=tuple(voices))


# ---------------------------------------------------------------------------- wishes


def _voice(model: ChoraleModel, v: int, c: Constraint) -> None:
    if not 0 <= v < model.V:
        raise BadInput(f"{c.describe()}: there is no voice {v + 1} (voices 1-{model.V})")


def _equals(model: ChoraleModel, v: int, t: int, pitch: Pitch) -> None:
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
        _equals(model, c.voice, task.slot_at(c.bar, c.beat, f"{c.describe()}: "), c.pitch)
    elif isinstance(c, Lock):
        _voice(model, c.voice, c)
        for t, pitch in task.locked(c):
            _equals(model, c.voice, t, pitch)
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
    else:
        raise BadInput(f"{c.describe()}: this rule applies to species projects only; "
                       f"harmonizations and compositions take pins, locks and the rules "
                       f"{', '.join(CHORALE_RULES)}")


def _previous_slots(task: Task, previous: Piece) -> list[list[Pitch | None]]:
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


def _differs(model: ChoraleModel, v: int, t: int, before: Pitch | None):
    x = model.x[v][t]
    if before is None or before not in model.P:
        return True if not isinstance(x, int) else False
    i = model.P.index(before)
    if isinstance(x, int):
        return x != i
    if i not in model.sm.domain_of(x):
        return True
    return model.sm.differ(x, i)


def _free(model: ChoraleModel):
    """(voice, slot) of every note the solver writes."""
    return [(v, t) for v in range(model.V) for t in range(model.T)
            if not isinstance(model.x[v][t], int)]


def _hint(model: ChoraleModel, prev) -> None:
    model.m.ClearHints()
    for v, t in _free(model):
        p = prev[v][t]
        x = model.x[v][t]
        if p in model.P and model.P.index(p) in model.sm.domain_of(x):
            model.m.AddHint(x, model.P.index(p))


def _region_slots(task: Task, region: Region) -> list[int]:
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
    slots = set(_region_slots(task, region))
    if not slots:
        raise BadInput(f"regenerate {region.describe()}: no chord sounds there")
    voices = {region.voice} if region.voice is not None else \
        {v for v in range(model.V) if v != task.given}
    free = _free(model)
    return ({(v, t) for v, t in free if v in voices and t in slots},
            {(v, t) for v, t in free if v == task.given and t in slots})


def _region(model: ChoraleModel, task: Task, prev, region: Region) -> None:
    """Everything outside ``region`` as before; inside it at least one note different."""
    inside, loose = region_cells(model, task, region)
    differences = []
    with model.sm.group("regenerate-keep"):
        for v, t in _free(model):
            if (v, t) in inside:
                differences.append(_differs(model, v, t, prev[v][t]))
            elif prev[v][t] is not None and (v, t) not in loose:
                _equals(model, v, t, prev[v][t])
    with model.sm.group("regenerate-differ"):
        model.sm.implies_any(True, differences) if any(d is not False for d in differences) \
            else model.sm.fail()


# ---------------------------------------------------------------------------- solving


def _model(task: Task, constraints, settings: SolveSettings) -> ChoraleModel:
    prob = _with_user_ranges(task.prob, constraints)
    try:
        model = ChoraleModel(prob, slot_names=task.names)
    except Unsatisfiable:  # a plan that cannot hold at all (a canon out of range)
        raise _unsatisfiable(task, constraints, None, None, settings) from None
    for c in constraints:
        with model.sm.group(f"user:{c.id}"):
            add_wish(model, task, c)
    return model


def resolve(kind: str, spec: dict, constraints: tuple[Constraint, ...], previous: Piece,
            settings: SolveSettings, *, run_id: str | None = None) -> EditResult:
    """Re-solve a harmonization or composition after an edit (see the module text). Raises
    :class:`Unsatisfiable` naming a minimal set of conflicting wishes."""
    return _solve(task_of(kind, spec), constraints, previous, settings, None, run_id)


def regenerate(kind: str, spec: dict, constraints: tuple[Constraint, ...], previous: Piece,
               region: Region, settings: SolveSettings, *,
               run_id: str | None = None) -> EditResult:
    """A different valid passage for ``region``, everything outside it unchanged."""
    return _solve(task_of(kind, spec), constraints, previous, settings, region, run_id)


def _solve(task: Task, constraints, previous: Piece, settings: SolveSettings,
           region: Region | None, run_id: str | None) -> EditResult:
    start = time.perf_counter()
    model = _model(task, constraints, settings)
    prev = _previous_slots(task, previous)
    fail = (task, constraints, previous, region, settings)
    if region is not None:
        _region(model, task, prev, region)
    solver, method = None, "chain"
    if chain_edit.is_chain(model):
        cells = region_cells(model, task, region) if region is not None else None
        rows = chain_edit.solve(model, task, constraints, prev, cells, settings.objective)
        if rows is None:
            raise _unsatisfiable(*fail)
        if rows is not NotImplemented:
            solver = _confirm(model, rows, settings)
    if solver is None:
        solver, method = _search(model, prev, region, settings, fail), "cp-sat"
    # the chain is exact; CP-SAT proves its optimum or stops at the preference cap
    optimal = method == "chain" or solver.response_proto.status == cp_model.OPTIMAL
    status = "optimal" if optimal and settings.objective else "feasible"
    stats = {"seed": settings.seed, "time_limit": settings.time_limit,
             "workers": settings.workers, "objective_enabled": settings.objective,
             "stretto": __version__, "rules_hash": rules_hash(),
             "voicings": model.rows_count, "status": status, "method": method,
             "solve_time": round(time.perf_counter() - start, 4),
             "key": str(task.prob.key)}
    if method == "cp-sat":
        stats["preference_time_cap"] = PREFERENCE_CAP
    sol = model.read_solution(stats, settings, solver=solver)
    piece = mark_origins(score_of(task, sol, stats, previous), constraints, run_id)
    changed, total = count_changes(previous, piece, -1 if task.given is None else task.given)
    stats["notes_changed"] = changed
    result = SolveResult(status=status, piece=piece, objective=stats.get("objective"),
                         bound=None, wall_time=stats["solve_time"], stats=stats)
    return EditResult(result=result, changed=changed, total=total)


def _confirm(model: ChoraleModel, rows: list[int], settings: SolveSettings):
    """CP-SAT on a copy of the model (every wish posted) with the chain's chords and notes
    fixed: the solver whose values are read, or None when the model rejects them (then CP-SAT
    searches; the chain and the model are meant to agree, so this is a safety net)."""
    copy = model.m.Clone()
    for t, r in enumerate(rows):
        row = model.slot_rows[t][r]
        copy.Add(copy.GetIntVarFromProtoIndex(model.c[t].Index()) == row[0])
        for v in range(model.V):
            x = model.x[v][t]
            if not isinstance(x, int):
                copy.Add(copy.GetIntVarFromProtoIndex(x.Index()) == row[1 + v])
    if settings.objective and model.sm.penalties:
        copy.Minimize(sum(w * e for _, w, e in model.sm.penalties))
    solver = solver_for(settings, light=True)
    solver.parameters.cp_model_probing_level = 0
    if solver.Solve(copy) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return solver
    return None


def _search(model: ChoraleModel, prev, region: Region | None, settings: SolveSettings,
            fail) -> cp_model.CpSolver:
    """CP-SAT in two stages where the chain does not apply (canons, recurrences): the fewest
    changed notes (light settings, the previous score as the hint), then the preferences with
    no more changes than that, for at most PREFERENCE_CAP deterministic seconds (the first
    stage's answer is the hint, so the cap only costs polish; the run records it)."""
    used = 0.0
    if region is None:
        changes = [d for v, t in _free(model) if (d := _differs(model, v, t, prev[v][t]))
                   is not False]
        changes = [1 if d is True else d for d in changes]
        model.m.Minimize(sum(changes))
        _hint(model, prev)
        first = solver_for(settings, light=True)
        code = first.Solve(model.m)
        if code == cp_model.INFEASIBLE:
            raise _unsatisfiable(*fail)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise _no_time(settings)
        used = first.response_proto.deterministic_time
        model.m.Add(sum(changes) <= round(first.ObjectiveValue()))
        decisions = [(x, first.Value(x)) for v, t in _free(model)
                     for x in (model.x[v][t],)] + [(c, first.Value(c)) for c in model.c]
        model.m.ClearHints()
        for var, value in decisions:
            model.m.AddHint(var, value)
    else:
        _hint(model, prev)
    model.m.ClearObjective()
    if settings.objective and model.sm.penalties:
        model.m.Minimize(sum(w * e for _, w, e in model.sm.penalties))
    budget = settings.time_limit
    left = max(budget - used, budget / 4)
    second = solver_for(replace(settings, time_limit=min(left, PREFERENCE_CAP)))
    code = second.Solve(model.m)
    if code == cp_model.INFEASIBLE:
        raise _unsatisfiable(*fail)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise _no_time(settings)
    return second


def score_of(task: Task, sol, stats: dict, previous: Piece | None = None) -> Piece:
    """The score of a solution with its Roman-numeral analysis, as harmonize and compose
    write it (the melody voice of ``previous`` kept as it is)."""
    recorded = {k: v for k, v in stats.items() if k not in TIMING}
    if task.kind == "harmonize":
        from stretto.solver.harmonize import build_piece

        return build_piece(task.data, task.prob.key, list(task.onsets), list(task.ends), sol,
                           recorded, list(task.names),
                           ornament=bool(task.spec.get("ornament")),
                           title=previous.title if previous is not None else None,
                           melody_voice=previous.voices[0] if previous is not None else None)
    from stretto.solver.form import build_problem, form_piece

    return form_piece(task.data, build_problem(task.data), sol, recorded)


def _no_time(settings: SolveSettings) -> StrettoError:
    return StrettoError(f"no score found within the time limit ({settings.time_limit:g} s): "
                        "raise --time-limit")


# ---------------------------------------------------------------------------- explanations


def _relaxed(task: Task, constraints) -> HarmonyProblem:
    """The problem with no cadence, canon, recurrence or given entry built in, and every
    solver-written voice's range widened by RELAX semitones: the wishes are posted on it."""
    prob = _with_user_ranges(task.prob, constraints)
    span = {v: [p.low.midi - RELAX, p.high.midi + RELAX] for v, p in enumerate(prob.voices)}
    hull = (min(a for a, _ in span.values()), max(b for _, b in span.values()))
    # a voice that copies another reaches as far as the other's range, transposed: so lifting
    # a range can show that a canon or a recurrence, not the range, is what cannot fit
    copies = [(c.leader, c.follower, c.semitones if c.semitones is not None
               else round(c.steps * 12 / 7)) for c in prob.canons]
    copies += [(a[0], b[0], semis if semis is not None else round(steps * 12 / 7))
               for a, b, steps, semis in prob.equal]
    base = {v: tuple(r) for v, r in span.items()}
    for a, b, semis in copies:
        for src, dst, shift in ((a, b, semis), (b, a, -semis)):
            span[dst][0] = max(hull[0], min(span[dst][0], base[src][0] + shift))
            span[dst][1] = min(hull[1], max(span[dst][1], base[src][1] + shift))
    voices = tuple(v if v.fixed is not None else replace(
        v, low=spell_midi(span[i][0]), high=spell_midi(span[i][1]))
        for i, v in enumerate(prob.voices))
    return replace(prob, voices=voices, cadences={}, cadence_keys={}, canons=(),
                   canon_spans=(), equal=(), pins=())


def _plan_wishes(task: Task, constraints) -> list[tuple[str, Any]]:
    """(words, poster) for every wish of the plan itself."""
    prob = task.prob
    out: list[tuple[str, Any]] = []
    user_range = {c.voice for c in constraints if isinstance(c, RangeRule)}
    for v, part in enumerate(prob.voices):
        if part.fixed is None and v not in user_range:
            out.append((f"the range of {part.name}: {part.low.name}-{part.high.name}",
                        ("range", v, part.low.midi, part.high.midi)))
    for t, kinds in sorted(prob.cadences.items()):
        if t == 0 or not prob.links[t - 1]:
            continue
        ck = prob.cadence_keys.get(t)
        kind = "/".join(kinds) if len(kinds) < 4 else "a"
        where = f"bar {task.bar_of(t)}"
        if task.kind == "harmonize":
            words = f"a cadence at the phrase end {task.names[t]}"
        elif task.kind == "compose" and task.bar_of(t) not in task.data.cadences:
            words = f"the final cadence at {where}"
        else:
            words = f"the {kind} cadence at {where}" + (f" in {ck}" if ck else "")
        out.append((words, ("cadence", t, kinds, ck)))
    if task.kind == "compose":
        from stretto.solver.form import recurrence_pairs

        plan = task.spec["form"].get("canon", [])
        for ci, cn in enumerate(prob.canons):
            first, end = prob.canon_spans[ci] if ci < len(prob.canon_spans) else (0, prob.slots)
            text = plan[ci] if ci < len(plan) else {}
            words = (f"the canon {prob.voices[cn.leader].name} -> "
                     f"{prob.voices[cn.follower].name} at {text.get('interval', 'P8')}, "
                     f"{text.get('delay', '1 bar')} later")
            out.append((words, ("copy", [(a, b, cn.steps, cn.semitones)
                                         for a, b in canon_pairs(cn, first, end, prob.slots)])))
        for words, pairs in recurrence_pairs(task.data):
            out.append((words, ("copy", pairs)))
        entries = task.data.fugue.get("entries", []) if task.data.fugue else []
        for e in entries:
            if "notes" not in e:
                continue
            v = [p.name for p in prob.voices].index(e["voice"])
            notes = [(v, e["slot"] + j, Pitch.parse(p)) for j, p in enumerate(e["notes"])]
            out.append((f"the fugue's {e['kind']} in {e['voice']} at {task.names[e['slot']]}: "
                        f"{' '.join(e['notes'])}", ("notes", notes)))
    return out


def _post(model: ChoraleModel, wish) -> None:
    sm, m = model.sm, model.m
    what = wish[0]
    if what == "range":
        _, v, low, high = wish
        for mid in model.midi[v]:
            if not isinstance(mid, int):
                sm.enforce(m.AddLinearConstraint(mid, low, high))
    elif what == "cadence":
        _, t, kinds, ck = wish
        rows = model.cadence_rows(t, kinds, ck)
        if not rows:
            sm.fail()
            return
        dom, home = m.NewBoolVar(f"xdom{t}"), m.NewBoolVar(f"xhome{t}")
        sm.enforce(m.AddAllowedAssignments([model.c[t - 1], model.c[t], home, dom], rows))
        sm.enforce(m.Add(model.brole[t] == ROOT))
        sm.enforce(m.Add(model.brole[t - 1] == ROOT), dom)
    elif what == "copy":
        for (va, ta), (vb, tb), steps, semis in wish[1]:
            if ta >= model.T or tb >= model.T:
                continue
            ct = model.copy_constraint(model.x[va][ta], model.x[vb][tb], steps, semis)
            if ct is None:
                sm.fail()
                return
            if ct is not True:
                sm.enforce(ct)
    elif what == "notes":
        for v, t, p in wish[1]:
            _equals(model, v, t, p)


def explain(task: Task, constraints: tuple[Constraint, ...], previous: Piece | None,
            region: Region | None, settings: SolveSettings) -> list[str] | None:
    """A minimal set of wishes that cannot all hold, in words (None when they can, or no
    proof was found in the time limit). See the module text."""
    # A pin on the given melody that differs from it: the two wishes need no solver.
    for c in constraints:
        if isinstance(c, Pin) and c.voice == task.given:
            t = task.slot_at(c.bar, c.beat)
            note = task.prob.voices[c.voice].fixed[t]
            if note != c.pitch:
                return [c.describe(), f"the melody note at {task.names[t]} is {note.name}"]
    model = ChoraleModel(_relaxed(task, constraints), slot_names=task.names)
    model.sm.guarded = True
    words: dict[str, str] = {}
    for k, (text, wish) in enumerate(_plan_wishes(task, constraints)):
        words[f"plan:{k}"] = text
        with model.sm.group(f"plan:{k}"):
            _post(model, wish)
    for c in constraints:
        words[f"user:{c.id}"] = c.describe()
        with model.sm.group(f"user:{c.id}"):
            add_wish(model, task, c)
    if region is not None:
        assert previous is not None
        _region(model, task, _previous_slots(task, previous), region)
        words["regenerate-keep"] = f"regenerate {region.describe()}: everything else stays " \
                                   "as it is"
        words["regenerate-differ"] = f"regenerate {region.describe()}: at least one note " \
                                     "changes"
    # Ranges first, then the plan, then the composer's own: name rather the composer's.
    core = minimal_groups(model.sm, settings, lambda n: (
        not n.startswith("plan:") or not words[n].startswith("the range"),
        n.startswith(("user:", "regenerate"))))
    if core is None:
        return None
    return sorted((words[n] for n in core), key=lambda w: (not w.startswith("your"), w))


def _unsatisfiable(task, constraints, previous, region, settings) -> Unsatisfiable:
    words = explain(task, constraints, previous, region, settings)
    what = "harmonization of the melody" if task.kind == "harmonize" else "score"
    if not words:
        return Unsatisfiable("the wishes cannot all hold (no smaller explanation was found "
                             "in the time limit): remove your latest pin or rule")
    return Unsatisfiable(f"No {what} satisfies all of: " + "; ".join(words) +
                         " (under the four-part rules)", tuple(words))


def explain_plan(kind: str, spec: dict, settings: SolveSettings) -> Unsatisfiable:
    """The conflict of a plan that cannot be composed at all, as a minimal set of wishes."""
    return _unsatisfiable(task_of(kind, spec), (), None, None, settings)


def explain_melody(melody, key: Key | None, beats_per_chord: int,
                   settings: SolveSettings) -> Unsatisfiable:
    """The conflict of a melody that cannot be harmonized (in ``key``, or the likeliest key
    of the melody, the first that ``harmonize`` tries), as a minimal set of wishes: the
    cadences at its phrase ends, the lower voices' ranges; with the melody's register named
    where it leaves the soprano's usual range."""
    from stretto.io.melody import melody_to_dict
    from stretto.solver.chorale import SATB_RANGES
    from stretto.solver.harmonize import melody_keys

    key = key or melody_keys(melody)[0]
    spec = {"melody": melody_to_dict(melody), "key": str(key),
            "beats_per_chord": beats_per_chord, "ornament": False}
    words = list(explain_plan("harmonize", spec, settings).conflicts)
    if not words:
        return Unsatisfiable(f"no four-part harmonization in {key} obeys every hard rule: "
                             "try --key, or --beats-per-chord 2")
    low, high = (Pitch.parse(p) for p in SATB_RANGES["Soprano"])
    notes = [n.pitch for n in melody.notes]
    lowest, highest = min(notes, key=lambda p: p.midi), max(notes, key=lambda p: p.midi)
    register = ""
    if lowest.midi < low.midi or highest.midi > high.midi:
        far = lowest if lowest.midi < low.midi else highest
        register = (f"; the melody reaches {far.name}, outside the soprano's usual "
                    f"{low.name}-{high.name}: transpose it")
    return Unsatisfiable(f"No harmonization of the melody in {key} satisfies all of: "
                         + "; ".join(words) + " (under the four-part rules)" + register +
                         "; or try --key, or --beats-per-chord 2", tuple(words))


__all__ = ["CHORALE_RULES", "KINDS", "RELAX", "Task", "add_wish", "explain", "explain_melody",
           "explain_plan",
           "regenerate", "resolve", "score_of", "task_of"]
