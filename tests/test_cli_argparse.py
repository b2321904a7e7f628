"""Argument errors are one line and exit 2, for the top level and every sub-command."""

from __future__ import annotations

import pytest

from stretto.cli import main


@pytest.mark.parametrize("argv, names", [
    pytest.param([], "command", id="no-command"),
    pytest.param(["specis"], "invalid choice", id="unknown-command"),
    pytest.param(["pin", "--bogus"], "--voice", id="pin-missing"),
    pytest.param(["species", "--workers", "two"], "--workers", id="bad-int"),
    pytest.param(["check"], "required", id="check-missing"),
])
def test_argument_errors_are_one_line(argv: list[str], names: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and names in err, err


@pytest.mark.parametrize("argv, names", [
    pytest.param(["species", "--seed", "2147483648"], "0 to 2147483647", id="seed-int32"),
    pytest.param(["species", "--voices", "0"], "2 to 4", id="voices-0"),
    pytest.param(["species", "--workers", "0"], "1 to 64", id="workers-0"),
    pytest.param(["species", "--time-limit", "0"], "above 0", id="time-limit-0"),
    pytest.param(["species", "--time-limit", "nan"], "time-limit", id="time-limit-nan"),
    pytest.param(["check", "x", "--max-range", "-1"], "1 to 36", id="max-range-negative"),
    pytest.param(["render", "x", "--detune", "nan"], "-100.0 to 100.0", id="detune-nan"),
    pytest.param(["render", "x", "--detune", "1e9"], "-100.0 to 100.0", id="detune-huge"),
    pytest.param(["bench", "--time-limit", "0"], "above 0", id="bench-time-limit-0"),
    pytest.param(["pin", "p", "--voice", "1", "--bar", "2", "--pitch", "D4",
                  "--time-limit", "0"], "above 0", id="pin-time-limit-0"),
])
def test_numbers_out_of_range_are_refused(argv: list[str], names: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and names in err, err


@pytest.mark.parametrize("text", ["2-", "-3", "4-1", "0-2", "x"], ids=str)
def test_bar_spans_that_mean_nothing_are_refused(text: str) -> None:
    from stretto.edits import parse_bars
    from stretto.errors import BadInput

    with pytest.raises(BadInput, match="bars"):
        parse_bars(text)


@pytest.mark.parametrize("text, span", [("3-5", (3, 5)), ("4", (4, 4))], ids=str)
def test_bar_spans_read(text: str, span: tuple[int, int]) -> None:
    from stretto.edits import parse_bars

    assert parse_bars(text) == span


@pytest.mark.parametrize("argv", [
    pytest.param(["species", "--cantus-name", "fux-dorian", "--out", ""], id="out-empty"),
    pytest.param(["species", "--cantus-name", "fux-dorian", "--mode", ""], id="mode-empty"),
    pytest.param(["harmonize", "x.mid", "--key", " "], id="key-empty"),
])
def test_empty_values_are_refused(argv: list[str], capsys) -> None:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "is empty" in err, err
