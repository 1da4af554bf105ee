"""Import OpenAI-format message logs as recorded runs of an agentkit agent.

A log (``[{"role": "system"|"user"|"assistant"|"tool", ...}, ...]``, the
chat.completions message format with ``tool_calls`` and tool results) is
recorded by running the agent's conversation function (`conversation_function`)
with everything outside the code played back from the log:

- each model call is answered by the log's next assistant message, stored as
  a raw OpenAI chat.completion exchange whose request body is the request the
  agent actually built (so replay checks today's requests against it);
- each tool call returns the log's next tool result, which must name the same tool;
- each user reply is the log's next user message.

The run that results is an ordinary recording (journal + completions) in the
kit's store: replay, scoring and forks treat it like a live one. A log that
stops inside an agent turn (the episode was ended by its environment, or by
a step limit) gets one synthetic final reply with empty text, marked
``"agentkit_import": "end of log"`` in its stored response body. Logs carry no
token usage, so the imported completions have none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agentkit.agents import Agent, AgentKit
from agentkit.durable import execute_observed
from agentkit.errors import ConfigError, NonRetriableError
from agentkit.evals._conversation import conversation_function
from agentkit.evals._schema_tool import SchemaTool
from agentkit.models import Model, ModelRequest, RawExchange
from agentkit.models._openai_wire import build_openai_body
from agentkit.store import StepKind, StepRecord

__all__ = ["LogImportError", "import_openai_log"]

END_OF_LOG = "end of log"


class LogImportError(NonRetriableError):
    """A log does not fit the agent: the code asked for something the log does not hold next.

    Non-retriable: a step that meets it fails at once.
    """


@dataclass
class _Cursor:
    """The log, consumed in order by the played-back model, tools and user."""

    messages: list[dict[str, Any]]
    source: str
    position: int = 0

    def _next(self, role: str, what: str) -> dict[str, Any] | None:
        if self.position >= len(self.messages):
            return None
        message = self.messages[self.position]
        if message.get("role") != role:
            raise LogImportError(
                f"{self.source}: the agent asked for {what}, but message {self.position} "
                f"is a {message.get('role')!r} message"
            )
        self.position += 1
        return message

    def assistant(self) -> dict[str, Any] | None:
        return self._next("assistant", "a model reply")

    def tool(self, name: str) -> str:
        message = self._next("tool", f"the result of tool {name!r}")
        if message is None:
            raise LogImportError(f"{self.source}: the log ends before the result of {name!r}")
        if message.get("name") not in (None, name):
            raise LogImportError(
                f"{self.source}: message {self.position - 1} is the result of "
                f"{message.get('name')!r}, but the agent called {name!r}"
            )
        return str(message.get("content") or "")

    def user(self, _conversation: list[dict[str, Any]]) -> str | None:
        message = self._next("user", "the user's reply")
        return None if message is None else str(message.get("content") or "")


class _PlaybackModel(Model):
    """Answers each request with the log's next assistant message, as OpenAI would have."""

    provider = "openai"

    def __init__(self, cursor: _Cursor, model: str) -> None:
        super().__init__(model)
        self.cursor = cursor
        self.calls = 0

    async def call(self, request: ModelRequest, *, on_event: Any = None) -> RawExchange:
        message = self.cursor.assistant()
        self.calls += 1
        wire: dict[str, Any] = {"role": "assistant", "content": "", "tool_calls": None}
        if message is not None:
            wire = {"role": "assistant", "content": message.get("content")}
            if message.get("tool_calls"):
                wire["tool_calls"] = message["tool_calls"]
        response: dict[str, Any] = {
            "id": f"import-{self.calls}",
            "object": "chat.completion",
            "model": self.model_name,
            "choices": [
                {
                    "index": 0,
                    "message": wire,
                    "finish_reason": "tool_calls" if wire.get("tool_calls") else "stop",
                }
            ],
        }
        if message is None:
            response["agentkit_import"] = END_OF_LOG
        return RawExchange(
            provider=self.provider,
            model=self.model_name,
            request_body=build_openai_body(self.model_name, request, stream=False, defaults={}),
            response_body=response,
            status_code=200,
        )


