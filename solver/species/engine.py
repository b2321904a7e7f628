"""Build the species model from the rulebook, solve it with CP-SAT, and read back a score.

The rule list below reads like a textbook chapter: melodic rules for each added voice, rules
between voices, the cadence, then the preferences. Reproducibility: CP-SAT runs with a fixed
``random_seed``, the time limit is a *deterministic* time limit (work units, not seconds; a
wall-clock limit of ten times as long is only a safety net, recorded if it fires), and several
workers use interleaved search, which is deterministic.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace
from fractions import Fraction

from ortools.sat.python import cp_model

from stretto import __version__
from stretto.rulebook import RULES
from stretto.score import Piece, make_voice

from stretto.solver.species import bounds
from stretto.solver.species import cadence, melodic, style, vertical
from stretto.solver.species.lines import build_lines, build_universe, default_registers
from stretto.solver.cpsat.model import ScoreModel
from stretto.solver.cpsat.solving import SCALE, objective_of, solver_for
from stretto.solver.cpsat.settings import SolveResult, SolveSettings
from stretto.solver.species.spec import SpeciesSpec

TIMING_KEYS = ("solve_time", "cp_sat_time", "deterministic_time", "wall_clock_limit_hit",
               "branches")
SINGERS = ("Soprano", "Alto", "Tenor", "Bass")


def voice_names(spec: SpeciesSpec, registers) -> list[str]:
    """Singers' names top down (Soprano, Alto, Tenor, Bass), starting from the name that fits
    the top voice's register; the cantus is marked by its role, not its name."""
    centres = []
    reg = iter(registers)
    cantus_midi = [p.midi for p in spec.cantus]
    for v in range(spec.voices):
        if v == spec.cantus_voice:
            centres.append((min(cantus_midi) + max(cantus_midi)) / 2)
        else:
            low, high = next(reg)
            centres.append((low.midi + high.midi) / 2)
    top = centres[0]
    start = 0 if top >= 67 else 1 if top >= 60 else 2 if top >= 53 else 3
    start = min(start, len(SINGERS) - spec.voices)
    return list(SINGERS[start:start + spec.voices])


def rules_hash(spec: SpeciesSpec) -> str:
    """A short hash of the rule set and weights used, recorded with every solve."""
    text = ";".join(f"{r.name}:{r.kind}:{spec.weight(r.name) if r.kind == 'soft' else ''}"
                    for r in RULES)
    text += f";range={spec.max_range};crossing={spec.allow_crossing}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def build_model(spec: SpeciesSpec, settings: SolveSettings) -> ScoreModel:
    """The complete CP-SAT model for ``spec``: the hard rules, and the preferences with the
    objective when ``settings.objective``."""
    sm = build_hard(spec)
    if settings.objective:
        add_preferences(sm, spec)
    return sm


def build_hard(spec: SpeciesSpec, *, guarded: bool = False,
               extra: dict[int, set] | None = None,
               waivers: frozenset = frozenset()) -> ScoreModel:
    """Lines and hard rules only: every solution obeys the rules of counterpoint.

    ``guarded``: each rule's requirements hold only under its literal in ``sm.groups`` (for
    conflict explanations). ``extra``: pitches that voice ``v`` must be able to take beyond its
    register (a composer's pins and locks); the ``range`` and ``diatonic`` rules still decide
    whether they are allowed."""
    registers = list(spec.ranges) if spec.ranges else default_registers(spec)
    sm = ScoreModel(build_universe(spec, registers, extra), spec.mode, bars=len(spec.cantus))
    sm.guarded = guarded
    sm.waivers = waivers  # the composer's waived places (solver/cpsat/waivers.py)
    build_lines(sm, spec, registers, voice_names(spec, registers), extra)
    cantus = sm.lines[spec.cantus_voice]
    added = [line for line in sm.lines if not line.is_cantus]
    crossing = spec.allow_crossing

    # Each added voice as a melody.
    for line in added:
        with sm.group("diatonic"):
            rule_register(sm, line, spec, "diatonic")
        with sm.group("range"):
            rule_register(sm, line, spec, "range")
        with sm.group("melodic-interval"):
            melodic.rule_melodic_interval(sm, line)
        with sm.group("leap-span"):
            melodic.rule_leap_span(sm, line)
        with sm.group("range"):
            sm.spans[line.index] = melodic.rule_range(sm, line, spec.max_range)
        if line.species != 1:
            with sm.group("repetition"):
                melodic.rule_repetition(sm, line)
        if line.species == 5:
            with sm.group("rhythm"):
                melodic.rule_eighth_steps(sm, line)
        with sm.group("false-relation"):
            cadence.rule_no_false_relation(sm, line)
    # The voices together.
    with sm.group("consonance"):
        vertical.rule_consonance(sm, crossing)
    with sm.group("parallel-perfect"):
        vertical.rule_parallel_perfect(sm)
    with sm.group("downbeat-parallels"):
        vertical.rule_downbeat_parallels(sm)
    with sm.group("direct-perfect"):
        vertical.rule_direct_perfect(sm)
    if not crossing:
        with sm.group("crossing"):
            vertical.rule_no_crossing(sm)
        with sm.group("overlap"):
            vertical.rule_no_overlap(sm)
    with sm.group("unison"):
        vertical.rule_unison(sm)
    with sm.group("first-interval"):
        vertical.rule_first_interval(sm, cantus)
    # The close.
    with sm.group("cadence"):
        cadence.rule_cadence(sm, cantus)
    with sm.group("ficta"):
        cadence.rule_ficta(sm)
    return sm


