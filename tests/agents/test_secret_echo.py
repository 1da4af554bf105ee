"""A provider that echoes the API key back leaves no copy of it in the database."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx

from agentkit import Agent, AgentKit, ManualClock, RunFailedError
from agentkit.models import OpenAIModel
from tests.models.cassettes import load_synthetic

KEY = "sk-proj-echoed-by-the-gateway-4f9a0c27e1"


def _database_bytes(folder: Path) -> dict[str, bytes]:
    """The SQLite file and its -wal/-shm companions, by name."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


async def test_an_echoed_api_key_is_in_no_row_of_the_database(tmp_path: Path) -> None:
    payload = load_synthetic("openai__api_key_echoed_401.synthetic.json")
    body = json.loads(json.dumps(payload["body"]).replace("<API_KEY>", KEY))
    kit = AgentKit(f"sqlite:///{tmp_path}/agentkit.db", clock=ManualClock())
    agent = Agent("echoed", "Answer.", OpenAIModel("gpt-4o", api_key=KEY))
    try:
        with respx.mock(base_url="https://api.openai.com/v1") as router:
            route = router.post("/chat/completions").mock(
                return_value=httpx.Response(401, json=body, headers=payload["headers"])
            )
            with pytest.raises(RunFailedError):
                await kit.run_agent(agent, "hi")
        assert route.calls[0].request.headers["authorization"] == f"Bearer {KEY}"
        run = kit.list_runs()[0]
        [completion] = kit.completions(run.id)
        [step] = kit.journal(run.id)
        # The failure was stored (so the test looks where the key would be) ...
        assert completion.status_code == 401
        assert "Authorization: Bearer [REDACTED]" in (completion.response or "")
        assert "AuthenticationFailed" in (step.error or "")
        assert "[REDACTED]" in (run.error or "")
        files = _database_bytes(tmp_path)
    finally:
        kit.close()
    files_after_close = _database_bytes(tmp_path)

    # ... and no copy of the key is anywhere in the files, open or closed.
    assert "agentkit.db" in files
    for snapshot in (files, files_after_close):
        for name, content in snapshot.items():
            assert content.count(KEY.encode()) == 0, name
