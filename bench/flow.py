"""Overhead of flow control: a concurrency-keyed start and claim against a plain one.

Starts N runs of a plain function and N of one with
``Concurrency(limit, key="input.user")`` (one key per 10 runs, a limit high
enough that no run waits), then claims them all in batches as a worker does,
on a SQLite file. Prints the time per run of each phase and the ratios.
Runs in a few seconds: ``python bench/flow.py [N]``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time

from agentkit import AgentKit, Concurrency, Context

BATCH = 100  # runs claimed per claim, as a busy worker asks


def measure(keyed: bool, runs: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        kit = AgentKit(f"sqlite:///{folder}/bench.db")
        options = {"concurrency": Concurrency(1000, key="input.user")} if keyed else {}

        @kit.function(id="job", **options)  # type: ignore[arg-type]  # the options as given
        async def job(ctx: Context, user: str) -> None:
            return None

        async def start_all() -> None:
            for n in range(runs):
                await kit.start(job, user=f"u{n // 10}")

        began = time.perf_counter()
        asyncio.run(start_all())
        started = time.perf_counter() - began
        claimed = 0
        began = time.perf_counter()
        while claimed < runs:
            now = time.time()
            got = kit.store.claim_due_runs("bench", now, now + 60, BATCH, function_ids=["job"])
            assert got, "every run is due"
            claimed += len(got)
        claiming = time.perf_counter() - began
        kit.close()
    return started / runs, claiming / runs


def main(runs: int) -> None:
    plain_start, plain_claim = measure(False, runs)
    keyed_start, keyed_claim = measure(True, runs)
    print(f"{runs} runs on SQLite, claimed {BATCH} at a time")
    print(
        f"start  plain {plain_start * 1e6:7.0f} us/run  keyed {keyed_start * 1e6:7.0f} us/run  "
        f"ratio {keyed_start / plain_start:.2f}"
    )
    print(
        f"claim  plain {plain_claim * 1e6:7.0f} us/run  keyed {keyed_claim * 1e6:7.0f} us/run  "
        f"ratio {keyed_claim / plain_claim:.2f}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
