"""What a DAW project file holds for stretto, whoever wrote it: tracks of notes in quarter notes.

The DAWproject and REAPER readers (:mod:`stretto.io.dawproject`, :mod:`stretto.io.reaper`) both
return a :class:`DawSong`: its note tracks in the file's order (a DAW may have renamed or
reordered them), each with its notes as (MIDI key, onset, duration) in exact quarter notes from
the start of the arrangement, whatever tempo the DAW set (notes live in musical time; the
tempo is reported apart). Audio tracks (stems) are listed with their file names but no notes.
:func:`song_to_piece` turns the note tracks into a :class:`~stretto.score.Piece`, one voice per
track, as :func:`stretto.io.midi.read_midi` does for a MIDI file, so the import compares a DAW's
file with the project exactly as it compares a MIDI file.

The writers share the notes as score.mid plays them (:func:`played_tracks`, through the one
MIDI writer), the voice colours (:func:`voice_color`), the markers (:func:`score_markers`:
cadences and phrase ends from the score's analysis) and the all-or-nothing write of one file
(:func:`write_atomically`). mido is imported only by :func:`played_tracks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from stretto.errors import BadInput

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    from stretto.modes import Mode
    from stretto.score import Piece

#: Onsets and durations read from a DAW file are rounded to 1/64 of a quarter note (or a
#: tuplet up to 64), as the MIDI reader rounds its ticks (see :mod:`stretto.limits`).
MAX_DENOMINATOR = 64
#: One colour per voice, top to bottom (then again): red, amber, green, blue, violet, teal ...
PALETTE = ("#d94c4c", "#e0a030", "#4caf50", "#3f7fd9", "#9c5fd6", "#2aa198", "#c2185b",
           "#7f8c3a")


@dataclass(frozen=True)
class DawNote:
    """One note of a track: MIDI ``key``, ``onset`` and ``duration`` in quarter notes
    (exact fractions), the MIDI ``channel`` (0-15) and the ``velocity`` (0-1, None if absent)."""

    key: int
    onset: Fraction
    duration: Fraction
    channel: int = 0
    velocity: float | None = None

    @property
    def end(self) -> Fraction:
        return self.onset + self.duration


@dataclass(frozen=True)
class DawTrack:
    """A track of the file: its ``name`` as the DAW shows it, its ``notes`` in time order, its
    ``kind`` (``notes`` or ``audio``), the audio files of its clips (``audio``, paths inside the
    DAWproject zip or as the .rpp names them), its ``color`` (``#rrggbb``) and the file's own id."""

    name: str
    notes: tuple[DawNote, ...] = ()
    kind: str = "notes"
    audio: tuple[str, ...] = ()
    color: str | None = None
    id: str = ""


@dataclass(frozen=True)
class DawSong:
    """A DAW project as stretto reads it. ``tempo`` in quarter notes per minute (the DAW's
    first tempo), ``meter`` like ``"4/4"``, ``markers`` as (time in quarter notes, name),
    ``application`` the program that saved the file (``"stretto"`` for an untouched export),
    ``key`` the key stretto wrote (None when the file does not say), ``comment`` the file's
    metadata comment (stretto's provenance summary in its exports)."""

    tracks: tuple[DawTrack, ...]
    tempo: Fraction = Fraction(120)
    meter: str = "4/4"
    title: str = ""
    markers: tuple[tuple[Fraction, str], ...] = ()
    application: str = ""
    key: str | None = None
    comment: str = ""
    tempo_changes: tuple[tuple[Fraction, Fraction], ...] = field(default=())

    @property
    def note_tracks(self) -> tuple[DawTrack, ...]:
        """The tracks holding notes, in file order (empty note tracks left out)."""
        return tuple(t for t in self.tracks if t.kind == "notes" and t.notes)


@dataclass(frozen=True)
class StemAudio:
    """A rendered stem to place in a DAW project: the WAV on disk (``path``), the ``voice``
    (index from the top) it sounds, its sample rate, length in frames and channels. The stem
    starts at the score's time 0 (stretto renders every stem from sample 0)."""

    voice: int
    path: "Path"
    sample_rate: int
    frames: int
    channels: int = 1

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


@dataclass(frozen=True)
class PlayedNote:
    """A note as score.mid plays it (ties merged, grace notes on the beat): ticks at ``tpq``."""

    key: int
    start: int
    end: int
    channel: int
    velocity: int


def played_tracks(piece: "Piece", *, tpq: int = 960) -> list[list[tuple[int, bytes]]]:
    """Each voice's MIDI events as :func:`stretto.io.midi.write_midi` writes them into
    score.mid (the one MIDI writer): (absolute tick at ``tpq``, message bytes), program change
    first. A DAW clip holds exactly what score.mid holds."""
    import tempfile
    from pathlib import Path

    import mido

    from stretto.io.midi import write_midi

    with tempfile.TemporaryDirectory() as tmp:
        write_midi(piece, Path(tmp) / "x.mid", ticks_per_quarter=tpq)
        mid = mido.MidiFile(str(Path(tmp) / "x.mid"))
    out = []
    for track in mid.tracks[1:]:  # the first is the conductor
        now, events = 0, []
        for msg in track:
            now += msg.time
            if not msg.is_meta:
                events.append((now, bytes(msg.bytes())))
        out.append(events)
    return out


def played_notes(events: list[tuple[int, bytes]]) -> list[PlayedNote]:
    """The notes of one voice's events (:func:`played_tracks`), in time order."""
    out: list[PlayedNote] = []
    open_: dict[tuple[int, int], tuple[int, int]] = {}
    for tick, msg in events:
        kind, channel = msg[0] & 0xF0, msg[0] & 0x0F
        if kind == 0x90 and msg[2] > 0:
            open_[(channel, msg[1])] = (tick, msg[2])
        elif kind in (0x80, 0x90) and (channel, msg[1]) in open_:
            start, vel = open_.pop((channel, msg[1]))
            out.append(PlayedNote(msg[1], start, tick, channel, vel))
    return sorted(out, key=lambda n: (n.start, n.key))


def write_atomically(path: "Path", data: bytes) -> None:
    """Write ``data`` to ``path`` all or nothing: into a hidden temporary file in the same
    folder, fsynced, then renamed over ``path`` in one step (and the folder fsynced). On any
    failure the temporary file is removed and ``path`` is as it was."""
    import os
    import tempfile

    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:  # some file systems cannot fsync a folder; the rename has happened
        pass
    finally:
        os.close(dfd)


def exact(value: float | str) -> Fraction:
    """A time read from a file as an exact fraction of a quarter note (1/64 or a tuplet)."""
    return Fraction(value).limit_denominator(MAX_DENOMINATOR)


def voice_color(index: int) -> str:
    """The colour of voice ``index`` (0 is the top voice) as ``#rrggbb``."""
    return PALETTE[index % len(PALETTE)]


def score_markers(piece: "Piece") -> list[tuple[Fraction, str]]:
    """Markers for a DAW: each cadence of the score's analysis (``info["harmony"]["cadences"]``:
    "authentic cadence (C major)") at its onset, and each phrase end
    (:func:`stretto.analysis.view.phrase_ends`) that no cadence marks, in time order."""
    from stretto.analysis.view import phrase_ends

    harmony = piece.info.get("harmony") if isinstance(piece.info, dict) else None
    out: dict[Fraction, str] = {}
    for c in (harmony or {}).get("cadences", []) or []:
        try:
            at = Fraction(str(c["onset"]))
        except (KeyError, ValueError, TypeError, ZeroDivisionError):
            continue
        key = f" ({c['key']})" if c.get("key") else ""
        out[at] = f"{c.get('type', 'cadence')} cadence{key}"
    cadence_times = sorted(out)
    for end in phrase_ends(piece):
        # a cadence chord arrives before its phrase ends: one marker per phrase
        covered = any(t <= end and end - t <= piece.bar_length for t in cadence_times)
        if not covered:  # named by the bar its last note sounds in
            bar, _ = piece.bar_beat(end - Fraction(1, MAX_DENOMINATOR))
            out[end] = "end" if end == piece.length else f"phrase end (bar {bar})"
    return sorted(out.items())


def key_name(piece: "Piece") -> str:
    """The score's key in words: the harmony's key ("D minor") or the mode ("D dorian")."""
    tonal = (piece.info.get("harmony") or {}).get("key") if isinstance(piece.info, dict) else None
    return str(tonal) if tonal else f"{piece.mode.final} {piece.mode.name}"


def _line(track: DawTrack, where: str) -> list[tuple[int, Fraction, Fraction]]:
    """One melodic line from a track: notes at one onset are a chord (BadInput); a note held
    past the next one's onset (legato, as a DAW's note drag leaves it) ends at that onset."""
    notes = sorted(track.notes, key=lambda n: (n.onset, n.key))
    out: list[tuple[int, Fraction, Fraction]] = []
    for n in notes:
        if out and out[-1][1] == n.onset:
            raise BadInput(f"{where}: track {track.name!r} has two notes at quarter note "
                           f"{n.onset} (a chord): stretto reads one melodic line per track")
        if out and out[-1][1] + out[-1][2] > n.onset:
            key, onset, _ = out[-1]
            out[-1] = (key, onset, n.onset - onset)
        out.append((n.key, n.onset, n.duration))
    return out


def song_to_piece(song: DawSong, *, mode: "Mode | None" = None, where: str = "the file") -> "Piece":
    """The note tracks of ``song`` as a :class:`~stretto.score.Piece`: one voice per track in
    file order, named as the track, pitches spelled in ``mode`` (guessed from stretto's key, or
    from the lowest track's last note, when None), notes split at the barlines into tied notes
    with ids ``v{voice}n{k}`` and origin ``import``, as the MIDI reader makes them."""
    from stretto.io.midi import spell_in_mode, split_at_bars
    from stretto.limits import MAX_BARS, MAX_NOTE_QUARTERS
    from stretto.score import Piece, Voice, parse_meter

    tracks = song.note_tracks
    if not tracks:
        raise BadInput(f"{where} has no track with notes")
    lines = [(t.name, _line(t, where)) for t in tracks]
    num, den = parse_meter(song.meter)
    bar = Fraction(4 * num, den)
    for name, notes in lines:  # before splitting at barlines: one huge note is one note
        for _, on, d in notes:
            if d > MAX_NOTE_QUARTERS or on + d > MAX_BARS * bar or on < 0:
                raise BadInput(f"{where}: track {name!r} has a note of {float(d):g} quarter "
                               f"notes at {float(on):g}; stretto reads notes of at most "
                               f"{MAX_NOTE_QUARTERS} quarters within {MAX_BARS} bars")
    if mode is None:
        mode = _mode_of(song, lines)
    voices = tuple(
        Voice(name=name, role="free",
              notes=split_at_bars(vi, [(spell_in_mode(k, mode), on, d) for k, on, d in notes],
                                  bar))
        for vi, (name, notes) in enumerate(lines))
    return Piece(voices=voices, mode=mode, meter=song.meter, tempo=song.tempo,
                 title=song.title or "Untitled")


def _mode_of(song: DawSong, lines) -> "Mode":
    """stretto's key when the file carries it; else, as for a MIDI file without a key
    signature, the mode of no accidentals ending on the lowest track's last note."""
    from stretto.io.midi import spell_in_mode
    from stretto.modes import Mode, guess_mode

    if song.key:
        try:
            return Mode.parse(song.key)
        except BadInput:
            pass
    signature = guess_mode(0, None)
    lowest = lines[-1][1]
    final = spell_in_mode(lowest[-1][0], signature) if lowest else None
    return guess_mode(0, final)


__all__ = ["DawNote", "DawSong", "DawTrack", "MAX_DENOMINATOR", "PALETTE", "PlayedNote",
           "StemAudio", "exact", "key_name", "played_notes", "played_tracks", "score_markers",
           "song_to_piece", "voice_color", "write_atomically"]
