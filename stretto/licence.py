"""Licences as data: what each input of a piece allows, and what the output may be used for.

Every input stretto reads or ships has a :class:`Licence` (an SPDX identifier, or a named
custom licence ``LicenseRef-...``, with the uses it allows: commercial, educational,
non-commercial; whether attribution is required; whether derived works must share alike) and
is recorded as an :class:`Input` (what it is, where it came from, its attribution line).
:func:`combine` intersects the inputs' permissions: an output may be used for a purpose only
when every input allows it, and each refusal names the input and its licence.

The records: the corpora of ``corpora/manifest.toml`` (:func:`corpus_input`), stretto's own
code (MIT, :func:`stretto_input`), the neural checkpoint and the data it was trained on
(:func:`checkpoint_inputs`, from ``renderer/weights/MODEL_CARD.md``), SoundFonts
(:func:`soundfont_input`), and the user's own files (:func:`user_input`: "yours" unless told
otherwise with ``--licence``).

Pure core: no music21, no audio libraries. These records state what the sources say about
themselves; they are facts to check, not legal advice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from stretto.errors import BadInput

#: The uses a licence may allow, in the order reports list them.
USES = ("commercial", "educational", "non-commercial")
ALL_USES = frozenset(USES)
NON_COMMERCIAL = frozenset({"educational", "non-commercial"})


@dataclass(frozen=True)
class Licence:
    """A licence: ``id`` (SPDX, or ``LicenseRef-...`` for a named custom one), a readable
    ``name``, the ``uses`` it allows, whether it requires ``attribution`` and whether derived
    works must carry it (``share_alike``). ``known`` is False for a licence nobody recorded."""

    id: str
    name: str
    uses: frozenset[str]
    attribution: bool = False
    share_alike: bool = False
    url: str = ""
    known: bool = True

    def allows(self, use: str) -> bool:
        return use in self.uses

    @property
    def spdx(self) -> bool:
        """Whether ``id`` is an SPDX licence identifier (not a ``LicenseRef-`` of our own)."""
        return not self.id.startswith("LicenseRef-")

    def uses_words(self) -> str:
        return ", ".join(u for u in USES if u in self.uses) or "no use"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "name": self.name,
                             "uses": [u for u in USES if u in self.uses],
                             "attribution": self.attribution, "share_alike": self.share_alike}
        if self.url:
            d["url"] = self.url
        if not self.known:
            d["known"] = False
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "Licence":
        uses = frozenset(d.get("uses", ()))
        if not uses <= ALL_USES:
            raise BadInput(f"licence {d.get('id')!r} names unknown uses "
                           f"{sorted(uses - ALL_USES)}: use {', '.join(USES)}")
        return Licence(id=str(d["id"]), name=str(d.get("name", d["id"])), uses=uses,
                       attribution=bool(d.get("attribution", False)),
                       share_alike=bool(d.get("share_alike", False)),
                       url=str(d.get("url", "")), known=bool(d.get("known", True)))


def _cc(code: str, name: str, uses: frozenset[str], share: bool) -> Licence:
    return Licence(f"CC-{code}-4.0", name, uses, attribution=True, share_alike=share,
                   url=f"https://creativecommons.org/licenses/{code.lower()}/4.0/")


#: Licences known by identifier (``--licence`` takes these ids, case-insensitive).
KNOWN: dict[str, Licence] = {lic.id.lower(): lic for lic in (
    Licence("LicenseRef-Yours", "yours (the composer's own work, all rights reserved by you)",
            ALL_USES),
    Licence("LicenseRef-PublicDomain", "public domain", ALL_USES),
    Licence("CC0-1.0", "Creative Commons Zero 1.0 (public domain dedication)", ALL_USES,
            url="https://creativecommons.org/publicdomain/zero/1.0/"),
    Licence("MIT", "MIT License", ALL_USES, attribution=True,
            url="https://opensource.org/license/mit"),
    Licence("BSD-3-Clause", "BSD 3-Clause License", ALL_USES, attribution=True,
            url="https://opensource.org/license/bsd-3-clause"),
    Licence("Apache-2.0", "Apache License 2.0", ALL_USES, attribution=True,
            url="https://www.apache.org/licenses/LICENSE-2.0"),
    _cc("BY", "Creative Commons Attribution 4.0", ALL_USES, False),
    _cc("BY-SA", "Creative Commons Attribution-ShareAlike 4.0", ALL_USES, True),
    _cc("BY-NC", "Creative Commons Attribution-NonCommercial 4.0", NON_COMMERCIAL, False),
    _cc("BY-NC-SA", "Creative Commons Attribution-NonCommercial-ShareAlike 4.0",
        NON_COMMERCIAL, True),
    Licence("LicenseRef-EsAC-NonCommercial",
            "Essen Folksong Collection terms (permission for non-commercial distribution and "
            "use)", NON_COMMERCIAL, attribution=True),
    Licence("LicenseRef-music21-corpus-restricted",
            "music21 corpus terms (some encodings may not be used commercially)",
            NON_COMMERCIAL, attribution=True),
    Licence("LicenseRef-Unknown", "not known (nobody recorded a licence)", frozenset(),
            known=False),
)}
YOURS = KNOWN["licenseref-yours"]
UNKNOWN = KNOWN["licenseref-unknown"]


def licence_by_id(text: str) -> Licence:
    """The licence named ``text`` (an id of :data:`KNOWN`, case-insensitive, or ``yours``).
    BadInput naming the known ids otherwise."""
    key = text.strip().lower()
    if key in ("yours", "own", "mine"):
        return YOURS
    if key in ("public-domain", "pd", "publicdomain"):
        key = "licenseref-publicdomain"
    if key in KNOWN:
        return KNOWN[key]
    names = ", ".join(["yours"] + [lic.id for lic in KNOWN.values()
                                   if lic.known and lic is not YOURS])
    raise BadInput(f"unknown licence {text!r}: give one of {names}")


@dataclass(frozen=True)
class Input:
    """One input of a piece: ``id`` (stable, used in PROV-JSON as ``stretto:input-<id>``),
    its ``role`` (melody, cantus, plan, code, soundfont, checkpoint, training data), a
    readable ``title``, its ``source`` (a corpus item id, a path, a package), its
    ``licence``, the ``attribution`` line outputs must carry, and the file's ``sha256``."""

    id: str
    role: str
    title: str
    source: str
    licence: Licence
    attribution: str = ""
    sha256: str = ""

    def describe(self) -> str:
        return f"the {self.role} {self.title}"

    def to_dict(self) -> dict[str, Any]:
        d = {"id": self.id, "role": self.role, "title": self.title, "source": self.source,
             "licence": self.licence.to_dict()}
        if self.attribution:
            d["attribution"] = self.attribution
        if self.sha256:
            d["sha256"] = self.sha256
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "Input":
        try:
            return Input(id=str(d["id"]), role=str(d["role"]), title=str(d["title"]),
                         source=str(d["source"]), licence=Licence.from_dict(d["licence"]),
                         attribution=str(d.get("attribution", "")),
                         sha256=str(d.get("sha256", "")))
        except (KeyError, TypeError, AttributeError) as exc:
            raise BadInput(f"a recorded input is malformed ({exc}): {str(d)[:80]}") from None


