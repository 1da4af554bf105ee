"""Structured output: the answer is validated into a pydantic model.

    python examples/structured_output.py

The first scripted reply does not fit the schema; the agent tells the model
what is wrong and the second reply is valid.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

from agentkit import Agent, AgentKit, ManualClock
from agentkit.models import ScriptedModel
from agentkit.store import InMemoryStore

kit = AgentKit(store=InMemoryStore(), clock=ManualClock())


class Triage(BaseModel):
    severity: int
    summary: str


model = ScriptedModel(
    [
        '{"severity": "high", "summary": "login fails"}',
        '{"severity": 2, "summary": "login fails for SSO users"}',
    ]
)
triager = Agent("triage", "Triage bug reports.", model, output_type=Triage)


async def main() -> Triage:
    result = await kit.run_agent(triager, "Users cannot log in with SSO since 9:00.")
    print(model.requests[1].messages[-1].text)
    print(result.output)
    return result.output


if __name__ == "__main__":
    asyncio.run(main())
