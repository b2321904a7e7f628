"""The authorship statement: a harmonized corpus melody with a lock and a pin lists exactly
the locked and pinned notes as the composer's, the melody as its corpus's, and agrees with
the PROV-JSON document note for note."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from stretto.app import provenance
from stretto.app.statement import statement, write_statement
from stretto.cli import main
from stretto.io.project import load_project


@pytest.fixture(scope="module")
def edited(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("statement") / "tune"
    assert main(["harmonize", "corpus:essenFolksong/erk10#176", "--out", str(out),
                 "--time-limit", "10"]) == 0
    assert main(["lock", str(out), "--voice", "3", "--bars", "5-6"]) == 0
    assert main(["pin", str(out), "--voice", "2", "--bar", "3", "--beat", "2",
                 "--pitch", "F4"]) == 0
    return out


def _attributed(folder: Path) -> dict[str, set[str]]:
    doc = json.loads(provenance(folder, format="prov-json"))
    out: dict[str, set[str]] = {}
    for rel in doc["wasAttributedTo"].values():
        if rel["prov:entity"].startswith("stretto:note-"):
            out.setdefault(rel["prov:agent"], set()).add(
                rel["prov:entity"][len("stretto:note-"):])
    return out


def test_composer_notes_are_exactly_the_pin_and_the_lock(edited):
    project, _ = load_project(edited)
    lock, pin = project.constraints
    made = statement(edited)
    expected = {n.id for v in project.piece.voices for n in v.sounding()
                if n.source in (lock.id, pin.id)}
    assert set(made.composer_notes) == expected
    assert len(expected) == 7  # the pinned alto note and six locked tenor notes
    by_voice = {r["voice"]: r for r in made.voices}
    assert (by_voice["Alto"]["composer"], by_voice["Tenor"]["composer"]) == (1, 6)
    assert by_voice["Soprano"]["inputs"] == 36 and by_voice["Soprano"]["composer"] == 0
    assert by_voice["Bass"]["solver"] == by_voice["Bass"]["notes"]


def test_statement_matches_the_prov_json(edited):
    made = statement(edited)
    agents = _attributed(edited)
    assert agents["stretto:composer"] == set(made.composer_notes)
    assert agents["stretto:source-melody"] == set(made.input_notes)
    assert agents["stretto:stretto"] == set(made.solver_notes)
    for note in made.composer_notes:  # each of the composer's notes is traceable
        assert f"[stretto:note-{note}]" in made.markdown


def test_decisions_and_their_prov_ids(edited):
    made = statement(edited)
    assert made.decisions == ("lock: lock of voice 3 bars 5-6",
                              "note: pin voice 2 bar 3 beat 2 = F4")
    md = made.markdown
    assert "- lock: lock of voice 3 bars 5-6 [stretto:edit-2]" in md
    assert "- note: pin voice 2 bar 3 beat 2 = F4 [stretto:edit-3]" in md
    assert "[stretto:input-melody]" in md and "it is not the composer's" in md
    assert "LicenseRef-EsAC-NonCommercial" in md
    assert "not a legal opinion" in md
    assert "| Tenor | 24 | 6 | 0 | 18 | 25.0% |" in md


def test_statement_files_markdown_and_pdf(edited, tmp_path, capsys):
    out = tmp_path / "statement"
    assert main(["provenance", str(edited), "--statement", "--output", str(out)]) == 0
    assert "statement.md" in capsys.readouterr().out
    md = (out / "statement.md").read_text(encoding="utf-8")
    pdf = (out / "statement.pdf").read_bytes()
    assert md == statement(edited).markdown
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    from stretto.io.engrave import pdf_pages

    assert pdf_pages(pdf) >= 2
    # same project, same bytes
    again = write_statement(edited, output=tmp_path / "again")
    assert again["pdf"].read_bytes() == pdf
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out / "statement.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert "Authorship statement" in text and "stretto:note-v1n9" in text.replace(" ", "")


def test_own_melody_is_the_composers(tmp_path):
    from music21 import corpus

    melody = tmp_path / "mine.musicxml"
    corpus.parse("essenFolksong/erk10", number=176).write("musicxml", fp=str(melody))
    out = tmp_path / "mine"
    assert main(["harmonize", str(melody), "--out", str(out), "--time-limit", "10"]) == 0
    made = statement(out)
    assert len(made.composer_notes) == 36 and not made.input_notes
    assert _attributed(out)["stretto:composer"] == set(made.composer_notes)


def test_renderer_and_its_training_data_from_the_mix(edited, tmp_path):
    np = pytest.importorskip("numpy")
    sf = pytest.importorskip("soundfile")
    from stretto.renderer.wavinfo import WavTags, tag_file

    copy = tmp_path / "copy"
    shutil.copytree(edited, copy)
    assert "No audio (mix.wav)" in statement(copy).markdown
    sf.write(copy / "mix.wav", np.zeros(480), 48_000, subtype="PCM_24")
    tag_file(copy / "mix.wav", WavTags(software="stretto 0.1.0; engine=neural; score by "
                                       "stretto 0.1.0"))
    md = statement(copy).markdown
    assert "rendered by: stretto 0.1.0; engine=neural" in md
    for item in ("neural.safetensors", "training data: Fux's six cantus firmi",
                 "training data: J. S. Bach's four-part chorales", "FluidR3_GM"):
        assert item in md, item


@pytest.fixture(scope="module")
def imported(edited, tmp_path_factory) -> Path:
    """The edited project after a DAW edit: one bass note moved up a tone in a copy of
    score.mid, imported back (`stretto import`)."""
    import mido

    work = tmp_path_factory.mktemp("daw")
    out = work / "tune"
    shutil.copytree(edited, out)
    midi = mido.MidiFile(out / "score.mid")
    bass = midi.tracks[4]
    ons = [i for i, m in enumerate(bass) if m.type == "note_on" and m.velocity > 0]
    at = ons[12]
    key = bass[at].note
    off = next(i for i in range(at + 1, len(bass)) if bass[i].type in ("note_on", "note_off")
               and bass[i].note == key)
    bass[at], bass[off] = bass[at].copy(note=key + 2), bass[off].copy(note=key + 2)
    midi.save(work / "from-daw.mid")
    assert main(["import", str(out), str(work / "from-daw.mid")]) == 0
    return out


def test_imported_daw_edit_is_the_composers(imported):
    project, _ = load_project(imported)
    made = statement(imported)
    pins = [c for c in project.constraints if (getattr(c, "source", None) or "")
            .startswith("import from-daw.mid")]
    assert len(pins) == 1
    notes = [n.id for v in project.piece.voices for n in v.sounding() if n.source == pins[0].id]
    assert len(notes) == 1 and notes[0] in made.composer_notes
    assert len(made.composer_notes) == 8  # the pin, the six locked notes, the imported note
    assert _attributed(imported)["stretto:composer"] == set(made.composer_notes)
    assert made.decisions[-1].startswith("imported DAW edit: imported from-daw.mid")
    assert f"[stretto:note-{notes[0]}] from [stretto:edit-4]" in made.markdown
    doc = json.loads(provenance(imported, format="prov-json"))
    made_by = {g["prov:entity"]: g["prov:activity"] for g in doc["wasGeneratedBy"].values()}
    assert made_by[f"stretto:note-{notes[0]}"] == "stretto:edit-4"  # the import, in PROV too
