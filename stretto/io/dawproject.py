"""DAWproject 1.0 files (bitwig/dawproject, MIT): a writer and a reader.

A ``.dawproject`` file is a zip of ``project.xml`` (Project.xsd), ``metadata.xml``
(MetaData.xsd) and the audio it embeds. Bitwig Studio 5.0.9+, Studio One 6.5+, Cubase 14,
Cubasis 3.7.1, VST Live 2.2 and n-Track 10.2.2 import it (the format's README).

**Writing** (:func:`dawproject_bytes`): one instrument track per voice, named as the voice and
coloured by it (:func:`stretto.io.daw.voice_color`), its notes in one clip, exactly the notes
score.mid plays (:func:`stretto.io.daw.played_tracks`: ties merged, grace notes on the beat,
each voice on its MIDI channel, velocity 80/127); the score's tempo and meter in the
transport; markers at the cadences and phrase ends (:func:`stretto.io.daw.score_markers`);
with stems, one audio track per stem whose clip starts at time 0 and is warped one-to-one at
the score's tempo (the shape Bitwig itself writes), so every sample sits where the render put
it; a master track all others feed. DAWproject 1.0 has no key signature: the key goes into each
track's ``comment`` ("key: D dorian") and the metadata comment, with the provenance summary.
Times are in beats (quarter notes). The same piece gives the same bytes (fixed zip dates).

**Reading** (:func:`read_dawproject`): the note tracks of a file as a DAW saves it back, as a
:class:`stretto.io.daw.DawSong` (tracks possibly renamed or reordered, the tempo possibly
changed): clips nested in lanes or clips (Bitwig's shape), clips played from ``playStart`` to
``playStop`` and placed at their ``time``, alias clips (``reference``), arrangements in beats
or seconds. :func:`read_dawproject_piece` gives a :class:`~stretto.score.Piece` of it.
"""

from __future__ import annotations

import io
import zipfile
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Sequence
from xml.etree import ElementTree as ET

from stretto.errors import BadInput
from stretto.io.daw import DawNote, DawSong, DawTrack, StemAudio, exact, key_name, \
    played_notes, played_tracks, score_markers, song_to_piece, voice_color

if TYPE_CHECKING:  # pragma: no cover
    from stretto.modes import Mode
    from stretto.score import Piece

PROJECT, METADATA = "project.xml", "metadata.xml"
FORMAT_VERSION = "1.0"
APPLICATION = "stretto"
AUDIO_DIR = "audio"
TPQ = 960  # ticks per quarter of the notes taken from score.mid's writer (exact for tuplets)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed: the same piece gives the same bytes
MAX_XML = 64 << 20  # a project.xml larger than this is not read (a zip bomb)
STEM_SUFFIX = " (stem)"


def _num(x: Fraction | float | int) -> str:
    """A time or value as the shortest decimal that reads back as the same double."""
    f = float(x)
    return str(int(f)) if f == int(f) and abs(f) < 1e15 else repr(f)


