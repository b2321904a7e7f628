"""Tonal harmony: keys, the chord vocabulary, and the progression grammar as a graph.

A :class:`Key` is a tonic and ``major``/``minor``. Its vocabulary (:func:`vocabulary`) is the
chords the chorale model may use, by root-position figure in music21's Roman-numeral spelling
(``V7/V``, ``viio7``, ``ii/o7``): the diatonic triads I..vii (minor: harmonic minor for V and
viio, natural for III, iv, VI), V7, viio7, ii7 (iiø7 in minor), secondary dominants V/x and
V7/x of the diatonic major and minor triads, and in minor the major tonic (Picardy third) for
the last chord only. Every chord knows its spelled tones by role (root, third, fifth, seventh),
which role holds a leading tone, and where it wants to go.

The progression grammar (:func:`progression_graph`) is a networkx ``DiGraph`` over the figures:
tonic chords go anywhere, pre-dominants go to pre-dominants and dominants, dominants to the
tonic (or vi: deceptive), a secondary dominant to its goal; ``X -> V/y`` is allowed wherever
``X -> y`` is. Repeating a chord is always allowed. Other successions of diatonic chords are
edges marked ``retrogression=True``: allowed at a cost (a soft rule), also a secondary
dominant that does not reach its goal (a fugue answer in the dominant needs them). Cadences (:data:`CADENCES`) are pairs of
chords at a phrase end.

Harmonic style (:data:`STYLES`) chooses the vocabulary: ``plain`` is the diatonic triads with
V7 the only seventh (no secondary dominant, no Picardy third); ``chorale`` (the default) is the
vocabulary above; ``chromatic`` adds the diminished sevenths of the secondary goals
(``viio7/V``), the Neapolitan sixth (``N6``), the Italian and French augmented sixths
(``It6``, ``Fr43``) and, in major, chords borrowed from the parallel minor (``iv``, ``iio``,
``ii/o7``, ``bVI``, ``bIII``). A chromatic chord knows the inversions it takes
(:attr:`Chord.bass_roles`) and how its tendency tones move (:attr:`Chord.tendencies`); the
grammar sends the Neapolitan to the dominant (V, V7 or viio7/V) and an augmented sixth to V or
V7 only, never as a retrogression.

Chord spelling comes from music21's ``RomanNumeral`` (computed once per key and cached); no
OR-Tools here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from stretto.errors import BadInput
from stretto.modes import Mode
from stretto.pitch import STEP_NAMES, Pitch

ROOT, THIRD, FIFTH, SEVENTH = range(4)
ROLE_NAMES = ("root", "third", "fifth", "seventh")
TRIAD_INV = {ROOT: "", THIRD: "6", FIFTH: "64"}
SEVENTH_INV = {ROOT: "7", THIRD: "65", FIFTH: "43", SEVENTH: "42"}

MAJOR_DIATONIC = ("I", "ii", "iii", "IV", "V", "vi", "viio", "V7", "viio7", "ii7")
MINOR_DIATONIC = ("i", "iio", "III", "iv", "V", "VI", "viio", "V7", "viio7", "ii/o7")
MAJOR_SECONDARY_GOALS = ("ii", "iii", "IV", "V", "vi")
MINOR_SECONDARY_GOALS = ("III", "iv", "V", "VI")
TONIC = {"I", "i", "vi", "VI", "iii", "III"}
PREDOMINANT = {"ii", "ii7", "iio", "ii/o7", "IV", "iv"}
DOMINANT = {"V", "V7", "viio", "viio7"}
CADENCE_TYPES = ("authentic", "half", "plagal", "deceptive")
STYLES = ("plain", "chorale", "chromatic")
# plain: the diatonic triads and V7 (the only seventh)
PLAIN = {"major": ("I", "ii", "iii", "IV", "V", "vi", "viio", "V7"),
         "minor": ("i", "iio", "III", "iv", "V", "VI", "viio", "V7")}
# chromatic: what it adds to the chorale vocabulary
MAJOR_MIXTURE = ("iv", "iio", "ii/o7", "bVI", "bIII")
NEAPOLITAN, ITALIAN, FRENCH = "N", "It", "Fr"
_M21_FIGURE = {NEAPOLITAN: "N6", ITALIAN: "It6", FRENCH: "Fr43"}
# tendency-tone motions (Chord.tendencies): a semitone up or down by step, or down by step
# (or held)
UP, DOWN, FALL = "up", "down", "fall"
# the Neapolitan's b2: down by step, or by a diminished third to the leading tone (N6 - V)
FLAT_TWO = "b2"


@dataclass(frozen=True)
class Key:
    """A tonal key: ``tonic`` like ``F#`` or ``Bb``, ``mode`` ``major`` or ``minor``."""

    tonic: str
    mode: str

    @classmethod
    def parse(cls, text: str) -> "Key":
        """``"D minor"``, ``"F# major"``, ``"Bb"`` (major) or music21's ``"f#"`` (minor)."""
        words = text.replace("-", " ").split() if " " in text.strip() else [text.strip()]
        if not words or not words[0]:
            raise BadInput("empty key: write it as 'D minor' or 'F# major'")
        tonic = words[0]
        mode = words[1].lower() if len(words) > 1 else ("minor" if tonic[:1].islower()
                                                        else "major")
        if mode not in ("major", "minor"):
            raise BadInput(f"cannot read key {text!r}: the mode must be major or minor "
                           "(write 'D minor' or 'F# major')")
        if not tonic[:1].upper() in STEP_NAMES or tonic[1:] not in ("", "#", "b", "-"):
            raise BadInput(f"cannot read key {text!r}: the tonic must be a note name such as "
                           "D, F# or Bb")
        return cls(tonic[:1].upper() + {"-": "b"}.get(tonic[1:], tonic[1:]), mode)

    @property
    def m21_name(self) -> str:
        t = self.tonic.replace("b", "-") if len(self.tonic) > 1 else self.tonic
        return t.lower() if self.mode == "minor" else t

    @property
    def church_mode(self) -> Mode:
        """The same collection as a :class:`Mode` (what ``Piece.mode`` stores)."""
        return Mode("ionian" if self.mode == "major" else "aeolian", self.tonic)

    @property
    def tonic_class(self) -> tuple[int, int]:
        return (STEP_NAMES.index(self.tonic[0]), {"": 0, "#": 1, "b": -1}[self.tonic[1:]])

    def relative(self, figure: str) -> "Key":
        """The key a diatonic triad's figure names (``V`` of D minor is A major)."""
        ch = chord(self, figure)
        step, alter = ch.tones[ROOT]
        name = STEP_NAMES[step] + {0: "", 1: "#", -1: "b"}[alter]
        return Key(name, "major" if ch.quality == "major" else "minor")

    def __str__(self) -> str:
        return f"{self.tonic} {self.mode}"


