"""The chorale model's variables: a chord per slot and, per voice, a pitch, tied together by
one table per slot of every voicing that obeys the vertical rules (chord tones, complete
chords, doubling, the bass's inversion, range, spacing, no crossing). Enumerating the voicings
here, rather than stating each rule as a constraint, keeps the model small. A mixin of
:class:`~stretto.solver.tonal.chorale.ChoraleModel`."""

from __future__ import annotations

from stretto.errors import BadInput
from stretto.pitch import Interval, Pitch

from stretto.solver.tonal.chorale_problem import VoicePart
from stretto.harmony import FIFTH, ROOT, SEVENTH, THIRD, Chord
from stretto.solver.cpsat.model import LineVars


class VoicingMixin:
    """Chord domains, voice variables and the voicing tables."""

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

    def _chords(self) -> None:
        """The chord domain of every slot, its chord variable ``c`` and indicators ``y``."""
        prob, m, sm = self.prob, self.m, self.sm
        T = self.T
        last = T - 1
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
        self.c = [sm.new_int(domains[t], f"chord at {self._where(t)}") for t in range(T)]
        self.y = []
        for t in range(T):
            row = {}
            for k in domains[t]:
                row[k] = self._bool(f"chord at {self._where(t)} is {self.vocab[k].figure} ({k})")
            m.AddExactlyOne(row.values())
            m.Add(self.c[t] == sum(k * b for k, b in row.items()))
            self.y.append(row)

    def _voices(self) -> None:
        """The voices' pitch variables and, per slot, the table of every allowed voicing
        (variables are made in a fixed order: the order is part of the deterministic answer)."""
        doms = self._pitch_variables()
        names = [voice.name for voice in self.prob.voices]
        self.lt = [[self._bool(f"{names[v]} {self._where(t)} leading tone")
                    for t in range(self.T)] for v in range(self.V)]
        self.sev = [[self._bool(f"{names[v]} {self._where(t)} seventh") for t in range(self.T)]
                    for v in range(self.V)]
        self._voicing_tables(doms)
        P, m = self.P, self.m
        for vi, t, x, mid, dia in self._xmd:
            m.AddAllowedAssignments([x, mid, dia], [(i, P[i].midi, P[i].diatonic)
                                                    for i in self.sm.domain_of(x)])

    def _pitch_variables(self) -> list[list[int]]:
        """Each voice's pitch, MIDI and letter-step variables per slot (a given note is a
        constant; an appoggiatura's slot chooses the note or its resolution); the pitch
        indices each voice's range allows."""
        prob, m, sm = self.prob, self.m, self.sm
        T, P = self.T, self.P
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
                    x = sm.new_int(sorted(P.index(p) for p in opts),
                                   f"{v.name} {self._where(t)} pitch")
                    mid = m.NewIntVar(min(p.midi for p in opts), max(p.midi for p in opts),
                                      f"{v.name} {self._where(t)} midi")
                    dia = m.NewIntVar(0, 70, f"{v.name} {self._where(t)} letter step")
                    self._xmd.append((vi, t, x, mid, dia))
                    xs.append(x)
                    mids.append(mid)
                    dias.append(dia)
                    continue
                x = sm.new_int([P.index(self.pinned[vi, t])] if (vi, t) in self.pinned
                               else doms[vi], f"{v.name} {self._where(t)} pitch")
                mid = m.NewIntVar(v.low.midi, v.high.midi, f"{v.name} {self._where(t)} midi")
                dia = m.NewIntVar(0, 70, f"{v.name} {self._where(t)} letter step")
                self._xmd.append((vi, t, x, mid, dia))
                xs.append(x)
                mids.append(mid)
                dias.append(dia)
            self.x.append(xs)
            self.midi.append(mids)
            self.dia.append(dias)
            sm.lines.append(LineVars(index=vi, name=v.name, species=None, domain=doms[vi],
                                 x=list(xs)))
        return doms

    def _voicing_tables(self, doms: list[list[int]]) -> None:
        """Per slot, every allowed voicing as one row of a table over the chord, the free
        voices' pitches, the leading-tone and seventh flags, the bass role, the undoubled
        root and the pair flags (parallel fifths and octaves at the onset and before the
        next beat). Each slot's voicing is one row of a table of every vertical arrangement
        that obeys the static rules (chord tones, completeness, doubling, inversion, range,
        spacing, crossing); enumerating them here keeps the model small."""
        prob, m = self.prob, self.m
        V, T = self.V, self.T
        domains = self.domains
        names = [voice.name for voice in prob.voices]
        self.rows_count = 0
        self.slot_rows: list[list[tuple]] = []
        self.perf, self.perf_tail = {}, {}
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
            brole = m.NewIntVar(0, 3, f"bass role at {self._where(t)}")
            lack = self._bool(f"root undoubled at {self._where(t)}")
            pcols, tcols, tkeep = [], [], []
            base = 3 + 3 * V  # where a row's pair flags start (see _voicings)
            npairs = V * (V - 1) // 2
            for i in range(V):
                for j in range(i + 1, V):
                    pair = f"{names[i]}-{names[j]} at {self._where(t)}"
                    p5, p8 = self._bool(f"fifth {pair}"), self._bool(f"octave {pair}")
                    self.perf[i, j, t] = (p5, p8)
                    pcols += [p5, p8]
                    if (i, t) in self.tail or (j, t) in self.tail:
                        q = base + 2 * npairs + len(pcols) - 2
                        t5, t8 = self._bool(f"fifth {pair}, before the next"), \
                            self._bool(f"octave {pair}, before the next")
                        self.perf_tail[i, j, t] = (t5, t8)
                        tcols += [t5, t8]
                        tkeep += [q, q + 1]
                    else:
                        self.perf_tail[i, j, t] = (p5, p8)
            cols = [self.c[t]] + [self.x[v][t] for v in free] + \
                [self.lt[v][t] for v in range(V)] + [self.sev[v][t] for v in range(V)] + \
                [brole, lack] + pcols + tcols
            keep = [0] + [1 + v for v in free] + \
                list(range(1 + V, base + len(pcols))) + tkeep
            m.AddAllowedAssignments(cols, sorted({tuple(r[i] for i in keep) for r in rows}))
            self.brole.append(brole)
            self.lack.append(lack)

    def _no_chord_message(self, t: int) -> str:
        given = [f"{v.name} {v.fixed[t].name}" for v in self.prob.voices if v.fixed is not None]
        where = self._where(t)
        return (f"no chord of {self.prob.key} contains {', '.join(given)} at {where}: the "
                "melody leaves the key there; pass --key, or change the note")

    def _texture(self, t: int, pair_index) -> tuple[list, list, int, list]:
        """The texture that sounds at slot ``t``: the voice pairs heard, the voices that
        sound, the lowest of them, and the pairs that must invert at the octave there. A
        resting voice (a fugue's voice before its entry) is no part of it, and a fourth is
        dissonant against the lowest voice that sounds."""
        resting = {v for v, s in self.prob.rests if s == t}
        sound = [v for v in range(self.V) if v not in resting]
        heard = [(i, j) for i, j in pair_index if i not in resting and j not in resting]
        inverted = [(i, j) for i, j, s in self.prob.invertible if s == t]
        return heard, sound, sound[-1] if sound else self.V - 1, inverted

    def _voicings(self, t: int, k: int, doms) -> list[tuple]:
        """Rows (x per voice, lt per voice, seventh per voice, bass role, root-doubling
        lacking) of every voicing of chord ``k`` at slot ``t`` that obeys the vertical rules."""
        ch, V = self.vocab[k], self.V
        cands = self._candidates(t, ch, doms)
        if cands is None:
            return []
        cands[-1] = [o for o in cands[-1] if o[2] in self._bass_roles(t, ch)]
        pair_index = [(i, j) for i in range(V) for j in range(i + 1, V)]
        heard, sound, lowest, inverted = self._texture(t, pair_index)
        search = _VoicingSearch(
            ch=ch, P=self.P, V=V, cands=cands, last=t == self.T - 1, pair_index=pair_index,
            # a given voice is judged by the note it sounds at the slot's onset (an
            # appoggiatura, not its resolution) and, into the next slot, by its last note
            heads=[self.sounded(vi, t) for vi in range(V)],
            tails=[self.last_given(vi, t) for vi in range(V)],
            consonant=self.prob.consonant, heard=heard, sound=sound, lowest=lowest,
            inverted=inverted)
        search.descend(0)
        return search.out

    def _candidates(self, t: int, ch, doms) -> list[list[tuple]] | None:
        """Per voice, the (pitch index, MIDI, chord role) it may sound at slot ``t`` in chord
        ``ch``, high to low for a free voice; None when a given or pinned note is no tone of
        the chord."""
        P, prob = self.P, self.prob
        by_class = {tone: r for r, tone in enumerate(ch.tones) if tone is not None}
        cands = []
        for vi, v in enumerate(prob.voices):
            if v.fixed is not None:
                p = self._given(v, vi, t, ch)
                if p is None:
                    return None
                r = ch.role_of((p.step, p.alter))
                cands.append([(P.index(p), p.midi, r)])
            elif (vi, t) in self.pinned:
                p = self.pinned[vi, t]
                r = by_class.get((p.step, p.alter))
                if r is None:
                    return None
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
        return cands

    def _bass_roles(self, t: int, ch) -> set[int]:
        """The chord roles the bass may take: any of a seventh chord's, the third of a
        diminished triad, root or third of another triad, a chromatic chord's one inversion;
        the root at a cadence and at the end."""
        if ch.is_seventh:
            bass_ok = {ROOT, THIRD, FIFTH, SEVENTH}
        elif ch.quality == "diminished":
            bass_ok = {THIRD}
        else:
            bass_ok = {ROOT, THIRD}
        if ch.bass_roles is not None:  # N6, It6, Fr43: their one inversion
            bass_ok &= ch.bass_roles
        if t in self.prob.cadences or t == self.T - 1:
            bass_ok &= {ROOT}
        return bass_ok


