"""The flow-control part of the `Store` boundary (concurrency keys, throttle, debounce, cron).

Every method is one atomic transition, so the limits hold across worker
processes; the decisions themselves are `agentkit.store._flow_rules`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from agentkit.store._flow_rules import FlowPlan
from agentkit.store._records import RunRecord


class FlowStore(ABC):
    """Store methods for flow-controlled starts, cron ticks and cancel-on events."""

    @abstractmethod
    def create_flow_run(self, run: RunRecord, plan: FlowPlan) -> tuple[RunRecord, bool]:
        """Insert a run under its flow plan, in one transaction; the run and whether it is new.

        A throttled run is delayed (status ``waiting`` until its start time); a
        debounced start either folds into the pending run of its key (which then
        takes this input and a later start time: returned with False) or
        becomes that pending run. The run's slot keys and cancel-on events are
        stored with it. With an ``idempotency_key`` already used, the existing
        run is returned as in `Store.create_run`.
        """

    @abstractmethod
    def advance_cron(
        self, schedule_key: str, tick: float, run: RunRecord, plan: FlowPlan
    ) -> RunRecord | None:
        """Start ``run`` for the schedule's ``tick`` once, however many workers ask.

        See `agentkit.store._flow_rules.cron_decision`: the first tick a
        schedule ever sees is only remembered; a newer tick starts ``run``
        (returned); a tick already seen does nothing (None).
        """

    @abstractmethod
    def cancel_on_waits(self, event_name: str) -> list[tuple[str, str]]:
        """``(run id, match JSON)`` of every run not ended that an event of this name may cancel."""

    @abstractmethod
    def has_event(self, event_id: str) -> bool:
        """Whether an event with this id was recorded (sending it again is a no-op)."""
