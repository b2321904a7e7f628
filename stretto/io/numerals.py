"""Roman numerals as MusicXML 4.0 ``<harmony>`` elements, and back.

A stretto analysis entry (``info["harmony"]["analysis"]``: ``onset``, ``local`` figure such
as ``V42`` or ``ii/o65`` in music21's spelling, ``key`` such as ``G minor``) becomes one
``<harmony placement="below">`` under the lowest part:

* ``<numeral>``: ``<numeral-root>`` the scale degree 1-7 (``text`` the numeral as printed,
  ``V``, ``ii``, ``bII``), ``<numeral-alter>`` its alteration from the key's scale (natural
  minor in minor keys, so the leading tone in G minor is 7 raised; not printed: the text
  already shows what the figure shows) and ``<numeral-key>`` the local key
  (``<numeral-fifths>``, ``<numeral-mode>`` major or minor);
* ``<kind>`` the chord quality (``major``, ``dominant``, ``half-diminished`` ...; ``text``
  the rest of the figure as printed, ``7``, ``ø65``, ``°6``) and ``<inversion>``;
* a secondary function (``V7/V``) is a second harmony-chord group, the numeral it is
  applied to, printed ``/V`` (MusicXML's "V of II" encoding).

Verovio prints ``numeral-root`` text followed by ``kind`` text, so the whole figure is in
those two texts. The key is printed as ``<words>`` below the staff at the start and at every
change (``g:``, ``Bb:``; lower case for minor). :func:`figure_of` reads a ``<harmony>`` back
into the figure (from the texts stretto writes, else from the numbers).

music21 is imported lazily.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import lru_cache

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII")
# the print-only signs of the figure, as stretto shows them, and music21's spelling
_SIGNS = (("ø", "/o"), ("°", "o"))


def key_label(key: str) -> str:
    """``G minor`` -> ``g:``, ``B- major``/``Bb major`` -> ``Bb:`` (never music21's ``B-``)."""
    tonic, mode = key.split()
    tonic = tonic[0] + tonic[1:].replace("-", "b")
    return (tonic.lower() if mode == "minor" else tonic) + ":"


def key_fifths(key: str) -> tuple[int, str]:
    """``(fifths, "major"|"minor")`` of ``G minor``: (-2, "minor")."""
    from stretto.modes import Mode

    tonic, mode = key.split()
    tonic = tonic[0].upper() + tonic[1:].replace("-", "b")
    return Mode("aeolian" if mode == "minor" else "ionian", tonic).fifths, mode


def _m21_key(key: str):
    from music21 import key as m21key

    tonic, mode = key.split()
    return m21key.Key(tonic[0].upper() + tonic[1:].replace("b", "-"), mode)


def _kind(rn) -> str:
    """MusicXML's kind-value of a music21 RomanNumeral."""
    if rn.figure.startswith("N"):
        return "Neapolitan"
    for test, kind in (("isItalianAugmentedSixth", "Italian"), ("isFrenchAugmentedSixth",
                       "French"), ("isGermanAugmentedSixth", "German")):
        if getattr(rn, test)():
            return kind
    if rn.containsSeventh():
        if rn.isDominantSeventh():
            return "dominant"
        if rn.isDiminishedSeventh():
            return "diminished-seventh"
        if rn.isHalfDiminishedSeventh():
            return "half-diminished"
        third = rn.semitonesFromChordStep(3)
        seventh = rn.semitonesFromChordStep(7)
        fifth = rn.semitonesFromChordStep(5)
        if third == 4 and fifth == 8:
            return "augmented-seventh"
        if third == 3 and seventh == 11:
            return "major-minor"
        return "major-seventh" if seventh == 11 else "minor-seventh"
    for test, kind in (("isMajorTriad", "major"), ("isMinorTriad", "minor"),
                       ("isDiminishedTriad", "diminished"), ("isAugmentedTriad", "augmented")):
        if getattr(rn, test)():
            return kind
    return "other"


@lru_cache(maxsize=512)
def numeral_groups(figure: str, key: str) -> tuple[tuple, ...]:
    """The harmony-chord groups of ``figure`` in ``key``: one per numeral (two for ``V7/V``),
    each ``(degree, alter, root_text, kind, kind_text, inversion)``."""
    from music21 import roman

    k = _m21_key(key)
    rn = roman.RomanNumeral(figure, k)
    groups = []
    front = rn.frontAlterationString.replace("-", "b")
    primary = rn.primaryFigure if rn.secondaryRomanNumeral is not None else rn.figure
    prefix = rn.frontAlterationString + rn.romanNumeralAlone
    if primary.startswith(prefix):
        root_text, rest = front + rn.romanNumeralAlone, primary[len(prefix):]
    else:  # N6: the figure names the chord as a whole
        root_text, rest = primary, ""
    for sign, spelled in _SIGNS:
        rest = rest.replace(spelled, sign)
    groups.append((rn.scaleDegree, _alter(rn, rn.secondaryRomanNumeralKey or k), root_text,
                   _kind(rn), rest, rn.inversion()))
    sec = rn.secondaryRomanNumeral
    if sec is not None:
        groups.append((sec.scaleDegree, _alter(sec, k), "/" + sec.figure, _kind(sec), "", 0))
    return tuple(groups)


def _alter(rn, key) -> int:
    """The root's alteration from the key's scale (natural minor in minor)."""
    natural = key.pitchFromDegree(rn.scaleDegree)
    diff = round(rn.root().ps - natural.ps) % 12
    return diff - 12 if diff > 6 else diff


def harmony_element(figure: str, key: str) -> ET.Element:
    """One ``<harmony>`` for ``figure`` in ``key`` (see the module text). A figure music21
    cannot read is kept as text: MusicXML's ``<function>`` with kind ``none``."""
    fifths, mode = key_fifths(key)
    harmony = ET.Element("harmony", {"placement": "below"})
    try:
        groups = numeral_groups(figure, key)
    except Exception:  # noqa: BLE001 - music21 raises several types for unknown figures
        ET.SubElement(harmony, "function").text = figure
        ET.SubElement(harmony, "kind", {"text": ""}).text = "none"
        return harmony
    for i, (degree, alter, root_text, kind, kind_text, inversion) in enumerate(groups):
        numeral = ET.SubElement(harmony, "numeral")
        ET.SubElement(numeral, "numeral-root", {"text": root_text}).text = str(degree)
        if alter:
            ET.SubElement(numeral, "numeral-alter", {"print-object": "no"}).text = str(alter)
        if i == 0:
            nk = ET.SubElement(numeral, "numeral-key", {"print-object": "no"})
            ET.SubElement(nk, "numeral-fifths").text = str(fifths)
            ET.SubElement(nk, "numeral-mode").text = mode
        ET.SubElement(harmony, "kind", {"text": kind_text}).text = kind
        if inversion:
            ET.SubElement(harmony, "inversion").text = str(inversion)
    return harmony


def key_words(key: str) -> ET.Element:
    """The ``<direction>`` that prints the key label (``g:``) below the staff."""
    direction = ET.Element("direction", {"placement": "below"})
    dtype = ET.SubElement(direction, "direction-type")
    ET.SubElement(dtype, "words").text = key_label(key)
    return direction


_LOWER_KINDS = ("minor", "diminished", "half-diminished", "diminished-seventh",
                "minor-seventh", "major-minor")
_SEVENTHS = ("dominant", "major-seventh", "minor-seventh", "diminished-seventh",
             "half-diminished", "augmented-seventh", "major-minor")
_FIGURES = {False: ("", "6", "64"), True: ("7", "65", "43", "42")}


def figure_of(harmony: ET.Element) -> tuple[str, str | None] | None:
    """``(figure, key)`` of a ``<harmony>`` with ``<numeral>`` (key as ``G minor``, None when
    the element gives none); None for chord symbols with ``<root>``."""
    numerals = harmony.findall("numeral")
    kinds = harmony.findall("kind")
    inversions = harmony.findall("inversion")
    function = (harmony.findtext("function") or "").strip()
    if function and not numerals:  # a figure kept as text (MusicXML 3 style)
        return function, None
    if not numerals or len(kinds) != len(numerals):
        return None
    key = None
    nk = numerals[0].find("numeral-key")
    if nk is not None:
        key = _key_name(int(nk.findtext("numeral-fifths", "0")),
                        (nk.findtext("numeral-mode") or "major").strip())
    parts = []
    for i, (numeral, kind) in enumerate(zip(numerals, kinds)):
        root = numeral.find("numeral-root")
        if root is None:
            return None
        text, rest = root.get("text"), kind.get("text")
        kind_value = (kind.text or "").strip()
        if text is None:  # not written by stretto: build the figure from the numbers
            degree = int((root.text or "1").strip())
            text = ROMAN[degree - 1]
            if kind_value in _LOWER_KINDS:
                text = text.lower()
            alter = int(float(numeral.findtext("numeral-alter", "0") or 0))
            if alter and (numeral.find("numeral-alter").get("print-object") != "no"):
                text = ("b" if alter < 0 else "#") * abs(alter) + text
            text = text if i == 0 else "/" + text
        if rest is None:
            inv = int(inversions[i].text) if i < len(inversions) and inversions[i].text \
                else 0
            seventh = kind_value in _SEVENTHS
            sign = {"diminished": "o", "diminished-seventh": "o", "half-diminished": "/o",
                    "augmented": "+"}.get(kind_value, "")
            figures = _FIGURES[seventh]
            rest = sign + (figures[inv] if inv < len(figures) else "")
        for sign, spelled in _SIGNS:
            rest = rest.replace(sign, spelled)
        parts.append(text.replace("♭", "b").replace("♯", "#") + rest)
    return "".join(parts), key


def _key_name(fifths: int, mode: str) -> str:
    from stretto.modes import Mode
    from stretto.pitch import STEP_NAMES

    church = "aeolian" if "minor" in mode else "ionian"
    for step in range(7):
        for alter, sign in ((0, ""), (-1, "b"), (1, "#")):
            if Mode(church, STEP_NAMES[step] + sign).fifths == fifths:
                return f"{STEP_NAMES[step]}{sign} {'minor' if church == 'aeolian' else 'major'}"
    return "C major"


@lru_cache(maxsize=256)
def home_figure(figure: str, local: str, home: str) -> str:
    """``figure`` in the local key written in the home key: ``V7`` in D major within G major
    is ``V7/V``; unchanged in the home key."""
    from music21 import chord, roman

    hk, lk = _m21_key(home), _m21_key(local)
    if lk.tonic.name == hk.tonic.name and lk.mode == hk.mode:
        return figure
    triad = chord.Chord([lk.pitchFromDegree(d) for d in (1, 3, 5)])
    return f"{figure}/{roman.romanNumeralFromChord(triad, hk).romanNumeral}"


__all__ = ["figure_of", "harmony_element", "home_figure", "key_fifths", "key_label",
           "key_words", "numeral_groups"]