@dataclass(frozen=True)
class Chord:
    """One chord of a key's vocabulary. ``tones`` maps role (ROOT..SEVENTH) to a spelled pitch
    class ``(step, alter)``; ``lt_role`` is the role holding a leading tone (the third of a
    dominant, the root of viio), ``goal`` the figure it resolves to (None if not a dominant)."""

    figure: str  # root position, music21 spelling: V7/V, viio7, ii/o7
    numeral: str  # without the seventh and the secondary part: V, viio, ii/o
    secondary: str  # "" or "/V"
    quality: str  # major, minor, diminished, ...
    tones: tuple[tuple[int, int] | None, ...]  # by role; None where the chord has no seventh
    lt_role: int | None
    goal: str | None
    function: str  # T, PD, D, S (secondary dominant), F (final only), N (Neapolitan), A6
    # the bass roles the chord may stand on (None: the usual rule, see chorale_voicing)
    bass_roles: frozenset | None = None
    # (role, motion) of tones that must move so into the next, different chord: UP or DOWN
    # (a semitone by step), FALL (down by step)
    tendencies: tuple = ()
    colour: str = ""  # "", mixture, neapolitan, augmented sixth, diminished seventh

    @property
    def is_seventh(self) -> bool:
        return self.tones[SEVENTH] is not None

    def role_of(self, cls: tuple[int, int]) -> int | None:
        for r, t in enumerate(self.tones):
            if t == cls:
                return r
        return None

    def label(self, bass_role: int) -> str:
        """The figure with its inversion, as music21 writes it: ``V65/V``, ``I6``, ``viio7``."""
        inv = (SEVENTH_INV if self.is_seventh else TRIAD_INV)[bass_role]
        return f"{self.numeral}{inv}{self.secondary}"


