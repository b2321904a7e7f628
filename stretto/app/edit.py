"""The editing operations on a project folder, as a composer performs them: pin, unpin, lock,
unlock, regenerate, constrain, undo, redo, history and provenance.

Each is a typed, keyword-only function over a folder written by ``stretto species``,
``harmonize`` or ``compose``. It takes the project's lock for its whole read-solve-write (one
writer at a time; readers see a whole version), re-solves at once (unless ``solve=False``)
with the fewest changed notes the rules allow, saves score.mid, score.musicxml and score.json
all or nothing with an undo step, and returns what it did as an :class:`EditResult`. Bad
input raises :class:`~stretto.errors.BadInput`, wishes that cannot all hold
:class:`~stretto.errors.Unsatisfiable` (naming a minimal conflicting set); nothing is written
then. The command line and the studio call these same functions::

    from stretto.app import pin
    result = pin("out/first", voice=1, bar=5, pitch="E5")
    print(result.notes_changed, "of", result.notes_total, "notes changed")
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from stretto.app.kinds import kind_of
from stretto.app.session import DEFAULT_BUDGET, EditResult, check_bars, load, locked, \
    refuse_given, save_edit, settings_of, voice_index, with_constraint
from stretto.errors import BadInput, Unsatisfiable


@dataclass(frozen=True)
class StepResult:
    """Where undo or redo left the project: the edit it is back to, steps left each way."""

    direction: str
    back_to: str
    undo_left: int
    redo_left: int


@dataclass(frozen=True)
class History:
    """The project's log, its solver runs, the constraints in force and the undo depth."""

    entries: tuple[dict, ...]
    runs: tuple[dict, ...]
    constraints: tuple
    undo: int
    redo: int


# ---------------------------------------------------------------------------- operations


def pin(folder: str | Path, *, voice: int | str, bar: int, pitch: str,
        beat: str | Fraction | None = None, allow_cantus_edit: bool = False,
        solve: bool = True, time_limit: float | None = None,
        seed: int | None = None, budget: int = DEFAULT_BUDGET) -> EditResult:
    """Fix one note's pitch (marked as the composer's) and re-solve around it, changing up
    to ``budget`` notes more than the fewest where that lowers the objective (the result's
    ``moves`` say which and why). On a species project's cantus, ``allow_cantus_edit``
    changes the cantus itself."""
    from stretto.edits import Pin, parse_beat
    from stretto.pitch import Pitch

    with locked(folder):
        project, text = load(folder)
        kind = kind_of(project)
        v = voice_index(voice, len(project.piece.voices))
        p = Pitch.parse(pitch) if isinstance(pitch, str) else pitch
        at = parse_beat(beat)
        kind.check_place(project, bar, at)
        opts = dict(solve=solve, time_limit=time_limit, seed=seed, budget=_budget(budget))
        if v == kind.given_voice(project) and (allow_cantus_edit or kind.pin_edits_given):
            if not allow_cantus_edit:
                raise BadInput(f"voice {v + 1} is the cantus firmus: pass --allow-cantus-edit "
                               "to change it")
            project, what = kind.edit_given(project, bar, at, p)
            return save_edit(folder, project, text, "cantus-edit", what, **opts)
        project = replace(project, constraints=tuple(
            c for c in project.constraints
            if not (isinstance(c, Pin) and c.voice == v and c.bar == bar and c.beat == at)))
        project, c = with_constraint(project, lambda cid: Pin(cid, v, bar, at, p))
        return save_edit(folder, project, text, "pin", c.describe().replace("your ", ""),
                     constraint=c.id, **opts)


def unpin(folder: str | Path, *, voice: int | str, bar: int,
          beat: str | Fraction | None = None, solve: bool = True,
          time_limit: float | None = None, seed: int | None = None,
          budget: int = DEFAULT_BUDGET) -> EditResult:
    """Remove the pins on a voice at ``bar`` (at ``beat``, or every beat) and re-solve
    (``budget``: as for :func:`pin`)."""
    from stretto.edits import Pin, parse_beat

    with locked(folder):
        project, text = load(folder)
        v = voice_index(voice, len(project.piece.voices))
        at = parse_beat(beat) if beat else None
        gone = [c for c in project.constraints if isinstance(c, Pin) and c.voice == v
                and c.bar == bar and (at is None or c.beat == at)]
        if not gone:
            raise BadInput(f"no pin on voice {v + 1} bar {bar}"
                           + (f" beat {at}" if at else "") + ": see `stretto history`")
        project = replace(project, constraints=tuple(c for c in project.constraints
                                                     if c not in gone))
        what = "removed " + "; ".join(c.describe().replace("your ", "") for c in gone)
        return save_edit(folder, project, text, "unpin", what, solve=solve,
                     time_limit=time_limit, seed=seed, budget=_budget(budget))


