"""The studio in a real browser: Playwright drives Debian's Chromium (no browser download)
against a real server on loopback. Click a note, press the up arrow, wait for the redraw:
score.json holds the pinned pitch and the note is drawn in the composer's colour; a pin that
cannot hold shows its explanation beside the notes and changes nothing. A failing test leaves
a screenshot in its tmp folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from studio_fixtures import serving, species_project

# a real browser per test: make test runs them, make test-fast leaves them out
pytestmark = pytest.mark.slow


CHROMIUM = Path("/usr/bin/chromium")
pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright (pip)")
if not CHROMIUM.is_file():  # pragma: no cover
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

YOURS = "rgb(11, 99, 206)"  # COLOURS["yours"], as the browser computes it
WAIT_MS = 30_000


@pytest.fixture()
def page(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.errors = errors
            yield page
        finally:
            browser.close()


@pytest.fixture()
def shot_on_failure(request, page, tmp_path):
    """A full-page screenshot in the test's tmp folder when the test fails (its call's
    report is logged before teardown runs)."""
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed > failed:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        print(f"screenshot: {tmp_path / 'failure.png'}")


def _score(project: Path) -> dict:
    return json.loads((project / "score.json").read_text())


def _note(project: Path, note_id: str) -> dict:
    return next(n for v in _score(project)["voices"] for n in v["notes"] if n["id"] == note_id)


def _press_up(page, note_id: str) -> None:
    """Click the note and press the up arrow; wait until the studio has answered."""
    answered = page.get_attribute("body", "data-edits") or "0"
    page.click(f'g.note[data-note="{note_id}"]')
    page.keyboard.press("ArrowUp")
    page.wait_for_function(f"(document.body.dataset.edits || '0') !== '{answered}'",
                           timeout=WAIT_MS)


def test_click_arrow_up_pins_and_a_conflict_changes_nothing(tmp_path, page,
                                                            shot_on_failure) -> None:
    from stretto.studio import create_app

    from stretto.app.view import step_pitch
    from stretto.modes import Mode
    from stretto.pitch import Pitch

    project = species_project(tmp_path)
    with serving(create_app(project)) as url:
        page.goto(url + "/")
        page.wait_for_selector("body[data-version]", timeout=WAIT_MS)
        summary = page.evaluate("fetch('/api/summary').then(r => r.json())")
        mode = Mode.parse(summary["mode"])
        tried = {"pinned": None, "conflict": None}
        for note in [n for n in summary["notes"] if n["voice"] == 1 and 3 <= n["bar"] <= 9]:
            if all(tried.values()):
                break
            # up, and up again from the pitch a refused pin asked for, until a pin holds
            wish = note["pitch"]
            for _ in range(4):
                wish = step_pitch(Pitch.parse(wish), mode, 1).name
                before = (project / "score.json").read_bytes()
                version = page.get_attribute("body", "data-version")
                _press_up(page, note["id"])
                if not page.is_visible("#conflict"):
                    break
                # the explanation names the pin, beside the notes; nothing changed
                text = page.inner_text("#conflict")
                assert f"pin voice 1 bar {note['bar']} = {wish}" in text
                assert "nothing changed" in text.lower()
                assert page.locator("#score rect.mark.conflict").count() >= 1
                assert (project / "score.json").read_bytes() == before
                assert page.get_attribute("body", "data-version") == version
                assert _note(project, note["id"])["pitch"] == note["pitch"]
                tried["conflict"] = tried["conflict"] or note["id"]
            else:
                continue
            assert not page.errors, page.errors
            # the redraw: a new version, the pitch in score.json, the composer's colour
            assert page.get_attribute("body", "data-version") != version
            pinned = _note(project, note["id"])
            assert (pinned["pitch"], pinned["origin"]) == (wish, "human")
            group = f'g.note[data-note="{note["id"]}"]'
            assert "yours" in page.get_attribute(group, "class")
            fill = page.eval_on_selector(
                group, "g => getComputedStyle(g.querySelector('.notehead use, use')).fill")
            assert fill == YOURS
            assert page.inner_text("#selection").startswith(wish)
            tried["pinned"] = tried["pinned"] or note["id"]
            # the history panel names the step and its author
            page.wait_for_function("document.querySelector('#history li .by')")
            page.wait_for_function(f"document.getElementById('history').innerText"
                                   f".includes('pin voice 1 bar {note['bar']} = {wish}')",
                                   timeout=WAIT_MS)
        assert tried["pinned"], "no up-step of the counterpoint could be pinned"
        assert tried["conflict"], "no up-step of the counterpoint conflicted"
        assert not page.errors, page.errors
        # undo from the keyboard takes the pin back
        answered = page.get_attribute("body", "data-edits")
        page.keyboard.press("Control+z")
        page.wait_for_function(f"document.body.dataset.edits !== '{answered}'", timeout=WAIT_MS)
        assert _score(project)["project"]["constraints"] == []


def test_page_loads_with_nothing_from_elsewhere(tmp_path, page, shot_on_failure) -> None:
    """Every request the page makes goes to the studio itself."""
    from stretto.studio import create_app

    project = species_project(tmp_path)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    with serving(create_app(project)) as url:
        page.goto(url + "/")
        page.wait_for_selector("body[data-version]", timeout=WAIT_MS)
        page.wait_for_function("document.querySelector('#provenance tr')", timeout=WAIT_MS)
        assert page.locator("#score g.note").count() == 22
        assert "0 of 11" in page.inner_text("#provenance")
    assert requested and all(u.startswith(url) for u in requested), requested
    assert not page.errors, page.errors
    shutil.rmtree(project)


def test_play_follows_the_score_and_voices_can_be_muted(tmp_path, page,
                                                        shot_on_failure) -> None:
    """Play renders the mix (the default engine), the notes sounding are marked as it goes,
    and a voice can be muted while it plays."""
    pytest.importorskip("soundfile", reason="rendering needs the render extra")
    from stretto.studio import create_app

    project = species_project(tmp_path)
    with serving(create_app(project)) as url:
        page.goto(url + "/")
        page.wait_for_selector("body[data-version]", timeout=WAIT_MS)
        page.click("#play")
        page.wait_for_function("document.getElementById('status').innerText"
                               ".startsWith('playing')", timeout=WAIT_MS)
        page.wait_for_selector("#score rect.mark.playing", state="attached", timeout=WAIT_MS)
        # one evaluation: the marks are redrawn on every animation frame
        marked = page.evaluate("[...document.querySelectorAll('#score rect.mark.playing')]"
                               ".map(r => r.parentNode.dataset.voice)")
        assert set(marked) == {"1", "2"}
        page.check('input[data-mute="0"]')
        page.wait_for_function(
            "[...document.querySelectorAll('#score rect.mark.playing')]"
            ".every(r => r.parentNode.dataset.voice === '2')", timeout=WAIT_MS)
        page.click("#stop")
        assert page.locator("#score rect.mark.playing").count() == 0
    assert (project / "mix.wav").is_file() and len(list((project / "stems").iterdir())) == 2
    assert not page.errors, page.errors


def test_an_edit_from_the_terminal_is_redrawn(tmp_path, page, shot_on_failure) -> None:
    """The page notices a change made elsewhere (here the application layer, as the command
    line calls it) and redraws it."""
    from stretto import app as ops
    from stretto.studio import create_app

    project = species_project(tmp_path)
    with serving(create_app(project)) as url:
        page.goto(url + "/")
        page.wait_for_selector("body[data-version]", timeout=WAIT_MS)
        before = page.get_attribute("body", "data-version")
        ops.lock(project, voice=1, bars="2-3")
        page.wait_for_function(f"document.body.dataset.version !== '{before}'", timeout=WAIT_MS)
        assert page.locator('#score g.note.yours[data-voice="1"]').count() == 2
        assert "changed elsewhere" in page.inner_text("#status")
    assert not page.errors, page.errors


def test_the_note_menu_locks_a_bar(tmp_path, page, shot_on_failure) -> None:
    """Right click on a note: its menu; "Lock voice 1 bar 6" keeps that note, drawn as the
    composer's."""
    from stretto.studio import create_app

    project = species_project(tmp_path)
    with serving(create_app(project)) as url:
        page.goto(url + "/")
        page.wait_for_selector("body[data-version]", timeout=WAIT_MS)
        note = page.get_attribute('g.note[data-voice="1"][data-bar="6"]', "data-note")
        page.click(f'g.note[data-note="{note}"]', button="right")
        assert "Regenerate bar 6 of voice 1" in page.inner_text("#menu")
        answered = page.get_attribute("body", "data-edits") or "0"
        page.click('#menu button:has-text("Lock voice 1 bar 6")')
        page.wait_for_function(f"(document.body.dataset.edits || '0') !== '{answered}'",
                               timeout=WAIT_MS)
        assert page.is_hidden("#menu")
        assert "yours" in page.get_attribute(f'g.note[data-note="{note}"]', "class")
    assert json.loads((project / "score.json").read_text())["project"]["constraints"][0][
        "kind"] == "lock"
    assert not page.errors, page.errors
