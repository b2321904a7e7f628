"""An authorship statement for a registration or a release (``stretto provenance DIR
--statement``): a readable document, Markdown and PDF, of who made what in a project.

It lists the composer's own notes (pins, locks, a given voice that is theirs) and decisions
(rules and settings, choices among the solver's alternatives, imported DAW edits, waivers),
the notes taken from recorded inputs (a corpus melody is its source's, not the composer's),
the solver's share per voice and its runs, the renderer of the audio and its training data,
the inputs and their licences, the software versions and the history. Every item names its
id in the project's PROV-JSON document (``stretto provenance DIR --format prov-json``):
``stretto:note-<id>``, ``stretto:edit-<n>``, ``stretto:solve-<run>``, ``stretto:input-<id>``,
so each line can be checked against it. The counts here and the PROV-JSON's attributions
are the same by construction (:func:`note_shares` follows :func:`stretto.provenance.prov_json`).

It states facts that stretto recorded; it is not a legal opinion on authorship or copyright.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stretto.app.session import load, locked
from stretto.errors import BadInput

MARKDOWN, PDF = "statement.md", "statement.pdf"
GIVEN = ("cantus", "melody")


@dataclass(frozen=True)
class Statement:
    """A statement: its Markdown text, the ids of the composer's notes, the notes taken
    from inputs and the solver's (as PROV-JSON note ids), and the counts per voice."""

    markdown: str
    composer_notes: tuple[str, ...]
    input_notes: tuple[str, ...]
    solver_notes: tuple[str, ...]
    voices: tuple[dict[str, Any], ...]
    decisions: tuple[str, ...] = field(default=())


def _given_inputs(project) -> dict[str, Any]:
    """role -> Input for a given voice (cantus, melody) that is not the composer's own."""
    from stretto.licence import YOURS, inputs_from_data

    return {i.role: i for i in inputs_from_data(project.inputs)
            if i.role in GIVEN and i.licence.id != YOURS.id}


def classify(project) -> dict[str, list[tuple[int, Any]]]:
    """The sounding notes as ``composer``, ``inputs`` and ``solver`` lists of (voice, note),
    by the rule the PROV-JSON attributes them: a human note is the composer's unless it is a
    given voice recorded as another's input."""
    given = _given_inputs(project)
    out: dict[str, list[tuple[int, Any]]] = {"composer": [], "inputs": [], "solver": []}
    for v, voice in enumerate(project.piece.voices):
        for n in voice.sounding():
            if n.origin == "human" and n.source in given:
                out["inputs"].append((v, n))
            elif n.origin == "human":
                out["composer"].append((v, n))
            else:
                out["solver"].append((v, n))
    return out


def note_shares(project) -> dict[str, Any]:
    """Per voice and in total: notes, the composer's, those from inputs, the solver's."""
    groups = classify(project)
    voices = []
    for v, voice in enumerate(project.piece.voices):
        row = {"voice": voice.name, "notes": len(voice.sounding())}
        for kind, items in groups.items():
            row[kind] = sum(1 for w, _ in items if w == v)
        row["composer_share"] = row["composer"] / row["notes"] if row["notes"] else 0.0
        voices.append(row)
    total = {k: sum(r[k] for r in voices) for k in ("notes", "composer", "inputs", "solver")}
    total["decisions"] = len(decisions(project))
    return {"voices": voices, "total": total}


def decisions(project) -> list[tuple[str, str, dict]]:
    """The composer's decisions as (kind, words, history entry): every edit the composer
    asked for except the first solve, grouped by what it was."""
    out = []
    for e in project.history[1:]:
        action = e["action"]
        if action in ("pin", "unpin", "cantus-edit"):
            kind = "note"
        elif action in ("lock", "unlock"):
            kind = "lock"
        elif action == "constrain":
            kind = "rule or setting"
        elif action == "regenerate":
            kind = "choice among alternatives"
        elif "import" in action or "daw" in action:
            kind = "imported DAW edit"
        elif "waive" in action:
            kind = "waiver"
        else:
            kind = action
        out.append((kind, e["what"], e))
    return out


def _edit_of(project, constraint_id: str | None) -> str:
    """The PROV id of the edit that made a constraint (as :func:`stretto.provenance.prov_json`
    links its notes): the first solve when none is recorded."""
    from stretto.provenance import edit_of

    return f"stretto:edit-{edit_of(project, constraint_id) or 1}"


def _where(piece, n) -> str:
    bar, beat = piece.bar_beat(n.onset)
    return f"bar {bar} beat {float(beat):g}"


