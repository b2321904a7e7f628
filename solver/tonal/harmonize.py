"""Harmonize a melody in four parts: slots from the melody's beats, the chorale model, a score.

:func:`harmonize` takes a :class:`~stretto.io.melody.Melody` and returns a
:class:`~stretto.solver.cpsat.settings.SolveResult` whose piece has the voices Soprano (the melody,
exactly as given, origin ``human``), Alto, Tenor and Bass (origin ``solver``), and
``info["harmony"]`` with the key, the analysis per beat (written as MusicXML ``<harmony>``
Roman numerals by :mod:`stretto.io.numerals`) and the cadences. Phrase ends: every fermata,
every note before a rest, and the last note; each closes with a cadence, except a phrase
ending before a rest (not on a fermata) whose note no cadence chord of the key can hold: it
ends without one, and ``stats["uncadenced"]`` names it.

Harmonic rhythm: one chord per beat (``beats_per_chord`` beats per chord when given). A
melody note that starts between two chord onsets (an eighth, the short note of a dotted
rhythm) is a passing or neighbour tone over the chord of its beat; the chord contains the note
sounding at its onset.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from stretto.errors import BadInput, Unsatisfiable
from stretto.io.melody import Melody
from stretto.pitch import Pitch
from stretto.score import Note, Piece, Voice, make_voice

from stretto.solver.tonal.chorale import (ALL_CADENCES, SATB_RANGES, ChoraleModel, HarmonyProblem,
    VoicePart)
from stretto.harmony import Key, chord, key_candidates, related_keys
from stretto.solver.cpsat.settings import SolveResult, SolveSettings

MAX_SLOTS = 400


def _sounding(notes, t: Fraction):
    for n in notes:
        if n.onset <= t < n.end:
            return n
    return None


def plan_slots(melody: Melody, beats_per_chord: int = 1):
    """(onsets, ends, fixed soprano pitches, links, cadence slots, downbeat slots)."""
    notes = sorted(melody.notes, key=lambda n: n.onset)
    step = melody.beat_length * beats_per_chord
    end = max(n.end for n in notes)
    fermata_spans = []
    for n in notes:
        # a fermata note, and the last note before a rest or at the end (a phrase's last
        # note), with the notes tied to it, holds one chord: the cadence arrives on its onset
        stop = n.end
        for m in notes:
            if m.onset == stop and m.tie in ("stop", "continue") and m.midi == n.midi:
                stop = m.end
        if n.onset in melody.fermatas or (n.tie not in ("stop", "continue")
                                          and _sounding(notes, stop) is None):
            fermata_spans.append((n.onset, stop))
    onsets: list[Fraction] = []
    t = Fraction(0)
    while t < end:
        inside = any(a < t < b for a, b in fermata_spans)
        if _sounding(notes, t) is not None and not inside:
            onsets.append(t)
        t += step
    # a note entering after a rest between chord onsets gets a chord of its own
    for n in notes:
        prev = _sounding(notes, n.onset - Fraction(1, 64)) if n.onset > 0 else None
        if prev is None and n.onset not in onsets:
            onsets.append(n.onset)
    onsets = sorted(set(onsets))
    if len(onsets) < 2:
        raise BadInput("the melody is too short to harmonize: give at least two beats")
    if len(onsets) > MAX_SLOTS:
        raise BadInput(f"the melody has {len(onsets)} beats; stretto harmonizes at most "
                       f"{MAX_SLOTS} at once: split it into sections")
    ends, links = [], []
    for i, a in enumerate(onsets):
        b = onsets[i + 1] if i + 1 < len(onsets) else end
        # the chord lasts while the melody sounds without a rest
        stop = a
        while stop < b:
            n = _sounding(notes, stop)
            if n is None:
                break
            stop = min(n.end, b) if n.end > stop else b
        ends.append(stop)
        links.append(i + 1 < len(onsets) and stop == b)
    fixed = [_sounding(notes, a).pitch for a in onsets]
    cad = set()
    for i, a in enumerate(onsets):
        if any(fa <= a < fb for fa, fb in fermata_spans) and (
                i == 0 or not any(fa <= onsets[i - 1] < fb for fa, fb in fermata_spans)):
            cad.add(i)
        if not links[i]:
            cad.add(i)
    downbeats = frozenset(i for i, a in enumerate(onsets) if a % melody.bar_length == 0)
    return onsets, ends, fixed, links, sorted(cad), downbeats


def appoggiaturas(melody: Melody, onsets, ends) -> tuple:
    """(0, slot, pitch) for every slot whose melody note starts on the beat, is shorter than
    the chord, and moves by step to the next note inside the chord's span: that note may be
    an accented non-chord tone (appoggiatura, accented passing tone) resolving to ``pitch``."""
    notes = sorted(melody.notes, key=lambda n: n.onset)
    out = []
    for t, (a, e) in enumerate(zip(onsets, ends)):
        n = _sounding(notes, a)
        if n is None or n.onset != a or n.end >= e:
            continue
        m = _sounding(notes, n.end)
        if m is not None and m.onset == n.end and abs(m.pitch.diatonic - n.pitch.diatonic) == 1:
            out.append((0, t, m.pitch))
    return tuple(out)


def melody_tails(melody: Melody, onsets, links) -> tuple:
    """(0, slot, pitch) for every linked slot whose melody sounds another note just before the
    next slot than at its own onset (a note between the beats, an appoggiatura's resolution):
    the voice leading into the next slot is judged from that note."""
    notes = sorted(melody.notes, key=lambda n: n.onset)
    out = []
    for t, linked in enumerate(links):
        if not linked:
            continue
        a, b = onsets[t], onsets[t + 1]
        last = [n for n in notes if a <= n.onset < b and n.end >= b]
        head = _sounding(notes, a)
        if last and head is not None and last[-1].pitch != head.pitch:
            out.append((0, t, last[-1].pitch))
    return tuple(out)


def phrase_keys(key: Key, fixed, cads) -> tuple:
    """The keys each slot's chord may be in: the home key, and in the second half of a phrase
    (at least its last three chords) the closely related keys whose tonic triad holds the
    phrase's last melody note, so a phrase may modulate there and cadence in the new key. The
    last phrase stays at home."""
    out = [(key,)] * len(fixed)
    start = 0
    for c in sorted(cads):
        if c == len(fixed) - 1:
            break
        note = (fixed[c].step, fixed[c].alter)
        cands = tuple(k for k in related_keys(key) if note in
                      chord(k, "I" if k.mode == "major" else "i").tones[:3])
        first = max(start, min(c - 2, start + (c - start + 1) // 2))
        for t in range(first, c + 1):
            out[t] = (key,) + cands
        start = c + 1
    return tuple(out)


def melody_keys(melody: Melody) -> list[Key]:
    """Candidate keys of the melody, most likely first."""
    ps = [n.pitch for n in melody.notes]
    return key_candidates(ps, [float(n.duration) for n in melody.notes])


def melody_key(melody: Melody) -> Key:
    return melody_keys(melody)[0]


def harmonize(melody: Melody, settings: SolveSettings = SolveSettings(), *,
              key: Key | None = None, beats_per_chord: int = 1,
              ornament: bool = False, style: str = "chorale",
              rhythm: str = "chords") -> SolveResult:
    """Harmonize ``melody`` in four parts (see the module text) in the harmonic ``style``
    (plain, chorale or chromatic: :func:`stretto.harmony.vocabulary`); ``rhythm="free"``
    gives the lower voices rhythms of their own (:mod:`stretto.solver.tonal.rhythm`). Raises
    :class:`BadInput` for a melody no chord of the key fits, :class:`Unsatisfiable` when no
    harmonization obeys every hard rule; a result with ``piece=None`` when none was found in
    time."""
    keys = [key] if key is not None else melody_keys(melody)
    first_error: Exception | None = None
    for k in keys:
        try:
            sol, names, onsets, ends = _solve_in(melody, k, settings, beats_per_chord, style)
        except (BadInput, Unsatisfiable) as exc:
            first_error = first_error or exc
            continue
        key = k
        break
    else:
        assert first_error is not None
        hint = ("; the plain style has no chromatic chord for a note outside the key: try "
                "--style chorale") if style == "plain" and isinstance(first_error, BadInput) \
            else ""
        if isinstance(first_error, BadInput) and len(keys) > 1:
            raise BadInput(f"the melody fits none of its likely keys "
                           f"({', '.join(map(str, keys))}); in {keys[0]}: {first_error}{hint}")
        if hint:
            raise BadInput(f"{first_error}{hint}")
        raise first_error
    stats = dict(sol.stats)
    stats["key"] = str(key)
    if sol.pitches is None:
        return SolveResult(status=sol.status, piece=None, objective=None, bound=None,
                           wall_time=stats["solve_time"], stats=stats)
    piece = build_piece(melody, key, onsets, ends, sol, stats, names, ornament=ornament,
                        rhythm=rhythm)
    return SolveResult(status=sol.status, piece=piece, objective=stats.get("objective"),
                       bound=None, wall_time=stats["solve_time"], stats=stats)


def _solve_in(melody: Melody, key: Key, settings: SolveSettings, beats_per_chord: int,
              style: str = "chorale"):
    prob, names, onsets, ends = problem_in(melody, key, beats_per_chord, style)
    model = ChoraleModel(prob, slot_names=names)
    sol = model.solve(settings)
    if sol.status == "infeasible":
        raise Unsatisfiable(
            f"no four-part harmonization in {key} obeys every hard rule (chord tones, "
            "progression, cadences at every phrase end, voice leading): try --key, or "
            "--beats-per-chord 2", ("cadence-plan", "progression", "parallel-perfect"))
    return sol, names, onsets, ends


def problem_in(melody: Melody, key: Key, beats_per_chord: int = 1, style: str = "chorale"):
    """The chorale problem of ``melody`` in ``key`` and harmonic ``style``: (problem, slot
    names, onsets, ends)."""
    onsets, ends, fixed, links, cads, downbeats = plan_slots(melody, beats_per_chord)
    lo = min(p.midi for p in fixed)
    voices = [VoicePart("Soprano", min(fixed, key=lambda p: p.midi),
                        max(fixed, key=lambda p: p.midi), tuple(fixed))]
    for name in ("Alto", "Tenor", "Bass"):
        a, b = SATB_RANGES[name]
        voices.append(VoicePart(name, Pitch.parse(a), Pitch.parse(b)))
    if lo < Pitch.parse("G3").midi:  # no soprano line (the alto's lowest note): exit 3
        raise range_conflict(melody, key) or BadInput(
            f"the melody falls to {min(fixed, key=lambda p: p.midi).name}, below the alto's "
            "range (G3): pass --transpose auto")
    prob = HarmonyProblem(key=key, voices=tuple(voices), slots=len(onsets),
                          links=tuple(links), cadences={t: ALL_CADENCES for t in cads},
                          downbeats=downbeats, keys_at=phrase_keys(key, fixed, cads),
                          appoggiaturas=appoggiaturas(melody, onsets, ends),
                          tails=melody_tails(melody, onsets, links),
                          optional_cadences=frozenset(
                              t for t in cads if t < len(onsets) - 1
                              and onsets[t] not in melody.fermatas),
                          final_prolongs=len(onsets) >= 3 and onsets[-1] % melody.bar_length != 0
                          and onsets[-2] // melody.bar_length == onsets[-1] // melody.bar_length
                          and onsets[-2] % melody.bar_length == 0, style=style)
    bar = melody.bar_length
    first = 0 if melody.pickup_shift else 1  # a pickup is bar 0, as in the source
    names = []
    for a in onsets:
        b, off = divmod(a, bar)
        names.append(f"bar {int(b) + first} beat {off + 1}")
    return prob, names, onsets, ends


TIMING_KEYS = ("solve_time", "deterministic_time")


def build_piece(melody: Melody, key: Key, onsets, ends, sol, stats, names, *,
                ornament: bool = False, title: str | None = None,
                melody_voice: Voice | None = None, rhythm: str = "chords",
                previous: Piece | None = None) -> Piece:
    bar = melody.bar_length
    soprano = melody_voice or Voice("Soprano", notes=melody.notes, role="melody")
    if melody.graces and not soprano.graces:  # grace notes stay with the melody, unjudged
        soprano = replace(soprano, graces=melody.graces)
    voices = [soprano]
    # bar numbers as in the source: a pickup is bar 0 (Piece.bar_beat)
    first = 0 if melody.pickup_shift else 1
    names = [f"bar {int(a // bar) + first} beat {a % bar + 1}" for a in onsets]
    lines = sol.pitches[1:]
    free = None
    if rhythm == "free":  # the lower voices in rhythms of their own
        from stretto.solver.tonal.rhythm import harmony_rhythm

        lines_notes, free = harmony_rhythm(
            sol.pitches, onsets, ends, key, [(n.onset, n.end, n.pitch) for n in
                                             soprano.sounding()],
            [(0, 127)] + [tuple(Pitch.parse(x).midi for x in SATB_RANGES[v])
                          for v in ("Alto", "Tenor", "Bass")],
            keep=None if previous is None else [[(n.onset, n.end, n.pitch) for n in
                                                 v.sounding()] for v in previous.voices])
    elif ornament:
        lines_notes = ornament_lines(sol.pitches, onsets, ends, key, melody)
    else:
        lines_notes = [[(p, a, e - a) for p, a, e in zip(ps, onsets, ends)] for ps in lines]
    for vi, (name, notes) in enumerate(zip(("Alto", "Tenor", "Bass"), lines_notes), start=1):
        built: list[Note] = []
        for p, a, d in notes:
            v = make_voice(name, [p], [d], start=a, bar_length=bar, id_prefix="x")
            built.extend(v.notes)
        # the Roman numerals are info["harmony"]["analysis"], written as MusicXML <harmony>
        # under the bass by stretto.io.musicxml, not lyrics (which are sung words)
        built = [replace(n, id=f"v{vi}n{k}") for k, n in enumerate(built)]
        voices.append(Voice(name, notes=tuple(built), role="harmony"))
    analysis = sol.analysis(onsets, names)
    for e, a, p in zip(analysis, onsets, sol.pitches[0]):
        given = _sounding(melody.notes, a)
        if given is not None and given.pitch != p:
            e["melody_tone"] = p.name  # the appoggiatura's resolution, the chord tone
    cadences = [dict(c, onset=str(onsets[c["slot"]]), where=names[c["slot"]])
                for c in sol.cadences]
    recorded = {k: v for k, v in stats.items() if k not in TIMING_KEYS}
    info = {"style": "chorale", "solver": recorded,
            "harmony": {"key": str(key), "analysis": analysis, "cadences": cadences,
                        "modulations": sol.modulations, "melody_voice": 0, "pickup_shift": str(melody.pickup_shift),
                        "fermatas": sorted(str(f) for f in melody.fermatas),
                        "ornament": ornament}}
    if sol.style != "chorale":  # the harmonic style, where it is not the default (edits too)
        info["harmony"]["style"] = sol.style
    if free is not None:  # the lower voices' own rhythms (--rhythm free)
        info["harmony"]["rhythm"] = "free"
        info["rhythm"] = free
    return Piece(voices=tuple(voices), mode=key.church_mode, meter=melody.meter,
                 tempo=melody.tempo, title=title or f"{melody.title} (harmonized)", info=info,
                 anacrusis=melody.anacrusis)


def ornament_lines(pitches, onsets, ends, key: Key, melody: Melody):
    """Passing tones in the lower voices: where a voice moves by a third between two linked
    beats of a quarter or longer, its second half becomes the diatonic note between, unless
    that makes a parallel or direct perfect interval at any onset, a crossing, or a unison or
    octave against another voice (:func:`stretto.solver.tonal.onsets.fits`, judged against every
    note of every voice, the melody's as written and the passing tones already placed)."""
    from stretto.solver.tonal.onsets import fits

    mode = key.church_mode
    T = len(onsets)
    V = len(pitches)
    lines = [[(n.onset, n.end, n.pitch) for n in sorted(melody.notes, key=lambda n: n.onset)]]
    lines += [[(a, e, p) for p, a, e in zip(pitches[vi], onsets, ends)] for vi in range(1, V)]
    for vi in range(1, V):
        for t in range(T - 1):
            a, e, p = onsets[t], ends[t], pitches[vi][t]
            if e != onsets[t + 1] or e - a < 1 or \
                    abs(pitches[vi][t + 1].diatonic - p.diatonic) != 2:
                continue
            q = pitches[vi][t + 1]
            mid = mode.diatonic_pitch((p.diatonic + q.diatonic) // 2)
            if key.mode == "minor" and mode.degree(mid) in (6, 7):
                continue  # keep clear of the augmented second in minor
            half = a + (e - a) / 2
            line = lines[vi]
            k = line.index((a, e, p))
            trial = line[:k] + [(a, half, p), (half, e, mid)] + line[k + 1:]
            if fits(lines[:vi] + [trial] + lines[vi + 1:], vi, (half, e, mid)):
                lines[vi] = trial
    return [[(p, a, e - a) for a, e, p in line] for line in lines[1:]]


__all__ = ["build_piece", "harmonize", "melody_key", "plan_slots", "problem_in"]


# ---------------------------------------------------------------------------- the soprano's range
# A melody is harmonized where a soprano sings it, C4-G5. One outside it is refused (exit 3),
# naming the range and the transposition that would bring it in; ``--transpose`` moves it
# there and the interval is kept with the project (``spec["transpose"]``) so that the score can
# be moved back (see docs/modes-and-ranges.md).

from stretto.pitch import Interval, Transposition  # noqa: E402 - this section's own names

SOPRANO_LOW, SOPRANO_HIGH = (Pitch.parse(p) for p in SATB_RANGES["Soprano"])
MAX_KEY_ACCIDENTALS = 6  # a transposed key with more sharps or flats is no sensible choice


def melody_span(melody: Melody) -> tuple[Pitch, Pitch]:
    """The melody's lowest and highest notes (grace notes included: they are sung too)."""
    pitches = [n.pitch for n in (*melody.notes, *melody.graces)]
    return min(pitches, key=lambda p: p.midi), max(pitches, key=lambda p: p.midi)


def _fits(melody: Melody, semitones: int) -> bool:
    low, high = melody_span(melody)
    return SOPRANO_LOW.midi <= low.midi + semitones and high.midi + semitones <= SOPRANO_HIGH.midi


def transpose_key(key: Key, move: Transposition) -> Key:
    """``key`` moved by ``move`` (G major up a P4 is C major). BadInput for a tonic that
    would need a double sharp or flat."""
    tonic = move.apply(Pitch(4, key.tonic_class[0], key.tonic_class[1]))
    if abs(tonic.alter) > 1:
        raise BadInput(f"{key} moved {move.words()} has the tonic {tonic.name[:-1]}: "
                       "choose another interval")
    return Key(tonic.name.rstrip("0123456789"), key.mode)


def auto_transposition(melody: Melody, key: Key | None = None) -> Transposition | None:
    """The smallest move that brings ``melody`` into the soprano's range C4-G5 and keeps a
    sensible key signature: by octaves if one fits (the key stays), otherwise into the
    nearest key (fewest semitones; of two spellings, the key with fewer sharps or flats, at
    most six). ``key`` defaults to the melody's likeliest key. P1 when it already fits; None
    when nothing can (the melody spans more than the range)."""
    if _fits(melody, 0):
        return Transposition(0, 0)
    for octaves in (1, -1, 2, -2):
        if _fits(melody, 12 * octaves):
            return Transposition(7 * octaves, 12 * octaves)
    key = key or melody_key(melody)
    best: tuple | None = None
    for semitones in sorted(range(-24, 25), key=lambda s: (abs(s), -s)):
        if semitones % 12 == 0 or not _fits(melody, semitones):
            continue
        for generic in range(-14, 15):
            move = Transposition(generic, semitones)
            if (generic > 0) != (semitones > 0) or not _spelled(move):
                continue
            try:
                new = transpose_key(key, move)
                for n in (*melody.notes, *melody.graces):
                    move.apply(n.pitch)
            except BadInput:
                continue
            fifths = abs(new.church_mode.fifths)
            if fifths <= MAX_KEY_ACCIDENTALS and (best is None or
                                                 (abs(semitones), fifths) < best[0]):
                best = ((abs(semitones), fifths), move)
        if best is not None:
            return best[1]
    return None


def _spelled(move: Transposition) -> bool:
    """A real interval (its quality P, M, m, A or d), as one writes it."""
    quality = Interval(abs(move.generic), abs(move.semitones)).quality
    return quality in ("P", "M", "m", "A", "d")


def transpose_melody(melody: Melody, move: Transposition) -> Melody:
    """Every note (and grace note) moved by ``move``; rhythm, ties and fermatas kept."""
    return replace(melody,
                   notes=tuple(replace(n, pitch=move.apply(n.pitch)) for n in melody.notes),
                   graces=tuple(replace(g, pitch=move.apply(g.pitch)) for g in melody.graces))


def range_conflict(melody: Melody, key: Key | None = None, *,
                   move: Transposition | None = None) -> Unsatisfiable | None:
    """None when the melody (moved by ``move``, ``--transpose``, when given) lies in the
    soprano's range C4-G5; otherwise the one-line :class:`Unsatisfiable` naming its lowest or
    highest note, the range, and the option that fixes it: ``--transpose auto`` and the
    interval auto would choose for the melody as given."""
    low, high = melody_span(melody if move is None else transpose_melody(melody, move))
    if low.midi >= SOPRANO_LOW.midi and high.midi <= SOPRANO_HIGH.midi:
        return None
    span = f"the soprano's range {SOPRANO_LOW.name}-{SOPRANO_HIGH.name}"
    head = f"moved {move.words()}, " if move is not None else ""
    if high.midi - low.midi > SOPRANO_HIGH.midi - SOPRANO_LOW.midi:
        return Unsatisfiable(
            f"{head}the melody spans {low.name}-{high.name}, wider than {span}: no "
            "transposition brings it into a soprano's voice; give a narrower melody",
            (f"the melody {low.name}-{high.name}", span))
    far, where = (low, "below") if low.midi < SOPRANO_LOW.midi else (high, "above")
    fix = auto_transposition(melody, key)
    option = "--transpose auto" + (f" (or --transpose {fix.name})" if fix is not None else "")
    return Unsatisfiable(f"{head}the melody reaches {far.name}, {where} {span}: pass {option}",
                         (f"the melody reaches {far.name}", span))
