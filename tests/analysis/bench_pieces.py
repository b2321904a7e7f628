"""Tiny hand-made scores with known answers for the metric tests."""

from __future__ import annotations

from fractions import Fraction

from stretto.modes import Mode
from stretto.pitch import parse_pitches
from stretto.score import Piece, make_voice


def two_voices(upper: str, lower: str, *, dur: Fraction = Fraction(4), meter: str = "4/4",
               mode: Mode = Mode("ionian", "C")) -> Piece:
    """Two voices in equal notes (whole notes by default), one note per bar."""
    u, lo = parse_pitches(upper), parse_pitches(lower)
    return Piece(voices=(make_voice("Upper", u, [dur] * len(u), role="free", id_prefix="u"),
                         make_voice("Lower", lo, [dur] * len(lo), role="free", id_prefix="l")),
                 mode=mode, meter=meter, title="tiny")
