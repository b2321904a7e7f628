"""Import and export: MusicXML (through music21), MIDI (through mido) and score.json.

Importing this package is cheap: music21 and mido are imported only when a file is read or
written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from stretto.errors import BadInput
from stretto.io.reading import MIDI_SUFFIXES, MUSICXML_SUFFIXES, read_score

if TYPE_CHECKING:  # pragma: no cover
    from stretto.score import Piece


def write_score(piece: Piece, path: str | Path) -> Path:
    """Write ``piece`` to one file by its suffix: ``.json`` (score.json), ``.musicxml``/
    ``.xml`` or ``.mid``/``.midi``, all or nothing (a project folder:
    :func:`write_project`). Raises :class:`BadInput` for other suffixes."""
    from stretto.io.journal import write_files

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        from stretto.score import dumps

        def write(target: Path) -> None:
            target.write_text(dumps(piece), encoding="utf-8")
    elif suffix in (".musicxml", ".xml"):
        from stretto.io.musicxml import write_musicxml

        def write(target: Path) -> None:
            write_musicxml(piece, target)
    elif suffix in MIDI_SUFFIXES:
        from stretto.io.midi import write_midi

        def write(target: Path) -> None:
            write_midi(piece, target)
    else:
        raise BadInput(f"cannot write {path.name}: use .musicxml, .mid or .json")
    out = path.absolute()
    write_files(out.parent, [out.name], lambda tmp: write(tmp / out.name))
    return out


def write_project(piece: Piece, out_dir: str | Path, *,
                  provenance: str | None = None) -> dict[str, Path]:
    """Write score.mid, score.musicxml and score.json into ``out_dir`` atomically
    (see :func:`stretto.io.project.write_project`)."""
    from stretto.io.project import write_project as _write_project

    return _write_project(piece, out_dir, provenance=provenance)


__all__ = ["MIDI_SUFFIXES", "MUSICXML_SUFFIXES", "read_score", "write_project", "write_score"]
