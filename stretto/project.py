"""A project: the score plus everything needed to edit it again.

``score.json`` in a project folder holds the :class:`~stretto.score.Piece` (as always) and a
``project`` section: the spec the solver was given (cantus, species, voices, rules and their
settings), every constraint the composer added (:mod:`stretto.edits`), every solver run (id,
stretto and OR-Tools versions, seed, time limit, workers, rule-set hash, status, when), and the
history of edits, append-only along the way to the current score. Undo and redo keep whole
earlier ``score.json`` texts beside it (see :mod:`stretto.io.project`), so undo restores the
previous file byte for byte.

Pure core: no OR-Tools, no music21. Timestamps honour ``SOURCE_DATE_EPOCH`` (reproducible
builds' convention), so a test or an archive can make them repeatable.
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass, field, replace
from typing import Any

from stretto.edits import Constraint, constraint_from_dict
from stretto.errors import BadInput
from stretto.limits import validate_piece
from stretto.score import Piece, piece_from_dict, piece_to_dict

PROJECT_VERSION = 1


def now() -> str:
    """The current UTC time, ISO 8601 to the second (``SOURCE_DATE_EPOCH`` when set)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    t = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch else \
        datetime.datetime.now(datetime.timezone.utc)
    return t.replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Project:
    """The score, the spec it was solved from, the composer's constraints, runs and history.

    ``spec`` is the solver spec as plain data (``SpeciesSpec.to_dict()``); ``settings`` the
    solve settings every re-solve reuses (time limit, seed, workers); ``next_id`` numbers new
    constraints so an id is never reused."""

    piece: Piece
    spec: dict[str, Any]
    settings: dict[str, Any]
    constraints: tuple[Constraint, ...] = ()
    runs: tuple[dict[str, Any], ...] = ()
    history: tuple[dict[str, Any], ...] = ()
    next_id: int = 1
    kind: str = field(default="species")
    # the licence records of everything that went into the piece (stretto.licence.Input as
    # data); empty for projects made before stretto recorded them
    inputs: tuple[dict[str, Any], ...] = ()

    def new_id(self) -> tuple[str, "Project"]:
        """A fresh constraint id and the project that has used it up."""
        return f"c{self.next_id}", replace(self, next_id=self.next_id + 1)

    def run_id(self) -> str:
        return f"r{len(self.runs) + 1}"

    def with_run(self, stats: dict[str, Any], run_id: str) -> "Project":
        """Record a solver run (its reproducible settings and outcome, and when)."""
        keep = ("status", "objective", "seed", "time_limit", "workers", "ortools", "stretto",
                "rules_hash", "notes_changed")
        record = {"id": run_id, "at": now(), **{k: stats[k] for k in keep if k in stats}}
        return replace(self, runs=self.runs + (record,))

    def logged(self, action: str, what: str, *, run: str | None = None,
               changed: int | None = None, constraint: str | None = None) -> "Project":
        """Append a history entry: what the composer asked for, when, and what it changed."""
        entry: dict[str, Any] = {"n": len(self.history) + 1, "action": action, "by": "composer",
                                 "at": now(), "what": what}
        if run is not None:
            entry["run"] = run
        if changed is not None:
            entry["notes_changed"] = changed
        if constraint is not None:
            entry["constraint"] = constraint
        return replace(self, history=self.history + (entry,))

    def summary(self) -> str:
        """One line of provenance for MIDI and MusicXML files."""
        notes = [n for v in self.piece.voices for n in v.sounding()]
        human = sum(n.origin == "human" for n in notes)
        runs = ", ".join(r["id"] for r in self.runs) or "none"
        version = self.runs[-1].get("stretto", "?") if self.runs else "?"
        # a given voice recorded as another's input (a corpus melody, Fux's cantus) is not
        # the composer's: said apart, as the PROV-JSON attributes it
        others = {i["role"]: i.get("title", i["role"]) for i in self.inputs
                  if i.get("role") in ("cantus", "melody")
                  and i.get("licence", {}).get("id") != "LicenseRef-Yours"}
        taken = sum(n.origin == "human" and n.source in others for n in notes)
        if taken:
            return (f"stretto {version}: {human - taken} of {len(notes)} notes by the composer "
                    f"(pins, locks), {taken} from the "
                    + ", ".join(f"{r} {t}" for r, t in others.items())
                    + f", the rest by solver runs {runs}; {len(self.history)} edits; "
                    "full provenance in score.json")
        return (f"stretto {version}: {human} of {len(notes)} notes by the composer (cantus, "
                f"pins, locks), the rest by solver runs {runs}; {len(self.history)} edits; "
                "full provenance in score.json")


