"""`Summarize`: replace older turns by a summary, made once by a durable model call.

A history processor. While the conversation fits ``trigger_tokens`` nothing
changes. Past it, everything but the last ``keep_last`` messages (moved back
to the start of their turn, a user message, or at least to a whole unit: a
tool call stays with its results) is summarized by a model
call made as ``ctx.step.infer`` (step ``{agent}/summarize``), so a replay
reads the stored reply and pays nothing. The request then carries the system
prompt, the summary (as a second system message) and the kept messages.

On a thread the summary and the number of thread messages it covers are
stored (step ``{agent}/summarize/save``); the next run loads them with the
thread and reuses the summary instead of summarizing again, extending it
only when the conversation outgrows the trigger once more.

Put `Summarize` first among an agent's history processors: it relies on the
thread's messages coming right after the system prompt.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from agentkit.errors import ConfigError
from agentkit.memory._window import units
from agentkit.models import (
    Message,
    ModelRequest,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
)
from agentkit.models._tokens import count_message_tokens

if TYPE_CHECKING:
    from agentkit.agents import AgentTurn
    from agentkit.models import Model

__all__ = ["DEFAULT_SUMMARY_PROMPT", "SUMMARY_PREFIX", "Summarize"]

DEFAULT_SUMMARY_PROMPT = (
    "You compact a conversation between a user and an assistant so it can continue "
    "without its older messages. Write a concise summary that keeps every fact, "
    "decision, name, number and open question the assistant will need. If a previous "
    "summary is given, fold it in. Answer with the summary only."
)
SUMMARY_PREFIX = "Summary of the earlier conversation:\n"


def transcript(previous: str | None, messages: Sequence[Message]) -> str:
    """The text the summarizer reads: the previous summary, then each message on its lines."""
    lines: list[str] = []
    if previous:
        lines.append(f"Previous summary:\n{previous}\n")
    for message in messages:
        for part in message.parts:
            if isinstance(part, TextPart) and part.text:
                lines.append(f"{message.role}: {part.text}")
            elif isinstance(part, ToolCallPart):
                lines.append(f"{message.role} called {part.name}({part.raw_arguments})")
            elif isinstance(part, ToolResultPart):
                lines.append(f"{part.name} returned: {part.content}")
            elif isinstance(part, ThinkingPart):
                continue  # reasoning is not part of what was said
    return "\n".join(lines)


def cut_point(body: Sequence[Message], keep_last: int, covered: int = 0) -> int:
    """Where the kept tail starts: ``keep_last`` from the end, moved back to a turn's start.

    A turn starts at a user message, so the model keeps the question it is
    answering. When no user message lies between ``covered`` and that point (one
    long tool loop), the tail starts at a whole unit instead: a tool call with
    its results.
    """
    target = max(len(body) - keep_last, 0)
    turns = [i for i in range(covered + 1, target + 1) if body[i].role == "user"]
    if turns:
        return turns[-1]
    start = 0
    for unit in units(body):
        if unit[0] > target:
            break
        start = unit[0]
    return start


class Summarize:
    """A history processor that compacts older turns into a summary (see the module).

    Args:
        model: The model that writes summaries (a small, cheap one will do).
        trigger_tokens: Summarize when the conversation counts more tokens than this.
        keep_last: Messages kept verbatim after the summary (at least; a tool
            call is kept with its results).
        prompt: The summarizer's instructions.
        model_name: Count tokens as for this model; default the agent's model.
    """

    def __init__(
        self,
        model: Model,
        *,
        trigger_tokens: int,
        keep_last: int = 6,
        prompt: str = DEFAULT_SUMMARY_PROMPT,
        model_name: str | None = None,
    ) -> None:
        for name, value in (("trigger_tokens", trigger_tokens), ("keep_last", keep_last)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"Summarize {name} must be an int >= 1, got {value!r}")
        self.model = model
        self.trigger_tokens = trigger_tokens
        self.keep_last = keep_last
        self.prompt = prompt
        self.model_name = model_name
        # Summaries made earlier in this execution of a run, keyed by the
        # execution's step API (one per execution), then by (agent, the key the
        # next summary step would get), with a hash of the messages they cover.
        # A replay makes the same steps in the same order over the same
        # messages, so it rebuilds the same entries; they go with the
        # execution, so nothing is evicted while a run still needs it.
        self._memo: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], tuple[str, int, str]]]
        self._memo = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"Summarize(trigger_tokens={self.trigger_tokens}, keep_last={self.keep_last})"

    async def __call__(self, turn: AgentTurn, messages: list[Message]) -> list[Message]:
        """The messages to send (see the module docstring)."""
        head_end = 0
        while head_end < len(messages) and messages[head_end].role == "system":
            head_end += 1
        head, body = messages[:head_end], messages[head_end:]
        counting = self.model_name or turn.agent.model.model_name
        step_id = f"{turn.agent.name}/summarize"
        memo = self._memo.setdefault(turn.ctx.step, {})
        memo_key = (turn.agent.name, turn.ctx.step.peek_key(step_id))

        summary, covered = None, 0
        if turn.thread is not None and turn.thread.summary is not None:
            summary, covered = turn.thread.summary, turn.thread.summary_through
        remembered = memo.get(memo_key)
        if (
            remembered is not None
            and covered < remembered[1] <= len(body)
            and _digest(body[: remembered[1]]) == remembered[2]
        ):
            summary, covered = remembered[0], remembered[1]
        covered = min(covered, len(body))

        candidate = self._compose(head, summary, body, covered)
        if sum(count_message_tokens(counting, candidate)) <= self.trigger_tokens:
            return candidate
        cut = cut_point(body, self.keep_last, covered)
        if cut <= covered:
            return candidate  # nothing more to fold in; a window after this one may trim
        request = ModelRequest(
            messages=[
                Message.system(self.prompt),
                Message.user(transcript(summary, body[covered:cut])),
            ]
        )
        response = await turn.ctx.step.infer(step_id, self.model, request)
        summary, covered = response.message.text, cut
        if turn.thread is not None:
            await _save(turn, f"{step_id}/save", turn.thread.thread_id, summary, covered)
        memo[(turn.agent.name, turn.ctx.step.peek_key(step_id))] = (
            summary,
            cut,
            _digest(body[:cut]),
        )
        return self._compose(head, summary, body, covered)

    @staticmethod
    def _compose(
        head: list[Message], summary: str | None, body: list[Message], covered: int
    ) -> list[Message]:
        if summary is None or covered == 0:
            return [*head, *body]
        return [*head, Message.system(SUMMARY_PREFIX + summary), *body[covered:]]


def _digest(messages: Sequence[Message]) -> str:
    digest = hashlib.sha256()
    for message in messages:
        digest.update(message.model_dump_json().encode())
    return digest.hexdigest()


async def _save(turn: AgentTurn, step_id: str, thread_id: str, summary: str, covered: int) -> bool:
    ctx = turn.ctx
    store = ctx.store

    def save(thread_id: str, summary: str, covered: int) -> bool:
        return store.set_thread_summary(thread_id, summary, covered, ctx.now())

    return await ctx.step.run(step_id, save, thread_id, summary, covered)
