"""Four-part harmonization of Bach chorale melodies (music21's corpus): the melody is kept
note for note, the independent checker finds no hard violation, and every fermata closes
with a cadence. Short time limits: the chain solver is exact, CP-SAT only confirms."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stretto.check import check, hard
from stretto.errors import BadInput
from stretto.io.melody import melody_from_stream, read_melody
from stretto.score import dumps
from stretto.solver.tonal.harmonize import harmonize
from stretto.harmony import Key
from stretto.solver.cpsat.settings import SolveSettings

music21 = pytest.importorskip("music21")

# (corpus name, what it exercises)
CHORALES = [
    ("bwv66.6", "4/4, eighth-note pickup, eighths, F# minor"),
    ("bwv11.6", "3/4, dotted rhythms"),
    ("bwv108.6", "4/4 pickup, dotted quarter + eighth"),
    ("bwv120.8-a", "3/4, sixteenths and dotted eighths"),
]
FAST = SolveSettings(time_limit=5)


def _path(name: str):
    from music21 import corpus

    return corpus.getWork(name)


@pytest.fixture(scope="module")
def solved():
    out = {}
    for name, _ in CHORALES:
        melody = read_melody(_path(name))
        out[name] = (melody, harmonize(melody, FAST))
    return out


@pytest.mark.parametrize("name", [c[0] for c in CHORALES], ids=[c[0] for c in CHORALES])
def test_melody_kept_exactly(solved, name):
    """The soprano is the melody as written: same pitches, durations, ties and (shifted by
    the pickup) onsets, origin human; the parts are S, A, T, B."""
    from music21 import corpus

    melody, result = solved[name]
    piece = result.piece
    assert [v.name for v in piece.voices] == ["Soprano", "Alto", "Tenor", "Bass"]
    parts = corpus.parse(name).parts
    part = next((p for p in parts if (p.partName or "").startswith("Soprano")), parts[0])
    sop = part.flatten().notes
    got = piece.voices[0].notes
    shift = melody.pickup_shift
    assert len(got) == len(sop)
    for n, m in zip(got, sop):
        assert n.pitch.m21_name == m.pitch.nameWithOctave
        assert n.duration == Fraction(m.quarterLength).limit_denominator(10000)
        assert n.onset == Fraction(m.offset).limit_denominator(10000) + shift
        assert n.origin == "human"
    assert all(n.origin == "solver" for v in piece.voices[1:] for n in v.notes)


@pytest.mark.parametrize("name", [c[0] for c in CHORALES], ids=[c[0] for c in CHORALES])
def test_no_hard_violations(solved, name):
    _, result = solved[name]
    assert result.status == "optimal"
    assert hard(check(result.piece)) == []


@pytest.mark.parametrize("name", [c[0] for c in CHORALES], ids=[c[0] for c in CHORALES])
def test_cadence_at_every_fermata(solved, name):
    """Every fermata's beat ends a cadence (authentic, half, plagal or deceptive)."""
    melody, result = solved[name]
    h = result.piece.info["harmony"]
    cad_onsets = {Fraction(c["onset"]) for c in h["cadences"] if c["type"]}
    assert melody.fermatas, "the test chorales all have fermatas"
    for f in melody.fermatas:
        assert f in cad_onsets, f"no cadence at the fermata at {f}"
    assert {c["type"] for c in h["cadences"]} <= {"authentic", "half", "plagal", "deceptive"}


def _key_words(piece) -> list[str]:
    import xml.etree.ElementTree as ET

    from stretto.io.musicxml import musicxml_bytes

    return [w.text for w in ET.fromstring(musicxml_bytes(piece)).iter("words")]


def test_analysis_under_the_bass(solved):
    """The Roman numerals are MusicXML <harmony> under the bass (not lyrics: no note of the
    piece has one), one per analysed beat, the key printed first (f#:)."""
    import xml.etree.ElementTree as ET

    from stretto.io.musicxml import musicxml_bytes

    _, result = solved["bwv66.6"]
    piece = result.piece
    assert not any(n.lyric for v in piece.voices for n in v.notes)
    root = ET.fromstring(musicxml_bytes(piece))
    bass = root.findall("part")[3]
    assert len(bass.findall(".//harmony")) == len(piece.info["harmony"]["analysis"])
    assert _key_words(piece)[0] == "f#:"


