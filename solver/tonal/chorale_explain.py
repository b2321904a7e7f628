"""Why a harmonization or composition cannot hold, in words: a minimal set of conflicting
*wishes* - the composer's constraints and the plan's own (each cadence, each canon, each
recurrence or fugue entry, each voice's range, the melody note under a pin). A relaxed model
is built once (no cadence, canon or recurrence built in, ranges widened by :data:`RELAX`
semitones), every wish is posted under its own guard literal (:meth:`ScoreModel.group`) and
the set is shrunk by deletion (:func:`stretto.solver.cpsat.conflicts.minimal_groups`). The four-part
rules themselves (chord tones, voice leading, the progression grammar) are the background
every wish is judged against."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from stretto.edits import Constraint, Pin, RangeRule
from stretto.errors import Unsatisfiable
from stretto.pitch import Pitch, spell_midi
from stretto.score import Piece

from stretto.solver.tonal.chorale import ChoraleModel, HarmonyProblem, canon_pairs
from stretto.solver.tonal.chorale_task import (Task, add_wish, equals, keep_region, previous_slots,
    slot_waivers, task_of, with_user_ranges)
from stretto.solver.cpsat.region import Region
from stretto.solver.cpsat.conflicts import minimal_groups
from stretto.harmony import ROOT, Key
from stretto.solver.cpsat.settings import SolveSettings

RELAX = 7  # semitones each way a voice's range widens when the explanation lifts it


def _relaxed(task: Task, constraints) -> HarmonyProblem:
    """The problem with no cadence, canon, recurrence or given entry built in, and every
    solver-written voice's range widened by RELAX semitones: the wishes are posted on it."""
    prob = with_user_ranges(task.prob, constraints)
    span = {v: [p.low.midi - RELAX, p.high.midi + RELAX] for v, p in enumerate(prob.voices)}
    hull = (min(a for a, _ in span.values()), max(b for _, b in span.values()))
    # a voice that copies another reaches as far as the other's range, transposed: so lifting
    # a range can show that a canon or a recurrence, not the range, is what cannot fit
    copies = [(c.leader, c.follower, c.semitones if c.semitones is not None
               else round(c.steps * 12 / 7)) for c in prob.canons]
    copies += [(a[0], b[0], semis if semis is not None else round(steps * 12 / 7))
               for a, b, steps, semis in prob.equal]
    base = {v: tuple(r) for v, r in span.items()}
    for a, b, semis in copies:
        for src, dst, shift in ((a, b, semis), (b, a, -semis)):
            span[dst][0] = max(hull[0], min(span[dst][0], base[src][0] + shift))
            span[dst][1] = min(hull[1], max(span[dst][1], base[src][1] + shift))
    voices = tuple(v if v.fixed is not None else replace(
        v, low=spell_midi(span[i][0]), high=spell_midi(span[i][1]))
        for i, v in enumerate(prob.voices))
    return replace(prob, voices=voices, cadences={}, cadence_keys={}, canons=(),
                   canon_spans=(), equal=(), pins=())


def _plan_wishes(task: Task, constraints) -> list[tuple[str, Any]]:
    """(words, poster) for every wish of the plan itself."""
    prob = task.prob
    out: list[tuple[str, Any]] = []
    user_range = {c.voice for c in constraints if isinstance(c, RangeRule)}
    for v, part in enumerate(prob.voices):
        if part.fixed is None and v not in user_range:
            out.append((f"the range of {part.name}: {part.low.name}-{part.high.name}",
                        ("range", v, part.low.midi, part.high.midi)))
    for t, kinds in sorted(prob.cadences.items()):
        if t == 0 or not prob.links[t - 1]:
            continue
        ck = prob.cadence_keys.get(t)
        kind = "/".join(kinds) if len(kinds) < 4 else "a"
        where = f"bar {task.bar_of(t)}"
        if task.kind == "harmonize":
            words = f"a cadence at the phrase end {task.names[t]}"
        elif task.kind == "compose" and task.bar_of(t) not in task.data.cadences:
            words = f"the final cadence at {where}"
        else:
            words = f"the {kind} cadence at {where}" + (f" in {ck}" if ck else "")
        out.append((words, ("cadence", t, kinds, ck)))
    if task.kind == "compose":
        from stretto.solver.tonal.form import recurrence_pairs

        plan = task.spec["form"].get("canon", [])
        for ci, cn in enumerate(prob.canons):
            first, end = prob.canon_spans[ci] if ci < len(prob.canon_spans) else (0, prob.slots)
            text = plan[ci] if ci < len(plan) else {}
            words = (f"the canon {prob.voices[cn.leader].name} -> "
                     f"{prob.voices[cn.follower].name} at {text.get('interval', 'P8')}, "
                     f"{text.get('delay', '1 bar')} later")
            out.append((words, ("copy", [(a, b, cn.steps, cn.semitones)
                                         for a, b in canon_pairs(cn, first, end, prob.slots)])))
        for words, pairs in recurrence_pairs(task.data):
            out.append((words, ("copy", pairs)))
        entries = task.data.fugue.get("entries", []) if task.data.fugue else []
        for e in entries:
            if "notes" not in e:
                continue
            v = [p.name for p in prob.voices].index(e["voice"])
            notes = [(v, e["slot"] + j, Pitch.parse(p)) for j, p in enumerate(e["notes"])]
            out.append((f"the fugue's {e['kind']} in {e['voice']} at {task.names[e['slot']]}: "
                        f"{' '.join(e['notes'])}", ("notes", notes)))
    return out


