"""Write files into a project folder all or nothing.

Everything is first written into a temporary folder next to ``out_dir`` (so on the same file
system), then moved into place with :func:`os.replace`. If anything fails, the files already
moved are rolled back: ``out_dir`` keeps its old files, gains no new or partial one, and no
temporary folder is left behind. :func:`write_files` is the general form (any files, also in
subfolders such as ``stems/``); :func:`write_project` writes score.mid, score.musicxml and
score.json with it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from stretto.errors import BadInput
from stretto.score import Piece, save_json

if TYPE_CHECKING:  # pragma: no cover
    from stretto.project import Project

FILES = {"midi": "score.mid", "musicxml": "score.musicxml", "json": "score.json"}


def _stage(piece: Piece, folder: Path, provenance: str | None,
           json_text: str | None = None) -> None:
    from stretto.io.midi import write_midi
    from stretto.io.musicxml import write_musicxml

    write_midi(piece, folder / FILES["midi"], text=provenance)
    write_musicxml(piece, folder / FILES["musicxml"], encoding_text=provenance)
    if json_text is None:
        save_json(piece, folder / FILES["json"])
    else:
        (folder / FILES["json"]).write_text(json_text, encoding="utf-8")


def _backup(target: Path, backup: Path) -> None:
    try:
        os.link(target, backup)
    except OSError:  # no hard links here: copy instead
        shutil.copy2(target, backup)


def write_files(out_dir: str | Path, names: Iterable[str],
                stage: Callable[[Path], None]) -> dict[str, Path]:
    """Write the files ``names`` (paths relative to ``out_dir``, e.g. ``stems/01-Alto.wav``)
    all or nothing: ``stage(folder)`` writes them under a temporary ``folder``, then each is
    moved into ``out_dir`` (created if missing, with any subfolders). Returns name -> path."""
    names = list(names)
    out = Path(out_dir).absolute()
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    new, old = tmp / "new", tmp / "old"
    placed: list[str] = []
    made_dirs: list[Path] = []
    try:
        new.mkdir()
        old.mkdir()
        stage(new)
        for name in names:
            target = out / name
            for parent in reversed(target.relative_to(out).parents[:-1]):
                if not (out / parent).exists():
                    (out / parent).mkdir()
                    made_dirs.append(out / parent)
            if target.exists():
                (old / name).parent.mkdir(parents=True, exist_ok=True)
                _backup(target, old / name)
            os.replace(new / name, target)
            placed.append(name)
    except BaseException:
        for name in reversed(placed):
            if (old / name).exists():
                os.replace(old / name, out / name)
            else:
                (out / name).unlink(missing_ok=True)
        for folder in reversed(made_dirs):
            try:
                folder.rmdir()
            except OSError:
                pass
        if created:
            try:
                out.rmdir()
            except OSError:
                pass
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {name: out / name for name in names}


def write_project(piece: Piece, out_dir: str | Path, *,
                  provenance: str | None = None) -> dict[str, Path]:
    """Write score.mid, score.musicxml and score.json into ``out_dir`` (created if missing),
    all or nothing. ``provenance`` (one line) goes into the MIDI conductor track's text and the
    MusicXML encoding description. Returns the paths by kind: ``midi``, ``musicxml``, ``json``.
    """
    paths = write_files(out_dir, FILES.values(), lambda folder: _stage(piece, folder, provenance))
    return {kind: paths[name] for kind, name in FILES.items()}


# ---------------------------------------------------------------------------- editing

STATE = ".stretto"  # undo and redo snapshots: whole earlier score.json texts
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
    paths = _write(project, folder, names + list(extra), text, extra)
    if previous_text is not None:
        for old in _snapshots(folder, REDO):
            old.unlink()
    return paths


def _write(project: "Project", folder: Path, names: list[str], text: str,
           extra: dict[str, str]) -> dict[str, Path]:
    def stage(tmp: Path) -> None:
        _stage(project.piece, tmp, project.summary(), text)
        for name, content in extra.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(content, encoding="utf-8")

    paths = write_files(folder, names, stage)
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
    _write(project, folder, list(FILES.values()) + [name], text, {name: current})
    steps[-1].unlink()
    return project


def undo_depth(folder: str | Path) -> tuple[int, int]:
    """(undo steps, redo steps) available in ``folder``."""
    folder = Path(folder)
    return len(_snapshots(folder, UNDO)), len(_snapshots(folder, REDO))


__all__ = ["FILES", "load_project", "save_project", "step_back", "undo_depth", "write_files",
           "write_project"]
