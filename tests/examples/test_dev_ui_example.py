"""examples/dev_ui.py: the run, the approval and the model calls, through the HTTP API."""

from __future__ import annotations

import pytest

from tests.examples.test_examples import load


async def test_dev_ui_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert await load("dev_ui").main() == "completed"
    assert capsys.readouterr().out == (
        "waiting: support/approve/refund\n"
        "completed: The refund of 40 on A-17 is done.\n"
        "2 model calls; last answered 'scripted'\n"
    )
