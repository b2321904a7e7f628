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
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from stretto.errors import BadInput, StrettoError, Unsatisfiable
from stretto.studio.guard import LOOPBACK, TOKEN_COOKIE, BodyTooLarge, Guard
from stretto.studio.models import Choose, Constrain, Lock, Pin, Regenerate, Step, Unpin

MAX_BODY = 16 * 1024  # bytes: the largest edit request is a few hundred
SOLVE_LIMIT = 20.0  # seconds: the longest solve one request may start
STATIC = {"index.html": "text/html; charset=utf-8", "studio.js": "text/javascript",
          "studio.css": "text/css"}
ENGINES = ("synth", "neural")
_FIELDS = ("allow_cantus_edit", "pitch", "voices", "voice", "bars", "beat", "bar", "rule",
           "interval", "direction", "low", "high", "steps", "state", "weight", "name",
           "engine")


def field_of(message: str, sent: dict[str, Any]) -> str | None:
    """The request field a BadInput message names ("--voice 3 is outside ...", "unknown
    pitch name ..."): the first field sent that the message mentions."""
    for name in _FIELDS:
        if name in sent and re.search(rf"(?<![a-z_]){name.replace('_', '[-_ ]')}(?![a-z])",
                                      message.lower()):
            return name
    return next(iter(sent), None)


def _json(status: int, data: dict, headers: dict | None = None):
    from fastapi.responses import JSONResponse
    return JSONResponse(data, status_code=status, headers=headers)


def _busy(message: str) -> bool:
    # stretto.io.lock says so when another writer held the project for the whole wait
    return "is being changed by another stretto command" in message


class Studio:
    """The state the routes share: the project folder, the caches of drawn SVGs and of the
    last render per engine (keyed by the score's version), and the solve limit."""

    def __init__(self, folder: Path, *, solve_limit: float) -> None:
        from stretto.app.view import score_view

        self.folder = folder
        self.solve_limit = solve_limit
        self.time_limit = min(score_view(folder).time_limit, solve_limit)
        self.svgs: dict[str, str] = {}
        self.rendered: dict[str, tuple[str, dict]] = {}
        self.engraved: str | None = None
        self.media_lock = threading.Lock()  # one render or engraving at a time

    # ------------------------------------------------------------------ answers

    def answer(self, call: Callable[[], Any], sent: dict[str, Any], *,
               on_conflict: Callable[[Any], dict] | None = None):
        """Run one application call and turn its result or error into the answer;
        ``on_conflict(view)`` adds to a conflict's answer."""
        from stretto.app.view import conflict_notes, score_view, view_to_dict

        started = time.perf_counter()
        try:
            result = call()
            took = time.perf_counter() - started
            view = score_view(self.folder)
        except Unsatisfiable as exc:
            current = score_view(self.folder)
            return _json(409, {"error": "conflict", "message": str(exc),
                               "conflicts": list(exc.conflicts),
                               "notes": conflict_notes(current, exc.conflicts),
                               "version": current.version,
                               **(on_conflict(current) if on_conflict else {})})
        except BadInput as exc:
            message = str(exc)
            if _busy(message):
                return _json(503, {"error": message}, {"Retry-After": "2"})
            return _json(422, {"error": message, "field": field_of(message, sent)})
        except StrettoError as exc:  # the solver found no score in time, an engraver failed
            return _json(500, {"error": str(exc) + "; the project is as it was"})
        except Exception as exc:  # noqa: BLE001 - one line, never a traceback
            text = " ".join(str(exc).split())[:200]
            return _json(500, {"error": f"internal error ({type(exc).__name__}: {text}); "
                               "the project is as it was"})
        data = {"ok": True, **(asdict(result) if hasattr(result, "__dataclass_fields__")
                               else {})}
        data.pop("files", None)
        data["version"] = view.version
        data["edit_ms"] = round(1000 * took, 1)  # the application call: read, solve, save
        data["summary"] = view_to_dict(view)
        return _json(200, _plain(data))

    def read(self, call: Callable[[], Any], sent: dict[str, Any] | None = None):
        """A read: the value, or the answer for its error (422, 500)."""
        try:
            return call(), None
        except BadInput as exc:
            return None, _json(422, {"error": str(exc), "field": field_of(str(exc),
                                                                             sent or {})})
        except StrettoError as exc:  # an engraver or renderer that failed, in its words
            return None, _json(500, {"error": str(exc)})
        except Exception as exc:  # noqa: BLE001
            text = " ".join(str(exc).split())[:200]
            return None, _json(500, {"error": f"internal error ({type(exc).__name__}: "
                                     f"{text})"})

    # ------------------------------------------------------------------ media

    def version(self) -> str:
        """The version of the score as it is now (a hash of score.json)."""
        from stretto.app.files import read_file
        from stretto.app.view import version_of

        return version_of(read_file(self.folder, "score.json").decode("utf-8"))

    def svg(self) -> tuple[str, str]:
        """The annotated SVG of the current version, and the version (drawn once each)."""
        from stretto.app.notation import snapshot

        version = self.version()
        if version not in self.svgs:
            drawn = snapshot(self.folder)  # an edit in between: the newer version
            version = drawn.view.version
            self.svgs = {**dict(list(self.svgs.items())[-3:]), version: drawn.svg}
        return self.svgs[version], version

    def render(self, engine: str) -> dict:
        """Render the mix and stems with ``engine`` unless this version already is."""
        from stretto.app import render

        with self.media_lock:
            version = self.version()
            # one set of stems and mix in the project: the last render, of one engine
            done = self.rendered.get(engine)
            if done is None or done[0] != version:
                self.rendered.clear()
                result = render(self.folder, engine=engine)
                audio = result.render
                info = {"engine": engine, "version": version, "sr": audio.sr,
                        "gain": float(audio.gain), "tempo": str(audio.tempo),
                        "seconds": float(len(audio.mix)) / audio.sr,
                        "stems": sorted(k for k in result.files if k.startswith("stems/"))}
                self.rendered[engine] = (version, info)
            return self.rendered[engine][1]

    def pdf(self) -> None:
        from stretto.app import engrave

        with self.media_lock:
            version = self.version()
            if self.engraved != version or not (self.folder / "score.pdf").is_file():
                engrave(self.folder, formats=("pdf",))
                self.engraved = version


