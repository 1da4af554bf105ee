"""Execute one run here, once, with a `JournalObserver` instead of determinism checks.

This is the engine half of replaying a recording: the caller (the eval layer)
copies a finished run into a store of its own, queues it again, and executes
the current code of its function against the copied journal. The observer is
told of every journal decision (same, changed, new, skipped) and decides what
a divergence does; the engine knows nothing of models or reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentkit.durable._executor import Executor
from agentkit.errors import UsageError
from agentkit.store import RunRecord

if TYPE_CHECKING:
    from agentkit.durable._kit import AgentKit
    from agentkit.durable._replay import JournalObserver

__all__ = ["execute_observed"]

_OWNER = "replay"


async def execute_observed(kit: AgentKit, run_id: str, observer: JournalObserver) -> RunRecord:
    """Claim the queued run ``run_id`` of ``kit`` and execute it here until it rests.

    Steps are served from the run's journal in ``kit.store``; mismatches go to
    ``observer`` instead of raising `NonDeterminismError`. Use a store that
    holds a copy of the recording: whatever runs live is journaled there.

    Returns:
        The run as it ended (completed, failed, or waiting).

    Raises:
        UsageError: the run does not exist or is not claimable now.
    """
    now = kit.clock.now()
    claimed = kit.store.claim_run(run_id, _OWNER, now, now + kit.lease_ttl)
    if claimed is None:
        raise UsageError(f"run {run_id!r} cannot be claimed for an observed execution")
    await Executor(kit, claimed, _OWNER, observer=observer).execute()
    run = kit.store.get_run(run_id)
    assert run is not None  # it was just claimed in this store
    return run
