"""The studio's web application: a FastAPI app over the application layer (:mod:`stretto.app`,
the functions the command line calls; the studio has no editing logic of its own) and the
page in ``static/``. Every edit goes through the project's lock inside those functions, so the
studio and a terminal can work on one project at once.

Answers (docs/studio.md lists every route):

* an edit that succeeds: 200 with what it did (``notes_changed``, ``status``...) and the new
  score's summary (``summary``: the :class:`~stretto.app.view.ScoreView` as data);
* a wish that cannot hold: 409 with the explanation as data (``conflicts``, and ``notes``:
  the ids of the notes each conflict names); nothing is written;
* bad input: 422 ``{"error": ..., "field": ...}`` naming the field;
* a crash: 500 with one line; the application layer saves all or nothing, so the project is
  as it was.

Every request passes :class:`~stretto.studio.guard.Guard` first (host, token, JSON, size).
"""

from __future__ import annotations

from pathlib import Path

from stretto.studio.guard import LOOPBACK, Guard
from stretto.studio.state import Studio

MAX_BODY = 16 * 1024  # bytes: the largest edit request is a few hundred
SOLVE_LIMIT = 20.0  # seconds: the longest solve one request may start


def create_app(project_dir: str | Path, *, token: str | None = None,
               allowed_hosts: tuple[str, ...] | None = LOOPBACK, max_body: int = MAX_BODY,
               solve_limit: float = SOLVE_LIMIT):
    """The studio's ASGI app over the project in ``project_dir``. ``token``: required on
    every request (give one whenever the studio listens beyond loopback); ``allowed_hosts``:
    the names the ``Host`` header may carry (None: any, for a token-guarded studio);
    ``max_body``: the largest request body in bytes; ``solve_limit``: the longest solve, in
    seconds, one request may start (the project's own limit when that is shorter).
    BadInput when ``project_dir`` holds no project."""
    from fastapi import FastAPI

    from stretto.studio import routes

    studio = Studio(Path(project_dir), solve_limit=solve_limit)
    api = FastAPI(title="stretto studio", docs_url=None, redoc_url=None, openapi_url=None)
    routes.add_error_answers(api)
    routes.add_page(api)
    routes.add_reads(api, studio)
    routes.add_edits(api, studio)
    routes.add_audio(api, studio)
    routes.add_downloads(api, studio)
    return Guard(api, token=token, allowed_hosts=allowed_hosts, max_body=max_body)


__all__ = ["MAX_BODY", "SOLVE_LIMIT", "create_app"]
