"""Form as constraints: ``stretto compose SPEC.toml`` (cadence plan, key plan, canon, motif
recurrence, fugue exposition) on the chorale model of :mod:`stretto.solver.chorale`.

The TOML schema (examples under ``examples/``)::

    [piece]
    title = "Canon at the octave"
    key = "D minor"            # or mode = "dorian", final = "D" (minor-third modes -> minor)
    meter = "4/4"              # 2/4, 3/4, 4/4, 3/2 ...
    bars = 8                   # the last bar holds the final chord
    beats_per_chord = 1        # harmonic rhythm (one note per voice per chord)

    [[voice]]                  # top to bottom, 2 to 4 voices
    name = "Soprano"
    range = ["C4", "G5"]       # optional for Soprano/Alto/Tenor/Bass

    [[cadence]]                # phrase plan: the cadence's last chord on beat 1 of `bar`
    bar = 4
    type = "half"              # authentic | half | plagal | deceptive (or a list)
    key = "F major"            # optional: a closely related key: the music modulates there

    [[section]]                # key plan: each section closes with a cadence in its key
    bars = [1, 4]
    key = "F major"            # home or a closely related key (relative, dominant, ...)
    cadence = "authentic"

A cadence in a related key (``[[cadence]] key`` or a section's key) is a real modulation:
the passage from the chord after the previous cadence to it leaves the home key halfway
through a pivot (a chord read in both keys, or the new key's dominant reached as V/x), its
second half is in the new key (its diatonic chords, analysed as ``F: V7``), the cadence is
in it, and after it the music returns home through a pivot.

    [[canon]]                  # strict imitation, note for note
    leader = "Soprano"
    follower = "Bass"
    interval = "-P8"           # spelled interval, exact by default
    transposition = "exact"    # or "diatonic": the same number of letter steps in the key
    delay = "1 bar"            # or "2 beats"
    # from_bar / to_bar: optional span of the leader (default: the whole piece)

    [[recurrence]]             # motif recurrence: bars 1-2 of the soprano return in the bass
    voice = "Soprano"
    bars = [1, 2]
    to_voice = "Bass"
    at_bar = 5
    interval = "-P5"
    transposition = "exact"

    [[invertible]]             # invertible counterpoint: the pair returns with the voices
    upper = "Soprano"          # exchanged: the upper line below, down by the interval of
    lower = "Bass"             # inversion, the lower line above, up by octaves
    at = "octave"              # octave | tenth | twelfth
    bars = [1, 2]
    again_at_bar = 5

    [fugue]                    # fugue exposition (see :func:`fugue_plan`)
    subject = "D4 A4 F4 D4 C#4 D4 E4 F4"   # one note per chord slot; leave it out (and give
    answer = "tonal"           # length = 6) for a subject stretto writes, with answer = "real"
    order = ["Alto", "Soprano", "Bass"]    # entries, first to last
    countersubject = true      # invertible at the octave against the answer

Melodies are generated where nothing is given: every voice is a variable, with soft rules for
a singable line (few repeated notes, steps over leaps) on top of the chorale model's rules.
One note per voice per chord; the last bar is one whole chord. The canon's follower equals the
leader transposed and delayed, note for note (checked by :func:`stretto.check.check`).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from stretto.errors import BadInput, Unsatisfiable
from stretto.modes import Mode
from stretto.pitch import Pitch, parse_pitches
from stretto.score import Piece, Voice, make_voice, parse_meter

from stretto.solver.chorale import ALL_CADENCES, SATB_RANGES, Canon, HarmonyProblem, VoicePart
from stretto.solver.harmony import CADENCE_TYPES, Key, related_keys
from stretto.solver.spec import SolveResult, SolveSettings

MAX_SLOTS = 96
_INTERVAL = re.compile(r"^\s*([+-]?)\s*(P|M|m|A|d)(\d{1,2})\s*$")
_BASE = (0, 2, 4, 5, 7, 9, 11)


def parse_interval(text: str) -> tuple[int, int]:
    """``-P8`` -> (letter steps, semitones) = (-7, -12); ``M3`` -> (2, 4)."""
    m = _INTERVAL.match(str(text))
    if not m:
        raise BadInput(f"cannot read interval {text!r}: write it like P8, -P5, M3 or -m6")
    sign, q, n = m.groups()
    g = int(n) - 1
    if g < 0:
        raise BadInput(f"impossible interval {text!r}")
    simple = g % 7
    semis = _BASE[simple] + 12 * (g // 7)
    perfect = simple in (0, 3, 4)
    if perfect and q in ("M", "m") or not perfect and q == "P":
        raise BadInput(f"impossible interval {text!r}: unisons, fourths, fifths and octaves "
                       "are P, A or d; the others M, m, A or d")
    semis += {"P": 0, "M": 0, "m": -1, "A": 1, "d": -1 if perfect else -2}[q]
    s = -1 if sign == "-" else 1
    return s * g, s * semis


@dataclass(frozen=True)
class FormSpec:
    title: str
    key: Key
    meter: str
    bars: int
    beats_per_chord: int
    voices: tuple[VoicePart, ...]
    cadences: dict = field(default_factory=dict, hash=False)  # bar -> (types, key | None)
    canons: tuple = ()  # (leader, follower, delay_slots, steps, semitones|None, from, to)
    recurrences: tuple = ()  # (voice, bar_a, bar_b, to_voice, at_bar, steps, semis|None)
    fixed: dict = field(default_factory=dict, hash=False)  # (voice, slot) -> Pitch
    fugue: dict = field(default_factory=dict, hash=False)

    @property
    def beats_per_bar(self) -> int:
        num, den = parse_meter(self.meter)
        return num

    @property
    def slots_per_bar(self) -> int:
        return self.beats_per_bar // self.beats_per_chord

    @property
    def slots(self) -> int:
        return (self.bars - 1) * self.slots_per_bar + 1

    def slot_of(self, bar: int, beat: int = 1) -> int:
        return (bar - 1) * self.slots_per_bar + (beat - 1) // self.beats_per_chord


def _key_of(piece: dict) -> Key:
    if "key" in piece:
        return Key.parse(str(piece["key"]))
    if "mode" in piece:
        mode = Mode(str(piece["mode"]), str(piece.get("final", "C")))
        minor = mode.name in ("dorian", "phrygian", "aeolian")
        return Key(mode.final, "minor" if minor else "major")
    raise BadInput("the [piece] table needs key = \"D minor\" (or mode and final)")


def _types(value) -> tuple[str, ...]:
    kinds = (value,) if isinstance(value, str) else tuple(value)
    for k in kinds:
        if k not in CADENCE_TYPES:
            raise BadInput(f"unknown cadence type {k!r}: use {', '.join(CADENCE_TYPES)}")
    return kinds


def load_form(path: str | Path) -> FormSpec:
    """Read and validate a form plan (raises :class:`BadInput` naming the problem)."""
    return form_from_dict(read_form_data(path), Path(path).stem)


def read_form_data(path: str | Path) -> dict:
    """The TOML of a form plan as plain data (kept in a composition's score.json)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{path.name} is not valid TOML: {exc}") from None


#: The tables of a form plan and the keys each may hold. Anything else is a typo that would
#: otherwise drop a cadence or a canon without a word.
PLAN_KEYS: dict[str, frozenset[str]] = {
    "piece": frozenset({"title", "key", "mode", "final", "meter", "bars", "beats_per_chord"}),
    "voice": frozenset({"name", "range"}),
    "cadence": frozenset({"bar", "key", "type"}),
    "section": frozenset({"bars", "key", "cadence"}),
    "canon": frozenset({"leader", "follower", "interval", "transposition", "delay",
                        "from_bar", "to_bar"}),
    "recurrence": frozenset({"voice", "to_voice", "bars", "at_bar", "interval",
                             "transposition"}),
    "invertible": frozenset({"upper", "lower", "at", "bars", "again_at_bar"}),
    "fugue": frozenset({"subject", "answer", "countersubject", "length", "order"}),
}
PLAN_ARRAYS = frozenset({"voice", "cadence", "section", "canon", "recurrence", "invertible"})

#: The type each key's value must have (keys not named here: a text or number, read as text).
_INT, _TEXT, _SPAN = "a whole number", "a text in quotes", "a pair of bars [FIRST, LAST]"
_TEXTS, _VOICE = "a text or a list of texts", "a voice name or number"
PLAN_TYPES: dict[tuple[str, str], str] = {
    **{("piece", k): _TEXT for k in ("title", "key", "mode", "final", "meter")},
    ("piece", "bars"): _INT, ("piece", "beats_per_chord"): _INT,
    ("voice", "name"): _TEXT, ("voice", "range"): "a pair of pitches [\"LOW\", \"HIGH\"]",
    ("cadence", "bar"): _INT, ("cadence", "key"): _TEXT, ("cadence", "type"): _TEXTS,
    ("section", "bars"): _SPAN, ("section", "key"): _TEXT, ("section", "cadence"): _TEXTS,
    ("canon", "leader"): _VOICE, ("canon", "follower"): _VOICE, ("canon", "delay"): _TEXT,
    ("canon", "transposition"): _TEXT, ("canon", "from_bar"): _INT, ("canon", "to_bar"): _INT,
    ("recurrence", "voice"): _VOICE, ("recurrence", "to_voice"): _VOICE,
    ("recurrence", "bars"): _SPAN, ("recurrence", "at_bar"): _INT,
    ("recurrence", "transposition"): _TEXT,
    ("invertible", "upper"): _VOICE, ("invertible", "lower"): _VOICE,
    ("invertible", "at"): _TEXT, ("invertible", "bars"): _SPAN,
    ("invertible", "again_at_bar"): _INT,
    ("fugue", "subject"): _TEXT, ("fugue", "answer"): _TEXT, ("fugue", "length"): _INT,
    ("fugue", "order"): "a list of voice names or numbers",
    ("fugue", "countersubject"): "true or false",
}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _has_type(value, kind: str) -> bool:
    if kind == _INT:
        return _is_int(value)
    if kind == _TEXT:
        return isinstance(value, str)
    if kind == _SPAN:
        return isinstance(value, list) and len(value) == 2 and all(map(_is_int, value))
    if kind == _TEXTS:
        return isinstance(value, str) or (isinstance(value, list) and bool(value) and all(
            isinstance(v, str) for v in value))
    if kind == _VOICE:
        return isinstance(value, str) or _is_int(value)
    if kind.startswith("a pair of pitches"):
        return isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, str) for v in value)
    if kind.startswith("a list of voice"):
        return isinstance(value, list) and all(isinstance(v, str) or _is_int(v) for v in value)
    if kind == "true or false":
        return isinstance(value, bool)
    return True


