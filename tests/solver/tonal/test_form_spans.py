"""A canon or recurrence whose answer would run into the final bar: the final bar of a
composition holds one chord, so the model can only imitate up to it. The span the model
imitates and the span recorded for the checker must be the same (regression: a canon to bar
3 of 4 bars, or to the end, was cut short by the model but judged whole by the checker)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stretto.check import check, hard
from stretto.errors import BadInput
from stretto.solver.tonal.form import compose, form_from_dict
from stretto.solver.cpsat.settings import SolveSettings


def _plan(**canon) -> dict:
    return {"piece": {"key": "D minor", "meter": "4/4", "bars": 4},
            "voice": [{"name": "Soprano", "range": ["C4", "G5"]},
                      {"name": "Bass", "range": ["E2", "D4"]}],
            "cadence": [{"bar": 2, "type": "half"}],
            "canon": [{"leader": "Soprano", "follower": "Bass", "interval": "-P8",
                       "delay": "1 bar", **canon}]}


@pytest.mark.parametrize("canon", [{}, {"to_bar": 4}], ids=["to-the-end", "to-bar-4"])
def test_a_canon_to_the_end_stops_at_the_final_chord_and_passes_the_checker(canon) -> None:
    piece = compose(form_from_dict(_plan(**canon)), SolveSettings(time_limit=3)).piece
    assert not hard(check(piece))
    (record,) = piece.info["form"]["canons"]
    # the leader up to bar 3 beat 1 is answered; its answer, bar 4 beat 1, is the final chord
    assert Fraction(record["end"]) == 9
    lead, foll = piece.voices
    answered = [n for n in lead.sounding() if n.onset < 9]
    assert [foll.at(n.onset + 4).midi for n in answered] == [n.midi - 12 for n in answered]
    assert foll.sounding()[-1].onset == 12


def test_a_canon_to_a_bar_whose_answer_falls_in_the_final_bar_is_refused() -> None:
    with pytest.raises(BadInput, match="answer to bar 3 would fall in bar 4.*end it by bar 2"):
        form_from_dict(_plan(to_bar=3))


def test_a_recurrence_into_the_final_bar_is_refused() -> None:
    plan = _plan(to_bar=2)
    plan["recurrence"] = [{"voice": "Soprano", "bars": [1, 2], "at_bar": 3}]
    with pytest.raises(BadInput, match=r"recurrence.*bars 1-2 at bar 3.*end it by bar 1"):
        form_from_dict(plan)
