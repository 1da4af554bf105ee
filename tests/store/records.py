"""Record builders shared by the store tests."""

from __future__ import annotations

from typing import Any

from agentkit.store import RunRecord, StepRecord

NOW = 1_000.0


def run(run_id: str, **fields: Any) -> RunRecord:
    """A queued run of function ``f`` created at `NOW`; ``fields`` override."""
    values: dict[str, Any] = {
        "id": run_id,
        "function_id": "f",
        "status": "queued",
        "input": "{}",
        "created_at": NOW,
        "updated_at": NOW,
    }
    return RunRecord(**{**values, **fields})


def step(run_id: str, key: str, seq: int, **fields: Any) -> StepRecord:
    """A completed ``run`` step with output ``1``; ``fields`` override."""
    values: dict[str, Any] = {
        "run_id": run_id,
        "key": key,
        "kind": "run",
        "status": "completed",
        "seq": seq,
        "fingerprint": "fp",
        "started_at": NOW,
        "output": "1",
    }
    return StepRecord(**{**values, **fields})
