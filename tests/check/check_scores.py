"""Tiny hand-made scores for the checker tests, and helpers to plant faults in Fux's figures.

A voice is written as space-separated ``PITCH/DURATION`` tokens, durations in quarter notes
(``D4/4`` a whole note in 2/2, ``A4/2~`` a half tied to the next note, ``r/2`` a half rest);
a bare pitch is a whole note. The voice called "Cantus" is the cantus firmus.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction as F

from stretto.check import check, hard
from stretto.modes import Mode
from stretto.pitch import Pitch
from stretto.score import Note, Piece, Voice

DORIAN_CF = "D4 F4 E4 D4 G4 F4 A4 G4 F4 E4 D4"  # Fux's D-dorian cantus


def voice(name: str, text: str, species: int | None = None) -> Voice:
    notes: list[Note] = []
    t = F(0)
    tie_next = False
    for k, tok in enumerate(text.split()):
        name_dur = tok.rstrip("~")
        tied = tok.endswith("~")
        pitch, _, dur = name_dur.partition("/")
        d = F(dur) if dur else F(4)
        if pitch == "r":
            t += d
            tie_next = False
            continue
        tie = None
        if tie_next and tied:
            tie = "continue"
        elif tie_next:
            tie = "stop"
        elif tied:
            tie = "start"
        notes.append(Note(id=f"{name[0].lower()}{k}", pitch=Pitch.parse(pitch), onset=t,
                          duration=d, tie=tie, origin="human"))
        t += d
        tie_next = tied
    role = "cantus" if name == "Cantus" else "counterpoint"
    return Voice(name=name, notes=tuple(notes), role=role,
                 species=None if role == "cantus" else species)


def piece(*voices: Voice, mode: Mode = Mode("dorian", "D"), meter: str = "2/2") -> Piece:
    return Piece(voices=tuple(voices), mode=mode, meter=meter)


def duo(cp: str, species: int, cf: str = DORIAN_CF, *, below: bool = False,
        mode: Mode = Mode("dorian", "D")) -> Piece:
    """A counterpoint above (or ``below``) the cantus."""
    upper = voice("Lower" if below else "Upper", cp, species)
    cantus = voice("Cantus", cf)
    return piece(*((cantus, upper) if below else (upper, cantus)), mode=mode)


def hard_at(p: Piece, **kw) -> set[tuple[str, int]]:
    """The hard rules broken and the bars where, as a set of (rule, bar)."""
    return {(v.rule, v.bar) for v in hard(check(p, **kw))}


def set_pitch(p: Piece, voice_name: str, bar: int, beat: F | int, pitch: str) -> Piece:
    """``p`` with the note of ``voice_name`` that begins at ``bar``/``beat`` (and any notes tied
    on from it) changed to ``pitch``."""
    new = Pitch.parse(pitch)
    t = (bar - 1) * p.bar_length + F(beat) - 1
    voices = []
    for v in p.voices:
        if v.name != voice_name:
            voices.append(v)
            continue
        notes = list(v.notes)
        hits = [i for i, n in enumerate(notes) if n.onset == t]
        assert hits, f"no note of {voice_name} begins at bar {bar} beat {beat}"
        i = hits[0]
        while True:
            notes[i] = replace(notes[i], pitch=new)
            if notes[i].tie not in ("start", "continue") or i + 1 >= len(notes):
                break
            i += 1
        voices.append(replace(v, notes=tuple(notes)))
    return replace(p, voices=tuple(voices))


def shift_octave(p: Piece, voice_name: str, bars: range, octaves: int) -> Piece:
    voices = []
    for v in p.voices:
        if v.name == voice_name:
            v = replace(v, notes=tuple(
                replace(n, pitch=Pitch(n.pitch.octave + octaves, n.pitch.step, n.pitch.alter))
                if int(n.onset // p.bar_length) + 1 in bars else n for n in v.notes))
        voices.append(v)
    return replace(p, voices=tuple(voices))


def tie_over(p: Piece, voice_name: str, bar: int) -> Piece:
    """Tie the note of ``voice_name`` that ends at the downbeat of ``bar`` to the next one."""
    t = (bar - 1) * p.bar_length
    voices = []
    for v in p.voices:
        if v.name == voice_name:
            notes = []
            for n in v.notes:
                if n.end == t:
                    n = replace(n, tie="start")
                elif n.onset == t:
                    n = replace(n, tie="stop")
                notes.append(n)
            v = replace(v, notes=tuple(notes))
        voices.append(v)
    return replace(p, voices=tuple(voices))
