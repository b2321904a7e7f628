"""Shared fixtures: where the shared datasets live, and Fux's figures loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

# shared/ sits beside the checkout (../shared), with the datasets under it.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FUX_ROOT = SHARED / "datasets" / "fux-gradus"
FUX_MISSING = f"Fux dataset not found at {FUX_ROOT} (shared/ beside the checkout)"


def fux_available() -> bool:
    return (FUX_ROOT / "I" / "data.tsv").is_file() and (FUX_ROOT / "1x1").is_dir()


@pytest.fixture(scope="session")
def fux_root() -> Path:
    if not fux_available():
        pytest.skip(FUX_MISSING)
    return FUX_ROOT


@pytest.fixture(scope="session")
def gradus(fux_root):
    """Every Fux exercise as {key: (GradusFigure, Piece)}."""
    from stretto.corpora.gradus import gradus_figures, load_figure

    return {f.key: (f, load_figure(f)) for f in gradus_figures(fux_root)}
