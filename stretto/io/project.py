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
from typing import Callable, Iterable

from stretto.score import Piece, save_json

FILES = {"midi": "score.mid", "musicxml": "score.musicxml", "json": "score.json"}


def _stage(piece: Piece, folder: Path, provenance: str | None) -> None:
    from stretto.io.midi import write_midi
    from stretto.io.musicxml import write_musicxml

    write_midi(piece, folder / FILES["midi"], text=provenance)
    write_musicxml(piece, folder / FILES["musicxml"], encoding_text=provenance)
    save_json(piece, folder / FILES["json"])


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


__all__ = ["FILES", "write_files", "write_project"]
