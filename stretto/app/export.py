"""Export a project for a DAW: ``export(folder, format="dawproject"|"reaper", output=...)``.

One track per voice (named and coloured by voice, its notes as score.mid plays them, in a clip
with the score's tempo and meter; the key in the track comment or project notes), markers at
the cadences and phrase ends, the provenance summary in the metadata; with ``stems``, the
rendered stems as audio tracks starting at the score's time 0, so each sample sits where the
render put it. Stems missing or older than the score (or rendered at another tempo) are
rendered first through :func:`stretto.app.audio.render`.

The file is written all or nothing (a temporary file in the same folder, fsynced, renamed over
the target); a file that stretto did not write (another program's, or one a DAW has saved
since) is never replaced. The project is read under its lock (a reader's: an export changes
nothing in the project)::

    from stretto.app.export import export
    result = export("out/chorale", format="dawproject", stems=True,
                    output="out/chorale.dawproject")
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stretto.app.session import locked
from stretto.errors import BadInput

#: format -> the file suffix DAWs know it by
FORMATS = {"dawproject": ".dawproject", "reaper": ".rpp"}


@dataclass(frozen=True)
class ExportResult:
    """A written export: its format and path, the voice tracks and notes in it, the stems it
    carries (empty without ``stems``) and whether they were rendered for it, the markers, and
    the file's size in bytes."""

    format: str
    path: Path
    tracks: int
    notes: int
    stems: tuple[Path, ...] = ()
    rendered: bool = False
    markers: int = 0
    size: int = 0


def _check_output(output: str | Path, format: str) -> Path:
    from stretto.io import dawproject, reaper

    out = Path(output).absolute()
    suffix = FORMATS[format]
    if out.is_dir():
        raise BadInput(f"--output {output} is a folder: give a file name, e.g. "
                       f"{Path(output) / ('score' + suffix)}")
    if out.suffix.lower() != suffix:
        raise BadInput(f"--output {output}: a {format} file ends in {suffix} (DAWs open it by "
                       f"its suffix); e.g. {Path(output).with_suffix(suffix)}")
    if not out.parent.is_dir():
        raise BadInput(f"--output {output}: the folder {out.parent} does not exist")
    if out.exists() or out.is_symlink():
        made = dawproject.made_by_stretto if format == "dawproject" else reaper.made_by_stretto
        if out.is_symlink() or not out.is_file() or not made(out):
            raise BadInput(f"--output {output} exists and was not written by stretto (or a DAW "
                           "has saved it since, with your work in it); choose another name or "
                           "move it away")
    return out


def stems_problem(folder: str | Path, piece) -> str | None:
    """Why the stems in ``folder/stems`` cannot go into an export as they are (None when
    they can): one missing, older than score.json, or not as long as the score at its tempo
    (rendered at another tempo, or of an earlier score)."""
    from stretto.renderer.render import stem_name
    from stretto.renderer.synth import RELEASE_TAIL

    import soundfile as sf

    folder = Path(folder)
    score_time = (folder / "score.json").stat().st_mtime
    seconds = float(piece.length * 60 / piece.tempo)
    for i, voice in enumerate(piece.voices):
        path = folder / stem_name(i, voice.name)
        if not path.is_file():
            return f"{path.relative_to(folder)} is missing"
        if path.stat().st_mtime < score_time:
            return f"{path.relative_to(folder)} is older than score.json"
        try:
            info = sf.info(str(path))
        except RuntimeError:
            return f"{path.relative_to(folder)} is not a readable WAV file"
        rate = info.samplerate  # the render's length: the score, then the release tail
        expected = int(round(seconds * rate)) + int(round(RELEASE_TAIL * rate))
        if info.frames != expected:
            return (f"{path.relative_to(folder)} lasts {info.frames} samples, the score at its "
                    f"tempo {expected}")
    return None


def _stems(folder: Path, piece) -> list:
    import soundfile as sf

    from stretto.io.daw import StemAudio
    from stretto.renderer.render import stem_name

    out = []
    for i, voice in enumerate(piece.voices):
        path = folder / stem_name(i, voice.name)
        info = sf.info(str(path))
        out.append(StemAudio(voice=i, path=path, sample_rate=info.samplerate,
                             frames=info.frames, channels=info.channels))
    return out


