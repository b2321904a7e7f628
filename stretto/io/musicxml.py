"""MusicXML import (and export) through music21.

music21 is imported lazily inside the functions: ``import stretto.io.musicxml`` stays cheap.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from stretto.errors import BadInput
from stretto.modes import Mode
from stretto.pitch import STEP_NAMES, Pitch
from stretto.score import Note, Piece, Voice


def _pitch_of(m21_pitch) -> Pitch:
    alter = int(m21_pitch.accidental.alter) if m21_pitch.accidental is not None else 0
    return Pitch(octave=int(m21_pitch.octave), step=STEP_NAMES.index(m21_pitch.step), alter=alter)


def _guess_mode(fifths: int, final: Pitch | None) -> Mode:
    """The church mode whose signature is ``fifths`` and whose final is the bass's last note."""
    if final is not None:
        final_name = final.name[:-1]
        for name in ("dorian", "phrygian", "lydian", "mixolydian", "aeolian", "ionian"):
            mode = Mode(name, final_name)
            if mode.fifths == fifths:
                return mode
    # No mode fits (the piece ends off its final): fall back to the major key of the signature.
    tonic = Mode("ionian", "C")
    for step in range(7):
        for alter in (0, 1, -1):
            cand = Mode("ionian", STEP_NAMES[step] + {0: "", 1: "#", -1: "b"}[alter])
            if cand.fifths == fifths:
                return cand
    return tonic


def read_musicxml(path: str | Path, *, mode: Mode | None = None) -> Piece:
    """Read a ``.musicxml``/``.xml``/``.mxl`` file: one voice per part, top to bottom.

    Note ids written by stretto are kept; other notes get ``v{part}n{index}`` ids. Every note's
    origin is ``import``. The mode is read from the key signature and the lowest part's final
    unless ``mode`` is given.
    """
    import music21  # lazy: heavy

    path = Path(path)
    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    try:
        stream = music21.converter.parse(str(path), format="musicxml")
    except Exception as exc:  # music21 raises many exception types for corrupt files
        raise BadInput(f"cannot read {path.name}: not a readable MusicXML file ({exc})") from None
    parts = list(stream.parts) if hasattr(stream, "parts") else []
    if not parts:
        raise BadInput(f"{path.name} has no parts")
    voices: list[Voice] = []
    fifths, meter, tempo = 0, "4/4", Fraction(120)
    for vi, part in enumerate(parts):
        flat = part.flatten()
        notes: list[Note] = []
        for k, n in enumerate(flat.notesAndRests):
            if n.isRest:
                continue
            if n.isChord:
                raise BadInput(f"{path.name}: part {vi + 1} has chords at offset {n.offset}; "
                               "stretto reads one melodic line per part")
            nid = n.id if isinstance(n.id, str) and n.id and not n.id.isdigit() else f"v{vi}n{k}"
            lyric = n.lyric if n.lyric else None
            notes.append(Note(id=nid, pitch=_pitch_of(n.pitch), onset=Fraction(n.offset),
                              duration=Fraction(n.quarterLength),
                              tie=n.tie.type if n.tie is not None else None,
                              lyric=lyric, origin="import"))
        name = part.partName or f"Voice {vi + 1}"
        voices.append(Voice(name=str(name), notes=tuple(notes), role="free"))
        if vi == 0:
            ks = flat.getElementsByClass("KeySignature")
            fifths = ks[0].sharps if ks else 0
            ts = flat.getElementsByClass("TimeSignature")
            meter = ts[0].ratioString if ts else "4/4"
            mm = flat.getElementsByClass("MetronomeMark")
            if mm and mm[0].number:
                tempo = Fraction(mm[0].getQuarterBPM()).limit_denominator(1000)
    lowest = voices[-1].sounding() if voices else []
    final = lowest[-1].pitch if lowest else None
    title = stream.metadata.title if stream.metadata and stream.metadata.title else path.stem
    return Piece(voices=tuple(voices), mode=mode or _guess_mode(fifths, final), meter=meter,
                 tempo=tempo, title=str(title))


__all__ = ["read_musicxml"]
