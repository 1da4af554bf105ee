"""A model call as a durable step, failing over from a rate-limited model to a backup.

    python examples/model_failover.py

Both models are `ScriptedModel`s, so no API key is needed. With real ones:
``FallbackModel(OpenAIModel("gpt-4o"), AnthropicModel("claude-sonnet-4-5"))``.
"""

from __future__ import annotations

import asyncio

from agentkit import AgentKit, Context, ManualClock
from agentkit.models import (
    FallbackModel,
    Message,
    ModelRequest,
    RateLimited,
    RetryPolicy,
    ScriptedModel,
)
from agentkit.store import InMemoryStore

kit = AgentKit(store=InMemoryStore(), clock=ManualClock())
too_many = RateLimited("429 from primary", provider="scripted", model="primary", status_code=429)
primary = ScriptedModel(
    [too_many, too_many],
    model="primary",
    retry=RetryPolicy(max_attempts=2, initial_backoff=0.5, jitter=0),
)
backup = ScriptedModel(["Durable steps make agents restartable."], model="backup")


@kit.function(id="summarize")
async def summarize(ctx: Context, topic: str) -> str:
    request = ModelRequest(messages=[Message.user(f"One sentence on {topic}.")])
    reply = await ctx.step.infer("summarize", FallbackModel(primary, backup), request)
    return reply.text


async def main() -> None:
    print(await kit.run(summarize, topic="durable execution"))
    run = kit.list_runs()[0]
    for attempt in kit.completions(run.id):
        outcome = "ok" if attempt.succeeded else "failed"
        print(f"attempt {attempt.attempt}: {attempt.model} {outcome}")


if __name__ == "__main__":
    asyncio.run(main())
