"""What stretto reads: the size limits and sanity checks every imported score passes first.

Every reader (MusicXML, MIDI, score.json, a melody to harmonize) ends with
:func:`validate_piece` or :func:`validate_line`, so a bad file is refused at once with one line
naming the file, the bar and what to do, before any checking or solving starts, and nothing
later can hang on an absurd value. The limits are stated in the README.

Pure core: no music21, no OR-Tools.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Iterable

from stretto.errors import BadInput
from stretto.score import parse_meter

if TYPE_CHECKING:  # pragma: no cover
    from stretto.score import Note, Piece

MAX_VOICES = 16
MAX_NOTES = 20_000  # in a whole piece
MAX_BARS = 2_000
MAX_NOTE_QUARTERS = Fraction(256)  # one note: 64 bars of 4/4
MAX_DENOMINATOR = 64  # onsets and durations in 1/64 quarter notes (or tuplets up to 64)
MIN_TEMPO, MAX_TEMPO = Fraction(10), Fraction(1000)  # quarter notes per minute
MAX_BEATS = 64  # meter numerator
#: The largest melody ``harmonize`` takes at once (its chord slots are at most this many too).
MAX_MELODY_NOTES = 400


def _number(x: Fraction) -> str:
    """``x`` for a message: decimal when it is of a sane size, else the exact fraction."""
    return f"{float(x):g}" if abs(x) < 10 ** 9 else str(x)


def _bar(onset: Fraction, bar_length: Fraction) -> int:
    return int(onset // bar_length) + 1 if bar_length > 0 else 1


def validate_line(notes: Iterable["Note"], *, where: str, voice: str, bar_length: Fraction,
                  max_notes: int = MAX_NOTES) -> None:
    """One voice: notes that follow each other without overlapping, none of zero or absurd
    length, none before the start or past the size limits. BadInput naming the bar."""
    last_end, count = Fraction(0), 0
    for n in sorted(notes, key=lambda n: n.onset):
        count += 1
        at = f"{where}: bar {_bar(max(n.onset, Fraction(0)), bar_length)} ({voice})"
        if n.onset < 0:
            raise BadInput(f"{at}: a note starts before the piece does; fix the file's offsets")
        if n.duration <= 0 or n.duration > MAX_NOTE_QUARTERS:
            raise BadInput(f"{at}: a note lasting {_number(n.duration)} quarter notes; stretto "
                           f"reads notes of more than 0 and at most {MAX_NOTE_QUARTERS} quarters")
        if n.onset.denominator > MAX_DENOMINATOR or n.duration.denominator > MAX_DENOMINATOR:
            raise BadInput(f"{at}: a note's time ({n.onset}, length {n.duration} quarters) is "
                           f"finer than 1/{MAX_DENOMINATOR} of a quarter note; quantize the file")
        if n.onset < last_end:
            raise BadInput(f"{at}: two notes sound at once in one voice (a chord or a second "
                           "voice in the part); put each line in its own part or track")
        last_end = n.end
        if count > max_notes:
            raise BadInput(f"{where}: {voice} has more than {max_notes} notes, stretto's limit; "
                           "split the piece into sections")
    if bar_length > 0 and last_end > MAX_BARS * bar_length:
        raise BadInput(f"{where}: {voice} runs past bar {MAX_BARS}, stretto's limit; split the "
                       "piece into sections")


def validate_meter_tempo(meter: str, tempo: Fraction, *, where: str) -> Fraction:
    """The bar length in quarter notes of a sane meter and tempo; BadInput otherwise."""
    try:
        num, den = parse_meter(meter)
    except BadInput as exc:
        raise BadInput(f"{where}: {exc}; write the time signature as 4/4, 3/4, 6/8 ...") from None
    if num > MAX_BEATS:
        raise BadInput(f"{where}: a {meter} time signature has more than {MAX_BEATS} beats a "
                       "bar; fix the time signature")
    if not MIN_TEMPO <= tempo <= MAX_TEMPO:
        raise BadInput(f"{where}: a tempo of {_number(tempo)} quarter notes a minute; stretto "
                       f"reads {MIN_TEMPO}-{MAX_TEMPO}: fix the metronome mark")
    return Fraction(4 * num, den)


def validate_piece(piece: "Piece", *, where: str) -> "Piece":
    """Refuse (BadInput, one line) a piece outside stretto's limits or with impossible notes:
    no voices or more than MAX_VOICES, overlapping notes in a voice, zero or huge durations,
    times finer than the grid, an absurd meter or tempo, more than MAX_NOTES notes or
    MAX_BARS bars. Returns the piece."""
    if not piece.voices:
        raise BadInput(f"{where} has no voices with notes")
    if len(piece.voices) > MAX_VOICES:
        raise BadInput(f"{where} has {len(piece.voices)} voices; stretto reads at most "
                       f"{MAX_VOICES}")
    bar_length = validate_meter_tempo(piece.meter, piece.tempo, where=where)
    total = sum(len(v.notes) for v in piece.voices)
    if total > MAX_NOTES:
        raise BadInput(f"{where} has {total} notes; stretto reads at most {MAX_NOTES}: split the "
                       "piece into sections")
    for v in piece.voices:
        validate_line(v.notes, where=where, voice=v.name, bar_length=bar_length)
    return piece


__all__ = ["MAX_BARS", "MAX_DENOMINATOR", "MAX_MELODY_NOTES", "MAX_NOTES", "MAX_NOTE_QUARTERS",
           "MAX_TEMPO", "MAX_VOICES", "MIN_TEMPO", "validate_line", "validate_meter_tempo",
           "validate_piece"]
