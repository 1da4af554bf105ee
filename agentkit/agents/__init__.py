"""The agent layer: `Agent`, tools, approval gates, agents as runs.

Built only on the public step API of `agentkit.durable` and on
`agentkit.models`. Names load on first use, so that a process that only
resumes durable functions does not import the model layer.
"""

import importlib
from typing import TYPE_CHECKING, Any

from agentkit.agents._kit import AgentFunction, AgentKit

_LAZY = {
    "Agent": "agentkit.agents._agent",
    "AgentHooks": "agentkit.agents._agent",
    "AgentResult": "agentkit.agents._agent",
    "MaxIterationsExceeded": "agentkit.agents._agent",
    "OutputValidationError": "agentkit.agents._agent",
    "agent_function": "agentkit.agents._run",
    "run_agent": "agentkit.agents._run",
    "start_agent": "agentkit.agents._run",
    "ApprovalDecision": "agentkit.agents._approval",
    "AgentTurn": "agentkit.agents._history",
    "HistoryProcessor": "agentkit.agents._history",
    "FunctionTool": "agentkit.agents._tool",
    "Tool": "agentkit.agents._tool",
    "ToolRetry": "agentkit.agents._tool",
    "tool": "agentkit.agents._tool",
    "Toolset": "agentkit.agents._toolset",
    "DurableFunctionTool": "agentkit.agents._function_tool",
    "function_as_tool": "agentkit.agents._function_tool",
}

if TYPE_CHECKING:
    from agentkit.agents._agent import (
        Agent,
        AgentHooks,
        AgentResult,
        MaxIterationsExceeded,
        OutputValidationError,
    )
    from agentkit.agents._approval import ApprovalDecision
    from agentkit.agents._function_tool import DurableFunctionTool, function_as_tool
    from agentkit.agents._history import AgentTurn, HistoryProcessor
    from agentkit.agents._run import agent_function, run_agent, start_agent
    from agentkit.agents._tool import FunctionTool, Tool, ToolRetry, tool
    from agentkit.agents._toolset import Toolset


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agentkit.agents' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Agent",
    "AgentFunction",
    "AgentHooks",
    "AgentKit",
    "AgentResult",
    "AgentTurn",
    "ApprovalDecision",
    "DurableFunctionTool",
    "FunctionTool",
    "HistoryProcessor",
    "MaxIterationsExceeded",
    "OutputValidationError",
    "Tool",
    "ToolRetry",
    "Toolset",
    "agent_function",
    "function_as_tool",
    "run_agent",
    "start_agent",
    "tool",
]
