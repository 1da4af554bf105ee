"""``runs diff``: two runs compared: trajectory, tool calls, output, tokens and cost."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from agentkit.errors import RunNotFound
from agentkit.evals._diff import Change, json_diff, render_changes
from agentkit.evals._observation import ToolCall, tool_calls_of
from agentkit.models import Message
from agentkit.store import CompletionRecord, RunRecord, StepRecord, Store

__all__ = ["RunDiff", "StepPair", "diff_runs"]


@dataclass(frozen=True)
class StepPair:
    """One step key in either run: ``same`` (same inputs and outcome), ``differs``,
    ``only_a`` or ``only_b``."""

    key: str
    kind: str
    status: Literal["same", "differs", "only_a", "only_b"]


@dataclass(frozen=True)
class _Totals:
    input_tokens: int
    output_tokens: int
    cost_usd: float | None


def _totals(completions: list[CompletionRecord]) -> _Totals:
    costs = [c.cost_usd for c in completions if c.cost_usd is not None]
    return _Totals(
        sum(c.input_tokens or 0 for c in completions),
        sum(c.output_tokens or 0 for c in completions),
        sum(costs) if costs else None,
    )


def _output(run: RunRecord) -> Any:
    return None if run.output is None else json.loads(run.output)


def _calls(run: RunRecord) -> list[ToolCall]:
    output = _output(run)
    if isinstance(output, dict) and isinstance(output.get("messages"), list):
        return tool_calls_of([Message.model_validate(m) for m in output["messages"]])
    return []


@dataclass(frozen=True)
class RunDiff:
    """What differs between runs ``a`` and ``b``."""

    a: RunRecord
    b: RunRecord
    steps: list[StepPair]
    tool_calls_a: list[ToolCall]
    tool_calls_b: list[ToolCall]
    output_changes: list[Change]
    totals_a: _Totals
    totals_b: _Totals

    @property
    def same_trajectory(self) -> bool:
        """Whether both runs made the same steps with the same inputs and outcomes."""
        return all(pair.status == "same" for pair in self.steps)

    def to_json(self) -> dict[str, Any]:
        """The comparison as JSON."""
        return {
            "a": self.a.id,
            "b": self.b.id,
            "status": [self.a.status, self.b.status],
            "same_trajectory": self.same_trajectory,
            "steps": [pair.__dict__ for pair in self.steps],
            "tool_calls": [
                [c.to_json() for c in self.tool_calls_a],
                [c.to_json() for c in self.tool_calls_b],
            ],
            "output_changes": [c.to_json() for c in self.output_changes],
            "tokens": [
                [self.totals_a.input_tokens, self.totals_a.output_tokens],
                [self.totals_b.input_tokens, self.totals_b.output_tokens],
            ],
            "cost_usd": [self.totals_a.cost_usd, self.totals_b.cost_usd],
        }

    def render(self) -> str:
        """A plain-text comparison."""
        lines = [f"A {self.a.id} ({self.a.status})  B {self.b.id} ({self.b.status})"]
        for pair in self.steps:
            mark = {"same": "=", "differs": "~", "only_a": "-", "only_b": "+"}[pair.status]
            lines.append(f"  {mark} {pair.key} [{pair.kind}]")
        a_calls = [
            f"{c.name}({json.dumps(c.arguments, sort_keys=True)})" for c in self.tool_calls_a
        ]
        b_calls = [
            f"{c.name}({json.dumps(c.arguments, sort_keys=True)})" for c in self.tool_calls_b
        ]
        if a_calls != b_calls:
            lines.append("tool calls A: " + (", ".join(a_calls) or "none"))
            lines.append("tool calls B: " + (", ".join(b_calls) or "none"))
        else:
            lines.append(f"tool calls: the same ({len(a_calls)})")
        if self.output_changes:
            lines.append("output:")
            lines.extend(f"  {line}" for line in render_changes(self.output_changes))
        else:
            lines.append("output: the same")
        ta, tb = self.totals_a, self.totals_b
        lines.append(
            f"tokens in/out: A {ta.input_tokens}/{ta.output_tokens}, "
            f"B {tb.input_tokens}/{tb.output_tokens}; cost: A {_usd(ta.cost_usd)}, "
            f"B {_usd(tb.cost_usd)}"
        )
        return "\n".join(lines)


def _call(call: ToolCall) -> str:
    return f"{call.name}({json.dumps(call.arguments, sort_keys=True)})"


def _usd(cost: float | None) -> str:
    return "n/a" if cost is None else f"${cost:.6f}"


def _outcome(store: Store, step: StepRecord) -> Any:
    """What a step came to: a model call's stored reply (two runs' calls name different
    completions), any other step's journaled output or error."""
    if step.kind == "infer" and step.status == "completed":
        reference = json.loads(step.output or "{}")
        completion = store.get_completion(str(reference.get("completion_id")))
        if completion is not None:
            return (completion.response, completion.stream_events)
    return (step.output, step.error)


def _pairs(store: Store, a: list[StepRecord], b: list[StepRecord]) -> list[StepPair]:
    b_by_key = {step.key: step for step in b}
    a_keys = {step.key for step in a}
    pairs = []
    for step in a:
        other = b_by_key.get(step.key)
        if other is None:
            pairs.append(StepPair(step.key, step.kind, "only_a"))
            continue
        same = (step.kind, step.fingerprint, step.status) == (
            other.kind,
            other.fingerprint,
            other.status,
        ) and _outcome(store, step) == _outcome(store, other)
        pairs.append(StepPair(step.key, step.kind, "same" if same else "differs"))
    pairs.extend(StepPair(s.key, s.kind, "only_b") for s in b if s.key not in a_keys)
    return pairs


def diff_runs(store: Store, a: str, b: str) -> RunDiff:
    """Compare runs ``a`` and ``b`` of ``store``.

    Raises:
        RunNotFound: either id names no run.
    """
    run_a, run_b = store.get_run(a), store.get_run(b)
    if run_a is None:
        raise RunNotFound(a)
    if run_b is None:
        raise RunNotFound(b)
    return RunDiff(
        a=run_a,
        b=run_b,
        steps=_pairs(store, store.load_journal(a), store.load_journal(b)),
        tool_calls_a=_calls(run_a),
        tool_calls_b=_calls(run_b),
        output_changes=json_diff(_output(run_a), _output(run_b)),
        totals_a=_totals(store.list_completions(a)),
        totals_b=_totals(store.list_completions(b)),
    )
