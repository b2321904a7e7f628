"""``import stretto`` gives the public API, lazily: nothing heavy loads at import, every
declared name resolves, the stub declares the same names, and the documented example runs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import stretto

STUB = Path(stretto.__file__).with_suffix(".pyi")


def test_import_loads_nothing_heavy() -> None:
    code = ("import sys, stretto; "
            "print([m for m in ('ortools', 'music21', 'mido', 'numpy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_name_resolves_and_the_stub_declares_it() -> None:
    for name in stretto.__all__:
        assert getattr(stretto, name) is not None, name
    tree = ast.parse(STUB.read_text())
    stubbed = {a.asname or a.name for node in tree.body if isinstance(node, ast.ImportFrom)
               for a in node.names}
    stubbed |= {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    stubbed |= {node.target.id for node in tree.body if isinstance(node, ast.AnnAssign)}
    assert stubbed == set(stretto.__all__)


def test_documented_example_solves_checks_and_round_trips(tmp_path: Path) -> None:
    import stretto.check  # noqa: F401 - the subpackage imported must not hide stretto.check()

    spec = stretto.SpeciesSpec(cantus=stretto.parse_pitches("D4 F4 E4 D4 G4 F4 A4 G4 F4 E4 D4"),
                               mode=stretto.Mode("dorian", "D"), species=(1,), cantus_voice=1)
    result = stretto.solve_species(spec, stretto.SolveSettings(time_limit=5, seed=0))
    assert result.status == "optimal"
    assert [v for v in stretto.check(result.piece) if v.severity == "hard"] == []
    path = stretto.write_score(result.piece, tmp_path / "first.musicxml")
    back = stretto.read_score(path)
    assert [n.pitch for n in back.voices[0].notes] == \
        [n.pitch for n in result.piece.voices[0].notes]