@dataclass(frozen=True)
class Refusal:
    """Why a use is not allowed: the input whose licence forbids it."""

    use: str
    input: Input

    def words(self) -> str:
        lic = self.input.licence
        if not lic.known:
            return (f"{self.input.describe()} has no recorded licence ({self.input.source}); "
                    "record one with --licence")
        return (f"{self.input.describe()} is under {lic.name} ({lic.id}), which allows "
                f"{lic.uses_words()} use only")


@dataclass(frozen=True)
class Verdict:
    """What an output made of ``inputs`` may be used for: ``uses`` allowed by every input,
    the ``refusals`` (one per input and forbidden use), the ``attributions`` to carry, and
    the inputs whose licence derived works must share."""

    inputs: tuple[Input, ...]
    uses: frozenset[str]
    refusals: tuple[Refusal, ...] = ()
    attributions: tuple[str, ...] = ()
    share_alike: tuple[Input, ...] = field(default=())

    def allows(self, use: str) -> bool:
        return use in self.uses

    def forbidding(self, use: str) -> tuple[Input, ...]:
        """The inputs whose licences forbid ``use`` (empty when it is allowed)."""
        return tuple(r.input for r in self.refusals if r.use == use)

    def reasons(self) -> list[str]:
        """One sentence per forbidden use: ``not commercial: the melody ... allows ...``."""
        out = []
        for use in USES:
            why = [r.words() for r in self.refusals if r.use == use]
            if why:
                out.append(f"not for {use} use because " + "; and ".join(why))
        return out

    def line(self) -> str:
        """One line for file metadata: the uses allowed, why, and the credits."""
        allowed = [u for u in USES if u in self.uses]
        if not allowed:
            head = "Licence: no use cleared"
        elif len(allowed) == len(USES):
            head = "Licence: cleared for commercial, educational and non-commercial use"
        else:
            head = "Licence: " + " and ".join(allowed) + " use only"
        named = list(dict.fromkeys(r.input for r in self.refusals))
        if named:
            head += " (" + "; ".join(f"{i.describe()} is under {i.licence.id}"
                                     for i in named) + ")"
        if self.share_alike:
            head += "; share alike under " + ", ".join(
                dict.fromkeys(i.licence.id for i in self.share_alike))
        if self.attributions:
            head += ". Credits: " + "; ".join(self.attributions)
        return head + "."


