"""Content credentials (C2PA) on rendered audio: stems and mix signed with the user's
certificate and key through ``c2pa-python`` (the optional ``c2pa`` extra).

Each signed WAV carries one manifest:

* ``c2pa.actions``: ``c2pa.created`` by the renderer, with the IPTC digital source type of
  how the audio was made (``trainedAlgorithmicMedia`` for the neural renderer,
  ``algorithmicMedia`` for the built-in synthesis or a SoundFont); then one action for the
  notes the solver wrote (``algorithmicMedia``) and one for the composer's notes and
  decisions (``humanEdits``), each with its counts;
* the ingredient: the project's ``score.json`` (relationship ``inputTo``, identified by its
  sha256), and the recorded inputs (melody, cantus, training data) as ingredients too;
* ``stds.schema-org.CreativeWork``: the title, the licence (SPDX id or URL), the licence
  line as ``copyrightNotice`` and the credits as ``creditText``;
* ``org.stretto.provenance``: the score's sha256, the PROV-JSON ids of the inputs and the
  counts per voice, so the audio can be traced to ``stretto provenance --format prov-json``.

The certificate must meet C2PA's profile (an end-entity certificate for digitalSignature
with an emailProtection or documentSigning extended key use, issued by a CA, not
self-signed); ECDSA P-256/384/521, RSA-PSS and Ed25519 keys are read from their PEM header.
Signing cannot be byte-identical across runs (signatures and instance ids differ), so
unsigned renders stay the reproducible ones.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stretto.errors import BadInput

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
SOURCE_TYPES = {"neural": "trainedAlgorithmicMedia", "synth": "algorithmicMedia",
                "soundfont": "algorithmicMedia"}


@dataclass(frozen=True)
class SigningKey:
    """The user's certificate chain (PEM, end-entity first) and private key (PEM), with the
    algorithm read from the key."""

    chain: bytes
    key: bytes
    alg: str


def _import_c2pa():
    try:
        import c2pa
    except ImportError:
        raise BadInput("signing needs the c2pa extra: pip install -e '.[c2pa]'") from None
    return c2pa


def _alg(key_pem: bytes, chain: bytes) -> str:
    """es256/es384/es512, ps256 or ed25519 from the key (and the certificate's curve)."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise BadInput(f"--sign-key is not an unencrypted PEM private key ({exc})") from None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        bits = key.curve.key_size
        return {256: "es256", 384: "es384", 521: "es512"}.get(bits) or "es256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    raise BadInput("--sign-key: use an ECDSA (P-256/384/521), RSA (PSS) or Ed25519 key")


def load_signing_key(cert: str | Path, key: str | Path) -> SigningKey:
    """The certificate chain and key, checked before any audio is rendered. BadInput when
    the c2pa extra is missing, a file is missing, or the key is not PEM."""
    _import_c2pa()
    paths = {"--sign-cert": Path(cert), "--sign-key": Path(key)}
    for flag, p in paths.items():
        if not p.is_file():
            raise BadInput(f"{flag} {p}: no such file (give a PEM file)")
    chain, key_pem = paths["--sign-cert"].read_bytes(), paths["--sign-key"].read_bytes()
    if b"-----BEGIN CERTIFICATE-----" not in chain:
        raise BadInput(f"--sign-cert {cert} holds no PEM certificate: give the signing "
                       "certificate followed by its CA's")
    from cryptography.hazmat.primitives.serialization import (Encoding, NoEncryption,
                                                              PrivateFormat,
                                                              load_pem_private_key)

    alg = _alg(key_pem, chain)
    # c2pa reads PKCS#8: convert a traditional ("EC PRIVATE KEY") PEM
    pkcs8 = load_pem_private_key(key_pem, password=None).private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    return SigningKey(chain=chain, key=pkcs8, alg=alg)


def c2pa_manifest(*, title: str, engine: str, voice: str | None, licence: dict[str, Any],
             score_sha256: str, shares: dict[str, Any], version: str) -> dict[str, Any]:
    """The C2PA manifest of one stem (``voice``) or the mix (``voice`` None); see the
    module text. ``licence``: :func:`stretto.app.licence.licence_metadata`; ``shares``:
    the counts of :func:`stretto.app.statement.note_shares`."""
    total = shares["total"]
    mine = [v for v in shares["voices"] if voice is None or v["voice"] == voice]
    solver = sum(v["solver"] for v in mine)
    composer = sum(v["composer"] for v in mine)
    given = sum(v["inputs"] for v in mine)
    notes = sum(v["notes"] for v in mine)
    actions = [
        {"action": "c2pa.created", "digitalSourceType": IPTC + SOURCE_TYPES.get(engine,
                                                                                "algorithmicMedia"),
         "softwareAgent": {"name": f"stretto renderer ({engine})", "version": version},
         "description": f"audio rendered from the score by the {engine} engine; the renderer "
                        "does not change the notes"},
        {"action": "c2pa.edited", "digitalSourceType": IPTC + "algorithmicMedia",
         "softwareAgent": {"name": "stretto solver (OR-Tools CP-SAT)", "version": version},
         "description": f"{solver} of {notes} notes written by the solver",
         "parameters": {"notes": solver, "of": notes}},
        {"action": "c2pa.edited", "digitalSourceType": IPTC + "humanEdits",
         "description": f"{composer} of {notes} notes set by the composer (pins, locks, "
                        f"their own given voice); {given} taken from the recorded inputs",
         "parameters": {"notes": composer, "from_inputs": given, "of": notes,
                        "decisions": total.get("decisions", 0)}},
    ]
    ingredients = [{"title": "score.json", "format": "application/json",
                    "relationship": "inputTo", "instance_id": f"urn:sha256:{score_sha256}",
                    "description": "the stretto score this audio was rendered from"}]
    for i in licence["inputs"]:
        ingredients.append({"title": i["title"], "format": "application/octet-stream",
                            "relationship": "inputTo",
                            "instance_id": f"urn:stretto:input-{i['id']}"
                                           + (f":sha256:{i['sha256']}" if i.get("sha256") else ""),
                            "description": f"{i['role']}: {i['source']}; licence "
                                           f"{i['licence']['id']}"})
    lic = [i["licence"] for i in licence["inputs"]]
    urls = [x.get("url") or x["id"] for x in lic]
    work = {"@context": "https://schema.org", "@type": "CreativeWork",
            "name": title if voice is None else f"{title} ({voice})",
            "license": list(dict.fromkeys(urls)), "copyrightNotice": licence["line"],
            "creditText": "; ".join(licence["attributions"]),
            "usageInfo": "allowed uses: " + (", ".join(licence["uses"]) or "none cleared")}
    return {"claim_generator_info": [{"name": "stretto", "version": version}],
            "title": work["name"], "format": "audio/wav", "ingredients": ingredients,
            "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}},
                           {"label": "stds.schema-org.CreativeWork", "data": work},
                           {"label": "org.stretto.provenance",
                            "data": {"score_sha256": score_sha256, "voice": voice,
                                     "inputs": [f"stretto:input-{i['id']}"
                                                for i in licence["inputs"]],
                                     "notes": {"composer": composer, "solver": solver,
                                               "from_inputs": given, "of": notes}}}]}


