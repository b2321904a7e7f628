"""Human edits are always respected: waiving a hard rule at one place, on purpose.

When the composer breaks a rule on purpose (a parallel fifth in bar 6 between voices 1 and
2), stretto never overwrites it: :func:`waive` records a :class:`~stretto.edits.Waiver` (a
constraint, so the history and the provenance count it as the composer's decision), the
solver leaves exactly that rule free at that bar for those voices
(:mod:`stretto.solver.cpsat.waivers`), and :func:`waived_in` lets ``stretto check`` report
what it finds there as waived rather than as an error. :func:`unwaive` removes it and
re-solves (a conflict, exit 3, if the composer's notes still break the rule there).

Waivers reach the rules whose places the models mark (:func:`waivable`): on species
projects the vertical rules and melodic intervals, on harmonizations and compositions the
parallels and the outer voices' direct motion (a chorale model with waivers is re-solved by
CP-SAT, not by the exact chain pass, which takes none). Other rules exit 2 naming those.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from stretto.app.session import EditResult, check_bars, load, locked, save_edit, \
    with_constraint
from stretto.errors import BadInput

if TYPE_CHECKING:  # pragma: no cover
    from stretto.check import Violation
    from stretto.project import Project
    from stretto.score import Piece


@dataclass(frozen=True)
class RuleBreak:
    """A hard ``rule`` broken in ``bar`` among ``voices`` (0-based from the top)."""

    rule: str
    bar: int
    voices: tuple[int, ...]

    def describe(self) -> str:
        who = " and ".join(str(v + 1) for v in self.voices)
        return f"rule {self.rule} in bar {self.bar} (voice{'s' if len(self.voices) > 1 else ''} " \
               f"{who})"


def waiver_command(folder: str | Path, place: RuleBreak) -> str:
    """The command that waives ``place``, as the composer would type it."""
    return (f"stretto waive {folder} --rule {place.rule} --bar {place.bar} "
            f"--voices {','.join(str(v + 1) for v in place.voices)}")


def parse_voices(text: str | Sequence[int], count: int) -> tuple[int, ...]:
    """``"1,2"`` (counted from the top from 1) -> (0, 1); BadInput outside the voices."""
    try:
        values = [int(v) for v in (text.split(",") if isinstance(text, str) else text)]
    except ValueError:
        raise BadInput(f"cannot read --voices {text!r}: write 1,2 (counted from the top)") \
            from None
    if not values or len(set(values)) != len(values):
        raise BadInput(f"--voices {text}: name each voice once, e.g. 1,2")
    for v in values:
        if not 1 <= v <= count:
            raise BadInput(f"--voices {text}: voice {v} is outside the {count} voices (1 is "
                           "the top)")
    return tuple(sorted(v - 1 for v in values))


def waivable(project: "Project") -> tuple[str, ...]:
    """The hard rules a waiver reaches on this project's kind (the solver's model marks their
    places; :data:`stretto.solver.cpsat.waivers.WAIVABLE`)."""
    from stretto.solver.cpsat.waivers import WAIVABLE

    return WAIVABLE["species" if project.kind == "species" else "chorale"]


def _check_rule(project: "Project", rule: str) -> None:
    from stretto.app.kinds import describe_kind
    from stretto.rulebook import BY_NAME, HARD

    if rule not in BY_NAME:
        raise BadInput(f"unknown rule {rule!r}: a waiver names a hard rule, e.g. "
                       "parallel-perfect (see docs/checker.md)")
    if rule not in HARD:
        raise BadInput(f"{rule} is a preference, not a hard rule: give it a weight of 0 "
                       "instead (`stretto constrain --rule weight`)")
    if rule not in waivable(project):
        raise BadInput(f"rule {rule} cannot be waived on a {describe_kind(project)} (the "
                       f"solver leaves only these free at a place: {', '.join(waivable(project))})")


def waive(folder: str | Path, *, rule: str, bar: int, voices: str | Sequence[int]) -> EditResult:
    """Waive the hard ``rule`` in ``bar`` among ``voices`` ("1,2"): the composer's decision,
    recorded with an undo step. Nothing is re-solved (a waiver only allows more)."""
    from stretto.edits import Waiver

    with locked(folder):
        project, text = load(folder)
        _check_rule(project, rule)
        check_bars(project, bar, bar)
        if bar < project.piece.first_bar:
            raise BadInput(f"bar {bar} is outside the piece")
        vs = parse_voices(voices, len(project.piece.voices))
        if any(isinstance(c, Waiver) and c.rule == rule and c.bar == bar
               and set(vs) <= set(c.voices) for c in project.constraints):
            raise BadInput(f"rule {rule} is waived in bar {bar} for those voices already: "
                           "see `stretto history`")
        project, c = with_constraint(project, lambda cid: Waiver(cid, rule, bar, vs))
        return save_edit(folder, project, text, "waive", c.describe().replace("your ", ""),
                         constraint=c.id, solve=False, time_limit=None, seed=None)


def unwaive(folder: str | Path, *, rule: str, bar: int,
            voices: str | Sequence[int] | None = None, solve: bool = True,
            time_limit: float | None = None, seed: int | None = None) -> EditResult:
    """Remove the waivers of ``rule`` in ``bar`` (those naming ``voices``, or all) and
    re-solve: the rule holds there again (a conflict, exit 3, if your notes break it)."""
    from stretto.edits import Waiver

    with locked(folder):
        project, text = load(folder)
        vs = set(parse_voices(voices, len(project.piece.voices))) if voices else None
        gone = [c for c in project.constraints if isinstance(c, Waiver) and c.rule == rule
                and c.bar == bar and (vs is None or vs <= set(c.voices))]
        if not gone:
            raise BadInput(f"no waiver of rule {rule} in bar {bar}"
                           + (f" for voices {voices}" if voices else "")
                           + ": see `stretto history`")
        project = replace(project, constraints=tuple(c for c in project.constraints
                                                     if c not in gone))
        what = "removed " + "; ".join(c.describe().replace("your ", "") for c in gone)
        return save_edit(folder, project, text, "unwaive", what, solve=solve,
                         time_limit=time_limit, seed=seed)


# ---------------------------------------------------------------------------- finding them


def _hard_violations(piece: "Piece") -> list["Violation"]:
    from stretto.check import check, hard

    return hard(check(piece))


def broken_places(project: "Project", edited: "Piece",
                  changed: Iterable[tuple[int, Fraction, Fraction]]) -> tuple[RuleBreak, ...]:
    """The hard rules the composer's changed notes break in ``edited`` (the score as the
    file has it, cast as the project's voices): each violation among voices of which one
    has a changed note sounding at it or ending there (the first note of a parallel), of the
    rules a waiver reaches on the project's kind."""
    rules = waivable(project)
    changed = list(changed)
    names = [v.name for v in edited.voices]
    out: dict[tuple, RuleBreak] = {}
    for viol in _hard_violations(edited):
        if viol.rule not in rules:
            continue
        try:
            voices = tuple(sorted(names.index(n) for n in viol.voices))
        except ValueError:
            continue
        t = edited.time_at(viol.bar, viol.beat)
        near = any(v in voices and (a <= t < e or e == t or
                                    (a < t and t - a <= edited.bar_length))
                   for v, a, e in changed)
        if near and voices:
            out.setdefault((viol.rule, viol.bar, voices), RuleBreak(viol.rule, viol.bar, voices))
    return tuple(out.values())


