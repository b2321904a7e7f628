"""Fux's *Gradus ad Parnassum* figures, from the MarkGotham/species dataset.

The dataset (``shared/datasets/fux-gradus``) has one table per part of the book: ``I/data.tsv``
(two voices), ``II/data.tsv`` (three), ``III/data.tsv`` (four), one row per exercise: where it
lies in the part's solutions file (``Measure start``/``Measure end``), its figure number in Mann's
edition, its species, its modal final and where the cantus firmus is ("Lower"/"Upper" in part I,
a part number from the top in parts II and III). ``1x1/NNN.mxl`` holds each figure on its own.

There are 46 + 44 + 32 = 122 rows but 120 files: two rows of part I share a figure label with
the next row (59 with the cantus below and above, 87a likewise), and ``1x1`` keeps only the
second of each. :func:`gradus_figures` lists all 122 exercises; the two without a file of their
own are cut out of ``I/I-Solutions.mxl`` by their bars (their ``key`` ends in ``-lower``).

A row's species is the exercise's ("2", or "2,3" where voices differ); :class:`GradusFigure`
gives the species of each counterpoint voice, top to bottom, read off its rhythm and checked
against the row (in three and four parts the voices not named in the row are in whole notes,
first species).
"""

from __future__ import annotations

import csv
import re
import zipfile
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from stretto.errors import BadInput
from stretto.modes import MODE_ROTATION, Mode, mode_of_final
from stretto.score import Piece, Voice

PARTS = ("I", "II", "III")
_VOICE_NAMES = {2: ("Upper", "Lower"), 3: ("Upper", "Middle", "Lower"),
                4: ("Soprano", "Alto", "Tenor", "Bass")}


@dataclass(frozen=True)
class GradusFigure:
    """One exercise: ``figure`` as Mann numbers it ("5", "84a"), ``part`` of the book, the
    ``species`` of each counterpoint voice top to bottom, the modal ``final`` ("D"), the cantus'
    index from the top, and the MusicXML file holding it."""

    figure: str
    part: str
    species: tuple[int, ...]
    final: str
    cantus_voice: int
    path: Path
    measures: tuple[int, int] = (0, 0)  # first and last bar in the part's solutions file
    listed: str = ""  # the row's species cell, as written ("2,3")
    note: str = ""  # remark in the figure cell, e.g. "corrected version of 26"
    key: str = ""  # unique name: the figure, "-lower" added for the rows without a file

    @property
    def whole_file(self) -> bool:
        """True when ``path`` holds this figure alone (False: cut out of a part's file)."""
        return self.path.parent.name == "1x1"


def _first_measure(path: Path) -> int | None:
    """The number of the first bar in a compressed MusicXML file (read without music21)."""
    try:
        with zipfile.ZipFile(path) as z:
            name = next(n for n in z.namelist()
                        if n.endswith((".xml", ".musicxml")) and not n.startswith("META-INF"))
            head = z.read(name)[:200_000].decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile, StopIteration):
        return None
    m = re.search(r'<measure[^>]*\bnumber="(\d+)"', head)
    return int(m.group(1)) if m else None


def _rows(root: Path, part: str) -> list[dict[str, str]]:
    path = root / part / "data.tsv"
    if not path.is_file():
        raise BadInput(f"no Fux data table at {path}")
    with path.open(encoding="utf-8", newline="") as f:
        return [{k.strip(): (v or "").strip() for k, v in row.items()}
                for row in csv.DictReader(f, delimiter="\t")]