class _Ids:
    """xs:ID values id0, id1 ... in document order."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"id{self.n - 1}"


def _channel(parent: ET.Element, ids: _Ids, *, role: str, destination: str | None) -> str:
    attrs = {"audioChannels": "2", "role": role, "solo": "false"}
    if destination:
        attrs["destination"] = destination
    ch = ET.SubElement(parent, "Channel", {**attrs, "id": ids()})
    ET.SubElement(ch, "Mute", {"value": "false", "id": ids(), "name": "Mute"})
    ET.SubElement(ch, "Pan", {"max": "1", "min": "0", "unit": "normalized", "value": "0.5",
                              "id": ids(), "name": "Pan"})
    ET.SubElement(ch, "Volume", {"max": "2", "min": "0", "unit": "linear", "value": "1",
                                 "id": ids(), "name": "Volume"})
    return ch.get("id", "")


def _metadata(piece: "Piece", comment: str, rights: str = "") -> bytes:
    root = ET.Element("MetaData")
    ET.SubElement(root, "Title").text = piece.title
    if rights:  # the licence line (stretto.app.licence), before Comment as MetaData.xsd orders
        ET.SubElement(root, "Copyright").text = rights
    ET.SubElement(root, "Comment").text = comment
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def dawproject_bytes(piece: "Piece", *, provenance: str = "",
                     stems: Sequence[StemAudio] = (), version: str = "",
                     rights: str = "") -> bytes:
    """The ``.dawproject`` zip of ``piece`` (see the module text): ``provenance`` (one line)
    goes into the metadata comment, ``rights`` (the licence line) into its Copyright,
    ``stems`` become audio tracks with their WAVs embedded under ``audio/``, ``version`` is
    stretto's version for the Application element."""
    key = key_name(piece)
    bpm = Fraction(piece.tempo)
    ids = _Ids()  # ids are numbered in document order: the steps below keep that order
    root = ET.Element("Project", {"version": FORMAT_VERSION})
    ET.SubElement(root, "Application", {"name": APPLICATION, "version": version or "0"})
    transport = ET.SubElement(root, "Transport")
    ET.SubElement(transport, "Tempo", {"max": "1000", "min": "10", "unit": "bpm",
                                       "value": _num(bpm), "id": ids(), "name": "Tempo"})
    num, den = piece.meter.split("/")
    ET.SubElement(transport, "TimeSignature", {"denominator": den, "numerator": num,
                                               "id": ids()})
    voice_tracks, stem_tracks = _structure(root, piece, stems, ids, key)
    arrangement = ET.SubElement(root, "Arrangement", {"id": ids()})
    lanes = ET.SubElement(arrangement, "Lanes", {"timeUnit": "beats", "id": ids()})
    _note_lanes(lanes, piece, voice_tracks, ids, key)
    files = _stem_lanes(lanes, piece, stems, stem_tracks, ids)
    markers = score_markers(piece)
    if markers:
        marks = ET.SubElement(arrangement, "Markers", {"id": ids()})
        for at, name in markers:
            ET.SubElement(marks, "Marker", {"time": _num(at), "name": name})
    ET.SubElement(root, "Scenes")
    ET.indent(root)
    project_xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    comment = f"key: {key}; meter {piece.meter}; tempo {_num(bpm)} quarter notes per minute"
    if provenance:
        comment += f". {' '.join(provenance.split())}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in ((METADATA, _metadata(piece, comment, rights)), (PROJECT, project_xml)):
            z.writestr(zipfile.ZipInfo(name, ZIP_DATE), data, zipfile.ZIP_DEFLATED)
        for inside, path in files:  # audio does not deflate: stored
            z.writestr(zipfile.ZipInfo(inside, ZIP_DATE), path.read_bytes(), zipfile.ZIP_STORED)
    return buffer.getvalue()


def _structure(root: ET.Element, piece: "Piece", stems: Sequence[StemAudio], ids,
               key: str) -> tuple[list[str], list[str]]:
    """The Structure: a note track per voice and an audio track per stem, all into the
    master (written last, as Bitwig does); their ids."""
    structure = ET.SubElement(root, "Structure")
    master = ET.Element("Track", {"contentType": "audio notes", "loaded": "true", "id": ids(),
                                  "name": "Master"})
    master_channel = _channel(master, ids, role="master", destination=None)
    voice_tracks: list[str] = []
    for i, voice in enumerate(piece.voices):
        track = ET.SubElement(structure, "Track", {
            "contentType": "notes", "loaded": "true", "id": ids(), "name": voice.name,
            "color": voice_color(i), "comment": f"key: {key}; meter {piece.meter}; "
                                                f"voice {i + 1} of {len(piece.voices)}"})
        _channel(track, ids, role="regular", destination=master_channel)
        voice_tracks.append(track.get("id", ""))
    stem_tracks: list[str] = []
    for stem in stems:
        name = piece.voices[stem.voice].name
        track = ET.SubElement(structure, "Track", {
            "contentType": "audio", "loaded": "true", "id": ids(), "name": name + STEM_SUFFIX,
            "color": voice_color(stem.voice), "comment": f"stretto stem of {name}"})
        _channel(track, ids, role="regular", destination=master_channel)
        stem_tracks.append(track.get("id", ""))
    structure.append(master)
    return voice_tracks, stem_tracks


