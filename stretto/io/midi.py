"""Standard MIDI files through mido: the only MIDI writer (and reader) in stretto.

``write_midi`` writes a type-1 file: a conductor track (title, tempo, meter, key signature
with its minor flag for a minor key or aeolian mode, optional provenance text) and one track per
voice, top to bottom, each on its own channel (skipping the drum channel 9). MIDI has no grace
notes: they are played on the beat, taking a thirty-second each (at most half the main note)
from the note they lead into, so they are heard, not lost. ``read_midi`` reads one voice per
track (per channel for type-0 files) and spells the pitches in the piece's mode.

mido is imported lazily inside the functions: ``import stretto.io.midi`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from stretto.errors import BadInput
from stretto.limits import MAX_BARS, MAX_NOTE_QUARTERS
from stretto.modes import Mode, guess_mode
from stretto.pitch import Pitch, spell_midi
from stretto.score import Note, Piece, Voice, parse_meter

DEFAULT_PROGRAM = 52  # General MIDI "Choir Aahs" (0-based program number)
DRUM_CHANNEL = 9
VELOCITY = 80
# Major keys by number of sharps (positive) or flats (negative), as mido names them.
MAJOR_KEYS = {-7: "Cb", -6: "Gb", -5: "Db", -4: "Ab", -3: "Eb", -2: "Bb", -1: "F", 0: "C",
              1: "G", 2: "D", 3: "A", 4: "E", 5: "B", 6: "F#", 7: "C#"}
# Minor keys by their signature (the relative minor of MAJOR_KEYS), as mido names them.
MINOR_KEYS = {-7: "Abm", -6: "Ebm", -5: "Bbm", -4: "Fm", -3: "Cm", -2: "Gm", -1: "Dm", 0: "Am",
              1: "Em", 2: "Bm", 3: "F#m", 4: "C#m", 5: "G#m", 6: "D#m", 7: "A#m"}
GRACE_LENGTH = Fraction(1, 8)  # a thirty-second note, in quarter notes
# Onsets read from a file are rounded to the nearest fraction with at most this denominator.
MAX_DENOMINATOR = 64


def voice_channels(count: int) -> list[int]:
    """MIDI channels for ``count`` voices: 0, 1, ... skipping 9, cycling after 15 voices."""
    usable = [c for c in range(16) if c != DRUM_CHANNEL]
    return [usable[i % len(usable)] for i in range(count)]


def _ticks(time: Fraction, tpq: int, what: str) -> int:
    ticks = Fraction(time) * tpq
    if ticks.denominator != 1:
        raise ValueError(f"{what} at {time} quarter notes is not a whole number of ticks "
                         f"at {tpq} ticks per quarter note")
    return int(ticks)


def _conductor(piece: Piece, text: str | None, rights: str | None = None):
    import mido

    num, den = parse_meter(piece.meter)
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=piece.title, time=0))
    if text:
        track.append(mido.MetaMessage("text", text=" ".join(text.split()), time=0))
    if rights:  # the licence line (stretto.licence): who may use this, and the credits
        line = " ".join(rights.split()).encode("latin-1", "replace").decode("latin-1")
        track.append(mido.MetaMessage("copyright", text=line, time=0))
    tempo = max(1, min(0xFFFFFF, round(Fraction(60_000_000) / Fraction(piece.tempo))))
    track.append(mido.MetaMessage("set_tempo", tempo=tempo, time=0))
    track.append(mido.MetaMessage("time_signature", numerator=num, denominator=den, time=0))
    tonal = str((piece.info.get("harmony") or {}).get("key") or "")
    minor = tonal.endswith(" minor") if tonal.endswith((" major", " minor")) \
        else piece.mode.name == "aeolian"
    key = (MINOR_KEYS if minor else MAJOR_KEYS).get(piece.mode.fifths)
    if key is not None:  # signatures beyond 7 sharps/flats cannot be written in MIDI
        track.append(mido.MetaMessage("key_signature", key=key, time=0))
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def _voice_track(voice: Voice, channel: int, program: int, tpq: int):
    import mido

    events: list[tuple[int, int, Any]] = []  # (tick, 0 = off / 1 = on, message)
    previous_end = None
    graces: dict[Fraction, list[Note]] = {}
    for g in voice.graces:
        graces.setdefault(g.onset, []).append(g)
    for n in voice.sounding():
        start, end = _ticks(n.onset, tpq, f"note {n.id}"), _ticks(n.end, tpq, f"end of note {n.id}")
        if previous_end is not None and start < previous_end:
            raise ValueError(f"voice {voice.name!r}: note {n.id} overlaps the previous note")
        previous_end = end
        played = [(g.midi, g.id) for g in graces.pop(n.onset, [])]
        if played:  # on the beat, each a thirty-second (sharing at most half the note)
            each = min(GRACE_LENGTH, n.duration / 2 / len(played))
            for k, (midi, gid) in enumerate(played):
                a = _ticks(n.onset + k * each, tpq, f"grace note {gid}")
                b = _ticks(n.onset + (k + 1) * each, tpq, f"grace note {gid}")
                events.append((a, 1, mido.Message("note_on", channel=channel, note=midi,
                                                  velocity=VELOCITY)))
                events.append((b, 0, mido.Message("note_off", channel=channel, note=midi,
                                                  velocity=0)))
            start = _ticks(n.onset + len(played) * each, tpq, f"note {n.id}")
        events.append((start, 1, mido.Message("note_on", channel=channel, note=n.midi,
                                              velocity=VELOCITY)))
        events.append((end, 0, mido.Message("note_off", channel=channel, note=n.midi,
                                            velocity=0)))
    if graces:
        g = next(iter(graces.values()))[0]
        raise ValueError(f"voice {voice.name!r}: grace note {g.id} at {g.onset} leads into no "
                         "note of the voice")
    events.sort(key=lambda e: (e[0], e[1]))
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=voice.name, time=0))
    track.append(mido.Message("program_change", channel=channel, program=program, time=0))
    now = 0
    for tick, _, msg in events:
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def write_midi(piece: Piece, path: str | Path, *, ticks_per_quarter: int = 960,
               programs: Sequence[int] | None = None, text: str | None = None,
               rights: str | None = None) -> None:
    """Write ``piece`` as a type-1 MIDI file (ties merged, times exact in ticks).

    ``programs`` gives one General MIDI program (0-127) per voice, top to bottom; the default
    is Choir Aahs for every voice. ``text`` (one line) goes into the conductor track, and
    ``rights`` (the licence line) into its copyright event. Raises
    :class:`ValueError` if a note does not fall on a whole tick.
    """
    import mido

    voices = piece.voices
    progs = list(programs) if programs is not None else [DEFAULT_PROGRAM] * len(voices)
    if len(progs) != len(voices) or not all(0 <= p <= 127 for p in progs):
        raise ValueError(f"programs must give one number 0-127 for each of the {len(voices)} "
                         f"voices, not {progs}")
    mid = mido.MidiFile(type=1, ticks_per_beat=ticks_per_quarter)
    mid.tracks.append(_conductor(piece, text, rights))
    for voice, channel, program in zip(voices, voice_channels(len(voices)), progs):
        mid.tracks.append(_voice_track(voice, channel, program, ticks_per_quarter))
    mid.save(str(path))


# --------------------------------------------------------------------------- reading


def spell_in_mode(midi: int, mode: Mode) -> Pitch:
    """Spell a MIDI number as the mode allows: diatonic, else the raised leading tone or the
    flat ficta, else a plain spelling with sharps (flats in flat signatures)."""
    plain = spell_midi(midi, prefer_sharps=mode.fifths >= 0)
    allowed = mode.pitches_between(plain, plain)
    for pick in (mode.is_diatonic, mode.is_raised_leading_tone, mode.is_flat_ficta):
        for p in allowed:
            if pick(p):
                return p
    return plain


def _time(ticks: int, tpq: int) -> Fraction:
    return Fraction(ticks, tpq).limit_denominator(MAX_DENOMINATOR)


def _read_file(path: Path):
    import mido

    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    try:
        return mido.MidiFile(str(path))
    except Exception as exc:  # noqa: BLE001 - mido raises OSError, EOFError, KeyError, ...
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise BadInput(f"cannot read {path.name}: not a readable MIDI file ({reason})") from None


def _streams(mid) -> tuple[dict[str, Any], list[tuple[str | None, list[tuple[int, Any]]]]]:
    """Conductor settings and the (name, [(absolute tick, message)]) streams holding notes."""
    meta: dict[str, Any] = {}
    streams: list[tuple[str | None, list[tuple[int, Any]]]] = []
    for index, track in enumerate(mid.tracks):
        now, name, msgs = 0, None, []
        for msg in track:
            now += msg.time
            if msg.is_meta:
                if msg.type == "track_name" and name is None:
                    name = msg.name
                elif msg.type in ("set_tempo", "time_signature", "key_signature"):
                    meta.setdefault(msg.type, msg)
            elif msg.type in ("note_on", "note_off"):
                msgs.append((now, msg))
        meta["end"] = max(meta.get("end", 0), now)
        if index == 0 and name and (mid.type == 0 or not msgs):
            meta["title"] = name  # a conductor track's (or the only track's) name is the title
        if not msgs:
            continue
        if mid.type == 0:
            for ch in sorted({m.channel for _, m in msgs}):
                streams.append((None, [(t, m) for t, m in msgs if m.channel == ch]))
        else:
            streams.append((name, msgs))
    return meta, streams


def _notes(msgs: list[tuple[int, Any]], end_tick: int, where: str,
           tpq: int) -> list[tuple[int, Fraction, Fraction]]:
    """(midi, onset, duration) of each note; BadInput where notes overlap (chords)."""
    out: list[tuple[int, Fraction, Fraction]] = []
    active: tuple[int, int] | None = None  # (midi, start tick)

    def close(tick: int) -> None:
        assert active is not None
        onset, end = _time(active[1], tpq), _time(tick, tpq)
        if end > onset:  # zero-length notes are dropped
            out.append((active[0], onset, end - onset))

    # note-offs first at equal ticks, so repeated notes do not look like chords
    ordered = sorted(msgs, key=lambda tm: (tm[0], tm[1].type == "note_on" and tm[1].velocity > 0))
    for tick, msg in ordered:
        if msg.type == "note_on" and msg.velocity > 0:
            if active is not None:
                if active == (msg.note, tick):
                    continue  # the same note-on twice
                raise BadInput(f"{where} has overlapping notes (a chord) at quarter note "
                               f"{_time(tick, tpq)}: stretto reads one melodic line per track")
            active = (msg.note, tick)
        elif active is not None and msg.note == active[0]:
            close(tick)
            active = None
    if active is not None:
        close(end_tick)
    return out


def split_at_bars(vi: int, notes: list[tuple[Pitch, Fraction, Fraction]],
                   bar: Fraction) -> tuple[Note, ...]:
    """Notated notes: sounding notes split at barlines into tied notes, ids ``v{vi}n{k}``."""
    out: list[Note] = []
    for pitch, onset, duration in notes:
        parts: list[tuple[Fraction, Fraction]] = []
        t, end = onset, onset + duration
        while t < end:
            nxt = min(end, (t // bar + 1) * bar)
            parts.append((t, nxt - t))
            t = nxt
        for i, (t, d) in enumerate(parts):
            tie = None
            if len(parts) > 1:
                tie = "start" if i == 0 else ("stop" if i == len(parts) - 1 else "continue")
            out.append(Note(id=f"v{vi}n{len(out)}", pitch=pitch, onset=t, duration=d, tie=tie,
                            origin="import"))
    return tuple(out)


def _fifths_of_key(key: str) -> int:
    if key.endswith("m"):
        return Mode("aeolian", key[:-1]).fifths
    return Mode("ionian", key).fifths


def read_midi(path: str | Path, *, mode: Mode | None = None) -> Piece:
    """Read a MIDI file: one voice per track with notes (per channel for type 0), top to bottom
    in file order. Meter, tempo and key signature come from the first such events; the mode is
    guessed from the signature and the lowest voice's last note unless ``mode`` is given."""

    path = Path(path)
    mid = _read_file(path)
    if mid.type == 2:
        raise BadInput(f"{path.name} is a type-2 MIDI file (independent patterns): "
                       "export it as type 0 or 1")
    tpq = mid.ticks_per_beat
    if tpq <= 0:
        raise BadInput(f"cannot read {path.name}: SMPTE time division is not supported")
    meta, streams = _streams(mid)
    if not streams:
        raise BadInput(f"{path.name} has no notes")
    meter = "4/4"
    if "time_signature" in meta:
        ts = meta["time_signature"]
        meter = f"{ts.numerator}/{ts.denominator}"
    tempo = Fraction(120)
    if "set_tempo" in meta:
        tempo = (Fraction(60_000_000) / meta["set_tempo"].tempo).limit_denominator(1000)
    fifths = _fifths_of_key(meta["key_signature"].key) if "key_signature" in meta else 0
    raw: list[tuple[str, list[tuple[int, Fraction, Fraction]]]] = []
    for k, (name, msgs) in enumerate(streams):
        label = name or f"Voice {k + 1}"
        raw.append((label, _notes(msgs, meta.get("end", 0), f"{path.name}: {label!r}", tpq)))
    if mode is None:
        signature = guess_mode(fifths, None)  # the major key with this signature
        lowest = raw[-1][1]
        final = spell_in_mode(lowest[-1][0], signature) if lowest else None
        mode = guess_mode(fifths, final)
    num, den = parse_meter(meter)
    bar = Fraction(4 * num, den)
    for label, notes in raw:  # before splitting at barlines: one huge note is one note
        for m, on, d in notes:
            if d > MAX_NOTE_QUARTERS or on + d > MAX_BARS * bar:
                raise BadInput(f"{path.name}: {label!r} has a note of {float(d):g} quarter notes "
                               f"ending in bar {int((on + d) // bar) + 1}; stretto reads notes "
                               f"of at most {MAX_NOTE_QUARTERS} quarters within {MAX_BARS} bars")
    voices = tuple(
        Voice(name=label, role="free",
              notes=split_at_bars(vi, [(spell_in_mode(m, mode), on, d) for m, on, d in notes],
                                   bar))
        for vi, (label, notes) in enumerate(raw))
    return Piece(voices=voices, mode=mode, meter=meter, tempo=tempo,
                 title=str(meta.get("title") or path.stem))


__all__ = ["read_midi", "spell_in_mode", "split_at_bars", "voice_channels", "write_midi"]
