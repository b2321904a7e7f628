"""What the studio's routes share: the :class:`Studio` (the project folder, the caches of the
drawn SVG and of the last render, the solve limit), the one place that turns an application
call's result or error into the answer (200 with the summary, 409 with the conflict as data,
422 naming the field, 503 while another command holds the project, 500 in one line), and the
small helpers around it."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from stretto.errors import BadInput, StrettoError, Unsatisfiable

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


def json_answer(status: int, data: dict, headers: dict | None = None):
    from fastapi.responses import JSONResponse
    return JSONResponse(data, status_code=status, headers=headers)


def is_busy(message: str) -> bool:
    # stretto.io.lock says so when another writer held the project for the whole wait
    return "is being changed by another stretto command" in message


class Studio:
    """The state the routes share: the project folder, the caches of the drawn SVG and of the
    last render (keyed by the score's version), and the solve limit."""

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
            try:  # the page asks for the SVG next: drawn with the summary
                view = self.drawn()
            except Exception:  # noqa: BLE001 - the edit is done; GET score.svg will say why
                view = score_view(self.folder)
        except Unsatisfiable as exc:
            current = score_view(self.folder)
            return json_answer(409, {"error": "conflict", "message": str(exc),
                               "conflicts": list(exc.conflicts),
                               "notes": conflict_notes(current, exc.conflicts),
                               "version": current.version,
                               **(on_conflict(current) if on_conflict else {})})
        except BadInput as exc:
            message = str(exc)
            if is_busy(message):
                return json_answer(503, {"error": message}, {"Retry-After": "2"})
            return json_answer(422, {"error": message, "field": field_of(message, sent)})
        except StrettoError as exc:  # the solver found no score in time, an engraver failed
            return json_answer(500, {"error": str(exc) + "; the project is as it was"})
        except Exception as exc:  # noqa: BLE001 - one line, never a traceback
            text = " ".join(str(exc).split())[:200]
            return json_answer(500, {"error": f"internal error ({type(exc).__name__}: {text}); "
                               "the project is as it was"})
        data = {"ok": True, **(asdict(result) if hasattr(result, "__dataclass_fields__")
                               else {})}
        data.pop("files", None)
        data["version"] = view.version
        data["edit_ms"] = round(1000 * took, 1)  # the application call: read, solve, save
        data["summary"] = view_to_dict(view)
        return json_answer(200, plain(data))

    def read(self, call: Callable[[], Any], sent: dict[str, Any] | None = None):
        """A read: the value, or the answer for its error (422, 500)."""
        try:
            return call(), None
        except BadInput as exc:
            return None, json_answer(422, {"error": str(exc), "field": field_of(str(exc),
                                                                             sent or {})})
        except StrettoError as exc:  # an engraver or renderer that failed, in its words
            return None, json_answer(500, {"error": str(exc)})
        except Exception as exc:  # noqa: BLE001
            text = " ".join(str(exc).split())[:200]
            return None, json_answer(500, {"error": f"internal error ({type(exc).__name__}: "
                                     f"{text})"})

    # ------------------------------------------------------------------ media

    def version(self) -> str:
        """The version of the score as it is now (a hash of score.json)."""
        from stretto.app.files import read_file
        from stretto.app.view import version_of

        return version_of(read_file(self.folder, "score.json").decode("utf-8"))

    def drawn(self):
        """The current version's view, its annotated SVG drawn into the cache on the way."""
        from stretto.app.notation import snapshot

        drawn = snapshot(self.folder)
        self.svgs = {**dict(list(self.svgs.items())[-3:]), drawn.view.version: drawn.svg}
        return drawn.view

    def svg(self) -> tuple[str, str]:
        """The annotated SVG of the current version, and the version (drawn once each)."""
        version = self.version()
        if version not in self.svgs:
            version = self.drawn().version  # an edit in between: the newer version
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


def plain(data):
    """JSON-safe: paths and fractions as text."""
    return json.loads(json.dumps(data, default=str))


def daw_export():
    """The application layer's DAW export (:func:`stretto.app.export.export`), or None in a
    stretto without it."""
    try:
        from stretto.app.export import export
    except ImportError:  # pragma: no cover - an older stretto
        return None
    return export


def dawproject_download(folder: Path) -> bytes:
    """The project as a DAWproject file (one note track per voice), written by the
    application layer into a temporary folder and read back."""
    import tempfile

    export = daw_export()
    if export is None:  # pragma: no cover
        raise BadInput("this stretto has no DAWproject export")
    with tempfile.TemporaryDirectory(prefix="stretto-studio-") as tmp:
        out = Path(tmp) / "score.dawproject"
        export(folder, format="dawproject", output=out)
        return out.read_bytes()


__all__ = ["ENGINES", "STATIC", "Studio", "daw_export", "dawproject_download", "field_of",
           "is_busy", "json_answer", "next_steps", "plain"]
