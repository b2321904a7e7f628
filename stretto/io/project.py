"""A project folder: score.mid, score.musicxml and score.json, and the undo/redo steps.

Every save goes through :func:`stretto.io.journal.write_files`, so score.json, score.mid,
score.musicxml and the undo/redo snapshots of one version switch together, even across a
crash: the folder always holds one whole version.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from stretto.errors import BadInput
from stretto.io.journal import STATE, write_files
from stretto.licence import rights_line
from stretto.score import Piece, save_json

if TYPE_CHECKING:  # pragma: no cover
    from stretto.project import Project

FILES = {"midi": "score.mid", "musicxml": "score.musicxml", "json": "score.json"}


def _stage(piece: Piece, folder: Path, provenance: str | None,
           json_text: str | None = None, rights: str | None = None) -> None:
    from stretto.io.midi import write_midi
    from stretto.io.musicxml import write_musicxml

    write_midi(piece, folder / FILES["midi"], text=provenance, rights=rights)
    write_musicxml(piece, folder / FILES["musicxml"], encoding_text=provenance, rights=rights)
    if json_text is None:
        save_json(piece, folder / FILES["json"])
    else:
        (folder / FILES["json"]).write_text(json_text, encoding="utf-8")


def write_project(piece: Piece, out_dir: str | Path, *,
                  provenance: str | None = None) -> dict[str, Path]:
    """Write score.mid, score.musicxml and score.json into ``out_dir`` (created if missing),
    all or nothing. ``provenance`` (one line) goes into the MIDI conductor track's text and the
    MusicXML encoding description. Returns the paths by kind: ``midi``, ``musicxml``, ``json``.
    """
    paths = write_files(out_dir, FILES.values(), lambda folder: _stage(piece, folder, provenance))
    return {kind: paths[name] for kind, name in FILES.items()}


# ---------------------------------------------------------------------------- editing

# undo and redo snapshots (whole earlier score.json texts) live in the state folder
UNDO, REDO = f"{STATE}/undo", f"{STATE}/redo"


def load_project(folder: str | Path) -> tuple["Project", str]:
    """The project in ``folder`` and its score.json text. BadInput when there is none."""
    from stretto.project import project_loads

    path = Path(folder) / FILES["json"]
    if not Path(folder).is_dir():
        raise BadInput(f"no project folder {folder}: make one with `stretto species`, "
                       f"`harmonize` or `compose ... --out {folder}`")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    return project_loads(text, str(path)), text


def load_piece(project: str | Path) -> "Piece":
    """The piece in ``project/score.json`` (a project folder); BadInput for anything else."""
    from stretto.io.reading import read_score

    path = Path(project)
    if path.is_dir():
        if not (path / "score.json").is_file():
            raise BadInput(f"{path} has no score.json: give a project folder written by "
                           "'stretto species --out DIR'")
        return read_score(path / "score.json")
    if not path.exists():
        raise BadInput(f"no such project folder: {path}")
    raise BadInput(f"{path} is a file, not a project folder: give the folder that holds "
                   "score.json")


def _snapshots(folder: Path, which: str) -> list[Path]:
    return sorted((folder / which).glob("*.json"))


def _next_snapshot(folder: Path, which: str) -> str:
    """The name (relative to ``folder``) of the next undo or redo snapshot."""
    steps = _snapshots(folder, which)
    return f"{which}/{int(steps[-1].stem) + 1 if steps else 1:06d}.json"


def save_project(project: "Project", folder: str | Path, *,
                 previous_text: str | None = None) -> dict[str, Path]:
    """Write the project's score.mid, score.musicxml and score.json all or nothing. With
    ``previous_text`` (the score.json it replaces) that text becomes the newest undo step, in
    the same all-or-nothing write, and the redo steps are dropped (a new edit ends them)."""
    from stretto.project import project_dumps

    folder = Path(folder)
    names = list(FILES.values())
    extra: dict[str, str] = {}
    if previous_text is not None:
        extra[_next_snapshot(folder, UNDO)] = previous_text
    text = project_dumps(project)
    redo = [str(p.relative_to(folder)) for p in _snapshots(folder, REDO)]
    return _write(project, folder, names + list(extra), text, extra,
                  remove=redo if previous_text is not None else [])


def _write(project: "Project", folder: Path, names: list[str], text: str,
           extra: dict[str, str], *, remove: list[str]) -> dict[str, Path]:
    def stage(tmp: Path) -> None:
        _stage(project.piece, tmp, project.summary(), text, rights_line(project))
        for name, content in extra.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(content, encoding="utf-8")

    paths = write_files(folder, names, stage, remove=remove)
    return {kind: paths[name] for kind, name in FILES.items()}


def step_back(folder: str | Path, *, redo: bool = False) -> "Project":
    """Undo (or redo) one edit: score.json becomes the newest undo (redo) snapshot byte for
    byte, MIDI and MusicXML are written from it, and the text it replaces becomes a redo (undo)
    step. BadInput when there is nothing to undo (redo)."""
    from stretto.project import project_loads

    folder = Path(folder)
    _, current = load_project(folder)
    source, target = (REDO, UNDO) if redo else (UNDO, REDO)
    steps = _snapshots(folder, source)
    if not steps:
        raise BadInput(f"nothing to {'redo' if redo else 'undo'} in {folder}")
    text = steps[-1].read_text(encoding="utf-8")
    project = project_loads(text, str(steps[-1]))
    name = _next_snapshot(folder, target)
    _write(project, folder, list(FILES.values()) + [name], text, {name: current},
           remove=[str(steps[-1].relative_to(folder))])
    return project


def project_problems(folder: str | Path) -> list[str]:
    """What is wrong with the project in ``folder`` as one version, in words (empty when
    whole): score.mid or score.musicxml not written from this score.json, an undo or redo
    step that is not a readable project, or a save journal left behind."""
    import tempfile

    from stretto.io.journal import journals
    from stretto.project import project_loads

    folder = Path(folder)
    project, text = load_project(folder)
    problems = [f"an unfinished save {j.name} in {STATE}/" for j in journals(folder)]
    with tempfile.TemporaryDirectory() as tmp:
        _stage(project.piece, Path(tmp), project.summary(), text, rights_line(project))
        for name in (FILES["midi"], FILES["musicxml"]):
            try:
                same = (folder / name).read_bytes() == (Path(tmp) / name).read_bytes()
            except OSError:
                same = False
            if not same:
                problems.append(f"{name} is not the score in score.json")
    for which in (UNDO, REDO):
        for step in _snapshots(folder, which):
            try:
                project_loads(step.read_text(encoding="utf-8"), str(step))
            except (OSError, BadInput) as exc:
                problems.append(f"{which}/{step.name} is not a project: {exc}")
    return problems


def _key(note) -> tuple:
    return note.midi, note.onset, note.duration


def hand_edit(folder: str | Path, project: "Project") -> str | None:
    """Where score.json and the score.mid saved with it disagree about a note (one of them
    was edited outside stretto, and the next save would overwrite that), in words; None when
    they agree or there is no score.mid to compare with."""
    import tempfile

    from stretto.io.midi import read_midi, write_midi

    folder = Path(folder)
    midi = folder / FILES["midi"]
    if not midi.is_file():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        write_midi(project.piece, Path(tmp) / "x.mid", text=project.summary(),
                   rights=rights_line(project))
        if (Path(tmp) / "x.mid").read_bytes() == midi.read_bytes():
            return None  # the common case: written together, untouched
    try:
        saved = [v.sounding() for v in read_midi(midi).voices]
    except BadInput:
        return f"{FILES['midi']} is no longer a readable MIDI file"
    json_name, midi_name = FILES["json"], FILES["midi"]
    for v, (mine, theirs) in enumerate(zip((v.sounding() for v in project.piece.voices), saved)):
        for a, b in zip(mine, theirs):
            if _key(a) != _key(b):
                bar, beat = project.piece.bar_beat(min(a.onset, b.onset))
                where = f"voice {v + 1} bar {bar} beat {float(beat):g}"
                if a.onset == b.onset and a.duration == b.duration:
                    return f"{where}: {a.name} in {json_name}, {b.name} in {midi_name}"
                return f"{where}: the rhythm differs between {json_name} and {midi_name}"
        if len(mine) != len(theirs):
            return f"voice {v + 1}: {len(mine)} notes in {json_name}, {len(theirs)} in {midi_name}"
    if len(project.piece.voices) != len(saved):
        return f"{len(project.piece.voices)} voices in {json_name}, {len(saved)} in {midi_name}"
    return None


#: What stretto writes into a project folder; anything else there is the user's.
OWN = ("score.json", "score.mid", "score.musicxml", "score.pdf", "score.svg", "mix.wav",
       "stems", "statement.md", "statement.pdf", STATE)
BACKUP_PREFIX = "backup-"


def foreign_files(out: str | Path, kind: str) -> list[tuple[str, str]]:
    """What writing a new ``kind`` project into ``out`` would overwrite of the user's work, as
    (name, why) pairs: a file of another program, a score.json that is not a stretto project
    or is one of another kind (then every file of that project is listed), a score.mid or
    score.musicxml changed since stretto saved it. Empty for a missing or empty folder, or a
    stretto project of this kind as stretto left it (its score.json becomes an undo step)."""
    import tempfile

    from stretto.project import project_loads

    out = Path(out)
    if not out.is_dir():
        return []
    found = [(p.name, "not written by stretto") for p in sorted(out.iterdir())
             if p.name not in OWN and not p.name.startswith(BACKUP_PREFIX)]
    ours = [name for name in OWN if (out / name).exists() or (out / name).is_symlink()]
    json_path = out / FILES["json"]
    if not json_path.is_file():
        return found + [(name, "written without a score.json") for name in ours]
    try:
        project = project_loads(json_path.read_text(encoding="utf-8"), str(json_path))
    except (OSError, UnicodeDecodeError, BadInput):
        return found + [(name, "beside a score.json that is not a stretto project")
                        for name in ours]
    if project.kind != kind:
        return found + [(name, f"of a {project.kind} project, not a {kind} one")
                        for name in ours]
    with tempfile.TemporaryDirectory() as tmp:
        _stage(project.piece, Path(tmp), project.summary(), "", rights_line(project))
        for name in (FILES["midi"], FILES["musicxml"]):
            path = out / name
            if path.exists() and path.read_bytes() != (Path(tmp) / name).read_bytes():
                found.append((name, "changed since stretto wrote it"))
    return found


def back_up(out: str | Path, names: Iterable[str], *, stamp: str) -> Path:
    """Move ``names`` (in ``out``) into a new folder ``out/backup-<stamp>/``; its path."""
    out = Path(out)
    folder, n = out / f"{BACKUP_PREFIX}{stamp}", 1
    while folder.exists():
        n += 1
        folder = out / f"{BACKUP_PREFIX}{stamp}-{n}"
    folder.mkdir()
    for name in names:
        os.replace(out / name, folder / name)
    return folder


def undo_depth(folder: str | Path) -> tuple[int, int]:
    """(undo steps, redo steps) available in ``folder``."""
    folder = Path(folder)
    return len(_snapshots(folder, UNDO)), len(_snapshots(folder, REDO))


__all__ = ["FILES", "OWN", "back_up", "foreign_files", "hand_edit", "load_project", "project_problems", "save_project", "step_back", "undo_depth", "write_project"]
