"""The checker's view of a piece: lines of sounding notes and the time slices between them.

A :class:`Texture` is built once per check. Each voice becomes a :class:`CheckLine` of *sounding*
notes (ties merged, so a fourth-species syncopation is one note that starts on the weak half and
crosses the barline). The piece is cut into :class:`Slice` s, one at every onset in any voice:
a slice says which note each voice is sounding and which voices attack there. Every rule module
reads the piece through this view, so the rules talk about music ("the note held over the
barline", "the lowest sounding voice"), never about notation.

Also here: :class:`Violation`, :class:`CheckSettings`, and :func:`infer_species`, which reads a
voice's species off its rhythm (used when a voice does not say, and by the Fux corpus loader).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from stretto.errors import BadInput
from stretto.pitch import Interval, Pitch
from stretto.rulebook import rule as rulebook_rule
from stretto.score import Note, Piece, Voice, parse_meter


@dataclass(frozen=True)
class Violation:
    """One broken rule at one place in the score."""

    rule: str  # a name from stretto.rulebook
    severity: str  # "hard" | "soft" (from the rulebook)
    bar: int  # 1-based
    beat: Fraction  # 1-based, in quarter notes within the bar
    voices: tuple[str, ...]
    message: str  # one plain sentence

    def __str__(self) -> str:
        return f"bar {self.bar} beat {self.beat}: [{self.rule}] {self.message}"


@dataclass(frozen=True)
class CheckSettings:
    """Knobs of the checker. The defaults are the rulebook's (what the solver guarantees);
    :meth:`fux` relaxes them to what Fux's own figures do."""

    max_range: int = 9  # generic steps (9 = a tenth) per counterpoint voice; cantus not checked
    allow_crossing: bool = False  # also allows overlapping
    # Species whose voice may not make fifths/octaves on successive downbeats. Fux applies the
    # rule to second species; in third species the three quarters between are enough (his
    # figures 55, 130-132, 177-186 have such downbeat octaves and fifths).
    downbeat_parallel_species: tuple[int, ...] = (2,)
    # Allow the 4-5 suspension with the dissonance in the lower voice (Fux, figs 76 and 78).
    lower_fourth_suspension: bool = False
    # Fux's liberties in three and four parts: a fifth or octave reached on a weak beat against
    # a held note may move in parallel into the next downbeat (figs 125, 129, 176, 184),
    # second-species downbeat fifths are not counted (125, 134, 173, 204), and two voices may
    # meet in a unison on the downbeat (147, 159, 160-203), and off the downbeat a florid
    # voice may make a fourth or tritone with a voice other than the cantus (123, 141, 144,
    # 151, 183: Fux judges the florid voice against the cantus), the outer voices may enter a
    # fifth or octave in similar motion (116, 167, 170, 181, 186, 202), and a florid voice may
    # strike its penultimate note again as the final (173, 181).
    part_liberties: bool = False
    # Allow the descending minor sixth anywhere (Fux 110, 114; within one harmony of the florid
    # species it is always allowed).
    minor_sixth_down: bool = False
    soft: bool = True  # also report soft rules (preferences)

    @classmethod
    def fux(cls, **changes) -> "CheckSettings":
        """Settings under which Fux's own solutions pass: voices may cross (he crosses the
        cantus in two parts and the inner voices in four), a counterpoint may span a twelfth,
        the lower voice may suspend a fourth, the descending minor sixth, and the three- and
        four-part liberties above."""
        base = dict(max_range=11, allow_crossing=True, lower_fourth_suspension=True,
                    part_liberties=True, minor_sixth_down=True)
        base.update(changes)
        return cls(**base)


