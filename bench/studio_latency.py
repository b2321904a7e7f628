"""Pin -> redraw latency of the studio: the time from the arrow key to the new score on the
page (the re-solve, the summary, the Verovio SVG and its drawing), median over 20 pins, on a
2-voice and a 4-voice first-species project. Each pin is undone again (untimed), so every
pin starts from the first score; a pin the rules refuse is followed by another arrow press
(it goes on from the refused pitch), and only the press that redraws is timed (the refusals
are timed apart).

Through the browser (Playwright driving Debian's chromium) when both are there; with
``--api``, or without them, through the JSON API: POST /api/pin, then GET /api/score.svg.

    .venv/bin/python bench/studio_latency.py            # browser
    .venv/bin/python bench/studio_latency.py --api      # API + SVG only
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "studio"))  # the tests' loopback server

from studio_fixtures import serving  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")


def make_project(root: Path, voices: int) -> Path:
    from stretto.cli import main

    out = root / f"species-{voices}"
    args = ["species", "--cantus-name", "fux-dorian", "--species", "1", "--voices",
            str(voices), "--cantus-voice", "bottom", "--time-limit", "10", "--seed", "0",
            "--out", str(out), "--json"]
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        assert main(args) == 0
    return out


def targets(summary: dict) -> list[dict]:
    """The notes to pin, in turn: the added voices' notes away from the first and last bars."""
    given = {v["index"] for v in summary["voices"] if v["given"]}
    last = summary["bars"]
    notes = [n for n in summary["notes"] if n["voice"] not in given and 2 < n["bar"] < last - 1]
    return sorted(notes, key=lambda n: (n["bar"], n["voice"]))


def browser_latency(url: str, pins: int) -> tuple[list[float], list[float], list[float]]:
    """Seconds from key press to redraw of each pin that held, of the application call
    (read, solve, save) inside each, and of each refusal."""
    from playwright.sync_api import sync_playwright

    held, solves, refused = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + "/")
        page.wait_for_selector("body[data-version]", timeout=60_000)
        summary = page.evaluate("fetch('/api/summary').then(r => r.json())")
        notes = targets(summary)
        k = 0
        while len(held) < pins and k < 20 * pins:
            note = notes[k % len(notes)]
            k += 1
            page.click(f'g.note[data-note="{note["id"]}"]')
            for attempt in range(4):
                answered = page.get_attribute("body", "data-edits") or "0"
                start = time.perf_counter()
                page.keyboard.press("ArrowUp" if k % 2 else "ArrowDown")
                page.wait_for_function(f"(document.body.dataset.edits || '0') !== '{answered}'",
                                       timeout=60_000)
                took = time.perf_counter() - start
                if page.is_visible("#conflict"):
                    refused.append(took)
                    continue
                held.append(took)
                solves.append(float(page.get_attribute("body", "data-edit-ms")) / 1000)
                answered = page.get_attribute("body", "data-edits")
                page.keyboard.press("Control+z")  # back to the first score, untimed
                page.wait_for_function(f"document.body.dataset.edits !== '{answered}'",
                                       timeout=60_000)
                break
            page.keyboard.press("Escape")
        page.screenshot(path=str(Path(tempfile.gettempdir()) / "studio-latency.png"),
                        full_page=True)
        browser.close()
    return held, solves, refused


def api_latency(url: str, pins: int) -> tuple[list[float], list[float], list[float]]:
    import httpx

    held, solves, refused = [], [], []
    with httpx.Client(base_url=url, timeout=120) as c:
        notes = targets(c.get("/api/summary").json())
        k = 0
        while len(held) < pins and k < 20 * pins:
            note = notes[k % len(notes)]
            k += 1
            pitch = note["up"] if k % 2 else note["down"]
            start = time.perf_counter()
            r = c.post("/api/pin", json={"voice": note["voice"], "bar": note["bar"],
                                         "beat": note["beat"], "pitch": pitch})
            if r.status_code == 200:
                c.get("/api/score.svg").raise_for_status()
                held.append(time.perf_counter() - start)
                solves.append(r.json()["edit_ms"] / 1000)
                c.post("/api/undo", json={}).raise_for_status()
            elif r.status_code == 409:
                refused.append(time.perf_counter() - start)
            else:
                r.raise_for_status()
    return held, solves, refused


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--api", action="store_true", help="through the API, not the browser")
    ap.add_argument("--pins", type=int, default=20)
    args = ap.parse_args()
    from stretto.studio import create_app

    browser = not args.api and CHROMIUM.is_file()
    if browser:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            browser = False
    how = "browser (chromium, headless)" if browser else "API: POST /api/pin + GET score.svg"
    print(f"pin -> redraw latency through the {how}; median over {args.pins} pins that hold")
    print(f"{'project':<22}{'notes':>6}{'pins':>6}{'median ms':>11}{'p90 ms':>9}"
          f"{'min ms':>9}{'max ms':>9}{'solve+save ms':>15}{'rest ms':>9}{'refused':>9}"
          f"{'refused median ms':>19}")
    with tempfile.TemporaryDirectory(prefix="studio-latency-") as tmp:
        for voices in (2, 4):
            project = make_project(Path(tmp), voices)
            with serving(create_app(project)) as url:
                held, solves, refused = (browser_latency if browser else api_latency)(
                    url, args.pins)
            import json

            notes = sum(len(v["notes"]) for v in
                        json.loads((project / "score.json").read_text())["voices"])
            ms = sorted(1000 * t for t in held)
            p90 = ms[min(len(ms) - 1, int(0.9 * len(ms)))] if ms else float("nan")
            ref = f"{1000 * statistics.median(refused):.0f}" if refused else "-"
            solve = 1000 * statistics.median(solves)
            rest = statistics.median(1000 * (h - s) for h, s in zip(held, solves))
            print(f"{f'species 1, {voices} voices':<22}{notes:>6}{len(ms):>6}"
                  f"{statistics.median(ms):>11.0f}{p90:>9.0f}{ms[0]:>9.0f}{ms[-1]:>9.0f}"
                  f"{solve:>15.0f}{rest:>9.0f}{len(refused):>9}{ref:>19}")
    print("solve+save: the application call (pin: read, re-solve, save) inside each; rest: "
          "the summary, the SVG and (browser) drawing it; refused: presses the rules refused "
          "(explained, nothing changed)")
    if browser:
        print(f"last page: {Path(tempfile.gettempdir()) / 'studio-latency.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
