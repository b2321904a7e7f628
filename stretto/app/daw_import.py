"""Edits made in a DAW come back as the composer's: ``import_edits(folder, edited=FILE)``.

A composer opens score.mid (or a DAWproject, REAPER or MusicXML export) in a DAW, fixes a
note, saves. The DAW writes the file back its own way: tracks renamed or reordered, another
PPQ, controller lanes, another tempo. :func:`import_edits` reads that file, matches its tracks
to the project's voices (by name, then by register), and turns every difference into the
composer's edits:

* a changed pitch becomes a :class:`~stretto.edits.Pin` (``source``: ``import <file>
  <sha256>``), on a species cantus a cantus edit; the given melody of a harmonization never
  changes (exit 2 naming the note);
* a voice whose rhythm was rewritten becomes a :class:`~stretto.edits.Lock` of the whole voice
  with the new notes, where the kind can take it (fourth and fifth species, whose rhythm is a
  choice); elsewhere exit 2 naming the first note it cannot take;
* with ``waive``, every hard rule the edited notes break in the file (the parallel fifth the
  composer wrote on purpose) becomes a :class:`~stretto.edits.Waiver` at that bar for those
  voices, so the solver keeps it (:mod:`stretto.app.waivers`).

Then the project is re-solved with the fewest other changes (the kind's own re-solve), under
the project's lock, as one history step (one undo), and a fresh copy of the result is written
for the DAW next to the edited file as ``<name>.stretto<suffix>`` in the same format. A
conflict raises :class:`~stretto.errors.Unsatisfiable` (exit 3) naming a minimal set of edits
and rules, with the rules the edits themselves break and the ``stretto waive`` command that
would keep them; nothing is written then. ``dry_run`` lists the edits and writes nothing::

    from stretto.app.daw_import import import_edits
    done = import_edits("out/first", edited="from-bitwig.mid")
    print(done.notes_by_you, "of", done.notes_total, "notes changed by you,",
          done.notes_resolved, "re-solved")
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from stretto.app.kinds import kind_of
from stretto.app.session import load, locked, save_edit, settings_of
from stretto.errors import BadInput, Unsatisfiable

if TYPE_CHECKING:  # pragma: no cover
    from stretto.project import Project
    from stretto.score import Piece

#: suffix -> format name; the fresh copy for the DAW is written in the same format
FORMATS = {".mid": "midi", ".midi": "midi", ".musicxml": "musicxml", ".xml": "musicxml",
           ".mxl": "musicxml", ".dawproject": "dawproject", ".rpp": "reaper"}
#: onsets a fourth- or fifth-species lock can hold: the model's eighth-note grid
GRID = Fraction(1, 2)


@dataclass(frozen=True)
class TrackMatch:
    """Which track of the file (its name, and its place among the note tracks from 0) became
    which voice (0-based from the top), and how: ``name`` (the track is named as the voice)
    or ``register`` (by the order of the tracks' pitches)."""

    track: str
    voice: int
    by: str
    index: int = 0


@dataclass(frozen=True)
class ImportEdit:
    """One edit the import makes: ``kind`` is ``pin``, ``lock``, ``cantus`` or ``waiver``;
    ``what`` says it in words ("voice 1 (Soprano) bar 5: D5 -> E5")."""

    kind: str
    voice: int
    bar: int
    what: str


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, with ``dry_run``, would do): the file and its sha256, its
    format, the track matches, the edits, the composer's notes (``notes_by_you`` of
    ``notes_total``: notes of the file that differ from the project), the notes the re-solve
    changed beyond them (``notes_resolved``; None for a dry run), the solver's status and run,
    the project files written and the fresh copy for the DAW (None for a dry run), and what the
    import read but does not take (``ignored``: another tempo, controller lanes ...)."""

    file: Path
    sha256: str
    format: str
    matches: tuple[TrackMatch, ...]
    edits: tuple[ImportEdit, ...]
    notes_by_you: int
    notes_total: int
    notes_resolved: int | None = None
    status: str | None = None
    run: str | None = None
    dry_run: bool = False
    files: tuple[Path, ...] = ()
    daw_copy: Path | None = None
    ignored: tuple[str, ...] = ()


# ---------------------------------------------------------------------------- reading


def read_edited(path: Path, mode) -> tuple["Piece", str, tuple[str, ...]]:
    """The edited file as a piece (one voice per note track, spelled in ``mode``), its
    format, and what of it the import does not take (another tempo)."""
    from stretto.limits import validate_piece

    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise BadInput(f"cannot import {path.name}: use a .mid, .musicxml, .mxl, .dawproject "
                       "or .rpp file as the DAW saved it")
    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    fmt = FORMATS[suffix]
    if fmt in ("midi", "musicxml"):
        from stretto.io.reading import read_score

        return read_score(path, mode=mode), fmt, ()
    from stretto.io.daw import song_to_piece

    if fmt == "dawproject":
        from stretto.io.dawproject import read_dawproject as reader
    else:
        from stretto.io.reaper import read_reaper as reader
    song = reader(path)
    piece = song_to_piece(song, mode=mode, where=path.name)
    ignored: tuple[str, ...] = ()
    if song.tempo_changes:  # the notes are read in beats: a tempo map moves none of them
        ignored += (f"{len(song.tempo_changes)} tempo changes",)
    audio = [t.name for t in song.tracks if t.kind == "audio"]
    if audio:
        ignored += (f"{len(audio)} audio tracks ({', '.join(audio)})",)
    return validate_piece(piece, where=path.name), fmt, ignored


def _mean(notes) -> float:
    return sum(n.midi * float(n.duration) for n in notes) / \
        max(1e-9, float(sum(n.duration for n in notes)))


def _name(text: str) -> str:
    return " ".join(text.casefold().split())


def match_tracks(project_piece: "Piece", edited: "Piece", where: str) -> tuple[TrackMatch, ...]:
    """Each voice of the project matched to one track of ``edited``: by name first (case and
    spacing aside), the rest by register (the highest remaining track is the highest remaining
    voice). BadInput when the counts differ, two tracks claim one voice's name, or two
    unnamed tracks lie too close in register to be told apart."""
    voices = [v for v in project_piece.voices]
    tracks = [t for t in edited.voices if t.notes]
    names = ", ".join(repr(t.name) for t in tracks)
    if len(tracks) != len(voices):
        raise BadInput(f"{where} has {len(tracks)} note tracks ({names}) and the project "
                       f"{len(voices)} voices ({', '.join(v.name for v in voices)}): delete or "
                       "merge the extra tracks, or restore the missing ones, then import again")
    by_track: dict[int, TrackMatch] = {}
    free_voices = []
    for vi, voice in enumerate(voices):
        same = [ti for ti, t in enumerate(tracks) if _name(t.name) == _name(voice.name)]
        if len(same) > 1:
            raise BadInput(f"{where}: tracks {' and '.join(repr(tracks[t].name) for t in same)} "
                           f"are both named as voice {vi + 1} ({voice.name}): the import cannot "
                           "tell which is the voice; rename one after the voice it holds")
        if same:
            by_track[same[0]] = TrackMatch(tracks[same[0]].name, vi, "name", same[0])
        else:
            free_voices.append(vi)
    free_tracks = [ti for ti in range(len(tracks)) if ti not in by_track]
    order_t = sorted(free_tracks, key=lambda ti: -_mean(tracks[ti].sounding()))
    order_v = sorted(free_voices, key=lambda vi: -_mean(voices[vi].sounding()))
    for a, b in zip(order_t, order_t[1:]):
        ma, mb = _mean(tracks[a].sounding()), _mean(tracks[b].sounding())
        if abs(ma - mb) < 1.0:
            raise BadInput(
                f"{where}: tracks {tracks[a].name!r} and {tracks[b].name!r} lie in the same "
                f"register (about MIDI {ma:.0f}), so the import cannot tell which voice each "
                f"is ({', '.join(voices[v].name for v in order_v)}): name the tracks as the "
                "voices, then import again")
    for ti, vi in zip(order_t, order_v):
        by_track[ti] = TrackMatch(tracks[ti].name, vi, "register", ti)
    return tuple(sorted(by_track.values(), key=lambda m: m.voice))


# ---------------------------------------------------------------------------- differences


@dataclass(frozen=True)
class _Diff:
    pins: tuple  # (voice, onset, old pitch, new pitch)
    rhythm: tuple  # voices whose rhythm changed: (voice, first differing onset, words)


def _at(bar: int, beat: Fraction) -> str:
    return f"bar {bar}" if beat == 1 else f"bar {bar} beat {beat}"


def differences(project_piece: "Piece", edited_voices: list) -> _Diff:
    """Pitch changes (same onsets, another key) and rewritten rhythms (other onsets), per
    voice; a note only lengthened or shortened (a DAW's articulation) is no change."""
    pins, rhythm = [], []
    for v, (voice, new) in enumerate(zip(project_piece.voices, edited_voices)):
        old_notes, new_notes = voice.sounding(), new.sounding()
        if [n.onset for n in old_notes] == [n.onset for n in new_notes]:
            for a, b in zip(old_notes, new_notes):
                if a.midi != b.midi:
                    pins.append((v, a.onset, a.pitch, b.pitch))
            continue
        olds = {n.onset for n in old_notes}
        news = {n.onset for n in new_notes}
        first = min(olds ^ news)
        bar, beat = project_piece.bar_beat(first)
        what = "a note begins there" if first in news else "no note begins there any more"
        rhythm.append((v, first, f"voice {v + 1} ({voice.name}) {_at(bar, beat)}: {what}"))
    return _Diff(tuple(pins), tuple(rhythm))


def _lockable(project: "Project", v: int, new_voice, why: str) -> None:
    """BadInput unless the kind can take voice ``v`` with a rewritten rhythm."""
    kind = kind_of(project)
    if v == kind.given_voice(project):
        raise BadInput(f"{why}: the {kind.given_name}'s rhythm is given and never changes; "
                       "put its notes back where they were")
    if project.kind != "species":
        raise BadInput(f"{why}: the voices of a harmonization or composition move with its "
                       "chords, so only their pitches can change; put the note back on its "
                       "beat")
    species = project.piece.voices[v].species
    if species not in (4, 5):
        raise BadInput(f"{why}: species {species} fixes the rhythm of voice {v + 1}, so only "
                       "its pitches can change (fourth and fifth species can take a new "
                       "rhythm)")
    for n in new_voice.sounding():
        for t in (n.onset, n.end):
            if (t / GRID).denominator != 1:
                bar, beat = project.piece.bar_beat(t)
                raise BadInput(f"{why}: voice {v + 1} has a note boundary at {_at(bar, beat)}, "
                               "off the eighth-note grid a species voice is written on")


# ---------------------------------------------------------------------------- the edits


def _edits(project: "Project", edited: list, diff: _Diff, source: str):
    """The project with the composer's imported edits, and the edits in words."""
    from stretto.edits import Lock, Pin

    kind = kind_of(project)
    given = kind.given_voice(project)
    words: list[ImportEdit] = []
    names = [v.name for v in project.piece.voices]
    rewritten = {v for v, _, _ in diff.rhythm}
    for v, first, why in diff.rhythm:
        _lockable(project, v, edited[v], why)
    for v, onset, old, new in diff.pins:
        bar, beat = project.piece.bar_beat(onset)
        say = f"voice {v + 1} ({names[v]}) {_at(bar, beat)}: {old.name} -> {new.name}"
        if v == given:
            try:
                kind.check_place(project, bar, beat)
                project, _ = kind.edit_given(project, bar, beat, new)
            except BadInput as exc:
                raise BadInput(f"{say}: {exc}") from None
            words.append(ImportEdit("cantus", v, bar, say))
            continue
        kind.check_place(project, bar, beat)
        if project.kind != "species" and onset not in _slot_onsets(project):
            raise BadInput(f"{say}: that note lies between the chords (a passing or rhythm "
                           "note stretto wrote around them), and a pin holds a chord's note: "
                           "put it back, or change the note on the chord's beat")
        project = replace(project, constraints=tuple(
            c for c in project.constraints
            if not (isinstance(c, Pin) and c.voice == v and c.bar == bar and c.beat == beat)))
        cid, project = project.new_id()
        pin = Pin(cid, v, bar, beat, new, source=source)
        project = replace(project, constraints=project.constraints + (pin,))
        words.append(ImportEdit("pin", v, bar, say))
    for v in sorted(rewritten):
        notes = tuple((str(n.onset), str(n.duration), n.pitch.name)
                      for n in edited[v].sounding())
        last = max(project.piece.bars, edited_bars(project.piece, edited[v]))
        project = replace(project, constraints=tuple(
            c for c in project.constraints if not (isinstance(c, Lock) and c.voice == v)))
        cid, project = project.new_id()
        project = replace(project, constraints=project.constraints +
                          (Lock(cid, v, 1, last, notes, source=source),))
        words.append(ImportEdit("lock", v, 1, f"voice {v + 1} ({names[v]}) locked with its "
                                f"new rhythm, {len(notes)} notes"))
    return project, words


def _slot_onsets(project: "Project") -> frozenset[Fraction]:
    """When the chords of a harmonization or composition begin (a pin holds a chord's note)."""
    from stretto.solver.tonal.chorale_task import task_of

    return frozenset(task_of(project.kind, project.spec).onsets)


def edited_bars(piece: "Piece", voice) -> int:
    end = max((n.end for n in voice.notes), default=Fraction(0))
    return int(-(-end // piece.bar_length))


def _composer_notes(before: "Piece", after_voices: list) -> int:
    """Notes of ``after_voices`` that ``before`` does not have (onset and pitch)."""
    count = 0
    for old, new in zip(before.voices, after_voices):
        have = {(n.onset, n.midi) for n in old.sounding()}
        count += sum((n.onset, n.midi) not in have for n in new.sounding())
    return count


def _as_project_voices(project: "Project", edited: "Piece",
                       matches: tuple[TrackMatch, ...]) -> list:
    """The file's tracks in the project's voice order, named and cast as the project's voices
    (role, species), so the checker reads the edited score as it reads the project's."""
    tracks = [t for t in edited.voices if t.notes]
    by_voice = {m.voice: m for m in matches}
    out = []
    for v, voice in enumerate(project.piece.voices):
        track = tracks[by_voice[v].index]
        notes = tuple(replace(n, id=f"v{v}n{k}") for k, n in enumerate(track.notes))
        if voice.graces:
            notes = _unplayed(voice, notes, project.piece.bar_length, v)
        out.append(replace(voice, notes=notes, graces=()))
    return out


def _unplayed(voice, notes: tuple, bar: Fraction, v: int) -> tuple:
    """The notes of a track with the project voice's grace notes taken out where score.mid
    plays them (on the beat, before their main note, which then starts later): the main note
    starts on its beat again, so an untouched ornament is no rhythm change."""
    from stretto.io.midi import split_at_bars

    keys: dict[Fraction, list[int]] = {}
    for g in voice.graces:
        keys.setdefault(g.onset, []).append(g.midi)
    heard = sorted(_sounding(notes), key=lambda n: (n.onset, n.midi))
    out, i = [], 0
    while i < len(heard):
        n, ks = heard[i], keys.get(heard[i].onset, [])
        played = heard[i:i + len(ks) + 1]
        if ks and len(played) == len(ks) + 1 and [m.midi for m in played[:-1]] == ks:
            main = played[-1]
            out.append((main.pitch, n.onset, main.end - n.onset))
            i += len(ks) + 1
        else:
            out.append((n.pitch, n.onset, n.duration))
            i += 1
    return split_at_bars(v, out, bar)


def _sounding(notes: tuple) -> list:
    from stretto.score import Voice

    return Voice("", notes).sounding()


# ---------------------------------------------------------------------------- the copy


def copy_path(edited: Path, fmt: str) -> Path:
    """Where the fresh copy for the DAW goes: next to the edited file, ``<name>.stretto`` and
    the format's suffix (``.musicxml`` for MusicXML, whatever the edited file's)."""
    suffix = {"midi": ".mid", "musicxml": ".musicxml", "dawproject": ".dawproject",
              "reaper": ".rpp"}[fmt]
    stem = edited.name[:-len(edited.suffix)] if edited.suffix else edited.name
    return edited.with_name(f"{stem}.stretto{suffix}")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ours(project: "Project", path: Path) -> bool:
    """Whether ``path`` is a copy this project's imports wrote, byte for byte (its sha256 is
    in the history): only such a file is replaced."""
    if path.is_symlink() or not path.is_file():
        return False
    sha = _sha256(path)
    return any(isinstance(e.get("wrote"), dict) and e["wrote"].get("sha256") == sha
               for e in project.history)


def _check_copy(project: "Project", path: Path) -> None:
    import os

    if not os.access(path.parent, os.W_OK):
        raise BadInput(f"cannot write the copy for the DAW into {path.parent}: make the "
                       "folder writable, or import a copy of the file kept elsewhere")
    if (path.exists() or path.is_symlink()) and not _ours(project, path):
        raise BadInput(f"{path} exists and is not a copy stretto wrote (or a DAW has saved it "
                       "since): move it away or rename the edited file, then import again")


def _copy_bytes(project: "Project", fmt: str) -> bytes:
    """The project's score in ``fmt``, as the DAW reads it (what score.mid and
    score.musicxml hold, or a DAWproject/REAPER export without stems)."""
    import tempfile

    from stretto import __version__

    piece, summary = project.piece, project.summary()
    if fmt == "dawproject":
        from stretto.io.dawproject import dawproject_bytes

        return dawproject_bytes(piece, provenance=summary, version=__version__)
    if fmt == "reaper":
        from stretto.io.reaper import reaper_text

        return reaper_text(piece, provenance=summary, version=__version__).encode("utf-8")
    from stretto.io.project import FILES

    with tempfile.TemporaryDirectory() as tmp:
        from stretto.io.midi import write_midi
        from stretto.io.musicxml import write_musicxml
        from stretto.licence import rights_line

        out = Path(tmp) / FILES[fmt]
        if fmt == "midi":
            write_midi(piece, out, text=summary, rights=rights_line(project))
        else:
            write_musicxml(piece, out, encoding_text=summary)
        return out.read_bytes()


# ---------------------------------------------------------------------------- the import


def import_edits(project_dir: str | Path, *, edited: str | Path, dry_run: bool = False,
                 waive: bool = False, time_limit: float | None = None,
                 seed: int | None = None) -> ImportResult:
    """Import the DAW-edited file ``edited`` into the project in ``project_dir`` (see the
    module text). BadInput (exit 2) for a file that cannot be matched or an edit the kind
    cannot take; Unsatisfiable (exit 3) when the edits and the rules cannot all hold, nothing
    written."""
    from stretto.app.waivers import broken_places, waiver_command

    folder = Path(project_dir)
    path = Path(edited)
    if path.resolve().parent == folder.resolve() and path.name.startswith("score."):
        raise BadInput(f"{path} is the project's own score: copy it out, edit the copy in the "
                       "DAW, and import that")
    with locked(folder, shared=dry_run):
        project, text = load(folder, edit=not dry_run)
        piece, fmt, ignored = read_edited(path, project.piece.mode)
        sha = _sha256(path)
        source = f"import {path.name} {sha}"
        matches = match_tracks(project.piece, piece, path.name)
        voices = _as_project_voices(project, piece, matches)
        if piece.tempo != project.piece.tempo:
            ignored += (f"the file's tempo {float(piece.tempo):g} (the project keeps "
                        f"{float(project.piece.tempo):g})",)
        diff = differences(project.piece, voices)
        by_you = _composer_notes(project.piece, voices)
        total = sum(len(v.sounding()) for v in project.piece.voices)
        new, words = _edits(project, voices, diff, source)
        edited_piece = replace(project.piece, voices=tuple(voices))
        changed_notes = _changed_spans(project.piece, voices)
        places = broken_places(new, edited_piece, changed_notes)
        if waive:
            new, extra = _add_waivers(new, places)
            words += extra
        result = ImportResult(file=path, sha256=sha, format=fmt, matches=matches,
                              edits=tuple(words), notes_by_you=by_you, notes_total=total,
                              dry_run=dry_run, ignored=ignored)
        if dry_run or not words:  # nothing to do when the file holds the project's notes
            return result
        target = copy_path(path, fmt)
        _check_copy(project, target)
        run = new.run_id()
        try:  # the fewest changes beyond the composer's (budget 0), as the issue promises
            out = kind_of(new).resolve(new, settings_of(new, time_limit, seed), run_id=run,
                                       budget=0)
        except Unsatisfiable as exc:
            if places and not waive:
                offer = "; ".join(f"{p.describe()}: to keep it, "
                                  f"`{waiver_command(folder, p)}`" for p in places)
                raise Unsatisfiable(f"{exc}. Your edits themselves break {offer} (or import "
                                    "again with --waive)", exc.conflicts) from None
            raise
        resolved = _composer_notes(edited_piece, list(out.result.piece.voices))
        what = (f"imported {path.name} (sha256 {sha[:12]}): {len(words)} edits, {by_you} of "
                f"{total} notes changed by you, {resolved} re-solved")
        # the project as save_edit will log it: the copy's summary line counts that entry
        saved = replace(new, piece=out.result.piece).with_run(out.result.stats, run) \
            .logged("import", what, run=run, changed=out.changed)
        data = _copy_bytes(saved, fmt)
        done = save_edit(folder, new, text, "import", what, solve=False, time_limit=None,
                         seed=None, outcome=out, run=run,
                         entry={"wrote": {"file": target.name,
                                          "sha256": hashlib.sha256(data).hexdigest()}})
        from stretto.io.daw import write_atomically

        write_atomically(target.absolute(), data)
    return replace(result, notes_resolved=resolved, status=done.status, run=run,
                   files=tuple(done.files.values()), daw_copy=target)


def _changed_spans(before: "Piece", voices: list) -> list[tuple[int, Fraction, Fraction]]:
    """(voice, onset, end) of every note of ``voices`` the project does not have."""
    out = []
    for v, (old, new) in enumerate(zip(before.voices, voices)):
        have = {(n.onset, n.midi) for n in old.sounding()}
        out += [(v, n.onset, n.end) for n in new.sounding() if (n.onset, n.midi) not in have]
    return out


def _add_waivers(project: "Project", places) -> tuple["Project", list[ImportEdit]]:
    from stretto.edits import Waiver

    words = []
    for p in places:
        if any(isinstance(c, Waiver) and c.rule == p.rule and c.bar == p.bar
               and set(p.voices) <= set(c.voices) for c in project.constraints):
            continue
        cid, project = project.new_id()
        project = replace(project, constraints=project.constraints +
                          (Waiver(cid, p.rule, p.bar, p.voices),))
        words.append(ImportEdit("waiver", p.voices[0], p.bar, f"waive {p.describe()}"))
    return project, words


__all__ = ["FORMATS", "ImportEdit", "ImportResult", "TrackMatch", "copy_path", "differences",
           "import_edits", "match_tracks", "read_edited"]
