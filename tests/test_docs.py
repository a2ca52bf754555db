"""The README documents every setting, CLI command and chat command; help and menus list every command."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.platforms.telegram import bot_commands
from bot.settings import Settings
from handlers import COMMANDS

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def env_names(name: str) -> list[str]:
    field = Settings.model_fields[name]
    alias = field.validation_alias
    choices = getattr(alias, "choices", None)
    return [str(choice) for choice in choices] if choices else [f"ELECTIONWATCH_{name.upper()}"]


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_every_setting_is_in_the_readme(name: str) -> None:
    assert f"`{env_names(name)[0]}`" in README


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_chat_command_is_documented_and_in_the_menu(name: str) -> None:
    assert f"/{name}" in README
    assert name in [command.command for command in bot_commands()]
    assert COMMANDS[name].summary


def cli_commands() -> list[str]:
    parser = build_parser()
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
                if nested:
                    found += [f"{name} {child}" for child in nested[0].choices]
                else:
                    found.append(name)
    return found


@pytest.mark.parametrize("command", cli_commands())
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"`electionwatch {command}" in README
