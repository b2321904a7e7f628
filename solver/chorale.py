"""The tonal chorale model: chords per beat and voices that lead well between them (CP-SAT).

One *slot* per beat (the harmonic rhythm). Each slot has a chord (an index into the key's
vocabulary, :mod:`stretto.solver.harmony`) and, for every voice, a pitch; a voice is either
fixed (a given melody) or a variable. Consecutive slots are *linked* unless a rest separates
them; voice-leading rules apply across links. Melody notes shorter than a beat are judged by
the note sounding at the beat: the beat's chord must contain it, and the notes between beats
are passing or neighbour tones over that chord (they are not harmonized separately).

Hard rules (names in :mod:`stretto.rulebook`): every voice sounds a chord tone; the bass gives
the inversion (triads in root position or first inversion, diminished triads in first
inversion, sevenths in any); complete chords (root and third always, the fifth unless a
seventh chord or the last chord, the seventh of a seventh chord); the leading tone and the
seventh never doubled; the progression follows the grammar graph; cadences at phrase ends;
no parallel fifths/octaves/unisons in any pair; no direct fifths/octaves in the outer voices
unless the top voice moves by step; ranges; spacing (adjacent upper voices within an octave);
no crossing or overlap; melodic intervals (no augmented intervals but the chromatic semitone,
no sevenths, nothing beyond an octave); a leading tone in a free voice rises to its goal
(inner voices may fall to the goal's fifth); a chordal seventh falls by step (or is held
under the same chord). The given melody's own leading tones are not forced (it is kept).

Soft rules: small motion in the inner voices (common tones kept), contrary outer voices, a
bass without large leaps, root doubled in root-position triads, chord changes across the
barline, an authentic final cadence in the home key, the tonic at the start.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Sequence

from ortools.sat.python import cp_model

from stretto import __version__
from stretto.errors import BadInput
from stretto.pitch import STEP_PC, Interval, Pitch
from stretto.rulebook import RULES

from stretto.solver.harmony import FIFTH, ROOT, SEVENTH, THIRD, Chord, Key, cadence_key, \
    cadence_kind, key_degree, local_vocabulary, pitch_class_name, progression_graph, vocabulary
from stretto.solver.model import Line, ScoreModel, Universe
from stretto.solver.engine import solver_for
from stretto.solver.spec import SolveSettings

ALL_CADENCES = ("authentic", "half", "plagal", "deceptive")
SATB_RANGES = {"Soprano": ("C4", "G5"), "Alto": ("G3", "D5"), "Tenor": ("C3", "A4"),
               "Bass": ("D2", "D4")}


@dataclass(frozen=True)
class VoicePart:
    """One voice: its register and, for a given melody, the pitch at every slot."""

    name: str
    low: Pitch
    high: Pitch
    fixed: tuple[Pitch, ...] | None = None


@dataclass(frozen=True)
class Canon:
    """``follower`` sounds ``leader`` ``delay`` slots later, transposed by ``interval`` (exact:
    the same spelled interval) or by ``steps`` letter steps within the key (diatonic)."""

    leader: int
    follower: int
    delay: int
    steps: int
    semitones: int | None  # None: diatonic (the key's notes), else exact


@dataclass(frozen=True)
class HarmonyProblem:
    """Everything the model needs. ``links[t]``: slot t leads into slot t+1. ``cadences``:
    slot index (the last chord of the cadence) -> allowed cadence types; ``cadence_keys``
    optionally restricts a cadence to a key. ``keys_at[t]``: the keys slot t's chord may be in
    (empty: the home key everywhere); a passage in a related key uses that key's diatonic
    chords, and the key changes only through a pivot (a chord read in both keys, see
    :meth:`ChoraleModel.edge`). ``appoggiaturas``: (voice, slot, pitch) where the given note
    on the beat may be an accented non-chord tone resolving by step, within the beat, to
    ``pitch`` (used only where no chord holds the note on the beat)."""

    key: Key
    voices: tuple[VoicePart, ...]
    slots: int
    links: tuple[bool, ...]
    cadences: dict = field(default_factory=dict, hash=False)
    cadence_keys: dict = field(default_factory=dict, hash=False)
    downbeats: frozenset = frozenset()
    canons: tuple[Canon, ...] = ()
    equal: tuple = ()  # ((voice, slot), (voice, slot), steps, semitones|None): recurrences
    prefer_authentic_end: bool = True
    pins: tuple = ()  # (voice, slot, Pitch): a given note of a free voice (fugue entries)
    figures: frozenset | None = None  # the vocabulary's figures to use (None: all)
    canon_spans: tuple = ()  # per canon: (first, end) leader slots it covers
    keys_at: tuple = ()  # per slot: the keys its chord may be in (empty: home only)
    appoggiaturas: tuple = ()  # (voice, slot, Pitch): the note a given note resolves to
    climax: tuple | None = None  # (voice, slot, midi): >= midi there, below it elsewhere
    holds: tuple = ()  # (voice, slot): the voice keeps its note from slot to slot + 1


@dataclass
class ChoraleSolution:
    status: str
    pitches: list[list[Pitch]] | None  # per voice, per slot
    chords: list[Chord] | None
    labels: list[str] | None  # in the home key (a related key's chord as figure/degree)
    cadences: list[dict]
    stats: dict
    keys: list[Key] | None = None  # the local key of every slot
    local_labels: list[str] | None = None  # the figure in the local key
    modulations: list[dict] = field(default_factory=list)

    def lyrics(self) -> list[str]:
        """The analysis as the bass's lyrics: the local figure of every slot, with its key in
        front at the first slot and wherever the key changes (``G: I`` ... ``D: V7``)."""
        out = []
        for t, lab in enumerate(self.local_labels or self.labels):
            k = self.keys[t] if self.keys else None
            if k is not None and (t == 0 or k != self.keys[t - 1]):
                lab = f"{k.m21_name}: {lab}"
            out.append(lab)
        return out

    def analysis(self, onsets, names) -> list[dict]:
        """One entry per slot: onset, place, chord (home-key spelling, what the checker
        reads), the local key and figure, and the melody's chord tone where it differs from
        the note on the beat (an appoggiatura)."""
        out = []
        for t, (a, lab, ch) in enumerate(zip(onsets, self.labels, self.chords)):
            e = {"slot": t, "onset": str(a), "where": names[t], "chord": lab,
                 "figure": ch.figure}
            if self.keys:
                e["key"] = str(self.keys[t])
                e["local"] = self.local_labels[t]
            out.append(e)
        return out


def rules_hash() -> str:
    text = ";".join(f"{r.name}:{r.kind}:{r.weight}" for r in RULES if r.name.startswith(
        ("satb-", "chord-", "progression", "cadence-", "canon")) or r.name in (
        "parallel-perfect", "direct-perfect", "crossing", "overlap"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _resolution_class(cls: tuple[int, int]) -> tuple[int, int]:
    """The pitch class a diatonic step and a semitone above ``cls``."""
    step, alter = cls
    nstep = (step + 1) % 7
    want = (STEP_PC[step] + alter + 1) % 12
    nalter = (want - STEP_PC[nstep] + 6) % 12 - 6
    return (nstep, nalter)


def _fall_class(cls: tuple[int, int], steps: int) -> int:
    return (cls[0] - steps) % 7


def melodic_ok(dd: int, ds: int) -> bool:
    """A melodic move of ``dd`` letter steps and ``ds`` semitones is allowed (chorale
    style): no augmented interval but the chromatic semitone, no seventh, nothing beyond an
    octave, no diminished interval but the diminished fifth."""
    g, s = abs(dd), abs(ds)
    if g > 7 or g == 6:
        return False
    if g == 0:
        return s in (0, 1)
    if (dd > 0) != (ds > 0) and s != 0:
        return False
    iv = Interval(generic=g, semitones=s)
    q = iv.quality
    if q in ("P", "M", "m"):
        return True
    return q == "d" and g == 4


def canon_pairs(canon: Canon, first: int, end: int, slots: int) -> list[tuple]:
    """((leader, slot), (follower, slot + delay)) for the leader's slots ``first``..``end``-1
    whose imitation falls inside the piece."""
    return [((canon.leader, t), (canon.follower, t + canon.delay))
            for t in range(first, min(end, slots - canon.delay))]


class ChoraleModel:
    """Builds the CP-SAT model for a :class:`HarmonyProblem`."""

    def __init__(self, prob: HarmonyProblem, slot_names: Sequence[str] | None = None) -> None:
        self.prob = prob
        self.slot_names = list(slot_names) if slot_names else None
        key = prob.key
        others = []
        for ks in prob.keys_at:
            others += [k for k in ks if k != key and k not in others]
        self.keys = [key] + others
        home = vocabulary(key)
        self.vocab = tuple(home) + tuple(c for k in others for c in local_vocabulary(k))
        self.vkey = [0] * len(home) + [1 + i for i, k in enumerate(others)
                                       for _ in local_vocabulary(k)]
        self.graph = progression_graph(key)
        self.graphs = [progression_graph(k) for k in self.keys]
        self._readings = [{frozenset(x for x in c.tones if x is not None): c.figure
                           for c in vocabulary(k) if c.function != "F"} for k in self.keys]
        self._edges: dict = {}
        self.appo = {(v, t): p for v, t, p in prob.appoggiaturas}
        classes: list[tuple[int, int]] = []
        for ch in self.vocab:
            for t in ch.tones:
                if t is not None and t not in classes:
                    classes.append(t)
        self.classes = classes
        low = min(v.low.midi for v in prob.voices)
        high = max(v.high.midi for v in prob.voices)
        pitches = []
        for octave in range(0, 9):
            for step, alter in classes:
                p = Pitch(octave, step, alter)
                if low <= p.midi <= high:
                    pitches.append(p)
        for v in prob.voices:
            for p in v.fixed or ():
                if p is not None and p not in pitches:
                    pitches.append(p)
        for _, _, p in prob.pins + prob.appoggiaturas:
            if p not in pitches:
                pitches.append(p)
        self.pinned = {(v, t): p for v, t, p in prob.pins}
        self.P = sorted(set(pitches), key=lambda p: (p.midi, p.diatonic))
        import numpy as np

        self.P_midi = np.array([p.midi for p in self.P], dtype=np.int64)
        self.P_dia = np.array([p.diatonic for p in self.P], dtype=np.int64)
        self.sm = ScoreModel(Universe(tuple(self.P)), key.church_mode, max(1, prob.slots))
        self.m = self.sm.m
        self._build()

    # ------------------------------------------------------------------ helpers
    def _cls_index(self, p: Pitch) -> int | None:
        c = (p.step, p.alter)
        return self.classes.index(c) if c in self.classes else None

    def _bool(self, name: str):
        return self.m.NewBoolVar(name)

    def reading(self, ch: Chord, key_index: int) -> str | None:
        """The figure of ``ch``'s tones in key ``key_index`` (its full vocabulary), or None."""
        return self._readings[key_index].get(frozenset(x for x in ch.tones if x is not None))

    def edge(self, a: int, b: int) -> bool | None:
        """Chord ``a`` followed by chord ``b`` (vocabulary indices): None when the grammar
        forbids it, else whether it is a retrogression. In one key, that key's graph. Across a
        key change, a pivot: the new chord read in the old key follows the old chord there
        (``I -> V/V = D: V``), or the old chord read in the new key leads to the new chord
        there (``D: I = G: V -> G: IV``)."""
        got = self._edges.get((a, b), 0)
        if got != 0:
            return got
        ka, kb = self.vkey[a], self.vkey[b]
        ca, cb = self.vocab[a], self.vocab[b]
        if ka == kb:
            options = [(self.graphs[ka], ca.figure, cb.figure)]
        else:
            options = [(self.graphs[ka], ca.figure, self.reading(cb, ka)),
                       (self.graphs[kb], self.reading(ca, kb), cb.figure)]
        out = None
        for g, x, y in options:
            if x is None or y is None or not g.has_edge(x, y):
                continue
            retro = bool(g.edges[x, y].get("retrogression"))
            out = retro if out is None else (out and retro)
        self._edges[a, b] = out
        return out

    def _offered(self, key: Key, t: int) -> bool:
        """Chords of ``key`` may stand at slots ``t - 1`` and ``t``."""
        return bool(self.prob.keys_at) and all(key in self.prob.keys_at[u] for u in (t - 1, t))

    def _given(self, v: VoicePart, vi: int, t: int, ch: Chord) -> Pitch | None:
        """The pitch a given voice sounds in chord ``ch`` at slot ``t``: the note on the beat
        if the chord holds it, else the appoggiatura's resolution if it does, else None."""
        p = v.fixed[t]
        if ch.role_of((p.step, p.alter)) is not None:
            return p
        q = self.appo.get((vi, t))
        if q is not None and ch.role_of((q.step, q.alter)) is not None:
            return q
        return None

    def _build(self) -> None:
        prob, m, sm = self.prob, self.m, self.sm
        V, T = len(prob.voices), prob.slots
        self.V, self.T = V, T
        last = T - 1
        # ---- chord domains per slot
        ends_after = [t == last or not prob.links[t] for t in range(T)]
        domains: list[list[int]] = []
        for t in range(T):
            dom = []
            for k, ch in enumerate(self.vocab):
                if ch.function == "F" and t != last:
                    continue
                if prob.figures is not None and self.vkey[k] == 0 and \
                        ch.figure not in prob.figures:
                    continue
                if prob.keys_at and self.keys[self.vkey[k]] not in prob.keys_at[t]:
                    continue
                if ch.is_seventh and ends_after[t]:
                    continue  # a seventh must resolve into the next slot
                ok = True
                for vi, v in enumerate(prob.voices):
                    if v.fixed is not None and self._given(v, vi, t, ch) is None:
                        ok = False
                        break
                if ok:
                    dom.append(k)
            if not dom:
                raise BadInput(self._no_chord_message(t))
            domains.append(dom)
        self.domains = domains
        self.c = [sm.new_int(domains[t], f"chord{t}") for t in range(T)]
        self.y = []
        for t in range(T):
            row = {}
            for k in domains[t]:
                row[k] = self._bool(f"y{t}_{k}")
            m.AddExactlyOne(row.values())
            m.Add(self.c[t] == sum(k * b for k, b in row.items()))
            self.y.append(row)
        # ---- voices: each slot's voicing is one row of a table of every vertical
        # arrangement that obeys the static rules (chord tones, completeness, doubling,
        # inversion, range, spacing, crossing); enumerating them here keeps the model small
        P = self.P
        self.x, self.midi, self.dia, self.lt, self.sev = [], [], [], [], []
        self._xmd: list[tuple] = []
        self.brole, self.lack = [], []
        doms = []
        for vi, v in enumerate(prob.voices):
            doms.append([i for i, p in enumerate(P) if v.low.midi <= p.midi <= v.high.midi])
            xs, mids, dias = [], [], []
            for t in range(T):
                if v.fixed is not None and (vi, t) not in self.appo:
                    p = v.fixed[t]
                    xs.append(P.index(p))
                    mids.append(p.midi)
                    dias.append(p.diatonic)
                    continue
                if (vi, t) in self.pinned:
                    pin = self.pinned[vi, t]
                    if not v.low.midi <= pin.midi <= v.high.midi:
                        from stretto.errors import Unsatisfiable
                        raise Unsatisfiable(f"the given {pin.name} at {self._where(t)} is "
                                            f"outside {v.name}'s range", ("satb-range",))
                if v.fixed is not None:  # the note on the beat or its resolution
                    opts = [v.fixed[t], self.appo[vi, t]]
                    x = sm.new_int(sorted(P.index(p) for p in opts), f"x{vi}_{t}")
                    mid = m.NewIntVar(min(p.midi for p in opts), max(p.midi for p in opts),
                                      f"midi{vi}_{t}")
                    dia = m.NewIntVar(0, 70, f"dia{vi}_{t}")
                    self._xmd.append((vi, t, x, mid, dia))
                    xs.append(x)
                    mids.append(mid)
                    dias.append(dia)
                    continue
                x = sm.new_int([P.index(self.pinned[vi, t])] if (vi, t) in self.pinned
                               else doms[vi], f"x{vi}_{t}")
                mid = m.NewIntVar(v.low.midi, v.high.midi, f"midi{vi}_{t}")
                dia = m.NewIntVar(0, 70, f"dia{vi}_{t}")
                self._xmd.append((vi, t, x, mid, dia))
                xs.append(x)
                mids.append(mid)
                dias.append(dia)
            self.x.append(xs)
            self.midi.append(mids)
            self.dia.append(dias)
            sm.lines.append(Line(index=vi, name=v.name, species=None, domain=doms[vi],
                                 x=list(xs)))
        self.lt = [[self._bool(f"lt{v}_{t}") for t in range(T)] for v in range(V)]
        self.sev = [[self._bool(f"sev{v}_{t}") for t in range(T)] for v in range(V)]
        self.rows_count = 0
        self.slot_rows: list[list[tuple]] = []
        self.perf = {}
        for t in range(T):
            rows = []
            for k in domains[t]:
                rows += [(k,) + r for r in self._voicings(t, k, doms)]
            if not rows:
                raise BadInput(f"no four-part chord can sound the given notes at {self._where(t)} "
                               "within the ranges and spacing: change the note or the ranges")
            self.rows_count += len(rows)
            self.slot_rows.append(rows)
            free = [v for v in range(V) if not isinstance(self.x[v][t], int)]
            brole = m.NewIntVar(0, 3, f"brole{t}")
            lack = self._bool(f"lack{t}")
            pcols = []
            for i in range(V):
                for j in range(i + 1, V):
                    p5, p8 = self._bool(f"p5_{i}{j}_{t}"), self._bool(f"p8_{i}{j}_{t}")
                    self.perf[i, j, t] = (p5, p8)
                    pcols += [p5, p8]
            cols = [self.c[t]] + [self.x[v][t] for v in free] + \
                [self.lt[v][t] for v in range(V)] + [self.sev[v][t] for v in range(V)] + \
                [brole, lack] + pcols
            keep = [0] + [1 + v for v in free] + list(range(1 + V, 1 + 3 * V + 2 + len(pcols)))
            m.AddAllowedAssignments(cols, sorted({tuple(r[i] for i in keep) for r in rows}))
            self.brole.append(brole)
            self.lack.append(lack)
        for vi, t, x, mid, dia in self._xmd:
            m.AddAllowedAssignments([x, mid, dia], [(i, P[i].midi, P[i].diatonic)
                                                    for i in self.sm._domain_of(x)])
        self._progression()
        self._cadences()
        self._vertical()
        self._melodic()
        self._holds()
        self._resolutions()
        self._canons()
        self._preferences()

    def _no_chord_message(self, t: int) -> str:
        given = [f"{v.name} {v.fixed[t].name}" for v in self.prob.voices if v.fixed is not None]
        where = self._where(t)
        return (f"no chord of {self.prob.key} contains {', '.join(given)} at {where}: the "
                "melody leaves the key there; pass --key, or change the note")

    def _voicings(self, t: int, k: int, doms) -> list[tuple]:
        """Rows (x per voice, lt per voice, seventh per voice, bass role, root-doubling
        lacking) of every voicing of chord ``k`` at slot ``t`` that obeys the vertical rules."""
        ch, P, V = self.vocab[k], self.P, self.V
        prob = self.prob
        by_class = {tone: r for r, tone in enumerate(ch.tones) if tone is not None}
        cands = []
        for vi, v in enumerate(prob.voices):
            if v.fixed is not None:
                p = self._given(v, vi, t, ch)
                if p is None:
                    return []
                r = ch.role_of((p.step, p.alter))
                cands.append([(P.index(p), p.midi, r)])
            elif (vi, t) in self.pinned:
                p = self.pinned[vi, t]
                r = by_class.get((p.step, p.alter))
                if r is None:
                    return []
                cands.append([(P.index(p), p.midi, r)])
            else:
                opts = []
                climax = prob.climax if prob.climax and prob.climax[0] == vi else None
                for i in doms[vi]:
                    if climax and (P[i].midi >= climax[2]) != (t == climax[1]):
                        continue  # one climax: the only note at or above its pitch
                    r = by_class.get((P[i].step, P[i].alter))
                    if r is not None:
                        opts.append((i, P[i].midi, r))
                cands.append(sorted(opts, key=lambda o: -o[1]))
        if ch.is_seventh:
            bass_ok = {ROOT, THIRD, FIFTH, SEVENTH}
        elif ch.quality == "diminished":
            bass_ok = {THIRD}
        else:
            bass_ok = {ROOT, THIRD}
        if t in prob.cadences or t == self.T - 1:
            bass_ok &= {ROOT}
        is7 = int(ch.is_seventh)
        plain = not ch.is_seventh and ch.quality in ("major", "minor")
        out = []
        chosen: list[tuple] = []

        cands[-1] = [o for o in cands[-1] if o[2] in bass_ok]
        last = t == self.T - 1
        pair_index = [(i, j) for i in range(V) for j in range(i + 1, V)]

        def leaf() -> None:
            roles = [o[2] for o in chosen]
            n = [roles.count(r) for r in range(4)]
            if V >= 2 and n[ROOT] < 1:
                return
            if V >= 3 and n[THIRD] < 1:
                return
            if V >= 4:
                if n[SEVENTH] != is7:
                    return
                if not last and n[FIFTH] + is7 < 1:
                    return
            if n[SEVENTH] > is7 or n[SEVENTH] > 1:
                return
            lts = [int(r == ch.lt_role) for r in roles]
            if sum(lts) > 1:
                return
            lack = int(V >= 4 and plain and roles[-1] == ROOT and n[ROOT] < 2)
            pairs = []
            for i, j in pair_index:
                d = chosen[i][1] - chosen[j][1]
                pairs += [int(d % 12 == 7), int(d % 12 == 0)]
            out.append(tuple(o[0] for o in chosen) + tuple(lts)
                       + tuple(int(r == SEVENTH) for r in roles) + (roles[-1], lack)
                       + tuple(pairs))

        def rec(v: int) -> None:
            if v == V:
                leaf()
                return
            spaced = V >= 3 and v <= min(2, V - 2)  # upper voices (not above the bass)
            above = chosen[-1][1] if chosen else None
            if v == V - 1 and V >= 3:
                have = {o[2] for o in chosen}
                need = {r for r in (ROOT, THIRD) if r not in have}
                if V >= 4 and is7 and SEVENTH not in have:
                    need.add(SEVENTH)
                if len(need) > 1:
                    return
            else:
                need = set()
            for o in cands[v]:
                if above is not None:
                    if o[1] > above:
                        continue  # crossing
                    if spaced and above - o[1] > 12:
                        break  # spacing (candidates run high to low)
                if need and o[2] not in need:
                    continue
                chosen.append(o)
                rec(v + 1)
                chosen.pop()

        rec(0)
        return out

    def _progression(self) -> None:
        m = self.m
        self.same = {}
        self.ltres, self.ltdrop = {}, {}
        self.pair_rows: dict[int, list[tuple]] = {}
        self.retro = {}
        for t in range(self.T - 1):
            if not self.prob.links[t]:
                continue
            rows = []
            for a in self.domains[t]:
                for b in self.domains[t + 1]:
                    ca, cb = self.vocab[a], self.vocab[b]
                    retro = self.edge(a, b)
                    if retro is None:
                        continue
                    res = drop = 0
                    if ca.lt_role is not None and a != b:
                        lt = ca.tones[ca.lt_role]
                        target = _resolution_class(lt)
                        if cb.role_of(target) is not None and cb.role_of(lt) is None:
                            res = 1
                            fifth_below = [x for x in cb.tones if x is not None
                                           and x[0] == _fall_class(lt, 2)]
                            drop = int(bool(fifth_below) and cb.tones[FIFTH] in fifth_below)
                    rows.append((a, b, res, drop, int(a == b), int(retro)))
            if not rows:
                raise BadInput(f"no chord progression fits the melody at {self._where(t)} - "
                               f"{self._where(t + 1)} in {self.prob.key}: pass --key, or "
                               "change the note")
            self.pair_rows[t] = rows
            res, drop, same = (self._bool(f"res{t}"), self._bool(f"drop{t}"),
                               self._bool(f"same{t}"))
            retro = self._bool(f"retro{t}")
            m.AddAllowedAssignments([self.c[t], self.c[t + 1], res, drop, same, retro], rows)
            self.retro[t] = retro
            self.ltres[t], self.ltdrop[t], self.same[t] = res, drop, same

    def _where(self, t: int) -> str:
        return self.slot_names[t] if self.slot_names else f"beat {t + 1}"

    def _cadences(self) -> None:
        m, key = self.m, self.prob.key
        self.cadence_choice = {}
        self.cad_rows: dict[int, list[tuple]] = {}
        for t, kinds in sorted(self.prob.cadences.items()):
            if t == 0 or not self.prob.links[t - 1]:
                continue
            want_key = self.prob.cadence_keys.get(t)
            rows = self.cadence_rows(t, kinds, want_key)
            if not rows:
                raise BadInput(f"no {'/'.join(kinds)} cadence"
                               f"{' in ' + str(want_key) if want_key else ''} fits the melody "
                               f"at {self._where(t)} in {key}: the phrase cannot close there")
            self.cad_rows[t] = rows
            home, dom = self._bool(f"home{t}"), self._bool(f"dom{t}")
            m.AddAllowedAssignments([self.c[t - 1], self.c[t], home, dom], rows)
            self.cadence_choice[t] = home
            # authentic and deceptive cadences: the dominant in root position
            self.m.Add(self.brole[t - 1] == ROOT).OnlyEnforceIf(dom)

    def cadence_rows(self, t: int, kinds, want_key: Key | None) -> list[tuple]:
        """(chord before, chord at ``t``, home authentic, dominant in root position) for
        every cadence of ``kinds`` (in ``want_key`` when given) ending at slot ``t``. Both
        chords are in one key: a cadence in a related key is made in that key."""
        home, rows = self.prob.key, []
        for a in self.domains[t - 1]:
            for b in self.domains[t]:
                ca, cb = self.vocab[a], self.vocab[b]
                if self.vkey[a] != self.vkey[b] or self.edge(a, b) is None:
                    continue
                key = self.keys[self.vkey[b]]
                if ca.function == "S" and ca.goal == cb.figure and self._offered(
                        key.relative(cb.figure), t):
                    continue  # V/x -> x where x's key is offered: a cadence made in that key
                kind = cadence_kind(key, ca, cb)
                if kind is None or kind not in kinds:
                    continue
                ck = cadence_key(key, ca, cb)
                if want_key is not None and ck != want_key:
                    continue
                rows.append((a, b, int(kind == "authentic" and ck == home),
                             int(kind in ("authentic", "deceptive"))))
        return rows

    def _motion(self, v: int, t: int):
        """(dd, ds) letter steps and semitones of voice v from slot t to t+1."""
        a, b = self.dia[v][t], self.dia[v][t + 1]
        ma, mb = self.midi[v][t], self.midi[v][t + 1]
        if isinstance(a, int) and isinstance(b, int):
            return b - a, mb - ma
        dd = self.m.NewIntVar(-14, 14, f"dd{v}_{t}")
        ds = self.m.NewIntVar(-24, 24, f"ds{v}_{t}")
        self.m.Add(dd == b - a)
        self.m.Add(ds == mb - ma)
        return dd, ds

    def _vertical(self) -> None:
        m, V, T = self.m, self.V, self.T
        mid = self.midi
        for t in range(T):
            for v in range(V - 1):
                m.Add(mid[v][t] >= mid[v + 1][t])  # crossing
            for v in range(min(2, V - 2)) if V >= 3 else ():
                m.Add(mid[v][t] - mid[v + 1][t] <= 12)  # spacing of the upper voices
        self.moves = {}
        self.dds, self.dss = {}, {}
        for t in range(T - 1):
            if not self.prob.links[t]:
                continue
            for v in range(V):
                dd, ds = self._motion(v, t)
                self.dds[v, t], self.dss[v, t] = dd, ds
                self.moves[v, t] = (ds != 0) if isinstance(ds, int) else \
                    self.sm.compare(ds, "!=", 0)
            for v in range(V - 1):  # overlap
                m.Add(mid[v + 1][t + 1] <= mid[v][t])
                m.Add(mid[v][t + 1] >= mid[v + 1][t])
        # no parallel perfect intervals in any pair (the flags come from the voicing table)
        for i in range(V):
            for j in range(i + 1, V):
                for t in range(T - 1):
                    if not self.prob.links[t]:
                        continue
                    for kind in (0, 1):
                        lits = [self.perf[i, j, t][kind], self.perf[i, j, t + 1][kind],
                                self.moves[i, t], self.moves[j, t]]
                        self._forbid(lits)
        # direct fifths and octaves in the outer voices
        top, bot = 0, V - 1
        for t in range(T - 1):
            if not self.prob.links[t] or V < 2:
                continue
            ds_t, ds_b = self.dss[top, t], self.dss[bot, t]
            into = self.sm.any_true([self.perf[top, bot, t + 1][0],
                                     self.perf[top, bot, t + 1][1]])
            for sign in (1, -1):
                same_t = self._sign_lit(ds_t, sign)
                same_b = self._sign_lit(ds_b, sign)
                leap_t = self._leap_lit(ds_t)
                self._forbid([into, same_t, same_b, leap_t])

    def _sign_lit(self, ds, sign: int):
        if isinstance(ds, int):
            return ds * sign > 0
        return self.sm.compare(ds, ">" if sign > 0 else "<", 0)

    def _leap_lit(self, ds):
        if isinstance(ds, int):
            return abs(ds) > 2
        a = self.m.NewIntVar(0, 24, "abs")
        self.m.AddAbsEquality(a, ds)
        return self.sm.compare(a, ">", 2)

    def _forbid(self, lits) -> None:
        """Not all of ``lits`` (constants folded)."""
        out = []
        for lit in lits:
            if lit is False:
                return
            if lit is True:
                continue
            out.append(lit.Not())
        if not out:
            raise BadInput("the given voices make forbidden parallels by themselves")
        self.m.AddBoolOr(out)

    def _holds(self) -> None:
        for v, t in self.prob.holds:
            if (v, t) in self.dss:
                self.m.Add(self.dss[v, t] == 0)

    def _melodic(self) -> None:
        rows = [(dd, ds) for dd in range(-7, 8) for ds in range(-12, 13) if melodic_ok(dd, ds)]
        for (v, t), dd in self.dds.items():
            if self.prob.voices[v].fixed is not None:
                continue
            self.m.AddAllowedAssignments([dd, self.dss[v, t]], rows)

    def _resolutions(self) -> None:
        V = self.V
        for t in range(self.T - 1):
            if not self.prob.links[t]:
                continue
            for v in range(V):
                dd, ds = self.dds[v, t], self.dss[v, t]
                fixed = self.prob.voices[v].fixed is not None
                # chordal seventh: down by step, or held under the same chord
                ok_down = self.sm.all_true(self._cond(dd, "==", -1), self._cond(ds, ">=", -2))
                ok_held = self.sm.all_true(self._cond(ds, "==", 0), self.same[t])
                self.sm.implies_any(self.sev[v][t], [ok_down, ok_held])
                if fixed:
                    continue  # the given melody's leading tones are kept as written
                up = self.sm.all_true(self._cond(dd, "==", 1), self._cond(ds, "==", 1))
                opts = [up]
                if 0 < v < V - 1:
                    opts.append(self.sm.all_true(self.ltdrop[t], self._cond(dd, "==", -2)))
                self.sm.implies_any(self.sm.all_true(self.lt[v][t], self.ltres[t]), opts)

    def _cond(self, expr, op: str, value: int):
        if isinstance(expr, int):
            return {"==": expr == value, ">=": expr >= value, "<=": expr <= value}[op]
        return self.sm.compare(expr, op, value)

    def _canons(self) -> None:
        """Canons and recurrences: the follower's note is the leader's, transposed exactly
        (letter steps and semitones) or diatonically (letter steps, in the key: a note
        outside the key keeps the leader's alteration)."""
        pairs = []  # ((va, ta), (vb, tb), steps, semis, rule)
        for ci, cn in enumerate(self.prob.canons):
            first, end = self.prob.canon_spans[ci] if ci < len(self.prob.canon_spans) \
                else (0, self.T)
            pairs += [(a, b, cn.steps, cn.semitones, "canon")
                      for a, b in canon_pairs(cn, first, end, self.T)]
        for a, b, steps, semis in self.prob.equal:
            pairs.append((a, b, steps, semis, "recurrence"))
        for (va, ta), (vb, tb), steps, semis, rule in pairs:
            if self.copy_constraint(self.x[va][ta], self.x[vb][tb], steps, semis) is None:
                from stretto.errors import Unsatisfiable
                raise Unsatisfiable(
                    f"{rule} {self.prob.voices[va].name} -> {self.prob.voices[vb].name} at "
                    f"{self._where(tb)}: the transposed note cannot fit the follower's range",
                    (rule, "satb-range"))

    def copy_constraint(self, a, b, steps: int, semis: int | None):
        """Require ``b`` to be ``a`` transposed (see :meth:`copy_rows`). Returns the table
        constraint (for a caller to guard), True when both notes are given and fit, None when
        no pair of their pitches fits."""
        rows = self.copy_rows(a, b, steps, semis)
        if not rows:
            return None
        vars_ = [v for v in (a, b) if not isinstance(v, int)]
        if not vars_:
            return True
        if isinstance(a, int):
            rows = [(j,) for i, j in rows if i == a]
        elif isinstance(b, int):
            rows = [(i,) for i, j in rows if j == b]
        return self.m.AddAllowedAssignments(vars_, rows)

    def copy_rows(self, a, b, steps: int, semis: int | None) -> list[tuple[int, int]]:
        """(pitch index of ``a``, of ``b``) where ``b`` is ``a`` moved ``steps`` letter steps,
        exactly (``semis`` semitones) or diatonically in the key (``semis`` None)."""
        P, mode = self.P, self.prob.key.church_mode
        doms_a = [a] if isinstance(a, int) else self.sm._domain_of(a)
        doms_b = set([b] if isinstance(b, int) else self.sm._domain_of(b))
        rows = []
        for i in doms_a:
            for j in doms_b:
                if P[j].diatonic - P[i].diatonic != steps:
                    continue
                if semis is not None and P[j].midi - P[i].midi != semis:
                    continue
                if semis is None and not mode.is_diatonic(P[j]) and P[j].alter != P[i].alter:
                    continue
                rows.append((i, j))
        return rows

    def _preferences(self) -> None:
        sm, V = self.sm, self.V
        w = {r.name: r.weight for r in RULES if r.kind == "soft"}
        for (v, t), ds in self.dss.items():
            if isinstance(ds, int):
                continue
            a = self.m.NewIntVar(0, 24, f"a{v}_{t}")
            self.m.AddAbsEquality(a, ds)
            if 0 < v < V - 1:
                sm.penalize("inner-voice-motion", w["inner-voice-motion"], a)
            if v == V - 1:
                big = sm.compare(a, ">", 7)
                sm.penalize("bass-line", w["bass-line"], big)
            if v in (0, V - 1) and self.prob.voices[v].fixed is None:
                sm.penalize("melodic-line", w["melodic-line"], sm.compare(a, "==", 0))
                sm.penalize("melodic-line", w["melodic-line"], sm.compare(a, ">", 5))
        top, bot = 0, V - 1
        for t in range(self.T - 1):
            if not self.prob.links[t] or V < 2:
                continue
            for sign in (1, -1):
                sm.penalize("outer-contrary", w["outer-contrary"],
                            sm.all_true(self._sign_lit(self.dss[top, t], sign),
                                        self._sign_lit(self.dss[bot, t], sign)))
            sm.penalize("chord-change", w["chord-change"], self.same[t])
            if t + 1 in self.prob.downbeats:
                sm.penalize("harmonic-rhythm", w["harmonic-rhythm"], self.same[t])
        for t in range(self.T):
            sm.penalize("root-doubling", w["root-doubling"], self.lack[t])
            if t in self.prob.downbeats:
                sm.penalize("root-position", w["root-position"],
                            sm.compare(self.brole[t], "!=", ROOT))
        for t, retro in self.retro.items():
            sm.penalize("progression-retrogression", w["progression-retrogression"], retro)
        for t, home in self.cadence_choice.items():
            if t == self.T - 1 and self.prob.prefer_authentic_end:
                sm.penalize("final-cadence", w["final-cadence"], home.Not())
        tonic = [b for k, b in self.y[0].items()
                 if self.vocab[k].figure in ("I", "i") and self.vkey[k] == 0]
        sm.penalize("tonic-start", w["tonic-start"], sm.any_true(tonic).Not()
                    if tonic and not isinstance(sm.any_true(tonic), bool) else (not tonic))
        for t in range(self.T):
            sec = [b for k, b in self.y[t].items() if self.vocab[k].function == "S"]
            for b in sec:
                sm.penalize("chromatic-sparingly", w["chromatic-sparingly"], b)
        if len(self.keys) > 1:  # each change of key costs (a pivot, then the new key)
            kv = []
            for t in range(self.T):
                k = self.m.NewIntVar(0, len(self.keys) - 1, f"key{t}")
                self.m.AddElement(self.c[t], list(self.vkey), k)
                kv.append(k)
            for t in range(self.T - 1):
                if self.prob.links[t]:
                    change = self._bool(f"modulate{t}")
                    self.m.Add(kv[t] != kv[t + 1]).OnlyEnforceIf(change)
                    self.m.Add(kv[t] == kv[t + 1]).OnlyEnforceIf(change.Not())
                    sm.penalize("modulation", w["modulation"], change)
        for t in self.cad_rows:
            for k, b in self.y[t].items():
                if self.vocab[k].figure in ("vi", "VI"):
                    sm.penalize("deceptive-cadence", w["deceptive-cadence"], b)
        for (v, t), q in self.appo.items():  # the note on the beat outside the chord
            sm.penalize("appoggiatura", w["appoggiatura"],
                        sm.compare(self.x[v][t], "==", self.P.index(q)))

    # ------------------------------------------------------------------ solve
    def solve(self, settings: SolveSettings, *, confirm: bool = True) -> ChoraleSolution:
        """Solve: exactly by dynamic programming when the model is a chain (no canon or
        recurrence links distant slots; :mod:`stretto.solver.chain`), the answer confirmed by
        CP-SAT with the decisions fixed; otherwise by CP-SAT search."""
        start = time.perf_counter()
        base = {"seed": settings.seed, "time_limit": settings.time_limit,
                "workers": settings.workers, "objective_enabled": settings.objective,
                "stretto": __version__, "rules_hash": rules_hash(),
                "voicings": self.rows_count}
        chain = not self.prob.canons and not self.prob.equal
        out = None
        if not chain:
            from stretto.solver.chain import solve_beam

            out = solve_beam(self, settings.objective)
        if chain or out is not None:
            from stretto.solver.chain import solve_chain

            if chain:
                out = solve_chain(self, settings.objective)
            wall = time.perf_counter() - start
            if out is None:
                stats = dict(base, status="infeasible", method="chain",
                             solve_time=round(wall, 4))
                return ChoraleSolution("infeasible", None, None, None, [], stats)
            rows, cost = out
            values = {}
            for t, row in enumerate(rows):
                values[self.c[t].Index()] = row[0]
                for v in range(self.V):
                    x = self.x[v][t]
                    if not isinstance(x, int):
                        values[x.Index()] = row[1 + v]
            solver = None
            if confirm:
                solver = self._confirm(values, settings)
            wall = time.perf_counter() - start
            status = "optimal" if settings.objective and chain else "feasible"
            stats = dict(base, status=status, method="chain" if chain else "beam",
                         solve_time=round(wall, 4),
                         deterministic_time=0.0)
            return self._read(stats, settings, solver=solver, values=values)
        if settings.objective and self.sm.penalties:
            self.m.Minimize(sum(w * e for _, w, e in self.sm.penalties))
        solver = solver_for(settings)
        code = solver.Solve(self.m)
        wall = time.perf_counter() - start
        status = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible",
                  cp_model.INFEASIBLE: "infeasible"}.get(code, "unknown")
        if status == "optimal" and not settings.objective:
            status = "feasible"
        stats = dict(base, status=status, method="cp-sat", solve_time=round(wall, 4),
                     deterministic_time=round(solver.response_proto.deterministic_time, 4))
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return ChoraleSolution(status, None, None, None, [], stats)
        return self._read(stats, settings, solver=solver)

    def _confirm(self, values: dict, settings: SolveSettings):
        """CP-SAT with every decision fixed: the chain's answer must satisfy the model."""
        for index, value in values.items():
            var = self.m.GetIntVarFromProtoIndex(index)
            self.m.Add(var == value)
        solver = solver_for(settings)
        solver.parameters.cp_model_probing_level = 0
        code = solver.Solve(self.m)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # pragma: no cover - a bug
            raise RuntimeError("the dynamic-programming harmonization violates the CP-SAT "
                               f"model ({solver.StatusName(code)}); please report this")
        return solver

    def _read(self, stats: dict, settings: SolveSettings, *, solver=None,
              values: dict | None = None) -> ChoraleSolution:
        def val(x):
            if isinstance(x, int):
                return x
            if solver is not None:
                return solver.Value(x)
            return values[x.Index()]

        by_rule: dict[str, int] = {}
        if solver is not None:
            for name, weight, expr in self.sm.penalties:
                value = expr if isinstance(expr, int) else solver.Value(expr)
                if value:
                    by_rule[name] = by_rule.get(name, 0) + weight * value
        stats["objective"] = float(sum(by_rule.values())) if settings.objective and \
            solver is not None else None
        stats["soft_costs"] = dict(sorted(by_rule.items()))
        pitches = [[self.P[val(x)] for x in xs] for xs in self.x]
        chords = [self.vocab[val(c)] for c in self.c]
        broles = []
        for t, ch in enumerate(chords):
            bass = pitches[-1][t]
            broles.append(ch.role_of((bass.step, bass.alter)))
        kidx = [self.vkey[val(c)] for c in self.c]
        keys = [self.keys[i] for i in kidx]
        home = self.prob.key
        local = [ch.label(r) for ch, r in zip(chords, broles)]
        labels = [lab if k == home else f"{lab}/{key_degree(home, k)}"
                  for lab, k in zip(local, keys)]
        cads = []
        for t in sorted(self.prob.cadences):
            if t == 0 or not self.prob.links[t - 1]:
                continue
            kind = cadence_kind(keys[t], chords[t - 1], chords[t])
            cads.append({"slot": t, "type": kind,
                         "key": str(cadence_key(keys[t], chords[t - 1], chords[t]))})
        mods = []
        for t in range(1, self.T):
            if kidx[t] == kidx[t - 1]:
                continue
            entry = {"slot": t, "from": str(keys[t - 1]), "to": str(keys[t])}
            if self.prob.links[t - 1]:
                old, new = keys[t - 1].m21_name, keys[t].m21_name
                fig = self.reading(chords[t], kidx[t - 1])
                g = self.graphs[kidx[t - 1]]
                if fig is not None and g.has_edge(chords[t - 1].figure, fig):
                    entry["pivot"] = f"{old}: {fig} = {new}: {chords[t].figure}"
                    entry["pivot_slot"] = t
                else:  # the chord before, read in the new key
                    entry["pivot"] = (f"{old}: {chords[t - 1].figure} = {new}: "
                                      f"{self.reading(chords[t - 1], kidx[t])}")
                    entry["pivot_slot"] = t - 1
            mods.append(entry)
        return ChoraleSolution(stats["status"], pitches, chords, labels, cads, stats,
                               keys=keys, local_labels=local, modulations=mods)


__all__ = ["ALL_CADENCES", "Canon", "ChoraleModel", "ChoraleSolution", "HarmonyProblem",
           "SATB_RANGES", "VoicePart", "melodic_ok", "pitch_class_name"]