@dataclass(frozen=True)
class CheckLine:
    """One voice as heard: sounding notes (ties merged), its species (None for the cantus)."""

    index: int
    name: str
    species: int | None
    is_cantus: bool
    notes: tuple[Note, ...]

    @property
    def is_counterpoint(self) -> bool:
        return not self.is_cantus

    def prev(self, i: int) -> Note | None:
        """The note before note ``i`` if it leads straight into it (no rest between)."""
        if i > 0 and self.notes[i - 1].end == self.notes[i].onset:
            return self.notes[i - 1]
        return None

    def next(self, i: int) -> Note | None:
        """The note after note ``i`` if it follows straight on (no rest between)."""
        if i + 1 < len(self.notes) and self.notes[i].end == self.notes[i + 1].onset:
            return self.notes[i + 1]
        return None


@dataclass(frozen=True)
class Slice:
    """The texture between one onset and the next: ``notes[v]`` is the index into line ``v``'s
    notes sounding there (None: the voice rests); ``attacks`` are the voices that begin a note."""

    time: Fraction
    notes: tuple[int | None, ...]
    attacks: frozenset[int]


class Texture:
    """Lines and slices of a piece, with the metre (bar, half bar) and the cantus."""

    def __init__(self, piece: Piece, species: Sequence[int | None], cantus: int | None, *,
                 beats: bool = False) -> None:
        self.piece = piece
        # the beat-only view (``check(..., beats=True)``): motion judged from beat to beat of
        # the metre, the notes between the beats ignored; None: at every onset
        self.beat: Fraction | None = metre_beat(piece.meter) if beats else None
        self.bar_length = piece.bar_length
        self.half = self.bar_length / 2
        self.quarter = self.bar_length / 4
        self.cantus = cantus
        self.lines: tuple[CheckLine, ...] = tuple(
            CheckLine(index=i, name=v.name, species=species[i], is_cantus=(i == cantus),
                 notes=tuple(v.sounding()))
            for i, v in enumerate(piece.voices))
        self.end = max((ln.notes[-1].end for ln in self.lines if ln.notes), default=Fraction(0))
        self.slices: tuple[Slice, ...] = self._cut()
        self.slice_at: dict[Fraction, int] = {s.time: k for k, s in enumerate(self.slices)}

    # ------------------------------------------------------------------ building
    def _cut(self) -> tuple[Slice, ...]:
        times = sorted({n.onset for ln in self.lines for n in ln.notes})
        pointers = [0] * len(self.lines)
        out: list[Slice] = []
        for t in times:
            idx: list[int | None] = []
            attacks = set()
            for v, ln in enumerate(self.lines):
                k = pointers[v]
                while k < len(ln.notes) and ln.notes[k].end <= t:
                    k += 1
                pointers[v] = k
                if k < len(ln.notes) and ln.notes[k].onset <= t:
                    idx.append(k)
                    if ln.notes[k].onset == t:
                        attacks.add(v)
                else:
                    idx.append(None)
            out.append(Slice(time=t, notes=tuple(idx), attacks=frozenset(attacks)))
        return tuple(out)

    # ------------------------------------------------------------------ queries
    @property
    def n_voices(self) -> int:
        return len(self.lines)

    def note(self, s: Slice, v: int) -> Note | None:
        k = s.notes[v]
        return None if k is None else self.lines[v].notes[k]

    def pitch(self, s: Slice, v: int) -> Pitch | None:
        n = self.note(s, v)
        return None if n is None else n.pitch

    def sounding(self, s: Slice) -> list[int]:
        return [v for v in range(self.n_voices) if s.notes[v] is not None]

    def lowest(self, s: Slice) -> int | None:
        """The voice sounding the lowest pitch (the bass of this sonority)."""
        voices = self.sounding(s)
        if not voices:
            return None
        return min(voices, key=lambda v: (self.pitch(s, v).midi, self.pitch(s, v).diatonic, -v))

    def note_at(self, v: int, t: Fraction) -> tuple[int, Note] | None:
        """Index and note of line ``v`` sounding at time ``t``."""
        for k, n in enumerate(self.lines[v].notes):
            if n.onset <= t < n.end:
                return k, n
        return None

    def pos(self, t: Fraction) -> Fraction:
        """Offset of ``t`` inside its bar, in quarter notes (0 = downbeat)."""
        return t % self.bar_length

    def is_downbeat(self, t: Fraction) -> bool:
        return t % self.bar_length == 0

    def bar_beat(self, t: Fraction) -> tuple[int, Fraction]:
        return self.piece.bar_beat(t)

    def where(self, t: Fraction) -> str:
        bar, beat = self.bar_beat(t)
        return f"bar {bar}" if beat == 1 else f"bar {bar} beat {beat}"

    def crosses_barline(self, n: Note) -> bool:
        """True for a note that starts inside a bar and is still sounding at the next downbeat."""
        return n.onset % self.bar_length != 0 and \
            n.end > n.onset - n.onset % self.bar_length + self.bar_length

    def is_dissonant(self, s: Slice, a: int, b: int) -> bool:
        """Is the interval between voices ``a`` and ``b`` in slice ``s`` dissonant?

        Seconds, sevenths, augmented and diminished intervals always are, and so is the perfect
        fourth against the lowest sounding voice. Between two upper voices, when three or more
        voices sound, the perfect fourth is consonant and so are the tritones (augmented fourth,
        diminished fifth) of the diminished sixth chord (E G C#): Fux, Part II.
        """
        pa, pb = self.pitch(s, a), self.pitch(s, b)
        iv = Interval.between(pa, pb)
        if iv.is_consonant():
            return False
        voices = self.sounding(s)
        if len(voices) < 3:
            return True
        low = self.lowest(s)
        if low in (a, b) or self.pitch(s, low).midi >= min(pa.midi, pb.midi):
            return True
        g, q = iv.generic % 7, iv.quality
        return not ((g == 3 and q in ("P", "A")) or (g == 4 and q == "d"))