def _cls(p) -> tuple[int, int]:
    return (STEP_NAMES.index(p.step), int(p.alter))


@lru_cache(maxsize=None)
def chord(key: Key, figure: str) -> Chord:
    from music21 import key as m21key, roman

    rn = roman.RomanNumeral(_M21_FIGURE.get(figure, figure), m21key.Key(key.m21_name))
    root = rn.root()
    tones: list[tuple[int, int] | None] = [None, None, None, None]
    for p in rn.pitches:
        generic = (STEP_NAMES.index(p.step) - STEP_NAMES.index(root.step)) % 7
        tones[{0: ROOT, 2: THIRD, 4: FIFTH, 6: SEVENTH}[generic]] = _cls(p)
    main, _, goal_part = figure.partition("/")
    if figure.startswith("ii/o"):
        main, goal_part = "ii/o7", ""
    secondary = f"/{goal_part}" if goal_part else ""
    numeral = main[:-1] if main.endswith("7") else main
    if numeral == "V":
        lt_role, goal = THIRD, (goal_part or ("I" if key.mode == "major" else "i"))
    elif numeral.startswith("viio"):
        lt_role, goal = ROOT, (goal_part or ("I" if key.mode == "major" else "i"))
    else:
        lt_role, goal = None, None
    base = main
    function = ("S" if secondary else "D" if base in DOMINANT else "PD" if base in PREDOMINANT
                else "T")
    if key.mode == "minor" and figure == "I":
        function = "F"
    extra: dict = {}
    if figure == NEAPOLITAN:  # N6: b2 falls to 1, or by a diminished third to 7
        extra = dict(function="N", bass_roles=frozenset({THIRD}),
                     tendencies=((ROOT, FLAT_TWO),), colour="neapolitan")
    elif figure in (ITALIAN, FRENCH):  # b6 and #4 expand to the octave on 5
        b6 = THIRD if figure == ITALIAN else FIFTH
        extra = dict(function="A6", bass_roles=frozenset({b6}),
                     tendencies=((b6, DOWN), (ROOT if figure == ITALIAN else THIRD, UP)),
                     colour="augmented sixth")
    elif key.mode == "major" and figure in MAJOR_MIXTURE:  # b6 borrowed from minor falls
        b6 = next((r for r, t in enumerate(tones) if t is not None and
                   t[0] == (key.tonic_class[0] + 5) % 7), None)
        extra = dict(tendencies=((b6, FALL),) if b6 is not None else (), colour="mixture")
    elif secondary and numeral == "viio":
        extra = dict(colour="diminished seventh")
    return Chord(figure=figure, numeral=numeral, secondary=secondary, quality=rn.quality,
                 tones=tuple(tones), lt_role=lt_role, goal=goal,
                 **{"function": function, **extra})


def check_style(style: str) -> str:
    """``style`` itself, or BadInput naming the styles."""
    if style not in STYLES:
        raise BadInput(f"unknown harmonic style {style!r}: use {', '.join(STYLES)}")
    return style


@lru_cache(maxsize=None)
def vocabulary(key: Key, style: str = "chorale") -> tuple[Chord, ...]:
    """The chords of ``key`` in ``style`` (chorale: diatonic, sevenths, secondary dominants,
    Picardy tonic; plain: diatonic triads and V7; chromatic: chorale and the chromatic chords,
    see the module text)."""
    check_style(style)
    if style == "plain":
        return tuple(chord(key, f) for f in PLAIN[key.mode])
    if key.mode == "major":
        figures = list(MAJOR_DIATONIC)
        goals = MAJOR_SECONDARY_GOALS
    else:
        figures = list(MINOR_DIATONIC)
        goals = MINOR_SECONDARY_GOALS
    for g in goals:
        if g not in ("IV", "VI"):  # V/IV is I itself, V/VI in minor is III
            figures.append(f"V/{g}")
        figures.append(f"V7/{g}")
    if key.mode == "minor":
        figures.append("I")
    if style == "chromatic":
        figures += [f"viio7/{g}" for g in goals]
        figures += [NEAPOLITAN, ITALIAN, FRENCH]
        if key.mode == "major":
            figures += list(MAJOR_MIXTURE)
    return tuple(chord(key, f) for f in figures)