def lock(folder: str | Path, *, voice: int | str, bars: str | None = None) -> EditResult:
    """Keep a voice's current notes (pitches and rhythm) in ``bars`` ("A-B", default all).
    A lock keeps what is there, so nothing is re-solved."""
    from stretto.edits import Lock, parse_bars
    from stretto.solver.species.edit import lock_notes

    with locked(folder):
        project, text = load(folder)
        v = voice_index(voice, len(project.piece.voices))
        first, last = parse_bars(bars) if bars else (1, project.piece.bars)
        check_bars(project, first, last)
        refuse_given(project, v, "it never changes, no lock needed")
        notes = lock_notes(project.piece, v, first, last)
        project, c = with_constraint(project, lambda cid: Lock(cid, v, first, last, notes))
        return save_edit(folder, project, text, "lock", c.describe().replace("your ", ""),
                     constraint=c.id, solve=False, time_limit=None, seed=None)


def unlock(folder: str | Path, *, voice: int | str, bars: str | None = None,
           solve: bool = True, time_limit: float | None = None,
           seed: int | None = None, budget: int = DEFAULT_BUDGET) -> EditResult:
    """Release the locks of a voice in ``bars`` (the parts outside stay locked), re-solve
    (``budget``: as for :func:`pin`)."""
    from stretto.edits import Lock, parse_bars
    from stretto.solver.species.edit import lock_notes

    with locked(folder):
        project, text = load(folder)
        v = voice_index(voice, len(project.piece.voices))
        first, last = parse_bars(bars) if bars else (1, project.piece.bars)
        kept, touched = [], False
        for c in project.constraints:
            if not (isinstance(c, Lock) and c.voice == v and c.first <= last
                    and c.last >= first):
                kept.append(c)
                continue
            touched = True
            # the parts of the lock outside the unlocked bars stay, as locks of their own
            for a, b in ((c.first, first - 1), (last + 1, c.last)):
                if a <= b:
                    cid, project = project.new_id()
                    kept.append(Lock(cid, v, a, b, lock_notes(project.piece, v, a, b)))
        if not touched:
            raise BadInput(f"voice {v + 1} has no lock in bars {first}-{last}")
        project = replace(project, constraints=tuple(kept))
        return save_edit(folder, project, text, "unlock",
                     f"unlocked voice {v + 1} bars {first}-{last}", solve=solve,
                     time_limit=time_limit, seed=seed, budget=_budget(budget))


def _budget(budget: int) -> int:
    """BadInput unless ``budget`` is a whole number of notes, 0 or more."""
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
        raise BadInput(f"--budget {budget!r}: give a whole number of notes, 0 or more (0: "
                       "only the fewest changes)")
    return budget


@dataclass(frozen=True)
class Choice:
    """One alternative of a regeneration: its number (1 = best by the objective), the hash
    of the region's notes, the objective (lower is better), how many of the region's free
    notes it changes, and the notes (``voice|onset|duration|pitch``)."""

    number: int
    hash: str
    objective: float | None
    free_changed: int
    notes: tuple[str, ...]


@dataclass(frozen=True)
class RegenerateResult(EditResult):
    """A regeneration: the edit (the best alternative is the score now) and every
    alternative found, best first (``choose`` takes another); the region's free notes, how
    many were asked to change, the one-line shortfall when the rules allowed fewer, and the
    seed the solver ran with (advanced on every regeneration of the project)."""

    region: str = ""
    choices: tuple[Choice, ...] = ()
    free_notes: int = 0
    target: int = 0
    shortfall: str | None = None
    seed: int | None = None


def _region_of(entry: dict):
    from stretto.solver.cpsat.region import Region
    v, first, last = entry["region"]
    return Region(v, first, last)


def _seen(project, region) -> tuple[tuple[str, ...], ...]:
    """Every variant of ``region`` the project's history records (what each regeneration
    replaced, wrote and offered), and the region as it is now."""
    from stretto.solver.cpsat.variants import region_notes

    key, out = region.describe(), []
    for e in project.history:
        for rec in ([e["variant"]] if "variant" in e else []) + list(e.get("options", ())):
            if rec.get("region") == key:
                out += [tuple(rec[k]) for k in ("before", "notes") if rec.get(k)]
    out.append(region_notes(project.piece, region))
    return tuple(dict.fromkeys(out))


