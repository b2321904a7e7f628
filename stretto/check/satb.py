"""The checker's tonal four-part rules: a second opinion on chorales and compositions, and the
rule set for any four-part score (a Bach chorale, an imported MIDI/MusicXML file).

Separate code from the solver's model (:mod:`stretto.solver.tonal.chorale`). One function per rule,
in two sets over a :class:`Beats` grid (the pitch each voice sounds at a beat's onset, and the
motion from one beat to the next while no voice rests):

- :data:`VOICE_LEADING` needs no chord labels: ranges, crossing, spacing, overlap, parallel
  and direct perfect intervals, melodic intervals. :func:`check_voice_leading` judges the
  vertical rules on the metre's beats (:func:`metre_beats`) and the motion rules (overlap,
  parallel and direct perfects) at every onset of each pair (:mod:`stretto.check.onsets`): a
  melody note between the beats that moves in octaves with the tenor into the next beat is
  parallel octaves. ``beats=True`` keeps the beat-to-beat view of :data:`BEAT_MOTION`, the
  textbook's reduction to the chords, for comparisons with the literature.
- :data:`stretto.check.chords.HARMONY` reads the Roman-numeral analysis (a module of its
  own), and :func:`stretto.check.chords.check_satb` runs both sets on the analysed beats.

The given melody (the voice ``harmony.melody_voice``) is exempt from the leading-tone rule and
from the range and melodic rules of the added voices, since it is kept as written.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from stretto.check.model import Violation, metre_beat
from stretto.pitch import Interval, Pitch
from stretto.rulebook import rule as rulebook_rule
from stretto.score import Piece

RANGES = {"Soprano": ("C4", "G5"), "Alto": ("G3", "D5"), "Tenor": ("C3", "A4"),
          "Bass": ("D2", "D4")}
STEPS = "CDEFGAB"


def piece_violation(rule: str, piece: Piece, time: Fraction, voices, message: str) -> Violation:
    bar, beat = piece.bar_beat(time)
    return Violation(rule, rulebook_rule(rule).kind, bar, beat, tuple(voices), message)


def pitch_class(p: Pitch) -> tuple[int, int]:
    return (p.step, p.alter)


def linked(piece: Piece, a: Fraction, b: Fraction) -> bool:
    """Every voice sounds without a rest from ``a`` to ``b``."""
    for v in piece.voices:
        t = a
        while t < b:
            n = v.at(t)
            if n is None:
                return False
            t = n.end
    return True


@dataclass(frozen=True)
class Beats:
    """The beats the four-part rules judge: ``onsets`` (the analysed beats of a labelled piece,
    the metre's beats otherwise), ``sound[i][v]`` the pitch voice ``v`` sounds at beat ``i``
    (None: it rests), ``links[i]`` True when every voice sounds without a rest from beat ``i``
    to beat ``i + 1``; ``melody`` the voice kept as given (exempt from the range and melodic
    rules of the added voices; None: no voice is exempt); ``ranges`` voice name -> (low, high)."""

    piece: Piece
    names: tuple[str, ...]
    onsets: tuple[Fraction, ...]
    sound: tuple[tuple[Pitch | None, ...], ...]
    links: tuple[bool, ...]
    melody: int | None
    ranges: dict


def beat_grid(piece: Piece, onsets=None, melody: int | None = None,
              ranges: dict | None = None) -> Beats:
    """The :class:`Beats` of ``piece`` at ``onsets`` (default :func:`metre_beats`)."""
    onsets = tuple(metre_beats(piece) if onsets is None else onsets)
    sound = tuple(tuple(n.pitch if n is not None else None
                        for n in (v.at(t) for v in piece.voices)) for t in onsets)
    links = tuple(linked(piece, onsets[i], onsets[i + 1]) for i in range(len(onsets) - 1))
    return Beats(piece, tuple(v.name for v in piece.voices), onsets, sound, links, melody,
                 ranges or RANGES)


def metre_beats(piece: Piece) -> list[Fraction]:
    """Every beat of the metre from 0 to the end: the denominator's note (a quarter in 4/4 and
    3/4, a half in 2/2), a dotted quarter in compound metres (6/8, 9/8, 12/8)."""
    step = metre_beat(piece.meter)
    n, end = 0, piece.length
    out = []
    while step * n < end:
        out.append(step * n)
        n += 1
    return out


def sounds_fully(g: Beats, i: int) -> bool:
    """Every voice sounds at beat ``i``."""
    return all(p is not None for p in g.sound[i])


def motions(g: Beats):
    """``(i, a, b)`` for each beat ``i`` that leads to beat ``i + 1`` with every voice sounding
    throughout: the chords ``a`` and ``b`` of the two beats."""
    for i, linked in enumerate(g.links):
        if linked and sounds_fully(g, i) and sounds_fully(g, i + 1):
            yield i, g.sound[i], g.sound[i + 1]


def satb_melodic_ok(a: Pitch, b: Pitch) -> bool:
    """A melodic step or leap the four-part rules allow (no augmented interval but the
    chromatic semitone, no seventh, nothing beyond an octave, the diminished fifth only)."""
    iv = Interval.between(a, b)
    if iv.generic > 7 or iv.generic == 6:
        return False
    if iv.generic == 0:
        return iv.semitones <= 1
    q = iv.quality
    return q in ("P", "M", "m") or (q == "d" and iv.generic == 4)


# --------------------------------------------------------------------------- voice leading
# (no chord labels needed: these judge any four-part score)


def check_satb_range(g: Beats) -> list[Violation]:
    """satb-range: every note of a voice named in ``g.ranges`` lies in its range (the given
    melody excepted)."""
    out = []
    for vi, v in enumerate(g.piece.voices):
        if vi == g.melody or v.name not in g.ranges:
            continue
        lo, hi = (Pitch.parse(x).midi for x in g.ranges[v.name])
        for n in v.notes:
            if not lo <= n.midi <= hi:
                out.append(piece_violation("satb-range", g.piece, n.onset, (v.name,),
                              f"{v.name} {n.name} is outside {g.ranges[v.name][0]}-"
                              f"{g.ranges[v.name][1]}"))
    return out


def check_satb_crossing(g: Beats) -> list[Violation]:
    """crossing: on every beat where all voices sound, each voice is at or above the next
    lower one."""
    out = []
    names = g.names
    for i, (t, row) in enumerate(zip(g.onsets, g.sound)):
        if not sounds_fully(g, i):
            continue
        for vi in range(len(row) - 1):
            if row[vi].midi < row[vi + 1].midi:
                out.append(piece_violation("crossing", g.piece, t, (names[vi], names[vi + 1]),
                              f"{names[vi]} {row[vi].name} is below {names[vi + 1]} "
                              f"{row[vi + 1].name}"))
    return out


def check_spacing(g: Beats) -> list[Violation]:
    """spacing: with three or more voices, the top two neighbouring pairs (soprano-alto,
    alto-tenor) are at most an octave apart on every beat where all voices sound."""
    out = []
    names = g.names
    V = len(names)
    if V < 3:
        return out
    for i, (t, row) in enumerate(zip(g.onsets, g.sound)):
        if not sounds_fully(g, i):
            continue
        for vi in range(min(2, V - 2)):
            if row[vi].midi - row[vi + 1].midi > 12:
                out.append(piece_violation("spacing", g.piece, t, (names[vi], names[vi + 1]),
                              f"{names[vi]} and {names[vi + 1]} are more than an octave "
                              "apart"))
    return out


def check_beat_overlap(g: Beats) -> list[Violation]:
    """overlap: from beat to beat no voice moves above the previous pitch of the voice above
    it or below that of the voice below it."""
    out = []
    names = g.names
    for i, a, b in motions(g):
        for vi in range(len(names) - 1):
            if b[vi + 1].midi > a[vi].midi or b[vi].midi < a[vi + 1].midi:
                out.append(piece_violation("overlap", g.piece, g.onsets[i + 1], (names[vi], names[vi + 1]),
                              f"{names[vi]} and {names[vi + 1]} overlap"))
    return out


def check_beat_parallels(g: Beats) -> list[Violation]:
    """parallel-perfect: no two voices that both move go from a fifth to a fifth or from an
    octave/unison to an octave/unison (compound intervals reduced) from beat to beat, in
    similar or contrary motion (the message says which)."""
    out = []
    names = g.names
    V = len(names)
    for i, a, b in motions(g):
        for x in range(V):
            for y in range(x + 1, V):
                if a[x].midi == b[x].midi or a[y].midi == b[y].midi:
                    continue
                d1, d2 = (a[x].midi - a[y].midi) % 12, (b[x].midi - b[y].midi) % 12
                if d1 == d2 and d1 in (0, 7):
                    what = "fifths" if d1 == 7 else "octaves or unisons"
                    if (b[x].midi - a[x].midi) * (b[y].midi - a[y].midi) < 0:
                        what += " by contrary motion"
                    out.append(piece_violation("parallel-perfect", g.piece, g.onsets[i + 1],
                                  (names[x], names[y]),
                                  f"parallel {what} between {names[x]} and {names[y]}"))
    return out


def check_beat_direct(g: Beats) -> list[Violation]:
    """satb-direct: the outer voices do not move in similar motion into a fifth or octave
    with a leap in the top voice."""
    out = []
    names = g.names
    if len(names) < 2:
        return out
    for i, a, b in motions(g):
        st, sb = b[0].midi - a[0].midi, b[-1].midi - a[-1].midi
        if st * sb > 0 and abs(st) > 2 and (b[0].midi - b[-1].midi) % 12 in (0, 7):
            out.append(piece_violation("satb-direct", g.piece, g.onsets[i + 1], (names[0], names[-1]),
                          "the outer voices move in similar motion into a perfect interval "
                          "with a leap in the soprano"))
    return out


def check_melodic(g: Beats) -> list[Violation]:
    """satb-melodic: every melodic interval between notes that follow without a rest is
    allowed (:func:`_melodic_ok`), the given melody excepted."""
    out = []
    for vi, v in enumerate(g.piece.voices):
        if vi == g.melody:
            continue
        notes = v.sounding()
        for n1, n2 in zip(notes, notes[1:]):
            if n1.end != n2.onset:
                continue
            if not satb_melodic_ok(n1.pitch, n2.pitch):
                out.append(piece_violation("satb-melodic", g.piece, n2.onset, (v.name,),
                              f"{v.name} moves {n1.name}-{n2.name} "
                              f"({Interval.between(n1.pitch, n2.pitch).name})"))
    return out


def voice_ranges(piece: Piece) -> dict:
    """Voice name -> (low, high) of :data:`RANGES`: by name for voices called Soprano, Alto,
    Tenor, Bass; for four voices otherwise named (an imported MIDI file's tracks), by position
    from the top."""
    if len(piece.voices) == 4 and not any(v.name in RANGES for v in piece.voices):
        return {v.name: RANGES[role] for v, role in zip(piece.voices, RANGES)}
    return RANGES


# The label-free four-part rules, in the order they run.
VOICE_LEADING = (check_satb_range, check_satb_crossing, check_spacing, check_beat_overlap, check_beat_parallels,
                 check_beat_direct, check_melodic)


# The motion rules that :mod:`stretto.check.onsets` judges at every onset instead, unless the
# beat-only view is asked for.
BEAT_MOTION = (check_beat_overlap, check_beat_parallels, check_beat_direct)


def check_voice_leading(piece: Piece, grid: Beats | None = None, *,
                        beats: bool = False) -> list[Violation]:
    """Every label-free four-part rule ``piece`` breaks (:data:`VOICE_LEADING`). Needs no
    Roman-numeral analysis: this is how a four-part tonal score without one (a Bach chorale, an
    imported MIDI/MusicXML file) is checked.

    The vertical and melodic rules are judged on the metre's beats unless ``grid`` says
    otherwise; the motion rules (overlap, parallel and direct perfects) at every onset of each
    pair of voices (:mod:`stretto.check.onsets`), or, with ``beats=True``, from beat to beat of
    the grid (the textbook's reduction to the chords, as the literature counts)."""
    from stretto.check.onsets import check_onset_motion

    g = grid if grid is not None else beat_grid(piece, ranges=voice_ranges(piece))
    out: list[Violation] = []
    for rule_fn in VOICE_LEADING:
        if beats or rule_fn not in BEAT_MOTION:
            out += rule_fn(g)
    if not beats:
        out += check_onset_motion(piece)
    return out


# --------------------------------------------------------------------------- chord labels
# (these need info["harmony"]: the key and a Roman numeral per analysed beat)


__all__ = ["BEAT_MOTION", "RANGES", "VOICE_LEADING", "Beats", "beat_grid", "check_voice_leading",
           "linked", "satb_melodic_ok", "metre_beats", "motions", "pitch_class", "sounds_fully",
           "piece_violation", "voice_ranges"]