def rule_register(sm: ScoreModel, line, spec: SpeciesSpec, which: str) -> None:
    """diatonic / range for pitches a composer's pin or lock brought into a line's domain: a
    pitch outside the mode and its ficta breaks ``diatonic``, one outside the voice's register
    breaks ``range``. (Without pins the domain is the register: nothing to add.)"""
    allowed = set(line.register)
    for i in line.domain:
        pitch = sm.u.pitches[i]
        if i in allowed:
            continue
        in_mode = spec.mode.is_allowed(pitch) or spec.mode.is_raised_third(pitch)
        if (which == "diatonic") != in_mode:  # a non-modal pitch is diatonic's business only
            for x in {line.x[p] for p in line.onset_positions() if line.x[p] is not None}:
                sm.enforce(sm.m.Add(x != i))


def add_preferences(sm: ScoreModel, spec: SpeciesSpec) -> None:
    """The soft rules, each a weighted term of the one objective (minimised)."""
    w = spec.weight
    cantus = sm.lines[spec.cantus_voice]
    for line in sm.lines:
        if line.is_cantus:
            continue
        # each rule's helper literals are named after it ("leap-recovery Alto: and")
        with sm.naming(f"steps-over-leaps {line.name}"):
            melodic.soft_steps_over_leaps(sm, line, w("steps-over-leaps"))
        with sm.naming(f"leap-recovery {line.name}"):
            melodic.soft_leap_recovery(sm, line, w("leap-recovery"))
        with sm.naming(f"single-climax {line.name}"):
            melodic.soft_climax(sm, line, sm.spans[line.index][1], cantus, w("single-climax"),
                                w("climax-apart"))
        with sm.naming(f"outlined-tritone {line.name}"):
            melodic.soft_outlined_tritone(sm, line, w("outlined-tritone"))
        with sm.naming(f"ficta-sparingly {line.name}"):
            cadence.soft_ficta_sparingly(sm, line, w("ficta-sparingly"))
        if line.species == 1:
            with sm.naming(f"repeated-notes {line.name}"):
                melodic.soft_repeated_notes(sm, line, w("repeated-notes"))
    for name, rule in (("imperfect-preferred", style.soft_imperfect_preferred),
                       ("contrary-motion", style.soft_contrary_motion),
                       ("parallel-imperfect-run", style.soft_parallel_imperfect_run),
                       ("complete-harmony", style.soft_complete_harmony),
                       ("broken-syncopation", style.soft_broken_syncopation),
                       ("florid-rhythm", style.soft_florid_rhythm)):
        with sm.naming(name):
            rule(sm, w(name))
    sm.m.Minimize(objective_of(sm))


def preference_solver(spec: SpeciesSpec, settings: SolveSettings) -> cp_model.CpSolver:
    """The solver that optimises the preferences: light for first species (small models,
    where presolve is most of the work), core-based search for the florid species."""
    first = set(spec.species) == {1}
    return solver_for(settings, light=first, optimise=not first)


