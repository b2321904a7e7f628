"""Who wrote which notes: the composer's share, and a W3C PROV document of a project.

AI-only output is not protected by copyright in most places, so a composer must be able to
show which decisions were theirs. Every note records its ``origin`` (``human``: the cantus, a
pin, a lock; ``solver``) and ``source`` (the constraint id or the solver run id); every edit and
every solve is in the project's history (:mod:`stretto.project`).

Counting: a *note* is a sounding note (ties merged). A *decision* is one note's pitch and
place, or one rule or setting the composer gave (a range, a climax, a weight ...): the
composer's decisions are the human notes plus those rules and settings, the solver's are the
notes it wrote.
"""

from __future__ import annotations

import datetime
from typing import Any

from stretto.edits import Lock, Pin
from stretto.project import Project

NAMESPACE = "urn:stretto:"
SETTING_ACTIONS = ("constrain",)


def shares(project: Project) -> dict[str, Any]:
    """Per voice and in total: notes, notes by the composer and their share; decisions."""
    voices = []
    human_total = notes_total = 0
    for voice in project.piece.voices:
        notes = voice.sounding()
        human = sum(n.origin == "human" for n in notes)
        voices.append({"voice": voice.name, "notes": len(notes), "human_notes": human,
                       "human_share": human / len(notes) if notes else 0.0})
        human_total += human
        notes_total += len(notes)
    rules = sum(not isinstance(c, (Pin, Lock)) for c in project.constraints)
    settings = sum(e["action"] == "constrain" and "constraint" not in e
                   for e in project.history)
    human_decisions = human_total + rules + settings
    solver_decisions = notes_total - human_total
    total = {"notes": notes_total, "human_notes": human_total,
             "human_share": human_total / notes_total if notes_total else 0.0,
             "human_decisions": human_decisions, "solver_decisions": solver_decisions,
             "human_decision_share": human_decisions / (human_decisions + solver_decisions)
             if human_decisions + solver_decisions else 0.0}
    return {"voices": voices, "total": total}


def edit_of(project: Project, constraint_id: str | None) -> int | None:
    """The number of the history entry that made constraint ``constraint_id``: the edit that
    names it, or for an imported edit (its ``source`` ``import <file> <sha256>``) the import
    of that file; None when none is recorded."""
    for e in project.history:
        if constraint_id and e.get("constraint") == constraint_id:
            return e["n"]
    c = next((c for c in project.constraints if c.id == constraint_id), None)
    source = getattr(c, "source", None) or ""
    if source.startswith("import "):
        _, name, sha = (source.split(" ", 2) + ["", ""])[:3]
        for e in reversed(project.history):
            if e["action"] == "import" and f"imported {name} (sha256 {sha[:12]}" in e["what"]:
                return e["n"]
    return None


def _time(stamp: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def prov_json(project: Project) -> str:
    """The project's provenance as a W3C PROV-JSON document: score versions and notes as
    entities, edits and solves as activities, the composer and stretto as agents."""
    from prov.model import ProvDocument

    doc = ProvDocument()
    doc.add_namespace("stretto", NAMESPACE)
    composer = doc.agent("stretto:composer", {"prov:type": "prov:Person"})
    runs = {r["id"]: r for r in project.runs}
    version = runs[next(iter(runs))].get("stretto", "unknown") if runs else "unknown"
    software = doc.agent("stretto:stretto", {"prov:type": "prov:SoftwareAgent",
                                             "stretto:version": version})
    activities: dict[str, Any] = {}
    by_constraint: dict[str, Any] = {}
    by_run: dict[str, Any] = {}
    previous = None
    for e in project.history:
        t = _time(e["at"])
        act = doc.activity(f"stretto:edit-{e['n']}", t, t,
                           {"stretto:action": e["action"], "stretto:what": e["what"]})
        doc.wasAssociatedWith(act, composer)
        run = runs.get(e.get("run"))
        if run is not None:
            solve = doc.activity(f"stretto:solve-{run['id']}", t, t, {
                "stretto:status": run.get("status", "?"), "stretto:seed": run.get("seed", 0),
                "stretto:rules_hash": run.get("rules_hash", ""),
                "stretto:time_limit": run.get("time_limit", 0),
                "stretto:ortools": run.get("ortools", "")})
            doc.wasAssociatedWith(solve, software)
            doc.wasInformedBy(solve, act)
            by_run[run["id"]] = solve
        activities[str(e["n"])] = act
        if "constraint" in e:
            by_constraint[e["constraint"]] = act
        score = doc.entity(f"stretto:score-v{e['n']}", {"prov:type": "stretto:ScoreVersion"})
        doc.wasGeneratedBy(score, by_run.get(e.get("run"), act))
        if previous is not None:
            doc.used(act, previous)
            doc.wasDerivedFrom(score, previous)
        previous = score
    first = activities.get("1")
    sources = _inputs(doc, project, first)
    for v, voice in enumerate(project.piece.voices):
        for n in voice.sounding():
            note = doc.entity(f"stretto:note-{n.id}", {
                "prov:type": "stretto:Note", "stretto:voice": voice.name,
                "stretto:pitch": n.pitch.name, "stretto:onset": str(n.onset),
                "stretto:duration": str(n.duration), "stretto:origin": n.origin})
            if previous is not None:
                doc.hadMember(previous, note)
            if n.origin == "human" and n.source in sources:  # a given voice not yours
                entity, author = sources[n.source]
                doc.wasDerivedFrom(note, entity)
                doc.wasAttributedTo(note, author)
                maker = first
            elif n.origin == "human":
                doc.wasAttributedTo(note, composer)
                made = edit_of(project, n.source)
                maker = by_constraint.get(n.source or "") or activities.get(str(made)) or first
            else:
                doc.wasAttributedTo(note, software)
                maker = by_run.get(n.source or "")
            if maker is not None:
                doc.wasGeneratedBy(note, maker)
    return doc.serialize(format="json", indent=2) + "\n"


def _inputs(doc, project: Project, first) -> dict[str, Any]:
    """The recorded inputs as entities (``stretto:input-<id>``, with their licence) used by
    the first activity; for a given voice (cantus, melody) that is not the composer's own, its
    role -> (entity, agent of its source), so that its notes are attributed to the source."""
    from stretto.licence import YOURS, inputs_from_data

    given: dict[str, Any] = {}
    for i in inputs_from_data(project.inputs):
        attrs = {"prov:type": "stretto:Input", "stretto:role": i.role, "stretto:title": i.title,
                 "stretto:source": i.source, "stretto:licence": i.licence.id,
                 "stretto:uses": ", ".join(sorted(i.licence.uses))}
        if i.sha256:
            attrs["stretto:sha256"] = i.sha256
        entity = doc.entity(f"stretto:input-{i.id}", attrs)
        if first is not None:
            doc.used(first, entity)
        if i.role in ("cantus", "melody") and i.licence.id != YOURS.id:
            author = doc.agent(f"stretto:source-{i.id}", {"prov:type": "prov:Organization",
                                                          "stretto:source": i.source})
            doc.wasAttributedTo(entity, author)
            given[i.role] = (entity, author)
    return given


__all__ = ["edit_of", "prov_json", "shares"]
