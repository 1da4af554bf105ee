"""The durable engine: runs, steps, the journal, waits, leases and workers.

It knows nothing about LLMs; agents and models sit on its public step API.
"""

from agentkit.durable._clock import Clock, ManualClock, SystemClock
from agentkit.durable._context import Context, Event, Steps, Token
from agentkit.durable._flow import CancelOn, Concurrency, Debounce, Priority, Throttle
from agentkit.durable._function import DurableFunction
from agentkit.durable._kit import AgentKit, RunHandle
from agentkit.durable._observed import execute_observed
from agentkit.durable._observers import (
    ExecutionOutcome,
    RunExecution,
    RunObserver,
    current_run_id,
)
from agentkit.durable._replay import Journal, JournalObserver
from agentkit.durable._triggers import CronTrigger, EventTrigger, cron, on_event
from agentkit.durable._worker import Worker
from agentkit.retry import RetryPolicy

__all__ = [
    "AgentKit",
    "CancelOn",
    "Clock",
    "Concurrency",
    "Context",
    "CronTrigger",
    "Debounce",
    "DurableFunction",
    "Event",
    "EventTrigger",
    "ExecutionOutcome",
    "Journal",
    "JournalObserver",
    "ManualClock",
    "Priority",
    "RetryPolicy",
    "RunExecution",
    "RunHandle",
    "RunObserver",
    "Steps",
    "SystemClock",
    "Throttle",
    "Token",
    "Worker",
    "cron",
    "current_run_id",
    "execute_observed",
    "on_event",
]