def _plain_rhythm_first(sm: ScoreModel, solver: cp_model.CpSolver) -> None:
    """Fifth species: search half-note bars first, so the first score found is a calm one
    (an arbitrary florid first score is hard for the optimiser to repair)."""
    halves = [pats[(0, 4)] for line in sm.lines for _, pats in sorted(line.patterns.items())]
    if not halves:
        return
    sm.m.AddDecisionStrategy(halves, cp_model.CHOOSE_FIRST, cp_model.SELECT_MAX_VALUE)
    solver.parameters.search_branching = cp_model.FIXED_SEARCH


def _complete(sm: ScoreModel, decisions: list[tuple[int, int]], settings: SolveSettings,
              *, light: bool = False) -> tuple[list[int], float, cp_model.CpSolver] | None:
    """Every variable's value, the objective and the solver of the score the ``decisions``
    (variable index, value) fix, by solving a copy with them fixed (pure propagation,
    milliseconds); None when that score breaks a hard rule."""
    copy = sm.m.Clone()
    for index, value in decisions:
        copy.Add(copy.GetIntVarFromProtoIndex(index) == value)
    filler = solver_for(replace(settings, time_limit=max(1.0, settings.time_limit / 4)),
                        light=light)
    if filler.Solve(copy) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return list(filler.response_proto.solution), filler.ObjectiveValue(), filler


def _hint_all(model: cp_model.CpModel, values: list[int]) -> None:
    """Hint every variable of ``model`` (``values`` by variable index), written into the proto
    at once: thousands of AddHint calls cost a tenth of a second on florid models."""
    model.ClearHints()
    hint = model.Proto().solution_hint
    hint.vars.extend(range(len(values)))
    hint.values.extend(values)


def _hint_everything(sm: ScoreModel, decisions: list[tuple[int, int]],
                     settings: SolveSettings) -> None:
    """Hint every variable, not only the notes: the preference variables are filled in by
    :func:`_complete`. CP-SAT starts from a complete feasible hint as its first solution, so
    the optimum found is never worse than the first score."""
    done = _complete(sm, decisions, settings)
    if done is None:
        for index, value in decisions:  # cannot happen unless a preference is mis-modelled
            sm.m.AddHint(sm.m.GetIntVarFromProtoIndex(index), value)
        return
    _hint_all(sm.m, done[0])


