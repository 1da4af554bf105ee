"""examples/chat_with_memory.py runs and prints what its docstring promises."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "chat_with_memory.py"


async def test_chat_with_memory(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("example_chat_with_memory", EXAMPLE)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = example
    spec.loader.exec_module(example)
    assert await example.main() == "You love green tea."
    assert capsys.readouterr().out == (
        "> Hi, I'm Ada and I love green tea.\n"
        "Nice to meet you, Ada.\n"
        "> Tell me about durable agents.\n"
        "Durable agents journal every model call and tool call as a step, so a crashed run "
        "resumes where it stopped without paying for a call twice.\n"
        "> What do I like to drink?\n"
        "You love green tea.\n"
        "thread: 10 messages, summary of the first 6\n"
        "the last request sent 5 messages\n"
        "recalled: - Ada loves green tea.\n"
    )
    last = example.model.requests[-1].messages
    assert [m.role for m in last] == ["system", "system", "user", "assistant", "tool"]
    assert last[2].text == "What do I like to drink?"
