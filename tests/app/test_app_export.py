"""stretto.app.export / ``stretto export``: a species and a harmonize project as DAWproject and
REAPER files with the project's notes, stems rendered when stale and placed on the sample,
written all or nothing and never over a file stretto did not write."""

from __future__ import annotations

import json
import os
import zipfile
from fractions import Fraction as F
from pathlib import Path

import pytest

from stretto.app.export import ExportResult, export
from stretto.cli import main
from stretto.errors import BadInput
from stretto.io.dawproject import read_dawproject, read_dawproject_piece
from stretto.io.reaper import read_reaper_piece
from stretto.io.project import load_piece


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")


@pytest.fixture(scope="module")
def species(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "species"
    assert main(["species", "--cantus-name", "fux-dorian", "--species", "1", "--time-limit",
                 "3", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def chorale(tmp_path_factory) -> Path:
    """The two-phrase tune of support.py harmonized (its analysis has a cadence)."""
    from support import tune_melody

    from stretto.io.midi import write_midi
    from stretto.modes import Mode
    from stretto.score import Piece, Voice

    folder = tmp_path_factory.mktemp("export")
    melody = tune_melody()
    tune = folder / "tune.mid"
    write_midi(Piece(voices=(Voice("Melody", melody.notes, role="melody"),),
                     mode=Mode("ionian", "C"), meter="4/4", tempo=F(100)), tune)
    out = folder / "chorale"
    assert main(["harmonize", str(tune), "--time-limit", "5", "--out", str(out)]) == 0
    return out


def _heard(piece) -> list[list[tuple[int, F, F]]]:
    return [[(n.midi, n.onset, n.duration) for n in v.sounding()] for v in piece.voices]


@pytest.mark.parametrize("fmt, suffix, reader", [
    ("dawproject", ".dawproject", read_dawproject_piece), ("reaper", ".rpp", read_reaper_piece),
], ids=["dawproject", "reaper"])
@pytest.mark.parametrize("which", ["species", "chorale"])
def test_export_holds_the_projects_notes(request, tmp_path, which, fmt, suffix, reader):
    folder = request.getfixturevalue(which)
    out = tmp_path / f"score{suffix}"
    result = export(folder, format=fmt, output=out)
    assert isinstance(result, ExportResult) and result.path == out and out.is_file()
    piece = load_piece(folder)
    back = reader(out)
    assert [v.name for v in back.voices] == [v.name for v in piece.voices]
    assert _heard(back) == _heard(piece)
    assert (back.tempo, back.meter) == (piece.tempo, piece.meter)
    assert result.notes == sum(len(v) for v in _heard(piece)) and result.size == out.stat().st_size


def test_the_cadence_and_the_provenance_go_into_the_dawproject(chorale, tmp_path):
    out = tmp_path / "c.dawproject"
    result = export(chorale, format="dawproject", output=out)
    song = read_dawproject(out)
    cadences = json.loads((chorale / "score.json").read_text())["info"]["harmony"]["cadences"]
    assert cadences, "the tune's harmonization has a cadence"
    for c in cadences:
        assert (F(c["onset"]), f"{c['type']} cadence ({c['key']})") in song.markers
    assert result.markers == len(song.markers)
    assert song.key == "C major" and "notes by the composer" in song.comment


def test_stems_are_rendered_when_stale_and_sit_on_the_sample(species, tmp_path):
    """The stems go in byte for byte; the Alto's first sound starts on the sample of its
    first note (the render's exact timing); a second export reuses them."""
    import io

    import numpy as np
    import soundfile as sf

    out = tmp_path / "s.dawproject"
    first = export(species, format="dawproject", output=out, stems=True, sample_rate=8000)
    assert first.rendered and len(first.stems) == 2
    z = zipfile.ZipFile(out)
    piece = load_piece(species)
    for stem in first.stems:
        assert z.read(f"audio/{stem.name}") == stem.read_bytes()
    audio, sr = sf.read(io.BytesIO(z.read(f"audio/{first.stems[0].name}")))
    onset = piece.voices[0].sounding()[0].onset
    start = round(float(onset * 60 / piece.tempo) * sr)
    assert start == 0 and np.max(np.abs(audio[:40])) > 0  # sounding from sample 0
    song = read_dawproject(out)
    assert [t.name for t in song.tracks if t.kind == "audio"] == \
        [f"{v.name} (stem)" for v in piece.voices]
    again = export(species, format="reaper", output=tmp_path / "s.rpp", stems=True,
                   sample_rate=8000)
    assert not again.rendered and again.stems == first.stems
    text = (tmp_path / "s.rpp").read_text()
    assert f'FILE "{os.path.relpath(first.stems[0], tmp_path)}"' in text
    # a stem older than the score is stale: the next export renders them again
    score_time = (species / "score.json").stat().st_mtime
    os.utime(first.stems[1], (score_time - 5,) * 2)
    assert export(species, format="dawproject", output=out, stems=True,
                  sample_rate=8000).rendered


def test_a_stem_of_a_later_note_starts_on_its_sample(tmp_path):
    """A voice entering after a half-note rest: silent until round(2 * 60 / 160 * sr)."""
    import numpy as np
    import soundfile as sf

    from stretto.io import write_project
    from stretto.modes import Mode
    from stretto.pitch import parse_pitches
    from stretto.score import Piece, make_voice

    upper = make_voice("Soprano", parse_pitches("A4 G4"), [F(4), F(4)], bar_length=F(4))
    lower = make_voice("Bass", parse_pitches("D3 E3"), [F(2), F(4)], start=F(2),
                       bar_length=F(4), id_prefix="b")
    folder = tmp_path / "duet"
    write_project(Piece(voices=(upper, lower), mode=Mode("dorian", "D"), meter="2/2",
                        tempo=F(160)), folder)
    result = export(folder, format="dawproject", output=tmp_path / "d.dawproject", stems=True,
                    sample_rate=8000)
    audio, sr = sf.read(result.stems[1])
    entry = round(2 * 60 / 160 * sr)  # 6000
    assert np.max(np.abs(audio[:entry])) == 0 and np.max(np.abs(audio[entry:entry + 40])) > 0


def test_an_export_is_all_or_nothing(species, tmp_path, monkeypatch):
    out = tmp_path / "a.rpp"
    export(species, format="reaper", output=out)
    before = out.read_bytes()

    def broken(src, dst):
        raise OSError(28, "No space left on device", str(dst))

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        export(species, format="reaper", output=out)
    monkeypatch.undo()
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.rpp"]  # no temporary file left


@pytest.mark.parametrize("content", [b"<REAPER_PROJECT 0.1 \"7.25/win64\" 1\n>\n", b"mine"],
                         ids=["saved-by-reaper", "another-program"])
def test_a_file_stretto_did_not_write_is_never_replaced(species, tmp_path, content):
    out = tmp_path / "mine.rpp"
    out.write_bytes(content)
    with pytest.raises(BadInput, match="not written by stretto"):
        export(species, format="reaper", output=out)
    assert out.read_bytes() == content


@pytest.mark.parametrize("argv, message", [
    (["--format", "wav", "--output", "x.wav"], "unknown --format 'wav': use dawproject or reaper"),
    (["--format", "midi", "--output", "x.mid"], "score.mid and score.musicxml are in the"),
    (["--format", "reaper", "--output", "x.dawproject"], "a reaper file ends in .rpp"),
], ids=["format", "midi", "suffix"])
def test_bad_arguments_exit_2_in_one_line(species, tmp_path, capsys, argv, message):
    argv = [a if not a.startswith("x.") else str(tmp_path / a) for a in argv]
    assert main(["export", str(species), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_the_command_prints_what_it_wrote(species, tmp_path, capsys):
    out = tmp_path / "p.dawproject"
    assert main(["export", str(species), "--format", "dawproject", "--output", str(out),
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["tracks"] == 2 and summary["notes"] == 22 and summary["output"] == str(out)