def _solve_on_chain(spec: SpeciesSpec, settings: SolveSettings) -> "Outcome | None":
    """First species, and the other species of :data:`bounds.TWO_VOICE` in two voices, with
    the objective, in one model.
    The chain relaxation of
    :mod:`stretto.solver.species.bounds` gives a lower bound ``L`` on the objective and the cost
    through every chord; its cheapest path, completed by CP-SAT, a first score of cost ``U``
    (when that path obeys every rule). CP-SAT then solves the model restricted to scores
    costing at most ``T`` (the chords and moves that cannot take part removed), for
    ``T = L, L+1, L+3, L+7, ...`` up to ``U``: the first ``T`` with a solution gives the
    optimum, proved, since every score costing ``T`` or less is in the restricted model and
    "no solution" at ``T`` proves that none costs ``T`` or less. The answer is one CP-SAT
    would give without the restriction, only found and proved sooner (four voices on a
    14-note cantus: from 14 s to the limit to half a second; second, third and fourth species
    in two voices: from up to 15 s to under half a second). Out of time, the best score
    found, at worst the first one. None when the chain is too large for the other species
    (they then solve in two phases)."""
    sm = build_model(spec, settings)
    chain = bounds.build_chain(sm, spec)
    paths = bounds.shortest_paths(chain) if chain is not None else None
    if paths is None:  # too many chords, or no chain at all: CP-SAT alone decides
        if set(spec.species) != {1}:
            return None  # the florid species' two phases (a first score, then preferences)
        one = preference_solver(spec, settings)
        return Outcome(one.Solve(sm.m), one, sm, True)
    lower = round(SCALE * paths.lower)
    total = sm.m.NewIntVar(lower, SCALE * 10**6, "objective")
    sm.m.Add(total == objective_of(sm))
    sm.m.Minimize(total)
    first = _complete(sm, bounds.path_decisions(sm, chain, paths.best), settings, light=True)
    spent = first[2].WallTime() if first is not None else 0.0  # CP-SAT's time, every solve
    if first is not None:
        _hint_all(sm.m, first[0])
    upper = first[1] if first is not None else None
    left, step, threshold, give_up = settings.time_limit, 1, lower, False
    while True:
        final = give_up or left < settings.time_limit / 2 or \
            (upper is not None and threshold >= upper)
        copy = sm.m.Clone()
        objective = copy.GetIntVarFromProtoIndex(total.Index())
        if not final or upper is not None:
            limit = upper if final else threshold
            bounds.restrict(copy, sm, chain, paths, limit / SCALE)
            copy.Add(objective <= int(limit))
            if settings.workers > 1 and upper is not None and limit < upper:
                # The hinted score costs more than this threshold allows: a complete hint
                # that is infeasible makes CP-SAT 9.15's interleaved multi-worker search
                # repair it with a fixed search it never built, and abort the process
                # ("Check failed: heuristics.fixed_search != nullptr", exit 134, --workers
                # 2 to 8). The threshold solve needs no hint: it proves or finds. One
                # worker only takes the hint's polarities, so its search stays as it was.
                copy.ClearHints()
        copy.Add(objective >= lower)
        # A threshold neither proved empty nor solved soon hands over to the final solve,
        # which keeps at least half the time.
        budget = left if final else min(left - settings.time_limit / 2, settings.time_limit / 8)
        solver = preference_solver(spec, replace(settings, time_limit=max(budget, 0.05)))
        code = solver.Solve(copy)
        left -= solver.response_proto.deterministic_time
        spent += solver.WallTime()
        if final:
            if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return Outcome(code, solver, sm, True, cp_sat_time=spent)
            if code == cp_model.INFEASIBLE and upper is not None:
                raise AssertionError("the chain bound cut off a known score: a rule in "
                                     "solver/bounds/ disagrees with the model")
            if first is None:  # infeasible, or nothing found in time
                return Outcome(code, solver, sm, True, cp_sat_time=spent)
            return Outcome(cp_model.FEASIBLE, first[2], sm, True, lower=lower,
                           cp_sat_time=spent)
        if code == cp_model.OPTIMAL:
            return Outcome(code, solver, sm, True, cp_sat_time=spent)
        if code == cp_model.INFEASIBLE:
            lower = threshold + SCALE  # proved: no score costs threshold or less
            threshold, step = threshold + SCALE * step, 2 * step
        elif code == cp_model.FEASIBLE:  # a better score: the final solve starts there
            upper = solver.ObjectiveValue()
            _hint_all(sm.m, list(solver.response_proto.solution))
            first = (None, upper, solver)
        else:
            give_up = True


@dataclass(frozen=True)
class Outcome:
    """A finished solve: CP-SAT's status code, the solver holding the answer, the model, whether
    the preferences were optimised, and a proved lower bound on the objective (in objective
    units) when the solver's own bound is not the one to report."""

    code: int
    solver: cp_model.CpSolver
    sm: ScoreModel
    optimized: bool
    lower: int | None = None
    cp_sat_time: float | None = None  # all CP-SAT solves of the call, when more than one


def _solve(spec: SpeciesSpec, settings: SolveSettings) -> Outcome:
    """Two phases on one model, both deterministic: first any score that obeys the hard rules
    (no preferences yet: fast), then the preferences are added and optimised from that score
    as a hint, so the answer is never worse than it. First species, and the species of
    :data:`bounds.TWO_VOICE` in two voices, are optimised in one go on the chain bound
    (:func:`_solve_on_chain`)."""
    if settings.objective and bounds.applies(spec):
        out = _solve_on_chain(spec, settings)
        if out is not None:
            return out
    sm = build_hard(spec)
    first = solver_for(settings)
    _plain_rhythm_first(sm, first)
    code = first.Solve(sm.m)
    if not settings.objective or code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Outcome(code, first, sm, False)
    decisions = [(v.Index(), first.Value(v)) for v in sm.decisions()]
    add_preferences(sm, spec)
    _hint_everything(sm, decisions, settings)
    used = first.response_proto.deterministic_time
    second = preference_solver(spec, replace(settings, time_limit=max(
        settings.time_limit - used, settings.time_limit / 4)))
    code2 = second.Solve(sm.m)
    if code2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Outcome(code2, second, sm, True)
    return Outcome(cp_model.FEASIBLE, first, sm, False)  # no better score found in time


