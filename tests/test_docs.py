"""The README documents every setting and every CLI command (a test fails when one is added silently)."""
from __future__ import annotations

import typer.main

from paperwire.cli.main import app
from paperwire.settings import Settings
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_the_readme():
    missing = [f"PAPERWIRE_{name.upper()}" for name in Settings.model_fields if f"`PAPERWIRE_{name.upper()}`" not in README]
    assert missing == []


def test_every_setting_has_help_text():
    assert [name for name, info in Settings.model_fields.items() if not info.description] == []


def _commands(group, prefix: str = "paperwire") -> list[str]:
    out = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group
            out += _commands(command, f"{prefix} {name}")
        elif name != "files":
            out.append(f"{prefix} {name}")
    return out


def test_every_cli_command_is_documented_in_the_readme():
    commands = _commands(typer.main.get_command(app))
    assert "paperwire ingest oai" in commands
    assert [c for c in commands if c not in README] == []


def test_the_readme_opens_with_the_two_commands():
    first_screen = "\n".join(README.splitlines()[:25])
    assert "make run" in first_screen and "make test" in first_screen
