"""The score as a picture the studio can work on: Verovio's SVG of the project's current
notes (from the same MusicXML that :mod:`stretto.io.engrave` engraves), with every note's
``<g class="note">`` carrying what the view knows of it: its origin as a class and a fill
colour (``yours``, ``solver``, ``given``), its place (``data-voice``, ``data-bar``,
``data-beat``, ``data-pitch``), and the violations on it (class ``violation`` for a hard
rule, ``preference`` for a soft one, ``waived`` for one the composer waived, with the
messages as a ``<title>`` tooltip).

Reading only: :func:`snapshot` reads the view and draws the SVG from one version under the
project's shared lock, and writes nothing (``stretto engrave`` writes score.svg)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from stretto.app.view import ScoreView

#: the colour of each origin, in the SVG and on the studio's page
COLOURS = {"yours": "#0b63ce", "solver": "#222222", "given": "#2e7d32"}
VIOLATION_COLOUR, PREFERENCE_COLOUR = "#d32f2f", "#ef8f00"
_NOTE_G = re.compile(r'<g id="([^"]+)" class="note">')
_SPLIT = re.compile(r"-\d+$")
_STYLE = ("<style type=\"text/css\">" + "".join(
    f"g.note.{k}{{fill:{c};color:{c}}}" for k, c in COLOURS.items())
    + f"g.note.violation{{fill:{VIOLATION_COLOUR};color:{VIOLATION_COLOUR}}}</style>")


@dataclass(frozen=True)
class Snapshot:
    """One version of a project: its view and (when asked) its annotated SVG."""

    view: ScoreView
    svg: str | None = None


def _svg_id_to_note(svg_id: str, ids: set[str]) -> str | None:
    """The score's note id drawn as ``svg_id``: itself, a part of a note split at a barline
    (``{id}-1``), or an id the MusicXML had to escape (``v0_...``)."""
    from stretto.io.musicxml_tree import unescape_id

    for candidate in (svg_id, _SPLIT.sub("", svg_id)):
        if candidate in ids:
            return candidate
        plain = unescape_id(candidate)
        if plain in ids:
            return plain
    return None


def annotate_svg(svg: str, view: ScoreView) -> str:
    """``svg`` with each note group carrying its origin, place and violations (see the
    module's docstring), and a style sheet with the origin colours."""
    notes = {n.id: n for n in view.notes}
    marks: dict[str, list] = {}
    for v in view.violations:
        for nid in v.notes:
            marks.setdefault(nid, []).append(v)

    def repl(m: re.Match) -> str:
        nid = _svg_id_to_note(m.group(1), set(notes))
        if nid is None:
            return m.group(0)
        n = notes[nid]
        classes = ["note", n.kind]
        found = marks.get(nid, [])
        if any(v.severity == "hard" for v in found):
            classes.append("violation")
        elif any(v.severity == "soft" for v in found):
            classes.append("preference")
        elif found:  # only rule breaks the composer waived
            classes.append("waived")
        colour = VIOLATION_COLOUR if "violation" in classes else COLOURS[n.kind]
        title = "".join(f"<title>{html.escape(f'{v.rule}: {v.message}')}</title>"
                        for v in found[:1])
        more = "; ".join(f"{v.severity} {v.rule}: {v.message}" for v in found)
        return (f'<g id="{m.group(1)}" class="{" ".join(classes)}" fill="{colour}" '
                f'data-note="{html.escape(nid)}" data-voice="{n.voice}" data-bar="{n.bar}" '
                f'data-beat="{n.beat}" data-pitch="{n.pitch}" data-kind="{n.kind}"'
                + (f' data-violations="{html.escape(more)}"' if found else "") + f">{title}")

    out = _NOTE_G.sub(repl, svg)
    at = out.find("<defs>")
    return out[:at] + _STYLE + out[at:] if at >= 0 else out


def saved_matches(xml: bytes, piece) -> bool:
    """Whether ``xml`` (the project's score.musicxml) holds exactly ``piece``'s notes: the
    same ids with the same pitches. stretto writes it with score.json in one save, so it
    does unless someone edited it by hand; drawing from it spares writing the MusicXML again
    for every redraw."""
    import xml.etree.ElementTree as ET

    from stretto.io.musicxml_tree import unescape_id
    from stretto.pitch import STEP_NAMES, Pitch

    try:
        root = ET.fromstring(xml)
        found = {}
        for n in root.iter("note"):
            if n.get("id") and n.find("pitch") is not None:
                found[n.get("id")] = Pitch(octave=int(n.findtext("pitch/octave")),
                                           step=STEP_NAMES.index(n.findtext("pitch/step")),
                                           alter=int(float(n.findtext("pitch/alter") or 0))
                                           ).midi
    except (ET.ParseError, TypeError, ValueError):  # not the file stretto wrote
        return False
    wanted = {n.id: n.midi for v in piece.voices for n in (*v.notes, *v.graces)}
    if set(found) != set(wanted):  # ids written escaped (v0_...)
        found = {unescape_id(k): m for k, m in found.items()}
    return found == wanted


def draw_svg(project, saved: bytes | None = None) -> str:
    """Verovio's SVG of ``project``'s piece (no annotations), from ``saved`` (its
    score.musicxml) when that holds the piece's notes; BadInput without verovio."""
    from stretto.errors import BadInput
    from stretto.io.engrave import numerals_as_text, render_svg
    from stretto.io.musicxml import musicxml_bytes

    if saved is not None and saved_matches(saved, project.piece):
        return render_svg(numerals_as_text(saved))
    try:
        xml = musicxml_bytes(project.piece)
    except ValueError as exc:
        raise BadInput(f"cannot draw the score: {exc}") from None
    return render_svg(numerals_as_text(xml))


def snapshot(folder: str | Path, *, svg: bool = True) -> Snapshot:
    """The project's current view, and its annotated SVG when ``svg``, of one version (under
    the project's shared lock)."""
    from stretto.app.session import load, locked
    from stretto.app.view import build_view
    from stretto.io.project import undo_depth

    saved = None
    with locked(folder, shared=True):
        project, text = load(folder, edit=False)
        undo, redo = undo_depth(folder)
        if svg and (Path(folder) / "score.musicxml").is_file():
            saved = (Path(folder) / "score.musicxml").read_bytes()
    view = build_view(project, text, undo=undo, redo=redo)
    return Snapshot(view, annotate_svg(draw_svg(project, saved), view) if svg else None)


__all__ = ["COLOURS", "PREFERENCE_COLOUR", "Snapshot", "VIOLATION_COLOUR", "annotate_svg",
           "draw_svg", "snapshot"]
