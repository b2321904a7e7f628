"""stretto.renderer.plugin: voices through VST3 instruments (pedalboard). With an in-memory fake
instrument: the events land on the notes' samples, pedalboard's warm-up note is stopped and cut
off, the other voices keep their engine. With a real VST3 instrument the test builds from
tests/renderer/data/tinysynth (DPF, g++): ``stretto render --plugin --verify`` passes and the
plugin's stem starts on its voice's first sample."""

from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest
from render_pieces import duet, project

from stretto.cli import main
from stretto.errors import BadInput
from stretto.renderer.engine import SynthEngine
from stretto.renderer.plugin import PREROLL, PluginEngine, midi_events, parse_plugins
from stretto.renderer.render import lines_of, render_piece

SR = 16_000
DATA = Path(__file__).parent / "data" / "tinysynth"
DPF = Path("/usr/share/dpf")


class FakeInstrument:
    """Plays a 1.0 square per held note from the event's sample; like a careless synth, it
    also holds pedalboard's warm-up middle C until a note-off for it arrives."""

    is_instrument = True

    def __init__(self) -> None:
        self.calls: list[tuple[list, float, int]] = []

    def __call__(self, events, *, duration, sample_rate, reset=True):
        self.calls.append((events, duration, sample_rate))
        n = int(duration * sample_rate)
        out = np.zeros(n)
        held = {60: 0}  # the warm-up C, sounding from the start
        for msg, t in sorted(events, key=lambda e: e[1]):
            at = int(t * sample_rate)
            if msg[0] & 0xF0 == 0x90 and msg[2] > 0:
                held[msg[1]] = at
            elif msg[0] & 0xF0 == 0x80 and msg[1] in held:
                out[held.pop(msg[1]):at] += 1.0
        for start in held.values():
            out[start:] += 1.0
        return np.stack([out, out]).astype(np.float32)


def _engine(fake, voices=(0,)):
    return PluginEngine({v: (Path("fake.vst3"), None) for v in voices}, SynthEngine(),
                        loader=lambda path, preset: fake)


def test_notes_sound_on_their_samples_and_the_warm_up_note_is_gone():
    piece = duet()  # the Soprano from 0, the lower voice from a half note (1.5 s at 160)
    fake = FakeInstrument()
    line = lines_of(piece, piece.tempo, SR, ["organ", "organ"])[1]
    n = line.piece_samples + SR // 2
    audio = _engine(fake, (1,)).render_voice(line, n_samples=n, sr=SR)
    assert len(audio) == n
    start = round(2 * 60 / 160 * SR)  # 12000
    assert line.notes[0][0] == start
    assert np.all(audio[:start] == 0) and np.all(audio[start:start + 100] == 1.0)
    # every note's on and off at its own sample (after the dropped pre-roll)
    for (a, b, _), nxt in zip(line.notes, list(line.notes[1:]) + [None]):
        assert audio[a] == 1.0 and audio[b - 1] == 1.0
        if nxt is None:
            assert audio[b] == 0.0
    events, duration, sr = fake.calls[0]
    pre = round(PREROLL * SR)
    assert events[0] == (bytes([0x80, 60, 0]), 0.0) and sr == SR
    assert int(events[1][1] * SR) == pre + start and events[1][0][0] == 0x90


def test_voices_without_a_plugin_keep_their_engine():
    piece = duet()
    fake = FakeInstrument()
    lone = render_piece(piece, sr=SR, engine=_engine(fake, (0,)), progress=False)
    plain = render_piece(piece, sr=SR, engine=SynthEngine(), progress=False)
    assert len(fake.calls) == 1  # only the Soprano went through the plugin
    gain = lone.stems[1] @ plain.stems[1] / (plain.stems[1] @ plain.stems[1])
    assert np.allclose(lone.stems[1], plain.stems[1] * gain)
    assert len(lone.stems[0]) == len(plain.stems[0])
    assert lone.info["engine"] == "plugin" and lone.info["fallback"]["engine"] == "synth"


