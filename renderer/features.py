"""Score features for the neural renderer, frame-aligned at 100 frames per second.

Everything the models see about the notes comes from here, computed from the written score only:
the pitch (as a normalised MIDI number; the vocoder's oscillator gets the exact frequency per
sample from :func:`sample_f0`), onset/offset flags, the position in the note, the phrase and the
piece, the instrument, a dynamic level, the vowel sung on the note, and for a sung voice the
phoneme sung on each frame (:mod:`stretto.renderer.lyrics`: the note's lyric through the
grapheme-to-phoneme step, syllables held over melismas; a sung voice without words on the
wordless vowel) with an ``unvoiced`` level the vocoder turns into breath noise. The sample-level
F0 and the gate (:func:`sample_f0`, :func:`sample_gate`) are what make pitch and timing right by
construction: the networks can shape a note, never move or re-pitch it.

A *phrase* (:func:`phrases_of`) is a run of notes without a rest, cut at a note boundary when it
grows past ``MAX_PHRASE_S``; it is the unit the segment cache renders and reuses.

numpy only (no torch): the features are plain arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from stretto.renderer.lyrics import PHONES, UNVOICED, VOICED_FRICATIVES, VOWEL_CLASS, sung_phones
from stretto.renderer.synth import INSTRUMENTS, midi_to_hz

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from stretto.renderer.engine import Line

FRAME_RATE = 100  # feature / mel frames per second
TOKEN_HOP = 4  # LeLM tokens every 4 frames: 25 tokens per second
MAX_PHRASE_S = 8.0
ATTACK_S = 0.012  # the gate's rise: an onset is heard within ~12 ms of its written sample
RELEASE_S = 0.12  # the gate falls to zero this long after an offset (the issue allows 150 ms)
ARTICULATION_S = 0.03  # a repeated pitch is re-articulated by a dip this long before its onset
MAX_VIBRATO_CENTS = 25.0  # the only pitch freedom the networks have (the issue allows 30)
DYNAMIC_MF = 0.6  # the score model carries no dynamics yet: every note is mezzo-forte

NEURAL_INSTRUMENTS = tuple(INSTRUMENTS)
VOWELS = ("ah", "eh", "ee", "oh", "oo")
SUNG = ("choir",)  # instruments that sing the lyrics (the others play the notes)
#: feature layout (index of each column); the phone columns came with checkpoint 2, and an older
#: checkpoint (fewer columns) is widened with zero weights for them (neural.NeuralModel)
COLUMNS = ("voiced", "pitch", "onset", "offset", "in_note", "since_onset", "to_offset",
           "in_phrase", "in_piece", "dynamic", "release",
           *(f"inst:{i}" for i in NEURAL_INSTRUMENTS), *(f"vowel:{v}" for v in VOWELS),
           *(f"phone:{p}" for p in PHONES), "unvoiced")
N_FEATURES = len(COLUMNS)
N_FEATURES_V1 = COLUMNS.index("phone:" + PHONES[0])  # the layout of checkpoint 1
UNVOICED_COLUMN = COLUMNS.index("unvoiced")
UNVOICED_LEVEL = {**{p: 1.0 for p in UNVOICED}, **{p: 0.5 for p in VOICED_FRICATIVES}}


@dataclass(frozen=True)
class Phrase:
    """Notes ``first``..``last`` (inclusive indices into the line) from sample ``start`` to the
    last note's written end ``end``."""

    first: int
    last: int
    start: int
    end: int

    def span(self, sr: int) -> int:
        """Samples the phrase's audio covers: its notes plus the release."""
        return self.end - self.start + int(round(RELEASE_S * sr)) + 1


def vowel_of(lyric: str | None, instrument: str) -> int:
    """Index into :data:`VOWELS` of the vowel a note is sung on: the first vowel letter of its
    lyric syllable ('Kyri-' -> ee, 'e-' -> eh), 'ah' without words."""
    table = {"a": 0, "e": 1, "i": 2, "y": 2, "o": 3, "u": 4}
    for ch in (lyric or "").lower():
        if ch in table:
            return table[ch]
    return 0


def phrases_of(line: "Line", sr: int, max_seconds: float = MAX_PHRASE_S) -> list[Phrase]:
    """Split a voice at its rests, and long runs at the note boundary nearest ``max_seconds``."""
    out: list[Phrase] = []
    notes = line.notes
    i = 0
    while i < len(notes):
        j = i
        while j + 1 < len(notes) and notes[j + 1][0] <= notes[j][1] \
                and notes[j + 1][1] - notes[i][0] <= max_seconds * sr:
            j += 1
        out.append(Phrase(i, j, notes[i][0], notes[j][1]))
        i = j + 1
    return out


