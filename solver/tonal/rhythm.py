"""Independent rhythms: each free voice's own rhythm from a vocabulary of figures, chosen by
CP-SAT under the rules of every onset.

The chord model writes one note per voice per chord slot, so every voice attacks on every
beat (onset synchrony 1). Here each free voice's slot may take one *figure* of the
vocabulary, all of which keep the note each voice sounds on the beat (so the chords, their
analysis and the beat-to-beat rules stand as solved):

- ``hold``: a repeated note is held over the next beat (a tie; the voice does not sit
  re-striking one pitch);
- ``neighbour``: a repeated note leaves for its upper or lower neighbour on the half beat
  and comes back on the beat;
- ``passing``: where the line moves by a third, the note between on the half beat;
- ``anticipation``: where the line moves by step, the next note struck on the half beat and
  held over the beat (a syncopation).

A dissonant suspension (the beat's chord without the note it resolves to) is not in the
vocabulary: the four-part rules read every note sounding on an analysed beat as a tone of
its chord. A held note over the beat is the consonant suspension the chords allow.

Every candidate figure is judged where it sounds by :func:`stretto.solver.tonal.onsets.fits`
(no parallel or direct perfect interval at any onset, no crossing, no doubling against a
note sounding with it, and in two or three voices a consonance unless a passing or
neighbour tone), alone and with every figure near it in another voice; CP-SAT then chooses
the figures (:func:`choose_figures`): at most one per slot, no two that clash, onset
synchrony of every pair of voices near ``target`` (Bach's median by default), passing tones
first. The chosen set is judged once more as a whole (:func:`realize` and
:func:`faults`) and any figure at fault is dropped, so the result obeys the rules whatever
the solver's time limit.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Sequence

from stretto.harmony import Key
from stretto.pitch import Interval, Pitch

from stretto.solver.tonal.onsets import Span, fits, sounding

KINDS = ("hold", "neighbour", "passing", "anticipation")
# Bach's median onset synchrony over the four-part chorales (stretto bench, docs/bench.md)
BACH_SYNCHRONY = 0.69
# preference per figure (CP-SAT maximises it once every pair's synchrony is within the band
# around the target): a held or neighbour-decorated common tone first, so that the inner
# voices do not sit re-striking one pitch, then passing tones, then anticipations
WEIGHT = {"hold": 60, "neighbour": 45, "passing": 30, "anticipation": 15}


@dataclass(frozen=True)
class Figure:
    """One figure of the vocabulary at ``voice``'s slot ``slot`` (its note in ``lines``
    starting at ``onset``); ``pitch`` the note it adds at ``at`` (None for a hold): half way
    through the slot, or two thirds of the way through a dotted one (a compound metre's beat:
    a quarter and an eighth, not two dotted eighths)."""

    kind: str
    voice: int
    slot: int
    onset: Fraction
    pitch: Pitch | None = None
    at: Fraction | None = None


@dataclass(frozen=True)
class RhythmSettings:
    """``target``: the onset synchrony every pair of voices aims at, anywhere within
    ``band`` of it; ``seed`` breaks ties between equally good figures; ``time_limit``
    CP-SAT's deterministic limit (s)."""

    target: float = BACH_SYNCHRONY
    band: float = 0.03
    seed: int = 0
    time_limit: float = 0.5


@dataclass(frozen=True)
class RhythmResult:
    """The lines with their figures, the figures kept, and what was counted."""

    lines: tuple[tuple[Span, ...], ...]
    figures: tuple[Figure, ...]
    stats: dict = field(default_factory=dict, hash=False)


