"""Phoneme error rate of sung words, by an offline recogniser (pocketsphinx, en-us).

:func:`recognize_phones` runs pocketsphinx's phone decoder (the en-us acoustic model and the
phone language model bundled in the ``pocketsphinx`` package: nothing downloads) on audio
resampled to 16 kHz, and returns its ARPAbet phones (silence and noise tokens dropped).
:func:`phoneme_error_rate` is the edit distance between the phones a listener should hear
(:func:`stretto.renderer.lyrics.reference_phones`) and the recognised ones, over the reference
length. Sung vowels last far longer than spoken ones and the recogniser often splits them, so
runs of one phone are collapsed in both strings before they are compared.

The absolute figures are high for any singing (the model was trained on read speech); what
they are for is comparing two singers of the same words, e.g. the neural renderer and its
teacher (``bench/neural_bench.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stretto.errors import BadInput

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

ASR_SR = 16_000
#: weight of the phone language model. pocketsphinx's example setting (2, with wide beams)
#: inserts a phone every few frames of a sustained sung vowel: on one 7 s line it rated the
#: Festival teacher (0.92) worse than a wordless "ah" (0.87). At 10 the phone n-gram keeps the
#: output to phone sequences that occur in English: the teacher 0.66, the "ah" 0.92.
PHONE_LM_WEIGHT = 10.0
NOT_PHONES = frozenset({"SIL", "+SPN+", "+NSN+", "+BREATH+", "+COUGH+", "+NOISE+", "+UM+",
                        "+UH+", "<s>", "</s>", "<sil>"})


def pocketsphinx_available() -> bool:
    from importlib.util import find_spec

    return find_spec("pocketsphinx") is not None


def recognize_phones(audio: "np.ndarray", sr: int) -> list[str]:
    """The phones pocketsphinx hears in mono ``audio`` at ``sr`` (lower-case ARPAbet)."""
    import math
    import os

    import numpy as np
    from scipy.signal import resample_poly

    try:
        from pocketsphinx import Decoder, get_model_path
    except ImportError:
        raise BadInput("the phoneme error rate needs pocketsphinx: pip install pocketsphinx") \
            from None
    g = math.gcd(sr, ASR_SR)
    y = resample_poly(np.asarray(audio, dtype=np.float64), ASR_SR // g, sr // g)
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    if peak <= 0:
        return []
    pcm = (np.clip(y / peak * 0.8, -1, 1) * 32767).astype(np.int16).tobytes()
    model = get_model_path()
    dec = Decoder(hmm=os.path.join(model, "en-us", "en-us"),
                  allphone=os.path.join(model, "en-us", "en-us-phone.lm.bin"),
                  lw=PHONE_LM_WEIGHT, samprate=ASR_SR, loglevel="FATAL")
    dec.start_utt()
    dec.process_raw(pcm, full_utt=True)
    dec.end_utt()
    return [s.word.lower() for s in dec.seg() if s.word.upper() not in NOT_PHONES]


def collapse(phones: list[str]) -> list[str]:
    """Runs of one phone as one (``aa aa aa`` -> ``aa``)."""
    return [p for i, p in enumerate(phones) if i == 0 or phones[i - 1] != p]


def edit_distance(a: list[str], b: list[str]) -> int:
    """Levenshtein distance (substitutions, insertions, deletions all cost 1)."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def phoneme_error_rate(reference: list[str], recognised: list[str]) -> float:
    """Edit distance / reference length, runs collapsed in both."""
    ref, hyp = collapse(reference), collapse(recognised)
    if not ref:
        raise ValueError("an empty reference has no phoneme error rate")
    return edit_distance(ref, hyp) / len(ref)


__all__ = ["ASR_SR", "collapse", "edit_distance", "phoneme_error_rate", "pocketsphinx_available",
           "recognize_phones"]
