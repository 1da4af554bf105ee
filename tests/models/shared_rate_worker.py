"""One worker process of the shared-rate-limit test: calls as fast as the limit lets it.

Usage: ``python -m tests.models.shared_rate_worker URL NAME RPM CONCURRENCY WINDOW
SECONDS TASKS LATENCY`` (0 for no RPM or concurrency limit). Prints ``ready``,
waits for a line on stdin, makes calls from TASKS concurrent tasks for
SECONDS, then prints one JSON line: ``[[granted_at, started, ended], ...]``.

``python -m tests.models.shared_rate_worker hold URL NAME CONCURRENCY LEASE``
takes every slot of the limit, prints the last grant time and waits to be killed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from agentkit.models import SharedRateLimit
from agentkit.store import SQLStore


async def main(argv: list[str]) -> None:
    url, name, rpm, concurrency, window, seconds, tasks, latency = argv
    store = SQLStore(url)
    limit = SharedRateLimit(
        store,
        name,
        rpm=int(rpm) or None,
        max_concurrency=int(concurrency) or None,
        window=float(window),
        poll=0.01,
    )
    calls: list[tuple[float, float, float]] = []
    print("ready", flush=True)
    sys.stdin.readline()
    stop = time.time() + float(seconds)

    async def caller() -> None:
        while time.time() < stop:
            permit = await limit.acquire(1)
            started = time.time()
            await asyncio.sleep(float(latency))
            ended = time.time()
            permit.release()
            calls.append((getattr(permit, "granted_at", 0.0), started, ended))

    await asyncio.gather(*(caller() for _ in range(int(tasks))))
    store.close()
    print(json.dumps(calls), flush=True)


async def hold(argv: list[str]) -> None:
    url, name, concurrency, lease = argv
    limit = SharedRateLimit(
        SQLStore(url), name, max_concurrency=int(concurrency), lease=float(lease)
    )
    permits = [await limit.acquire(1) for _ in range(int(concurrency))]
    print(json.dumps(max(getattr(p, "granted_at", 0.0) for p in permits)), flush=True)
    await asyncio.sleep(3600)  # a call that never ends: the test SIGKILLs this process


if __name__ == "__main__":
    if sys.argv[1] == "hold":
        asyncio.run(hold(sys.argv[2:]))
    else:
        asyncio.run(main(sys.argv[1:]))
