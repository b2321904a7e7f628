"""What several test modules share, importable by name (``from support import ...``): the
shared datasets' place, and a short two-phrase tune. Test modules import from here, never from
a conftest (each test folder may have a conftest of its own, and they share one module name)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stretto.io.melody import Melody

# shared/ sits beside the checkout (../shared), with the datasets under it.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FUX_ROOT = SHARED / "datasets" / "fux-gradus"
FUX_MISSING = f"Fux dataset not found at {FUX_ROOT} (shared/ beside the checkout)"


def fux_available() -> bool:
    return (FUX_ROOT / "I" / "data.tsv").is_file() and (FUX_ROOT / "1x1").is_dir()


# Two phrases: the rest after bar 2 beat 3 closes the first with a cadence.
TUNE = "E5 D5 C5 D5 E5 E5 E5 r D5 D5 E5 D5 C5"


def tune_melody(names: str = TUNE) -> Melody:
    """Quarter notes in 4/4 (``r`` a rest), the melody voice of a harmonization."""
    from stretto.io.melody import Melody
    from stretto.pitch import Pitch
    from stretto.score import Note

    notes = [Note(id=f"v0n{k}", pitch=Pitch.parse(n), onset=Fraction(k), duration=Fraction(1),
                  origin="human") for k, n in enumerate(names.split()) if n != "r"]
    return Melody(notes=tuple(notes), meter="4/4", fermatas=frozenset(),
                  pickup_shift=Fraction(0), title="tune")


def token_voices(names, lines) -> tuple:
    """Voices named ``names`` from lines of ``PITCH/DURATION`` tokens (durations in quarter
    notes: ``D5/5/2`` is two and a half quarters), each voice starting at 0."""
    from stretto.pitch import Pitch
    from stretto.score import Note, Voice

    voices = []
    for vi, (name, text) in enumerate(zip(names, lines)):
        notes, t = [], Fraction(0)
        for k, tok in enumerate(text.split()):
            pitch, _, dur = tok.partition("/")
            notes.append(Note(f"v{vi}n{k}", Pitch.parse(pitch), t, Fraction(dur)))
            t += Fraction(dur)
        voices.append(Voice(name, tuple(notes), role="free"))
    return tuple(voices)
