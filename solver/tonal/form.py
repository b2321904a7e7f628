"""Form as constraints: ``stretto compose SPEC.toml`` solved on the chorale model of
:mod:`stretto.solver.tonal.chorale`. The plan (its TOML schema) is read by
:mod:`stretto.solver.tonal.form_plan`, fugue expositions placed by :mod:`stretto.solver.tonal.fugue`;
here the plan becomes a :class:`~stretto.solver.tonal.chorale.HarmonyProblem` (canons,
recurrences, a generated melody's climax and rhythm, the key plan), is solved, and becomes a
score with its analysis and form.

Melodies are generated where nothing is given: every voice is a variable, with soft rules for
a singable line (few repeated notes, steps over leaps) on top of the chorale model's rules.
The model writes one note per voice per chord; the last bar is one whole chord. After the
solve the generated voices get rhythms of their own (:func:`plan_lines`,
:mod:`stretto.solver.tonal.rhythm`), copied into a canon's follower and a recurrence's return;
a fugue's voices rest until they enter. The canon's follower equals the leader transposed and
delayed, note for note (checked by :func:`stretto.check.check`).
"""

from __future__ import annotations

from fractions import Fraction

from stretto.errors import Unsatisfiable
from stretto.score import Piece, Voice, make_voice, parse_meter

from stretto.solver.tonal.chorale import ALL_CADENCES, Canon, HarmonyProblem
from stretto.solver.tonal.form_plan import (FormSpec, copy_end, form_from_dict, load_form,
    parse_interval_steps, read_form_data)
from stretto.solver.tonal.fugue import fugue_plan, real_answer, tonal_answer
from stretto.harmony import Key
from stretto.solver.cpsat.settings import SolveResult, SolveSettings


def recurrence_pairs(spec: FormSpec) -> list[tuple[str, list[tuple]]]:
    """Per recurrence (motif, invertible return, fugue countersubject or entry): its name in
    words and its ((voice, slot), (voice, slot), steps, semitones|None) pairs."""
    T, names = spec.slots, [v.name for v in spec.voices]
    out = []
    for v, a, b, to, at, steps, semis in spec.recurrences:
        pairs = []
        for t in range(spec.slot_of(a), spec.slot_of(b + 1) if b < spec.bars else T):
            u = t - spec.slot_of(a) + spec.slot_of(at)
            if u < T:
                pairs.append(((v, t), (to, u), steps, semis))
        out.append((f"bars {a}-{b} of {names[v]} return in {names[to]} at bar {at}", pairs))
    for c in spec.fugue.get("countersubject", []):
        pairs = [((c["_v"], c["slot"] + j), (c["_to"], c["to_slot"] + j), c["steps"],
                  c["semitones"]) for j in range(c["length"])]
        out.append((f"the fugue's {c['voice']} line from chord {c['slot'] + 1} returns in "
                    f"{c['to_voice']} at chord {c['to_slot'] + 1}", pairs))
    return out


RHYTHM_SEED = 0
# where a bar's held notes may start (slot offsets in the bar), by beats per bar: a half note
# (or a dotted quarter and an eighth) on a strong beat
_HOLD_STARTS = {2: [(), (0,)], 3: [(), (0,)], 4: [(), (0,), (2,), (0, 2)]}


