"""Rules about each counterpoint line on its own: intervals, leaps, range, the mode's notes,
musica ficta and repeated notes (hard), and the shape of the line (soft).

The cantus firmus is given, not written, so none of these rules is applied to it.
"""

from __future__ import annotations

from stretto.check.model import CheckSettings, CheckLine, Texture, Violation, direction, \
    is_step, violation
from stretto.pitch import Interval, Pitch


def _moves(line: CheckLine):
    """(index of the second note, first pitch, second pitch) for each melodic move without a
    rest in between."""
    for i in range(1, len(line.notes)):
        p = line.prev(i)
        if p is not None:
            yield i, p.pitch, line.notes[i].pitch


def _melodic_fault(a: Pitch, b: Pitch, same_harmony: bool = False) -> str | None:
    """Why the move a -> b is not singable in Fux's style, or None. ``same_harmony``: both
    notes sound against one cantus note (a skip inside one harmony of the florid species)."""
    iv = Interval.between(a, b)
    up = direction(a, b) > 0
    if iv.generic == 0 and iv.semitones == 0:
        return None
    if iv.quality not in ("P", "M", "m"):
        kind = "augmented" if iv.quality.startswith("A") else "diminished"
        return f"an {kind} interval ({iv.name})" if kind == "augmented" else \
            f"a {kind} interval ({iv.name})"
    if iv.generic > 7:
        return f"a leap larger than an octave ({iv.name})"
    if iv.generic == 6:
        return f"a seventh ({iv.name})"
    if iv.generic == 5 and iv.quality == "M":
        return "a major sixth"
    if iv.generic == 5 and not up and not same_harmony:
        return "a descending minor sixth"
    return None


def check_melodic_intervals(tx: Texture, settings: CheckSettings) -> list[Violation]:
    """``melodic-interval``: no augmented or diminished intervals (as spelled), no sevenths, no
    major sixth, the minor sixth only upward, nothing beyond the octave.

    Fux lets a florid line fall a minor sixth between two notes over the same cantus note, a
    skip between two consonances of one harmony (figs 41, 42, 57, 75)."""
    out: list[Violation] = []
    for line in tx.lines:
        if line.is_cantus:
            continue
        for i, a, b in _moves(line):
            fault = _melodic_fault(a, b, settings.minor_sixth_down
                                   or _same_cantus_note(tx, line, i))
            if fault:
                out.append(violation(tx, "melodic-interval", line.notes[i].onset, (line.index,),
                                     f"{line.name} moves {a.name}-{b.name}, {fault}, into "
                                     f"{tx.where(line.notes[i].onset)}"))
    return out


def _same_cantus_note(tx: Texture, line: CheckLine, i: int) -> bool:
    """Do notes ``i - 1`` and ``i`` of a florid line both sound against one cantus note?"""
    if tx.cantus is None or line.species in (None, 1):
        return False
    a, b = line.notes[i - 1], line.notes[i]
    hit = tx.note_at(tx.cantus, b.onset)
    return hit is not None and hit[1].onset <= a.onset


def check_leap_span(tx: Texture) -> list[Violation]:
    """``leap-span``: two successive leaps in one direction may not add up to more than an
    octave."""
    out: list[Violation] = []
    for line in tx.lines:
        if line.is_cantus:
            continue
        moves = list(_moves(line))
        for (i, a, b), (j, b2, c) in zip(moves, moves[1:]):
            if j != i + 1:
                continue
            if Interval.between(a, b).generic < 2 or Interval.between(b, c).generic < 2:
                continue
            if direction(a, b) != direction(b, c):
                continue
            span = Interval.between(a, c)
            if span.generic > 7:
                out.append(violation(tx, "leap-span", line.notes[j].onset, (line.index,),
                                     f"{line.name} leaps {a.name}-{b.name}-{c.name}, spanning "
                                     f"{span.name}, in {tx.where(line.notes[j].onset)}"))
    return out


def check_range(tx: Texture, settings: CheckSettings) -> list[Violation]:
    """``range``: each counterpoint voice keeps within ``settings.max_range`` letter steps."""
    out: list[Violation] = []
    for line in tx.lines:
        if line.is_cantus or not line.notes:
            continue
        lo = hi = line.notes[0].pitch
        for n in line.notes[1:]:
            lo = min(lo, n.pitch, key=lambda p: p.diatonic)
            hi = max(hi, n.pitch, key=lambda p: p.diatonic)
            if hi.diatonic - lo.diatonic > settings.max_range:
                span = Interval.between(lo, hi)
                out.append(violation(tx, "range", n.onset, (line.index,),
                                     f"{line.name} spans {lo.name}-{hi.name} ({span.name}), more "
                                     f"than the allowed {settings.max_range + 1}th, by "
                                     f"{tx.where(n.onset)}"))
                break
    return out


