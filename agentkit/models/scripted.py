"""``ScriptedModel``: a deterministic in-package fake for tests and examples."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from agentkit.models._base import Model
from agentkit.models._errors import ModelError, ScriptExhausted
from agentkit.models._exchange import EventCallback, RawExchange, emit_event
from agentkit.models._types import (
    Message,
    ModelRequest,
    ModelResponse,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallPart,
    Usage,
)

if TYPE_CHECKING:
    from agentkit.models._retry import RetryPolicy
    from agentkit.models.ratelimit import Limiter

__all__ = ["ScriptedModel", "parse_scripted_exchange"]

Responder = Callable[[ModelRequest], ModelResponse]
ScriptItem = ModelResponse | str | Responder | ModelError
"""A scripted turn: a response, plain text, a function of the request, or an error to raise."""

_CHUNK_CHARACTERS = 8  # streamed text arrives in pieces of this size


def _call_id(name: str, arguments: dict[str, Any]) -> str:
    digest = hashlib.sha256(f"{name}:{json.dumps(arguments, sort_keys=True)}".encode())
    return f"call_{digest.hexdigest()[:16]}"


class ScriptedModel(Model):
    """Answers from a script instead of a provider.

    Each call takes the next item of ``responses`` (a ``ModelResponse``, a
    string for a text reply, a function of the request, or a ``ModelError`` to
    raise), or calls ``responses`` itself when it is one function. Every
    request is kept in :attr:`requests`. Its exchanges use provider
    ``"scripted"`` with the response JSON as body, so ``parse_raw`` re-reads
    them on replay like any provider's.

    Args:
        responses: The script.
        model: The name it reports.
        rate_limit: Optional limiter, as for real models.
        retry: Retry policy for scripted errors.
        context_window: Prompt capacity it claims, for failover tests.
    """

    provider = "scripted"

    def __init__(
        self,
        responses: Sequence[ScriptItem] | Responder,
        *,
        model: str = "scripted",
        rate_limit: Limiter | None = None,
        retry: RetryPolicy | None = None,
        context_window: int | None = None,
    ) -> None:
        super().__init__(model, rate_limit=rate_limit, retry=retry, context_window=context_window)
        self._script: list[ScriptItem] | None = None if callable(responses) else list(responses)
        self._responder: Responder | None = responses if callable(responses) else None
        self.requests: list[ModelRequest] = []

    @staticmethod
    def text(text: str, *, usage: Usage | None = None, model: str = "scripted") -> ModelResponse:
        """A final text reply."""
        return ModelResponse(
            message=Message.assistant(text),
            finish_reason="stop",
            usage=usage or Usage(),
            model=model,
            provider="scripted",
        )

    @staticmethod
    def tool_call(
        name: str,
        args: dict[str, Any],
        id: str | None = None,
        *,
        usage: Usage | None = None,
        model: str = "scripted",
    ) -> ModelResponse:
        """A reply asking for one tool call; the id is derived from name and args unless given."""
        part = ToolCallPart.from_arguments(id or _call_id(name, args), name, args)
        return ModelResponse(
            message=Message(role="assistant", parts=[part]),
            finish_reason="tool_calls",
            usage=usage or Usage(),
            model=model,
            provider="scripted",
        )

    def _next_response(self, request: ModelRequest) -> ModelResponse:
        count = len(self.requests)
        if self._responder is not None:
            return self._responder(request)
        assert self._script is not None
        if count > len(self._script):
            raise ScriptExhausted(
                f"ScriptedModel {self.model_name!r} received request #{count} but its script "
                f"has only {len(self._script)} response(s)",
                provider=self.provider,
                model=self.model_name,
            )
        item = self._script[count - 1]
        if isinstance(item, ModelError):
            raise item
        if isinstance(item, str):
            return self.text(item, model=self.model_name)
        if isinstance(item, ModelResponse):
            return item
        return item(request)

    async def call(
        self, request: ModelRequest, *, on_event: EventCallback | None = None
    ) -> RawExchange:
        """Record ``request`` and answer with the next scripted response."""
        self.requests.append(request)
        response = self._next_response(request)
        if on_event is not None:
            await _stream(response, on_event)
        return RawExchange(
            provider=self.provider,
            model=self.model_name,
            request_body=request.model_dump(mode="json"),
            response_body=response.model_dump(mode="json"),
            status_code=200,
        )


async def _stream(response: ModelResponse, on_event: EventCallback) -> None:
    calls = 0
    for part in response.message.parts:
        if isinstance(part, TextPart):
            for start in range(0, len(part.text), _CHUNK_CHARACTERS):
                await emit_event(
                    on_event, TextDelta(text=part.text[start : start + _CHUNK_CHARACTERS])
                )
        elif isinstance(part, ToolCallPart):
            await emit_event(on_event, ToolCallDelta(index=calls, id=part.id, name=part.name))
            await emit_event(
                on_event, ToolCallDelta(index=calls, arguments_delta=part.raw_arguments)
            )
            calls += 1


def parse_scripted_exchange(raw: RawExchange) -> ModelResponse:
    """Re-validate the response a ScriptedModel stored."""
    if raw.response_body is None:
        raise ValueError(f"scripted exchange with {raw.model!r} has no response body")
    return ModelResponse.model_validate(raw.response_body)
