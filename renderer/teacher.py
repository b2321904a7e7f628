"""Teacher data for ``stretto train-renderer``: scores stretto ships or generates, rendered by a
teacher, cut into training windows.

Scores (the ``corpus`` names):

* ``species`` - stretto solves Fux's six shipped cantus firmi (corpora/fux_cantus.toml) in
  2-, 3- and 4-voice species settings (first, second, third species) with CP-SAT;
* ``chorales`` - Bach four-part chorales from music21's bundled corpus (public-domain works);
* ``sung`` - sung lines with words: every voice of Bach chorales (music21's corpus, not the
  benchmark's held-out bwv66.6 and bwv269) set to English public-domain verse
  (:data:`stretto.renderer.singing.TEXTS`, the last text held out), sung as choir by the
  singing teacher (Festival + WORLD on the written pitch, :mod:`stretto.renderer.singing`).

Every voice becomes an item: a :class:`~stretto.renderer.engine.Line` at 24 kHz with an
instrument (singers' voices as choir and one other instrument in rotation), at a tempo drawn
from the seeded generator. The teacher renders it:

* ``synth`` - the built-in synthesis (numpy; what the tests use: no system packages);
* ``fluidsynth`` - the FluidSynth program with a General MIDI SoundFont (Debian:
  ``apt-get install fluidsynth fluid-soundfont-gm``; FluidR3_GM, MIT licence), one MIDI file
  per voice with the instrument's General MIDI program.

Neither sings words, so their items carry no lyrics (a choir item is a wordless "ah"); the
``sung`` corpus's items are always rendered by the singing teacher (``festival``), whatever
``teacher`` says.

Each item is normalised to one loudness, split into phrases (the renderer's unit), and each
phrase into windows of ``WINDOW_FRAMES`` frames with their score features, teacher log-mel,
teacher audio, written F0 and gate. Every piece's source and licence go into the data card.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from stretto.errors import BadInput
from stretto.renderer.engine import Line
from stretto.renderer.features import (FRAME_RATE, N_FEATURES, phrase_features, phrases_of,
                                       sample_f0, sample_gate)

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from stretto.score import Piece

TEACHER_SR = 24_000
WINDOW_FRAMES = 200  # 2 s
WINDOW_SAMPLES = WINDOW_FRAMES * TEACHER_SR // FRAME_RATE
TEACHERS = ("synth", "fluidsynth")
SINGING_TEACHER = "festival"  # the teacher of the sung corpus (words)
CORPORA = ("species", "chorales", "sung")
HELD_OUT_CHORALES = ("bwv66.6", "bwv269")  # the benchmark's pieces, never trained on
DEFAULT_SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
ACTIVE_RMS = 0.12  # every teacher item is scaled to this RMS over its sounding samples
OTHER = ("strings", "organ", "flute", "clarinet", "piano")
SPECIES_SETTINGS = (("1", 2), ("1", 4), ("2", 2), ("3", 2), ("3,1", 3), ("1", 3))


@dataclass(frozen=True)
class Source:
    """Where a piece came from, for the data card."""

    id: str
    what: str
    licence: str
    consent: str


def manifest_entry(item_id: str) -> dict:
    """The corpora/manifest.toml entry ``item_id`` (source, licence, consent)."""
    import sys
    from importlib import resources

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    text = resources.files("stretto.corpora").joinpath("manifest.toml").read_text("utf-8")
    for item in tomllib.loads(text).get("item", []):
        if item.get("id") == item_id:
            return item
    raise BadInput(f"corpora/manifest.toml has no item {item_id!r}")


def species_pieces(limit: int, seed: int) -> list[tuple[Source, "Piece"]]:
    from stretto.corpora import cantus_names, load_cantus
    from stretto.solver import SolveSettings, solve_species
    from stretto.solver.species.spec import SpeciesSpec

    entry = manifest_entry("fux-cantus")
    out = []
    for species, voices in SPECIES_SETTINGS:
        for name in cantus_names():
            if limit and len(out) >= limit:
                return out
            cantus, mode = load_cantus(name)
            sp = tuple(int(s) for s in species.split(","))
            sp = sp * (voices - 1) if len(sp) == 1 else sp
            spec = SpeciesSpec(cantus=tuple(cantus), mode=mode, species=sp,
                               cantus_voice=voices - 1)
            try:
                result = solve_species(spec, SolveSettings(time_limit=5.0, seed=seed))
            except BadInput:
                continue
            if result.piece is None:
                continue
            out.append((Source(f"species:{name}:{species}:{voices}v",
                               f"stretto species {species} in {voices} voices on {name}",
                               entry["licence"], entry["consent"]), result.piece))
    return out


def chorale_pieces(limit: int) -> list[tuple[Source, "Piece"]]:
    import music21

    from stretto.io import read_score

    entry = manifest_entry("bach-chorales")
    out = []
    for path in sorted(music21.corpus.getComposer("bach"), key=lambda p: p.name)[:max(limit, 1) * 3]:
        if len(out) >= (limit or 12):
            break
        try:
            piece = read_score(Path(path))
        except Exception:  # noqa: BLE001 - a chorale stretto cannot read is skipped
            continue
        if len(piece.voices) != 4:
            continue
        out.append((Source(f"chorale:{Path(path).stem}", f"Bach chorale {Path(path).stem}",
                           entry["licence"], entry["consent"]), piece))
    return out


def sung_pieces(limit: int) -> list[tuple[Source, "Piece"]]:
    """Chorale voices set to English verse, for the singing teacher (one text per piece, the
    held-out text never)."""
    from stretto.renderer.singing import TEXTS, with_words

    entry = manifest_entry("bach-chorales")
    out = []
    chorales = [(s, p) for s, p in chorale_pieces(limit or 12)
                if s.id.split(":")[-1] not in HELD_OUT_CHORALES]
    for k, (src, piece) in enumerate(chorales):
        title, text = TEXTS[k % (len(TEXTS) - 1)]
        out.append((Source(f"sung:{src.id.split(':')[-1]}",
                           f"{src.what}, every voice sung to '{title}' (public domain)",
                           entry["licence"] + "; text public domain", entry["consent"]),
                    with_words(piece, text, offset=3 * k)))
    return out


def corpus_pieces(corpus: tuple[str, ...], limit: int, seed: int) -> list[tuple[Source, "Piece"]]:
    unknown = [c for c in corpus if c not in CORPORA]
    if unknown:
        raise BadInput(f"unknown corpus {unknown[0]!r}: use {', '.join(CORPORA)}")
    out: list[tuple[Source, "Piece"]] = []
    if "species" in corpus:
        out += species_pieces(limit, seed)
    if "chorales" in corpus:
        out += chorale_pieces(limit)
    if "sung" in corpus:
        from stretto.renderer.singing import festival_singing_available

        if not festival_singing_available():
            raise BadInput("--corpus sung needs the singing teacher: apt-get install festival "
                           "festvox-kallpc16k and pip install pyworld, or leave sung out")
        out += sung_pieces(limit)
    if not out:
        raise BadInput("no training pieces: check --corpus")
    return out


def items_of(pieces, seed: int) -> list[tuple[Source, Line, Fraction]]:
    """Every voice as one or two teacher items: (source, line at TEACHER_SR, tempo). A sung
    piece's voices are one choir item each, with their words; every other item is wordless
    (its teacher cannot sing words)."""
    from dataclasses import replace

    import numpy as np

    from stretto.renderer.render import lines_of
    from stretto.renderer.synth import default_instrument

    rng = np.random.default_rng(seed)
    out = []
    k = 0
    for src, piece in pieces:
        tempo = Fraction(int(rng.integers(60, 121)))
        names = [v.name for v in piece.voices]
        sung = src.id.startswith("sung:")
        sets = ([["choir"] * len(names)] if sung else
                [[default_instrument(n) for n in names],
                 [OTHER[(k + i) % len(OTHER)] for i in range(len(names))]])
        for inst_set in sets:
            for line in lines_of(piece, tempo, TEACHER_SR, inst_set):
                if line.notes:
                    out.append((src, line if sung else replace(line, lyrics=()), tempo))
            k += 1
    return out


def render_fluidsynth(line: Line, n: int, tempo: Fraction, soundfont: Path) -> "np.ndarray":
    """One voice through the fluidsynth program (General MIDI program of its instrument)."""
    import mido
    import numpy as np
    import soundfile as sf

    from stretto.renderer.soundfont import PROGRAMS

    tpq = 960
    sec_per_tick = 60 / float(tempo) / tpq
    mid = mido.MidiFile(ticks_per_beat=tpq)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    tr.append(mido.MetaMessage("set_tempo", tempo=int(round(60e6 / float(tempo)))))
    tr.append(mido.Message("program_change", program=PROGRAMS.get(line.instrument, 0)))
    events = sorted([(s, 1, m) for s, _, m in line.notes] + [(e, 0, m) for _, e, m in line.notes],
                    key=lambda x: (x[0], x[1]))
    now = 0
    for at, on, midi in events:
        tick = int(round(at / TEACHER_SR / sec_per_tick))
        tr.append(mido.Message("note_on" if on else "note_off", note=midi,
                               velocity=90 if on else 0, time=max(0, tick - now)))
        now = max(now, tick)
    with tempfile.TemporaryDirectory() as tmp:
        mpath, wpath = Path(tmp) / "v.mid", Path(tmp) / "v.wav"
        mid.save(mpath)
        try:
            subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.6", "-r", str(TEACHER_SR),
                            "-F", str(wpath), str(soundfont), str(mpath)], check=True,
                           capture_output=True, timeout=300)
        except FileNotFoundError:
            raise BadInput("--teacher fluidsynth needs the fluidsynth program: apt-get install "
                           "fluidsynth fluid-soundfont-gm, or use --teacher synth") from None
        audio, _ = sf.read(wpath, always_2d=True)
    audio = audio.mean(axis=1)
    out = np.zeros(n)
    out[:min(n, len(audio))] = audio[:n]
    return out


def teacher_audio(line: Line, tempo: Fraction, teacher: str,
                  soundfont: Path | None) -> "np.ndarray":
    """The teacher's rendering of one voice, scaled to ``ACTIVE_RMS`` while notes sound."""
    import numpy as np

    from stretto.renderer.synth import INSTRUMENTS, render_line

    n = line.piece_samples + TEACHER_SR  # a second for the last release
    if teacher == SINGING_TEACHER:
        from stretto.renderer.singing import sing

        audio = sing(line, n, TEACHER_SR)
    elif teacher == "synth":
        audio = render_line(INSTRUMENTS[line.instrument], list(line.notes), n, TEACHER_SR)
    elif teacher == "fluidsynth":
        audio = render_fluidsynth(line, n, tempo, soundfont or DEFAULT_SOUNDFONT)
    else:
        raise BadInput(f"unknown teacher {teacher!r}: use {', '.join(TEACHERS)}")
    mask = np.zeros(n, dtype=bool)
    for s, e, _ in line.notes:
        mask[s:e] = True
    rms = float(np.sqrt(np.mean(audio[mask] ** 2))) if mask.any() else 0.0
    return audio * (ACTIVE_RMS / rms) if rms > 1e-6 else audio


