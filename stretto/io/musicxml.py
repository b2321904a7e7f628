"""MusicXML import and export through music21.

``write_musicxml`` builds the measures itself (notes split at barlines with ties, rests filling
gaps), so music21 neither re-splits nor re-spells anything; the XML is then post-processed with
:mod:`xml.etree` to add each note's stable id (the ``id`` attribute of ``<note>``), the encoding
text and stable part ids. ``read_musicxml`` reads those ids back.

music21 is imported lazily inside the functions: ``import stretto.io.musicxml`` stays cheap.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from stretto.errors import BadInput
from stretto.modes import Mode
from stretto.pitch import STEP_NAMES, Pitch
from stretto.score import Note, Piece, Voice, parse_meter

# <miscellaneous-field> that marks note ids written as v{voice}_{escaped id} (see _xml_ids).
ID_FIELD = "stretto-note-ids"
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE score-partwise PUBLIC '
           '"-//Recordare//DTD MusicXML 4.0 Partwise//EN" '
           '"http://www.musicxml.org/dtds/partwise.dtd">\n')


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _pitch_of(m21_pitch) -> Pitch:
    alter = int(m21_pitch.accidental.alter) if m21_pitch.accidental is not None else 0
    return Pitch(octave=int(m21_pitch.octave), step=STEP_NAMES.index(m21_pitch.step), alter=alter)


def _guess_mode(fifths: int, final: Pitch | None) -> Mode:
    """The church mode whose signature is ``fifths`` and whose final is the bass's last note.

    With no final, or none that fits, the major key (ionian) of the signature."""
    if final is not None:
        final_name = final.name[:-1]
        for name in ("dorian", "phrygian", "lydian", "mixolydian", "aeolian", "ionian"):
            try:
                mode = Mode(name, final_name)
            except BadInput:  # a double-sharp or double-flat final
                break
            if mode.fifths == fifths:
                return mode
    for step in range(7):
        for alter in (0, 1, -1):
            cand = Mode("ionian", STEP_NAMES[step] + {0: "", 1: "#", -1: "b"}[alter])
            if cand.fifths == fifths:
                return cand
    return Mode("ionian", "C")


# --------------------------------------------------------------------------- note ids


def _escape_id(text: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c == "-") else f"_{ord(c):x}_"
                   for c in text)


def _unescape_id(text: str) -> str:
    text = re.sub(r"^v\d+_", "", text)
    return re.sub(r"_([0-9a-f]+)_", lambda m: chr(int(m.group(1), 16)), text)


def _xml_ids(ids: list[list[str]]) -> tuple[list[list[str]], bool]:
    """XML ``id`` values for each voice's notes, and whether they are escaped.

    Ids that are valid XML names and unique in the piece are written as they are; otherwise
    every id becomes ``v{voice}_{escaped}`` and a miscellaneous field says so."""
    flat = [i for voice in ids for i in voice]
    if len(set(flat)) == len(flat) and all(_NCNAME.match(i) for i in flat):
        return ids, False
    for vi, voice in enumerate(ids):
        if len(set(voice)) != len(voice):
            dup = next(i for i in voice if voice.count(i) > 1)
            raise ValueError(f"note id {dup!r} appears twice in voice {vi + 1}")
    return [[f"v{vi}_{_escape_id(i)}" for i in voice] for vi, voice in enumerate(ids)], True


def _note_elements(part: ET.Element) -> list[ET.Element]:
    """A ``<part>``'s sounding single notes in document order (no rests, chords or graces)."""
    return [n for n in part.iter("note") if n.find("pitch") is not None
            and n.find("chord") is None and n.find("grace") is None]


def _xml_key(n: ET.Element) -> tuple[str, int]:
    pitch = n.find("pitch")
    assert pitch is not None
    return pitch.findtext("step", "").strip(), int(pitch.findtext("octave", "0").strip() or 0)


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


def _file_info(path: Path) -> tuple[list[list[tuple[str | None, tuple[str, int]]]], bool, str]:
    """Per ``<part>``: (id attribute, (step, octave)) of each note; whether ids are escaped;
    the title (work title, else movement title, else empty)."""
    root = _read_xml_root(path)
    if root is None:
        return [], False, ""
    escaped = any(f.get("name") == ID_FIELD for f in root.iter("miscellaneous-field"))
    parts = [[(n.get("id"), _xml_key(n)) for n in _note_elements(p)] for p in root.iter("part")]
    title = (root.findtext("work/work-title") or "").strip() \
        or (root.findtext("movement-title") or "").strip()
    return parts, escaped, title