def _regenerations(project) -> int:
    return sum(e.get("action") == "regenerate" for e in project.history)


def regenerate(folder: str | Path, *, bars: str, voice: int | str | None = None,
               change: float | None = None, options: int = 1,
               time_limit: float | None = None, seed: int | None = None) -> RegenerateResult:
    """A new valid passage in ``bars``: every voice the solver writes, or ``voice`` alone
    against the others; everything outside the bars stays. It changes at least ``change``
    (default half) of the region's free notes (not pinned, locked or given) and is none of
    the variants the project's history has seen there; with ``options`` K, K mutually
    distinct alternatives come back ranked by the objective, the best written, the others
    kept as pending choices (:func:`choose`). The seed advances with every regeneration
    (``seed`` overrides it), so the same project and the same call give the same result."""
    from stretto.edits import parse_bars
    from stretto.solver.cpsat.region import Region
    from stretto.solver.cpsat.variants import DEFAULT_CHANGE, RegenerateAsk, region_notes

    with locked(folder):
        project, text = load(folder)
        kind = kind_of(project)
        v = voice_index(voice, len(project.piece.voices)) if voice is not None else None
        first, last = parse_bars(bars)
        check_bars(project, first, last)
        region = Region(v, first, last)
        if isinstance(options, bool) or not isinstance(options, int):
            raise BadInput(f"--options {options!r}: give a whole number of alternatives")
        ask = RegenerateAsk(change=DEFAULT_CHANGE if change is None else float(change),
                            options=options, seen=_seen(project, region))
        used = seed if seed is not None else \
            int(project.settings["seed"]) + _regenerations(project)
        run = project.run_id()
        try:
            found = kind.regenerate(project, settings_of(project, time_limit, used), run_id=run,
                                    region=region, ask=ask)
        except Unsatisfiable as exc:
            keep = f"regenerate {region.describe()}: everything else stays as it is"
            if v is None or keep not in exc.conflicts:
                raise
            raise Unsatisfiable(f"{exc}; leave out --voice to re-solve every voice in bars "
                                f"{first}-{last}", exc.conflicts) from None
        key = region.describe()
        choices = tuple(Choice(i + 1, a.hash, a.objective, a.changed_free, a.notes)
                        for i, a in enumerate(found.alternatives))
        best = found.alternatives[0]
        entry: dict[str, Any] = {
            "seed": used, "change": ask.change, "region": [v, first, last],
            "variant": {"region": key, "hash": best.hash, "notes": list(best.notes),
                        "before": list(region_notes(project.piece, region))}}
        if len(choices) > 1:
            entry["options"] = [{"region": key, "hash": c.hash, "objective": c.objective,
                                 "free_changed": c.free_changed, "notes": list(c.notes)}
                                for c in choices]
        if found.shortfall:
            entry["shortfall"] = found.shortfall
        what = f"regenerated {key}" + (f" (option 1 of {len(choices)})" if options > 1 else "")
        res = save_edit(folder, project, text, "regenerate", what, solve=False,
                        time_limit=None, seed=None, outcome=best.outcome, run=run, entry=entry)
    return RegenerateResult(**{f.name: getattr(res, f.name) for f in fields(EditResult)},
                            region=key, choices=choices, free_notes=found.free,
                            target=found.target, shortfall=found.shortfall, seed=used)


def _pending(project) -> dict:
    """The last regeneration that offered options, if no other edit came after it (choosing
    among them is allowed any number of times)."""
    for e in reversed(project.history):
        if "options" in e:
            return e
        if e.get("action") != "choose":
            break
    raise BadInput("no pending choices: the last edit offered none; run `stretto regenerate "
                   "DIR --bars A-B --options K` first")


def _with_region(piece, region, notes):
    """``piece`` with its region's notes (of the voices regenerate writes) replaced by the
    variant ``notes``: the score a choice asks the solver to confirm."""
    from stretto.score import Note
    from stretto.solver.cpsat.variants import parse_notes, region_span, region_voices

    lo, hi = region_span(piece, region)
    by_voice = parse_notes(notes)
    voices = list(piece.voices)
    for v in region_voices(piece, region):
        kept = [replace(n, tie=None) for n in piece.voices[v].sounding()
                if not (n.onset < hi and n.end > lo)]
        new = [Note(id=f"choice{v}n{i}", pitch=p, onset=on, duration=end - on)
               for i, (on, end, p) in enumerate(by_voice.get(v, []))]
        voices[v] = replace(voices[v], notes=tuple(sorted(kept + new, key=lambda n: n.onset)))
    return replace(piece, voices=tuple(voices))


