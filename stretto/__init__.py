"""stretto: counterpoint a composer can trust and steer.

The public API, loaded lazily (importing ``stretto`` loads neither OR-Tools nor music21; each
name loads its module on first use)::

    import stretto

    # species counterpoint: a spec in, a solved piece out
    spec = stretto.SpeciesSpec(cantus=stretto.parse_pitches("D4 F4 E4 D4 G4 F4 A4 G4 F4 E4 D4"),
                               mode=stretto.Mode("dorian", "D"), species=(1,), cantus_voice=1)
    result = stretto.solve_species(spec, stretto.SolveSettings(time_limit=5, seed=0))

    # check any score; write it; read it back
    problems = stretto.check(result.piece)          # [] when every rule holds
    stretto.write_score(result.piece, "first.musicxml")
    piece = stretto.read_score("first.musicxml")

    # harmonize a melody; compose from a form plan
    chorale = stretto.harmonize(stretto.read_melody("melody.musicxml"))
    canon = stretto.compose(stretto.load_form("examples/canon.toml"))

    # edit a project folder (what `stretto pin` does): a result object, typed errors
    edit = stretto.pin("out/first", voice=1, bar=5, pitch="E5")
    options = stretto.regenerate("out/first", bars="6-8", options=3)   # three alternatives
    stretto.choose("out/first", option=2)

    # the DAW round trip: export, edit there, import back as your pins and locks
    stretto.export("out/first", format="dawproject", output="first.dawproject")
    stretto.import_edits("out/first", edited="first-edited.mid", dry_run=True)
    stretto.waive("out/first", rule="parallel-perfect", bar=6, voices=(1, 2))

    # who may use it, and who wrote it
    report = stretto.licence_of("out/first")        # the uses allowed, and why
    stretto.write_statement("out/first")            # the authorship statement (.md and .pdf)

See ``stretto.pyi`` (``__init__.pyi``) for the signatures.
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

_LAZY = {
    "solve_species": "stretto.solver.species.engine", "SpeciesSpec": "stretto.solver.species.spec",
    "SolveSettings": "stretto.solver.cpsat.settings", "SolveResult": "stretto.solver.cpsat.settings",
    "harmonize": "stretto.solver.tonal.harmonize", "compose": "stretto.solver.tonal.form",
    "load_form": "stretto.solver.tonal.form", "read_melody": "stretto.io.melody",
    "read_score": "stretto.io", "write_score": "stretto.io", "write_project": "stretto.io",
    "Mode": "stretto.modes", "Pitch": "stretto.pitch", "parse_pitches": "stretto.pitch",
    "Piece": "stretto.score", "Voice": "stretto.score", "Note": "stretto.score",
    "Project": "stretto.project", "BadInput": "stretto.errors",
    "Unsatisfiable": "stretto.errors",
    **{name: "stretto.app" for name in (
        "pin", "unpin", "lock", "unlock", "regenerate", "choose", "constrain", "undo", "redo",
        "history", "provenance", "write_provenance", "EditResult", "render", "engrave",
        "new_project", "export", "import_edits", "waive", "unwaive", "licence_of",
        "write_statement")},
}

__all__ = sorted([*_LAZY, "check", "__version__"])


def check(piece, **options):
    """The independent checker's violations of ``piece`` (see :func:`stretto.check.check`)."""
    return import_module("stretto.check").check(piece, **options)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'stretto' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
