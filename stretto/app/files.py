"""A project's files as bytes, for a server or a script to hand out: the score in its
formats, the mix, the stems (one by one or zipped). Only the files stretto writes can be
read, by their names (``score.mid``, ``stems/01-Soprano.wav`` ...): a name that is not one
of them, or that would lead out of the project folder, is refused. Each read holds the
project's shared lock, so it never sees a file of a half-saved version."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from stretto.errors import BadInput

#: the files a project may hold, by name, with their media types
MEDIA = {"score.json": "application/json", "score.mid": "audio/midi",
         "score.musicxml": "application/vnd.recordare.musicxml+xml",
         "score.pdf": "application/pdf", "score.svg": "image/svg+xml", "mix.wav": "audio/wav"}
STEM = re.compile(r"^stems/(\d\d)-[A-Za-z0-9 _.()-]{1,64}\.wav$")


def media_type(name: str) -> str:
    """The media type of a project file name."""
    return "audio/wav" if STEM.match(name) else MEDIA.get(name, "application/octet-stream")


def _path(folder: str | Path, name: str) -> Path:
    if name not in MEDIA and not STEM.match(name):
        raise BadInput(f"{name!r} is not a file stretto writes: ask for one of "
                       f"{', '.join(MEDIA)} or stems/NN-name.wav")
    root = Path(folder).resolve()
    path = (root / name).resolve()
    if root not in path.parents:  # a symlink out of the folder
        raise BadInput(f"{name} leads out of the project folder")
    return path


def read_file(folder: str | Path, name: str) -> bytes:
    """The bytes of the project file ``name``; BadInput when it is not one or is missing."""
    from stretto.app.session import locked

    path = _path(folder, name)
    with locked(folder, shared=True):
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise BadInput(f"the project has no {name} yet") from None
        except OSError as exc:
            raise BadInput(f"cannot read {name}: {exc.strerror}") from None


def stem_names(folder: str | Path) -> list[str]:
    """The stems of the last render (``stems/NN-name.wav``), in voice order."""
    from stretto.app.session import locked

    with locked(folder, shared=True):
        found = sorted(p.name for p in (Path(folder) / "stems").glob("[0-9][0-9]-*.wav"))
    return [f"stems/{n}" for n in found if STEM.match(f"stems/{n}")]


def stems_zip(folder: str | Path) -> bytes:
    """A zip of the last render's stems and mix (``stems/NN-name.wav``, ``mix.wav``)."""
    from stretto.app.session import locked

    buffer = io.BytesIO()
    with locked(folder, shared=True):
        names = [n for n in stem_names(folder)] + ["mix.wav"]
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for name in names:
                path = _path(folder, name)
                if not path.is_file():
                    raise BadInput("the project has no stems yet: render it first")
                z.write(path, name)
    return buffer.getvalue()


__all__ = ["MEDIA", "STEM", "media_type", "read_file", "stem_names", "stems_zip"]
