"""stretto.io.engrave: score.pdf (LilyPond) and score.svg (Verovio) with every note id."""

from __future__ import annotations

import json
import re

import pytest
from io_pieces import d_dorian_duo, g_dorian_trio, many_voices

import stretto.io.engrave
from stretto.cli import main
from stretto.io import write_project
from stretto.io.engrave import engrave_project, pdf_pages, svg_note_ids
from stretto.io.musicxml import musicxml_bytes


def _xml_note_ids(piece):
    return re.findall(r'<note id="([^"]+)"', musicxml_bytes(piece).decode())


@pytest.mark.parametrize("make", [g_dorian_trio, d_dorian_duo, lambda: many_voices(6)],
                         ids=["trio-ties-lyrics", "duo-ficta", "six-voices"])
def test_engrave_writes_pdf_and_svg_with_every_note_id(tmp_path, make):
    piece = make()
    write_project(piece, tmp_path / "p")
    result = engrave_project(tmp_path / "p")
    pdf = (tmp_path / "p" / "score.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert result["pages"] == pdf_pages(pdf) >= 1
    svg = (tmp_path / "p" / "score.svg").read_text()
    ids = _xml_note_ids(piece)  # the model's ids, plus {id}-1 for notes split at barlines
    assert {n.id for v in piece.voices for n in v.notes} <= set(ids)
    assert sorted(svg_note_ids(svg)) == sorted(ids)  # each note drawn once, with its id
    assert result["svg_notes"] == len(ids) == result["ids"]
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [
        "score.json", "score.mid", "score.musicxml", "score.pdf", "score.svg"]
    assert not list(tmp_path.glob(".*tmp-*"))


def test_longer_score_gets_more_pages(tmp_path):
    from dataclasses import replace
    from fractions import Fraction as F

    from stretto.pitch import parse_pitches
    from stretto.score import make_voice

    long_line = make_voice("Alto", parse_pitches("D4 E4 F4 G4 A4 G4 F4 E4") * 100,
                           [F(1)] * 800, bar_length=F(4))
    piece = replace(d_dorian_duo(), voices=(long_line,), meter="4/4")
    write_project(piece, tmp_path / "long")
    assert engrave_project(tmp_path / "long", formats=["pdf"])["pages"] >= 2


@pytest.mark.parametrize("fmt,files", [("svg", ["score.svg"]), ("pdf", ["score.pdf"])],
                         ids=["svg", "pdf"])
def test_cli_engrave_one_format(tmp_path, capsys, fmt, files):
    write_project(d_dorian_duo(), tmp_path / "p")
    assert main(["engrave", str(tmp_path / "p"), "--format", fmt, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary[fmt].endswith(files[0])
    assert sorted(p.name for p in (tmp_path / "p").iterdir() if p.name.startswith(
        "score.") and p.suffix in (".pdf", ".svg")) == files


def test_cli_engrave_missing_project_exits_2(tmp_path, capsys):
    assert main(["engrave", str(tmp_path / "nope")]) == 2
    assert "no such project folder" in capsys.readouterr().err


def test_failed_lilypond_leaves_no_svg_or_pdf(tmp_path, monkeypatch, capsys):
    write_project(d_dorian_duo(), tmp_path / "p")

    def broken(xml, folder):
        raise stretto.io.engrave.EngraveError("LilyPond failed (exit 1): boom")

    monkeypatch.setattr(stretto.io.engrave, "render_pdf", broken)
    assert main(["engrave", str(tmp_path / "p")]) == 1
    assert "LilyPond failed" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [
        "score.json", "score.mid", "score.musicxml"]
    assert not list(tmp_path.glob(".*tmp-*"))