def sign_wav(path: str | Path, manifest_data: dict[str, Any], key: SigningKey) -> None:
    """Sign the WAV at ``path`` in place with ``manifest_data``."""
    c2pa = _import_c2pa()
    path = Path(path)
    info = c2pa.C2paSignerInfo(alg=key.alg.encode(), sign_cert=key.chain,
                               private_key=key.key, ta_url=None)
    tmp = path.with_name(path.name + ".signing")
    try:
        signer = c2pa.Signer.from_info(info)
        builder = c2pa.Builder(json.dumps(manifest_data))
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            builder.sign(signer, "audio/wav", src, dst)
    except c2pa.C2paError as exc:
        tmp.unlink(missing_ok=True)
        raise BadInput(f"C2PA signing failed ({str(exc)[:160]}): the certificate must be an "
                       "end-entity certificate for digitalSignature with the emailProtection or "
                       "documentSigning extended key use, issued by a CA, followed by the "
                       "CA's certificate in --sign-cert") from None
    os.replace(tmp, path)


@dataclass(frozen=True)
class Credentials:
    """What a reader found: the validation ``state`` (Trusted, Valid, Invalid, or None when
    there is no manifest), the failure codes, and the active manifest."""

    state: str | None
    failures: tuple[str, ...]
    manifest: dict[str, Any] | None

    def assertion(self, label: str) -> dict[str, Any] | None:
        for a in (self.manifest or {}).get("assertions", []):
            if a["label"].startswith(label):
                return a["data"]
        return None


def read_credentials(path: str | Path, *, trust_anchors: str | None = None) -> Credentials:
    """The C2PA manifest of ``path`` as c2pa-python's reader validates it; with
    ``trust_anchors`` (PEM text of CA certificates) a chain to one of them is ``Trusted``."""
    c2pa = _import_c2pa()
    kwargs = {}
    if trust_anchors:
        kwargs["context"] = c2pa.Context.from_dict({"trust": {"trust_anchors": trust_anchors}})
    try:
        reader = c2pa.Reader(str(path), **kwargs)
    except c2pa.C2paError:
        return Credentials(None, (), None)
    results = reader.get_validation_results() or {}
    failures = tuple(f["code"] for f in (results.get("activeManifest") or {}).get("failure",
                                                                                  []))
    return Credentials(reader.get_validation_state(), failures, reader.get_active_manifest())


__all__ = ["Credentials", "IPTC", "SigningKey", "c2pa_manifest", "load_signing_key",
           "read_credentials", "sign_wav"]
