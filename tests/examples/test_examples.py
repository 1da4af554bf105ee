"""Every example runs and prints what its docstring promises."""

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


async def test_durable_order(capsys: pytest.CaptureFixture[str]) -> None:
    example = load("durable_order")
    assert await example.main() == "reservation-lamp-12 paid 99"
    assert capsys.readouterr().out == (
        "waiting for a human: approve 12 x lamp?\nreservation-lamp-12 paid 99\n"
    )


async def test_model_failover(capsys: pytest.CaptureFixture[str]) -> None:
    await load("model_failover").main()
    assert capsys.readouterr().out == (
        "Durable steps make agents restartable.\n"
        "attempt 1: primary failed\n"
        "attempt 2: primary failed\n"
        "attempt 3: backup ok\n"
    )


async def test_replay_and_eval(capsys: pytest.CaptureFixture[str]) -> None:
    assert await load("replay_and_eval").main() == 1.0
    assert capsys.readouterr().out == (
        "  changed  calc/infer [infer]: the model request changed (1 difference(s))\n"
        '      messages[0].parts[0].text: "You add." -> "You add numbers."\n'
        "  changed  calc/infer#1 [infer]: the model request changed (1 difference(s))\n"
        '      messages[0].parts[0].text: "You add." -> "You add numbers."\n'
        "  output: changed\n"
        "score 1.00; model calls today: 0\n"
    )


async def test_many_runs(capsys: pytest.CaptureFixture[str]) -> None:
    outputs = await load("many_runs").main()
    assert outputs == ["3 seen"] * 2000
    assert capsys.readouterr().out == (
        "2000 runs completed, each made 2 steps\nfirst answer: 3 seen\n"
    )


async def test_shared_rate_limit(capsys: pytest.CaptureFixture[str]) -> None:
    await load("shared_rate_limit").main()
    assert capsys.readouterr().out == (
        "call 1 (worker a): granted at once\n"
        "call 2 (worker b): granted at once\n"
        "call 3 (worker a): waited for the shared window\n"
        "call 4 (worker b): granted at once\n"
    )


async def test_flow_control(capsys: pytest.CaptureFixture[str]) -> None:
    done = await load("flow_control").main()
    assert done == ["guide v3 indexed", "a1 packed", "a2 packed", "b1 packed", "cancelled"]
    assert capsys.readouterr().out == (
        "debounced starts: 1 run\n"
        "guide v3 indexed\na1 packed\na2 packed\nb1 packed\ncancelled\n"
        "most at once per customer: {'ann': 1, 'bob': 1}\n"
    )


async def test_otel_spans(capsys: pytest.CaptureFixture[str]) -> None:
    lines = await load("otel_spans").main()
    assert lines == [
        "run agent:support",
        "  step support/infer",
        "    chat scripted (input tokens: 120)",
        "  step support/approve/refund",
        "  run agent:support",
        "    step support/tool/refund",
        "    step support/infer#1",
        "      chat scripted (input tokens: 120)",
    ]
    assert capsys.readouterr().out.endswith("8 spans, one trace stored on the run: True\n")
