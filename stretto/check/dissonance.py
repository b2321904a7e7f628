"""Consonance, the treatment of dissonance, and suspensions (rules ``consonance``,
``dissonance-treatment``, ``suspension``).

The question at every slice is: for each pair of sounding voices that form a dissonance, *which
note is the dissonant one*, and is it allowed to be?

* A note attacked on a downbeat is never a licensed dissonance (Fux: the downbeat is consonant in
  every species), so a dissonance between notes that begin together on a downbeat breaks
  ``consonance``.
* A note *held* over a barline against a note that begins on the downbeat is a suspension: the
  held note is the dissonant one; it must be prepared by a consonance, resolve down by step on
  the next strong half, and (when it lies below) only the 2-3 (9-10) kind is good (4-5 and 7-8
  resolve into a perfect interval and are forbidden; ``lower_fourth_suspension`` admits Fux's
  4-5). Fifth species may resolve early, on the next quarter, or decorate the resolution.
* A note that begins on a weak part of the bar while the other voice holds is the dissonant one;
  its species says whether it may be dissonant: a passing tone (second species), a passing tone,
  neighbour or cambiata (third), nothing (fourth, whose weak-half notes prepare the next
  suspension), any of these plus eighth notes and ornamented resolutions (fifth).
"""

from __future__ import annotations

from fractions import Fraction

from stretto.check.model import CheckSettings, CheckLine, Slice, Texture, Violation, direction, \
    interval_name, is_step, tolerated_off_beat, violation
from stretto.pitch import Interval
from stretto.score import Note


# --------------------------------------------------------------------------- melodic figures


def _passing(line: CheckLine, i: int) -> bool:
    """Passing tone: reached by step and left by step in the same direction."""
    p, n, x = line.prev(i), line.next(i), line.notes[i]
    return bool(p and n and is_step(p.pitch, x.pitch) and is_step(x.pitch, n.pitch)
                and direction(p.pitch, x.pitch) == direction(x.pitch, n.pitch))


def _neighbour(line: CheckLine, i: int) -> bool:
    """Neighbour note: a step away from a note and straight back to it."""
    p, n, x = line.prev(i), line.next(i), line.notes[i]
    return bool(p and n and is_step(p.pitch, x.pitch) and is_step(x.pitch, n.pitch)
                and p.pitch == n.pitch)


def _cambiata(tx: Texture, line: CheckLine, i: int) -> bool:
    """Fux's nota cambiata: a dissonance on the second quarter, reached by step down, left by a
    third down, the line then turning up by step (D C A B over an F)."""
    x = line.notes[i]
    p, n = line.prev(i), line.next(i)
    if not (p and n and tx.pos(x.onset) == tx.quarter and x.duration == tx.quarter):
        return False
    nn = line.next(i + 1)
    third = Interval.between(x.pitch, n.pitch)
    return bool(nn and is_step(p.pitch, x.pitch) and direction(p.pitch, x.pitch) < 0
                and third.generic == 2 and direction(x.pitch, n.pitch) < 0
                and is_step(n.pitch, nn.pitch) and direction(n.pitch, nn.pitch) > 0)


def suspension_of(tx: Texture, line: CheckLine, i: int) -> tuple[Note, Fraction] | None:
    """The syncopated note just before note ``i`` and the downbeat it is held over, when note
    ``i`` lies between that downbeat and the strong half that follows it (its resolution)."""
    x = line.notes[i]
    bar_start = x.onset - tx.pos(x.onset)
    if x.onset == bar_start or x.onset > bar_start + tx.half:
        return None
    for k in range(i - 1, -1, -1):
        p = line.notes[k]
        if line.notes[k].end != line.notes[k + 1].onset:
            return None  # a rest between
        if p.onset < bar_start:
            return (p, bar_start) if p.end > bar_start else None
    return None


