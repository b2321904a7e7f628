"""The rulebook: every counterpoint rule stretto knows, by name, as a textbook lists them.

This is the one list of rule names. The CP-SAT solver (``stretto.solver``) adds constraints or
objective terms under these names, the independent checker (``stretto.check``) reports violations
under the same names, and conflict explanations quote the ``text``. Hard rules are guaranteed by
the solver; soft rules are weighted preferences (``weight`` is the default objective weight).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str  # "hard" | "soft"
    text: str  # one plain sentence, as a teacher would say it
    weight: int = 0  # default weight of a soft rule in the objective


RULES: tuple[Rule, ...] = (
    # --- hard: vertical -------------------------------------------------------------------
    Rule("consonance", "hard",
         "notes that begin together, and every downbeat, must be consonant (no seconds, sevenths, "
         "tritones, or fourths above the bass)"),
    Rule("dissonance-treatment", "hard",
         "a dissonance is allowed only as a passing tone, neighbour note or cambiata on a weak "
         "beat, as the species permits"),
    Rule("suspension", "hard",
         "a suspended dissonance must be prepared by a consonance and resolve down by step "
         "(7-6, 4-3, 9-8 above; 2-3 below)"),
    Rule("treated-dissonance", "hard",
         "in two or three voices a dissonance struck between two voices must be treated: a "
         "passing or neighbour tone, a suspension prepared and resolved down by step, or an "
         "appoggiatura resolved by step; a chord label never excuses it"),
    Rule("parallel-perfect", "hard",
         "no parallel fifths, octaves or unisons between any two voices"),
    Rule("downbeat-parallels", "hard",
         "no fifths or octaves on successive downbeats unless the voice leaps a fourth or more "
         "between them"),
    Rule("direct-perfect", "hard",
         "the outer voices may not move in similar motion into a fifth or octave"),
    Rule("first-interval", "hard",
         "the first interval is perfect (unison, fifth or octave; below the cantus only unison or "
         "octave)"),
    Rule("cadence", "hard",
         "the piece closes with a clausula vera: the voices move by step in contrary motion from "
         "a sixth to an octave (or third to unison), with the leading tone raised where the mode "
         "needs it, ending on a perfect consonance"),
    Rule("crossing", "hard", "voices may not cross"),
    Rule("overlap", "hard", "a voice may not move past the previous note of a neighbouring voice"),
    Rule("unison", "hard", "no unison except on the first and last note (first species)"),
    # --- hard: melodic --------------------------------------------------------------------
    Rule("melodic-interval", "hard",
         "melodic intervals: no augmented or diminished intervals, no sevenths, no major sixth, "
         "minor sixth only ascending, nothing larger than an octave"),
    Rule("leap-span", "hard",
         "two successive leaps in the same direction may not span more than an octave"),
    Rule("range", "hard", "each voice stays within its range (a tenth by default)"),
    Rule("diatonic", "hard",
         "only the notes of the mode, plus musica ficta (raised leading tone at cadences, the "
         "flattened fourth-degree tritone partner)"),
    Rule("ficta", "hard",
         "a raised leading tone must rise by step to the final; the leading tone before the "
         "final cadence is raised"),
    Rule("false-relation", "hard",
         "a line may not use a note and its chromatic alteration (B and B-flat) within a bar"),
    Rule("rhythm", "hard", "the rhythm follows the species (and ties only where it allows)"),
    Rule("repetition", "hard", "no repeated notes where the species forbids them"),
    # --- hard: tonal four-part harmony (chorales, compositions) -----------------------------
    Rule("chord-tones", "hard",
         "on every beat each voice sings a tone of the beat's chord, and the bass the tone its "
         "inversion names"),
    Rule("chord-complete", "hard",
         "every chord has its root and third (the fifth unless it is a seventh chord or the "
         "last chord), and a seventh chord its seventh"),
    Rule("doubling", "hard", "never double the leading tone or a chordal seventh"),
    Rule("inversion", "hard",
         "triads in root position or first inversion, diminished triads in first inversion, "
         "cadence chords in root position"),
    Rule("progression", "hard",
         "chords come from the key's vocabulary, and the Picardy third only ends a piece"),
    Rule("cadence-plan", "hard",
         "every phrase end (a fermata, a rest, the last note or a planned cadence) closes with a "
         "cadence of an allowed type: authentic, half, plagal or deceptive"),
    Rule("satb-range", "hard",
         "each voice stays in its range (alto G3-D5, tenor C3-A4, bass D2-D4 unless given)"),
    Rule("spacing", "hard",
         "soprano and alto, and alto and tenor, are at most an octave apart"),
    Rule("satb-direct", "hard",
         "the outer voices may not move in similar motion into a fifth or octave unless the "
         "soprano moves by step"),
    Rule("satb-melodic", "hard",
         "no augmented melodic interval (augmented second) but the chromatic semitone, no "
         "sevenths, nothing beyond an octave, no diminished interval but the diminished fifth"),
    Rule("leading-tone", "hard",
         "a leading tone in an added voice rises by semitone to its goal when the goal chord "
         "follows (an inner voice may fall to the goal's fifth)"),
    Rule("seventh-resolution", "hard",
         "a chordal seventh falls by step (or is held while the chord stays)"),
    Rule("tendency-tone", "hard",
         "chromatic style: in an added voice, an augmented sixth expands by semitones to the "
         "octave on the dominant, and the Neapolitan's flat second and a borrowed flat sixth "
         "fall by step (or are held while the chord stays)"),
    Rule("canon", "hard",
         "the follower sings the leader's notes transposed by the canon's interval, the "
         "canon's delay later, note for note"),
    Rule("recurrence", "hard",
         "a planned motif recurrence (or fugue answer) repeats its model transposed, note for "
         "note"),
    # --- soft -----------------------------------------------------------------------------
    Rule("imperfect-preferred", "soft", "prefer imperfect consonances to perfect ones", 3),
    Rule("contrary-motion", "soft", "prefer contrary and oblique motion to similar motion", 2),
    Rule("steps-over-leaps", "soft", "prefer steps to leaps", 2),
    Rule("leap-recovery", "soft",
         "after a leap larger than a third, move by step in the opposite direction", 4),
    Rule("single-climax", "soft", "each voice has one highest note", 4),
    Rule("climax-apart", "soft", "the counterpoint's climax does not coincide with the cantus'",
         3),
    Rule("repeated-notes", "soft", "avoid repeated notes", 6),
    Rule("parallel-imperfect-run", "soft",
         "no more than three parallel thirds or sixths in a row", 5),
    Rule("outlined-tritone", "soft", "avoid outlining a tritone between melodic turning points",
         4),
    Rule("broken-syncopation", "soft", "fourth species: keep the ties (break the syncopation "
         "rarely)", 8),
    Rule("ficta-sparingly", "soft", "use the flattened ficta note only where it is needed", 2),
    Rule("florid-rhythm", "soft",
         "fifth species: mostly halves and quarters with syncopations; eighth pairs rarely, "
         "and not the same rhythm bar after bar", 3),
    Rule("complete-harmony", "soft",
         "three or more voices: prefer complete triads to bare fifths and octaves", 1),
    Rule("inner-voice-motion", "soft",
         "inner voices keep common tones and move as little as they can", 1),
    Rule("outer-contrary", "soft", "soprano and bass prefer contrary or oblique motion", 2),
    Rule("bass-line", "soft", "the bass avoids leaps larger than a fifth", 2),
    Rule("harmonic-rhythm", "soft", "change the chord across the barline", 2),
    Rule("chord-change", "soft", "change the chord from beat to beat", 3),
    Rule("root-position", "soft", "prefer root-position chords on the downbeat", 2),
    Rule("root-doubling", "soft", "double the root of a root-position triad", 1),
    Rule("final-cadence", "soft", "end with an authentic cadence in the home key", 20),
    Rule("tonic-start", "soft", "begin on the tonic chord", 3),
    Rule("chromatic-sparingly", "soft", "use secondary dominants (and, in chromatic style, "
         "the Neapolitan, augmented sixths and borrowed chords) only where they help", 1),
    Rule("modulation", "soft",
         "change key only where the plan or the melody asks for it (each change, through a "
         "pivot chord, costs)", 4),
    Rule("deceptive-cadence", "soft",
         "a phrase closes on its tonic or dominant; a deceptive cadence (V -> vi) is the "
         "exception", 3),
    Rule("appoggiatura", "soft",
         "a given melody note on the beat is a chord tone; an accented non-chord tone that "
         "resolves by step within the beat only where no chord holds it", 3),
    Rule("melodic-line", "soft",
         "a generated outer voice avoids repeated notes and leaps larger than a fourth", 2),
    Rule("tension-arc", "soft",
         "follow the plan's tension arc: each chord's tension (its strain from the key and "
         "spread on the spiral array, dissonance, register) near the planned value; each "
         "twentieth of the piece's span away costs", 4),
    Rule("progression-retrogression", "soft",
         "follow the progression grammar (tonic to anything, pre-dominant to pre-dominant or "
         "dominant, dominant to tonic or vi, a secondary dominant to its goal); a retrogression "
         "such as V-IV costs", 6),
)

BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}
HARD = tuple(r.name for r in RULES if r.kind == "hard")
SOFT = tuple(r.name for r in RULES if r.kind == "soft")


def rule(name: str) -> Rule:
    """The rule called ``name`` (KeyError names the known rules)."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown rule {name!r}; known rules: {', '.join(BY_NAME)}") from None
