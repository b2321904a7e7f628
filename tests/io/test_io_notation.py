"""Notation that keeps what it was given (issue 12, item 4): grace notes, a pickup, the key's
mode and the Roman numerals survive harmonize -> MusicXML / MIDI / score.json -> read back,
and the MusicXML that species, harmonize and compose write validates against the MusicXML 4.0
XSD (../shared/schemas, offline) and converts in MuseScore 3 where it is installed."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from fractions import Fraction as F
from pathlib import Path

import pytest

from stretto.check import check, hard
from stretto.errors import BadInput
from stretto.io.melody import melody_from_dict, melody_to_dict, read_melody
from stretto.io.midi import write_midi
from stretto.io.musicxml import musicxml_bytes
from stretto.io.musicxml_read import read_musicxml
from stretto.io.numerals import figure_of
from stretto.score import dumps, loads

pytest.importorskip("music21")

DATA = Path(__file__).parent / "data"
MELODY = DATA / "pickup_grace_g_minor.musicxml"  # G minor, 4/4, a quarter pickup, a grace C5
XSD = Path(__file__).resolve().parents[2].parent / "shared" / "schemas" / "musicxml" / \
    "musicxml.xsd"


@pytest.fixture(scope="module")
def harmonized():
    from stretto.solver.tonal.harmonize import harmonize
    from stretto.solver.cpsat.settings import SolveSettings

    melody = read_melody(MELODY)
    piece = harmonize(melody, SolveSettings(time_limit=5)).piece
    return melody, piece, musicxml_bytes(piece)


@pytest.fixture(scope="module")
def species_piece():
    from stretto.corpora import load_cantus
    from stretto.solver import SolveSettings, SpeciesSpec, solve_species

    cantus, mode = load_cantus("fux-dorian")
    spec = SpeciesSpec(cantus=tuple(cantus), mode=mode, species=(1,), cantus_voice=1)
    return solve_species(spec, SolveSettings(time_limit=3.0)).piece


@pytest.fixture(scope="module")
def composed():
    from stretto.solver.tonal.form import compose, form_from_dict
    from stretto.solver.cpsat.settings import SolveSettings

    import tomllib

    data = tomllib.loads((Path(__file__).resolve().parents[2] / "examples" /
                          "binary.toml").read_text())
    return compose(form_from_dict(data), SolveSettings(time_limit=20, objective=False)).piece


def _parts(xml: bytes) -> list[ET.Element]:
    return ET.fromstring(xml).findall("part")


def _step_octave(note: ET.Element) -> tuple[str, int, int]:
    p = note.find("pitch")
    return (p.findtext("step"), int(p.findtext("alter") or 0), int(p.findtext("octave")))


# --------------------------------------------------------------------------- grace notes


def test_grace_note_kept_in_the_model_not_judged(harmonized):
    """The melody's grace C5 (slashed) before the A4 of bar 1 beat 4 is kept with the
    soprano, apart from the notes the rules and the solver see."""
    melody, piece, _ = harmonized
    (grace,) = piece.voices[0].graces
    assert (grace.pitch.name, grace.grace, grace.duration) == ("C5", "acciaccatura", F(1, 2))
    main = next(n for n in piece.voices[0].notes if n.onset == grace.onset)
    assert main.pitch.name == "A4" and piece.bar_beat(main.onset) == (1, F(4))
    assert len(piece.voices[0].notes) == 16  # the main notes only
    assert hard(check(piece)) == []
    assert melody_from_dict(melody_to_dict(melody)) == melody
    assert loads(dumps(piece)) == piece


def test_grace_note_written_as_grace_in_musicxml(harmonized):
    _, piece, xml = harmonized
    notes = [n for n in _parts(xml)[0].iter("note") if n.find("rest") is None]
    k = next(i for i, n in enumerate(notes) if n.find("grace") is not None)
    assert notes[k].find("grace").get("slash") == "yes"
    assert _step_octave(notes[k]) == ("C", 0, 5) and notes[k].find("duration") is None
    assert notes[k].findtext("type") == "eighth"
    assert _step_octave(notes[k + 1]) == ("A", 0, 4)  # it leads into the A4
    assert notes[k].get("id") == piece.voices[0].graces[0].id


def test_grace_note_read_back_from_musicxml(harmonized, tmp_path):
    _, piece, xml = harmonized
    path = tmp_path / "h.musicxml"
    path.write_bytes(xml)
    back = read_musicxml(path)
    assert [(g.id, g.pitch.name, g.onset, g.grace) for g in back.voices[0].graces] == \
        [(g.id, g.pitch.name, g.onset, g.grace) for g in piece.voices[0].graces]
    assert [n.onset for n in back.voices[0].notes] == [n.onset for n in piece.voices[0].notes]


def test_grace_note_played_in_midi(harmonized, tmp_path):
    """MIDI has no grace notes: the C5 sounds on the beat, a thirty-second taken from the
    A4, so it is heard and not lost."""
    import mido

    _, piece, _ = harmonized
    write_midi(piece, tmp_path / "h.mid", ticks_per_quarter=960)
    now, ons = 0, []
    for msg in mido.MidiFile(tmp_path / "h.mid").tracks[1]:
        now += msg.time
        if msg.type == "note_on" and msg.velocity:
            ons.append((now, msg.note))
    assert (7 * 960, 72) in ons and (7 * 960 + 120, 69) in ons


@pytest.mark.parametrize("body, bar", [
    ('<note><grace/><pitch><step>C</step><octave>5</octave></pitch><type>eighth</type></note>'
     '<note><rest/><duration>4</duration><type>whole</type></note>', "bar 1"),
    ('<note><pitch><step>G</step><octave>4</octave></pitch><duration>4</duration>'
     '<type>whole</type></note><note><grace/><pitch><step>C</step><octave>5</octave></pitch>'
     '<type>eighth</type></note>', "bar 1"),
], ids=["before-a-rest", "at-the-end"])
def test_grace_note_that_leads_nowhere_is_refused(tmp_path, body, bar):
    path = tmp_path / "m.musicxml"
    path.write_text(
        '<?xml version="1.0"?><score-partwise version="4.0"><part-list><score-part id="P1">'
        '<part-name>S</part-name></score-part></part-list><part id="P1"><measure number="1">'
        '<attributes><divisions>1</divisions><time><beats>4</beats><beat-type>4</beat-type>'
        f'</time></attributes>{body}</measure></part></score-partwise>')
    with pytest.raises(BadInput, match=f"grace note C5 in {bar}"):
        read_melody(path)


# --------------------------------------------------------------------------- pickup


def test_pickup_is_an_implicit_measure_0(harmonized):
    """The one-beat pickup is a short measure numbered 0 with implicit="yes" in every part,
    holding one quarter and no rest; the other measures are numbered as in the source."""
    melody, piece, xml = harmonized
    assert (melody.anacrusis, piece.anacrusis) == (1, 1)
    for part in _parts(xml):
        measures = part.findall("measure")
        assert [m.get("number") for m in measures] == ["0", "1", "2", "3", "4"]
        first = measures[0]
        assert first.get("implicit") == "yes"
        divisions = int(first.findtext("attributes/divisions"))
        notes = first.findall("note")
        assert all(n.find("rest") is None for n in notes)
        assert sum(int(n.findtext("duration")) for n in notes) == divisions  # one quarter
        assert all(m.get("implicit") != "yes" for m in measures[1:])


def test_pickup_bar_numbers_match_the_source(harmonized, tmp_path):
    _, piece, xml = harmonized
    h = piece.info["harmony"]
    assert h["analysis"][0]["where"] == "bar 0 beat 4"
    assert h["cadences"][-1]["where"] == "bar 4 beat 3"  # the fermata's bar in the source
    assert piece.bar_beat(F(3)) == (0, F(4)) and piece.bar_beat(F(4)) == (1, F(1))
    path = tmp_path / "h.musicxml"
    path.write_bytes(xml)
    back = read_musicxml(path)
    assert back.anacrusis == 1 and back.bar_beat(back.voices[0].notes[0].onset) == (0, F(4))


def test_score_json_without_grace_or_pickup_is_unchanged(species_piece):
    """Pieces with neither keep the score.json they had: no new keys."""
    text = dumps(species_piece)
    assert '"anacrusis"' not in text and '"graces"' not in text and '"grace"' not in text
    assert dumps(loads(text)) == text


# --------------------------------------------------------------------------- key and mode


def test_minor_key_in_musicxml_and_midi(harmonized, tmp_path):
    import mido

    _, piece, xml = harmonized
    key = ET.fromstring(xml).find(".//key")
    assert (key.findtext("fifths"), key.findtext("mode")) == ("-2", "minor")
    write_midi(piece, tmp_path / "h.mid")
    sigs = [m.key for m in mido.MidiFile(tmp_path / "h.mid").tracks[0]
            if m.type == "key_signature"]
    assert sigs == ["Gm"]


def test_church_mode_in_musicxml_and_read_back(species_piece, tmp_path):
    xml = musicxml_bytes(species_piece)
    key = ET.fromstring(xml).find(".//key")
    assert key.findtext("mode") == species_piece.mode.name == "dorian"
    path = tmp_path / "s.musicxml"
    path.write_bytes(xml)
    assert read_musicxml(path).mode == species_piece.mode


# --------------------------------------------------------------------------- numerals


def test_numerals_are_harmony_elements_matching_the_analysis(harmonized):
    """One <harmony> with <numeral> per analysed beat under the bass, in the analysis's local
    key and figure; no lyrics anywhere; the key printed once as words (g:)."""
    _, piece, xml = harmonized
    analysis = piece.info["harmony"]["analysis"]
    root = ET.fromstring(xml)
    assert root.find(".//lyric") is None
    bass = _parts(xml)[-1]
    found = [figure_of(h) for h in bass.iter("harmony")]
    assert found == [(e["local"], e["key"]) for e in analysis]
    first = next(bass.iter("harmony"))
    assert first.findtext("numeral/numeral-root") == "1"
    assert first.findtext("numeral/numeral-key/numeral-fifths") == "-2"
    assert first.findtext("numeral/numeral-key/numeral-mode") == "minor"
    assert first.findtext("kind") == "minor"
    assert [w.text for w in root.iter("words")] == ["g:"]
    assert all(len(_parts(xml)[k].findall(".//harmony")) == 0 for k in range(3))


def test_numerals_spell_flats_and_secondary_functions():
    from stretto.io.numerals import harmony_element, key_label

    assert key_label("B- major") == key_label("Bb major") == "Bb:"
    assert key_label("F# minor") == "f#:"
    h = harmony_element("V7/V", "Bb major")
    roots = [r.text for r in h.iter("numeral-root")]
    assert roots == ["5", "5"] and [k.text for k in h.findall("kind")] == ["dominant", "major"]
    assert figure_of(h) == ("V7/V", "Bb major")
    lt = harmony_element("viio7", "G minor")  # the raised leading tone: 7, altered +1
    assert lt.findtext("numeral/numeral-alter") == "1"
    assert lt.findtext("kind") == "diminished-seventh"
    assert harmony_element("V65", "C major").findtext("inversion") == "1"
    odd = harmony_element("Xyz", "C major")  # a figure music21 cannot read stays text
    assert odd.findtext("function") == "Xyz" and figure_of(odd) == ("Xyz", None)


def test_numerals_read_back_for_the_checker(harmonized, tmp_path):
    """Reading a stretto MusicXML recovers the analysis (info["harmony"]) from the
    <harmony> elements, so the checker judges the same chords."""
    _, piece, xml = harmonized
    path = tmp_path / "h.musicxml"
    path.write_bytes(xml)
    back = read_musicxml(path)
    h = back.info["harmony"]
    assert h["key"] == piece.info["harmony"]["key"] == "G minor"
    assert [(e["onset"], e["chord"]) for e in h["analysis"]] == \
        [(e["onset"], e["chord"]) for e in piece.info["harmony"]["analysis"]]
    assert back.info["style"] == "chorale" and h["melody_voice"] == 0
    assert hard(check(back)) == []


def test_old_projects_numeral_lyrics_not_printed_twice(harmonized):
    _, piece, _ = harmonized
    bass = piece.voices[-1]
    first = piece.info["harmony"]["analysis"][0]
    notes = tuple(replace(n, lyric="g: " + first["local"]) if n.onset == F(first["onset"])
                  else n for n in bass.notes)
    old = replace(piece, voices=piece.voices[:-1] + (replace(bass, notes=notes),))
    assert ET.fromstring(musicxml_bytes(old)).find(".//lyric") is None


def test_lilypond_source_has_one_title_and_no_verse_number(harmonized, tmp_path):
    pytest.importorskip("lilypond")
    from stretto.io.engrave import LY, render_pdf

    _, piece, xml = harmonized
    render_pdf(xml, tmp_path)
    ly = (tmp_path / LY).read_text()
    assert ly.count(piece.title) == 1 and "subtitle" not in ly
    assert "stanza" not in ly
    assert '"g: i"' in ly or "g: i" in ly  # the key label before the first numeral


def test_svg_shows_numerals_and_grace_note(harmonized):
    pytest.importorskip("verovio")
    import re

    from stretto.io.engrave import numerals_as_text, render_svg

    _, piece, xml = harmonized
    svg = render_svg(numerals_as_text(xml))
    text = " ".join(re.findall(r">([^<>]+)<", svg))
    assert "g:" in text and "B-" not in text
    assert piece.voices[0].graces[0].id in svg


# --------------------------------------------------------------------------- validation


def _schema():
    if not XSD.is_file():
        pytest.skip(f"the MusicXML 4.0 XSD is not at {XSD} (../shared is absent)")
    etree = pytest.importorskip("lxml.etree")
    return etree, etree.XMLSchema(etree.parse(str(XSD)))


def _exported(request, which: str) -> bytes:
    """The MusicXML stretto writes for a species piece, a harmonization or a composition."""
    if which == "species":
        return musicxml_bytes(request.getfixturevalue("species_piece"))
    if which == "harmonize":
        return request.getfixturevalue("harmonized")[2]
    return musicxml_bytes(request.getfixturevalue("composed"))


@pytest.mark.slow  # seconds each: make test runs it, make test-fast leaves it out
@pytest.mark.parametrize("which", ["species", "harmonize", "compose"])
def test_musicxml_validates_against_the_xsd(request, which):
    etree, schema = _schema()
    xml = _exported(request, which)
    doc = etree.fromstring(xml, etree.XMLParser(load_dtd=False, no_network=True))
    assert schema.validate(doc), str(schema.error_log)


def _mscore() -> list[str]:
    exe = shutil.which("mscore3") or shutil.which("musescore3")
    xvfb = shutil.which("xvfb-run")
    if not exe or not xvfb:
        pytest.skip("MuseScore 3 (Debian musescore3) under xvfb-run is not installed")
    return [xvfb, "-a", exe]


def _convert(cmd: list[str], xml: bytes, folder: Path) -> tuple[str, str]:
    src, out = folder / "in.musicxml", folder / "out.mscx"
    src.write_bytes(xml)
    proc = subprocess.run([*cmd, "-o", str(out), str(src)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr, out.read_text()


def _musescore3_gaps(xml: bytes) -> tuple[bytes, set[str]]:
    """The file without what MuseScore 3 (MusicXML 3.1) cannot read, and the messages it
    gives for those: MusicXML 4.0 <numeral> harmonies ("not a valid MusicXML file"; imported
    as empty chord symbols) and church modes in <mode> ("Unsupported mode 'dorian'")."""
    root = ET.fromstring(xml)
    expected = set()
    for measure in root.iter("measure"):
        for el in measure.findall("harmony"):
            measure.remove(el)
            expected.add("is not a valid MusicXML file")
    for key in root.iter("key"):
        mode = key.find("mode")
        if mode is not None and mode.text not in ("major", "minor", "none"):
            expected.add(f"Unsupported mode '{mode.text}'")
            key.remove(mode)
    return ET.tostring(root), expected


def _warnings(log: str) -> list[str]:
    noise = ("QStandardPaths", "convert <", "to <", "... success")
    return [ln.strip() for ln in log.splitlines() if ln.strip()
            and not any(ln.strip().startswith(n) for n in noise)]


@pytest.mark.parametrize("which", ["species", "harmonize", "compose"])
def test_musescore3_converts_without_warnings(request, tmp_path, which):
    """MuseScore 3 converts stretto's MusicXML (exit 0) with no warning except for the two
    MusicXML features it predates: 4.0 <numeral> harmonies and church modes in <mode>.
    Without those, not one warning; and it keeps the pickup (an irregular 1/4 measure), the
    grace note and the minor key."""
    cmd = _mscore()
    xml = _exported(request, which)
    stripped, expected = _musescore3_gaps(xml)
    log, _ = _convert(cmd, xml, tmp_path)
    assert all(any(e in w for e in expected) for w in _warnings(log)), log
    log, mscx = _convert(cmd, stripped, tmp_path)
    assert _warnings(log) == [], log
    if which == "harmonize":
        assert '<Measure len="1/4">' in mscx and "<irregular>1</irregular>" in mscx
        assert "acciaccatura" in mscx and "<mode>minor</mode>" in mscx


@pytest.mark.parametrize("key", ["C major", "Bb major", "F# minor", "G minor", "Eb minor"])
def test_every_chord_of_the_vocabulary_round_trips(key):
    """Every figure the chorale model can write (diatonic, sevenths, secondary dominants,
    Picardy tonic, each in every inversion) becomes a valid <numeral> harmony whose root is
    the chord's root and which reads back as the same figure."""
    from music21 import roman

    from stretto.io.numerals import _m21_key, harmony_element, numeral_groups
    from stretto.harmony import Key, vocabulary

    for ch in vocabulary(Key.parse(key)):
        for role in range(4 if ch.is_seventh else 3):
            figure = ch.label(role)
            el = harmony_element(figure, key)
            assert figure_of(el) == (figure, key), figure
            degree, alter = numeral_groups(figure, key)[0][:2]
            rn = roman.RomanNumeral(figure, _m21_key(key))
            assert degree == rn.scaleDegree and el.findtext("inversion", "0") == str(role)
            # a secondary numeral counts in the key it applies to (V of ii: 5 of D minor)
            scale = (rn.secondaryRomanNumeralKey or _m21_key(key)).pitchFromDegree(degree)
            assert round(rn.root().ps - scale.ps - alter) % 12 == 0, figure
