"""``stretto render``: the files it writes, and bad input -> exit 2 with nothing written."""

from __future__ import annotations

import json

import pytest
import soundfile as sf
from render_pieces import duet, project

import stretto.io.project
import stretto.renderer.render
from stretto.cli import main


def _listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_render_writes_stems_and_mix(tmp_path, capsys):
    folder = project(duet(), tmp_path / "p")
    assert main(["render", str(folder), "--sample-rate", "16000", "--tempo", "120",
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["instruments"] == {"Soprano": "choir", "Voice 2": "organ"}
    assert summary["tempo"] == "120" and summary["sample_rate"] == 16000
    assert summary["seconds"] == pytest.approx(16 * 60 / 120 + 0.5)
    assert "stems/01-Soprano.wav" in _listing(folder) and "stems/02-Voice_2.wav" in \
        _listing(folder)
    assert sf.info(folder / "mix.wav").duration == pytest.approx(summary["seconds"])


def test_rerender_replaces_stems_of_renamed_voices(tmp_path):
    from dataclasses import replace

    piece = duet()
    folder = project(piece, tmp_path / "p")
    assert main(["render", str(folder), "--sample-rate", "8000"]) == 0
    renamed = replace(piece, voices=(replace(piece.voices[0], name="Alto"), piece.voices[1]))
    project(renamed, folder)
    assert main(["render", str(folder), "--sample-rate", "8000"]) == 0
    assert sorted(p.name for p in (folder / "stems").iterdir()) == ["01-Alto.wav",
                                                                    "02-Voice_2.wav"]


@pytest.mark.parametrize("extra,needle", [
    (["--instrument", "Soprano=kazoo"], "unknown instrument 'kazoo'"),
    (["--instrument", "Tenor=organ"], "no voice 'Tenor'"),
    (["--soundfont", "MISSING.sf2"], "cannot read SoundFont"),
    (["--soundfont", "TEXT"], "is not a SoundFont"),
    (["--tempo", "fast"], "cannot read --tempo"),
    (["--sample-rate", "100"], "sample rate 100 Hz is out of range"),
], ids=["instrument", "voice", "soundfont-missing", "soundfont-not-sf2", "tempo",
        "sample-rate"])
def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, extra, needle):
    folder = project(duet(), tmp_path / "p")
    (tmp_path / "TEXT").write_text("not a soundfont\n")
    extra = [str(tmp_path / a) if a in ("MISSING.sf2", "TEXT") else a for a in extra]
    before = _listing(folder)
    assert main(["render", str(folder), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("stretto: ") and needle in err and "\n" not in err
    assert _listing(folder) == before
    assert not list(tmp_path.glob(".*tmp-*"))


@pytest.mark.parametrize("target,needle", [
    ("nowhere", "no such project folder"), ("empty", "has no score.json"),
    ("file", "is a file, not a project folder"),
], ids=["missing", "no-score", "file"])
def test_missing_project_exits_2(tmp_path, capsys, target, needle):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("x")
    assert main(["render", str(tmp_path / target)]) == 2
    assert needle in capsys.readouterr().err
    assert not (tmp_path / "empty" / "stems").exists()


def test_failure_while_writing_leaves_no_partial_wav(tmp_path, monkeypatch):
    """A write that fails on the second stem leaves neither stems, mix nor temp folders."""
    import soundfile

    folder = project(duet(), tmp_path / "p")
    before = _listing(folder)
    calls = []
    real = soundfile.write

    def flaky(path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(soundfile, "write", flaky)
    piece = stretto.io.project.load_piece(folder)
    render = stretto.renderer.render.render_piece(piece, sr=8000, progress=False)
    with pytest.raises(OSError, match="disk full"):
        stretto.renderer.render.write_render(render, folder)
    assert _listing(folder) == before
    assert not list(tmp_path.glob(".*tmp-*"))


def test_soundfont_render_when_available(tmp_path, capsys):
    pytest.importorskip("tinysoundfont")
    from stretto.renderer.soundfont import shipped_soundfont

    font = shipped_soundfont()
    if font is None:
        pytest.skip("pretty_midi's TimGM6mb.sf2 is not installed")
    folder = project(duet(), tmp_path / "p")
    assert main(["render", str(folder), "--soundfont", str(font), "--sample-rate", "16000",
                 "--instrument", "all=choir", "--verify", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["fidelity_ok"] and len(summary["fidelity"]) == 2


