"""remember/recall as durable tools; embeddings stored and replayed like completions."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import respx
from openai.types import CreateEmbeddingResponse

from agentkit import Agent, AgentKit, Context, agent_function
from agentkit.memory import InMemoryMemoryStore, SQLMemoryStore, memory_tools
from agentkit.models import HashEmbedder, OpenAIEmbedder, ScriptedModel

KEY = "sk-test-embeddings-SECRET-42"


def reply(vector: list[float]) -> dict[str, object]:
    # No recorded embeddings payload exists in tests/fixtures: the reply is the
    # OpenAI SDK's own documented response type, dumped to JSON.
    return CreateEmbeddingResponse.model_validate(
        {
            "object": "list",
            "data": [{"object": "embedding", "index": 0, "embedding": vector}],
            "model": "text-embedding-3-small",
            "usage": {"prompt_tokens": 3, "total_tokens": 3},
        }
    ).model_dump(mode="json")


async def test_embedding_in_a_run_is_stored_and_replayed_without_a_request(
    tmp_path: Path,
) -> None:
    kit = AgentKit(f"sqlite:///{tmp_path}/kit.db")
    memories = SQLMemoryStore(kit.store, OpenAIEmbedder(api_key=KEY))

    @kit.function(id="learn")
    async def learn(ctx: Context) -> str:
        await memories.put("u", "color", "Ada likes green.", ctx=ctx)
        await ctx.step.wait_for_event("go")
        found = await memories.search("u", "colour?", 1, ctx=ctx)
        return found[0].text

    with respx.mock(base_url="https://api.openai.com/v1", assert_all_called=False) as router:
        route = router.post("/embeddings").mock(
            side_effect=[
                httpx.Response(200, json=reply([1.0, 0.0])),
                httpx.Response(200, json=reply([0.9, 0.1])),
            ]
        )
        handle = await kit.start(learn)
        await kit.worker(stop_when_idle=True, poll_interval=0.01)  # runs to the wait
        assert route.call_count == 1
        await kit.send_event("go")
        # The run executes again from the top: the put's embedding is replayed from
        # the stored completion, not requested again.
        assert await kit.drive(handle) == "Ada likes green."
        assert route.call_count == 2
    completions = kit.completions(handle.id)
    assert [(c.step_key, c.provider) for c in completions] == [
        ("memory/put/embed", "openai"),
        ("memory/search/embed", "openai"),
    ]
    assert json.loads(completions[0].request or "{}")["input"] == ["Ada likes green."]
    assert all(KEY not in (c.request or "") + (c.response or "") for c in completions)
    kit.close()


SCRIPT = [
    ScriptedModel.tool_call("remember", {"text": "Ada's favourite colour is green."}),
    ScriptedModel.text("Noted."),
    ScriptedModel.tool_call("recall", {"query": "favourite colour of Ada"}),
    ScriptedModel.text("Green."),
]


def agent_with_memory(memories: InMemoryMemoryStore | SQLMemoryStore, skip: int = 0) -> Agent:
    model = ScriptedModel(SCRIPT[skip:])
    return Agent("helper", "Use your memory.", model, memory_tools(memories, "ada"))


async def test_remember_then_recall_in_a_later_run(kit: AgentKit) -> None:
    memories = InMemoryMemoryStore(HashEmbedder())
    await memories.put("ada", "team", "Ada works on the compiler team.")
    await memories.put("bob", "color", "Bob's favourite colour is red.")
    agent = agent_with_memory(memories)
    first = await kit.run_agent(agent, "My favourite colour is green.")
    assert first.tool_results[0].content == "Remembered: Ada's favourite colour is green."
    second = await kit.run_agent(agent, "What is my favourite colour?")
    assert second.tool_results[0].content == (
        "- Ada's favourite colour is green.\n- Ada works on the compiler team."
    )
    keys = [s.key for s in kit.journal(kit.list_runs()[0].id)]
    assert keys == [
        "helper/infer",
        "helper/tool/recall/embed",
        "helper/tool/recall",
        "helper/infer#1",
    ]


async def test_remember_whose_write_was_not_journaled_is_stored_once(tmp_path: Path) -> None:
    """The crash window inside remember: written, not yet journaled."""
    url = f"sqlite:///{tmp_path}/kit.db"
    embedder = HashEmbedder()
    kit = AgentKit(url)
    memories = SQLMemoryStore(kit.store, embedder)
    agent = agent_with_memory(memories)
    result = await kit.run_agent(agent, "My favourite colour is green.")
    assert result.output == "Noted."
    run_id = kit.list_runs()[0].id
    kit.close()
    with sqlite3.connect(f"{tmp_path}/kit.db") as db:
        db.execute(
            "DELETE FROM agentkit_steps WHERE run_id = ? AND key IN "
            "('helper/tool/remember', 'helper/infer#1')",
            (run_id,),
        )
        db.execute(
            "UPDATE agentkit_runs SET status = 'queued', output = NULL, ended_at = NULL, "
            "lease_owner = NULL, lease_expires_at = NULL WHERE id = ?",
            (run_id,),
        )
    db.close()
    again = AgentKit(url)
    memories = SQLMemoryStore(again.store, embedder)
    # The first model call is replayed from the journal; the script starts after it.
    agent_function(again, agent_with_memory(memories, skip=1))
    handle = again.get_run(run_id)
    final = await again.drive(handle)
    assert final.output == "Noted."
    stored = again.store.list_memories("ada")
    assert [m.text for m in stored] == ["Ada's favourite colour is green."]
    completions = again.completions(run_id)
    # The embedding was paid once: the resumed run replayed it from the journal.
    assert [c.step_key for c in completions if c.provider == "hash"] == [
        "helper/tool/remember/embed"
    ]
    again.close()
