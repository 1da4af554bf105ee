"""ScriptedModel: the in-package fake."""

from __future__ import annotations

import pytest

from agentkit.models import (
    Message,
    ModelRequest,
    ModelResponse,
    ScriptedModel,
    ScriptExhausted,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    parse_raw,
)

REQUEST = ModelRequest(messages=[Message.user("hi")])


async def test_answers_in_order_and_records_requests() -> None:
    second = ModelRequest(messages=[Message.user("again")])

    def echo(request: ModelRequest) -> ModelResponse:
        return ScriptedModel.text(f"echo: {request.messages[-1].text}")

    model = ScriptedModel(["first", echo])

    assert (await model.request(REQUEST)).text == "first"
    assert (await model.request(second)).text == "echo: again"
    assert model.requests == [REQUEST, second]


async def test_a_function_answers_every_request() -> None:
    model = ScriptedModel(lambda request: ScriptedModel.text(str(len(request.messages))))

    for _ in range(3):
        assert (await model.request(REQUEST)).text == "1"
    assert len(model.requests) == 3


async def test_running_out_names_the_model_and_count() -> None:
    model = ScriptedModel(["only"], model="planner")
    await model.request(REQUEST)

    with pytest.raises(ScriptExhausted) as caught:
        await model.call(REQUEST)

    assert str(caught.value) == (
        "ScriptedModel 'planner' received request #2 but its script has only 1 response(s)"
    )
    assert caught.value.retryable is False


def test_tool_call_helper_ids_are_deterministic() -> None:
    first = ScriptedModel.tool_call("search", {"q": "x"})
    again = ScriptedModel.tool_call("search", {"q": "x"})
    named = ScriptedModel.tool_call("search", {"q": "x"}, id="call_1")

    assert first.tool_calls[0].id == again.tool_calls[0].id
    assert first.tool_calls[0].id.startswith("call_")
    assert named.tool_calls[0].id == "call_1"
    assert named.tool_calls[0].arguments == {"q": "x"}
    assert named.tool_calls[0].raw_arguments == '{"q":"x"}'
    assert named.finish_reason == "tool_calls"


async def test_exchange_replays_through_parse_raw() -> None:
    scripted = ScriptedModel.tool_call("search", {"q": "x"}, id="call_1")
    model = ScriptedModel([scripted])

    exchange = await model.call(REQUEST)

    assert exchange.provider == "scripted"
    assert exchange.request_body == REQUEST.model_dump(mode="json")
    assert parse_raw(exchange.model_validate_json(exchange.model_dump_json())) == scripted


async def test_streams_text_and_tool_call_deltas() -> None:
    reply = ModelResponse(
        message=Message(
            role="assistant",
            parts=[
                *Message.assistant("abcdefghij").parts,
                *ScriptedModel.tool_call("t", {"a": 1}, id="c1").message.parts,
            ],
        ),
        finish_reason="tool_calls",
        usage=ScriptedModel.text("").usage,
        model="scripted",
        provider="scripted",
    )
    events: list[StreamEvent] = []

    await ScriptedModel([reply]).call(REQUEST, on_event=events.append)

    assert events == [
        TextDelta(text="abcdefgh"),
        TextDelta(text="ij"),
        ToolCallDelta(index=0, id="c1", name="t"),
        ToolCallDelta(index=0, arguments_delta='{"a":1}'),
    ]
