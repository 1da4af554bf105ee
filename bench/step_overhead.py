"""Per-step overhead of agentkit against a raw sqlite3 insert, measured in one run.

Prints, for N sequential trivial steps (N = 10, 100, 1000):
  - raw: one INSERT + COMMIT per step with sqlite3 (WAL, synchronous=NORMAL),
    on the same disk: the floor any durable step on SQLite pays;
  - agentkit: ms per step of a durable function doing N steps, minus the same
    function doing 0 steps (so run creation/claim/finish are not counted);
then the replay time of a 1000-step journal, the time from a fresh process
start to the first new step of a resumed run, the ratio agentkit ÷ raw at
N = 1000, and last what run observers cost per step: none registered, a no-op
`RunObserver`, and `agentkit.otel.OTelObserver` exporting to the SDK's
in-memory exporter, on the in-memory store (where the engine's own cost is
smallest, so the observer's share is largest) and on SQLite.

    python bench/step_overhead.py [--observers]   # --observers: only the last part
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agentkit import AgentKit, Context, ManualClock
from agentkit.durable import RunObserver
from agentkit.store import InMemoryStore

REPEATS = 5


def raw_sqlite_per_step(folder: Path, n: int) -> float:
    path = folder / f"raw-{n}.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE steps (run_id TEXT, key TEXT, output TEXT, PRIMARY KEY (run_id, key))"
    )
    best = float("inf")
    for attempt in range(REPEATS):
        start = time.perf_counter()
        for i in range(n):
            conn.execute("BEGIN")
            conn.execute("INSERT INTO steps VALUES (?, ?, ?)", (f"r{attempt}", f"s{i}", str(i)))
            conn.execute("COMMIT")
        best = min(best, time.perf_counter() - start)
    conn.close()
    return best / n


async def _trivial(i: int) -> int:
    return i


def make_kit(folder: Path, name: str) -> AgentKit:
    kit = AgentKit(f"sqlite:///{folder}/{name}.db")

    @kit.function(id="steps")
    async def steps(ctx: Context, n: int) -> int:
        total = 0
        for i in range(n):
            total += await ctx.step.run("s", _trivial, i)
        return total

    return kit


async def agentkit_run_seconds(kit: AgentKit, n: int) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        await kit.run(kit.functions["steps"], n=n)
        best = min(best, time.perf_counter() - start)
    return best


async def replay_seconds(folder: Path, n: int) -> float:
    clock = ManualClock()
    kit = AgentKit(f"sqlite:///{folder}/replay.db", clock=clock)

    @kit.function(id="replay")
    async def replay(ctx: Context) -> int:
        total = 0
        for i in range(n):
            total += await ctx.step.run("s", _trivial, i)
        await ctx.step.sleep("pause", 1)
        return total

    handle = await kit.start(replay)
    await kit.worker(stop_when_idle=True, poll_interval=0.001)
    assert handle.status() == "waiting"
    clock.advance(2)
    # Time one execution that replays n journaled steps and completes.
    record = kit.store.claim_run(handle.id, "bench", clock.now(), clock.now() + 30)
    assert record is not None
    from agentkit.durable._executor import Executor

    start = time.perf_counter()
    await Executor(kit, record, "bench").execute()
    elapsed = time.perf_counter() - start
    assert await handle.result() == sum(range(n))
    kit.close()
    return elapsed


RESUME_APP = """
import asyncio, os, sys, time
from agentkit import AgentKit, Context

kit = AgentKit(os.environ["BENCH_DB"])

async def trivial(i: int) -> int:
    return i

async def first_new(i: int) -> int:
    with open(os.environ["BENCH_MARK"], "w") as f:
        f.write(repr(time.time()))
    return i

@kit.function(id="resume")
async def resume(ctx: Context) -> int:
    total = 0
    for i in range(100):
        total += await ctx.step.run("s", trivial, i)
    await ctx.step.sleep("pause", 0.05)
    return total + await ctx.step.run("new", first_new, 0)