def _rendered(folder: Path) -> tuple[str | None, str]:
    """The engine of the audio in the folder (from mix.wav's tags) and the tag line."""
    mix = folder / "mix.wav"
    if not mix.is_file():
        return None, ""
    from stretto.renderer.wavinfo import read_wav_tags

    try:
        tags = read_wav_tags(mix)
    except (ValueError, OSError):
        return None, ""
    engine = next((w.split("=", 1)[1] for w in tags.software.split("; ")
                   if w.startswith("engine=")), None)
    return engine, tags.software


def _preamble(project, folder, title: str) -> list[str]:
    first = project.history[0]["at"] if project.history else "?"
    last = project.history[-1]["at"] if project.history else "?"
    return [f"# Authorship statement: {title}", "",
            f"Project: `{Path(folder).name if folder else title}`, a stretto {project.kind} "
            f"project, first solved {first}, last changed {last}.", "",
            "This document states facts that stretto recorded while the piece was made: which "
            "notes and decisions came from the composer, which were taken from the inputs named "
            "below, and which the software wrote. It is not a legal opinion on authorship or "
            "copyright. Each item names its id in the project's W3C PROV-JSON document "
            "(`stretto provenance DIR --format prov-json`) in square brackets.", ""]


def _composer_section(project, mine: list[tuple[int, Any]]) -> list[str]:
    md = ["## 1. The composer's notes", ""]
    if not mine:
        return md + ["None: every note was taken from an input or written by the solver.", ""]
    md += ["| voice | where | pitch | how | PROV |", "|---|---|---|---|---|"]
    by_id = {c.id: c for c in project.constraints}
    piece = project.piece
    for v, n in mine:
        how = (f"the {n.source} you gave" if n.source in GIVEN else
               by_id[n.source].describe().replace("your ", "") if n.source in by_id
               else f"yours ({n.source or 'no constraint recorded'})")
        md.append(f"| {piece.voices[v].name} | {_where(piece, n)} | {n.pitch.name} | "
                  f"{how} | [stretto:note-{n.id}] from [{_edit_of(project, n.source)}] |")
    return md + [""]


KINDS = {"note": "notes (pins)", "lock": "locks", "rule or setting": "rules or settings",
         "choice among alternatives": "choices among alternatives",
         "imported DAW edit": "imported DAW edits", "waiver": "waivers"}


def _decisions_section(project, made: list[tuple[str, str, dict]]) -> list[str]:
    md = ["## 2. The composer's decisions", ""]
    if project.history:
        e = project.history[0]
        md.append(f"- first solve: {e['what']} [stretto:edit-{e['n']}]")
    md += [f"- {kind}: {what} [stretto:edit-{e['n']}]" for kind, what, e in made]
    md += ["", "Constraints in force: " + ("; ".join(
        f"{c.id} {c.describe().replace('your ', '')} [{_edit_of(project, c.id)}]"
        for c in project.constraints) or "none") + ".", ""]
    counts = {k: sum(1 for d in made if d[0] == k) for k in KINDS}
    return md + ["Counts: " + ", ".join(f"{KINDS[k]} {counts[k]}" for k in KINDS) + ".", ""]


def _shares_section(project, shares: dict[str, Any], groups) -> list[str]:
    md = ["## 3. Share per voice", "",
          "| voice | notes | composer | from inputs | solver | composer share |",
          "|---|---|---|---|---|---|"]
    for r in shares["voices"]:
        md.append(f"| {r['voice']} | {r['notes']} | {r['composer']} | {r['inputs']} | "
                  f"{r['solver']} | {r['composer_share']:.1%} |")
    t = shares["total"]
    md += [f"| all | {t['notes']} | {t['composer']} | {t['inputs']} | {t['solver']} | "
           f"{t['composer'] / t['notes'] if t['notes'] else 0:.1%} |", ""]
    for role, i in _given_inputs(project).items():
        ids = [n.id for _, n in groups["inputs"] if n.source == role]
        first = f", [stretto:note-{ids[0]}] ..." if ids else ""
        md.append(f"The {role} ({len(ids)} notes{first}) is {i.title}, taken from {i.source} "
                  f"[stretto:input-{i.id}]; it is not the composer's.")
    md += ["", "## 4. What the software wrote", ""]
    for r in project.runs:
        md.append(f"- solver run {r['id']}: {r.get('status', '?')}, seed {r.get('seed')}, time "
                  f"limit {r.get('time_limit', '?')} s, OR-Tools "
                  f"{r.get('ortools') or 'not recorded'}, rules "
                  f"{str(r.get('rules_hash', ''))[:12]} [stretto:solve-{r['id']}]")
    return md + ["", f"The solver wrote {t['solver']} of {t['notes']} notes under the rules the "
                 "composer chose; it never changes a note the composer pinned or locked.", ""]


