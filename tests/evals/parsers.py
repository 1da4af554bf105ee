"""Two versions of a provider's response parser, for the "parser fix on replay" test."""

from __future__ import annotations

from agentkit.models import Message, ModelResponse, RawExchange


def _response(text: str) -> ModelResponse:
    return ModelResponse(
        message=Message.assistant(text),
        finish_reason="stop",
        usage={"input_tokens": 0, "output_tokens": 0},  # type: ignore[arg-type]  # validated
        model="echo",
        provider="fixture-echo",
    )


def parse_v1(raw: RawExchange) -> ModelResponse:
    """The buggy parser: reads the first of the reply's chunks only."""
    assert raw.response_body is not None
    return _response(raw.response_body["chunks"][0])


def parse_v2(raw: RawExchange) -> ModelResponse:
    """The fix: joins every chunk."""
    assert raw.response_body is not None
    return _response("".join(raw.response_body["chunks"]))