def next_steps(view, pitch: str) -> dict[str, str | None]:
    """The pitches a step and a semitone up and down from ``pitch`` in the score's mode: where
    the next arrow key goes after a pin that could not hold."""
    from stretto.app.view import step_pitch
    from stretto.modes import Mode
    from stretto.pitch import Pitch

    p, mode = Pitch.parse(pitch), Mode.parse(view.mode)
    found = {key: step_pitch(p, mode, s, chromatic=c) for key, s, c in (
        ("up", 1, False), ("down", -1, False), ("up_chromatic", 1, True),
        ("down_chromatic", -1, True))}
    return {k: v.name if v else None for k, v in found.items()}


def _plain(data):
    """JSON-safe: paths and fractions as text."""
    return json.loads(json.dumps(data, default=str))


def _daw_export():
    """The application layer's DAW export (:func:`stretto.app.export.export`), or None in a
    stretto without it."""
    try:
        from stretto.app.export import export
    except ImportError:  # pragma: no cover - an older stretto
        return None
    return export


def dawproject_bytes(folder: Path) -> bytes:
    """The project as a DAWproject file (one note track per voice), written by the
    application layer into a temporary folder and read back."""
    import tempfile

    export = _daw_export()
    if export is None:  # pragma: no cover
        raise BadInput("this stretto has no DAWproject export")
    with tempfile.TemporaryDirectory(prefix="stretto-studio-") as tmp:
        out = Path(tmp) / "score.dawproject"
        export(folder, format="dawproject", output=out)
        return out.read_bytes()


