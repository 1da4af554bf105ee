"""A recorded run (run, journal, completions) and the private store a replay runs in.

A replay never writes to the original: it copies the recording into an
in-memory store of its own. That store serves the recorded journal and keeps
whatever runs live apart from it, so a live step may take over the key of a
recorded one (the recorded entry is not overwritten, it is superseded).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from agentkit.errors import ConfigError, RunNotFound, UsageError
from agentkit.store import CompletionRecord, InMemoryStore, RunRecord, StepRecord, Store

__all__ = [
    "Recording",
    "RecordingStore",
    "load_recording",
    "read_recording",
    "recording_from_json",
    "recording_to_json",
]


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


def recording_to_json(recording: Recording) -> dict[str, Any]:
    """A recording as JSON, to keep beside a dataset (``agentkit eval add-run``)."""
    return {
        "format": "agentkit-recording/1",
        "run": asdict(recording.run),
        "steps": [asdict(step) for step in recording.steps],
        "completions": [asdict(completion) for completion in recording.completions],
    }


def recording_from_json(data: Mapping[str, Any], source: str = "recording") -> Recording:
    """The recording `recording_to_json` wrote.

    Raises:
        ConfigError: it is not such a recording (the message names ``source``).
    """
    if data.get("format") != "agentkit-recording/1":
        raise ConfigError(f"{source} is not an agentkit recording (format agentkit-recording/1)")
    try:
        return Recording(
            RunRecord(**data["run"]),
            [StepRecord(**step) for step in data["steps"]],
            [CompletionRecord(**c) for c in data["completions"]],
        )
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{source} is not a valid recording: {exc}") from None


def read_recording(path: Path) -> Recording:
    """Read an exported recording file."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read recording {str(path)!r}: {exc.strerror}") from None
    return recording_from_json(json.loads(text), repr(str(path)))