class _VoicingSearch:
    """Every voicing of one chord at one slot, top voice down (candidates high to low, so
    spacing cuts a branch short): :meth:`descend` keeps crossing, spacing and the bass's need
    for the missing root, third or seventh; :meth:`leaf` the doubling, completeness, leading
    tone, consonance and inversion rules, and appends the row to :attr:`out`."""

    def __init__(self, *, ch, P, V: int, cands, last: bool, pair_index, heads, tails,
                 consonant: bool, heard, sound, lowest, inverted) -> None:
        self.ch, self.P, self.V, self.cands, self.last = ch, P, V, cands, last
        self.pair_index, self.heads, self.tails = pair_index, heads, tails
        self.consonant, self.heard, self.sound = consonant, heard, sound
        self.lowest, self.inverted = lowest, inverted
        self.is7 = int(ch.is_seventh)
        self.plain = not ch.is_seventh and ch.quality in ("major", "minor")
        self.out: list[tuple] = []
        self.chosen: list[tuple] = []

    def complete(self, roles: list[int]) -> bool:
        """Root (and third, and the fifth or seventh in four voices) present; the seventh
        exactly once in a seventh chord, never doubled."""
        V, is7 = self.V, self.is7
        n = [roles.count(r) for r in range(4)]
        if V >= 2 and n[ROOT] < 1:
            return False
        if V >= 3 and n[THIRD] < 1:
            return False
        if V >= 4:
            if n[SEVENTH] != is7:
                return False
            if not self.last and n[FIFTH] + is7 < 1:
                return False
        return not (n[SEVENTH] > is7 or n[SEVENTH] > 1)

    def leaf(self) -> None:
        chosen, P, V = self.chosen, self.P, self.V
        roles = [o[2] for o in chosen]
        if not self.complete(roles):
            return
        lts = [int(r == self.ch.lt_role) for r in roles]
        if sum(lts) > 1:
            return
        n_root = roles.count(ROOT)
        lack = int(V >= 4 and self.plain and roles[-1] == ROOT and n_root < 2)
        at = [h or P[o[0]] for h, o in zip(self.heads, chosen)]
        end = [h or P[o[0]] for h, o in zip(self.tails, chosen)]
        if self.consonant and not all(Interval.between(at[i], at[j]).is_consonant(
                fourth_ok=len(self.sound) >= 3 and j != self.lowest) for i, j in self.heard):
            return
        if any((at[i].midi - at[j].midi) % 12 == 7 for i, j in self.inverted):
            return  # a fifth would invert at the octave into a fourth
        pairs, tail_pairs = [], []
        for i, j in self.pair_index:
            d = at[i].midi - at[j].midi
            pairs += [int(d % 12 == 7), int(d % 12 == 0)]
            d = end[i].midi - end[j].midi
            tail_pairs += [int(d % 12 == 7), int(d % 12 == 0)]
        self.out.append(tuple(o[0] for o in chosen) + tuple(lts)
                        + tuple(int(r == SEVENTH) for r in roles) + (roles[-1], lack)
                        + tuple(pairs) + tuple(tail_pairs))

    def descend(self, v: int) -> None:
        V, chosen = self.V, self.chosen
        if v == V:
            self.leaf()
            return
        spaced = V >= 3 and v <= min(2, V - 2)  # upper voices (not above the bass)
        above = chosen[-1][1] if chosen else None
        if v == V - 1 and V >= 3:
            have = {o[2] for o in chosen}
            need = {r for r in (ROOT, THIRD) if r not in have}
            if V >= 4 and self.is7 and SEVENTH not in have:
                need.add(SEVENTH)
            if len(need) > 1:
                return
        else:
            need = set()
        for o in self.cands[v]:
            if above is not None:
                if o[1] > above:
                    continue  # crossing
                if spaced and above - o[1] > 12:
                    break  # spacing (candidates run high to low)
            if need and o[2] not in need:
                continue
            chosen.append(o)
            self.descend(v + 1)
            chosen.pop()
