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

The SIGKILL variant: each trial runs in a worker process that dies by SIGKILL
(``os.kill(own pid, SIGKILL)``, nothing flushed, no handler runs) in 10% of its
tool calls, and is restarted until the task is done. The plain loop's new
process starts the task from scratch; agentkit's opens the same SQLite file,
reclaims the run once the dead worker's lease (0.3 s) lapses, and replays it
from its journal. Processes are forked from this one (a fresh interpreter per
restart would only add import time, which is not what is measured); every
model call appends its tokens to a ledger file, so calls made by a process
that was killed later are counted too.

    python bench/spend.py            # SIGKILL trials, 100 sequential trials, 1000 concurrent runs
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import tempfile
import time
from collections.abc import Callable
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

    def __init__(self, seed: int | str, rate: float) -> None:
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


KILL_TRIALS = 20


class LedgerModel(CountingModel):
    """A `CountingModel` that appends each call's tokens to a file, outside any process."""

    def __init__(self, ledger: Path) -> None:
        super().__init__()
        self.ledger = ledger

    def _answer(self, request: ModelRequest) -> Any:
        answer = super()._answer(request)
        fd = os.open(self.ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, f"{len(request.messages) * TOKENS_PER_MESSAGE + 20}\n".encode())
        finally:
            os.close(fd)
        return answer


class Killer(Faults):
    """The worker process dies by SIGKILL in ``rate`` of tool calls (seeded per process)."""

    def maybe_fail(self, step: int) -> None:
        if self.random.random() < self.rate:
            os.kill(os.getpid(), signal.SIGKILL)


def in_child(work: Any) -> bool:
    """Run ``work()`` (a coroutine function) in a forked process; False if it was SIGKILLed."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into the parent's code
        code = 1
        try:
            asyncio.run(work())
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
        return False
    if os.WEXITSTATUS(status) != 0:
        raise RuntimeError(f"worker process {pid} failed (status {status})")
    return True


def plain_process(ledger: Path, trial: int, attempt: int) -> Any:
    async def work() -> None:
        await plain_loop(LedgerModel(ledger), Killer(f"{trial}-{attempt}", FAILURE_RATE))

    return work


def agentkit_process(url: str, ledger: Path, trial: int, attempt: int) -> Any:
    async def work() -> None:
        model = LedgerModel(ledger)
        killer = Killer(f"{trial}-{attempt}", FAILURE_RATE)
        kit = AgentKit(url, lease_ttl=0.3)

        @kit.function(id="task", retries=0)
        async def task(ctx: Context, trial: int) -> int:
            messages = [Message.user("do the task")]
            for step in range(STEPS):
                response = await ctx.step.infer("think", model, ModelRequest(messages=messages))

                def tool(step: int = step) -> str:
                    killer.maybe_fail(step)
                    return f"tool result {step}"

                result = await ctx.step.run("tool", tool)
                messages += [response.message, Message.user(result)]
            return STEPS

        once = task.options(idempotency_key=f"trial-{trial}", on_conflict="return_existing")
        handle = await kit.start(once, trial=trial)
        await kit.drive(handle, poll_interval=0.02)
        kit.close()

    return work


def ledger_totals(ledger: Path) -> tuple[int, int]:
    lines = ledger.read_text().split() if ledger.exists() else []
    return len(lines), sum(int(tokens) for tokens in lines)


def measure_sigkill(trials: int) -> None:
    baseline = CountingModel()
    for trial in range(trials):
        asyncio.run(plain_loop(baseline, Faults(trial, 0.0)))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/kill.db"
        processes: dict[str, int] = {}
        kills: dict[str, int] = {}
        makers: list[tuple[str, Callable[[int, int], Any]]] = [
            ("plain", lambda t, a: plain_process(Path(folder) / "plain", t, a)),
            ("agentkit", lambda t, a: agentkit_process(url, Path(folder) / "agentkit", t, a)),
        ]
        for who, make in makers:
            processes[who] = kills[who] = 0
            for trial in range(trials):
                attempt = 0
                while not in_child(make(trial, attempt)):
                    attempt += 1
                processes[who] += attempt + 1
                kills[who] += attempt
        totals = {who: ledger_totals(Path(folder) / who) for who in ("plain", "agentkit")}
    print(
        f"{trials} trials, {STEPS} steps, the worker SIGKILLed in {FAILURE_RATE:.0%} of tool calls "
        "and restarted:"
    )
    for who, label in (("agentkit", "agentkit"), ("plain", "plain loop")):
        calls, tokens = totals[who]
        print(
            f"  {label:<10} model calls {calls / baseline.calls:.2f}x, "
            f"tokens {tokens / baseline.tokens:.2f}x of the fault-free run "
            f"({processes[who]} processes, {kills[who]} SIGKILLed)"
        )
    print(f"  (took {time.perf_counter() - started:.1f} s)")


async def main() -> None:
    await measure(100, concurrent=False)
    await measure(1000, concurrent=True)


if __name__ == "__main__":
    kill_trials = int(sys.argv[1]) if len(sys.argv) > 1 else KILL_TRIALS
    measure_sigkill(kill_trials)  # first: processes fork from a parent with no open database
    asyncio.run(main())
