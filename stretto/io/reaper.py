"""REAPER project files (``.rpp``): a writer and a reader.

An .rpp file is plain text: blocks open with ``<TAG args`` and close with ``>``, one value line
per setting, strings quoted with ``"``, ``'`` or a backquote. REAPER keeps MIDI inside the
project: a ``<SOURCE MIDI`` block with ``HASDATA 1 <ticks per quarter> QN`` and one line per
event, ``E <ticks since the previous event> <status> <data1> <data2>`` in hex (``e`` for a
selected event, ``Em``/``em`` for a muted one).

**Writing** (:func:`reaper_text`): ``TEMPO <quarter notes per minute> <num> <den>`` (REAPER's
BPM counts quarter notes; its API doubles it for /8 meters only on request), one track per
voice, named and coloured by voice (``PEAKCOL``, REAPER's 0x01bbggrr), holding one MIDI item
from 0 to the end of the score with exactly the events score.mid has for that voice
(:func:`stretto.io.daw.played_tracks`, 960 ticks per quarter note) and REAPER's closing
all-notes-off (CC 123) at the item's end; with stems, one track per stem with a WAVE item at 0
(the file named relative to the .rpp where it can be); ``MARKER`` lines at the cadences and
phrase ends; the key, meter and provenance summary in the project notes (``<NOTES``): an .rpp
has no key signature of its own.

**Reading** (:func:`read_reaper`): the tracks, tempo, meter and markers as a
:class:`stretto.io.daw.DawSong` (items placed by ``POSITION`` and trimmed by ``LENGTH`` and
``SOFFS``, any ticks per quarter, muted events left out), so the import reads a REAPER
project that the composer edited. :func:`read_reaper_piece` gives a
:class:`~stretto.score.Piece`. Pure Python: the ``rpp`` package is used only by the tests, as an
independent parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from stretto.errors import BadInput
from stretto.io.daw import DawNote, DawSong, DawTrack, StemAudio, exact, key_name, \
    played_tracks, score_markers, song_to_piece, voice_color

if TYPE_CHECKING:  # pragma: no cover
    from stretto.modes import Mode
    from stretto.score import Piece

PPQ = 960
#: The version field of the first line says who wrote the file; REAPER writes its own there.
WRITER = "stretto"
STEM_SUFFIX = " (stem)"
MAX_TEXT = 64 << 20  # an .rpp larger than this is not read


def quote(text: str) -> str:
    """A string as an .rpp value: in double quotes, else single quotes or backquotes when it
    holds double quotes (REAPER's own rule); line breaks become spaces."""
    text = " ".join(str(text).split())
    for q in ('"', "'", "`"):
        if q not in text:
            return f"{q}{text}{q}"
    return '"' + text.replace('"', "'") + '"'


def _num(x: Fraction | float) -> str:
    return f"{float(x):.10f}".rstrip("0").rstrip(".") or "0"


def reaper_color(hex_color: str) -> int:
    """``#rrggbb`` as REAPER's custom colour: 0x01000000 | b << 16 | g << 8 | r."""
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return 0x1000000 | b << 16 | g << 8 | r


def _guid(kind: int, index: int) -> str:
    """A fixed GUID per track/item, so the same piece gives the same file."""
    return f"{{5354524F-{kind:04X}-4000-8000-{index:012X}}}"


def reaper_text(piece: "Piece", *, provenance: str = "",
                stems: Sequence[tuple[StemAudio, str]] = (), version: str = "") -> str:
    """The .rpp text of ``piece`` (see the module text). ``stems`` pairs each stem with the
    file name to write for it (relative to the .rpp, or absolute); ``provenance`` (one line)
    goes into the project notes."""
    qpm = Fraction(piece.tempo)
    spq = Fraction(60) / qpm  # seconds per quarter note
    num, den = piece.meter.split("/")
    length = piece.length * spq
    key = key_name(piece)
    lines = [f'<REAPER_PROJECT 0.1 {quote(f"6.0/{WRITER}-{version or 0}")} 0',
             "  <NOTES 0 2",
             f"    |key: {key}; meter {piece.meter}; tempo {_num(qpm)} quarter notes per minute",
             f"    |{' '.join(provenance.split())}" if provenance else "    |made by stretto",
             "  >",
             f"  TEMPO {_num(qpm)} {num} {den}",
             "  SAMPLERATE 48000 0 0"]
    for i, (at, name) in enumerate(score_markers(piece), start=1):
        lines.append(f"  MARKER {i} {_num(at * spq)} {quote(name)} 0")
    for i, (voice, events) in enumerate(zip(piece.voices, played_tracks(piece, tpq=PPQ))):
        lines += [f"  <TRACK {_guid(1, i)}",
                  f"    NAME {quote(voice.name)}",
                  f"    PEAKCOL {reaper_color(voice_color(i))}",
                  "    <ITEM",
                  "      POSITION 0",
                  f"      LENGTH {_num(length)}",
                  f"      NAME {quote(voice.name)}",
                  f"      IGUID {_guid(2, i)}",
                  "      <SOURCE MIDI",
                  f"        HASDATA 1 {PPQ} QN"]
        now = 0
        for tick, msg in events:
            if msg[0] & 0xF0 not in (0x80, 0x90):
                continue  # the program change: REAPER's track plays what the composer puts
            lines.append(f"        E {tick - now} {' '.join(f'{b:02x}' for b in msg)}")
            now = tick
        end = int(piece.length * PPQ)
        lines += [f"        E {max(0, end - now)} b0 7b 00",  # all notes off at the item's end
                  "      >", "    >", "  >"]
    for j, (stem, name) in enumerate(stems):
        voice = piece.voices[stem.voice]
        lines += [f"  <TRACK {_guid(3, j)}",
                  f"    NAME {quote(voice.name + STEM_SUFFIX)}",
                  f"    PEAKCOL {reaper_color(voice_color(stem.voice))}",
                  "    <ITEM",
                  "      POSITION 0",
                  f"      LENGTH {_num(Fraction(stem.frames, stem.sample_rate))}",
                  f"      NAME {quote(Path(name).name)}",
                  f"      IGUID {_guid(4, j)}",
                  "      <SOURCE WAVE",
                  f"        FILE {quote(name)}",
                  "      >", "    >", "  >"]
    lines.append(">")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- reading


@dataclass
class RppBlock:
    """An .rpp block: its tag and arguments, its value lines (token lists) and sub-blocks."""

    tag: str
    args: list[str]
    values: list[list[str]] = field(default_factory=list)
    blocks: list["RppBlock"] = field(default_factory=list)
    order: list["list[str] | RppBlock"] = field(default_factory=list)  # both, as in the file

    def value(self, name: str) -> list[str] | None:
        return next((v[1:] for v in self.values if v and v[0] == name), None)

    def children(self, tag: str) -> list["RppBlock"]:
        return [b for b in self.blocks if b.tag == tag]


def tokens(line: str) -> list[str]:
    """The tokens of one .rpp line (quoted strings unquoted)."""
    out, i, n = [], 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
            continue
        if line[i] in "\"'`":
            j = line.find(line[i], i + 1)
            if j < 0:
                raise BadInput(f"unclosed quote in the .rpp line {line.strip()[:60]!r}")
            out.append(line[i + 1:j])
            i = j + 1
        else:
            j = i
            while j < n and not line[j].isspace():
                j += 1
            out.append(line[i:j])
            i = j
    return out


def parse_rpp(text: str) -> RppBlock:
    """The root block of an .rpp text. BadInput for text that is not one."""
    stack: list[RppBlock] = []
    root: RppBlock | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("<"):
            toks = tokens(line[1:])
            block = RppBlock(toks[0] if toks else "", toks[1:])
            if stack:
                stack[-1].blocks.append(block)
                stack[-1].order.append(block)
            elif root is None:
                root = block
            else:
                raise BadInput(f"line {number}: a second top-level block in the .rpp file")
            stack.append(block)
        elif line == ">":
            if not stack:
                raise BadInput(f"line {number}: '>' closes no block")
            stack.pop()
        elif not stack:
            if root is None:
                break  # the check below says it: not a REAPER project
            raise BadInput(f"line {number}: text after the <REAPER_PROJECT block")
        else:
            value = [line] if line.startswith("|") else tokens(line)
            stack[-1].values.append(value)
            stack[-1].order.append(value)
    if root is None or root.tag != "REAPER_PROJECT":
        raise BadInput("not a REAPER project (no <REAPER_PROJECT block)")
    if stack:
        raise BadInput(f"the .rpp file ends inside <{stack[-1].tag}>")
    return root


def _number(values: list[str] | None, what: str, default: float | None = None) -> float:
    if not values:
        if default is None:
            raise BadInput(f"the .rpp file lacks {what}")
        return default
    try:
        return float(values[0])
    except ValueError:
        raise BadInput(f"{what} {values[0]!r} is not a number") from None


def _midi_notes(source: RppBlock, start_qn: Fraction, end_qn: Fraction,
                offset_qn: Fraction) -> list[DawNote]:
    """The notes of a ``<SOURCE MIDI`` block, placed at ``start_qn`` less ``offset_qn`` (the
    item's start offset into the source) and trimmed to the item's span."""
    has = source.value("HASDATA") or []
    ppq = int(_number(has[1:2], "HASDATA's ticks per quarter note", PPQ)) if len(has) > 1 \
        else PPQ
    if ppq <= 0:
        raise BadInput(f"HASDATA gives {ppq} ticks per quarter note")
    now, held, out = 0, {}, []
    for v in source.values:
        if not v or v[0] not in ("E", "e", "Em", "em"):
            continue
        try:
            now += int(v[1])
            status, data = int(v[2], 16), [int(x, 16) for x in v[3:5]]
        except (IndexError, ValueError):
            raise BadInput(f"cannot read the MIDI event {' '.join(v)!r}") from None
        if v[0] in ("Em", "em"):
            continue  # muted in REAPER: not heard
        kind, channel = status & 0xF0, status & 0x0F
        if kind == 0x90 and len(data) > 1 and data[1] > 0:
            held[(channel, data[0])] = (now, data[1])
        elif kind in (0x80, 0x90) and data and (channel, data[0]) in held:
            on, vel = held.pop((channel, data[0]))
            a = start_qn - offset_qn + exact(Fraction(on, ppq))
            b = start_qn - offset_qn + exact(Fraction(now, ppq))
            a, b = max(a, start_qn), min(b, end_qn)
            if b > a:
                out.append(DawNote(key=data[0], onset=a, duration=b - a, channel=channel,
                                   velocity=vel / 127))
    return out


def _active_take(item: RppBlock) -> list[RppBlock]:
    """The sources of an item's active take: takes after the first start at a ``TAKE``
    line, the active one says ``TAKE SEL`` (the first take when none does)."""
    takes: list[list[RppBlock]] = [[]]
    active = 0
    for entry in item.order:
        if isinstance(entry, RppBlock):
            if entry.tag == "SOURCE":
                takes[-1].append(entry)
        elif entry and entry[0] == "TAKE":
            takes.append([])
            if "SEL" in entry[1:]:
                active = len(takes) - 1
    return takes[active]


def read_reaper(path: str | Path) -> DawSong:
    """Read an .rpp file's tracks (MIDI notes in quarter notes, audio file names), tempo,
    meter and markers. BadInput for what is not a REAPER project."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    if path.stat().st_size > MAX_TEXT:
        raise BadInput(f"{path.name} is larger than {MAX_TEXT >> 20} MB")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
        root = parse_rpp(text)
    except BadInput as exc:
        raise BadInput(f"cannot read {path.name}: {exc}") from None
    tempo_line = root.value("TEMPO") or []
    qpm = Fraction(_number(tempo_line, "TEMPO", 120)).limit_denominator(1000)
    if qpm <= 0:
        raise BadInput(f"{path.name}: TEMPO {float(qpm):g} is not positive")
    meter = "4/4"
    if len(tempo_line) >= 3:
        meter = f"{int(float(tempo_line[1]))}/{int(float(tempo_line[2]))}"
    qn_per_second = qpm / 60

    def qn(seconds: float) -> Fraction:
        return exact(Fraction(seconds) * qn_per_second)

    markers = []
    for v in root.values:
        if v and v[0] == "MARKER" and len(v) >= 3:
            markers.append((qn(_number(v[2:3], "a MARKER's time")), v[3] if len(v) > 3 else ""))
    tracks = []
    for t in root.children("TRACK"):
        notes: list[DawNote] = []
        audio: list[str] = []
        for item in t.children("ITEM"):
            start = qn(_number(item.value("POSITION"), "an item's POSITION", 0.0))
            end = start + qn(_number(item.value("LENGTH"), "an item's LENGTH", 0.0))
            offset = qn(_number(item.value("SOFFS"), "an item's SOFFS", 0.0))
            for source in _active_take(item):
                kind = source.args[0].upper() if source.args else ""
                if kind == "MIDI":
                    notes += _midi_notes(source, start, end, offset)
                elif source.value("FILE"):
                    audio.append((source.value("FILE") or [""])[0])
        name = (t.value("NAME") or [""])[0] if t.value("NAME") else ""
        col = t.value("PEAKCOL")
        color = None
        if col and col[0].lstrip("-").isdigit() and int(col[0]) & 0x1000000:
            c = int(col[0])
            color = f"#{c & 0xFF:02x}{c >> 8 & 0xFF:02x}{c >> 16 & 0xFF:02x}"
        kind = "notes" if notes or not audio else "audio"
        tracks.append(DawTrack(name=name or f"Track {len(tracks) + 1}",
                               notes=tuple(sorted(notes, key=lambda n: (n.onset, n.key))),
                               kind=kind, audio=tuple(audio), color=color,
                               id=t.args[0] if t.args else ""))
    notes_block = root.children("NOTES")
    comment = " ".join(v[0][1:] for b in notes_block for v in b.values if v).strip()
    key = comment[5:].split(";")[0].strip() if comment.startswith("key: ") else None
    app = root.args[1] if len(root.args) > 1 else ""
    return DawSong(tracks=tuple(tracks), tempo=qpm, meter=meter, title=path.stem,
                   markers=tuple(markers), application=app, key=key, comment=comment)


def read_reaper_piece(path: str | Path, *, mode: "Mode | None" = None) -> "Piece":
    """An .rpp file's MIDI tracks as a :class:`~stretto.score.Piece` (one voice per track,
    see :func:`stretto.io.daw.song_to_piece`)."""
    return song_to_piece(read_reaper(path), mode=mode, where=Path(path).name)


def made_by_stretto(path: str | Path) -> bool:
    """Whether ``path`` is an .rpp that stretto wrote and REAPER has not saved since (REAPER
    puts its own version on the first line): only such a file may an export replace."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
    except OSError:
        return False
    toks = tokens(first.lstrip("<")) if first.startswith("<") else []
    return len(toks) > 2 and toks[0] == "REAPER_PROJECT" and f"/{WRITER}-" in toks[2]


__all__ = ["RppBlock", "made_by_stretto", "parse_rpp", "quote", "read_reaper",
           "read_reaper_piece", "reaper_color", "reaper_text", "tokens"]
