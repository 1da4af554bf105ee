"""Evaluate a dataset: live (run the agent), replay (0 tokens) or score-only.

- **live**: start a run of the target per case, execute it here, score it.
- **replay**: replay each case's recording with the current code
  (`replay_recording`): a prompt or parser change is evaluated for no tokens,
  and divergences are reported per case.
- **score-only**: score each case's recorded output as it is (new scorers on
  old runs; no code runs).

Cases run concurrently up to ``concurrency``; ``progress`` shows a Rich bar.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any, Literal

from agentkit.agents import Agent, agent_function
from agentkit.durable import AgentKit, DurableFunction
from agentkit.errors import AgentkitError, ConfigError
from agentkit.evals._cases import Case, Dataset
from agentkit.evals._observation import Observation, tool_calls_of
from agentkit.evals._recording import Recording, load_recording, read_recording
from agentkit.evals._replay import replay_recording
from agentkit.evals._report import CaseResult, EvalReport, Mode
from agentkit.evals._scorers import Score, Scorer
from agentkit.models import Message

__all__ = ["evaluate", "final_output", "observe"]

Target = DurableFunction[..., Any] | Agent[Any]


def final_output(output: Any) -> Any:
    """An agent result's answer (its ``output``); any other run output as it is."""
    if isinstance(output, dict) and "output" in output and "messages" in output:
        return output["output"]
    return output


def observe(case: Case, recording: Recording, output: Any) -> Observation:
    """What scorers see of ``case``'s run: ``output`` (JSON) and the recording's facts."""
    messages: list[Message] = []
    if isinstance(output, dict) and isinstance(output.get("messages"), list):
        messages = [Message.model_validate(m) for m in output["messages"]]
    costs = [c.cost_usd for c in recording.completions if c.cost_usd is not None]
    run = recording.run
    latency = (
        run.ended_at - run.started_at
        if run.ended_at is not None and run.started_at is not None
        else None
    )
    return Observation(
        input=case.input,
        output=final_output(output),
        expected=case.expected,
        metadata=dict(case.metadata),
        tool_calls=tool_calls_of(messages),
        cost_usd=sum(costs) if costs else None,
        latency_s=latency,
        model_calls=sum(1 for s in recording.steps if s.kind == "infer"),
        run_id=run.id,
    )


async def _score(scorers: Sequence[Scorer], observation: Observation) -> list[Score]:
    scores = []
    for scorer in scorers:
        try:
            verdict = scorer.score(observation)
            if not isinstance(verdict, Score):
                verdict = await verdict
        except ConfigError:
            raise
        except Exception as exc:  # a scorer's bug is that case's failure, not the eval's
            verdict = Score(scorer.name, 0.0, False, f"scorer raised {type(exc).__name__}: {exc}")
        scores.append(verdict)
    return scores


def _recording_of(dataset: Dataset, case: Case, kit: AgentKit) -> Recording:
    if case.recording is None:
        raise ConfigError(f"case {case.name!r} has no recording to replay or score")
    path = dataset.recording_path(case)
    return read_recording(path) if path is not None else load_recording(kit.store, case.recording)


async def _live(kit: AgentKit, target: Target | None, case: Case) -> tuple[Recording, Any]:
    if target is None:
        raise ConfigError("live mode needs a target: an Agent or a durable function")
    if isinstance(target, Agent):
        # A case made from a recorded run (`agentkit eval add-run`) holds the agent
        # function's arguments; a hand-written one, the agent's input.
        recorded = isinstance(case.input, dict) and set(case.input) <= {"input", "state"}
        kwargs = dict(case.input) if recorded else {"input": case.input}
        function = agent_function(kit, target)
    else:
        if not isinstance(case.input, dict):
            raise ConfigError(
                f"case {case.name!r}: a durable function's input is a mapping of its arguments"
            )
        function, kwargs = target, dict(case.input)
    handle = await kit.start(function, **kwargs)
    try:
        await kit.drive(handle, poll_interval=0.01)
    except AgentkitError:
        pass  # the recording says how it failed
    recording = load_recording(kit.store, handle.id)
    return recording, None if recording.run.output is None else json.loads(recording.run.output)


