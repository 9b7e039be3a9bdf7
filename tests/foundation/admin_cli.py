"""The administration commands as an operator runs them, for the tests of agencies and officials."""
from __future__ import annotations

from wallet_service.cli import main


def cli(app, *args):
    return app.test_cli_runner().invoke(main, list(args))


def ok(app, *args) -> str:
    result = cli(app, *args)
    assert result.exit_code == 0, result.output
    return result.output


def refused(app, *args) -> str:
    """The one line a refused command prints (and that it printed nothing else, no traceback)."""
    result = cli(app, *args)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ")
    return line
