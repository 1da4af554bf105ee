"""Throughput of many concurrent agent runs in one process, on SQLite.

Each run is a durable function making 3 ``ctx.step.infer`` calls to a model
that answers after 1 s of simulated latency (no CPU, like a provider), so the
ideal wall time for any number of concurrent runs is 3 s. For 1k, 3k and 10k
runs, each in a fresh process on a fresh SQLite file, it prints:

  - wall: from the first run started to the last finished (creation, claims,
    3 completions + 3 journal entries per run, finish), and its ratio to 3 s;
  - peak RSS of that process;
  - runs/s, and the time beyond the ideal per run (the framework's CPU share).

A size is skipped when the one before it took longer than ``--budget`` s
(so one bench run stays under ~2 minutes on a loaded machine).

    python bench/scale.py            # 1000 3000 10000
    python bench/scale.py 1000 3000  # chosen sizes
    python bench/scale.py --profile 1000   # cProfile of one size, top 25 by tottime
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LATENCY = 1.0  # seconds per simulated model call
CALLS = 3  # model calls per run
IDEAL = LATENCY * CALLS


def _one(n: int, folder: Path, profile: bool) -> dict[str, float]:
    from agentkit import AgentKit, Context
    from agentkit.models import Message, ModelRequest, RawExchange, ScriptedModel, Usage
    from agentkit.models._base import Model
    from agentkit.models._exchange import EventCallback

    reply = ScriptedModel.text("ok", usage=Usage(input_tokens=10, output_tokens=2))
    body = reply.model_dump(mode="json")

    class SlowModel(Model):
        """Answers ``ok`` after ``LATENCY`` seconds, like a provider that is never busy."""

        provider = "scripted"

        def __init__(self) -> None:
            super().__init__("slow")

        async def call(
            self, request: ModelRequest, *, on_event: EventCallback | None = None
        ) -> RawExchange:
            await asyncio.sleep(LATENCY)
            return RawExchange(
                provider="scripted", model="slow", request_body={}, response_body=body
            )

        def estimate_tokens(self, request: ModelRequest) -> int:
            return 10

    model = SlowModel()
    kit = AgentKit(f"sqlite:///{folder}/scale-{n}.db")

    @kit.function(id="agent")
    async def agent(ctx: Context, question: str) -> str:
        messages = [Message.user(question)]
        for _ in range(CALLS):
            response = await ctx.step.infer("infer", model, ModelRequest(messages=messages))
            messages.append(response.message)
        return "done"

    async def main() -> float:
        started = time.perf_counter()
        start_many = getattr(kit, "start_many", None)
        if start_many is not None:
            await start_many(agent, [{"question": f"q{i}"} for i in range(n)])
        else:
            for i in range(n):
                await kit.start(agent, question=f"q{i}")
        await kit.worker(concurrency=n, poll_interval=0.05, stop_when_idle=True)
        return time.perf_counter() - started

    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        wall = asyncio.run(main())
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    else:
        wall = asyncio.run(main())
    done = len(kit.store.list_runs(status="completed", limit=n + 1))
    kit.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"n": n, "wall": wall, "rss_mb": rss_mb, "completed": done}


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] == "--one":
        n, folder = int(args[1]), Path(args[2])
        print(json.dumps(_one(n, folder, profile="--profile" in args)))
        return
    profile = "--profile" in args
    budget = 40.0
    if "--budget" in args:
        at = args.index("--budget")
        budget = float(args[at + 1])
        del args[at : at + 2]
    sizes = [int(a) for a in args if a.isdigit()] or [1000, 3000, 10000]
    print(f"{CALLS} model calls of {LATENCY:.0f} s per run; ideal wall {IDEAL:.1f} s; SQLite")
    print(
        f"{'runs':>6} {'wall s':>8} {'÷ ideal':>8} {'runs/s':>8} {'RSS MB':>7}"
        f" {'beyond ideal/run':>17}"
    )
    previous = 0.0
    for n in sizes:
        if previous > budget:
            print(f"{n:>6} skipped: the previous size took {previous:.0f} s (> {budget:.0f} s)")
            continue
        with tempfile.TemporaryDirectory() as folder:
            command = [sys.executable, __file__, "--one", str(n), folder]
            if profile:
                command.append("--profile")
            out = subprocess.run(command, capture_output=not profile, text=True, check=True)
            if profile:
                continue
            result = json.loads(out.stdout.strip().splitlines()[-1])
        wall = result["wall"]
        previous = wall
        extra_ms = max(0.0, wall - IDEAL) / n * 1000
        status = "" if result["completed"] == n else f"  ({result['completed']} completed!)"
        print(
            f"{n:>6} {wall:>8.2f} {wall / IDEAL:>8.2f} {n / wall:>8.0f} "
            f"{result['rss_mb']:>7.0f} {extra_ms:>14.3f} ms{status}"
        )


if __name__ == "__main__":
    main()
