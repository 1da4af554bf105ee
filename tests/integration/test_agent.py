"""An `Agent` on SQLite, its model a real llama.cpp server.

The agent is given the two worked examples of the weather conversation as its
input (the 270M base model continues a pattern; it does not follow orders), so
at temperature 0 it calls ``get_weather`` and then answers in one line. What is
checked is the loop: steps journaled, tool run once with the arguments the
server parsed, completions stored, a reply cut off at ``max_tokens`` never run
as a tool call, failover on a context overflow recorded attempt by attempt.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from agentkit import Agent, AgentKit, MaxIterationsExceeded, RunFailedError, run_agent, tool
from agentkit.models import FallbackModel, Message
from tests.integration.conftest import PROVIDERS, ModelFactory, Provider
from tests.integration.harness import MODEL_ALIAS, WEATHER_SYSTEM, weather_examples

# Generous: the first test of a session also waits for the servers to load.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def _question(city: str = "Paris") -> list[Message]:
    return [*weather_examples(), Message.user(f"What is the weather in {city}?")]


class WeatherTool:
    """A ``get_weather`` tool that keeps the cities it was called with."""

    def __init__(self) -> None:
        self.cities: list[str] = []

        @tool
        def get_weather(city: str) -> str:
            """Get the weather of a city."""
            self.cities.append(city)
            return "rain"

        self.tool = get_weather


def _json(stored: str | None) -> Any:
    """A stored request or response body."""
    assert stored is not None
    return json.loads(stored)


def _kit(tmp_path: Path) -> AgentKit:
    return AgentKit(f"sqlite:///{tmp_path}/kit.db")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_agent_calls_the_tool_then_answers(
    provider: Provider, llama_url: str, make_model: ModelFactory, tmp_path: Path
) -> None:
    weather = WeatherTool()
    agent = Agent(
        "weather",
        WEATHER_SYSTEM,
        make_model(provider, llama_url),
        [weather.tool],
        tool_choice="required",
        temperature=0,
        max_tokens=48,
    )
    kit = _kit(tmp_path)
    result = await run_agent(kit, agent, _question())

    assert result.model_calls == 2
    [call] = result.tool_calls
    assert call.name == "get_weather" and call.parse_error is None
    assert weather.cities == [call.arguments["city"]]  # run once, with the parsed arguments
    [tool_result] = result.tool_results
    assert (tool_result.tool_call_id, tool_result.content, tool_result.is_error) == (
        call.id,
        "rain",
        False,
    )
    assert result.output == result.messages[-1].text != ""
    assert result.messages[-1].tool_calls == []
    assert result.cost_usd is None  # a self-hosted model has no price

    [run] = kit.list_runs()
    journal = kit.journal(run.id)
    assert [(step.key, step.kind) for step in journal] == [
        ("weather/infer", "infer"),
        ("weather/tool/get_weather", "run"),
        ("weather/infer#1", "infer"),
    ]
    completions = kit.completions(run.id)
    assert [(c.step_key, c.status_code) for c in completions] == [
        ("weather/infer", 200),
        ("weather/infer#1", 200),
    ]
    assert result.usage.input_tokens == sum(c.input_tokens or 0 for c in completions)


async def test_tool_call_cut_off_at_max_tokens_is_not_run(
    llama_url: str, make_model: ModelFactory, tmp_path: Path
) -> None:
    """At ``max_tokens=14`` the forced call is cut inside its arguments: the server
    sends finish_reason "length" and arguments ``"{"`` (recorded/tool_call_cut_off.json).
    Such a call must not run, and the history sent next must stay valid JSON
    (llama.cpp answers HTTP 500 to every later request otherwise)."""
    weather = WeatherTool()
    agent = Agent(
        "weather",
        WEATHER_SYSTEM,
        make_model("openai", llama_url),
        [weather.tool],
        tool_choice="required",
        temperature=0,
        max_tokens=14,
        max_iter=2,
    )
    kit = _kit(tmp_path)
    with pytest.raises(RunFailedError) as raised:
        await run_agent(kit, agent, _question())

    assert weather.cities == []
    [run] = kit.list_runs()
    assert raised.value.error_type == MaxIterationsExceeded.__name__
    completions = kit.completions(run.id)
    assert [(c.step_key, c.status_code) for c in completions] == [
        ("weather/infer", 200),
        ("weather/infer#1", 200),
    ]
    first = _json(completions[0].response)
    assert first["choices"][0]["finish_reason"] == "length"
    assert first["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] == "{"
    second_request = _json(completions[1].request)
    sent_calls = [
        call for message in second_request["messages"] for call in message.get("tool_calls") or []
    ]
    assert len(sent_calls) == 3  # two examples and the cut-off call
    for sent in sent_calls:
        assert isinstance(json.loads(sent["function"]["arguments"]), dict)
    answer = second_request["messages"][-1]
    assert answer["role"] == "tool"
    assert "cut off" in answer["content"]


class Forecast(BaseModel):
    weather: Literal["rain", "snow", "sun"]
    degrees: int = Field(ge=-50, le=50)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_agent_structured_output(
    provider: Provider, llama_url: str, make_model: ModelFactory, tmp_path: Path
) -> None:
    agent = Agent(
        "forecaster",
        "You forecast the weather as JSON.",
        make_model(provider, llama_url, stop=None),
        output_type=Forecast,
        temperature=0,
        max_tokens=64,
    )
    result = await run_agent(_kit(tmp_path), agent, "What is the weather in Paris?")

    assert isinstance(result.output, Forecast)
    assert result.model_calls == 1
    assert Forecast.model_validate_json(result.messages[-1].text) == result.output


async def test_agent_fails_over_when_the_prompt_overflows(
    llama_url: str, small_llama_url: str, make_model: ModelFactory, tmp_path: Path
) -> None:
    chain = FallbackModel(
        make_model("openai", small_llama_url), make_model("openai", llama_url, stop=None)
    )
    agent = Agent("reader", "Be brief.", chain, temperature=0, max_tokens=4)
    kit = _kit(tmp_path)
    long_text = "Count the words: " + " ".join(["word"] * 400)
    result = await run_agent(kit, agent, long_text)

    assert result.model_calls == 1
    [run] = kit.list_runs()
    completions = kit.completions(run.id)
    assert [(c.step_key, c.status_code) for c in completions] == [
        ("reader/infer", 400),
        ("reader/infer", 200),
    ]
    overflow = _json(completions[0].response)
    assert overflow["error"]["type"] == "exceed_context_size_error"
    assert overflow["error"]["n_ctx"] == 256
    assert _json(completions[1].response)["model"] == MODEL_ALIAS
