"""A recorded run (run, journal, completions) and the private store a replay runs in.

A replay never writes to the original: it copies the recording into an
in-memory store of its own. That store serves the recorded journal and keeps
whatever runs live apart from it, so a live step may take over the key of a
recorded one (the recorded entry is not overwritten, it is superseded).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from agentkit.errors import RunNotFound, UsageError
from agentkit.store import CompletionRecord, InMemoryStore, RunRecord, StepRecord, Store

__all__ = ["Recording", "RecordingStore", "load_recording"]


@dataclass(frozen=True)
class Recording:
    """Everything a run left in its store: the run, its journal, its stored completions."""

    run: RunRecord
    steps: list[StepRecord]
    completions: list[CompletionRecord]

    def completion(self, completion_id: str) -> CompletionRecord | None:
        """The stored completion with this id, or None."""
        return next((c for c in self.completions if c.id == completion_id), None)


def load_recording(store: Store, run_id: str) -> Recording:
    """Read a run's recording from ``store``.

    Raises:
        RunNotFound: no run has this id.
        UsageError: the run is still queued or running, so its journal is not a recording yet.
    """
    run = store.get_run(run_id)
    if run is None:
        raise RunNotFound(run_id)
    if run.status in ("queued", "running"):
        raise UsageError(
            f"run {run_id!r} is {run.status}; only a run that ended (or waits) can be replayed"
        )
    return Recording(run, store.load_journal(run_id), store.list_completions(run_id))


class RecordingStore(InMemoryStore):
    """An in-memory store holding a copy of one recording, queued to run again.

    `load_journal` answers the recorded entries overlaid with the entries this
    store journaled since (steps that ran live).
    """

    def __init__(self, recording: Recording) -> None:
        super().__init__()
        run = recording.run
        self.run_id = run.id
        self.recorded = {step.key: step for step in recording.steps}
        queued = replace(
            run,
            status="queued",
            output=None,
            error=None,
            ended_at=None,
            wake_at=None,
            lease_owner=None,
            lease_expires_at=None,
            idempotency_key=None,
            parent_run_id=None,
            parent_step_key=None,
            root_run_id=None,
        )
        self.create_run(queued)
        for completion in recording.completions:
            self.append_completion(completion)

    def load_journal(self, run_id: str) -> list[StepRecord]:
        live = super().load_journal(run_id)
        if run_id != self.run_id:
            return live
        merged = dict(self.recorded)
        merged.update({step.key: step for step in live})
        return sorted(merged.values(), key=lambda step: step.seq)
