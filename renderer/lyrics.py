"""Lyrics to phonemes, phonemes to notes: what a sung voice says and when.

A voice's lyrics come from the score model (``Note.lyric``: one syllable per note, with the
MusicXML/music21 hyphen convention ``Ky-``, ``-ri-``, ``-e`` for a word's syllables). This module

1. groups the syllables into words (:func:`words_of`);
2. looks each word up in an offline grapheme-to-phoneme step (:func:`pronounce`): Festival's
   lexicon (Debian ``festival`` with ``festlex-cmu``: the CMU pronouncing dictionary plus letter-
   to-sound rules for unknown words, syllabified, ARPAbet phones). Where Festival is missing, a
   small documented rule-based fallback (:func:`rule_g2p`) spells English-like words letter by
   letter into the same phone set; it is cruder (no dictionary, one vowel per letter group);
3. aligns the word's lexicon syllables to its notes (:func:`sung_phones`): each syllable starts
   on its lyric's note and is held over the following notes without a lyric (a melisma) until
   the next lyric or a rest; its onset consonants take their average durations from the note's
   start, its coda consonants end on the written end of its last note, and the vowel fills the
   rest (shrunk in proportion when a syllable is too short), as Festival's singing mode does.

A sung voice without words is sung on one vowel (``ah`` by default, or ``oo``).

Phones are the 39 ARPAbet phonemes of the CMU dictionary (the ones pocketsphinx's en-us model
recognises); Festival's schwa ``ax`` is ``ah``. Pure Python; Festival is a subprocess.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from stretto.renderer.engine import Line

PHONES = ("aa", "ae", "ah", "ao", "aw", "ay", "b", "ch", "d", "dh", "eh", "er", "ey", "f", "g",
          "hh", "ih", "iy", "jh", "k", "l", "m", "n", "ng", "ow", "oy", "p", "r", "s", "sh", "t",
          "th", "uh", "uw", "v", "w", "y", "z", "zh")
VOWEL_PHONES = frozenset({"aa", "ae", "ah", "ao", "aw", "ay", "eh", "er", "ey", "ih", "iy", "ow",
                          "oy", "uh", "uw"})
UNVOICED = frozenset({"p", "t", "k", "f", "th", "s", "sh", "ch", "hh"})
VOICED_FRICATIVES = frozenset({"v", "dh", "z", "zh", "jh"})
#: the neutral vowels of a voice without words
WORDLESS = {"ah": "aa", "oo": "uw"}
#: the five vowel classes of the feature layout (features.VOWELS) for each vowel phone
VOWEL_CLASS = {"aa": "ah", "ah": "ah", "ay": "ah", "aw": "ah", "ae": "eh", "eh": "eh",
               "ey": "eh", "er": "eh", "ih": "ee", "iy": "ee", "ao": "oh", "ow": "oh",
               "oy": "oh", "uh": "oo", "uw": "oo"}
#: average consonant durations in seconds (stops, fricatives, nasals/liquids, glides)
CONSONANT_S = {**{p: 0.06 for p in ("p", "t", "k", "b", "d", "g")},
               **{p: 0.09 for p in ("f", "th", "s", "sh", "ch", "v", "dh", "z", "zh", "jh")},
               **{p: 0.06 for p in ("m", "n", "ng", "l", "r")},
               **{p: 0.05 for p in ("w", "y", "hh")}}
MAX_CONSONANT_SHARE = 0.5  # consonants never take more than half a syllable's notes
FESTIVAL_TIMEOUT_S = 60


@dataclass(frozen=True)
class Syllable:
    """One syllable's phones: onset consonants, the vowel, coda consonants."""

    onset: tuple[str, ...]
    nucleus: str
    coda: tuple[str, ...]

    @property
    def phones(self) -> tuple[str, ...]:
        return (*self.onset, self.nucleus, *self.coda)


@dataclass(frozen=True)
class Word:
    """A word of the lyrics and the note indices whose lyric is one of its syllables."""

    text: str
    notes: tuple[int, ...]


def clean(text: str) -> str:
    """A syllable's letters only, lower case (``"-ri-,"`` -> ``"ri"``)."""
    return re.sub(r"[^a-z']", "", text.lower()).replace("'", "")


def words_of(lyrics: "tuple[str | None, ...]") -> list[Word]:
    """Group per-note syllables into words: a syllable ending with ``-`` continues into the next
    lyric; any other ends its word. Notes without a lyric (melismas) are skipped."""
    out: list[Word] = []
    text, notes = "", []
    for i, lyr in enumerate(lyrics):
        if lyr is None or not clean(lyr):
            continue
        text += clean(lyr)
        notes.append(i)
        if not lyr.rstrip().endswith("-"):
            out.append(Word(text, tuple(notes)))
            text, notes = "", []
    if notes:
        out.append(Word(text, tuple(notes)))
    return out


