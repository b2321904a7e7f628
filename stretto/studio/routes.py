"""The studio's routes, registered on a FastAPI app by topic: the error answers, the page, the
reads, the edits (each one application call, see :meth:`stretto.studio.state.Studio.answer`),
and audio and files. docs/studio.md lists them with their bodies and answers."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from stretto.errors import BadInput
from stretto.studio.guard import TOKEN_COOKIE, BodyTooLarge
from stretto.studio.models import ChooseBody, ConstrainBody, LockBody, PinBody, \
    RegenerateBody, StepBody, UnlockBody, UnpinBody
from stretto.studio.state import ENGINES, STATIC, Studio, daw_export, dawproject_download, \
    json_answer, next_steps, plain


def add_error_answers(api) -> None:
    """Errors the framework raises, answered like the studio's own: one line of JSON (422
    naming the field, 404, 405, 413)."""
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

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
        return json_answer(422, {"error": f"{name}: {what}", "field": name})

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        what = {404: f"no such page {request.url.path}: see docs/studio.md for the API",
                405: f"{request.method} is not how {request.url.path} is used"}
        return json_answer(exc.status_code,
                           {"error": what.get(exc.status_code, str(exc.detail))})

    @api.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge):
        return json_answer(413, {"error": str(exc)})


def add_page(api) -> None:
    """The page and its static files (nothing else of the package can be read)."""
    from fastapi.responses import RedirectResponse, Response

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
            return json_answer(404, {"error": f"no static file {name!r}"})
        data = resources.files("stretto.studio").joinpath(f"static/{name}").read_bytes()
        return Response(data, media_type=STATIC[name], headers={"Cache-Control": "no-cache"})

    @api.get("/favicon.ico")
    def favicon():
        return Response(status_code=204)

    @api.get("/api")
    def index():
        return RedirectResponse("/")


def add_reads(api, studio: Studio) -> None:
    """score.json, the summary, the SVG, the history and the provenance."""
    from fastapi.responses import Response

    from stretto import app as ops
    from stretto.app.files import read_file
    from stretto.app.view import score_view, view_to_dict

    folder = studio.folder

    @api.get("/api/score")
    def score():
        data, error = studio.read(lambda: read_file(folder, "score.json"))
        return error or Response(data, media_type="application/json")

    @api.get("/api/version")
    def version():
        current, error = studio.read(studio.version)
        return error or json_answer(200, {"version": current})

    @api.get("/api/summary")
    def summary():
        view, error = studio.read(lambda: score_view(folder))
        return error or json_answer(200, plain(view_to_dict(view)))

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
        return json_answer(200, plain({
            "entries": list(h.entries), "runs": list(h.runs), "undo": h.undo, "redo": h.redo,
            "constraints": [{"id": c.id, "kind": c.kind,
                             "text": c.describe().replace("your ", "")}
                            for c in h.constraints]}))

    @api.get("/api/provenance")
    def provenance():
        report, error = studio.read(lambda: ops.provenance(folder, format="json"))
        return error or json_answer(200, plain(report))

    @api.get("/api/provenance.json")
    def provenance_prov():
        text, error = studio.read(lambda: ops.provenance(folder, format="prov-json"))
        return error or Response(text, media_type="application/json", headers={
            "Content-Disposition": 'attachment; filename="provenance.json"'})


def add_edits(api, studio: Studio) -> None:
    """The edits: each one call of the application layer, its solve bounded."""
    from stretto import app as ops

    folder = studio.folder

    def limit() -> float:
        return studio.time_limit

    @api.post("/api/pin")
    def pin(body: PinBody):
        sent = body.model_dump(exclude_none=True)
        return studio.answer(lambda: ops.pin(
            folder, voice=body.voice, bar=body.bar, beat=body.beat_text(), pitch=body.pitch,
            allow_cantus_edit=body.allow_cantus_edit, time_limit=limit(),
            **body.solve_options()), sent,
            on_conflict=lambda view: {"pitch": body.pitch, "next": next_steps(view, body.pitch)})

    @api.post("/api/unpin")
    def unpin(body: UnpinBody):
        return studio.answer(lambda: ops.unpin(folder, voice=body.voice, bar=body.bar,
                                               beat=body.beat_text(), time_limit=limit(),
                                               **body.solve_options()),
                             body.model_dump(exclude_none=True))

    @api.post("/api/lock")
    def lock(body: LockBody):
        return studio.answer(lambda: ops.lock(folder, voice=body.voice, bars=body.bars),
                             body.model_dump(exclude_none=True))

    @api.post("/api/unlock")
    def unlock(body: UnlockBody):
        return studio.answer(lambda: ops.unlock(folder, voice=body.voice, bars=body.bars,
                                                time_limit=limit(), **body.solve_options()),
                             body.model_dump(exclude_none=True))

    @api.post("/api/regenerate")
    def regenerate(body: RegenerateBody):
        return studio.answer(lambda: ops.regenerate(
            folder, bars=body.bars, voice=body.voice, change=body.change, options=body.options,
            time_limit=limit(), seed=body.seed), body.model_dump(exclude_none=True))

    @api.post("/api/choose")
    def choose(body: ChooseBody):
        return studio.answer(lambda: ops.choose(folder, option=body.option,
                                                time_limit=limit()),
                             body.model_dump(exclude_none=True))

    @api.post("/api/constrain")
    def constrain(body: ConstrainBody):
        options = body.model_dump(exclude_none=True)
        return studio.answer(lambda: ops.constrain(folder, **options, time_limit=limit()),
                             options)

    @api.post("/api/undo")
    def undo(body: StepBody | None = None):
        return studio.answer(lambda: ops.undo(folder), {})

    @api.post("/api/redo")
    def redo(body: StepBody | None = None):
        return studio.answer(lambda: ops.redo(folder), {})


def _engine(engine: str):
    if engine not in ENGINES:
        return json_answer(422, {"error": f"engine: unknown engine {engine!r}: use "
                                 f"{' or '.join(ENGINES)}", "field": "engine"})
    return None


def add_audio(api, studio: Studio) -> None:
    """The render (made once per version and engine), the mix and the stems."""
    from fastapi.responses import Response

    from stretto.app.files import read_file, stem_names

    folder = studio.folder

    @api.get("/api/render")
    def render_info(engine: str = "synth"):
        bad = _engine(engine)
        if bad:
            return bad
        info, error = studio.read(lambda: studio.render(engine), {"engine": engine})
        if error:
            return error
        return json_answer(200, {**info, "mix": f"/api/mix.wav?engine={engine}",
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


def add_downloads(api, studio: Studio) -> None:
    """The score in its formats, the stems zipped, the DAWproject; what the studio offers."""
    from fastapi.responses import Response

    from stretto.app.files import media_type, read_file, stems_zip

    folder: Path = studio.folder

    @api.get("/api/download/{name}")
    def download(name: str):
        def fetch() -> tuple[bytes, str]:
            if name == "stems.zip":
                studio.render("synth")
                return stems_zip(folder), "application/zip"
            if name == "score.dawproject":
                return dawproject_download(folder), "application/zip"
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
                "dawproject": daw_export() is not None, "solve_limit": studio.time_limit}


__all__ = ["add_audio", "add_downloads", "add_edits", "add_error_answers", "add_page",
           "add_reads"]