def melody_plan(spec: FormSpec):
    """The generated top voice's shape: ``(voice, climax slot, climax pitch floor)`` and the
    held notes ``{slot: "half" | "dotted"}``, or (None, {}) when the top voice is given or
    bound by a canon, recurrence or fugue. Deterministic (seed :data:`RHYTHM_SEED`).

    Climax: one strong beat between 55% and 80% of the piece (not a cadence chord or the chord
    before one) holds the only note at or above two semitones below the top of the range.
    Rhythm vocabulary (one chord per beat, in 2/4, 3/4 and 4/4): quarters; halves on a strong
    beat (the note held over the next chord); a dotted quarter and an eighth (the eighth a
    passing tone or an anticipation of the next note); two eighths where the line moves by a
    third (the second a passing tone). Halves and dotted figures are planned here (the model
    holds the note), eighths are added where the solved line allows them (:func:`_rhythm`)."""
    import random

    bound = {c[0] for c in spec.canons} | {c[1] for c in spec.canons}
    bound |= {r[0] for r in spec.recurrences} | {r[3] for r in spec.recurrences}
    bound |= {v for v, _ in spec.fixed}
    bound |= {c["_v"] for c in spec.fugue.get("countersubject", [])}
    bound |= {c["_to"] for c in spec.fugue.get("countersubject", [])}
    if 0 in bound or spec.fugue or spec.beats_per_chord != 1 or \
            spec.beats_per_bar not in _HOLD_STARTS:
        return None, {}
    rng = random.Random(RHYTHM_SEED)
    T, per = spec.slots, spec.slots_per_bar
    cads = {spec.slot_of(b) for b in spec.cadences} | {T - 1}
    busy = cads | {t - 1 for t in cads}
    strong = [t for t in range(int(0.55 * (T - 1)), int(0.8 * (T - 1)) + 1)
              if t % per in (0, per // 2 if per == 4 else 0) and t not in busy]
    climax = None
    if strong:
        top = spec.voices[0]
        climax = (0, rng.choice(strong), top.high.midi - 2)
    holds = {}
    for bar in range(spec.bars - 1):
        for off in rng.choice(_HOLD_STARTS[spec.beats_per_bar]):
            t = bar * per + off
            if t + 1 >= T - 1 or t in busy or t + 1 in busy or t + 1 in cads or (
                    climax and climax[1] in (t, t + 1)):
                continue
            holds[t] = rng.choice(("half", "dotted"))
    return climax, holds


def build_problem(spec: FormSpec, climax: bool = True) -> HarmonyProblem:
    T = spec.slots
    cadences = {}
    cadence_keys = {}
    for bar, (kinds, ck) in spec.cadences.items():
        t = spec.slot_of(bar)
        cadences[t] = kinds
        if ck is not None:
            cadence_keys[t] = ck
    if T - 1 not in cadences:
        cadences[T - 1] = ALL_CADENCES
    canons = []
    for lead, foll, delay, steps, semis, first, last in spec.canons:
        canons.append(Canon(lead, foll, delay, steps, semis))
    equal = [pair for _, pairs in recurrence_pairs(spec) for pair in pairs]
    voices = []
    for vi, v in enumerate(spec.voices):
        voices.append(v)
    downbeats = frozenset(t for t in range(T) if t % spec.slots_per_bar == 0)
    # generated voices: the diatonic chords and sevenths (a smaller vocabulary keeps the
    # voicing tables small); a passage in a related key uses that key's diatonic chords
    from stretto.harmony import vocabulary

    figures = {c.figure for c in vocabulary(spec.key, spec.style)
               if c.function in ("T", "PD", "D", "F", "N", "A6") or c.colour}
    keys_at = plan_keys(spec.key, T, cadences, cadence_keys)
    peak, holds = melody_plan(spec)
    if spec.fugue:  # given subjects may need any chord
        figures = None
    return HarmonyProblem(key=spec.key, voices=tuple(voices), slots=T,
                          links=tuple([True] * (T - 1)) + (False,), cadences=cadences,
                          cadence_keys=cadence_keys, downbeats=downbeats,
                          canons=tuple(c for c in canons), equal=tuple(equal),
                          pins=tuple(sorted((v, t, p) for (v, t), p in spec.fixed.items())),
                          canon_spans=tuple((spec.slot_of(c[5]), copy_end(spec, c[6], c[2]))
                                            for c in spec.canons),
                          figures=frozenset(figures) if figures is not None else None,
                          keys_at=keys_at, climax=peak if climax else None,
                          holds=tuple((0, t) for t in sorted(holds)) + tuple(
                              spec.fugue.get("_holds", ())),
                          rests=tuple(spec.fugue.get("_rests", ())),
                          invertible=tuple(spec.fugue.get("_invertible", ())),
                          consonant=len(voices) <= 3, style=spec.style,
                          tension=tuple(spec.tension[t // spec.slots_per_bar]
                                        for t in range(T)) if spec.tension else ())


def plan_keys(key: Key, slots: int, cadences: dict, cadence_keys: dict) -> tuple:
    """The key of each chord under a key plan: a cadence in a related key ends a passage
    that starts after the previous cadence; its first half is in the home key, its second
    half in the new key (the key changes through a pivot at the middle); all else is in the
    home key. () when the plan never leaves home."""
    if not any(k != key for k in cadence_keys.values()):
        return ()
    out = [(key,)] * slots
    start = 0
    for t in sorted(cadences):
        ck = cadence_keys.get(t)
        if ck is not None and ck != key:
            mid = start + (t - start + 1) // 2
            for u in range(start, t + 1):
                out[u] = (key,) if u < mid else (ck,)
        start = t + 1
    return tuple(out)


def compose(spec: FormSpec, settings: SolveSettings = SolveSettings()) -> SolveResult:
    """Compose ``spec``: raises :class:`Unsatisfiable` when the plan's constraints cannot all
    hold (naming them), returns a result without a piece when none was found in time."""
    from stretto.solver.tonal.chorale import ChoraleModel

    prob = build_problem(spec)
    model = ChoraleModel(prob, slot_names=slot_names(spec))
    sol = model.solve(settings)
    if sol.status == "infeasible" and prob.climax is not None:  # the plan without a climax
        prob = build_problem(spec, climax=False)
        sol = ChoraleModel(prob, slot_names=slot_names(spec)).solve(settings)
    stats = dict(sol.stats)
    stats["key"] = str(spec.key)
    if sol.status == "infeasible":
        what = []
        if spec.canons:
            what.append("canon")
        if spec.recurrences:
            what.append("recurrence")
        if spec.fugue:
            what.append("fugue entries")
        what += ["cadence plan", "voice leading"]
        raise Unsatisfiable(
            f"the plan cannot be composed: its {', '.join(what)} and the ranges cannot all "
            "hold; try wider ranges, another interval or delay, or fewer constraints",
            tuple(what))
    if sol.pitches is None:
        return SolveResult(status=sol.status, piece=None, objective=None, bound=None,
                           wall_time=stats["solve_time"], stats=stats)
    piece = form_piece(spec, prob, sol, stats)
    return SolveResult(status=sol.status, piece=piece, objective=stats.get("objective"),
                       bound=None, wall_time=stats["solve_time"], stats=stats)


def _rhythm(spec: FormSpec, lines, holds: dict, slot_len: Fraction, durations):
    """The top voice's notes and durations from its note per chord (see
    :func:`melody_plan`): held slots become a half note or a dotted quarter and an eighth,
    a move by a third between quarters two eighths; passing tones and anticipations only where
    they make no parallel or direct perfect interval at any onset, crossing or doubling
    against the other voices (:func:`stretto.solver.tonal.onsets.fits`), and in two or three voices
    an anticipation only where it is consonant."""
    from stretto.solver.tonal.onsets import fits

    mode, T, V = spec.key.church_mode, spec.slots, len(lines)
    line = lines[0]
    onsets = [t * slot_len for t in range(T)]
    spans = [[(a, a + d, p) for a, d, p in zip(onsets, durations, voice)] for voice in lines]

    def between(p, q):
        if abs(q.diatonic - p.diatonic) != 2:
            return None
        mid = mode.diatonic_pitch((p.diatonic + q.diatonic) // 2)
        if spec.key.mode == "minor" and mode.degree(mid) in (6, 7):
            return None  # keep clear of the augmented second
        return mid

    # the held notes first, then each added eighth where it fits the notes around it
    top: list = []
    wishes = []  # (index of the note in top, the eighth's pitch)
    t = 0
    while t < T:
        p, a = line[t], onsets[t]
        if t in holds:
            top.append((a, a + 2 * slot_len, p))
            nxt = line[t + 2] if t + 2 < T else None
            if holds[t] == "dotted" and nxt is not None:
                peak = max(q.midi for q in line)  # an anticipation never repeats the climax
                eighth = between(p, nxt) or (nxt if abs(nxt.diatonic - p.diatonic) == 1
                                             and nxt.midi < peak else None)
                if eighth is not None:
                    wishes.append((len(top) - 1, eighth, Fraction(3, 2) * slot_len))
            t += 2
            continue
        top.append((a, a + durations[t], p))
        mid = between(p, line[t + 1]) if t + 1 < T - 1 else None
        if mid is not None:
            wishes.append((len(top) - 1, mid, slot_len / 2))
        t += 1
    shift = 0
    for k, pitch, first in wishes:
        k += shift
        a, e, p = top[k]
        trial = top[:k] + [(a, a + first, p), (a + first, e, pitch)] + top[k + 1:]
        if fits([trial] + spans[1:], 0, (a + first, e, pitch), consonant=V <= 3):
            top = trial
            shift += 1
    return [p for _, _, p in top], [e - a for a, e, _ in top]


def plan_lines(spec: FormSpec, prob: HarmonyProblem, sol, slot_len: Fraction,
               durations: list, previous: Piece | None = None) -> tuple[list[list], dict]:
    """Every voice's notes as (onset, end, pitch) spans: silent until its entry (a fugue),
    held where the plan holds (a fugue subject's long notes, the generated melody's
    rhythm of :func:`melody_plan`), and the free voices with their own rhythms
    (:func:`stretto.solver.tonal.rhythm.free_rhythm`: held notes, passing and neighbour
    eighths, anticipations; after an edit, ``previous``'s figures where nothing around them
    changed); the rhythm's figures and counts, or {} when none could be placed."""
    from stretto.solver.tonal.rhythm import free_rhythm

    T = spec.slots
    onsets = [t * slot_len for t in range(T)] + [T * slot_len - slot_len + durations[-1]]
    entry = {v: 0 for v in range(len(spec.voices))}
    for v, t in prob.rests:
        entry[v] = max(entry[v], t + 1)
    held = set(prob.holds)
    _, top_holds = melody_plan(spec)
    lines = []
    for vi, line in enumerate(sol.pitches):
        if vi == 0 and top_holds:  # the generated melody's own rhythm
            pitches, durs = _rhythm(spec, sol.pitches, top_holds, slot_len, durations)
            ons = [sum(durs[:k], Fraction(0)) for k in range(len(durs))]
            lines.append([(a, a + d, p) for a, d, p in zip(ons, durs, pitches)])
            continue
        spans = []
        for t in range(entry[vi], T):
            if spans and (vi, t - 1) in held and spans[-1][2] == line[t]:
                spans[-1] = (spans[-1][0], onsets[t + 1], line[t])
            else:
                spans.append((onsets[t], onsets[t + 1], line[t]))
        lines.append(spans)
    links = _links(prob)
    copies = {(u, s) for targets in links.values() for u, s, _, _ in targets}
    bound = copies | {(v, t) for v, t, _ in prob.pins}
    figurable = {}
    for vi in range(len(spec.voices)):
        if vi == 0 and top_holds:
            continue
        figurable[vi] = {t for t in range(entry[vi], T - 1)
                         if (vi, t) not in bound and (vi, t + 1) not in bound}
    ranges = {vi: (v.low.midi, v.high.midi) for vi, v in enumerate(spec.voices)}
    keep = None if previous is None else [[(n.onset, n.end, n.pitch) for n in v.sounding()]
                                          for v in previous.voices]
    out = free_rhythm(lines, onsets, figurable, spec.key, ranges, consonant=prob.consonant,
                      links=links, keep=keep)
    if not out.figures:
        return lines, {}
    return [list(line) for line in out.lines], {
        "figures": out.stats["figures"], "seed": out.stats["seed"],
        "target_synchrony": out.stats["target"], "solver": out.stats["status"]}


def _links(prob: HarmonyProblem) -> dict:
    """(voice, slot) -> every (voice, slot, letter steps, semitones | None) where its note
    returns (canons and recurrences, followed on: a copy of a copy is a copy)."""
    from stretto.solver.tonal.chorale_problem import canon_pairs

    direct: dict = {}
    for a, b, steps, semis in prob.equal:
        direct.setdefault(a, []).append((*b, steps, semis))
    for c, (first, end) in zip(prob.canons, prob.canon_spans):
        for a, b in canon_pairs(c, first, end, prob.slots):
            direct.setdefault(a, []).append((*b, c.steps, c.semitones))
    out = {}
    for root in direct:
        seen, todo = [], list(direct[root])
        while todo:
            u, s, st, se = todo.pop(0)
            if (u, s) == root or any((u, s) == x[:2] for x in seen):
                continue
            seen.append((u, s, st, se))
            todo += [(w, r, st + st2, None if se is None or se2 is None else se + se2)
                     for w, r, st2, se2 in direct.get((u, s), [])]
        out[root] = seen
    return out


def slot_names(spec: FormSpec) -> list[str]:
    """"bar B beat K" of every chord slot."""
    names = []
    for t in range(spec.slots):
        b, k = divmod(t, spec.slots_per_bar)
        names.append(f"bar {b + 1} beat {k * spec.beats_per_chord + 1}")
    return names


def form_piece(spec: FormSpec, prob: HarmonyProblem, sol, stats: dict,
               previous: Piece | None = None) -> Piece:
    """The score of a solved plan: the voices, and ``info`` with the analysis (the numerals
    shown under the bass), the cadences and the form (canons, recurrences, fugue)."""
    bar_len = Fraction(4 * spec.beats_per_bar, parse_meter(spec.meter)[1])
    slot_len = bar_len / spec.slots_per_bar
    names = slot_names(spec)
    onsets = [t * slot_len for t in range(spec.slots)]
    durations = [slot_len] * (spec.slots - 1) + [bar_len]
    voices = []
    lines, rhythm = plan_lines(spec, prob, sol, slot_len, durations, previous)
    for vi, (v, line) in enumerate(zip(spec.voices, lines)):
        built = make_voice(v.name, [p for _, _, p in line], [e - a for a, e, _ in line],
                           start=line[0][0], bar_length=bar_len, role="free",
                           id_prefix=f"v{vi}n")
        # the Roman numerals (info["harmony"]["analysis"]) are written as MusicXML <harmony>
        # under the lowest voice by stretto.io.musicxml, not as lyrics
        notes = list(built.notes)
        voices.append(Voice(v.name, tuple(notes), role="free"))
    analysis = sol.analysis(onsets, names)
    # where a voice rests (a fugue's voice before its entry) the chord is only implied: the
    # four-part rules judge the beats where every voice sounds
    resting = {t for _, t in prob.rests}
    implied = [a for a in analysis if a["slot"] in resting]
    analysis = [a for a in analysis if a["slot"] not in resting]
    cadences = [dict(c, onset=str(onsets[c["slot"]]), where=names[c["slot"]])
                for c in sol.cadences]
    form = {"canons": [], "recurrences": []}
    for lead, foll, delay, steps, semis, first, last in spec.canons:
        form["canons"].append({"leader": spec.voices[lead].name,
                               "follower": spec.voices[foll].name,
                               "delay": str(delay * slot_len), "steps": steps,
                               "semitones": semis,
                               "start": str(spec.slot_of(first) * slot_len),
                               "end": str(copy_end(spec, last, delay) * slot_len)})
    for v, a, b, to, at, steps, semis in spec.recurrences:
        start = spec.slot_of(a) * slot_len
        form["recurrences"].append({"leader": spec.voices[v].name,
                                    "follower": spec.voices[to].name,
                                    "delay": str((spec.slot_of(at) - spec.slot_of(a))
                                                 * slot_len),
                                    "steps": steps, "semitones": semis, "start": str(start),
                                    "end": str(spec.slot_of(b + 1) * slot_len
                                               if b < spec.bars else bar_len * spec.bars)})
    for c in spec.fugue.get("countersubject", []):
        form["recurrences"].append({"leader": c["voice"], "follower": c["to_voice"],
                                    "delay": str((c["to_slot"] - c["slot"]) * slot_len),
                                    "steps": c["steps"], "semitones": c["semitones"],
                                    "start": str(c["slot"] * slot_len),
                                    "end": str((c["slot"] + c["length"]) * slot_len)})
    if spec.fugue:
        form["fugue"] = {k: ([{kk: vv for kk, vv in c.items() if not kk.startswith("_")}
                              for c in v] if k == "countersubject" else v)
                         for k, v in spec.fugue.items() if not k.startswith("_")}
    timing = ("solve_time", "deterministic_time")
    info = {"style": "composition",
            "solver": {k: v for k, v in stats.items() if k not in timing},
            "harmony": {"key": str(spec.key), "analysis": analysis, "cadences": cadences,
                        "modulations": sol.modulations, "melody_voice": None,
                        "phrase_ends": [str(onsets[t]) for t in sorted(prob.cadences)],
                        "ranges": {v.name: [v.low.name, v.high.name] for v in spec.voices}},
            "form": form}
    if implied:
        info["harmony"]["implied"] = implied
    if rhythm:
        info["rhythm"] = rhythm
    if spec.style != "chorale":  # the harmonic style, where it is not the default
        info["harmony"]["style"] = spec.style
    if spec.tension:
        info["harmony"]["tension_arc"] = list(spec.tension)
    return Piece(voices=tuple(voices), mode=spec.key.church_mode, meter=spec.meter,
                 tempo=Fraction(96), title=spec.title, info=info)


__all__ = ["FormSpec", "compose", "form_from_dict", "form_piece", "fugue_plan", "load_form",
           "parse_interval_steps", "read_form_data", "real_answer", "recurrence_pairs", "slot_names",
           "tonal_answer"]