def combine(inputs: Iterable[Input]) -> Verdict:
    """The intersection of the inputs' permissions, with a refusal for each input that
    forbids a use, the attribution lines (in input order, each once) and the share-alike
    inputs."""
    inputs = tuple(inputs)
    uses = set(ALL_USES)
    refusals = []
    for use in USES:
        for i in inputs:
            if not i.licence.allows(use):
                uses.discard(use)
                refusals.append(Refusal(use, i))
    attributions = tuple(dict.fromkeys(i.attribution for i in inputs
                                       if i.attribution and i.licence.attribution))
    share = tuple(i for i in inputs if i.licence.share_alike)
    return Verdict(inputs=inputs, uses=frozenset(uses), refusals=tuple(refusals),
                   attributions=attributions, share_alike=share)


def require_use(verdict: Verdict, use: str) -> None:
    """BadInput (exit 2) naming the first input that forbids ``use``; nothing when allowed."""
    if use not in ALL_USES:
        raise BadInput(f"unknown use {use!r}: give --for {' | '.join(USES)}")
    if verdict.allows(use):
        return
    r = next(r for r in verdict.refusals if r.use == use)
    others = len(verdict.forbidding(use)) - 1
    more = f" (and {others} more input{'s' if others > 1 else ''})" if others > 0 else ""
    raise BadInput(f"not cleared for {use} use: {r.words()}{more}; see `stretto licence`")


# ---------------------------------------------------------------------------- the records


def manifest_items() -> dict[str, dict[str, Any]]:
    """The corpus items of ``corpora/manifest.toml`` by id."""
    from stretto.corpora import manifest

    return {item["id"]: item for item in manifest()}


def manifest_licence(item: dict[str, Any]) -> Licence:
    """The licence of a manifest item, from its ``licence_id``/``uses`` fields (the free-text
    ``licence`` is its readable name)."""
    base = KNOWN.get(str(item.get("licence_id", "")).lower())
    uses = frozenset(item.get("uses", base.uses if base else ()))
    return Licence(id=str(item.get("licence_id", "LicenseRef-Unknown")),
                   name=base.name if base else str(item.get("licence", "not recorded")),
                   uses=uses, attribution=bool(item.get("attribution")),
                   share_alike=bool(item.get("share_alike", False)),
                   url=base.url if base else "", known="licence_id" in item)


