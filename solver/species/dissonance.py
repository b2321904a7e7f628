"""How each species may treat a dissonance (used by the ``consonance`` rule in vertical.py).

* :func:`weak_dissonance_ok` - a note that *begins* on a weak beat may be dissonant as a passing
  tone (second, third, fifth species), a neighbour note or Fux's cambiata (third, fifth), or as
  an eighth-note passing/neighbour tone (fifth species).
* :func:`suspension_ok` - a note *held* over a downbeat (fourth and fifth species) may be
  dissonant against a voice that moves, if it resolves down by step on the next half note to a
  consonance: 7-6, 4-3 and 9-8 above that voice, 2-3 (9-10) below it.
"""

from __future__ import annotations

from stretto.pitch import Interval, Pitch

from stretto.solver.cpsat.model import DISS, GRID, UPPER_CONSONANT, LineVars, Lit, ScoreModel


def _step_between(sm: ScoreModel, line: LineVars, a: int, b: int, sign: int | None = None) -> Lit:
    """Literal: the pitch at ``b`` is a step from the pitch at ``a`` (up if sign=1, down -1)."""
    if sign is None:
        return sm.any_true([_step_between(sm, line, a, b, 1), _step_between(sm, line, a, b, -1)])
    return sm.dia_diff_is(line, a, b, sign)


def _passing(sm: ScoreModel, line: LineVars, prev: int, p: int, nxt: int) -> Lit:
    """Approached and left by step in the same direction."""
    up = sm.all_true(_step_between(sm, line, prev, p, 1), _step_between(sm, line, p, nxt, 1))
    down = sm.all_true(_step_between(sm, line, prev, p, -1), _step_between(sm, line, p, nxt, -1))
    return sm.any_true([up, down])


def _neighbour(sm: ScoreModel, line: LineVars, prev: int, p: int, nxt: int) -> Lit:
    """A step away and the same step back."""
    up = sm.all_true(_step_between(sm, line, prev, p, 1), _step_between(sm, line, p, nxt, -1))
    down = sm.all_true(_step_between(sm, line, prev, p, -1), _step_between(sm, line, p, nxt, 1))
    return sm.any_true([up, down])


def _cambiata(sm: ScoreModel, line: LineVars, prev: int, p: int, nxt: int, after: int) -> Lit:
    """Fux's nota cambiata: step down into the dissonance, a third down, then a step up."""
    return sm.all_true(_step_between(sm, line, prev, p, -1),
                       sm.dia_diff_is(line, p, nxt, -2),
                       _step_between(sm, line, nxt, after, 1))


def weak_dissonance_ok(sm: ScoreModel, line: LineVars, p: int) -> Lit:
    """Literal: a note beginning at ``p`` may be dissonant here (its melodic treatment holds)."""
    return sm.cached(("weak", line.index, p), lambda: _weak(sm, line, p))


def _weak(sm: ScoreModel, line: LineVars, p: int) -> Lit:
    sp, q, bar = line.species, p % GRID, p // GRID
    last = sm.bars - 1
    if sp in (None, 1, 4) or q == 0 or bar == last or line.x[p - 1] is None:
        return False
    if sp == 2:
        return _passing(sm, line, p - 1, p, p + 4) if q == 4 else False
    if sp == 3:
        options = [_passing(sm, line, p - 1, p, p + 2)]
        if q in (2, 6):
            options.append(_neighbour(sm, line, p - 1, p, p + 2))
        if q == 2:
            options.append(_cambiata(sm, line, p - 1, p, p + 2, p + 4))
        return sm.any_true(options)
    # Fifth species: the treatment depends on the chosen rhythm.
    on = line.onset
    tied_in = sm.neg(on[bar * GRID])  # a syncopation: its ornaments stay consonant
    if q in (2, 4, 6):
        nxt = p + 2
        quarter = sm.all_true(on[p], sm.neg(on[p + 1]), on[nxt] if nxt < sm.size else True)
        options = [_passing(sm, line, p - 1, p, nxt)]
        if q != 4:
            options.append(_neighbour(sm, line, p - 1, p, nxt))
        if q == 2:
            options.append(_cambiata(sm, line, p - 1, p, nxt, p + 4))
        as_quarter = sm.all_true(quarter, sm.any_true(options))
        # First of an eighth pair on a weak quarter: passing only.
        as_eighth = False
        if q in (2, 6):
            as_eighth = sm.all_true(on[p], on[p + 1], _passing(sm, line, p - 1, p, p + 1))
        ok = sm.any_true([as_quarter, as_eighth])
    elif q in (3, 7):
        nxt = p + 1
        ok = sm.all_true(on[p], sm.any_true([_passing(sm, line, p - 1, p, nxt),
                                             _neighbour(sm, line, p - 1, p, nxt)]))
    else:
        return False
    if q in (2, 3):
        ok = sm.all_true(ok, sm.neg(tied_in))
    return ok


def suspension_interval(upper_is_line: bool):
    def f(line_pitch: Pitch, other: Pitch) -> bool:
        iv = Interval.between(line_pitch, other)
        g = iv.generic
        if line_pitch.midi > other.midi:  # the suspended voice is above: 7-6, 4-3, 9-8
            return g % 7 in (6, 3) or (g >= 8 and g % 7 == 1)
        if line_pitch.midi < other.midi:  # below: 2-3 or 9-10
            return g % 7 == 1
        return False
    return f


def suspension_ok(sm: ScoreModel, line: LineVars, other: LineVars, p: int) -> Lit:
    """Literal: ``line`` is held over the downbeat ``p`` as a correct suspension against
    ``other``: prepared (it began as a consonance, which the consonance rule ensures), a
    dissonance type Fux allows, resolving down by step to a consonance on beat 3."""
    return sm.cached(("susp", line.index, other.index, p),
                     lambda: _suspension(sm, line, other, p))


def _suspension(sm: ScoreModel, line: LineVars, other: LineVars, p: int) -> Lit:
    bar = p // GRID
    if not (line.species in (4, 5) and p % GRID == 0 and 0 < bar < sm.bars - 1
            and line.onset[p] is not True and other.x[p] is not None):
        return False
    res = p + 4
    kind = sm.feature("susp_kind", line.x[p], other.x[p], suspension_interval(True))
    down = _step_between(sm, line, p, res, -1)
    ic_res = sm.ic(line.x[res], other.x[res])
    consonant = sm.neg(sm.is_ic(ic_res, (DISS, *UPPER_CONSONANT)))
    return sm.all_true(sm.neg(line.onset[p]), kind, down, consonant)
