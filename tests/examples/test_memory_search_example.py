"""examples/memory_search.py runs on sqlite-vec ([dev] installs it) and agrees with numpy."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "memory_search.py"


async def test_memory_search(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("example_memory_search", EXAMPLE)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = example
    spec.loader.exec_module(example)
    found = await example.main()
    assert [m.key for m in found] == ["tea", "coffee"]
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "backend: sqlite-vec"
    assert out[1].endswith(" tea: Ada loves green tea.")
    assert out[-1] == "numpy scan agrees: True"
