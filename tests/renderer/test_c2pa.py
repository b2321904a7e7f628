"""C2PA content credentials on stems and mix: a throwaway CA and signing certificate made with
openssl to C2PA's profile, a signed render read back with c2pa-python's reader, and a changed
byte that fails validation."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

c2pa = pytest.importorskip("c2pa", reason="the c2pa extra (c2pa-python) is not installed")
if shutil.which("openssl") is None:  # pragma: no cover
    pytest.skip("openssl is needed to make the test certificates", allow_module_level=True)

from stretto.app.licence import licence_line  # noqa: E402
from stretto.cli import main  # noqa: E402
from stretto.renderer.credentials import IPTC, read_credentials  # noqa: E402

EXTENSIONS = """
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[signer]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    """ca.pem (a P-256 root), signer.pem + ca.pem as chain.pem, signer.key (SEC1 PEM), and a
    self-signed leaf (selfsigned.pem/.key) that C2PA refuses."""
    d = tmp_path_factory.mktemp("certs")
    (d / "ext.cnf").write_text(EXTENSIONS)
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key", cwd=d)
    _openssl("req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", "30", "-subj",
             "/CN=stretto test CA/O=stretto tests/C=US", "-config", "ext.cnf",
             "-extensions", "ca", "-out", "ca.pem", cwd=d)
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "signer.key", cwd=d)
    _openssl("req", "-new", "-key", "signer.key", "-subj",
             "/CN=stretto test signer/O=stretto tests/C=US", "-out", "signer.csr", cwd=d)
    _openssl("x509", "-req", "-in", "signer.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "30", "-sha256", "-extfile", "ext.cnf",
             "-extensions", "signer", "-out", "signer.pem", cwd=d)
    (d / "chain.pem").write_bytes((d / "signer.pem").read_bytes() + (d / "ca.pem").read_bytes())
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", "selfsigned.key", "-subj", "/CN=self", "-days", "30",
             "-out", "selfsigned.pem", cwd=d)
    return d


@pytest.fixture(scope="module")
def signed(tmp_path_factory, certs) -> Path:
    out = tmp_path_factory.mktemp("signed") / "p"
    assert main(["species", "--cantus-name", "fux-dorian", "--out", str(out),
                 "--time-limit", "5"]) == 0
    assert main(["render", str(out), "--tempo", "480", "--sign-cert",
                 str(certs / "chain.pem"), "--sign-key", str(certs / "signer.key")]) == 0
    return out


def _wavs(folder: Path) -> list[Path]:
    return [folder / "mix.wav", *sorted((folder / "stems").glob("*.wav"))]


def test_signed_stems_and_mix_validate(signed, certs):
    anchors = (certs / "ca.pem").read_text()
    for wav in _wavs(signed):
        found = read_credentials(wav, trust_anchors=anchors)
        assert found.state == "Trusted", (wav.name, found.failures)
        assert found.failures == ()
    assert read_credentials(signed / "mix.wav").state == "Valid"  # signed, CA not anchored


def test_manifest_says_who_made_what(signed):
    found = read_credentials(_wavs(signed)[1])  # the top voice's stem
    actions = found.assertion("c2pa.actions")["actions"]
    assert actions[0]["action"] == "c2pa.created"
    assert actions[0]["digitalSourceType"] == IPTC + "algorithmicMedia"  # built-in synth
    solver, human = actions[1], actions[2]
    assert solver["digitalSourceType"] == IPTC + "algorithmicMedia"
    assert human["digitalSourceType"] == IPTC + "humanEdits"
    assert solver["parameters"]["notes"] + human["parameters"]["notes"] \
        + human["parameters"]["from_inputs"] == solver["parameters"]["of"]
    work = found.assertion("stds.schema-org.CreativeWork")
    assert work["copyrightNotice"] == licence_line(signed)
    score = hashlib.sha256((signed / "score.json").read_bytes()).hexdigest()
    ids = [i["instance_id"] for i in found.manifest["ingredients"]]
    assert f"urn:sha256:{score}" in ids and "urn:stretto:input-cantus" in ids
    assert found.assertion("org.stretto.provenance")["score_sha256"] == score


def test_one_changed_byte_fails_validation(signed, certs, tmp_path):
    mix = signed / "mix.wav"
    data = bytearray(mix.read_bytes())
    at = data.find(b"data") + 8 + 2000  # inside the samples
    data[at] ^= 0x01
    changed = tmp_path / "changed.wav"
    changed.write_bytes(bytes(data))
    found = read_credentials(changed, trust_anchors=(certs / "ca.pem").read_text())
    assert found.state == "Invalid"
    assert "assertion.dataHash.mismatch" in found.failures


def test_self_signed_certificate_is_refused_and_nothing_written(certs, tmp_path, capsys):
    out = tmp_path / "p"
    assert main(["species", "--cantus-name", "fux-dorian", "--out", str(out),
                 "--time-limit", "5"]) == 0
    code = main(["render", str(out), "--tempo", "480", "--sign-cert",
                 str(certs / "selfsigned.pem"), "--sign-key", str(certs / "selfsigned.key")])
    assert code == 2
    assert "C2PA signing failed" in capsys.readouterr().err
    assert not (out / "mix.wav").exists() and not (out / "stems").exists()


@pytest.mark.parametrize("args, message", [
    (["--sign-cert", "chain.pem"], "give --sign-cert and --sign-key together"),
    (["--sign-cert", "chain.pem", "--sign-key", "missing.key"], "--sign-key"),
    (["--sign-cert", "signer.key", "--sign-key", "signer.key"], "holds no PEM certificate"),
], ids=["cert-only", "missing-key", "key-as-cert"])
def test_bad_signing_arguments(args, message, certs, tmp_path, capsys):
    out = tmp_path / "p"
    assert main(["species", "--cantus-name", "fux-dorian", "--out", str(out),
                 "--time-limit", "5"]) == 0
    capsys.readouterr()
    args = [str(certs / a) if a.endswith((".pem", ".key")) else a for a in args]
    assert main(["render", str(out), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (out / "mix.wav").exists()


@pytest.mark.parametrize("engine, kind", [("neural", "trainedAlgorithmicMedia"),
                                          ("synth", "algorithmicMedia"),
                                          ("soundfont", "algorithmicMedia")],
                         ids=["neural", "synth", "soundfont"])
def test_digital_source_type_by_engine(engine, kind):
    from stretto.renderer.credentials import c2pa_manifest

    shares = {"voices": [{"voice": "Alto", "notes": 10, "composer": 2, "inputs": 0,
                          "solver": 8}], "total": {"decisions": 1}}
    licence = {"inputs": [], "line": "Licence: ...", "attributions": [], "uses": []}
    made = c2pa_manifest(title="t", engine=engine, voice="Alto", licence=licence,
                    score_sha256="0" * 64, shares=shares, version="0")
    actions = made["assertions"][0]["data"]["actions"]
    assert actions[0]["digitalSourceType"] == IPTC + kind
    assert (actions[1]["parameters"]["notes"], actions[2]["parameters"]["notes"]) == (8, 2)
