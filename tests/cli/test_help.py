"""``--help``, ``--version``, ``python -m agentkit``, and the README's list of flags."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

import agentkit
from agentkit.cli import app
from tests.killing import run_process

README = Path(__file__).resolve().parents[2] / "README.md"
_FLAG = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")


def _command_paths(command: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [path]
    if isinstance(command, TyperGroup):
        for name, sub in sorted(command.commands.items()):
            paths += _command_paths(sub, (*path, name))
    return paths


COMMANDS = _command_paths(typer.main.get_command(app))


def _help(runner: CliRunner, path: tuple[str, ...]) -> str:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def _options_panel(help_text: str) -> str:
    """The ``Options`` box of a help page (the usage line and descriptions mention flags too)."""
    return help_text.split("─ Options ", 1)[1].split("╰", 1)[0]


def _cli_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("\n## CLI\n", 1)[1].split("\n## ", 1)[0]


def test_every_command_is_covered() -> None:
    assert COMMANDS == [
        (),
        ("db",),
        ("db", "current"),
        ("db", "upgrade"),
        ("demo",),
        ("dev",),
        ("eval",),
        ("eval", "add-run"),
        ("eval", "run"),
        ("events",),
        ("events", "send"),
        ("functions",),
        ("functions", "list"),
        ("replay",),
        ("runs",),
        ("runs", "cancel"),
        ("runs", "completions"),
        ("runs", "diff"),
        ("runs", "fork"),
        ("runs", "list"),
        ("runs", "resume"),
        ("runs", "show"),
        ("serve",),
        ("tokens",),
        ("tokens", "complete"),
        ("tokens", "list"),
        ("worker",),
    ]


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "agentkit")
def test_every_flag_is_in_the_readme(runner: CliRunner, path: tuple[str, ...]) -> None:
    flags = set(_FLAG.findall(_options_panel(_help(runner, path))))
    assert "--help" in flags
    section = _cli_section()
    missing = sorted(
        flag for flag in flags if not re.search(rf"(?<![\w-]){flag}(?![\w-])", section)
    )
    assert missing == [], f"agentkit {' '.join(path)}: flags not in README's CLI section"


def test_the_flag_parser_finds_flags() -> None:
    # The check above must be able to fail: it finds short and long flags, not words.
    panel = "│ --json   Print JSON. │\n│ --verbose  -v   Log more, e.g. re-run. │"
    assert sorted(_FLAG.findall(panel)) == ["--json", "--verbose", "-v"]


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "agentkit")
def test_flags_show_as_flags(runner: CliRunner, path: tuple[str, ...]) -> None:
    assert "<bool>" not in _help(runner, path)


def test_json_is_a_bare_flag(runner: CliRunner) -> None:
    [line] = [row for row in _help(runner, ("runs", "list")).splitlines() if "--json" in row]
    assert line.split() == ["│", "--json", "Print", "JSON", "instead", "of", "a", "table.", "│"]


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert (result.exit_code, result.stdout) == (0, f"agentkit {agentkit.__version__}\n")


def test_python_dash_m_agentkit_is_the_same_app(tmp_path: Path) -> None:
    version = run_process([sys.executable, "-m", "agentkit", "--version"], cwd=tmp_path)
    assert (version.returncode, version.stdout, version.stderr) == (
        0,
        f"agentkit {agentkit.__version__}\n",
        "",
    )
    listing = run_process(
        [
            sys.executable,
            "-m",
            "agentkit",
            "--database-url",
            "sqlite:///missing.db",
            "runs",
            "list",
        ],
        cwd=tmp_path,
    )
    assert listing.returncode == 1
    assert listing.stderr.startswith("error: no database at missing.db (given by --database-url)")
    assert not (tmp_path / "missing.db").exists()
