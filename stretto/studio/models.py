"""The bodies of the studio's edit requests, checked before anything is read: each field's
type and bounds, and no field that the request does not take (422 naming it). What the
application layer checks against the project (a voice outside the score, a bar past its end,
a pitch it cannot read) it refuses itself, with its own one-line message."""

from __future__ import annotations

from fractions import Fraction

from pydantic import BaseModel, ConfigDict, Field, field_validator

from stretto.limits import MAX_BARS, MAX_VOICES

_BARS = r"^\d{1,4}(-\d{1,4})?$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _beat(value):
    if value is None:
        return None
    text = str(value).strip()
    try:
        beat = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"cannot read beat {text!r}: write 1, 3 or 2.5 (quarter notes, "
                         "1-based)") from None
    if not 1 <= beat <= 64 or beat.denominator > 64:
        raise ValueError(f"beat {text} is not a beat of a bar (1-based quarter notes)")
    return text


class PlaceBody(_Body):
    """A note's place: ``voice`` counted from 1 at the top, ``bar``, ``beat`` (default 1)."""

    voice: int = Field(ge=1, le=MAX_VOICES)
    bar: int = Field(ge=0, le=MAX_BARS)
    beat: str | int | float | None = None

    _check_beat = field_validator("beat")(lambda cls, v: _beat(v))

    def beat_text(self) -> str | None:
        return None if self.beat is None else str(self.beat)


class _Solve(_Body):
    """What ``stretto pin``, ``unpin`` and ``unlock`` take besides the place: ``solve``
    false records the edit without re-solving (``--no-solve``); ``budget``: notes the
    re-solve may change beyond the fewest where that lowers the objective (``--budget``);
    ``seed`` (``--seed``)."""

    solve: bool = True
    budget: int | None = Field(default=None, ge=0, le=100)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)

    def solve_options(self) -> dict:
        out = {"solve": self.solve, "seed": self.seed}
        return out if self.budget is None else {**out, "budget": self.budget}


class PinBody(PlaceBody, _Solve):
    """``POST /api/pin``: the note at the place gets ``pitch`` (C#5, Bb3 ...)."""

    pitch: str = Field(min_length=2, max_length=6)
    allow_cantus_edit: bool = False


class UnpinBody(PlaceBody, _Solve):
    """``POST /api/unpin``: the pins at the place (every beat of the bar without ``beat``)."""


class LockBody(_Body):
    """``POST /api/lock``: ``voice`` in ``bars`` ("A-B", default all)."""

    voice: int = Field(ge=1, le=MAX_VOICES)
    bars: str | None = Field(default=None, pattern=_BARS)


class UnlockBody(LockBody, _Solve):
    """``POST /api/unlock``: the locks of ``voice`` in ``bars`` (default all) released."""


class RegenerateBody(_Body):
    """``POST /api/regenerate``: a new passage in ``bars``, of ``voice`` or of every voice
    the solver writes, changing at least ``change`` (0-1) of its free notes; ``options`` K
    ranks K alternatives (the best is written, ``/api/choose`` takes another); ``seed`` a
    solver seed of one's own (by default the project's, advanced on every regeneration)."""

    bars: str = Field(pattern=_BARS)
    voice: int | None = Field(default=None, ge=1, le=MAX_VOICES)
    change: float | None = Field(default=None, ge=0, le=1)
    options: int = Field(default=1, ge=1, le=8)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)


class ChooseBody(_Body):
    """``POST /api/choose``: take alternative ``option`` of the last regeneration."""

    option: int = Field(ge=1, le=8)


class ConstrainBody(_Body):
    """``POST /api/constrain``: a rule of the composer's own (``stretto constrain``)."""

    rule: str = Field(max_length=32)
    voice: int | None = Field(default=None, ge=1, le=MAX_VOICES)
    voices: str | None = Field(default=None, pattern=r"^\d{1,2},\d{1,2}$")
    low: str | None = Field(default=None, max_length=6)
    high: str | None = Field(default=None, max_length=6)
    bar: int | None = Field(default=None, ge=0, le=MAX_BARS)
    beat: str | None = Field(default=None, max_length=8)
    bars: str | None = Field(default=None, pattern=_BARS)
    direction: str | None = Field(default=None, max_length=16)
    interval: str | None = Field(default=None, max_length=16)
    name: str | None = Field(default=None, max_length=64)
    weight: int | None = Field(default=None, ge=0, le=1000)
    state: str | None = Field(default=None, max_length=8)
    steps: int | None = Field(default=None, ge=1, le=30)


class StepBody(_Body):
    """``POST /api/undo`` and ``/api/redo``: no fields."""


__all__ = ["ChooseBody", "ConstrainBody", "LockBody", "PinBody", "PlaceBody", "RegenerateBody",
           "StepBody", "UnlockBody", "UnpinBody"]
