"""The studio's JSON API through FastAPI's test client, on a small first-species project: each
edit answers with what it did and the new summary, a conflict with its explanation as data
(409, nothing written), bad input with the field it names (422), a crash with one line (500,
the project as it was); the gate refuses foreign hosts, missing tokens, big bodies and
paths out of the project."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from pathlib import Path

import pytest

from studio_fixtures import species_project

from stretto import app as ops
from stretto.errors import BadInput
from stretto.pitch import Pitch

LOCAL = "http://127.0.0.1"


@pytest.fixture()
def project(tmp_path) -> Path:
    return species_project(tmp_path)


@pytest.fixture()
def client(project):
    from fastapi.testclient import TestClient

    from stretto.studio import create_app

    with TestClient(create_app(project), base_url=LOCAL) as c:
        yield c


def _score(project: Path) -> dict:
    return json.loads((project / "score.json").read_text())


def _pitch(project: Path, note_id: str) -> str:
    return next(n["pitch"] for v in _score(project)["voices"] for n in v["notes"]
                if n["id"] == note_id)


def _consonant(a: str, b: str) -> bool:
    return (Pitch.parse(a).midi - Pitch.parse(b).midi) % 12 in (0, 3, 4, 7, 8, 9)


def _pin_that_holds(client, project: Path):
    """Pin a middle-bar note of the counterpoint a step up or down (consonant over the
    cantus), trying notes until one holds; returns (note, pitch, answer)."""
    summary = client.get("/api/summary").json()
    cantus = {n["bar"]: n["pitch"] for n in summary["notes"] if n["voice"] == 2}
    for note in [n for n in summary["notes"] if n["voice"] == 1 and 3 <= n["bar"] <= 9]:
        for pitch in (note["up"], note["down"]):
            if not _consonant(pitch, cantus[note["bar"]]):
                continue
            r = client.post("/api/pin", json={"voice": 1, "bar": note["bar"],
                                              "beat": note["beat"], "pitch": pitch})
            if r.status_code == 200:
                return note, pitch, r
            assert r.status_code == 409, r.text
    pytest.fail("no consonant step of the counterpoint could be pinned")


def test_summary_colours_every_note_by_origin(client) -> None:
    s = client.get("/api/summary").json()
    assert s["bars"] == 11 and len(s["voices"]) == 2 and s["voices"][1]["given"]
    assert {n["kind"] for n in s["notes"] if n["voice"] == 1} == {"solver"}
    assert {n["kind"] for n in s["notes"] if n["voice"] == 2} == {"given"}
    # D dorian: the step above E5 is F5 (no sharp), the semitone below it Eb5
    e = Pitch.parse("E5")
    from stretto.app.view import step_pitch
    from stretto.modes import Mode
    assert step_pitch(e, Mode("dorian", "D"), 1).name == "F5"
    assert step_pitch(e, Mode("dorian", "D"), -1, chromatic=True).name == "Eb5"
    svg = client.get("/api/score.svg")
    assert svg.headers["X-Stretto-Version"] == s["version"]
    assert svg.text.count('class="note solver') == 11
    assert svg.text.count('class="note given') == 11


def test_pin_answers_with_summary_then_undo_and_redo(client, project) -> None:
    before = (project / "score.json").read_bytes()
    note, pitch, r = _pin_that_holds(client, project)
    data = r.json()
    assert data["action"] == "pin" and data["status"] in ("optimal", "feasible")
    assert 1 <= data["notes_changed"] + 1 and data["notes_total"] == 11
    assert _pitch(project, note["id"]) == pitch
    mine = next(n for n in data["summary"]["notes"] if n["id"] == note["id"])
    assert (mine["kind"], mine["pitch"]) == ("yours", pitch)
    assert f'id="{note["id"]}" class="note yours' in client.get("/api/score.svg").text
    assert client.get("/api/history").json()["entries"][-1]["what"] == data["what"]
    undone = client.post("/api/undo").json()
    assert undone["direction"] == "undo" and undone["redo_left"] == 1
    assert (project / "score.json").read_bytes() == before
    assert client.post("/api/redo").json()["summary"]["version"] == data["version"]
    assert _pitch(project, note["id"]) == pitch


def test_conflict_is_409_with_the_notes_it_names_and_changes_nothing(client, project) -> None:
    s = client.get("/api/summary").json()
    cantus = next(n for n in s["notes"] if n["voice"] == 2 and n["bar"] == 5)
    second = Pitch.from_diatonic(Pitch.parse(cantus["pitch"]).diatonic + 8).name  # a ninth
    before = (project / "score.json").read_bytes()
    r = client.post("/api/pin", json={"voice": 1, "bar": 5, "pitch": second})
    assert r.status_code == 409
    data = r.json()
    mine = f"your pin voice 1 bar 5 = {second}"
    assert mine in data["conflicts"] and any("consonan" in c for c in data["conflicts"])
    target = next(n["id"] for n in s["notes"] if n["voice"] == 1 and n["bar"] == 5)
    assert data["notes"][mine] == [target]
    assert data["next"]["up"] and data["version"] == s["version"]
    assert (project / "score.json").read_bytes() == before


@pytest.mark.parametrize("body, field", [
    ({"voice": 9, "bar": 5, "pitch": "E5"}, "voice"),
    ({"voice": 1, "bar": 5, "pitch": "H5"}, "pitch"),
    ({"voice": 1, "bar": 60, "pitch": "E5"}, "bar"),
    ({"voice": 1, "bar": 5, "beat": "x", "pitch": "E5"}, "beat"),
    ({"voice": 1, "bar": 5, "pitch": "E5", "colour": "red"}, "colour"),
    ({"voice": "one", "bar": 5, "pitch": "E5"}, "voice"),
    ({"bar": 5, "pitch": "E5"}, "voice"),
], ids=["voice-outside", "pitch-unknown", "bar-outside", "beat", "unknown-field",
        "voice-type", "voice-missing"])
def test_bad_pin_is_422_naming_the_field(client, project, body, field) -> None:
    before = (project / "score.json").read_bytes()
    r = client.post("/api/pin", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and "\n" not in r.json()["error"]
    assert (project / "score.json").read_bytes() == before


@pytest.mark.parametrize("path, body, field", [
    ("/api/lock", {"voice": 1, "bars": "2-"}, "bars"),
    ("/api/lock", {"voice": 1, "bars": "9-40"}, "bars"),
    ("/api/regenerate", {"bars": "3-1"}, "bars"),
    ("/api/unpin", {"voice": 1, "bar": 4}, "voice"),
    ("/api/lock", {"voice": 2}, "voice"),
], ids=["bars-unfinished", "bars-outside", "bars-backwards", "no-pin", "lock-cantus"])
def test_other_bad_edits_are_422(client, project, path, body, field) -> None:
    before = (project / "score.json").read_bytes()
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    assert (project / "score.json").read_bytes() == before


def test_body_that_is_not_json_is_refused(client) -> None:
    r = client.post("/api/pin", content=b"{voice", headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()["field"]) == (422, "body")
    assert client.post("/api/pin", data={"voice": "1"}).status_code == 415


def test_lock_keeps_the_notes_and_regenerate_changes_only_its_bars(client, project) -> None:
    r = client.post("/api/lock", json={"voice": 1, "bars": "2-3"})
    assert r.status_code == 200 and r.json()["notes_changed"] is None
    s = r.json()["summary"]
    assert s["voices"][0]["locks"] == [[2, 3]]
    # the composer's from now on: drawn as theirs before the next solve marks them
    assert {n["kind"] for n in s["notes"] if n["voice"] == 1 and n["bar"] in (2, 3)} == {"yours"}
    assert {n["kind"] for n in s["notes"] if n["voice"] == 1 and n["bar"] == 4} == {"solver"}
    outside = {n["id"]: n["pitch"] for n in s["notes"] if not 5 <= n["bar"] <= 7}
    r = client.post("/api/regenerate", json={"bars": "5-7", "voice": 1, "seed": 3})
    assert r.status_code == 200, r.text
    notes = r.json()["summary"]["notes"]
    after = {n["id"]: n["pitch"] for n in notes}
    assert all(after[i] == p for i, p in outside.items())
    # the locked notes are the composer's from the next solve on
    assert {n["kind"] for n in notes if n["voice"] == 1 and n["bar"] in (2, 3)} == {"yours"}
    assert client.post("/api/unlock", json={"voice": 1, "bars": "2-3"}).status_code == 200
    assert client.get("/api/summary").json()["voices"][0]["locks"] == []


def test_history_and_provenance_follow_the_edits(client, project) -> None:
    note, pitch, _ = _pin_that_holds(client, project)
    h = client.get("/api/history").json()
    assert [e["by"] for e in h["entries"]] == ["composer", "composer"]
    assert h["constraints"][0]["text"] == f"pin voice 1 bar {note['bar']} = {pitch}"
    p = client.get("/api/provenance").json()
    soprano = p["voices"][0]
    assert soprano["human_notes"] == 1 and soprano["notes"] == 11
    prov = client.get("/api/provenance.json")
    assert "prov:" in prov.text or "entity" in prov.json()


@pytest.mark.parametrize("where", ["solver", "save"])
def test_a_crash_is_one_line_500_and_the_project_is_as_it_was(client, project, monkeypatch,
                                                              where) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    if where == "solver":
        monkeypatch.setattr("stretto.app.kinds.SpeciesKind.resolve", boom)
    else:
        monkeypatch.setattr("stretto.io.midi.write_midi", boom)
    before = sorted((p.name, p.read_bytes()) for p in project.iterdir() if p.is_file())
    r = client.post("/api/pin", json={"voice": 1, "bar": 5, "pitch": "A4"})
    assert r.status_code == 500
    assert "RuntimeError: boom second line" in r.json()["error"] and "\n" not in r.text
    assert sorted((p.name, p.read_bytes()) for p in project.iterdir() if p.is_file()) == before


def test_the_terminal_and_the_studio_edit_at_once(client, project) -> None:
    """A terminal's edit (the application layer called directly) while the studio edits:
    both are in the history, one after the other."""
    done = []
    terminal = threading.Thread(target=lambda: done.append(
        ops.lock(project, voice=1, bars="10-10")))
    terminal.start()
    r = client.post("/api/lock", json={"voice": 1, "bars": "2-2"})
    terminal.join()
    assert r.status_code == 200 and done
    whats = [e["what"] for e in client.get("/api/history").json()["entries"]]
    assert "lock of voice 1 bar 10" in whats and "lock of voice 1 bar 2" in whats


def test_solve_time_is_bounded(project) -> None:
    from fastapi.testclient import TestClient

    from stretto.studio import create_app

    with TestClient(create_app(project, solve_limit=0.5), base_url=LOCAL) as c:
        assert c.get("/api/features").json()["solve_limit"] == 0.5
        _pin_that_holds(c, project)
    assert _score(project)["project"]["runs"][-1]["time_limit"] == 0.5


def test_downloads(client) -> None:
    assert client.get("/api/download/score.mid").content[:4] == b"MThd"
    assert b"<score-partwise" in client.get("/api/download/score.musicxml").content
    assert client.get("/api/download/score.svg").text.startswith("<svg")
    info = client.get("/api/render").json()
    assert [s["voice"] for s in info["stems"]] == [1, 2] and info["seconds"] > 10
    assert client.get("/api/mix.wav").content[:4] == b"RIFF"
    assert client.get("/api/stems/2.wav").content[:4] == b"RIFF"
    assert client.get("/api/stems/3.wav").status_code == 422
    names = zipfile.ZipFile(io.BytesIO(client.get("/api/download/stems.zip").content)).namelist()
    assert names == ["stems/01-Soprano.wav", "stems/02-Alto.wav", "mix.wav"]
    daw = client.get("/api/download/score.dawproject")
    assert daw.status_code == 200, daw.text
    assert "project.xml" in zipfile.ZipFile(io.BytesIO(daw.content)).namelist()
    assert client.get("/api/render?engine=organ").json()["field"] == "engine"


def test_pdf_download(client) -> None:
    pytest.importorskip("lilypond", reason="PDF engraving needs the lilypond package")
    r = client.get("/api/download/score.pdf")
    assert r.status_code == 200 and r.content[:5] == b"%PDF-"


@pytest.mark.parametrize("path", ["/api/download/..%2Fscore.json", "/api/download/%2e%2e",
                                  "/static/..%2Fserver.py", "/static/studio.py",
                                  "/api/download/stems%2F..%2F..%2Fetc%2Fpasswd"],
                         ids=["dotdot", "dots", "static-dotdot", "static-other", "deep"])
def test_paths_cannot_leave_the_project(client, path) -> None:
    r = client.get(path)
    assert r.status_code in (404, 422) and "root:" not in r.text and "import" not in r.text


def test_project_files_are_read_by_name_only(project) -> None:
    from stretto.app.files import read_file

    with pytest.raises(BadInput, match="not a file stretto writes"):
        read_file(project, "../score.json")
    (project / "stems").mkdir()
    (project / "stems" / "01-Soprano.wav").symlink_to("/etc/passwd")
    with pytest.raises(BadInput, match="out of the project"):
        read_file(project, "stems/01-Soprano.wav")


def test_gate_refuses_foreign_hosts_big_bodies_and_other_origins(project) -> None:
    from fastapi.testclient import TestClient

    from stretto.studio import create_app

    studio = create_app(project, max_body=1024)
    assert TestClient(studio, base_url="http://evil.example").get("/").status_code == 403
    c = TestClient(studio, base_url=LOCAL)
    big = {"voice": 1, "bar": 5, "pitch": "E5", "x": "a" * 4000}
    assert c.post("/api/pin", json=big).status_code == 413
    r = c.post("/api/pin", json={"voice": 1, "bar": 5, "pitch": "E5"},
               headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert c.request("DELETE", "/api/score").status_code == 405


def test_token_is_required_on_every_request(project) -> None:
    from fastapi.testclient import TestClient

    from stretto.studio import create_app

    studio = create_app(project, token="s3cret-token", allowed_hosts=None)
    c = TestClient(studio, base_url="http://192.0.2.7:8765")
    assert c.get("/api/summary").status_code == 401
    assert c.get("/api/summary", headers={"X-Stretto-Token": "wrong"}).status_code == 401
    assert c.post("/api/undo", json={}).status_code == 401
    assert c.get("/api/summary", headers={"X-Stretto-Token": "s3cret-token"}).status_code == 200
    assert c.get("/?token=s3cret-token").status_code == 200  # sets the cookie
    assert c.get("/api/summary").status_code == 200


def test_cli_parses_and_refuses_a_missing_project(tmp_path, capsys) -> None:
    from stretto.cli import main
    from stretto.cli_studio import is_loopback

    assert main(["studio", str(tmp_path / "none"), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no project folder" in err
    assert main(["studio", str(tmp_path), "--port", "99999"]) == 2
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")


def test_conflicts_map_to_the_notes_they_name(project) -> None:
    from stretto.app.view import conflict_notes, score_view

    view = score_view(project)
    ids = {(n.voice, n.bar): n.id for n in view.notes}
    found = conflict_notes(view, [
        "your pin voice 1 bar 6 = E5", "your lock of voice 1 bars 2-3",
        "regenerate voice 1 bars 4-5: everything else stays as it is",
        "the cantus note at bar 3 is E4", "rule consonance: every downbeat consonant"])
    assert list(found.values()) == [
        (ids[1, 6],), (ids[1, 2], ids[1, 3]), (ids[1, 4], ids[1, 5]), (ids[2, 3],), ()]


def test_regenerate_offers_options_and_choose_takes_another(client, project) -> None:
    r = client.post("/api/regenerate", json={"bars": "4-7", "voice": 1, "options": 3})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["action"] == "regenerate" and 2 <= len(data["choices"]) <= 3
    assert [c["number"] for c in data["choices"]] == list(range(1, len(data["choices"]) + 1))
    second = data["choices"][1]
    r = client.post("/api/choose", json={"option": 2})
    assert r.status_code == 200, r.text
    assert r.json()["what"].startswith("chose option 2")
    # the region's notes are the second alternative's (voice|onset|duration|pitch)
    notes = {f"{n['voice'] - 1}|{n['onset']}|{n['duration']}|{n['pitch']}"
             for n in r.json()["summary"]["notes"]}
    assert set(second["notes"]) <= notes
    assert client.post("/api/choose", json={"option": 9}).json()["field"] == "option"
    assert client.post("/api/regenerate", json={"bars": "4-7", "change": 2}).status_code == 422


def test_the_svg_shows_score_json_even_when_score_musicxml_was_edited(project,
                                                                      monkeypatch) -> None:
    """The SVG is drawn from the saved score.musicxml only while it holds score.json's notes;
    after a hand edit of it, from score.json (its MusicXML written afresh)."""
    import stretto.io.musicxml as writer
    from stretto.app.notation import draw_svg, saved_matches
    from stretto.app.session import load

    written = []
    fresh = writer.musicxml_bytes
    monkeypatch.setattr(writer, "musicxml_bytes", lambda piece: written.append(1) or
                        fresh(piece))
    project_data = load(project, edit=False)[0]
    piece = project_data.piece
    xml = (project / "score.musicxml").read_bytes()
    assert saved_matches(xml, piece)
    draw_svg(project_data, xml)
    assert written == []
    first = piece.voices[0].notes[0]
    at = xml.index(f'<note id="{first.id}">'.encode())
    step = f"<step>{first.name[0]}</step>".encode()
    other = f"<step>{'C' if first.name[0] != 'C' else 'D'}</step>".encode()
    edited = xml[:at] + xml[at:].replace(step, other, 1)
    assert not saved_matches(edited, piece)
    draw_svg(project_data, edited)
    assert written == [1]


def test_pin_without_solving_and_with_a_budget(client, project) -> None:
    before = _score(project)["voices"]
    r = client.post("/api/pin", json={"voice": 1, "bar": 5, "pitch": "A4", "solve": False})
    assert r.status_code == 200 and r.json()["notes_changed"] is None
    assert _score(project)["voices"] == before  # recorded, not re-solved
    assert client.post("/api/pin", json={"voice": 1, "bar": 5, "pitch": "A4",
                                         "budget": -1}).json()["field"] == "budget"