def test_deterministic():
    melody = read_melody(_path("bwv66.6"))
    a = harmonize(melody, FAST).piece
    b = harmonize(melody, FAST).piece
    assert dumps(a) == dumps(b)


def test_key_override_and_ornament():
    melody = read_melody(_path("bwv66.6"))
    result = harmonize(melody, FAST, key=Key.parse("F# minor"), ornament=True)
    piece = result.piece
    assert piece.info["harmony"]["key"] == "F# minor"
    lower = sum(len(v.notes) for v in piece.voices[1:])
    assert lower > 3 * len(piece.info["harmony"]["analysis"])  # passing tones were added
    assert hard(check(piece)) == []


def _melody(names: str, meter: str = "4/4"):
    from music21 import meter as m21meter, note, stream

    s = stream.Stream()
    s.append(m21meter.TimeSignature(meter))
    for name in names.split():
        s.append(note.Note(name, quarterLength=1))
    return melody_from_stream(s)


def test_outside_any_key_is_bad_input():
    with pytest.raises(BadInput, match="key"):
        harmonize(_melody("C5 D-5 D5 E-5 E5 G-5 G5 A-5 A5 B-5 B5 C6"), FAST)


def test_simple_melody_ends_authentic():
    result = harmonize(_melody("E5 D5 C5 D5 E5 E5 E5 D5 D5 D5 E5 G5 G5 E5 D5 C5"), FAST)
    h = result.piece.info["harmony"]
    assert h["key"] == "C major"
    assert h["cadences"][-1]["type"] == "authentic"
    assert h["analysis"][-1]["chord"] == "I"
    assert hard(check(result.piece)) == []


def _rhythm_melody(tokens: str, fermatas=(), meter: str = "4/4"):
    """A melody from ``NAME[:quarters]`` tokens (quarter notes by default)."""
    from stretto.io.melody import Melody
    from stretto.pitch import Pitch
    from stretto.score import Note

    notes, t = [], Fraction(0)
    for k, tok in enumerate(tokens.split()):
        name, _, d = tok.partition(":")
        d = Fraction(d) if d else Fraction(1)
        notes.append(Note(id=f"v0n{k}", pitch=Pitch.parse(name), onset=t, duration=d,
                          origin="human"))
        t += d
    return Melody(tuple(notes), meter, frozenset(Fraction(f) for f in fermatas), Fraction(0),
                  "melody")


def test_modulation_to_the_dominant_at_a_fermata():
    """A phrase that cadences in the dominant (C#5 -> D5 at the fermata, in G major) is
    harmonized in D major: the fermata's chord is D major's I, preceded by D's V (its leading
    tone C#), entered through a pivot; the next phrase returns to G; the analysis writes the
    key at each change; the checker agrees."""
    melody = _rhythm_melody("G4 A4 B4 C5 B4 A4 C#5 D5 C5 B4 A4 G4", fermatas=(7,))
    piece = harmonize(melody, FAST, key=Key.parse("G major")).piece
    h = piece.info["harmony"]
    cad = next(c for c in h["cadences"] if c["slot"] == 7)
    assert (cad["type"], cad["key"]) == ("authentic", "D major")
    a = h["analysis"]
    assert (a[7]["key"], a[7]["local"], a[7]["chord"]) == ("D major", "I", "I/V")
    assert (a[6]["key"], a[6]["local"][0]) == ("D major", "V")
    assert h["cadences"][-1]["key"] == "G major" and a[-1]["key"] == "G major"
    into = next(m for m in h["modulations"] if m["to"] == "D major")
    assert into["from"] == "G major" and "D: " in into["pivot"] and into["slot"] <= 6
    keys = _key_words(piece)  # the MusicXML prints the key at the start and each change
    assert keys[0] == "G:" and "D:" in keys
    assert hard(check(piece)) == []


