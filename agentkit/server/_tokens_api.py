"""``/api/tokens`` and ``/api/events``: answer the humans' part and wake waiting runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from agentkit.server._bodies import CompleteToken, RejectToken, SendEvent, TokenRef
from agentkit.server._state import ServerState, require_key, server_state
from agentkit.server._views import token_view
from agentkit.store import TokenStatus

__all__ = ["tokens_router"]

tokens_router = APIRouter(prefix="/api", tags=["tokens and events"])
State = Annotated[ServerState, Depends(server_state)]


@tokens_router.get("/tokens", dependencies=[Depends(require_key)])
def list_tokens(
    state: State,
    status: TokenStatus | None = "pending",
    run_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Tokens, newest first (their values complete them: the API key is needed)."""
    tokens = state.kit.list_tokens(status=status, run_id=run_id, limit=limit)
    return {"tokens": [token_view(token) for token in tokens]}


# Completing a token needs no API key: whoever holds the token may answer it.
@tokens_router.post("/tokens/complete")
def complete_token(body: CompleteToken, state: State) -> dict[str, Any]:
    """Complete a token with a payload; its run resumes."""
    return token_view(state.kit.complete_token(body.token, body.data))


@tokens_router.post("/tokens/approve")
def approve_token(body: TokenRef, state: State) -> dict[str, Any]:
    """Approve a pending tool call (``{"approved": true}``)."""
    return token_view(state.kit.complete_token(body.token, {"approved": True}))


@tokens_router.post("/tokens/reject")
def reject_token(body: RejectToken, state: State) -> dict[str, Any]:
    """Reject a pending tool call; the reason is what the model is told."""
    decision = {"approved": False, "reason": body.reason}
    return token_view(state.kit.complete_token(body.token, decision))


@tokens_router.post("/events", dependencies=[Depends(require_key)])
async def send_event(body: SendEvent, state: State) -> dict[str, Any]:
    """Deliver an event to every open ``wait_for_event`` that matches it."""
    woken = await state.kit.send_event(body.name, body.data)
    return {"woken": woken}