def _note_lanes(lanes: ET.Element, piece: "Piece", voice_tracks: list[str], ids,
                key: str) -> None:
    """Each voice's notes as score.mid plays them, one clip from time 0."""
    length = piece.length
    for i, (voice, events) in enumerate(zip(piece.voices, played_tracks(piece, tpq=TPQ))):
        lane = ET.SubElement(lanes, "Lanes", {"track": voice_tracks[i], "id": ids()})
        clips = ET.SubElement(lane, "Clips", {"id": ids()})
        clip = ET.SubElement(clips, "Clip", {"time": "0", "duration": _num(length),
                                             "playStart": "0", "name": voice.name,
                                             "color": voice_color(i), "comment": f"key: {key}"})
        notes = ET.SubElement(clip, "Notes", {"id": ids()})
        for n in played_notes(events):
            vel = _num(round(n.velocity / 127, 6))
            ET.SubElement(notes, "Note", {"time": _num(Fraction(n.start, TPQ)),
                                          "duration": _num(Fraction(n.end - n.start, TPQ)),
                                          "channel": str(n.channel), "key": str(n.key),
                                          "vel": vel, "rel": vel})


def _stem_lanes(lanes: ET.Element, piece: "Piece", stems: Sequence[StemAudio],
                stem_tracks: list[str], ids) -> list[tuple[str, Path]]:
    """Each stem as an audio clip warped one to one from time 0; the files to embed."""
    bpm = Fraction(piece.tempo)
    files: list[tuple[str, Path]] = []
    for stem, track_id in zip(stems, stem_tracks):
        inside = f"{AUDIO_DIR}/{stem.path.name}"
        files.append((inside, stem.path))
        beats = Fraction(stem.frames, stem.sample_rate) * bpm / 60
        seconds = Fraction(stem.frames, stem.sample_rate)
        lane = ET.SubElement(lanes, "Lanes", {"track": track_id, "id": ids()})
        clips = ET.SubElement(lane, "Clips", {"id": ids()})
        clip = ET.SubElement(clips, "Clip", {
            "time": "0", "duration": _num(beats), "contentTimeUnit": "beats", "playStart": "0",
            "fadeTimeUnit": "beats", "fadeInTime": "0", "fadeOutTime": "0",
            "name": piece.voices[stem.voice].name + STEM_SUFFIX})
        warps = ET.SubElement(clip, "Warps", {"contentTimeUnit": "seconds", "timeUnit": "beats",
                                              "id": ids()})
        audio = ET.SubElement(warps, "Audio", {  # as the format's reference library makes it
            "channels": str(stem.channels), "duration": _num(seconds),
            "sampleRate": str(stem.sample_rate), "timeUnit": "seconds", "id": ids()})
        ET.SubElement(audio, "File", {"path": inside, "external": "false"})
        ET.SubElement(warps, "Warp", {"time": "0", "contentTime": "0"})
        ET.SubElement(warps, "Warp", {"time": _num(beats), "contentTime": _num(seconds)})
    return files


# ---------------------------------------------------------------------------- reading


def _open(path: Path) -> tuple[ET.Element, ET.Element | None, list[str]]:
    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if PROJECT not in names:
                raise BadInput(f"{path.name} is not a DAWproject file (no {PROJECT} in it)")
            if z.getinfo(PROJECT).file_size > MAX_XML:
                raise BadInput(f"{path.name}: {PROJECT} is larger than {MAX_XML >> 20} MB")
            project = ET.fromstring(z.read(PROJECT))
            meta = ET.fromstring(z.read(METADATA)) if METADATA in names else None
    except zipfile.BadZipFile:
        raise BadInput(f"cannot read {path.name}: not a DAWproject file (not a zip)") from None
    except ET.ParseError as exc:
        raise BadInput(f"cannot read {path.name}: its XML is broken ({exc})") from None
    if project.tag != "Project":
        raise BadInput(f"{path.name}: {PROJECT} holds <{project.tag}>, not a <Project>")
    return project, meta, names


