"""TokenWindow: property tests over random conversations with tool calls."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
import tiktoken
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentkit import Agent, AgentKit, ConfigError
from agentkit.memory import TokenWindow
from agentkit.models import (
    Message,
    ScriptedModel,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
)

MODEL = "gpt-4o"  # o200k_base


def _bundled() -> Path:
    spec = importlib.util.find_spec("litellm")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "litellm_core_utils" / "tokenizers"


@pytest.fixture(scope="module")
def encoding() -> Iterator[tiktoken.Encoding]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIKTOKEN_CACHE_DIR", str(_bundled()))
        yield tiktoken.get_encoding("o200k_base")


def exact_tokens(encoding: tiktoken.Encoding, message: Message) -> int:
    """The documented count: the message's texts, tool names, arguments, results + 4."""
    pieces: list[str] = []
    for part in message.parts:
        if isinstance(part, TextPart | ThinkingPart):
            pieces.append(part.text)
        elif isinstance(part, ToolCallPart):
            pieces += [part.name, part.raw_arguments]
        elif isinstance(part, ToolResultPart):
            pieces.append(part.content)
    return len(encoding.encode("\n".join(pieces), disallowed_special=())) + 4


def pair_problem(messages: list[Message]) -> str | None:
    open_calls: set[str] = set()
    for index, message in enumerate(messages):
        if message.role != "tool" and open_calls:
            return f"calls {open_calls} unanswered before message {index}"
        for part in message.parts:
            if isinstance(part, ToolResultPart):
                if part.tool_call_id not in open_calls:
                    return f"result {part.tool_call_id} without its call at {index}"
                open_calls.discard(part.tool_call_id)
        open_calls |= {p.id for p in message.parts if isinstance(p, ToolCallPart)}
    return f"unanswered {open_calls}" if open_calls else None


words = st.text(alphabet="abc de fgh\nijk lmnop 123 héllo 😀", min_size=0, max_size=60)


@st.composite
def conversations(draw: st.DrawFn) -> list[Message]:
    messages = [Message.system(draw(words))]
    counter = 0
    for _ in range(draw(st.integers(1, 6))):
        messages.append(Message.user(draw(words)))
        for _ in range(draw(st.integers(0, 3))):
            calls = []
            for _ in range(draw(st.integers(1, 3))):
                counter += 1
                calls.append(ToolCallPart.from_arguments(f"c{counter}", "look", {"q": draw(words)}))
            messages.append(Message(role="assistant", parts=list(calls)))
            messages.append(
                Message(
                    role="tool",
                    parts=[
                        ToolResultPart(tool_call_id=c.id, name=c.name, content=draw(words))
                        for c in calls
                    ],
                )
            )
        if draw(st.booleans()):
            messages.append(Message.assistant(draw(words)))
    return messages


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversation=conversations(), budget=st.integers(1, 400), start_with_user=st.booleans())
def test_window_fits_keeps_system_and_pairs(
    encoding: tiktoken.Encoding,
    conversation: list[Message],
    budget: int,
    start_with_user: bool,
) -> None:
    window = TokenWindow(budget + 100, reserve_output=100, start_with_user=start_with_user)
    counts = [exact_tokens(encoding, m) for m in conversation]
    try:
        kept = window.apply(conversation, MODEL)
    except ConfigError as error:
        assert "alone take more than" in str(error)
        # Only when the system prompt plus the newest whole unit exceeds the budget.
        last_unit = 1
        while conversation[-last_unit].role == "tool":
            last_unit += 1
        assert counts[0] + sum(counts[-last_unit:]) > budget
        return
    assert kept[0] == conversation[0]  # the system prompt is never dropped
    assert sum(exact_tokens(encoding, m) for m in kept) <= budget
    assert pair_problem(kept) is None
    rest = kept[1:]
    # The newest messages are kept: a suffix of the conversation.
    assert rest == conversation[len(conversation) - len(rest) :]
    if start_with_user and any(m.role == "user" for m in rest):
        assert rest[0].role == "user"
    if not start_with_user and len(rest) < len(conversation) - 1:
        # Maximal: the next older whole unit would not have fit.
        start = len(conversation) - len(rest)
        previous = start - 1
        while conversation[previous].role == "tool":
            previous -= 1
        assert sum(counts[previous:start]) + sum(counts[:1]) + sum(counts[start:]) > budget


def test_window_on_an_agent_shapes_the_request(kit: AgentKit) -> None:
    model = ScriptedModel([ScriptedModel.text("ok")], model="gpt-4o")
    agent = Agent("a", "S.", model, history=[TokenWindow(30, reserve_output=10)])
    old = [Message.user("old question " * 10), Message.assistant("old answer " * 10)]
    result = kit.run_agent_sync(agent, [*old, Message.user("new?")])
    assert model.requests[0].messages == [Message.system("S."), Message.user("new?")]
    assert len(result.messages) == 5  # the run keeps every message


def test_bad_windows_are_named() -> None:
    with pytest.raises(ConfigError, match="TokenWindow leaves no room"):
        TokenWindow(100, reserve_output=100)
    with pytest.raises(ConfigError, match="TokenWindow max_tokens must be an int"):
        TokenWindow(-1)
