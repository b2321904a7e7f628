"""The singing teacher: a voice with words sung by Festival, on the score's exact pitch.

Festival's singing mode (Debian ``festival`` with the ``festvox-kallpc16k`` diphone voice) sings
words to notes from a small XML file. Its known traps are avoided: its ``NOTE`` names are an
octave high (A5 is 440 Hz), so each note is named an octave up; durations are given as
``SECONDS`` (a ``BEATS`` value lasts 50/BPM s); its ``FREQ`` attribute crashes Festival 2.5
(segmentation fault), and so does any note above about 450 Hz, so a high line is given to
Festival whole octaves lower (at most ``FESTIVAL_MAX_MIDI``): WORLD puts it back on the written
pitch. Each written syllable is one Festival syllable (``,``); the notes of a melisma
are slurred within it (``+``); rests are ``<REST SECONDS=...>``. Festival places a syllable's
onset consonants at the note's start and its coda before the note's end, as
:func:`stretto.renderer.lyrics.sung_phones` does, so the score features and the teacher agree.

Festival's own intonation glides between notes, so its output is re-synthesised with WORLD
(``pyworld``): its spectral envelope and aperiodicity are kept, its F0 is replaced by the
written F0 of the note sounding at each frame (voiced wherever Festival voiced or the score has a
vowel), and nothing sounds outside the written notes. The teacher's pitch is then exact.

:func:`sung_lines` builds the training lines with words: melodies from Bach chorales (every
voice, music21's corpus) and Fux's cantus firmi, with English public-domain verse set one syllable
per note (an occasional two-note melisma), the word split into the lexicon's syllables.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from stretto.errors import BadInput
from stretto.renderer.engine import Line
from stretto.renderer.lyrics import VOWEL_PHONES, note_syllables, pronounce, sung_phones, words_of

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from stretto.score import Piece

FESTIVAL_SR = 16_000
WORLD_PERIOD_MS = 5.0
FESTIVAL_MAX_MIDI = 62  # D4, 294 Hz: the kal diphone voice crashes above ~450 Hz
#: English verse in the public domain (authors died before 1900), for the training lines.
#: The last text is held out: the benchmark sings it, training never sees it.
TEXTS = (
    ("Old Hundredth, William Kethe (1561)",
     "All people that on earth do dwell sing to the Lord with cheerful voice him serve with "
     "mirth his praise forth tell come ye before him and rejoice the Lord ye know is God "
     "indeed without our aid he did us make we are his folk he doth us feed and for his sheep "
     "he doth us take"),
    ("Amazing Grace, John Newton (1779)",
     "amazing grace how sweet the sound that saved a wretch like me I once was lost but now am "
     "found was blind but now I see twas grace that taught my heart to fear and grace my fears "
     "relieved how precious did that grace appear the hour I first believed"),
    ("The Star, Jane Taylor (1806)",
     "twinkle twinkle little star how I wonder what you are up above the world so high like a "
     "diamond in the sky when the blazing sun is gone when he nothing shines upon then you show "
     "your little light twinkle twinkle all the night"),
    ("Sonnet 18, William Shakespeare (1609)",
     "shall I compare thee to a summer day thou art more lovely and more temperate rough winds "
     "do shake the darling buds of May and summer lease hath all too short a date sometime too "
     "hot the eye of heaven shines and often is his gold complexion dimmed"),
    ("The Tyger, William Blake (1794)",
     "tyger tyger burning bright in the forests of the night what immortal hand or eye could "
     "frame thy fearful symmetry in what distant deeps or skies burnt the fire of thine eyes on "
     "what wings dare he aspire what the hand dare seize the fire"),
    ("Abide with Me, Henry Francis Lyte (1847)",
     "abide with me fast falls the eventide the darkness deepens Lord with me abide when other "
     "helpers fail and comforts flee help of the helpless O abide with me"),
)
HELD_OUT_TEXT = TEXTS[-1]
MELISMA_EVERY = 7  # every 7th syllable (in a long enough note run) is held over two notes


def festival_singing_available() -> bool:
    """Festival's text2wave, the kal diphone voice and pyworld are all installed."""
    if shutil.which("text2wave") is None or not Path(
            "/usr/share/festival/voices/english/kal_diphone").is_dir():
        return False
    try:
        load_pyworld()
    except (BadInput, ImportError):
        return False
    return True