if __name__ == "__main__":
    if sys.argv[1] == "start":
        async def go():
            h = await kit.start(resume)
            await kit.worker(stop_when_idle=True, poll_interval=0.005)
            print(h.id)
        asyncio.run(go())
    else:
        asyncio.run(kit.drive(kit.get_run(sys.argv[2]), poll_interval=0.005))
"""


def resume_to_first_new_step(folder: Path) -> float:
    app = folder / "resume_app.py"
    app.write_text(RESUME_APP)
    env = {
        **os.environ,
        "BENCH_DB": f"sqlite:///{folder}/resume.db",
        "BENCH_MARK": str(folder / "mark"),
    }
    best = float("inf")
    for _ in range(3):
        run_id = subprocess.run(
            [sys.executable, str(app), "start"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        time.sleep(0.06)  # let the sleep step's timer pass: the run is now due
        start = time.time()
        subprocess.run([sys.executable, str(app), "resume", run_id], env=env, check=True)
        best = min(best, float((folder / "mark").read_text()) - start)
    return best


def _otel_observer() -> RunObserver:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from agentkit.otel import OTelObserver

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    return OTelObserver(provider)


async def observer_overhead(folder: Path, n: int = 1000) -> None:
    """ms per step of an n-step run with each kind of observer, and the ratios."""
    print(f"observers, {n} steps per run: ms/step (ratio to none registered)")
    for store_name in ("memory", "sqlite"):
        results: dict[str, float] = {}
        for name, observers in (
            ("none", []),
            ("no-op RunObserver", [RunObserver()]),
            ("OTelObserver", [_otel_observer()]),
        ):
            store = InMemoryStore() if store_name == "memory" else None
            url = None if store is not None else f"sqlite:///{folder}/obs-{len(results)}.db"
            kit = AgentKit(url, store=store, observers=observers)

            @kit.function(id="steps")
            async def steps(ctx: Context, n: int) -> int:
                total = 0
                for i in range(n):
                    total += await ctx.step.run("s", _trivial, i)
                return total

            zero = await agentkit_run_seconds(kit, 0)
            results[name] = (await agentkit_run_seconds(kit, n) - zero) / n
            kit.close()
        base = results["none"]
        line = ", ".join(
            f"{name} {per * 1e3:.4f} ({per / base:.2f}x)" for name, per in results.items()
        )
        print(f"  {store_name}: {line}")


async def main() -> None:
    if "--observers" in sys.argv:
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
            await observer_overhead(Path(tmp))
        return
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        folder = Path(tmp)
        kit = make_kit(folder, "agentkit")
        zero = await agentkit_run_seconds(kit, 0)
        print(f"{'N':>6} {'raw ms/step':>12} {'agentkit ms/step':>17} {'ratio':>7}")
        ratio = 0.0
        for n in (10, 100, 1000):
            raw = raw_sqlite_per_step(folder, n)
            ours = (await agentkit_run_seconds(kit, n) - zero) / n
            ratio = ours / raw
            print(f"{n:>6} {raw * 1e3:>12.4f} {ours * 1e3:>17.4f} {ratio:>7.2f}")
        kit.close()
        print(f"run overhead (0 steps: create, claim, finish): {zero * 1e3:.2f} ms")
        replay = await replay_seconds(folder, 1000)
        print(f"replay of a 1000-step journal: {replay * 1e3:.2f} ms (target <= 10 ms)")
        resume = resume_to_first_new_step(folder)
        print(
            f"fresh process start -> first new step of a resumed run: {resume:.3f} s "
            "(target <= 0.3 s)"
        )
        print(f"agentkit / raw sqlite per step (N=1000): {ratio:.2f}x (target <= 2x)")
        await observer_overhead(folder)


if __name__ == "__main__":
    asyncio.run(main())
