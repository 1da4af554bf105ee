"""The agent layer: `Agent`, tools, approval gates, agents as runs, networks.

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
    "Network": "agentkit.agents._network",
    "AgentRun": "agentkit.agents._network_result",
    "NetworkMaxIterations": "agentkit.agents._network_result",
    "NetworkResult": "agentkit.agents._network_result",
    "network_function": "agentkit.agents._network_run",
    "run_network": "agentkit.agents._network_run",
    "start_network": "agentkit.agents._network_run",
    "NetworkTool": "agentkit.agents._network_tool",
    "Route": "agentkit.agents._router",
    "RouterError": "agentkit.agents._router",
    "RouterInput": "agentkit.agents._router",
    "RoutingDecision": "agentkit.agents._router",
    "RoutingAgent": "agentkit.agents._routing_agent",
    "StateConflictError": "agentkit.agents._state",
    "StateValidationError": "agentkit.agents._state",
    "StreamDelta": "agentkit.agents._stream",
    "Handoff": "agentkit.agents._handoff",
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
    from agentkit.agents._handoff import Handoff
    from agentkit.agents._history import AgentTurn, HistoryProcessor
    from agentkit.agents._network import Network
    from agentkit.agents._network_result import AgentRun, NetworkMaxIterations, NetworkResult
    from agentkit.agents._network_run import network_function, run_network, start_network
    from agentkit.agents._network_tool import NetworkTool
    from agentkit.agents._router import Route, RouterError, RouterInput, RoutingDecision
    from agentkit.agents._routing_agent import RoutingAgent
    from agentkit.agents._run import agent_function, run_agent, start_agent
    from agentkit.agents._state import StateConflictError, StateValidationError
    from agentkit.agents._stream import StreamDelta
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
    "AgentRun",
    "AgentTurn",
    "ApprovalDecision",
    "DurableFunctionTool",
    "FunctionTool",
    "Handoff",
    "HistoryProcessor",
    "MaxIterationsExceeded",
    "Network",
    "NetworkMaxIterations",
    "NetworkResult",
    "NetworkTool",
    "OutputValidationError",
    "Route",
    "RouterError",
    "RouterInput",
    "RoutingAgent",
    "RoutingDecision",
    "StateConflictError",
    "StateValidationError",
    "StreamDelta",
    "Tool",
    "ToolRetry",
    "Toolset",
    "agent_function",
    "function_as_tool",
    "network_function",
    "run_agent",
    "run_network",
    "start_agent",
    "start_network",
    "tool",
]
