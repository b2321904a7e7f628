"""The frame of an exercise: the rhythm each species allows (``rhythm``, soft
``broken-syncopation``), how it begins (``first-interval``) and how it ends (``cadence``).
"""

from __future__ import annotations

from fractions import Fraction

from stretto.check.model import CheckLine, Texture, Violation, direction, is_step, perfect_class, \
    violation
from stretto.pitch import Interval


# --------------------------------------------------------------------------- rhythm

def _body_fault(tx: Texture, line: CheckLine, i: int, n_voices: int) -> str | None:
    """What is wrong with the rhythm of note ``i`` (not the last note) of ``line``, or None."""
    n = line.notes[i]
    bl, h, q = tx.bar_length, tx.half, tx.quarter
    pos, d = tx.pos(n.onset), n.duration
    sp = line.species
    if sp == 1:
        if d == bl and pos == 0:
            return None
        # Fux's four- and three-part exercises let a whole-note filler voice split a bar into
        # halves or hold a note over the barline; two-part first species may not.
        if n_voices >= 3 and pos % h == 0 and d % h == 0:
            return None
        return "first species moves in whole notes, one to a bar"
    penultimate = tx.end - 2 * bl
    if sp in (2, 3) and n.onset == penultimate and d == bl:
        return None  # a whole note before the final (Fux 134, 173, 181 in three/four parts)
    if sp in (2, 3) and pos == h and d == bl and n.onset == penultimate - h:
        return None  # the cadential syncopation into the penultimate bar (Fux 121-128)
    if sp == 2:
        return None if d == h and pos % h == 0 else "second species moves in half notes"
    if sp == 3:
        return None if d == q and pos % q == 0 else "third species moves in quarter notes"
    if sp == 4:
        if pos == h and d == bl:
            return None  # the syncopation: a half tied over the barline
        if pos % h == 0 and d == h:
            return None  # a broken syncopation (soft rule) or the note before the final
        return "fourth species moves in half notes tied over the barline"
    # Fifth species: quarters, halves (also tied over the barline), eighths in pairs.
    if d == Fraction(q, 2):
        first = pos % q == 0
        if first and pos % h != 0:
            nxt = line.next(i)
            if nxt is not None and nxt.duration == d:
                after = line.next(i + 1)
                if is_step(n.pitch, nxt.pitch) and (after is None
                                                    or is_step(nxt.pitch, after.pitch)):
                    return None
                return "eighth notes move by step"
        elif not first:
            return None  # second eighth of a pair checked with the first
        return "eighth notes come in pairs on the weak quarters"
    if pos % q != 0:
        return "fifth species notes begin on a quarter"
    if pos % h != 0 and d > q and not tx.crosses_barline(n):
        return "a note longer than a quarter does not begin on a weak quarter"
    if d > bl + h:
        return "fifth species holds no note longer than a tied half and a whole"
    return None


