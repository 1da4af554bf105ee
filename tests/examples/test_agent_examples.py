"""The agent examples run and print what their docstrings promise."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def test_approval_gate(capsys: pytest.CaptureFixture[str]) -> None:
    example = load("approval_gate")
    assert await example.main() == "The refund of 40 on A-17 is done."
    assert capsys.readouterr().out == (
        'waiting: refund({"amount": 40, "order_id": "A-17"})\n'
        "refunded 40 on A-17\n"
        "The refund of 40 on A-17 is done.\n"
    )


async def test_task_as_tool(capsys: pytest.CaptureFixture[str]) -> None:
    example = load("task_as_tool")
    assert await example.main() == "Legal rejected the unlimited liability clause."
    assert capsys.readouterr().out == (
        "agent waiting, child asks: review clause: unlimited liability\n"
        '{"clause":"unlimited liability","verdict":"rejected"}\n'
        "Legal rejected the unlimited liability clause.\n"
    )


async def test_structured_output(capsys: pytest.CaptureFixture[str]) -> None:
    example = load("structured_output")
    triage = await example.main()
    assert triage == example.Triage(severity=2, summary="login fails for SSO users")
    assert capsys.readouterr().out == (
        "Your reply does not match the required JSON schema: severity: Input should be a valid "
        "integer, unable to parse string as an integer. Reply again with only the JSON, "
        "matching the schema.\n"
        "severity=2 summary='login fails for SSO users'\n"
    )
