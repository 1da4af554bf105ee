"""The SSE run-list stream under load: 200 subscribers while 1,000 runs execute.

A server process (the HTTP API and a worker, as ``agentkit dev`` runs them, on
a SQLite file) executes 1,000 runs of two steps each; this process holds 200
concurrent ``GET /api/stream/runs`` connections over loopback and times each
``completed`` event from the run's ``updated_at`` to its arrival. Prints the
delivery latency (p50/p95/max), how many events arrived, and the server's
memory (RSS before the subscribers, peak). Takes ~30 s on 2 cores:
``python bench/sse_load.py [SUBSCRIBERS] [RUNS]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def _server(database_url: str, runs: int) -> None:
    """The server process: API + worker; prints its URL, then starts the runs on stdin."""
    import uvicorn

    from agentkit import AgentKit, Context
    from agentkit.server import Feed, create_app

    kit = AgentKit(database_url)

    @kit.function()
    async def job(ctx: Context, n: int) -> int:
        a = await ctx.step.run("a", lambda: n)
        return await ctx.step.run("b", lambda: a + 1)

    async def main() -> None:
        feed = Feed(kit, list_limit=runs)
        app = create_app(kit, api_key="bench-key-0123456789abcdef", feed=feed)
        config = uvicorn.Config(app, port=0, log_level="warning", timeout_graceful_shutdown=1)
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn's only signal
            await asyncio.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        print(f"http://127.0.0.1:{port}", flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # the subscribers are connected
        await kit.start_many(job, [{"n": i} for i in range(runs)])
        worker = asyncio.create_task(feed.run_worker(concurrency=100))
        await asyncio.to_thread(sys.stdin.readline)  # done
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        server.should_exit = True
        await serving

    asyncio.run(main())


def _rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


async def _subscribe(
    client: httpx.AsyncClient, url: str, runs: int, latencies: list[float], ready: asyncio.Event
) -> int:
    completed = 0
    async with client.stream("GET", url + "/api/stream/runs") as response:
        ready.set()
        rest = b""
        async for chunk in response.aiter_bytes():
            # Cheap on this side: only the complete lines with "status":"completed" are parsed.
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            now = time.time()
            for line in lines:
                if line.startswith(b"data: ") and b'"status":"completed"' in line:
                    latencies.append(now - json.loads(line[6:])["updated_at"])
                    completed += 1
                    if completed == runs:
                        return completed
    return completed


async def _load(url: str, server: subprocess.Popen[str], subscribers: int, runs: int) -> None:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=subscribers + 10)
    async with httpx.AsyncClient(timeout=None, limits=limits) as client:
        readies = [asyncio.Event() for _ in range(subscribers)]
        tasks = [
            asyncio.create_task(_subscribe(client, url, runs, latencies, ready))
            for ready in readies
        ]
        await asyncio.gather(*(ready.wait() for ready in readies))
        before = _rss_kib(server.pid, "VmRSS")
        assert server.stdin is not None
        server.stdin.write("go\n")
        server.stdin.flush()
        started = time.perf_counter()
        done, pending = await asyncio.wait(tasks, timeout=60)
        elapsed = time.perf_counter() - started
        peak = _rss_kib(server.pid, "VmHWM")
        delivered = sum(task.result() for task in done)
        server.stdin.write("stop\n")  # the server goes first: no writes to closed sockets
        server.stdin.flush()
        await asyncio.to_thread(server.wait, 30)
        for task in pending:
            task.cancel()
    latencies.sort()
    p50 = statistics.median(latencies) if latencies else float("nan")
    p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else float("nan")
    print(f"{subscribers} subscribers x {runs} runs in {elapsed:.1f} s")
    print(f"delivered {delivered} of {subscribers * runs} 'completed' events")
    print(
        f"delivery latency: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms (poll interval 250 ms)"
    )
    print(
        f"server memory: {before / 1024:.0f} MiB with the subscribers connected, "
        f"peak {peak / 1024:.0f} MiB"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        _server(sys.argv[2], int(sys.argv[3]))
        return
    subscribers = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{folder}/sse.db"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        command = [sys.executable, __file__, "--serve", database_url, str(runs)]
        with subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        ) as server:
            assert server.stdout is not None
            url = server.stdout.readline().strip()
            asyncio.run(_load(url, server, subscribers, runs))
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
