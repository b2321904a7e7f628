"""The CP-SAT model of a multi-voice score on an eighth-note grid.

Every voice is a :class:`LineVars`: for each grid position ``p`` (8 per bar of the cantus, a bar
being one whole note) it has the index of the sounding pitch ``x[p]`` in a shared pitch list
(:class:`Universe`), the letter-step position ``dia[p]`` of that pitch, and whether a note
begins there, ``onset[p]``. Positions where the species never starts a note share the variable
of the position before (a held note costs nothing); where the rhythm is a choice (fourth
species' broken ties, fifth species' patterns) ``onset[p]`` is a Boolean and a held position is
constrained equal to the one before. Rests are ``None``.

This sounding-pitch view makes every melodic interval local: the note before an onset at ``p``
is whatever sounds at ``p - 1``. Rules (the other modules) are functions that read these
arrays and add constraints; :meth:`ScoreModel.enforce` takes conditions that may be Python
constants or literals, so one rule serves fixed and variable rhythms alike.
"""

from __future__ import annotations

import operator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Iterable, Iterator, Union

from ortools.sat.python import cp_model

from stretto.modes import Mode
from stretto.pitch import Interval, Pitch
from stretto.solver.cpsat.waivers import waived

GRID = 8  # positions per bar (eighth notes in a whole-note bar)
Lit = Union[bool, cp_model.IntVar]  # a constant or a Boolean literal
Val = Union[int, cp_model.IntVar]  # a constant pitch index or an integer variable

# Vertical interval classes (ic), from the spelled interval between two sounding pitches.
# The perfect fourth and the tritone (augmented fourth, diminished fifth) have classes of their
# own: both are consonant between two upper voices when a third voice sounds below them (the
# tritone as in the diminished sixth chord E G C#, Fux Part II), dissonant against the bass.
UNI, OCT, P5, THIRD, SIXTH, P4, DISS, TRITONE = range(8)
IC_NAMES = ("unison", "octave", "fifth", "third", "sixth", "fourth", "dissonance",
            "tritone")
UPPER_CONSONANT = (P4, TRITONE)  # consonant only above a lower voice


def interval_class(a: Pitch, b: Pitch) -> int:
    """The class of the interval between ``a`` and ``b`` (order does not matter)."""
    iv = Interval.between(a, b)
    g, q = iv.generic, iv.quality
    if g % 7 == 0:
        if q != "P":
            return DISS
        return UNI if g == 0 else OCT
    simple = g % 7
    if simple == 4:
        return P5 if q == "P" else TRITONE if q == "d" else DISS
    if simple == 3:
        return P4 if q == "P" else TRITONE if q == "A" else DISS
    if simple in (2, 5):
        if q not in ("M", "m"):
            return DISS
        return THIRD if simple == 2 else SIXTH
    return DISS


@dataclass(frozen=True)
class Universe:
    """All pitches any voice may use, sorted low to high; variables hold indices into it."""

    pitches: tuple[Pitch, ...]

    @property
    def dia(self) -> list[int]:
        return [p.diatonic for p in self.pitches]

    def index(self, p: Pitch) -> int:
        return self.pitches.index(p)


@dataclass
class LineVars:
    """One voice on the grid. ``x``, ``dia`` and ``onset`` have one entry per position."""

    index: int  # from the top
    name: str
    species: int | None  # None = cantus firmus (fixed)
    domain: list[int]  # allowed universe indices
    register: list[int] = field(default_factory=list)  # the part of ``domain`` in its register
    x: list[Val | None] = field(default_factory=list)
    dia: list[Val | None] = field(default_factory=list)
    onset: list[Lit] = field(default_factory=list)
    can_onset: list[bool] = field(default_factory=list)
    broken: dict = field(default_factory=dict)  # fourth species: bar -> "tie broken" literal
    patterns: dict = field(default_factory=dict)  # fifth species: bar -> {pattern: literal}

    @property
    def is_cantus(self) -> bool:
        return self.species is None

    def sounding(self, p: int) -> bool:
        return self.x[p] is not None

    def onset_positions(self) -> list[int]:
        return [p for p, c in enumerate(self.can_onset) if c]