def windows_of(line: Line, audio: "np.ndarray") -> list[dict]:
    """Cut one teacher item into training windows (per phrase, WINDOW_FRAMES frames each,
    padded with silence): feats, mel, audio, f0, gate."""
    import numpy as np
    import torch

    from stretto.renderer.neural import log_mel

    out = []
    for ph in phrases_of(line, TEACHER_SR):
        n = ph.span(TEACHER_SR)
        feats = phrase_features(line, ph, TEACHER_SR)
        seg = np.zeros(n)
        have = audio[ph.start:ph.start + n]
        seg[:len(have)] = have
        mel = log_mel(torch.from_numpy(seg)[None])[0].numpy()
        f0, gate = sample_f0(line, ph, TEACHER_SR), sample_gate(line, ph, TEACHER_SR)
        t_frames = feats.shape[0]
        for w0 in range(0, t_frames, WINDOW_FRAMES):
            s0 = w0 * TEACHER_SR // FRAME_RATE
            win = {"feats": np.zeros((WINDOW_FRAMES, N_FEATURES), np.float32),
                   "mel": np.full((WINDOW_FRAMES, mel.shape[1]), mel.min(), np.float32),
                   "audio": np.zeros(WINDOW_SAMPLES, np.float32),
                   "f0": np.full(WINDOW_SAMPLES, f0[-1], np.float32),
                   "gate": np.zeros(WINDOW_SAMPLES, np.float32)}
            fr = min(WINDOW_FRAMES, t_frames - w0, mel.shape[0] - w0)
            win["feats"][:fr] = feats[w0:w0 + fr]
            win["mel"][:fr] = mel[w0:w0 + fr]
            sm = min(WINDOW_SAMPLES, n - s0)
            win["audio"][:sm] = seg[s0:s0 + sm]
            win["f0"][:sm] = f0[s0:s0 + sm]
            win["gate"][:sm] = gate[s0:s0 + sm]
            if win["gate"].max() > 0:
                out.append(win)
    return out


