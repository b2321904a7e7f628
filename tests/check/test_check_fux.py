"""The gold standard: every exercise of Fux's Gradus ad Parnassum (122 in the dataset) passes
the checker under Fux's settings, bar the documented exceptions, and those break exactly the
rules listed for them."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from check_scores import hard_at, shift_octave, tie_over
from support import FUX_ROOT, fux_available

import stretto.check
from stretto.check import CheckSettings, check, hard
from stretto.check.exceptions import FUX_EXCEPTIONS, FUX_SETTINGS
from stretto.rulebook import BY_NAME


def _keys() -> list[str]:
    if not fux_available():
        return []
    from stretto.corpora.gradus import gradus_figures

    return [f.key for f in gradus_figures(FUX_ROOT)]


KEYS = _keys()


@pytest.mark.skipif(not KEYS, reason="Fux dataset not found (shared/datasets/fux-gradus)")
@pytest.mark.parametrize("key", KEYS or ["none"], ids=lambda k: f"fig{k}")
def test_fux_figure_passes(gradus, key):
    fig, piece = gradus[key]
    broken = {v.rule for v in hard(check(piece, settings=FUX_SETTINGS))}
    if key in FUX_EXCEPTIONS:
        rules, reason = FUX_EXCEPTIONS[key]
        assert broken == set(rules), reason
    else:
        assert broken == set(), [str(v) for v in hard(check(piece, settings=FUX_SETTINGS))]


def test_exceptions_are_documented():
    text = (Path(stretto.check.__file__).parent / "EXCEPTIONS.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| (\d+[a-z]?) \| [a-z-]+", text, flags=re.M))
    assert documented == set(FUX_EXCEPTIONS)
    for rules, reason in FUX_EXCEPTIONS.values():
        assert all(r in BY_NAME and BY_NAME[r].kind == "hard" for r in rules)
        assert reason
    assert len(FUX_EXCEPTIONS) <= 12


@pytest.mark.parametrize("key,repair", [
    ("22", lambda p: shift_octave(p, "Upper", range(6, 11), 1)),
    ("85b", lambda p: tie_over(p, "Lower", 10)),
    ("86a", lambda p: tie_over(p, "Upper", 12)),
], ids=["fig22-octave", "fig85b-tie", "fig86a-tie"])
def test_repaired_transcription_errors_pass(gradus, key, repair):
    _, piece = gradus[key]
    assert hard_at(piece, settings=FUX_SETTINGS) != set()
    assert hard_at(repair(piece), settings=FUX_SETTINGS) == set()


def test_fux_lower_voice_four_five_suspensions(gradus):
    # Fig. 76: A3 tied under D4, G3 under C4, D4 under G4 -- fourths resolving to fifths.
    _, piece = gradus["76"]
    assert hard_at(piece) == {("suspension", 3), ("suspension", 4), ("suspension", 7)}
    assert hard_at(piece, settings=CheckSettings(lower_fourth_suspension=True)) == set()


def test_fux_crosses_the_cantus(gradus):
    # Fig. 14: the counterpoint below rises to A3 over the cantus' F3 in bar 4.
    _, piece = gradus["14"]
    assert hard_at(piece) == {("crossing", 4)}
    assert hard_at(piece, settings=CheckSettings(allow_crossing=True)) == set()


def test_third_species_downbeat_octaves_are_not_parallels(gradus):
    # Fig. 55: E5 over E4 and D5 over D4 on successive downbeats with three quarters between.
    _, piece = gradus["55"]
    strict = CheckSettings(allow_crossing=True, downbeat_parallel_species=(2, 3))
    assert hard_at(piece, settings=strict) == {("downbeat-parallels", 4)}
    assert hard_at(piece, settings=CheckSettings(allow_crossing=True)) == set()


def test_strict_settings_pass_many_figures(gradus):
    clean = [k for k, (_, p) in gradus.items() if not hard(check(p))]
    assert len(clean) >= 50
    assert {"5", "33", "56", "73", "88a"} <= set(clean)


def test_checking_all_figures_is_fast(gradus):
    start = time.perf_counter()
    for _, piece in gradus.values():
        check(piece, settings=FUX_SETTINGS)
    assert time.perf_counter() - start < 5.0