def project_to_dict(project: Project) -> dict[str, Any]:
    data = piece_to_dict(project.piece)
    data["project"] = {
        "version": PROJECT_VERSION,
        "kind": project.kind,
        "spec": project.spec,
        "settings": project.settings,
        "constraints": [c.to_dict() for c in project.constraints],
        "runs": list(project.runs),
        "history": list(project.history),
        "next_id": project.next_id,
    }
    if project.inputs:  # only when recorded: older projects' score.json stay as they were
        data["project"]["inputs"] = list(project.inputs)
    return data


def project_dumps(project: Project) -> str:
    """Canonical JSON text of a project's score.json (sorted keys: same data, same bytes)."""
    return json.dumps(project_to_dict(project), indent=2, sort_keys=True,
                      ensure_ascii=False) + "\n"


def project_loads(text: str, where: str = "score.json") -> Project:
    """Read a project from score.json text. BadInput for a file that is not JSON, not a
    score, or a score without editing data."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{where} is not valid JSON (line {exc.lineno}): {exc.msg}") from None
    if not isinstance(data, dict) or "project" not in data:
        raise BadInput(f"{where} holds no editing data: make the project with `stretto species"
                       "`, `harmonize` or `compose ... --out DIR` first")
    try:
        piece = piece_from_dict(data)
        p = data["project"]
        if not isinstance(p, dict):
            raise TypeError("its project entry is not a table")
        if p.get("version") != PROJECT_VERSION:
            raise BadInput(f"{where}: project version {p.get('version')!r} is not supported "
                           f"(this stretto reads version {PROJECT_VERSION})")
        for key, kind in (("spec", dict), ("settings", dict), ("constraints", list),
                          ("runs", list), ("history", list)):
            if not isinstance(p[key], kind):
                raise TypeError(f"project.{key} is not a {kind.__name__}")
        for key in ("runs", "history"):
            if not all(isinstance(e, dict) for e in p[key]):
                raise TypeError(f"project.{key} holds an entry that is not a table")
        for e in p["history"]:  # what `stretto history` prints
            if not (type(e.get("n")) is int and all(isinstance(e.get(k), str)
                                                    for k in ("at", "by", "what", "action"))):
                raise TypeError(f"history entry {str(e)[:60]} lacks n, at, by, what or action")
        for r in p["runs"]:  # what history, provenance and every save's summary line read
            if not (isinstance(r.get("id"), str) and "status" in r and "seed" in r):
                raise TypeError(f"solver run {str(r)[:60]} lacks id, status or seed")
        if not (isinstance(p.get("inputs", []), list)
                and all(isinstance(e, dict) for e in p.get("inputs", []))):
            raise TypeError("project.inputs is not a list of tables")
        if not _is_count(p["next_id"]):
            raise TypeError("project.next_id is not a whole number")
        validate_piece(piece, where=where)
        return Project(piece=piece, spec=p["spec"], settings=p["settings"],
                       constraints=tuple(constraint_from_dict(c) for c in p["constraints"]),
                       runs=tuple(p["runs"]), history=tuple(p["history"]),
                       next_id=int(p["next_id"]), kind=p.get("kind", "species"),
                       inputs=tuple(p.get("inputs", ())))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, ZeroDivisionError,
            OverflowError) as exc:
        raise BadInput(f"{where} is malformed: {exc}") from None


def _is_count(value: Any) -> bool:
    return type(value) is int and value >= 0


__all__ = ["PROJECT_VERSION", "Project", "now", "project_dumps", "project_loads",
           "project_to_dict"]
