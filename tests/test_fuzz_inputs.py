"""Seeded fuzz tests of the MusicXML, MIDI, score.json and TOML readers: a mutated file (see
bench/fuzz_inputs.py; hypothesis picks the mutations' seeds, derandomized so every run tries
the same files) exits 0-3 with at most one line on stderr, never a traceback or a hang."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

BENCH = Path(__file__).resolve().parents[1] / "bench" / "fuzz_inputs.py"


def _bench_module():
    spec = importlib.util.spec_from_file_location("fuzz_inputs", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_inputs"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


fuzz = _bench_module()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    return root, fuzz.make_seeds(root)


@pytest.mark.parametrize("fmt", fuzz.FORMATS)
@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2 ** 32 - 1))
def test_a_mutated_file_never_breaks_a_reader(seeds, fmt, seed):
    root, files = seeds
    rng = random.Random(seed)
    name, data = rng.choice(files[fmt])
    for argv, outcome in fuzz.fuzz_one(fmt, name, data, rng, root / f"work-{fmt}",
                                       project_seed=root / "seed-project"):
        assert outcome.ok, f"{argv[0]} on mutation {seed}: exit {outcome.code}, " \
                           f"{outcome.stderr_lines} stderr lines, {outcome.error}"


@pytest.mark.parametrize("fmt", fuzz.FORMATS)
def test_mutations_change_the_file_and_are_deterministic(seeds, fmt):
    _, files = seeds
    name, data = files[fmt][0]
    first = [fuzz.mutate(fmt, data, random.Random(s)) for s in range(6)]
    assert first == [fuzz.mutate(fmt, data, random.Random(s)) for s in range(6)]
    assert sum(m != data for m in first) >= 4  # most mutations really change the file
