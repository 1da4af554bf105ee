"""Spend under failure: what failed runs cost with durable steps and without.

A 12-step tool-using agent: each step is one model call (its prompt grows with
the conversation, as an agent's does) then one tool call. 10% of tool calls
fail (a dead dependency, or the process dying mid-call). Measured over N trials:

  - a plain loop restarts the whole task after a failure, so it pays again
    for every model call made before it;
  - agentkit journals every model call and tool result: the failed run is
    resumed (``kit.resume``) and only the failed tool call runs again.

Both are printed as multiples of the fault-free run's model calls and tokens.
Then the same with 1,000 concurrent runs in one process, so it holds at scale.
Tool failures here are exceptions in-process; the SIGKILL variant of the same
claim is pinned by tests/agents/test_agent_crash.py, not measured here.

    python bench/spend.py            # 100 sequential trials, then 1000 concurrent runs
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agentkit import AgentKit, Context, NonRetriableError, RunFailedError  # noqa: E402
from agentkit.models import (  # noqa: E402
    Message,
    ModelRequest,
    ScriptedModel,
    Usage,
)

STEPS = 12
FAILURE_RATE = 0.10
TOKENS_PER_MESSAGE = 40


class CountingModel(ScriptedModel):
    """Answers at once; counts calls and the tokens a provider would bill."""

    def __init__(self) -> None:
        super().__init__(self._answer)
        self.calls = 0
        self.tokens = 0

    def _answer(self, request: ModelRequest) -> Any:
        prompt = len(request.messages) * TOKENS_PER_MESSAGE
        self.calls += 1
        self.tokens += prompt + 20
        return ScriptedModel.text(
            "use the tool", usage=Usage(input_tokens=prompt, output_tokens=20)
        )


class Faults:
    """Which tool calls fail: a fresh draw for every call, seeded per trial."""

    def __init__(self, seed: int, rate: float) -> None:
        self.random = random.Random(seed)
        self.rate = rate

    def maybe_fail(self, step: int) -> None:
        if self.random.random() < self.rate:
            raise NonRetriableError(f"tool of step {step} failed")


async def plain_loop(model: CountingModel, faults: Faults) -> None:
    """The task without durability: any failure restarts it from the top."""
    while True:
        messages = [Message.user("do the task")]
        try:
            for step in range(STEPS):
                response = await model.request(ModelRequest(messages=messages))
                faults.maybe_fail(step)
                messages += [response.message, Message.user(f"tool result {step}")]
            return
        except NonRetriableError:
            continue


def make_kit(folder: Path, model: CountingModel, faults: dict[str, Faults]) -> Any:
    kit = AgentKit(f"sqlite:///{folder}/spend.db")

    @kit.function(id="task", retries=0)
    async def task(ctx: Context, trial: int) -> int:
        messages = [Message.user("do the task")]
        for step in range(STEPS):
            response = await ctx.step.infer("think", model, ModelRequest(messages=messages))

            def tool(step: int = step) -> str:
                faults[ctx.run_id].maybe_fail(step)
                return f"tool result {step}"

            result = await ctx.step.run("tool", tool)
            messages += [response.message, Message.user(result)]
        return STEPS

    return kit, task


async def durable(kit: AgentKit, task: Any, trials: list[int], faults: dict[str, Faults]) -> None:
    """Run every trial to its end, resuming each failed run until it completes."""
    handles = await kit.start_many(task, [{"trial": t} for t in trials])
    for handle, trial in zip(handles, trials, strict=True):
        faults[handle.id] = Faults(trial, faults["rate"].rate)
    pending = list(handles)
    while pending:
        await kit.worker(stop_when_idle=True, poll_interval=0.01)
        failed = []
        for handle in pending:
            try:
                await handle.result()
            except RunFailedError:
                kit.resume(handle.id)
                failed.append(handle)
        pending = failed


async def measure(trials: int, concurrent: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        results: dict[str, tuple[int, int]] = {}
        for name, rate in (("fault-free", 0.0), ("faulty", FAILURE_RATE)):
            plain = CountingModel()
            for trial in range(trials):
                await plain_loop(plain, Faults(trial, rate))
            results[f"plain {name}"] = (plain.calls, plain.tokens)

            model = CountingModel()
            faults: dict[str, Any] = {"rate": Faults(0, rate)}
            kit, task = make_kit(Path(folder) / f"{name}-{concurrent}", model, faults)
            started = time.perf_counter()
            if concurrent:
                await durable(kit, task, list(range(trials)), faults)
            else:
                for trial in range(trials):
                    await durable(kit, task, [trial], faults)
            elapsed = time.perf_counter() - started
            results[f"agentkit {name}"] = (model.calls, model.tokens)
            kit.close()
        base_calls, base_tokens = results["agentkit fault-free"]
        assert results["plain fault-free"] == (base_calls, base_tokens)
        how = f"{trials} concurrent runs" if concurrent else f"{trials} sequential trials"
        print(f"{how}, {STEPS} steps, {FAILURE_RATE:.0%} of tool calls fail:")
        for who in ("agentkit", "plain loop"):
            calls, tokens = results[f"{who.split()[0]} faulty"]
            print(
                f"  {who:<10} model calls {calls / base_calls:.2f}x, "
                f"tokens {tokens / base_tokens:.2f}x of the fault-free run"
            )
        print(f"  (agentkit faulty pass took {elapsed:.1f} s)")


async def main() -> None:
    await measure(100, concurrent=False)
    await measure(1000, concurrent=True)


if __name__ == "__main__":
    asyncio.run(main())
