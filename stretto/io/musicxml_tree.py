"""What stretto's MusicXML reader and writer share about the file itself: the
``<miscellaneous-field>`` names stretto writes, note ids as XML ``id`` attributes (escaped where
a note id is not an XML name), and walks over a ``<part>``'s notes and their times."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from fractions import Fraction

# <miscellaneous-field> that marks note ids written as v{voice}_{escaped id} (see xml_ids).
ID_FIELD = "stretto-note-ids"
# <miscellaneous-field>s that keep what the checker needs of info["harmony"] besides numerals.
STYLE_FIELD, MELODY_FIELD = "stretto-style", "stretto-melody-voice"
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")

# --------------------------------------------------------------------------- note ids


def escape_id(text: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c == "-") else f"_{ord(c):x}_"
                   for c in text)


def unescape_id(text: str) -> str:
    text = re.sub(r"^v\d+_", "", text)
    return re.sub(r"_([0-9a-f]+)_", lambda m: chr(int(m.group(1), 16)), text)


def xml_ids(ids: list[list[str]]) -> tuple[list[list[str]], bool]:
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
    return [[f"v{vi}_{escape_id(i)}" for i in voice] for vi, voice in enumerate(ids)], True


def note_elements(part: ET.Element) -> list[ET.Element]:
    """A ``<part>``'s sounding single notes in document order (no rests, chords or graces)."""
    return [n for n in part.iter("note") if n.find("pitch") is not None
            and n.find("chord") is None and n.find("grace") is None]


def xml_key(n: ET.Element) -> tuple[str, int]:
    pitch = n.find("pitch")
    assert pitch is not None
    return pitch.findtext("step", "").strip(), int(pitch.findtext("octave", "0").strip() or 0)


def grace_elements(part: ET.Element) -> list[ET.Element]:
    return [n for n in part.iter("note") if n.find("pitch") is not None
            and n.find("chord") is None and n.find("grace") is not None]


def timeline(part: ET.Element, start: Fraction) -> list[tuple[ET.Element, ET.Element, Fraction]]:
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


__all__ = ["ID_FIELD", "MELODY_FIELD", "STYLE_FIELD", "escape_id", "grace_elements",
           "note_elements", "timeline", "unescape_id", "xml_ids", "xml_key"]
