"""Small pieces for the import/export tests, built with make_voice / Note directly."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction as F

from stretto.modes import Mode
from stretto.pitch import parse_pitches
from stretto.score import Piece, Voice, make_voice

BAR = F(4)  # 2/2


def g_dorian_trio() -> Piece:
    """Three voices in G dorian (one flat) with the leading tone F#4, ties across barlines, a
    rest at the tenor's start, a repeated bass note and lyrics on the soprano."""
    sop = make_voice("Soprano", parse_pitches("G4 A4 Bb4 A4 F#4 G4"),
                     [F(4), F(2), F(6), F(2), F(2), F(4)], bar_length=BAR, id_prefix="s")
    lyrics = ["Ky-", "-ri-", "-e", None, None, None, None]
    sop = replace(sop, notes=tuple(replace(n, lyric=lyr) for n, lyr in zip(sop.notes, lyrics)))
    ten = make_voice("Tenor", parse_pitches("D4 C4 D4 Bb3 A3 G3"),
                     [F(4), F(2), F(4), F(2), F(2), F(4)], start=F(2), bar_length=BAR,
                     id_prefix="t")
    bass = make_voice("Bass", parse_pitches("G2 F2 G2 D3 D3 G2"), [F(4), F(4), F(4), F(2),
                                                                   F(2), F(4)],
                      bar_length=BAR, id_prefix="b")
    return Piece(voices=(sop, ten, bass), mode=Mode("dorian", "G"), meter="2/2",
                 tempo=F(160), title="G dorian trio")


def d_dorian_duo() -> Piece:
    """Two voices in D dorian with both ficta: the leading tone C#4 and the flat Bb3."""
    upper = make_voice("Alto", parse_pitches("A4 G4 F4 E4 D4 C#4 D4"),
                       [F(4), F(4), F(4), F(2), F(2), F(4), F(4)], bar_length=BAR, id_prefix="a")
    lower = make_voice("Bass", parse_pitches("D3 Bb3 A3 G3 A3 D3"),
                       [F(4), F(4), F(4), F(4), F(4), F(4)], bar_length=BAR, id_prefix="b")
    return Piece(voices=(upper, lower), mode=Mode("dorian", "D"), title="D dorian duo")


def florid_line() -> Piece:
    """One 4/4 voice with eighths, a quarter-note triplet, a dotted quarter and a tie."""
    voice = make_voice("Fifth", parse_pitches("D4 E4 F4 G4 A4 Bb4 A4 G4 F4 E4 D4"),
                       [F(1, 2), F(1, 2), F(1), F(2, 3), F(2, 3), F(2, 3), F(3, 2), F(1, 2),
                        F(3), F(1), F(4)], bar_length=BAR, id_prefix="f")
    return Piece(voices=(voice,), mode=Mode("dorian", "D"), meter="4/4", tempo=F(96))


def many_voices(count: int) -> Piece:
    """``count`` voices of two whole notes each, ids unique per voice."""
    voices = tuple(make_voice(f"V{k + 1}", parse_pitches("D4 E4"), [F(4), F(4)],
                              bar_length=BAR, id_prefix=f"v{k}n") for k in range(count))
    return Piece(voices=voices, mode=Mode("dorian", "D"), title="Many")


def sounding(voice: Voice) -> list[tuple[str, F, F]]:
    return [(n.name, n.onset, n.duration) for n in voice.sounding()]


def notated(voice: Voice) -> list[tuple[str, str, F, F, str | None, str | None]]:
    return [(n.id, n.name, n.onset, n.duration, n.tie, n.lyric) for n in voice.notes]
