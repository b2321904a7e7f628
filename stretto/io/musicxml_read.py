"""MusicXML import through music21: :func:`read_musicxml` reads what
:mod:`stretto.io.musicxml` writes (note ids, the key's ``<mode>``, ``<harmony>`` numerals, the
title, a pickup) and MusicXML from other programs.

music21 is imported lazily inside the functions: ``import stretto.io.musicxml_read`` stays cheap.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from stretto.errors import BadInput
from stretto.io.musicxml_tree import ID_FIELD, MELODY_FIELD, STYLE_FIELD, grace_elements, \
    note_elements, timeline, unescape_id, xml_key
from stretto.modes import Mode, guess_mode
from stretto.pitch import STEP_NAMES, Pitch
from stretto.score import Note, Piece, Voice, parse_meter

# MusicXML <mode> words for the church modes (ionian and aeolian of a tonal key: major, minor).
_MODE_WORDS = {"major": "ionian", "minor": "aeolian"}


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _pitch_of(m21_pitch) -> Pitch:
    alter = int(m21_pitch.accidental.alter) if m21_pitch.accidental is not None else 0
    return Pitch(octave=int(m21_pitch.octave), step=STEP_NAMES.index(m21_pitch.step), alter=alter)


def _read_xml_root(path: Path) -> ET.Element | None:
    """The score element of a .musicxml/.xml/.mxl file, or None if it cannot be read."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
                inner = None
                if "META-INF/container.xml" in names:
                    rootfile = ET.fromstring(zf.read("META-INF/container.xml")).find(
                        ".//{*}rootfile")
                    inner = rootfile.get("full-path") if rootfile is not None else None
                inner = inner or next((n for n in names if not n.startswith("META-INF")
                                       and n.endswith((".xml", ".musicxml"))), None)
                return ET.fromstring(zf.read(inner)) if inner else None
        return ET.parse(path).getroot()
    except (OSError, ET.ParseError, KeyError, zipfile.BadZipFile):
        return None


@dataclass(frozen=True)
class _FileInfo:
    """What music21 does not keep of a MusicXML file: per ``<part>`` the (id attribute,
    (step, octave)) of each note and of each grace note; whether ids are escaped; the title
    (work title, else movement title); the first key's ``<mode>``; stretto's fields."""

    parts: list
    graces: list
    escaped: bool
    title: str
    mode_word: str | None
    fields: dict
    root: ET.Element | None


def _file_info(path: Path) -> _FileInfo:
    root = _read_xml_root(path)
    if root is None:
        return _FileInfo([], [], False, "", None, {}, None)
    fields = {f.get("name"): (f.text or "").strip() for f in root.iter("miscellaneous-field")}
    parts = [[(n.get("id"), xml_key(n)) for n in note_elements(p)] for p in root.iter("part")]
    graces = [[(n.get("id"), xml_key(n)) for n in grace_elements(p)]
              for p in root.iter("part")]
    title = (root.findtext("work/work-title") or "").strip() \
        or (root.findtext("movement-title") or "").strip()
    key = next(root.iter("key"), None)
    mode_word = (key.findtext("mode") or "").strip().lower() or None if key is not None \
        else None
    return _FileInfo(parts, graces, ID_FIELD in fields, title, mode_word, fields, root)


def _mode_of(word: str | None, fifths: int) -> Mode | None:
    """The mode a key's ``<mode>`` word names with this signature (None: no usable word)."""
    name = _MODE_WORDS.get(word or "", word)
    if name not in ("ionian", "dorian", "phrygian", "lydian", "mixolydian", "aeolian"):
        return None
    for step in range(7):
        for sign in ("", "b", "#"):
            mode = Mode(name, STEP_NAMES[step] + sign)
            if mode.fifths == fifths:
                return mode
    return None


