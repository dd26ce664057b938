"""The README and docs say what the code does: set-up commands, commands and options."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from generator.cli import make_parser

ROOT = Path(__file__).parent.parent
SET_UP = ["pip install -e . && outpost build", "pip install -e '.[test]' && python -m pytest"]


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = make_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_the_readme_gives_the_two_set_up_commands_that_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci/run").read_text()
    for command in SET_UP:
        assert f"\n{command}\n" in readme
    assert "pip install -e . && outpost build" in ci
    assert "pip install -e '.[test]'" in ci
    assert "\npython -m pytest\n" in ci


@pytest.mark.parametrize("document", documents(), ids=lambda p: p.name)
def test_every_documented_command_and_option_exists(document: Path) -> None:
    commands = subcommands()
    text = document.read_text()
    used = re.findall(r"outpost ([a-z]+)((?: +(?:\"[^\"]*\"|'[^']*'|[^\s`|\"']+))*)", text)
    if document.name in ("README.md", "format.md", "publishing.md"):
        assert used, f"{document.name} shows no outpost command"
    for name, rest in used:
        if name not in commands:
            continue  # prose such as "outpost is ..." or a command name inside a sentence
        known = {o for a in commands[name]._actions for o in a.option_strings}
        for option in re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", rest):
            assert option in known, f"{document.name}: 'outpost {name}' has no option {option}"


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in subcommands():
        assert f"outpost {name}" in readme
