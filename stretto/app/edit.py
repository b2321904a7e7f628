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

from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from stretto.app.kinds import kind_of
from stretto.app.session import EditResult, check_bars, load, locked, refuse_given, \
    save_edit, voice_index, with_constraint
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
        seed: int | None = None) -> EditResult:
    """Fix one note's pitch (marked as the composer's) and re-solve around it. On a species
    project's cantus, ``allow_cantus_edit`` changes the cantus itself."""
    from stretto.edits import Pin, parse_beat
    from stretto.pitch import Pitch

    with locked(folder):
        project, text = load(folder)
        kind = kind_of(project)
        v = voice_index(voice, len(project.piece.voices))
        p = Pitch.parse(pitch) if isinstance(pitch, str) else pitch
        at = parse_beat(beat)
        kind.check_place(project, bar, at)
        opts = dict(solve=solve, time_limit=time_limit, seed=seed)
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
          time_limit: float | None = None, seed: int | None = None) -> EditResult:
    """Remove the pins on a voice at ``bar`` (at ``beat``, or every beat) and re-solve."""
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
                     time_limit=time_limit, seed=seed)


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
           seed: int | None = None) -> EditResult:
    """Release the locks of a voice in ``bars`` (the parts outside stay locked), re-solve."""
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
                     time_limit=time_limit, seed=seed)


def regenerate(folder: str | Path, *, bars: str, voice: int | str | None = None,
               time_limit: float | None = None, seed: int | None = None) -> EditResult:
    """A different valid passage in ``bars``: every voice the solver writes, or ``voice``
    alone against the others; everything outside the bars stays."""
    from stretto.edits import parse_bars
    from stretto.solver.cpsat.region import Region

    with locked(folder):
        project, text = load(folder)
        v = voice_index(voice, len(project.piece.voices)) if voice is not None else None
        first, last = parse_bars(bars)
        check_bars(project, first, last)
        region = Region(v, first, last)
        try:
            return save_edit(folder, project, text, "regenerate",
                         f"regenerated {region.describe()}", region=region, solve=True,
                         time_limit=time_limit, seed=seed)
        except Unsatisfiable as exc:
            keep = f"regenerate {region.describe()}: everything else stays as it is"
            if v is None or keep not in exc.conflicts:
                raise
            raise Unsatisfiable(f"{exc}; leave out --voice to re-solve every voice in bars "
                                f"{first}-{last}", exc.conflicts) from None


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


__all__ = ["EditResult", "History", "StepResult", "history", "lock", "pin", "provenance", "redo",
           "regenerate", "undo", "unlock", "unpin", "write_provenance"]