def harmony_from_xml(root: ET.Element, shift: Fraction = Fraction(0),
                     voices: int = 4) -> dict | None:
    """``info["harmony"]`` rebuilt from the ``<harmony>`` numerals of a MusicXML score (the
    lowest part that has any): ``key`` (the first numeral's key), ``analysis`` (``onset``,
    ``chord`` in the home key as the checker reads it, ``local``, ``key``) and
    ``melody_voice``. ``shift`` is the silence before a pickup. None without numerals."""
    from stretto.io.numerals import figure_of, home_figure

    fields = {f.get("name"): (f.text or "").strip() for f in root.iter("miscellaneous-field")}
    for part in reversed(root.findall("part")):
        entries = []
        for _, el, time in timeline(part, shift):
            if el.tag != "harmony":
                continue
            found = figure_of(el)
            if found is not None:
                entries.append((time, *found))
        if entries:
            break
    else:
        return None
    home = next((k for _, _, k in entries if k), None)
    if home is None:
        return None
    analysis, local = [], home
    for time, figure, key in entries:
        local = key or local
        analysis.append({"onset": str(time), "chord": home_figure(figure, local, home),
                         "key": local, "local": figure})
    melody = fields.get(MELODY_FIELD)
    if melody is None:  # not written by stretto: the part named Soprano, else the top
        names = [(p.findtext("part-name") or "").lower()
                 for p in root.iter("score-part")][:voices]
        melody_voice = next((i for i, n in enumerate(names) if n.startswith("soprano")), 0)
    else:
        melody_voice = int(melody) if melody.isdigit() else None
    return {"key": home, "analysis": analysis, "melody_voice": melody_voice}


# --------------------------------------------------------------------------- reading


def read_musicxml(path: str | Path, *, mode: Mode | None = None) -> Piece:
    """Read a ``.musicxml``/``.xml``/``.mxl`` file: one voice per part, top to bottom.

    Note ids written by stretto (the ``<note id>`` attribute) are kept; other notes get
    ``v{part}n{index}`` ids. Every note's origin is ``import``. Lyrics keep music21's raw form
    (``Ky-``, ``-ri-``, ``-e`` for syllables). The mode is read from the key signature and the
    lowest part's final unless ``mode`` is given.
    """
    path = Path(path)
    stream, parts = _parse(path)
    fi = _file_info(path)
    file_ids = fi.parts if len(fi.parts) == len(parts) else [[] for _ in parts]
    grace_ids = fi.graces if len(fi.graces) == len(parts) else [[] for _ in parts]
    measures = list(parts[0].getElementsByClass("Measure"))
    # a pickup: music21 starts the short first measure at 0 and pads it on the left
    shift = Fraction(measures[0].paddingLeft).limit_denominator(10000) if measures else 0
    voices = [_voice(path, vi, part, file_ids[vi], grace_ids[vi], fi.escaped, shift)
              for vi, part in enumerate(parts)]
    fifths, meter, tempo = _signatures(parts[0].flatten())
    lowest = voices[-1].sounding() if voices else []
    final = lowest[-1].pitch if lowest else None
    title = fi.title
    if not title and stream.metadata is not None:
        title = stream.metadata.title or stream.metadata.movementName or ""
    bar_length = Fraction(4 * parse_meter(meter)[0], parse_meter(meter)[1])
    anacrusis = bar_length - shift if 0 < shift < bar_length else Fraction(0)
    info: dict[str, Any] = {}
    harmony = harmony_from_xml(fi.root, shift if anacrusis else Fraction(0), len(voices)) \
        if fi.root is not None else None
    if harmony is not None:  # the analysis the checker judges (it also reads old lyrics)
        style = fi.fields.get(STYLE_FIELD) or ("chorale" if len(voices) == 4 else
                                                "composition")
        info = {"style": style, "harmony": harmony}
    return Piece(voices=tuple(voices),
                 mode=mode or _mode_of(fi.mode_word, fifths) or guess_mode(fifths, final),
                 meter=meter, tempo=tempo, title=str(title or path.stem), info=info,
                 anacrusis=anacrusis)


def _parse(path: Path):
    """(music21 stream, its parts), or BadInput in one line."""
    import music21  # lazy: heavy

    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    try:
        stream = music21.converter.parse(str(path), format="musicxml", forceSource=True)
    except Exception as exc:  # noqa: BLE001 - music21 raises many types for corrupt files
        raise BadInput(f"cannot read {path.name}: not a readable MusicXML file "
                       f"({_one_line(exc)})") from None
    parts = list(stream.parts) if hasattr(stream, "parts") else []
    if not parts:
        raise BadInput(f"{path.name} has no parts")
    return stream, parts


def _signatures(flat) -> tuple[int, str, Fraction]:
    """The first part's key signature (fifths), meter and quarter-note tempo."""
    ks = flat.getElementsByClass("KeySignature")
    ts = flat.getElementsByClass("TimeSignature")
    mm = flat.getElementsByClass("MetronomeMark")
    tempo = Fraction(mm[0].getQuarterBPM()).limit_denominator(1000) if mm and mm[0].number \
        else Fraction(120)
    return (ks[0].sharps if ks else 0), (ts[0].ratioString if ts else "4/4"), tempo


