"""``replay``: the current code of a run's function against its recording, offline.

Steps are served from the recorded journal, model calls from the stored raw
completions (re-parsed by today's parsers), matched by step key and checked by
input fingerprint. Each step the code asks for is reported:

- **same**: journaled with the same inputs; served.
- **changed**: journaled, but the inputs differ (a prompt, a tool schema, an
  argument); served anyway, with a readable diff of a model request.
- **new**: the recording has no such step. A hermetic replay stops there;
  with ``live_from_divergence`` it runs live (a model you pass, tools from a
  sandbox map), and so does every step after the first divergence.
- **missing**: recorded steps the code never asked for.

Nothing is written to the original run: the recording is copied into a
private in-memory store (`RecordingStore`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from agentkit.durable import AgentKit, execute_observed
from agentkit.errors import AgentkitError, ConfigError
from agentkit.evals._diff import Change, render_changes
from agentkit.evals._recording import Recording, RecordingStore, load_recording
from agentkit.evals._request import request_changes
from agentkit.store import StepKind, StepRecord

__all__ = ["ReplayDiverged", "ReplayReport", "StepOutcome", "replay", "replay_recording"]

StepStatus = Literal["same", "changed", "new", "missing"]


class ReplayDiverged(AgentkitError):
    """A hermetic replay reached a step its recording does not have; it stops there."""

    def __init__(self, key: str, kind: str, why: str) -> None:
        super().__init__(f"replay stopped at new step {key!r} ({kind}): {why}")
        self.key = key
        self.kind = kind


@dataclass(frozen=True)
class StepOutcome:
    """What replay found for one step.

    Attributes:
        key: The step key.
        kind: ``run``, ``infer``, ``sleep``, ``token``, ``event`` or ``invoke``.
        status: ``same``, ``changed``, ``new`` or ``missing``.
        live: Whether the step ran live (``live_from_divergence``).
        changes: For a changed model request, what changed in it.
        note: A sentence for what a diff cannot show.
    """

    key: str
    kind: str
    status: StepStatus
    live: bool = False
    changes: tuple[Change, ...] = ()
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """The outcome as JSON."""
        return {
            "key": self.key,
            "kind": self.kind,
            "status": self.status,
            "live": self.live,
            "changes": [c.to_json() for c in self.changes],
            "note": self.note,
        }


@dataclass
class ReplayReport:
    """The result of replaying one recorded run.

    Attributes:
        run_id: The recorded run.
        function_id: Its durable function.
        steps: One outcome per step, in the order the code asked (missing ones last).
        status: How the replay ended: ``completed``, ``failed``, ``waiting``, or
            ``stopped`` (a hermetic replay reached a new step).
        output: The replay's output (JSON), when it completed.
        recorded_output: The recorded run's output (JSON).
        recorded_status: How the recorded run ended.
        error: The replay's failure (type and message), if it failed or stopped.
        seconds: Wall time of the replay.
    """

    run_id: str
    function_id: str
    steps: list[StepOutcome]
    status: Literal["completed", "failed", "waiting", "stopped"]
    output: Any
    recorded_output: Any
    recorded_status: str
    error: dict[str, Any] | None = None
    seconds: float = 0.0

    def count(self, status: StepStatus) -> int:
        """How many steps have ``status``."""
        return sum(1 for step in self.steps if step.status == status)

    @property
    def live_steps(self) -> int:
        """Steps that ran live (only with ``live_from_divergence``)."""
        return sum(1 for step in self.steps if step.live)

    @property
    def output_changed(self) -> bool:
        """Whether the output (or the way the run ended) differs from the recording."""
        return self.output != self.recorded_output or self.status != self.recorded_status

    @property
    def diverged(self) -> bool:
        """Whether anything differs from the recording."""
        return self.output_changed or any(step.status != "same" for step in self.steps)

    @property
    def first_divergence(self) -> StepOutcome | None:
        """The first step that is not the same, or None."""
        return next((step for step in self.steps if step.status != "same"), None)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON (``agentkit replay --json``)."""
        return {
            "run_id": self.run_id,
            "function_id": self.function_id,
            "status": self.status,
            "recorded_status": self.recorded_status,
            "diverged": self.diverged,
            "output_changed": self.output_changed,
            "counts": {s: self.count(s) for s in ("same", "changed", "new", "missing")},
            "live_steps": self.live_steps,
            "steps": [step.to_json() for step in self.steps],
            "output": self.output,
            "recorded_output": self.recorded_output,
            "error": self.error,
            "seconds": self.seconds,
        }

    def render(self) -> str:
        """A plain-text summary: counts, then each step that is not the same."""
        counts = ", ".join(f"{self.count(s)} {s}" for s in ("same", "changed", "new", "missing"))
        lines = [
            f"replay of {self.run_id} ({self.function_id}): {self.status} "
            f"(recorded: {self.recorded_status}); steps: {counts}"
        ]
        for step in self.steps:
            if step.status == "same":
                continue
            live = " (live)" if step.live else ""
            note = f": {step.note}" if step.note else ""
            lines.append(f"  {step.status:<8} {step.key} [{step.kind}]{live}{note}")
            lines.extend(f"      {line}" for line in render_changes(list(step.changes)))
        if self.error is not None:
            lines.append(f"  error: {self.error.get('type')}: {self.error.get('message')}")
        lines.append("  output: " + ("changed" if self.output_changed else "same"))
        return "\n".join(lines)


def _tool_name(key: str) -> str | None:
    """``search`` for an agent's tool step key ``agent/tool/search#2``."""
    step_id = key.split("#", 1)[0]
    parts = step_id.split("/")
    return parts[-1] if len(parts) >= 3 and parts[-2] == "tool" else None


