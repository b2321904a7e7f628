"""MusicXML export through music21.

``write_musicxml`` builds the measures itself (notes split at barlines with ties, rests filling
gaps, grace notes before the note they lead into, a pickup as a short first measure numbered 0
with ``implicit="yes"``), so music21 neither re-splits nor re-spells anything; the XML is then
post-processed with :mod:`xml.etree` to add each note's stable id (the ``id`` attribute of
``<note>``), the key's ``<mode>``, the Roman numerals of ``info["harmony"]`` as ``<harmony>``
under the lowest part (:mod:`stretto.io.numerals`), one title, the encoding text and stable
part ids. :mod:`stretto.io.musicxml_read` reads all of these back.

music21 is imported lazily inside the functions: ``import stretto.io.musicxml`` stays cheap.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from stretto.io.musicxml_tree import ID_FIELD, MELODY_FIELD, STYLE_FIELD, grace_elements, \
    note_elements, timeline, xml_ids
from stretto.pitch import STEP_NAMES, Pitch
from stretto.score import Note, Piece, Voice, parse_meter

_HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE score-partwise PUBLIC '
           '"-//Recordare//DTD MusicXML 4.0 Partwise//EN" '
           '"http://www.musicxml.org/dtds/partwise.dtd">\n')


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
    notes_at = [(m, el, t) for m, el, t in timeline(part, shift) if el.tag == "note"]
    previous = None
    for entry in sorted(h.get("analysis") or [], key=lambda e: Fraction(e["onset"])):
        onset = Fraction(entry["onset"])
        key, figure = entry.get("key") or home, entry.get("local") or entry["chord"]
        # the first note at or after the onset, else the last before it (with an <offset>)
        at = next(((m, el, t) for m, el, t in notes_at if t >= onset), None) or notes_at[-1]
        measure, el, time = at
        if time > onset and any(mm is measure and t <= onset for mm, _, t in notes_at):
            measure, el, time = next((mm, e, t) for mm, e, t in reversed(notes_at)
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
                 shift: Fraction, rights: str | None = None) -> bytes:
    """Add note ids, the key's mode, the numerals, the title and encoding text; mark a pickup
    measure implicit; drop music21's date and placeholder composer."""
    import stretto

    root = ET.fromstring(data)
    for vi, part in enumerate(root.findall("part")):
        for elements, want in ((note_elements(part), ids[vi]),
                               (grace_elements(part), grace_ids[vi])):
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
    for el in ident.findall("rights"):
        ident.remove(el)
    if rights:  # the licence line (stretto.licence), after the creators as the schema orders
        el = ET.Element("rights")
        el.text = " ".join(rights.split())
        ident.insert(len(ident.findall("creator")), el)
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


def musicxml_bytes(piece: Piece, *, encoding_text: str | None = None,
                   rights: str | None = None) -> bytes:
    """The MusicXML 4.0 partwise document :func:`write_musicxml` writes."""
    from music21 import metadata, stream
    from music21.musicxml.m21ToXml import ScoreExporter

    if not piece.voices:
        raise ValueError("cannot write MusicXML for a piece with no voices")
    piece = _without_numeral_lyrics(piece)
    written = [_written(v, piece.bar_length) for v in piece.voices]
    graces = [sorted(v.graces, key=lambda g: g.onset) for v in piece.voices]
    all_ids, escaped = xml_ids([[w.id for w in ws] + [g.id for g in gs]
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
                        shift, rights)


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


def write_musicxml(piece: Piece, path: str | Path, *, encoding_text: str | None = None,
                   rights: str | None = None) -> None:
    """Write ``piece`` as MusicXML: one part per voice (named after it), clef from its range,
    key signature from the mode, meter, tempo, exact notes and rests, ties, lyrics, note ids.

    ``encoding_text`` (one line, e.g. a provenance summary) goes into
    ``<identification><encoding><encoding-description>``, ``rights`` (the licence line) into
    ``<identification><rights>``. Raises :class:`ValueError` for durations that cannot be
    notated or overlapping notes in one voice.
    """
    Path(path).write_bytes(musicxml_bytes(piece, encoding_text=encoding_text, rights=rights))


__all__ = ["clef_for", "musicxml_bytes", "write_musicxml"]
