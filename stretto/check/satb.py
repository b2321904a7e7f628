"""The checker's tonal four-part rules: a second opinion on chorales and compositions.

Separate code from the solver's model (:mod:`stretto.solver.chorale`): it reads a finished
piece and the Roman-numeral analysis in ``piece.info["harmony"]`` and spells each chord with
music21's ``RomanNumeral`` (the solver builds its chord tables its own way). Rules are judged
on the analysed beats (the harmonic rhythm): the pitch each voice sounds at a beat's onset,
and the motion from one beat to the next while no voice rests. The given melody (the voice
``harmony.melody_voice``) is exempt from the leading-tone rule and from the range of the
added voices, since it is kept as written.

Also here: the canon/imitation property (:func:`check_canons`), for pieces whose
``info["form"]["canons"]`` lists canons, and motif recurrences.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from stretto.check.model import Violation
from stretto.pitch import Interval, Pitch
from stretto.rulebook import rule as rulebook_rule
from stretto.score import Piece

RANGES = {"Soprano": ("C4", "G5"), "Alto": ("G3", "D5"), "Tenor": ("C3", "A4"),
          "Bass": ("D2", "D4")}
STEPS = "CDEFGAB"


def _v(rule: str, piece: Piece, time: Fraction, voices, message: str) -> Violation:
    bar, beat = piece.bar_beat(time)
    return Violation(rule, rulebook_rule(rule).kind, bar, beat, tuple(voices), message)


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


def _pc(p: Pitch) -> tuple[int, int]:
    return (p.step, p.alter)


def _linked(piece: Piece, a: Fraction, b: Fraction) -> bool:
    """Every voice sounds without a rest from ``a`` to ``b``."""
    for v in piece.voices:
        t = a
        notes = sorted(v.notes, key=lambda n: n.onset)
        while t < b:
            n = next((n for n in notes if n.onset <= t < n.end), None)
            if n is None:
                return False
            t = n.end
    return True


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
    analysis = [{"onset": str(n.onset), "chord": first if k == 0 else n.lyric.strip()}
                for k, n in enumerate(bass)]
    melody = next((i for i, v in enumerate(piece.voices) if v.name.lower().startswith(
        "soprano")), 0)
    return {"key": key, "analysis": analysis, "melody_voice": melody}


def check_satb(piece: Piece) -> list[Violation]:
    """Every tonal four-part rule ``piece`` breaks (see the module text)."""
    h = piece.info.get("harmony") or {}
    analysis = h.get("analysis") or []
    key = h.get("key")
    if not analysis or not key:
        return []
    melody = h.get("melody_voice")
    names = [v.name for v in piece.voices]
    V = len(names)
    onsets = [Fraction(a["onset"]) for a in analysis]
    labels = [a["chord"] for a in analysis]
    fermatas = {Fraction(f) for f in h.get("fermatas", []) + h.get("phrase_ends", [])}
    cadence_slots = {c["slot"] for c in h.get("cadences", [])}
    out: list[Violation] = []
    sound = []
    for t in onsets:
        row = []
        for v in piece.voices:
            n = v.at(t)
            row.append(n.pitch if n is not None else None)
        sound.append(row)
    links = [_linked(piece, onsets[i], onsets[i + 1]) for i in range(len(onsets) - 1)]
    # ---- ranges of the added voices (every note)
    ranges = h.get("ranges") or RANGES  # a composition records its voices' ranges
    for vi, v in enumerate(piece.voices):
        if vi == melody or v.name not in ranges:
            continue
        lo, hi = (Pitch.parse(x).midi for x in ranges[v.name])
        for n in v.notes:
            if not lo <= n.midi <= hi:
                out.append(_v("satb-range", piece, n.onset, (v.name,),
                              f"{v.name} {n.name} is outside {ranges[v.name][0]}-"
                              f"{ranges[v.name][1]}"))
    # ---- vertical rules per beat
    last = len(onsets) - 1
    for i, (t, row, label) in enumerate(zip(onsets, sound, labels)):
        if any(p is None for p in row):
            out.append(_v("chord-tones", piece, t, names,
                          f"a voice rests on the analysed beat {label}"))
            continue
        factors, bass, lt, seventh, quality = _spell(label, key)
        tones = set(factors.values())
        for vi, p in enumerate(row):
            if _pc(p) not in tones:
                out.append(_v("chord-tones", piece, t, (names[vi],),
                              f"{names[vi]} {p.name} is not in {label}"))
        if _pc(row[-1]) != bass:
            out.append(_v("chord-tones", piece, t, (names[-1],),
                          f"the bass {row[-1].name} does not give the inversion of {label}"))
        present = {_pc(p) for p in row}
        if V >= 3 and (factors[0] not in present or factors[2] not in present):
            out.append(_v("chord-complete", piece, t, names, f"{label} lacks its root or third"))
        if V >= 4 and seventh is not None and seventh not in present:
            out.append(_v("chord-complete", piece, t, names, f"{label} lacks its seventh"))
        if V >= 4 and seventh is None and i != last and factors.get(4) not in present:
            out.append(_v("chord-complete", piece, t, names, f"{label} lacks its fifth"))
        count = [_pc(p) for p in row]
        if lt is not None and count.count(lt) > 1:
            out.append(_v("doubling", piece, t, names, f"the leading tone of {label} is doubled"))
        if seventh is not None and count.count(seventh) > 1:
            out.append(_v("doubling", piece, t, names, f"the seventh of {label} is doubled"))
        inv = bass == factors[0] and "root" or bass == factors.get(2) and "first" or "other"
        if seventh is None and (inv == "other" or (quality == "diminished" and inv != "first")):
            out.append(_v("inversion", piece, t, (names[-1],),
                          f"{label}: triads stand in root position or first inversion "
                          "(diminished triads in first inversion)"))
        if (i in cadence_slots or i == last) and inv != "root":
            out.append(_v("inversion", piece, t, (names[-1],),
                          f"the cadence chord {label} is not in root position"))
        for vi in range(V - 1):
            if row[vi].midi < row[vi + 1].midi:
                out.append(_v("crossing", piece, t, (names[vi], names[vi + 1]),
                              f"{names[vi]} {row[vi].name} is below {names[vi + 1]} "
                              f"{row[vi + 1].name}"))
        if V >= 3:
            for vi in range(min(2, V - 2)):
                if row[vi].midi - row[vi + 1].midi > 12:
                    out.append(_v("spacing", piece, t, (names[vi], names[vi + 1]),
                                  f"{names[vi]} and {names[vi + 1]} are more than an octave "
                                  "apart"))
    # ---- motion between linked beats
    for i in range(len(onsets) - 1):
        if not links[i] or any(p is None for p in sound[i] + sound[i + 1]):
            continue
        t, a, b = onsets[i + 1], sound[i], sound[i + 1]
        for vi in range(V - 1):
            if b[vi + 1].midi > a[vi].midi or b[vi].midi < a[vi + 1].midi:
                out.append(_v("overlap", piece, t, (names[vi], names[vi + 1]),
                              f"{names[vi]} and {names[vi + 1]} overlap"))
        for x in range(V):
            for y in range(x + 1, V):
                if a[x].midi == b[x].midi or a[y].midi == b[y].midi:
                    continue
                d1, d2 = (a[x].midi - a[y].midi) % 12, (b[x].midi - b[y].midi) % 12
                if d1 == d2 and d1 in (0, 7):
                    what = "fifths" if d1 == 7 else "octaves or unisons"
                    out.append(_v("parallel-perfect", piece, t, (names[x], names[y]),
                                  f"parallel {what} between {names[x]} and {names[y]}"))
        st, sb = b[0].midi - a[0].midi, b[-1].midi - a[-1].midi
        if V >= 2 and st * sb > 0 and abs(st) > 2 and (b[0].midi - b[-1].midi) % 12 in (0, 7):
            out.append(_v("satb-direct", piece, t, (names[0], names[-1]),
                          "the outer voices move in similar motion into a perfect interval "
                          "with a leap in the soprano"))
        fa, _, lta, seva, _ = _spell(labels[i], key)
        fb = set(_spell(labels[i + 1], key)[0].values())
        same = set(fa.values()) == fb
        for vi in range(V):
            p, q = a[vi], b[vi]
            dd, ds = q.diatonic - p.diatonic, q.midi - p.midi
            if seva is not None and _pc(p) == seva:
                if not ((dd == -1 and -2 <= ds <= -1) or (ds == 0 and same)):
                    out.append(_v("seventh-resolution", piece, t, (names[vi],),
                                  f"the seventh {p.name} of {labels[i]} does not fall by step"))
            if lta is not None and _pc(p) == lta and vi != melody and not same:
                target = _step_up(p)
                if _pc(target) in fb and lta not in fb:
                    fall = dd == -2 and 0 < vi < V - 1
                    if not (dd == 1 and ds == 1) and not fall:
                        out.append(_v("leading-tone", piece, t, (names[vi],),
                                      f"the leading tone {p.name} does not rise to "
                                      f"{target.name}"))
    # ---- melodic intervals of the added voices (every note)
    for vi, v in enumerate(piece.voices):
        if vi == melody:
            continue
        notes = v.sounding()
        for n1, n2 in zip(notes, notes[1:]):
            if n1.end != n2.onset:
                continue
            if not _melodic_ok(n1.pitch, n2.pitch):
                out.append(_v("satb-melodic", piece, n2.onset, (v.name,),
                              f"{v.name} moves {n1.name}-{n2.name} "
                              f"({Interval.between(n1.pitch, n2.pitch).name})"))
    # ---- a cadence at every phrase end
    for f in sorted(fermatas):
        i = next((k for k, t in enumerate(onsets) if t == f), None)
        if i is None:
            i = max((k for k, t in enumerate(onsets) if t <= f), default=None)
        if i is None or i == 0:
            continue
        if not _is_cadence(labels[i - 1], labels[i], key):
            out.append(_v("cadence-plan", piece, onsets[i], names,
                          f"no cadence at the fermata: {labels[i - 1]} - {labels[i]}"))
    return out


def _step_up(p: Pitch) -> Pitch:
    step = (p.step + 1) % 7
    octave = p.octave + (1 if step == 0 else 0)
    base = Pitch(octave, step, 0)
    return Pitch(octave, step, p.midi + 1 - base.midi)


def _melodic_ok(a: Pitch, b: Pitch) -> bool:
    iv = Interval.between(a, b)
    if iv.generic > 7 or iv.generic == 6:
        return False
    if iv.generic == 0:
        return iv.semitones <= 1
    q = iv.quality
    return q in ("P", "M", "m") or (q == "d" and iv.generic == 4)


def _is_cadence(before: str, last: str, key: str) -> bool:
    """authentic (V -> I, V/x -> x), half (-> V), plagal (IV -> I), deceptive (V -> vi)."""
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
                out.append(_v(rule, piece, t, (lead.name, foll.name),
                              f"{foll.name} does not answer {lead.name}'s {n.name} "
                              f"({'rest' if m is None else m.name})"))
            elif m.onset != t:
                out.append(_v(rule, piece, t, (lead.name, foll.name),
                              f"{foll.name} does not start a note where {lead.name}'s "
                              f"{n.name} returns"))
    return out


__all__ = ["check_canons", "check_satb", "harmony_from_lyrics"]
