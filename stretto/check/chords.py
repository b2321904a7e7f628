"""The checker's four-part rules that read a Roman-numeral analysis
(``piece.info["harmony"]``, spelled with music21's ``RomanNumeral``): chord tones, complete
chords, doubling, inversion, resolution of sevenths and leading tones, cadences at phrase ends
(:data:`HARMONY`); :func:`check_satb` runs them with the label-free rules of
:mod:`stretto.check.satb` on the analysed beats (the harmonic rhythm). Also here: reading an
analysis back from a MusicXML chorale's bass lyrics (:func:`harmony_from_lyrics`), and the
canon/imitation property (:func:`check_canons`) for pieces whose ``info["form"]`` lists canons
and motif recurrences.

The given melody (the voice ``harmony.melody_voice``) is exempt from the leading-tone rule, since
it is kept as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache

from stretto.check.model import Violation
from stretto.pitch import Pitch
from stretto.score import Piece
from stretto.check.satb import STEPS, Beats, beat_grid, check_voice_leading, motions, \
    pitch_class, sounds_fully, piece_violation


@lru_cache(maxsize=4096)
def _spell(label: str, key: str):
    """(pitch classes as (step, alter) by chord factor, bass class, leading-tone class or
    None, seventh class or None, quality) of a Roman numeral in a key."""
    from music21 import key as m21key, roman

    tonic, mode = key.split()
    k = m21key.Key(tonic.replace("b", "-") if len(tonic) > 1 else tonic, mode)
    rn = roman.RomanNumeral(label, k)

    def cls(p):
        return (STEPS.index(p.step), int(p.alter))

    root = rn.root()
    factors = {}
    for p in rn.pitches:
        generic = (STEPS.index(p.step) - STEPS.index(root.step)) % 7
        factors[generic] = cls(p)
    alone = rn.romanNumeralAlone
    lt = None
    if alone == "V":
        lt = factors.get(2)
    elif alone.lower() == "vii" and rn.quality in ("diminished", "half-diminished"):
        lt = factors.get(0)
    return factors, cls(rn.bass()), lt, factors.get(6), rn.quality


_KEY_LYRIC = re.compile(r"^\s*([A-Ga-g])([#b-]?)\s*:\s*(\S+)\s*$")


def harmony_from_lyrics(piece: Piece) -> dict | None:
    """Rebuild ``info["harmony"]`` from a MusicXML chorale: the bass's lyrics are the Roman
    numerals, the first prefixed by the key (``f#: i``, lower case for minor). None when the
    bass carries no such analysis."""
    if len(piece.voices) < 2:
        return None
    bass = [n for n in piece.voices[-1].notes if n.lyric]
    if not bass:
        return None
    match = _KEY_LYRIC.match(bass[0].lyric)
    if not match:
        return None
    letter, acc, first = match.groups()
    tonic = letter.upper() + {"-": "b"}.get(acc, acc)
    key = f"{tonic} {'minor' if letter.islower() else 'major'}"
    analysis, degree = [], ""
    for k, n in enumerate(bass):
        chord = first if k == 0 else n.lyric.strip()
        change = _KEY_LYRIC.match(n.lyric) if k else None
        if change:  # a modulation: the figure in the new key, written figure/degree
            letter, acc, chord = change.groups()
            degree = _degree(key, letter + acc)
        analysis.append({"onset": str(n.onset), "chord": chord + degree})
    melody = next((i for i, v in enumerate(piece.voices) if v.name.lower().startswith(
        "soprano")), 0)
    return {"key": key, "analysis": analysis, "melody_voice": melody}


@lru_cache(maxsize=64)
def _degree(home: str, local: str) -> str:
    """"" for the home key, else "/x": the Roman numeral of the local key's tonic triad in
    the home key (``local`` as music21 names keys: ``D``, ``f#``)."""
    from music21 import chord, key as m21key, roman

    tonic, mode = home.split()
    hk = m21key.Key(tonic.replace("b", "-") if len(tonic) > 1 else tonic, mode)
    lk = m21key.Key(local.replace("b", "-") if len(local) > 1 else local)
    if lk.tonic.name == hk.tonic.name and lk.mode == hk.mode:
        return ""
    triad = chord.Chord([lk.pitchFromDegree(d) for d in (1, 3, 5)])
    return "/" + roman.romanNumeralFromChord(triad, hk).romanNumeral


# --------------------------------------------------------------------------- the beat grid


@dataclass(frozen=True)
class Labels:
    """The analysis of a labelled piece: ``key`` ("C major"), ``chords`` (a Roman numeral per
    beat of the grid), the grid indices of planned cadences, and the phrase ends."""

    key: str
    chords: tuple[str, ...]
    cadence_slots: frozenset[int]
    phrase_ends: frozenset[Fraction]


def check_chord_tones(g: Beats, h: Labels) -> list[Violation]:
    """chord-tones: every voice sounds on an analysed beat, each pitch is a tone of the beat's
    chord, and the bass the one its inversion names."""
    out = []
    names = g.names
    for i, (t, row, label) in enumerate(zip(g.onsets, g.sound, h.chords)):
        if not sounds_fully(g, i):
            out.append(piece_violation("chord-tones", g.piece, t, names,
                          f"a voice rests on the analysed beat {label}"))
            continue
        factors, bass, *_ = _spell(label, h.key)
        tones = set(factors.values())
        for vi, p in enumerate(row):
            if pitch_class(p) not in tones:
                out.append(piece_violation("chord-tones", g.piece, t, (names[vi],),
                              f"{names[vi]} {p.name} is not in {label}"))
        if pitch_class(row[-1]) != bass:
            out.append(piece_violation("chord-tones", g.piece, t, (names[-1],),
                          f"the bass {row[-1].name} does not give the inversion of {label}"))
    return out


def check_chord_complete(g: Beats, h: Labels) -> list[Violation]:
    """chord-complete: root and third always (three voices or more); with four voices the
    seventh of a seventh chord and the fifth of a triad (but on the last beat)."""
    out = []
    names = g.names
    V = len(names)
    last = len(g.onsets) - 1
    for i, (t, row, label) in enumerate(zip(g.onsets, g.sound, h.chords)):
        if not sounds_fully(g, i):
            continue
        factors, _, _, seventh, _ = _spell(label, h.key)
        present = {pitch_class(p) for p in row}
        if V >= 3 and (factors[0] not in present or factors[2] not in present):
            out.append(piece_violation("chord-complete", g.piece, t, names, f"{label} lacks its root or third"))
        if V >= 4 and seventh is not None and seventh not in present:
            out.append(piece_violation("chord-complete", g.piece, t, names, f"{label} lacks its seventh"))
        if V >= 4 and seventh is None and i != last and factors.get(4) not in present:
            out.append(piece_violation("chord-complete", g.piece, t, names, f"{label} lacks its fifth"))
    return out


def check_doubling(g: Beats, h: Labels) -> list[Violation]:
    """doubling: neither the leading tone nor a chordal seventh is doubled."""
    out = []
    for i, (t, row, label) in enumerate(zip(g.onsets, g.sound, h.chords)):
        if not sounds_fully(g, i):
            continue
        _, _, lt, seventh, _ = _spell(label, h.key)
        count = [pitch_class(p) for p in row]
        if lt is not None and count.count(lt) > 1:
            out.append(piece_violation("doubling", g.piece, t, g.names,
                          f"the leading tone of {label} is doubled"))
        if seventh is not None and count.count(seventh) > 1:
            out.append(piece_violation("doubling", g.piece, t, g.names,
                          f"the seventh of {label} is doubled"))
    return out


def check_inversion(g: Beats, h: Labels) -> list[Violation]:
    """inversion: triads in root position or first inversion (diminished triads in first),
    planned cadence chords and the last chord in root position."""
    out = []
    names = g.names
    last = len(g.onsets) - 1
    for i, (t, label) in enumerate(zip(g.onsets, h.chords)):
        if not sounds_fully(g, i):
            continue
        factors, bass, _, seventh, quality = _spell(label, h.key)
        inv = bass == factors[0] and "root" or bass == factors.get(2) and "first" or "other"
        if seventh is None and (inv == "other" or (quality == "diminished" and inv != "first")):
            out.append(piece_violation("inversion", g.piece, t, (names[-1],),
                          f"{label}: triads stand in root position or first inversion "
                          "(diminished triads in first inversion)"))
        if (i in h.cadence_slots or i == last) and inv != "root":
            out.append(piece_violation("inversion", g.piece, t, (names[-1],),
                          f"the cadence chord {label} is not in root position"))
    return out


def check_seventh_resolution(g: Beats, h: Labels) -> list[Violation]:
    """seventh-resolution: a chordal seventh falls by step to the next beat, or is held while
    the chord stays."""
    out = []
    for i, a, b in motions(g):
        fa, _, _, seva, _ = _spell(h.chords[i], h.key)
        if seva is None:
            continue
        same = set(fa.values()) == set(_spell(h.chords[i + 1], h.key)[0].values())
        for vi, (p, q) in enumerate(zip(a, b)):
            dd, ds = q.diatonic - p.diatonic, q.midi - p.midi
            if pitch_class(p) == seva and not ((dd == -1 and -2 <= ds <= -1) or (ds == 0 and same)):
                out.append(piece_violation("seventh-resolution", g.piece, g.onsets[i + 1], (g.names[vi],),
                              f"the seventh {p.name} of {h.chords[i]} does not fall by step"))
    return out


def check_leading_tone(g: Beats, h: Labels) -> list[Violation]:
    """leading-tone: in an added voice, the leading tone of a dominant rises by semitone to
    its goal when the goal chord follows (an inner voice may fall a third to the goal's
    fifth)."""
    out = []
    V = len(g.names)
    for i, a, b in motions(g):
        fa, _, lta, _, _ = _spell(h.chords[i], h.key)
        if lta is None:
            continue
        fb = set(_spell(h.chords[i + 1], h.key)[0].values())
        if set(fa.values()) == fb or lta in fb:
            continue
        for vi, (p, q) in enumerate(zip(a, b)):
            if pitch_class(p) != lta or vi == g.melody:
                continue
            target = _step_up(p)
            if pitch_class(target) not in fb:
                continue
            dd, ds = q.diatonic - p.diatonic, q.midi - p.midi
            fall = dd == -2 and 0 < vi < V - 1
            if not (dd == 1 and ds == 1) and not fall:
                out.append(piece_violation("leading-tone", g.piece, g.onsets[i + 1], (g.names[vi],),
                              f"the leading tone {p.name} does not rise to {target.name}"))
    return out


def check_cadence_plan(g: Beats, h: Labels) -> list[Violation]:
    """cadence-plan: the two chords that close at each phrase end form a cadence
    (:func:`_is_cadence`)."""
    out = []
    onsets = g.onsets
    for f in sorted(h.phrase_ends):
        i = next((k for k, t in enumerate(onsets) if t == f), None)
        if i is None:
            i = max((k for k, t in enumerate(onsets) if t <= f), default=None)
        if i is None or i == 0:
            continue
        if not _is_cadence(h.chords[i - 1], h.chords[i], h.key):
            out.append(piece_violation("cadence-plan", g.piece, onsets[i], g.names,
                          f"no cadence at the fermata: {h.chords[i - 1]} - {h.chords[i]}"))
    return out


_PC = (0, 2, 4, 5, 7, 9, 11)
_MIXTURE = ("iv", "iio", "ii/o", "bVI")  # borrowed in major: they hold the lowered sixth


def _tendency_tones(label: str, key: str) -> list[tuple[tuple[int, int], str]]:
    """(pitch class, motion) of the tendency tones of a chromatic chord (the rule
    tendency-tone): an augmented sixth's b6 ``down`` and #4 ``up`` a semitone, the
    Neapolitan's b2 ``b2`` (down by step or a diminished third), a borrowed b6 in major
    ``fall`` (down by step, or held)."""
    if "/" in label.replace("ii/o", ""):
        return []
    factors, bass, *_ = _spell(label, key)
    core = label.rstrip("0123456789")
    if core.startswith(("It", "Fr", "Ger")):
        pcs = {f: (_PC[f[0]] + f[1]) % 12 for f in factors.values()}
        sharp4 = next(f for f, pc in pcs.items() if pc == (pcs[bass] + 10) % 12)
        return [(bass, "down"), (sharp4, "up")]
    if core.startswith("N"):
        return [(factors[0], "b2")]
    tonic, mode = key.split()
    if mode == "major" and core in _MIXTURE:
        sixth = (STEPS.index(tonic[0].upper()) + 5) % 7
        return [(f, "fall") for f in factors.values() if f[0] == sixth]
    return []


def _tendency_ok(motion: str, dd: int, ds: int) -> bool:
    step_down = dd == -1 and -2 <= ds <= -1
    return {"up": dd == 1 and ds == 1, "down": dd == -1 and ds == -1,
            "fall": step_down or ds == 0,
            "b2": step_down or (dd == -2 and ds == -2)}[motion]


def check_tendency_tones(g: Beats, h: Labels) -> list[Violation]:
    """tendency-tone: into a different chord, an added voice on a chromatic chord's tendency
    tone moves as :func:`_tendency_tones` says (the given melody is kept as written)."""
    out = []
    for i, a, b in motions(g):
        tones = _tendency_tones(h.chords[i], h.key)
        if not tones or set(_spell(h.chords[i], h.key)[0].values()) == \
                set(_spell(h.chords[i + 1], h.key)[0].values()):
            continue
        for vi, (p, q) in enumerate(zip(a, b)):
            for cls, motion in tones:
                if vi != g.melody and pitch_class(p) == cls and not _tendency_ok(
                        motion, q.diatonic - p.diatonic, q.midi - p.midi):
                    out.append(piece_violation("tendency-tone", g.piece, g.onsets[i + 1],
                                         (g.names[vi],), f"{p.name} of {h.chords[i]} moves "
                                         f"to {q.name}, not as its tendency ({motion})"))
    return out


def _neapolitan_thirds(g: Beats, h: Labels) -> set[tuple]:
    """(bar, beat, voices) of each diminished third a Neapolitan's b2 falls to the leading
    tone (N6 - V): the one diminished melodic interval the four-part rules allow."""
    out = set()
    for i, a, b in motions(g):
        if not h.chords[i].startswith("N"):
            continue
        root = _spell(h.chords[i], h.key)[0][0]
        for vi, (p, q) in enumerate(zip(a, b)):
            if pitch_class(p) == root and (q.diatonic - p.diatonic, q.midi - p.midi) == (-2, -2):
                v = piece_violation("satb-melodic", g.piece, g.onsets[i + 1], (g.names[vi],), "")
                out.add((v.bar, v.beat, v.voices))
    return out


# The four-part rules that read the Roman-numeral analysis, in the order they run.
HARMONY = (check_chord_tones, check_chord_complete, check_doubling, check_inversion,
           check_seventh_resolution, check_leading_tone, check_tendency_tones,
           check_cadence_plan)


def check_satb(piece: Piece, *, beats: bool = False) -> list[Violation]:
    """Every tonal four-part rule ``piece`` breaks: the voice-leading rules
    (:func:`check_voice_leading`, motion at every onset unless ``beats``) and the rules of
    :data:`HARMONY`, on the analysed beats of ``info["harmony"]`` (see the module text). []
    without an analysis."""
    h = piece.info.get("harmony") or {}
    analysis = h.get("analysis") or []
    key = h.get("key")
    if not analysis or not key:
        return []
    onsets = [Fraction(a["onset"]) for a in analysis]
    # a composition records its voices' ranges
    g = beat_grid(piece, onsets, h.get("melody_voice"), h.get("ranges"))
    labels = Labels(key, tuple(a["chord"] for a in analysis),
                    frozenset(c["slot"] for c in h.get("cadences", [])),
                    frozenset(Fraction(f) for f in h.get("fermatas", []) + h.get("phrase_ends", [])))
    g = _chord_tones_of_melody(g, labels)
    out = check_voice_leading(piece, g, beats=beats)
    allowed = _neapolitan_thirds(g, labels)
    out = [v for v in out if v.rule != "satb-melodic" or (v.bar, v.beat, v.voices) not in allowed]
    for rule_fn in HARMONY:
        out += rule_fn(g, labels)
    return out


def _chord_tones_of_melody(g: Beats, h: Labels) -> Beats:
    """The grid with the given melody's appoggiaturas read as their resolutions: where the
    melody's note starting on an analysed beat is outside the chord and moves by step, before
    the next beat, to a note of the chord, that note is the melody's chord tone."""
    if g.melody is None:
        return g
    notes = sorted(g.piece.voices[g.melody].notes, key=lambda n: n.onset)
    sound = [list(row) for row in g.sound]
    for i, (t, label) in enumerate(zip(g.onsets, h.chords)):
        n = next((n for n in notes if n.onset == t), None)
        nxt = g.onsets[i + 1] if i + 1 < len(g.onsets) else g.piece.length
        tones = set(_spell(label, h.key)[0].values())
        if n is None or pitch_class(n.pitch) in tones or n.end >= nxt:
            continue
        m = next((m for m in notes if m.onset == n.end), None)
        if m is not None and abs(m.pitch.diatonic - n.pitch.diatonic) == 1 and \
                pitch_class(m.pitch) in tones:
            sound[i][g.melody] = m.pitch
    return replace(g, sound=tuple(tuple(row) for row in sound))


def _step_up(p: Pitch) -> Pitch:
    step = (p.step + 1) % 7
    octave = p.octave + (1 if step == 0 else 0)
    base = Pitch(octave, step, 0)
    return Pitch(octave, step, p.midi + 1 - base.midi)


def _is_cadence(before: str, last: str, key: str) -> bool:
    """authentic (V -> I, V/x -> x), half (-> V), plagal (IV -> I), deceptive (V -> vi); in a
    related key when both chords are written in it (``V7/V -> I/V``)."""
    head_b, _, deg_b = before.rpartition("/")
    head_l, _, deg_l = last.rpartition("/")
    if deg_l[:1] in "IViv" and deg_l and deg_b == deg_l and head_b and head_l:
        if _is_cadence(head_b, head_l, key):
            return True
    def core(label: str) -> tuple[str, str]:
        main, _, sec = label.partition("/")
        if label.startswith("ii/o"):
            main, sec = label, ""
        alone = main.rstrip("0123456789")
        return alone, sec

    b, bsec = core(before)
    l, lsec = core(last)
    if lsec:  # only a half cadence in a related key ends on a secondary chord (V/x)
        return l == "V" and last == f"V/{lsec}" and before != last
    if b in ("V",) and not bsec and l in ("I", "i", "vi", "VI"):
        return True
    if b in ("V",) and bsec and l.lower() == bsec.lower():
        return True
    if b in ("viio",) and not bsec and l in ("I", "i"):
        return True
    if l == "V" and last == "V":
        return True
    if b in ("IV", "iv") and l in ("I", "i"):
        return True
    return False


def check_canons(piece: Piece) -> list[Violation]:
    """Canons and recurrences listed in ``info["form"]``: the follower's notes equal the
    leader's, transposed by the interval (semitones and letter steps) and delayed."""
    form = piece.info.get("form") or {}
    out: list[Violation] = []
    for c in form.get("canons", []) + form.get("recurrences", []):
        lead, foll = piece.voice(c["leader"]), piece.voice(c["follower"])
        delay = Fraction(c["delay"])
        start, end = Fraction(c.get("start", "0")), c.get("end")
        end = Fraction(end) if end is not None else None
        steps, semis = c["steps"], c.get("semitones")
        rule = "canon" if c in form.get("canons", []) else "recurrence"
        for n in lead.sounding():
            if n.onset < start or (end is not None and n.onset >= end):
                continue
            t = n.onset + delay
            if t >= piece.length:
                continue
            m = foll.at(t)
            if m is None or m.pitch.diatonic - n.pitch.diatonic != steps or (
                    semis is not None and m.midi - n.midi != semis) or (
                    semis is None and not piece.mode.is_diatonic(m.pitch)
                    and m.pitch.alter != n.pitch.alter):
                out.append(piece_violation(rule, piece, t, (lead.name, foll.name),
                              f"{foll.name} does not answer {lead.name}'s {n.name} "
                              f"({'rest' if m is None else m.name})"))
            elif m.onset != t:
                out.append(piece_violation(rule, piece, t, (lead.name, foll.name),
                              f"{foll.name} does not start a note where {lead.name}'s "
                              f"{n.name} returns"))
    return out


__all__ = ["HARMONY", "Labels", "check_canons", "check_satb", "harmony_from_lyrics"]