def _closest(word: str, known) -> str | None:
    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return close[0] if close else None


def _toml_value(value) -> str:
    text = json.dumps(value) if not isinstance(value, bool) else str(value).lower()
    return text if len(text) <= 40 else text[:37] + "..."


def check_plan_keys(data: dict) -> None:
    """BadInput naming the first unknown table or key of a form plan and the closest known
    one, or a table written with the wrong brackets; ranges ``bars = [FIRST, LAST]`` must
    not run backwards."""
    for table, body in data.items():
        if not isinstance(body, (dict, list)):
            raise BadInput(f"{table} = ... stands outside any table: put it under [piece] "
                           "(or the table it belongs to)")
        if table not in PLAN_KEYS:
            close = _closest(table, PLAN_KEYS)
            hint = "" if close is None else \
                f": did you mean {f'[[{close}]]' if close in PLAN_ARRAYS else f'[{close}]'}?"
            shown = f"[[{table}]]" if isinstance(body, list) else f"[{table}]"
            raise BadInput(f"unknown table {shown}{hint}")
        many = table in PLAN_ARRAYS
        if many != isinstance(body, list):
            right = f"[[{table}]]" if many else f"[{table}]"
            raise BadInput(f"write the {table} table as {right}")
        for row in (body if many else [body]):
            if not isinstance(row, dict):
                raise BadInput(f"{table} must be a table of keys")
            for key in row:
                if key not in PLAN_KEYS[table]:
                    close = _closest(key, PLAN_KEYS[table])
                    hint = f": did you mean {close!r}?" if close else \
                        f" (known: {', '.join(sorted(PLAN_KEYS[table]))})"
                    raise BadInput(f"unknown key {key!r} in [{table}]{hint}")
            for key, value in row.items():
                kind = PLAN_TYPES.get((table, key))
                if kind is None and isinstance(value, (dict, list, bool)) and key != "interval":
                    kind = "a text or a number"
                if kind is not None and not _has_type(value, kind):
                    raise BadInput(f"[{table}] {key} = {_toml_value(value)} should be {kind}")
            span = row.get("bars")
            if isinstance(span, list) and len(span) == 2 and all(
                    isinstance(b, int) for b in span) and span[0] > span[1]:
                raise BadInput(f"[{table}] bars = [{span[0]}, {span[1]}] runs backwards: "
                               f"write [{span[1]}, {span[0]}]")


