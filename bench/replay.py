"""Replay throughput on the τ-bench airline recordings (200 real gpt-4o runs).

Imports the 200 trajectories as recorded runs (in memory), then replays them
all with the current agent code, hermetically, and prints runs/s, steps/s and
ms per run, plus the same for the import (which executes the agent against the
played-back log).

    .venv/bin/python bench/replay.py [N]      # N runs (default 200)
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from agentkit import AgentKit
from agentkit.store import InMemoryStore

# The project's suites (evals/) are not installed: run from any folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from evals.tau_bench import import_runs, load_trajectories, register, replay_all


async def main(count: int) -> None:
    kit = AgentKit(store=InMemoryStore())
    trajectories = load_trajectories()[:count]
    started = time.perf_counter()
    runs = await import_runs(kit, trajectories)
    imported = time.perf_counter() - started
    register(kit)
    started = time.perf_counter()
    reports = await replay_all(kit, runs)
    replayed = time.perf_counter() - started
    steps = sum(len(r.steps) for r in reports)
    diverged = sum(r.diverged for r in reports)
    print(f"import: {len(runs)} runs in {imported:.2f} s ({len(runs) / imported:.1f} runs/s)")
    print(
        f"replay: {len(reports)} runs, {steps} steps in {replayed:.2f} s: "
        f"{len(reports) / replayed:.1f} runs/s, {steps / replayed:.0f} steps/s, "
        f"{1000 * replayed / len(reports):.1f} ms/run; {diverged} diverged"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