def _post(model: ChoraleModel, wish) -> None:
    sm, m = model.sm, model.m
    what = wish[0]
    if what == "range":
        _, v, low, high = wish
        for mid in model.midi[v]:
            if not isinstance(mid, int):
                sm.enforce(m.AddLinearConstraint(mid, low, high))
    elif what == "cadence":
        _, t, kinds, ck = wish
        rows = model.cadence_rows(t, kinds, ck)
        if not rows:
            sm.fail()
            return
        dom, home = m.NewBoolVar(f"xdom{t}"), m.NewBoolVar(f"xhome{t}")
        sm.enforce(m.AddAllowedAssignments([model.c[t - 1], model.c[t], home, dom], rows))
        sm.enforce(m.Add(model.brole[t] == ROOT))
        sm.enforce(m.Add(model.brole[t - 1] == ROOT), dom)
    elif what == "copy":
        for (va, ta), (vb, tb), steps, semis in wish[1]:
            if ta >= model.T or tb >= model.T:
                continue
            ct = model.copy_constraint(model.x[va][ta], model.x[vb][tb], steps, semis)
            if ct is None:
                sm.fail()
                return
            if ct is not True:
                sm.enforce(ct)
    elif what == "notes":
        for v, t, p in wish[1]:
            equals(model, v, t, p)


def explain(task: Task, constraints: tuple[Constraint, ...], previous: Piece | None,
            region: Region | None, settings: SolveSettings) -> list[str] | None:
    """A minimal set of wishes that cannot all hold, in words (None when they can, or no
    proof was found in the time limit). See the module text."""
    # A pin on the given melody that differs from it: the two wishes need no solver.
    for c in constraints:
        if isinstance(c, Pin) and c.voice == task.given:
            t = task.slot_at(c.bar, c.beat)
            note = task.prob.voices[c.voice].fixed[t]
            if note != c.pitch:
                return [c.describe(), f"the melody note at {task.names[t]} is {note.name}"]
    model = ChoraleModel(_relaxed(task, constraints), slot_names=task.names,
                         waivers=slot_waivers(task, constraints))
    model.sm.guarded = True
    words: dict[str, str] = {}
    for k, (text, wish) in enumerate(_plan_wishes(task, constraints)):
        words[f"plan:{k}"] = text
        with model.sm.group(f"plan:{k}"):
            _post(model, wish)
    for c in constraints:
        words[f"user:{c.id}"] = c.describe()
        with model.sm.group(f"user:{c.id}"):
            add_wish(model, task, c)
    if region is not None:
        assert previous is not None
        keep_region(model, task, previous_slots(task, previous), region)
        words["regenerate-keep"] = f"regenerate {region.describe()}: everything else stays " \
                                   "as it is"
        words["regenerate-differ"] = f"regenerate {region.describe()}: at least one note " \
                                     "changes"
    # Ranges first, then the plan, then the composer's own: name rather the composer's.
    core = minimal_groups(model.sm, settings, lambda n: (
        not n.startswith("plan:") or not words[n].startswith("the range"),
        n.startswith(("user:", "regenerate"))))
    if core is None:
        return None
    return sorted((words[n] for n in core), key=lambda w: (not w.startswith("your"), w))


def unsatisfiable(task, constraints, previous, region, settings) -> Unsatisfiable:
    words = explain(task, constraints, previous, region, settings)
    what = "harmonization of the melody" if task.kind == "harmonize" else "score"
    if not words:
        return Unsatisfiable("the wishes cannot all hold (no smaller explanation was found "
                             "in the time limit): remove your latest pin or rule")
    return Unsatisfiable(f"No {what} satisfies all of: " + "; ".join(words) +
                         " (under the four-part rules)", tuple(words))


def explain_plan(kind: str, spec: dict, settings: SolveSettings) -> Unsatisfiable:
    """The conflict of a plan that cannot be composed at all, as a minimal set of wishes."""
    return unsatisfiable(task_of(kind, spec), (), None, None, settings)


def explain_melody(melody, key: Key | None, beats_per_chord: int,
                   settings: SolveSettings, style: str = "chorale") -> Unsatisfiable:
    """The conflict of a melody that cannot be harmonized (in ``key``, or the likeliest key
    of the melody, the first that ``harmonize`` tries), as a minimal set of wishes: the
    cadences at its phrase ends, the lower voices' ranges; with the melody's register named
    where it leaves the soprano's usual range."""
    from stretto.io.melody import melody_to_dict
    from stretto.solver.tonal.chorale import SATB_RANGES
    from stretto.solver.tonal.harmonize import melody_keys

    key = key or melody_keys(melody)[0]
    spec = {"melody": melody_to_dict(melody), "key": str(key),
            "beats_per_chord": beats_per_chord, "ornament": False}
    if style != "chorale":  # the harmonic style's vocabulary (stretto.harmony)
        spec["style"] = style
    words = list(explain_plan("harmonize", spec, settings).conflicts)
    if not words:
        return Unsatisfiable(f"no four-part harmonization in {key} obeys every hard rule: "
                             "try --key, or --beats-per-chord 2")
    low, high = (Pitch.parse(p) for p in SATB_RANGES["Soprano"])
    notes = [n.pitch for n in melody.notes]
    lowest, highest = min(notes, key=lambda p: p.midi), max(notes, key=lambda p: p.midi)
    register = ""
    if lowest.midi < low.midi or highest.midi > high.midi:
        far = lowest if lowest.midi < low.midi else highest
        register = (f"; the melody reaches {far.name}, outside the soprano's usual "
                    f"{low.name}-{high.name}: transpose it")
    return Unsatisfiable(f"No harmonization of the melody in {key} satisfies all of: "
                         + "; ".join(words) + " (under the four-part rules)" + register +
                         "; or try --key, or --beats-per-chord 2"
                         + (", or --style chorale" if style == "plain" else ""), tuple(words))


__all__ = ["RELAX", "explain", "explain_melody", "explain_plan", "unsatisfiable"]
