"""``/api/stream``: Server-Sent Events for the run list and for one run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from agentkit.server._feed import FeedEvent
from agentkit.server._state import ServerState, server_state

__all__ = ["stream_router"]

stream_router = APIRouter(prefix="/api/stream", tags=["streams"])
State = Annotated[ServerState, Depends(server_state)]
_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def _frames(batches: AsyncIterator[list[FeedEvent]]) -> AsyncIterator[str]:
    yield ": agentkit\n\n"  # opens the stream at once, before the first change
    async for batch in batches:
        yield "".join(event.frame for event in batch)


@stream_router.get("/runs", response_class=StreamingResponse)
def stream_runs(state: State) -> StreamingResponse:
    """Every run that starts or changes status (``event: run``), until the client leaves."""
    return StreamingResponse(
        _frames(state.feed.runs_batches()), media_type="text/event-stream", headers=_HEADERS
    )


@stream_router.get("/runs/{run_id}", response_class=StreamingResponse)
def stream_run(run_id: str, state: State) -> StreamingResponse:
    """One run: ``snapshot``, then ``step`` as journaled, ``delta`` while a model call
    streams (from a worker in this process), ``status``; ``end`` when the run ends."""
    state.kit.get_run(run_id)  # 404 before the stream starts
    return StreamingResponse(
        _frames(state.feed.run_batches(run_id)), media_type="text/event-stream", headers=_HEADERS
    )
