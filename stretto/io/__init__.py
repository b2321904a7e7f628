"""Import and export: MusicXML (through music21), MIDI (through mido) and score.json.

Importing this package is cheap: music21 and mido are imported only when a file is read or
written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from stretto.errors import BadInput

if TYPE_CHECKING:  # pragma: no cover
    from stretto.modes import Mode
    from stretto.score import Piece

MUSICXML_SUFFIXES = (".musicxml", ".xml", ".mxl")
MIDI_SUFFIXES = (".mid", ".midi")


def read_score(path: str | Path, *, mode: Mode | None = None) -> Piece:
    """Read a score by its suffix: ``.json`` (score.json), ``.musicxml``/``.xml``/``.mxl`` or
    ``.mid``/``.midi``. ``mode`` overrides the guessed mode of MusicXML and MIDI files (a
    score.json records its own). Raises :class:`BadInput` for other suffixes or unreadable
    files."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        from stretto.score import load_json

        return load_json(path)
    if suffix in MUSICXML_SUFFIXES:
        from stretto.io.musicxml import read_musicxml

        return read_musicxml(path, mode=mode)
    if suffix in MIDI_SUFFIXES:
        from stretto.io.midi import read_midi

        return read_midi(path, mode=mode)
    raise BadInput(f"unsupported file type {suffix or '(no suffix)'!r} for {path.name}: "
                   "use .musicxml, .mxl, .mid or score.json")


def write_project(piece: Piece, out_dir: str | Path, *,
                  provenance: str | None = None) -> dict[str, Path]:
    """Write score.mid, score.musicxml and score.json into ``out_dir`` atomically
    (see :func:`stretto.io.project.write_project`)."""
    from stretto.io.project import write_project as _write_project

    return _write_project(piece, out_dir, provenance=provenance)


__all__ = ["MIDI_SUFFIXES", "MUSICXML_SUFFIXES", "read_score", "write_project"]
