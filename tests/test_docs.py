"""The docs cannot drift: every command is in the README, the config reference is
generated from the models, and every docs page the README links exists."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from slogate.cli.app import app
from slogate.config.reference import config_reference_markdown

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _command_paths() -> list[str]:
    root = typer.main.get_command(app)
    groups = root.commands  # type: ignore[attr-defined]
    assert groups
    paths: list[str] = []
    for name, command in groups.items():
        if hasattr(command, "commands"):
            paths.extend(f"{name} {sub}" for sub in command.commands)
        else:
            paths.append(name)
    return sorted(paths)


def test_every_command_is_in_the_readme_cli_reference() -> None:
    missing = [path for path in _command_paths() if f"`slogate {path}" not in README]
    assert missing == []


def test_config_reference_is_current() -> None:
    current = (ROOT / "docs" / "config-reference.md").read_text()
    assert current == config_reference_markdown(), (
        "regenerate with: slogate schema --markdown > docs/config-reference.md"
    )


def test_readme_links_point_to_existing_files() -> None:
    links = re.findall(r"\]\(((?:docs|examples)/[^)#]+)\)", README)
    assert links
    assert [link for link in links if not (ROOT / link).exists()] == []


def test_readme_shows_the_two_commands_first() -> None:
    first_block = README.split("```", 2)[1]
    assert "make demo" in first_block and "make test" in first_block
