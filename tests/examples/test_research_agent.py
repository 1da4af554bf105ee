"""examples/research_agent.py: the network's decisions, the sources remembered, publishing gated."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import respx

from agentkit import AgentKit, ManualClock, start_network
from agentkit.memory import InMemoryMemoryStore
from agentkit.models import HashEmbedder, ToolResultPart
from agentkit.store import InMemoryStore
from agentkit.tools import FakeSearch, http_tools
from tests.examples.test_agent_examples import load

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "research_agent.py"
SOURCES = [
    "source: https://example.org/approval (Approval gates)",
    "source: https://example.org/journal (Journaled steps)",
]


async def test_research_agent_runs_offline(capsys: pytest.CaptureFixture[str]) -> None:
    example = load("research_agent")
    assert await example.main() == "The note is published."
    assert capsys.readouterr().out.splitlines() == [
        "waiting: publish({})",
        "route #0: planner",
        "route #1: searcher_1, searcher_2",
        "route #2: writer",
        "route #3: done",
        *(f"remembered {s}" for s in SOURCES),
        "published: True",
        example.NOTE,
        "The note is published.",
        "18 model calls, 396 tokens",
    ]
    assert sorted(example.SEARCH.queries) == ["durable steps journal", "human approval agents"]


@pytest.fixture
def web() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=True) as router:
        yield router


async def public(host: str) -> list[str]:
    return {"example.org": ["93.184.215.14"]}.get(host, [])


async def test_the_real_fetch_tool_over_respx_and_approval_first(web: respx.MockRouter) -> None:
    example = load("research_agent")
    for path, text in (("journal", "Steps are journaled."), ("approval", "Humans approve.")):
        web.get(f"https://93.184.215.14/{path}").respond(200, text=text)
    kit = AgentKit(store=InMemoryStore(), clock=ManualClock())
    memories = InMemoryMemoryStore(HashEmbedder())
    search = FakeSearch(example.find)
    network = example.build_network(http_tools(resolve=public), search, memories)
    handle = await start_network(kit, network, example.QUESTION)
    await kit.worker(stop_when_idle=True)

    # Publishing waits: the writer asked to publish and nothing ran past the gate.
    assert handle.status() == "waiting"
    [token] = handle.tokens()
    assert token.description == "publish({})"
    writer = network.members["writer"]
    journal = [(step.key, step.status) for step in kit.journal(handle.id)]
    assert journal[-1] == ("writer/approve/publish", "waiting")
    assert not any(key == "writer/tool/publish" for key, _ in journal)
    assert len(writer.model.requests) == 3  # recall, write_draft, publish; no reply yet
    # The writer recalled both sources the searchers remembered in parallel.
    [recalled] = writer.model.requests[1].messages[-1].parts
    assert isinstance(recalled, ToolResultPart)
    assert recalled.name == "recall"
    assert sorted(line.removeprefix("- ") for line in recalled.content.splitlines()) == SOURCES
    # Each searcher read its page through the real fetch tool (pinned, Host kept).
    assert sorted(c.request.headers["host"] for c in web.calls) == ["example.org"] * 2

    kit.complete_token(token.token, {"approved": True})
    await kit.worker(stop_when_idle=True)
    result = await handle.result()
    assert result.output == "The note is published."
    assert [d.agents for d in result.decisions] == [
        ["planner"],
        ["searcher_1", "searcher_2"],
        ["writer"],
        [],
    ]
    state = result.state
    assert isinstance(state, example.Research)
    assert state.questions == ["durable steps journal", "human approval agents"]
    assert state.published is True
    assert len(writer.model.requests) == 4
    keys = [step.key for step in kit.journal(handle.id)]
    assert keys.index("writer/approve/publish") < keys.index("writer/tool/publish")
    remembered = await memories.search("sources", "sources", 10)
    assert sorted(m.text for m in remembered) == SOURCES
    kit.close()


def test_the_example_runs_offline_as_a_script() -> None:
    """``python examples/research_agent.py`` in a fresh process, from another folder."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        cwd=EXAMPLE.parents[1] / "tests",
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(EXAMPLE.parents[1])},
    )
    assert done.stdout.splitlines()[-2:] == ["The note is published.", "18 model calls, 396 tokens"]
