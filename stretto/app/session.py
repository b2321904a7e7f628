"""The steps every edit shares: the project read under its lock (a hand edit refused), the
solve settings, a new constraint with its id, the re-solve and the all-or-nothing save, and
the :class:`EditResult` an operation returns (:mod:`stretto.app.edit`,
:mod:`stretto.app.rules`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from stretto.app.kinds import kind_of
from stretto.errors import BadInput

#: notes a re-solve may change beyond the fewest where that lowers the objective (--budget)
DEFAULT_BUDGET = 2

@dataclass(frozen=True)
class EditResult:
    """What an edit did: its action and description, the notes it changed (None when it was
    recorded without re-solving), the solver's status and run id, and the files written."""

    action: str
    what: str
    notes_changed: int | None = None
    notes_total: int | None = None
    status: str | None = None
    run: str | None = None
    files: dict[str, Path] = field(default_factory=dict)
    #: notes a change budget moved beyond the fewest changes, each with why
    moves: tuple[str, ...] = ()


def voice_index(voice: int | str, voices: int, what: str = "--voice") -> int:
    """The 0-based index of ``voice``, counted from the top from 1; BadInput outside."""
    try:
        v = int(voice)
    except (TypeError, ValueError):
        raise BadInput(f"cannot read {what} {voice!r}: give a number counted from the top") \
            from None
    if not 1 <= v <= voices:
        raise BadInput(f"{what} {v} is outside the {voices} voices (1 is the top)")
    return v - 1


def check_bars(project, first: int, last: int) -> None:
    bars = project.piece.bars
    if last > bars:
        raise BadInput(f"bars {first}-{last} are outside the piece (bars 1-{bars})")


def load(folder: str | Path, *, edit: bool = True):
    """The project and its score.json text. For an edit, a note changed by hand in
    score.json (or score.mid) is refused, naming it: the re-solve would silently undo it."""
    from stretto.io.project import hand_edit, load_project

    project, text = load_project(folder)
    if edit:
        where = hand_edit(folder, project)
        if where is not None:
            raise BadInput(f"{folder} was edited outside stretto ({where}); this edit would "
                           "overwrite that: put it back as it was, then set the note with "
                           "`stretto pin`")
    return project, text


def settings_of(project, time_limit: float | None, seed: int | None):
    from stretto.solver.cpsat.settings import SolveSettings

    s = project.settings
    return SolveSettings(time_limit=time_limit if time_limit else s["time_limit"],
                         seed=seed if seed is not None else s["seed"],
                         workers=s.get("workers", 1), objective=s.get("objective", True))


def with_constraint(project, make):
    cid, project = project.new_id()
    c = make(cid)
    return replace(project, constraints=project.constraints + (c,)), c


def save_edit(folder, project, old_text: str, action: str, what: str, *, solve: bool,
          time_limit: float | None, seed: int | None, region=None,
          constraint: str | None = None, budget: int = DEFAULT_BUDGET, outcome=None,
          run: str | None = None, entry: dict | None = None) -> EditResult:
    """Re-solve (or not; or take the solver's ``outcome`` of run ``run`` already found), log
    the edit (``entry``: more fields for its history entry), save with an undo step. A
    re-solve may change ``budget`` notes more than the fewest where that lowers the
    objective."""
    from stretto.io.project import save_project

    changed = total = status = None
    moves: tuple[str, ...] = ()
    if outcome is None and (solve or region is not None):
        run = project.run_id()
        outcome = kind_of(project).resolve(project, settings_of(project, time_limit, seed),
                                           run_id=run, region=region, budget=budget)
    if outcome is not None:
        changed, total, status = outcome.changed, outcome.total, outcome.result.status
        moves = tuple(getattr(outcome, "moves", ()))
        project = replace(project, piece=outcome.result.piece).with_run(outcome.result.stats,
                                                                         run)
    project = project.logged(action, what, run=run, changed=changed, constraint=constraint)
    extra = dict(entry or {}, **({"moves": list(moves)} if moves else {}))
    if extra:
        project = replace(project, history=project.history[:-1] + (
            {**project.history[-1], **extra},))
    files = save_project(project, folder, previous_text=old_text)
    return EditResult(action=action, what=what, notes_changed=changed, notes_total=total,
                      status=status, run=run, files=dict(files), moves=moves)


def locked(folder, *, shared: bool = False):
    from stretto.io.lock import project_lock
    return project_lock(folder, shared=shared)



def refuse_given(project, v: int, why: str) -> None:
    """BadInput when voice ``v`` is the voice nobody edits (the cantus, the melody)."""
    kind = kind_of(project)
    if v == kind.given_voice(project):
        raise BadInput(f"voice {v + 1} is the {kind.given_name} you gave: {why}")

__all__ = ["DEFAULT_BUDGET", "EditResult", "check_bars", "load", "locked", "refuse_given",
           "save_edit",
           "settings_of", "voice_index", "with_constraint"]
