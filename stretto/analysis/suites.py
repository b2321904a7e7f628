"""Inputs of a benchmark: jobs (one piece each, plain dicts so they travel to worker processes
and Ray nodes) and the loaders that turn a job into a :class:`~stretto.score.Piece`.

Job kinds: ``file`` (a MIDI/MusicXML/score.json file), ``bach`` (a chorale of music21's corpus,
named relative to the corpus so that any node resolves it), ``fux`` (a figure of the Gradus
set), ``species`` (solved on the fly by :func:`stretto.solver.solve_species` with a fixed seed
and deterministic time limit), ``baseline`` (:func:`random_walk` or :func:`block_chords`,
seeded), ``chorale`` (stretto's own chorale harmonizer, once it exists).
"""

from __future__ import annotations

import random
import re
import zipfile
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

from stretto.errors import BadInput
from stretto.modes import Mode
from stretto.score import Piece, make_voice

SCORE_SUFFIXES = (".musicxml", ".xml", ".mxl", ".mid", ".midi", ".json")
SATB = ("soprano", "alto", "tenor", "bass")


# --------------------------------------------------------------------------- files


def files_in(folder: Path) -> list[Path]:
    """Score files in ``folder`` and below, sorted."""
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and p.suffix.lower() in SCORE_SUFFIXES)


def _xml_text(path: Path) -> str | None:
    try:
        if path.suffix.lower() == ".mxl":
            with zipfile.ZipFile(path) as z:
                name = next(n for n in z.namelist()
                            if n.endswith((".xml", ".musicxml")) and not n.startswith("META-INF"))
                return z.read(name).decode("utf-8", "replace")
        return path.read_text(encoding="utf-8", errors="replace")
    except (OSError, zipfile.BadZipFile, StopIteration):
        return None


def fermata_ids(path: Path) -> list[set[str]]:
    """Per part, the ids (``v{part}n{k}``, as :func:`stretto.io.musicxml_read.read_musicxml` numbers
    notes and rests) of the notes that carry a fermata, read from the MusicXML text."""
    text = _xml_text(path)
    if text is None:
        return []
    out = []
    for vi, part in enumerate(re.findall(r"<part[\s>].*?</part>", text, flags=re.S)):
        ids, k = set(), 0
        for note in re.findall(r"<note[\s>].*?</note>", part, flags=re.S):
            if "<chord/>" in note or "<chord />" in note:
                continue
            if "<fermata" in note:
                ids.add(f"v{vi}n{k}")
            k += 1
        out.append(ids)
    return out


def with_fermatas(piece: Piece, path: Path, parts: list[int] | None = None) -> Piece:
    """``piece`` with ``info["phrase_ends"]``: the ends of the top voice's notes that carry a
    fermata (ties followed), when the MusicXML file has any."""
    ids = fermata_ids(path)
    top = (parts or [0])[0]
    if top >= len(ids) or not ids[top] or not piece.voices:
        return piece
    ends = set()
    sounding = piece.voices[0].sounding()
    notated = piece.voices[0].notes
    for n in notated:
        if n.id in ids[top]:
            for s in sounding:
                if s.onset <= n.onset < s.end:
                    ends.add(s.end)
    if not ends:
        return piece
    return replace(piece, info={**piece.info, "phrase_ends": [str(e) for e in sorted(ends)]})


def load_file(path: str | Path) -> Piece:
    """Any score file, via :func:`stretto.io.read_score`; MusicXML fermatas mark phrase ends."""
    from stretto.io import MUSICXML_SUFFIXES, read_score

    path = Path(path)
    piece = read_score(path)
    if path.suffix.lower() in MUSICXML_SUFFIXES:
        piece = with_fermatas(piece, path)
    return piece


# --------------------------------------------------------------------------- Bach


def bach_paths() -> list[Path]:
    """music21's bundled Bach files in MusicXML (the chorales), sorted by name."""
    from music21 import corpus

    return sorted((Path(p) for p in corpus.getComposer("bach")
                   if Path(p).suffix in (".mxl", ".xml")), key=lambda p: p.name)


def corpus_root() -> Path:
    from music21 import common

    return Path(common.getCorpusFilePath())


