"""A bounded load test on loopback: 200 mixed requests (reads, pins, locks) from 4 client
threads against a real uvicorn server. No request errs (every answer is 200, or 409 for a pin
the rules refuse), and no edit is lost: every edit answered 200 is in the history, once."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter

import pytest

from studio_fixtures import serving, species_project

httpx = pytest.importorskip("httpx", reason="the load test's clients use httpx")

CLIENTS, REQUESTS = 4, 200


@pytest.mark.slow  # about 45 s on the 2-core machine: most of the pins are solved one by one
def test_200_mixed_requests_from_4_clients_lose_no_edit(tmp_path) -> None:
    from stretto.studio import create_app

    project = species_project(tmp_path)
    start = json.loads((project / "score.json").read_text())["project"]["history"]
    summary = None
    answers: list[tuple[str, int, str | None]] = []
    guard = threading.Lock()

    with serving(create_app(project, solve_limit=2.0)) as url:
        summary = httpx.get(url + "/api/summary").json()
        soprano = [n for n in summary["notes"] if n["voice"] == 1 and 2 <= n["bar"] <= 10]

        def client(k: int) -> None:
            rng = random.Random(k)
            with httpx.Client(base_url=url, timeout=120) as c:
                for i in range(REQUESTS // CLIENTS):
                    roll = rng.random()
                    if roll < 0.25:
                        r = c.get(["/api/summary", "/api/score.svg", "/api/history",
                                   "/api/provenance", "/api/score"][i % 5])
                        kind = "read"
                    elif roll < 0.85:
                        n = rng.choice(soprano)
                        pitch = rng.choice([p for p in (n["up"], n["down"], n["pitch"]) if p])
                        r = c.post("/api/pin", json={"voice": 1, "bar": n["bar"],
                                                     "pitch": pitch})
                        kind = "pin"
                    else:
                        bar = rng.randint(2, 10)
                        r = c.post("/api/lock", json={"voice": 1, "bars": f"{bar}-{bar}"})
                        kind = "lock"
                    what = r.json().get("what") if kind != "read" and \
                        r.status_code == 200 else None
                    with guard:
                        answers.append((kind, r.status_code, what))

        threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        assert not any(t.is_alive() for t in threads), "a client did not finish"
        final = httpx.get(url + "/api/summary")
        assert final.status_code == 200

    assert len(answers) == REQUESTS
    statuses = Counter((kind, status) for kind, status, _ in answers)
    assert all(s == 200 for (kind, s) in statuses if kind in ("read", "lock")), statuses
    assert all(s in (200, 409) for (kind, s) in statuses if kind == "pin"), statuses
    done = [what for kind, status, what in answers if kind != "read" and status == 200]
    assert statuses[("pin", 200)] >= 1 and statuses[("lock", 200)] >= 1, statuses
    history = json.loads((project / "score.json").read_text())["project"]["history"]
    assert history[:len(start)] == start
    # every edit answered 200 is in the history, once, and nothing else is
    assert Counter(e["what"] for e in history[len(start):]) == Counter(done)
    assert [e["n"] for e in history] == list(range(1, len(history) + 1))
