"""A changed model request, shown in the wire format the recording holds.

A recording stores the provider's raw request body, not agentkit's canonical
`ModelRequest`. To diff like with like, the request the code makes now is
rendered into the recorded provider's format (OpenAI chat, Anthropic
Messages; a scripted model stores the canonical request itself), keeping the
recorded body's model-level settings so that only what the code changed shows.
"""

from __future__ import annotations

from typing import Any

from agentkit.evals._diff import Change, json_diff
from agentkit.models import ModelRequest
from agentkit.models._anthropic_wire import build_anthropic_body
from agentkit.models._openai_wire import build_openai_body

__all__ = ["request_changes"]

# Body fields a request decides; everything else came from the model's settings.
_REQUEST_FIELDS = frozenset(
    {
        "messages",
        "system",
        "tools",
        "tool_choice",
        "response_format",
        "temperature",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "stop_sequences",
        "stream",
        "stream_options",
        "output_format",
    }
)


def _settings(recorded: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in recorded.items() if k not in _REQUEST_FIELDS}


def render_request(provider: str, recorded: dict[str, Any], request: ModelRequest) -> Any:
    """``request`` as ``provider`` would have sent it, with the recorded model settings."""
    model = str(recorded.get("model", ""))
    stream = bool(recorded.get("stream", False))
    if provider in ("openai", "litellm"):
        field = "max_tokens" if "max_tokens" in recorded else "max_completion_tokens"
        return build_openai_body(
            model, request, stream=stream, defaults=_settings(recorded), max_tokens_field=field
        )
    if provider == "anthropic":
        body = build_anthropic_body(model, request, stream=stream, defaults=_settings(recorded))
        if request.max_tokens is None and "max_tokens" in recorded:
            body["max_tokens"] = recorded["max_tokens"]  # the model's default, not the code's
        return body
    return request.model_dump(mode="json")


def request_changes(provider: str, recorded: dict[str, Any], now: Any) -> list[Change]:
    """What changed between a recorded request body and the canonical request made now.

    ``now`` is the canonical request as JSON (what the step's fingerprint is
    made of). When it cannot be read as a `ModelRequest`, it is compared as is.
    """
    try:
        request = ModelRequest.model_validate(now)
    except ValueError:
        return json_diff(recorded, now)
    return json_diff(recorded, render_request(provider, recorded, request))