class _Live:
    """A fresh run: every step is new and runs as the code asks."""

    def decide(
        self, key: str, kind: StepKind, entry: StepRecord | None, fingerprint: str, input: Any
    ) -> bool:
        if entry is not None:
            raise LogImportError(f"step {key!r} is already journaled; import into a fresh run")
        return False

    def skipped(self, entries: list[StepRecord]) -> None:
        return None

    def live_callee(self, key: str, kind: StepKind, callee: Any) -> Any:
        return callee


def _tool_result(cursor: _Cursor, name: str) -> Any:
    def result(**_arguments: Any) -> str:
        return cursor.tool(name)

    return result


async def import_openai_log(
    kit: AgentKit,
    agent: Agent[Any],
    messages: Sequence[Mapping[str, Any]],
    *,
    model: str = "gpt-4o",
    stop_marker: str | None = None,
    max_turns: int = 50,
    source: str = "log",
) -> str:
    """Record ``messages`` as a run of ``agent``'s conversation function in ``kit.store``.

    Register the same conversation on the kit you replay with
    (``conversation_function(kit, agent, stop_marker=...)``); the imported run
    has its function id, ``chat:{agent.name}``.

    Args:
        kit: Where the run is stored.
        agent: The agent the log is a run of: its name, system prompt, tools
            (by name and schema) and settings make the recorded requests.
        messages: The log. A leading system message must be the agent's
            system prompt; the next message, the user's opening.
        model: The model name stored with each completion.
        stop_marker: A user reply containing it ends the conversation.
        max_turns: The most user replies.
        source: How errors name the log.

    Returns:
        The new run's id.

    Raises:
        LogImportError: the log does not fit the agent (another role or tool
            comes where the code asks for something, or messages are left over).
    """
    log = [dict(m) for m in messages]
    if log and log[0].get("role") == "system":
        if log[0].get("content") != agent.system_prompt(None):
            raise LogImportError(f"{source}: its system prompt is not the agent's")
        log = log[1:]
    if not log or log[0].get("role") != "user":
        raise LogImportError(f"{source}: a log must open with a user message")
    cursor = _Cursor(log[1:], source)
    playback = Agent(
        agent.name,
        agent.system,
        _PlaybackModel(cursor, model),
        [
            SchemaTool(t.name, t.description, t.spec.parameters, _tool_result(cursor, t.name))
            for t in agent.tools
        ],
        tool_choice=agent.tool_choice,
        max_iter=agent.max_iter,
        temperature=agent.temperature,
        max_tokens=agent.max_tokens,
    )
    if agent.output_type is not None or agent.history or agent.state_type is not None:
        raise ConfigError(
            f"agent {agent.name!r}: logs import into agents without output_type, "
            "history processors or state"
        )
    recorder = AgentKit(store=kit.store, clock=kit.clock)
    function = conversation_function(
        recorder, playback, user=cursor.user, stop_marker=stop_marker, max_turns=max_turns
    )
    handle = await recorder.start(function, first_message=str(log[0].get("content") or ""))
    ended = await execute_observed(recorder, handle.id, _Live())
    if ended.status != "completed":
        error = json.loads(ended.error or "{}")
        raise LogImportError(
            f"{source}: the recorded run {handle.id} {ended.status}: "
            f"{error.get('type')}: {error.get('message')}"
        )
    if cursor.position < len(cursor.messages):
        left = cursor.messages[cursor.position]
        raise LogImportError(
            f"{source}: the conversation ended with {len(cursor.messages) - cursor.position} "
            f"message(s) of the log left (the next is a {left.get('role')!r} message)"
        )
    return handle.id
