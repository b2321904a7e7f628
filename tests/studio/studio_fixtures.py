"""What the studio's tests share: small species projects (solved once per session, copied for
each test) and a real uvicorn server on a free loopback port."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the studio needs its extra: pip install -e '.[studio]'")
pytest.importorskip("verovio", reason="the studio draws the score with verovio (render extra)")

_MADE: dict[tuple[int, str], Path] = {}


def species_project(root: Path, *, voices: int = 2, cantus: str = "fux-dorian") -> Path:
    """A first-species project on ``cantus`` with ``voices`` voices (cantus at the bottom),
    solved once per session and copied to ``root``."""
    from stretto.cli import main

    key = (voices, cantus)
    if key not in _MADE:
        import tempfile

        out = Path(tempfile.mkdtemp(prefix="stretto-studio-tests-")) / "master"
        args = ["species", "--cantus-name", cantus, "--species", "1", "--voices", str(voices),
                "--cantus-voice", "bottom", "--time-limit", "5", "--seed", "0",
                "--out", str(out)]
        assert main(args) == 0
        _MADE[key] = out
    target = root / f"project-{voices}"
    shutil.copytree(_MADE[key], target)
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(app, *, port: int | None = None):
    """Run ``app`` on a real uvicorn server on 127.0.0.1; yields its base URL."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the studio's server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
