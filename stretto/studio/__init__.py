"""The studio: edit a project by constraints in the browser (``stretto studio DIR``).

:func:`create_app` builds the ASGI app (FastAPI) over the application layer; the page in
``static/`` is plain HTML, CSS and JavaScript served by the studio itself, with the score drawn
by Verovio on the server. See docs/studio.md for the page and the JSON API."""

from stretto.studio.server import create_app

__all__ = ["create_app"]
