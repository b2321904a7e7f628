"""Engraved notation from the score model: ``score.pdf`` (LilyPond) and ``score.svg`` (Verovio).

Both start from the same MusicXML that :func:`stretto.io.musicxml.musicxml_bytes` writes from
``score.json`` (so they always show the project's current notes, with stretto's clefs, key
signature of the mode, ties and rests):

* **PDF** - LilyPond's ``musicxml2ly`` turns the MusicXML into a ``.ly`` file and the
  ``lilypond`` binary from the pip ``lilypond`` package typesets it. (music21's own LilyPond
  writer is unmaintained, hence ``musicxml2ly``.) ``musicxml2ly`` ignores ``<harmony>``
  numerals, so its copy of the MusicXML carries them as a line of text under the lowest staff
  (``g: i``, ``V7``, ``iiø65``: LilyPond spaces the notes so they never collide), without the
  verse number ``1.`` that ``musicxml2ly`` would print before them.
* **SVG** - Verovio lays the MusicXML out on one tall page. Verovio keeps each ``<note id>`` as
  the ``id`` of the note's ``<g class="note">``, so every note of the score is addressable in
  the SVG by its stable id (a note split at a barline shows as ``{id}`` and ``{id}-1``...; ids
  that are not XML names appear escaped as ``v{voice}_...``, as in the MusicXML). This is
  checked after rendering: a missing id is an error, not a silent loss. Verovio does not space
  the notes for ``<harmony>`` texts (long numerals run into each other), so it is given the
  numerals as a text line too (:func:`numerals_as_text`), which it spaces like lyrics.

Both files are written all or nothing (:func:`stretto.io.journal.write_files`).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any, Iterable

from stretto.errors import BadInput, StrettoError

PDF, SVG, LY = "score.pdf", "score.svg", "score.ly"
_NOTE_G = re.compile(r'<g id="([^"]+)" class="note')
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


class EngraveError(StrettoError):
    """LilyPond or Verovio could not engrave the score (exit 1)."""


def _written_ids(xml: bytes) -> list[str]:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(xml)
    return [n.get("id") for n in root.iter("note") if n.get("id")]


def svg_note_ids(svg: str) -> list[str]:
    """Ids of the notes (``<g class="note">``) in a Verovio SVG, in drawing order."""
    return _NOTE_G.findall(svg)


def pdf_pages(data: bytes) -> int:
    """Number of pages in a PDF (counts ``/Type /Page`` objects)."""
    return len(_PDF_PAGE.findall(data))


def render_svg(xml: bytes) -> str:
    """The MusicXML laid out by Verovio as one SVG page (A4-wide, as tall as needed)."""
    try:
        import verovio
    except ImportError:
        raise BadInput("engraving SVG needs verovio: pip install 'stretto[render]'") from None
    # the resource path given explicitly: Verovio finds its fonts by itself only on the main
    # thread, and the studio draws on a server's worker threads
    tk = verovio.toolkit(False)
    tk.setResourcePath(str(Path(verovio.__file__).parent / "data"))
    tk.setOptions({"pageWidth": 2100, "pageHeight": 60000, "adjustPageHeight": True,
                   "scale": 40, "breaks": "auto", "footer": "none", "svgViewBox": True,
                   # room for the numerals under the bass: wider notes, smaller text
                   "spacingDurDetection": True, "spacingLinear": 0.5, "lyricSize": 3.8})
    if not tk.loadData(xml.decode("utf-8")):
        raise EngraveError("Verovio could not read the score's MusicXML")
    if tk.getPageCount() != 1:  # pragma: no cover - a score taller than 60000 units
        raise EngraveError(f"the score needs {tk.getPageCount()} SVG pages; stretto writes one")
    return tk.renderToSVG(1)


def lilypond_bin() -> Path:
    """The ``lilypond`` binary of the pip ``lilypond`` package (musicxml2ly sits beside it)."""
    try:
        import lilypond
    except ImportError:
        raise BadInput("engraving PDF needs LilyPond: pip install 'stretto[render]'") from None
    return Path(lilypond.executable())


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EngraveError(f"{what} could not run: {exc}") from None
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if "error" in ln.lower()] or lines
        raise EngraveError(f"{what} failed (exit {proc.returncode}): "
                           f"{errors[-1] if errors else 'no message'}")


def numerals_as_text(xml: bytes) -> bytes:
    """The MusicXML for ``musicxml2ly``: each ``<harmony>`` numeral (and the key words before
    it) becomes the lyric of the note it stands over, printed as in the SVG."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(xml)
    found = False
    for measure in root.iter("measure"):
        pending: list[str] = []
        for el in list(measure):
            if el.tag == "direction" and el.get("placement") == "below" \
                    and el.findtext("direction-type/words", "").endswith(":") \
                    and _next_is_harmony(measure, el):
                pending.append(el.findtext("direction-type/words").strip())
                measure.remove(el)
            elif el.tag == "harmony" and el.find("numeral") is not None:
                roots = [r.get("text") or "" for r in el.iter("numeral-root")]
                kinds = [k.get("text") or "" for k in el.findall("kind")]
                pending.append("".join(r + k for r, k in zip(roots, kinds)))
                measure.remove(el)
                found = True
            elif el.tag == "note" and pending and el.find("rest") is None:
                for old in el.findall("lyric"):
                    el.remove(old)
                lyric = ET.Element("lyric", {"number": "1"})
                ET.SubElement(lyric, "syllabic").text = "single"
                ET.SubElement(lyric, "text").text = " ".join(pending)
                children = list(el)
                # <lyric> comes after <notations> and before <play>/<listen>
                at = next((i for i, c in enumerate(children) if c.tag in ("play", "listen",
                                                                           "footnote")),
                          len(children))
                el.insert(at, lyric)
                pending = []
    if not found:
        return xml
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _next_is_harmony(measure, el) -> bool:
    children = list(measure)
    i = children.index(el)
    return i + 1 < len(children) and children[i + 1].tag == "harmony"


