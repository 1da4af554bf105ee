"""An agent run as a list of model calls and tool calls, from its journal and completions.

An agent journals ``{agent}/infer`` for each model call, ``{agent}/tool/{name}``
for each tool call that ran and ``{agent}/approve/{name}`` for each approval.
The journal does not hold a tool call's arguments; the model's reply does. So
the replies are parsed again (offline, as replay does) and each tool call is
matched to the steps it caused: in the model's order, by tool name, and for
function tools by the step's input fingerprint, so that a call that never ran
(bad arguments, unknown tool, rejected) does not shift the others.

Pure code over records: no store, no console.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from agentkit.durable._infer import stored_exchange
from agentkit.durable._serde import fingerprint
from agentkit.models import ModelResponse, RawExchange, ToolCallPart, parse_raw
from agentkit.store import CompletionRecord, StepRecord

_INFER = re.compile(r"^(?P<agent>.+)/infer(?:#\d+)?$")
_TOOL = re.compile(r"^(?P<agent>.+)/(?P<what>tool|approve)/(?P<tool>[^/#]+)(?:#\d+)?$")

ARGUMENT_LIMIT = 40
ARGUMENTS_LIMIT = 100
RESULT_LIMIT = 80


def clip(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with ``…``."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def summarise_arguments(arguments: dict[str, Any]) -> str:
    """``query="durable agents", limit=5``: each value as JSON, long ones cut."""
    shown = ", ".join(
        f"{name}={clip(json.dumps(value, ensure_ascii=False), ARGUMENT_LIMIT)}"
        for name, value in arguments.items()
    )
    return clip(shown, ARGUMENTS_LIMIT)


def cost_text(costs: list[float | None]) -> str:
    """``$0.000123``; ``n/a`` when no attempt has a known price (some unknown: ``+ n/a``)."""
    known = [cost for cost in costs if cost is not None]
    if not known:
        return "n/a"
    total = f"${sum(known):.6f}"
    return total if len(known) == len(costs) else f"{total} + n/a"


def parse_completion(completion: CompletionRecord) -> ModelResponse | None:
    """The reply a successful completion holds, or None if it cannot be parsed here.

    A provider registered only inside the user's application has no parser in
    this process; the CLI then shows what the record itself says.
    """
    if not completion.succeeded:
        return None
    try:
        return parse_raw(RawExchange.from_stored(stored_exchange(completion)))
    except Exception:
        return None


@dataclass(frozen=True)
class ModelCall:
    """One model call (an ``infer`` step) with the attempts stored for it."""

    step_key: str
    model: str
    input_tokens: int | None
    output_tokens: int | None
    cost: str
    latency_ms: float
    status: str
    attempts: int
    costs: tuple[float | None, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The row for ``--json`` (``cost_usd`` is None when no attempt had a price)."""
        known = [cost for cost in self.costs if cost is not None]
        return {
            "step_key": self.step_key,
            "model": self.model,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": sum(known) if known else None,
            "latency_ms": self.latency_ms,
            "status": self.status,
            "attempts": self.attempts,
        }


@dataclass
class ToolCall:
    """One tool call the model asked for, and what became of it."""

    tool: str
    arguments: dict[str, Any]
    call_id: str
    step_key: str | None = None
    approval_key: str | None = None
    approval: str | None = None
    status: str = "pending"
    result: str = ""

    def as_json(self) -> dict[str, Any]:
        """The row for ``--json``."""
        return {
            "step_key": self.step_key,
            "approval_key": self.approval_key,
            "tool": self.tool,
            "arguments": self.arguments,
            "approval": self.approval,
            "status": self.status,
            "result": self.result,
        }


@dataclass
class AgentCalls:
    """The model calls and tool calls of a run, in order."""

    model_calls: list[ModelCall] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)


def _used_completion(step: StepRecord | None, attempts: list[CompletionRecord]) -> Any:
    reference = {} if step is None or step.output is None else json.loads(step.output)
    wanted = reference.get("completion_id") if isinstance(reference, dict) else None
    for completion in attempts:
        if completion.id == wanted:
            return completion
    succeeded = [c for c in attempts if c.succeeded]
    return succeeded[-1] if succeeded else None


def _model_call(
    key: str, step: StepRecord | None, attempts: list[CompletionRecord]
) -> tuple[ModelCall, ModelResponse | None]:
    used = _used_completion(step, attempts)
    reply = None if used is None else parse_completion(used)
    if reply is not None:
        model = reply.model
    elif used is not None:
        model = used.model
    else:
        model = attempts[-1].model if attempts else "-"
    # Failover: name the models asked before the one that answered.
    asked = None if used is None else used.model
    tried = [c.model for c in attempts if c.model != asked]
    if tried and used is not None:
        model += f" (after {', '.join(dict.fromkeys(tried))})"
    status = "not journaled" if step is None else step.status
    call = ModelCall(
        step_key=key,
        model=model,
        input_tokens=None if used is None else used.input_tokens,
        output_tokens=None if used is None else used.output_tokens,
        cost=cost_text([c.cost_usd for c in attempts]),
        latency_ms=sum(c.latency_ms for c in attempts),
        status=status,
        attempts=len(attempts) if attempts else (0 if step is None else step.attempts),
        costs=tuple(c.cost_usd for c in attempts),
    )
    return call, reply


