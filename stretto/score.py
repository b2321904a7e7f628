"""The score model: a piece holds voices (top to bottom), a voice holds notes.

Time is exact: onsets and durations are :class:`fractions.Fraction` quarter notes from the start
of the piece, never floats. Notes are stored as notated (split at barlines, with ``tie`` flags),
so MusicXML round-trips; :meth:`Voice.sounding` merges ties into the notes one hears. Every note
has a stable ``id``, an ``origin`` (``human``, ``solver``, ``import``) and optionally a
``source`` saying exactly who (a pin or lock, the cantus, a solver run).

Saved as versioned JSON (``score.json``); :func:`load_json` reads back an identical piece.
Pure Python: no music21, no numpy.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field, replace
from functools import cached_property
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable

from stretto.errors import BadInput
from stretto.modes import Mode
from stretto.pitch import Pitch

FORMAT_VERSION = 1
ORIGINS = ("human", "solver", "import")
TIES = (None, "start", "continue", "stop")
# A grace note is an acciaccatura (written with a slash) or an appoggiatura (without).
GRACES = (None, "acciaccatura", "appoggiatura")


@dataclass(frozen=True)
class Note:
    """One notated note. ``onset`` and ``duration`` in quarter notes (exact fractions)."""

    id: str
    pitch: Pitch
    onset: Fraction
    duration: Fraction
    tie: str | None = None
    lyric: str | None = None
    origin: str = "solver"
    source: str | None = None  # who exactly: a pin or lock id, "cantus", or a solver run id
    grace: str | None = None  # set only on the notes of Voice.graces

    def __post_init__(self) -> None:
        if self.origin not in ORIGINS:
            raise ValueError(f"origin must be one of {ORIGINS}, not {self.origin!r}")
        if self.tie not in TIES:
            raise ValueError(f"tie must be one of {TIES}, not {self.tie!r}")
        if self.grace not in GRACES:
            raise ValueError(f"grace must be one of {GRACES}, not {self.grace!r}")
        if self.duration <= 0:
            raise ValueError(f"note {self.id} has non-positive duration {self.duration}")

    @property
    def midi(self) -> int:
        return self.pitch.midi

    @property
    def name(self) -> str:
        return self.pitch.name

    @property
    def end(self) -> Fraction:
        return self.onset + self.duration


@dataclass(frozen=True)
class Voice:
    """A named voice. ``role`` is ``cantus`` for a given cantus firmus, ``counterpoint`` for a
    solved line, ``melody``/``free`` otherwise; ``species`` is 1-5 for species counterpoint.

    ``graces`` are the voice's grace notes, kept apart from ``notes`` so that the rules, the
    solver and the renderer see only the main notes: each has ``grace`` set, its ``onset`` is
    the onset of the main note it leads into (several before one note keep their order) and its
    ``duration`` is its written value (an eighth: 1/2), which takes no time in the bar."""

    name: str
    notes: tuple[Note, ...]
    role: str = "counterpoint"
    species: int | None = None
    graces: tuple[Note, ...] = ()

    def sounding(self) -> list[Note]:
        """Notes as heard: tied notes merged into one (keeping the first note's id)."""
        out: list[Note] = []
        for n in sorted(self.notes, key=lambda n: n.onset):
            if out and n.tie in ("stop", "continue") and out[-1].end == n.onset \
                    and out[-1].midi == n.midi:
                out[-1] = replace(out[-1], duration=out[-1].duration + n.duration, tie=None)
            else:
                out.append(replace(n, tie=None))
        return out

    @cached_property
    def _by_onset(self) -> tuple[list[Fraction], list[Note], bool]:
        notes = sorted(self.notes, key=lambda n: n.onset)
        overlapping = any(a.end > b.onset for a, b in zip(notes, notes[1:]))
        return [n.onset for n in notes], notes, overlapping

    def at(self, time: Fraction) -> Note | None:
        """The notated note sounding at ``time`` (None during a rest). A binary search over
        the onsets (computed once per voice), so checking a long piece stays fast."""
        onsets, notes, overlapping = self._by_onset
        if overlapping:  # not one line (only pieces built in memory): the first match
            return next((n for n in self.notes if n.onset <= time < n.end), None)
        k = bisect.bisect_right(onsets, time) - 1
        return notes[k] if k >= 0 and time < notes[k].end else None


@dataclass(frozen=True)
class Piece:
    """A whole score. ``voices`` run top to bottom; ``meter`` like ``"2/2"``; ``tempo`` in quarter
    notes per minute; ``info`` carries solver settings and results (seed, time limit, status).

    ``anacrusis`` is the length of a pickup (an incomplete first bar, numbered 0 as in the
    source); 0 means none. Time 0 is always the start of a whole bar, so with a pickup the
    first ``bar_length - anacrusis`` quarter notes are silent and are not written: barlines stay
    at multiples of ``bar_length`` for the rules, and the notation shows the short bar."""

    voices: tuple[Voice, ...]
    mode: Mode = Mode("dorian", "D")
    meter: str = "2/2"
    tempo: Fraction = Fraction(160)
    title: str = "Untitled"
    info: dict[str, Any] = field(default_factory=dict, compare=True, hash=False)
    anacrusis: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        if self.anacrusis and not 0 < Fraction(self.anacrusis) < self.bar_length:
            raise ValueError(f"a pickup of {self.anacrusis} quarter notes does not fit a "
                             f"{self.meter} bar")

    @property
    def bar_length(self) -> Fraction:
        """Length of one bar in quarter notes."""
        num, den = parse_meter(self.meter)
        return Fraction(4 * num, den)

    @property
    def length(self) -> Fraction:
        return max((n.end for v in self.voices for n in v.notes), default=Fraction(0))

    @property
    def bars(self) -> int:
        length = self.length
        return int(-(-length // self.bar_length)) if length else 0

    def voice(self, name_or_index: str | int) -> Voice:
        if isinstance(name_or_index, int):
            return self.voices[name_or_index]
        for v in self.voices:
            if v.name == name_or_index:
                return v
        raise BadInput(f"no voice named {name_or_index!r}; voices are "
                       f"{', '.join(v.name for v in self.voices)}")

    @property
    def first_bar(self) -> int:
        """The number of the first bar: 0 for a pickup, else 1."""
        return 0 if self.anacrusis else 1

    def bar_beat(self, time: Fraction) -> tuple[int, Fraction]:
        """Bar number (1-based; a pickup is bar 0, as in the source) and 1-based beat (in
        quarter notes from the bar start + 1; a pickup's beats count from the whole bar's
        start, so a one-beat pickup in 4/4 is on beat 4) of ``time``."""
        bar, offset = divmod(Fraction(time), self.bar_length)
        return int(bar) + self.first_bar, offset + 1

    def time_at(self, bar: int, beat: Fraction = Fraction(1)) -> Fraction:
        """The time of ``bar``/``beat`` as :meth:`bar_beat` numbers them (the inverse)."""
        return (bar - self.first_bar) * self.bar_length + Fraction(beat) - 1


def parse_meter(meter: str) -> tuple[int, int]:
    try:
        num, den = (int(x) for x in meter.split("/"))
    except ValueError:
        raise BadInput(f"cannot read meter {meter!r}: write it as 4/4 or 2/2") from None
    if num <= 0 or den not in (1, 2, 4, 8, 16, 32):
        raise BadInput(f"impossible meter {meter!r}")
    return num, den


# --------------------------------------------------------------------------- JSON


def _frac(x: Fraction) -> str:
    return str(Fraction(x))


def note_to_dict(n: Note) -> dict[str, Any]:
    d: dict[str, Any] = {"id": n.id, "pitch": n.pitch.name, "midi": n.midi,
                         "onset": _frac(n.onset), "duration": _frac(n.duration),
                         "origin": n.origin}
    if n.tie:
        d["tie"] = n.tie
    if n.lyric is not None:
        d["lyric"] = n.lyric
    if n.source is not None:
        d["source"] = n.source
    if n.grace is not None:
        d["grace"] = n.grace
    return d


def note_from_dict(d: dict[str, Any]) -> Note:
    pitch = Pitch.parse(d["pitch"])
    if "midi" in d and d["midi"] != pitch.midi:
        raise BadInput(f"note {d.get('id')}: pitch {d['pitch']} does not match midi {d['midi']}")
    return Note(id=str(d["id"]), pitch=pitch, onset=Fraction(d["onset"]),
                duration=Fraction(d["duration"]), tie=d.get("tie"), lyric=d.get("lyric"),
                origin=d.get("origin", "import"), source=d.get("source"), grace=d.get("grace"))


def _voice_to_dict(v: Voice) -> dict[str, Any]:
    d: dict[str, Any] = {"name": v.name, "role": v.role, "species": v.species,
                         "notes": [note_to_dict(n) for n in v.notes]}
    if v.graces:  # written only when present: older score.json files stay byte-identical
        d["graces"] = [note_to_dict(n) for n in v.graces]
    return d


def piece_to_dict(piece: Piece) -> dict[str, Any]:
    d = {
        "format_version": FORMAT_VERSION,
        "title": piece.title,
        "mode": {"name": piece.mode.name, "final": piece.mode.final},
        "meter": piece.meter,
        "tempo": _frac(piece.tempo),
        "voices": [_voice_to_dict(v) for v in piece.voices],
        "info": piece.info,
    }
    if piece.anacrusis:
        d["anacrusis"] = _frac(piece.anacrusis)
    return d


def _graces_from(v: dict[str, Any]) -> tuple[Note, ...]:
    graces = tuple(note_from_dict(_require(n, dict, "a grace note"))
                   for n in _require(v.get("graces", []), list, "a voice's grace notes"))
    if any(g.grace is None for g in graces):
        raise ValueError("a grace note lacks its kind (acciaccatura or appoggiatura)")
    return graces


def _require(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"{what} has the wrong type ({type(value).__name__})")
    return value


def piece_from_dict(d: dict[str, Any]) -> Piece:
    _require(d, dict, "the score")
    version = d.get("format_version")
    if version != FORMAT_VERSION:
        raise BadInput(f"score.json format_version {version!r} is not supported "
                       f"(this stretto reads version {FORMAT_VERSION})")
    voices = [_require(v, dict, "a voice") for v in _require(d["voices"], list, "voices")]
    mode = _require(d["mode"], dict, "mode")
    return Piece(
        voices=tuple(Voice(name=_require(v["name"], str, "a voice name"),
                           role=_require(v.get("role", "counterpoint"), str, "a voice role"),
                           species=v.get("species") if v.get("species") is None else
                           _require(v.get("species"), int, "a voice's species"),
                           notes=tuple(note_from_dict(_require(n, dict, "a note"))
                                       for n in _require(v["notes"], list, "a voice's notes")),
                           graces=_graces_from(v))
                     for v in voices),
        mode=Mode(_require(mode["name"], str, "mode.name"), _require(mode["final"], str,
                                                                     "mode.final")),
        meter=_require(d.get("meter", "4/4"), str, "meter"),
        tempo=Fraction(_require(d.get("tempo", "120"), (str, int), "tempo")),
        title=_require(d.get("title", "Untitled"), str, "title"),
        info=_require(d.get("info", {}), dict, "info"),
        anacrusis=Fraction(_require(d.get("anacrusis", "0"), (str, int), "anacrusis")),
    )


def dumps(piece: Piece) -> str:
    """Canonical JSON text (sorted keys, fixed indentation): byte-identical for equal pieces."""
    return json.dumps(piece_to_dict(piece), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def loads(text: str) -> Piece:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"score.json is not valid JSON (line {exc.lineno}): {exc.msg}") from None
    try:
        return piece_from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError, ZeroDivisionError,
            OverflowError) as exc:
        raise BadInput(f"score.json is malformed: {exc}") from None


def save_json(piece: Piece, path: str | Path) -> None:
    Path(path).write_text(dumps(piece), encoding="utf-8")


def load_json(path: str | Path) -> Piece:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    return loads(text)


def make_voice(name: str, pitches: Iterable[Pitch], durations: Iterable[Fraction], *,
               start: Fraction = Fraction(0), bar_length: Fraction | None = None,
               role: str = "counterpoint", species: int | None = None, origin: str = "solver",
               id_prefix: str = "n") -> Voice:
    """Build a voice from sounding pitches and durations, splitting notes at barlines into tied
    notes when ``bar_length`` is given. Ids are ``{id_prefix}{k}`` in order."""
    notes: list[Note] = []
    t = Fraction(start)
    k = 0
    for p, dur in zip(pitches, durations):
        pieces: list[Fraction] = []
        remaining, pos = Fraction(dur), t
        while bar_length and remaining > 0:
            to_bar = bar_length - (pos % bar_length)
            part = min(remaining, to_bar)
            pieces.append(part)
            remaining -= part
            pos += part
        if not bar_length:
            pieces = [Fraction(dur)]
        for i, part in enumerate(pieces):
            tie = None
            if len(pieces) > 1:
                tie = "start" if i == 0 else ("stop" if i == len(pieces) - 1 else "continue")
            notes.append(Note(id=f"{id_prefix}{k}", pitch=p, onset=t, duration=part, tie=tie,
                              origin=origin))
            k += 1
            t += part
    return Voice(name=name, notes=tuple(notes), role=role, species=species)
