"""A new project from a first solve (``stretto species``, ``harmonize``, ``compose``): the
solved piece with every note's origin, the input as data so that every edit can rebuild the
problem, the settings and run r1, checked by the independent checker and saved all or
nothing. The caller holds the project lock over the solve and the save (the command line
does, for ``--out``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stretto.errors import BadInput


@dataclass(frozen=True)
class NewProject:
    """A written project: the checker's violations (hard ones first) and the files."""

    violations: tuple
    hard: int
    files: dict[str, Path] = field(default_factory=dict)


def new_project(out: str | Path, result, *, spec: dict[str, Any], kind: str, what: str,
                settings, inputs: list[dict[str, Any]] | tuple = ()) -> NewProject:
    """Write ``result`` (a solve's result with a piece) as a new project of ``kind`` in
    ``out``; the score.json already there, if stretto wrote it, becomes an undo step.
    ``settings`` are the solve's (recorded for every later edit); ``inputs`` the licence
    records of what went in (:mod:`stretto.licence`, as data)."""
    from stretto.check import check, hard
    from stretto.io.project import save_project
    from stretto.project import Project
    from stretto.solver.cpsat.region import mark_origins

    if result.piece is None:
        raise BadInput("no score to write: the solve found none within its time limit")
    run = "r1"
    piece = mark_origins(result.piece, (), run)
    project = Project(piece=piece, spec=spec, kind=kind, inputs=tuple(inputs),
                      settings={"time_limit": settings.time_limit, "seed": settings.seed,
                                "workers": settings.workers,
                                "objective": settings.objective})
    project = project.with_run(result.stats, run).logged(kind, what, run=run)
    violations = check(piece)
    previous = Path(out) / "score.json"
    files = save_project(project, out, previous_text=previous.read_text(encoding="utf-8")
                         if previous.is_file() else None)
    return NewProject(tuple(violations), len(hard(violations)), dict(files))


__all__ = ["NewProject", "new_project"]
