"""The worker process ``agentkit demo`` starts (and kills).

``python -m agentkit.cli._demo_worker RUN_ID`` (with the demo's environment)
prints ``ready``, executes the run until it waits or ends, then prints its
status. It is a module of its own so that the package never imports it before
``-m`` runs it.
"""

from __future__ import annotations

import asyncio
import os
import sys

from agentkit.cli._demo_app import build_kit
from agentkit.durable import Worker

_RESTING = ("waiting", "completed", "failed", "cancelled")


async def _work(run_id: str) -> None:
    kit, _ = build_kit(
        os.environ["AGENTKIT_DEMO_DATABASE_URL"], os.environ.get("AGENTKIT_DEMO_LIVE") == "1"
    )
    handle = kit.get_run(run_id)
    print("ready", flush=True)
    # The parent prints the approval prompt and its command itself.
    worker = Worker(kit, poll_interval=0.05, root_run_id=run_id, announce_waits=False)
    await worker.run(until=lambda: handle.status() in _RESTING)
    print(f"status {handle.status()}", flush=True)
    kit.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m agentkit.cli._demo_worker RUN_ID")
    asyncio.run(_work(sys.argv[1]))
