"""What parked runs cost: 10,000 runs waiting on tokens, in one process, on SQLite.

Each run makes one durable step, then waits for a token. It prints:

  - the wall time to park them all (start, claim, one step, the wait + token
    written, the run suspended), and runs parked per second;
  - RSS growth per parked run once they are all parked, and the Python memory
    blocks still allocated per parked run (a waiting run holds no task and no
    memory in the worker: the blocks figure should be ≈ 0);
  - database bytes per parked run (SQLite file + WAL, after a checkpoint);
  - then the time to complete every token and run every run to its end.

    python bench/parked.py          # 10000 runs
    python bench/parked.py 2000
"""

from __future__ import annotations

import asyncio
import gc
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agentkit import AgentKit, Context  # noqa: E402  (path set up above for a checkout run)


def _rss_kb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() // 1024


def _db_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("parked.db*"))


async def main(n: int, folder: Path) -> None:
    kit = AgentKit(f"sqlite:///{folder}/parked.db")

    @kit.function(id="approval")
    async def approval(ctx: Context, i: int) -> int:
        await ctx.step.run("prepare", lambda: i)
        token = await ctx.step.create_token("approve")
        answer = await ctx.step.wait_for_token(token)
        return int(answer) + i

    gc.collect()
    rss_before, blocks_before = _rss_kb(), sys.getallocatedblocks()
    started = time.perf_counter()
    await kit.start_many(approval, [{"i": i} for i in range(n)])
    await kit.worker(stop_when_idle=True, poll_interval=0.05)
    parked = time.perf_counter() - started
    gc.collect()
    rss_after, blocks_after = _rss_kb(), sys.getallocatedblocks()
    waiting = len(kit.store.list_runs(status="waiting", limit=n + 1))
    checkpoint = sqlite3.connect(folder / "parked.db", isolation_level=None)
    checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    checkpoint.close()
    db = _db_bytes(folder)
    print(f"parked {waiting}/{n} runs in {parked:.2f} s ({n / parked:.0f} runs/s)")
    print(
        f"once parked: RSS growth {(rss_after - rss_before) * 1024 / n:.0f} bytes per run "
        "(the high-water mark of the runs in flight: freed memory stays with the process), "
        f"Python objects still allocated {(blocks_after - blocks_before) / n:.2f} blocks per run"
    )
    print(f"database: {db / n:.0f} bytes per parked run ({db / 1e6:.1f} MB)")

    tokens = kit.list_tokens(status="pending", limit=n + 1)
    started = time.perf_counter()
    for token in tokens:
        kit.complete_token(token.token, 1)
    answered = time.perf_counter() - started
    await kit.worker(stop_when_idle=True, poll_interval=0.05)
    resumed = time.perf_counter() - started
    done = len(kit.store.list_runs(status="completed", limit=n + 1))
    print(
        f"completed {len(tokens)} tokens in {answered:.2f} s; "
        f"{done} runs resumed to their end in {resumed:.2f} s"
    )
    kit.close()


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(main(size, Path(tmp)))
