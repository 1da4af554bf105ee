"""Span attributes from stored records: pure, and free of OpenTelemetry imports.

Model calls follow the OpenTelemetry GenAI semantic conventions (``chat``
operation, ``gen_ai.provider.name`` and the older ``gen_ai.system`` beside it,
``gen_ai.request.model``, ``gen_ai.response.model``, ``gen_ai.response.id``,
``gen_ai.response.finish_reasons``, ``gen_ai.usage.input_tokens`` and
``output_tokens``, ``error.type``); what only agentkit knows goes under
``agentkit.*`` (run id, step key, completion id, cost), so a span leads back to
the run's journal and stored exchange.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agentkit.store import CompletionRecord, RunRecord, StepRecord

__all__ = [
    "completion_attributes",
    "error_message",
    "run_attributes",
    "step_attributes",
    "step_start_attributes",
    "trace_id",
]

# The step keys of an agent (a documented contract of `agentkit.Agent`):
# ``{agent}/infer``, ``{agent}/tool/{tool}``, ``{agent}/approve/{tool}``, and ``#n`` repeats.
_AGENT_STEP = re.compile(
    r"(?P<agent>.+)/(?:infer|(?P<what>tool|approve)/(?P<tool>[^/#]+))(?:#\d+)?"
)


def trace_id(run: RunRecord) -> str | None:
    """The run's trace id (32 hex digits) from its stored traceparent, if it has one."""
    return None if run.traceparent is None else run.traceparent[3:35]


def _json(text: str | None) -> Any:
    try:
        return None if text is None else json.loads(text)
    except ValueError:
        return None


def error_message(error: str | None) -> str:
    """The message of a stored error (JSON with ``type`` and ``message``)."""
    detail = _json(error)
    if isinstance(detail, dict):
        return f"{detail.get('type', 'Error')}: {detail.get('message', '')}"
    return str(error or "")


def error_type(error: str | None) -> str:
    """The ``error.type`` of a stored error."""
    detail = _json(error)
    return str(detail.get("type", "error")) if isinstance(detail, dict) else "error"


def run_attributes(run: RunRecord, number: int) -> dict[str, Any]:
    """The attributes of the span of one execution of ``run``."""
    attributes: dict[str, Any] = {
        "agentkit.run.id": run.id,
        "agentkit.function.id": run.function_id,
        "agentkit.run.execution": number,
    }
    if run.parent_run_id is not None:
        attributes["agentkit.run.parent_id"] = run.parent_run_id
    if run.parent_step_key is not None:
        attributes["agentkit.run.parent_step_key"] = run.parent_step_key
    return attributes


def step_start_attributes(run_id: str, key: str, kind: str) -> dict[str, Any]:
    """The attributes of a step's span when it starts; an agent's tool call is an
    ``execute_tool`` operation of the GenAI conventions (``gen_ai.tool.name``)."""
    attributes: dict[str, Any] = {
        "agentkit.run.id": run_id,
        "agentkit.step.key": key,
        "agentkit.step.kind": kind,
    }
    agent = _AGENT_STEP.fullmatch(key)
    if agent is not None:
        attributes["gen_ai.agent.name"] = agent["agent"]
        if agent["tool"] is not None:
            attributes["gen_ai.tool.name"] = agent["tool"]
        if agent["what"] == "tool" and kind in ("run", "invoke"):
            attributes["gen_ai.operation.name"] = "execute_tool"
    return attributes


def step_attributes(record: StepRecord) -> dict[str, Any]:
    """What a journaled step adds to its span when it ends."""
    attributes: dict[str, Any] = {
        "agentkit.step.status": record.status,
        "agentkit.step.attempts": record.attempts,
        "agentkit.step.seq": record.seq,
    }
    if record.wait_ref is not None and record.kind in ("event", "invoke"):
        attributes["agentkit.step.wait_ref"] = record.wait_ref  # event name, child run id
    if record.error is not None:
        attributes["error.type"] = error_type(record.error)
    return attributes


def _finish_reasons(response: dict[str, Any]) -> list[str]:
    reasons = [
        str(choice["finish_reason"])
        for choice in response.get("choices") or []
        if isinstance(choice, dict) and choice.get("finish_reason")
    ]
    if not reasons and isinstance(response.get("stop_reason"), str):  # Anthropic
        reasons = [response["stop_reason"]]
    return reasons


def completion_attributes(completion: CompletionRecord) -> dict[str, Any]:
    """The GenAI semantic-convention attributes of one stored model-call attempt."""
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": completion.provider,
        "gen_ai.system": completion.provider,
        "gen_ai.request.model": completion.model,
        "agentkit.run.id": completion.run_id,
        "agentkit.step.key": completion.step_key,
        "agentkit.completion.id": completion.id,
        "agentkit.completion.attempt": completion.attempt,
        "agentkit.completion.latency_ms": completion.latency_ms,
    }
    response = _json(completion.response)
    if isinstance(response, dict):
        if isinstance(response.get("model"), str):
            attributes["gen_ai.response.model"] = response["model"]
        if isinstance(response.get("id"), str):
            attributes["gen_ai.response.id"] = response["id"]
        reasons = _finish_reasons(response)
        if reasons:
            attributes["gen_ai.response.finish_reasons"] = reasons
    if completion.input_tokens is not None:
        attributes["gen_ai.usage.input_tokens"] = completion.input_tokens
    if completion.output_tokens is not None:
        attributes["gen_ai.usage.output_tokens"] = completion.output_tokens
    if completion.cached_tokens:
        attributes["agentkit.usage.cached_tokens"] = completion.cached_tokens
    if completion.cost_usd is not None:
        attributes["agentkit.cost_usd"] = completion.cost_usd
    if completion.status_code is not None:
        attributes["http.response.status_code"] = completion.status_code
    if completion.error is not None:
        attributes["error.type"] = error_type(completion.error)
    return attributes
