"""Into the DAW and back (issue 16): a species and a harmonize project exported to MIDI and
DAWproject, edited by a script the way a DAW saves them (tracks renamed and reordered, PPQ
960 -> 96, a changed tempo, a controller lane, one note transposed), imported with `stretto
import`: the edited note is exactly there and the composer's, the rest is what the same pin
gives (the minimal-change promise), the checker passes. Also: ambiguous tracks exit 2, a
conflict exits 3 writing nothing, --dry-run writes nothing, waive/unwaive and import --waive."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import zipfile
import xml.etree.ElementTree as ET
from fractions import Fraction as F
from pathlib import Path

import mido
import pytest

from stretto.app import pin
from stretto.check import check, hard
from stretto.cli import main
from stretto.edits import Pin, Waiver
from stretto.io.project import load_project


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")


@pytest.fixture(scope="module")
def species_made(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rt") / "species"
    assert main(["species", "--cantus-name", "fux-dorian", "--species", "1", "--time-limit",
                 "3", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def chorale_made(tmp_path_factory) -> Path:
    """The two-phrase tune of support.py harmonized."""
    folder = tmp_path_factory.mktemp("rt")
    tune = _tune_file(folder)
    out = folder / "chorale"
    assert main(["harmonize", str(tune), "--time-limit", "5", "--out", str(out)]) == 0
    return out


def _copy(made: Path, tmp_path: Path, name: str = "p") -> Path:
    out = tmp_path / name
    shutil.copytree(made, out)
    return out


# ---------------------------------------------------------------------------- a DAW's saves


def daw_midi(src: Path, dst: Path, *, transpose: dict[tuple[int, int], int] | None = None,
             names: list[str] | None = None, ppq: int = 96, reverse: bool = True,
             copy_track: tuple[int, int] | None = None) -> None:
    """Save ``src`` as a DAW would: another PPQ, tracks renamed (``Track k``, or ``names``)
    and in reverse order, a tempo of 100, volume and modulation controller events, and
    ``transpose[(voice, k)]`` semitones on the k-th note of a voice (0-based, top down).
    ``copy_track=(a, b)``: voice b's track holds voice a's notes (two tracks alike)."""
    mid = mido.MidiFile(str(src))
    scale = F(ppq, mid.ticks_per_beat)
    tracks = []
    for ti, track in enumerate(mid.tracks):
        now, events = 0, []
        for msg in track:
            now += msg.time
            events.append([int(now * scale), msg])
        tracks.append(events)
    if copy_track:
        a, b = copy_track
        name = next(m for _, m in tracks[b + 1] if m.type == "track_name")
        tracks[b + 1] = [[t, name if m.type == "track_name" else m]
                         for t, m in tracks[a + 1]]
    for (v, k), semis in (transpose or {}).items():
        events = tracks[v + 1]
        ons = [e for e in events if e[1].type == "note_on" and e[1].velocity > 0]
        on = ons[k]
        old = on[1].note
        off = next(e for e in events[events.index(on) + 1:]
                   if e[1].type in ("note_on", "note_off") and e[1].note == old)
        on[1] = on[1].copy(note=old + semis)
        off[1] = off[1].copy(note=old + semis)
    out = mido.MidiFile(type=1, ticks_per_beat=ppq)
    for ti, events in enumerate(tracks):
        if ti == 0:
            events = [[t, m.copy(tempo=600_000) if m.type == "set_tempo" else m]
                      for t, m in events]
        else:
            label = names[ti - 1] if names else f"Track {ti}"
            events = [[t, m.copy(name=label) if m.type == "track_name" else m]
                      for t, m in events]
            channel = next(m.channel for _, m in events if m.type == "note_on")
            events += [[0, mido.Message("control_change", channel=channel, control=7,
                                        value=100)],
                       [ppq // 2, mido.Message("control_change", channel=channel, control=1,
                                               value=64)]]
            events.sort(key=lambda e: (e[0], e[1].type == "end_of_track"))
        track, last = mido.MidiTrack(), 0
        for t, m in events:
            track.append(m.copy(time=t - last))
            last = t
        out.tracks.append(track)
    if reverse:
        out.tracks[1:] = out.tracks[1:][::-1]
    out.save(str(dst))


def daw_dawproject(src: Path, dst: Path, *, transpose: dict[tuple[int, int], int]) -> None:
    """Save a stretto DAWproject as Bitwig would: its Application, tracks renamed and in
    reverse order, tempo 96, a modulation (CC 1) lane in each clip, notes transposed."""
    zin = zipfile.ZipFile(src)
    root = ET.fromstring(zin.read("project.xml"))
    root.find("Application").attrib.update(name="Bitwig Studio", version="5.2")
    root.find("Transport/Tempo").set("value", "96")
    tracks = [t for t in root.iter("Track") if t.get("contentType") == "notes"]
    index = {t.get("id"): k for k, t in enumerate(tracks)}
    structure = root.find("Structure")
    for k, t in enumerate(tracks):
        t.set("name", f"Instrument {k + 1}")
        structure.remove(t)
    for t in tracks:
        structure.insert(0, t)
    for lane in root.iter("Lanes"):
        k = index.get(lane.get("track"))
        if k is None:
            continue
        clip = lane.find("Clips/Clip")
        notes = clip.findall("Notes/Note")
        for (v, i), semis in transpose.items():
            if v == k:
                notes[i].set("key", str(int(notes[i].get("key")) + semis))
        points = ET.SubElement(ET.SubElement(clip, "Lanes", {"id": f"cc{k}"}), "Points",
                               {"id": f"points{k}", "unit": "normalized"})
        ET.SubElement(points, "Target", {"expression": "channelController", "controller": "1",
                                         "channel": "0"})
        for t, value in (("0", "0.2"), ("4", "0.8")):
            ET.SubElement(points, "RealPoint", {"time": t, "value": value})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name in zin.namelist():
            z.writestr(name, ET.tostring(root, encoding="utf-8", xml_declaration=True)
                       if name == "project.xml" else zin.read(name))
    dst.write_bytes(buffer.getvalue())


def daw_reaper(src: Path, dst: Path, *, transpose: dict[tuple[int, int], int]) -> None:
    """Save a stretto .rpp as REAPER would after an edit: tracks renamed, a modulation event
    in each MIDI item, ``transpose[(voice, k)]`` semitones on the k-th note of a voice."""
    lines = src.read_text(encoding="utf-8").splitlines()
    out, voice, k, moved = [], -1, 0, {}
    for line in lines:
        words = line.split()
        if words[:1] == ["<TRACK"]:
            voice, k = voice + 1, 0
        elif words[:1] == ["NAME"] and voice >= 0:
            line = line.replace(words[1], f'"Vox {voice + 1}"')
        elif words[:1] == ["HASDATA"]:
            out.append(line)
            line = line[:len(line) - len(line.lstrip())] + "E 0 b0 01 40"
        elif words[:1] == ["E"] and len(words) == 5 and words[2][0] in "89":
            key = int(words[3], 16)
            if words[2][0] == "9" and words[4] != "00":  # a note-on
                semis = transpose.get((voice, k), 0)
                k += 1
                if semis:
                    moved[key] = semis
            else:  # its note-off, by the old key
                semis = moved.pop(key, 0)
            if semis:
                words[3] = f"{key + semis:02x}"
                line = line[:len(line) - len(line.lstrip())] + " ".join(words)
        out.append(line)
    dst.write_text("\n".join(out) + "\n", encoding="utf-8")


def daw_musicxml(project: Path, dst: Path, *, transpose: dict[tuple[int, int], int]) -> None:
    """The score as a notation program saves it back: parts renamed, a note transposed."""
    from dataclasses import replace

    from stretto.io.midi import spell_in_mode
    from stretto.io.musicxml import write_musicxml

    piece = load_project(project)[0].piece
    voices = []
    for v, voice in enumerate(piece.voices):
        sounding = voice.sounding()
        notes = []
        for n in voice.notes:
            k = next(i for i, s in enumerate(sounding) if s.onset <= n.onset < s.end)
            semis = transpose.get((v, k), 0)
            notes.append(replace(n, pitch=spell_in_mode(n.midi + semis, piece.mode))
                         if semis else n)
        voices.append(replace(voice, name=f"Staff {v + 1}", notes=tuple(notes)))
    write_musicxml(replace(piece, voices=tuple(voices)), dst)


def _exported(project: Path, fmt: str, tmp_path: Path) -> Path:
    if fmt == "midi":
        out = tmp_path / "exported.mid"
        shutil.copyfile(project / "score.mid", out)
    else:
        out = tmp_path / f"exported.{'dawproject' if fmt == 'dawproject' else 'rpp'}"
        assert main(["export", str(project), "--format", fmt, "--output", str(out)]) == 0
    return out


def _edited(project: Path, fmt: str, tmp_path: Path, transpose) -> Path:
    if fmt == "musicxml":
        edited = tmp_path / "from-daw.musicxml"
        daw_musicxml(project, edited, transpose=transpose)
        return edited
    exported = _exported(project, fmt, tmp_path)
    if fmt == "midi":
        edited = tmp_path / "from-daw.mid"
        daw_midi(exported, edited, transpose=transpose)
    elif fmt == "reaper":
        edited = tmp_path / "from-daw.rpp"
        daw_reaper(exported, edited, transpose=transpose)
    else:
        edited = tmp_path / "from-daw.dawproject"
        daw_dawproject(exported, edited, transpose=transpose)
    return edited


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "lock" not in p.name}


def _heard(piece) -> list[list[tuple[F, int]]]:
    return [[(n.onset, n.midi) for n in v.sounding()] for v in piece.voices]


# ---------------------------------------------------------------------------- the round trip


# (kind, voice, note index): a note the solver wrote, moved a step by the "composer"
ROUND_TRIPS = [("species", 0, 5, "midi"), ("species", 0, 5, "dawproject"),
               ("chorale", 2, 1, "midi"), ("chorale", 2, 1, "dawproject"),
               ("species", 0, 5, "reaper"), ("chorale", 2, 1, "musicxml")]


@pytest.mark.parametrize("kind, voice, k, fmt", ROUND_TRIPS,
                         ids=[f"{r[0]}-{r[3]}" for r in ROUND_TRIPS])
def test_an_edit_made_in_a_daw_comes_back_as_the_composers(kind, voice, k, fmt, species_made,
                                                            chorale_made, tmp_path, capsys):
    made = species_made if kind == "species" else chorale_made
    project = _copy(made, tmp_path)
    twin = _copy(made, tmp_path, "twin")  # the same edit as a `stretto pin`
    before, _ = load_project(project)
    old = before.piece.voices[voice].sounding()[k]
    # a step down that the rules can live with: a fifth above the cantus in species 1, a
    # tone in the tenor of the chorale
    semis = -2
    edited = _edited(project, fmt, tmp_path, {(voice, k): semis})
    sha = hashlib.sha256(edited.read_bytes()).hexdigest()
    capsys.readouterr()
    assert main(["import", str(project), str(edited)]) == 0
    said = capsys.readouterr().out
    m = re.search(r"(\d+) of (\d+) notes changed by you, (\d+) re-solved", said)
    assert m, said
    by_you, total, resolved = map(int, m.groups())
    assert by_you == 1 and total == sum(len(v.sounding()) for v in before.piece.voices)

    after, _ = load_project(project)
    note = next(n for n in after.piece.voices[voice].sounding() if n.onset == old.onset)
    assert note.midi == old.midi + semis and note.origin == "human"
    pins = [c for c in after.constraints if isinstance(c, Pin)]
    assert [c.id for c in pins] == [note.source]
    assert pins[0].source == f"import {edited.name} {sha}"
    assert after.history[-1]["action"] == "import" and len(after.history) == \
        len(before.history) + 1
    # the minimal-change promise: exactly what the same pin re-solves to with the fewest
    # changes (no budget for preferences)
    bar, beat = before.piece.bar_beat(old.onset)
    done = pin(twin, voice=voice + 1, bar=bar, beat=beat, pitch=note.pitch.name, budget=0)
    assert _heard(after.piece) == _heard(load_project(twin)[0].piece)
    assert resolved == done.notes_changed - 1
    assert hard(check(after.piece)) == []
    assert main(["check", str(project / "score.json")]) == 0
    # a fresh copy for the DAW beside the edited file, with the project's notes
    copy = edited.with_name(f"from-daw.stretto{edited.suffix}")
    if fmt == "midi":
        from stretto.io.midi import read_midi as read
    elif fmt == "reaper":
        from stretto.io.reaper import read_reaper_piece as read
    elif fmt == "musicxml":
        from stretto.io.musicxml_read import read_musicxml as read
    else:
        from stretto.io.dawproject import read_dawproject_piece as read
    assert [[(n.onset, n.midi) for n in v.sounding()] for v in read(copy).voices] == \
        _heard(after.piece)
    assert after.history[-1]["wrote"] == {
        "file": copy.name, "sha256": hashlib.sha256(copy.read_bytes()).hexdigest()}


def test_the_copy_for_the_daw_never_replaces_a_file_of_yours(species_made, tmp_path, capsys):
    project = _copy(species_made, tmp_path)
    saved = _files(project)
    edited = _edited(project, "midi", tmp_path, {(0, 5): -2})
    yours = tmp_path / "from-daw.stretto.mid"
    yours.write_bytes(b"MThd yours")
    capsys.readouterr()
    assert main(["import", str(project), str(edited)]) == 2
    assert "is not a copy stretto wrote" in capsys.readouterr().err
    assert yours.read_bytes() == b"MThd yours" and _files(project) == saved
    yours.unlink()
    assert main(["import", str(project), str(edited)]) == 0
    # one history step: one undo puts the score files back byte for byte
    scores = {k: v for k, v in saved.items() if k.startswith("score.")}
    assert main(["undo", str(project)]) == 0
    assert {k: v for k, v in _files(project).items() if k.startswith("score.")} == scores
    assert main(["redo", str(project)]) == 0
    # the next round: the copy opened in the DAW, the note moved again, saved over your file;
    # the copy stretto wrote (its bytes as recorded) is replaced
    copy = tmp_path / "from-daw.stretto.mid"
    first = copy.read_bytes()
    daw_midi(copy, edited, transpose={(0, 5): 2})
    assert main(["import", str(project), str(edited)]) == 0
    assert copy.read_bytes() != first
    assert load_project(project)[0].history[-1]["wrote"]["sha256"] == \
        hashlib.sha256(copy.read_bytes()).hexdigest()


def test_tracks_the_import_cannot_tell_apart_exit_2_naming_them(species_made, tmp_path,
                                                                capsys):
    project = _copy(species_made, tmp_path)
    saved = _files(project)
    same_name = tmp_path / "same.mid"
    daw_midi(project / "score.mid", same_name, names=["Soprano", "Soprano"])
    capsys.readouterr()
    assert main(["import", str(project), str(same_name)]) == 2
    err = capsys.readouterr().err
    assert "tracks 'Soprano' and 'Soprano' are both named as voice 1" in err
    alike = tmp_path / "alike.mid"
    daw_midi(project / "score.mid", alike, copy_track=(0, 1), names=["Lead", "Pad"])
    assert main(["import", str(project), str(alike)]) == 2
    err = capsys.readouterr().err
    assert "lie in the same register" in err and "'Lead'" in err and "'Pad'" in err
    assert err.count("\n") == 1
    extra = tmp_path / "extra.mid"
    daw_midi(project / "score.mid", extra)
    mid = mido.MidiFile(str(extra))
    mid.tracks.append(mid.tracks[1])
    mid.save(str(extra))
    assert main(["import", str(project), str(extra)]) == 2
    assert "3 note tracks" in capsys.readouterr().err
    assert _files(project) == saved


def test_a_conflict_exits_3_and_writes_nothing(species_made, tmp_path, capsys):
    project = _copy(species_made, tmp_path)
    saved = _files(project)
    piece = load_project(project)[0].piece
    # bar 6 of the counterpoint a seventh above the cantus: no score keeps that
    cantus = piece.voices[1].sounding()[5]
    k_semis = cantus.midi + 10 - piece.voices[0].sounding()[5].midi
    edited = tmp_path / "seventh.mid"
    daw_midi(project / "score.mid", edited, transpose={(0, 5): k_semis})
    capsys.readouterr()
    assert main(["import", str(project), str(edited)]) == 3
    err = capsys.readouterr().err
    assert "No score satisfies all of: your pin voice 1 bar 6 =" in err
    assert "rule consonance in bar 6 (voices 1 and 2)" in err
    assert f"stretto waive {project} --rule consonance --bar 6 --voices 1,2" in err
    assert _files(project) == saved
    assert not list(tmp_path.glob("*.stretto.*"))


def test_dry_run_lists_the_edits_and_writes_nothing(chorale_made, tmp_path, capsys):
    project = _copy(chorale_made, tmp_path)
    saved = _files(project)
    edited = _edited(project, "dawproject", tmp_path, {(2, 1): -2, (3, 2): 12})
    capsys.readouterr()
    assert main(["import", str(project), str(edited), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would pin: voice 3 (Tenor) bar 1 beat 2" in out
    assert "would pin: voice 4 (Bass) bar 1 beat 3" in out
    assert "2 of 48 notes changed by you; nothing was written" in out
    assert "not imported: the file's tempo 96 (the project keeps 100)" in out
    assert main(["import", str(project), str(edited), "--dry-run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dry_run"] and report["notes_by_you"] == 2 and report["daw_copy"] is None
    assert [(m["track"], m["voice"], m["by"]) for m in report["matches"]] == \
        [(f"Instrument {k}", k, "register") for k in (1, 2, 3, 4)]
    assert [e["kind"] for e in report["edits"]] == ["pin", "pin"]
    assert _files(project) == saved
    assert not list(tmp_path.glob("*.stretto.*"))


def _parallel_fifths(project: Path, tmp_path: Path) -> Path:
    """The counterpoint a fifth above the cantus in bars 5 and 6: parallel fifths on
    purpose (both notes the composer's, so no other note can avoid them)."""
    piece = load_project(project)[0].piece
    top, cantus = piece.voices[0].sounding(), piece.voices[1].sounding()
    edited = tmp_path / "fifths.mid"
    daw_midi(project / "score.mid", edited, transpose={
        (0, k): cantus[k].midi + 7 - top[k].midi for k in (4, 5)})
    return edited


def test_import_waive_keeps_a_parallel_fifth_written_on_purpose(species_made, tmp_path,
                                                                 capsys):
    project = _copy(species_made, tmp_path)
    edited = _parallel_fifths(project, tmp_path)
    capsys.readouterr()
    assert main(["import", str(project), str(edited)]) == 3
    err = capsys.readouterr().err
    assert f"`stretto waive {project} --rule parallel-perfect --bar 6 --voices 1,2`" in err
    assert "--waive" in err
    assert main(["import", str(project), str(edited), "--waive"]) == 0
    out = capsys.readouterr().out
    assert "waiver: waive rule parallel-perfect in bar 6 (voices 1 and 2)" in out
    after, _ = load_project(project)
    assert [(c.rule, c.bar, c.voices) for c in after.constraints if isinstance(c, Waiver)] \
        == [("parallel-perfect", 6, (0, 1))]
    assert [(v.rule, v.bar) for v in hard(check(after.piece))] == [("parallel-perfect", 6)]
    assert main(["check", str(project / "score.json"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["hard"] == 0 and [w["rule"] for w in report["waived"]] == ["parallel-perfect"]
    # the composer's notes still make the fifths: the waiver cannot go
    assert main(["unwaive", str(project), "--rule", "parallel-perfect", "--bar", "6"]) == 3


def test_waive_and_unwaive_are_the_composers_decisions(species_made, tmp_path, capsys):
    from stretto.provenance import shares

    project = _copy(species_made, tmp_path)
    before = shares(load_project(project)[0])["total"]["human_decisions"]
    assert main(["waive", str(project), "--rule", "parallel-perfect", "--bar", "6",
                 "--voices", "1,2"]) == 0
    after, _ = load_project(project)
    assert after.history[-1]["action"] == "waive" and after.history[-1]["by"] == "composer"
    assert shares(after)["total"]["human_decisions"] == before + 1
    # now the pins that make the fifths hold, and the checker calls them waived
    from stretto.io.midi import spell_in_mode

    cantus = after.piece.voices[1].sounding()
    for bar in (5, 6):
        fifth = spell_in_mode(cantus[bar - 1].midi + 7, after.piece.mode)
        pin(project, voice=1, bar=bar, pitch=fifth.name)
    capsys.readouterr()
    assert main(["check", str(project / "score.json")]) == 0
    assert "[waived] parallel-perfect bar 6" in capsys.readouterr().out
    from stretto.app.view import build_view  # the studio shows it as waived too

    view = build_view(*load_project(project))
    assert [(v.rule, v.severity) for v in view.violations if v.severity != "soft"] == \
        [("parallel-perfect", "waived")]
    assert main(["waive", str(project), "--rule", "parallel-perfect", "--bar", "6",
                 "--voices", "1,2"]) == 2  # already
    assert main(["unwaive", str(project), "--rule", "parallel-perfect", "--bar", "6"]) == 3
    assert main(["unpin", str(project), "--voice", "1", "--bar", "5"]) == 0
    assert main(["unwaive", str(project), "--rule", "parallel-perfect", "--bar", "6"]) == 0
    final, _ = load_project(project)
    assert not any(isinstance(c, Waiver) for c in final.constraints)
    assert hard(check(final.piece)) == []


@pytest.mark.parametrize("args, message", [
    (["--rule", "parallel", "--bar", "6", "--voices", "1,2"], "unknown rule 'parallel'"),
    (["--rule", "contrary-motion", "--bar", "6", "--voices", "1,2"], "is a preference"),
    (["--rule", "parallel-perfect", "--bar", "60", "--voices", "1,2"], "outside the piece"),
    (["--rule", "parallel-perfect", "--bar", "6", "--voices", "1,3"], "voice 3 is outside"),
], ids=["unknown", "soft", "bar", "voice"])
def test_a_waiver_that_cannot_be_exits_2(species_made, tmp_path, capsys, args, message):
    project = _copy(species_made, tmp_path)
    saved = _files(project)
    capsys.readouterr()
    assert main(["waive", str(project), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert _files(project) == saved


def test_edits_a_kind_cannot_take_exit_2_naming_the_first(species_made, chorale_made,
                                                          tmp_path, capsys):
    species = _copy(species_made, tmp_path, "s")
    moved = tmp_path / "moved.mid"
    mid = mido.MidiFile(str(species / "score.mid"))
    # the counterpoint's third note starts a half note late: species 1 fixes the rhythm
    track = mid.tracks[1]
    ons = [i for i, m in enumerate(track) if m.type == "note_on" and m.velocity > 0]
    track[ons[2]].time += mid.ticks_per_beat * 2
    track[ons[2] + 1].time -= mid.ticks_per_beat * 2
    mid.save(str(moved))
    capsys.readouterr()
    assert main(["import", str(species), str(moved)]) == 2
    err = capsys.readouterr().err
    assert "voice 1 (Soprano) bar 3: no note begins there any more" in err
    assert "species 1 fixes the rhythm" in err
    chorale = _copy(chorale_made, tmp_path, "c")
    melody = tmp_path / "melody.dawproject"
    daw_dawproject(_exported(chorale, "dawproject", tmp_path), melody,
                   transpose={(0, 3): 2})
    assert main(["import", str(chorale), str(melody)]) == 2
    err = capsys.readouterr().err
    assert "voice 1 (Soprano) bar 1 beat 4: D5 -> E5" in err and "never changes" in err
    assert main(["waive", str(chorale), "--rule", "chord-tones", "--bar", "2",
                 "--voices", "1,2"]) == 2
    assert "rule chord-tones cannot be waived on a harmonization" in capsys.readouterr().err


def test_a_harmonization_keeps_parallel_octaves_written_on_purpose(chorale_made, tmp_path,
                                                                   capsys):
    """The bass moved to E3 and D3 under the melody's E5 D5: parallel octaves with the
    soprano, which the chorale model (and its exact chain pass) would never write."""
    project = _copy(chorale_made, tmp_path)
    piece = load_project(project)[0].piece
    soprano, bass = piece.voices[0].sounding(), piece.voices[3].sounding()
    edited = tmp_path / "octaves.dawproject"
    daw_dawproject(_exported(project, "dawproject", tmp_path), edited, transpose={
        (3, k): soprano[k].midi - 24 - bass[k].midi for k in (0, 1)})
    saved = _files(project)
    capsys.readouterr()
    assert main(["import", str(project), str(edited)]) == 3
    err = capsys.readouterr().err
    assert f"`stretto waive {project} --rule parallel-perfect --bar 1 --voices 1,4`" in err
    assert _files(project) == saved
    assert main(["import", str(project), str(edited), "--waive"]) == 0
    after, _ = load_project(project)
    assert [n.midi for n in after.piece.voices[3].sounding()[:2]] == \
        [soprano[0].midi - 24, soprano[1].midi - 24]
    assert [(v.rule, v.bar) for v in hard(check(after.piece))] == [("parallel-perfect", 1)]
    capsys.readouterr()
    assert main(["check", str(project / "score.json")]) == 0
    assert "[waived] parallel-perfect bar 1 beat 2 (Soprano, Bass)" in capsys.readouterr().out
    assert main(["unwaive", str(project), "--rule", "parallel-perfect", "--bar", "1"]) == 3


@pytest.fixture(scope="module")
def fourth_species(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rt") / "fourth"
    assert main(["species", "--cantus-name", "fux-dorian", "--species", "4", "--time-limit",
                 "5", "--out", str(out)]) == 0
    return out


def test_a_rewritten_fourth_species_rhythm_becomes_a_locked_human_voice(fourth_species,
                                                                       tmp_path, capsys):
    """A syncopation broken in the DAW (the tied note split into two halves, the second a
    step higher): fourth species can take the rhythm, so the voice is locked as it came."""
    project = _copy(fourth_species, tmp_path)
    piece = load_project(project)[0].piece
    tied = next(n for n in piece.voices[0].sounding()[3:] if n.duration == 4)
    mid = mido.MidiFile(str(project / "score.mid"))
    tpq = mid.ticks_per_beat
    now, events = 0, []
    for msg in mid.tracks[1]:
        now += msg.time
        events.append([now, msg])
    half = int((tied.onset + 2) * tpq)
    off = next(e for e in events if e[0] == int(tied.end * tpq) and e[1].type == "note_off"
               and e[1].note == tied.midi)
    channel = off[1].channel
    off[0] = half
    events += [[half, mido.Message("note_on", channel=channel, note=tied.midi + 2,
                                   velocity=80)],
               [int(tied.end * tpq), mido.Message("note_off", channel=channel,
                                                  note=tied.midi + 2, velocity=0)]]
    events.sort(key=lambda e: (e[0], e[1].type == "end_of_track", e[1].type == "note_on"))
    track, last = mido.MidiTrack(), 0
    for t, msg in events:
        track.append(msg.copy(time=t - last))
        last = t
    mid.tracks[1] = track
    edited = tmp_path / "broken.mid"
    mid.save(str(edited))
    capsys.readouterr()
    assert main(["import", str(project), str(edited), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would lock: voice 1 (Soprano) locked with its new rhythm" in out
    assert main(["import", str(project), str(edited), "--waive"]) == 0
    after, _ = load_project(project)
    wanted = [(n.onset, n.duration, n.midi) for n in piece.voices[0].sounding()
              if n.onset != tied.onset] + [(tied.onset, F(2), tied.midi),
                                           (tied.onset + 2, F(2), tied.midi + 2)]
    got = after.piece.voices[0].sounding()
    assert [(n.onset, n.duration, n.midi) for n in got] == sorted(wanted)
    assert {n.origin for n in got} == {"human"}
    lock = next(c for c in after.constraints if c.kind == "lock")
    assert lock.source.startswith("import broken.mid ")
    # the checker passes but for what a waiver covers (exit 0: no hard violation left)
    assert main(["check", str(project / "score.json")]) == 0


def test_a_file_with_the_projects_notes_imports_nothing(species_made, tmp_path, capsys):
    project = _copy(species_made, tmp_path)
    saved = _files(project)
    untouched = tmp_path / "untouched.mid"
    daw_midi(project / "score.mid", untouched)  # renamed, reordered, PPQ 96: same notes
    capsys.readouterr()
    assert main(["import", str(project), str(untouched)]) == 0
    assert "nothing to import, nothing written" in capsys.readouterr().out
    assert _files(project) == saved and not list(tmp_path.glob("*.stretto.*"))


def test_a_melodys_grace_notes_as_score_mid_plays_them_are_no_edit(tmp_path, capsys):
    """score.mid plays a grace note on the beat and its main note after it: read back, that
    is the melody as given, not a rewritten rhythm."""
    from support import tune_melody

    from stretto.io.musicxml import write_musicxml
    from stretto.modes import Mode
    from stretto.pitch import Pitch
    from stretto.score import Note, Piece, Voice

    grace = Note(id="g0", pitch=Pitch.parse("F5"), onset=F(1), duration=F(1, 2),
                 origin="human", grace="acciaccatura")
    tune = tmp_path / "tune.musicxml"
    write_musicxml(Piece(voices=(Voice("Melody", tune_melody().notes, role="melody",
                                       graces=(grace,)),),
                         mode=Mode("ionian", "C"), meter="4/4", tempo=F(100)), tune)
    project = tmp_path / "graced"
    assert main(["harmonize", str(tune), "--time-limit", "5", "--out", str(project)]) == 0
    assert load_project(project)[0].piece.voices[0].graces
    edited = tmp_path / "graced.mid"
    daw_midi(project / "score.mid", edited, transpose={(2, 1): -2})
    capsys.readouterr()
    assert main(["import", str(project), str(edited), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would pin: voice 3 (Tenor) bar 1 beat 2" in out and "1 edits" in out
    assert main(["import", str(project), str(edited)]) == 0
    after = load_project(project)[0].piece
    assert [g.midi for g in after.voices[0].graces] == [grace.midi]


def test_a_type_0_file_is_read_by_channel_and_matched_by_register(chorale_made, tmp_path,
                                                                   capsys):
    """Some DAWs export one track with a channel per voice (type 0): no track names at all."""
    project = _copy(chorale_made, tmp_path)
    daw = tmp_path / "daw.mid"
    daw_midi(project / "score.mid", daw, transpose={(2, 1): -2}, reverse=False)
    typed = mido.MidiFile(str(daw))
    merged = mido.MidiFile(type=0, ticks_per_beat=typed.ticks_per_beat)
    merged.tracks.append(mido.merge_tracks(typed.tracks))
    edited = tmp_path / "type0.mid"
    merged.save(str(edited))
    capsys.readouterr()
    assert main(["import", str(project), str(edited), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "track 'Voice 4' is voice 4 (by register)" in out
    assert "would pin: voice 3 (Tenor) bar 1 beat 2" in out and "1 edits" in out


def test_tracks_keeping_their_names_match_by_name_in_any_order(species_made, tmp_path,
                                                               capsys):
    project = _copy(species_made, tmp_path)
    edited = tmp_path / "named.mid"
    daw_midi(project / "score.mid", edited, transpose={(0, 5): -2},
             names=[" soprano", "ALTO "])  # the file lists Alto first
    capsys.readouterr()
    assert main(["import", str(project), str(edited), "--dry-run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(m["track"], m["voice"], m["by"]) for m in report["matches"]] == \
        [(" soprano", 1, "name"), ("ALTO ", 2, "name")]
    assert [e["what"][:25] for e in report["edits"]] == ["voice 1 (Soprano) bar 6: "]


def test_a_note_between_the_chords_is_not_pinned(tmp_path, capsys):
    """In a harmonization with rhythms of its own (--rhythm free) a passing note sits
    between the chord slots: a pin would hold the chord's note, so the import refuses it."""
    tune = _tune_file(tmp_path)
    project = tmp_path / "free"
    if main(["harmonize", str(tune), "--rhythm", "free", "--time-limit", "5", "--out",
             str(project)]) != 0:
        pytest.skip("harmonize --rhythm free is not available")
    piece = load_project(project)[0].piece
    slots = {n.onset for n in piece.voices[0].sounding()}
    between = [(v, k) for v in (1, 2, 3) for k, n in enumerate(piece.voices[v].sounding())
               if n.onset not in slots]
    if not between:
        pytest.skip("this solve wrote no note between the chords")
    v, k = between[0]
    edited = tmp_path / "passing.mid"
    daw_midi(project / "score.mid", edited, transpose={(v, k): 1})
    saved = _files(project)
    capsys.readouterr()
    assert main(["import", str(project), str(edited)]) == 2
    assert "lies between the chords" in capsys.readouterr().err
    assert _files(project) == saved


def _tune_file(folder: Path) -> Path:
    """The two-phrase tune of support.py as a MIDI melody to harmonize."""
    from support import tune_melody

    from stretto.io.midi import write_midi
    from stretto.modes import Mode
    from stretto.score import Piece, Voice

    out = folder / "melody.mid"
    write_midi(Piece(voices=(Voice("Melody", tune_melody().notes, role="melody"),),
                     mode=Mode("ionian", "C"), meter="4/4", tempo=F(100)), out)
    return out
