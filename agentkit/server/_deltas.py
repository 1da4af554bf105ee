"""Model token deltas from an in-process worker to the run's SSE subscribers.

The agent layer hands every streamed piece of a model call to the callback
set with `agentkit.agents.use_stream` (see ``agents/_stream.py``), tagged with
the agent and step key but not the run: the run is the execution whose task
makes the call, named ``run-<id>`` by the engine (branches of a gather are
found through the kit's executors).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from agentkit.agents._stream import StreamDelta
from agentkit.durable import AgentKit

if TYPE_CHECKING:
    from agentkit.server._feed import Feed

__all__ = ["delta_forwarder", "running_run_id"]


def running_run_id(kit: AgentKit) -> str | None:
    """The id of the run whose execution is running in the current task, if any."""
    task = asyncio.current_task()
    if task is not None and task.get_name().startswith("run-"):
        return task.get_name()[len("run-") :]
    # A branch of a gather: find the execution that adopted this task.
    from agentkit.durable._branches import _current  # the engine's own record of it

    branches = _current.get()
    if branches is None:
        return None
    for run_id, executor in list(kit._executors.items()):
        if getattr(getattr(executor, "execution", None), "branches", None) is branches:
            return run_id
    return None


def delta_payload(delta: Any) -> dict[str, Any]:
    """A stream event as JSON: its fields, and its type as ``type``."""
    fields = delta.model_dump(mode="json") if isinstance(delta, BaseModel) else {"value": delta}
    return {"type": type(delta).__name__, **fields}


def delta_forwarder(kit: AgentKit, feed: Feed) -> Any:
    """The stream callback (for ``use_stream``) that sends each delta to ``feed``."""

    def forward(piece: StreamDelta) -> None:
        run_id = running_run_id(kit)
        if run_id is not None:
            payload = {"agent": piece.agent, **delta_payload(piece.delta)}
            feed.publish_delta(run_id, piece.step_key, payload)

    return forward
