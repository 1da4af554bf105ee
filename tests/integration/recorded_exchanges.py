"""Real llama.cpp exchanges kept under ``recorded/``: what each request is, and how to redo it.

Each recording is the exact body agentkit sends (or, for the malformed history,
the body it used to send) and the server's answer, status and JSON, or the
events of a stream. Provider tests elsewhere use them as fixtures;
``test_recorded.py`` checks that the live server still answers the same way.

Re-record (after an ``xllamacpp`` upgrade or a template change)::

    .venv/bin/python -m tests.integration.recorded_exchanges
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx

from agentkit.models import Message, ModelRequest, OpenAIModel
from tests.integration.harness import (
    LARGE_CONTEXT,
    MODEL_ALIAS,
    RECORDED,
    SERVER_DEFAULTS,
    SMALL_CONTEXT,
    WEATHER_TOOL,
    llama_server,
    model_file,
    scratch_dir,
    weather_conversation,
)

CHAT_PATH = "/v1/chat/completions"


def wire_body(request: ModelRequest, *, stream: bool) -> dict[str, Any]:
    """The body `OpenAIModel` sends for ``request`` to the suite's server."""
    model = OpenAIModel(MODEL_ALIAS, base_url="http://127.0.0.1:1/v1", **SERVER_DEFAULTS)
    return model.build_body(request, stream=stream)


def long_request() -> ModelRequest:
    """A prompt of ~400 tokens: more than the small server's 256, well within 2048."""
    return ModelRequest(
        messages=[Message.user("Count the words: " + " ".join(["word"] * 400))],
        temperature=0,
        max_tokens=4,
    )


def _bad_arguments_body() -> dict[str, Any]:
    """A history whose past tool call has the unparsable arguments a model wrote,
    sent verbatim (as agentkit did before it kept them out of the wire)."""
    conversation = wire_body(
        ModelRequest(
            messages=weather_conversation(), tools=[WEATHER_TOOL], temperature=0, max_tokens=16
        ),
        stream=False,
    )
    conversation["messages"] += [
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_cut",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Par'},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_cut",
            "content": "Error: the arguments for get_weather are not a JSON object.",
        },
    ]
    return conversation


def _tool_request(max_tokens: int) -> ModelRequest:
    return ModelRequest(
        messages=weather_conversation(),
        tools=[WEATHER_TOOL],
        tool_choice="required",
        temperature=0,
        max_tokens=max_tokens,
    )


@dataclass(frozen=True)
class Recording:
    """One recorded exchange.

    Attributes:
        name: File name under ``recorded/`` (without ``.json``).
        context: Which server answers it (its window, in tokens).
        body: The request body.
        what: One line on what it shows.
    """

    name: str
    context: int
    body: dict[str, Any]
    what: str

    @property
    def path(self) -> Path:
        return RECORDED / f"{self.name}.json"

    def load(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        return data


RECORDINGS = (
    Recording(
        "context_overflow",
        SMALL_CONTEXT,
        wire_body(long_request(), stream=False),
        "HTTP 400 exceed_context_size_error: the prompt does not fit n_ctx",
    ),
    Recording(
        "context_overflow_streamed",
        SMALL_CONTEXT,
        wire_body(long_request(), stream=True),
        "the same overflow on a streamed request: a 400 JSON body, no events",
    ),
    Recording(
        "bad_tool_arguments",
        LARGE_CONTEXT,
        _bad_arguments_body(),
        "HTTP 500 to any request whose history has tool-call arguments that are not JSON",
    ),
    Recording(
        "tool_call_cut_off",
        LARGE_CONTEXT,
        wire_body(_tool_request(14), stream=False),
        'finish_reason "length" with a tool call whose arguments were cut to "{"',
    ),
    Recording(
        "tool_call",
        LARGE_CONTEXT,
        wire_body(_tool_request(48), stream=False),
        'a forced tool call, finish_reason "tool_calls"',
    ),
    Recording(
        "tool_call_streamed",
        LARGE_CONTEXT,
        wire_body(_tool_request(48), stream=True),
        "the same tool call streamed: the chat.completion.chunk events, usage last",
    ),
)


def send(base_url: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body``; the status and the JSON body, or the events of a stream."""
    with httpx.Client(base_url=base_url, timeout=300) as client:
        response = client.post(CHAT_PATH, json=body)
        answer: dict[str, Any] = {"status": response.status_code}
        content_type = response.headers.get("content-type", "")
        if content_type.startswith("text/event-stream"):
            answer["events"] = [
                json.loads(line.removeprefix("data: "))
                for line in response.text.splitlines()
                if line.startswith("data: ") and line != "data: [DONE]"
            ]
        else:
            answer["body"] = response.json()
        return answer


def _record(directory: Path) -> None:
    model = model_file(directory)
    RECORDED.mkdir(exist_ok=True)
    contexts = sorted({recording.context for recording in RECORDINGS})
    for context in contexts:
        with llama_server(model, context=context, log=directory / f"server-{context}.log") as url:
            for recording in RECORDINGS:
                if recording.context != context:
                    continue
                data: dict[str, Any] = {
                    "what": recording.what,
                    "recorded_with": {
                        "xllamacpp": version("xllamacpp"),
                        "model": model.name,
                        "template": "tests/integration/gemma_tools.jinja",
                        "n_ctx": context,
                    },
                    "request": {"path": CHAT_PATH, "body": recording.body},
                    "response": send(url, recording.body),
                }
                text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
                recording.path.write_text(text, encoding="utf-8")
                print(f"{recording.path.name}: HTTP {data['response']['status']}")


if __name__ == "__main__":
    _record(Path(sys.argv[1]) if len(sys.argv) > 1 else scratch_dir())
