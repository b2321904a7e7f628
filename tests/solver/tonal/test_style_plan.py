"""Plans: ``[piece] style`` and ``[piece] tension`` (the arc the solver follows as the soft rule
tension-arc)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from stretto.check import check, hard
from stretto.errors import BadInput
from stretto.harmony import Key, vocabulary
from stretto.solver.cpsat.settings import SolveSettings
from stretto.solver.tonal.form import build_problem, compose, form_from_dict

FAST = SolveSettings(time_limit=10, seed=0)
ARC = [0.1, 0.2, 0.4, 0.6, 0.9, 1.0, 0.5, 0.1]


def _plan(**piece) -> dict:
    head = {"title": "t", "key": "G major", "meter": "4/4", "bars": 8}
    return {"piece": {**head, **piece},
            "voice": [{"name": n} for n in ("Soprano", "Alto", "Tenor", "Bass")],
            "cadence": [{"bar": 4, "type": "half"}]}


def test_tension_per_bar_becomes_a_target_per_slot():
    spec = form_from_dict(_plan(tension=ARC))
    assert spec.tension == tuple(ARC)
    prob = build_problem(spec)
    assert len(prob.tension) == prob.slots == 29  # 7 bars of 4 chords and the final chord
    assert prob.tension[:5] == (0.1, 0.1, 0.1, 0.1, 0.2) and prob.tension[-1] == 0.1


def test_tension_per_section():
    plan = _plan(tension=[0.2, 0.9])
    plan["section"] = [{"bars": [1, 4], "cadence": "half"}, {"bars": [5, 8]}]
    assert form_from_dict(plan).tension == (0.2,) * 4 + (0.9,) * 4


@pytest.mark.parametrize("piece,match", [
    ({"tension": [0.5, 0.5]}, "one per bar"),
    ({"tension": [0.5] * 7 + [1.5]}, "from 0"),
    ({"tension": "high"}, "list of numbers"),
    ({"style": "baroque"}, "harmonic style"),
], ids=["length", "range", "text", "style"])
def test_bad_plans_name_the_problem(piece, match):
    with pytest.raises(BadInput, match=match):
        form_from_dict(_plan(**piece))


def test_plain_plan_uses_the_plain_vocabulary():
    result = compose(form_from_dict(_plan(style="plain")), FAST)
    h = result.piece.info["harmony"]
    assert h["style"] == "plain"
    allowed = {c.label(r) for c in vocabulary(Key.parse("G major"), "plain")
               for r in range(4) if c.tones[r] is not None}
    assert {e["chord"] for e in h["analysis"]} <= allowed
    assert hard(check(result.piece)) == []


def _per_bar(piece, bar: Fraction) -> list[float]:
    from stretto.analysis.tension import tension_curve

    curve = tension_curve(piece)
    return [float(np.mean([x for o, x in zip(curve.onsets, curve.tension)
                           if int(o // bar) == b])) for b in range(8)]


def test_the_arc_is_followed():
    """The measured tension per bar (the bench's measure, not the solver's) follows the
    planned arc (Pearson r), far better than the same plan without it; the checker finds
    nothing (bench/tension_bench.py's D minor plan)."""
    from stretto.analysis.tension import follows

    minor = {"key": "D minor", "meter": "3/4"}
    with_arc = compose(form_from_dict(_plan(tension=ARC, **minor)), FAST)
    without = compose(form_from_dict(_plan(**minor)), FAST)
    r_arc = follows(_per_bar(with_arc.piece, Fraction(3)), ARC)
    r_flat = follows(_per_bar(without.piece, Fraction(3)), ARC)
    assert r_arc > 0.7 and r_arc > r_flat + 0.3
    assert with_arc.piece.info["harmony"]["tension_arc"] == ARC
    assert "tension-arc" in with_arc.stats["soft_costs"]
    assert hard(check(with_arc.piece)) == []