@pytest.mark.parametrize("name", ["bwv8.6", "bwv345"], ids=["bwv8.6", "bwv345"])
def test_chorales_that_needed_phrase_end_and_appoggiatura(name):
    """BWV 8.6 ends a phrase on a half note before a rest (one chord, the cadence on its
    onset); BWV 345 has an accented Eb5 on the beat before a fermata, resolving to D5 within
    the beat (an appoggiatura over V/iv, as Bach has it). Both used to exit 2."""
    from music21 import corpus

    melody = melody_from_stream(corpus.parse(f"bach/{name}"), name)
    piece = harmonize(melody, FAST).piece
    assert hard(check(piece)) == []


def test_fermata_on_a_tied_note_ends_a_phrase():
    """BWV 41.6: D5 (a dotted half) is tied into the D5 that carries the fermata; the
    fermata's onset is still a phrase end (a cadence slot), as is a note before a rest."""
    from music21 import corpus

    from stretto.solver.tonal.harmonize import plan_slots

    melody = melody_from_stream(corpus.parse("bach/bwv41.6"), "bwv41.6")
    onsets, _, _, _, cads, _ = plan_slots(melody)
    ends = {onsets[t] for t in cads}
    assert set(melody.fermatas) <= ends


@pytest.mark.parametrize("optional", [True, False], ids=["optional", "required"])
def test_inner_phrase_end_no_cadence_fits(optional):
    """An inner phrase end whose melody note no cadence of the key can close (D5 asked to end
    an authentic cadence in C major) closes without one when it is optional (a phrase before
    a rest), and is refused, naming the place, when it is required (a fermata)."""
    from stretto.pitch import Pitch
    from stretto.solver.tonal.chorale import ChoraleModel, HarmonyProblem, VoicePart, SATB_RANGES

    melody = [Pitch.parse(p) for p in ("E5", "D5", "C5", "B4", "C5")]
    voices = (VoicePart("Soprano", Pitch.parse("B4"), Pitch.parse("E5"), tuple(melody)),) + \
        tuple(VoicePart(n, Pitch.parse(a), Pitch.parse(b))
              for n, (a, b) in SATB_RANGES.items() if n != "Soprano")
    prob = HarmonyProblem(key=Key.parse("C major"), voices=voices, slots=5,
                          links=(True,) * 4 + (False,),
                          cadences={1: ("authentic",), 4: ("authentic",)},
                          optional_cadences=frozenset({1}) if optional else frozenset())
    if not optional:
        with pytest.raises(BadInput, match="cannot close there"):
            ChoraleModel(prob)
        return
    sol = ChoraleModel(prob).solve(FAST)
    assert sol.status == "optimal" and sol.stats["uncadenced"] == ["beat 2"]
    assert [c["slot"] for c in sol.cadences] == [4]


@pytest.mark.parametrize("prolongs", [True, False], ids=["prolongs", "refused"])
def test_final_note_after_the_downbeat_prolongs_the_cadence(prolongs):
    """A last note after the final bar's downbeat (C5 after E5 in C major: no cadence ends on
    it, since no chord before it holds E5 and leads to a tonic) lets the cadence arrive on the
    downbeat, the last note prolonging its chord; without that option the melody is refused."""
    from stretto.pitch import Pitch
    from stretto.solver.tonal.chorale import ChoraleModel, HarmonyProblem, VoicePart, SATB_RANGES

    melody = [Pitch.parse(p) for p in ("C5", "D5", "E5", "C5")]
    voices = (VoicePart("Soprano", Pitch.parse("C5"), Pitch.parse("E5"), tuple(melody)),) + \
        tuple(VoicePart(n, Pitch.parse(a), Pitch.parse(b))
              for n, (a, b) in SATB_RANGES.items() if n != "Soprano")
    prob = HarmonyProblem(key=Key.parse("C major"), voices=voices, slots=4,
                          links=(True,) * 3 + (False,), cadences={3: ("authentic",)},
                          final_prolongs=prolongs)
    if not prolongs:
        with pytest.raises(BadInput, match="cannot close there"):
            ChoraleModel(prob)
        return
    sol = ChoraleModel(prob).solve(FAST)
    assert sol.status == "optimal" and sol.stats["final_cadence_at"] == "beat 3"
    assert [(c["slot"], c["type"]) for c in sol.cadences] == [(2, "authentic")]
    assert sol.chords[3] == sol.chords[2] and sol.labels[2] == "I"
