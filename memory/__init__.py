"""Agent memory: conversation threads, token windows, compaction, long-term memory.

Installed as ``agentkit.memory``. Threads are kept in the run store and read
and written by the agent layer (``agent.run(..., thread=...)``, ``kit.threads``);
they are re-exported here beside what this package adds on top.
"""

from agentkit.agents._threads import Thread, ThreadMessage, Threads
from agentkit.memory._summarize import Summarize
from agentkit.memory._window import TokenWindow

__all__ = ["Summarize", "Thread", "ThreadMessage", "Threads", "TokenWindow"]
