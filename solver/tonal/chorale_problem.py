"""The chorale model's problem and solution: the voices, canons and plan a harmonization must
obey (:class:`HarmonyProblem`), what the solver returns (:class:`ChoraleSolution`), and the
small facts both sides share (SATB ranges, cadence types, the melodic intervals allowed, the
note pairs of a canon, the hash of the rules in force)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from stretto.pitch import Interval, Pitch
from stretto.rulebook import RULES

from stretto.harmony import Chord, Key

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
    :meth:`~stretto.solver.tonal.chorale.ChoraleModel.edge`). ``appoggiaturas``: (voice, slot,
    pitch) where the given note on the beat may be an accented non-chord tone resolving by
    step, within the beat, to ``pitch`` (used only where no chord holds the note on the
    beat). ``tails``: (voice, slot, pitch) where a given voice's last note before slot t+1's
    onset differs from its note at slot t's onset (a melody note between the beats, an
    appoggiatura's resolution): voice leading into slot t+1 is judged from that note, so no
    parallel or direct perfect interval hides between the beats. ``consonant``: every two
    voices sound a consonance at every slot (two- and three-voice textures, where all voices
    attack together and a dissonance a chord label names would be bare; a fourth is consonant
    between upper voices); dissonance enters only as the treated notes added between the
    slots (passing tones)."""

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
    tails: tuple = ()  # (voice, slot, Pitch): a given voice's last note before slot + 1
    consonant: bool = False  # every pair consonant at every slot (2-3 voice textures)
    # inner phrase ends (a note before a rest) that close without a cadence where no cadence
    # of the key can hold the melody's note there
    optional_cadences: frozenset = frozenset()
    # the last note starts after the final bar's downbeat (the slot before it): when no
    # cadence fits on it, the cadence arrives on that downbeat and the last note prolongs it
    final_prolongs: bool = False
    # the harmonic style: the chord vocabulary (plain, chorale or chromatic; see
    # stretto.harmony.vocabulary), with the chromatic chords' resolutions as hard rules
    style: str = "chorale"
    # a tension arc to follow (soft rule tension-arc): a target in 0..1 per slot (None: free)
    tension: tuple = ()
    # (voice, slot): the voice rests there (a fugue's voice before its entry); the
    # consonance of a two- or three-voice texture is judged between the voices that sound
    rests: tuple = ()
    # (upper, lower, slot): the pair must invert at the octave (no fifth, which would invert
    # into a fourth): a fugue's countersubject against its theme
    invertible: tuple = ()


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
    style: str = "chorale"  # the harmonic style it was solved in

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


def chorale_rules_hash() -> str:
    text = ";".join(f"{r.name}:{r.kind}:{r.weight}" for r in RULES if r.name.startswith(
        ("satb-", "chord-", "progression", "cadence-", "canon")) or r.name in (
        "parallel-perfect", "direct-perfect", "crossing", "overlap"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def chorale_melodic_ok(dd: int, ds: int) -> bool:
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
