"""Live feeds for the HTTP API: run-list changes, one run's steps, model deltas.

The store is the only source of truth and other processes write to it too, so
changes are found by polling it, once per interval for every subscriber
together: one poller for the run list, one per watched run. Model token
deltas exist only in the process that makes the call; a worker started by
``agentkit dev`` runs its worker through `Feed.run_worker`, which sends them here.

`diff_runs` and `diff_steps` are the pure halves: what changed between two
looks at the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agentkit._redact import scrub_any
from agentkit.durable import AgentKit
from agentkit.server._views import run_cost, run_row, run_summary, step_view
from agentkit.store import RunRecord, StepRecord

__all__ = ["Feed", "FeedEvent", "diff_runs", "diff_steps"]

logger = logging.getLogger("agentkit.server")

#: How many events a subscriber may fall behind by; a client slower than that
#: misses events (the run list reloads the run it next hears of).
QUEUE_SIZE = 20_000
#: Events sent to a client in one write, at most.
MAX_BATCH = 500


@dataclass(frozen=True)
class FeedEvent:
    """One server-sent event: its name and its JSON data."""

    event: str
    data: dict[str, Any]

    @functools.cached_property
    def frame(self) -> str:
        """The event in the text/event-stream format, secrets scrubbed; built once
        however many subscribers receive it."""
        data = json.dumps(scrub_any(self.data), separators=(",", ":"))
        return f"event: {self.event}\ndata: {data}\n\n"


RunMark = tuple[str, float]
StepMark = tuple[str, int, float | None]


def diff_runs(
    before: dict[str, RunMark], runs: list[RunRecord]
) -> tuple[dict[str, RunMark], list[RunRecord]]:
    """The runs that are new or changed since ``before``, and the marks of now."""
    now: dict[str, RunMark] = {run.id: (run.status, run.updated_at) for run in runs}
    changed = [run for run in runs if before.get(run.id) != now[run.id]]
    return now, changed


def diff_steps(
    before: dict[str, StepMark], steps: list[StepRecord]
) -> tuple[dict[str, StepMark], list[StepRecord]]:
    """The journal entries that are new or changed since ``before``, and the marks of now."""
    now: dict[str, StepMark] = {s.key: (s.status, s.attempts, s.ended_at) for s in steps}
    changed = [step for step in steps if before.get(step.key) != now[step.key]]
    return now, changed


@dataclass
class _Topic:
    queues: set[asyncio.Queue[FeedEvent | None]] = field(default_factory=set)
    task: asyncio.Task[None] | None = None


class Feed:
    """Polls the kit's store for changes and fans them out to SSE subscribers.

    Args:
        kit: The kit whose store is watched.
        interval: Seconds between looks at the store.
        list_limit: How many of the newest runs the run-list feed watches.
    """

    def __init__(self, kit: AgentKit, *, interval: float = 0.25, list_limit: int = 200) -> None:
        self.kit = kit
        self.interval = interval
        self.list_limit = list_limit
        self._topics: dict[str, _Topic] = {}

    # -- subscribing ------------------------------------------------------------

    def subscribers(self, run_id: str | None = None) -> int:
        """How many clients watch the run list (or, with ``run_id``, that run) now."""
        topic = self._topics.get("runs" if run_id is None else f"run:{run_id}")
        return 0 if topic is None else len(topic.queues)

    async def runs(self) -> AsyncIterator[FeedEvent]:
        """Every new or changed run (the newest ``list_limit``), until the client leaves."""
        async for batch in self.runs_batches():
            for event in batch:
                yield event

    async def run(self, run_id: str) -> AsyncIterator[FeedEvent]:
        """One run: a ``snapshot`` (run and journal), then its steps and status changes
        and model deltas as they come; ends with ``end`` when the run ends."""
        async for batch in self.run_batches(run_id):
            for event in batch:
                yield event

    def runs_batches(self) -> AsyncIterator[list[FeedEvent]]:
        """`runs`, in batches of the events that were waiting (one write per batch)."""
        return self._subscribe("runs", self._poll_runs)

    async def run_batches(self, run_id: str) -> AsyncIterator[list[FeedEvent]]:
        """`run`, in batches of the events that were waiting."""

        async def poll(topic: _Topic) -> None:
            await self._poll_run(run_id, topic)

        async def snapshot() -> FeedEvent:
            return await asyncio.to_thread(self._snapshot, run_id)

        async for batch in self._subscribe(f"run:{run_id}", poll, snapshot):
            yield batch
            if batch[-1].event == "end":
                return

    def _snapshot(self, run_id: str) -> FeedEvent:
        run = self.kit.store.get_run(run_id)
        steps = self.kit.store.load_journal(run_id)
        return FeedEvent(
            "snapshot",
            {
                "run": None if run is None else run_summary(self.kit, run),
                "steps": [step_view(step) for step in steps],
            },
        )

    async def _subscribe(
        self,
        name: str,
        poll: Callable[[_Topic], Any],
        first: Callable[[], Awaitable[FeedEvent]] | None = None,
    ) -> AsyncIterator[list[FeedEvent]]:
        topic = self._topics.setdefault(name, _Topic())
        queue: asyncio.Queue[FeedEvent | None] = asyncio.Queue(QUEUE_SIZE)
        topic.queues.add(queue)
        if topic.task is None or topic.task.done():
            topic.task = asyncio.create_task(self._guard(poll, topic), name=f"agentkit-feed-{name}")
        try:
            if first is not None:  # after subscribing: a change may repeat, none is lost
                yield [await first()]
            while True:
                batch = [await queue.get()]
                while not queue.empty() and len(batch) < MAX_BATCH:
                    batch.append(queue.get_nowait())
                events = [event for event in batch if event is not None]
                if events:
                    yield events
                if None in batch:
                    return
        finally:
            topic.queues.discard(queue)
            if not topic.queues and topic.task is not None:
                topic.task.cancel()
                self._topics.pop(name, None)

    async def _guard(self, poll: Callable[[_Topic], Any], topic: _Topic) -> None:
        """Run a poller; if the store fails it, its streams end instead of hanging."""
        try:
            await poll(topic)
        except Exception:
            logger.exception("agentkit: a live feed stopped: its streams end")
            self._publish(topic, None)

    def _publish(self, topic: _Topic, event: FeedEvent | None) -> None:
        for queue in list(topic.queues):
            with contextlib.suppress(asyncio.QueueFull):  # a stalled client misses events
                queue.put_nowait(event)

    # -- polling ----------------------------------------------------------------

    async def _poll_runs(self, topic: _Topic) -> None:
        marks: dict[str, RunMark] = {}
        # A run's cost is read once it has ended (one query per run, not per change);
        # before that the list says None and the run's page has the live figure.
        costs: dict[str, float] = {}

        def cost(run: RunRecord) -> float | None:
            if not run.is_terminal:
                return None
            if run.id not in costs:
                costs[run.id] = run_cost(self.kit, run.id)
            return costs[run.id]

        def look() -> list[FeedEvent]:  # in a thread: the store is blocking I/O
            nonlocal marks
            runs = self.kit.store.list_runs(limit=self.list_limit)
            marks, changed = diff_runs(marks, runs)
            for gone in costs.keys() - marks.keys():
                del costs[gone]
            return [FeedEvent("run", run_row(run, cost(run))) for run in reversed(changed)]

        while True:
            for event in await asyncio.to_thread(look):  # oldest first
                self._publish(topic, event)
            await asyncio.sleep(self.interval)

    async def _poll_run(self, run_id: str, topic: _Topic) -> None:
        marks: dict[str, StepMark] = {}
        status = ""
        store = self.kit.store

        def look() -> tuple[RunRecord | None, list[FeedEvent]]:  # in a thread
            nonlocal marks, status
            run = store.get_run(run_id)
            steps = store.load_journal(run_id)
            marks, changed = diff_steps(marks, steps)
            events = [FeedEvent("step", step_view(step)) for step in changed]
            if run is not None and run.status != status:
                status = run.status
                events.append(FeedEvent("status", run_summary(self.kit, run)))
            return run, events

        while True:
            run, events = await asyncio.to_thread(look)
            for event in events:
                self._publish(topic, event)
            if run is None or run.is_terminal:
                self._publish(topic, FeedEvent("end", {"run_id": run_id, "status": status}))
                self._publish(topic, None)
                return
            await asyncio.sleep(self.interval)

    # -- model deltas -----------------------------------------------------------

    async def run_worker(self, **options: Any) -> None:
        """``kit.worker(**options)`` here, with every model call streaming its deltas to
        this feed (``delta`` events of the run's stream)."""
        from agentkit.agents._stream import reset_stream, use_stream
        from agentkit.server._deltas import delta_forwarder

        token = use_stream(delta_forwarder(self))
        try:
            # The worker's tasks copy this context, the stream callback with it.
            worker = asyncio.create_task(self.kit.worker(**options))
        finally:
            reset_stream(token)
        await worker

    def publish_delta(self, run_id: str, step_key: str, delta: dict[str, Any]) -> None:
        """Send one streamed piece of a model call to the run's subscribers."""
        topic = self._topics.get(f"run:{run_id}")
        if topic is not None:
            data = {"run_id": run_id, "step_key": step_key, **delta}
            self._publish(topic, FeedEvent("delta", data))