def _read(folder: Path):
    """The piece and its provenance summary; a folder written without editing data (only a
    score) exports too, with no summary to give."""
    from stretto.io.project import load_piece, load_project

    piece = load_piece(folder)
    try:
        project, _ = load_project(folder)
    except BadInput:
        return piece, ""
    return project.piece, project.summary()


def _licensed(folder: Path, piece):
    """The project (for its licence record) or, for a folder without editing data, the piece."""
    from stretto.io.project import load_project

    try:
        return load_project(folder)[0]
    except BadInput:
        return piece


def export(project_dir: str | Path, *, format: str, output: str | Path, stems: bool = False,
           sample_rate: int = 48_000, engine: str | None = None,
           use: str | None = None) -> ExportResult:
    """Write the project in ``project_dir`` as a ``format`` file (``dawproject`` or
    ``reaper``) at ``output``, all or nothing; with ``stems``, the rendered stems go in too
    (rendered first with ``engine`` at ``sample_rate`` when missing or stale). The licence
    line goes into the file (DAWproject Copyright, REAPER notes); ``use`` (commercial,
    educational, non-commercial) is refused first, naming the input that forbids it."""
    from stretto import __version__
    from stretto.io.daw import score_markers, write_atomically

    if format not in FORMATS:
        extra = " (score.mid and score.musicxml are in the project folder already)" \
            if format in ("midi", "musicxml", "mid") else ""
        raise BadInput(f"unknown --format {format!r}: use dawproject or reaper{extra}")
    out = _check_output(output, format)
    folder = Path(project_dir)
    _read(folder)  # a readable project, before anything is rendered
    from stretto.app.licence import check_use, licence_line

    check_use(folder, use=use, engine=(engine or "synth") if stems else None)
    rendered = False
    if stems:
        try:
            import soundfile  # noqa: F401 - the stems are read with it
        except ImportError:
            raise BadInput("--stems needs the render extra: pip install -e '.[render]'") \
                from None
        with locked(folder, shared=True):
            why = stems_problem(folder, _read(folder)[0])
        if why is not None:
            from stretto.app.audio import render

            render(folder, engine=engine, sample_rate=sample_rate, use=use)
            rendered = True
    with locked(folder, shared=True):
        piece, summary = _read(folder)
        rights = licence_line(_licensed(folder, piece), engine=(engine or "synth")
                              if stems else None)
        if not any(v.notes for v in piece.voices):
            raise BadInput(f"{folder} has no notes to export")
        stem_audio = []
        if stems:
            why = stems_problem(folder, piece)
            if why is not None:  # an edit came between the render and this read
                raise BadInput(f"the project changed while its stems were rendered ({why}); "
                               "run the export again")
            stem_audio = _stems(folder, piece)
        if format == "dawproject":
            from stretto.io.dawproject import dawproject_bytes

            data = dawproject_bytes(piece, provenance=summary, stems=stem_audio,
                                    version=__version__, rights=rights)
        else:
            import os

            from stretto.io.reaper import reaper_text

            named = []
            for s in stem_audio:
                try:
                    name = os.path.relpath(s.path.absolute(), out.parent)
                except ValueError:  # another drive: the absolute path
                    name = str(s.path.absolute())
                named.append((s, name))
            data = reaper_text(piece, provenance=f"{summary} {rights}".strip(), stems=named,
                               version=__version__).encode("utf-8")
        _check_output(output, format)  # still ours to replace, now that the file is ready
        write_atomically(out, data)
    return ExportResult(format=format, path=out, tracks=len(piece.voices),
                        notes=sum(len(v.sounding()) for v in piece.voices),
                        stems=tuple(s.path for s in stem_audio), rendered=rendered,
                        markers=len(score_markers(piece)), size=len(data))


__all__ = ["ExportResult", "FORMATS", "export", "stems_problem"]
