"""stretto.renderer.lyrics and the sung features: words to phonemes, phonemes to notes.

The alignment tests use a fixed lexicon (monkeypatched ``pronounce``), so they hold with or
without Festival; the Festival lexicon itself is tested where Festival is installed.
"""

from __future__ import annotations

import numpy as np
import pytest

from stretto.renderer import lyrics
from stretto.renderer.engine import Line
from stretto.renderer.features import COLUMNS, UNVOICED_COLUMN, phrase_features, phrases_of
from stretto.renderer.lyrics import (Syllable, assign_syllables, note_syllables, reference_phones,
                                     rule_g2p, sung_phones, words_of)

SR = 8000
LEX = {"sister": (Syllable(("s",), "ih", ()), Syllable(("s", "t"), "er", ())),
       "sings": (Syllable(("s",), "ih", ("ng", "z")),),
       "home": (Syllable(("hh",), "ow", ("m",)),)}


@pytest.fixture
def fixed_lexicon(monkeypatch):
    monkeypatch.setattr(lyrics, "pronounce", lambda words: {w: LEX[w] for w in words})


def line(lyr, inst="choir"):
    """Five 0.5 s notes, a 0.5 s rest, one more note: C4 D4 E4 F4 G4 - A4."""
    notes = tuple((i * SR // 2, (i + 1) * SR // 2, 60 + 2 * i) for i in range(5)) + \
        ((3 * SR, 7 * SR // 2, 69),)
    return Line(name="S", instrument=inst, notes=notes, lyrics=lyr, piece_samples=4 * SR)


WORDS = ("Sis-", "-ter", "sings", None, None, "home")  # "sings" held over 3 notes (melisma)


@pytest.mark.parametrize("lyr,words", [
    (("Ky-", "-ri-", "-e", "e-", "-le-", "-i-", "-son"), [("kyrie", (0, 1, 2)),
                                                          ("eleison", (3, 4, 5, 6))]),
    (("Glo-", None, "-ri-", "-a", "in"), [("gloria", (0, 2, 3)), ("in", (4,))]),
    (("O", None, "sing!", "", None), [("o", (0,)), ("sing", (2,))]),
], ids=["kyrie", "melisma", "punctuation"])
def test_syllables_group_into_words(lyr, words):
    assert [(w.text, w.notes) for w in words_of(lyr)] == words


def test_fewer_lexicon_syllables_hold_the_last_vowel_more_are_merged():
    two = LEX["sister"]
    assert assign_syllables(3, two) == [two[0], two[1], None]
    merged = assign_syllables(1, two)[0]
    assert merged.nucleus == "ih" and merged.coda == ("s", "t", "er")


def test_rule_fallback_spells_english_words():
    assert [s.phones for s in rule_g2p("sing")] == [("s", "ih", "ng")]
    assert [s.nucleus for s in rule_g2p("tonight")] == ["ow", "ay"]


def test_phones_are_aligned_to_their_notes(fixed_lexicon):
    ln = line(WORDS)
    assert [(a, b) for a, b, _ in note_syllables(ln)] == [(0, 0), (1, 1), (2, 4), (5, 5)]
    phones = sung_phones(ln, SR)
    # every phone inside the written notes, in order, no overlaps
    sounding = np.zeros(4 * SR, bool)
    for s, e, _ in ln.notes:
        sounding[s:e] = True
    assert all(sounding[s:e].all() for s, e, _ in phones)
    assert all(a[1] <= b[0] for a, b in zip(phones, phones[1:]))
    # "sings" starts with its /s/ on the third note's onset; its coda ends on the fifth note's end
    start = {s: p for s, _, p in phones}
    assert start[SR] == "s" and start[SR + int(0.09 * SR)] == "ih"
    assert [p for _, e, p in phones if e == 5 * SR // 2] == ["z"]
    # "home" after the rest: /hh/ on its onset, /m/ ending on its written end
    assert phones[-1] == (7 * SR // 2 - int(0.06 * SR), 7 * SR // 2, "m")
    assert reference_phones(ln.lyrics) == ["s", "ih", "s", "t", "er", "s", "ih", "ng", "z",
                                           "hh", "ow", "m"]


def test_a_voice_with_lyrics_gets_phone_features(fixed_lexicon):
    ln = line(WORDS)
    ph = phrases_of(ln, SR)[0]
    feats = phrase_features(ln, ph, SR)
    col = {c: i for i, c in enumerate(COLUMNS)}
    frame = lambda sec: int(round(sec * 100))  # noqa: E731
    assert feats[frame(0.02), col["phone:s"]] == 1.0 and feats[frame(0.02), UNVOICED_COLUMN] == 1
    assert feats[frame(0.3), col["phone:ih"]] == 1.0 and feats[frame(0.3), UNVOICED_COLUMN] == 0
    assert feats[frame(0.3), col["vowel:ee"]] == 1.0
    assert feats[frame(1.8), col["phone:ih"]] == 1.0  # the melisma holds the vowel of "sings"
    assert feats[frame(2.47), col["phone:z"]] == 1.0 and feats[frame(2.47), UNVOICED_COLUMN] == 0.5
    # one phone per sounding frame
    phones = feats[:, col["phone:aa"]:col["phone:zh"] + 1]
    assert np.all(phones.sum(1)[feats[:, col["voiced"]] == 1] == 1.0)


@pytest.mark.parametrize("wordless,phone", [("ah", "aa"), ("oo", "uw")], ids=["ah", "oo"])
def test_a_voice_without_words_sings_the_wordless_vowel(wordless, phone):
    ln = line(())
    assert {p for _, _, p in sung_phones(ln, SR, wordless=wordless)} == {phone}
    feats = phrase_features(ln, phrases_of(ln, SR)[0], SR)
    col = {c: i for i, c in enumerate(COLUMNS)}
    voiced = feats[:, col["voiced"]] == 1
    assert np.all(feats[voiced, col["phone:aa"]] == 1.0) and np.all(feats[voiced,
                                                                          col["vowel:ah"]] == 1)
    assert np.all(feats[:, UNVOICED_COLUMN] == 0)


def test_an_instrument_plays_the_notes_without_phones(fixed_lexicon):
    ln = line(WORDS, inst="strings")
    feats = phrase_features(ln, phrases_of(ln, SR)[0], SR)
    col = {c: i for i, c in enumerate(COLUMNS)}
    assert np.all(feats[:, col["phone:aa"]:] == 0.0)


@pytest.mark.skipif(not lyrics.festival_available(), reason="Festival is not installed "
                    "(apt-get install festival festlex-cmu)")
def test_festival_lexicon_syllabifies_words():
    got = lyrics.pronounce(["Hello", "singing"])
    assert [s.phones for s in got["hello"]] == [("hh", "ah"), ("l", "ow")]
    assert [s.phones for s in got["singing"]] == [("s", "ih", "ng"), ("ih", "ng")]