def _step_between(p: Pitch, q: Pitch, key: Key) -> Pitch | None:
    """The diatonic note between ``p`` and ``q`` a third apart (None in a minor key where it
    would make the augmented second, between the sixth and the raised seventh)."""
    if abs(q.diatonic - p.diatonic) != 2:
        return None
    mode = key.church_mode
    mid = mode.diatonic_pitch((p.diatonic + q.diatonic) // 2)
    if key.mode == "minor" and mode.degree(mid) in (6, 7):
        return None
    return mid if _is_second(p, mid) and _is_second(mid, q) else None


def _is_second(p: Pitch, q: Pitch) -> bool:
    """A major or minor second (no augmented second)."""
    return abs(q.diatonic - p.diatonic) == 1 and 1 <= abs(q.midi - p.midi) <= 2


def _neighbours(p: Pitch, key: Key) -> list[Pitch]:
    mode = key.church_mode
    out = []
    for d in (-1, 1):  # the lower neighbour first (the commoner)
        q = mode.diatonic_pitch(p.diatonic + d)
        if _is_second(p, q):
            out.append(q)
    return out


def _at(line: Sequence[Span], onset: Fraction) -> int | None:
    for k, s in enumerate(line):
        if s[0] == onset:
            return k
    return None


def candidates(lines: Sequence[Sequence[Span]], onsets: Sequence[Fraction],
               figurable: dict[int, set[int]], key: Key,
               ranges: dict[int, tuple[int, int]], splits: Sequence | None = None
               ) -> list[Figure]:
    """Every figure of the vocabulary the shape of the lines allows at the ``figurable``
    slots (voice -> slot indices whose note starts on the slot, fills it and is followed
    straight on by a note on the next slot); ``splits[t]`` where in slot ``t`` an added note
    starts (a share of the slot: 1/2 by default)."""
    out = []
    for v in sorted(figurable):
        line = lines[v]
        for t in sorted(figurable[v]):
            if t + 1 >= len(onsets):
                continue
            k = _at(line, onsets[t])
            if k is None or k + 1 >= len(line) or line[k][1] != onsets[t + 1] or \
                    line[k + 1][0] != onsets[t + 1]:
                continue
            p, q = line[k][2], line[k + 1][2]
            lo, hi = ranges[v]
            a = onsets[t]
            at = a + (onsets[t + 1] - a) * (splits[t] if splits else Fraction(1, 2))
            if isinstance(a, int):  # whole ticks stay whole (free_rhythm's scale)
                at = int(at)
            if p == q:
                out.append(Figure("hold", v, t, a))
                out += [Figure("neighbour", v, t, a, n, at) for n in _neighbours(p, key)
                        if lo <= n.midi <= hi]
            elif (mid := _step_between(p, q, key)) is not None:
                out.append(Figure("passing", v, t, a, mid, at))
            elif _is_second(p, q):
                out.append(Figure("anticipation", v, t, a, q, at))
    return out


def apply(line: list[Span], f: Figure) -> list[Span]:
    """``line`` with figure ``f`` (on its note starting at ``f.onset``, and the next one)."""
    k = _at(line, f.onset)
    a, e, p = line[k]
    mid = f.at
    nxt = line[k + 1]
    if f.kind == "hold":
        return line[:k] + [(a, nxt[1], p)] + line[k + 2:]
    if f.kind == "anticipation":
        return line[:k] + [(a, mid, p), (mid, nxt[1], nxt[2])] + line[k + 2:]
    return line[:k] + [(a, mid, p), (mid, e, f.pitch)] + line[k + 1:]


def realize(lines: Sequence[Sequence[Span]], figures: Sequence[Figure]) -> list[list[Span]]:
    """The lines with ``figures`` applied, latest first in each voice (a figure reads the
    note on its slot, which a later figure never changes)."""
    out = [list(line) for line in lines]
    for f in sorted(figures, key=lambda f: (f.voice, -f.onset)):
        out[f.voice] = apply(out[f.voice], f)
    return out


def _window(lines, lo: Fraction, hi: Fraction) -> list[list[Span]]:
    return [[s for s in line if s[1] >= lo and s[0] <= hi] for line in lines]


def faults(base: Sequence[Sequence[Span]], lines: Sequence[Sequence[Span]],
           figures: Sequence[Figure], onsets: Sequence[Fraction], *,
           consonant: bool) -> set[Figure]:
    """The figures whose notes make a fault in ``lines`` (``base`` with ``figures``): each
    note a figure adds or lengthens is judged by :func:`fits` against every voice, and in
    two or three voices an anticipation must be consonant with every voice (it is left by
    whatever comes next, so it is no passing tone)."""
    bad = set()
    for f in figures:
        t = f.slot
        lo = onsets[max(0, t - 1)]
        hi = onsets[min(len(onsets) - 1, t + 2)]
        win = _window(lines, lo, hi)
        new = [s for s in win[f.voice] if f.onset <= s[0] < onsets[min(t + 1, len(onsets) - 1)]]
        new = [s for s in new if s not in base[f.voice]]
        for s in new:
            if not fits(win, f.voice, s, consonant=consonant):
                bad.add(f)
                break
            if consonant and f.kind == "anticipation" and not _consonant_with_all(win, f.voice,
                                                                                   s):
                bad.add(f)
                break
    return bad


def _consonant_with_all(lines, v: int, note: Span) -> bool:
    """``note`` is consonant with every voice sounding at its onset (a fourth only between
    upper voices of three that sound: against the lowest sounding voice it is dissonant)."""
    a, _, p = note
    heard = {u: q for u in range(len(lines)) if (q := sounding(lines[u], a)) is not None}
    lowest = max(heard) if heard else v
    for u, q in heard.items():
        if u != v and not Interval.between(p, q).is_consonant(
                fourth_ok=len(heard) >= 3 and lowest not in (u, v)):
            return False
    return True


Group = tuple  # a figure and its copies (a canon's follower, a recurrence's return)
Link = tuple  # (voice, slot, letter steps, semitones | None): where a slot's note returns


def _copy(f: Figure, lines, onsets, key: Key, link: Link, ranges) -> Figure | None:
    """Figure ``f`` where its slot returns (``link``): the same figure on the copy's notes,
    its added note transposed as the copy is (by letter steps in the key, or exactly);
    None where the copy's notes do not have the figure's shape."""
    u, s, steps, semis = link
    if s + 1 >= len(onsets):
        return None
    k = _at(lines[u], onsets[s])
    if k is None or k + 1 >= len(lines[u]) or lines[u][k][1] != onsets[s + 1] or \
            lines[u][k + 1][0] != onsets[s + 1]:
        return None
    p, q = lines[u][k][2], lines[u][k + 1][2]
    if f.pitch is None:
        return Figure(f.kind, u, s, onsets[s]) if p == q else None
    at = onsets[s] + (f.at - f.onset)
    base = Pitch.from_diatonic(f.pitch.diatonic + steps)
    if semis is None:
        new = key.church_mode.diatonic_pitch(f.pitch.diatonic + steps)
    else:
        new = Pitch(base.octave, base.step, f.pitch.midi + semis - base.midi)
    lo, hi = ranges[u]
    if not lo <= new.midi <= hi or not _is_second(p, new):
        return None
    if (f.kind == "anticipation" and new != q) or (f.kind == "passing" and not
                                                   _is_second(new, q)):
        return None
    return Figure(f.kind, u, s, onsets[s], new, at)


def groups_of(lines, onsets, figurable: dict[int, set[int]], key: Key, ranges,
              links: dict | None = None, splits: Sequence | None = None) -> list[Group]:
    """Each candidate figure (:func:`candidates`) with its copies wherever its slot and the
    next return together (``links``: (voice, slot) -> [:data:`Link`], a canon or recurrence,
    followed on); a figure whose copy cannot take it is no candidate."""
    links = links or {}
    out = []
    for f in candidates(lines, onsets, figurable, key, ranges, splits):
        here, nxt = links.get((f.voice, f.slot), []), links.get((f.voice, f.slot + 1), [])
        if {(u, s + 1, st, se) for u, s, st, se in here} != set(nxt):
            continue  # the slot and the next do not return together
        group = [f]
        for u, s, steps, semis in here:
            c = _copy(f, lines, onsets, key, (u, s, steps, semis), ranges) \
                if (u, s + 1, steps, semis) in nxt else None
            if c is None:
                group = None
                break
            group.append(c)
        if group is not None and len(group) == len(here) + 1:
            out.append(tuple(group))
    return out


def _near(g: Group, h: Group) -> bool:
    return any(abs(f.slot - e.slot) <= 1 for f in g for e in h)


def _clashes(base, groups: list[Group], onsets, consonant: bool) -> list[tuple[int, int]]:
    """Index pairs of groups that are each right alone but wrong together (figures in
    neighbouring slots)."""
    out = []
    for i, g in enumerate(groups):
        if g[0].kind == "hold":
            continue  # a held note sounds what was there: it makes no new interval or motion
        for j in range(i + 1, len(groups)):
            h = groups[j]
            if h[0].kind == "hold" or not _near(g, h) or any(
                    (f.voice, f.slot) == (e.voice, e.slot) for f in g for e in h):
                continue
            both = list(g) + list(h)
            lo = onsets[max(0, min(f.slot for f in both) - 1)]
            hi = onsets[min(len(onsets) - 1, max(f.slot for f in both) + 2)]
            win = _window(base, lo, hi)
            if faults(win, realize(win, both), both, onsets, consonant=consonant):
                out.append((i, j))
    return out


def _attacks(base, groups: list[Group], onsets, v: int) -> dict:
    """Voice ``v``'s possible attacks: time -> (constant 0/1, [(group index, +1|-1)])."""
    out: dict = {a: (1, []) for a, _, _ in base[v]}
    for i, g in enumerate(groups):
        for f in g:
            if f.voice != v:
                continue
            if f.kind in ("hold", "anticipation"):  # the next slot's note is not struck
                out[onsets[f.slot + 1]][1].append((i, -1))
            if f.kind != "hold":
                out.setdefault(f.at, (0, []))[1].append((i, 1))
    return out


def choose_figures(base, groups: list[Group], onsets, *, consonant: bool,
                   settings: RhythmSettings, fixed: dict | None = None
                   ) -> tuple[list[Group], dict]:
    """CP-SAT's choice among ``groups`` (``fixed``: group index -> chosen or not, decided
    already): at most one figure per voice and slot, no two that clash, every pair of voices'
    onset synchrony (both attack / either attacks, where both
    sound) as near ``settings.target`` as the figures allow, then the vocabulary's
    preferences (:data:`WEIGHT`, ties broken by the seed)."""
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    x = [m.NewBoolVar(f"{g[0].kind} voice {g[0].voice} slot {g[0].slot} ({i})")
         for i, g in enumerate(groups)]
    slots: dict[tuple[int, int], list] = {}
    for i, g in enumerate(groups):
        for f in g:
            slots.setdefault((f.voice, f.slot), []).append(x[i])
    for group in slots.values():
        m.AddAtMostOne(group)
    clashes = _clashes(base, groups, onsets, consonant)
    for i, j in clashes:
        m.AddBoolOr([x[i].Not(), x[j].Not()])
    for i, value in (fixed or {}).items():  # kept as they were (see free_rhythm's keep)
        m.Add(x[i] == int(value))
    V = len(base)
    attacks = [_attacks(base, groups, onsets, v) for v in range(V)]
    lo = round(100 * (settings.target - settings.band))
    hi = round(100 * (settings.target + settings.band))
    moving = {f.voice for g in groups for f in g}
    devs, above, below, size = [], [], [], 0
    for a in range(V):
        for b in range(a + 1, V):
            shared, union = _pair_onsets(m, base, attacks, a, b, x)
            base_union = sum(1 for tau in set(attacks[a]) | set(attacks[b])
                             if _both_sound(base, a, b, tau)
                             and 1 in (attacks[a].get(tau, (0,))[0], attacks[b].get(tau, (0,))[0]))
            if not base_union:
                continue
            # the piece's synchrony is the mean over pairs of shared / union: each pair's
            # gap from the band, weighted by 1 / its union as it was (a linear estimate)
            w = round(1200 / base_union)
            above.append(w * (100 * sum(shared) - hi * sum(union)))
            below.append(w * (lo * sum(union) - 100 * sum(shared)))
            size += w * 100 * (len(union) + 1)
            if a in moving or b in moving:  # and no pair far from the target on its own
                dev = m.NewIntVar(0, 100 * len(union) + 1, f"synchrony gap {a}-{b}")
                m.Add(dev >= 100 * sum(shared) - (hi + 12) * sum(union))
                m.Add(dev >= (lo - 12) * sum(union) - 100 * sum(shared))
                devs.append(dev)
    mean = m.NewIntVar(0, size + 1, "synchrony gap of the mean")
    if above:
        m.Add(mean >= sum(above))
        m.Add(mean >= sum(below))
    rng = random.Random(settings.seed)
    prefer = [len(g) * WEIGHT[g[0].kind] + rng.randrange(10) for g in groups]
    m.Minimize(10 * mean + 20 * sum(devs) - sum(w * xi for w, xi in zip(prefer, x)))
    solver = cp_model.CpSolver()
    solver.parameters.random_seed = settings.seed
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = settings.time_limit
    solver.parameters.max_time_in_seconds = 10 * settings.time_limit + 1  # a safety net only
    code = solver.Solve(m)
    stats = {"status": solver.StatusName(code).lower(), "candidates": len(groups),
             "clashes": len(clashes)}
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return [], stats
    return [g for g, xi in zip(groups, x) if solver.Value(xi)], stats


def _both_sound(base, a: int, b: int, tau) -> bool:
    return sounding(base[a], tau) is not None and sounding(base[b], tau) is not None


def _pair_onsets(m, base, attacks: list, a: int, b: int, x) -> tuple[list, list]:
    """Per onset of voices ``a`` and ``b`` where both sound: whether both strike (shared)
    and whether either does (union), each 0, 1 or a literal."""
    shared, union = [], []
    for tau in sorted(set(attacks[a]) | set(attacks[b])):
        if not _both_sound(base, a, b, tau):
            continue
        s_, u_ = _and_or(m, *(_attack_lit(m, attacks[u], tau, x) for u in (a, b)))
        shared.append(s_)
        union.append(u_)
    return shared, union


def _attack_lit(m, attacks: dict, tau: Fraction, x):
    """1, 0 or a literal: whether the voice strikes a note at ``tau``."""
    const, terms = attacks.get(tau, (0, []))
    if not terms:
        return const
    lit = m.NewBoolVar("attack")
    m.Add(lit == const + sum(sign * x[i] for i, sign in terms))
    return lit


def _and_or(m, a, b):
    """(a and b, a or b) of two 0/1 constants or literals."""
    if isinstance(a, int) and isinstance(b, int):
        return a & b, a | b
    if isinstance(a, int):
        a, b = b, a
    if isinstance(b, int):
        return (a, 1) if b else (0, a)
    s, u = m.NewBoolVar("both"), m.NewBoolVar("either")
    m.AddBoolAnd([a, b]).OnlyEnforceIf(s)
    m.AddBoolOr([a.Not(), b.Not()]).OnlyEnforceIf(s.Not())
    m.AddBoolOr([a, b]).OnlyEnforceIf(u)
    m.AddBoolAnd([a.Not(), b.Not()]).OnlyEnforceIf(u.Not())
    return s, u


def free_rhythm(lines: Sequence[Sequence[Span]], onsets: Sequence[Fraction],
                figurable: dict[int, set[int]], key: Key, ranges: dict[int, tuple[int, int]],
                *, consonant: bool, links: dict | None = None,
                settings: RhythmSettings = RhythmSettings(),
                keep: Sequence[Sequence[Span]] | None = None) -> RhythmResult:
    """The ``figurable`` voices' own rhythms over ``lines`` (one span per note, in time
    order; ``onsets`` the chord slots' onsets, with the end of the piece last; ``links``
    where a slot's note returns, see :func:`groups_of`): the candidates of the vocabulary
    that fit alone (:func:`faults`), CP-SAT's choice (:func:`choose_figures`), then the
    whole judged again, dropping any figure (with its copies) at fault until none is.
    ``keep``: the lines as they were before an edit (regenerate, pin): a figure whose
    neighbourhood (every voice's notes on the slots around it) is unchanged is kept as it was,
    present or absent, so an edit changes the rhythm only near what it changed."""
    # whole ticks (two per smallest step, so every half is whole too): integers compare
    # far faster than fractions in the many trials below
    scale = 6 * math.lcm(*(Fraction(x).denominator for line in list(lines) + list(keep or [])
                           for a, e, _ in line for x in (a, e)),
                         *(Fraction(o).denominator for o in onsets))
    base = [[(int(a * scale), int(e * scale), p) for a, e, p in line] for line in lines]
    before = [[(int(a * scale), int(e * scale), p) for a, e, p in line] for line in keep] \
        if keep is not None and len(keep) == len(lines) else None
    ticks = [int(o * scale) for o in onsets]
    # a dotted slot (a compound metre's beat) splits as a quarter and an eighth
    splits = [Fraction(2, 3) if (Fraction(b - a) / Fraction(3, 2)).denominator == 1
              else Fraction(1, 2) for a, b in zip(onsets, onsets[1:])]
    out, figures, stats = _free_ticks(base, ticks, figurable, key, ranges, consonant, links,
                                      settings, splits, before)
    back = tuple(tuple((Fraction(a, scale), Fraction(e, scale), p) for a, e, p in line)
                 for line in out)
    figures = tuple(replace(f, onset=Fraction(f.onset, scale),
                            at=None if f.at is None else Fraction(f.at, scale))
                    for f in figures)
    return RhythmResult(back, figures, stats)


def _free_ticks(base, onsets, figurable, key, ranges, consonant, links, settings, splits,
                before):
    """:func:`free_rhythm` in whole ticks."""
    groups = []
    for g in groups_of(base, onsets, figurable, key, ranges, links, splits):
        lo = onsets[max(0, min(f.slot for f in g) - 1)]
        hi = onsets[min(len(onsets) - 1, max(f.slot for f in g) + 2)]
        win = _window(base, lo, hi)
        if not faults(win, realize(win, g), g, onsets, consonant=consonant):
            groups.append(g)
    fixed = _kept(base, before, groups, onsets) if before is not None else {}
    chosen, stats = choose_figures(base, groups, onsets, consonant=consonant,
                                   settings=settings, fixed=fixed)
    if fixed and stats["status"] == "infeasible":  # cannot happen unless a rule changed
        fixed = {}
        chosen, stats = choose_figures(base, groups, onsets, consonant=consonant,
                                       settings=settings)
    stats["kept"] = len(fixed)
    dropped = 0
    while True:
        figures = [f for g in chosen for f in g]
        out = realize(base, figures)
        bad = faults(base, out, figures, onsets, consonant=consonant)
        if not bad:
            break
        worst = max(bad, key=lambda f: (f.onset, f.voice))
        chosen = [g for g in chosen if worst not in g]
        dropped += 1
    counts = {k: sum(f.kind == k for f in figures) for k in KINDS}
    stats = dict(stats, figures=counts, dropped=dropped, seed=settings.seed,
                 target=settings.target, time_limit=settings.time_limit)
    return out, figures, stats


def _kept(base, before, groups: list[Group], onsets) -> dict:
    """Group index -> whether it was there before, for the groups whose neighbourhood (every
    voice's note on each slot from the one before to the one after next) is as it was."""
    def beat_notes(lines, t):
        return tuple(sounding(line, onsets[t]) for line in lines)

    same = [beat_notes(base, t) == beat_notes(before, t) for t in range(len(onsets) - 1)]
    out = {}
    for i, g in enumerate(groups):
        lo = max(0, min(f.slot for f in g) - 1)
        hi = min(len(same), max(f.slot for f in g) + 3)
        if all(same[lo:hi]):
            out[i] = all(_was_there(before[f.voice], f, onsets) for f in g)
    return out


def _was_there(line, f: Figure, onsets) -> bool:
    """Whether ``line`` shows figure ``f``: the added note where it starts, and the next
    slot struck again or not as the figure has it."""
    starts = {a: p for a, _, p in line}
    struck_next = onsets[f.slot + 1] in starts
    if f.kind == "hold":
        return not struck_next and not any(onsets[f.slot] < a < onsets[f.slot + 1]
                                           for a in starts)
    return starts.get(f.at) == f.pitch and struck_next == (f.kind != "anticipation")


def harmony_rhythm(pitches, onsets, ends, key: Key, soprano: Sequence[Span], ranges,
                   settings: RhythmSettings = RhythmSettings(),
                   keep: Sequence[Sequence[Span]] | None = None) -> tuple[list[list], dict]:
    """``harmonize --rhythm free``: the lower voices of a harmonization (``pitches[1:]``, one
    per slot from ``onsets[t]`` to ``ends[t]``) in rhythms of their own over the given
    melody (``soprano``'s spans, kept as they are): per lower voice its ``(pitch, onset,
    duration)`` notes, and the figures counted."""
    lines = [list(soprano)] + [[(a, e, p) for p, a, e in zip(line, onsets, ends)]
                               for line in pitches[1:]]
    grid = list(onsets) + [ends[-1]]
    figurable = {v: set(range(len(onsets) - 1)) for v in range(1, len(lines))}
    out = free_rhythm(lines, grid, figurable, key, dict(enumerate(ranges)), consonant=False,
                      settings=settings, keep=keep)
    notes = [[(p, a, e - a) for a, e, p in line] for line in out.lines[1:]]
    return notes, {"figures": out.stats["figures"], "seed": settings.seed,
                   "target_synchrony": settings.target, "solver": out.stats["status"]}


__all__ = ["BACH_SYNCHRONY", "Figure", "KINDS", "RhythmResult", "RhythmSettings", "apply",
           "candidates", "choose_figures", "faults", "free_rhythm", "groups_of", "harmony_rhythm",
           "realize"]
