"""Regenerate offers choices and pins keep the line, at the application layer (issue 18,
items 4 and 5): each regeneration changes at least half of the region's free notes, never
repeats a variant of the project's history, advances and records its seed (the same project
and call give the same bytes), ``options`` are ranked and kept as pending choices that
``choose`` takes; a pin's re-solve may move a few more notes to avoid a leap, and says so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stretto import app
from stretto.check import check, hard
from stretto.cli import main
from stretto.errors import BadInput
from stretto.io.project import load_project
from stretto.solver.cpsat.region import Region
from stretto.solver.cpsat.variants import free_changed, region_notes

ISSUE_CANTUS = "D4 F4 E4 D4 G4 F4 A4 G4 F4 E4 D4"


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("regen") / "issue"
    assert main(["species", "--cantus", ISSUE_CANTUS, "--species", "1", "--voices", "2",
                 "--cantus-voice", "bottom", "--time-limit", "3", "--out", str(out)]) == 0
    return out


@pytest.fixture()
def species(made, tmp_path) -> Path:
    return Path(shutil.copytree(made, tmp_path / "p"))


def _piece(folder: Path):
    return load_project(folder)[0].piece


def test_successive_regenerations_change_half_never_repeat_and_advance_the_seed(species):
    region = Region(None, 6, 8)
    seen = {region_notes(_piece(species), region)}
    seeds = []
    for _ in range(5):
        before = _piece(species)
        result = app.regenerate(species, bars="6-8")
        assert isinstance(result, app.RegenerateResult) and len(result.choices) == 1
        after = _piece(species)
        changed, free = free_changed(before, after, region, lambda v, n: n.origin == "human")
        assert changed == result.choices[0].free_changed >= free / 2 == result.free_notes / 2
        notes = region_notes(after, region)
        assert notes not in seen and result.choices[0].notes == notes
        seen.add(notes)
        seeds.append(result.seed)
    assert seeds == list(range(seeds[0], seeds[0] + 5))
    entries = [e for e in app.history(species).entries if e["action"] == "regenerate"]
    assert [e["seed"] for e in entries] == seeds
    assert len({e["variant"]["hash"] for e in entries}) == 5


def test_the_same_project_and_call_give_the_same_bytes(species):
    app.regenerate(species, bars="3-5")
    first = (species / "score.json").read_bytes()
    app.undo(species)
    app.regenerate(species, bars="3-5")
    assert (species / "score.json").read_bytes() == first


def test_options_are_ranked_pending_and_choose_takes_one(species):
    region = Region(None, 4, 7)
    result = app.regenerate(species, bars="4-7", options=3)
    assert [c.number for c in result.choices] == [1, 2, 3]
    assert len({c.hash for c in result.choices}) == 3
    assert [c.objective for c in result.choices] == sorted(c.objective for c in result.choices)
    assert region_notes(_piece(species), region) == result.choices[0].notes
    for k in (3, 2):
        chosen = app.choose(species, option=k)
        piece = _piece(species)
        assert chosen.action == "choose" and region_notes(piece, region) == \
            result.choices[k - 1].notes
        assert not hard(check(piece))
    assert app.choose(species, option=2).notes_changed == 0  # already the score
    with pytest.raises(BadInput, match="not one of the 3 offered"):
        app.choose(species, option=4)
    app.pin(species, voice=1, bar=2, pitch=_piece(species).voices[0].sounding()[1].pitch.name)
    with pytest.raises(BadInput, match="no pending choices"):
        app.choose(species, option=2)


@pytest.mark.parametrize("kwargs, message", [
    (dict(bars="6-8", change=1.5), "is not a share"),
    (dict(bars="6-8", options=0), "outside 1-10"),
], ids=["change", "options"])
def test_bad_regenerate_input_writes_nothing(species, kwargs, message):
    before = (species / "score.json").read_bytes()
    with pytest.raises(BadInput, match=message):
        app.regenerate(species, **kwargs)
    assert (species / "score.json").read_bytes() == before


def test_a_pin_moves_a_neighbour_to_avoid_the_octave_leap_and_says_why(species, capsys):
    fewest = Path(shutil.copytree(species, species.parent / "fewest"))
    plain = app.pin(fewest, voice=1, bar=5, pitch="B4", budget=0)
    wider = app.pin(species, voice=1, bar=5, pitch="B4")
    assert not plain.moves and wider.moves
    assert any("avoids a leap of an octave" in m for m in wider.moves)

    def leap(folder):
        notes = _piece(folder).voices[0].sounding()
        return max(abs(a.midi - b.midi) for a, b in zip(notes, notes[1:]))

    assert leap(fewest) >= 12 > leap(species)
    entry = app.history(species).entries[-1]
    assert entry["moves"] == list(wider.moves)
    capsys.readouterr()
    assert main(["history", str(species)]) == 0
    out = capsys.readouterr().out
    assert all(m in out for m in wider.moves), out
    with pytest.raises(BadInput, match="--budget"):
        app.pin(species, voice=1, bar=4, pitch="D5", budget=-1)


def test_cli_prints_the_options_and_chooses(species, capsys):
    assert main(["regenerate", str(species), "--bars", "6-8", "--options", "2"]) == 0
    out = capsys.readouterr().out
    assert "free notes changed" in out and "(the score now)" in out
    assert f"stretto choose {species} K" in out
    assert main(["choose", str(species), "2"]) == 0
    assert "chose option 2 of 2" in capsys.readouterr().out
    assert main(["regenerate", str(species), "--bars", "6-8", "--change", "2"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    data = json.loads((species / "score.json").read_text())
    assert data["project"]["history"][-1]["action"] == "choose"


def test_a_harmonization_regenerates_with_choices_too(tmp_path):
    pytest.importorskip("music21")
    from music21 import meter, note, stream
    from support import TUNE

    s = stream.Stream()
    s.append(meter.TimeSignature("4/4"))
    for n in TUNE.split():
        s.append(note.Rest(quarterLength=1) if n == "r" else note.Note(n, quarterLength=1))
    tune = tmp_path / "tune.musicxml"
    s.write("musicxml", fp=str(tune))
    folder = tmp_path / "h"
    assert main(["harmonize", str(tune), "--out", str(folder), "--time-limit", "3"]) == 0
    region = Region(None, 2, 3)
    seen = {region_notes(_piece(folder), region)}
    for _ in range(3):
        before = _piece(folder)
        result = app.regenerate(folder, bars="2-3")
        after = _piece(folder)
        changed, free = free_changed(before, after, region, lambda v, n: n.origin == "human")
        assert changed >= free / 2 and region_notes(after, region) not in seen
        seen.add(region_notes(after, region))
        assert [n.pitch for n in after.voices[0].notes] == \
            [n.pitch for n in before.voices[0].notes]  # the melody
    result = app.regenerate(folder, bars="2-3", options=2)
    assert len({c.notes for c in result.choices} | seen) == len(seen) + 2
    app.choose(folder, option=2)
    assert region_notes(_piece(folder), region) == result.choices[1].notes
    assert not hard(check(_piece(folder)))