@lru_cache(maxsize=None)
def progression_graph(key: Key, style: str = "chorale"):
    """The allowed successions as a networkx ``DiGraph`` over the vocabulary's figures."""
    import networkx as nx

    chords = {c.figure: c for c in vocabulary(key, style)}
    g = nx.DiGraph()
    g.add_nodes_from(chords)
    tonic = "I" if key.mode == "major" else "i"
    sub = "vi" if key.mode == "major" else "VI"
    med = "iii" if key.mode == "major" else "III"
    pre = [f for f, c in chords.items() if c.function == "PD"]
    dom = [f for f, c in chords.items() if c.function == "D"]
    base: set[tuple[str, str]] = set()
    for f in chords:
        base.add((f, f))  # a chord may be repeated (a new inversion, a new melody note)
    for f in chords:
        if chords[f].function in ("S", "F", "N", "A6"):
            continue
        c = chords[f]
        if f == tonic:
            targets = [x for x in chords if chords[x].function in ("T", "PD", "D")]
        elif f in (sub, "bVI"):
            targets = pre + dom + [tonic, med if key.mode == "minor" else "iii"]
        elif f in (med, "bIII"):
            targets = [sub] + pre + ([tonic] if key.mode == "minor" else [])
        elif c.function == "PD":
            targets = pre + dom + ([tonic] if f in ("IV", "iv") else [])
        else:  # dominant
            targets = [tonic, sub] + (["V7"] if f in ("V",) else []) \
                + (["V", "V7"] if f.startswith("viio") else [])
        for t in targets:
            if t in chords and not (c.is_seventh and t == f.replace("7", "") and t != f):
                base.add((f, t))
    # predominants may not go back to a predominant of weaker pull (ii -> IV)
    base.discard(("ii", "IV"))
    base.discard(("ii7", "IV"))
    base.discard(("iio", "iv"))
    base.discard(("ii/o7", "iv"))
    for a, b in sorted(base):
        g.add_edge(a, b)
    # secondary dominants: to their goal (or from triad to seventh), and wherever the goal may
    # follow, its dominant may too
    for f, c in chords.items():
        if c.function != "S":
            continue
        g.add_edge(f, c.goal)
        if "7" not in f:
            g.add_edge(f, f.replace("V/", "V7/"))
        g.add_edge(f, f)
        for a, b in list(base):
            if b == c.goal and chords[a].function != "S" and a != c.goal:
                g.add_edge(a, f)
        g.add_edge(c.goal, f) if (c.goal, c.goal) in base and c.goal != tonic else None
    if key.mode == "minor" and "I" in chords:  # the Picardy tonic, only after a dominant or iv
        for f in ("V", "V7", "viio", "viio7", "iv"):
            g.add_edge(f, "I")
    # the Neapolitan and the augmented sixths: from a tonic or pre-dominant chord that may
    # go to V, on to the dominant only (no retrogression edges)
    for f, c in chords.items():
        if c.function not in ("N", "A6"):
            continue
        for a, ca in chords.items():
            if ca.function in ("T", "PD") and (a, "V") in base:
                g.add_edge(a, f)
        g.add_edge(f, f)
        for t in ("V", "V7") + (("viio7/V",) if c.function == "N" else ()):
            if t in chords:
                g.add_edge(f, t)
    # every other succession of diatonic chords is a retrogression (V-IV, ii-I, vi-iii ...):
    # allowed, at a cost (soft rule progression-retrogression), so that any melody the
    # vocabulary can carry has a harmonization
    for a, ca in chords.items():
        for b, cb in chords.items():
            if ca.function in ("T", "PD", "D", "S") and cb.function in ("T", "PD", "D", "S") \
                    and not g.has_edge(a, b):
                g.add_edge(a, b, retrogression=True)
    return g


def cadence_kind(key: Key, before: Chord, last: Chord) -> str | None:
    """The cadence ``before -> last`` makes at a phrase end (root positions are checked by the
    caller): ``authentic``, ``half``, ``plagal``, ``deceptive`` or None."""
    tonic_like = last.figure in ("I", "i")
    if before.function == "D" and before.numeral == "V" and tonic_like:
        return "authentic"
    if last.figure == "V" and before.figure != "V":
        return "half"
    if last.function == "S" and "7" not in last.figure and before.figure != last.figure \
            and not before.figure.startswith(last.figure.replace("V/", "V7/")):
        return "half"  # a half cadence in a related key (on V/x)
    if before.figure in ("IV", "iv") and tonic_like:
        return "plagal"
    if before.figure in ("V", "V7") and last.figure in ("vi", "VI"):
        return "deceptive"
    return None


