"""The HTTP API and dev UI over a support agent whose refunds a human approves.

Browse it (worker, API and UI on http://127.0.0.1:8420, the URL is printed):

    agentkit dev --app examples.dev_ui:kit

Start a run from the UI's run list (function ``agent:support``, input
``{"input": "Refund order A-17"}``), watch it wait, press Approve, and open
the model calls. ``python examples/dev_ui.py`` does the same through the HTTP
API in-process, with httpx, and prints what it saw.
"""

from __future__ import annotations

import asyncio

import httpx

from agentkit import Agent, AgentKit, agent_function, tool
from agentkit.models import ModelRequest, ModelResponse, ScriptedModel, Usage
from agentkit.server import create_app

# AGENTKIT_DATABASE_URL (agentkit dev --database-url) or .agentkit/agentkit.db.
kit = AgentKit()


@tool(needs_approval=True)
def refund(order_id: str, amount: int) -> str:
    """Refund an order (a human approves first)."""
    return f"refunded {amount} on {order_id}"


def reply(request: ModelRequest) -> ModelResponse:
    """The scripted model: ask for the refund, then answer (by the turn of the talk)."""
    turn = sum(1 for message in request.messages if message.role == "assistant")
    usage = Usage(input_tokens=120 + 40 * turn, output_tokens=18)
    if turn == 0:
        return ScriptedModel.tool_call("refund", {"order_id": "A-17", "amount": 40}, usage=usage)
    return ScriptedModel.text("The refund of 40 on A-17 is done.", usage=usage)


support = Agent("support", "You help customers.", ScriptedModel(reply), [refund])
support_run = agent_function(kit, support)


async def main() -> str:
    key = "example-api-key-0123456789"
    app = create_app(kit, api_key=key)
    auth = {"Authorization": f"Bearer {key}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as api:
        started = await api.post(
            "/api/runs",
            json={"function": "agent:support", "input": {"input": "Refund order A-17"}},
            headers=auth,
        )
        run_id = started.json()["id"]
        await kit.worker(stop_when_idle=True)  # until the approval wait
        run = (await api.get(f"/api/runs/{run_id}", headers=auth)).json()
        [token] = [t for t in run["tokens"] if t["status"] == "pending"]
        print(f"{run['run']['status']}: {token['step_key']}")
        await api.post("/api/tokens/approve", json={"token": token["token"]})
        await kit.worker(stop_when_idle=True)
        run = (await api.get(f"/api/runs/{run_id}")).json()
        call = run["completions"][-1]
        raw = (await api.get(f"/api/runs/{run_id}/completions/{call['id']}")).json()
        print(f"{run['run']['status']}: {run['run']['output']['output']}")
        print(f"{len(run['completions'])} model calls; last answered {raw['response']['model']!r}")
        return str(run["run"]["status"])


if __name__ == "__main__":
    asyncio.run(main())
