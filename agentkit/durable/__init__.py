"""The durable engine: runs, steps, the journal, waits, leases and workers.

It knows nothing about LLMs; agents and models sit on its public step API.
"""

from agentkit.durable._clock import Clock, ManualClock, SystemClock
from agentkit.durable._context import Context, Event, Steps, Token
from agentkit.durable._function import DurableFunction
from agentkit.durable._kit import AgentKit, RunHandle
from agentkit.durable._replay import Journal
from agentkit.durable._worker import Worker
from agentkit.retry import RetryPolicy

__all__ = [
    "AgentKit",
    "Clock",
    "Context",
    "DurableFunction",
    "Event",
    "Journal",
    "ManualClock",
    "RetryPolicy",
    "RunHandle",
    "Steps",
    "SystemClock",
    "Token",
    "Worker",
]
