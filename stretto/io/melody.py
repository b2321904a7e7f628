"""Read a melody to harmonize: its notes, rests, fermatas, meter and pickup.

MusicXML/MXL through music21 (the top part, or the part named Soprano): fermatas are read from
the notes' expressions. MIDI through :func:`stretto.io.read_score` (the top voice; MIDI has no
fermatas, so rests and the end mark the phrases).

A pickup (anacrusis) is kept by shifting the melody so that its first bar is a whole bar that
starts with a rest: the pickup's notes keep their place in the bar (beat 4 of a 4/4 bar stays
beat 4). The harmonized piece records the pickup (:attr:`stretto.score.Piece.anacrusis`), so the
notation writes a short first bar numbered 0, as the source does. All other times, pitches and
durations are kept exactly.

Grace notes are kept in ``graces`` (the rules and the solver never see them) and written back
as grace notes; a grace note that leads into no note (at the end, or before a rest) or a grace
chord is refused with the bar it is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from stretto.errors import BadInput
from stretto.io import MIDI_SUFFIXES, MUSICXML_SUFFIXES
from stretto.pitch import Pitch
from stretto.score import Note, parse_meter


@dataclass(frozen=True)
class Melody:
    """``notes`` as notated (ties kept), onsets already shifted by ``pickup_shift``;
    ``fermatas`` the onsets of notes that carry a fermata; ``graces`` the grace notes (see
    :class:`stretto.score.Voice`), on the shifted onset of the note each leads into."""

    notes: tuple[Note, ...]
    meter: str
    fermatas: frozenset[Fraction]
    pickup_shift: Fraction
    title: str
    tempo: Fraction = Fraction(80)
    graces: tuple[Note, ...] = ()

    @property
    def anacrusis(self) -> Fraction:
        """The pickup's length (0: none): what the shift leaves of the first bar."""
        return self.bar_length - self.pickup_shift if self.pickup_shift else Fraction(0)

    @property
    def bar_length(self) -> Fraction:
        num, den = parse_meter(self.meter)
        return Fraction(4 * num, den)

    @property
    def beat_length(self) -> Fraction:
        """One beat: the meter's denominator, or a dotted beat in compound meters (6/8)."""
        num, den = parse_meter(self.meter)
        if den >= 8 and num % 3 == 0 and num > 3:
            return Fraction(4 * 3, den)
        return Fraction(4, den)


def melody_to_dict(melody: Melody) -> dict:
    """The melody as plain data (kept in a project's score.json, so a re-solve needs no
    outside file); :func:`melody_from_dict` reads it back."""
    d = {"notes": [[n.pitch.name, str(n.onset), str(n.duration), n.tie]
                   for n in melody.notes],
         "meter": melody.meter, "fermatas": sorted(str(f) for f in melody.fermatas),
         "pickup_shift": str(melody.pickup_shift), "title": melody.title,
         "tempo": str(melody.tempo)}
    if melody.graces:  # only when present: older projects' score.json stay as they were
        d["graces"] = [[g.pitch.name, str(g.onset), str(g.duration), g.grace]
                       for g in melody.graces]
    return d


def melody_from_dict(d: dict) -> Melody:
    try:
        notes = tuple(Note(id=f"v0n{k}", pitch=Pitch.parse(p), onset=Fraction(on),
                           duration=Fraction(dur), tie=tie, origin="human")
                      for k, (p, on, dur, tie) in enumerate(d["notes"]))
        graces = tuple(Note(id=f"v0g{k}", pitch=Pitch.parse(p), onset=Fraction(on),
                            duration=Fraction(dur), grace=kind, origin="human")
                       for k, (p, on, dur, kind) in enumerate(d.get("graces", [])))
        return Melody(notes=notes, meter=str(d["meter"]),
                      fermatas=frozenset(Fraction(f) for f in d["fermatas"]),
                      pickup_shift=Fraction(d["pickup_shift"]), title=str(d["title"]),
                      tempo=Fraction(d["tempo"]), graces=graces)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"score.json holds a malformed melody: {exc}") from None


