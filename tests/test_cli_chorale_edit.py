"""The editing commands on projects written by `stretto harmonize` and `stretto compose`:
the project section is saved, edits re-solve and keep the melody, undo restores score.json
byte for byte, a conflict exits 3 naming the wishes (and writes nothing), bad input exits 2
with the files untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import TUNE
from stretto.cli import main

music21 = pytest.importorskip("music21")
PLAN = """[piece]
key = "D minor"
meter = "4/4"
bars = 4
[[voice]]
name = "Soprano"
range = ["C4", "G5"]
[[voice]]
name = "Bass"
range = ["E2", "%s"]
[[cadence]]
bar = 2
type = "half"
[[canon]]
leader = "Soprano"
follower = "Bass"
interval = "-P8"
delay = "1 bar"
to_bar = 2
"""


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")


@pytest.fixture(scope="module")
def tune_file(tmp_path_factory) -> Path:
    from music21 import meter, note, stream

    s = stream.Stream()
    s.append(meter.TimeSignature("4/4"))
    for n in TUNE.split():
        s.append(note.Rest(quarterLength=1) if n == "r" else note.Note(n, quarterLength=1))
    path = tmp_path_factory.mktemp("tune") / "tune.musicxml"
    s.write("musicxml", fp=str(path))
    return path


def _harmonize(tune: Path, out: Path) -> Path:
    assert main(["harmonize", str(tune), "--out", str(out), "--time-limit", "3"]) == 0
    return out


def _voice(folder: Path, v: int) -> list[tuple]:
    data = json.loads((folder / "score.json").read_text())
    return [(n["pitch"], n["onset"], n["duration"], n["origin"])
            for n in data["voices"][v]["notes"]]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_harmonize_saves_the_editing_data_and_edits_keep_the_melody(tune_file, tmp_path,
                                                                     capsys) -> None:
    out = _harmonize(tune_file, tmp_path / "h")
    project = json.loads((out / "score.json").read_text())["project"]
    assert project["kind"] == "harmonize" and project["spec"]["key"] == "C major"
    assert len(project["spec"]["melody"]["notes"]) == 12 and project["runs"][0]["id"] == "r1"
    melody = _voice(out, 0)
    assert {o for *_, o in melody} == {"human"}
    before = (out / "score.json").read_bytes()
    bass = _voice(out, 3)[4][0]
    pitch = next(p for p in ("C3", "A2", "E3", "G2") if p != bass and main(
        ["pin", str(out), "--voice", "4", "--bar", "2", "--pitch", p]) == 0)
    assert "notes changed" in capsys.readouterr().out
    assert main(["constrain", str(out), "--rule", "max-leap", "--voice", "2",
                 "--interval", "P4"]) == 0
    assert _voice(out, 3)[4][:1] == (pitch,) and _voice(out, 0) == melody
    assert main(["history", str(out)]) == 0
    assert "pin voice 4 bar 2" in capsys.readouterr().out
    assert main(["provenance", str(out), "--format", "json"]) == 0
    shares = json.loads(capsys.readouterr().out)
    assert shares["voices"][0]["human_share"] == 1.0 and shares["voices"][3]["human_notes"] == 1
    assert main(["undo", str(out)]) == 0 and main(["undo", str(out)]) == 0
    assert (out / "score.json").read_bytes() == before


def test_conflict_exits_3_names_the_two_wishes_and_writes_nothing(tune_file, tmp_path,
                                                                  capsys) -> None:
    out = _harmonize(tune_file, tmp_path / "h")
    capsys.readouterr()
    files = _snapshot(out)
    assert main(["pin", str(out), "--voice", "4", "--bar", "2", "--beat", "3", "--pitch", "G3",
                 "--json"]) == 3
    report = json.loads(capsys.readouterr().out)
    assert set(report["conflicts"]) == {"your pin voice 4 bar 2 beat 3 = G3",
                                        "a cadence at the phrase end bar 2 beat 3"}
    assert _snapshot(out) == files


BAD = [
    (["pin", "--voice", "2", "--bar", "9", "--pitch", "C4"], "outside"),
    (["pin", "--voice", "2", "--bar", "2", "--beat", "4", "--pitch", "C4"], "rest"),
    (["pin", "--voice", "1", "--bar", "2", "--pitch", "F5", "--allow-cantus-edit"], "melody"),
    (["lock", "--voice", "1"], "melody"),
    (["regenerate", "--voice", "1", "--bars", "1-2"], "melody"),
    (["constrain", "--rule", "climax", "--voice", "2", "--bar", "2"], "species"),
    (["constrain", "--rule", "range", "--voice", "1", "--low", "C4", "--high", "C5"], "melody"),
    (["constrain", "--rule", "require-interval", "--voices", "1,4", "--bar", "2", "--beat",
      "4", "--interval", "P8"], "rest"),
]


@pytest.mark.parametrize("args,needle", BAD, ids=["pin-outside", "pin-in-rest", "edit-melody",
                                                  "lock-melody", "regenerate-melody",
                                                  "species-rule", "range-on-melody",
                                                  "interval-in-rest"])
def test_bad_input_exits_2_with_files_untouched(tune_file, tmp_path, capsys, args,
                                               needle) -> None:
    out = _harmonize(tune_file, tmp_path / "h")
    files = _snapshot(out)
    capsys.readouterr()
    assert main([args[0], str(out), *args[1:]]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1
    assert _snapshot(out) == files


def test_compose_project_edits_and_a_plan_conflict_names_minimal_wishes(tmp_path,
                                                                       capsys) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN % "D4")
    out = tmp_path / "c"
    assert main(["compose", str(plan), "--out", str(out), "--time-limit", "3"]) == 0
    assert json.loads((out / "score.json").read_text())["project"]["kind"] == "compose"
    bass = _voice(out, 1)
    assert main(["lock", str(out), "--voice", "2", "--bars", "1-2"]) == 0
    assert main(["pin", str(out), "--voice", "1", "--bar", "4", "--pitch", "F4"]) == 0
    locked = [n[:3] for n in _voice(out, 1)[:8]]
    assert locked == [n[:3] for n in bass[:8]] and _voice(out, 0)[-1][0] == "F4"
    assert {n[3] for n in _voice(out, 1)[:8]} == {"human"}
    bad = tmp_path / "bad.toml"
    bad.write_text(PLAN % "B2")
    capsys.readouterr()
    assert main(["compose", str(bad), "--out", str(tmp_path / "bad")]) == 3
    err = capsys.readouterr().err
    assert "the canon Soprano -> Bass at -P8, 1 bar later; the range of Bass: E2-B2; the " \
           "range of Soprano: C4-G5" in err and "cadence" not in err
    assert not (tmp_path / "bad").exists()


def test_regenerate_every_voice_in_bars_where_one_voice_cannot(tune_file, tmp_path,
                                                               capsys) -> None:
    out = _harmonize(tune_file, tmp_path / "h")
    files = _snapshot(out)
    capsys.readouterr()
    assert main(["regenerate", str(out), "--voice", "2", "--bars", "2-2"]) == 3
    assert "leave out --voice to re-solve every voice in bars 2-2" in capsys.readouterr().err
    assert _snapshot(out) == files
    before = [_voice(out, v) for v in range(4)]
    assert main(["regenerate", str(out), "--bars", "2-2"]) == 0
    assert "regenerated every voice bars 2-2" in capsys.readouterr().out
    after = [_voice(out, v) for v in range(4)]
    assert after[0] == before[0]
    outside = [[n[:3] for n in notes if not 4 <= float(n[1]) < 8] for notes in before]
    assert [[n[:3] for n in notes if not 4 <= float(n[1]) < 8] for notes in after] == outside
    assert after != before


def test_harmonize_that_cannot_hold_names_a_minimal_set_of_wishes(tmp_path, capsys) -> None:
    """A melody on G3 and A3 cannot be a soprano line (the alto would sit on G3 under it and
    the cadence push the tenor below its range): exit 3 naming the melody's register against
    the soprano's range and --transpose, and nothing written."""
    from music21 import meter, note, stream

    s = stream.Stream()
    s.append(meter.TimeSignature("4/4"))
    for n in "G3 A3 G3 A3 G3".split():
        s.append(note.Note(n, quarterLength=1))
    tune = tmp_path / "low.musicxml"
    s.write("musicxml", fp=str(tune))
    capsys.readouterr()
    assert main(["harmonize", str(tune), "--out", str(tmp_path / "h"), "--time-limit", "3",
                 "--json"]) == 3
    report = json.loads(capsys.readouterr().out)
    # Below the soprano's range, the melody is refused before any solve (issue 12): the
    # conflict is its register against the range, and the fix is --transpose.
    assert set(report["conflicts"]) == {"the melody reaches G3", "the soprano's range C4-G5"}
    assert "the melody reaches G3, below the soprano's range C4-G5: pass --transpose auto" \
        in report["message"]
    assert not (tmp_path / "h").exists()
