"""Starting runs (issue 14): input checked before a run exists, idempotency conflicts,
start options, and ``kit.run_sync`` for scripts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agentkit import AgentKit, Context, IdempotencyConflict, RunFailedError
from agentkit.errors import UsageError
from agentkit.store import InMemoryStore
from tests.durable.conftest import drain


async def test_input_is_checked_against_the_signature_before_a_run_exists(
    kit: AgentKit,
) -> None:
    @kit.function()
    async def research(ctx: Context, topic: str, depth: int = 1) -> str:
        return topic * depth

    cases = [
        (
            {"topc": "x"},
            "bad input for durable function 'research': missing a required argument: "
            "'topic' (its parameters after ctx: topic, depth=1)",
        ),
        (
            {"topic": "x", "deep": 2},
            "bad input for durable function 'research': got an unexpected keyword argument "
            "'deep' (its parameters after ctx: topic, depth=1)",
        ),
        (
            {"topic": "x", "depth": "deep"},
            "bad input for durable function 'research': parameter 'depth' got 'deep', which "
            "fails validation (<value>: Input should be a valid integer, unable to parse "
            "string as an integer)",
        ),
    ]
    for bad, message in cases:
        with pytest.raises(UsageError) as error:
            await kit.start(research, **bad)  # type: ignore[arg-type]  # the point
        assert str(error.value) == message
    assert kit.list_runs() == []
    assert await kit.run(research, "ab", depth="2") == "abab"  # type: ignore[arg-type]


async def test_a_reused_idempotency_key_with_another_input_is_a_conflict(kit: AgentKit) -> None:
    @kit.function()
    async def charge(ctx: Context, order: str, cents: int = 100) -> int:
        return cents

    first = await kit.start(charge.options(idempotency_key="order-7"), order="o7")
    again = await kit.start(charge.options(idempotency_key="order-7"), order="o7", cents=100)
    assert again.id == first.id  # the default filled in: the same input
    with pytest.raises(IdempotencyConflict) as conflict:
        await kit.start(charge.options(idempotency_key="order-7"), order="o7", cents=999)
    error = conflict.value
    assert (error.idempotency_key, error.function_id, error.run_id) == (
        "order-7",
        "charge",
        first.id,
    )
    assert error.existing_fingerprint != error.new_fingerprint
    assert str(error) == (
        f"idempotency key 'order-7' of durable function 'charge' belongs to run {first.id!r}, "
        f"started with another input (fingerprint {error.existing_fingerprint}; this start's "
        f"input has fingerprint {error.new_fingerprint}); use another key, or "
        "on_conflict='return_existing' to get the existing run"
    )
    existing = await kit.start(
        charge.options(idempotency_key="order-7", on_conflict="return_existing"),
        order="o7",
        cents=999,
    )
    assert existing.id == first.id
    assert len(kit.list_runs()) == 1
    await drain(kit)
    assert await first.result() == 100


async def test_the_old_idempotency_keyword_still_works_with_a_deprecation_warning(
    kit: AgentKit,
) -> None:
    @kit.function()
    async def flow(ctx: Context, n: int) -> int:
        return n

    with pytest.warns(DeprecationWarning, match=r"use kit.start\(fn.options\(idempotency_key"):
        first = await kit.start(flow, n=1, idempotency_key="k")  # type: ignore[call-arg]
    second = await kit.start(flow.options(idempotency_key="k"), n=1)
    assert first.id == second.id

    @kit.function()
    async def takes_a_key(ctx: Context, idempotency_key: str) -> str:
        return idempotency_key

    # A parameter of that name is input, as it always was, and warns about nothing.
    assert await kit.run(takes_a_key, idempotency_key="mine") == "mine"


async def test_options_are_checked_and_make_a_view_of_the_same_function(kit: AgentKit) -> None:
    @kit.function()
    async def flow(ctx: Context) -> int:
        return 1

    view = flow.options(idempotency_key="k")
    assert (view.id, view.fn) == (flow.id, flow.fn)
    assert repr(flow) == "<DurableFunction 'flow'>"
    assert kit.get_function("flow") is flow
    with pytest.raises(UsageError) as bad:
        flow.options(on_conflict="ignore")  # type: ignore[arg-type]  # the point
    assert str(bad.value) == "on_conflict must be 'raise' or 'return_existing', got 'ignore'"


async def test_invoke_checks_the_child_input_too(kit: AgentKit) -> None:
    @kit.function()
    async def child(ctx: Context, n: int) -> int:
        return n * 2

    @kit.function()
    async def parent(ctx: Context) -> int:
        return await ctx.step.invoke("child", child, m=1)  # type: ignore[call-arg]

    with pytest.raises(RunFailedError) as failed:
        await kit.run(parent)
    assert failed.value.error_type == "UsageError"
    assert failed.value.error_message.startswith(
        "bad input for durable function 'child': missing a required argument: 'n'"
    )


def test_run_sync_runs_a_function_without_an_event_loop(tmp_path: Path) -> None:
    kit = AgentKit(f"sqlite:///{tmp_path}/sync.db")

    @kit.function()
    async def double(ctx: Context, n: int) -> int:
        return await ctx.step.run("double", lambda: n * 2)

    try:
        assert kit.run_sync(double, n=21) == 42
        assert kit.run_sync(double, 5) == 10  # twice in one process: a fresh loop each time
    finally:
        kit.close()


async def test_run_sync_refuses_a_running_loop_and_says_what_to_await() -> None:
    kit = AgentKit(store=InMemoryStore())

    @kit.function()
    async def flow(ctx: Context) -> int:
        return 1

    with pytest.raises(UsageError) as run_sync:
        kit.run_sync(flow)
    assert str(run_sync.value) == (
        "kit.run_sync(...) cannot run inside a running event loop (Jupyter, async code): "
        "use `await kit.run(...)` there instead"
    )
    assert kit.list_runs() == []
    assert asyncio.get_running_loop().is_running()