def _major_third_of_final(tx: Texture, line: CheckLine, i: int) -> bool:
    """The raised third of the mode over the final in the first or last bar (three or more
    voices): Fux's major third above the final in the bass (E G# B in phrygian, D F# A)."""
    n = line.notes[i]
    mode = tx.piece.mode
    if tx.n_voices < 3 or mode.degree(n.pitch) != 3:
        return False
    first_bar = n.onset < tx.slices[0].time + tx.bar_length
    last_bar = n.end == tx.end and n.onset >= tx.end - tx.bar_length
    if not (first_bar or last_bar):
        return False
    s = tx.slices[tx.slice_at[n.onset]]
    low = tx.lowest(s)
    if low is None or low == line.index or mode.degree(tx.pitch(s, low)) != 1:
        return False
    iv = Interval.between(tx.pitch(s, low), n.pitch)
    return iv.generic % 7 == 2 and iv.quality == "M"


def _raised_sixth(tx: Texture, line: CheckLine, i: int) -> bool:
    """The sixth degree raised on the way up to the raised leading tone (F# G# A in aeolian),
    which avoids the augmented second (Fux 42)."""
    mode = tx.piece.mode
    n, nxt = line.notes[i], line.next(i)
    return bool(mode.has_leading_tone_ficta and mode.degree(n.pitch) == 6
                and n.pitch.alter == mode.signature_alter(n.pitch.step) + 1
                and nxt is not None and mode.is_raised_leading_tone(nxt.pitch)
                and _rises_by_step(n.pitch, nxt.pitch))


def check_diatonic(tx: Texture) -> list[Violation]:
    """``diatonic``: only the mode's notes, its ficta (raised leading tone, flattened tritone
    partner, raised sixth before the raised seventh), and the major third over the final in the
    first and last chords of three or more voices."""
    out: list[Violation] = []
    mode = tx.piece.mode
    for line in tx.lines:
        if line.is_cantus:
            continue
        for i, n in enumerate(line.notes):
            if mode.is_allowed(n.pitch) or _major_third_of_final(tx, line, i) or \
                    _raised_sixth(tx, line, i):
                continue
            out.append(violation(tx, "diatonic", n.onset, (line.index,),
                                 f"{n.pitch.name} in {line.name} ({tx.where(n.onset)}) is not in "
                                 f"{mode} and is not a ficta it admits"))
    return out


def check_ficta(tx: Texture) -> list[Violation]:
    """``ficta``: a raised leading tone must rise by step to the final, at once or, in the florid
    species, on the next downbeat after a skip inside the bar (Fux 41: F#3 D3 | G3; 56)."""
    out: list[Violation] = []
    mode = tx.piece.mode
    for line in tx.lines:
        if line.is_cantus:
            continue
        for i, n in enumerate(line.notes):
            if not mode.is_raised_leading_tone(n.pitch):
                continue
            nxt = line.next(i)
            if nxt is not None and _rises_by_step(n.pitch, nxt.pitch):
                continue
            downbeat = n.onset - tx.pos(n.onset) + tx.bar_length
            later = tx.note_at(line.index, downbeat)
            if later is not None and later[1].onset == downbeat and \
                    _rises_by_step(n.pitch, later[1].pitch):
                continue
            where = f"to {nxt.pitch.name}" if nxt is not None else "nowhere"
            out.append(violation(tx, "ficta", n.onset, (line.index,),
                                 f"the raised leading tone {n.pitch.name} in {line.name} "
                                 f"({tx.where(n.onset)}) moves {where} instead of up by step"))
    return out


def _rises_by_step(a: Pitch, b: Pitch) -> bool:
    return is_step(a, b) and direction(a, b) > 0


