"""Small projects for the renderer tests: hand-made pieces (no solver) and a Bach chorale."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction as F
from pathlib import Path

from stretto.io import write_project
from stretto.modes import Mode
from stretto.pitch import parse_pitches
from stretto.score import Piece, make_voice

BAR = F(4)


def duet() -> Piece:
    """Two voices, five notes each, the lower entering after a half-note rest; a repeated note
    and a tie across the barline in the upper voice."""
    upper = make_voice("Soprano", parse_pitches("A4 G4 F4 F4 E4"), [F(4), F(2), F(4), F(2),
                                                                    F(4)],
                       bar_length=BAR, id_prefix="s")
    lower = make_voice("Voice 2", parse_pitches("D3 E3 F3 C3 D3"), [F(2), F(4), F(2), F(4),
                                                                    F(2)],
                       start=F(2), bar_length=BAR, id_prefix="b")
    return Piece(voices=(upper, lower), mode=Mode("dorian", "D"), meter="2/2", tempo=F(160),
                 title="Duet")


def chorale(quarters: int = 12) -> Piece:
    """The first ``quarters`` quarter notes of Bach's chorale BWV 66.6 (music21's corpus), four
    voices named Soprano, Alto, Tenor, Bass."""
    import music21

    from stretto.io import read_score

    piece = read_score(Path(music21.corpus.getWork("bach/bwv66.6")))
    cut = F(quarters)
    voices = []
    for v in piece.voices:
        notes = tuple(replace(n, duration=min(n.end, cut) - n.onset) for n in v.notes
                      if n.onset < cut)
        voices.append(replace(v, notes=notes))
    return replace(piece, voices=tuple(voices), title="BWV 66.6 (opening)")


def project(piece: Piece, folder: Path) -> Path:
    write_project(piece, folder)
    return folder