def syllable_of(phones: list[str]) -> Syllable:
    """Split one syllable's phones at its (first) vowel; a syllable without a vowel gets the
    schwa ``ah`` after its consonants."""
    for i, p in enumerate(phones):
        if p in VOWEL_PHONES:
            return Syllable(tuple(phones[:i]), p, tuple(phones[i + 1:]))
    return Syllable(tuple(phones), "ah", ())


def parse_festival(text: str) -> dict[str, tuple[Syllable, ...]]:
    """Read ``word<TAB>(lex.lookup ...)`` lines: syllables as ``((ph ph) stress)`` groups."""
    out = {}
    for row in text.splitlines():
        word, sep, entry = row.partition("\t")
        if not sep:
            continue
        groups = re.findall(r"\(\(([a-z ]+)\) \d\)", entry)
        sylls = []
        for g in groups:
            phones = ["ah" if p == "ax" else p for p in g.split()]
            phones = [p for p in phones if p in PHONES]
            if phones:
                sylls.append(syllable_of(phones))
        if sylls:
            out[word] = tuple(sylls)
    return out


def festival_available() -> bool:
    return shutil.which("festival") is not None


@lru_cache(maxsize=4096)
def festival_lookup(words: tuple[str, ...]) -> dict[str, tuple[Syllable, ...]]:
    """Festival lexicon entries (CMU dictionary + letter-to-sound) of ``words``, one process."""
    script = "(mapcar (lambda (w) (format t \"%s\\t%l\\n\" w (lex.lookup w nil))) '(" + \
        " ".join(f'"{w}"' for w in words) + "))\n"
    try:
        done = subprocess.run(["festival", "--pipe"], input=script, capture_output=True,
                              text=True, timeout=FESTIVAL_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return parse_festival(done.stdout)


#: the rule-based fallback: letter groups to phones, longest first (English-like spelling)
RULES = (("tion", ("sh", "ah", "n")), ("igh", ("ay",)), ("ough", ("ow",)), ("sch", ("sh",)),
         ("ch", ("ch",)), ("sh", ("sh",)), ("th", ("th",)), ("ph", ("f",)), ("ng", ("ng",)),
         ("ck", ("k",)), ("qu", ("k", "w")), ("wh", ("w",)), ("ee", ("iy",)), ("ea", ("iy",)),
         ("oo", ("uw",)), ("ou", ("aw",)), ("ow", ("ow",)), ("oi", ("oy",)), ("oy", ("oy",)),
         ("ai", ("ey",)), ("ay", ("ey",)), ("au", ("ao",)), ("ei", ("ay",)), ("ie", ("iy",)),
         ("a", ("aa",)), ("e", ("eh",)), ("i", ("ih",)), ("o", ("ow",)), ("u", ("uw",)),
         ("y", ("iy",)), ("b", ("b",)), ("c", ("k",)), ("d", ("d",)), ("f", ("f",)),
         ("g", ("g",)), ("h", ("hh",)), ("j", ("jh",)), ("k", ("k",)), ("l", ("l",)),
         ("m", ("m",)), ("n", ("n",)), ("p", ("p",)), ("r", ("r",)), ("s", ("s",)),
         ("t", ("t",)), ("v", ("v",)), ("w", ("w",)), ("x", ("k", "s")), ("z", ("z",)))


def rule_g2p(word: str) -> tuple[Syllable, ...]:
    """The fallback grapheme-to-phoneme: spelling rules (:data:`RULES`), a final silent ``e``
    dropped, one syllable per vowel group, a single consonant between vowels starting the next
    syllable. Crude; used only where Festival is not installed."""
    w = clean(word)
    if len(w) > 3 and w.endswith("e") and w[-2] not in "aeiouy":
        w = w[:-1]
    phones: list[str] = []
    i = 0
    while i < len(w):
        for g, ph in RULES:
            if w.startswith(g, i):
                phones.extend(ph)
                i += len(g)
                break
        else:
            i += 1
    if not phones:
        return ()
    nuclei = [i for i, p in enumerate(phones) if p in VOWEL_PHONES]
    if not nuclei:
        return (syllable_of(phones),)
    cuts = [0]
    for a, b in zip(nuclei, nuclei[1:]):
        gap = b - a - 1  # consonants between two vowels: the last one starts the next syllable
        cuts.append(b - min(gap, 1) if gap else b)
    cuts.append(len(phones))
    return tuple(syllable_of(phones[s:e]) for s, e in zip(cuts, cuts[1:]))


def pronounce(words: "list[str] | tuple[str, ...]") -> dict[str, tuple[Syllable, ...]]:
    """Syllabified phones of each word: Festival's lexicon, else :func:`rule_g2p`."""
    uniq = tuple(sorted({clean(w) for w in words if clean(w)}))
    found = festival_lookup(uniq) if uniq and festival_available() else {}
    return {w: found.get(w) or rule_g2p(w) for w in uniq}


def assign_syllables(n_text: int, sylls: tuple[Syllable, ...]) -> list[Syllable | None]:
    """Spread a word's lexicon syllables over its ``n_text`` written syllables: written syllable
    j takes lexicon syllables [ceil(j*L/T), ceil((j+1)*L/T)); several are merged (the later
    ones' phones become coda), none means the previous vowel is held (``None``), so the word
    starts on its first syllable and a surplus of notes holds its last vowels."""
    n_lex = len(sylls)
    out: list[Syllable | None] = []
    for j in range(n_text):
        a, b = -(-j * n_lex // n_text), -(-(j + 1) * n_lex // n_text)
        if b <= a:
            out.append(None)
            continue
        first = sylls[a]
        extra = tuple(p for s in sylls[a + 1:b] for p in s.phones)
        out.append(Syllable(first.onset, first.nucleus, first.coda + extra))
    return out


def note_syllables(line: "Line") -> list[tuple[int, int, Syllable]]:
    """The syllables a sung voice sings: (first note, last note, syllable). A syllable is held
    over the notes after it without a lyric (a melisma) while they are legato; a note before
    the first lyric, or after a rest with no lyric of its own, is sung on the wordless vowel."""
    notes = line.notes
    lyrics = tuple(line.lyric(i) for i in range(len(notes)))
    words = words_of(lyrics)
    if not words:
        return []
    lex = pronounce([w.text for w in words])
    by_note: dict[int, Syllable | None] = {}
    for w in words:
        for k, s in zip(w.notes, assign_syllables(len(w.notes), lex.get(w.text, ()))):
            by_note[k] = s
    out: list[tuple[int, int, Syllable]] = []
    prev: Syllable | None = None
    for k in sorted(by_note):
        syl = by_note[k] or (Syllable((), prev.nucleus, ()) if prev else None)
        if syl is None:
            continue
        last = k
        while last + 1 < len(notes) and (last + 1) not in by_note \
                and notes[last + 1][0] <= notes[last][1]:
            last += 1
        out.append((k, last, syl))
        prev = syl
    return out


def sung_phones(line: "Line", sr: int, *,
                wordless: str = "ah") -> list[tuple[int, int, str]]:
    """Every phone the voice sings as (start sample, end sample, phone), in time order, within
    the written notes (nothing before an onset or after an offset)."""
    if wordless not in WORDLESS:
        raise ValueError(f"wordless vowel {wordless!r}: use {', '.join(WORDLESS)}")
    notes = line.notes
    covered = [False] * len(notes)
    out: list[tuple[int, int, str]] = []
    for first, last, syl in note_syllables(line):
        s, e = notes[first][0], notes[last][1]
        for k in range(first, last + 1):
            covered[k] = True
        n = e - s
        on = [int(round(CONSONANT_S.get(p, 0.06) * sr)) for p in syl.onset]
        co = [int(round(CONSONANT_S.get(p, 0.06) * sr)) for p in syl.coda]
        # the onset consonants must end inside the first note, the coda start inside the last
        first_len = notes[first][1] - notes[first][0]
        last_len = notes[last][1] - notes[last][0]
        room_on = MAX_CONSONANT_SHARE * (first_len if last > first else n / 2 if co else n)
        room_co = MAX_CONSONANT_SHARE * (last_len if last > first else n / 2 if on else n)
        f_on = min(1.0, room_on / max(1, sum(on)))
        f_co = min(1.0, room_co / max(1, sum(co)))
        t = s
        for p, d in zip(syl.onset, on):
            d = int(d * f_on)
            if d > 0:
                out.append((t, t + d, p))
                t += d
        coda_len = sum(int(d * f_co) for d in co)
        out.append((t, e - coda_len, syl.nucleus))
        t = e - coda_len
        for p, d in zip(syl.coda, co):
            d = int(d * f_co)
            if d > 0:
                out.append((t, t + d, p))
                t += d
    vowel = WORDLESS[wordless]
    for k, (s, e, _) in enumerate(notes):
        if not covered[k]:
            out.append((s, e, vowel))
    return sorted(out)


def reference_phones(lyrics: "tuple[str | None, ...]") -> list[str]:
    """The phones a listener should hear for these lyrics (no timing): what the phoneme error
    rate is measured against."""
    words = words_of(lyrics)
    lex = pronounce([w.text for w in words])
    return [p for w in words for s in lex.get(w.text, ()) for p in s.phones]


__all__ = ["CONSONANT_S", "PHONES", "Syllable", "UNVOICED", "VOICED_FRICATIVES", "VOWEL_CLASS",
           "VOWEL_PHONES", "WORDLESS", "Word", "assign_syllables", "festival_available",
           "note_syllables", "pronounce", "reference_phones", "rule_g2p", "sung_phones",
           "words_of"]
