"""agentkit: AI agents on durable steps.

Every LLM call and tool call is a checkpointed step in a journal, so a run that
dies resumes where it stopped without paying again for work already done.
"""

import importlib
from typing import TYPE_CHECKING, Any

from agentkit.durable import (
    AgentKit,
    Clock,
    Context,
    DurableFunction,
    Event,
    ManualClock,
    RetryPolicy,
    RunHandle,
    Steps,
    SystemClock,
    Token,
    Worker,
)
from agentkit.errors import (
    AgentkitError,
    ConfigError,
    EventTimeout,
    FunctionNotFound,
    IdempotencyConflict,
    NonDeterminismError,
    NonRetriableError,
    RunCancelledError,
    RunFailedError,
    RunNotFound,
    StepFailed,
    StepSerializationError,
    TokenAlreadyCompleted,
    TokenError,
    TokenExpired,
    TokenNotFound,
    TokenPayloadInvalid,
    TokenRunNotWaiting,
    TokenTimeout,
    UsageError,
    WaitTimeout,
)

__version__ = "0.1.0"

# The agent layer (and through it the model layer) loads on first use, so that a
# process that only runs durable functions starts without it.
_LAZY = {
    "Agent": "agentkit._agent",
    "AgentHooks": "agentkit._agent",
    "AgentResult": "agentkit._agent",
    "MaxIterationsExceeded": "agentkit._agent",
    "OutputValidationError": "agentkit._agent",
    "agent_function": "agentkit._agent_run",
    "run_agent": "agentkit._agent_run",
    "start_agent": "agentkit._agent_run",
    "ApprovalDecision": "agentkit._approval",
    "FunctionTool": "agentkit._tool",
    "Tool": "agentkit._tool",
    "ToolRetry": "agentkit._tool",
    "tool": "agentkit._tool",
    "DurableFunctionTool": "agentkit._tool_durable",
    "function_as_tool": "agentkit._tool_durable",
}

if TYPE_CHECKING:
    from agentkit._agent import (
        Agent,
        AgentHooks,
        AgentResult,
        MaxIterationsExceeded,
        OutputValidationError,
    )
    from agentkit._agent_run import agent_function, run_agent, start_agent
    from agentkit._approval import ApprovalDecision
    from agentkit._tool import FunctionTool, Tool, ToolRetry, tool
    from agentkit._tool_durable import DurableFunctionTool, function_as_tool


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agentkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Agent",
    "AgentHooks",
    "AgentKit",
    "AgentResult",
    "AgentkitError",
    "ApprovalDecision",
    "Clock",
    "ConfigError",
    "Context",
    "DurableFunction",
    "DurableFunctionTool",
    "Event",
    "EventTimeout",
    "FunctionNotFound",
    "FunctionTool",
    "IdempotencyConflict",
    "ManualClock",
    "MaxIterationsExceeded",
    "NonDeterminismError",
    "NonRetriableError",
    "OutputValidationError",
    "RetryPolicy",
    "RunCancelledError",
    "RunFailedError",
    "RunHandle",
    "RunNotFound",
    "StepFailed",
    "StepSerializationError",
    "Steps",
    "SystemClock",
    "Token",
    "TokenAlreadyCompleted",
    "TokenError",
    "TokenExpired",
    "TokenNotFound",
    "TokenPayloadInvalid",
    "TokenRunNotWaiting",
    "TokenTimeout",
    "Tool",
    "ToolRetry",
    "UsageError",
    "WaitTimeout",
    "Worker",
    "__version__",
    "agent_function",
    "function_as_tool",
    "run_agent",
    "start_agent",
    "tool",
]