def test_repeated_notes_send_the_note_off_first():
    events = midi_events(((0, 100, 60), (100, 200, 60)), SR, 0)
    at_100 = [msg[0] & 0xF0 for msg, t in events if int(t * SR) == 100]
    assert at_100 == [0x80, 0x90]


@pytest.mark.parametrize("plugins, presets, message", [
    (["Soprano=/nope/X.vst3"], None, "no such file or folder"),
    (["Soprano=/tmp/x.so"], None, "give a VST3 instrument"),
    (["Tenor=X.vst3"], None, "no voice 'Tenor'"),
    (["X.vst3"], None, "write VOICE=/path/Instrument.vst3"),
    (None, ["p.vstpreset"], "--preset goes with --plugin"),
], ids=["missing", "not-vst3", "voice", "no-voice", "preset-alone"])
def test_bad_plugin_arguments_are_one_line(plugins, presets, message):
    with pytest.raises(BadInput, match=message):
        parse_plugins(plugins, presets, ["Soprano", "Voice 2"])


def test_a_plugin_voice_by_number_and_a_preset_for_it(tmp_path):
    plugin = tmp_path / "Synth.vst3"
    plugin.mkdir()
    preset = tmp_path / "warm.vstpreset"
    preset.write_bytes(b"x")
    chosen = parse_plugins([f"2={plugin}"], [str(preset)], ["Soprano", "Alto"])
    assert chosen == {1: (plugin, preset)}


# ---------------------------------------------------------------------------- a real VST3


@pytest.fixture(scope="module")
def tinysynth(tmp_path_factory) -> Path:
    """TinySynth.vst3 built from tests/renderer/data/tinysynth with DPF's VST3 wrapper."""
    pytest.importorskip("pedalboard", reason="the plugin extra (pedalboard) is not installed")
    if shutil.which("g++") is None or not (DPF / "distrho" / "DistrhoPluginMain.cpp").is_file():
        pytest.skip("building the test instrument needs g++ and Debian's dpf-source "
                    "(.ci/apt-packages)")
    bundle = tmp_path_factory.mktemp("vst3") / "TinySynth.vst3"
    target = bundle / "Contents" / "x86_64-linux" / "TinySynth.so"
    target.parent.mkdir(parents=True)
    subprocess.run(["g++", "-O2", "-fPIC", "-shared", "-std=gnu++17",
                    "-DDISTRHO_PLUGIN_TARGET_VST3", f"-I{DATA}", f"-I{DPF / 'distrho'}",
                    str(DATA / "TinySynth.cpp"), str(DPF / "distrho" / "DistrhoPluginMain.cpp"),
                    f"-Wl,--version-script={DPF / 'utils' / 'symbols' / 'vst3.version'}",
                    "-o", str(target), "-ldl"], check=True, capture_output=True, timeout=300)
    return bundle


@pytest.mark.slow  # pedalboard lists DPF's 2,080 MIDI-CC parameters on load: ~20 s
def test_render_through_a_real_vst3_passes_verify_on_the_sample(tinysynth, tmp_path, capsys):
    import soundfile as sf

    folder = project(duet(), tmp_path / "p")
    code = main(["render", str(folder), "--plugin", f"2={tinysynth}", "--verify",
                 "--sample-rate", str(SR), "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    stem, sr = sf.read(folder / "stems" / "02-Voice_2.wav")
    other, _ = sf.read(folder / "stems" / "01-Soprano.wav")
    assert sr == SR and len(stem) == len(other)
    start = round(F(2) * 60 / 160 * SR)
    assert np.max(np.abs(stem[:start])) == 0 and np.max(np.abs(stem[start:start + 80])) > 0
    assert '"fidelity_ok": true' in out and '"engine": "plugin"' in out
    assert '"Voice 2": "TinySynth.vst3"' in out
