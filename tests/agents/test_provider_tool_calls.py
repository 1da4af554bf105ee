"""Bad tool calls from real providers' replies (faked with respx) never break the conversation.

A fake llama.cpp server answers like the real one: it refuses any request whose
history holds tool call arguments that are not JSON (HTTP 500), which is what
turned one malformed call into a failed run.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import respx

from agentkit import Agent, AgentKit, tool
from agentkit.models import AnthropicModel, OpenAIModel
from tests.models.cassettes import load_synthetic
from tests.models.conftest import ANTHROPIC_KEY, OPENAI_KEY, _httpx2_transport

LLAMA_CPP = "http://127.0.0.1:8080/v1"
CUT_OFF = (
    "Error: your reply was cut off at its output limit (max_tokens=32) before this call to "
    "search was complete, so it was not run. Call it again with shorter arguments, or fewer "
    "calls in one reply."
)


def _searcher(model: OpenAIModel | AnthropicModel, ran: list[str]) -> Agent[str]:
    @tool
    def search(query: str) -> str:
        """Search the archive."""
        ran.append(query)
        return f"3 pages about {query}"

    return Agent("searcher", "Search, then answer.", model, [search], max_tokens=32)


def _openai_text(reply: dict[str, Any], text: str) -> dict[str, Any]:
    """``reply`` turned into a final text answer."""
    final = copy.deepcopy(reply)
    final["choices"][0]["message"] = {"role": "assistant", "content": text}
    final["choices"][0]["finish_reason"] = "stop"
    return final


def _json_objects(arguments: list[str]) -> bool:
    try:
        return all(isinstance(json.loads(a), dict) for a in arguments)
    except json.JSONDecodeError:
        return False


class FakeLlamaCpp:
    """Answers from a script, and 500s on a history with unparsable tool arguments."""

    def __init__(self, first: dict[str, Any]) -> None:
        self.replies = [first, _openai_text(first, "Durable agents journal their steps.")]
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        sent = [
            call["function"]["arguments"]
            for message in body["messages"]
            for call in message.get("tool_calls") or []
        ]
        if not _json_objects(sent):
            refusal = load_synthetic("llamacpp__tool_arguments_not_json_500.synthetic.json")
            return httpx.Response(refusal["status"], json=refusal["body"])
        return httpx.Response(200, json=self.replies[min(len(self.bodies), 2) - 1])


async def test_malformed_arguments_from_llama_cpp_go_back_as_valid_json(kit: AgentKit) -> None:
    reply = load_synthetic("llamacpp__malformed_tool_arguments.synthetic.json")["body"]
    server = FakeLlamaCpp(reply)
    ran: list[str] = []
    agent = _searcher(OpenAIModel("gemma-3-270m", base_url=LLAMA_CPP), ran)
    with respx.mock(base_url=LLAMA_CPP) as router:
        router.post("/chat/completions").mock(side_effect=server)
        result = await kit.run_agent(agent, "How do durable agents survive crashes?")

    assert result.output == "Durable agents journal their steps."
    assert ran == []
    assert len(server.bodies) == 2  # no refused request, no retry
    assistant, answer = server.bodies[1]["messages"][2:4]
    assert assistant["tool_calls"][0]["function"] == {"name": "search", "arguments": "{}"}
    assert answer == {
        "role": "tool",
        "tool_call_id": "7uHkrS1PqW0rLr4o5bDjz1eQ",
        "content": "Error: the arguments for search are not a JSON object (Expecting ',' "
        'delimiter: line 1 column 27 (char 26)): you sent \'{"query": "durable agents"\'. '
        "Call it again with valid JSON arguments.",
    }
    # The model's exact text stays in the journal's stored completion.
    [first, _] = kit.completions(kit.list_runs()[0].id)
    stored = json.loads(first.response or "{}")
    arguments = stored["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    assert arguments == '{"query": "durable agents"'


async def test_openai_tool_calls_cut_off_at_max_tokens_are_not_run(kit: AgentKit) -> None:
    reply = load_synthetic("openai__tool_call_cut_at_max_tokens.synthetic.json")["body"]
    ran: list[str] = []
    agent = _searcher(OpenAIModel("gpt-4o-mini", api_key=OPENAI_KEY), ran)
    with respx.mock(base_url="https://api.openai.com/v1") as router:
        route = router.post("/chat/completions").mock(
            side_effect=[
                httpx.Response(200, json=reply),
                httpx.Response(200, json=_openai_text(reply, "Shorter next time.")),
            ]
        )
        result = await kit.run_agent(agent, "Search twice.")

    assert result.output == "Shorter next time."
    assert ran == []  # not even the call whose arguments happen to parse
    assert [(r.tool_call_id, r.content, r.is_error) for r in result.tool_results] == [
        ("call_complete", CUT_OFF, True),
        ("call_cut", CUT_OFF, True),
    ]
    second = json.loads(route.calls[1].request.content)["messages"]
    assert [c["function"]["arguments"] for c in second[2]["tool_calls"]] == [
        '{"query":"durable agents"}',
        "{}",
    ]


async def test_anthropic_tool_use_cut_off_at_max_tokens_is_not_run(kit: AgentKit) -> None:
    import anthropic
    import httpx2

    reply = load_synthetic("anthropic__tool_use_cut_at_max_tokens.synthetic.json")["body"]
    final = {**reply, "content": [{"type": "text", "text": "Done."}], "stop_reason": "end_turn"}
    router = respx.MockRouter(base_url="https://api.anthropic.com", assert_all_called=False)
    route = router.post("/v1/messages").mock(
        side_effect=[httpx.Response(200, json=reply), httpx.Response(200, json=final)]
    )
    client = anthropic.AsyncAnthropic(
        api_key=ANTHROPIC_KEY, http_client=httpx2.AsyncClient(transport=_httpx2_transport(router))
    )
    ran: list[str] = []
    agent = _searcher(AnthropicModel("claude-haiku-4-5", client=client), ran)

    result = await kit.run_agent(agent, "Search.")

    assert result.output == "Done."
    assert ran == []
    assert [(r.tool_call_id, r.content) for r in result.tool_results] == [("toolu_cut", CUT_OFF)]
    second = json.loads(route.calls[1].request.content)["messages"]
    assert second[2] == {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "toolu_cut",
                "content": CUT_OFF,
                "is_error": True,
            }
        ],
    }
