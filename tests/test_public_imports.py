"""Tests import agentkit's public names only, so a reorganisation does not break them.

A module is private when any part of its dotted path starts with an underscore
(``agentkit.durable._replay``, ``agentkit._redact``); importing a private name
from a public module (``from agentkit import _redact``) counts too. Every
import statement in every file under ``tests/`` is read with ``ast``, including
imports inside functions and ``importlib.import_module("...")`` calls.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).parent

# (test file, private module) -> why it is still imported. Keep this short:
# each entry is a name users lack, or a test of that module's own internals.
ALLOWED: dict[tuple[str, str], str] = {
    ("tests/cli/test_render.py", "agentkit.cli._render"): (
        "unit tests of the table-formatting helpers (spans, durations, time zones), "
        "whose edge cases no command reaches cheaply"
    ),
    ("tests/cli/test_errors.py", "agentkit.cli._boundary"): (
        "error_message's branches for a locked database, a multi-line message and a bug "
        "(None: let it raise) have no command a test can drive into them"
    ),
    ("tests/cli/test_demo.py", "agentkit.cli._demo_app"): (
        "`demo --live` picks its model from the keys present, but runs it in child "
        "processes that would reach the network"
    ),
    ("tests/durable/test_infer.py", "agentkit.models._openai_wire"): (
        "patches the OpenAI wire parser to show that a parser fix reaches replay; no "
        "public name lets a test wrap the parser registered for a provider"
    ),
    ("tests/store/test_core_tables.py", "agentkit.store._core_tables"): (
        "pins the generated Core copy of the tables to its SQLModel source; no user sees either"
    ),
    ("tests/store/test_core_tables.py", "agentkit.store._tables"): (
        "the SQLModel source the Core copy is generated from"
    ),
    ("tests/store/test_secrets.py", "agentkit._redact"): (
        "pending (tests/store has another owner): build a model with the key instead of "
        "register_secret, as tests/durable/test_logging.py does"
    ),
}


def _is_private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def private_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) for each import of a private agentkit module in ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            modules = [node.args[0].value]
        for module in modules:
            if (module == "agentkit" or module.startswith("agentkit.")) and _is_private(module):
                found.append((node.lineno, module))
                break
    return found


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from agentkit import Agent\nimport agentkit.durable\n", []),
        ("from agentkit.durable import Journal\nimport agentkit.__main__\n", []),
        ("from agentkit.durable._replay import Journal\n", [(1, "agentkit.durable._replay")]),
        ("import agentkit._redact as r\n", [(1, "agentkit._redact")]),
        ("from agentkit import Agent, _redact\n", [(1, "agentkit._redact")]),
        ("def f():\n    import agentkit.models._errors\n", [(2, "agentkit.models._errors")]),
        (
            "import importlib\nimportlib.import_module('agentkit.cli._render')\n",
            [(2, "agentkit.cli._render")],
        ),
        ("from tests._helpers import x\nimport _thread\n", []),
    ],
)
def test_the_check_sees_private_imports(source: str, expected: list[tuple[int, str]]) -> None:
    assert private_imports(source) == expected


def test_tests_import_public_names_only() -> None:
    offending = []
    for path in sorted(TESTS.rglob("*.py")):
        relative = path.relative_to(TESTS.parent).as_posix()
        for line, module in private_imports(path.read_text(encoding="utf-8")):
            if (relative, module) not in ALLOWED:
                offending.append(f"{relative}:{line}: {module}")
    assert offending == []


def test_every_allowed_import_is_still_there() -> None:
    # An entry whose import is gone must leave the list, so that it only shrinks.
    present = {
        (path.relative_to(TESTS.parent).as_posix(), module)
        for path in TESTS.rglob("*.py")
        for _, module in private_imports(path.read_text(encoding="utf-8"))
    }
    assert sorted(set(ALLOWED) - present) == []
