"""Many worker processes on PostgreSQL: throughput by worker count, and wake-up latency.

Needs a PostgreSQL database it may empty: ``AGENTKIT_BENCH_POSTGRES_URL`` (or
``AGENTKIT_TEST_POSTGRES_URL``). It prints:

  - throughput: the same workload (R runs of a small agent: a step, an
    ``infer`` on a fake model that answers at once, two more steps) executed by
    1, 2 and 4 worker processes; wall time from ``start_many`` to the last run
    completed, runs/s and the speed-up over one worker. The runs are CPU- and
    database-bound (no simulated latency), so on a 2-core machine shared with
    PostgreSQL more processes help only as far as there are cores;
  - wake-up latency: a run waits for a token; another process completes it;
    the time from just before ``complete_token`` (and from its return, the
    completion committed) to the first step after the wait starting in the
    worker process. With ``LISTEN/NOTIFY`` (the default
    on PostgreSQL) and with polling only (the worker's default 0.5 s poll),
    median / p90 / max over K trials.
  - takeover: the worker holding 50 runs is SIGKILLed; the seconds until an
    idle second worker holds them all, for a lease_ttl of 1 s and 3 s (leases
    lapse between 2/3 and 1 lease_ttl after the kill, then the next poll
    claims them: expiries are not notified).

    python bench/workers.py                 # R=200, K=10 (about 30 s)
    python bench/workers.py --runs 1000 --trials 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine  # noqa: E402

from agentkit import AgentKit, Context  # noqa: E402 - after the path above
from agentkit.models import Message, ModelRequest, ModelResponse, ScriptedModel  # noqa: E402
from agentkit.store import SQLStore  # noqa: E402

URL_ENV = "AGENTKIT_BENCH_POSTGRES_URL"
TABLES = "agentkit_runs, agentkit_steps, agentkit_tokens, agentkit_events, agentkit_completions"


def _url() -> str:
    url = os.environ.get(URL_ENV) or os.environ.get("AGENTKIT_TEST_POSTGRES_URL")
    if not url:
        sys.exit(f"set {URL_ENV} to a PostgreSQL database this bench may empty")
    return url


def _kit(url: str) -> AgentKit:
    kit = AgentKit(url, lease_ttl=float(os.environ.get("BENCH_LEASE_TTL", "10")))

    def respond(request: ModelRequest) -> ModelResponse:
        return ScriptedModel.text(f"do {request.messages[-1].text}")

    model = ScriptedModel(respond)

    async def plan(index: int) -> int:
        return index * 2

    async def act(text: str) -> str:
        return text.upper()

    @kit.function(id="bench-agent")
    async def agent(ctx: Context, index: int) -> str:
        planned: int = await ctx.step.run("plan", plan, index)
        request = ModelRequest(messages=[Message.user(str(planned))])
        reply = await ctx.step.infer("think", model, request)
        result: str = await ctx.step.run("act", act, reply.text)
        return await ctx.step.run("deliver", act, result)

    def now() -> float:
        return time.time()

    @kit.function(id="bench-asks")
    async def asks(ctx: Context) -> float:
        await ctx.step.wait_for_token("answer")
        return await ctx.step.run("resumed", now)

    @kit.function(id="bench-holds")
    async def holds(ctx: Context) -> None:
        await ctx.step.run("hold", asyncio.sleep, 3600)

    return kit


def _worker(url: str, listen: bool) -> None:
    kit = _kit(url)
    if not listen:
        kit.store.watch_due = lambda on_due: None  # type: ignore[method-assign]
    print("ready", flush=True)
    asyncio.run(kit.worker(concurrency=200))


def _spawn(url: str, listen: bool = True, lease_ttl: float = 10.0) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "worker", "--listen" if listen else "--poll"],
        env={**os.environ, URL_ENV: url, "BENCH_LEASE_TTL": str(lease_ttl)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def _stop(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        proc.kill()
    for proc in procs:
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()


def _engine(kit: AgentKit) -> Engine:
    assert isinstance(kit.store, SQLStore)
    return kit.store._engine


def _empty(kit: AgentKit) -> None:
    with _engine(kit).begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {TABLES}")


def _completed(kit: AgentKit) -> int:
    with _engine(kit).connect() as conn:
        return int(
            conn.exec_driver_sql(
                "SELECT count(*) FROM agentkit_runs WHERE status = 'completed'"
            ).scalar_one()
        )


def throughput(url: str, workers: int, runs: int) -> float:
    kit = _kit(url)
    _empty(kit)
    procs = [_spawn(url) for _ in range(workers)]
    try:
        time.sleep(0.5)  # every listener in place
        started = time.perf_counter()
        asyncio.run(
            kit.start_many(kit.functions["bench-agent"], [{"index": i} for i in range(runs)])
        )
        while _completed(kit) < runs:
            time.sleep(0.02)
        return time.perf_counter() - started
    finally:
        _stop(procs)
        kit.close()


def latency(url: str, listen: bool, trials: int) -> tuple[list[float], list[float]]:
    """Per trial: seconds from the ``complete_token`` call, and from its commit, to the resume."""
    kit = _kit(url)
    _empty(kit)
    procs = [_spawn(url, listen)]
    from_call: list[float] = []
    from_commit: list[float] = []

    async def trial() -> tuple[float, float]:
        handle = await kit.start(kit.functions["bench-asks"])
        while handle.status() != "waiting" or not handle.tokens():  # noqa: ASYNC110
            await asyncio.sleep(0.005)  # another process's state, in the database
        await asyncio.sleep(0.05)  # the worker back in its idle wait
        [token] = handle.tokens()
        before = time.time()
        kit.complete_token(token.token, "go")
        committed = time.time()
        resumed: float = await handle.result(timeout=30, poll_interval=0.005)
        return resumed - before, resumed - committed

    try:
        for _ in range(trials):
            call, commit = asyncio.run(trial())
            from_call.append(call)
            from_commit.append(commit)
    finally:
        _stop(procs)
        kit.close()
    return from_call, from_commit


def takeover(url: str, lease_ttl: float, runs: int = 50) -> float:
    """Seconds from SIGKILLing the worker that holds ``runs`` runs to another holding them all."""
    kit = _kit(url)
    _empty(kit)
    first = _spawn(url, lease_ttl=lease_ttl)
    procs = [first]
    try:
        handles = asyncio.run(kit.start_many(kit.functions["bench-holds"], [{}] * runs))
        while any(handle.record().lease_owner is None for handle in handles):
            time.sleep(0.01)
        procs.append(_spawn(url, lease_ttl=lease_ttl))  # idle, polling every 0.5 s
        time.sleep(lease_ttl)  # the first worker renewed its leases at least once
        first.kill()
        killed = time.perf_counter()
        dead = {handle.record().lease_owner for handle in handles}
        while any(handle.record().lease_owner in dead for handle in handles):
            time.sleep(0.01)
        return time.perf_counter() - killed
    finally:
        _stop(procs)
        kit.close()


def _summary(seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
    return f"median {statistics.median(ms):6.1f} ms  p90 {p90:6.1f} ms  max {ms[-1]:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="bench", choices=["bench", "worker"])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--listen", action="store_true")
    parser.add_argument("--poll", action="store_true")
    args = parser.parse_args()
    url = _url()
    if args.mode == "worker":
        _worker(url, listen=not args.poll)
        return
    print(f"throughput: {args.runs} runs (plan, infer, act, deliver) on PostgreSQL")
    one = 0.0
    for workers in (1, 2, 4):
        wall = throughput(url, workers, args.runs)
        one = one or wall
        print(
            f"  {workers} worker process{'es' if workers > 1 else '  '}: wall {wall:6.2f} s  "
            f"{args.runs / wall:7.1f} runs/s  speed-up {one / wall:4.2f}x"
        )
    print(
        f"wake-up latency, token completed in another process -> run resumed ({args.trials} trials)"
    )
    notify, notify_committed = latency(url, True, args.trials)
    print(f"  LISTEN/NOTIFY, from the call:   {_summary(notify)}")
    print(f"  LISTEN/NOTIFY, from its commit: {_summary(notify_committed)}")
    poll, _ = latency(url, False, args.trials)
    print(f"  polling (0.5 s), from the call: {_summary(poll)}")
    print(
        f"  ratio polling / LISTEN-NOTIFY (median): "
        f"{statistics.median(poll) / statistics.median(notify):.1f}x"
    )
    for ttl in (1.0, 3.0):
        print(
            f"takeover: the worker holding 50 runs SIGKILLed, lease_ttl {ttl:.0f} s: "
            f"all taken over by another worker after {takeover(url, ttl):.2f} s"
        )


if __name__ == "__main__":
    main()
