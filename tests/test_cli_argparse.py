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
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and names in err, err
