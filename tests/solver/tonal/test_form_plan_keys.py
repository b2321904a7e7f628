"""A form plan's typos are refused by name, never silently dropped."""

from __future__ import annotations

import pytest

from stretto.errors import BadInput
from stretto.solver.tonal.form import form_from_dict

BASE = {"piece": {"key": "D minor", "bars": 8},
        "voice": [{"name": "upper", "range": ["D4", "G5"]},
                  {"name": "lower", "range": ["D3", "D4"]}]}


def _with(**tables):
    data = {k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in BASE.items()}
    data.update(tables)
    return data


@pytest.mark.parametrize("data, message", [
    pytest.param(_with(cadance=[{"bar": 4}]), "unknown table [[cadance]]: did you mean [[cadence]]?",
                 id="table-typo"),
    pytest.param(_with(piece={"key": "D minor", "barz": 8}), "unknown key 'barz' in [piece]: "
                 "did you mean 'bars'?", id="key-typo"),
    pytest.param(_with(canon=[{"leader": "upper", "follower": "lower", "intervall": "P8"}]),
                 "unknown key 'intervall' in [canon]: did you mean 'interval'?", id="canon-key"),
    pytest.param(_with(section=[{"bars": [4, 1]}]), "bars = [4, 1] runs backwards",
                 id="backwards-bars"),
    pytest.param(_with(cadence={"bar": 4}), "write the cadence table as [[cadence]]",
                 id="single-bracket-array"),
    pytest.param(_with(piece={"key": "D minor", "bars": "8"}),
                 '[piece] bars = "8" should be a whole number', id="bars-a-text"),
    pytest.param(_with(piece={"key": "D minor", "bars": True}),
                 "[piece] bars = true should be a whole number", id="bars-a-bool"),
    pytest.param(_with(piece={"key": ["D minor"], "bars": 8}),
                 '[piece] key = ["D minor"] should be a text in quotes', id="key-a-list"),
    pytest.param(_with(cadence=[{"bar": 4.5}]), "[cadence] bar = 4.5 should be a whole number",
                 id="bar-a-float"),
    pytest.param(_with(section=[{"bars": [1, "4"]}]),
                 "should be a pair of bars [FIRST, LAST]", id="span-with-a-text"),
    pytest.param(_with(voice=[{"name": "upper", "range": "D4-G5"}]),
                 "[voice] range = \"D4-G5\" should be a pair of pitches", id="range-a-text"),
])
def test_plan_typos_are_named(data: dict, message: str) -> None:
    with pytest.raises(BadInput) as info:
        form_from_dict(data)
    assert message in str(info.value)


def test_a_plan_with_known_keys_reads() -> None:
    spec = form_from_dict(_with(cadence=[{"bar": 4, "type": "half"}]))
    assert spec.bars == 8 and 4 in spec.cadences