def cadence_key(key: Key, before: Chord, last: Chord) -> Key:
    """The key a cadence is in: the goal's key for a half cadence on V/x, else ``key`` (an
    authentic cadence in a related key is made in that key: see :func:`related_keys`)."""
    if last.function == "S" and "7" not in last.figure:
        return key.relative(last.goal)
    return key


def related_keys(key: Key) -> list[Key]:
    """The closely related keys (one accidental apart) a piece may modulate to: in major ii,
    iii, IV, V, vi; in minor III, iv, v, VI, VII (the minor dominant key, as in Bach)."""
    if key.mode == "major":
        return [key.relative(f) for f in ("ii", "iii", "IV", "V", "vi")]
    out = [key.relative(f) for f in ("III", "iv", "VI")]
    seventh = pitch_class_name(chord(key, "III").tones[FIFTH])  # the natural seventh degree
    return out[:2] + [Key(key.relative("V").tonic, "minor")] + out[2:] + [Key(seventh, "major")]


def local_vocabulary(key: Key, style: str = "chorale") -> tuple[Chord, ...]:
    """The chords a passage in ``key`` uses when ``key`` is not the piece's home key: its
    diatonic chords and sevenths (no secondary dominants, no Picardy tonic; in ``plain``
    style its triads and V7)."""
    base = vocabulary(key, "plain" if style == "plain" else "chorale")
    return tuple(c for c in base if c.function in ("T", "PD", "D"))


@lru_cache(maxsize=None)
def key_degree(home: Key, local: Key) -> str:
    """The Roman numeral of ``local``'s tonic triad in ``home`` (``V``, ``vi``, ``III``,
    ``v``): a chord of the local key is written ``figure/degree`` in the home key (``V7/V``,
    ``I/V``), the way music21 spells applied chords."""
    from music21 import chord as m21chord, key as m21key, roman

    tonic = chord(local, "I" if local.mode == "major" else "i")
    names = [pitch_class_name(t).replace("b", "-") for t in tonic.tones[:3]]
    rn = roman.romanNumeralFromChord(m21chord.Chord(names), m21key.Key(home.m21_name))
    return rn.romanNumeral


def pitch_class_name(cls: tuple[int, int]) -> str:
    return STEP_NAMES[cls[0]] + {0: "", 1: "#", 2: "##", -1: "b", -2: "bb"}[cls[1]]


def key_candidates(pitches: list[Pitch], durations: list[float], limit: int = 4) -> list[Key]:
    """Likely keys of a melody, best first: music21's Krumhansl-Schmuckler estimates, where
    among the close ones (correlation within 0.15 of the best) a key whose tonic is the
    melody's last note comes first (chorale melodies end on the tonic far more often than the
    profile alone can tell)."""
    from music21 import note, stream

    s = stream.Stream()
    for p, d in zip(pitches, durations):
        n = note.Note(p.m21_name)
        n.quarterLength = d
        s.append(n)
    best = s.analyze("key")
    final = pitches[-1]
    cands = [best] + list(best.alternateInterpretations)
    top = best.correlationCoefficient
    close = [k for k in cands if k.correlationCoefficient >= top - 0.15]
    ends = [k for k in close
            if (STEP_NAMES.index(k.tonic.step), int(k.tonic.alter)) == (final.step, final.alter)]
    ordered = ends + [k for k in cands if k not in ends]
    out: list[Key] = []
    for k in ordered:
        key = Key(k.tonic.name.replace("-", "b"), k.mode)
        if key not in out and len(key.tonic) <= 2:
            out.append(key)
        if len(out) == limit:
            break
    return out


def detect_key(pitches: list[Pitch], durations: list[float]) -> Key:
    """The most likely key of a melody (see :func:`key_candidates`)."""
    return key_candidates(pitches, durations, 1)[0]


__all__ = ["CADENCE_TYPES", "STYLES", "Chord", "Key", "ROLE_NAMES", "cadence_kind",
           "cadence_key", "check_style", "chord", "detect_key", "key_candidates", "key_degree",
           "local_vocabulary", "progression_graph", "related_keys", "vocabulary"]