def _failure(recording: Recording) -> str | None:
    run = recording.run
    if run.status == "completed":
        return None
    error = json.loads(run.error or "{}")
    return f"run {run.status}: {error.get('type', '')}: {error.get('message', '')}".strip()


async def _case(
    dataset: Dataset, kit: AgentKit, target: Target | None, mode: Mode, case: Case
) -> CaseResult:
    replay_info: dict[str, Any] | None = None
    try:
        if mode == "live":
            recording, output = await _live(kit, target, case)
            error = _failure(recording)
        else:
            recording = _recording_of(dataset, case, kit)
            if mode == "replay":
                report = await replay_recording(kit, recording)
                output = report.output
                first = report.first_divergence
                replay_info = {
                    "status": report.status,
                    "counts": {s: report.count(s) for s in ("same", "changed", "new", "missing")},
                    "output_changed": report.output_changed,
                    "first_divergence": None if first is None else first.to_json(),
                }
                error = None
                if report.status not in ("completed",):
                    message = (report.error or {}).get("message", "")
                    error = f"replay {report.status}: {message}".strip()
            else:
                output = None if recording.run.output is None else json.loads(recording.run.output)
                error = _failure(recording)
    except ConfigError:
        raise
    except AgentkitError as exc:
        return CaseResult(case.name, error=f"{type(exc).__name__}: {exc}")
    scores = await _score(dataset.scorers, observe(case, recording, output))
    return CaseResult(
        case.name,
        scores=scores,
        output=output,
        error=error,
        run_id=recording.run.id,
        replay=replay_info,
    )


async def evaluate(
    dataset: Dataset,
    kit: AgentKit,
    target: Target | None = None,
    *,
    mode: Literal["live", "replay", "score-only"] = "live",
    concurrency: int = 4,
    progress: bool = False,
) -> EvalReport:
    """Score every case of ``dataset`` and return the report.

    Args:
        dataset: The cases and scorers.
        kit: Where runs are stored (live), recordings are read from (by run
            id) and whose registered functions are the code replayed.
        target: Live mode: the `Agent` or durable function to run.
        mode: ``"live"``, ``"replay"`` or ``"score-only"``.
        concurrency: Cases evaluated at once.
        progress: Show a Rich progress bar on stderr.

    Raises:
        ConfigError: a mode without what it needs (a target, a recording), or
            a scorer without an expected value.
    """
    if mode not in ("live", "replay", "score-only"):
        raise ConfigError(f"mode must be live, replay or score-only, got {mode!r}")
    if concurrency < 1:
        raise ConfigError(f"concurrency must be at least 1, got {concurrency}")
    limit = asyncio.Semaphore(concurrency)
    started = time.perf_counter()
    bar = _Progress(len(dataset.cases), dataset.name) if progress else None

    async def one(case: Case) -> CaseResult:
        async with limit:
            result = await _case(dataset, kit, target, mode, case)
        if bar is not None:
            bar.advance()
        return result

    try:
        results = await asyncio.gather(*(one(case) for case in dataset.cases))
    finally:
        if bar is not None:
            bar.stop()
    return EvalReport(
        dataset=dataset.name,
        mode=mode,
        cases=list(results),
        scorers=[s.name for s in dataset.scorers],
        seconds=time.perf_counter() - started,
    )


class _Progress:
    def __init__(self, total: int, name: str) -> None:
        from rich.console import Console
        from rich.progress import Progress

        self._progress = Progress(console=Console(stderr=True), transient=True)
        self._task = self._progress.add_task(f"eval {name}", total=total)
        self._progress.start()

    def advance(self) -> None:
        self._progress.advance(self._task)

    def stop(self) -> None:
        self._progress.stop()