def check_repetition(tx: Texture, settings: CheckSettings) -> list[Violation]:
    """``repetition`` (hard) in second, third and fifth species: a note is not struck again
    (a tie is the only way to hold it), except a quarter struck again as a half tied over the
    barline in fifth species (an anticipation); ``repeated-notes`` (soft) in first species."""
    out: list[Violation] = []
    for line in tx.lines:
        if line.is_cantus or line.species == 4:
            continue  # fourth species: an untied repeat is a broken syncopation (see species)
        for i, a, b in _moves(line):
            if a != b:
                continue
            if line.species == 5 and tx.crosses_barline(line.notes[i]) and \
                    line.notes[i - 1].duration <= tx.quarter:
                continue  # a quarter anticipating a syncopation (Fux 87, 88b)
            if settings.part_liberties and tx.n_voices >= 3 and i == len(line.notes) - 1:
                continue  # three/four parts: the note before the final held into it (173, 181)
            t = line.notes[i].onset
            name = "repeated-notes" if line.species == 1 else "repetition"
            out.append(violation(tx, name, t, (line.index,),
                                 f"{line.name} repeats {b.name} in {tx.where(t)}"))
    return out


# --------------------------------------------------------------------------- soft


def check_soft_melody(tx: Texture) -> list[Violation]:
    """Soft: ``leap-recovery``, ``steps-over-leaps``, ``single-climax``, ``climax-apart``,
    ``outlined-tritone``."""
    out: list[Violation] = []
    cantus = tx.lines[tx.cantus] if tx.cantus is not None else None
    for line in tx.lines:
        if line.is_cantus or not line.notes:
            continue
        moves = list(_moves(line))
        # leap-recovery: after a leap of a fourth or more, a step the other way.
        for (i, a, b), nxt in zip(moves, moves[1:] + [None]):
            if Interval.between(a, b).generic < 3 or nxt is None or nxt[0] != i + 1:
                continue
            _, _, c = nxt
            if not (is_step(b, c) and direction(b, c) == -direction(a, b)):
                t = line.notes[i + 1].onset
                out.append(violation(tx, "leap-recovery", t, (line.index,),
                                     f"{line.name} leaps {a.name}-{b.name} and does not turn back "
                                     f"by step in {tx.where(t)}"))
        # steps-over-leaps: most moves are steps.
        leaps = [i for i, a, b in moves if Interval.between(a, b).generic >= 2]
        steps = [i for i, a, b in moves if Interval.between(a, b).generic == 1]
        if len(leaps) > len(steps):
            t = line.notes[leaps[-1]].onset
            out.append(violation(tx, "steps-over-leaps", t, (line.index,),
                                 f"{line.name} has {len(leaps)} leaps and only {len(steps)} "
                                 f"steps"))
        # single-climax: the highest note is heard once.
        top = max(n.pitch.midi for n in line.notes)
        peaks = [n for n in line.notes if n.pitch.midi == top]
        if len(peaks) > 1:
            out.append(violation(tx, "single-climax", peaks[1].onset, (line.index,),
                                 f"{line.name} reaches its highest note {peaks[0].pitch.name} "
                                 f"{len(peaks)} times"))
        # climax-apart: not at the same time as the cantus' highest note.
        if cantus is not None and cantus.notes:
            ctop = max(n.pitch.midi for n in cantus.notes)
            cpeaks = [n for n in cantus.notes if n.pitch.midi == ctop]
            for p in peaks[:1]:
                if any(c.onset <= p.onset < c.end for c in cpeaks):
                    out.append(violation(tx, "climax-apart", p.onset, (line.index, cantus.index),
                                         f"{line.name} and {cantus.name} reach their highest "
                                         f"notes together in {tx.where(p.onset)}"))
        # outlined-tritone: between successive turning points of the line.
        turns = _turning_points(line)
        for i, j in zip(turns, turns[1:]):
            a, b = line.notes[i].pitch, line.notes[j].pitch
            iv = Interval.between(a, b)
            if iv.semitones % 12 == 6 and j > i + 1:
                out.append(violation(tx, "outlined-tritone", line.notes[j].onset, (line.index,),
                                     f"{line.name} outlines the tritone {a.name}-{b.name} up to "
                                     f"{tx.where(line.notes[j].onset)}"))
    return out


def _turning_points(line: CheckLine) -> list[int]:
    """Indices of the first note, each melodic peak or trough, and the last note."""
    notes = line.notes
    if len(notes) < 2:
        return list(range(len(notes)))
    out = [0]
    last_dir = 0
    for i in range(1, len(notes)):
        d = direction(notes[i - 1].pitch, notes[i].pitch)
        if d == 0:
            continue
        if last_dir and d != last_dir:
            out.append(i - 1)
        last_dir = d
    out.append(len(notes) - 1)
    return out