def _sounding(path: Path, vi: int, part) -> tuple[list, list]:
    """A part's notes ``(index, note)`` and grace notes ``(index, note, onset of the note
    they lead into)``; BadInput for chords, percussion, notes of no length, and grace notes
    before a rest or at the end."""
    from music21 import harmony as m21harmony

    found: list[tuple[int, Any]] = []
    graces: list[tuple[int, Any, Fraction]] = []
    waiting: list[tuple[int, Any]] = []
    # chord symbols and numerals (<harmony>) are music21 chords: read apart, from the XML
    for k, n in enumerate(e for e in part.flatten().notesAndRests
                          if not isinstance(e, m21harmony.Harmony)):
        bar = f"{path.name}: part {vi + 1} bar {n.measureNumber}"
        if n.isRest:
            if waiting:
                raise BadInput(f"{bar} has a grace note before a rest; stretto keeps grace "
                               "notes only before a note: move it or remove it")
            continue
        if n.isChord:
            raise BadInput(f"{bar} has a chord; stretto reads one melodic line per part: "
                           "put each line in its own part")
        if not hasattr(n, "pitch"):  # unpitched percussion
            raise BadInput(f"{bar} has an unpitched (percussion) note; stretto reads "
                           "pitched lines: remove the percussion part")
        if n.duration.isGrace:
            waiting.append((k, n))
            continue
        if n.quarterLength <= 0:
            raise BadInput(f"{bar} has a note of no length; give it a duration or remove it")
        graces += [(gk, g, Fraction(n.offset)) for gk, g in waiting]
        waiting = []
        found.append((k, n))
    if waiting:
        raise BadInput(f"{path.name}: part {vi + 1} ends with a grace note (bar "
                       f"{waiting[0][1].measureNumber}); stretto keeps grace notes only "
                       "before a note: remove it")
    return found, graces


def _voice(path: Path, vi: int, part, ids: list, gids: list, escaped: bool,
           shift: Fraction) -> Voice:
    """One part as a voice: its notes and grace notes with the file's ids where they match
    the notes one for one (else ``v{part}n{index}``/``v{part}g{index}``)."""
    found, graces = _sounding(path, vi, part)
    keys = [(n.pitch.step, int(n.pitch.octave)) for _, n in found]
    use_ids = len(ids) == len(found) and [key for _, key in ids] == keys
    notes: list[Note] = []
    for j, (k, n) in enumerate(found):
        xml_id = ids[j][0] if use_ids else None
        nid = (unescape_id(xml_id) if escaped else xml_id) if xml_id else f"v{vi}n{k}"
        lyric = n.lyrics[0].rawText if n.lyrics and n.lyrics[0].text is not None else None
        notes.append(Note(id=nid, pitch=_pitch_of(n.pitch), onset=Fraction(n.offset) + shift,
                          duration=Fraction(n.quarterLength),
                          tie=n.tie.type if n.tie is not None
                          and n.tie.type in ("start", "stop", "continue") else None,
                          lyric=lyric, origin="import"))
    use_gids = len(gids) == len(graces) and [key for _, key in gids] == [
        (g.pitch.step, int(g.pitch.octave)) for _, g, _ in graces]
    kept = []
    for j, (k, g, onset) in enumerate(graces):
        xml_id = gids[j][0] if use_gids else None
        gid = (unescape_id(xml_id) if escaped else xml_id) if xml_id else f"v{vi}g{k}"
        kept.append(Note(id=gid, pitch=_pitch_of(g.pitch), onset=onset + shift,
                         duration=_grace_value(g), origin="import",
                         grace="acciaccatura" if getattr(g.duration, "slash", False)
                         else "appoggiatura"))
    name = part.partName or f"Voice {vi + 1}"
    return Voice(name=str(name), notes=tuple(notes), role="free", graces=tuple(kept))


def _grace_value(n) -> Fraction:
    """A music21 grace note's written value in quarter notes (an eighth: 1/2)."""
    from music21 import duration

    try:
        value = Fraction(duration.convertTypeToQuarterLength(n.duration.type))
    except Exception:  # noqa: BLE001 - a grace note of no written type
        return Fraction(1, 2)
    return value * (2 - Fraction(1, 2 ** n.duration.dots)) if n.duration.dots else value


__all__ = ["harmony_from_xml", "read_musicxml"]
