"""Wake-ups across processes: PostgreSQL ``LISTEN/NOTIFY``, polling as the fallback.

The worker here polls once an hour, so a run another kit (another connection,
as another process would have) makes due is only picked up if the store's
notification reaches it. SQLite and the in-memory store cannot tell: their
workers poll.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from agentkit import AgentKit, Context
from agentkit.store import SQLStore
from tests.conftest import POSTGRES_URL, make_store
from tests.killing import deadline

HOUR = 3600.0


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_stores_that_cannot_tell_leave_the_worker_polling(kind: str, tmp_path: Path) -> None:
    store = make_store(kind, tmp_path)
    try:
        assert store.watch_due(lambda: None) is None
    finally:
        store.close()


def register(kit: AgentKit) -> None:
    @kit.function(id="asks")
    async def asks(ctx: Context) -> Any:
        return await ctx.step.wait_for_token("answer")

    @kit.function(id="listens")
    async def listens(ctx: Context) -> Any:
        return await ctx.step.wait_for_event("go")


@pytest.fixture
async def two_kits(tmp_path: Path) -> AsyncIterator[tuple[AgentKit, AgentKit]]:
    """A kit whose worker polls hourly, and another on its own connection."""
    working = AgentKit(store=make_store("postgres", tmp_path))
    other = AgentKit(store=SQLStore(POSTGRES_URL or ""))
    register(working)
    register(other)
    yield working, other
    working.close()
    other.close()


async def _until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(deadline(30)):
        while not check():  # noqa: ASYNC110 - the state is in the database, not an Event
            await asyncio.sleep(0.01)


async def test_runs_made_due_by_another_connection_wake_the_worker_at_once(
    two_kits: tuple[AgentKit, AgentKit],
) -> None:
    working, other = two_kits
    worker = asyncio.create_task(working.worker(poll_interval=HOUR))
    try:
        # Started elsewhere: only the notification tells the worker.
        asked = await other.start(other.functions["asks"])
        await _until(lambda: bool(asked.tokens()))
        [token] = asked.tokens()
        other.complete_token(token.token, "yes")
        assert await asked.result(timeout=deadline(30), poll_interval=0.01) == "yes"

        listening = await other.start(other.functions["listens"])
        await _until(lambda: listening.status() == "waiting")
        assert await other.send_event("go", {"n": 1}) == [listening.id]
        event = await listening.result(timeout=deadline(30), poll_interval=0.01)
        assert event["data"] == {"n": 1}
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    listeners = [t for t in threading.enumerate() if t.name == "agentkit-listen"]
    assert listeners == [], "a stopped worker stops listening"


async def test_a_listener_whose_connection_dies_reconnects_and_wakes_the_worker(
    two_kits: tuple[AgentKit, AgentKit],
) -> None:
    working, other = two_kits
    worker = asyncio.create_task(working.worker(poll_interval=HOUR))
    try:
        asked = await other.start(other.functions["asks"])
        await _until(lambda: bool(asked.tokens()))
        assert isinstance(other.store, SQLStore)
        with other.store._engine.begin() as conn:
            ended = conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query = 'LISTEN agentkit_due' "
                "AND pid <> pg_backend_pid()"
            ).all()
        assert ended == [(True,)], "the worker's one listening connection was cut"
        [token] = asked.tokens()
        other.complete_token(token.token, "still here")
        assert await asked.result(timeout=deadline(30), poll_interval=0.01) == "still here"
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
