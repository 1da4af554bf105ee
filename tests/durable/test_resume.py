"""`AgentKit.resume`: a failed run continues from its failed step once the cause is fixed."""

from __future__ import annotations

import json

import pytest

from agentkit import (
    AgentKit,
    Context,
    NonRetriableError,
    RunFailedError,
    RunNotFound,
    StepFailed,
    UsageError,
)
from agentkit.models import Message, ModelRequest, ScriptedModel
from tests.durable.conftest import drain


class Outage:
    """A dependency that is down until the test fixes it; counts every call."""

    def __init__(self) -> None:
        self.down = True
        self.calls = 0

    def __call__(self, what: str) -> str:
        self.calls += 1
        if self.down:
            raise NonRetriableError(f"{what}: service unavailable")
        return f"{what} ok"


async def test_resume_reruns_only_the_failed_step(kit: AgentKit) -> None:
    model = ScriptedModel(["draft"])
    publish = Outage()

    @kit.function(retries=0)
    async def post(ctx: Context, topic: str) -> str:
        reply = await ctx.step.infer("write", model, ModelRequest(messages=[Message.user(topic)]))
        return await ctx.step.run("publish", publish, reply.text)

    handle = await kit.start(post, topic="leases")
    await drain(kit)
    with pytest.raises(RunFailedError):
        await handle.result()
    error = json.loads(handle.record().error or "")
    assert (error["type"], error["step"]) == ("StepFailed", "publish")

    publish.down = False  # the cause is fixed
    resumed = kit.resume(handle.id)
    assert (resumed.id, resumed.status()) == (handle.id, "queued")
    await drain(kit)
    assert await handle.result() == "draft ok"
    assert len(model.requests) == 1  # the model call was not paid again
    assert publish.calls == 2
    assert [(s.key, s.status) for s in kit.journal(handle.id)] == [
        ("write", "completed"),
        ("publish", "completed"),
    ]
    assert handle.record().executions == 2


async def test_a_step_failure_the_function_handled_is_kept(kit: AgentKit) -> None:
    optional, required = Outage(), Outage()

    @kit.function(retries=0)
    async def tolerant(ctx: Context) -> str:
        try:
            extra = await ctx.step.run("optional", optional, "extra")
        except StepFailed:
            extra = "none"
        return extra + " / " + await ctx.step.run("required", required, "main")

    handle = await kit.start(tolerant)
    await drain(kit)
    optional.down = required.down = False
    kit.resume(handle.id)
    await drain(kit)
    # "optional" failed too, but the function handled it: it stays failed, not re-run.
    assert await handle.result() == "none / main ok"
    assert (optional.calls, required.calls) == (1, 2)


async def test_resume_of_a_parent_resumes_its_failed_child(kit: AgentKit) -> None:
    charge, ship = Outage(), Outage()
    charge.down = False

    @kit.function(id="fulfil", retries=0)
    async def fulfil(ctx: Context, order: str) -> str:
        await ctx.step.run("charge", charge, order)
        return await ctx.step.run("ship", ship, order)

    @kit.function(id="order", retries=0)
    async def order(ctx: Context) -> str:
        return await ctx.step.invoke("fulfil", fulfil, order="o-1")

    handle = await kit.start(order)
    await drain(kit)
    assert handle.status() == "failed"
    [child] = kit.list_runs(function_id="fulfil")
    assert child.status == "failed"

    ship.down = False
    kit.resume(handle.id)
    await drain(kit)
    assert await handle.result() == "o-1 ok"
    assert (charge.calls, ship.calls) == (1, 2)  # the child's completed step was kept
    assert [r.id for r in kit.list_runs(function_id="fulfil")] == [child.id]
    assert kit.get_run(child.id).status() == "completed"


async def test_a_run_that_failed_outside_a_step_replays(kit: AgentKit) -> None:
    search = Outage()
    search.down = False
    bug = {"present": True}

    @kit.function()
    async def buggy(ctx: Context) -> str:
        found = await ctx.step.run("search", search, "q")
        if bug["present"]:
            raise KeyError("results")
        return found

    handle = await kit.start(buggy)
    await drain(kit)
    assert json.loads(handle.record().error or "")["type"] == "KeyError"
    bug["present"] = False  # the code is fixed
    kit.resume(handle.id)
    await drain(kit)
    assert await handle.result() == "q ok"
    assert search.calls == 1


async def test_resume_refuses_unknown_and_unfailed_runs(kit: AgentKit) -> None:
    @kit.function()
    async def fine(ctx: Context) -> int:
        return 1

    handle = await kit.start(fine)
    with pytest.raises(UsageError) as info:
        kit.resume(handle.id)
    assert str(info.value) == (
        f"run {handle.id!r} is queued, not failed; only a failed run can be resumed"
    )
    await drain(kit)
    with pytest.raises(UsageError, match=r"is completed, not failed"):
        kit.resume(handle.id)
    with pytest.raises(RunNotFound, match="no run with id 'run_nope'"):
        kit.resume("run_nope")
    assert await handle.result() == 1
