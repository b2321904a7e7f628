"""The application layer called directly, as the studio will: results as objects, typed
errors, the project lock held by the operation itself, and the two kinds of project behind
one protocol."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stretto import app
from stretto.cli import main
from stretto.errors import BadInput, Unsatisfiable
from stretto.io.lock import project_lock


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")


@pytest.fixture(scope="module")
def species(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("app") / "first"
    assert main(["species", "--cantus-name", "fux-dorian", "--species", "1",
                 "--cantus-voice", "bottom", "--time-limit", "3", "--out", str(out)]) == 0
    return out


def _pitch(folder: Path, voice: int, bar: int) -> str:
    data = json.loads((folder / "score.json").read_text())
    return data["voices"][voice]["notes"][bar - 1]["pitch"]


def test_pin_returns_what_it_did_and_undo_steps_back(species: Path) -> None:
    before = (species / "score.json").read_bytes()
    # consonant over the cantus's G4 in bar 5, and not the note already there
    new = next(p for p in ("B4", "D5", "E5") if p != _pitch(species, 0, 5))
    result = app.pin(species, voice=1, bar=5, pitch=new)
    assert isinstance(result, app.EditResult)
    assert result.action == "pin" and result.status in ("optimal", "feasible")
    assert 1 <= result.notes_changed <= result.notes_total == 11
    assert result.files["json"] == species / "score.json"
    assert _pitch(species, 0, 5) == new
    h = app.history(species)
    assert [e["what"] for e in h.entries][-1] == result.what and h.undo >= 1
    step = app.undo(species)
    assert (step.direction, step.redo_left) == ("undo", 1)
    assert (species / "score.json").read_bytes() == before


@pytest.mark.parametrize("call, message", [
    (lambda d: app.pin(d, voice=3, bar=5, pitch="E5"), "outside the 2 voices"),
    (lambda d: app.pin(d, voice=2, bar=5, pitch="E3"), "cantus firmus"),
    (lambda d: app.lock(d, voice=1, bars="9-40"), "outside the piece"),
    (lambda d: app.constrain(d, rule="range", voice=1), "needs --low --high"),
    (lambda d: app.constrain(d, rule="shape", voice=1), "unknown rule"),
], ids=["voice", "cantus", "bars", "rule-needs", "rule-unknown"])
def test_bad_input_raises_and_writes_nothing(species: Path, call, message: str) -> None:
    before = (species / "score.json").read_bytes()
    with pytest.raises(BadInput, match=message):
        call(species)
    assert (species / "score.json").read_bytes() == before


def test_conflict_raises_unsatisfiable_naming_the_pins(species: Path) -> None:
    app.pin(species, voice=1, bar=5, pitch="E5", solve=False)
    before = (species / "score.json").read_bytes()
    with pytest.raises(Unsatisfiable) as exc:
        app.pin(species, voice=1, bar=6, pitch="E5")  # a repeated E5 across the barline
    assert any("pin voice 1 bar 6" in c for c in exc.value.conflicts)
    assert (species / "score.json").read_bytes() == before
    app.undo(species)


def test_operation_holds_the_project_lock(species: Path, monkeypatch) -> None:
    """A second writer (here: this test holding the lock) makes the operation wait, then
    refuse in one line: the lock is taken by the application layer, not only the CLI."""
    monkeypatch.setenv("STRETTO_LOCK_WAIT", "0.2")
    with project_lock(species):
        with pytest.raises(BadInput, match="being changed by another stretto command"):
            app.pin(species, voice=1, bar=5, pitch="E5")


def test_kinds_answer_for_their_projects(species: Path, tmp_path: Path) -> None:
    from stretto.io.project import load_project

    project, _ = load_project(species)
    kind = app.kind_of(project)
    assert kind.given_voice(project) == 1 and kind.pin_edits_given
    assert "climax" in kind.rules
    assert main(["compose", "examples/canon.toml", "--out", str(tmp_path / "c")]) == 0
    composed, _ = load_project(tmp_path / "c")
    other = app.kind_of(composed)
    assert other.given_voice(composed) is None and not other.pin_edits_given
    assert "climax" not in other.rules
    with pytest.raises(BadInput, match="species projects only"):
        app.constrain(tmp_path / "c", rule="climax", voice=1, bar=3)