_STANZA = re.compile(r'\\set stanza = "[^"]*"\s*')
# the MusicXML's <rights> (the licence line), which musicxml2ly sets as one unbroken string
_COPYRIGHT = re.compile(r'copyright\s*=\s*"((?:[^"\\]|\\.)*)"')


def render_pdf(xml: bytes, folder: Path) -> Path:
    """Typeset the MusicXML with LilyPond in ``folder``; returns ``folder/score.pdf`` (the
    ``score.ly`` it was made from stays beside it)."""
    bin_dir = lilypond_bin().parent
    (folder / "score.musicxml").write_bytes(numerals_as_text(xml))
    _run([str(bin_dir / "musicxml2ly"), "--no-beaming", "-o", LY, "score.musicxml"], folder,
         "musicxml2ly")
    ly = (folder / LY).read_text(encoding="utf-8")
    ly = _STANZA.sub("", ly)  # no verse number "1."
    # the licence line wrapped to the page, in small type, instead of running off both sides
    ly = _COPYRIGHT.sub(lambda m: 'copyright = \\markup \\fontsize #-2 \\wordwrap-string #"'
                        + m.group(1) + '"', ly)
    (folder / LY).write_text(ly, encoding="utf-8")
    _run([str(bin_dir / "lilypond"), "-s", "-o", "score", LY], folder, "LilyPond")
    pdf = folder / PDF
    if not pdf.is_file():  # pragma: no cover
        raise EngraveError("LilyPond finished but wrote no PDF")
    return pdf


def engrave_project(project: str | Path, formats: Iterable[str] = ("pdf", "svg")
                    ) -> dict[str, Any]:
    """Write ``score.pdf`` and/or ``score.svg`` into the project folder from its score.json.

    Returns the paths by format plus ``pages`` (PDF pages), ``svg_notes`` (note elements in
    the SVG) and ``ids`` (how many of the score's note ids the SVG carries)."""
    from stretto.io.musicxml import musicxml_bytes
    from stretto.io.journal import write_files
    from stretto.io.project import load_piece, load_project
    from stretto.licence import rights_line

    formats = tuple(formats)
    piece = load_piece(project)
    try:  # the licence line, printed by LilyPond as the copyright line
        rights = rights_line(load_project(project)[0])
    except BadInput:  # a score without a project's editing data: no record of its inputs
        rights = None
    try:
        xml = musicxml_bytes(piece, rights=rights)
    except ValueError as exc:
        raise BadInput(f"cannot engrave {project}: {exc}") from None
    result: dict[str, Any] = {}
    names = [{"pdf": PDF, "svg": SVG}[f] for f in formats]

    def stage(folder: Path) -> None:
        if "svg" in formats:
            svg = render_svg(numerals_as_text(xml))  # Verovio spaces lyrics, not <harm>
            ids = _written_ids(xml)
            found = set(svg_note_ids(svg))
            missing = [i for i in ids if i not in found]
            if missing:
                raise EngraveError(f"Verovio dropped {len(missing)} note ids (first "
                                   f"{missing[0]!r}); the SVG would not match the score")
            (folder / SVG).write_text(svg, encoding="utf-8")
            result["svg_notes"] = len(found)
            result["ids"] = len(ids)
        if "pdf" in formats:
            work = folder / "lilypond"
            work.mkdir()
            pdf = render_pdf(xml, work)
            result["pages"] = pdf_pages(pdf.read_bytes())
            pdf.replace(folder / PDF)

    paths = write_files(project, names, stage)
    for fmt, name in zip(formats, names):
        result[fmt] = paths[name]
    return result


__all__ = ["EngraveError", "engrave_project", "lilypond_bin", "numerals_as_text", "pdf_pages",
           "render_pdf", "render_svg", "svg_note_ids"]
