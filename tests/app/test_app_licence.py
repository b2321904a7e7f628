"""Licences carried from the inputs to every output: a harmonization of an Essen folk song
(music21 corpus, non-commercial terms) states its licence in score.mid, score.musicxml, the
stems and mix, and the PDF; `--for commercial` is refused naming the melody; `stretto
licence` explains why."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mido
import pytest

from stretto.app.licence import check_use, licence_line, licence_metadata, licence_of
from stretto.cli import main
from stretto.errors import BadInput

TUNE = "corpus:essenFolksong/erk10#176"
NAME = "essenFolksong/erk10#176"


@pytest.fixture(scope="module")
def tune(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("licence") / "tune"
    assert main(["harmonize", TUNE, "--out", str(out), "--time-limit", "10"]) == 0
    assert main(["render", str(out), "--tempo", "480", "--for", "non-commercial"]) == 0
    return out


def test_project_records_the_melody_and_its_licence(tune):
    data = json.loads((tune / "score.json").read_text())
    (melody,) = data["project"]["inputs"]
    assert melody["role"] == "melody" and melody["title"] == NAME
    assert melody["licence"]["id"] == "LicenseRef-EsAC-NonCommercial"
    assert melody["licence"]["uses"] == ["educational", "non-commercial"]


def test_report_intersects_and_explains(tune):
    report = licence_of(tune)
    assert report.recorded and report.score.uses == {"educational", "non-commercial"}
    assert [i.title for i in report.score.forbidding("commercial")] == [NAME]
    assert report.audio.uses == report.score.uses  # the built-in synthesis adds nothing
    assert report.rendered == report.audio.line()  # what mix.wav states
    neural = licence_of(tune, engine="neural")
    assert {i.role for i in neural.render_inputs} == {"neural checkpoint", "training data"}
    assert neural.audio.uses == {"educational", "non-commercial"}


def test_every_file_states_the_licence(tune):
    line = licence_line(tune)
    assert line.startswith("Licence: educational and non-commercial use only (the melody "
                           f"{NAME} is under LicenseRef-EsAC-NonCommercial)")
    assert "Essen Folksong Collection" in line  # the credit
    midi = mido.MidiFile(tune / "score.mid")
    assert [m.text for m in midi.tracks[0] if m.type == "copyright"] == [line]
    from stretto.renderer.wavinfo import has_bext, read_wav_tags

    wavs = [tune / "mix.wav", *sorted((tune / "stems").glob("*.wav"))]
    assert len(wavs) == 5
    for wav in wavs:
        tags = read_wav_tags(wav)
        assert tags.copyright == line, wav.name
        assert "Essen Folksong Collection" in tags.comment and has_bext(wav)
        assert "engine=synth" in tags.software


SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "schemas"


def test_musicxml_carries_rights(tune):
    from lxml import etree

    doc = etree.parse(str(tune / "score.musicxml"))
    rights = doc.getroot().findall("identification/rights")
    assert [r.text for r in rights] == [licence_line(tune)]
    xsd = SCHEMAS / "musicxml" / "musicxml.xsd"
    if not xsd.is_file():
        pytest.skip(f"the MusicXML 4.0 XSD is not at {xsd} (../shared is absent)")
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    assert schema.validate(doc), schema.error_log.last_error


def test_commercial_render_is_refused_naming_the_melody(tune, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(tune, copy)
    for p in [copy / "mix.wav", *copy.glob("stems/*.wav")]:
        p.unlink()
    assert main(["render", str(copy), "--for", "commercial"]) == 2
    err = capsys.readouterr().err
    assert f"not cleared for commercial use: the melody {NAME}" in err
    assert "LicenseRef-EsAC-NonCommercial" in err
    assert not (copy / "mix.wav").exists() and not list(copy.glob("stems/*.wav"))
    with pytest.raises(BadInput, match=NAME):
        check_use(tune, use="commercial")


def test_licence_command_explains(tune, capsys):
    assert main(["licence", str(tune)]) == 0
    out = capsys.readouterr().out
    assert "the score may be used for: educational, non-commercial (not commercial)" in out
    assert f"not for commercial use because the melody {NAME}" in out
    assert "credits to carry: Essen Folksong Collection" in out
    assert main(["licence", str(tune), "--for", "commercial"]) == 2
    capsys.readouterr()
    assert main(["licence", str(tune), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["score"]["uses"] == ["educational", "non-commercial"]


def test_metadata_for_other_exporters(tune):
    meta = licence_metadata(tune)
    assert meta["uses"] == ["educational", "non-commercial"]
    assert meta["licences"] == ["LicenseRef-EsAC-NonCommercial", "MIT"]
    assert meta["limited_by"] == [f"the melody {NAME} (LicenseRef-EsAC-NonCommercial)"]


def test_pdf_states_the_licence(tune, tmp_path):
    pytest.importorskip("lilypond")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is needed to read the PDF's text")
    import subprocess

    copy = tmp_path / "pdf"
    shutil.copytree(tune, copy)
    assert main(["engrave", str(copy), "--format", "pdf"]) == 0
    text = subprocess.run(["pdftotext", str(copy / "score.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    words = " ".join(text.split())
    assert "educational and non-commercial use only" in words
    assert "Seymour Schlien), non-commercial use only." in words  # wrapped, not cut off


def test_user_melody_takes_the_given_licence(tmp_path, capsys):
    from music21 import corpus

    melody = tmp_path / "mine.musicxml"
    corpus.parse("essenFolksong/erk10", number=176).write("musicxml", fp=str(melody))
    out = tmp_path / "mine"
    assert main(["harmonize", str(melody), "--out", str(out), "--licence", "CC-BY-NC-4.0",
                 "--time-limit", "10"]) == 0
    report = licence_of(out)
    assert report.inputs[0].licence.id == "CC-BY-NC-4.0"
    assert report.inputs[0].source == "given by you (mine.musicxml)"
    assert main(["harmonize", TUNE, "--out", str(tmp_path / "x"), "--licence", "MIT"]) == 2
    assert "--licence is for your own files" in capsys.readouterr().err


def test_species_on_a_shipped_cantus_is_public_domain(tmp_path):
    out = tmp_path / "sp"
    assert main(["species", "--cantus-name", "fux-dorian", "--out", str(out),
                 "--time-limit", "5"]) == 0
    report = licence_of(out)
    assert report.inputs[0].licence.id == "LicenseRef-PublicDomain"
    assert report.score.uses == {"commercial", "educational", "non-commercial"}
    check_use(out, use="commercial")  # cleared: no error


def test_daw_exports_carry_the_licence_and_refuse_commercial_use(tune, tmp_path, capsys):
    import zipfile

    from lxml import etree

    line = licence_line(tune)
    out = tmp_path / "tune.dawproject"
    assert main(["export", str(tune), "--format", "dawproject", "--output", str(out),
                 "--for", "educational"]) == 0
    meta = zipfile.ZipFile(out).read("metadata.xml")
    root = etree.fromstring(meta)
    assert root.findtext("Copyright") == line
    xsd = SCHEMAS / "dawproject" / "MetaData.xsd"
    if xsd.is_file():
        assert etree.XMLSchema(etree.parse(str(xsd))).validate(root)
    rpp = tmp_path / "tune.rpp"
    assert main(["export", str(tune), "--format", "reaper", "--output", str(rpp)]) == 0
    assert "non-commercial use only" in rpp.read_text()
    refused = tmp_path / "refused.dawproject"
    capsys.readouterr()
    assert main(["export", str(tune), "--format", "dawproject", "--output", str(refused),
                 "--for", "commercial"]) == 2
    assert f"the melody {NAME}" in capsys.readouterr().err
    assert not refused.exists()


def test_project_without_inputs_keeps_its_files(tune, tmp_path):
    """A project made before inputs were recorded: score.json gains no entry, score.mid no
    copyright event, and it reads as it did."""
    from dataclasses import replace

    from stretto.io.project import load_project, project_problems, save_project

    project, _ = load_project(tune)
    old = replace(project, inputs=())
    out = tmp_path / "old"
    save_project(old, out)
    assert '"inputs"' not in (out / "score.json").read_text()
    assert not [m for m in mido.MidiFile(out / "score.mid").tracks[0] if m.type == "copyright"]
    assert project_problems(out) == []
    assert not licence_of(out).recorded


def test_tagged_render_is_byte_identical(tune, tmp_path):
    """The licence tags depend on the score and its inputs, not the clock: rendering the same
    project again gives the same stems and mix, byte for byte."""
    again = tmp_path / "again"
    shutil.copytree(tune, again)
    for p in [again / "mix.wav", *again.glob("stems/*.wav")]:
        p.unlink()
    assert main(["render", str(again), "--tempo", "480"]) == 0
    for p in [tune / "mix.wav", *sorted((tune / "stems").glob("*.wav"))]:
        assert (again / p.relative_to(tune)).read_bytes() == p.read_bytes(), p.name


def test_licence_reports_what_the_mix_states(tune, tmp_path, capsys):
    from stretto.renderer.wavinfo import WavTags, read_wav_tags, tag_file

    copy = tmp_path / "copy"
    shutil.copytree(tune, copy)
    other = "Licence: no use cleared (the soundfont Mine.sf2 is under LicenseRef-Unknown)."
    tags = read_wav_tags(copy / "mix.wav")
    tag_file(copy / "mix.wav", WavTags(**{**tags.__dict__, "copyright": other}))
    assert licence_of(copy).rendered == other
    assert main(["licence", str(copy)]) == 0
    assert f"mix.wav as rendered states: {other}" in capsys.readouterr().out


def test_render_through_a_plugin_needs_its_licence(tune):
    from stretto.app.licence import audio_finisher

    plugin = ["Alto=/nowhere/Tiny.vst3"]
    with pytest.raises(BadInput, match="VST3 instrument Tiny.vst3 has no recorded licence"):
        audio_finisher(tune, engine="synth", plugins=plugin, use="educational")
    audio_finisher(tune, engine="synth", plugins=plugin, plugin_licence="yours",
                   use="educational")  # recorded: cleared as far as the melody allows
    with pytest.raises(BadInput, match=f"the melody {NAME}"):
        audio_finisher(tune, engine="synth", plugins=plugin, plugin_licence="yours",
                       use="commercial")
