"""Form plans: the TOML a composer writes for ``stretto compose`` (cadence plan, key plan,
canon, motif recurrence, invertible counterpoint, fugue exposition), read and checked into a
:class:`FormSpec` (:mod:`stretto.solver.tonal.form` solves it).

The TOML schema (examples under ``examples/``)::

    [piece]
    title = "Canon at the octave"
    key = "D minor"            # or mode = "dorian", final = "D" (minor-third modes -> minor)
    meter = "4/4"              # 2/4, 3/4, 4/4, 3/2 ...
    bars = 8                   # the last bar holds the final chord
    beats_per_chord = 1        # harmonic rhythm (one note per voice per chord)
    style = "chorale"          # harmonic vocabulary: plain | chorale | chromatic
    tension = [0.2, 0.4, 0.8, 0.3]   # optional arc, 0 calm to 1 tense: one value per bar or
                               # per [[section]]; followed as a soft target (tension-arc)

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
    subject = "D4/2 A4 F4 D4 C#4 D4/2"     # PITCH (one chord) or PITCH/QUARTERS; leave it out
    answer = "tonal"           # (and give length = 6) for a subject stretto writes, answer = "real"
    order = ["Alto", "Soprano", "Bass"]    # entries, first to last; each voice rests until then
    countersubject = true      # invertible at the octave against the answer
    codetta = 2                # free chords before each entry after the answer (default 0)

Unknown tables and keys are errors naming the closest known one (:func:`check_plan_keys`).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from stretto.errors import BadInput
from stretto.modes import Mode
from stretto.pitch import Pitch
from stretto.score import parse_meter

from stretto.solver.tonal.chorale import ALL_CADENCES, SATB_RANGES, VoicePart
from stretto.solver.tonal.fugue import fugue_plan
from stretto.harmony import CADENCE_TYPES, Key, related_keys

MAX_SLOTS = 96
_INTERVAL = re.compile(r"^\s*([+-]?)\s*(P|M|m|A|d)(\d{1,2})\s*$")
_BASE = (0, 2, 4, 5, 7, 9, 11)


def parse_interval_steps(text: str) -> tuple[int, int]:
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
    style: str = "chorale"  # the harmonic style ([piece] style)
    tension: tuple = ()  # the tension arc per bar, 0..1 ([piece] tension), or empty

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
    "piece": frozenset({"title", "key", "mode", "final", "meter", "bars", "beats_per_chord",
                       "style", "tension"}),
    "voice": frozenset({"name", "range"}),
    "cadence": frozenset({"bar", "key", "type"}),
    "section": frozenset({"bars", "key", "cadence"}),
    "canon": frozenset({"leader", "follower", "interval", "transposition", "delay",
                        "from_bar", "to_bar"}),
    "recurrence": frozenset({"voice", "to_voice", "bars", "at_bar", "interval",
                             "transposition"}),
    "invertible": frozenset({"upper", "lower", "at", "bars", "again_at_bar"}),
    "fugue": frozenset({"subject", "answer", "countersubject", "length", "order", "codetta"}),
}
PLAN_ARRAYS = frozenset({"voice", "cadence", "section", "canon", "recurrence", "invertible"})

#: The type each key's value must have (keys not named here: a text or number, read as text).
_INT, _TEXT, _SPAN = "a whole number", "a text in quotes", "a pair of bars [FIRST, LAST]"
_TEXTS, _VOICE = "a text or a list of texts", "a voice name or number"
PLAN_TYPES: dict[tuple[str, str], str] = {
    **{("piece", k): _TEXT for k in ("title", "key", "mode", "final", "meter", "style")},
    ("piece", "tension"): "a list of numbers from 0 to 1",
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
    ("fugue", "countersubject"): "true or false", ("fugue", "codetta"): _INT,
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
    voices = _voices_of(data.get("voice") or [])
    spec0 = FormSpec(str(piece.get("title", name)), key, meter, bars, bpc, tuple(voices))
    slots = spec0.slots
    if bars < 2 or slots > MAX_SLOTS:
        raise BadInput(f"{bars} bars of {meter} make {slots} chords: give 2 to "
                       f"{MAX_SLOTS} chords (fewer bars, or a larger beats_per_chord)")
    plan = _PlanReader(spec0)  # the tables in the order the errors are reported
    cadences, canons = _cadences(data, plan), _canons(data, plan)
    recs = _recurrences(data, plan) + _inversions(data, plan)
    spec = FormSpec(spec0.title, key, meter, bars, bpc, tuple(voices), cadences,
                    tuple(canons), tuple(recs), {}, {}, *_style_and_arc(piece, data, bars))
    if "fugue" in data:
        spec = fugue_plan(spec, data["fugue"], plan.voice)
    return spec


def _voices_of(voices_d: list) -> list[VoicePart]:
    """The [[voice]] tables, top to bottom: 2 to 4, each named, with a range of a fifth or
    more (a singer's name gives its SATB range)."""
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
    return voices


class _PlanReader:
    """Reads a plan's bar numbers and voice names against the piece (one-line errors)."""

    def __init__(self, spec: FormSpec) -> None:
        self.spec = spec
        self.names = [v.name for v in spec.voices]

    def voice(self, n) -> int:
        if n not in self.names:
            raise BadInput(f"no voice named {n!r}; voices are {', '.join(self.names)}")
        return self.names.index(n)

    def bar(self, b, what) -> int:
        try:
            b = int(b)
        except (TypeError, ValueError):
            raise BadInput(f"{what}: bar must be a number") from None
        if not 1 <= b <= self.spec.bars:
            raise BadInput(f"{what}: bar {b} is outside the piece's {self.spec.bars} bars")
        return b

    def span(self, table: dict, what: str) -> tuple[int, int]:
        span = table.get("bars")
        if not span or len(span) != 2:
            raise BadInput(f"{what} needs bars = [FIRST, LAST]")
        return self.bar(span[0], what), self.bar(span[1], what)


def _cadences(data: dict, plan: _PlanReader) -> dict[int, tuple]:
    """[[cadence]] and [[section]] tables: bar -> (cadence kinds, key or None for home)."""
    key = plan.spec.key
    cadences: dict[int, tuple] = {}
    for c in data.get("cadence", []):
        b = plan.bar(c.get("bar"), "[[cadence]]")
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
        b = plan.bar(span[1], "[[section]]")
        sk = Key.parse(str(s["key"])) if "key" in s else None
        if sk is not None and sk != key and sk not in _related(key):
            raise BadInput(f"section key {sk} is not closely related to {key}: use "
                           f"{', '.join(str(k) for k in _related(key))}")
        kinds = _types(s.get("cadence", "authentic"))
        cadences[b] = (kinds, sk if sk != key else None)
    return cadences


_DELAY = re.compile(r"^\s*(\d+)\s*(bar|bars|beat|beats)\s*$")


def _canons(data: dict, plan: _PlanReader) -> list[tuple]:
    """[[canon]] tables: (leader, follower, delay in chords, steps, semitones or None for a
    diatonic copy, first bar, last bar)."""
    spec0, bpc = plan.spec, plan.spec.beats_per_chord
    canons = []
    for c in data.get("canon", []):
        lead, foll = plan.voice(c.get("leader")), plan.voice(c.get("follower"))
        if lead == foll:
            raise BadInput("a canon needs two different voices")
        steps, semis = parse_interval_steps(c.get("interval", "P8"))
        mode = str(c.get("transposition", "exact"))
        if mode not in ("exact", "diatonic"):
            raise BadInput(f"transposition {mode!r}: use exact or diatonic")
        m = _DELAY.match(str(c.get("delay", "1 bar")))
        if not m:
            raise BadInput(f"cannot read delay {c.get('delay')!r}: write \"1 bar\" or "
                           "\"2 beats\"")
        n = int(m.group(1)) * (spec0.beats_per_bar if m.group(2).startswith("bar") else 1)
        if n % bpc or n == 0:
            raise BadInput(f"canon delay of {n} beats is not a whole number of chords "
                           f"({bpc} beats each)")
        first = plan.bar(c.get("from_bar", 1), "[[canon]] from_bar")
        last = plan.bar(c.get("to_bar", spec0.bars), "[[canon]] to_bar")
        _final_chord_fits(spec0, last, n // bpc, f"[[canon]] to_bar = {last}")
        canons.append((lead, foll, n // bpc, steps, semis if mode == "exact" else None,
                       first, last))
    return canons


def _recurrences(data: dict, plan: _PlanReader) -> list[tuple]:
    """[[recurrence]] tables: (voice, first, last, to voice, at bar, steps, semitones)."""
    spec0, bars = plan.spec, plan.spec.bars
    recs = []
    for r in data.get("recurrence", []):
        v, to = plan.voice(r.get("voice")), plan.voice(r.get("to_voice", r.get("voice")))
        a, b = plan.span(r, "[[recurrence]]")
        at = plan.bar(r.get("at_bar"), "[[recurrence]] at_bar")
        if at + (b - a) > bars:
            raise BadInput(f"the recurrence of bars {a}-{b} at bar {at} runs past bar {bars}")
        if at > a:
            _final_chord_fits(spec0, b, spec0.slot_of(at) - spec0.slot_of(a),
                              f"[[recurrence]] of bars {a}-{b} at bar {at}")
        steps, semis = parse_interval_steps(r.get("interval", "P1"))
        mode = str(r.get("transposition", "exact"))
        recs.append((v, a, b, to, at, steps, semis if mode == "exact" else None))
    return recs


def _inversions(data: dict, plan: _PlanReader) -> list[tuple]:
    """[[invertible]] tables as two recurrences each: the upper line returns in the lower
    voice, down by the interval of inversion; the lower line returns in the upper voice, up
    by octaves to its register (diatonic)."""
    inversions = {"octave": 7, "tenth": 9, "twelfth": 11}
    voices, bars = plan.spec.voices, plan.spec.bars
    recs = []
    for inv in data.get("invertible", []):
        up, low = plan.voice(inv.get("upper")), plan.voice(inv.get("lower"))
        if up >= low:
            raise BadInput("[[invertible]]: the upper voice must be above the lower voice")
        at = str(inv.get("at", "octave"))
        if at not in inversions:
            raise BadInput(f"[[invertible]] at = {at!r}: use octave, tenth or twelfth")
        a, b = plan.span(inv, "[[invertible]]")
        again = plan.bar(inv.get("again_at_bar"), "[[invertible]] again_at_bar")
        if again + (b - a) > bars or a <= again <= b:
            raise BadInput(f"[[invertible]]: bars {a}-{b} cannot return inverted at bar "
                           f"{again} inside {bars} bars")
        steps = inversions[at]
        vu, vl = voices[up], voices[low]
        octs = round(((vu.low.midi + vu.high.midi) - (vl.low.midi + vl.high.midi)) / 24)
        recs.append((up, a, b, low, again, -steps, None))
        recs.append((low, a, b, up, again, 7 * octs, None))
    return recs


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


def _style_and_arc(piece: dict, data: dict, bars: int) -> tuple[str, tuple]:
    """``[piece] style`` (checked) and ``[piece] tension`` as one value per bar: given per
    bar, or per ``[[section]]`` (each section's value over its bars; bars no section covers
    take the previous section's)."""
    from stretto.harmony import check_style

    style = check_style(str(piece.get("style", "chorale")))
    arc = piece.get("tension")
    if arc is None:
        return style, ()
    if not isinstance(arc, list) or not arc or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x <= 1
            for x in arc):
        raise BadInput("[piece] tension should be a list of numbers from 0 (calm) to 1 (tense)")
    sections = data.get("section", [])
    if len(arc) == bars:
        return style, tuple(float(x) for x in arc)
    if sections and len(arc) == len(sections):
        ends = [int(s["bars"][1]) for s in sections]
        per_bar, k = [], 0
        for b in range(1, bars + 1):
            while k < len(ends) - 1 and b > ends[k]:
                k += 1
            per_bar.append(float(arc[k]))
        return style, tuple(per_bar)
    raise BadInput(f"[piece] tension has {len(arc)} values: give one per bar ({bars})"
                   + (f" or one per [[section]] ({len(sections)})" if sections else ""))


__all__ = ["FormSpec", "check_plan_keys", "copy_end", "form_from_dict", "load_form",
           "parse_interval_steps", "read_form_data"]