def frame_count(n_samples: int, sr: int) -> int:
    return int(n_samples * FRAME_RATE // sr) + 1


def phrase_features(line: "Line", phrase: Phrase, sr: int) -> "np.ndarray":
    """Score features of one phrase: ``[T, N_FEATURES]`` float32, frame i at
    ``phrase.start / sr + i / FRAME_RATE`` seconds, T covering the notes and the release."""
    import numpy as np

    n = phrase.span(sr)
    t_frames = frame_count(n, sr)
    feats = np.zeros((t_frames, N_FEATURES), dtype=np.float32)
    t = phrase.start / sr + np.arange(t_frames) / FRAME_RATE  # [T] seconds
    col = {c: k for k, c in enumerate(COLUMNS)}
    p_on, p_end = phrase.start / sr, phrase.end / sr
    piece_s = max(line.piece_samples / sr, p_end)
    feats[:, col["in_phrase"]] = np.clip((t - p_on) / max(p_end - p_on, 1e-3), 0, 1)
    feats[:, col["in_piece"]] = np.clip(t / piece_s, 0, 1)
    feats[:, col["inst:" + line.instrument]] = 1.0
    for k in range(phrase.first, phrase.last + 1):
        s, e, midi = line.notes[k]
        on, end = s / sr, e / sr
        inside = (t >= on) & (t < end)
        feats[inside, col["voiced"]] = 1.0
        feats[inside, col["pitch"]] = (midi - 60) / 24.0
        feats[inside, col["in_note"]] = (t[inside] - on) / max(end - on, 1e-3)
        feats[inside, col["since_onset"]] = np.minimum(t[inside] - on, 2.0) / 2.0
        feats[inside, col["to_offset"]] = np.minimum(end - t[inside], 2.0) / 2.0
        feats[inside, col["dynamic"]] = DYNAMIC_MF
        if line.instrument not in SUNG:
            feats[inside, col["vowel:" + VOWELS[vowel_of(line.lyric(k), line.instrument)]]] = 1.0
        feats[min(t_frames - 1, int(round((on - p_on) * FRAME_RATE))), col["onset"]] = 1.0
        feats[min(t_frames - 1, int(round((end - p_on) * FRAME_RATE))), col["offset"]] = 1.0
        after = (t >= end) & (t < end + RELEASE_S) & (feats[:, col["voiced"]] == 0)
        feats[after, col["release"]] = 1.0
    if line.instrument in SUNG:
        sung_features(feats, line, phrase, sr, t)
    return feats


def sung_features(feats: "np.ndarray", line: "Line", phrase: Phrase, sr: int,
                  t: "np.ndarray") -> None:
    """Fill the vowel, phone and unvoiced columns of a sung phrase in place: the phone sung on
    each frame, the vowel class of the syllable's vowel on every frame of its notes."""
    col = {c: k for k, c in enumerate(COLUMNS)}
    lo, hi = line.notes[phrase.first][0], line.notes[phrase.last][1]
    for s, e, p in sung_phones(line, sr):
        if e <= lo or s >= hi:
            continue
        inside = (t >= s / sr) & (t < e / sr)
        feats[inside, col["phone:" + p]] = 1.0
        feats[inside, UNVOICED_COLUMN] = UNVOICED_LEVEL.get(p, 0.0)
        if p in VOWEL_CLASS:
            # the syllable's vowel colours its whole note(s), consonants included
            for k in range(phrase.first, phrase.last + 1):
                ns, ne, _ = line.notes[k]
                if ns < e and s < ne:
                    span = (t >= ns / sr) & (t < ne / sr)
                    feats[span, col["vowel:ah"]:col["vowel:oo"] + 1] = 0.0
                    feats[span, col["vowel:" + VOWEL_CLASS[p]]] = 1.0


def sample_f0(line: "Line", phrase: Phrase, sr: int) -> "np.ndarray":
    """The written pitch in Hz on every sample of the phrase's span (float64): a note's pitch
    from its onset sample to the next onset; the first pitch before the first onset."""
    import numpy as np

    n = phrase.span(sr)
    f0 = np.empty(n, dtype=np.float64)
    idx = range(phrase.first, phrase.last + 1)
    f0[:] = midi_to_hz(line.notes[phrase.first][2])
    for k in idx:
        s = line.notes[k][0] - phrase.start
        f0[s:] = midi_to_hz(line.notes[k][2])
    return f0


def sample_gate(line: "Line", phrase: Phrase, sr: int) -> "np.ndarray":
    """Amplitude gate in [0, 1] on every sample of the phrase's span: zero before the first onset,
    a raised-cosine rise of ``ATTACK_S`` at each onset, one while notes sound, a raised-cosine
    fall over ``RELEASE_S`` after each offset (so rests are silent), and a short dip before a
    repeated pitch so it is heard as a new note."""
    import numpy as np

    n = phrase.span(sr)
    gate = np.zeros(n, dtype=np.float64)
    n_att = max(1, int(round(ATTACK_S * sr)))
    n_rel = max(1, int(round(RELEASE_S * sr)))
    n_art = max(1, int(round(ARTICULATION_S * sr)))
    rise = 0.5 - 0.5 * np.cos(np.pi * np.arange(n_att) / n_att)
    fall = 0.5 + 0.5 * np.cos(np.pi * np.arange(1, n_rel + 1) / n_rel)
    for k in range(phrase.first, phrase.last + 1):
        s, e, midi = line.notes[k]
        s, e = s - phrase.start, e - phrase.start
        env = np.zeros(n)
        nxt = line.notes[k + 1] if k < phrase.last else None
        hold_end, tail = e, fall
        if nxt is not None and nxt[2] == midi and nxt[0] - phrase.start <= e:
            # re-articulate a repeated pitch: a quick fall that ends on the next onset
            hold_end = max(s + n_att, e - n_art)
            k = max(1, e - hold_end)
            tail = 0.5 + 0.5 * np.cos(np.pi * np.arange(1, k + 1) / k)
        a = min(n_att, max(1, hold_end - s))
        env[s:s + a] = rise[:a]
        env[s + a:hold_end] = 1.0
        stop = min(n, hold_end + len(tail))
        env[hold_end:stop] = (env[hold_end - 1] if hold_end > s else 0.0) * tail[:stop - hold_end]
        np.maximum(gate, env, out=gate)
    return gate


__all__ = ["ATTACK_S", "COLUMNS", "FRAME_RATE", "MAX_VIBRATO_CENTS", "NEURAL_INSTRUMENTS",
           "N_FEATURES", "N_FEATURES_V1", "Phrase", "RELEASE_S", "SUNG", "TOKEN_HOP",
           "UNVOICED_COLUMN", "VOWELS", "frame_count", "phrase_features", "sung_features", "phrases_of", "sample_f0", "sample_gate", "vowel_of"]