def _float(el: ET.Element, name: str, default: float | None = None) -> float:
    text = el.get(name)
    if text is None:
        if default is None:
            raise BadInput(f"<{el.tag}> lacks its {name}")
        return default
    try:
        return float(text)
    except ValueError:
        raise BadInput(f"<{el.tag} {name}={text!r}> is not a number") from None


class _Reader:
    """Walks an arrangement's timelines, carrying the track, the time offset and unit."""

    def __init__(self, root: ET.Element, tempo: Fraction) -> None:
        self.tempo = tempo
        self.by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
        self.notes: dict[str, list[DawNote]] = {}
        self.audio: dict[str, list[str]] = {}

    def beats(self, value: float, unit: str) -> Fraction:
        # constant tempo: seconds and beats convert by the first tempo
        return exact(value) if unit == "beats" else exact(Fraction(value) * self.tempo / 60)

    def walk(self, el: ET.Element, track: str | None, offset: Fraction, unit: str,
             window: tuple[Fraction, Fraction] | None, depth: int = 0) -> None:
        if depth > 32:
            raise BadInput("the arrangement nests timelines more than 32 deep")
        track = el.get("track") or track
        unit = el.get("timeUnit") or unit
        if el.tag == "Notes":
            for n in el.findall("Note"):
                on = offset + self.beats(_float(n, "time"), unit)
                dur = self.beats(_float(n, "duration"), unit)
                if window is not None:  # clipped by the clip's play range
                    start, stop = max(on, window[0]), min(on + dur, window[1])
                    if stop <= start:
                        continue
                    on, dur = start, stop - start
                if dur > 0 and track is not None:
                    vel = n.get("vel")
                    self.notes.setdefault(track, []).append(DawNote(
                        key=int(_float(n, "key")), onset=on, duration=dur,
                        channel=int(_float(n, "channel", 0)),
                        velocity=float(vel) if vel is not None else None))
            return
        if el.tag in ("Audio", "Video"):
            f = el.find("File")
            if f is not None and track is not None:
                self.audio.setdefault(track, []).append(f.get("path", ""))
            return
        if el.tag == "Clip":
            self.clip(el, track, offset, unit, window, depth)
            return
        for child in el:
            self.walk(child, track, offset, unit, window, depth + 1)

    def clip(self, el: ET.Element, track: str | None, offset: Fraction, unit: str,
             window: tuple[Fraction, Fraction] | None, depth: int) -> None:
        time = offset + self.beats(_float(el, "time"), unit)
        content_unit = el.get("contentTimeUnit") or unit
        play_start = self.beats(_float(el, "playStart", 0.0), content_unit)
        duration = el.get("duration")
        stop = time + self.beats(float(duration), unit) if duration is not None else None
        if el.get("playStop") is not None:
            by_stop = time + self.beats(_float(el, "playStop"), content_unit) - play_start
            stop = by_stop if stop is None else min(stop, by_stop)
        inner = (time, stop if stop is not None else Fraction(10 ** 9))
        if window is not None:
            inner = (max(inner[0], window[0]), min(inner[1], window[1]))
        content = list(el)
        ref = el.get("reference")
        if not content and ref and ref in self.by_id:  # an alias clip plays another's content
            content = [self.by_id[ref]]
        for child in content:
            self.walk(child, track, time - play_start, content_unit, inner, depth + 1)