def _step_result(step: StepRecord) -> str:
    if step.status == "failed":
        error = json.loads(step.error or "{}")
        return f"{error.get('type', 'Error')}: {error.get('message', '')}"
    if step.status == "waiting":
        return f"child run {step.wait_ref}" if step.kind == "invoke" else "waiting"
    value = json.loads(step.output) if step.output is not None else None
    if isinstance(value, dict) and "content" in value and step.kind == "run":
        value = value["content"]  # a tool that takes the state journals {content, patch}
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _approval_outcome(call: ToolCall, step: StepRecord) -> None:
    """Record what the human decided (``approval``) and, when it stops the call, why."""
    call.approval_key = step.key
    if step.status == "waiting":
        call.approval, call.result = "waiting", f"token {step.wait_ref}"
        return
    if step.status == "failed":
        call.approval, call.result = "failed", _step_result(step)
        return
    decision = json.loads(step.output or "null")
    if decision is None:
        call.approval, call.result = "timed out", "nobody answered the approval request in time"
    elif isinstance(decision, dict) and decision.get("approved"):
        call.approval = "approved"
    else:
        reason = decision.get("reason", "") if isinstance(decision, dict) else ""
        call.approval = "rejected"
        call.result = f"rejected by a human: {reason}" if reason else "rejected by a human"


class _Matcher:
    """Matches tool and approval steps to the calls of their agent's last reply."""

    def __init__(self, tool_results: dict[str, str]) -> None:
        self.open: dict[str, list[ToolCall]] = defaultdict(list)
        self.tool_results = tool_results

    def close(self, calls: list[ToolCall]) -> None:
        """The turn is over: a call with no step by now never ran."""
        for call in calls:
            if call.status == "pending":
                call.status = "not run"
                call.result = self.tool_results.get(call.call_id, call.result)

    def new_turn(self, agent: str, calls: list[ToolCall]) -> None:
        self.close(self.open[agent])
        self.open[agent] = calls

    def match(self, agent: str, tool: str, step: StepRecord, approval: bool) -> ToolCall | None:
        candidates = [
            call
            for call in self.open[agent]
            if call.tool == tool
            and (call.approval_key is None if approval else call.step_key is None)
        ]
        if not approval:
            # A call runs after its approval; a rejected one never runs.
            candidates = [c for c in candidates if c.approval in (None, "approved")]
            for call in candidates:
                if fingerprint((call.arguments,), {}) == step.fingerprint:
                    return call
        return candidates[0] if candidates else None


def agent_calls(
    journal: list[StepRecord],
    completions: list[CompletionRecord],
    *,
    ended: bool,
    tool_results: dict[str, str] | None = None,
) -> AgentCalls:
    """Rows for the model calls and tool calls of a run (both empty for a non-agent run).

    Args:
        journal: The run's steps.
        completions: The run's stored model-call attempts.
        ended: Whether the run has ended (a call with no step then never ran).
        tool_results: Result texts by tool call id (from a finished agent's
            output), for calls that never became a step.
    """
    by_step: dict[str, list[CompletionRecord]] = defaultdict(list)
    for completion in completions:
        by_step[completion.step_key].append(completion)
    found = AgentCalls()
    matcher = _Matcher(tool_results or {})
    journaled = {step.key for step in journal}
    for step in sorted(journal, key=lambda s: s.seq):
        infer = _INFER.match(step.key) if step.kind == "infer" else None
        if infer is not None:
            call, reply = _model_call(step.key, step, by_step.get(step.key, []))
            found.model_calls.append(call)
            calls = [_tool_call(part) for part in (reply.tool_calls if reply else [])]
            found.tool_calls += calls
            matcher.new_turn(infer["agent"], [c for c in calls if c.status == "pending"])
            continue
        tool = _TOOL.match(step.key)
        if tool is None:
            continue
        approval = tool["what"] == "approve"
        matched = matcher.match(tool["agent"], tool["tool"], step, approval)
        if matched is None:  # a call the replies do not show (unparsable provider)
            matched = ToolCall(tool=tool["tool"], arguments={}, call_id="")
            found.tool_calls.append(matched)
        if approval:
            _approval_outcome(matched, step)
        else:
            matched.step_key, matched.status = step.key, step.status
            matched.result = _step_result(step)
    if ended:
        for calls in matcher.open.values():
            matcher.close(calls)
    for key, attempts in by_step.items():
        if key not in journaled and _INFER.match(key):
            found.model_calls.append(_model_call(key, None, attempts)[0])
    return found


def _tool_call(part: ToolCallPart) -> ToolCall:
    call = ToolCall(tool=part.name, arguments=part.arguments, call_id=part.id)
    if part.parse_error is not None:
        call.status = "bad arguments"
        call.result = f"arguments are not a JSON object: {part.parse_error}"
        call.arguments = {"raw": part.raw_arguments}
    return call
