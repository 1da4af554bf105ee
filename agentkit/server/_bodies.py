"""Request bodies of the HTTP API: validated, unknown fields refused (a clear 422)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CompleteToken", "ForkRun", "RejectToken", "SendEvent", "StartRun", "TokenRef"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartRun(_Body):
    """Start a run of a registered function with its keyword arguments."""

    function: str = Field(min_length=1, description="The registered function's id.")
    input: dict[str, Any] = Field(default_factory=dict, description="Its keyword arguments.")


class ForkRun(_Body):
    """Fork a run from a step, optionally with edited step results."""

    from_step: str = Field(min_length=1, description="The first step to run again.")
    results: dict[str, Any] = Field(
        default_factory=dict, description="Step results to use instead of the recorded ones."
    )


class TokenRef(_Body):
    """A token, in the body so that it never appears in a URL or an access log."""

    token: str = Field(min_length=1)


class CompleteToken(TokenRef):
    """Complete a token with a payload (checked against the token's schema)."""

    data: Any = None


class RejectToken(TokenRef):
    """Reject an approval request, with the reason the model is told."""

    reason: str = ""


class SendEvent(_Body):
    """An event for the runs waiting on it."""

    name: str = Field(min_length=1)
    data: Any = None