def solve_species(spec: SpeciesSpec, settings: SolveSettings = SolveSettings()) -> SolveResult:
    """Solve a species exercise. Returns a :class:`SolveResult`; ``piece`` is None when no
    score obeys every hard rule (status ``infeasible``) or none was found in time
    (``unknown``)."""
    start = time.perf_counter()
    out = _solve(spec, settings)
    return result_of(out.sm, out.solver, spec, settings, out.code, out.optimized,
                     time.perf_counter() - start, lower=out.lower, cp_sat_time=out.cp_sat_time)


def result_of(sm: ScoreModel, solver: cp_model.CpSolver, spec: SpeciesSpec,
              settings: SolveSettings, code: int, optimized: bool, wall: float,
              run_id: str | None = None, *, lower: int | None = None,
              cp_sat_time: float | None = None) -> SolveResult:
    """The :class:`SolveResult` of a finished solve: status, the objective split by soft rule,
    the settings and versions that make it reproducible, and the score read off the grid."""
    status = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible",
              cp_model.INFEASIBLE: "infeasible"}.get(code, "unknown")
    if status == "optimal" and not settings.objective:
        status = "feasible"  # no objective: a valid score, nothing was optimised
    has = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    by_rule: dict[str, int] = {}
    if has and optimized:
        for name, weight, expr in sm.penalties:
            value = solver.Value(expr) if not isinstance(expr, int) else expr
            if value:
                by_rule[name] = by_rule.get(name, 0) + weight * value
    objective = float(sum(by_rule.values())) if has and optimized else None
    best = solver.BestObjectiveBound() if lower is None else lower
    bound = best / SCALE if has and optimized else None
    stats = {
        "status": status,
        "objective": objective,
        "bound": bound,
        "solve_time": round(wall, 4),
        # CP-SAT's own time: every solve of the call (no model build, no relaxation)
        "cp_sat_time": round(solver.WallTime() if cp_sat_time is None else cp_sat_time, 4),
        "deterministic_time": round(solver.response_proto.deterministic_time, 4),
        "wall_clock_limit_hit": solver.WallTime() >= solver.parameters.max_time_in_seconds,
        "branches": solver.NumBranches(),
        "seed": settings.seed,
        "time_limit": settings.time_limit,
        "workers": settings.workers,
        "objective_enabled": settings.objective,
        "ortools": _ortools_version(),
        "stretto": __version__,
        "rules_hash": rules_hash(spec),
        "species": list(spec.species),
        "cantus_voice": spec.cantus_voice,
        "max_range": spec.max_range,
        "allow_crossing": spec.allow_crossing,
    }
    if run_id is not None:
        stats["run"] = run_id
    if optimized:
        stats["soft_costs"] = dict(sorted(by_rule.items()))
    piece = extract_piece(sm, solver, spec, stats) if has else None
    return SolveResult(status=status, piece=piece, objective=objective, bound=bound,
                       wall_time=wall, stats=stats)


def extract_piece(sm: ScoreModel, solver: cp_model.CpSolver, spec: SpeciesSpec,
                  stats: dict) -> Piece:
    """Read the solution off the grid into the score model (ties split at barlines)."""
    voices = []
    for line in sm.lines:
        starts = []
        for p in range(sm.size):
            if line.x[p] is None:
                continue
            on = line.onset[p]
            if on is True or (on is not False and solver.Value(on)):
                x = line.x[p]
                starts.append((p, x if isinstance(x, int) else solver.Value(x)))
        pitches = [sm.u.pitches[i] for _, i in starts]
        ends = [p for p, _ in starts[1:]] + [sm.size]
        durations = [Fraction(e - s, 2) for (s, _), e in zip(starts, ends)]
        origin = "human" if line.is_cantus else "solver"
        voices.append(make_voice(line.name, pitches, durations, start=Fraction(starts[0][0], 2),
                                 bar_length=Fraction(4), role="cantus" if line.is_cantus
                                 else "counterpoint", species=line.species, origin=origin,
                                 id_prefix=f"v{line.index}n"))
    title = f"Species {','.join(map(str, spec.species))} on a cantus in {spec.mode}"
    # Timings vary from run to run; the score records only what makes it reproducible.
    recorded = {k: v for k, v in stats.items() if k not in TIMING_KEYS}
    return Piece(voices=tuple(voices), mode=spec.mode, meter="2/2", tempo=Fraction(160),
                 title=title, info={"solver": recorded})


def _ortools_version() -> str:
    try:
        from importlib.metadata import version
        return version("ortools")
    except Exception:  # pragma: no cover
        return "unknown"
