"""Fugue expositions in a form plan: the subject and its tonal or real answer placed in each
voice's register by octaves, entry after entry, and the countersubject as a recurrence
(``[fugue]`` in a plan; :mod:`stretto.solver.tonal.form_plan` reads it, :mod:`stretto.solver.tonal.form`
solves it)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from stretto.errors import BadInput, Unsatisfiable
from stretto.modes import Mode
from stretto.pitch import Pitch, parse_pitches

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


def fugue_plan(spec: FormSpec, fugue: dict, voice_index) -> FormSpec:
    """Fixes the subject and answer entries, and the countersubject's recurrence, into the
    spec. Entries follow ``order`` one subject-length apart: subject, answer, subject, answer
    (an octave apart as the voices' ranges need); the countersubject is what the first voice
    sings against the answer, and it returns (transposed) against the next entries."""
    kind = str(fugue.get("answer", "tonal"))
    if kind not in ("tonal", "real"):
        raise BadInput(f"answer = {kind!r}: use tonal or real")
    if "subject" not in fugue:
        return _generated_fugue(spec, fugue, voice_index, kind)
    subject = parse_pitches(str(fugue.get("subject", "")))
    if not 2 <= len(subject) <= 16:
        raise BadInput("the fugue subject needs 2 to 16 notes (one per chord)")
    order = [voice_index(v) for v in fugue.get("order", [])]
    if not order:
        order = list(range(len(spec.voices)))
    if len(order) > len(spec.voices) or len(set(order)) != len(order):
        raise BadInput("fugue order lists each voice at most once")
    answer = tonal_answer(subject, spec.key) if kind == "tonal" else real_answer(
        subject, spec.key)
    n = len(subject)
    need = n * len(order) + 1
    if need > spec.slots:
        raise BadInput(f"the exposition needs {need} chords ({len(order)} entries of {n}); "
                       f"the piece has {spec.slots}: give more bars")
    fixed = dict(spec.fixed)
    entries = []
    for k, vi in enumerate(order):
        theme = subject if k % 2 == 0 else answer
        v = spec.voices[vi]
        # place the entry in the voice's register by octaves
        centre = (v.low.midi + v.high.midi) // 2
        mean = sum(p.midi for p in theme) / n
        octs = round((centre - mean) / 12)
        placed = [Pitch(p.octave + octs, p.step, p.alter) for p in theme]
        if min(p.midi for p in placed) < v.low.midi or max(p.midi for p in placed) > \
                v.high.midi:
            raise Unsatisfiable(
                f"the fugue's {'subject' if k % 2 == 0 else 'answer'} does not fit "
                f"{v.name}'s range {v.low.name}-{v.high.name}", ("satb-range", "recurrence"))
        for j, p in enumerate(placed):
            fixed[vi, k * n + j] = p
        entries.append({"voice": v.name, "slot": k * n,
                        "kind": "subject" if k % 2 == 0 else "answer",
                        "notes": [p.name for p in placed]})
    recs = list(spec.recurrences)
    cs = []
    if fugue.get("countersubject", True) and len(order) >= 3:
        # the countersubject: what the first voice sings against the answer (entry 2) returns
        # in the second voice against entry 3, transposed as the theme is (plus octaves to
        # its register): above the answer first, below or above the subject after, so it is
        # invertible where the voices cross sides; both places obey every rule
        v0, v1 = order[0], order[1]
        e2, e3 = entries[1], entries[2]
        a0, b0 = Pitch.parse(e2["notes"][0]), Pitch.parse(e3["notes"][0])
        steps, semis = b0.diatonic - a0.diatonic, b0.midi - a0.midi
        c0 = (spec.voices[v0].low.midi + spec.voices[v0].high.midi) / 2
        c1 = (spec.voices[v1].low.midi + spec.voices[v1].high.midi) / 2
        octs = round((c1 - c0 - semis) / 12)  # the same place in the other voice's register
        cs.append({"voice": spec.voices[v0].name, "slot": n, "length": n,
                   "to_voice": spec.voices[v1].name, "to_slot": 2 * n,
                   "steps": steps + 7 * octs, "semitones": None,  # diatonic, in the key
                   "_v": v0, "_to": v1})
    meta = {"subject": [p.name for p in subject], "answer_kind": kind,
            "answer": [p.name for p in answer], "entries": entries, "countersubject": cs}
    return replace(spec, recurrences=tuple(recs), fixed=fixed, fugue=meta)


def _generated_fugue(spec: FormSpec, fugue: dict, voice_index, kind: str) -> FormSpec:
    """A fugue whose subject the solver writes: ``length`` notes in the first voice, then
    the real answer (exactly a fifth up) and the subject again in the next voices, placed by
    octaves in their registers; all as recurrences of the first entry."""
    if kind != "real":
        raise BadInput("a tonal answer needs a given subject: write subject = \"...\", or "
                       "answer = \"real\" to let stretto write the subject")
    try:
        n = int(fugue.get("length", 4))
    except (TypeError, ValueError):
        raise BadInput("fugue length must be a whole number of notes") from None
    if not 2 <= n <= 16:
        raise BadInput("the fugue subject needs 2 to 16 notes (one per chord)")
    order = [voice_index(v) for v in fugue.get("order", [])] or list(range(len(spec.voices)))
    if len(set(order)) != len(order):
        raise BadInput("fugue order lists each voice at most once")
    if n * len(order) + 1 > spec.slots:
        raise BadInput(f"the exposition needs {n * len(order) + 1} chords; the piece has "
                       f"{spec.slots}: give more bars")
    first = spec.voices[order[0]]
    c0 = (first.low.midi + first.high.midi) / 2
    recs_slots = []
    entries = [{"voice": first.name, "slot": 0, "kind": "subject"}]
    for k, vi in enumerate(order[1:], start=1):
        v = spec.voices[vi]
        fifth = k % 2 == 1
        steps, semis = (4, 7) if fifth else (0, 0)
        octs = round(((v.low.midi + v.high.midi) / 2 - c0 - semis) / 12)
        recs_slots.append({"voice": first.name, "slot": 0, "length": n, "to_voice": v.name,
                           "to_slot": k * n, "steps": steps + 7 * octs,
                           "semitones": semis + 12 * octs, "_v": order[0], "_to": vi})
        entries.append({"voice": v.name, "slot": k * n,
                        "kind": "answer" if fifth else "subject"})
    meta = {"subject": None, "answer_kind": kind, "entries": entries,
            "countersubject": recs_slots}
    return replace(spec, fugue=meta)


__all__ = ["fugue_plan", "real_answer", "tonal_answer"]
