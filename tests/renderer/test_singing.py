"""Singing with words: the neural renderer (random weights) keeps every note, consonants come
from the score, an old checkpoint loads unchanged; the Festival teacher sings on the written
pitch; the phoneme error rate's arithmetic and recogniser."""

from __future__ import annotations

import numpy as np
import pytest
from render_pieces import chorale

torch = pytest.importorskip("torch")

from stretto.renderer import lyrics  # noqa: E402
from stretto.renderer.engine import Line  # noqa: E402
from stretto.renderer.features import COLUMNS, N_FEATURES, N_FEATURES_V1  # noqa: E402
from stretto.renderer.lyrics import Syllable  # noqa: E402
from stretto.renderer.neural import NeuralEngine, NeuralModel  # noqa: E402
from stretto.renderer.recognize import (edit_distance, phoneme_error_rate,  # noqa: E402
                                        pocketsphinx_available, recognize_phones)
from stretto.renderer.render import render_piece  # noqa: E402
from stretto.renderer.singing import (festival_singing_available, set_text,  # noqa: E402
                                      singing_xml, with_words)
from stretto.renderer.verify import score_voice, track, verify_render  # noqa: E402

SR = 16_000
VERSE = "sister sits and thinks of six ships passing the shore"


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.slow  # seconds each: make test runs it, make test-fast leaves it out
def test_singing_with_words_keeps_every_note_with_random_weights():
    """--verify's check on a 4-voice chorale opening sung with words full of s, t, k, f, sh."""
    piece = with_words(chorale(12), VERSE)
    assert all(any(n.lyric for n in v.notes) for v in piece.voices)
    render = render_piece(piece, sr=SR, engine=NeuralEngine.load("random"), progress=False)
    for r in verify_render(render, progress=False):
        assert r.note_accuracy >= 0.99, (r.voice, r.wrong)
        assert r.octave_errors == 0


def test_consonants_are_noise_where_the_score_puts_them(monkeypatch):
    """An /s/ is breath noise (high frequencies), the vowel after it harmonic (random weights)."""
    monkeypatch.setattr(lyrics, "pronounce",
                        lambda words: {"see": (Syllable(("s",), "iy", ()),)})
    line = Line("Soprano", "choir", ((0, SR, 67),), ("see",), piece_samples=SR)
    y = NeuralEngine.load("random").render_voice(line, n_samples=2 * SR, sr=SR)

    def high_share(seg):
        spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)))) ** 2
        freqs = np.fft.rfftfreq(len(seg), 1 / SR)
        return spec[freqs > 3000].sum() / spec.sum()

    s_part = y[int(0.02 * SR):int(0.08 * SR)]  # /s/ lasts 90 ms from the onset
    vowel = y[int(0.4 * SR):int(0.46 * SR)]
    assert high_share(s_part) > 10 * high_share(vowel)
    assert np.all(y[SR + int(0.13 * SR):] == 0.0)  # silent after the release


def test_a_checkpoint_without_phone_columns_loads_with_zero_weights_for_them():
    new = NeuralModel.random(3)
    state = new.state()
    old = dict(state)
    n_old = N_FEATURES_V1
    old["lelm.cond.weight"] = state["lelm.cond.weight"][:, :n_old]
    w = state["flow.cond.weight"]
    old["flow.cond.weight"] = torch.cat([w[:, :n_old], w[:, N_FEATURES:]], dim=1)
    old["vocoder.convs.0.weight"] = state["vocoder.convs.0.weight"][:, :64 + n_old]
    back = NeuralModel(old)
    got = back.state()
    assert got["lelm.cond.weight"].shape == state["lelm.cond.weight"].shape
    assert torch.all(got["lelm.cond.weight"][:, n_old:] == 0)
    assert torch.equal(got["flow.cond.weight"][:, N_FEATURES:], w[:, N_FEATURES:])
    assert torch.all(got["vocoder.convs.0.weight"][:, 64 + n_old:] == 0)
    assert COLUMNS[n_old].startswith("phone:")


def test_set_text_gives_whole_words_and_melismas():
    got, _ = set_text(12, VERSE)
    assert len(got) == 12 and got[0] is not None
    words = lyrics.words_of(tuple(got))
    lex = lyrics.pronounce([w.text for w in words])
    # every word has as many written syllables as the lexicon gives it
    assert all(len(lex[w.text]) == len(w.notes) for w in words)
    assert not (got[-1] or "").endswith("-")


needs_festival = pytest.mark.skipif(
    not festival_singing_available(),
    reason="the singing teacher needs Festival and pyworld: apt-get install festival "
    "festvox-kallpc16k; pip install pyworld")


