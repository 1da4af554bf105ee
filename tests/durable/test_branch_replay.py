"""Replay of concurrent branches does not depend on how the event loop schedules them.

A new step waits until every other branch is at rest (finished, suspended, or
itself waiting to run a new step) before the journal judges it. Each case here
runs a gather whose branches await non-step work (``asyncio.sleep``,
``asyncio.to_thread`` of pure code) before their steps, suspends one branch on a
token mid-way, so that the journal holds only part of the gather, and resumes
under another random schedule.
"""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest

from agentkit import AgentKit, Context, NonDeterminismError, RunFailedError
from agentkit.store import InMemoryStore
from tests.durable.conftest import drain

BRANCHES = 4
STEPS_PER_BRANCH = 3
SCHEDULES = 200


def pure(n: int) -> int:
    return sum(range(n))


def build(rename_on_resume: bool = False) -> tuple[AgentKit, list[tuple[int, int]], object]:
    """A kit with one fan-out function; returns the kit, the step-body ledger and the function."""
    kit = AgentKit(store=InMemoryStore())
    executions = itertools.count()
    ledger: list[tuple[int, int]] = []

    def work(i: int, j: int) -> str:
        ledger.append((i, j))
        return f"{i}.{j}"

    @kit.function()
    async def fan(ctx: Context, seed: int) -> list[str]:
        execution = next(executions)
        # The schedule differs between executions on purpose; the step path does not.
        rng = random.Random(f"{seed}/{execution}")

        async def pause() -> None:
            choice = rng.randrange(3)
            if choice == 1:
                await asyncio.sleep(rng.random() * 0.002)
            elif choice == 2:
                await asyncio.to_thread(pure, 1000)

        async def branch(i: int) -> str:
            done = []
            for j in range(STEPS_PER_BRANCH):
                await pause()
                step_id = f"b{i}"
                if rename_on_resume and execution > 0 and i == 0 and j == 0:
                    step_id = "renamed"
                done.append(await ctx.step.run(step_id, work, i, j))
                if i == 0 and j == 0:
                    await ctx.step.wait_for_token("gate", timeout=60)
            return ",".join(done)

        return list(await asyncio.gather(*(branch(i) for i in range(BRANCHES))))

    return kit, ledger, fan


async def test_randomized_schedules_replay_without_a_false_divergence() -> None:
    expected = [",".join(f"{i}.{j}" for j in range(STEPS_PER_BRANCH)) for i in range(BRANCHES)]
    partial_journals = 0
    for seed in range(SCHEDULES):
        kit, ledger, fan = build()
        handle = await kit.start(fan, seed=seed)  # type: ignore[call-overload]
        await drain(kit)
        journaled_before_resume = len(kit.journal(handle.id))
        (token,) = kit.list_tokens()
        kit.complete_token(token.token, None)
        await drain(kit)
        assert handle.status() == "completed", (seed, kit.get_run(handle.id).record().error)
        assert await handle.result() == expected
        # Every step body ran exactly once: nothing journaled was run again.
        assert sorted(ledger) == [(i, j) for i in range(BRANCHES) for j in range(STEPS_PER_BRANCH)]
        # BRANCHES * STEPS_PER_BRANCH steps and the token wait: the first execution
        # stopped with part of the gather unjournaled, so the resume replayed a mix.
        partial_journals += journaled_before_resume < BRANCHES * STEPS_PER_BRANCH + 1
        kit.close()
    assert partial_journals == SCHEDULES


@pytest.mark.parametrize("seed", range(20))
async def test_a_real_divergence_in_the_same_shape_is_reported_before_any_side_effect(
    seed: int,
) -> None:
    kit, ledger, fan = build(rename_on_resume=True)
    handle = await kit.start(fan, seed=seed)  # type: ignore[call-overload]
    await drain(kit)
    journaled = {entry.key for entry in kit.journal(handle.id)}
    ran_before_resume = list(ledger)
    (token,) = kit.list_tokens()
    kit.complete_token(token.token, None)
    await drain(kit)
    assert handle.status() == "failed"
    with pytest.raises(RunFailedError) as failed:
        await handle.result()
    assert failed.value.error_type == NonDeterminismError.__name__
    # The branch created first among those parked before a new step is named, in
    # every schedule: branch 0, whose first step was renamed.
    assert failed.value.error_message == (
        f"run {handle.id!r} is not deterministic: the journal has step 'b0' (run) next, "
        "but the code asked for new step 'renamed' (run) instead"
    )
    # The renamed step never ran, and no step the journal lacked ran either.
    assert ledger[len(ran_before_resume) :] == []
    assert "b0" in journaled  # journaled before the gate in every schedule
    kit.close()