def _from_stream(stream, name: str) -> Melody:
    parts = list(stream.parts) if hasattr(stream, "parts") and stream.parts else [stream]
    part = next((p for p in parts if (getattr(p, "partName", "") or "").lower().startswith(
                "soprano")),
                parts[0])
    measures = list(part.getElementsByClass("Measure"))
    shift = Fraction(0)
    if measures:
        shift = Fraction(measures[0].paddingLeft).limit_denominator(10000)
    flat = part.flatten()
    ts = flat.getElementsByClass("TimeSignature")
    meter = ts[0].ratioString if ts else "4/4"
    parse_meter(meter)
    notes: list[Note] = []
    fermatas: set[Fraction] = set()
    graces: list[Note] = []
    waiting: list = []  # grace notes read, waiting for the note they lead into
    k = 0
    from music21 import harmony

    for n in flat.notesAndRests:
        if isinstance(n, harmony.Harmony):  # a chord symbol or numeral, not a melody note
            continue
        if n.isRest:
            if waiting:
                raise BadInput(_lost_grace(name, waiting[0], "a rest"))
            continue
        if n.isChord:
            raise BadInput(f"{name}: the melody has chords at offset {n.offset} (bar "
                           f"{n.measureNumber}); give one melodic line (or put the melody in "
                           "the top part)")
        p = n.pitch
        pitch = Pitch(octave=int(p.octave), step="CDEFGAB".index(p.step),
                      alter=int(p.alter or 0))
        if n.duration.isGrace or n.quarterLength == 0:
            waiting.append((n, pitch))
            continue
        onset = Fraction(n.offset).limit_denominator(10000) + shift
        dur = Fraction(n.quarterLength).limit_denominator(10000)
        for g, gp in waiting:
            graces.append(Note(id=f"v0g{len(graces)}", pitch=gp, onset=onset,
                               duration=_grace_value(g, name), origin="human",
                               grace="acciaccatura" if getattr(g.duration, "slash", False)
                               else "appoggiatura"))
        waiting = []
        tie = n.tie.type if n.tie is not None and n.tie.type in ("start", "stop",
                                                                 "continue") else None
        notes.append(Note(id=f"v0n{k}", pitch=pitch, onset=onset, duration=dur, tie=tie,
                          origin="human"))
        k += 1
        if any(getattr(e, "name", "") == "fermata" for e in n.expressions):
            fermatas.add(onset)
    if waiting:
        raise BadInput(_lost_grace(name, waiting[0], "the end"))
    if not notes:
        raise BadInput(f"{name} has no notes to harmonize")
    mm = flat.getElementsByClass("MetronomeMark")
    tempo = Fraction(80)
    if mm and mm[0].number:
        tempo = Fraction(mm[0].getQuarterBPM()).limit_denominator(1000)
    _validate(notes, meter, tempo, name)
    title = ""
    if stream.metadata is not None:
        title = stream.metadata.title or stream.metadata.movementName or ""
    return Melody(notes=tuple(notes), meter=meter, fermatas=frozenset(fermatas),
                  pickup_shift=shift, title=str(title or name), tempo=tempo,
                  graces=tuple(graces))


def _lost_grace(name: str, waiting, before: str) -> str:
    n, pitch = waiting
    return (f"{name}: the grace note {pitch.name} in bar {n.measureNumber} leads into "
            f"{before}, not a note; stretto keeps grace notes only before a note: move it or "
            "remove it")


def _grace_value(n, name: str) -> Fraction:
    """A grace note's written value in quarter notes (an eighth: 1/2)."""
    from music21 import duration

    try:
        value = Fraction(duration.convertTypeToQuarterLength(n.duration.type))
    except Exception:  # noqa: BLE001 - music21 raises DurationException and others
        raise BadInput(f"{name}: the grace note in bar {n.measureNumber} has no written value "
                       f"({n.duration.type!r}); give it a type such as eighth") from None
    return value * (2 - Fraction(1, 2 ** n.duration.dots)) if n.duration.dots else value


def _validate(notes: list[Note] | tuple[Note, ...], meter: str, tempo: Fraction,
              name: str) -> None:
    """The melody within stretto's limits (see :mod:`stretto.limits`), before any solving."""
    from stretto.limits import MAX_MELODY_NOTES, validate_line, validate_meter_tempo

    bar_length = validate_meter_tempo(meter, tempo, where=name)
    if len(notes) > MAX_MELODY_NOTES:
        raise BadInput(f"{name}: the melody has {len(notes)} notes; stretto harmonizes at most "
                       f"{MAX_MELODY_NOTES} at once: split it into sections")
    validate_line(notes, where=name, voice="melody", bar_length=bar_length)


def read_melody(path: str | Path) -> Melody:
    """Read the melody of a MusicXML/MXL or MIDI file (see the module text)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise BadInput(f"no such file: {path}: give a MusicXML, MXL or MIDI melody")
    if suffix in MUSICXML_SUFFIXES:
        import music21

        try:
            stream = music21.converter.parse(str(path), forceSource=True)
            return _from_stream(stream, path.name)
        except BadInput:
            raise
        except Exception as exc:  # noqa: BLE001 - music21 raises many types
            raise BadInput(f"cannot read {path.name}: not a readable MusicXML file "
                           f"({str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__})"
                           ) from None
    if suffix in MIDI_SUFFIXES:
        from stretto.io import read_score

        piece = read_score(path)
        top = piece.voices[0]
        notes = tuple(Note(id=f"v0n{k}", pitch=n.pitch, onset=n.onset, duration=n.duration,
                           tie=n.tie, origin="human") for k, n in enumerate(top.notes))
        if not notes:
            raise BadInput(f"{path.name} has no notes to harmonize")
        _validate(notes, piece.meter, piece.tempo, path.name)
        return Melody(notes=notes, meter=piece.meter, fermatas=frozenset(),
                      pickup_shift=Fraction(0), title=piece.title, tempo=piece.tempo)
    raise BadInput(f"unsupported melody file {path.name}: use .musicxml, .mxl, .mid or .midi")


def melody_from_stream(stream, name: str = "melody") -> Melody:
    """The melody of a music21 stream already in memory (the benchmark's chorales)."""
    return _from_stream(stream, name)


__all__ = ["Melody", "melody_from_dict", "melody_from_stream", "melody_to_dict", "read_melody"]
