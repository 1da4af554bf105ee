"""``python -m evals.tau_bench``: import the 200 runs, replay them offline, score, compare."""

from __future__ import annotations

import asyncio
import time

from agentkit import AgentKit
from agentkit.store import InMemoryStore
from evals.tau_bench import (
    confusion,
    import_runs,
    load_trajectories,
    register,
    replay_all,
    score,
    score_task,
)


async def main() -> None:
    kit = AgentKit(store=InMemoryStore())
    runs = await import_runs(kit, load_trajectories())
    register(kit)
    started = time.perf_counter()
    reports = await replay_all(kit, runs)
    seconds = time.perf_counter() - started
    counts = {s: sum(r.count(s) for r in reports) for s in ("same", "changed", "new", "missing")}
    print(
        f"replayed {len(reports)} runs offline in {seconds:.2f} s "
        f"({1000 * seconds / len(reports):.1f} ms/run); steps: {counts}"
    )
    for title, scorer in (("write calls", score), ("write calls and outputs", score_task)):
        verdicts = [scorer(r.output, run) for r, run in zip(reports, runs, strict=True)]
        matrix = confusion(runs, verdicts)
        print(f"\n{title}:        reward 1   reward 0")
        print(
            f"scorer passes    {matrix['pass_and_reward_1']:>8}   {matrix['pass_and_reward_0']:>8}"
        )
        print(
            f"scorer fails     {matrix['fail_and_reward_1']:>8}   {matrix['fail_and_reward_0']:>8}"
        )
        agree = matrix["pass_and_reward_1"] + matrix["fail_and_reward_0"]
        print(f"agreement: {agree}/{len(runs)}")


if __name__ == "__main__":
    asyncio.run(main())