def corpus_input(item_id: str, *, role: str, title: str | None = None,
                 input_id: str | None = None, sha256: str = "") -> Input:
    """An input taken from the manifest's item ``item_id``."""
    items = manifest_items()
    if item_id not in items:
        raise BadInput(f"no corpus item {item_id!r} in corpora/manifest.toml: known "
                       f"{', '.join(sorted(items))}")
    item = items[item_id]
    return Input(id=input_id or role, role=role, title=title or item["what"],
                 source=f"corpus {item_id} ({item['source']})", licence=manifest_licence(item),
                 attribution=str(item.get("attribution", "")), sha256=sha256)


def music21_item(folder: str) -> str:
    """The manifest item of music21's corpus folder ``folder`` (``essenFolksong``): the one
    that names it, else the catch-all ``*`` item."""
    items = manifest_items().values()
    named = [i["id"] for i in items if i.get("music21") == folder]
    if named:
        return named[0]
    return next(i["id"] for i in items if i.get("music21") == "*")


def stretto_input(version: str = "") -> Input:
    """stretto itself: the code that solved and wrote the piece (MIT)."""
    return Input(id="stretto", role="software", title=f"stretto {version}".strip(),
                 source="stretto (pyproject.toml: license MIT)", licence=KNOWN["mit"])


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def user_input(path: str | Path | None, *, role: str, licence: str | None = None,
               title: str | None = None, input_id: str | None = None,
               attribution: str = "") -> Input:
    """A file (or text) the user gave: "yours" unless ``licence`` names another."""
    lic = licence_by_id(licence) if licence else YOURS
    p = Path(path) if path is not None else None
    digest = sha256_file(p) if p is not None and p.is_file() else ""
    return Input(id=input_id or role, role=role, title=title or (p.name if p else role),
                 source=f"given by you ({p.name})" if p else "given by you",
                 licence=lic, attribution=attribution, sha256=digest)


def model_card():
    """The shipped checkpoint's model card (its data card: what it was trained on)."""
    from importlib import resources

    return resources.files("stretto.renderer").joinpath("weights", "MODEL_CARD.md")


#: The manifest items the shipped neural checkpoint was trained on (its model card's Data).
CHECKPOINT_DATA = ("fux-cantus", "bach-chorales", "fluidr3-gm", "festvox-kal",
                   "public-domain-verse")
CHECKPOINT_SHA256 = "389e3b8022c850062bc63e823ac3d3d76b7302056d6725afb5d177fa8d89e029"


def checkpoint_inputs(checkpoint: str | Path | None = None) -> tuple[Input, ...]:
    """The neural renderer's weights and, for the shipped checkpoint, its training data (the
    model card's sources, as manifest items). Another checkpoint's data is not known: it is
    recorded with an unknown licence until its owner records one."""
    if checkpoint in (None, "", "shipped"):
        weights = Input(id="checkpoint", role="neural checkpoint",
                        title="neural.safetensors (stretto checkpoint 2)",
                        source="renderer/weights/neural.safetensors; data card "
                               "renderer/weights/MODEL_CARD.md",
                        licence=KNOWN["mit"], sha256=CHECKPOINT_SHA256)
        data = tuple(corpus_input(i, role="training data", input_id=f"training-{i}")
                     for i in CHECKPOINT_DATA)
        return (weights,) + data
    if str(checkpoint) == "random":
        return (Input(id="checkpoint", role="neural checkpoint", title="untrained weights",
                      source="random initialisation (seeded)", licence=KNOWN["mit"]),)
    p = Path(checkpoint)
    return (Input(id="checkpoint", role="neural checkpoint", title=p.name,
                  source=f"given by you ({p.name}); its training data is not recorded",
                  licence=UNKNOWN, sha256=sha256_file(p) if p.is_file() else ""),)


#: SoundFonts whose licence is on record (Debian's paths), by file name.
SOUNDFONTS = {"FluidR3_GM.sf2": "fluidr3-gm"}


