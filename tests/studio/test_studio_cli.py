"""``stretto studio DIR`` as a user starts it: it prints its URL and serves the project; on
loopback without a token, beyond it only with the token it printed."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

from studio_fixtures import free_port, species_project

httpx = pytest.importorskip("httpx", reason="the CLI test's client uses httpx")


def _start(args: list[str]) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "stretto.cli", "studio", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.startswith("press Ctrl+C"):
            return proc, lines
    proc.kill()
    raise AssertionError(f"the studio did not start: {lines} {proc.stderr.read()}")


def _get(url: str, **kwargs) -> httpx.Response:
    for _ in range(100):  # uvicorn binds just after the banner
        try:
            return httpx.get(url, timeout=30, **kwargs)
        except httpx.ConnectError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answers at {url}")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "0.0.0.0"],
                         ids=["loopback", "loopback-other", "any"])
def test_studio_prints_its_url_and_serves(tmp_path, host) -> None:
    project = species_project(tmp_path)
    port = free_port()
    proc, lines = _start([str(project), "--port", str(port), "--host", host])
    try:
        url = re.search(r"open (http://\S+)", lines[0]).group(1)
        base = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}"
        if host != "0.0.0.0":
            assert url == f"{base}/"
            assert _get(base + "/api/summary").json()["bars"] == 11
        else:
            token = re.search(r"\?token=(\S+)$", url).group(1)
            assert len(token) >= 24 and "token" in lines[1]
            assert _get(base + "/api/summary").status_code == 401
            answer = _get(base + "/api/summary", headers={"X-Stretto-Token": token})
            assert answer.status_code == 200
            page = _get(f"{base}/?token={token}")
            assert page.status_code == 200 and "stretto_token" in page.headers["set-cookie"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
