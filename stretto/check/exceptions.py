"""Where Fux's figures, as the dataset gives them, break the checker's rules, and why.

The checker must accept Fux's own solutions. It does, under :data:`FUX_SETTINGS` (the liberties
Fux takes everywhere: crossing voices, a twelfth's range, the 4-5 suspension in the lower
voice, the descending minor sixth, and his freedoms in three and four parts), except for the
figures below. Each is a place where the transcription is almost certainly wrong (an octave
slip, a missing tie, a corrupt bass) or the edition's musica ficta makes a chromatic step.
``EXCEPTIONS.md`` beside this file says the same in prose; the tests keep the two in step and
check that each figure breaks exactly the rules listed and no others.

Keys are :attr:`stretto.corpora.gradus.GradusFigure.key` values.
"""

from __future__ import annotations

from stretto.check.model import CheckSettings

FUX_SETTINGS = CheckSettings.fux()

# figure -> (rules it breaks, reason)
FUX_EXCEPTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "22": (("consonance", "melodic-interval"),
           "bars 6-10 of the counterpoint are an octave too low in the dataset (C4 A3 B3 B3 A3 "
           "for C5 A4 B4 B4 A4): a fourth under the cantus and a leap of a seventh; raised an "
           "octave the figure passes"),
    "85b": (("repetition",),
            "the dataset omits the tie D3-D3 over the barline of bars 9-10; with it the figure "
            "passes"),
    "86a": (("consonance", "repetition"),
            "the dataset omits the tie A4-A4 over the barline of bars 11-12, leaving an "
            "attacked seventh on the downbeat; with the tie (a 7-6 suspension) it passes"),
    "110": (("melodic-interval",),
            "the edition's ficta makes the chromatic step Bb3-B3 in the middle voice (bars 5-6)"),
    "118": (("consonance", "first-interval", "parallel-perfect", "cadence"),
            "the bass is corrupt: it begins and ends on A under a C-ionian cantus, with sevenths "
            "on downbeats and parallel octaves into the last bar"),
    "143": (("cadence",),
            "the upper voice ends on F4, a minor third over the final; every other D-dorian "
            "figure in three or four parts ends on F#, so a sharp is probably missing"),
    "159": (("dissonance-treatment",),
            "bar 8 leaps a fourth into F3, a seventh under the cantus' E4, a dissonance no "
            "species allows"),
    "165": (("consonance", "cadence"),
            "the tenor ends on G3, a fourth over the final bass D3 (probably A3)"),
    "169": (("melodic-interval",),
            "the edition's ficta makes the chromatic step Bb4-B4 in the soprano (bars 5-6)"),
    "170": (("melodic-interval",),
            "the edition's ficta makes the chromatic step Bb3-B3 in the alto (bars 5-6)"),
    "184": (("consonance",),
            "bar 7 has C5 in the alto against B3 in the tenor on the downbeat, a minor ninth "
            "(probably C4 in the tenor)"),
    "203": (("consonance",),
            "bar 9 strikes C#4 in the tenor against the cantus' F4 on the downbeat, a "
            "diminished fourth"),
}
