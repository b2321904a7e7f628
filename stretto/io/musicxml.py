"""MusicXML import and export through music21.

``write_musicxml`` builds the measures itself (notes split at barlines with ties, rests filling
gaps, grace notes before the note they lead into, a pickup as a short first measure numbered 0
with ``implicit="yes"``), so music21 neither re-splits nor re-spells anything; the XML is then
post-processed with :mod:`xml.etree` to add each note's stable id (the ``id`` attribute of
``<note>``), the key's ``<mode>``, the Roman numerals of ``info["harmony"]`` as ``<harmony>``
under the lowest part (:mod:`stretto.io.numerals`), one title, the encoding text and stable
part ids. ``read_musicxml`` reads all of these back.

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
from stretto.modes import Mode, guess_mode
from stretto.pitch import STEP_NAMES, Pitch
from stretto.score import Note, Piece, Voice, parse_meter

# <miscellaneous-field> that marks note ids written as v{voice}_{escaped id} (see _xml_ids).
ID_FIELD = "stretto-note-ids"
# <miscellaneous-field>s that keep what the checker needs of info["harmony"] besides numerals.
STYLE_FIELD, MELODY_FIELD = "stretto-style", "stretto-melody-voice"
# MusicXML <mode> words for the church modes (ionian and aeolian of a tonal key: major, minor).
_MODE_WORDS = {"major": "ionian", "minor": "aeolian"}
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE score-partwise PUBLIC '
           '"-//Recordare//DTD MusicXML 4.0 Partwise//EN" '
           '"http://www.musicxml.org/dtds/partwise.dtd">\n')


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _pitch_of(m21_pitch) -> Pitch:
    alter = int(m21_pitch.accidental.alter) if m21_pitch.accidental is not None else 0
    return Pitch(octave=int(m21_pitch.octave), step=STEP_NAMES.index(m21_pitch.step), alter=alter)


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


def _grace_elements(part: ET.Element) -> list[ET.Element]:
    return [n for n in part.iter("note") if n.find("pitch") is not None
            and n.find("chord") is None and n.find("grace") is not None]


def _timeline(part: ET.Element, start: Fraction) -> list[tuple[ET.Element, ET.Element, Fraction]]:
    """``(measure, element, time)`` for each ``<note>``/``<harmony>`` of a ``<part>``, time in
    quarter notes from ``start`` (where the first measure begins: after a pickup's silence)."""
    out = []
    divisions = Fraction(1)
    cursor = Fraction(start)
    for measure in part.findall("measure"):
        for el in measure:
            if el.tag == "attributes" and el.findtext("divisions"):
                divisions = Fraction(el.findtext("divisions").strip())
            duration = Fraction(el.findtext("duration", "0").strip() or 0) / divisions
            if el.tag == "harmony":
                offset = Fraction(el.findtext("offset", "0").strip() or 0) / divisions
                out.append((measure, el, cursor + offset))
            elif el.tag == "note":
                chord = el.find("chord") is not None
                out.append((measure, el, cursor - duration if chord else cursor))
                if not chord and el.find("grace") is None:
                    cursor += duration
            elif el.tag == "backup":
                cursor -= duration
            elif el.tag == "forward":
                cursor += duration
    return out


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
    parts = [[(n.get("id"), _xml_key(n)) for n in _note_elements(p)] for p in root.iter("part")]
    graces = [[(n.get("id"), _xml_key(n)) for n in _grace_elements(p)]
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
        for _, el, time in _timeline(part, shift):
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
    import music21  # lazy: heavy
    from music21 import harmony as m21harmony

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
    fi = _file_info(path)
    file_ids, escaped, title = fi.parts, fi.escaped, fi.title
    if len(file_ids) != len(parts):
        file_ids = [[] for _ in parts]
    grace_ids = fi.graces if len(fi.graces) == len(parts) else [[] for _ in parts]
    measures = list(parts[0].getElementsByClass("Measure"))
    # a pickup: music21 starts the short first measure at 0 and pads it on the left
    shift = Fraction(measures[0].paddingLeft).limit_denominator(10000) if measures else 0
    voices: list[Voice] = []
    fifths, meter, tempo = 0, "4/4", Fraction(120)
    for vi, part in enumerate(parts):
        flat = part.flatten()
        found: list[tuple[int, Any]] = []
        graces: list[tuple[int, Any, Fraction]] = []
        waiting: list[tuple[int, Any]] = []
        # chord symbols and numerals (<harmony>) are music21 chords: read apart, from the XML
        for k, n in enumerate(e for e in flat.notesAndRests
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
        ids = file_ids[vi]
        keys = [(n.pitch.step, int(n.pitch.octave)) for _, n in found]
        use_ids = len(ids) == len(found) and [key for _, key in ids] == keys
        notes: list[Note] = []
        for j, (k, n) in enumerate(found):
            xml_id = ids[j][0] if use_ids else None
            nid = (_unescape_id(xml_id) if escaped else xml_id) if xml_id else f"v{vi}n{k}"
            lyric = n.lyrics[0].rawText if n.lyrics and n.lyrics[0].text is not None else None
            notes.append(Note(id=nid, pitch=_pitch_of(n.pitch),
                              onset=Fraction(n.offset) + shift,
                              duration=Fraction(n.quarterLength),
                              tie=n.tie.type if n.tie is not None
                              and n.tie.type in ("start", "stop", "continue") else None,
                              lyric=lyric, origin="import"))
        gids = grace_ids[vi]
        use_gids = len(gids) == len(graces) and [key for _, key in gids] == [
            (g.pitch.step, int(g.pitch.octave)) for _, g, _ in graces]
        kept = []
        for j, (k, g, onset) in enumerate(graces):
            xml_id = gids[j][0] if use_gids else None
            gid = (_unescape_id(xml_id) if escaped else xml_id) if xml_id else f"v{vi}g{k}"
            kept.append(Note(id=gid, pitch=_pitch_of(g.pitch), onset=onset + shift,
                             duration=_grace_value(g), origin="import",
                             grace="acciaccatura" if getattr(g.duration, "slash", False)
                             else "appoggiatura"))
        name = part.partName or f"Voice {vi + 1}"
        voices.append(Voice(name=str(name), notes=tuple(notes), role="free",
                            graces=tuple(kept)))
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


def _grace_value(n) -> Fraction:
    """A music21 grace note's written value in quarter notes (an eighth: 1/2)."""
    from music21 import duration

    try:
        value = Fraction(duration.convertTypeToQuarterLength(n.duration.type))
    except Exception:  # noqa: BLE001 - a grace note of no written type
        return Fraction(1, 2)
    return value * (2 - Fraction(1, 2 ** n.duration.dots)) if n.duration.dots else value


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


def _m21_grace(g: Note):
    n = _m21_note(_Written(id=g.id, pitch=g.pitch, onset=g.onset, duration=g.duration,
                           tie=None, lyric=None))
    return n.getGrace(appoggiatura=g.grace == "appoggiatura")


def _part(piece: Piece, vi: int, voice: Voice, written: list[_Written], shift: Fraction,
          end: Fraction):
    """One part. ``shift``: the silence before a pickup (0: none), not written; ``end``: where
    the last measure ends (short when a pickup's last bar completes it)."""
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
    graces: dict[Fraction, list[Note]] = {}
    for g in voice.graces:
        graces.setdefault(g.onset, []).append(g)
    for b in range(nbars):
        start = shift if b == 0 else b * bar_len
        stop_bar = min(b * bar_len + bar_len, end) if b == nbars - 1 else b * bar_len + bar_len
        m = stream.Measure(number=b + (0 if shift else 1))
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
            stop = w.onset if w is not None else stop_bar
            for length in _expressible(stop - cursor) if stop > cursor else []:
                m.insert(cursor - start, note.Rest(quarterLength=length))
                cursor += length
            if w is not None:
                for g in graces.pop(w.onset, []):  # music21 puts graces before the note
                    m.insert(w.onset - start, _m21_grace(g))
                m.insert(w.onset - start, _m21_note(w))
                cursor = w.onset + w.duration
        if b == nbars - 1:
            m.rightBarline = bar.Barline("final")
        part.append(m)
    if graces:
        g = next(iter(graces.values()))[0]
        raise ValueError(f"voice {voice.name!r}: grace note {g.id} at {g.onset} leads into no "
                         "note of the voice")
    makeNotation.makeAccidentalsInMeasureStream(part)
    for m in part.getElementsByClass(stream.Measure):
        makeNotation.makeTupletBrackets(m, inPlace=True)
    try:
        makeNotation.makeBeams(part, inPlace=True)
    except Music21Exception:  # pragma: no cover - beams are cosmetic; odd meters refuse them
        pass
    return part


def _mode_word(piece: Piece) -> str:
    """The key's ``<mode>``: major/minor for a tonal key (an analysis in a key), else the
    church mode the score is in (dorian, phrygian, ... ionian, aeolian)."""
    key = str((piece.info.get("harmony") or {}).get("key") or "")
    if key.endswith((" major", " minor")):
        return key.split()[1]
    return piece.mode.name


def _add_harmony(part: ET.Element, piece: Piece, shift: Fraction) -> None:
    """The analysis's numerals as ``<harmony>`` before the notes they sound with, and the key
    as words at the start and at each change (see :mod:`stretto.io.numerals`)."""
    from stretto.io.numerals import harmony_element, key_words

    h = piece.info.get("harmony") or {}
    home = h.get("key")
    if not home:
        return
    timeline = [(m, el, t) for m, el, t in _timeline(part, shift) if el.tag == "note"]
    previous = None
    for entry in sorted(h.get("analysis") or [], key=lambda e: Fraction(e["onset"])):
        onset = Fraction(entry["onset"])
        key, figure = entry.get("key") or home, entry.get("local") or entry["chord"]
        # the first note at or after the onset, else the last before it (with an <offset>)
        at = next(((m, el, t) for m, el, t in timeline if t >= onset), None) or timeline[-1]
        measure, el, time = at
        if time > onset and any(mm is measure and t <= onset for mm, _, t in timeline):
            measure, el, time = next((mm, e, t) for mm, e, t in reversed(timeline)
                                     if t <= onset)
        harmony = harmony_element(figure, key)
        if time != onset:
            divisions = Fraction(part.findtext("measure/attributes/divisions", "1"))
            ET.SubElement(harmony, "offset").text = str(int((onset - time) * divisions))
        index = list(measure).index(el)
        measure.insert(index, harmony)
        if key != previous:
            measure.insert(index, key_words(key))
            previous = key


def _postprocess(data: bytes, piece: Piece, ids: list[list[str]], escaped: bool,
                 encoding_text: str | None, grace_ids: list[list[str]],
                 shift: Fraction) -> bytes:
    """Add note ids, the key's mode, the numerals, the title and encoding text; mark a pickup
    measure implicit; drop music21's date and placeholder composer."""
    import stretto

    root = ET.fromstring(data)
    for vi, part in enumerate(root.findall("part")):
        for elements, want in ((_note_elements(part), ids[vi]),
                               (_grace_elements(part), grace_ids[vi])):
            if len(elements) != len(want):  # pragma: no cover - a bug, not a user error
                raise RuntimeError(f"music21 wrote {len(elements)} notes for voice {vi + 1}, "
                                   f"expected {len(want)}")
            for el, nid in zip(elements, want):
                el.set("id", nid)
        measures = part.findall("measure")
        if shift and measures:
            measures[0].set("implicit", "yes")  # a pickup, numbered 0, not counted
        for key in part.iter("key"):
            for el in key.findall("mode"):
                key.remove(el)
            ET.SubElement(key, "mode").text = _mode_word(piece)
    parts = root.findall("part")
    if parts:
        _add_harmony(parts[-1], piece, shift)
    # one title: <work><work-title> (a <movement-title> too would print twice in LilyPond)
    for tag in ("work", "movement-title"):
        for el in root.findall(tag):
            root.remove(el)
    work = ET.Element("work")
    ET.SubElement(work, "work-title").text = piece.title
    root.insert(0, work)
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
    fields = {}
    if escaped:
        fields[ID_FIELD] = "v{voice}_{id with non-alphanumerics as _{hex}_}"
    if (piece.info.get("harmony") or {}).get("analysis"):
        fields[STYLE_FIELD] = str(piece.info.get("style") or "chorale")
        melody = piece.info["harmony"].get("melody_voice")
        fields[MELODY_FIELD] = "none" if melody is None else str(melody)
    if fields:
        misc = ident.find("miscellaneous")
        if misc is None:
            misc = ET.SubElement(ident, "miscellaneous")
        for name, text in fields.items():
            ET.SubElement(misc, "miscellaneous-field", name=name).text = text
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
    piece = _without_numeral_lyrics(piece)
    written = [_written(v, piece.bar_length) for v in piece.voices]
    graces = [sorted(v.graces, key=lambda g: g.onset) for v in piece.voices]
    all_ids, escaped = _xml_ids([[w.id for w in ws] + [g.id for g in gs]
                                 for ws, gs in zip(written, graces)])
    ids = [xs[:len(ws)] for xs, ws in zip(all_ids, written)]
    grace_ids = [xs[len(ws):] for xs, ws in zip(all_ids, written)]
    bar = piece.bar_length
    # a pickup: the first measure starts after the silence, unless a note sounds in it
    shift = bar - piece.anacrusis if piece.anacrusis else Fraction(0)
    if any(n.onset < shift for v in piece.voices for n in v.notes):
        shift = Fraction(0)
    end = max(1, piece.bars) * bar
    if shift and piece.length % bar == shift:  # the last bar completes the pickup's bar
        end = piece.length
    score = stream.Score()
    score.metadata = metadata.Metadata()
    score.metadata.title = piece.title
    for vi, (voice, ws) in enumerate(zip(piece.voices, written)):
        score.insert(0, _part(piece, vi, voice, ws, shift, end))
    # makeNotation=False: the measures are final, so music21 neither re-splits nor re-spells
    exporter = ScoreExporter(score, makeNotation=False)
    exporter.midiChannelList = _ChannelsAsSet()  # keep our channels, even when shared
    exporter.parse()
    return _postprocess(exporter.asBytes(), piece, ids, escaped, encoding_text, grace_ids,
                        shift)


def _without_numeral_lyrics(piece: Piece) -> Piece:
    """Projects made before the numerals were ``<harmony>`` carry them as the lowest voice's
    lyrics too (``g: i``, ``V7``): those are dropped, so they are not printed twice."""
    from dataclasses import replace

    analysis = (piece.info.get("harmony") or {}).get("analysis") or []
    if not analysis or not piece.voices:
        return piece
    figures = {Fraction(e["onset"]): str(e.get("local") or e["chord"]) for e in analysis}
    low = piece.voices[-1]
    notes = tuple(replace(n, lyric=None) if n.lyric is not None and n.onset in figures
                  and n.lyric.strip().endswith(figures[n.onset]) else n for n in low.notes)
    if notes == low.notes:
        return piece
    return replace(piece, voices=piece.voices[:-1] + (replace(low, notes=notes),))


def write_musicxml(piece: Piece, path: str | Path, *, encoding_text: str | None = None) -> None:
    """Write ``piece`` as MusicXML: one part per voice (named after it), clef from its range,
    key signature from the mode, meter, tempo, exact notes and rests, ties, lyrics, note ids.

    ``encoding_text`` (one line, e.g. a provenance summary) goes into
    ``<identification><encoding><encoding-description>``. Raises :class:`ValueError` for
    durations that cannot be notated or overlapping notes in one voice.
    """
    Path(path).write_bytes(musicxml_bytes(piece, encoding_text=encoding_text))


__all__ = ["clef_for", "harmony_from_xml", "musicxml_bytes", "read_musicxml", "write_musicxml"]