def metre_beat(meter: str) -> Fraction:
    """The metre's beat in quarter notes: the denominator's note (a quarter in 4/4 and 3/4, a
    half in 2/2), a dotted quarter in compound metres (6/8, 9/8, 12/8)."""
    num, den = parse_meter(meter)
    return Fraction(4, den) * (3 if den == 8 and num % 3 == 0 and num > 3 else 1)


def tolerated_off_beat(tx: "Texture", s: Slice, a: int, b: int, settings: CheckSettings) -> bool:
    """Fux's three/four-part liberty (``settings.part_liberties``): off the downbeat, a fourth
    or tritone between two voices neither of which is the cantus is not counted."""
    if not settings.part_liberties or tx.n_voices < 3 or tx.cantus in (a, b):
        return False
    iv = Interval.between(tx.pitch(s, a), tx.pitch(s, b))
    return iv.generic % 7 == 3 or (iv.generic % 7 == 4 and iv.quality == "d")


def violation(texture: Texture, name: str, t: Fraction, voices: Sequence[int], message: str
              ) -> Violation:
    """A :class:`Violation` of rulebook rule ``name`` at time ``t`` (severity from the book)."""
    r = rulebook_rule(name)
    bar, beat = texture.bar_beat(t)
    return Violation(rule=r.name, severity=r.kind, bar=bar, beat=beat,
                     voices=tuple(texture.lines[v].name for v in voices), message=message)


# --------------------------------------------------------------------------- intervals


def melodic(a: Pitch, b: Pitch) -> tuple[int, Interval]:
    """Direction (-1, 0, 1 by letter position, then MIDI) and size of the move from a to b."""
    d = (b.diatonic - a.diatonic) or (b.midi - a.midi)
    return (d > 0) - (d < 0), Interval.between(a, b)


def is_step(a: Pitch, b: Pitch) -> bool:
    """A melodic second (minor or major; augmented seconds are not steps)."""
    iv = Interval.between(a, b)
    return iv.generic == 1 and iv.semitones in (1, 2)


def direction(a: Pitch, b: Pitch) -> int:
    return melodic(a, b)[0]


