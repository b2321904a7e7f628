"""stretto.renderer.verify: the pitch-tracking fidelity check passes on faithful renders and
fails on detuned ones."""

from __future__ import annotations

import pytest
from render_pieces import chorale, duet

from stretto.cli import main
from stretto.renderer.render import render_piece
from stretto.renderer.synth import INSTRUMENTS
from stretto.renderer.verify import score_voice, verify_render


@pytest.mark.parametrize("name", sorted(INSTRUMENTS), ids=sorted(INSTRUMENTS))
def test_every_instrument_renders_the_written_pitches(name):
    render = render_piece(duet(), sr=16_000, instruments=[name, name], progress=False)
    for r in verify_render(render, progress=False):
        assert r.note_accuracy >= 0.99 and r.octave_errors == 0, r
        assert r.frame_accuracy >= 0.95 and r.voicing_recall >= 0.95, r
        assert r.onset_error_ms <= 100, r


def test_chorale_with_default_choir_passes():
    piece = chorale(12)
    render = render_piece(piece, sr=16_000, progress=False)
    assert render.instruments == ["choir"] * 4
    results = verify_render(render, progress=False)
    assert [r.voice for r in results] == ["Soprano", "Alto", "Tenor", "Bass"]
    assert all(r.note_accuracy >= 0.99 for r in results), results


@pytest.mark.parametrize("cents,accuracy,octaves", [
    (25, 1.0, 0), (100, 0.0, 5), (1200, 0.0, 5)],
    ids=["quarter-tone-half-passes", "semitone-fails", "octave-fails-as-octave-error"])
def test_detuned_render(cents, accuracy, octaves):
    render = render_piece(duet(), sr=16_000, instruments=["organ", "organ"],
                          detune_cents=cents, progress=False)
    for r in verify_render(render, progress=False):
        assert r.note_accuracy == accuracy
        assert r.octave_errors == (octaves if cents == 1200 else 0)


def test_score_voice_counts_unvoiced_notes_as_wrong():
    import numpy as np

    track = np.full(200, np.nan)  # two seconds of silence
    r = score_voice("x", track, [(0.0, 1.0, 60), (1.0, 2.0, 62)])
    assert (r.note_accuracy, r.voicing_recall, r.frame_accuracy) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("detune,code", [(0, 0), (100, 1)], ids=["faithful", "detuned"])
def test_cli_verify_exit_code(tmp_path, capsys, detune, code):
    from render_pieces import project

    folder = project(duet(), tmp_path / "p")
    assert main(["render", str(folder), "--verify", "--sample-rate", "16000",
                 "--detune", str(detune), "--instrument", "all=organ"]) == code
    out = capsys.readouterr().out
    assert ("fidelity: ok" in out) == (code == 0)
    assert (folder / "mix.wav").is_file()