def choose(folder: str | Path, *, option: int, time_limit: float | None = None) -> EditResult:
    """Take alternative ``option`` (1 = the best) of the last ``regenerate --options``: the
    region becomes that variant, confirmed by the solver under every rule and wish (nothing
    else changes). An undo step like any edit."""
    from stretto.solver.cpsat.region import count_changes
    from stretto.solver.cpsat.variants import region_notes

    with locked(folder):
        project, text = load(folder)
        entry = _pending(project)
        offered = entry["options"]
        if isinstance(option, bool) or not isinstance(option, int) or \
                not 1 <= option <= len(offered):
            raise BadInput(f"option {option!r} is not one of the {len(offered)} offered: give "
                           f"1-{len(offered)}")
        region = _region_of(entry)
        chosen = offered[option - 1]
        what = f"chose option {option} of {len(offered)} for {region.describe()}"
        if region_notes(project.piece, region) == tuple(chosen["notes"]):
            return EditResult(action="choose", what=f"option {option} is the score already",
                              notes_changed=0, notes_total=0, status="unchanged")
        kind = kind_of(project)
        run = project.run_id()
        settings = settings_of(project, time_limit, entry.get("seed"))
        out = kind.resolve(replace(project, piece=_with_region(project.piece, region,
                                                              chosen["notes"])),
                           settings, run_id=run, budget=0)
        if region_notes(out.result.piece, region) != tuple(chosen["notes"]):
            raise BadInput(f"option {option} no longer fits the project's rules and wishes: "
                           "regenerate again")
        given = kind.given_voice(project)
        changed, total = count_changes(project.piece, out.result.piece,
                                       -1 if given is None else given)
        out.result.stats["notes_changed"] = changed
        out = replace(out, changed=changed, total=total)
        return save_edit(folder, project, text, "choose", what, solve=False, time_limit=None,
                         seed=None, outcome=out, run=run, entry={
                             "option": option, "of": entry["n"],
                             "variant": {"region": region.describe(), "hash": chosen["hash"],
                                         "notes": list(chosen["notes"])}})


def _step(folder, redo: bool) -> StepResult:
    from stretto.io.project import step_back, undo_depth

    with locked(folder):
        project = step_back(folder, redo=redo)
        undo, again = undo_depth(folder)
    last = project.history[-1]["what"] if project.history else "the first score"
    return StepResult("redo" if redo else "undo", last, undo, again)


def undo(folder: str | Path) -> StepResult:
    """Step the project back one edit (the score and its constraints)."""
    return _step(folder, False)


def redo(folder: str | Path) -> StepResult:
    """Step forward again over an undone edit."""
    return _step(folder, True)


def history(folder: str | Path) -> History:
    """The project's log, runs, constraints in force and undo depth (a reader's lock)."""
    from stretto.io.project import undo_depth

    with locked(folder, shared=True):
        project, _ = load(folder, edit=False)
        undo_n, redo_n = undo_depth(folder)
    return History(tuple(project.history), tuple(project.runs), tuple(project.constraints),
                   undo_n, redo_n)


def provenance(folder: str | Path, *, format: str = "json") -> dict[str, Any] | str:
    """Who wrote which notes: the composer's share per voice and in total (``json``: a dict),
    or a W3C PROV-JSON document (``prov-json``: its text)."""
    from stretto.provenance import prov_json, shares

    if format not in ("json", "prov-json"):
        raise BadInput(f"unknown provenance format {format!r}: use json or prov-json")
    with locked(folder, shared=True):
        project, _ = load(folder, edit=False)
    return prov_json(project) if format == "prov-json" else shares(project)


def write_provenance(folder: str | Path, output: str | Path) -> Path:
    """Write the PROV-JSON document of ``folder`` to ``output`` (all or nothing)."""
    from stretto.io.journal import write_files

    out = Path(output)
    if out.is_dir():
        raise BadInput(f"--output {output} is a folder: give a file name, e.g. "
                       f"{out / 'provenance.json'}")
    text = provenance(folder, format="prov-json")
    out = out.absolute()
    write_files(out.parent, [out.name],
                lambda tmp: (tmp / out.name).write_text(text, encoding="utf-8"))
    return out


__all__ = ["Choice", "EditResult", "History", "RegenerateResult", "StepResult", "choose",
           "history", "lock", "pin", "provenance", "redo", "regenerate", "undo", "unlock",
           "unpin", "write_provenance"]
