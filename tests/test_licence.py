"""Licences as data (stretto.licence): the records, their intersection and its reasons."""

from __future__ import annotations

import pytest

from stretto.errors import BadInput
from stretto.licence import (ALL_USES, KNOWN, USES, Input, Licence,
                             checkpoint_inputs, combine, corpus_input, engine_inputs,
                             licence_by_id, manifest_items, require_use, model_card, music21_item,
                             project_inputs,
                             rights_line, soundfont_input, stretto_input, user_input)


def _input(lic: str, role: str = "melody") -> Input:
    return Input(id=role, role=role, title=f"a {role}", source="test", licence=KNOWN[lic])


def test_every_manifest_item_is_licence_data():
    items = manifest_items()
    assert {"fux-cantus", "bach-chorales", "fluidr3-gm", "essen-folksong"} <= set(items)
    for item in items.values():
        assert item["licence_id"], item["id"]
        assert set(item["uses"]) <= set(USES), item["id"]
        assert isinstance(item["share_alike"], bool)


@pytest.mark.parametrize("item, uses", [
    ("fux-cantus", ALL_USES), ("bach-chorales", ALL_USES), ("fluidr3-gm", ALL_USES),
    ("essen-folksong", {"educational", "non-commercial"}),
], ids=["fux", "bach", "fluidr3", "essen"])
def test_manifest_uses(item, uses):
    assert corpus_input(item, role="melody").licence.uses == uses


@pytest.mark.parametrize("folder, item", [("essenFolksong", "essen-folksong"),
                                          ("bach", "bach-chorales"),
                                          ("oneills1850", "music21-corpus-other")],
                         ids=["essen", "bach", "unrecorded-folder"])
def test_music21_folder_maps_to_its_item(folder, item):
    assert music21_item(folder) == item


def test_intersection_names_the_forbidding_input():
    melody = corpus_input("essen-folksong", role="melody", title="erk10#176")
    verdict = combine([melody, stretto_input("0.1.0")])
    assert verdict.uses == {"educational", "non-commercial"}
    assert verdict.forbidding("commercial") == (melody,)
    assert verdict.forbidding("educational") == ()
    assert "erk10#176" in verdict.reasons()[0] and "non-commercial" in verdict.reasons()[0]
    with pytest.raises(BadInput, match="melody erk10#176.*LicenseRef-EsAC-NonCommercial"):
        require_use(verdict, "commercial")
    require_use(verdict, "non-commercial")  # allowed: no error


def test_two_restrictions_intersect():
    verdict = combine([_input("cc-by-nc-4.0"), _input("cc-by-sa-4.0", "cantus")])
    assert verdict.uses == {"educational", "non-commercial"}
    assert [i.id for i in verdict.share_alike] == ["cantus"]
    assert "share alike under CC-BY-SA-4.0" in verdict.line()


def test_unknown_licence_clears_nothing():
    sf = soundfont_input("/nowhere/Mine.sf2")
    verdict = combine([sf])
    assert verdict.uses == frozenset()
    with pytest.raises(BadInput, match="no recorded licence.*--licence"):
        require_use(verdict, "educational")


def test_recorded_soundfont_by_name():
    assert soundfont_input("/usr/share/sounds/sf2/FluidR3_GM.sf2").licence.id == "MIT"
    assert soundfont_input("x.sf2", "CC-BY-4.0").licence.attribution


def test_user_file_is_yours_unless_told(tmp_path):
    f = tmp_path / "tune.musicxml"
    f.write_text("<x/>")
    mine = user_input(f, role="melody")
    assert mine.licence.id == "LicenseRef-Yours" and mine.licence.uses == ALL_USES
    assert len(mine.sha256) == 64
    theirs = user_input(f, role="melody", licence="cc-by-nc-sa-4.0")
    assert theirs.licence.id == "CC-BY-NC-SA-4.0" and not theirs.licence.allows("commercial")


def test_unknown_licence_id_is_refused():
    with pytest.raises(BadInput, match="unknown licence 'GPL-9'.*CC-BY-NC-4.0"):
        licence_by_id("GPL-9")


def test_checkpoint_records_its_training_data_from_the_card():
    inputs = checkpoint_inputs()
    card = model_card().read_text(encoding="utf-8")
    assert inputs[0].sha256 in card  # the card's sha256 is the record's
    data = [i for i in inputs if i.role == "training data"]
    assert {i.id for i in data} == {"training-fux-cantus", "training-bach-chorales",
                                    "training-fluidr3-gm", "training-festvox-kal",
                                    "training-public-domain-verse"}
    assert "fux-cantus" in card and "FluidR3_GM" in card and "Bach chorales" in card
    assert "kal_diphone" in card and "public-domain English verse" in card
    assert combine(inputs).uses == ALL_USES


def test_engine_inputs():
    assert engine_inputs("synth") == ()
    assert engine_inputs("neural")[0].role == "neural checkpoint"
    assert engine_inputs("neural", checkpoint="random")[0].licence.id == "MIT"


def test_round_trip_as_data():
    i = corpus_input("essen-folksong", role="melody", sha256="ab" * 32)
    assert Input.from_dict(i.to_dict()) == i
    lic = Licence.from_dict({"id": "X", "uses": ["educational"]})
    assert lic.uses == {"educational"}
    with pytest.raises(BadInput, match="unknown uses"):
        Licence.from_dict({"id": "X", "uses": ["military"]})


class _Old:  # a project made before inputs were recorded
    inputs = ()
    runs = ({"stretto": "0.1.0"},)
    kind = "harmonize"


def test_old_project_keeps_its_files_and_counts_the_given_voice_as_yours():
    assert rights_line(_Old()) is None
    found = project_inputs(_Old())
    assert found[0].licence.id == "LicenseRef-Yours" and "not recorded" in found[0].source
    assert found[-1].id == "stretto"


def test_plugins_have_no_licence_unless_recorded():
    from stretto.licence import plugin_inputs

    (tiny,) = plugin_inputs(["1=/x/Tiny.vst3", "all=/x/Tiny.vst3"])  # one plugin, once
    assert tiny.role == "VST3 instrument" and not tiny.licence.known
    with pytest.raises(BadInput, match="VST3 instrument Tiny.vst3 has no recorded licence"):
        require_use(combine([tiny]), "non-commercial")
    assert plugin_inputs(["1=/x/Tiny.vst3"], "yours")[0].licence.uses == ALL_USES
    assert engine_inputs("neural", plugins=["Alto=/x/A.vst3"])[-1].title == "A.vst3"