def load_bach(path: str | Path) -> Piece:
    """A Bach chorale as four voices S, A, T, B (instrument doubling parts dropped), phrase ends
    at the soprano's fermatas. Raises :class:`BadInput` when the file is not a four-part
    chorale. A relative ``path`` is taken inside music21's corpus."""
    from stretto.io import read_score

    path = Path(path)
    if not path.is_absolute():
        path = corpus_root() / path
    piece = read_score(path)
    names = [v.name.strip().lower() for v in piece.voices]
    if len(piece.voices) == 4:
        keep = [0, 1, 2, 3]
    else:
        keep = []
        for role in SATB:
            match = [i for i, n in enumerate(names) if n.startswith(role)]
            if len(match) != 1:
                raise BadInput(f"{path.name} is not a four-part chorale "
                               f"({len(piece.voices)} parts: {', '.join(names)})")
            keep.append(match[0])
    voices = tuple(replace(piece.voices[i], name=SATB[k].capitalize(), role="free")
                   for k, i in enumerate(keep))
    piece = replace(piece, voices=voices, title=path.stem)
    return with_fermatas(piece, path, keep)


# --------------------------------------------------------------------------- baselines

# registers of the four voices (lowest, highest MIDI) for the baselines
_REGISTERS = ((60, 79), (55, 74), (48, 67), (40, 60))
_C_MAJOR = Mode("ionian", "C")


def _diatonic(lo: int, hi: int) -> list[int]:
    return [m for m in range(lo, hi + 1) if m % 12 in (0, 2, 4, 5, 7, 9, 11)]


def _voice(name: str, midis, durations, bar: Fraction, prefix: str):
    from stretto.pitch import spell_midi

    return make_voice(name, [spell_midi(m) for m in midis], durations, bar_length=bar,
                      role="free", origin="solver", id_prefix=prefix)


def random_walk(seed: int, beats: int = 32, voices: int = 4) -> Piece:
    """The random-walk baseline: each of four voices (S, A, T, B registers) walks the C major
    scale independently, in quarter notes (a half note with probability 1/4), each step -2..+2
    scale degrees (repeat 10 %, step 60 %, third 30 %), reflected at its register's bounds; the
    last note is the nearest C. Seeded by ``seed``: the same seed, the same piece."""
    rng = random.Random(seed)
    bar = Fraction(4)
    out = []
    for v in range(voices):
        scale = _diatonic(*_REGISTERS[v])
        pos = rng.randrange(len(scale))
        midis, durs, t = [], [], Fraction(0)
        while t < beats:
            d = Fraction(2) if rng.random() < 0.25 and t + 2 <= beats - 1 else Fraction(1)
            if t + d >= beats:
                d = Fraction(beats) - t
            midis.append(scale[pos])
            durs.append(d)
            t += d
            move = rng.choices((0, -1, 1, -2, 2), weights=(10, 30, 30, 15, 15))[0]
            pos += move
            if pos < 0 or pos >= len(scale):
                pos -= 2 * move
            pos = max(0, min(len(scale) - 1, pos))
        cs = [m for m in scale if m % 12 == 0]
        midis[-1] = min(cs, key=lambda c: abs(c - midis[-1]))
        out.append(_voice(SATB[v].capitalize(), midis, durs, bar, f"v{v}n"))
    return Piece(voices=tuple(out), mode=_C_MAJOR, meter="4/4", tempo=Fraction(100),
                 title=f"random-walk-{seed}", info={"baseline": "random-walk", "seed": seed})


_TRIADS = {0: (0, 4, 7), 2: (2, 5, 9), 4: (4, 7, 11), 5: (5, 9, 0), 7: (7, 11, 2), 9: (9, 0, 4)}