def form_from_dict(data: dict, name: str = "form") -> FormSpec:
    check_plan_keys(data)
    piece = data.get("piece")
    if not isinstance(piece, dict):
        raise BadInput("the plan needs a [piece] table with key, meter and bars")
    key = _key_of(piece)
    meter = str(piece.get("meter", "4/4"))
    num, _ = parse_meter(meter)
    bpc = int(piece.get("beats_per_chord", 1))
    if bpc < 1 or num % bpc:
        raise BadInput(f"beats_per_chord = {bpc} does not divide the {num} beats of {meter}")
    try:
        bars = int(piece.get("bars", 8))
    except (TypeError, ValueError):
        raise BadInput("bars must be a whole number") from None
    voices_d = data.get("voice") or []
    if not 2 <= len(voices_d) <= 4:
        raise BadInput(f"give 2 to 4 [[voice]] tables (top to bottom), not {len(voices_d)}")
    voices = []
    for v in voices_d:
        vname = str(v.get("name", ""))
        if not vname:
            raise BadInput("every [[voice]] needs a name")
        rng = v.get("range") or SATB_RANGES.get(vname)
        if not rng or len(rng) != 2:
            raise BadInput(f"voice {vname}: give range = [\"LOW\", \"HIGH\"]")
        low, high = Pitch.parse(rng[0]), Pitch.parse(rng[1])
        if high.midi - low.midi < 7:
            raise BadInput(f"voice {vname}: range {rng[0]}-{rng[1]} is too narrow (give at "
                           "least a fifth)")
        voices.append(VoicePart(vname, low, high))
    names = [v.name for v in voices]
    if len(set(names)) != len(names):
        raise BadInput("voice names must differ")

    def voice_index(n) -> int:
        if n not in names:
            raise BadInput(f"no voice named {n!r}; voices are {', '.join(names)}")
        return names.index(n)

    spec0 = FormSpec(str(piece.get("title", name)), key, meter, bars, bpc, tuple(voices))
    slots = spec0.slots
    if bars < 2 or slots > MAX_SLOTS:
        raise BadInput(f"{bars} bars of {meter} make {slots} chords: give 2 to "
                       f"{MAX_SLOTS} chords (fewer bars, or a larger beats_per_chord)")

    def bar_ok(b, what) -> int:
        try:
            b = int(b)
        except (TypeError, ValueError):
            raise BadInput(f"{what}: bar must be a number") from None
        if not 1 <= b <= bars:
            raise BadInput(f"{what}: bar {b} is outside the piece's {bars} bars")
        return b

    cadences: dict[int, tuple] = {}
    for c in data.get("cadence", []):
        b = bar_ok(c.get("bar"), "[[cadence]]")
        if b == 1:
            raise BadInput("[[cadence]] bar 1: a cadence needs a chord before it")
        ck = Key.parse(str(c["key"])) if "key" in c else None
        if ck is not None and ck != key and ck not in _related(key):
            raise BadInput(f"cadence key {ck} is not closely related to {key}: use "
                           f"{', '.join(str(k) for k in _related(key))}")
        cadences[b] = (_types(c.get("type", list(ALL_CADENCES))), ck if ck != key else None)
    for s in data.get("section", []):
        span = s.get("bars")
        if not span or len(span) != 2:
            raise BadInput("[[section]] needs bars = [FIRST, LAST]")
        b = bar_ok(span[1], "[[section]]")
        sk = Key.parse(str(s["key"])) if "key" in s else None
        if sk is not None and sk != key and sk not in _related(key):
            raise BadInput(f"section key {sk} is not closely related to {key}: use "
                           f"{', '.join(str(k) for k in _related(key))}")
        kinds = _types(s.get("cadence", "authentic"))
        cadences[b] = (kinds, sk if sk != key else None)
    delay_re = re.compile(r"^\s*(\d+)\s*(bar|bars|beat|beats)\s*$")
    canons = []
    for c in data.get("canon", []):
        lead, foll = voice_index(c.get("leader")), voice_index(c.get("follower"))
        if lead == foll:
            raise BadInput("a canon needs two different voices")
        steps, semis = parse_interval(c.get("interval", "P8"))
        mode = str(c.get("transposition", "exact"))
        if mode not in ("exact", "diatonic"):
            raise BadInput(f"transposition {mode!r}: use exact or diatonic")
        m = delay_re.match(str(c.get("delay", "1 bar")))
        if not m:
            raise BadInput(f"cannot read delay {c.get('delay')!r}: write \"1 bar\" or "
                           "\"2 beats\"")
        n = int(m.group(1)) * (spec0.beats_per_bar if m.group(2).startswith("bar") else 1)
        if n % bpc or n == 0:
            raise BadInput(f"canon delay of {n} beats is not a whole number of chords "
                           f"({bpc} beats each)")
        first = bar_ok(c.get("from_bar", 1), "[[canon]] from_bar")
        last = bar_ok(c.get("to_bar", bars), "[[canon]] to_bar")
        _final_chord_fits(spec0, last, n // bpc, f"[[canon]] to_bar = {last}")
        canons.append((lead, foll, n // bpc, steps, semis if mode == "exact" else None,
                       first, last))
    recs = []
    for r in data.get("recurrence", []):
        v, to = voice_index(r.get("voice")), voice_index(r.get("to_voice", r.get("voice")))
        span = r.get("bars")
        if not span or len(span) != 2:
            raise BadInput("[[recurrence]] needs bars = [FIRST, LAST]")
        a, b = bar_ok(span[0], "[[recurrence]]"), bar_ok(span[1], "[[recurrence]]")
        at = bar_ok(r.get("at_bar"), "[[recurrence]] at_bar")
        if at + (b - a) > bars:
            raise BadInput(f"the recurrence of bars {a}-{b} at bar {at} runs past bar {bars}")
        if at > a:
            _final_chord_fits(spec0, b, spec0.slot_of(at) - spec0.slot_of(a),
                              f"[[recurrence]] of bars {a}-{b} at bar {at}")
        steps, semis = parse_interval(r.get("interval", "P1"))
        mode = str(r.get("transposition", "exact"))
        recs.append((v, a, b, to, at, steps, semis if mode == "exact" else None))
    inversions = {"octave": 7, "tenth": 9, "twelfth": 11}
    for inv in data.get("invertible", []):
        up, low = voice_index(inv.get("upper")), voice_index(inv.get("lower"))
        if up >= low:
            raise BadInput("[[invertible]]: the upper voice must be above the lower voice")
        at = str(inv.get("at", "octave"))
        if at not in inversions:
            raise BadInput(f"[[invertible]] at = {at!r}: use octave, tenth or twelfth")
        span = inv.get("bars")
        if not span or len(span) != 2:
            raise BadInput("[[invertible]] needs bars = [FIRST, LAST]")
        a, b = bar_ok(span[0], "[[invertible]]"), bar_ok(span[1], "[[invertible]]")
        again = bar_ok(inv.get("again_at_bar"), "[[invertible]] again_at_bar")
        if again + (b - a) > bars or a <= again <= b:
            raise BadInput(f"[[invertible]]: bars {a}-{b} cannot return inverted at bar "
                           f"{again} inside {bars} bars")
        steps = inversions[at]
        # the upper line returns in the lower voice, down by the interval of inversion; the
        # lower line returns in the upper voice, up by octaves to its register (diatonic)
        vu, vl = voices[up], voices[low]
        octs = round(((vu.low.midi + vu.high.midi) - (vl.low.midi + vl.high.midi)) / 24)
        recs.append((up, a, b, low, again, -steps, None))
        recs.append((low, a, b, up, again, 7 * octs, None))
    spec = FormSpec(spec0.title, key, meter, bars, bpc, tuple(voices), cadences,
                    tuple(canons), tuple(recs), {}, {})
    if "fugue" in data:
        spec = fugue_plan(spec, data["fugue"], voice_index)
    return spec


def _final_chord_fits(spec: FormSpec, last: int, delay: int, what: str) -> None:
    """BadInput when the answer to the leader's bars up to ``last`` (``delay`` slots later)
    would fall inside the final bar after its first beat: the final bar holds one chord, so
    no voice can answer a line there. ``last`` = the final bar means "up to the end": the
    imitation then stops at the final chord (see :func:`copy_end`)."""
    if last >= spec.bars or spec.slot_of(last + 1) + delay <= spec.slots:
        return
    fits = [b for b in range(1, last) if spec.slot_of(b + 1) + delay <= spec.slots]
    raise BadInput(f"{what}: the answer to bar {last} would fall in bar {spec.bars}, which "
                   "holds the final chord alone; "
                   + (f"end it by bar {fits[-1]}" if fits else "shorten the delay")
                   + (" (or leave to_bar out: the canon then runs up to the final chord)"
                      if what.startswith("[[canon]]") else ""))


def copy_end(spec: FormSpec, last: int, delay: int) -> int:
    """The slot after the leader's last imitated slot: the end of bar ``last``, or earlier
    where the answer would fall past the final chord (the final bar holds one chord)."""
    end = spec.slot_of(last + 1) if last < spec.bars else spec.slots
    return min(end, spec.slots - delay)


def _related(key: Key) -> list[Key]:
    return related_keys(key)


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
    return FormSpec(spec.title, spec.key, spec.meter, spec.bars, spec.beats_per_chord,
                    spec.voices, spec.cadences, spec.canons, tuple(recs), fixed, meta)


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
    return FormSpec(spec.title, spec.key, spec.meter, spec.bars, spec.beats_per_chord,
                    spec.voices, spec.cadences, spec.canons, spec.recurrences, spec.fixed,
                    meta)


# --------------------------------------------------------------------------- solve


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
    from stretto.solver.harmony import vocabulary

    figures = {c.figure for c in vocabulary(spec.key) if c.function in ("T", "PD", "D", "F")}
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
                          holds=tuple((0, t) for t in sorted(holds)),
                          consonant=len(voices) <= 3)


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
    from stretto.solver.chorale import ChoraleModel

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
    against the other voices (:func:`stretto.solver.onsets.fits`), and in two or three voices
    an anticipation only where it is consonant."""
    from stretto.solver.onsets import fits

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


def slot_names(spec: FormSpec) -> list[str]:
    """"bar B beat K" of every chord slot."""
    names = []
    for t in range(spec.slots):
        b, k = divmod(t, spec.slots_per_bar)
        names.append(f"bar {b + 1} beat {k * spec.beats_per_chord + 1}")
    return names


def form_piece(spec: FormSpec, prob: HarmonyProblem, sol, stats: dict) -> Piece:
    """The score of a solved plan: the voices, and ``info`` with the analysis (the numerals
    shown under the bass), the cadences and the form (canons, recurrences, fugue)."""
    bar_len = Fraction(4 * spec.beats_per_bar, parse_meter(spec.meter)[1])
    slot_len = bar_len / spec.slots_per_bar
    names = slot_names(spec)
    onsets = [t * slot_len for t in range(spec.slots)]
    durations = [slot_len] * (spec.slots - 1) + [bar_len]
    voices = []
    _, holds = melody_plan(spec)
    for vi, (v, line) in enumerate(zip(spec.voices, sol.pitches)):
        pitches, durs = line, durations
        if vi == 0 and prob.holds:
            pitches, durs = _rhythm(spec, sol.pitches, holds, slot_len, durations)
        built = make_voice(v.name, pitches, durs, bar_length=bar_len, role="free",
                           id_prefix=f"v{vi}n")
        # the Roman numerals (info["harmony"]["analysis"]) are written as MusicXML <harmony>
        # under the lowest voice by stretto.io.musicxml, not as lyrics
        notes = list(built.notes)
        voices.append(Voice(v.name, tuple(notes), role="free"))
    analysis = sol.analysis(onsets, names)
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
                         for k, v in spec.fugue.items()}
    timing = ("solve_time", "deterministic_time")
    info = {"style": "composition",
            "solver": {k: v for k, v in stats.items() if k not in timing},
            "harmony": {"key": str(spec.key), "analysis": analysis, "cadences": cadences,
                        "modulations": sol.modulations, "melody_voice": None,
                        "phrase_ends": [str(onsets[t]) for t in sorted(prob.cadences)],
                        "ranges": {v.name: [v.low.name, v.high.name] for v in spec.voices}},
            "form": form}
    return Piece(voices=tuple(voices), mode=spec.key.church_mode, meter=spec.meter,
                 tempo=Fraction(96), title=spec.title, info=info)


__all__ = ["FormSpec", "compose", "form_from_dict", "form_piece", "fugue_plan", "load_form",
           "parse_interval", "read_form_data", "real_answer", "recurrence_pairs", "slot_names",
           "tonal_answer"]
