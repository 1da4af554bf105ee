"""Model token deltas from an in-process worker to the run's SSE subscribers.

The agent layer hands every streamed piece of a model call to the callback
set with `agentkit.agents.use_stream` (see ``agents/_stream.py``), tagged with
the agent and step key but not the run: the run is the one whose execution
makes the call, which the engine names (`agentkit.durable.current_run_id`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from agentkit.agents import StreamDelta
from agentkit.durable import current_run_id

if TYPE_CHECKING:
    from agentkit.server._feed import Feed

__all__ = ["delta_forwarder"]


def delta_payload(delta: Any) -> dict[str, Any]:
    """A stream event as JSON: its fields, and its type as ``type``."""
    fields = delta.model_dump(mode="json") if isinstance(delta, BaseModel) else {"value": delta}
    return {"type": type(delta).__name__, **fields}


def delta_forwarder(feed: Feed) -> Any:
    """The stream callback (for ``use_stream``) that sends each delta to ``feed``."""

    def forward(piece: StreamDelta) -> None:
        run_id = current_run_id()
        if run_id is not None:
            payload = {"agent": piece.agent, **delta_payload(piece.delta)}
            feed.publish_delta(run_id, piece.step_key, payload)

    return forward