def block_chords(seed: int, beats: int = 32) -> Piece:
    """The naive block-chord harmonizer baseline: a random-walk soprano (as :func:`random_walk`,
    quarter notes) harmonized note by note with a triad of C major (I, ii, iii, IV, V, vi) drawn
    at random among those containing the melody note; alto and tenor take the next chord tones
    below the melody (close position), the bass the root in C2-C3 nearest its last note. No
    progression, no voice leading, no cadence: the floor a harmonizer must beat."""
    rng = random.Random(seed)
    bar = Fraction(4)
    scale = _diatonic(*_REGISTERS[0])
    pos = rng.randrange(len(scale) // 3, 2 * len(scale) // 3)
    sop, alto, ten, bass = [], [], [], []
    last_bass = 48
    for _ in range(beats):
        m = scale[pos]
        roots = [r for r, tones in _TRIADS.items() if m % 12 in tones]
        root = rng.choice(roots)
        tones = set(_TRIADS[root])
        below = [x for x in range(m - 1, m - 13, -1) if x % 12 in tones]
        sop.append(m)
        alto.append(below[0])
        ten.append(below[1])
        cands = [x for x in range(36, 49) if x % 12 == root]
        last_bass = min(cands, key=lambda x: abs(x - last_bass))
        bass.append(last_bass)
        move = rng.choices((0, -1, 1, -2, 2), weights=(10, 30, 30, 15, 15))[0]
        pos = max(0, min(len(scale) - 1, pos + move))
    durs = [Fraction(1)] * beats
    voices = tuple(_voice(n.capitalize(), ms, durs, bar, f"v{k}n")
                   for k, (n, ms) in enumerate(zip(SATB, (sop, alto, ten, bass))))
    return Piece(voices=voices, mode=_C_MAJOR, meter="4/4", tempo=Fraction(100),
                 title=f"block-chords-{seed}", info={"baseline": "block-chords", "seed": seed})


# --------------------------------------------------------------------------- stretto


def solve_species_piece(cantus: str, species: list[int], cantus_voice: int, seed: int,
                        time_limit: float) -> Piece:
    """stretto's species counterpoint on a shipped Fux cantus (``fux-dorian`` ...), solved with
    one worker, ``seed`` and the deterministic ``time_limit``: the same job, the same piece."""
    from stretto.corpora import load_cantus
    from stretto.solver import SolveSettings, SpeciesSpec, solve_species

    notes, mode = load_cantus(cantus)
    spec = SpeciesSpec(cantus=tuple(notes), mode=mode, species=tuple(species),
                       cantus_voice=cantus_voice)
    result = solve_species(spec, SolveSettings(time_limit=time_limit, seed=seed, workers=1))
    if result.piece is None:
        raise BadInput(f"stretto found no {species} species score on {cantus} "
                       f"({result.status})")
    return replace(result.piece, title=f"{cantus} species {','.join(map(str, species))}")


def harmonize_chorale(path: str | Path, seed: int, time_limit: float) -> Piece:
    """stretto's four-part harmonization (:func:`stretto.solver.tonal.harmonize.harmonize`) of the
    soprano of a Bach chorale (a path relative to music21's corpus or absolute), one worker,
    ``seed`` and the deterministic ``time_limit``; phrase ends at the melody's fermatas."""
    import music21

    from stretto.io.melody import melody_from_stream
    from stretto.solver import SolveSettings
    from stretto.solver.tonal.harmonize import harmonize

    path = Path(path)
    if not path.is_absolute():
        path = corpus_root() / path
    melody = melody_from_stream(music21.converter.parse(str(path)), path.stem)
    result = harmonize(melody, SolveSettings(time_limit=time_limit, seed=seed, workers=1))
    if result.piece is None:
        raise BadInput(f"stretto found no harmonization of {path.stem} within the time limit "
                       f"({time_limit:g}; status {result.status})")
    piece = result.piece
    ends = set()
    if piece.voices:
        for n in piece.voices[0].sounding():
            if n.onset in melody.fermatas:
                ends.add(n.end)
    info = {**piece.info, "phrase_ends": [str(e) for e in sorted(ends)]} if ends else piece.info
    return replace(piece, title=f"{path.stem} harmonized by stretto", info=info)


def chorale_available() -> bool:
    """True once stretto's chorale harmonizer (``stretto.solver.tonal.harmonize`` with
    ``stretto.io.melody``) is installed."""
    import importlib.util

    try:
        return all(importlib.util.find_spec(m) is not None
                   for m in ("stretto.solver.tonal.harmonize", "stretto.io.melody"))
    except (ImportError, ValueError):
        return False
