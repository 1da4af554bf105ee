"""Agent memory: conversation threads, token windows, compaction, long-term memory.

Installed as ``agentkit.memory``. Threads are kept in the run store and read
and written by the agent layer (``agent.run(..., thread=...)``, ``kit.threads``);
they are re-exported here beside what this package adds on top: history
processors (`TokenWindow`, `Summarize`) and long-term memory (`MemoryStore`,
its SQL and in-memory implementations, `memory_tools`).
"""

from agentkit.agents._threads import Thread, ThreadMessage, Threads
from agentkit.memory._store import (
    InMemoryMemoryStore,
    Memory,
    MemoryStore,
    SQLMemoryStore,
    StoreBackedMemory,
)
from agentkit.memory._summarize import Summarize
from agentkit.memory._tools import memory_tools
from agentkit.memory._window import TokenWindow

__all__ = [
    "InMemoryMemoryStore",
    "Memory",
    "MemoryStore",
    "SQLMemoryStore",
    "StoreBackedMemory",
    "Summarize",
    "Thread",
    "ThreadMessage",
    "Threads",
    "TokenWindow",
    "memory_tools",
]
