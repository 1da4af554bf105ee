"""The worker process ``agentkit demo`` starts and kills.

``python -m agentkit.cli._demo_worker RUN_ID`` (with the demo's environment)
prints ``ready``, drives the run to its end and prints ``finished ...``. It is
a module of its own so that the package never imports it before ``-m`` runs it.
"""

from __future__ import annotations

import asyncio
import os
import sys

from agentkit.cli._demo_app import build_kit


async def _work(run_id: str) -> None:
    kit = build_kit(os.environ["AGENTKIT_DEMO_DATABASE_URL"])
    print("ready", flush=True)
    result = await kit.drive(kit.get_run(run_id), poll_interval=0.05)
    print(f"finished {len(result)} notes", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m agentkit.cli._demo_worker RUN_ID")
    asyncio.run(_work(sys.argv[1]))
