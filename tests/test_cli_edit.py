"""The editing commands end to end: pins and locks hold, undo restores score.json byte for
byte, conflicts exit 3 with the conflicting constraints named and nothing written, bad input
exits 2 with files untouched, and the provenance validates as W3C PROV."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stretto.cli import main

FILES = ("score.json", "score.mid", "score.musicxml")


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")


def _species(out: Path, *extra: str) -> Path:
    assert main(["species", "--cantus-name", "fux-dorian", "--species", "1",
                 "--cantus-voice", "bottom", "--time-limit", "3", "--out", str(out),
                 *extra]) == 0
    return out


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _top(folder: Path, voice: int = 0) -> list[str]:
    data = json.loads((folder / "score.json").read_text())
    notes = data["voices"][voice]["notes"]
    return [n["pitch"] for n in notes]


def _pin_that_holds(folder: Path, bar: int) -> str:
    """Pin voice 1 in ``bar`` to some other pitch that can hold; returns it."""
    current = _top(folder)[bar - 1]
    for pitch in ("B4", "C5", "D5", "E5", "F5", "G5", "A5", "A4", "G4"):
        if pitch == current:
            continue
        if main(["pin", str(folder), "--voice", "1", "--bar", str(bar), "--pitch", pitch]) == 0:
            return pitch
    raise AssertionError(f"no pin holds in bar {bar}")


def test_pin_holds_through_later_edits_and_is_marked_human(tmp_path: Path, capsys) -> None:
    out = _species(tmp_path / "p")
    pitch = _pin_that_holds(out, 3)
    assert "notes changed" in capsys.readouterr().out
    assert main(["regenerate", str(out), "--voice", "1", "--bars", "6-8"]) == 0
    assert main(["constrain", str(out), "--rule", "max-leap", "--voice", "1",
                 "--interval", "P5"]) == 0
    assert _top(out)[2] == pitch
    note = json.loads((out / "score.json").read_text())["voices"][0]["notes"][2]
    assert (note["origin"], note["source"]) == ("human", "c1")


def test_undo_restores_score_json_byte_for_byte_and_redo_reapplies(tmp_path: Path) -> None:
    out = _species(tmp_path / "p")
    before = (out / "score.json").read_bytes()
    _pin_that_holds(out, 4)
    after = (out / "score.json").read_bytes()
    assert after != before
    assert main(["undo", str(out)]) == 0
    assert (out / "score.json").read_bytes() == before
    assert main(["redo", str(out)]) == 0
    assert (out / "score.json").read_bytes() == after
    assert main(["redo", str(out)]) == 2  # nothing left to redo


def test_lock_keeps_a_voice_bit_identical(tmp_path: Path) -> None:
    out = tmp_path / "p"
    assert main(["species", "--cantus-name", "fux-phrygian", "--species", "1,1",
                 "--cantus-voice", "2", "--time-limit", "3", "--out", str(out)]) == 0
    data = json.loads((out / "score.json").read_text())
    top = data["voices"][0]["notes"]
    assert main(["lock", str(out), "--voice", "1"]) == 0
    held = False
    for pitch in ("D3", "E3", "F3", "G3", "A3", "C3", "B2"):
        if main(["pin", str(out), "--voice", "3", "--bar", "5", "--pitch", pitch]) == 0:
            held = True
            break
    assert held
    new = json.loads((out / "score.json").read_text())
    assert [(n["pitch"], n["onset"], n["duration"]) for n in new["voices"][0]["notes"]] == \
        [(n["pitch"], n["onset"], n["duration"]) for n in top]
    assert {n["origin"] for n in new["voices"][0]["notes"]} == {"human"}


def test_conflict_exit_3_names_the_pins_and_writes_nothing(tmp_path: Path, capsys) -> None:
    out = tmp_path / "p"
    assert main(["species", "--cantus-name", "fux-dorian", "--species", "1,1",
                 "--cantus-voice", "bottom", "--time-limit", "3", "--out", str(out)]) == 0
    assert main(["pin", str(out), "--voice", "1", "--bar", "5", "--pitch", "E5",
                 "--no-solve"]) == 0
    before = _snapshot(out)
    capsys.readouterr()
    code = main(["pin", str(out), "--voice", "2", "--bar", "5", "--pitch", "D5", "--json"])
    assert code == 3
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("stretto: No score satisfies all of:")
    assert "your pin voice 1 bar 5 = E5" in err[0] and "your pin voice 2 bar 5 = D5" in err[0]
    data = json.loads(captured.out)
    assert data["status"] == "conflict"
    assert sorted(w for w in data["conflicts"] if w.startswith("your")) == \
        ["your pin voice 1 bar 5 = E5", "your pin voice 2 bar 5 = D5"]
    assert _snapshot(out) == before
    assert not list(tmp_path.glob(".p.tmp-*"))


@pytest.mark.parametrize("argv,needle", [
    (["pin", "{d}", "--voice", "1", "--bar", "40", "--pitch", "D5"], "outside the piece"),
    (["pin", "{d}", "--voice", "2", "--bar", "3", "--pitch", "E4"], "--allow-cantus-edit"),
    (["pin", "{d}", "--voice", "1", "--bar", "3", "--pitch", "H4"], "unknown pitch"),
    (["pin", "{d}", "--voice", "5", "--bar", "3", "--pitch", "D5"], "outside the 2 voices"),
    (["pin", "{d}", "--voice", "1", "--bar", "3", "--beat", "1.3", "--pitch", "D5"],
     "between eighth notes"),
    (["constrain", "{d}", "--rule", "loudness"], "unknown rule"),
    (["constrain", "{d}", "--rule", "range", "--voice", "1", "--low", "G5", "--high", "C5"],
     "too narrow"),
    (["constrain", "{d}", "--rule", "contour", "--voice", "1", "--bars", "5-x",
      "--direction", "rising"], "cannot read bars"),
    (["constrain", "{d}", "--rule", "weight", "--name", "beauty", "--weight", "3"],
     "unknown soft rule"),
    (["lock", "{d}", "--voice", "1", "--bars", "9-30"], "outside the piece"),
    (["unpin", "{d}", "--voice", "1", "--bar", "2"], "no pin"),
    (["undo", "{d}"], "nothing to undo"),
    (["pin", "{d}/missing", "--voice", "1", "--bar", "2", "--pitch", "D5"], "no project"),
], ids=["bar-outside", "cantus", "pitch", "voice", "beat", "rule", "range", "bars", "weight",
        "lock-bars", "unpin", "undo", "missing"])
def test_bad_input_exit_2_one_line_files_untouched(tmp_path: Path, capsys, argv,
                                                    needle) -> None:
    out = _species(tmp_path / "p")
    before = _snapshot(out)
    capsys.readouterr()
    code = main([a.replace("{d}", str(out)) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and needle in err[0], err
    assert _snapshot(out) == before


def test_cantus_edit_with_permission(tmp_path: Path) -> None:
    out = _species(tmp_path / "p")
    cantus = _top(out, 1)
    assert main(["pin", str(out), "--voice", "2", "--bar", "3", "--pitch", "G4",
                 "--allow-cantus-edit"]) == 0
    assert _top(out, 1) == cantus[:2] + ["G4"] + cantus[3:]


@pytest.mark.slow  # seconds each: make test runs it, make test-fast leaves it out
def test_killed_solve_leaves_the_previous_files(tmp_path: Path) -> None:
    out = tmp_path / "p"
    assert main(["species", "--cantus-name", "fux-dorian", "--species", "5",
                 "--cantus-voice", "bottom", "--time-limit", "1", "--out", str(out)]) == 0
    before = _snapshot(out)
    proc = subprocess.Popen([sys.executable, "-m", "stretto.cli", "regenerate", str(out),
                             "--voice", "1", "--bars", "2-9", "--time-limit", "60"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(4)
    assert proc.poll() is None, "the solve ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _snapshot(out) == before
    assert not list(tmp_path.glob(".p.tmp-*"))


def test_history_and_provenance(tmp_path: Path, capsys) -> None:
    out = _species(tmp_path / "p")
    _pin_that_holds(out, 5)
    assert main(["constrain", str(out), "--rule", "crossing", "--state", "on"]) == 0
    capsys.readouterr()
    assert main(["history", str(out)]) == 0
    text = capsys.readouterr().out
    assert "species 1 on a cantus of 11 notes" in text and "pin voice 1 bar 5" in text
    assert "voice crossing allowed" in text
    assert text.count("2026-09-21T14:13:20Z") == 3  # SOURCE_DATE_EPOCH makes the times fixed
    assert main(["provenance", str(out), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    soprano, alto = report["voices"]
    assert (soprano["human_notes"], alto["human_notes"]) == (1, 11)
    assert report["total"]["human_decisions"] == 13  # 12 notes + the crossing setting


def test_prov_json_validates_with_the_prov_package(tmp_path: Path, capsys) -> None:
    from prov.model import ProvDocument

    out = _species(tmp_path / "p")
    _pin_that_holds(out, 6)
    capsys.readouterr()
    assert main(["provenance", str(out), "--format", "prov-json"]) == 0
    doc = ProvDocument.deserialize(content=capsys.readouterr().out, format="json")
    records = doc.get_records()
    notes = [r for r in records if str(r.identifier or "").startswith("stretto:note-")]
    assert len(notes) == 22
    agents = {str(r.identifier) for r in records if r.is_element() and
              r.get_type().localpart == "Agent"}
    # Fux's cantus (a recorded input, public domain) is attributed to its source, not to the
    # composer (stretto.licence)
    assert agents == {"stretto:composer", "stretto:stretto", "stretto:source-cantus"}
    path = tmp_path / "prov.json"
    assert main(["provenance", str(out), "--format", "prov-json", "--output", str(path)]) == 0
    assert ProvDocument.deserialize(source=str(path), format="json").get_records()


def test_exports_carry_a_provenance_line(tmp_path: Path) -> None:
    import mido

    out = _species(tmp_path / "p")
    _pin_that_holds(out, 4)
    texts = [m.text for m in mido.MidiFile(out / "score.mid").tracks[0] if m.type == "text"]
    line = "1 of 22 notes by the composer (pins, locks), 11 from the cantus fux-dorian"
    assert line in " ".join(texts)
    assert line in (out / "score.musicxml").read_text()
