"""Corpora of counterpoint exercises, read into :class:`stretto.score.Piece` objects.

:mod:`stretto.corpora.gradus` reads Fux's *Gradus ad Parnassum* figures (the MarkGotham/species
dataset kept under ``shared/datasets/fux-gradus``).
"""

from __future__ import annotations

import sys
from importlib import resources

from stretto.errors import BadInput

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _read_toml(name: str) -> dict:
    return tomllib.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))


def cantus_names() -> list[str]:
    """Names of the shipped cantus firmi (``fux-dorian`` ...)."""
    return sorted(_read_toml("fux_cantus.toml"))


def load_cantus(name: str):
    """The cantus firmus called ``name`` as ``(pitches, mode)``."""
    from stretto.modes import Mode
    from stretto.pitch import parse_pitches

    table = _read_toml("fux_cantus.toml")
    if name not in table:
        raise BadInput(f"unknown cantus name {name!r}; known: {', '.join(sorted(table))}")
    item = table[name]
    return parse_pitches(item["notes"]), Mode(item["mode"], item["final"])


def manifest() -> list[dict]:
    """Every corpus item with source, licence and consent status."""
    return _read_toml("manifest.toml")["item"]