def _sandboxed(fake: Callable[..., Any]) -> Callable[[dict[str, Any]], Any]:
    async def call(arguments: dict[str, Any]) -> str:
        value = fake(**arguments)
        if hasattr(value, "__await__"):
            value = await value
        return value if isinstance(value, str) else json.dumps(value)

    return call


@dataclass
class _Observer:
    """Builds the step outcomes; decides what is served, what stops, what runs live."""

    recording: Recording
    live_model: Any | None
    tools: Mapping[str, Callable[..., Any]]
    outcomes: list[StepOutcome] = field(default_factory=list)
    going_live: bool = False

    def decide(
        self, key: str, kind: StepKind, entry: StepRecord | None, fingerprint: str, input: Any
    ) -> bool:
        if entry is not None and entry.fingerprint == fingerprint and not self.going_live:
            self.outcomes.append(StepOutcome(key, kind, "same"))
            return True
        live = self.live_model is not None
        if entry is None:
            if not live:
                self.outcomes.append(StepOutcome(key, kind, "new", note="not in the recording"))
                raise ReplayDiverged(key, kind, "the recording has no such step")
            self.going_live = True
            self.outcomes.append(StepOutcome(key, kind, "new", live=True))
            return False
        changes, note = self._describe(entry, input)
        self.going_live = self.going_live or live
        self.outcomes.append(StepOutcome(key, kind, "changed", live, tuple(changes), note))
        return not live

    def _describe(self, entry: StepRecord, input: Any) -> tuple[list[Change], str]:
        if entry.fingerprint == "":
            return [], ""
        if entry.kind != "infer" or entry.status != "completed":
            if entry.kind == "run" and isinstance(input, tuple) and len(input) == 2:
                args, kwargs = input
                shown = json.dumps({"args": list(args), "kwargs": kwargs}, default=str)
                return [], f"its inputs changed; now {shown[:200]}"
            return [], "its inputs changed"
        reference = json.loads(entry.output or "{}")
        completion = self.recording.completion(str(reference.get("completion_id")))
        if completion is None or completion.request is None:
            return [], "the request changed (the recorded request is not stored)"
        recorded = json.loads(completion.request)
        changes = request_changes(completion.provider, recorded, input)
        if not changes:
            return [], "the request's fingerprint changed, but not its wire form"
        return changes, f"the model request changed ({len(changes)} difference(s))"

    def skipped(self, entries: list[StepRecord]) -> None:
        for entry in entries:
            self.outcomes.append(
                StepOutcome(entry.key, entry.kind, "missing", note="recorded, not asked for")
            )

    def live_callee(self, key: str, kind: StepKind, callee: Any) -> Any:
        if kind == "infer":
            return self.live_model
        name = _tool_name(key)
        if name is not None and name in self.tools:
            return _sandboxed(self.tools[name])
        step_id = key.split("#", 1)[0]
        if step_id in self.tools:
            return self.tools[step_id]
        raise ReplayDiverged(key, kind, "no sandbox tool was given for this step")


async def replay_recording(
    kit: AgentKit,
    recording: Recording,
    *,
    live_from_divergence: Any | None = None,
    tools: Mapping[str, Callable[..., Any]] | None = None,
) -> ReplayReport:
    """`replay` of a `Recording` already read (e.g. imported, or from another store)."""
    if tools and live_from_divergence is None:
        raise ConfigError("sandbox tools only run with live_from_divergence (a model)")
    run = recording.run
    function = kit.get_function(run.function_id)
    store = RecordingStore(recording)
    replay_kit = AgentKit(store=store, clock=kit.clock)
    replay_kit.functions[function.id] = function
    observer = _Observer(recording, live_from_divergence, dict(tools or {}))
    started = time.perf_counter()
    ended = await execute_observed(replay_kit, run.id, observer)
    seconds = time.perf_counter() - started
    status: Literal["completed", "failed", "waiting", "stopped"]
    error = None if ended.error is None else json.loads(ended.error)
    if ended.status == "completed":
        status = "completed"
    elif ended.status == "waiting":
        status = "waiting"
    elif error is not None and error.get("type") == ReplayDiverged.__name__:
        status = "stopped"
    else:
        status = "failed"
    if error is not None:
        error.pop("traceback", None)
    return ReplayReport(
        run_id=run.id,
        function_id=run.function_id,
        steps=observer.outcomes,
        status=status,
        output=None if ended.output is None else json.loads(ended.output),
        recorded_output=None if run.output is None else json.loads(run.output),
        recorded_status=run.status,
        error=error,
        seconds=seconds,
    )


async def replay(
    kit: AgentKit,
    run_id: str,
    *,
    live_from_divergence: Any | None = None,
    tools: Mapping[str, Callable[..., Any]] | None = None,
) -> ReplayReport:
    """Replay a finished run of ``kit`` with the current code of its function, offline.

    Args:
        kit: The kit whose store holds the recording and whose registered
            functions are the code to replay.
        run_id: The recorded run.
        live_from_divergence: A model (`agentkit.models.Model`) to call live
            from the first divergence on; None keeps the replay hermetic (it
            stops at the first new step).
        tools: The sandbox for steps that run live: by tool name (called with
            the model's arguments as keyword arguments; a non-string result is
            sent as JSON) or by step id (called with the step's own arguments).

    Raises:
        RunNotFound: no run has this id.
        FunctionNotFound: its function is not registered on ``kit``.
        UsageError: the run is still queued or running.
    """
    return await replay_recording(
        kit,
        load_recording(kit.store, run_id),
        live_from_divergence=live_from_divergence,
        tools=tools,
    )