def build_dataset(*, corpus: tuple[str, ...], limit: int, seed: int, teacher: str,
                  soundfont: Path | None, holdout_every: int = 10, progress: bool = True):
    """All windows as stacked arrays, a bool ``val`` mask (whole items held out), and the data
    card (one entry per piece: source, licence, consent, teacher)."""
    import numpy as np
    from tqdm import tqdm

    pieces = corpus_pieces(corpus, limit, seed)
    items = items_of(pieces, seed)
    cols: dict[str, list] = {k: [] for k in ("feats", "mel", "audio", "f0", "gate")}
    val: list[bool] = []
    card = {}
    for i, (src, line, tempo) in enumerate(tqdm(items, desc="teacher", unit="voice",
                                                disable=None if progress else True)):
        who = SINGING_TEACHER if src.id.startswith("sung:") else teacher
        try:
            audio = teacher_audio(line, tempo, who, soundfont)
        except BadInput as exc:
            if who != SINGING_TEACHER:
                raise
            # a line Festival cannot sing is left out, and the data card says so
            card.setdefault("skipped", []).append(f"{src.id} {line.name}: {exc}")
            continue
        for w in windows_of(line, audio):
            for k in cols:
                cols[k].append(w[k])
            val.append(holdout_every > 0 and i % holdout_every == holdout_every - 1)
        card.setdefault(src.id, {"what": src.what, "licence": src.licence,
                                 "consent": src.consent, "teacher": who, "voices": 0})
        card[src.id]["voices"] += 1
    skipped = card.pop("skipped", [])
    data = {k: np.stack(v) for k, v in cols.items()}
    if skipped:
        card["skipped"] = {"what": "lines the singing teacher could not sing",
                           "lines": skipped, "licence": "", "consent": "", "teacher": "",
                           "voices": 0}
    data["val"] = np.array(val)
    h = hashlib.sha256()
    for k in sorted(data):
        h.update(data[k].tobytes())
    return data, card, h.hexdigest()


__all__ = ["CORPORA", "DEFAULT_SOUNDFONT", "HELD_OUT_CHORALES", "SINGING_TEACHER", "TEACHERS",
           "TEACHER_SR", "WINDOW_FRAMES", "build_dataset", "corpus_pieces", "items_of",
           "sung_pieces", "teacher_audio", "windows_of"]
