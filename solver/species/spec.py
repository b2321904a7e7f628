"""What to solve: the species problem (:class:`SpeciesSpec`); how to solve it and what comes
back are the shared :mod:`stretto.solver.cpsat.settings`.

Frozen dataclasses only; no OR-Tools import here, so the CLI can validate input cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stretto.errors import BadInput
from stretto.modes import Mode
from stretto.pitch import Pitch
from stretto.rulebook import BY_NAME, SOFT

MIN_CANTUS = 4
MAX_CANTUS = 32


@dataclass(frozen=True)
class SpeciesSpec:
    """A species exercise: a cantus firmus and the species of each added voice.

    ``species`` lists the added voices from the top down (the cantus is not in it), so
    ``voices = len(species) + 1``. ``cantus_voice`` is the cantus's index counted from the top
    (0 = top, ``len(species)`` = bottom). ``ranges`` optionally fixes each *added* voice's
    register (low, high), top down; otherwise a register is chosen around the cantus.
    ``max_range`` is the largest span of an added voice in letter steps (9 = a tenth).
    """

    cantus: tuple[Pitch, ...]
    mode: Mode
    species: tuple[int, ...] = (1,)
    cantus_voice: int = 1
    ranges: tuple[tuple[Pitch, Pitch], ...] | None = None
    max_range: int = 9
    allow_crossing: bool = False
    weights: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        n = len(self.cantus)
        if n < MIN_CANTUS:
            raise BadInput(f"cantus firmus too short ({n} notes): give at least {MIN_CANTUS}")
        if n > MAX_CANTUS:
            raise BadInput(f"cantus firmus too long ({n} notes): at most {MAX_CANTUS}")
        final = self.cantus[-1]
        if (final.step, final.alter) != (self.mode.final_step, self.mode.final_alter):
            raise BadInput(f"cantus firmus ends on {final.name}, not on the final "
                           f"{self.mode.final} of {self.mode}: end it on its final or pass "
                           f"--mode")
        if not 1 <= len(self.species) <= 3:
            raise BadInput("give 1 to 3 added voices (2 to 4 voices in all)")
        for s in self.species:
            if s not in (1, 2, 3, 4, 5):
                raise BadInput(f"unknown species {s}: use 1 to 5")
        if not 0 <= self.cantus_voice <= len(self.species):
            raise BadInput(f"cantus voice {self.cantus_voice + 1} is outside the "
                           f"{len(self.species) + 1} voices")
        if self.ranges is not None:
            if len(self.ranges) != len(self.species):
                raise BadInput(f"give one range per added voice ({len(self.species)})")
            top, bottom = max(p.midi for p in self.cantus), min(p.midi for p in self.cantus)
            voice_numbers = [v for v in range(self.voices) if v != self.cantus_voice]
            for v, (low, high) in zip(voice_numbers, self.ranges):
                if high.midi - low.midi < 7:
                    raise BadInput(f"range {low.name}-{high.name} is too narrow for a line "
                                   "(give at least a fifth)")
                if self.allow_crossing:
                    continue
                if v < self.cantus_voice and high.midi < top:
                    raise BadInput(f"range {low.name}-{high.name} of voice {v + 1} cannot hold "
                                   f"a voice above the cantus, which rises to "
                                   f"{max(self.cantus, key=lambda p: p.midi).name}")
                if v > self.cantus_voice and low.midi > bottom:
                    raise BadInput(f"range {low.name}-{high.name} of voice {v + 1} cannot hold "
                                   f"a voice below the cantus, which falls to "
                                   f"{min(self.cantus, key=lambda p: p.midi).name}")
        if not 4 <= self.max_range <= 16:
            raise BadInput(f"max range {self.max_range} steps is impossible: use 4 to 16")
        for name, w in self.weights:
            if name not in BY_NAME or name not in SOFT:
                raise BadInput(f"unknown soft rule {name!r}; soft rules are: {', '.join(SOFT)}")
            if w < 0:
                raise BadInput(f"weight of {name} must be >= 0")

    @property
    def voices(self) -> int:
        return len(self.species) + 1

    def voice_species(self) -> list[int | None]:
        """Species per voice top to bottom, ``None`` for the cantus."""
        out: list[int | None] = list(self.species)
        out.insert(self.cantus_voice, None)
        return out

    def weight(self, rule_name: str) -> int:
        for name, w in self.weights:
            if name == rule_name:
                return w
        return BY_NAME[rule_name].weight

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (pitch names, mode by name and final), as kept in score.json."""
        return {
            "cantus": [p.name for p in self.cantus],
            "mode": {"name": self.mode.name, "final": self.mode.final},
            "species": list(self.species),
            "cantus_voice": self.cantus_voice,
            "ranges": None if self.ranges is None else
            [[low.name, high.name] for low, high in self.ranges],
            "max_range": self.max_range,
            "allow_crossing": self.allow_crossing,
            "weights": {name: w for name, w in self.weights},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SpeciesSpec":
        """Inverse of :meth:`to_dict` (validating, so a hand-edited file gets a clear error)."""
        try:
            ranges = d.get("ranges")
            return cls(
                cantus=tuple(Pitch.parse(n) for n in d["cantus"]),
                mode=Mode(d["mode"]["name"], d["mode"]["final"]),
                species=tuple(int(x) for x in d["species"]),
                cantus_voice=int(d["cantus_voice"]),
                ranges=None if ranges is None else
                tuple((Pitch.parse(lo), Pitch.parse(hi)) for lo, hi in ranges),
                max_range=int(d.get("max_range", 9)),
                allow_crossing=bool(d.get("allow_crossing", False)),
                weights=tuple(sorted((str(k), int(v)) for k, v in d.get("weights", {}).items())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInput(f"score.json has a malformed species spec: {exc}") from None


def shift_octaves(pitches, octaves: int) -> list[Pitch]:
    """``pitches`` moved by whole ``octaves`` (spelling kept): ``--cantus-octave``. BadInput
    when a note would leave C1-C7, the compass any voice here could sing."""
    if not octaves:
        return list(pitches)
    moved = []
    for p in pitches:
        q = Pitch(min(max(p.octave + octaves, -1), 9), p.step, p.alter)
        if q.octave != p.octave + octaves or not 24 <= q.midi <= 96:
            raise BadInput(f"--cantus-octave {octaves:+d} moves {p.name} out of C1-C7: "
                           "use a smaller shift")
        moved.append(q)
    return moved
