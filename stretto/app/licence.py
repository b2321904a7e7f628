"""Who may use a project's output, and for what: the application functions behind
``stretto licence DIR``, ``render/export --for USE`` and the licence metadata every export
carries.

:func:`licence_of` reads the licences a project recorded (:mod:`stretto.licence`), adds what a
render brings (a SoundFont, the neural checkpoint and its training data) and intersects them;
:func:`check_use` refuses a use (BadInput, exit 2) naming the input that forbids it;
:func:`licence_line` and :func:`licence_metadata` give the line and the fields that MIDI,
MusicXML, WAV, PDF and DAW project files carry::

    from stretto.app.licence import licence_of
    report = licence_of("out/tune")
    print(report.verdict.line())
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stretto.app.session import load, locked
from stretto.errors import BadInput
from stretto.licence import (USES, Input, Verdict, combine,
                             engine_inputs, project_inputs, recorded, require_use)


@dataclass(frozen=True)
class LicenceReport:
    """A project's inputs (the score's, then the render's), what the score and what its
    audio may be used for, and whether the project recorded its inputs (older projects did
    not: their given voice is reported as the composer's own)."""

    inputs: tuple[Input, ...]
    render_inputs: tuple[Input, ...]
    score: Verdict
    audio: Verdict
    recorded: bool
    engine: str | None = None
    #: the line the folder's mix.wav states (as rendered: its engine and SoundFont), if any
    rendered: str | None = None

    def to_dict(self) -> dict[str, Any]:
        def verdict(v: Verdict) -> dict[str, Any]:
            return {"uses": [u for u in USES if u in v.uses], "reasons": v.reasons(),
                    "attributions": list(v.attributions), "line": v.line(),
                    "share_alike": [i.id for i in v.share_alike]}
        return {"recorded": self.recorded, "engine": self.engine, "rendered": self.rendered,
                "inputs": [i.to_dict() for i in self.inputs],
                "render_inputs": [i.to_dict() for i in self.render_inputs],
                "score": verdict(self.score), "audio": verdict(self.audio)}


def _project(project: Any):
    """A :class:`~stretto.project.Project` from a project, or a folder (read under a shared
    lock)."""
    if isinstance(project, (str, Path)):
        with locked(project, shared=True):
            return load(project, edit=False)[0]
    return project


def licence_of(project: Any, *, engine: str | None = None,
               soundfont: str | Path | None = None, soundfont_licence: str | None = None,
               checkpoint: str | Path | None = None, plugins: list[str] | None = None,
               plugin_licence: str | None = None) -> LicenceReport:
    """The licence report of ``project`` (a folder or a Project); ``engine`` (synth,
    soundfont, neural) adds what a render with it brings (default: the built-in synthesis,
    which adds nothing but stretto's code), ``plugins`` its VST3 instruments."""
    proj = _project(project)
    inputs = project_inputs(proj)
    name = engine or ("soundfont" if soundfont else None)
    extra = engine_inputs(name or "synth", soundfont=soundfont,
                          soundfont_licence=soundfont_licence, checkpoint=checkpoint,
                          plugins=plugins, plugin_licence=plugin_licence)
    return LicenceReport(inputs=inputs, render_inputs=extra, score=combine(inputs),
                         audio=combine(inputs + extra), recorded=recorded(proj), engine=name,
                         rendered=_mix_line(project))


def _mix_line(project: Any) -> str | None:
    """The licence line the folder's mix.wav carries (None: no folder, no mix, no tags)."""
    if not isinstance(project, (str, Path)) or not (Path(project) / "mix.wav").is_file():
        return None
    from stretto.renderer.wavinfo import read_wav_tags

    try:
        return read_wav_tags(Path(project) / "mix.wav").copyright or None
    except (ValueError, OSError):
        return None


def check_use(project: Any, *, use: str | None, engine: str | None = None,
              soundfont: str | Path | None = None, soundfont_licence: str | None = None,
              checkpoint: str | Path | None = None, plugins: list[str] | None = None,
              plugin_licence: str | None = None) -> LicenceReport | None:
    """``--for USE``: BadInput (exit 2) naming the input whose licence forbids ``use`` for
    the output (the audio's inputs when ``engine`` is given); None when ``use`` is None."""
    if use is None:
        return None
    report = licence_of(project, engine=engine, soundfont=soundfont,
                        soundfont_licence=soundfont_licence, checkpoint=checkpoint,
                        plugins=plugins, plugin_licence=plugin_licence)
    require_use(report.audio, use)
    return report


def licence_line(project: Any, *, engine: str | None = None,
                 soundfont: str | Path | None = None, soundfont_licence: str | None = None,
                 checkpoint: str | Path | None = None) -> str:
    """The one line every exported file carries: uses allowed, the input that limits them,
    the credits (``Licence: educational and non-commercial use only (the melody ... is under
    ...). Credits: ...``). ``project``: a folder, a Project, or a Piece (a piece alone has no
    record of its inputs: its line says so)."""
    from stretto.score import Piece

    if isinstance(project, Piece):
        return ("Licence: not recorded (a score without its project; run `stretto licence "
                "DIR` on the project folder).")
    return licence_of(project, engine=engine, soundfont=soundfont,
                      soundfont_licence=soundfont_licence, checkpoint=checkpoint).audio.line()


def licence_metadata(project: Any, *, engine: str | None = None,
                     soundfont: str | Path | None = None,
                     soundfont_licence: str | None = None,
                     checkpoint: str | Path | None = None, plugins: list[str] | None = None,
                     plugin_licence: str | None = None) -> dict[str, Any]:
    """The licence as fields for a file's metadata (DAWproject, WAV, C2PA): ``line``, the
    ``uses`` allowed, the ``licences`` (SPDX or LicenseRef ids, each once), the
    ``attributions``, the ``limited_by`` inputs (the ones forbidding a use) and ``inputs``."""
    report = licence_of(project, engine=engine, soundfont=soundfont,
                        soundfont_licence=soundfont_licence, checkpoint=checkpoint,
                        plugins=plugins, plugin_licence=plugin_licence)
    v = report.audio
    return {"line": v.line(), "uses": [u for u in USES if u in v.uses],
            "licences": list(dict.fromkeys(i.licence.id for i in v.inputs)),
            "attributions": list(v.attributions),
            "limited_by": [f"{r.input.describe()} ({r.input.licence.id})"
                           for r in v.refusals],
            "inputs": [i.to_dict() for i in v.inputs]}


def audio_finisher(folder: str | Path, *, engine: str,
                   soundfont: str | Path | None = None, soundfont_licence: str | None = None,
                   checkpoint: str | Path | None = None, use: str | None = None,
                   sign_cert: str | Path | None = None, sign_key: str | Path | None = None,
                   plugins: list[str] | None = None, plugin_licence: str | None = None):
    """What a render does to each WAV it writes, decided before any audio is made: refuse
    ``use`` (BadInput naming the input), then a function ``finish(path, voice)`` that adds the
    licence and credits (LIST/INFO and BWF bext, :mod:`stretto.renderer.wavinfo`) and, with
    ``sign_cert``/``sign_key``, signs the file with a C2PA manifest
    (:mod:`stretto.renderer.credentials`). The caller holds the project's lock. The tags
    depend only on the project and the inputs: same score, same bytes. A score.json without
    a project's editing data has no record of its inputs: its files say so, and it cannot be
    cleared for a use or signed."""
    import hashlib

    from stretto.io.project import load_piece, load_project
    from stretto.renderer.wavinfo import WavTags, tag_file

    try:
        project = load_project(folder)[0]
    except BadInput:
        project = None
    if project is None and (use is not None or sign_cert is not None):
        raise BadInput(f"{folder} holds a score without a project's record of its inputs: "
                       "--for and --sign-cert need a project made by stretto species, "
                       "harmonize or compose")

    if (sign_cert is None) != (sign_key is None):
        raise BadInput("give --sign-cert and --sign-key together (the certificate chain and "
                       "its private key, PEM)")
    key = None
    if sign_cert is not None:
        from stretto.renderer.credentials import load_signing_key

        key = load_signing_key(sign_cert, sign_key)
    opts = dict(engine=engine, soundfont=soundfont, soundfont_licence=soundfont_licence,
                checkpoint=checkpoint, plugins=plugins, plugin_licence=plugin_licence)
    if use is not None:
        check_use(project, use=use, **opts)
    if project is None:
        piece = load_piece(folder)
        meta = {"line": licence_line(piece), "attributions": []}
    else:
        piece = project.piece
        meta = licence_metadata(project, **opts)
    score = Path(folder) / "score.json"
    digest = hashlib.sha256(score.read_bytes()).hexdigest() if score.is_file() else ""
    runs = getattr(project, "runs", ())
    version = str(runs[-1].get("stretto", "")) if runs else ""
    from stretto import __version__

    stamp = project.history[-1]["at"] if project is not None and project.history else ""
    title = piece.title or Path(folder).name
    summary = project.summary() if project is not None else ""
    credits = "; ".join(meta["attributions"])

    def finish(path: Path, voice: str | None) -> None:
        tags = WavTags(title=f"{title} ({voice})" if voice else title,
                       copyright=meta["line"],
                       comment=((f"Credits: {credits}. " if credits else "") + summary).strip(),
                       software=f"stretto {__version__}; engine={engine}"
                                + ("; VST3 plugins" if plugins else "")
                                + f"; score by stretto {version or '?'}",
                       date=stamp[:10], time=stamp[11:19], reference=digest[:32],
                       history=f"A=PCM,W=24,M=mono,T=stretto {__version__} {engine} engine")
        tag_file(path, tags)
        if key is not None:
            from stretto.app.statement import note_shares
            from stretto.renderer.credentials import c2pa_manifest, sign_wav

            made = c2pa_manifest(title=title, engine=engine, voice=voice, licence=meta,
                                 score_sha256=digest, shares=note_shares(project),
                                 version=__version__)
            sign_wav(path, made, key)

    return finish


__all__ = ["LicenceReport", "audio_finisher", "check_use", "licence_line", "licence_metadata",
           "licence_of"]