# ---------------------------------------------------------------------------- the checker


def waivers_of(path: str | Path) -> tuple:
    """The waivers recorded in a project's score.json (empty for any other file)."""
    from stretto.edits import Waiver
    from stretto.project import project_loads

    path = Path(path)
    if path.is_dir():
        path = path / "score.json"
    if path.suffix.lower() != ".json" or not path.is_file():
        return ()
    text = path.read_text(encoding="utf-8")
    if '"project"' not in text:
        return ()
    try:
        project = project_loads(text, where=path.name)
    except BadInput:
        return ()
    return tuple(c for c in project.constraints if isinstance(c, Waiver))


def waived_in(path: str | Path, piece: "Piece",
              violations: Sequence["Violation"]) -> tuple[list["Violation"], list["Violation"]]:
    """``violations`` split into (those that stand, those a waiver of the project at
    ``path`` covers: its rule, or one it covers, in its bar among its voices)."""
    return _split(waivers_of(path), piece, violations)


def waived_among(project: "Project",
                 violations: Sequence["Violation"]) -> tuple[list["Violation"], list["Violation"]]:
    """:func:`waived_in` for a project already read (the studio's view)."""
    from stretto.edits import Waiver

    return _split(tuple(c for c in project.constraints if isinstance(c, Waiver)),
                  project.piece, violations)


def _split(waivers, piece: "Piece", violations):
    from stretto.solver.cpsat.waivers import covers

    if not waivers:
        return list(violations), []
    names = [v.name for v in piece.voices]
    kept, waived = [], []
    for viol in violations:
        idx = {names.index(n) for n in viol.voices if n in names}
        hit = viol.severity == "hard" and any(
            viol.rule in covers(w.rule) and viol.bar == w.bar and idx and idx <= set(w.voices)
            for w in waivers)
        (waived if hit else kept).append(viol)
    return kept, waived


__all__ = ["RuleBreak", "broken_places", "parse_voices", "unwaive", "waivable", "waive",
           "waived_among", "waived_in", "waiver_command", "waivers_of"]
