"""A chat that remembers: one thread over three runs, a token window, a summary, a fact.

    python examples/chat_with_memory.py

Each ``kit.run_agent(..., thread=...)`` loads the thread and appends its turn
(both steps). `Summarize` folds older turns into a summary once the
conversation passes 120 tokens, and keeps it on the thread for the next run;
`TokenWindow` then guarantees the request fits. ``remember`` and ``recall``
keep facts in a `MemoryStore` across runs and threads. The models are
`ScriptedModel`s and the embedder is the offline `HashEmbedder`, so no API
key is needed; with real ones: ``OpenAIModel("gpt-4o")``,
``OpenAIEmbedder("text-embedding-3-small")``.
"""

from __future__ import annotations

import asyncio

from agentkit import Agent, AgentKit, ManualClock
from agentkit.memory import InMemoryMemoryStore, Summarize, TokenWindow, memory_tools
from agentkit.models import HashEmbedder, ModelRequest, ModelResponse, ScriptedModel
from agentkit.store import InMemoryStore

kit = AgentKit(store=InMemoryStore(), clock=ManualClock())
memories = InMemoryMemoryStore(HashEmbedder())

model = ScriptedModel(
    [
        ScriptedModel.tool_call("remember", {"text": "Ada loves green tea."}),
        ScriptedModel.text("Nice to meet you, Ada."),
        ScriptedModel.text(
            "Durable agents journal every model call and tool call as a step, so a "
            "crashed run resumes where it stopped without paying for a call twice."
        ),
        ScriptedModel.tool_call("recall", {"query": "what does Ada love to drink"}),
        ScriptedModel.text("You love green tea."),
    ],
    model="gpt-4o",
)


def summarize(request: ModelRequest) -> ModelResponse:
    return ScriptedModel.text("Ada introduced herself; the assistant greeted her.")


helper = Agent(
    "helper",
    "You are a helpful assistant with a memory.",
    model,
    memory_tools(memories, namespace="ada"),
    history=[
        Summarize(ScriptedModel(summarize), trigger_tokens=120, keep_last=2),
        TokenWindow(max_tokens=400, reserve_output=100),
    ],
)


async def main() -> str:
    thread = kit.threads.create(metadata={"user": "ada"})
    questions = [
        "Hi, I'm Ada and I love green tea.",
        "Tell me about durable agents.",
        "What do I like to drink?",
    ]
    for question in questions:
        result = await kit.run_agent(helper, question, thread=thread.id)
        print(f"> {question}\n{result.output}")
    stored = kit.threads.get(thread.id)
    print(f"thread: {stored.message_count} messages, summary of the first {stored.summary_through}")
    print(f"the last request sent {len(model.requests[-1].messages)} messages")
    print(f"recalled: {result.tool_results[0].content}")
    return str(result.output)


if __name__ == "__main__":
    asyncio.run(main())