@needs_festival
def test_festival_xml_names_notes_an_octave_up_and_gives_seconds():
    line = Line("Tenor", "choir", ((SR, 2 * SR, 57), (2 * SR, 3 * SR, 60)), ("sing", None),
                piece_samples=3 * SR)
    xml = singing_xml(line, SR)
    assert '<REST SECONDS="1.00000"></REST>' in xml
    assert '<PITCH NOTE="A4+C5"><DURATION SECONDS="1.00000+1.00000">sing</DURATION>' in xml


@needs_festival
def test_the_singing_teacher_sings_on_the_written_pitch():
    from stretto.renderer.singing import sing

    notes = tuple((int((0.3 + 0.4 * i) * SR), int((0.7 + 0.4 * i) * SR), m)
                  for i, m in enumerate((67, 69, 71, 72, 74, 72)))
    lyr, _ = set_text(len(notes), VERSE)
    line = Line("Soprano", "choir", notes, tuple(lyr), piece_samples=3 * SR)
    y = sing(line, 4 * SR, SR)
    assert np.max(np.abs(y[:int(0.3 * SR)])) == 0.0  # nothing before the first onset
    r = score_voice("S", track(y, SR, 67, 74), [(s / SR, e / SR, m) for s, e, m in notes])
    assert r.note_accuracy == 1.0, r.wrong


@pytest.mark.parametrize("ref,hyp,dist", [
    (["s", "iy"], ["s", "iy"], 0), (["s", "iy"], ["iy"], 1), (["s", "iy"], ["sh", "iy", "n"], 2),
    ([], ["aa"], 1),
], ids=["same", "deletion", "sub+insertion", "empty"])
def test_edit_distance(ref, hyp, dist):
    assert edit_distance(ref, hyp) == dist


def test_phoneme_error_rate_collapses_held_vowels():
    assert phoneme_error_rate(["s", "iy"], ["s", "iy", "iy", "iy"]) == 0.0
    assert phoneme_error_rate(["s", "iy", "n"], ["aa"]) == 1.0


@needs_festival
@pytest.mark.skipif(not pocketsphinx_available(), reason="pip install pocketsphinx")
def test_the_recogniser_hears_the_teachers_words_better_than_a_wordless_ah():
    from stretto.renderer.engine import SynthEngine
    from stretto.renderer.singing import TEXTS, sing

    sr = 24_000
    notes = tuple((int(i * 0.45 * sr), int((i + 1) * 0.45 * sr), m) for i, m in
                  enumerate((60, 62, 64, 65, 67, 65, 64, 62, 60, 62, 64, 62, 60, 59, 60, 60)))
    lyr, _ = set_text(len(notes), TEXTS[1][1])
    line = Line("Soprano", "choir", notes, tuple(lyr), piece_samples=notes[-1][1])
    n = line.piece_samples + sr
    ref = lyrics.reference_phones(line.lyrics)
    teacher = phoneme_error_rate(ref, recognize_phones(sing(line, n, sr), sr))
    ah = phoneme_error_rate(ref, recognize_phones(
        SynthEngine().render_voice(line, n_samples=n, sr=sr), sr))
    assert teacher < ah - 0.1, (teacher, ah)


def test_a_changed_word_changes_only_its_phrases_cache_key():
    """The segment cache keys a sung phrase by the phones it sings: another word in the second
    phrase leaves the first phrase's key (and so its samples) alone."""
    from stretto.renderer.features import phrases_of

    notes = ((0, SR // 2, 67), (SR // 2, SR, 69), (2 * SR, 5 * SR // 2, 67),
             (5 * SR // 2, 3 * SR, 65))
    a = Line("Soprano", "choir", notes, ("sis-", "-ter", "sings", "home"), piece_samples=3 * SR)
    b = Line("Soprano", "choir", notes, ("sis-", "-ter", "sings", "high"), piece_samples=3 * SR)
    eng = NeuralEngine.load("random")
    pa, pb = phrases_of(a, SR), phrases_of(b, SR)
    assert len(pa) == 2
    assert eng.phrase_key(a, pa[0], SR) == eng.phrase_key(b, pb[0], SR)
    assert eng.phrase_key(a, pa[1], SR) != eng.phrase_key(b, pb[1], SR)


def test_the_sung_corpus_without_festival_is_a_one_line_error(monkeypatch, tmp_path, capsys):
    from stretto.cli import main
    from stretto.renderer import singing

    monkeypatch.setattr(singing, "festival_singing_available", lambda: False)
    code = main(["train-renderer", "--out", str(tmp_path / "run"), "--corpus", "sung",
                 "--minutes", "1", "--size", "tiny"])
    err = capsys.readouterr().err
    assert code == 2 and "apt-get install festival" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run" / "data.npz").exists()