def create_app(project_dir: str | Path, *, token: str | None = None,
               allowed_hosts: tuple[str, ...] | None = LOOPBACK, max_body: int = MAX_BODY,
               solve_limit: float = SOLVE_LIMIT):
    """The studio's ASGI app over the project in ``project_dir``. ``token``: required on
    every request (give one whenever the studio listens beyond loopback); ``allowed_hosts``:
    the names the ``Host`` header may carry (None: any, for a token-guarded studio);
    ``max_body``: the largest request body in bytes; ``solve_limit``: the longest solve, in
    seconds, one request may start (the project's own limit when that is shorter).
    BadInput when ``project_dir`` holds no project."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import RedirectResponse, Response
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from stretto import app as ops
    from stretto.app.files import media_type, read_file, stem_names, stems_zip
    from stretto.app.view import score_view, view_to_dict

    folder = Path(project_dir)
    studio = Studio(folder, solve_limit=solve_limit)
    api = FastAPI(title="stretto studio", docs_url=None, redoc_url=None, openapi_url=None)
    limit = lambda: studio.time_limit  # noqa: E731

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(x) for x in first.get("loc", ()) if x not in ("body", "query", "path")]
        name = loc[0] if loc and first.get("type") != "json_invalid" else "body"
        what = first.get("msg", "invalid").replace("Value error, ", "")
        if first.get("type") == "extra_forbidden":
            what = "is not a field of this request"
        elif first.get("type") == "json_invalid" or name == "body":
            what = "the body must be a JSON object"
        return _json(422, {"error": f"{name}: {what}", "field": name})

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        what = {404: f"no such page {request.url.path}: see docs/studio.md for the API",
                405: f"{request.method} is not how {request.url.path} is used"}
        return _json(exc.status_code, {"error": what.get(exc.status_code, str(exc.detail))})

    @api.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge):
        return _json(413, {"error": str(exc)})

    # ---------------------------------------------------------------- the page

    @api.get("/")
    def page(token: str | None = None):
        text = resources.files("stretto.studio").joinpath("static/index.html").read_text(
            encoding="utf-8")
        response = Response(text, media_type=STATIC["index.html"])
        if token:  # the guard checked it; the cookie carries it to every later request
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response

    @api.get("/static/{name}")
    def static(name: str):
        if name not in STATIC:
            return _json(404, {"error": f"no static file {name!r}"})
        data = resources.files("stretto.studio").joinpath(f"static/{name}").read_bytes()
        return Response(data, media_type=STATIC[name], headers={"Cache-Control": "no-cache"})

    @api.get("/favicon.ico")
    def favicon():
        return Response(status_code=204)

    # ---------------------------------------------------------------- reading

    @api.get("/api/score")
    def score():
        data, error = studio.read(lambda: read_file(folder, "score.json"))
        return error or Response(data, media_type="application/json")

    @api.get("/api/summary")
    def summary():
        view, error = studio.read(lambda: score_view(folder))
        return error or _json(200, _plain(view_to_dict(view)))

    @api.get("/api/score.svg")
    def score_svg():
        found, error = studio.read(studio.svg)
        if error:
            return error
        svg, version = found
        return Response(svg, media_type="image/svg+xml", headers={"X-Stretto-Version": version,
                                                                  "Cache-Control": "no-store"})

    @api.get("/api/history")
    def history():
        h, error = studio.read(lambda: ops.history(folder))
        if error:
            return error
        return _json(200, _plain({
            "entries": list(h.entries), "runs": list(h.runs), "undo": h.undo, "redo": h.redo,
            "constraints": [{"id": c.id, "kind": c.kind,
                             "text": c.describe().replace("your ", "")}
                            for c in h.constraints]}))

    @api.get("/api/provenance")
    def provenance():
        report, error = studio.read(lambda: ops.provenance(folder, format="json"))
        return error or _json(200, _plain(report))

    @api.get("/api/provenance.json")
    def provenance_prov():
        text, error = studio.read(lambda: ops.provenance(folder, format="prov-json"))
        return error or Response(text, media_type="application/json", headers={
            "Content-Disposition": 'attachment; filename="provenance.json"'})

    # ---------------------------------------------------------------- editing

    @api.post("/api/pin")
    def pin(body: Pin):
        sent = body.model_dump(exclude_none=True)
        return studio.answer(lambda: ops.pin(
            folder, voice=body.voice, bar=body.bar, beat=body.beat_text(), pitch=body.pitch,
            allow_cantus_edit=body.allow_cantus_edit, time_limit=limit()), sent,
            on_conflict=lambda view: {"pitch": body.pitch, "next": next_steps(view, body.pitch)})

    @api.post("/api/unpin")
    def unpin(body: Unpin):
        return studio.answer(lambda: ops.unpin(folder, voice=body.voice, bar=body.bar,
                                               beat=body.beat_text(), time_limit=limit()),
                             body.model_dump(exclude_none=True))

    @api.post("/api/lock")
    def lock(body: Lock):
        return studio.answer(lambda: ops.lock(folder, voice=body.voice, bars=body.bars),
                             body.model_dump(exclude_none=True))

    @api.post("/api/unlock")
    def unlock(body: Lock):
        return studio.answer(lambda: ops.unlock(folder, voice=body.voice, bars=body.bars,
                                                time_limit=limit()),
                             body.model_dump(exclude_none=True))

    @api.post("/api/regenerate")
    def regenerate(body: Regenerate):
        return studio.answer(lambda: ops.regenerate(
            folder, bars=body.bars, voice=body.voice, change=body.change, options=body.options,
            time_limit=limit(), seed=body.seed), body.model_dump(exclude_none=True))

    @api.post("/api/choose")
    def choose(body: Choose):
        return studio.answer(lambda: ops.choose(folder, option=body.option,
                                                time_limit=limit()),
                             body.model_dump(exclude_none=True))

    @api.post("/api/constrain")
    def constrain(body: Constrain):
        options = body.model_dump(exclude_none=True)
        return studio.answer(lambda: ops.constrain(folder, **options, time_limit=limit()),
                             options)

    @api.post("/api/undo")
    def undo(body: Step | None = None):
        return studio.answer(lambda: ops.undo(folder), {})

    @api.post("/api/redo")
    def redo(body: Step | None = None):
        return studio.answer(lambda: ops.redo(folder), {})

    # ---------------------------------------------------------------- audio and files

    def _engine(engine: str):
        if engine not in ENGINES:
            return _json(422, {"error": f"engine: unknown engine {engine!r}: use "
                               f"{' or '.join(ENGINES)}", "field": "engine"})
        return None

    @api.get("/api/render")
    def render_info(engine: str = "synth"):
        bad = _engine(engine)
        if bad:
            return bad
        info, error = studio.read(lambda: studio.render(engine), {"engine": engine})
        if error:
            return error
        return _json(200, {**info, "mix": f"/api/mix.wav?engine={engine}",
                           "stems": [{"voice": i + 1, "name": s,
                                      "url": f"/api/stems/{i + 1}.wav?engine={engine}"}
                                     for i, s in enumerate(info["stems"])]})

    @api.get("/api/mix.wav")
    def mix(engine: str = "synth"):
        bad = _engine(engine)
        if bad:
            return bad
        data, error = studio.read(lambda: (studio.render(engine), read_file(folder,
                                                                            "mix.wav"))[1])
        return error or Response(data, media_type="audio/wav")

    @api.get("/api/stems/{voice}.wav")
    def stem(voice: int, engine: str = "synth"):
        bad = _engine(engine)
        if bad:
            return bad

        def find():
            studio.render(engine)
            names = stem_names(folder)
            if not 1 <= voice <= len(names):
                raise BadInput(f"voice {voice} is outside the {len(names)} stems")
            return read_file(folder, names[voice - 1])

        data, error = studio.read(find, {"voice": voice})
        return error or Response(data, media_type="audio/wav")

    @api.get("/api/download/{name}")
    def download(name: str):
        def fetch() -> tuple[bytes, str]:
            if name == "stems.zip":
                studio.render("synth")
                return stems_zip(folder), "application/zip"
            if name == "score.dawproject":
                return dawproject_bytes(folder), "application/zip"
            if name == "score.pdf":
                studio.pdf()
            if name == "score.svg":
                return studio.svg()[0].encode("utf-8"), "image/svg+xml"
            if name not in ("score.mid", "score.musicxml", "score.json", "score.pdf"):
                raise BadInput(f"no download {name!r}: score.mid, score.musicxml, score.pdf, "
                               "score.svg, score.json, score.dawproject or stems.zip")
            return read_file(folder, name), media_type(name)

        found, error = studio.read(fetch, {"name": name})
        if error:
            return error
        data, kind = found
        return Response(data, media_type=kind, headers={
            "Content-Disposition": f'attachment; filename="{name}"'})

    @api.get("/api/features")
    def features():
        """What this studio can offer (the page hides what it cannot)."""
        import importlib.util

        return {"pdf": importlib.util.find_spec("lilypond") is not None,
                "neural": importlib.util.find_spec("torch") is not None,
                "dawproject": _daw_export() is not None, "solve_limit": studio.time_limit}

    @api.get("/api")
    def index():
        return RedirectResponse("/")

    return Guard(api, token=token, allowed_hosts=allowed_hosts, max_body=max_body)


__all__ = ["MAX_BODY", "SOLVE_LIMIT", "Studio", "create_app", "field_of"]
