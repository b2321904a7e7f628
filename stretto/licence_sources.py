"""Where a first solve's inputs came from, and their licence records.

``stretto harmonize`` takes a melody file, or a tune of music21's corpus named
``corpus:FOLDER/FILE`` (``corpus:essenFolksong/erk10#176``: tune X:176 of an ABC file;
``corpus:bach/bwv66.6``: the top part of a chorale). A melody read from music21's corpus
(by that name, or a file path inside the installed corpus) takes the licence of its
folder's item in ``corpora/manifest.toml``; any other file is the user's ("yours", or what
``--licence`` names). ``stretto species`` takes a shipped cantus (``fux-cantus``, public
domain) or the user's pitches; ``stretto compose`` the user's form plan.

music21 is imported inside the functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stretto.errors import BadInput
from stretto.licence import Input, corpus_input, music21_item, user_input

CORPUS_PREFIX = "corpus:"


def music21_corpus_root() -> Path:
    """The folder of music21's installed corpus."""
    import music21.corpus

    return Path(music21.corpus.__file__).resolve().parent


def corpus_folder(path: str | Path) -> str | None:
    """The corpus folder (``bach``) of a file inside music21's installed corpus, else None."""
    try:
        rel = Path(path).resolve().relative_to(music21_corpus_root())
    except (ValueError, ImportError):
        return None
    return rel.parts[0] if len(rel.parts) > 1 else None


def _melody_input(folder: str, name: str, sha256: str = "") -> Input:
    return corpus_input(music21_item(folder), role="melody", title=name, input_id="melody",
                        sha256=sha256)


def read_corpus_melody(ref: str):
    """The melody of ``corpus:FOLDER/FILE[#X]`` and its :class:`~stretto.licence.Input`."""
    from stretto.io.melody import melody_from_stream

    name = ref[len(CORPUS_PREFIX):].strip()
    stem, _, number = name.partition("#")
    if "/" not in stem or not stem.split("/")[0]:
        raise BadInput(f"cannot read {ref!r}: name a tune of music21's corpus as "
                       "corpus:FOLDER/FILE or corpus:FOLDER/FILE#X (corpus:bach/bwv66.6, "
                       "corpus:essenFolksong/erk10#176)")
    from music21 import corpus

    try:
        stream = corpus.parse(stem, number=int(number)) if number else corpus.parse(stem)
    except ValueError:
        raise BadInput(f"cannot read {ref!r}: X must be a tune number (#176)") from None
    except Exception as exc:  # noqa: BLE001 - music21 raises CorpusException and others
        raise BadInput(f"no tune {name} in music21's corpus ({str(exc)[:100]}): name it as "
                       "corpus:FOLDER/FILE#X") from None
    if stream is None:
        raise BadInput(f"no tune {name} in music21's corpus: check the file name and X number")
    melody = melody_from_stream(stream, name)
    return melody, _melody_input(stem.split("/")[0], name)


def read_melody_input(ref: str, *, licence: str | None = None):
    """The melody named by ``ref`` (a file, or ``corpus:...``) and its licence record. A
    ``licence`` given for a corpus tune is refused: the manifest records the corpus's terms."""
    from stretto.io.melody import read_melody

    if ref.startswith(CORPUS_PREFIX):
        if licence:
            raise BadInput(f"--licence is for your own files; {ref} is under its corpus's "
                           "terms (corpora/manifest.toml)")
        return read_corpus_melody(ref)
    folder = corpus_folder(ref)
    if folder is not None and licence:
        raise BadInput(f"--licence is for your own files; {ref} is in music21's corpus "
                       f"({folder}), under its terms (corpora/manifest.toml)")
    melody = read_melody(ref)
    if folder is not None:
        from stretto.licence import sha256_file

        return melody, _melody_input(folder, f"{folder}/{Path(ref).name}", sha256_file(ref))
    return melody, user_input(ref, role="melody", licence=licence, title=Path(ref).name)


def first_inputs(kind: str, *, cantus_name: str | None = None, melody: Input | None = None,
                 plan: str | None = None, licence: str | None = None) -> tuple[Input, ...]:
    """The inputs of a first solve of ``kind`` (species, harmonize, compose)."""
    if kind == "species":
        if cantus_name and licence:
            raise BadInput(f"--licence is for a cantus you give; {cantus_name} is Fux's "
                           "(public domain, corpora/manifest.toml)")
        if cantus_name:
            return (corpus_input("fux-cantus", role="cantus", input_id="cantus",
                                 title=cantus_name),)
        return (user_input(None, role="cantus", licence=licence,
                           title="the cantus firmus you gave"),)
    if kind == "harmonize":
        return (melody,) if melody is not None else ()
    if kind == "compose" and plan:
        return (user_input(plan, role="form plan", licence=licence, input_id="plan"),)
    return ()


def inputs_of_args(args: Any, kind: str) -> list[dict[str, Any]]:
    """A first run's inputs, as the project records them, from its command-line arguments
    (``--cantus-name``, the melody read by :func:`read_melody_input`, the plan, ``--licence``)."""
    found = first_inputs(kind, cantus_name=getattr(args, "cantus_name", None),
                         melody=getattr(args, "melody_input", None),
                         plan=getattr(args, "spec", None) if kind == "compose" else None,
                         licence=getattr(args, "licence", None))
    return [i.to_dict() for i in found]


__all__ = ["CORPUS_PREFIX", "corpus_folder", "first_inputs", "inputs_of_args",
           "music21_corpus_root", "read_corpus_melody", "read_melody_input"]
