"""Where a melody came from: music21's corpus by name or by path takes its manifest item's
licence; any other file is the user's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stretto.errors import BadInput
from stretto.licence_sources import corpus_folder, first_inputs, read_melody_input


def _work(name: str) -> Path:
    from music21 import corpus

    return Path(corpus.getWork(name))


def test_corpus_name():
    melody, found = read_melody_input("corpus:essenFolksong/erk10#176")
    assert found.title == "essenFolksong/erk10#176" and found.id == "melody"
    assert found.licence.id == "LicenseRef-EsAC-NonCommercial"
    assert len(melody.notes) == 36


def test_corpus_path_is_recognised(tmp_path):
    path = _work("bach/bwv66.6")
    assert corpus_folder(path) == "bach"
    _, found = read_melody_input(str(path))
    assert found.licence.id == "LicenseRef-PublicDomain" and len(found.sha256) == 64
    copy = tmp_path / "bwv66.6.mxl"  # a copy outside the corpus is the user's file
    shutil.copy(path, copy)
    assert corpus_folder(copy) is None
    assert read_melody_input(str(copy))[1].licence.id == "LicenseRef-Yours"
    with pytest.raises(BadInput, match="--licence is for your own files"):
        read_melody_input(str(path), licence="MIT")  # the corpus's terms are not yours to set


@pytest.mark.parametrize("ref, message", [
    ("corpus:nothing", "corpus:FOLDER/FILE"),
    ("corpus:essenFolksong/nosuchfile", "no tune essenFolksong/nosuchfile"),
    ("corpus:essenFolksong/erk10#x", "must be a tune number"),
], ids=["no-folder", "missing", "bad-number"])
def test_bad_corpus_names(ref, message):
    with pytest.raises(BadInput, match=message):
        read_melody_input(ref)


def test_first_inputs_of_species():
    (named,) = first_inputs("species", cantus_name="fux-dorian")
    assert named.licence.id == "LicenseRef-PublicDomain" and named.title == "fux-dorian"
    (given,) = first_inputs("species", licence="CC-BY-4.0")
    assert given.licence.id == "CC-BY-4.0" and given.source == "given by you"
    with pytest.raises(BadInput, match="fux-dorian is Fux's"):
        first_inputs("species", cantus_name="fux-dorian", licence="MIT")


def test_first_inputs_of_compose(tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_text("[piece]\n")
    (mine,) = first_inputs("compose", plan=str(plan))
    assert (mine.role, mine.id, mine.licence.id) == ("form plan", "plan", "LicenseRef-Yours")
    assert len(mine.sha256) == 64
    (shared,) = first_inputs("compose", plan=str(plan), licence="CC-BY-SA-4.0")
    assert shared.licence.share_alike
