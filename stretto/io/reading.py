"""Reading any score by its suffix: score.json, MusicXML/MXL or MIDI, checked against the input
limits before anything else reads it (:mod:`stretto.limits`). Cheap to import: the readers
load music21 and mido only when a file is read."""

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
    from stretto.limits import validate_piece

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        from stretto.score import load_json as reader
    elif suffix in MUSICXML_SUFFIXES:
        from stretto.io.musicxml_read import read_musicxml as reader
    elif suffix in MIDI_SUFFIXES:
        from stretto.io.midi import read_midi as reader
    else:
        raise BadInput(f"unsupported file type {suffix or '(no suffix)'!r} for {path.name}: "
                       "use .musicxml, .mxl, .mid or score.json")
    try:
        piece = reader(path) if suffix == ".json" else reader(path, mode=mode)
    except (ValueError, KeyError, IndexError, TypeError, ZeroDivisionError, OverflowError,
            AttributeError, RecursionError) as exc:  # a value the reader did not foresee
        raise BadInput(f"cannot read {path.name}: {' '.join(str(exc).split())[:200] or type(exc).__name__}; "
                       "is it a valid file?") from None
    return validate_piece(piece, where=path.name)


__all__ = ["MIDI_SUFFIXES", "MUSICXML_SUFFIXES", "read_score"]
