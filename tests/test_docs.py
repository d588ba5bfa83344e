"""Every command has help ending with an example and is documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import SETTING_HELP

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_has_help_and_is_in_readme(name):
    command = cli.commands[name]
    assert command.help and "Example: monitor" in command.help
    assert f"`monitor {name}" in README
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0 and "Example" in result.output


@pytest.mark.parametrize("name", sorted(SETTING_HELP))
def test_setting_in_readme(name):
    assert f"| `{name}` |" in README