def check_rhythm(tx: Texture) -> list[Violation]:
    """``rhythm``: each counterpoint voice moves in its species' note values, starts where the
    species may, has no rests inside (fourth species may rest for a half on a downbeat to start
    its syncopations again), and ends with the others on the last downbeat. Second and third
    species may tie into the penultimate bar for a cadential suspension, or hold a whole note
    there (Fux does in three and four parts; a common two-part licence too)."""
    out: list[Violation] = []
    bl = tx.bar_length
    starts = {1: {0}, 2: {0, tx.half}, 3: {0, tx.quarter, tx.half}, 4: {tx.half},
              5: {0, tx.half}}
    for line in tx.lines:
        if line.is_cantus or not line.notes or line.species is None:
            continue
        first, last = line.notes[0], line.notes[-1]
        if tx.pos(first.onset) not in starts[line.species] or first.onset >= 2 * bl:
            out.append(violation(tx, "rhythm", first.onset, (line.index,),
                                 f"{line.name} (species {line.species}) may not begin in "
                                 f"{tx.where(first.onset)}"))
        last_downbeat = -(-tx.end // bl) * bl - bl
        if last.onset != last_downbeat:
            out.append(violation(tx, "rhythm", last.onset, (line.index,),
                                 f"{line.name} does not end with the others on the last "
                                 f"downbeat"))
        for i, n in enumerate(line.notes[:-1]):
            nxt = line.notes[i + 1]
            if line.species == 4 and nxt.onset == n.end + tx.half and tx.pos(n.end) == 0:
                pass  # a half rest on the downbeat restarts the syncopations (Fux 151)
            elif nxt.onset > n.end:
                out.append(violation(tx, "rhythm", n.end, (line.index,),
                                     f"{line.name} rests in {tx.where(n.end)}; only the "
                                     f"beginning may rest"))
            fault = _body_fault(tx, line, i, tx.n_voices)
            if fault:
                out.append(violation(tx, "rhythm", n.onset, (line.index,),
                                     f"{line.name} in {tx.where(n.onset)}: {fault}"))
    return out


def check_syncopation(tx: Texture) -> list[Violation]:
    """Soft ``broken-syncopation``: in fourth species each weak-half note is tied over the
    barline, except the note before the final."""
    out: list[Violation] = []
    for line in tx.lines:
        if line.species != 4 or len(line.notes) < 2:
            continue
        last_bar = line.notes[-1].onset - tx.bar_length
        for n in line.notes[:-1]:
            if tx.pos(n.onset) == tx.half and not tx.crosses_barline(n) and n.onset < last_bar:
                out.append(violation(tx, "broken-syncopation", n.onset, (line.index,),
                                     f"{line.name} does not tie {n.pitch.name} over the barline "
                                     f"in {tx.where(n.onset)}"))
    return out


# --------------------------------------------------------------------------- beginning


def check_first_interval(tx: Texture) -> list[Violation]:
    """``first-interval``. Two voices: the counterpoint begins on a perfect consonance with the
    cantus, and below the cantus only on the unison or octave (a fifth below would put the
    piece in another mode). Three or more voices: the opening sonority stands on the mode's final
    in the bass, every voice a unison, octave, fifth or third above it (Fux lets the first chord
    of three and four parts be a full triad); voices that enter later only need consonance."""
    out: list[Violation] = []
    c = tx.cantus
    if c is None or not tx.slices:
        return out
    if tx.n_voices >= 3:
        s = tx.slices[0]
        low = tx.lowest(s)
        if low is None:
            return out
        bass = tx.pitch(s, low)
        if tx.piece.mode.degree(bass) != 1:
            out.append(violation(tx, "first-interval", s.time, (low,),
                                 f"the piece begins with {bass.name} in the bass, not the final "
                                 f"{tx.piece.mode.final}"))
        for v in tx.sounding(s):
            if v == low or tx.lines[v].is_cantus:
                continue
            iv = Interval.between(bass, tx.pitch(s, v))
            if perfect_class(iv) is None and not (iv.generic % 7 == 2 and iv.quality in "Mm"):
                out.append(violation(tx, "first-interval", s.time, (v, low),
                                     f"{tx.lines[v].name} begins on {iv.name} above the bass; "
                                     f"the first chord holds only octaves, fifths and thirds"))
        return out
    for line in tx.lines:
        if line.is_cantus or not line.notes:
            continue
        n0 = line.notes[0]
        hit = tx.note_at(c, n0.onset)
        if hit is None:
            continue
        cp, cf = n0.pitch, hit[1].pitch
        iv = Interval.between(cp, cf)
        cls = perfect_class(iv)
        below = (cp.midi, cp.diatonic) < (cf.midi, cf.diatonic)
        if cls is None or (below and cls != 0):
            why = "a unison or octave" if below else "a perfect consonance"
            out.append(violation(tx, "first-interval", n0.onset, (line.index, c),
                                 f"{line.name} begins on {iv.name} "
                                 f"{'below' if below else 'above'} the cantus; it must begin on "
                                 f"{why}"))
    return out


# --------------------------------------------------------------------------- ending


def check_cadence(tx: Texture) -> list[Violation]:
    """``cadence``: the last interval is an octave or unison (in three or more voices the other
    voices may take the fifth or major third above the bass), reached by the clausula vera: the
    cantus steps to the final while a counterpoint steps to it in contrary motion, with the
    leading tone raised where the mode needs it (dorian, mixolydian, aeolian)."""
    out: list[Violation] = []
    c = tx.cantus
    if c is None or not tx.slices:
        return out
    last = tx.slices[-1]
    t = last.time
    cline = tx.lines[c]
    if last.notes[c] is None or last.notes[c] != len(cline.notes) - 1:
        return out
    cf = cline.notes[-1].pitch
    low = tx.lowest(last)
    bass = tx.pitch(last, low)
    # 1. The final sonority.
    for line in tx.lines:
        if line.is_cantus or last.notes[line.index] is None:
            continue
        p = tx.pitch(last, line.index)
        iv = Interval.between(p, cf)
        if perfect_class(iv) == 0:
            continue
        if tx.n_voices >= 3 and line.index != low:
            ib = Interval.between(bass, p)
            if (ib.generic % 7 == 4 and ib.quality == "P") or \
                    (ib.generic % 7 == 2 and ib.quality == "M") or perfect_class(ib) == 0:
                continue
        out.append(violation(tx, "cadence", t, (line.index, c),
                             f"the piece ends on {iv.name} between {line.name} and "
                             f"{cline.name}; it must end on an octave or unison"))
    # 2. The clausula vera: a counterpoint steps into the final octave against the cantus' step
    # (two voices); in three or more parts some counterpoint steps against it into the last
    # chord (Fux 125 answers the phrygian F-E of the bass with A-B in the middle voice).
    if len(cline.notes) >= 2 and cline.prev(len(cline.notes) - 1) is not None:
        c_pen = cline.notes[-2].pitch
        c_dir = direction(c_pen, cf)
        if is_step(c_pen, cf):
            ok = False
            for line in tx.lines:
                if line.is_cantus or len(line.notes) < 2 or line.prev(len(line.notes) - 1) is None:
                    continue
                a, b = line.notes[-2].pitch, line.notes[-1].pitch
                octave = perfect_class(Interval.between(b, cf)) == 0
                if (octave or tx.n_voices >= 3) and is_step(a, b) and direction(a, b) == -c_dir:
                    ok = True
            if not ok:
                out.append(violation(tx, "cadence", t, (c,),
                                     f"no voice answers the cantus' {c_pen.name}-{cf.name} by step "
                                     f"in contrary motion into the final octave (clausula vera)"))
    # 3. The raised leading tone.
    mode = tx.piece.mode
    if mode.has_leading_tone_ficta:
        for line in tx.lines:
            if line.is_cantus or len(line.notes) < 2 or line.prev(len(line.notes) - 1) is None:
                continue
            a, b = line.notes[-2].pitch, line.notes[-1].pitch
            if mode.degree(b) == 1 and mode.degree(a) == 7 and direction(a, b) > 0 \
                    and not mode.is_raised_leading_tone(a):
                out.append(violation(tx, "cadence", line.notes[-2].onset, (line.index,),
                                     f"{line.name} approaches the final with {a.name}; {mode} "
                                     f"needs the raised leading tone"))
    return out