def interval_name(a: Pitch, b: Pitch) -> str:
    return Interval.between(a, b).name


def perfect_class(iv: Interval) -> int | None:
    """0 for a perfect unison/octave (any compound), 4 for a perfect fifth, else None."""
    if iv.quality != "P":
        return None
    g = iv.generic % 7
    return g if g in (0, 4) else None


# --------------------------------------------------------------------------- species


def infer_species(voice: Voice, bar_length: Fraction) -> int:
    """Read a voice's species off its rhythm (sounding notes, the final note ignored).

    1: whole notes; 2: half notes; 3: quarter notes; 4: half notes tied over the barline;
    5: a mixture. The vote is by majority, because Fux lets a line bend its species at the
    cadence (a syncopation before the final in second species) and lets the whole-note filler
    voices of his three- and four-part exercises break a bar into halves.
    """
    notes = voice.sounding()
    body = notes[:-1] if len(notes) > 1 else notes
    if not body:
        return 1
    half, quarter = bar_length / 2, bar_length / 4
    kinds = {"q": 0, "h": 0, "s": 0, "w": 0, "o": 0}
    for n in body:
        pos = n.onset % bar_length
        if n.duration == quarter and pos % quarter == 0:
            kinds["q"] += 1
        elif n.duration == half and pos % half == 0:
            kinds["h"] += 1
        elif n.duration == bar_length and pos == half:
            kinds["s"] += 1
        elif n.duration >= bar_length and pos == 0:
            kinds["w"] += 1
        else:
            kinds["o"] += 1
    total = len(body)
    if kinds["o"] == 0 and kinds["q"] >= 0.8 * total:
        return 3
    if kinds["o"] == 0 and kinds["q"] == 0 and kinds["s"] >= 0.6 * total:
        return 4
    if kinds["o"] == 0 and kinds["q"] == 0 and kinds["w"] > 0.5 * total:
        return 1
    if kinds["o"] == 0 and kinds["q"] == 0 and kinds["h"] >= 0.8 * total:
        return 2
    if kinds["q"] == 0 and kinds["s"] == 0 and kinds["w"] + kinds["o"] > 0.5 * total and \
            all(n.duration >= half and n.onset % half == 0 for n in body):
        return 1  # a filler voice holding some notes over the barline
    return 5


def resolve_roles(piece: Piece, species: Sequence[int | None] | None,
                  cantus_voice: int | None) -> tuple[list[int | None], int | None]:
    """The species of every voice and the cantus index, from arguments, voices and rhythm."""
    n = len(piece.voices)
    if species is not None and len(species) != n:
        raise BadInput(f"species has {len(species)} entries but the piece has {n} voices")
    cantus = cantus_voice
    if cantus is not None and not 0 <= cantus < n:
        raise BadInput(f"cantus_voice {cantus} is out of range for {n} voices")
    if cantus is None and species is not None and list(species).count(None) == 1:
        cantus = list(species).index(None)
    if cantus is None:
        roles = [i for i, v in enumerate(piece.voices) if v.role == "cantus"]
        if len(roles) == 1:
            cantus = roles[0]
    if cantus is None and n >= 2:
        whole = [i for i, v in enumerate(piece.voices)
                 if v.notes and v.species is None
                 and all(x.duration == piece.bar_length and x.onset % piece.bar_length == 0
                         for x in v.sounding()[:-1])]
        if len(whole) == 1:
            cantus = whole[0]
        elif whole and n == 2:
            cantus = whole[-1]
    out: list[int | None] = []
    for i, v in enumerate(piece.voices):
        if i == cantus:
            out.append(None)
        elif species is not None and species[i] is not None:
            out.append(int(species[i]))
        elif v.species is not None:
            out.append(int(v.species))
        else:
            out.append(infer_species(v, piece.bar_length))
    for s in out:
        if s is not None and s not in (1, 2, 3, 4, 5):
            raise BadInput(f"species must be 1-5, not {s}")
    return out, cantus
