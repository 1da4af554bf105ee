"""`memory_tools`: ``remember`` and ``recall``, an agent's tools over a `MemoryStore`.

Each call is durable: ``remember`` embeds the text (an ``infer`` step, stored
like a completion) and writes it (a ``run`` step), so a remember inside a run
that crashes and resumes is stored once; ``recall`` embeds the query and
journals what the search found, so a replay recalls the same.
"""

from __future__ import annotations

import hashlib

from agentkit.agents import FunctionTool, Tool
from agentkit.agents._tool import ToolInvocation
from agentkit.errors import ConfigError
from agentkit.memory._store import MemoryStore

__all__ = ["memory_tools"]


def _remember(text: str) -> str:
    """Remember a fact for later conversations (a preference, a name, a decision).

    Args:
        text: The fact, as one self-contained sentence.
    """
    raise NotImplementedError  # only the signature is used: the tool's schema


def _recall(query: str, k: int = 5) -> str:
    """Recall remembered facts related to a query.

    Args:
        query: What to look for.
        k: How many facts at most.
    """
    raise NotImplementedError  # only the signature is used: the tool's schema


def memory_key(text: str) -> str:
    """The key a remembered text is stored at: the same fact is remembered once."""
    return "m-" + hashlib.sha256(text.strip().encode()).hexdigest()[:24]


class _MemoryTool(Tool):
    def __init__(self, schema: FunctionTool, store: MemoryStore, namespace: str) -> None:
        super().__init__(
            name=schema.name, description=schema.description, arguments=schema.arguments
        )
        self.store = store
        self.namespace = namespace


class _Remember(_MemoryTool):
    async def execute(self, invocation: ToolInvocation) -> str:
        text = str(invocation.kwargs["text"]).strip()
        if not text:
            return "Nothing to remember: the text is empty."
        await self.store.put(
            self.namespace, memory_key(text), text, ctx=invocation.ctx, step_id=invocation.step_id
        )
        return f"Remembered: {text}"


class _Recall(_MemoryTool):
    async def execute(self, invocation: ToolInvocation) -> str:
        query = str(invocation.kwargs["query"])
        k = max(1, min(int(invocation.kwargs.get("k") or 5), 50))
        found = await self.store.search(
            self.namespace, query, k, ctx=invocation.ctx, step_id=invocation.step_id
        )
        if not found:
            return "No memories found."
        return "\n".join(f"- {memory.text}" for memory in found)


def memory_tools(store: MemoryStore, namespace: str) -> list[Tool]:
    """``remember`` and ``recall`` tools over ``store``, in one ``namespace``.

    Args:
        store: Where memories are kept.
        namespace: Whose memories these are (a user id, a project...).
    """
    if not isinstance(store, MemoryStore):
        raise ConfigError(f"memory_tools needs a MemoryStore, got {store!r}")
    if not isinstance(namespace, str) or not namespace:
        raise ConfigError(f"memory_tools needs a non-empty namespace, got {namespace!r}")
    return [
        _Remember(FunctionTool(_remember, name="remember"), store, namespace),
        _Recall(FunctionTool(_recall, name="recall"), store, namespace),
    ]