# --------------------------------------------------------------------------- reading


def read_musicxml(path: str | Path, *, mode: Mode | None = None) -> Piece:
    """Read a ``.musicxml``/``.xml``/``.mxl`` file: one voice per part, top to bottom.

    Note ids written by stretto (the ``<note id>`` attribute) are kept; other notes get
    ``v{part}n{index}`` ids. Every note's origin is ``import``. Lyrics keep music21's raw form
    (``Ky-``, ``-ri-``, ``-e`` for syllables). The mode is read from the key signature and the
    lowest part's final unless ``mode`` is given.
    """
    import music21  # lazy: heavy

    path = Path(path)
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
    file_ids, escaped, title = _file_info(path)
    if len(file_ids) != len(parts):
        file_ids = [[] for _ in parts]
    voices: list[Voice] = []
    fifths, meter, tempo = 0, "4/4", Fraction(120)
    for vi, part in enumerate(parts):
        flat = part.flatten()
        found: list[tuple[int, Any]] = []
        for k, n in enumerate(flat.notesAndRests):
            if n.isRest or n.duration.isGrace:
                continue
            bar = f"{path.name}: part {vi + 1} bar {n.measureNumber}"
            if n.isChord:
                raise BadInput(f"{bar} has a chord; stretto reads one melodic line per part: "
                               "put each line in its own part")
            if not hasattr(n, "pitch"):  # unpitched percussion
                raise BadInput(f"{bar} has an unpitched (percussion) note; stretto reads "
                               "pitched lines: remove the percussion part")
            if n.quarterLength <= 0:
                raise BadInput(f"{bar} has a note of no length; give it a duration or remove it")
            found.append((k, n))
        ids = file_ids[vi]
        keys = [(n.pitch.step, int(n.pitch.octave)) for _, n in found]
        use_ids = len(ids) == len(found) and [key for _, key in ids] == keys
        notes: list[Note] = []
        for j, (k, n) in enumerate(found):
            xml_id = ids[j][0] if use_ids else None
            nid = (_unescape_id(xml_id) if escaped else xml_id) if xml_id else f"v{vi}n{k}"
            lyric = n.lyrics[0].rawText if n.lyrics and n.lyrics[0].text is not None else None
            notes.append(Note(id=nid, pitch=_pitch_of(n.pitch), onset=Fraction(n.offset),
                              duration=Fraction(n.quarterLength),
                              tie=n.tie.type if n.tie is not None
                              and n.tie.type in ("start", "stop", "continue") else None,
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
    if not title and stream.metadata is not None:
        title = stream.metadata.title or stream.metadata.movementName or ""
    return Piece(voices=tuple(voices), mode=mode or _guess_mode(fifths, final), meter=meter,
                 tempo=tempo, title=str(title or path.stem))


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class _Written:
    """One written note: the model's note, or a piece of it split at a barline."""

    id: str
    pitch: Pitch
    onset: Fraction
    duration: Fraction
    tie: str | None
    lyric: str | None


def _expressible(length: Fraction) -> list[Fraction]:
    """``length`` as durations MusicXML can write as single notes (a 5/4 note: 1 + 1/4)."""
    from music21 import duration

    d = duration.Duration(Fraction(length))
    if d.type == "inexpressible":
        raise ValueError(f"a duration of {length} quarter notes cannot be notated")
    if d.type != "complex":
        return [Fraction(length)]
    parts = [Fraction(c.quarterLength).limit_denominator(10_000) for c in d.components]
    if sum(parts) != length:
        raise ValueError(f"a duration of {length} quarter notes cannot be notated exactly")
    return parts


def _tie(tied_before: bool, tied_after: bool) -> str | None:
    if tied_before and tied_after:
        return "continue"
    return "stop" if tied_before else ("start" if tied_after else None)


def _written(voice: Voice, bar: Fraction) -> list[_Written]:
    """The voice's notes split at barlines and into notatable durations, with ties; the first
    piece of a note keeps its id and lyric, the others get ``{id}-{k}``."""
    out: list[_Written] = []
    end = Fraction(0)
    for n in sorted(voice.notes, key=lambda n: n.onset):
        if n.onset < end:
            raise ValueError(f"voice {voice.name!r}: note {n.id} at {n.onset} overlaps the "
                             "previous note; a voice is one melodic line")
        end = n.end
        spans: list[tuple[Fraction, Fraction]] = []
        t = n.onset
        while t < n.end:
            nxt = min(n.end, (t // bar + 1) * bar)
            for length in _expressible(nxt - t):
                spans.append((t, length))
                t += length
        before, after = n.tie in ("stop", "continue"), n.tie in ("start", "continue")
        for k, (t, length) in enumerate(spans):
            out.append(_Written(id=n.id if k == 0 else f"{n.id}-{k}", pitch=n.pitch, onset=t,
                                duration=length,
                                tie=_tie(before or k > 0, after or k < len(spans) - 1),
                                lyric=n.lyric if k == 0 else None))
    return out


def clef_for(voice: Voice):
    """Treble for high voices, treble-8vb for tenor-range voices, bass for low ones, from the
    voice's average pitch (>= C4: treble; >= F3: treble-8vb; else bass)."""
    from music21 import clef

    midis = [n.midi for n in voice.notes]
    mean = sum(midis) / len(midis) if midis else 60
    if mean >= 60:
        return clef.TrebleClef()
    return clef.Treble8vbClef() if mean >= 53 else clef.BassClef()


def _m21_note(w: _Written):
    from music21 import note, pitch, tie

    p = pitch.Pitch()
    p.step = STEP_NAMES[w.pitch.step]  # type: ignore[assignment]
    p.octave = w.pitch.octave
    p.accidental = pitch.Accidental(w.pitch.alter) if w.pitch.alter else None
    n = note.Note(p, quarterLength=w.duration)
    if w.tie:
        n.tie = tie.Tie(w.tie)
    if w.lyric is not None:
        lyric = note.Lyric(text=w.lyric)
        if lyric.rawText != w.lyric:  # keep text that music21 would read as syllables verbatim
            lyric = note.Lyric(text=w.lyric, applyRaw=True)
        n.lyrics.append(lyric)
    return n


def _abbreviation(name: str) -> str:
    return name if len(name) <= 4 else name[:3].rstrip() + "."


def _tempo_mark(piece: Piece):
    from music21 import duration, tempo

    _, den = parse_meter(piece.meter)
    beat = Fraction(4, den)
    per_beat = Fraction(piece.tempo) / beat
    if per_beat.denominator == 1:
        return tempo.MetronomeMark(number=int(per_beat), referent=duration.Duration(beat))
    number = int(piece.tempo) if Fraction(piece.tempo).denominator == 1 else float(piece.tempo)
    return tempo.MetronomeMark(number=number, referent=duration.Duration(1))


def _part(piece: Piece, vi: int, voice: Voice, written: list[_Written]):
    from music21 import bar, instrument, key, meter, note, stream
    from music21.exceptions21 import Music21Exception
    from music21.stream import makeNotation

    from stretto.io.midi import voice_channels

    bar_len = piece.bar_length
    part = stream.Part(id=f"P{vi + 1}")
    part.partName = voice.name
    inst = instrument.Choir()  # General MIDI Choir Aahs, as in the MIDI export
    inst.partId, inst.instrumentId = f"P{vi + 1}", f"P{vi + 1}-I1"
    inst.partName = voice.name
    inst.partAbbreviation = part.partAbbreviation = _abbreviation(voice.name)
    inst.midiChannel = voice_channels(vi + 1)[vi]
    nbars = max(1, piece.bars)
    by_bar: dict[int, list[_Written]] = {}
    for written_note in written:
        by_bar.setdefault(int(written_note.onset // bar_len), []).append(written_note)
    for b in range(nbars):
        start = b * bar_len
        m = stream.Measure(number=b + 1)
        if b == 0:
            m.insert(0, inst)
            m.insert(0, clef_for(voice))
            m.insert(0, key.KeySignature(piece.mode.fifths))
            m.insert(0, meter.TimeSignature(piece.meter))
            if vi == 0:
                m.insert(0, _tempo_mark(piece))
        cursor = start
        bar_notes: list[_Written | None] = [*by_bar.get(b, []), None]  # None: the bar's end
        for w in bar_notes:
            stop = w.onset if w is not None else start + bar_len
            for length in _expressible(stop - cursor) if stop > cursor else []:
                m.insert(cursor - start, note.Rest(quarterLength=length))
                cursor += length
            if w is not None:
                m.insert(w.onset - start, _m21_note(w))
                cursor = w.onset + w.duration
        if b == nbars - 1:
            m.rightBarline = bar.Barline("final")
        part.append(m)
    makeNotation.makeAccidentalsInMeasureStream(part)
    for m in part.getElementsByClass(stream.Measure):
        makeNotation.makeTupletBrackets(m, inPlace=True)
    try:
        makeNotation.makeBeams(part, inPlace=True)
    except Music21Exception:  # pragma: no cover - beams are cosmetic; odd meters refuse them
        pass
    return part


def _postprocess(data: bytes, piece: Piece, ids: list[list[str]], escaped: bool,
                 encoding_text: str | None) -> bytes:
    """Add note ids, titles and encoding text; drop music21's date and placeholder composer."""
    import stretto

    root = ET.fromstring(data)
    for vi, part in enumerate(root.findall("part")):
        elements = _note_elements(part)
        if len(elements) != len(ids[vi]):  # pragma: no cover - a bug, not a user error
            raise RuntimeError(f"music21 wrote {len(elements)} notes for voice {vi + 1}, "
                               f"expected {len(ids[vi])}")
        for el, nid in zip(elements, ids[vi]):
            el.set("id", nid)
    # titles: <work><work-title> and <movement-title> come first, in this order
    for tag in ("work", "movement-title"):
        for el in root.findall(tag):
            root.remove(el)
    work = ET.Element("work")
    ET.SubElement(work, "work-title").text = piece.title
    movement = ET.Element("movement-title")
    movement.text = piece.title
    root.insert(0, work)
    root.insert(1, movement)
    ident = root.find("identification")
    if ident is None:
        ident = ET.Element("identification")
        root.insert(2, ident)
    for creator in ident.findall("creator"):
        if (creator.text or "").strip() == "Music21":
            ident.remove(creator)
    encoding = ident.find("encoding")
    if encoding is None:
        encoding = ET.Element("encoding")
        ident.insert(len(ident.findall("creator")) + len(ident.findall("rights")), encoding)
    for el in encoding.findall("encoding-date"):
        encoding.remove(el)  # keeps the file byte-identical for equal pieces
    software = ET.Element("software")
    software.text = f"stretto {stretto.__version__}"
    encoding.insert(0, software)
    if encoding_text:
        description = ET.Element("encoding-description")
        description.text = " ".join(encoding_text.split())
        encoding.insert(1, description)
    if escaped:
        misc = ident.find("miscellaneous")
        if misc is None:
            misc = ET.SubElement(ident, "miscellaneous")
        field = ET.SubElement(misc, "miscellaneous-field", name=ID_FIELD)
        field.text = "v{voice}_{id with non-alphanumerics as _{hex}_}"
    ET.indent(root, space="  ")
    return (_HEADER + ET.tostring(root, encoding="unicode") + "\n").encode("utf-8")


class _ChannelsAsSet(list):
    """music21's list of used MIDI channels, made to accept our own (possibly repeated)
    channel choice instead of re-assigning one, which fails past 15 parts."""

    def __contains__(self, item: object) -> bool:
        return False


def musicxml_bytes(piece: Piece, *, encoding_text: str | None = None) -> bytes:
    """The MusicXML 4.0 partwise document :func:`write_musicxml` writes."""
    from music21 import metadata, stream
    from music21.musicxml.m21ToXml import ScoreExporter

    if not piece.voices:
        raise ValueError("cannot write MusicXML for a piece with no voices")
    written = [_written(v, piece.bar_length) for v in piece.voices]
    ids, escaped = _xml_ids([[w.id for w in ws] for ws in written])
    score = stream.Score()
    score.metadata = metadata.Metadata()
    score.metadata.title = piece.title
    score.metadata.movementName = piece.title
    for vi, (voice, ws) in enumerate(zip(piece.voices, written)):
        score.insert(0, _part(piece, vi, voice, ws))
    # makeNotation=False: the measures are final, so music21 neither re-splits nor re-spells
    exporter = ScoreExporter(score, makeNotation=False)
    exporter.midiChannelList = _ChannelsAsSet()  # keep our channels, even when shared
    exporter.parse()
    return _postprocess(exporter.asBytes(), piece, ids, escaped, encoding_text)


def write_musicxml(piece: Piece, path: str | Path, *, encoding_text: str | None = None) -> None:
    """Write ``piece`` as MusicXML: one part per voice (named after it), clef from its range,
    key signature from the mode, meter, tempo, exact notes and rests, ties, lyrics, note ids.

    ``encoding_text`` (one line, e.g. a provenance summary) goes into
    ``<identification><encoding><encoding-description>``. Raises :class:`ValueError` for
    durations that cannot be notated or overlapping notes in one voice.
    """
    Path(path).write_bytes(musicxml_bytes(piece, encoding_text=encoding_text))


__all__ = ["clef_for", "musicxml_bytes", "read_musicxml", "write_musicxml"]