def singing_xml(line: Line, sr: int) -> str:
    """Festival's singing-mode XML for a voice with words (one syllable per written syllable,
    melismas slurred, rests as REST, exact seconds and Hz)."""
    notes = line.notes
    sylls = note_syllables(line)
    if not sylls:
        raise BadInput(f"{line.name} has no lyrics to sing")
    start_of = {first: (first, last) for first, last, _ in sylls}
    top = max(m for _, _, m in notes)
    down = 12 * max(0, -(-(top - FESTIVAL_MAX_MIDI) // 12))  # whole octaves
    words = words_of(tuple(line.lyric(i) for i in range(len(notes))))
    lex = pronounce([w.text for w in words])
    parts = ['<?xml version="1.0"?>',
             '<!DOCTYPE SINGING PUBLIC "-//SINGING//DTD SINGING mark up//EN" '
             '"Singing.v0_1.dtd" []>', '<SINGING BPM="60">']
    now = 0  # samples sung so far
    for w in words:
        if len(lex.get(w.text, ())) != len(w.notes):
            raise BadInput(f"{line.name}: the word {w.text!r} has {len(lex.get(w.text, ()))} "
                           f"syllables in the lexicon but {len(w.notes)} written syllables")
        secs, freqs = [], []
        for k in w.notes:
            if k not in start_of:
                raise BadInput(f"{line.name}: note {k + 1}'s syllable cannot be sung")
            first, last = start_of[k]
            if notes[first][0] > now:
                if secs:
                    raise BadInput(f"{line.name}: a rest inside the word {w.text!r}")
                parts.append(f'<REST SECONDS="{(notes[first][0] - now) / sr:.5f}"></REST>')
            secs.append("+".join(f"{(notes[j][1] - notes[j][0]) / sr:.5f}"
                                 for j in range(first, last + 1)))
            freqs.append("+".join(festival_note(notes[j][2] - down)
                                  for j in range(first, last + 1)))
            now = notes[last][1]
        parts.append(f'<PITCH NOTE="{",".join(freqs)}"><DURATION SECONDS="{",".join(secs)}">'
                     f'{w.text}</DURATION></PITCH>')
    parts.append("</SINGING>")
    return "\n".join(parts) + "\n"


def festival_note(midi: int) -> str:
    """Festival's name of a MIDI pitch: an octave above the usual name (A5 is 440 Hz)."""
    names = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
    return f"{names[midi % 12]}{midi // 12}"


def sing(line: Line, n_samples: int, sr: int) -> "np.ndarray":
    """The teacher's singing of ``line`` (words from its lyrics) at ``sr``, ``n_samples`` long,
    on the written pitch."""
    import math

    import numpy as np
    import soundfile as sf
    from scipy.signal import resample_poly

    if not festival_singing_available():
        raise BadInput("singing with words needs Festival and pyworld: apt-get install "
                       "festival festvox-kallpc16k; pip install pyworld")
    xml = singing_xml(line, sr)
    with tempfile.TemporaryDirectory() as tmp:
        src, wav = Path(tmp) / "song.xml", Path(tmp) / "song.wav"
        src.write_text(xml)
        try:
            subprocess.run(["text2wave", "-mode", "singing", str(src), "-o", str(wav)],
                           check=True, capture_output=True, timeout=600)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise BadInput(f"Festival could not sing {line.name}: {exc}") from None
        audio, fsr = sf.read(wav)
    if audio.ndim > 1:
        audio = audio.mean(axis=1)
    fixed = impose_f0(np.asarray(audio, dtype=np.float64), fsr, line, sr)
    g = math.gcd(fsr, sr)
    out = resample_poly(fixed, sr // g, fsr // g)
    y = np.zeros(n_samples)
    y[:min(n_samples, len(out))] = out[:n_samples]
    return y


def load_pyworld():
    """``import pyworld``. pyworld 0.3.5 imports ``pkg_resources`` only to read its own version,
    and setuptools 81+ no longer ships that module: a stand-in answering from
    ``importlib.metadata`` is put in its place only while pyworld is imported."""
    import sys
    import types
    from importlib import metadata

    try:
        import pyworld
        return pyworld
    except ModuleNotFoundError as exc:
        if exc.name != "pkg_resources":
            raise BadInput("the singing teacher needs pyworld: pip install pyworld") from None
    except ImportError:
        raise BadInput("the singing teacher needs pyworld: pip install pyworld") from None
    shim = types.ModuleType("pkg_resources")
    shim.get_distribution = lambda name: types.SimpleNamespace(version=metadata.version(name))
    sys.modules["pkg_resources"] = shim
    try:
        import pyworld
    finally:
        del sys.modules["pkg_resources"]
    return pyworld


def impose_f0(audio: "np.ndarray", fsr: int, line: Line, sr: int) -> "np.ndarray":
    """Re-synthesise ``audio`` (at ``fsr``) with WORLD on the written F0 of ``line`` (whose
    samples are at ``sr``): voiced where Festival voiced or a vowel is written, silent outside
    the written notes."""
    import numpy as np

    from stretto.renderer.synth import midi_to_hz

    pyworld = load_pyworld()
    f0, t = pyworld.dio(audio, fsr, frame_period=WORLD_PERIOD_MS, f0_floor=60.0, f0_ceil=900.0)
    f0 = pyworld.stonemask(audio, f0, t, fsr)
    sp = pyworld.cheaptrick(audio, f0, t, fsr)
    ap = pyworld.d4c(audio, f0, t, fsr)
    written = np.zeros(len(t))
    inside = np.zeros(len(t), dtype=bool)
    for s, e, m in line.notes:
        span = (t >= s / sr) & (t < e / sr)
        written[span] = midi_to_hz(m)
        inside |= span
    vowel = np.zeros(len(t), dtype=bool)
    for s, e, p in sung_phones(line, sr):
        if p in VOWEL_PHONES:
            vowel |= (t >= s / sr) & (t < e / sr)
    voiced = inside & ((f0 > 0) | vowel)
    new_f0 = np.where(voiced, written, 0.0)
    y = pyworld.synthesize(new_f0, sp, ap, fsr, frame_period=WORLD_PERIOD_MS)
    # nothing outside the written notes (plus a short natural release)
    env = np.zeros(len(y))
    rel = int(0.08 * fsr)
    for s, e, _ in line.notes:
        a, b = int(s / sr * fsr), int(e / sr * fsr)
        env[a:b] = 1.0
        tail = np.linspace(1.0, 0.0, rel)[:max(0, min(len(y), b + rel) - b)]
        env[b:b + len(tail)] = np.maximum(env[b:b + len(tail)], tail)
    return y * env


def split_word(word: str, n: int) -> list[str]:
    """Cut ``word`` into ``n`` written syllables with hyphens (``Ky-``, ``-ri-``, ``-e``); the
    cut points are cosmetic: the lexicon's syllables are what is sung."""
    n = max(1, min(n, len(word)))
    cuts = [round(i * len(word) / n) for i in range(n + 1)]
    pieces = [word[a:b] for a, b in zip(cuts, cuts[1:])]
    if n == 1:
        return pieces
    return [pieces[0] + "-", *("-" + p + "-" for p in pieces[1:-1]), "-" + pieces[-1]]


def set_text(n_notes: int, text: str, offset: int = 0) -> tuple[list[str | None], int]:
    """Lyrics for a run of ``n_notes`` legato notes from ``text``, starting at word ``offset``
    (wrapping around): one syllable per note, the word cut into the lexicon's syllables, every
    ``MELISMA_EVERY``-th syllable that ends a word held over a second note, and a word that no
    longer fits replaced by holding the last syllable. Returns the lyrics and the next offset."""
    words = text.lower().split()
    lex = pronounce(words)
    out: list[str | None] = []
    count = 0
    i = offset
    while len(out) < n_notes:
        w = words[i % len(words)]
        sylls = split_word(w, len(lex.get(w, ())) or 1)
        if len(sylls) > n_notes - len(out):
            if not out:  # not even one word fits: sing a one-syllable word of the text
                short = [x for x in words if len(lex.get(x, ())) == 1] or ["ah"]
                out.append(short[i % len(short)])
            out.extend([None] * (n_notes - len(out)))
            break
        for syl in sylls:
            out.append(syl)
            count += 1
            if count % MELISMA_EVERY == 0 and syl is sylls[-1] and len(out) < n_notes:
                out.append(None)  # a melisma on a word's last syllable
        i += 1
    return out[:n_notes], i


def with_words(piece: "Piece", text: str, offset: int = 0) -> "Piece":
    """``piece`` with every voice's notes carrying ``text``: words never cross a rest (each run
    of legato notes gets whole words); ties keep the syllable of their first note."""
    from dataclasses import replace

    voices = []
    for vi, v in enumerate(piece.voices):
        runs: list[list[str]] = []  # note ids of each run of legato notes (ties merged)
        prev_end = None
        for n in v.sounding():
            if runs and prev_end is not None and n.onset <= prev_end:
                runs[-1].append(n.id)
            else:
                runs.append([n.id])
            prev_end = n.end
        by: dict[str, str | None] = {}
        at = offset + 11 * vi
        for run in runs:
            lyr, at = set_text(len(run), text, at)
            by.update(zip(run, lyr))
        voices.append(replace(v, notes=tuple(replace(n, lyric=by.get(n.id)) for n in v.notes)))
    return replace(piece, voices=tuple(voices))


__all__ = ["FESTIVAL_SR", "HELD_OUT_TEXT", "TEXTS", "festival_singing_available", "impose_f0",
           "set_text", "sing", "singing_xml", "split_word", "with_words"]
