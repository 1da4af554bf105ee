"""The `Store` boundary: everything the engine persists goes through it.

Stores are synchronous. The embedded SQLite store answers in tens of
microseconds, and a thread hop per call would cost more than the call; the engine
calls the store from its event loop and keeps every transaction short.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping
from typing import Any

from agentkit.store._flow_base import FlowStore
from agentkit.store._flow_rules import FlowPlan
from agentkit.store._rate_rules import RateGrant, RateLimits
from agentkit.store._records import (
    CompletionRecord,
    EventRecord,
    MemoryRecord,
    RunRecord,
    RunStatus,
    StepRecord,
    StepStatus,
    ThreadMessageRecord,
    ThreadRecord,
    TokenRecord,
    TokenStatus,
)


class Store(FlowStore, ABC):
    """Persistence for runs, their journals, tokens, events, threads and memories."""

    #: The database URL other processes open to reach this store, or None
    #: when only this process can (the in-memory store).
    url: str | None = None
    #: ``url`` with any password hidden, for messages and logs.
    safe_url: str | None = None

    # -- runs ---------------------------------------------------------------

    @abstractmethod
    def create_run(self, run: RunRecord) -> tuple[RunRecord, bool]:
        """Insert a run; return it and whether it is new.

        When another run of the same function already has the same
        ``idempotency_key``, that run is returned instead and nothing is written.
        """

    def create_runs(self, runs: list[RunRecord]) -> list[tuple[RunRecord, bool]]:
        """`create_run` for many runs; the SQL store writes them in one transaction.

        Returns, in order, each run as stored and whether it is new.
        """
        return [self.create_run(run) for run in runs]

    @abstractmethod
    def get_run(self, run_id: str) -> RunRecord | None:
        """The run with this id, or None."""

    @abstractmethod
    def set_run_traceparent(self, run_id: str, traceparent: str) -> str | None:
        """Give the run ``traceparent`` unless it has one; return the one it keeps.

        The first writer wins, so every execution of a run joins one trace.
        None when there is no such run.
        """

    @abstractmethod
    def list_runs(
        self,
        *,
        status: RunStatus | None = None,
        function_id: str | None = None,
        parent_run_id: str | None = None,
        limit: int = 50,
    ) -> list[RunRecord]:
        """Runs, newest first."""

    @abstractmethod
    def due_run_ids(
        self,
        now: float,
        limit: int,
        *,
        function_ids: Collection[str] | None = None,
        root_run_id: str | None = None,
    ) -> list[str]:
        """Ids of runs a worker could claim now (see `is_claimable`), oldest first.

        ``function_ids`` keeps to the functions this worker can execute;
        ``root_run_id`` to one run and its descendants.
        """

    @abstractmethod
    def claim_run(
        self, run_id: str, owner: str, now: float, lease_expires_at: float
    ) -> RunRecord | None:
        """Atomically take a claimable run: status running, lease to ``owner``.

        Returns the claimed run, or None when it was not claimable (another
        worker won, or it is not due).
        """

    def claim_due_runs(
        self,
        owner: str,
        now: float,
        lease_expires_at: float,
        limit: int,
        *,
        function_ids: Collection[str] | None = None,
        root_run_id: str | None = None,
    ) -> list[RunRecord]:
        """Claim up to ``limit`` due runs at once, oldest first (see `claim_run`).

        A worker calls this instead of `due_run_ids` then `claim_run` per run:
        the SQL store claims them all in one statement. This default does the
        two steps, which is right for a store that lives in one process.
        """
        claimed: list[RunRecord] = []
        for run_id in self.due_run_ids(
            now, limit, function_ids=function_ids, root_run_id=root_run_id
        ):
            run = self.claim_run(run_id, owner, now, lease_expires_at)
            if run is not None:
                claimed.append(run)
        return claimed

    @abstractmethod
    def renew_lease(self, run_id: str, owner: str, lease_expires_at: float) -> bool:
        """Extend the lease; False when ``owner`` no longer holds the run."""

    def renew_leases(
        self, run_ids: Collection[str], owner: str, lease_expires_at: float
    ) -> set[str]:
        """`renew_lease` for many runs; returns the ids whose lease ``owner`` still held.

        The SQL store renews them in one statement.
        """
        return {run_id for run_id in run_ids if self.renew_lease(run_id, owner, lease_expires_at)}

    @abstractmethod
    def suspend_run(
        self, run_id: str, owner: str, wake_at: float | None, wake_seq: int, now: float
    ) -> bool:
        """Park a running run as waiting until ``wake_at`` or a wake-up.

        Succeeds only while ``owner`` holds the lease and no wake-up arrived
        since the claim (``wake_seq`` unchanged). False means: run it again now.
        """

    @abstractmethod
    def release_run(self, run_id: str, owner: str, now: float) -> None:
        """Give the run back (queued) because this worker is shutting down."""

    @abstractmethod
    def finish_run(
        self,
        run_id: str,
        owner: str,
        status: RunStatus,
        now: float,
        *,
        output: str | None = None,
        error: str | None = None,
    ) -> bool:
        """End a run held by ``owner`` as completed or failed.

        If the run is a child, the parent's ``invoke`` step is resolved with the
        same outcome and the parent is woken, in the same transaction.
        """

    @abstractmethod
    def cancel_run(self, run_id: str, now: float) -> bool:
        """Cancel a run that has not ended, its descendants and its open tokens.

        A cancelled child resolves its parent's ``invoke`` step as failed and
        wakes the parent. Returns False if the run had already ended.
        """

    @abstractmethod
    def resume_run(self, run_id: str, now: float) -> RunRecord:
        """Queue a failed run again, from the step that failed it, in one transaction.

        The journal entry of the step whose `StepFailed` failed the run is
        removed, so that step runs again; every other entry is kept. When that
        step is an ``invoke`` whose child failed, the child is resumed the same
        way and the step waits for it again. A run that failed outside any step
        keeps its whole journal and just replays.

        Raises:
            RunNotFound: no run has this id.
            UsageError: the run is not failed (the message says its status).
        """

    # -- journal ------------------------------------------------------------

    @abstractmethod
    def load_journal(self, run_id: str) -> list[StepRecord]:
        """Every journal entry of a run, in ``seq`` order, in one query."""

    @abstractmethod
    def append_step(self, step: StepRecord, token: TokenRecord | None = None) -> StepRecord:
        """Journal a step (and the token of a token wait) in one transaction.

        If the key is already journaled (another worker got there first), the
        stored entry wins and is returned: recording is exactly-once.
        """

    async def append_step_async(
        self, step: StepRecord, token: TokenRecord | None = None
    ) -> StepRecord:
        """`append_step`, awaited: how a live step journals its outcome.

        A store may do it off the event loop, committed in one transaction with
        other callers' writes (the SQLite file store does); it returns once the
        write is committed. This default writes at once, on the loop.
        """
        return self.append_step(step, token)

    @abstractmethod
    def start_child(
        self, child: RunRecord, wait: StepRecord, plan: FlowPlan | None = None
    ) -> StepRecord:
        """Create a child run and journal the parent's ``invoke`` wait, atomically.

        The child cannot start before the wait exists, so its completion always
        finds the wait to resolve. If the wait is already journaled, nothing is
        written and the stored entry is returned. A child of a flow-controlled
        function is stored under ``plan`` like any start (concurrency slots,
        throttle, cancel_on), except that it is never debounced: its parent
        waits for this very run.
        """

    @abstractmethod
    def resolve_wait(
        self,
        run_id: str,
        key: str,
        status: StepStatus,
        now: float,
        *,
        output: str | None = None,
        error: str | None = None,
    ) -> StepRecord | None:
        """Close an open wait (timeout seen during replay); None if already closed."""

    # -- completions --------------------------------------------------------

    @abstractmethod
    def append_completion(self, completion: CompletionRecord) -> None:
        """Store one model-call attempt (success or failure)."""

    def append_completion_step(self, completion: CompletionRecord, step: StepRecord) -> StepRecord:
        """Store a successful attempt and journal the step that names it, in one transaction.

        If the step's key is already journaled (another worker got there
        first), the stored entry is kept and returned, as in `append_step`; the
        completion is stored either way (it was paid for).
        """
        self.append_completion(completion)
        return self.append_step(step)

    async def append_completion_step_async(
        self, completion: CompletionRecord, step: StepRecord
    ) -> StepRecord:
        """`append_completion_step`, awaited: the one store write of a live model call.

        A store may do it off the event loop, committed in one transaction with
        other callers' writes (the SQLite file store does); it returns once the
        write is committed. This default writes at once, on the loop.
        """
        return self.append_completion_step(completion, step)

    @abstractmethod
    def get_completion(self, completion_id: str) -> CompletionRecord | None:
        """The stored attempt, or None."""

    @abstractmethod
    def list_completions(self, run_id: str, step_key: str | None = None) -> list[CompletionRecord]:
        """A run's attempts (optionally one step's), oldest first."""

    # -- tokens -------------------------------------------------------------

    @abstractmethod
    def get_token(self, token: str) -> TokenRecord | None:
        """The token record, or None."""

    @abstractmethod
    def list_tokens(
        self, *, status: TokenStatus | None = None, run_id: str | None = None, limit: int = 100
    ) -> list[TokenRecord]:
        """Tokens, newest first."""

    @abstractmethod
    def complete_token(self, token: str, payload: str, now: float) -> TokenRecord:
        """Complete a pending token: resolve its wait and wake its run, atomically.

        Raises a `TokenError` subclass (and changes nothing) when the token is
        unknown, already completed, expired, or its run no longer waits.
        """

    # -- events -------------------------------------------------------------

    @abstractmethod
    def record_event(self, event: EventRecord, matches: Callable[[StepRecord], bool]) -> list[str]:
        """Store an event and resolve every open wait for it that ``matches``.

        Returns the ids of the runs woken.
        """

    # -- threads (agentkit.memory's conversations) ---------------------------

    @abstractmethod
    def create_thread(self, thread: ThreadRecord) -> ThreadRecord:
        """Insert a new, empty thread."""

    @abstractmethod
    def get_thread(self, thread_id: str) -> ThreadRecord | None:
        """The thread, or None."""

    @abstractmethod
    def list_threads(self, *, limit: int = 50) -> list[ThreadRecord]:
        """Threads, most recently updated first."""

    @abstractmethod
    def delete_thread(self, thread_id: str) -> bool:
        """Delete a thread and every message of it; False if there was none."""

    @abstractmethod
    def append_thread_messages(
        self, thread_id: str, messages: list[str], write_key: str, now: float
    ) -> list[ThreadMessageRecord]:
        """Append messages (JSON text) to a thread, once per ``write_key``, atomically.

        If messages with this ``write_key`` are already in the thread (the write
        ran before a crash), nothing is written and those are returned.

        Raises:
            ThreadNotFound: no thread has this id.
        """

    @abstractmethod
    def list_thread_messages(
        self, thread_id: str, *, limit: int | None = None, before: int | None = None
    ) -> list[ThreadMessageRecord]:
        """Messages in ``seq`` order: the last ``limit`` of those with ``seq < before``."""

    @abstractmethod
    def get_thread_message(self, message_id: str) -> ThreadMessageRecord | None:
        """One message by its id, or None."""

    @abstractmethod
    def set_thread_summary(self, thread_id: str, summary: str, through: int, now: float) -> bool:
        """Keep ``summary`` of the first ``through`` messages, unless one covers as many.

        Returns whether it was stored (a summary never moves backwards).
        """

    @abstractmethod
    def fork_thread(self, thread_id: str, fork: ThreadRecord, through: int) -> ThreadRecord:
        """Create ``fork`` holding copies of the first ``through`` messages, atomically.

        Raises:
            ThreadNotFound: no thread has this id.
        """

    # -- long-term memories (agentkit.memory's MemoryStore) -----------------

    @abstractmethod
    def put_memories(self, memories: list[MemoryRecord]) -> None:
        """Insert or replace each memory at its (namespace, key), in one transaction.

        A replaced memory keeps its ``created_at``.
        """

    @abstractmethod
    def get_memory(self, namespace: str, key: str) -> MemoryRecord | None:
        """The memory at (namespace, key), or None."""

    @abstractmethod
    def delete_memory(self, namespace: str, key: str) -> bool:
        """Delete a memory; False if there was none."""

    @abstractmethod
    def list_memories(self, namespace: str) -> list[MemoryRecord]:
        """Every memory of a namespace, embeddings included, in key order."""

    @abstractmethod
    def memory_generation(self, namespace: str) -> int:
        """A counter of a namespace's changes: every put or delete raises it.

        Lets a reader keep a namespace's vectors in memory and reload them only
        when this has moved (0 for a namespace never written).
        """

    def memory_search_backend(self) -> str | None:
        """The vector extension that ranks memories inside this store, or None.

        None (this default) means the caller ranks with numpy; `SQLStore` says
        ``"sqlite-vec"`` or ``"pgvector"`` when its database has one.
        """
        return None

    def nearest_memories(
        self, namespace: str, query: list[float], k: int, filter: Mapping[str, Any] | None
    ) -> list[tuple[MemoryRecord, float]] | None:
        """The ``k`` memories nearest ``query`` with their cosine similarity, best first.

        Exact (ties by key), filtered by metadata equality as Python compares.
        None (this default) when the store cannot rank inside itself, or not
        this filter: the caller ranks with numpy.
        """
        return None

    # -- forks (a new run from a copy of another's journal prefix) ----------

    @abstractmethod
    def create_forked_run(self, run: RunRecord, journal: list[StepRecord]) -> RunRecord:
        """Insert a new run together with the journal it starts from, in one transaction.

        A fork (`AgentKit.fork`) reuses a copy of another run's journal prefix:
        ``journal`` holds those entries with ``run_id`` already set to ``run.id``.
        """

    # -- wake-ups between processes ------------------------------------------

    def watch_due(self, on_due: Callable[[], None]) -> Callable[[], None] | None:
        """Call ``on_due`` whenever another process may have made a run due.

        A worker uses it to claim at once instead of at its next poll. ``on_due``
        is called from another thread and must only hand the news over. Returns
        a function that stops watching, or None when this store cannot tell
        (the worker then only polls, as it always does for timers and expired
        leases). The `SQLStore` on PostgreSQL listens for ``NOTIFY``; SQLite and
        the in-memory store return None.
        """
        return None

    # -- shared rate limits (agentkit.models.SharedRateLimit) ---------------

    @abstractmethod
    def reserve_rate(
        self,
        name: str,
        limits: RateLimits,
        tokens: int,
        holder: str,
        now: float,
        lease: float,
        *,
        renew: bool = True,
    ) -> RateGrant:
        """Grant one call of ``tokens`` under the limit ``name`` now, or say how long to wait.

        One transaction: it reads the window and the provider's caps, and if the
        call fits, records a permit in flight until ``now + lease`` (renewing
        every live permit of ``holder`` as well), so that any number of
        processes together stay within ``limits``.
        """

    @abstractmethod
    def settle_rate(self, permit_id: str, tokens: int) -> None:
        """Replace a permit's estimated tokens with those the call used."""

    @abstractmethod
    def release_rate(self, permit_id: str) -> None:
        """End a permit's flight; it still counts in its window."""

    @abstractmethod
    def observe_rate(
        self, name: str, requests: tuple[int, float] | None, tokens: tuple[int, float] | None
    ) -> None:
        """Adopt the provider's remaining (requests, reset time) and (tokens, reset time)."""

    @abstractmethod
    def penalize_rate(self, name: str, until: float) -> None:
        """Hold every grant of ``name`` until ``until`` (a 429's retry-after)."""

    # -- lifecycle ----------------------------------------------------------

    def close(self) -> None:  # an optional hook: most stores hold nothing
        """Release connections."""
