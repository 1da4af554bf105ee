"""The public surface of ``agentkit.cli`` and the cost of importing it."""

from __future__ import annotations

import json
import sys

import agentkit.cli
from tests.killing import run_process

HEAVY = ("openai", "anthropic", "litellm", "tiktoken")


def test_exported_members() -> None:
    assert agentkit.cli.__all__ == ["app", "main"]
    assert callable(agentkit.cli.main)


def _modules_after(code: str) -> list[str]:
    probe = (
        f"{code}\n"
        "import json, sys\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    result = run_process([sys.executable, "-c", probe], check=True)
    return list(json.loads(result.stdout.splitlines()[-1]))


def test_import_does_not_load_model_sdks() -> None:
    assert _modules_after("import agentkit.cli") == []


def test_help_does_not_load_model_sdks() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['agentkit', '--help']\n"
        "from agentkit.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert exit.code in (0, None), exit.code\n"
    )
    assert _modules_after(code) == []


def test_probe_sees_a_loaded_sdk() -> None:
    # The probe must be able to fail: a module registered as "openai" is reported.
    assert _modules_after("import json as openai; import sys; sys.modules['openai'] = openai") == [
        "openai"
    ]
