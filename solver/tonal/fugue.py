"""Fugue expositions in a form plan (``[fugue]``; :mod:`stretto.solver.tonal.form_plan`
reads it, :mod:`stretto.solver.tonal.form` solves it): the subject with its own rhythm, its
tonal or real answer, each entry placed in its voice's register by octaves after the voice
has rested, codettas between entries, and the countersubject as a recurrence that inverts at
the octave."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING

from stretto.errors import BadInput, Unsatisfiable
from stretto.modes import Mode
from stretto.pitch import Interval, Pitch, parse_pitches
from stretto.score import parse_meter

from stretto.harmony import Key

if TYPE_CHECKING:  # the plan reader calls the fugue, not the other way round
    from stretto.solver.tonal.form_plan import FormSpec


def tonal_answer(subject: list[Pitch], key: Key) -> list[Pitch]:
    """The tonal answer: the subject a fifth higher (in the dominant), except that a tonic
    answers a dominant and a dominant answers a tonic in the head of the subject (the notes
    before the first note that is neither), as in a tonal fugue."""
    mode = key.church_mode
    dmode = Key(key.relative("V").tonic, key.mode).church_mode  # the dominant key
    tonic_step, dom_step = mode.final_step, (mode.final_step + 4) % 7
    out = []
    head = True
    for p in subject:
        deg_step = p.step
        if head and deg_step == tonic_step:
            # tonic -> dominant a fifth up (real answer would give the supertonic)
            q = _transpose_in(p, 4, mode, dmode)
        elif head and deg_step == dom_step:
            q = _transpose_in(p, 3, mode, mode)  # dominant -> tonic a fourth up
        else:
            head = False
            q = _transpose_in(p, 4, mode, dmode)
        out.append(q)
    return out


def real_answer(subject: list[Pitch], key: Key) -> list[Pitch]:
    """The real answer: the subject exactly a perfect fifth higher."""
    out = []
    for p in subject:
        step = p.diatonic + 4
        base = Pitch.from_diatonic(step)
        out.append(Pitch(base.octave, base.step, p.midi + 7 - base.midi))
    return out


def _transpose_in(p: Pitch, steps: int, src: Mode, dst: Mode) -> Pitch:
    """``p`` (a note of ``src``) moved ``steps`` letter steps into ``dst``, keeping its
    alteration relative to the signature (a raised leading tone stays raised)."""
    shift = p.alter - src.signature_alter(p.step)
    q = dst.diatonic_pitch(p.diatonic + steps)
    if shift:
        q = Pitch(q.octave, q.step, q.alter + shift)
    return q


def parse_subject(text: str, slot: Fraction) -> tuple[list[Pitch], list[int]]:
    """The subject's notes and their lengths in chords, from ``PITCH`` (one chord) or
    ``PITCH/QUARTERS`` tokens (``C4/2`` a half note, ``G4/3/2`` a dotted quarter) where a chord
    lasts ``slot`` quarters; every note lasts a whole number of chords (the entries are
    harmonized chord by chord; the free voices' eighths come from the rhythm vocabulary)."""
    pitches, lengths = [], []
    for tok in text.split():
        name, _, dur = tok.partition("/")
        pitches.append(parse_pitches(name or tok)[0])
        if not dur:
            lengths.append(1)
            continue
        try:
            q = Fraction(dur)
        except (ValueError, ZeroDivisionError):
            raise BadInput(f"subject note {tok!r}: write PITCH or PITCH/QUARTERS, e.g. C4/2 "
                           "for a half note") from None
        if q <= 0 or q % slot:
            raise BadInput(f"subject note {tok!r} lasts {q} quarters: each note lasts a whole "
                           f"number of chords ({slot} quarters each)")
        lengths.append(int(q / slot))
    return pitches, lengths


def _expand(notes: list[Pitch], lengths: list[int]) -> tuple[list[Pitch], list[int]]:
    """Per chord slot: the note sounding at its onset; and the slots whose note goes on into
    the next slot (held)."""
    slots, held = [], []
    for p, n in zip(notes, lengths):
        held += [len(slots) + j for j in range(n - 1)]
        slots += [p] * n
    return slots, held


def entry_slots(n: int, entries: int, codetta: int) -> list[int]:
    """The first slot of each entry: the answer right after the subject, then ``codetta``
    free chords before each later entry."""
    out = [0]
    for k in range(1, entries):
        out.append(out[-1] + n + (codetta if k >= 2 else 0))
    return out


def _order(spec: FormSpec, fugue: dict, voice_index) -> list[int]:
    order = [voice_index(v) for v in fugue.get("order", [])] or list(range(len(spec.voices)))
    if len(order) > len(spec.voices) or len(set(order)) != len(order):
        raise BadInput("fugue order lists each voice at most once")
    return order


def _codetta(fugue: dict) -> int:
    c = fugue.get("codetta", 0)
    if isinstance(c, bool) or not isinstance(c, int) or not 0 <= c <= 16:
        raise BadInput("fugue codetta is the number of free chords before each entry after "
                       "the answer: a whole number from 0 to 16")
    return c


def _room(spec: FormSpec, starts: list[int], n: int) -> None:
    need = starts[-1] + n + 1
    if need > spec.slots:
        raise BadInput(f"the exposition needs {need} chords ({len(starts)} entries of {n}, "
                       f"with the codettas); the piece has {spec.slots}: give more bars")


def _placed(theme: list[Pitch], v) -> list[Pitch]:
    """``theme`` moved by octaves to the middle of voice ``v``'s register."""
    centre = (v.low.midi + v.high.midi) // 2
    octs = round((centre - sum(p.midi for p in theme) / len(theme)) / 12)
    return [Pitch(p.octave + octs, p.step, p.alter) for p in theme]


def fugue_plan(spec: FormSpec, fugue: dict, voice_index) -> FormSpec:
    """Fixes the entries of a fugue exposition into the spec. The first voice sings the
    subject alone; the others rest until they enter; entries follow ``order``, subject and
    answer in turn (an octave apart as the voices' ranges need), each in the subject's own
    rhythm, with ``codetta`` free chords before each entry after the answer. The
    countersubject is what the first voice sings against the answer; it returns (transposed)
    against the third entry on the other side of the theme, so it must invert at the octave:
    no fifth against the theme in either place (a fifth would invert into a fourth)."""
    kind = str(fugue.get("answer", "tonal"))
    if kind not in ("tonal", "real"):
        raise BadInput(f"answer = {kind!r}: use tonal or real")
    if "subject" not in fugue:
        return _generated_fugue(spec, fugue, voice_index, kind)
    slot = Fraction(4 * spec.beats_per_chord, parse_meter(spec.meter)[1])
    notes, lengths = parse_subject(str(fugue.get("subject", "")), slot)
    if not 2 <= len(notes) <= 16:
        raise BadInput("the fugue subject needs 2 to 16 notes")
    order = _order(spec, fugue, voice_index)
    answer = tonal_answer(notes, spec.key) if kind == "tonal" else real_answer(notes, spec.key)
    subject_slots, held = _expand(notes, lengths)
    answer_slots, _ = _expand(answer, lengths)
    n = len(subject_slots)
    starts = entry_slots(n, len(order), _codetta(fugue))
    _room(spec, starts, n)
    fixed = dict(spec.fixed)
    entries, rests, holds = [], [], []
    for k, (vi, s) in enumerate(zip(order, starts)):
        theme = subject_slots if k % 2 == 0 else answer_slots
        v = spec.voices[vi]
        placed = _placed(theme, v)
        if min(p.midi for p in placed) < v.low.midi or max(p.midi for p in placed) > \
                v.high.midi:
            raise Unsatisfiable(
                f"the fugue's {'subject' if k % 2 == 0 else 'answer'} does not fit "
                f"{v.name}'s range {v.low.name}-{v.high.name}", ("satb-range", "recurrence"))
        for j, p in enumerate(placed):
            fixed[vi, s + j] = p
        rests += [(vi, t) for t in range(s)]
        holds += [(vi, s + j) for j in held]
        entries.append({"voice": v.name, "slot": s, "end": s + n,
                        "kind": "subject" if k % 2 == 0 else "answer",
                        "notes": [placed[j].name for j in range(n) if j - 1 not in held],
                        "durations": [str(q * slot) for q in lengths], "lengths": lengths})
    cs, inverted = [], []
    if fugue.get("countersubject", True) and len(order) >= 3:
        cs, inverted = _countersubject(spec, order, entries, starts, n)
    meta = {"subject": [p.name for p in notes], "answer_kind": kind,
            "answer": [p.name for p in answer], "rhythm": [str(q * slot) for q in lengths],
            "codetta": _codetta(fugue), "entries": entries, "countersubject": cs,
            "_rests": rests, "_holds": holds, "_invertible": inverted}
    return replace(spec, fixed=fixed, fugue=meta)


def _countersubject(spec: FormSpec, order: list[int], entries: list[dict], starts: list[int],
                    n: int) -> tuple[list[dict], list[tuple]]:
    """The countersubject: what the first voice sings against the answer (entry 2) returns
    in the second voice against entry 3, transposed as the theme is (plus octaves to its
    register); and the (upper, lower, slot) triples that must invert at the octave."""
    v0, v1, v2 = order[0], order[1], order[2]
    a0, b0 = Pitch.parse(entries[1]["notes"][0]), Pitch.parse(entries[2]["notes"][0])
    steps, semis = b0.diatonic - a0.diatonic, b0.midi - a0.midi
    c0 = (spec.voices[v0].low.midi + spec.voices[v0].high.midi) / 2
    c1 = (spec.voices[v1].low.midi + spec.voices[v1].high.midi) / 2
    octs = round((c1 - c0 - semis) / 12)  # the same place in the other voice's register
    cs = [{"voice": spec.voices[v0].name, "slot": starts[1], "length": n,
           "to_voice": spec.voices[v1].name, "to_slot": starts[2],
           "steps": steps + 7 * octs, "semitones": None,  # diatonic, in the key
           "against": [spec.voices[v1].name, spec.voices[v2].name],
           "invertible": "octave", "_v": v0, "_to": v1}]
    # where a tonal answer's head answers a fifth by a fourth, the two places differ by a
    # step and the return itself is the test; elsewhere no fifth in either place
    regular = [(Pitch.parse(a).diatonic - Pitch.parse(b).diatonic) % 7 == 4
               for a, b in zip(_per_slot(entries[1]), _per_slot(entries[0]))]
    inverted = [(min(v0, v1), max(v0, v1), starts[1] + j) for j in range(n) if regular[j]]
    inverted += [(min(v1, v2), max(v1, v2), starts[2] + j) for j in range(n) if regular[j]]
    return cs, inverted


def _per_slot(entry: dict) -> list[str]:
    """An entry's note names, one per chord slot."""
    out = []
    for name, dur, in zip(entry["notes"], entry["lengths"]):
        out += [name] * dur
    return out


def invertible_at_octave(upper: list[Pitch], lower: list[Pitch]) -> list[str]:
    """What goes wrong when two lines (a note per chord each) are inverted at the octave (the
    upper line moved below the lower by octaves): a fifth becomes a fourth, dissonant in two
    voices; a dissonance stays one; consecutive perfect intervals stay parallel. [] when the
    pair inverts cleanly."""
    out = []
    prev = None
    for j, (p, q) in enumerate(zip(upper, lower)):
        d = (p.midi - q.midi) % 12
        inv = (12 - d) % 12
        iv = Interval.between(p, q)
        if d == 7:
            out.append(f"chord {j + 1}: the fifth {q.name}-{p.name} inverts into a fourth")
        elif not iv.is_consonant(fourth_ok=False):
            out.append(f"chord {j + 1}: {q.name}-{p.name} is a dissonance")
        if prev is not None and inv in (0, 7) and prev[0] == inv and prev[1] != (p, q) and \
                prev[1][0] != p and prev[1][1] != q:
            out.append(f"chord {j + 1}: parallel {'octaves' if inv == 0 else 'fifths'} "
                       "when inverted")
        prev = (inv, (p, q))
    return out


SUBJECT_SEED = 0


def subject_rhythm(n: int, seed: int = SUBJECT_SEED) -> list[int]:
    """A generated subject's rhythm over ``n`` chords, in chords per note (seeded): a long
    first note (a subject announces itself), then quarters with a half note now and then,
    and a long last note where there is room; at least three notes."""
    import random

    rng = random.Random(seed)
    lengths = [2] if n >= 5 else [1]
    while sum(lengths) < n:
        left = n - sum(lengths)
        long = left >= 2 and (left == 2 and n >= 6 or rng.random() < 0.3)
        lengths.append(2 if long else 1)
    return lengths


def _generated_fugue(spec: FormSpec, fugue: dict, voice_index, kind: str) -> FormSpec:
    """A fugue whose subject the solver writes: ``length`` chords in the first voice, in a
    rhythm of its own (:func:`subject_rhythm`), then the real answer (exactly a fifth up) and
    the subject again in the next voices, placed by octaves in their registers, in the same
    rhythm; all as recurrences of the first entry. Each voice rests until it enters."""
    if kind != "real":
        raise BadInput("a tonal answer needs a given subject: write subject = \"...\", or "
                       "answer = \"real\" to let stretto write the subject")
    try:
        n = int(fugue.get("length", 4))
    except (TypeError, ValueError):
        raise BadInput("fugue length must be a whole number of notes") from None
    if not 2 <= n <= 16:
        raise BadInput("the fugue subject needs 2 to 16 chords")
    order = _order(spec, fugue, voice_index)
    starts = entry_slots(n, len(order), _codetta(fugue))
    _room(spec, starts, n)
    slot = Fraction(4 * spec.beats_per_chord, parse_meter(spec.meter)[1])
    lengths = subject_rhythm(n)
    _, held = _expand([Pitch.parse("C4")] * len(lengths), lengths)
    first = spec.voices[order[0]]
    c0 = (first.low.midi + first.high.midi) / 2
    recs_slots, rests, holds = [], [], [(order[0], j) for j in held]
    entries = [{"voice": first.name, "slot": 0, "end": n, "kind": "subject"}]
    for k, vi in enumerate(order[1:], start=1):
        v, s = spec.voices[vi], starts[k]
        fifth = k % 2 == 1
        steps, semis = (4, 7) if fifth else (0, 0)
        octs = round(((v.low.midi + v.high.midi) / 2 - c0 - semis) / 12)
        recs_slots.append({"voice": first.name, "slot": 0, "length": n, "to_voice": v.name,
                           "to_slot": s, "steps": steps + 7 * octs,
                           "semitones": semis + 12 * octs, "_v": order[0], "_to": vi})
        entries.append({"voice": v.name, "slot": s, "end": s + n,
                        "kind": "answer" if fifth else "subject"})
        rests += [(vi, t) for t in range(s)]
        holds += [(vi, s + j) for j in held]
    meta = {"subject": None, "answer_kind": kind, "rhythm": [str(q * slot) for q in lengths],
            "codetta": _codetta(fugue), "entries": entries, "countersubject": recs_slots,
            "_rests": rests, "_holds": holds, "_invertible": []}
    return replace(spec, fugue=meta)


__all__ = ["entry_slots", "fugue_plan", "invertible_at_octave", "parse_subject", "real_answer",
           "subject_rhythm", "tonal_answer"]