def soundfont_input(path: str | Path, licence: str | None = None) -> Input:
    """A SoundFont: a recorded one (FluidR3_GM: MIT) by its file name, else the licence the
    user gives (``licence``), else unknown."""
    p = Path(path)
    if licence is None and p.name in SOUNDFONTS:
        return corpus_input(SOUNDFONTS[p.name], role="soundfont", input_id="soundfont",
                            title=p.name)
    lic = licence_by_id(licence) if licence else UNKNOWN
    return Input(id="soundfont", role="soundfont", title=p.name,
                 source=f"given by you ({p})", licence=lic,
                 sha256=sha256_file(p) if p.is_file() else "")


def plugin_inputs(plugins: Iterable[str] | None, licence: str | None = None
                  ) -> tuple[Input, ...]:
    """The VST3 instruments of ``render --plugin VOICE=PATH``: their licence is the one the
    user records (``--plugin-licence``), else unknown (stretto cannot read a plugin's terms)."""
    paths = dict.fromkeys(spec.partition("=")[2].strip() for spec in plugins or ())
    lic = licence_by_id(licence) if licence else UNKNOWN
    return tuple(Input(id=f"plugin-{k + 1}", role="VST3 instrument", title=Path(p).name,
                       source=f"given by you ({p})", licence=lic)
                 for k, p in enumerate(p for p in paths if p))


def engine_inputs(engine: str, *, soundfont: str | Path | None = None,
                  soundfont_licence: str | None = None,
                  checkpoint: str | Path | None = None, plugins: Iterable[str] | None = None,
                  plugin_licence: str | None = None) -> tuple[Input, ...]:
    """What a render with ``engine`` adds to a piece's inputs: nothing for the built-in
    synthesis (stretto's code), the SoundFont, or the checkpoint and its training data; and
    the VST3 instruments of ``plugins``."""
    found = plugin_inputs(plugins, plugin_licence)
    if engine == "soundfont" and soundfont is not None:
        return (soundfont_input(soundfont, soundfont_licence),) + found
    if engine == "neural":
        return checkpoint_inputs(checkpoint) + found
    return found


def project_inputs(project: Any) -> tuple[Input, ...]:
    """The inputs a project recorded (``project.inputs``), then stretto itself (with the
    version of its first run). A project made before inputs were recorded gives what it
    can say: the given voice as the composer's own (see :func:`recorded`)."""
    runs = getattr(project, "runs", ())
    version = str(runs[0].get("stretto", "")) if runs else ""
    found = inputs_from_data(getattr(project, "inputs", ()))
    if not found:
        given = {"species": "cantus", "harmonize": "melody"}.get(getattr(project, "kind", ""),
                                                                "plan")
        found = (Input(id=given, role=given, title=f"the {given} you gave",
                       source="not recorded (project made before stretto recorded inputs)",
                       licence=YOURS),)
    return found + (stretto_input(version),)


def recorded(project: Any) -> bool:
    """Whether the project recorded its inputs' licences (projects made since stretto does)."""
    return bool(getattr(project, "inputs", ()))


def rights_line(project: Any, extra: Iterable[Input] = ()) -> str | None:
    """The licence line a project's files carry (MIDI copyright, MusicXML rights), or None
    for a project that recorded no inputs (its files stay as they were written)."""
    if not recorded(project):
        return None
    return combine(project_inputs(project) + tuple(extra)).line()


def inputs_to_data(inputs: Iterable[Input]) -> list[dict[str, Any]]:
    return [i.to_dict() for i in inputs]


def inputs_from_data(data: Iterable[dict[str, Any]]) -> tuple[Input, ...]:
    return tuple(Input.from_dict(d) for d in data)


__all__ = ["ALL_USES", "CHECKPOINT_DATA", "Input", "KNOWN", "Licence",
           "NON_COMMERCIAL", "Refusal", "UNKNOWN", "USES", "Verdict", "YOURS",
           "checkpoint_inputs", "combine", "corpus_input", "engine_inputs", "inputs_from_data",
           "inputs_to_data", "licence_by_id", "manifest_items", "manifest_licence",
           "model_card", "music21_item", "plugin_inputs", "project_inputs", "recorded",
           "require_use", "rights_line", "sha256_file", "soundfont_input", "stretto_input",
           "user_input"]
