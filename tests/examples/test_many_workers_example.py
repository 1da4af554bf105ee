"""``examples/many_workers.py``: two worker processes, tokens answered from outside."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, make_store
from tests.examples.test_examples import load


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_many_workers(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if kind == "postgres":
        make_store("postgres", tmp_path).close()  # empty (skips without a server)
        url = POSTGRES_URL
    else:
        url = f"sqlite:///{tmp_path}/runs.db"
    outputs = await load("many_workers").main(url)
    assert outputs == [f"a note on topic {i}: approved" for i in range(40)]
    assert capsys.readouterr().out == (
        "40 runs completed by 2 worker processes\nfirst: a note on topic 0: approved\n"
    )
