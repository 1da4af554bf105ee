"""One worker process of the shared-rate-limit test: calls as fast as the limit lets it.

Usage: ``python -m tests.models.shared_rate_worker URL NAME RPM CONCURRENCY WINDOW
SECONDS TASKS LATENCY`` (0 for no RPM or concurrency limit). Prints ``ready``,
waits for a line on stdin, makes calls from TASKS concurrent tasks for
SECONDS, then prints one JSON line: ``[[granted_at, started, ended], ...]``.
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


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
