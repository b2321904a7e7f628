"""What a project looks like to someone reading it, as data: every note with its place
(voice, bar, beat), its origin for the eye (``yours``, ``solver``, ``given``) and the pitches
one step up and down (diatonic in the piece's mode, or chromatic), the checker's violations
with the notes they sit on, the constraints in force and the undo depth. The studio draws
from this; scripts can read it too. Reading only: it takes the project's shared lock, so it
always sees one whole version, and never writes::

    from stretto.app.view import score_view
    view = score_view("out/first")
    note = view.note("v0n4")
    print(note.pitch, note.kind, note.up)

Also :func:`conflict_notes`: the notes a conflict's explanation names (its pins, locks and
rules say "voice 2 bar 5", "voice 1 bars 2-3"), so that the explanation can be shown beside
them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from stretto.errors import BadInput

if TYPE_CHECKING:  # pragma: no cover
    from stretto.modes import Mode
    from stretto.pitch import Pitch
    from stretto.project import Project

#: a note's origin as the studio colours it
KINDS = ("yours", "solver", "given")
GIVEN_SOURCES = ("cantus", "melody")


@dataclass(frozen=True)
class NoteView:
    """One notated note. ``voice`` counts from 1 at the top; ``beat`` is 1-based quarters
    ("1", "3/2"); ``start``/``length`` in seconds at the score's tempo (for a play cursor);
    ``up``/``down`` the next pitch of the mode, ``up_chromatic``/``down_chromatic`` a
    semitone away (None past the playable range)."""

    id: str
    voice: int
    bar: int
    beat: str
    pitch: str
    midi: int
    onset: str
    duration: str
    start: float
    length: float
    kind: str
    source: str | None
    tie: str | None
    up: str | None
    down: str | None
    up_chromatic: str | None
    down_chromatic: str | None


@dataclass(frozen=True)
class ViolationView:
    """A broken rule (hard: one the solver guarantees; soft: a preference) and the ids of
    the notes it sits on."""

    rule: str
    severity: str
    bar: int
    beat: str
    voices: tuple[str, ...]
    message: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class VoiceView:
    """A voice: its name, role, whether it is the given one (cantus or melody) and the bars
    of each of its locks."""

    index: int
    name: str
    role: str
    given: bool
    locks: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class ScoreView:
    """A whole project version. ``version`` is a hash of its score.json (it changes with
    every edit, undo or redo, and only then)."""

    version: str
    title: str
    kind: str
    meter: str
    tempo: str
    mode: str
    bars: int
    time_limit: float
    voices: tuple[VoiceView, ...]
    notes: tuple[NoteView, ...]
    violations: tuple[ViolationView, ...]
    constraints: tuple[dict, ...]
    undo: int
    redo: int

    def note(self, note_id: str) -> NoteView:
        """The note with ``note_id``; BadInput naming it when there is none."""
        for n in self.notes:
            if n.id == note_id:
                return n
        raise BadInput(f"no note {note_id!r} in the score: read the ids from the score view")

    def note_at(self, voice: int, bar: int, beat: str | Fraction = "1") -> NoteView | None:
        """The note of ``voice`` (from 1) sounding at ``bar``/``beat``, or None (a rest)."""
        at = Fraction(str(beat))
        for n in self.notes:
            if n.voice == voice and n.bar == bar and \
                    Fraction(n.beat) <= at < Fraction(n.beat) + Fraction(n.duration):
                return n
        return None


# ---------------------------------------------------------------------------- pitches


def step_pitch(pitch: "Pitch", mode: "Mode", steps: int, *,
               chromatic: bool = False) -> "Pitch | None":
    """``pitch`` moved ``steps`` (+1 up, -1 down): to the mode's next letter (diatonic), or by
    semitones (``chromatic``: spelt as the mode allows it, else with a sharp going up and a
    flat going down). None outside MIDI 21-108 (the piano's range)."""
    from stretto.pitch import Pitch, spell_midi

    if chromatic:
        midi = pitch.midi + steps
        candidates = [p for d in (pitch.diatonic - 1, pitch.diatonic, pitch.diatonic + 1)
                      for p in (_safe(Pitch.from_diatonic, d, a) for a in (-1, 0, 1))
                      if p is not None and p.midi == midi]
        allowed = [p for p in candidates if mode.is_allowed(p)]
        new = (allowed or [spell_midi(midi, prefer_sharps=steps > 0)])[0]
    else:
        new = mode.diatonic_pitch(pitch.diatonic + steps)
    return new if 21 <= new.midi <= 108 else None


def _safe(make, *args):
    try:
        return make(*args)
    except ValueError:
        return None


# ---------------------------------------------------------------------------- the view


def version_of(text: str) -> str:
    """The version id of a score.json text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _kind(note, held: bool = False) -> str:
    """``given``, ``yours`` or ``solver``; ``held``: a pin or lock of the composer's holds the
    note (recorded without a re-solve, it is theirs already, as the next solve will mark it)."""
    if note.origin == "human":
        return "given" if note.source in GIVEN_SOURCES else "yours"
    if note.origin == "import":
        return "given"
    return "yours" if held else "solver"


def _held(project: "Project", voice: int, note) -> bool:
    """Whether a pin or lock of the composer's on ``voice`` holds ``note``."""
    from stretto.edits import Lock, Pin

    piece = project.piece
    for c in project.constraints:
        if isinstance(c, Pin) and c.voice == voice:
            if note.onset <= piece.time_at(c.bar, c.beat) < note.end:
                return True
        elif isinstance(c, Lock) and c.voice == voice:
            if note.onset < piece.time_at(c.last + 1) and note.end > piece.time_at(c.first):
                return True
    return False


def _violations(project: "Project") -> list:
    from stretto.check import CheckSettings, check

    settings = CheckSettings()
    if project.kind == "species":
        spec = project.spec
        settings = CheckSettings(allow_crossing=bool(spec.get("allow_crossing", False)),
                                 max_range=int(spec.get("max_range", 9)))
    from dataclasses import replace

    from stretto.app.waivers import waived_among

    kept, waived = waived_among(project, check(project.piece, settings=settings))
    return kept + [replace(v, severity="waived") for v in waived]  # the composer's decision


def build_view(project: "Project", text: str, *, undo: int = 0, redo: int = 0) -> ScoreView:
    """The view of a loaded project (``text`` is its score.json, for the version)."""
    from stretto.edits import Lock

    piece = project.piece
    spq = 60 / float(piece.tempo)
    notes = []
    for vi, voice in enumerate(piece.voices):
        for n in sorted(voice.notes, key=lambda n: n.onset):
            bar, beat = piece.bar_beat(n.onset)
            steps = [step_pitch(n.pitch, piece.mode, s, chromatic=c)
                     for s, c in ((1, False), (-1, False), (1, True), (-1, True))]
            notes.append(NoteView(
                id=n.id, voice=vi + 1, bar=bar, beat=str(beat), pitch=n.name, midi=n.midi,
                onset=str(n.onset), duration=str(n.duration), start=float(n.onset) * spq,
                length=float(n.duration) * spq, kind=_kind(n, _held(project, vi, n)),
                source=n.source, tie=n.tie,
                **dict(zip(("up", "down", "up_chromatic", "down_chromatic"),
                           (p.name if p else None for p in steps)))))
    by_place = {}
    for n in notes:
        by_place.setdefault(n.voice, []).append(n)
    names = [v.name for v in piece.voices]
    violations = []
    for v in _violations(project):
        at = piece.time_at(v.bar, v.beat)
        ids = []
        for name in v.voices:
            if name in names:
                vi = names.index(name) + 1
                ids += [n.id for n in by_place.get(vi, ())
                        if Fraction(n.onset) <= at < Fraction(n.onset) + Fraction(n.duration)]
        violations.append(ViolationView(v.rule, v.severity, v.bar, str(v.beat),
                                        tuple(v.voices), v.message, tuple(ids)))
    given = _given_voice(project)
    voices = tuple(VoiceView(
        index=i + 1, name=v.name, role=v.role, given=i == given or v.role in GIVEN_SOURCES,
        locks=tuple((c.first, c.last) for c in project.constraints
                    if isinstance(c, Lock) and c.voice == i))
        for i, v in enumerate(piece.voices))
    constraints = tuple({"id": c.id, "kind": c.kind,
                         "text": c.describe().replace("your ", ""),
                         **{k: v for k, v in c.to_dict().items()
                            if k in ("bar", "beat", "first", "last")},
                         **({"voice": c.voice + 1} if hasattr(c, "voice") else {})}
                        for c in project.constraints)
    return ScoreView(
        version=version_of(text), title=piece.title, kind=project.kind, meter=piece.meter,
        tempo=str(piece.tempo), mode=str(piece.mode), bars=piece.bars,
        time_limit=float(project.settings.get("time_limit", 10.0)), voices=voices,
        notes=tuple(notes), violations=tuple(violations), constraints=constraints,
        undo=undo, redo=redo)


def _given_voice(project: "Project") -> int | None:
    from stretto.app.kinds import kind_of

    try:
        return kind_of(project).given_voice(project)
    except (BadInput, KeyError, TypeError, ValueError):
        return None


def score_view(folder: str | Path) -> ScoreView:
    """The current version of the project in ``folder`` (under its shared lock)."""
    from stretto.app.session import load, locked
    from stretto.io.project import undo_depth

    with locked(folder, shared=True):
        project, text = load(folder, edit=False)
        undo, redo = undo_depth(folder)
    return build_view(project, text, undo=undo, redo=redo)


def view_to_dict(view: ScoreView) -> dict:
    """The view as plain JSON data."""
    from dataclasses import asdict

    return asdict(view)


# ---------------------------------------------------------------------------- conflicts

_PLACE = re.compile(r"voices? (\d+)(?:[,-](\d+))? (?:at )?bars? (\d+)(?:-(\d+))?"
                    r"(?: beat (\d+(?:/\d+)?(?:\.\d+)?))?")
_GIVEN_PLACE = re.compile(r"(?:melody|cantus)[a-z ]*? at bar (\d+)(?: beat (\d+(?:/\d+)?))?")


def conflict_notes(view: ScoreView, conflicts: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """For each conflict (a sentence naming a pin, lock or rule), the ids of the notes it
    names: a pin's note ("pin voice 1 bar 6" is beat 1), a lock's or a rule's bars ("voice 2
    bars 3-4"), a given melody's note ("the melody note at bar 1 beat 1"); a conflict naming
    no place (a rule of counterpoint itself) maps to no notes."""
    out: dict[str, tuple[str, ...]] = {}
    given = [v.index for v in view.voices if v.given]
    for text in conflicts:
        ids: list[str] = []
        one_note = "pin " in text
        for m in _PLACE.finditer(text):
            voices = [int(m.group(1))] + ([int(m.group(2))] if m.group(2) else [])
            first = int(m.group(3))
            last = int(m.group(4)) if m.group(4) else first
            for v in voices:
                if (m.group(5) or one_note) and first == last:
                    note = view.note_at(v, first, m.group(5) or "1")
                    ids += [note.id] if note else []
                else:
                    ids += [n.id for n in view.notes if n.voice == v and first <= n.bar <= last]
        for m in _GIVEN_PLACE.finditer(text):
            for v in given:
                note = view.note_at(v, int(m.group(1)), m.group(2) or "1")
                ids += [note.id] if note else []
        out[text] = tuple(dict.fromkeys(ids))
    return out


__all__ = ["GIVEN_SOURCES", "KINDS", "NoteView", "ScoreView", "ViolationView", "VoiceView",
           "build_view", "conflict_notes", "score_view", "step_pitch", "version_of",
           "view_to_dict"]