def _ornament(tx: Texture, line: CheckLine, i: int) -> bool:
    """Fifth species: a note between a suspended note and its resolution (the note on the next
    strong half, a step below the suspension), such as the G E F of a decorated 4-3."""
    x = line.notes[i]
    sus = suspension_of(tx, line, i)
    if sus is None:
        return False
    held, downbeat = sus
    t_res = downbeat + tx.half
    if x.onset >= t_res:
        return False
    res = tx.note_at(line.index, t_res)
    if res is None or res[1].onset != t_res:
        return False
    r = res[1].pitch
    return is_step(held.pitch, r) and direction(held.pitch, r) < 0 and \
        Interval.between(x.pitch, r).generic <= 2


def licensed(tx: Texture, line: CheckLine, i: int) -> str | None:
    """Why note ``i`` of ``line`` may be dissonant where it begins, or None if it may not.

    Only notes that begin off the downbeat can be licensed; what is allowed depends on the
    voice's species (see the module docstring).
    """
    x = line.notes[i]
    pos = tx.pos(x.onset)
    sp = line.species
    if pos == 0 or sp is None or tx.crosses_barline(x):
        return None
    if sp in (1, 2, 4):
        # Second species (and a first-species filler voice broken into halves, and a broken
        # syncopation in fourth species): only a passing tone on the weak half.
        if pos == tx.half and _passing(line, i):
            return "passing tone"
        return None
    if _passing(line, i):
        return "passing tone"
    if _neighbour(line, i):
        return "neighbour note"
    if _cambiata(tx, line, i):
        return "cambiata"
    if sp == 5 and _ornament(tx, line, i):
        return "ornamented resolution"
    return None


# --------------------------------------------------------------------------- the checks


def _pair_text(tx: Texture, s: Slice, a: int, b: int) -> str:
    pa, pb = tx.pitch(s, a), tx.pitch(s, b)
    return (f"{interval_name(pa, pb)} between {tx.lines[a].name} ({pa.name}) and "
            f"{tx.lines[b].name} ({pb.name})")


def _check_suspension(tx: Texture, s: Slice, held: int, other: int,
                      settings: CheckSettings) -> list[Violation]:
    """Voice ``held`` is sustained over the downbeat ``s`` and dissonant against ``other``."""
    line = tx.lines[held]
    i = s.notes[held]
    h = line.notes[i]
    t = s.time
    out: list[Violation] = []
    what = _pair_text(tx, s, held, other)
    # Preparation: where the held note began it was consonant with the other voice.
    prep = tx.slices[tx.slice_at[h.onset]]
    if prep.notes[other] is not None and tx.is_dissonant(prep, held, other) and \
            not tolerated_off_beat(tx, prep, held, other, settings):
        out.append(violation(tx, "suspension", t, (held, other),
                             f"the suspension {what} in {tx.where(t)} is not prepared by a "
                             f"consonance"))
        return out
    # Kind: below the other voice only the second (2-3, 9-10) may be suspended.
    ph, po = h.pitch, tx.pitch(s, other)
    if (ph.midi, ph.diatonic) < (po.midi, po.diatonic):
        iv = Interval.between(ph, po)
        lower_ok = {1, 3} if settings.lower_fourth_suspension else {1}
        if iv.generic % 7 not in lower_ok:
            res_name = {3: "4-5", 6: "7-8", 4: "5-6"}.get(iv.generic % 7, iv.name)
            out.append(violation(tx, "suspension", t, (held, other),
                                 f"the suspension {what} in {tx.where(t)} is a {res_name} in "
                                 f"the lower voice; only 2-3 is good there"))
            return out
    # Resolution: down by step on the next strong half. Fifth species may resolve early, on the
    # quarter after the suspension (Fux 85b: F E D C over G), or decorate the resolution.
    t_res = t + tx.half
    nxt = line.next(i)
    if line.species == 5 and nxt is not None and nxt.onset <= t_res and \
            is_step(ph, nxt.pitch) and direction(ph, nxt.pitch) < 0:
        return out
    if h.end > t_res:
        out.append(violation(tx, "suspension", t, (held, other),
                             f"the suspension {what} in {tx.where(t)} is held past the half bar "
                             f"instead of resolving"))
        return out
    res = tx.note_at(held, t_res)
    if res is None:
        out.append(violation(tx, "suspension", t, (held, other),
                             f"the suspension {what} in {tx.where(t)} is not resolved"))
        return out
    r = res[1].pitch
    if not (is_step(ph, r) and direction(ph, r) < 0):
        how = "upward" if direction(ph, r) > 0 else "by leap" if direction(ph, r) < 0 else \
            "by repetition"
        out.append(violation(tx, "suspension", t, (held, other),
                             f"the suspension {what} in {tx.where(t)} resolves {how} to "
                             f"{r.name} instead of down by step"))
    return out


