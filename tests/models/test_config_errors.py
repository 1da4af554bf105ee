"""A missing key or package is a clear, non-retryable error, reported as early as it can be."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import httpx
import pytest
import respx

from agentkit.errors import ConfigError
from agentkit.models import (
    AnthropicModel,
    Attempt,
    LiteLLMModel,
    Message,
    ModelConfigError,
    ModelRequest,
    OpenAIModel,
    RetryPolicy,
    ToolSpec,
    complete,
)

from .cassettes import load_cassette
from .conftest import OPENAI_KEY, FakeSleep, sent_json

REPO = Path(__file__).resolve().parents[2]
REQUEST = ModelRequest(messages=[Message.user("hi")])
SEARCH = ToolSpec(
    name="search",
    description="Search the archive.",
    parameters={"type": "object", "properties": {"query": {"type": "string"}}},
)


@pytest.fixture
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_keys")
def test_a_missing_openai_key_is_reported_when_the_model_is_built() -> None:
    with pytest.raises(ModelConfigError) as caught:
        OpenAIModel("gpt-4o")

    assert str(caught.value) == (
        "OpenAIModel('gpt-4o') has no API key: set OPENAI_API_KEY in the environment "
        "or pass api_key="
    )
    assert isinstance(caught.value, ConfigError)
    assert caught.value.retryable is False


@pytest.mark.usefixtures("no_keys")
def test_a_missing_anthropic_key_is_reported_when_the_model_is_built() -> None:
    with pytest.raises(ModelConfigError, match=r"^AnthropicModel\('claude-haiku-4-5'\) has no"):
        AnthropicModel("claude-haiku-4-5")


@pytest.mark.usefixtures("no_keys")
def test_keys_from_the_environment_or_a_client_are_enough(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import openai

    OpenAIModel("gpt-4o", client=openai.AsyncOpenAI(api_key=OPENAI_KEY))
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    OpenAIModel("gpt-4o")
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "sk-ant-oauth-token-0123456789")
    AnthropicModel("claude-haiku-4-5")


@pytest.mark.usefixtures("no_keys")
async def test_a_local_server_needs_no_key() -> None:
    model = OpenAIModel("gemma", base_url="http://127.0.0.1:8080/v1")
    reply = load_cassette("pydantic-ai/openai__test_openai_tool_output.yaml")[0].json()
    with respx.mock(base_url="http://127.0.0.1:8080/v1") as router:
        route = router.post("/chat/completions").mock(return_value=httpx.Response(200, json=reply))
        await model.call(REQUEST)

    assert route.calls[0].request.headers["authorization"] == "Bearer no-key-needed"


def test_a_missing_sdk_is_reported_when_the_model_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "anthropic", None)  # what an absent package looks like

    with pytest.raises(ModelConfigError) as caught:
        AnthropicModel("claude-haiku-4-5", api_key="sk-ant-test-0123456789")

    assert str(caught.value) == (
        "AnthropicModel('claude-haiku-4-5') needs the 'anthropic' package: "
        "pip install 'agentkit[anthropic]'"
    )


def test_the_litellm_extra_installs_what_litellm_imports_for_tools() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    extra = project["project"]["optional-dependencies"]["litellm"]

    assert any(requirement.startswith("mcp") for requirement in extra)


def _uninstall_mcp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import mcp`` fail, as when the package is not installed.

    LiteLLM imports its MCP handler inside ``completion()`` for any call with
    tools; the modules of it an earlier test loaded are unloaded, so that the
    import runs again and meets the missing package.
    """
    for loaded in list(sys.modules):
        if loaded == "mcp" or loaded.startswith("mcp."):
            monkeypatch.setitem(sys.modules, loaded, None)
        elif loaded.startswith("litellm.") and "mcp" in loaded:
            monkeypatch.delitem(sys.modules, loaded)
    monkeypatch.setitem(sys.modules, "mcp", None)


# LiteLLM's own types trip pydantic warnings on first use; they are not ours to fix.
litellm_warnings = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


@litellm_warnings
async def test_litellm_tools_call_works(openai_router: respx.MockRouter) -> None:
    reply = load_cassette("pydantic-ai/openai__test_openai_tool_output.yaml")[0].json()
    route = openai_router.post("/chat/completions").mock(
        return_value=httpx.Response(200, json=reply)
    )
    model = LiteLLMModel("openai/gpt-4o", api_key=OPENAI_KEY)

    exchange = await model.call(REQUEST.model_copy(update={"tools": [SEARCH]}))

    assert sent_json(route)["tools"][0]["function"]["name"] == "search"
    assert model.parse(exchange).tool_calls[0].name == "get_user_country"


@litellm_warnings
async def test_a_package_litellm_lacks_is_a_config_error_not_retried(
    monkeypatch: pytest.MonkeyPatch, openai_router: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    openai_router.post("/chat/completions").mock(return_value=httpx.Response(500))
    import litellm  # noqa: F401  (loaded before mcp is hidden, as in a real install)

    _uninstall_mcp(monkeypatch)
    model = LiteLLMModel("openai/gpt-4o", api_key=OPENAI_KEY, retry=RetryPolicy(max_attempts=4))
    attempts: list[Attempt] = []

    async def keep(attempt: Attempt) -> None:
        attempts.append(attempt)

    with pytest.raises(ModelConfigError) as caught:
        await complete(
            model,
            REQUEST.model_copy(update={"tools": [SEARCH]}),
            on_attempt=keep,
            sleep=fake_sleep,
            clock=fake_sleep.clock,
        )

    assert caught.value.message.startswith(
        "litellm model 'openai/gpt-4o' cannot be called: the package 'mcp' is not installed ("
    )
    assert caught.value.message.endswith("); install it with pip install 'agentkit[litellm]'")
    assert [a.error and a.error["type"] for a in attempts] == ["ModelConfigError"]
    assert fake_sleep.slept == []


@litellm_warnings
@pytest.mark.usefixtures("no_keys")
async def test_litellm_without_credentials_is_a_config_error(
    openai_router: respx.MockRouter,
) -> None:
    openai_router.post("/chat/completions").mock(return_value=httpx.Response(500))

    with pytest.raises(ModelConfigError) as caught:
        await LiteLLMModel("openai/gpt-4o").call(REQUEST)

    assert caught.value.message.startswith("litellm model 'openai/gpt-4o' has no credentials: ")
    assert "OPENAI_API_KEY" in caught.value.message
    assert caught.value.retryable is False
    assert openai_router.calls.call_count == 0