def read_dawproject(path: str | Path) -> DawSong:
    """Read a ``.dawproject`` file's note and audio tracks, tempo, meter and markers (see the
    module text). Notes are in quarter notes from the arrangement's start, rounded to 1/64
    (or a tuplet up to 64); tracks come in the file's order. BadInput for what is not a
    DAWproject file."""
    path = Path(path)
    root, meta, _ = _open(path)
    app = root.find("Application")
    tempo_el = root.find("Transport/Tempo")
    tempo = Fraction(120)
    if tempo_el is not None and tempo_el.get("value") is not None:
        tempo = Fraction(_float(tempo_el, "value")).limit_denominator(1000)
    if tempo <= 0:
        raise BadInput(f"{path.name}: tempo {float(tempo):g} is not positive")
    meter = "4/4"
    ts = root.find("Transport/TimeSignature")
    if ts is not None:
        meter = f"{int(_float(ts, 'numerator'))}/{int(_float(ts, 'denominator'))}"
    reader = _Reader(root, tempo)
    arrangement = root.find("Arrangement")
    markers: list[tuple[Fraction, str]] = []
    changes: list[tuple[Fraction, Fraction]] = []
    if arrangement is not None:
        unit = "beats"
        lanes = arrangement.find("Lanes")
        if lanes is not None:
            unit = lanes.get("timeUnit") or unit
            reader.walk(lanes, None, Fraction(0), unit, None)
        marks = arrangement.find("Markers")
        if marks is not None:
            m_unit = marks.get("timeUnit") or unit
            markers = [(reader.beats(_float(m, "time"), m_unit), m.get("name", ""))
                       for m in marks.findall("Marker")]
        auto = arrangement.find("TempoAutomation")
        if auto is not None:
            changes = [(reader.beats(_float(p, "time"), auto.get("timeUnit") or unit),
                        Fraction(_float(p, "value")).limit_denominator(1000))
                       for p in auto.findall("RealPoint")]
    tracks = []
    for el in root.iter("Track"):
        tid = el.get("id", "")
        notes = tuple(sorted(reader.notes.get(tid, []), key=lambda n: (n.onset, n.key)))
        audio = tuple(reader.audio.get(tid, []))
        content = (el.get("contentType") or "").split()
        if not notes and not audio and "notes" not in content and "audio" not in content:
            continue  # a folder or bus
        if el.find("Channel") is not None and el.find("Channel").get("role") == "master" \
                and not notes and not audio:
            continue
        kind = "notes" if notes or ("notes" in content and not audio) else "audio"
        tracks.append(DawTrack(name=el.get("name", "") or f"Track {len(tracks) + 1}",
                               notes=notes, kind=kind, audio=audio, color=el.get("color"),
                               id=tid))
    title, comment = "", ""
    if meta is not None:
        title = (meta.findtext("Title") or "").strip()
        comment = (meta.findtext("Comment") or "").strip()
    # stretto's exports say the key first in the comment (DAWproject has no key signature)
    key = comment[5:].split(";")[0].strip() if comment.startswith("key: ") else None
    return DawSong(tracks=tuple(tracks), tempo=tempo, meter=meter, title=title or path.stem,
                   markers=tuple(markers), application=app.get("name", "") if app is not None
                   else "", key=key, comment=comment, tempo_changes=tuple(changes))


def read_dawproject_piece(path: str | Path, *, mode: "Mode | None" = None) -> "Piece":
    """A ``.dawproject`` file's note tracks as a :class:`~stretto.score.Piece` (one voice per
    track, see :func:`stretto.io.daw.song_to_piece`); the reader signature of
    :func:`stretto.io.reading.read_score`."""
    return song_to_piece(read_dawproject(path), mode=mode, where=Path(path).name)


def made_by_stretto(path: str | Path) -> bool:
    """Whether ``path`` is a DAWproject file that stretto wrote and no DAW has saved since
    (its Application is stretto): only such a file may an export replace."""
    try:
        root, _, _ = _open(Path(path))
    except BadInput:
        return False
    app = root.find("Application")
    return app is not None and app.get("name") == APPLICATION


__all__ = ["FORMAT_VERSION", "dawproject_bytes", "made_by_stretto", "read_dawproject",
           "read_dawproject_piece"]
