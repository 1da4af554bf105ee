"""What the routes share: the kit, its live feed and the API key, on ``app.state``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from agentkit.durable import AgentKit
from agentkit.server._auth import ApiKey
from agentkit.server._feed import Feed

__all__ = ["ServerState", "server_state"]


@dataclass
class ServerState:
    """The kit served, its feed, and the API key."""

    kit: AgentKit
    feed: Feed
    api_key: ApiKey


def server_state(request: Request) -> ServerState:
    """The state of the app serving ``request`` (a FastAPI dependency)."""
    state: ServerState = request.app.state.agentkit
    return state


def require_key(request: Request) -> None:
    """FastAPI dependency: 401 unless the request carries the API key."""
    server_state(request).api_key.require(request)