def gradus_figures(root: Path) -> list[GradusFigure]:
    """Every exercise of the dataset at ``root`` (the ``fux-gradus`` folder), in book order.

    Species per voice are read from the files (music21 is used, a second or two in all).
    """
    root = Path(root)
    out: list[GradusFigure] = []
    for part in PARTS:
        rows = _rows(root, part)
        for row in rows:
            cell = row["Figure"]
            m = re.match(r"^(\d+[a-z]?)\s*(?:\((.*)\))?$", cell)
            if not m:
                raise BadInput(f"cannot read figure {cell!r} in {part}/data.tsv")
            figure, note = m.group(1), (m.group(2) or "")
            start, end = int(row["Measure start"]), int(row["Measure end"])
            n = re.match(r"^(\d+)([a-z]?)$", figure)
            path = root / "1x1" / f"{int(n.group(1)):03d}{n.group(2)}.mxl"
            key = figure
            if not path.is_file() or _first_measure(path) != start:
                path = root / part / f"{part}-Solutions.mxl"
                key = f"{figure}-{row['Cantus firmus'].lower()}"
            cf = row["Cantus firmus"]
            fig = GradusFigure(figure=figure, part=part, species=(), final=row["Modal final"]
                               .upper(), cantus_voice=-1, path=path, measures=(start, end),
                               listed=row["Species"], note=note, key=key)
            piece = _read(fig)
            nv = len(piece.voices)
            if cf in ("Upper", "Lower"):
                cantus = 0 if cf == "Upper" else nv - 1
            else:
                cantus = int(cf) - 1
            fig = replace(fig, cantus_voice=cantus,
                          species=_species_of(piece, cantus, row["Species"], figure))
            out.append(fig)
    return out


def _species_of(piece: Piece, cantus: int, listed: str, figure: str) -> tuple[int, ...]:
    from stretto.check.model import infer_species

    found = tuple(infer_species(v, piece.bar_length)
                  for i, v in enumerate(piece.voices) if i != cantus)
    named = {int(x) for x in listed.split(",") if x.strip()}
    florid = {s for s in found if s != 1} or {1}
    if florid != named:
        raise BadInput(f"figure {figure}: the voices' rhythms read as species {found}, but the "
                       f"table says {listed}")
    return found


@lru_cache(maxsize=None)
def _read_file(path: Path) -> Piece:
    from stretto.io.musicxml_read import read_musicxml  # lazy: music21 is heavy

    return read_musicxml(path)


def _read(fig: GradusFigure) -> Piece:
    """The figure's notes as a piece (voices still unnamed, mode as the reader guessed it)."""
    piece = _read_file(fig.path)
    if fig.whole_file:
        return piece
    start, end = fig.measures
    bl = piece.bar_length
    t0, t1 = (start - 1) * bl, end * bl
    voices = tuple(replace(v, notes=tuple(replace(n, onset=n.onset - t0)
                                          for n in v.notes if t0 <= n.onset < t1))
                   for v in piece.voices)
    return replace(piece, voices=voices)


def _mode(final: str, fifths: int) -> Mode:
    """Fux's mode on ``final`` (D dorian, E phrygian, ...), moved to the file's signature."""
    mode = mode_of_final(final)
    if mode.fifths == fifths:
        return mode
    for name in MODE_ROTATION:
        cand = Mode(name, final)
        if cand.fifths == fifths:
            return cand
    return mode


def load_figure(fig: GradusFigure) -> Piece:
    """The figure as a :class:`Piece`: voices named by position (the cantus "Cantus"), roles
    and species set, the mode taken from the row's final."""
    piece = _read(fig)
    names = _VOICE_NAMES.get(len(piece.voices),
                             tuple(f"Voice {i + 1}" for i in range(len(piece.voices))))
    species = iter(fig.species)
    voices: list[Voice] = []
    for i, v in enumerate(piece.voices):
        if i == fig.cantus_voice:
            voices.append(replace(v, name="Cantus", role="cantus", species=None))
        else:
            voices.append(replace(v, name=names[i], role="counterpoint", species=next(species)))
    title = f"Fux, Gradus ad Parnassum, Fig. {fig.figure}"
    return replace(piece, voices=tuple(voices), mode=_mode(fig.final, piece.mode.fifths),
                   title=title, info={**piece.info, "figure": fig.key, "part": fig.part})


__all__ = ["GradusFigure", "gradus_figures", "load_figure", "PARTS"]
