"""``constrain``: a rule of the composer's own, added to a project and solved at once.

Two sorts: settings of the rule set itself (``weight``, ``crossing``, ``max-range``, species
projects only), stored in the project's spec; and rules on notes (``range``, ``climax``,
``max-leap``, ``contour``, ``require-interval``, ``forbid-interval``), stored as constraints
(:mod:`stretto.edits`) with an id, named in conflicts and removed by undo.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from stretto.app.session import EditResult, check_bars, load, locked, refuse_given, \
    save_edit, voice_index, with_constraint
from stretto.app.kinds import describe_kind, kind_of
from stretto.errors import BadInput

#: every rule ``constrain`` knows, and what each needs
NEEDS = {"range": ("voice", "low", "high"), "climax": ("voice", "bar"),
         "max-leap": ("voice", "interval"), "contour": ("voice", "bars", "direction"),
         "require-interval": ("voices", "bar", "interval"),
         "forbid-interval": ("voices", "bar", "interval"), "weight": ("name", "weight"),
         "crossing": ("state",), "max-range": ("steps",)}
RULES = tuple(NEEDS)
SETTINGS = ("weight", "crossing", "max-range")


def _setting(project, rule: str, o: dict) -> tuple[dict, str]:
    """The spec with a rule-set setting changed, and what changed."""
    from stretto.solver.species.spec import SpeciesSpec

    spec = dict(project.spec)
    if rule == "weight":
        spec["weights"] = {**spec.get("weights", {}), o["name"]: o["weight"]}
        what = f"weight of {o['name']} set to {o['weight']}"
    elif rule == "crossing":
        if o["state"] not in ("on", "off"):
            raise BadInput("--state for crossing is on (allowed) or off")
        spec["allow_crossing"] = o["state"] == "on"
        what = f"voice crossing {'allowed' if o['state'] == 'on' else 'forbidden'}"
    else:
        spec["max_range"] = o["steps"]
        what = f"largest span of a voice set to {o['steps']} letter steps"
    SpeciesSpec.from_dict(spec)  # validates (unknown soft rule, impossible span)
    return spec, what


def _voice_rule(project, rule: str, v: int, o: dict):
    """The constraint maker of a one-voice rule."""
    from stretto.edits import ClimaxRule, ContourRule, MaxLeapRule, RangeRule, parse_bars, \
        parse_interval
    from stretto.pitch import Pitch

    if rule == "range":
        low, high = Pitch.parse(o["low"]), Pitch.parse(o["high"])
        if high.midi - low.midi < 7:
            raise BadInput(f"range {low.name}-{high.name} is too narrow for a line (give at "
                           "least a fifth)")
        return lambda cid: RangeRule(cid, v, low, high)
    if rule == "climax":
        check_bars(project, o["bar"], o["bar"])
        return lambda cid: ClimaxRule(cid, v, o["bar"])
    if rule == "max-leap":
        number, _ = parse_interval(o["interval"])
        if number < 2:
            raise BadInput("--interval for max-leap must be at least a second")
        return lambda cid: MaxLeapRule(cid, v, number)
    first, last = parse_bars(o["bars"])
    check_bars(project, first, last)
    if o["direction"] not in ("rising", "falling"):
        raise BadInput("--direction is rising or falling")
    return lambda cid: ContourRule(cid, v, first, last, o["direction"])


def _interval_rule(project, rule: str, o: dict):
    """The constraint maker of ``require-interval`` / ``forbid-interval``."""
    from stretto.edits import IntervalRule, parse_beat, parse_interval

    n = len(project.piece.voices)
    try:
        a, b = (int(x) for x in str(o["voices"]).split(","))
    except ValueError:
        raise BadInput(f"cannot read --voices {o['voices']!r}: write two voices, e.g. 1,2") \
            from None
    upper, lower = sorted((voice_index(a, n, "--voice"), voice_index(b, n, "--voice")))
    if upper == lower:
        raise BadInput("--voices must name two different voices")
    beat = parse_beat(o.get("beat"))
    kind_of(project).check_place(project, o["bar"], beat)
    number, quality = parse_interval(o["interval"])
    require = rule == "require-interval"
    return lambda cid: IntervalRule(cid, upper, lower, o["bar"], beat, number, quality,
                                    require)


def constrain(folder: str | Path, *, rule: str, voice=None, voices: str | None = None,
              low: str | None = None, high: str | None = None, bar: int | None = None,
              beat=None, bars: str | None = None, direction: str | None = None,
              interval: str | None = None, name: str | None = None,
              weight: int | None = None, state: str | None = None, steps: int | None = None,
              solve: bool = True, time_limit: float | None = None,
              seed: int | None = None) -> EditResult:
    """Add a rule of the composer's own (see :data:`NEEDS` for what each rule takes) and
    re-solve; a harmonization or composition takes the rules of
    :data:`stretto.solver.tonal.chorale_task.CHORALE_RULES`."""
    o = dict(voice=voice, voices=voices, low=low, high=high, bar=bar, beat=beat, bars=bars,
             direction=direction, interval=interval, name=name, weight=weight, state=state,
             steps=steps)
    if rule not in NEEDS:
        raise BadInput(f"unknown rule {rule!r}: use one of {', '.join(RULES)}")
    opts = dict(solve=solve, time_limit=time_limit, seed=seed)
    with locked(folder):
        project, text = load(folder)
        kind = kind_of(project)
        if rule not in kind.rules:
            raise BadInput(f"rule {rule} applies to species projects only; a "
                           f"{describe_kind(project)} takes {', '.join(kind.rules)}")
        missing = [f"--{k}" for k in NEEDS[rule] if o[k] is None]
        if missing:
            raise BadInput(f"rule {rule} needs {' '.join(missing)}")
        if rule in SETTINGS:
            spec, what = _setting(project, rule, o)
            return save_edit(folder, replace(project, spec=spec), text, "constrain", what, **opts)
        if rule in ("require-interval", "forbid-interval"):
            make = _interval_rule(project, rule, o)
        else:
            v = voice_index(voice, len(project.piece.voices))
            refuse_given(project, v, "rules apply to the voices the solver writes")
            make = _voice_rule(project, rule, v, o)
        project, c = with_constraint(project, make)
        return save_edit(folder, project, text, "constrain", c.describe().replace("your ", ""),
                     constraint=c.id, **opts)


__all__ = ["NEEDS", "RULES", "constrain"]