def _pending_suspension(tx: Texture, v: int, s: Slice) -> bool:
    """Is voice ``v`` holding a note over the last downbeat, and is it dissonant there against
    the lowest voice (a suspension before the strong half where it resolves)?"""
    line = tx.lines[v]
    n = line.notes[s.notes[v]]
    bar_start = s.time - tx.pos(s.time)
    if not (n.onset < bar_start < n.end and s.time < bar_start + tx.half):
        return False
    down = tx.slices[tx.slice_at[bar_start]] if bar_start in tx.slice_at else None
    if down is None:
        return False
    return any(tx.is_dissonant(down, v, o) for o in tx.sounding(down) if o != v)


def check_dissonance(tx: Texture, settings: CheckSettings) -> list[Violation]:
    """Rules ``consonance``, ``dissonance-treatment`` and ``suspension`` over the whole piece."""
    out: list[Violation] = []
    for s in tx.slices:
        voices = tx.sounding(s)
        for ai, a in enumerate(voices):
            for b in voices[ai + 1:]:
                if a not in s.attacks and b not in s.attacks:
                    continue
                if not tx.is_dissonant(s, a, b):
                    continue
                out.extend(_judge(tx, s, a, b, settings))
    return out


def _judge(tx: Texture, s: Slice, a: int, b: int, settings: CheckSettings) -> list[Violation]:
    t = s.time
    what = _pair_text(tx, s, a, b)
    attack_a, attack_b = a in s.attacks, b in s.attacks
    if tx.is_downbeat(t):
        if attack_a and attack_b:
            return [violation(tx, "consonance", t, (a, b),
                              f"dissonant {what} on the downbeat of bar {tx.bar_beat(t)[0]}")]
        held, other = (b, a) if attack_a else (a, b)
        return _check_suspension(tx, s, held, other, settings)
    # Off the downbeat: the voice(s) that attack carry the dissonance, unless the other voice
    # is a suspension still waiting for its resolution: then the suspension is the dissonant
    # note (Fux 204: a quarter consonant with the bass rubs against the suspended seventh).
    for held in (a, b):
        if held not in s.attacks and _pending_suspension(tx, held, s):
            return []
    if tolerated_off_beat(tx, s, a, b, settings):
        return []
    attackers = [v for v in (a, b) if v in s.attacks]
    reasons = {v: licensed(tx, tx.lines[v], s.notes[v]) for v in attackers}
    if any(reasons.values()):
        return []
    blamed = [v for v in attackers if tx.lines[v].species is not None] or attackers
    v = blamed[0]
    line = tx.lines[v]
    x = line.notes[s.notes[v]]
    sus = suspension_of(tx, line, s.notes[v])
    if sus is not None and x.onset == sus[1] + tx.half:
        return [violation(tx, "suspension", t, (a, b),
                          f"the suspension in {line.name} resolves to a dissonant {what} in "
                          f"{tx.where(t)}")]
    if line.species == 4 or (line.species == 5 and tx.crosses_barline(x)):
        return [violation(tx, "consonance", t, (a, b),
                          f"dissonant {what} in {tx.where(t)}: a syncopated note must begin as "
                          f"a consonance")]
    if line.species in (None, 1) and tx.pos(t) == 0:
        return [violation(tx, "consonance", t, (a, b), f"dissonant {what} in {tx.where(t)}")]
    return [violation(tx, "dissonance-treatment", t, (a, b),
                      f"dissonant {what} in {tx.where(t)} is not a passing tone, neighbour or "
                      f"cambiata")]