class ScoreModel:
    """A CP-SAT model plus the lines and the helpers every rule uses."""

    def __init__(self, universe: Universe, mode: Mode, bars: int) -> None:
        self.m = cp_model.CpModel()
        self.u = universe
        self.mode = mode
        self.bars = bars
        self.size = bars * GRID
        self.lines: list[LineVars] = []
        self.penalties: list[tuple[str, int, cp_model.LinearExprT]] = []
        self._ic_cache: dict[tuple, Val] = {}
        self._view_cache: dict[tuple, Lit] = {}
        self._feat_cache: dict[tuple, Lit] = {}
        self._feat_tables: dict[tuple, list] = {}  # feature name and function -> 0/1 table
        # Domains of the integer variables we create. (Reading them back through IntVar.Proto()
        # is unsafe: the proto view dangles once the model grows.)
        self._domains: dict[int, list[int]] = {}
        self.spans: dict[int, tuple] = {}  # voice index -> (lowest, highest) letter-step vars
        # Conflict explanations: with ``guarded``, every requirement a rule adds is enforced
        # only under that rule's literal (``groups``), so conflict explanations can switch rules
        # off one by one. Definitions of helper literals are never guarded.
        self.guarded = False
        self.groups: dict[str, cp_model.IntVar] = {}
        self._guard: cp_model.IntVar | None = None
        self._label = ""  # what the rule being built is about, for readable variable names
        # The composer's waivers (solver/cpsat/waivers.py): requirements a rule makes at a
        # waived place (``at``) are dropped; ``_rule`` is the group being built.
        self.waivers: frozenset = frozenset()
        self._rule = ""
        self._place: tuple[int, frozenset[int]] | None = None
        self._off: cp_model.IntVar | None = None

    @contextmanager
    def naming(self, label: str) -> Iterator[None]:
        """Helper literals made inside are named after ``label`` ("parallel Soprano-Alto bar
        6: and"), so an exported model reads like the rules that built it."""
        outer = self._label
        self._label = label
        try:
            yield
        finally:
            self._label = outer

    def _named(self, kind: str) -> str:
        """A helper literal's name: the label of :meth:`naming`, else the rule being built
        (:meth:`group`) and its place (:meth:`at`), e.g. "repetition Alto bar 4: and"."""
        label = self._label
        if not label and self._rule:
            label = self._rule
            if self._place is not None:
                bar, voices = self._place
                names = [self.lines[v].name if v < len(self.lines) else f"voice {v + 1}"
                         for v in sorted(voices)]
                label += f" {'-'.join(names)} bar {bar}"
        return f"{label}: {kind}" if label else kind

    @contextmanager
    def group(self, name: str) -> Iterator[None]:
        """Everything required inside belongs to rule ``name`` (guarded when ``guarded``)."""
        outer, outer_rule = self._guard, self._rule
        self._rule = name
        if self.guarded:
            if name not in self.groups:
                self.groups[name] = self.m.NewBoolVar(f"rule_{name}")
            self._guard = self.groups[name]
        try:
            yield
        finally:
            self._guard, self._rule = outer, outer_rule

    @contextmanager
    def at(self, bar: int, *voices: int, rule: str | None = None) -> Iterator[None]:
        """What the current rule (or ``rule``, where no group names it) requires inside is
        about ``bar`` (1-based; a chord slot in the chorale model) and ``voices`` (0-based):
        where the composer waived that rule there, it is not required."""
        outer, outer_rule = self._place, self._rule
        self._place = (bar, frozenset(voices))
        self._rule = rule or self._rule
        try:
            yield
        finally:
            self._place, self._rule = outer, outer_rule

    def waived_here(self) -> bool:
        """Whether the composer waived the current rule at the current place."""
        return bool(self.waivers) and self._place is not None and \
            waived(self.waivers, self._rule, *self._place)

    def decisions(self) -> list[cp_model.IntVar]:
        """The pitch variables and rhythm choices of every line (what a hint needs)."""
        out: dict[int, cp_model.IntVar] = {}
        for line in self.lines:
            for v in (*line.x, *line.onset, *line.broken.values(),
                      *(lit for pats in line.patterns.values() for lit in pats.values())):
                if v is not None and not isinstance(v, (bool, int)):
                    base = v.Not() if v.Index() < 0 else v  # a negated literal: its variable
                    out[base.Index()] = base
        return [out[k] for k in sorted(out)]

    def new_int(self, values: Iterable[int], name: str) -> cp_model.IntVar:
        """An integer variable over exactly ``values``, with its domain remembered."""
        vals = sorted(set(values))
        v = self.m.NewIntVarFromDomain(cp_model.Domain.FromValues(vals), name)
        self._domains[v.Index()] = vals
        return v

    # ------------------------------------------------------------------ literals
    def enforce(self, ct: cp_model.Constraint, *conds: Lit) -> None:
        """Make ``ct`` a requirement of the current rule, conditional on every literal in
        ``conds`` (constants are folded)."""
        if self.waived_here():  # built, but switched off (presolve removes it)
            if self._off is None:
                self._off = self.m.NewBoolVar("waived")
                self.m.Add(self._off == 0)
            ct.OnlyEnforceIf(self._off)
            return
        lits = [] if self._guard is None else [self._guard]
        for c in conds:
            if c is True:
                continue
            if c is False:
                raise ValueError("enforce() called with a constant False condition")
            lits.append(c)
        if lits:
            ct.OnlyEnforceIf(lits)

    def all_true(self, *conds: Lit) -> Lit:
        """A literal equal to the conjunction of ``conds`` (folding constants)."""
        lits = []
        for c in conds:
            if c is False:
                return False
            if c is not True:
                lits.append(c)
        if not lits:
            return True
        if len(lits) == 1:
            return lits[0]
        b = self.m.NewBoolVar(self._named("and"))
        self.m.AddBoolAnd(lits).OnlyEnforceIf(b)
        self.m.AddBoolOr([lit.Not() for lit in lits]).OnlyEnforceIf(b.Not())
        return b

    def any_true(self, conds: Iterable[Lit]) -> Lit:
        lits = []
        for c in conds:
            if c is True:
                return True
            if c is not False:
                lits.append(c)
        if not lits:
            return False
        if len(lits) == 1:
            return lits[0]
        b = self.m.NewBoolVar(self._named("or"))
        self.m.AddBoolOr(lits).OnlyEnforceIf(b)
        self.m.AddBoolAnd([lit.Not() for lit in lits]).OnlyEnforceIf(b.Not())
        return b

    @staticmethod
    def neg(c: Lit) -> Lit:
        if c is True or c is False:
            return not c
        return c.Not()

    def require(self, c: Lit, why: str) -> None:
        """Add ``c`` as a hard fact (a constant False is a modelling error, reported with why)."""
        if self.waived_here():
            return
        if c is False:
            if self._guard is None:
                raise ValueError(f"rule {why} can never hold")
            self.m.AddBoolOr([self._guard.Not()])
        elif c is not True:
            self.m.AddBoolOr([c] if self._guard is None else [c, self._guard.Not()])

    def fail(self) -> None:
        """A requirement that cannot hold (a composer's pin on a pitch the voice cannot take):
        the model is infeasible unless the current group is switched off."""
        if self.waived_here():
            return
        self.m.AddBoolOr([] if self._guard is None else [self._guard.Not()])

    def implies_any(self, cond: Lit, options: Iterable[Lit]) -> None:
        """cond => OR(options)."""
        if cond is False or self.waived_here():
            return
        opts = [o for o in options if o is not False]
        if any(o is True for o in opts):
            return
        lits = list(opts)
        if cond is not True:
            lits.append(cond.Not())
        if self._guard is not None:
            lits.append(self._guard.Not())
        if not lits:
            raise ValueError("an unconditional requirement has no way to hold")
        self.m.AddBoolOr(lits)

    # ------------------------------------------------------------------ pitch features
    def feature(self, name: str, a: Val, b: Val | None, f: Callable[..., bool]) -> Lit:
        """A literal equal to ``f(pitch_a, pitch_b)`` (or ``f(pitch_a)`` when ``b`` is None),
        built as a table constraint and cached per (name, variables)."""
        key = (name, _key(a), _key(b))
        if key in self._feat_cache:
            return self._feat_cache[key]
        table = self._feature_table(name, f, b is not None)
        # Rows over the variables only (a constant pitch is not a column).
        if b is None:
            rows = [(i, table[i]) for i in self.domain_of(a)] if not isinstance(a, int) \
                else [(table[a],)]
            vars_ = [a]
        elif isinstance(a, int) and isinstance(b, int):
            rows, vars_ = [(table[a][b],)], []
        elif isinstance(a, int):
            rows, vars_ = [(j, table[a][j]) for j in self.domain_of(b)], [b]
        elif isinstance(b, int):
            rows, vars_ = [(i, table[i][b]) for i in self.domain_of(a)], [a]
        else:
            dom_b = self.domain_of(b)
            rows = [(i, j, table[i][j]) for i in self.domain_of(a) for j in dom_b]
            vars_ = [a, b]
        values = {r[-1] for r in rows}
        if len(values) == 1:
            result: Lit = bool(values.pop())
        else:
            args = ", ".join(_name_of(v) for v in (a, b) if v is not None)
            lit = self.m.NewBoolVar(f"{name}({args})")
            self.m.AddAllowedAssignments([v for v in vars_ if not isinstance(v, int)] + [lit],
                                         rows)
            result = lit
        self._feat_cache[key] = result
        return result

    def _feature_table(self, name: str, f: Callable[..., bool], pair: bool) -> list:
        """``f`` over every pitch (or pitch pair) of the universe as 0/1, computed once per
        feature name and function: rules ask one feature of many variables."""
        key = (name, getattr(f, "__code__", f), getattr(f, "__defaults__", None), pair)
        if key not in self._feat_tables:
            P = self.u.pitches
            self._feat_tables[key] = [[int(f(p, q)) for q in P] for p in P] if pair else \
                [int(f(p)) for p in P]
        return self._feat_tables[key]

    def ic(self, a: Val, b: Val) -> Val:
        """Interval-class variable (or constant) between two sounding pitches."""
        key = (_key(a), _key(b))
        if key in self._ic_cache:
            return self._ic_cache[key]
        P = self.u.pitches
        if isinstance(a, int) and isinstance(b, int):
            out: Val = interval_class(P[a], P[b])
        else:
            dom_a = [a] if isinstance(a, int) else self.domain_of(a)
            dom_b = [b] if isinstance(b, int) else self.domain_of(b)
            rows = {(i, j, interval_class(P[i], P[j])) for i in dom_a for j in dom_b}
            codes = sorted({r[2] for r in rows})
            if len(codes) == 1:
                out = codes[0]
            else:
                v = self.new_int(codes, f"interval {_name_of(a)} / {_name_of(b)}")
                vars_ = [x for x in (a, b) if not isinstance(x, int)] + [v]
                tuples = sorted({tuple(x for x, var in zip(r[:2], (a, b))
                                       if not isinstance(var, int)) + (r[2],) for r in rows})
                self.m.AddAllowedAssignments(vars_, tuples)
                out = v
        self._ic_cache[key] = out
        return out

    def is_ic(self, ic: Val, classes: tuple[int, ...]) -> Lit:
        """Literal: the interval class ``ic`` is one of ``classes``."""
        if isinstance(ic, int):
            return ic in classes
        key = (_key(ic), classes)
        if key in self._view_cache:
            return self._view_cache[key]
        dom = self._int_domain(ic)
        inside = [c for c in dom if c in classes]
        if not inside:
            out: Lit = False
        elif len(inside) == len(dom):
            out = True
        else:
            out = self.m.NewBoolVar(f"{_name_of(ic)} in {classes}")
            self.m.AddLinearExpressionInDomain(ic, cp_model.Domain.FromValues(inside)) \
                .OnlyEnforceIf(out)
            outside = [c for c in dom if c not in classes]
            self.m.AddLinearExpressionInDomain(ic, cp_model.Domain.FromValues(outside)) \
                .OnlyEnforceIf(out.Not())
        self._view_cache[key] = out
        return out

    def differ(self, a: Val, b: Val) -> Lit:
        """Literal: two pitch values differ (a melodic move rather than a repetition)."""
        if isinstance(a, int) and isinstance(b, int):
            return a != b
        if a is b:
            return False
        key = ("ne", _key(a), _key(b))
        if key in self._view_cache:
            return self._view_cache[key]
        lit = self.m.NewBoolVar(f"{_name_of(a)} != {_name_of(b)}")
        self.m.Add(a != b).OnlyEnforceIf(lit)
        self.m.Add(a == b).OnlyEnforceIf(lit.Not())
        self._view_cache[key] = lit
        return lit

    def compare(self, expr: cp_model.LinearExprT, op: str, value: int) -> Lit:
        """Literal for ``expr op value`` with op in <, <=, ==, >=, >, !=."""
        lit = self.m.NewBoolVar(f"{self._named(str(expr))} {op} {value}")
        pos, neg = _COMPARE[op]
        self.m.Add(pos(expr, value)).OnlyEnforceIf(lit)
        self.m.Add(neg(expr, value)).OnlyEnforceIf(lit.Not())
        return lit

    def dia_diff_is(self, line: LineVars, a: int, b: int, value: int) -> Lit:
        """Literal: ``dia[b] - dia[a] == value`` for one line (cached: rules ask often)."""
        da, db = line.dia[a], line.dia[b]
        if isinstance(da, int) and isinstance(db, int):
            return db - da == value
        key = ("dd", _key(da), _key(db), value)
        if key not in self._view_cache:
            self._view_cache[key] = False if da is db and value else (
                True if da is db else self.compare(db - da, "==", value))
        return self._view_cache[key]

    def penalize(self, rule: str, weight: int, expr: cp_model.LinearExprT | Lit) -> None:
        """Add ``weight * expr`` to the objective under a soft rule's name."""
        if weight <= 0 or expr is False or (isinstance(expr, int) and expr == 0):
            return
        if expr is True:
            expr = 1
        self.penalties.append((rule, weight, expr))

    def cached(self, key: tuple, build: Callable[[], Any]) -> Any:
        """The literal (or literals) a rule derives from the model once, built by ``build``
        the first time ``key`` is asked for: rules share what they ask of the same notes."""
        if key not in self._feat_cache:
            self._feat_cache[key] = build()
        return self._feat_cache[key]

    # ------------------------------------------------------------------ internals
    def domain_of(self, v: cp_model.IntVar) -> list[int]:
        """The values a variable made by :meth:`new_int` can take."""
        return self._int_domain(v)

    def _int_domain(self, v: cp_model.IntVar) -> list[int]:
        return self._domains[v.Index()]


# Each comparison and its negation (built only for the operator asked).
_COMPARE = {"<": (operator.lt, operator.ge), "<=": (operator.le, operator.gt),
            "==": (operator.eq, operator.ne), ">=": (operator.ge, operator.lt),
            ">": (operator.gt, operator.le), "!=": (operator.ne, operator.eq)}


def where(p: int) -> str:
    """``bar B beat K`` of grid position ``p`` (beats in quarter notes from 1)."""
    beat = Fraction(p % GRID, GRID // 4) + 1
    return f"bar {p // GRID + 1} beat {beat}"


def _name_of(v: Val) -> str:
    """A pitch variable's name (``Soprano bar 5 beat 1 pitch``), or a constant pitch index."""
    return str(v) if isinstance(v, int) else v.Name()


def _key(v: object) -> object:
    if v is None or isinstance(v, int):
        return v
    return ("var", v.Index())