def _renderer_section(engine: str | None, software: str) -> list[str]:
    from stretto.licence import engine_inputs

    md = ["## 5. The renderer and its training data", ""]
    if engine is None:
        return md + ["No audio (mix.wav) in the project, or none rendered by this stretto.", ""]
    md.append(f"mix.wav and the stems were rendered by: {software}. The renderer plays "
              "the written notes and does not change them.")
    md += [f"- {i.role}: {i.title}, {i.licence.id} ({i.source})" for i in engine_inputs(engine)]
    if engine != "neural":
        md.append("- no trained model: the audio comes from stretto's own code"
                  + (" and the SoundFont" if engine == "soundfont" else ""))
    return md + [""]


def _inputs_section(project, engine: str | None) -> list[str]:
    from stretto.licence import combine, engine_inputs, project_inputs, recorded

    md = ["## 6. Inputs and their licences", "",
          "| input | title | licence | allows | source | PROV |", "|---|---|---|---|---|---|"]
    inputs = project_inputs(project)
    for i in inputs:
        prov = f"[stretto:input-{i.id}]" if recorded(project) and i.id != "stretto" else "-"
        md.append(f"| {i.role} | {i.title} | {i.licence.id} | {i.licence.uses_words()} | "
                  f"{i.source} | {prov} |")
    verdict = combine(inputs + (engine_inputs(engine) if engine else ()))
    return md + ["", verdict.line(), ""] + [f"- {r}" for r in verdict.reasons()] + [""]


def _software_and_history(project) -> list[str]:
    from importlib import metadata

    from stretto import __version__

    md = ["## 7. Software", ""]
    versions = sorted({(r.get("stretto", "?"), r.get("ortools", "?")) for r in project.runs})
    for s, o in versions:
        md.append(f"- solved by stretto {s}" + (f" with OR-Tools {o}" if o != "?" else ""))
    now = []
    for package in ("ortools", "music21", "prov"):
        try:
            now.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            pass
    md += [f"- this statement: stretto {__version__} ({', '.join(now)})", "",
           "## 8. History", "", "| n | when | by | action | what | PROV |",
           "|---|---|---|---|---|---|"]
    for e in project.history:
        run = f", [stretto:solve-{e['run']}]" if e.get("run") else ""
        md.append(f"| {e['n']} | {e['at']} | {e['by']} | {e['action']} | {e['what']} | "
                  f"[stretto:edit-{e['n']}]{run} |")
    return md + [""]


def build_statement(project, *, folder: str | Path | None = None) -> Statement:
    """The statement of ``project`` (a Project); ``folder`` is where its audio lies."""
    groups = classify(project)
    shares = note_shares(project)
    made = decisions(project)
    title = project.piece.title or (Path(folder).name if folder else "untitled")
    engine, software = _rendered(Path(folder)) if folder else (None, "")
    md = (_preamble(project, folder, title) + _composer_section(project, groups["composer"])
          + _decisions_section(project, made) + _shares_section(project, shares, groups)
          + _renderer_section(engine, software) + _inputs_section(project, engine)
          + _software_and_history(project))
    return Statement(markdown="\n".join(md),
                     composer_notes=tuple(n.id for _, n in groups["composer"]),
                     input_notes=tuple(n.id for _, n in groups["inputs"]),
                     solver_notes=tuple(n.id for _, n in groups["solver"]),
                     voices=tuple(shares["voices"]),
                     decisions=tuple(f"{k}: {w}" for k, w, _ in made))


def statement(folder: str | Path) -> Statement:
    """The statement of the project in ``folder`` (read under a shared lock)."""
    with locked(folder, shared=True):
        project, _ = load(folder, edit=False)
    return build_statement(project, folder=folder)


def write_statement(folder: str | Path, *, output: str | Path | None = None
                    ) -> dict[str, Path]:
    """Write ``statement.md`` and ``statement.pdf`` into ``output`` (default: the project
    folder), all or nothing; the paths by format (``md``, ``pdf``)."""
    from stretto.io.journal import write_files
    from stretto.io.textpdf import text_pdf

    out = Path(output) if output is not None else Path(folder)
    if out.exists() and not out.is_dir():
        raise BadInput(f"--output {output} is a file: give a folder for statement.md and "
                       "statement.pdf")
    made = statement(folder)
    title = made.markdown.splitlines()[0].lstrip("# ")

    def stage(tmp: Path) -> None:
        (tmp / MARKDOWN).write_text(made.markdown, encoding="utf-8")
        (tmp / PDF).write_bytes(text_pdf(made.markdown, title=title))

    paths = write_files(out, [MARKDOWN, PDF], stage)
    return {"md": paths[MARKDOWN], "pdf": paths[PDF]}


__all__ = ["Statement", "build_statement", "classify", "decisions", "note_shares",
           "statement", "write_statement"]
